/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdarg.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "perf_run.h"
#include "roce_limits.h"
#include "roce_stats.h"

#define VERIFY_SPAN	(16u << 20)	/* bytes per half with --verify */
#define ROCE_OVERHEAD	64		/* IPv4 + UDP + BTH + RETH + ImmDt + ICRC */
#define CQ_MOD_MAX	100		/* signal one WR in this many, as perftest */
#define CQ_BATCH	32

static int
fail(struct perf_ctx *ctx, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct perf_ctx *ctx, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
	return rc;
}

/* Why a run may have stalled, for its error message: no ARP answer means
 * nothing ever reached the peer; RoCE from it before means it stopped. */
static const char *
stall_hint(const struct perf_ctx *ctx)
{
	if (roce_stats_get(ctx->dev, "rx_roce") > 0)
		return "; the peer stopped answering mid-run: check that its side still runs";
	/* Frames dropped for want of a neighbour, or the send queue held
	 * until one answers. */
	return roce_stats_get(ctx->dev, "tx_no_neigh") > 0 ||
	       roce_stats_get(ctx->dev, "tx_neigh_hold") > 0 ?
	       "; the peer's address never answered ARP: check both --local-ip and the link" : "";
}

static uint64_t
round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

/* Message slots per half for @p size: both sides compute the same. */
static uint64_t
perf_span(const struct perf_ctx *ctx, uint64_t size)
{
	uint64_t span = size == 0 ? 1 : ctx->half / size;

	if (span == 0)
		span = 1;
	/* With --verify, every message gets a place of its own when they fit. */
	if (ctx->conf.verify && span > ctx->conf.iters)
		span = ctx->conf.iters;
	return span;
}

/* The largest ibv_mtu whose packets, with RoCEv2 headers, fit the port. */
static int
port_active_mtu(uint16_t port_id)
{
	uint16_t mtu = 1500;
	int m;

	rte_eth_dev_get_mtu(port_id, &mtu);
	for (m = IBV_MTU_4096; m > IBV_MTU_256; m--)
		if (roce_mtu_bytes((enum ibv_mtu)m) + ROCE_OVERHEAD <= mtu)
			break;
	return m;
}

