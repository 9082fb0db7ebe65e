/* SPDX-License-Identifier: BSD-3-Clause */
/* Spin, yield, nap (idle_backoff.h). */
#include <sched.h>
#include <time.h>

#include "idle_backoff.h"

enum idle_action
idle_backoff_next(struct idle_backoff *b, bool idle, uint64_t now_ns)
{
	uint64_t idle_ns;

	if (!idle) {
		b->idle = false;
		return IDLE_RUN;
	}
	if (!b->idle) {
		b->idle = true;
		b->idle_since_ns = now_ns;
	}
	idle_ns = now_ns - b->idle_since_ns;
	if (idle_ns < IDLE_SPIN_NS)
		return IDLE_SPIN;
	return idle_ns < IDLE_YIELD_NS ? IDLE_YIELD : IDLE_NAP;
}

static inline void
cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

void
idle_backoff(struct idle_backoff *b, bool idle, uint64_t now_ns)
{
	struct timespec nap = { .tv_nsec = IDLE_NAP_NS };

	switch (idle_backoff_next(b, idle, now_ns)) {
	case IDLE_RUN:
		break;
	case IDLE_SPIN:
		cpu_relax();
		break;
	case IDLE_YIELD:
		sched_yield();
		break;
	case IDLE_NAP:
		nanosleep(&nap, NULL);
		break;
	}
}
