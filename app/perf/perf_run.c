/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm-perf's runner: the device, region, CQ and QPs of a run, their
 * connection, and what the bandwidth and latency loops share (WR targets,
 * completion checks, the byte pattern of --verify).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "perf_run_pvt.h"
#include "roce_limits.h"
#include "roce_stats.h"

#define VERIFY_SPAN	(16u << 20)	/* bytes per half with --verify */
#define ROCE_OVERHEAD	64		/* IPv4 + UDP + BTH + RETH + ImmDt + ICRC */

int
perf_fail(struct perf_ctx *ctx, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ctx->error, sizeof(ctx->error), fmt, ap);
	va_end(ap);
	return rc;
}

/* Why a run may have stalled, for its error message: no ARP answer means
 * nothing ever reached the peer; RoCE from it before means it stopped. */
const char *
perf_stall_hint(const struct perf_ctx *ctx)
{
	if (roce_stats_get(ctx->dev, "rx_roce") > 0)
		return "; the peer stopped answering mid-run: check that its side still runs";
	/* Frames dropped for want of a neighbour, or the send queue held
	 * until one answers. */
	return roce_stats_get(ctx->dev, "tx_no_neigh") > 0 ||
	       roce_stats_get(ctx->dev, "tx_neigh_hold") > 0 ?
	       "; the peer's address never answered ARP: check both --local-ip and the link" : "";
}