int
perf_ctx_init(struct perf_ctx *ctx, const struct perf_conf *conf)
{
	struct roce_dev_conf dconf = { .name = "perf", .socket_id = SOCKET_ID_ANY };
	struct roce_port_conf pconf = { .port_id = conf->port_id, .configure = true,
					.ipv4 = conf->local_ip };
	struct roce_qp_init_attr init = { 0 };
	unsigned int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			      IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC;
	union ibv_gid gid;
	int rc;

	memset(ctx, 0, sizeof(*ctx));
	ctx->conf = *conf;
	/* The QPN table holds QPNs 0 .. max_qp - 1, of which 0 and 1 are
	 * never an RC QP's (ROCE_QPN_MIN). */
	while (dconf.max_qp < conf->num_qps + ROCE_QPN_MIN)
		dconf.max_qp = dconf.max_qp == 0 ? ROCE_DEFAULT_MAX_QP : 2 * dconf.max_qp;
	ctx->dev = roce_dev_create(&dconf);
	if (ctx->dev == NULL)
		return fail(ctx, -rte_errno, "cannot create the RoCE device: %s",
			    rte_strerror(rte_errno));
	rc = roce_dev_add_port(ctx->dev, &pconf);
	if (rc < 0)
		return fail(ctx, rc, "cannot use DPDK port %u: %s", conf->port_id,
			    rte_strerror(-rc));
	ctx->port = (uint8_t)rc;
	ctx->active_mtu = port_active_mtu(conf->port_id);
	if (conf->mtu > ctx->active_mtu)
		return fail(ctx, -EINVAL, "--mtu %u is more than DPDK port %u carries (%u)",
			    roce_mtu_bytes((enum ibv_mtu)conf->mtu), conf->port_id,
			    roce_mtu_bytes((enum ibv_mtu)ctx->active_mtu));
	if (conf->mtu != 0)
		ctx->active_mtu = conf->mtu;
	if (conf->fault_on) {
		rc = roce_dev_set_fault(ctx->dev, ctx->port, ROCE_FAULT_RX, &conf->fault);
		if (rc == 0)
			rc = roce_dev_set_fault(ctx->dev, ctx->port, ROCE_FAULT_TX, &conf->fault);
		if (rc != 0)
			return fail(ctx, rc, "cannot set up fault injection");
	}

	ctx->half = RTE_MAX(conf->max_size, (uint64_t)4096);
	if (conf->verify)
		ctx->half = RTE_MAX(ctx->half, RTE_MIN(conf->iters * conf->max_size,
						       (uint64_t)VERIFY_SPAN));
	ctx->half = round_up(ctx->half, 4096);
	ctx->buf = rte_zmalloc("perf", 2 * ctx->half, 4096);
	ctx->pd = roce_alloc_pd(ctx->dev);
	ctx->num_qps = conf->num_qps == 0 ? 1 : RTE_MIN(conf->num_qps, (unsigned int)PERF_MAX_QPS);
	ctx->cq = roce_create_cq(ctx->dev, conf->tx_depth * ctx->num_qps + conf->rx_depth + CQ_BATCH);
	if (ctx->buf == NULL || ctx->pd == NULL || ctx->cq == NULL)
		return fail(ctx, -ENOMEM, "out of memory for a %lu-byte region (raise EAL -m)",
			    (unsigned long)(2 * ctx->half));
	if (conf->rkey != 0)
		ctx->mr = roce_reg_mr_fixed(ctx->pd, ctx->buf, 2 * ctx->half,
					    conf->vaddr - ctx->half, access, conf->rkey);
	else
		ctx->mr = roce_reg_mr(ctx->pd, ctx->buf, 2 * ctx->half, access);
	init.send_cq = init.recv_cq = ctx->cq;
	init.cap.max_send_wr = conf->tx_depth;
	init.cap.max_recv_wr = conf->rx_depth;
	init.cap.max_send_sge = init.cap.max_recv_sge = 1;
	init.qp_num = conf->qpn;
	ctx->qp = ctx->mr != NULL ? roce_create_qp(ctx->pd, &init) : NULL;
	if (ctx->mr == NULL || ctx->qp == NULL)
		return fail(ctx, -rte_errno, "cannot create the region or the QP: %s",
			    rte_strerror(rte_errno));
	ctx->qps[0] = ctx->qp;
	init.qp_num = 0;
	for (unsigned int i = 1; i < ctx->num_qps; i++) {
		ctx->qps[i] = roce_create_qp(ctx->pd, &init);
		if (ctx->qps[i] == NULL)
			return fail(ctx, -rte_errno, "cannot create QP %u: %s", i,
				    rte_strerror(rte_errno));
	}

	ctx->my.lid = 0;
	/* perftest offers reads in flight only for READ and atomic tests; 1
	 * otherwise. */
	/* As perftest: announce what the device takes (ibv_query_device's
	 * max_qp_rd_atom); each side then issues what the other announced. */
	ctx->my.out_reads = conf->verb == PERF_READ || conf->verb == PERF_ATOMIC ?
		ROCE_MAX_RD_ATOMIC : 1;
	ctx->my.qpn = roce_qp_num(ctx->qp);
	ctx->my.psn = conf->psn & 0xffffff;
	ctx->my.rkey = roce_mr_rkey(ctx->mr);
	ctx->my.vaddr = conf->rkey != 0 ? conf->vaddr : (uintptr_t)ctx->buf + ctx->half;
	roce_gid_from_ipv4(&gid, conf->local_ip);
	memcpy(ctx->my.gid, gid.raw, sizeof(ctx->my.gid));
	ctx->my.srqn = 0;
	/* -q: every QP of the same region, each with a PSN of its own. */
	for (unsigned int i = 1; i < ctx->num_qps; i++) {
		ctx->more_my[i] = ctx->my;
		ctx->more_my[i].qpn = roce_qp_num(ctx->qps[i]);
		ctx->more_my[i].psn = (ctx->my.psn + 0x10101 * i) & 0xffffff;
	}
	return 0;
}

int
perf_ctx_qp_init(struct perf_ctx *ctx)
{
	struct ibv_qp_attr attr = { 0 };
	unsigned int i;

	attr.qp_state = IBV_QPS_INIT;
	attr.port_num = ctx->port;
	attr.qp_access_flags = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			       IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC;
	for (i = 0; i < ctx->num_qps; i++)
		if (roce_modify_qp(ctx->qps[i], &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				   IBV_QP_PORT | IBV_QP_ACCESS_FLAGS) != 0)
			return fail(ctx, -EINVAL, "cannot move QP %u to INIT", i);
	ctx->qp_init = true;
	return 0;
}

