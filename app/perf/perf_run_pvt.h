/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the runner's files share: perf_run.c (the context, its QPs and
 * region, and the pieces every run uses), perf_bw.c and perf_lat.c (the
 * loops). Not for ccm_perf.c, which sees perf_run.h only.
 */
#ifndef PERF_RUN_PVT_H
#define PERF_RUN_PVT_H

#include "perf_run.h"

#define CQ_MOD_MAX	100		/* signal one WR in this many, as perftest */
#define CQ_BATCH	32

/* Records the message in ctx->error; returns @p rc. */
int perf_fail(struct perf_ctx *ctx, int rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Why a run may have stalled, appended to its error message. */
const char *perf_stall_hint(const struct perf_ctx *ctx);
/* Message slots per half for @p size: both sides compute the same. */
uint64_t perf_span(const struct perf_ctx *ctx, uint64_t size);
/* WRs in flight for @p size: @p want, fewer where --verify needs slots. */
uint64_t perf_depth(const struct perf_ctx *ctx, uint64_t size, uint32_t want);
/* One device poll; backs off when nothing happened and @p events is 0. */
void perf_poll_idle(struct perf_ctx *ctx, int events);

void perf_pattern_fill(uint8_t *p, uint64_t i, uint64_t len);
/* Checks @p len bytes of message @p i from byte @p base of its pattern. */
int perf_verify_at(struct perf_ctx *ctx, const uint8_t *p, uint64_t i, uint64_t base,
		   uint64_t len, const char *what);
int perf_verify_msg(struct perf_ctx *ctx, const uint8_t *p, uint64_t i, uint64_t len,
		    const char *what);

/* The WR's opcode, remote address and key, as the verb has them. */
void perf_wr_target(const struct perf_ctx *ctx, const struct perf_dest *rem,
		    struct ibv_send_wr *wr, uint64_t remote_off);
/* 0 for a successful completion, else the reason in ctx->error. */
int perf_wc_check(struct perf_ctx *ctx, const struct ibv_wc *wc);

static inline uint64_t
perf_round_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) / a * a;
}

#endif /* PERF_RUN_PVT_H */