/* Message slots per half for @p size: both sides compute the same. */
uint64_t
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
		return perf_fail(ctx, -rte_errno, "cannot create the RoCE device: %s",
			    rte_strerror(rte_errno));
	rc = roce_dev_add_port(ctx->dev, &pconf);
	if (rc < 0)
		return perf_fail(ctx, rc, "cannot use DPDK port %u: %s", conf->port_id,
			    rte_strerror(-rc));
	ctx->port = (uint8_t)rc;
	ctx->active_mtu = port_active_mtu(conf->port_id);
	if (conf->mtu > ctx->active_mtu)
		return perf_fail(ctx, -EINVAL, "--mtu %u is more than DPDK port %u carries (%u)",
			    roce_mtu_bytes((enum ibv_mtu)conf->mtu), conf->port_id,
			    roce_mtu_bytes((enum ibv_mtu)ctx->active_mtu));
	if (conf->mtu != 0)
		ctx->active_mtu = conf->mtu;
	if (conf->fault_on) {
		rc = roce_dev_set_fault(ctx->dev, ctx->port, ROCE_FAULT_RX, &conf->fault);
		if (rc == 0)
			rc = roce_dev_set_fault(ctx->dev, ctx->port, ROCE_FAULT_TX, &conf->fault);
		if (rc != 0)
			return perf_fail(ctx, rc, "cannot set up fault injection");
	}

	ctx->half = RTE_MAX(conf->max_size, (uint64_t)4096);
	if (conf->verify)
		ctx->half = RTE_MAX(ctx->half, RTE_MIN(conf->iters * conf->max_size,
						       (uint64_t)VERIFY_SPAN));
	ctx->half = perf_round_up(ctx->half, 4096);
	ctx->buf = rte_zmalloc("perf", 2 * ctx->half, 4096);
	ctx->pd = roce_alloc_pd(ctx->dev);
	ctx->num_qps = conf->num_qps == 0 ? 1 : RTE_MIN(conf->num_qps, (unsigned int)PERF_MAX_QPS);
	ctx->cq = roce_create_cq(ctx->dev, conf->tx_depth * ctx->num_qps + conf->rx_depth + CQ_BATCH);
	if (ctx->buf == NULL || ctx->pd == NULL || ctx->cq == NULL)
		return perf_fail(ctx, -ENOMEM, "out of memory for a %lu-byte region (raise EAL -m)",
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
		return perf_fail(ctx, -rte_errno, "cannot create the region or the QP: %s",
			    rte_strerror(rte_errno));
	ctx->qps[0] = ctx->qp;
	init.qp_num = 0;
	for (unsigned int i = 1; i < ctx->num_qps; i++) {
		ctx->qps[i] = roce_create_qp(ctx->pd, &init);
		if (ctx->qps[i] == NULL)
			return perf_fail(ctx, -rte_errno, "cannot create QP %u: %s", i,
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
			return perf_fail(ctx, -EINVAL, "cannot move QP %u to INIT", i);
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
		return perf_fail(ctx, -EINVAL, "the peer's GID is not IPv4-mapped (::ffff:a.b.c.d): "
			    "RoCEv2 over IPv4 needs GID index 1 on a Linux peer (perftest -x 1)");
	if (!ctx->qp_init && perf_ctx_qp_init(ctx) != 0)
		return -EINVAL;
	rc = roce_qp_connect(qp, &conn);
	if (rc != 0)
		return perf_fail(ctx, rc, "cannot move the QP to %s",
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
void
perf_poll_idle(struct perf_ctx *ctx, int events)
{
	uint64_t now = perf_now_ns();

	idle_backoff(&ctx->idle, roce_dev_poll(ctx->dev, now) + events == 0, now);
}

void
perf_pattern_fill(uint8_t *p, uint64_t i, uint64_t len)
{
	uint64_t j;

	for (j = 0; j < len; j++)
		p[j] = perf_pattern(i, j);
}

/*
 * Check @p len bytes of message @p i, which start at byte @p base of the
 * pattern (READs take slices of one pattern laid over the server's half).
 */
int
perf_verify_at(struct perf_ctx *ctx, const uint8_t *p, uint64_t i, uint64_t base, uint64_t len,
	  const char *what)
{
	uint64_t j;

	for (j = 0; j < len; j++)
		if (p[j] != perf_pattern(i, base + j))
			return perf_fail(ctx, -EILSEQ, "verify: %s %lu: byte %lu is 0x%02x, expected "
				    "0x%02x", what, (unsigned long)i, (unsigned long)j, p[j],
				    perf_pattern(i, base + j));
	ctx->verified_bytes += len;
	return 0;
}

int
perf_verify_msg(struct perf_ctx *ctx, const uint8_t *p, uint64_t i, uint64_t len, const char *what)
{
	return perf_verify_at(ctx, p, i, 0, len, what);
}

uint64_t
perf_depth(const struct perf_ctx *ctx, uint64_t size, uint32_t want)
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
		perf_pattern_fill(recv, 0, ctx->half);
	if (ctx->conf.verb == PERF_SEND && (ctx->conf.server || ctx->conf.lat)) {
		rx = RTE_MIN(perf_depth(ctx, size, ctx->conf.rx_depth), ctx->conf.iters);
		for (k = 0; k < rx; k++) {
			struct ibv_sge sge = { .addr = (uintptr_t)recv + (k % span) * size,
					       .length = (uint32_t)size,
					       .lkey = roce_mr_lkey(ctx->mr) };
			struct ibv_recv_wr wr = { .wr_id = k, .sg_list = &sge, .num_sge = 1 }, *bad;

			if (roce_post_recv(ctx->qp, &wr, &bad) != 0)
				return perf_fail(ctx, -ENOMEM, "cannot post receive %lu", (unsigned long)k);
		}
	}
	return 0;
}

/* The WR of message @p i: remote address and key where the verb has them. */
void
perf_wr_target(const struct perf_ctx *ctx, const struct perf_dest *rem, struct ibv_send_wr *wr,
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

int
perf_wc_check(struct perf_ctx *ctx, const struct ibv_wc *wc)
{
	if (wc->status == IBV_WC_SUCCESS)
		return 0;
	return perf_fail(ctx, -EIO, "work request %lu completed with \"%s\" (vendor error %u)%s",
		    (unsigned long)wc->wr_id, ibv_wc_status_str(wc->status), wc->vendor_err,
		    wc->status == IBV_WC_RETRY_EXC_ERR ?
		    "; the peer stopped answering: check that its side still runs" :
		    wc->status == IBV_WC_RNR_RETRY_EXC_ERR ?
		    "; the peer posted no receive in time: give it a larger --rx-depth" :
		    wc->status == IBV_WC_REM_ACCESS_ERR ?
		    "; the peer refused the address or key: give both sides the same size" : "");
}