static int connect_qp(struct perf_ctx *ctx, unsigned int i, int path_mtu);

int
perf_ctx_connect(struct perf_ctx *ctx, const struct perf_dest *rem, int path_mtu)
{
	ctx->rem = *rem;
	return connect_qp(ctx, 0, path_mtu);
}

int
perf_ctx_connect_all(struct perf_ctx *ctx, int path_mtu)
{
	unsigned int i;
	int rc = 0;

	for (i = 0; i < ctx->num_qps && rc == 0; i++)
		rc = connect_qp(ctx, i, path_mtu);
	return rc;
}

/* QP @p i to RTS towards perf_rem(ctx, i), with perftest's timers. */
static int
connect_qp(struct perf_ctx *ctx, unsigned int i, int path_mtu)
{
	const struct perf_dest *rem = perf_rem(ctx, i), *my = perf_my(ctx, i);
	struct roce_qp *qp = ctx->qps[i];
	struct roce_qp_conn conn = {
		.port = ctx->port,
		.access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			  IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC,
		.path_mtu = (enum ibv_mtu)path_mtu,
		.dest_qpn = rem->qpn,
		.rq_psn = rem->psn,
		.sq_psn = my->psn,
		.max_rd_atomic = (uint8_t)RTE_MAX(1, RTE_MIN(rem->out_reads, ROCE_MAX_RD_ATOMIC)),
		.max_dest_rd_atomic = (uint8_t)my->out_reads,
		.min_rnr_timer = 12,	/* 0.64 ms, perftest's */
		.timeout = 14,		/* 67 ms, perftest's */
		.retry_cnt = 7,
		.rnr_retry = 7,
	};
	union ibv_gid gid;
	int rc;

	memcpy(gid.raw, rem->gid, 16);
	if (roce_gid_to_ipv4(&gid, &conn.dest_ip) != 0)
		return fail(ctx, -EINVAL, "the peer's GID is not IPv4-mapped (::ffff:a.b.c.d): "
			    "RoCEv2 over IPv4 needs GID index 1 on a Linux peer (perftest -x 1)");
	if (!ctx->qp_init && perf_ctx_qp_init(ctx) != 0)
		return -EINVAL;
	rc = roce_qp_connect(qp, &conn);
	if (rc != 0)
		return fail(ctx, rc, "cannot move the QP to %s",
			    roce_qp_state(qp) == IBV_QPS_RTR ? "RTS" : "RTR");
	return 0;
}

void
perf_ctx_fini(struct perf_ctx *ctx)
{
	if (ctx->dev == NULL)
		return;
	for (unsigned int i = ctx->num_qps; i-- > 1;)
		if (ctx->qps[i] != NULL)
			roce_destroy_qp(ctx->qps[i]);
	if (ctx->qp != NULL)
		roce_destroy_qp(ctx->qp);
	roce_dev_discard_tx(ctx->dev);
	if (ctx->mr != NULL)
		roce_dereg_mr(ctx->mr);
	if (ctx->cq != NULL)
		roce_destroy_cq(ctx->cq);
	if (ctx->pd != NULL)
		roce_dealloc_pd(ctx->pd);
	roce_dev_destroy(ctx->dev);
	rte_free(ctx->buf);
	ctx->dev = NULL;
}

int
perf_progress(void *arg)
{
	struct perf_ctx *ctx = arg;

	return roce_dev_poll(ctx->dev, perf_now_ns());
}

/* Poll once; when nothing happened, back off towards giving the core away
 * (two nodes share two cores in tests and on this machine). */
static void
poll_idle(struct perf_ctx *ctx, int events)
{
	uint64_t now = perf_now_ns();

	idle_backoff(&ctx->idle, roce_dev_poll(ctx->dev, now) + events == 0, now);
}

static void
pattern_fill(uint8_t *p, uint64_t i, uint64_t len)
{
	uint64_t j;

	for (j = 0; j < len; j++)
		p[j] = perf_pattern(i, j);
}

/*
 * Check @p len bytes of message @p i, which start at byte @p base of the
 * pattern (READs take slices of one pattern laid over the server's half).
 */
static int
verify_at(struct perf_ctx *ctx, const uint8_t *p, uint64_t i, uint64_t base, uint64_t len,
	  const char *what)
{
	uint64_t j;

	for (j = 0; j < len; j++)
		if (p[j] != perf_pattern(i, base + j))
			return fail(ctx, -EILSEQ, "verify: %s %lu: byte %lu is 0x%02x, expected "
				    "0x%02x", what, (unsigned long)i, (unsigned long)j, p[j],
				    perf_pattern(i, base + j));
	ctx->verified_bytes += len;
	return 0;
}

