/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How a poll loop that shares its core waits for work: spin while an
 * answer is likely within a round trip, then yield, then nap.
 *
 * A system call costs about a microsecond on the guests we run on (the
 * syscall entry of a paravirtualized kernel), as long as a round trip over
 * memif: a loop that yields at its first empty poll finds its ACK a
 * syscall late, every time. Spinning first costs a core for SPIN_NS after
 * each burst of work, no more; a loop idle for longer gives the core away
 * as before. The whole busy phase stays short (IDLE_YIELD_NS): a node with
 * nothing to do but its keepalives, every 250 us to 1 ms, must still nap
 * most of the time (yielding to nobody costs a core as much as spinning).
 * ccm's lcores, ccm-perf and the raw ping-pong baseline (bench_pingpong)
 * all wait this way, so the baseline is like for like.
 */
#ifndef IDLE_BACKOFF_H
#define IDLE_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define IDLE_SPIN_NS	20000ull	/* spin this long after the last work */
#define IDLE_YIELD_NS	100000ull	/* then yield up to this long */
#define IDLE_NAP_NS	50000ull	/* then nap this long per empty poll */

enum idle_action {
	IDLE_RUN,	/* there was work: go on at once */
	IDLE_SPIN,	/* pause the CPU briefly and poll again */
	IDLE_YIELD,	/* sched_yield() */
	IDLE_NAP,	/* sleep IDLE_NAP_NS */
};

struct idle_backoff {
	bool idle;		/* the last poll found nothing, */
	uint64_t idle_since_ns;	/* nor any poll since this time */
};

/** The decision alone, pure: the last poll found work or not (@p idle). */
enum idle_action idle_backoff_next(struct idle_backoff *b, bool idle, uint64_t now_ns);

/** Decide, and do it. */
void idle_backoff(struct idle_backoff *b, bool idle, uint64_t now_ns);

#endif /* IDLE_BACKOFF_H */
