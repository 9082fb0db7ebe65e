/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perftest's out-of-band order (app/perf/perf_sync.c) for every test and
 * role, against what perftest 4.5's main() of each test does. Each plan is
 * written as letters: K keys hand shake, C connect, p prepare, R run,
 * P report, D "done", X close without a word. The byte counts of the
 * recorded conversations (captures' README: ib_write_bw 611 bytes each
 * way, ib_send_bw 571, ib_write_lat 458) follow from these. No EAL.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "perf_oob.h"
#include "perf_sync.h"

#define MAX_STEPS 256

static const char *
plan_str(enum perf_verb verb, bool lat, bool server, bool duplex, unsigned int qps,
	 unsigned int sizes)
{
	static char buf[2 * MAX_STEPS + 1];
	static const char letter[] = { [PERF_STEP_KEYS] = 'K', [PERF_STEP_CONNECT] = 'C',
				       [PERF_STEP_PREPARE] = 'p', [PERF_STEP_RUN] = 'R',
				       [PERF_STEP_REPORT] = 'P', [PERF_STEP_DONE] = 'D',
				       [PERF_STEP_CLOSE] = 'X' };
	struct perf_sync_test t = { .verb = verb, .lat = lat, .server = server, .duplex = duplex,
				    .num_qps = qps, .n_sizes = sizes };
	struct perf_step s[MAX_STEPS];
	int n, i;

	n = perf_sync_plan(&t, s, MAX_STEPS);
	if (n < 0) {
		snprintf(buf, sizeof(buf), "error %d", n);
		return buf;
	}
	for (i = 0; i < n; i++) {
		buf[2 * i] = letter[s[i].op];
		buf[2 * i + 1] = i + 1 < n ? ' ' : '\0';
	}
	if (n == 0)
		buf[0] = '\0';
	return buf;
}

/* "R" repeated: every size of -a. */
static const char *
repeat(const char *head, const char *each, unsigned int times, const char *tail)
{
	static char buf[2 * MAX_STEPS + 1];
	unsigned int i;

	snprintf(buf, sizeof(buf), "%s", head);
	for (i = 0; i < times; i++)
		strncat(buf, each, sizeof(buf) - strlen(buf) - 1);
	strncat(buf, tail, sizeof(buf) - strlen(buf) - 1);
	return buf;
}

