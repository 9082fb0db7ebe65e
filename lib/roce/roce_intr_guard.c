/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bursts on a port whose driver tears its connection down on EAL's
 * interrupt thread, kept apart from that thread's callbacks.
 *
 * DPDK 22.11's net_memif handles a partner's disconnect (its socket
 * closes when the partner process dies) on the interrupt thread:
 * memif_disconnect() clears the port's CONNECTED flag, then munmap()s the
 * shared regions. An lcore already inside rte_eth_tx_burst() or
 * rte_eth_rx_burst() on that port passed the flag check and goes on
 * copying into the regions: SIGSEGV (seen as the survivor of
 * tests/ha_sigkill_test.sh dying with its partner, about 1 run in 250;
 * the core shows memif's tx copy storing to an unmapped page). Nothing in
 * the driver serialises the two.
 *
 * EAL's interrupt thread calls epoll_wait() before every round of
 * callbacks. This file defines epoll_wait() (the executable's definition
 * is the one librte_eal binds to) around libc's: when it returns events on
 * the interrupt thread, it marks a round as running and waits until no
 * guarded burst is in progress; the next call, made once the callbacks are
 * done, clears the mark. A guarded burst announces itself first and is
 * skipped while a round runs (the frames wait for the next poll). The
 * two sides use sequentially consistent atomics (Dekker): at least one
 * sees the other, so a disconnect never overlaps a burst, and a burst that
 * follows one sees the flag it cleared.
 *
 * Process-wide state, by nature: EAL has one interrupt thread per process.
 */
#include <dlfcn.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>

#include <rte_eal.h>
#include <rte_interrupts.h>
#include <rte_pause.h>

#include "roce_intr_guard.h"

static uint32_t bursting;	/* guarded bursts in progress, on any lcore */
static uint32_t round_running;	/* the interrupt thread runs callbacks */
static uint64_t rounds;		/* rounds of callbacks so far (diagnostics) */

bool
roce_intr_guard_enter(void)
{
	__atomic_add_fetch(&bursting, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&round_running, __ATOMIC_SEQ_CST) == 0)
		return true;
	__atomic_sub_fetch(&bursting, 1, __ATOMIC_RELEASE);
	return false;
}

void
roce_intr_guard_enter_wait(void)
{
	while (!roce_intr_guard_enter())
		sched_yield();
}

void
roce_intr_guard_exit(void)
{
	__atomic_sub_fetch(&bursting, 1, __ATOMIC_RELEASE);
}

uint64_t
roce_intr_guard_rounds(void)
{
	return __atomic_load_n(&rounds, __ATOMIC_RELAXED);
}

int
epoll_wait(int epfd, struct epoll_event *events, int maxevents, int timeout)
{
	static int (*real)(int, struct epoll_event *, int, int);
	bool intr = rte_thread_is_intr();
	int n;

	/* The callbacks of the round before, if any, are done. */
	if (intr)
		__atomic_store_n(&round_running, 0, __ATOMIC_RELEASE);
	if (real == NULL)
		real = (int (*)(int, struct epoll_event *, int, int))dlsym(RTLD_NEXT,
									    "epoll_wait");
	n = real(epfd, events, maxevents, timeout);
	if (n > 0 && intr) {
		__atomic_store_n(&round_running, 1, __ATOMIC_SEQ_CST);
		__atomic_add_fetch(&rounds, 1, __ATOMIC_RELAXED);
		while (__atomic_load_n(&bursting, __ATOMIC_SEQ_CST) != 0)
			rte_pause();
	}
	return n;
}