static int
verify_msg(struct perf_ctx *ctx, const uint8_t *p, uint64_t i, uint64_t len, const char *what)
{
	return verify_at(ctx, p, i, 0, len, what);
}

static uint64_t
depth(const struct perf_ctx *ctx, uint64_t size, uint32_t want)
{
	uint64_t d = want;

	/* --verify fills or checks a slot only while no WR uses it. */
	if (ctx->conf.verify)
		d = RTE_MIN(d, perf_span(ctx, size));
	return RTE_MAX(d, (uint64_t)1);
}

int
perf_prepare(struct perf_ctx *ctx, uint64_t size)
{
	uint8_t *recv = ctx->buf + ctx->half;
	uint64_t span = perf_span(ctx, size), k, rx;

	/* What a READ client finds: one pattern over the whole half, so any
	 * size reads a slice it can check. */
	if (ctx->conf.verb == PERF_READ && ctx->conf.server && ctx->conf.verify)
		pattern_fill(recv, 0, ctx->half);
	if (ctx->conf.verb == PERF_SEND && (ctx->conf.server || ctx->conf.lat)) {
		rx = RTE_MIN(depth(ctx, size, ctx->conf.rx_depth), ctx->conf.iters);
		for (k = 0; k < rx; k++) {
			struct ibv_sge sge = { .addr = (uintptr_t)recv + (k % span) * size,
					       .length = (uint32_t)size,
					       .lkey = roce_mr_lkey(ctx->mr) };
			struct ibv_recv_wr wr = { .wr_id = k, .sg_list = &sge, .num_sge = 1 }, *bad;

			if (roce_post_recv(ctx->qp, &wr, &bad) != 0)
				return fail(ctx, -ENOMEM, "cannot post receive %lu", (unsigned long)k);
		}
	}
	return 0;
}

/* The WR of message @p i: remote address and key where the verb has them. */
static void
wr_target(const struct perf_ctx *ctx, const struct perf_dest *rem, struct ibv_send_wr *wr,
	  uint64_t remote_off)
{
	switch (ctx->conf.verb) {
	case PERF_WRITE:
	case PERF_READ:
		wr->opcode = ctx->conf.verb == PERF_WRITE ? IBV_WR_RDMA_WRITE : IBV_WR_RDMA_READ;
		wr->wr.rdma.remote_addr = rem->vaddr + remote_off;
		wr->wr.rdma.rkey = rem->rkey;
		break;
	case PERF_ATOMIC:
		/* perftest's: one 8-byte word, add 1 or swap 0 for 1 where 0 */
		wr->opcode = ctx->conf.cmp_swap ? IBV_WR_ATOMIC_CMP_AND_SWP :
			     IBV_WR_ATOMIC_FETCH_AND_ADD;
		wr->wr.atomic.remote_addr = rem->vaddr;
		wr->wr.atomic.rkey = rem->rkey;
		wr->wr.atomic.compare_add = ctx->conf.cmp_swap ? 0 : 1;
		wr->wr.atomic.swap = 1;
		break;
	default:
		wr->opcode = IBV_WR_SEND;
		break;
	}
}

static int
wc_check(struct perf_ctx *ctx, const struct ibv_wc *wc)
{
	if (wc->status == IBV_WC_SUCCESS)
		return 0;
	return fail(ctx, -EIO, "work request %lu completed with \"%s\" (vendor error %u)%s",
		    (unsigned long)wc->wr_id, ibv_wc_status_str(wc->status), wc->vendor_err,
		    wc->status == IBV_WC_RETRY_EXC_ERR ?
		    "; the peer stopped answering: check that its side still runs" :
		    wc->status == IBV_WC_RNR_RETRY_EXC_ERR ?
		    "; the peer posted no receive in time: give it a larger --rx-depth" :
		    wc->status == IBV_WC_REM_ACCESS_ERR ?
		    "; the peer refused the address or key: give both sides the same size" : "");
}

