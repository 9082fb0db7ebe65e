/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault spec strings: roce_fault_parse() and roce_fault_format().
 * Pure code: no EAL, no mbufs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <check.h>
#include <rte_common.h>

#include "roce_fault.h"
#include "test_ref.h"

/* ---- helpers ---------------------------------------------------------- */

/* Every field, exactly, for failure messages (two rotating buffers). */
static const char *
conf_str(const struct roce_fault_conf *c)
{
	static char buf[2][256];
	static unsigned int next;
	char *s = buf[next++ % RTE_DIM(buf)];

	snprintf(s, sizeof(buf[0]),
		 "{drop %.17g dup %.17g reorder %.17g corrupt %.17g delay %.17g "
		 "delay_ns %" PRIu64 " seed %" PRIu64 "}",
		 c->drop, c->dup, c->reorder, c->corrupt, c->delay, c->delay_ns, c->seed);
	return s;
}

static bool
conf_eq(const struct roce_fault_conf *a, const struct roce_fault_conf *b)
{
	return a->drop == b->drop && a->dup == b->dup && a->reorder == b->reorder &&
	       a->corrupt == b->corrupt && a->delay == b->delay && a->delay_ns == b->delay_ns &&
	       a->seed == b->seed;
}

/* A conf with every field set, to show a failed parse leaves it alone. */
static const struct roce_fault_conf sentinel = {
	.drop = 0.125, .dup = 0.25, .reorder = 0.375, .corrupt = 0.5, .delay = 0.625,
	.delay_ns = 7000, .seed = 99,
};

/* ---- parse ------------------------------------------------------------- */

struct parse_row {
	const char *spec;
	struct roce_fault_conf want;
};

START_TEST(parse_each_key_alone)
{
	static const struct parse_row rows[] = {
		{ "drop=0.05", { .drop = 0.05 } },
		{ "dup=0.01", { .dup = 0.01 } },
		{ "reorder=0.2", { .reorder = 0.2 } },
		{ "corrupt=1", { .corrupt = 1.0 } },
		{ "delay=0", { .delay = 0.0 } },
		{ "delay_us=200", { .delay_ns = 200000 } },
		{ "seed=7", { .seed = 7 } },
		{ "seed=18446744073709551615", { .seed = UINT64_MAX } },
		{ "delay_us=18446744073709551", { .delay_ns = 18446744073709551000ull } },
		{ "drop=.5", { .drop = 0.5 } },
		{ "drop=1.", { .drop = 1.0 } },
		{ "drop=1.000", { .drop = 1.0 } },
		{ "drop=5e-3", { .drop = 0.005 } },
		{ "drop=1E-2", { .drop = 0.01 } },
		{ "drop=0.1e+1", { .drop = 1.0 } },
	};
	struct roce_fault_conf got;
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++) {
		got = sentinel;
		ck_assert_msg(roce_fault_parse(rows[i].spec, &got) == 0,
			      "\"%s\": expected 0, got an error", rows[i].spec);
		ck_assert_msg(conf_eq(&got, &rows[i].want), "\"%s\": expected %s, got %s",
			      rows[i].spec, conf_str(&rows[i].want), conf_str(&got));
	}
}
END_TEST

START_TEST(parse_all_keys_any_order)
{
	static const char *const specs[] = {
		"drop=0.05,dup=0.01,reorder=0.01,corrupt=0.01,delay=0.01,delay_us=200,seed=7",
		"seed=7,delay_us=200,delay=0.01,corrupt=0.01,reorder=0.01,dup=0.01,drop=0.05",
		"delay=0.01,drop=0.05,seed=7,dup=0.01,delay_us=200,corrupt=0.01,reorder=0.01",
	};
	const struct roce_fault_conf want = {
		.drop = 0.05, .dup = 0.01, .reorder = 0.01, .corrupt = 0.01, .delay = 0.01,
		.delay_ns = 200000, .seed = 7,
	};
	struct roce_fault_conf got;
	unsigned int i;

	for (i = 0; i < RTE_DIM(specs); i++) {
		ck_assert_msg(roce_fault_parse(specs[i], &got) == 0, "\"%s\": rejected", specs[i]);
		ck_assert_msg(conf_eq(&got, &want), "\"%s\": expected %s, got %s", specs[i],
			      conf_str(&want), conf_str(&got));
	}
}
END_TEST

