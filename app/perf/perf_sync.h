/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * When each side of a perftest run talks out of band: the order of keys
 * hand shakes, the QP connection, the RDMA runs, the bandwidth report and
 * the closing "done", for every test ccm-perf supports and both roles.
 * Taken from perftest 4.5's main() of each test (src/write_bw.c, read_bw.c,
 * send_bw.c, atomic_bw.c, write_lat.c, read_lat.c, send_lat.c,
 * atomic_lat.c; ctx_hand_shake() and ctx_close_connection() in
 * perftest_communication.c) and checked against Linux perftest live
 * (tools/interop.sh). Pure code: tests/test_perf_oob.c.
 *
 * Each hand shake is one keys message each way (the client writes first).
 * The counts differ per test: ib_write_lat makes four before its run and
 * none after (it closes without "done"); ib_read_lat's server makes five
 * and "done" while its client reads between the fourth and the fifth.
 */
#ifndef PERF_SYNC_H
#define PERF_SYNC_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

enum perf_verb { PERF_WRITE, PERF_READ, PERF_SEND, PERF_ATOMIC };

enum perf_step_op {
	PERF_STEP_KEYS,		/* a keys hand shake; arg = the QP whose keys */
	PERF_STEP_CONNECT,	/* every QP to RTS with the peer's first keys */
	PERF_STEP_PREPARE,	/* before a size's run: post receives (SEND) or lay
				 * out what the peer reads; arg = size index */
	PERF_STEP_RUN,		/* this side's RDMA loop for size index arg */
	PERF_STEP_REPORT,	/* the five-field bandwidth report, each way */
	PERF_STEP_DONE,		/* "done\0" each way, then close */
	PERF_STEP_CLOSE,	/* close without a word (ib_write_lat) */
};

struct perf_step {
	enum perf_step_op op;
	uint32_t arg;
};

struct perf_sync_test {
	enum perf_verb verb;
	bool lat;		/* latency test, else bandwidth */
	bool server;
	bool duplex;		/* -b: both sides run (bandwidth tests) */
	unsigned int num_qps;	/* -q */
	unsigned int n_sizes;	/* 1, or 23 with -a */
};

/**
 * The steps of @p t, in order, into @p out (at most @p max).
 * @return the number of steps, -EINVAL for a test perftest does not have
 *   (duplex latency, no QP), -ENOSPC when @p max is too small.
 */
int perf_sync_plan(const struct perf_sync_test *t, struct perf_step *out, size_t max);

/** Whether this side has an RDMA loop of its own in @p t (a WRITE or READ
 *  bandwidth server, a READ or atomic latency server only answer). */
bool perf_sync_runs(const struct perf_sync_test *t);

/** "keys", "connect", ... for messages and tests. */
const char *perf_step_name(enum perf_step_op op);

#endif /* PERF_SYNC_H */