/* The SEND server: take @p iters messages, checking and reposting. */
static int
bw_recv(struct perf_ctx *ctx, uint64_t size, struct perf_bw *bw)
{
	uint8_t *recv = ctx->buf + ctx->half;
	uint64_t span = perf_span(ctx, size), iters = ctx->conf.iters;
	uint64_t rx = RTE_MIN(depth(ctx, size, ctx->conf.rx_depth), iters);
	uint64_t got = 0, t0 = 0, t_last = 0, stall = perf_now_ns();
	struct ibv_wc wc[CQ_BATCH];
	int n, i, rc;

	while (got < iters) {
		n = roce_poll_cq(ctx->cq, CQ_BATCH, wc);
		for (i = 0; i < n; i++) {
			uint64_t k = wc[i].wr_id, next = k + rx;

			if ((rc = wc_check(ctx, &wc[i])) != 0)
				return rc;
			if (k != got)
				return fail(ctx, -EPROTO, "receive %lu completed, %lu expected",
					    (unsigned long)k, (unsigned long)got);
			if (wc[i].byte_len != size)
				return fail(ctx, -EPROTO, "message %lu is %u bytes, %lu expected",
					    (unsigned long)k, wc[i].byte_len, (unsigned long)size);
			if (ctx->conf.verify &&
			    (rc = verify_msg(ctx, recv + (k % span) * size, k, size, "message")) != 0)
				return rc;
			if (next < iters) {
				struct ibv_sge sge = { .addr = (uintptr_t)recv + (next % span) * size,
						       .length = (uint32_t)size,
						       .lkey = roce_mr_lkey(ctx->mr) };
				struct ibv_recv_wr wr = { .wr_id = next, .sg_list = &sge,
							  .num_sge = 1 }, *bad;

				if (roce_post_recv(ctx->qp, &wr, &bad) != 0)
					return fail(ctx, -ENOMEM, "cannot repost a receive");
			}
			got++;
			t_last = perf_now_ns();
			if (t0 == 0)
				t0 = t_last;
			stall = t_last;
		}
		if (perf_now_ns() - stall > (uint64_t)ctx->conf.stall_ms * 1000000)
			return fail(ctx, -ETIMEDOUT, "no message for %u ms (%lu of %lu received)%s",
				    ctx->conf.stall_ms, (unsigned long)got, (unsigned long)iters,
				    stall_hint(ctx));
		poll_idle(ctx, n);
	}
	/* The first message's own time is unknown: measure from it on. */
	perf_bw_compute(bw, size, iters > 1 ? iters - 1 : 1, t_last - t0, 0, 0);
	bw->iters = iters;
	return 0;
}

