/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The interrupt guard (roce_intr_guard.c) under a real EAL: guarded
 * "bursts" on a worker lcore, on the main lcore and on a thread EAL does
 * not know (the shared counter's path) while EAL's interrupt thread runs
 * round after round of callbacks (alarms, each setting the next). A callback must never
 * find a burst in progress, and every burst must end (the interrupt
 * thread waits for it; a burst that never ended would hang the test).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

#include <check.h>
#include <rte_alarm.h>
#include <rte_eal.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_pause.h>

#include "roce_intr_guard.h"
#include "test_eal.h"

#define ROUNDS 2000

static uint32_t in_burst;	/* bursts inside their guarded section now */
static uint32_t stop;
static uint64_t violations;	/* callbacks that found a burst in progress */
static uint64_t callbacks;

struct burster {
	uint64_t bursts;	/* guarded sections entered */
	uint64_t held_off;	/* refused while a round ran */
};

static void
on_alarm(void *arg __rte_unused)
{
	if (__atomic_load_n(&in_burst, __ATOMIC_SEQ_CST) != 0)
		__atomic_add_fetch(&violations, 1, __ATOMIC_RELAXED);
	if (__atomic_add_fetch(&callbacks, 1, __ATOMIC_RELEASE) < ROUNDS)
		rte_eal_alarm_set(5, on_alarm, NULL);
}

/* One guarded section, long enough for a round to land inside it. */
static void
burst_once(struct burster *b)
{
	unsigned int i;

	if (!roce_intr_guard_enter()) {
		b->held_off++;
		return;
	}
	__atomic_add_fetch(&in_burst, 1, __ATOMIC_SEQ_CST);
	for (i = 0; i < 64; i++)
		rte_pause();
	__atomic_sub_fetch(&in_burst, 1, __ATOMIC_SEQ_CST);
	roce_intr_guard_exit();
	b->bursts++;
}

static int
burst_loop(void *arg)
{
	struct burster *b = arg;

	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE))
		burst_once(b);
	return 0;
}

static void *
burst_thread(void *arg)
{
	burst_loop(arg);
	return NULL;
}

START_TEST(callbacks_never_overlap_bursts)
{
	struct burster worker = { 0 }, main_lcore = { 0 }, foreign = { 0 };
	unsigned int lcore = rte_get_next_lcore(-1, 1, 0);
	pthread_t thread;

	ck_assert_msg(lcore < RTE_MAX_LCORE, "a worker lcore (run with two or more CPUs)");
	ck_assert_int_eq(rte_eal_remote_launch(burst_loop, &worker, lcore), 0);
	ck_assert_int_eq(pthread_create(&thread, NULL, burst_thread, &foreign), 0);
	ck_assert_int_eq(rte_eal_alarm_set(5, on_alarm, NULL), 0);
	while (__atomic_load_n(&callbacks, __ATOMIC_ACQUIRE) < ROUNDS)
		burst_once(&main_lcore);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	ck_assert_int_eq(rte_eal_wait_lcore(lcore), 0);
	ck_assert_int_eq(pthread_join(thread, NULL), 0);

	printf("%u rounds; bursts: worker %lu (%lu held off), main %lu (%lu), "
	       "non-EAL thread %lu (%lu)\n", ROUNDS, (unsigned long)worker.bursts,
	       (unsigned long)worker.held_off, (unsigned long)main_lcore.bursts,
	       (unsigned long)main_lcore.held_off, (unsigned long)foreign.bursts,
	       (unsigned long)foreign.held_off);
	/* The wrapper saw the rounds: one per alarm, but an alarm already due
	 * when the one before returns runs in the same round. */
	ck_assert_uint_ge(roce_intr_guard_rounds(), ROUNDS / 2);
	ck_assert_uint_gt(worker.bursts, 0);
	ck_assert_uint_gt(foreign.bursts, 0);
	ck_assert_msg(violations == 0, "%lu callbacks ran inside a burst",
		      (unsigned long)violations);
}
END_TEST

int
main(int argc, char **argv)
{
	Suite *s = suite_create("intr_guard");
	TCase *tc = tcase_create("rounds");
	int failed;

	(void)argc;
	if (test_eal_init(argv[0], "intr-guard", 64) != 0)
		return 1;
	tcase_add_test(tc, callbacks_never_overlap_bursts);
	suite_add_tcase(s, tc);
	failed = test_run_nofork(s);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