START_TEST(parse_off_and_empty_clear_everything)
{
	static const char *const specs[] = { "off", "" };
	const struct roce_fault_conf zero = { 0 };
	struct roce_fault_conf got;
	unsigned int i;

	for (i = 0; i < RTE_DIM(specs); i++) {
		got = sentinel;
		ck_assert_msg(roce_fault_parse(specs[i], &got) == 0, "\"%s\": rejected", specs[i]);
		ck_assert_msg(conf_eq(&got, &zero), "\"%s\": expected all zero, got %s",
			      specs[i], conf_str(&got));
	}
}
END_TEST

/* ---- format and round trips ----------------------------------------------- */

START_TEST(format_is_canonical)
{
	static const struct {
		const char *spec, *want;
	} rows[] = {
		{ "drop=0.05,dup=0.01,reorder=0.01,corrupt=0.01,delay=0.01,delay_us=200,seed=7",
		  "drop=0.05,dup=0.01,reorder=0.01,corrupt=0.01,delay=0.01,delay_us=200,seed=7" },
		{ "seed=7,drop=.5", "drop=0.5,seed=7" },
		{ "delay_us=3,delay=1.000", "delay=1,delay_us=3" },
		{ "drop=5e-3", "drop=0.005" },
		{ "corrupt=0.00001", "corrupt=1e-05" },
		{ "reorder=0.1", "reorder=0.1" },
		{ "dup=0.3333333333333333", "dup=0.3333333333333333" },
		{ "off", "off" },
		{ "", "off" },
		{ "drop=0,delay_us=0,seed=0", "off" },
	};
	struct roce_fault_conf conf;
	char buf[256];
	unsigned int i;
	int len;

	for (i = 0; i < RTE_DIM(rows); i++) {
		ck_assert_msg(roce_fault_parse(rows[i].spec, &conf) == 0, "\"%s\": rejected",
			      rows[i].spec);
		len = roce_fault_format(&conf, buf, sizeof(buf));
		ck_assert_msg(strcmp(buf, rows[i].want) == 0, "\"%s\": expected \"%s\", got \"%s\"",
			      rows[i].spec, rows[i].want, buf);
		ck_assert_msg(len == (int)strlen(rows[i].want), "\"%s\": expected length %zu, got %d",
			      rows[i].spec, strlen(rows[i].want), len);
	}
}
END_TEST

/* Any conf parse can produce formats to a spec that parses back to it. */
START_TEST(format_parse_round_trip_random)
{
	static const double edge[] = { 0.0, 1.0, 0.1, 1e-9, 0.9999999999999999, 5e-324 };
	uint64_t state = 42;
	struct roce_fault_conf conf, back;
	char buf[512], again[512];
	unsigned int i, k;

	for (i = 0; i < 20000; i++) {
		double *rate[] = { &conf.drop, &conf.dup, &conf.reorder, &conf.corrupt,
				   &conf.delay };

		memset(&conf, 0, sizeof(conf));
		for (k = 0; k < RTE_DIM(rate); k++) {
			uint64_t r = rng_next(&state);

			if (r % 4 == 0)
				*rate[k] = edge[(r >> 8) % RTE_DIM(edge)];
			else if (r % 4 == 1)
				*rate[k] = (double)(rng_next(&state) >> 11) * 0x1.0p-53;
			/* else 0 */
		}
		conf.delay_ns = (rng_next(&state) >> (rng_next(&state) % 64)) / 1000 * 1000;
		conf.seed = rng_next(&state) >> (rng_next(&state) % 64);

		roce_fault_format(&conf, buf, sizeof(buf));
		ck_assert_msg(roce_fault_parse(buf, &back) == 0, "%s formats as \"%s\", which is rejected",
			      conf_str(&conf), buf);
		ck_assert_msg(conf_eq(&conf, &back), "%s formats as \"%s\", which parses as %s",
			      conf_str(&conf), buf, conf_str(&back));
		roce_fault_format(&back, again, sizeof(again));
		ck_assert_msg(strcmp(buf, again) == 0, "not canonical: \"%s\" then \"%s\"", buf, again);
	}
}
END_TEST