int
perf_bw_run(struct perf_ctx *ctx, uint64_t size, struct perf_bw *bw)
{
	const struct perf_conf *c = &ctx->conf;
	unsigned int nq = ctx->num_qps, q;
	uint64_t span = perf_span(ctx, size), iters = c->iters;
	uint64_t tx = depth(ctx, size, c->tx_depth);
	uint64_t cq_mod = RTE_MIN((uint64_t)CQ_MOD_MAX, tx);
	uint64_t posted[PERF_MAX_QPS] = { 0 }, done[PERF_MAX_QPS] = { 0 };
	uint64_t limit[PERF_MAX_QPS], all_done = 0, t0, t_sig = 0, best = 0, stall, deadline = 0;
	/* --margin: the rate between the first completion after the start's
	 * margin and the last before the end's. */
	uint64_t t_from = 0, t_to = 0, done_from = 0, done_to = 0;
	uint8_t *local = ctx->buf;
	struct ibv_wc wc[CQ_BATCH];
	bool running = true;
	int n, i, rc;

	if (c->server && c->verb == PERF_SEND)
		return bw_recv(ctx, size, bw);
	t0 = stall = perf_now_ns();
	if (c->duration_ms > 0) {
		/* -D: post until the time is up, then up to the next signaled
		 * WR, so the last one posted tells when all are done. */
		deadline = t0 + (uint64_t)c->duration_ms * 1000000;
		iters = UINT64_MAX;
	}
	/* -q: perftest runs the iterations on every QP. */
	for (q = 0; q < nq; q++)
		limit[q] = iters;
	while (running) {
		if (deadline != 0 && iters == UINT64_MAX && perf_now_ns() >= deadline) {
			iters = 0;
			for (q = 0; q < nq; q++)
				limit[q] = RTE_MAX(round_up(posted[q], cq_mod), cq_mod);
		}
		for (q = 0; q < nq; q++) {
			const struct perf_dest *rem = perf_rem(ctx, q);

			while (posted[q] < limit[q] && posted[q] - done[q] < tx) {
				uint64_t k = posted[q], slot = k % span;
				struct ibv_sge sge = { .addr = (uintptr_t)local + slot * size,
						       .length = (uint32_t)size,
						       .lkey = roce_mr_lkey(ctx->mr) };
				struct ibv_send_wr wr = { .wr_id = k, .sg_list = &sge, .num_sge = 1 };
				struct ibv_send_wr *bad;

				if (c->verify && c->verb != PERF_READ && c->verb != PERF_ATOMIC)
					pattern_fill(local + slot * size, k, size);
				else if (c->verify && c->verb == PERF_READ)
					memset(local + slot * size, 0, size);
				wr_target(ctx, rem, &wr, slot * size);
				/* RC completes in order: one signaled WR in cq_mod
				 * tells of all before it on its QP. */
				if ((k + 1) % cq_mod == 0 || k + 1 == limit[q])
					wr.send_flags = IBV_SEND_SIGNALED;
				rc = roce_post_send(ctx->qps[q], &wr, &bad);
				if (rc == -ENOMEM)
					break;
				if (rc != 0)
					return fail(ctx, rc, "cannot post WR %lu on QP %u: %s",
						    (unsigned long)k, q, strerror(-rc));
				posted[q]++;
			}
		}
		n = roce_poll_cq(ctx->cq, CQ_BATCH, wc);
		for (i = 0; i < n; i++) {
			uint64_t upto = wc[i].wr_id + 1, t = perf_now_ns();

			if ((rc = wc_check(ctx, &wc[i])) != 0)
				return rc;
			for (q = 0; q + 1 < nq && wc[i].qp_num != roce_qp_num(ctx->qps[q]); q++)
				;
			all_done += upto - done[q];
			if (c->margin_ms != 0 && t >= t0 + (uint64_t)c->margin_ms * 1000000 &&
			    t + (uint64_t)c->margin_ms * 1000000 <= deadline) {
				if (t_from == 0) {
					t_from = t;
					done_from = all_done;
				}
				t_to = t;
				done_to = all_done;
			}
			/* READ: what arrived must be the server's pattern for that slot
			 * (--verify runs one QP). */
			for (; c->verify && c->verb == PERF_READ && done[q] < upto; done[q]++) {
				rc = verify_at(ctx, local + (done[q] % span) * size, 0,
					       (done[q] % span) * size, size, "read");
				if (rc != 0)
					return rc;
			}
			/* Peak: the fastest cq_mod messages of QP 0 between two
			 * signals, and as many on each other QP meanwhile. */
			if (q == 0 && upto % cq_mod == 0) {
				if (t_sig != 0 && (best == 0 || t - t_sig < best))
					best = t - t_sig;
				t_sig = t;
			}
			done[q] = upto;
			stall = t;
		}
		running = false;
		for (q = 0; q < nq; q++)
			running |= done[q] < limit[q];
		if (perf_now_ns() - stall > (uint64_t)c->stall_ms * 1000000)
			return fail(ctx, -ETIMEDOUT, "no completion for %u ms (%lu of %lu done)%s",
				    c->stall_ms, (unsigned long)all_done,
				    (unsigned long)(deadline != 0 ? all_done : c->iters * nq),
				    stall_hint(ctx));
		poll_idle(ctx, n);
	}
	roce_dev_flush(ctx->dev);	/* an ACK held for an answer: none comes */
	if (t_to > t_from)
		perf_bw_compute(bw, size, done_to - done_from, t_to - t_from, cq_mod * nq, best);
	else
		perf_bw_compute(bw, size, all_done, perf_now_ns() - t0, cq_mod * nq, best);
	bw->iters = all_done / nq;	/* perftest prints the iterations of one QP */
	return 0;
}

