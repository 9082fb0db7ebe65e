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
 * skipped while a round runs (the frames wait for the next poll). The two
 * sides are a Dekker pair: at least one sees the other, so a disconnect
 * never overlaps a burst, and a burst that follows one sees the flag it
 * cleared.
 *
 * The fence is asymmetric where the kernel allows (membarrier(2), private
 * expedited): a burst on an EAL lcore announces itself in a slot of its
 * own with plain stores, and the rare round pays for the full barrier on
 * every thread. Sequentially consistent atomics on one shared counter put
 * a locked instruction after each burst, which waited for the burst's
 * stores into memif's shared rings: about 0.1 us of an 8-byte WRITE's half
 * round trip, 4 % of a memif sender (docs/perf.md run F). Other threads,
 * and kernels without membarrier, use the shared counter.
 *
 * Process-wide state, by nature: EAL has one interrupt thread per process.
 */
#include <dlfcn.h>
#include <errno.h>
#include <linux/membarrier.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_debug.h>
#include <rte_eal.h>
#include <rte_interrupts.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "roce_intr_guard.h"

static uint32_t bursting;	/* guarded bursts in progress, shared path */
static uint32_t round_running;	/* the interrupt thread runs callbacks */
static uint64_t rounds;		/* rounds of callbacks so far (diagnostics) */
static bool asymmetric;		/* membarrier registered: lcores use their slot */

/* Guarded bursts in progress on one lcore, written by that lcore only. */
static struct {
	uint32_t n;
} __rte_cache_aligned lcore_bursting[RTE_MAX_LCORE];

static void __attribute__((constructor))
intr_guard_probe(void)
{
	long cmds = syscall(__NR_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);

	asymmetric = cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
		     syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0) == 0;
}

bool
roce_intr_guard_enter(void)
{
	unsigned int id = rte_lcore_id();

	if (asymmetric && id < RTE_MAX_LCORE) {
		uint32_t n = lcore_bursting[id].n;

		__atomic_store_n(&lcore_bursting[id].n, n + 1, __ATOMIC_RELAXED);
		/* The interrupt thread's membarrier() orders this pair. */
		__atomic_signal_fence(__ATOMIC_SEQ_CST);
		if (__atomic_load_n(&round_running, __ATOMIC_RELAXED) == 0)
			return true;
		__atomic_store_n(&lcore_bursting[id].n, n, __ATOMIC_RELEASE);
		return false;
	}
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
	unsigned int id = rte_lcore_id();

	if (asymmetric && id < RTE_MAX_LCORE)
		__atomic_store_n(&lcore_bursting[id].n, lcore_bursting[id].n - 1,
				 __ATOMIC_RELEASE);
	else
		__atomic_sub_fetch(&bursting, 1, __ATOMIC_RELEASE);
}

uint64_t
roce_intr_guard_rounds(void)
{
	return __atomic_load_n(&rounds, __ATOMIC_RELAXED);
}

/* Any guarded burst in progress, on any thread? */
static bool
bursts_in_progress(void)
{
	unsigned int i;

	if (__atomic_load_n(&bursting, __ATOMIC_SEQ_CST) != 0)
		return true;
	for (i = 0; asymmetric && i < RTE_MAX_LCORE; i++)
		if (__atomic_load_n(&lcore_bursting[i].n, __ATOMIC_ACQUIRE) != 0)
			return true;
	return false;
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
		/* A full barrier on every thread of the process: each lcore's
		 * slot store is seen now, or its next load sees the mark. */
		if (asymmetric && syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED,
					  0, 0) != 0)
			rte_panic("membarrier: %s\n", strerror(errno));
		__atomic_add_fetch(&rounds, 1, __ATOMIC_RELAXED);
		while (bursts_in_progress())
			rte_pause();
	}
	return n;
}