START_TEST(format_delay_in_whole_microseconds)
{
	const struct roce_fault_conf conf = { .delay = 0.5, .delay_ns = 2999 };
	char buf[64];

	roce_fault_format(&conf, buf, sizeof(buf));
	ck_assert_msg(strcmp(buf, "delay=0.5,delay_us=2") == 0,
		      "expected \"delay=0.5,delay_us=2\", got \"%s\"", buf);
}
END_TEST

START_TEST(format_truncates_like_snprintf)
{
	const struct roce_fault_conf conf = { .drop = 0.05, .seed = 12345 };
	const char *want = "drop=0.05,seed=12345";
	char buf[8];
	int len;

	len = roce_fault_format(&conf, NULL, 0);
	ck_assert_msg(len == (int)strlen(want), "with no buffer: expected %zu, got %d",
		      strlen(want), len);
	memset(buf, 'x', sizeof(buf));
	len = roce_fault_format(&conf, buf, sizeof(buf));
	ck_assert_msg(len == (int)strlen(want), "truncated: expected %zu, got %d", strlen(want), len);
	ck_assert_msg(strcmp(buf, "drop=0.") == 0, "truncated: expected \"drop=0.\", got \"%.8s\"",
		      buf);
	memset(buf, 'x', sizeof(buf));
	len = roce_fault_format(&(struct roce_fault_conf){ 0 }, buf, 3);
	ck_assert_msg(len == 3 && strcmp(buf, "of") == 0,
		      "\"off\" in 3 bytes: expected 3 and \"of\", got %d and \"%.3s\"", len, buf);
}
END_TEST

START_TEST(counter_names_complete_and_distinct)
{
	unsigned int i, j;

	for (i = 0; i < ROCE_FAULT_NCOUNTERS; i++) {
		ck_assert_msg(roce_fault_counter_names[i] != NULL &&
			      roce_fault_counter_names[i][0] != '\0', "counter %u has no name", i);
		for (j = 0; j < i; j++)
			ck_assert_msg(strcmp(roce_fault_counter_names[i],
					     roce_fault_counter_names[j]) != 0,
				      "counters %u and %u are both \"%s\"", j, i,
				      roce_fault_counter_names[i]);
	}
	ck_assert_str_eq(roce_fault_counter_names[ROCE_FAULT_DROPPED], "dropped");
}
END_TEST

/* ---- rejections --------------------------------------------------------------- */

static void
assert_rejected(const char *why, const char *const *specs, unsigned int n)
{
	struct roce_fault_conf got;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		got = sentinel;
		ret = roce_fault_parse(specs[i], &got);
		ck_assert_msg(ret == -EINVAL, "%s \"%s\": expected -EINVAL (%d), got %d (%s)", why,
			      specs[i], -EINVAL, ret, conf_str(&got));
		ck_assert_msg(conf_eq(&got, &sentinel), "%s \"%s\": conf changed to %s", why,
			      specs[i], conf_str(&got));
	}
}

START_TEST(reject_unknown_key)
{
	static const char *const specs[] = {
		"loss=0.1", "Drop=0.1", "drops=0.1", "dro=0.1", "delay_ns=5", "delayus=5", "=0.1",
		"drop=0.1,jitter=0.2", "OFF", "off,drop=0.1", "drop=0.1,off",
	};

	assert_rejected("unknown key", specs, RTE_DIM(specs));
}
END_TEST

START_TEST(reject_missing_equals)
{
	static const char *const specs[] = {
		"drop", "drop0.1", "drop:0.1", "drop=0.1,dup", "seed 7",
	};

	assert_rejected("missing '='", specs, RTE_DIM(specs));
}
END_TEST