int
perf_verify_written(struct perf_ctx *ctx, uint64_t size, uint64_t iters)
{
	const uint8_t *recv = ctx->buf + ctx->half;
	uint64_t span = perf_span(ctx, size), s, last;
	int rc;

	if (size == 0 || iters == 0)
		return 0;
	if (size > ctx->conf.max_size || iters != ctx->conf.iters)
		return fail(ctx, -EINVAL, "verify: the client wrote %lu x %lu bytes; this side was "
			    "started for %lu x %lu (give both sides the same options)",
			    (unsigned long)iters, (unsigned long)size,
			    (unsigned long)ctx->conf.iters, (unsigned long)ctx->conf.max_size);
	for (s = 0; s < span && s < iters; s++) {
		last = s + (iters - 1 - s) / span * span;	/* the last message in slot s */
		rc = verify_msg(ctx, recv + s * size, last, size, "written message");
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* Wait for one completion on the CQ; @p what names it for errors. */
static int
wait_wc(struct perf_ctx *ctx, struct ibv_wc *wc, const char *what)
{
	uint64_t stall = perf_now_ns();
	int n;

	while ((n = roce_poll_cq(ctx->cq, 1, wc)) == 0) {
		if (perf_now_ns() - stall > (uint64_t)ctx->conf.stall_ms * 1000000)
			return fail(ctx, -ETIMEDOUT, "no %s completion for %u ms%s", what,
				    ctx->conf.stall_ms, stall_hint(ctx));
		poll_idle(ctx, 0);
	}
	return wc_check(ctx, wc);
}

static int
post_one(struct perf_ctx *ctx, uint64_t id, uint64_t size)
{
	struct ibv_sge sge = { .addr = (uintptr_t)ctx->buf, .length = (uint32_t)size,
			       .lkey = roce_mr_lkey(ctx->mr) };
	struct ibv_send_wr wr = { .wr_id = id, .sg_list = &sge, .num_sge = 1,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;
	int rc;

	wr_target(ctx, &ctx->rem, &wr, 0);
	rc = roce_post_send(ctx->qp, &wr, &bad);
	return rc != 0 ? fail(ctx, rc, "cannot post WR %lu", (unsigned long)id) : 0;
}

/*
 * ib_write_lat: each side writes @p size bytes into the other's receive
 * half, the last byte a counter, and waits for the other's write by
 * watching its own last byte. The server sends first (write_lat.pcap).
 */
static int
lat_write(struct perf_ctx *ctx, uint64_t size, uint64_t *t_post)
{
	volatile uint8_t *poll_byte = ctx->buf + ctx->half + size - 1;
	uint64_t scnt = 0, rcnt = 0, iters = ctx->conf.iters, stall;
	struct ibv_wc wc;
	int rc;

	while (scnt < iters || rcnt < iters) {
		if (rcnt < iters && !(scnt == 0 && ctx->conf.server)) {
			rcnt++;
			for (stall = perf_now_ns(); *poll_byte != (uint8_t)rcnt;) {
				if (perf_now_ns() - stall > (uint64_t)ctx->conf.stall_ms * 1000000)
					return fail(ctx, -ETIMEDOUT, "no write %lu from the peer "
						    "for %u ms%s", (unsigned long)rcnt,
						    ctx->conf.stall_ms, stall_hint(ctx));
				poll_idle(ctx, 0);
			}
			if (ctx->conf.verify && (rc = verify_msg(ctx, ctx->buf + ctx->half,
								 rcnt - 1, size - 1, "write")) != 0)
				return rc;
		}
		if (scnt < iters) {
			if (ctx->conf.verify)
				pattern_fill(ctx->buf, scnt, size - 1);
			ctx->buf[size - 1] = (uint8_t)(scnt + 1);
			t_post[scnt] = perf_now_ns();
			if ((rc = post_one(ctx, scnt, size)) != 0)
				return rc;
			scnt++;
			/* The source must not change until the WR completes. */
			if ((rc = wait_wc(ctx, &wc, "WRITE")) != 0)
				return rc;
		}
	}
	return 0;
}

/* ib_send_lat: a SEND each way per iteration; the client sends first. */
static int
lat_send(struct perf_ctx *ctx, uint64_t size, uint64_t *t_post)
{
	uint8_t *recv = ctx->buf + ctx->half;
	uint64_t span = perf_span(ctx, size), rx = depth(ctx, size, ctx->conf.rx_depth);
	uint64_t scnt = 0, rcnt = 0, iters = ctx->conf.iters;
	bool send_done = true;
	struct ibv_wc wc;
	int rc;

	rx = RTE_MIN(rx, iters);
	while (scnt < iters || rcnt < iters || !send_done) {
		if (scnt < iters && send_done && (ctx->conf.server ? scnt < rcnt : scnt == rcnt)) {
			if (ctx->conf.verify)
				pattern_fill(ctx->buf, scnt, size);
			t_post[scnt] = perf_now_ns();
			if ((rc = post_one(ctx, scnt, size)) != 0)
				return rc;
			scnt++;
			send_done = false;
		}
		if ((rc = wait_wc(ctx, &wc, "SEND or receive")) != 0)
			return rc;
		if (wc.opcode != IBV_WC_RECV) {
			send_done = true;
			continue;
		}
		if (wc.wr_id != rcnt || wc.byte_len != size)
			return fail(ctx, -EPROTO, "receive %lu (%u bytes) completed, %lu expected",
				    (unsigned long)wc.wr_id, wc.byte_len, (unsigned long)rcnt);
		if (ctx->conf.verify &&
		    (rc = verify_msg(ctx, recv + (rcnt % span) * size, rcnt, size, "message")) != 0)
			return rc;
		if (rcnt + rx < iters) {
			struct ibv_sge sge = { .addr = (uintptr_t)recv + ((rcnt + rx) % span) * size,
					       .length = (uint32_t)size,
					       .lkey = roce_mr_lkey(ctx->mr) };
			struct ibv_recv_wr wr = { .wr_id = rcnt + rx, .sg_list = &sge,
						  .num_sge = 1 }, *bad;

			if (roce_post_recv(ctx->qp, &wr, &bad) != 0)
				return fail(ctx, -ENOMEM, "cannot repost a receive");
		}
		rcnt++;
	}
	return 0;
}

/* ib_read_lat, ib_atomic_lat: the client reads (or does an atomic), one
 * at a time; a full round trip each. */
static int
lat_read(struct perf_ctx *ctx, uint64_t size, uint64_t *t_post)
{
	uint64_t i, iters = ctx->conf.iters;
	struct ibv_wc wc;
	int rc;

	for (i = 0; i < iters; i++) {
		if (ctx->conf.verify)
			memset(ctx->buf, 0, size);
		t_post[i] = perf_now_ns();
		if ((rc = post_one(ctx, i, size)) != 0 ||
		    (rc = wait_wc(ctx, &wc, ctx->conf.verb == PERF_READ ? "READ" : "atomic")) != 0)
			return rc;
		t_post[i] = perf_now_ns() - t_post[i];
		if (ctx->conf.verify && ctx->conf.verb == PERF_READ &&
		    (rc = verify_msg(ctx, ctx->buf, 0, size, "read")) != 0)
			return rc;
	}
	return 0;
}

/*
 * ib_write_lat and ib_send_lat end without a last hand shake, and the
 * peer's last request may still wait for an ACK that was lost: only a poll
 * here answers its retransmission. So the port is served until it has been
 * quiet for LINGER_QUIET_MS (an RNIC answers as long as the QP exists).
 */
#define LINGER_QUIET_MS	20
#define LINGER_MAX_MS	1000

static void
linger(struct perf_ctx *ctx)
{
	uint64_t start = perf_now_ns(), quiet_since = start, now;

	do {
		now = perf_now_ns();
		if (roce_dev_poll(ctx->dev, now) > 0)
			quiet_since = now;
		else
			sched_yield();
	} while (now - quiet_since < LINGER_QUIET_MS * 1000000ull &&
		 now - start < LINGER_MAX_MS * 1000000ull);
}

int
perf_lat_run(struct perf_ctx *ctx, uint64_t size, struct perf_lat *lat)
{
	uint64_t iters = ctx->conf.iters, i, *t;
	int rc;

	t = calloc(iters, sizeof(*t));
	if (t == NULL)
		return fail(ctx, -ENOMEM, "out of memory for %lu samples", (unsigned long)iters);
	switch (ctx->conf.verb) {
	case PERF_WRITE:
		rc = lat_write(ctx, size, t);
		break;
	case PERF_SEND:
		rc = lat_send(ctx, size, t);
		break;
	default:
		rc = lat_read(ctx, size, t);
		break;
	}
	if (rc == 0 && ctx->conf.verb != PERF_READ && ctx->conf.verb != PERF_ATOMIC)
		linger(ctx);
	/* The last request's ACK waits for an answer that will not come. */
	roce_dev_flush(ctx->dev);
	if (rc == 0 && (ctx->conf.verb == PERF_READ || ctx->conf.verb == PERF_ATOMIC)) {
		rc = perf_lat_compute(lat, size, t, iters, 1.0);
	} else if (rc == 0) {
		/* Between consecutive posts lies one round trip: half is the
		 * one-way latency perftest reports. */
		for (i = 0; i + 1 < iters; i++)
			t[i] = t[i + 1] - t[i];
		rc = iters > 1 ? perf_lat_compute(lat, size, t, iters - 1, 0.5) :
				 fail(ctx, -EINVAL, "latency needs --iters 2 or more");
	}
	free(t);
	return rc;
}
