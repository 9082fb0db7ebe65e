/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm-perf's bandwidth loops, ib_{write,read,send}_bw's on our transport:
 * a window of WRs per QP, one signalled in CQ_MOD_MAX, refilled as their
 * completions come; the SEND server takes and reposts receives.
 */
#include <errno.h>
#include <string.h>

#include <rte_common.h>

#include "perf_run_pvt.h"

/* The SEND server: take @p iters messages, checking and reposting. */
static int
bw_recv(struct perf_ctx *ctx, uint64_t size, struct perf_bw *bw)
{
	uint8_t *recv = ctx->buf + ctx->half;
	uint64_t span = perf_span(ctx, size), iters = ctx->conf.iters;
	uint64_t rx = RTE_MIN(perf_depth(ctx, size, ctx->conf.rx_depth), iters);
	uint64_t got = 0, t0 = 0, t_last = 0, stall = perf_now_ns();
	struct ibv_wc wc[CQ_BATCH];
	int n, i, rc;

	while (got < iters) {
		n = roce_poll_cq(ctx->cq, CQ_BATCH, wc);
		for (i = 0; i < n; i++) {
			uint64_t k = wc[i].wr_id, next = k + rx;

			if ((rc = perf_wc_check(ctx, &wc[i])) != 0)
				return rc;
			if (k != got)
				return perf_fail(ctx, -EPROTO, "receive %lu completed, %lu expected",
					    (unsigned long)k, (unsigned long)got);
			if (wc[i].byte_len != size)
				return perf_fail(ctx, -EPROTO, "message %lu is %u bytes, %lu expected",
					    (unsigned long)k, wc[i].byte_len, (unsigned long)size);
			if (ctx->conf.verify &&
			    (rc = perf_verify_msg(ctx, recv + (k % span) * size, k, size, "message")) != 0)
				return rc;
			if (next < iters) {
				struct ibv_sge sge = { .addr = (uintptr_t)recv + (next % span) * size,
						       .length = (uint32_t)size,
						       .lkey = roce_mr_lkey(ctx->mr) };
				struct ibv_recv_wr wr = { .wr_id = next, .sg_list = &sge,
							  .num_sge = 1 }, *bad;

				if (roce_post_recv(ctx->qp, &wr, &bad) != 0)
					return perf_fail(ctx, -ENOMEM, "cannot repost a receive");
			}
			got++;
			t_last = perf_now_ns();
			if (t0 == 0)
				t0 = t_last;
			stall = t_last;
		}
		if (perf_now_ns() - stall > (uint64_t)ctx->conf.stall_ms * 1000000)
			return perf_fail(ctx, -ETIMEDOUT, "no message for %u ms (%lu of %lu received)%s",
				    ctx->conf.stall_ms, (unsigned long)got, (unsigned long)iters,
				    perf_stall_hint(ctx));
		perf_poll_idle(ctx, n);
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
	uint64_t tx = perf_depth(ctx, size, c->tx_depth);
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
				limit[q] = RTE_MAX(perf_round_up(posted[q], cq_mod), cq_mod);
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
					perf_pattern_fill(local + slot * size, k, size);
				else if (c->verify && c->verb == PERF_READ)
					memset(local + slot * size, 0, size);
				perf_wr_target(ctx, rem, &wr, slot * size);
				/* RC completes in order: one signaled WR in cq_mod
				 * tells of all before it on its QP. */
				if ((k + 1) % cq_mod == 0 || k + 1 == limit[q])
					wr.send_flags = IBV_SEND_SIGNALED;
				rc = roce_post_send(ctx->qps[q], &wr, &bad);
				if (rc == -ENOMEM)
					break;
				if (rc != 0)
					return perf_fail(ctx, rc, "cannot post WR %lu on QP %u: %s",
						    (unsigned long)k, q, strerror(-rc));
				posted[q]++;
			}
		}
		n = roce_poll_cq(ctx->cq, CQ_BATCH, wc);
		for (i = 0; i < n; i++) {
			uint64_t upto = wc[i].wr_id + 1, t = perf_now_ns();

			if ((rc = perf_wc_check(ctx, &wc[i])) != 0)
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
				rc = perf_verify_at(ctx, local + (done[q] % span) * size, 0,
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
			return perf_fail(ctx, -ETIMEDOUT, "no completion for %u ms (%lu of %lu done)%s",
				    c->stall_ms, (unsigned long)all_done,
				    (unsigned long)(deadline != 0 ? all_done : c->iters * nq),
				    perf_stall_hint(ctx));
		perf_poll_idle(ctx, n);
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
		return perf_fail(ctx, -EINVAL, "verify: the client wrote %lu x %lu bytes; this side was "
			    "started for %lu x %lu (give both sides the same options)",
			    (unsigned long)iters, (unsigned long)size,
			    (unsigned long)ctx->conf.iters, (unsigned long)ctx->conf.max_size);
	for (s = 0; s < span && s < iters; s++) {
		last = s + (iters - 1 - s) / span * span;	/* the last message in slot s */
		rc = perf_verify_msg(ctx, recv + s * size, last, size, "written message");
		if (rc != 0)
			return rc;
	}
	return 0;
}
