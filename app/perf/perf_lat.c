/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm-perf's latency loops, ib_{write,send,read}_lat's on our transport:
 * one message in flight, the time of every post kept.
 */
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "perf_run_pvt.h"

/* Wait for one completion on the CQ; @p what names it for errors. */
static int
wait_wc(struct perf_ctx *ctx, struct ibv_wc *wc, const char *what)
{
	uint64_t stall = perf_now_ns();
	int n;

	while ((n = roce_poll_cq(ctx->cq, 1, wc)) == 0) {
		if (perf_now_ns() - stall > (uint64_t)ctx->conf.stall_ms * 1000000)
			return perf_fail(ctx, -ETIMEDOUT, "no %s completion for %u ms%s", what,
				    ctx->conf.stall_ms, perf_stall_hint(ctx));
		perf_poll_idle(ctx, 0);
	}
	return perf_wc_check(ctx, wc);
}

static int
post_one(struct perf_ctx *ctx, uint64_t id, uint64_t size)
{
	struct ibv_sge sge = { .addr = (uintptr_t)ctx->buf, .length = (uint32_t)size,
			       .lkey = roce_mr_lkey(ctx->mr) };
	struct ibv_send_wr wr = { .wr_id = id, .sg_list = &sge, .num_sge = 1,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;
	int rc;

	perf_wr_target(ctx, &ctx->rem, &wr, 0);
	rc = roce_post_send(ctx->qp, &wr, &bad);
	return rc != 0 ? perf_fail(ctx, rc, "cannot post WR %lu", (unsigned long)id) : 0;
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
					return perf_fail(ctx, -ETIMEDOUT, "no write %lu from the peer "
						    "for %u ms%s", (unsigned long)rcnt,
						    ctx->conf.stall_ms, perf_stall_hint(ctx));
				perf_poll_idle(ctx, 0);
			}
			if (ctx->conf.verify && (rc = perf_verify_msg(ctx, ctx->buf + ctx->half,
								 rcnt - 1, size - 1, "write")) != 0)
				return rc;
		}
		if (scnt < iters) {
			if (ctx->conf.verify)
				perf_pattern_fill(ctx->buf, scnt, size - 1);
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
	uint64_t span = perf_span(ctx, size), rx = perf_depth(ctx, size, ctx->conf.rx_depth);
	uint64_t scnt = 0, rcnt = 0, iters = ctx->conf.iters;
	bool send_done = true;
	struct ibv_wc wc;
	int rc;

	rx = RTE_MIN(rx, iters);
	while (scnt < iters || rcnt < iters || !send_done) {
		if (scnt < iters && send_done && (ctx->conf.server ? scnt < rcnt : scnt == rcnt)) {
			if (ctx->conf.verify)
				perf_pattern_fill(ctx->buf, scnt, size);
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
			return perf_fail(ctx, -EPROTO, "receive %lu (%u bytes) completed, %lu expected",
				    (unsigned long)wc.wr_id, wc.byte_len, (unsigned long)rcnt);
		if (ctx->conf.verify &&
		    (rc = perf_verify_msg(ctx, recv + (rcnt % span) * size, rcnt, size, "message")) != 0)
			return rc;
		if (rcnt + rx < iters) {
			struct ibv_sge sge = { .addr = (uintptr_t)recv + ((rcnt + rx) % span) * size,
					       .length = (uint32_t)size,
					       .lkey = roce_mr_lkey(ctx->mr) };
			struct ibv_recv_wr wr = { .wr_id = rcnt + rx, .sg_list = &sge,
						  .num_sge = 1 }, *bad;

			if (roce_post_recv(ctx->qp, &wr, &bad) != 0)
				return perf_fail(ctx, -ENOMEM, "cannot repost a receive");
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
		    (rc = perf_verify_msg(ctx, ctx->buf, 0, size, "read")) != 0)
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
		return perf_fail(ctx, -ENOMEM, "out of memory for %lu samples", (unsigned long)iters);
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
				 perf_fail(ctx, -EINVAL, "latency needs --iters 2 or more");
	}
	free(t);
	return rc;
}