START_TEST(reject_not_a_number)
{
	static const char *const specs[] = {
		"drop=", "drop=abc", "drop=.", "drop=e5", "drop=nan", "drop=inf", "drop=0x1p-3",
		"drop==0.1", "drop=1e", "drop=1e+", "dup=0,5", "seed=", "seed=x", "seed=0x10",
		"seed=7.0", "seed=1e3", "delay_us=", "delay_us=1.5", "delay_us=ten",
	};

	assert_rejected("not a number", specs, RTE_DIM(specs));
}
END_TEST

START_TEST(reject_trailing_junk)
{
	static const char *const specs[] = {
		"drop=0.1x", "drop=0.1 ", " drop=0.1", "drop =0.1", "drop= 0.1", "drop=0.1,",
		",drop=0.1", "drop=0.1,,dup=0.1", "drop=1e-5-1", "drop=0.1=0.2", "seed=7s",
		"delay_us=10us", "drop=0.1;dup=0.1", "off,", "drop=0.5\n",
	};

	assert_rejected("trailing junk", specs, RTE_DIM(specs));
}
END_TEST

START_TEST(reject_rate_out_of_range)
{
	static const char *const specs[] = {
		"drop=1.5", "dup=1.0000001", "reorder=2", "corrupt=1e1", "delay=10",
		"drop=1e999", "drop=1.0000000000000002",
	};

	assert_rejected("rate above 1", specs, RTE_DIM(specs));
}
END_TEST

START_TEST(reject_negative)
{
	static const char *const specs[] = {
		"drop=-0.1", "dup=-0", "reorder=-1e-9", "drop=+0.1", "seed=-1", "seed=+1",
		"delay_us=-5",
	};

	assert_rejected("negative or signed", specs, RTE_DIM(specs));
}
END_TEST

START_TEST(reject_overflow)
{
	static const char *const specs[] = {
		"seed=18446744073709551616", "seed=99999999999999999999999",
		"delay_us=18446744073709552",	/* * 1000 overflows 64 bits */
	};

	assert_rejected("overflow", specs, RTE_DIM(specs));
}
END_TEST

START_TEST(reject_duplicate_key)
{
	static const char *const specs[] = {
		"drop=0.1,drop=0.2", "drop=0.1,dup=0.1,drop=0.1", "seed=1,seed=1",
		"delay_us=1,delay=0.5,delay_us=1", "reorder=0,reorder=0",
	};

	assert_rejected("duplicate key", specs, RTE_DIM(specs));
}
END_TEST

START_TEST(reject_null)
{
	struct roce_fault_conf got = sentinel;

	ck_assert_int_eq(roce_fault_parse(NULL, &got), -EINVAL);
	ck_assert_msg(conf_eq(&got, &sentinel), "conf changed to %s", conf_str(&got));
	ck_assert_int_eq(roce_fault_parse("drop=0.1", NULL), -EINVAL);
}
END_TEST

static Suite *
fault_spec_suite(void)
{
	Suite *s = suite_create("fault_spec");
	TCase *tc = tcase_create("spec");
	TCase *neg = tcase_create("negative");

	tcase_add_test(tc, parse_each_key_alone);
	tcase_add_test(tc, parse_all_keys_any_order);
	tcase_add_test(tc, parse_off_and_empty_clear_everything);
	tcase_add_test(tc, format_is_canonical);
	tcase_add_test(tc, format_parse_round_trip_random);
	tcase_add_test(tc, format_delay_in_whole_microseconds);
	tcase_add_test(tc, format_truncates_like_snprintf);
	tcase_add_test(tc, counter_names_complete_and_distinct);
	tcase_add_test(neg, reject_unknown_key);
	tcase_add_test(neg, reject_missing_equals);
	tcase_add_test(neg, reject_not_a_number);
	tcase_add_test(neg, reject_trailing_junk);
	tcase_add_test(neg, reject_rate_out_of_range);
	tcase_add_test(neg, reject_negative);
	tcase_add_test(neg, reject_overflow);
	tcase_add_test(neg, reject_duplicate_key);
	tcase_add_test(neg, reject_null);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, neg);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(fault_spec_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