#define EXPECT_PLAN(want, ...)                                                              \
	do {                                                                                 \
		const char *got_ = plan_str(__VA_ARGS__);                                   \
		ck_assert_msg(strcmp(got_, want) == 0, "%s: expected \"%s\", got \"%s\"",   \
			      #__VA_ARGS__, want, got_);                                     \
	} while (0)

/* write_bw.c, read_bw.c, atomic_bw.c: per-QP keys, connect, per-QP keys,
 * one after RTR; the client runs, then keys, report, and the closing keys
 * and "done"; the server waits through the same. Five keys: 611 bytes. */
START_TEST(bandwidth_one_sided)
{
	enum perf_verb v[] = { PERF_WRITE, PERF_READ, PERF_ATOMIC };
	unsigned int i;

	for (i = 0; i < 3; i++) {
		EXPECT_PLAN("K C K K R K P K D", v[i], false, false, false, 1, 1);
		EXPECT_PLAN("K C p K K K P K D", v[i], false, true, false, 1, 1);
		/* -q 2: one keys message per QP in each per-QP round. */
		EXPECT_PLAN("K K C K K K R K P K D", v[i], false, false, false, 2, 1);
	}
	/* -a: the client runs every size between the same syncs. */
	EXPECT_PLAN(repeat("K C K K ", "R ", 23, "K P K D"), PERF_WRITE, false, false, false, 1,
		    23);
	EXPECT_PLAN("K C p K K K P K D", PERF_WRITE, false, true, false, 1, 23);
	/* -b: both run, with a sync before and the reports after each size. */
	EXPECT_PLAN("K C K K p K R P K D", PERF_WRITE, false, false, true, 1, 1);
	EXPECT_PLAN("K C K K p K R P K D", PERF_WRITE, false, true, true, 1, 1);
	EXPECT_PLAN(repeat("K C K K ", "p K R K P ", 23, "K D"), PERF_READ, false, true, true, 1,
		    23);
}
END_TEST

/* send_bw.c: one keys after connect, then per QP; per size: receives,
 * keys, run (and a keys after each size with -a); closing keys, "done".
 * Five keys: 571 bytes. */
START_TEST(bandwidth_send)
{
	EXPECT_PLAN("K C K K p K R K D", PERF_SEND, false, false, false, 1, 1);
	EXPECT_PLAN("K C K K p K R K D", PERF_SEND, false, true, false, 1, 1);
	EXPECT_PLAN(repeat("K C K K ", "p K R K ", 23, "K D"), PERF_SEND, false, true, false, 1,
		    23);
	EXPECT_PLAN("K C K K p K R P K D", PERF_SEND, false, false, true, 1, 1);
}
END_TEST

/* write_lat.c: four hand shakes before the run (the live failure: ours
 * made the fourth after it), no closing hand shake, no "done": 458 bytes. */
START_TEST(latency_write)
{
	EXPECT_PLAN("K K C K K R X", PERF_WRITE, true, false, false, 1, 1);
	EXPECT_PLAN("K K C K K R X", PERF_WRITE, true, true, false, 1, 1);
	EXPECT_PLAN(repeat("K K C K K ", "R ", 23, "X"), PERF_WRITE, true, false, false, 1, 23);
	EXPECT_PLAN("K K K C K K K R X", PERF_WRITE, true, false, false, 2, 1);
}
END_TEST

/* read_lat.c, atomic_lat.c: the client reads after the fourth hand shake
 * and closes with a fifth and "done"; the server makes both at once (the
 * live failures: ours skipped the fifth and "done" in both roles). */
START_TEST(latency_read_atomic)
{
	EXPECT_PLAN("K K C K K R K D", PERF_READ, true, false, false, 1, 1);
	EXPECT_PLAN("K K C p K K K D", PERF_READ, true, true, false, 1, 1);
	EXPECT_PLAN("K K C K K R K D", PERF_ATOMIC, true, false, false, 1, 1);
	EXPECT_PLAN("K K C p K K K D", PERF_ATOMIC, true, true, false, 1, 1);
	EXPECT_PLAN(repeat("K K C K K ", "R ", 23, "K D"), PERF_READ, true, false, false, 1, 23);
}
END_TEST

/* send_lat.c: receives and a hand shake before each size, both sides. */
START_TEST(latency_send)
{
	EXPECT_PLAN("K C K K p K R K D", PERF_SEND, true, false, false, 1, 1);
	EXPECT_PLAN("K C K K p K R K D", PERF_SEND, true, true, false, 1, 1);
	EXPECT_PLAN(repeat("K C K K ", "p K R ", 23, "K D"), PERF_SEND, true, true, false, 1, 23);
}
END_TEST

/* Whatever the test, both roles make the same hand shakes and reports and
 * both or neither say "done": else one side waits for ever. */
START_TEST(roles_agree)
{
	enum perf_verb v;
	unsigned int lat, duplex, qps, sizes;

	for (v = PERF_WRITE; v <= PERF_ATOMIC; v++)
		for (lat = 0; lat < 2; lat++)
			for (duplex = 0; duplex < 2; duplex++)
				for (qps = 1; qps <= 4; qps++)
					for (sizes = 1; sizes <= 23; sizes += 22) {
						char a[2 * MAX_STEPS + 1], b[2 * MAX_STEPS + 1];
						size_t i, j;

						if (lat && duplex)
							continue;
						snprintf(a, sizeof(a), "%s",
							 plan_str(v, lat, false, duplex, qps, sizes));
						snprintf(b, sizeof(b), "%s",
							 plan_str(v, lat, true, duplex, qps, sizes));
						/* Keep only what goes on the socket. */
						for (i = j = 0; a[i]; i++)
							if (strchr("KPD", a[i]))
								a[j++] = a[i];
						a[j] = '\0';
						for (i = j = 0; b[i]; i++)
							if (strchr("KPD", b[i]))
								b[j++] = b[i];
						b[j] = '\0';
						ck_assert_msg(strcmp(a, b) == 0,
							      "verb %d lat %u duplex %u q %u sizes %u: "
							      "client \"%s\", server \"%s\"",
							      v, lat, duplex, qps, sizes, a, b);
					}
}
END_TEST

START_TEST(runs_and_refusals)
{
	struct perf_sync_test t = { .verb = PERF_WRITE, .server = true, .num_qps = 1,
				    .n_sizes = 1 };
	struct perf_step s[4];

	ck_assert(!perf_sync_runs(&t));		/* ib_write_bw's server */
	t.lat = true;
	ck_assert(perf_sync_runs(&t));		/* ib_write_lat's server writes */
	t.verb = PERF_READ;
	ck_assert(!perf_sync_runs(&t));
	t.verb = PERF_SEND;
	t.lat = false;
	ck_assert(perf_sync_runs(&t));		/* it receives */
	t.verb = PERF_READ;
	t.duplex = true;
	ck_assert(perf_sync_runs(&t));
	t.lat = true;
	ck_assert_int_eq(perf_sync_plan(&t, s, 4), -EINVAL);	/* perftest has no -b lat */
	t.lat = false;
	ck_assert_int_eq(perf_sync_plan(&t, s, 4), -ENOSPC);
	t.duplex = false;
	t.num_qps = 0;
	ck_assert_int_eq(perf_sync_plan(&t, s, 4), -EINVAL);
	ck_assert_str_eq(perf_step_name(PERF_STEP_REPORT), "report");
}
END_TEST

/* What the recordings carry each way follows from the plans. */
START_TEST(recorded_byte_counts)
{
	static const struct {
		enum perf_verb verb;
		bool lat;
		unsigned int bytes;
	} rec[] = { { PERF_WRITE, false, 611 }, { PERF_SEND, false, 571 }, { PERF_WRITE, true, 458 } };
	unsigned int i, hello = PERF_OOB_VERSION_LEN + 2 * PERF_OOB_SYSDATA_LEN + PERF_OOB_MTU_LEN;

	for (i = 0; i < 3; i++) {
		const char *p = plan_str(rec[i].verb, rec[i].lat, false, false, 1, 1);
		unsigned int bytes = hello;

		for (; *p; p++)
			bytes += *p == 'K' ? PERF_OOB_KEYS_LEN : *p == 'P' ? PERF_OOB_REPORT_LEN :
				 *p == 'D' ? PERF_OOB_DONE_LEN : 0;
		ck_assert_msg(bytes == rec[i].bytes, "test %u: %u bytes, recorded %u", i, bytes,
			      rec[i].bytes);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("perf_sync");
	TCase *tc = tcase_create("order");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, bandwidth_one_sided);
	tcase_add_test(tc, bandwidth_send);
	tcase_add_test(tc, latency_write);
	tcase_add_test(tc, latency_read_atomic);
	tcase_add_test(tc, latency_send);
	tcase_add_test(tc, roles_agree);
	tcase_add_test(tc, runs_and_refusals);
	tcase_add_test(tc, recorded_byte_counts);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
