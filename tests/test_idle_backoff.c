/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * How poll loops wait (app/perf/idle_backoff.c): spin right after work,
 * yield once idle past IDLE_SPIN_NS, nap past IDLE_YIELD_NS, and start
 * over at the first work. Pure: time is passed in.
 */
#include <check.h>
#include <stdlib.h>

#include "idle_backoff.h"

START_TEST(spins_then_yields_then_naps)
{
	struct idle_backoff b = { 0 };
	uint64_t t = 5000000;

	ck_assert_int_eq(idle_backoff_next(&b, false, t), IDLE_RUN);
	ck_assert_int_eq(idle_backoff_next(&b, true, t), IDLE_SPIN);
	ck_assert_int_eq(idle_backoff_next(&b, true, t + IDLE_SPIN_NS - 1), IDLE_SPIN);
	ck_assert_int_eq(idle_backoff_next(&b, true, t + IDLE_SPIN_NS), IDLE_YIELD);
	ck_assert_int_eq(idle_backoff_next(&b, true, t + IDLE_YIELD_NS - 1), IDLE_YIELD);
	ck_assert_int_eq(idle_backoff_next(&b, true, t + IDLE_YIELD_NS), IDLE_NAP);
	ck_assert_int_eq(idle_backoff_next(&b, true, t + 10 * IDLE_YIELD_NS), IDLE_NAP);
}
END_TEST

/* Work ends the idle period: the next empty poll spins again. */
START_TEST(work_starts_over)
{
	struct idle_backoff b = { 0 };
	uint64_t t = 1000;

	idle_backoff_next(&b, true, t);
	ck_assert_int_eq(idle_backoff_next(&b, true, t + IDLE_YIELD_NS), IDLE_NAP);
	ck_assert_int_eq(idle_backoff_next(&b, false, t + IDLE_YIELD_NS + 1), IDLE_RUN);
	ck_assert_int_eq(idle_backoff_next(&b, true, t + IDLE_YIELD_NS + 2), IDLE_SPIN);
	ck_assert_int_eq(idle_backoff_next(&b, true, t + IDLE_YIELD_NS + 2 + IDLE_SPIN_NS),
			 IDLE_YIELD);
}
END_TEST

/* A clock that reads 0 (a test's) still counts the idle time from there. */
START_TEST(idle_from_time_zero)
{
	struct idle_backoff b = { 0 };

	ck_assert_int_eq(idle_backoff_next(&b, true, 0), IDLE_SPIN);
	ck_assert_int_eq(idle_backoff_next(&b, true, IDLE_SPIN_NS + 1), IDLE_YIELD);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("idle_backoff");
	TCase *tc = tcase_create("policy");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, spins_then_yields_then_naps);
	tcase_add_test(tc, work_starts_over);
	tcase_add_test(tc, idle_from_time_zero);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
