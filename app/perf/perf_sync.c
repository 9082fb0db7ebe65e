/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>

#include "perf_sync.h"

struct plan {
	struct perf_step *out;
	size_t max, n;
	bool overflow;
};

static void
add(struct plan *p, enum perf_step_op op, uint32_t arg)
{
	if (p->n >= p->max) {
		p->overflow = true;
		return;
	}
	p->out[p->n++] = (struct perf_step){ .op = op, .arg = arg };
}

static void
keys_per_qp(struct plan *p, unsigned int num_qps)
{
	unsigned int i;

	for (i = 0; i < num_qps; i++)
		add(p, PERF_STEP_KEYS, i);
}

bool
perf_sync_runs(const struct perf_sync_test *t)
{
	if (!t->server || t->duplex)
		return true;
	/* Servers of one-sided tests only answer; SEND servers receive, and
	 * both sides of ib_write_lat and ib_send_lat write or send. */
	if (t->lat)
		return t->verb == PERF_WRITE || t->verb == PERF_SEND;
	return t->verb == PERF_SEND;
}

/* ib_write_bw, ib_read_bw, ib_atomic_bw: write_bw.c main(). */
static void
plan_rdma_bw(struct plan *p, const struct perf_sync_test *t)
{
	unsigned int s;

	keys_per_qp(p, t->num_qps);
	add(p, PERF_STEP_CONNECT, 0);
	if (t->server && !t->duplex)
		add(p, PERF_STEP_PREPARE, 0);	/* what a READ client finds */
	keys_per_qp(p, t->num_qps);		/* "remote address" print */
	add(p, PERF_STEP_KEYS, 0);		/* after moving the QPs to RTR */
	if (t->server && !t->duplex) {
		/* "server just waits for client to exit" */
		add(p, PERF_STEP_KEYS, 0);
		add(p, PERF_STEP_REPORT, 0);
		add(p, PERF_STEP_KEYS, 0);
		add(p, PERF_STEP_DONE, 0);
		return;
	}
	for (s = 0; s < t->n_sizes; s++) {
		if (t->duplex) {
			add(p, PERF_STEP_PREPARE, s);	/* both sides are read */
			add(p, PERF_STEP_KEYS, 0);	/* sync between sizes */
		}
		add(p, PERF_STEP_RUN, s);
		/* -a -b: one more sync after each size (perftest >= 4.6, its own
		 * version; ib_atomic_bw runs one size only). */
		if (t->duplex && t->n_sizes > 1 && t->verb != PERF_ATOMIC)
			add(p, PERF_STEP_KEYS, 0);
		if (t->duplex)
			add(p, PERF_STEP_REPORT, s);
	}
	if (!t->duplex) {
		add(p, PERF_STEP_KEYS, 0);
		add(p, PERF_STEP_REPORT, 0);
	}
	add(p, PERF_STEP_KEYS, 0);		/* ctx_close_connection() */
	add(p, PERF_STEP_DONE, 0);
}

/* ib_send_bw: send_bw.c main(). */
static void
plan_send_bw(struct plan *p, const struct perf_sync_test *t)
{
	unsigned int s;

	keys_per_qp(p, t->num_qps);
	add(p, PERF_STEP_CONNECT, 0);
	add(p, PERF_STEP_KEYS, 0);
	keys_per_qp(p, t->num_qps);
	for (s = 0; s < t->n_sizes; s++) {
		add(p, PERF_STEP_PREPARE, s);	/* receives before the client sends */
		add(p, PERF_STEP_KEYS, 0);
		add(p, PERF_STEP_RUN, s);
		if (t->duplex)
			add(p, PERF_STEP_REPORT, s);
		if (t->n_sizes > 1)
			add(p, PERF_STEP_KEYS, 0);	/* RUN_ALL: after each size */
	}
	add(p, PERF_STEP_KEYS, 0);
	add(p, PERF_STEP_DONE, 0);
}

/* ib_write_lat (write_lat.c), ib_read_lat (read_lat.c), ib_atomic_lat
 * (atomic_lat.c): one hand shake more before the per-QP ones. */
static void
plan_rdma_lat(struct plan *p, const struct perf_sync_test *t)
{
	unsigned int s;
	bool one_sided = t->verb != PERF_WRITE;

	add(p, PERF_STEP_KEYS, 0);
	keys_per_qp(p, t->num_qps);
	add(p, PERF_STEP_CONNECT, 0);
	if (one_sided && t->server)
		add(p, PERF_STEP_PREPARE, 0);
	keys_per_qp(p, t->num_qps);
	add(p, PERF_STEP_KEYS, 0);		/* after moving the QPs to RTR */
	if (one_sided && t->server) {
		/* "Only Client post read request": the server closes at once,
		 * and the client's reads happen before that hand shake. */
		add(p, PERF_STEP_KEYS, 0);
		add(p, PERF_STEP_DONE, 0);
		return;
	}
	for (s = 0; s < t->n_sizes; s++)
		add(p, PERF_STEP_RUN, s);
	if (!one_sided) {
		/* ib_write_lat ends without ctx_close_connection(). */
		add(p, PERF_STEP_CLOSE, 0);
		return;
	}
	add(p, PERF_STEP_KEYS, 0);
	add(p, PERF_STEP_DONE, 0);
}

/* ib_send_lat: send_lat.c main(). */
static void
plan_send_lat(struct plan *p, const struct perf_sync_test *t)
{
	unsigned int s;

	keys_per_qp(p, t->num_qps);
	add(p, PERF_STEP_CONNECT, 0);
	add(p, PERF_STEP_KEYS, 0);
	keys_per_qp(p, t->num_qps);
	for (s = 0; s < t->n_sizes; s++) {
		add(p, PERF_STEP_PREPARE, s);	/* receives for this size */
		add(p, PERF_STEP_KEYS, 0);	/* before anyone sends */
		add(p, PERF_STEP_RUN, s);
	}
	add(p, PERF_STEP_KEYS, 0);
	add(p, PERF_STEP_DONE, 0);
}

int
perf_sync_plan(const struct perf_sync_test *t, struct perf_step *out, size_t max)
{
	struct plan p = { .out = out, .max = max };

	if (t->num_qps == 0 || t->n_sizes == 0 || (t->lat && t->duplex))
		return -EINVAL;
	if (t->lat && t->verb == PERF_SEND)
		plan_send_lat(&p, t);
	else if (t->lat)
		plan_rdma_lat(&p, t);
	else if (t->verb == PERF_SEND)
		plan_send_bw(&p, t);
	else
		plan_rdma_bw(&p, t);
	return p.overflow ? -ENOSPC : (int)p.n;
}

const char *
perf_step_name(enum perf_step_op op)
{
	static const char *const name[] = {
		[PERF_STEP_KEYS] = "keys", [PERF_STEP_CONNECT] = "connect",
		[PERF_STEP_PREPARE] = "prepare", [PERF_STEP_RUN] = "run",
		[PERF_STEP_REPORT] = "report", [PERF_STEP_DONE] = "done",
		[PERF_STEP_CLOSE] = "close",
	};
	return (unsigned int)op < sizeof(name) / sizeof(name[0]) ? name[op] : "?";
}
