/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The libraries' own configuration rules, without EAL: the CCM's defaults
 * and ccm_conf_check() (lib/ccm/ccm_defaults.h), the failover monitor's
 * defaults, failover_conf_resolve() and failover_conf_check()
 * (lib/clients/failover_defaults.h), the NVRAM size rule
 * (lib/clients/nvram_limits.h). Each rule at both sides of its bound; the
 * defaults against the values docs/configuration.md promises.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <check.h>

#include "ccm.h"
#include "ccm_defaults.h"
#include "failover.h"
#include "failover_defaults.h"
#include "nvram_limits.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))
#define US	UINT64_C(1000)
#define MS	UINT64_C(1000000)

#define EXPECT_U64(what, got, want) do { \
	uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want); \
	ck_assert_msg(g_ == w_, "%s: expected %" PRIu64 ", got %" PRIu64, (what), w_, g_); \
} while (0)

/* ---- lib/ccm ------------------------------------------------------------- */

/* The defaults and what every CCM needs besides: a valid configuration. */
static struct ccm_conf
valid_ccm_conf(void)
{
	struct ccm_conf c;

	memset(&c, 0, sizeof(c));
	ccm_conf_defaults(&c);
	c.name = "a";
	c.node_id = 1;
	c.peer_node_id = 2;
	c.nb_links = 1;
	c.boot_qpn = CCM_DEFAULT_BOOT_QPN;
	c.boot_rkey = CCM_DEFAULT_BOOT_RKEY;
	c.boot_addr = CCM_DEFAULT_BOOT_ADDR;
	return c;
}

START_TEST(ccm_defaults_are_the_documented_ones)
{
	struct ccm_conf c = valid_ccm_conf();

	EXPECT_U64("mtu", c.mtu, IBV_MTU_1024);
	EXPECT_U64("ack_timeout", c.ack_timeout, 12);
	EXPECT_U64("retry_cnt", c.retry_cnt, 3);
	EXPECT_U64("keepalive_ns", c.keepalive_ns, 1 * MS);
	EXPECT_U64("link_timeout_ns", c.link_timeout_ns, 5 * MS);
	EXPECT_U64("balance", c.balance, CCM_BALANCE_ROUND_ROBIN);
	ck_assert_msg(c.failback, "failback: expected true by default");
	EXPECT_U64("boot qpn", c.boot_qpn, 8);
	EXPECT_U64("boot rkey", c.boot_rkey, 0x7700);
	EXPECT_U64("boot address", c.boot_addr, 0x10000000);
	ck_assert_msg(ccm_conf_check(&c) == 0, "the defaults: expected 0, got %d",
		      ccm_conf_check(&c));
}
END_TEST

/* One field changed from a valid configuration: accepted or refused. */
static void qpn_min(struct ccm_conf *c) { c->boot_qpn = 2; }
static void qpn_below(struct ccm_conf *c) { c->boot_qpn = 1; }
static void qpn_max(struct ccm_conf *c) { c->boot_qpn = 1023; }
static void qpn_above(struct ccm_conf *c) { c->boot_qpn = 1024; }
static void rkey_min(struct ccm_conf *c) { c->boot_rkey = 0x100; }
static void rkey_below(struct ccm_conf *c) { c->boot_rkey = 0xff; }
static void rkey_max(struct ccm_conf *c) { c->boot_rkey = 0xfffff; }
static void rkey_above(struct ccm_conf *c) { c->boot_rkey = 0x100000; }
static void addr_max(struct ccm_conf *c) { c->boot_addr = UINT64_C(0xffffffffffffff00); }
static void addr_above(struct ccm_conf *c) { c->boot_addr = UINT64_C(0xffffffffffffff01); }
static void mtu_256(struct ccm_conf *c) { c->mtu = IBV_MTU_256; }
static void mtu_4096(struct ccm_conf *c) { c->mtu = IBV_MTU_4096; }
static void mtu_0(struct ccm_conf *c) { c->mtu = (enum ibv_mtu)0; }
static void mtu_8192(struct ccm_conf *c) { c->mtu = (enum ibv_mtu)6; }
static void ack_1(struct ccm_conf *c) { c->ack_timeout = 1; }
static void ack_0(struct ccm_conf *c) { c->ack_timeout = 0; }
static void ack_31(struct ccm_conf *c) { c->ack_timeout = 31; }
static void ack_32(struct ccm_conf *c) { c->ack_timeout = 32; }
static void retry_7(struct ccm_conf *c) { c->retry_cnt = 7; }
static void retry_8(struct ccm_conf *c) { c->retry_cnt = 8; }
static void link_twice(struct ccm_conf *c) { c->link_timeout_ns = 2 * c->keepalive_ns; }
static void link_short(struct ccm_conf *c) { c->link_timeout_ns = 2 * c->keepalive_ns - 1; }
static void keepalive_0(struct ccm_conf *c) { c->keepalive_ns = 0; }
static void same_ids(struct ccm_conf *c) { c->peer_node_id = c->node_id; }
static void id_0(struct ccm_conf *c) { c->node_id = 0; }
static void links_max(struct ccm_conf *c) { c->nb_links = CCM_MAX_LINKS; }
static void links_0(struct ccm_conf *c) { c->nb_links = 0; }
static void links_above(struct ccm_conf *c) { c->nb_links = CCM_MAX_LINKS + 1; }
static void no_name(struct ccm_conf *c) { c->name = NULL; }
static void version_0(struct ccm_conf *c) { c->version_min = 0; }
static void versions_crossed(struct ccm_conf *c) { c->version_min = c->version_max + 1; }

static const struct {
	const char *what;
	void (*change)(struct ccm_conf *c);
	int want;
} ccm_rows[] = {
	{ "boot qpn 2", qpn_min, 0 },
	{ "boot qpn 1 (IBTA's GSI)", qpn_below, -EINVAL },
	{ "boot qpn 1023", qpn_max, 0 },
	{ "boot qpn 1024 (past the QPN table)", qpn_above, -EINVAL },
	{ "boot rkey 0x100", rkey_min, 0 },
	{ "boot rkey 0xff (index 0)", rkey_below, -EINVAL },
	{ "boot rkey 0xfffff", rkey_max, 0 },
	{ "boot rkey 0x100000 (index 4096)", rkey_above, -EINVAL },
	{ "boot address 2^64 - 256", addr_max, 0 },
	{ "boot address 2^64 - 255", addr_above, -EINVAL },
	{ "mtu 256", mtu_256, 0 },
	{ "mtu 4096", mtu_4096, 0 },
	{ "mtu 0", mtu_0, -EINVAL },
	{ "mtu 6 (8192)", mtu_8192, -EINVAL },
	{ "ack_timeout 1", ack_1, 0 },
	{ "ack_timeout 0 (infinite)", ack_0, -EINVAL },
	{ "ack_timeout 31", ack_31, 0 },
	{ "ack_timeout 32", ack_32, -EINVAL },
	{ "retry_cnt 7", retry_7, 0 },
	{ "retry_cnt 8", retry_8, -EINVAL },
	{ "link timeout twice the keepalive", link_twice, 0 },
	{ "link timeout 1 ns short of twice the keepalive", link_short, -EINVAL },
	{ "keepalive 0", keepalive_0, -EINVAL },
	{ "node id = peer's", same_ids, -EINVAL },
	{ "node id 0", id_0, -EINVAL },
	{ "CCM_MAX_LINKS links", links_max, 0 },
	{ "no link", links_0, -EINVAL },
	{ "CCM_MAX_LINKS + 1 links", links_above, -EINVAL },
	{ "no name", no_name, -EINVAL },
	{ "version_min 0", version_0, -EINVAL },
	{ "version_min above version_max", versions_crossed, -EINVAL },
};

START_TEST(ccm_each_rule_at_its_bound)
{
	struct ccm_conf c = valid_ccm_conf();
	int rc;

	ccm_rows[_i].change(&c);
	rc = ccm_conf_check(&c);
	ck_assert_msg(rc == ccm_rows[_i].want, "%s: expected %d, got %d", ccm_rows[_i].what,
		      ccm_rows[_i].want, rc);
}
END_TEST

START_TEST(ccm_link_timeout_rule_in_any_unit)
{
	/* The loader checks microseconds, the CCM nanoseconds: the same rule. */
	ck_assert(ccm_link_timeout_ok(1000, 2000));
	ck_assert(ccm_link_timeout_ok(1000, 2001));
	ck_assert(!ccm_link_timeout_ok(1000, 1999));
	ck_assert(ccm_link_timeout_ok(UINT64_MAX / 2, UINT64_MAX - 1));	/* no overflow */
	ck_assert(!ccm_link_timeout_ok(UINT64_MAX, UINT64_MAX));
}
END_TEST

/* ---- lib/clients: failover ----------------------------------------------- */

START_TEST(failover_defaults_when_nothing_given)
{
	struct failover_conf c = { .node_id = 1, .peer_node_id = 2 };

	failover_conf_resolve(&c);
	EXPECT_U64("heartbeat_ns", c.heartbeat_ns, 1 * MS);
	EXPECT_U64("down_ns", c.down_ns, 8 * MS);
	EXPECT_U64("suspect_ns (half the timeout)", c.suspect_ns, 4 * MS);
	EXPECT_U64("fast_ns (half the timeout)", c.fast_ns, 4 * MS);
	EXPECT_U64("giveback_delay_ns", c.giveback_delay_ns, 2000 * MS);
	ck_assert_msg(failover_conf_check(&c) == 0, "the defaults: expected 0, got %d",
		      failover_conf_check(&c));
}
END_TEST

START_TEST(failover_given_values_kept_and_derived_ones_follow)
{
	struct failover_conf c = { .node_id = 2, .peer_node_id = 1, .heartbeat_ns = 3 * MS,
				   .down_ns = 20 * MS, .giveback_delay_ns = 5 };

	failover_conf_resolve(&c);
	EXPECT_U64("heartbeat_ns", c.heartbeat_ns, 3 * MS);
	EXPECT_U64("down_ns", c.down_ns, 20 * MS);
	EXPECT_U64("suspect_ns", c.suspect_ns, 10 * MS);
	EXPECT_U64("fast_ns", c.fast_ns, 10 * MS);
	EXPECT_U64("giveback_delay_ns", c.giveback_delay_ns, 5);

	/* Half the timeout is less than two heartbeats: two heartbeats. */
	c = (struct failover_conf){ .node_id = 1, .peer_node_id = 2, .heartbeat_ns = 3 * MS,
				    .down_ns = 8 * MS };
	failover_conf_resolve(&c);
	EXPECT_U64("fast_ns, two heartbeats", c.fast_ns, 6 * MS);
	/* ... but never past the timeout. */
	c = (struct failover_conf){ .node_id = 1, .peer_node_id = 2, .heartbeat_ns = 3 * MS,
				    .down_ns = 5 * MS };
	failover_conf_resolve(&c);
	EXPECT_U64("fast_ns, at most the timeout", c.fast_ns, 5 * MS);
	/* A fast timeout past the timeout takes the default. */
	c = (struct failover_conf){ .node_id = 1, .peer_node_id = 2, .down_ns = 8 * MS,
				    .fast_ns = 9 * MS };
	failover_conf_resolve(&c);
	EXPECT_U64("fast_ns past down_ns", c.fast_ns, 4 * MS);
	/* Given and within the rules: kept. */
	c = (struct failover_conf){ .node_id = 1, .peer_node_id = 2, .down_ns = 8 * MS,
				    .fast_ns = 2 * MS, .suspect_ns = 3 * MS };
	failover_conf_resolve(&c);
	EXPECT_U64("fast_ns given", c.fast_ns, 2 * MS);
	EXPECT_U64("suspect_ns given", c.suspect_ns, 3 * MS);
}
END_TEST

static const struct {
	const char *what;
	struct failover_conf conf;	/* resolved before the check */
	int want;
} fo_rows[] = {
	{ "ids 1, 2", { .node_id = 1, .peer_node_id = 2 }, 0 },
	{ "ids 2, 1", { .node_id = 2, .peer_node_id = 1 }, 0 },
	{ "id 0", { .node_id = 0, .peer_node_id = 2 }, -EINVAL },
	{ "id 3 (no mailbox slot)", { .node_id = 3, .peer_node_id = 2 }, -EINVAL },
	{ "peer id 3", { .node_id = 1, .peer_node_id = 3 }, -EINVAL },
	{ "ids equal", { .node_id = 1, .peer_node_id = 1 }, -EINVAL },
	{ "timeout two heartbeats",
	  { .node_id = 1, .peer_node_id = 2, .heartbeat_ns = 1 * MS, .down_ns = 2 * MS }, 0 },
	{ "timeout 1 ns short of two heartbeats",
	  { .node_id = 1, .peer_node_id = 2, .heartbeat_ns = 1 * MS, .down_ns = 2 * MS - 1 },
	  -EINVAL },
	{ "fast timeout two heartbeats",
	  { .node_id = 1, .peer_node_id = 2, .heartbeat_ns = 1 * MS, .fast_ns = 2 * MS }, 0 },
	{ "fast timeout 1 ns short of two heartbeats",
	  { .node_id = 1, .peer_node_id = 2, .heartbeat_ns = 1 * MS, .fast_ns = 2 * MS - 1 },
	  -EINVAL },
	{ "suspect at the timeout",
	  { .node_id = 1, .peer_node_id = 2, .suspect_ns = 8 * MS }, 0 },
	{ "suspect past the timeout",
	  { .node_id = 1, .peer_node_id = 2, .suspect_ns = 8 * MS + 1 }, -EINVAL },
};

START_TEST(failover_each_rule_at_its_bound)
{
	struct failover_conf c = fo_rows[_i].conf;
	int rc;

	failover_conf_resolve(&c);
	rc = failover_conf_check(&c);
	ck_assert_msg(rc == fo_rows[_i].want, "%s: expected %d, got %d", fo_rows[_i].what,
		      fo_rows[_i].want, rc);
}
END_TEST

START_TEST(failover_rules_in_any_unit)
{
	ck_assert(failover_timeout_ok(1000, 2000));
	ck_assert(!failover_timeout_ok(1000, 1999));
	ck_assert(!failover_node_id_ok(0));
	ck_assert(failover_node_id_ok(1));
	ck_assert(failover_node_id_ok(2));
	ck_assert(!failover_node_id_ok(3));
	/* The loader computes the fast timeout in microseconds: the same rule. */
	EXPECT_U64("fast of 8000/1000 us", failover_default_fast(8000, 1000), 4000);
	EXPECT_U64("fast of 8000/3000 us", failover_default_fast(8000, 3000), 6000);
	EXPECT_U64("fast of 5000/3000 us", failover_default_fast(5000, 3000), 5000);
	EXPECT_U64("suspect of 8000 us", failover_default_suspect(8000), 4000);
}
END_TEST

/* ---- lib/clients: NVRAM -------------------------------------------------- */

START_TEST(nvram_sizes_whole_pages_from_the_smallest_log)
{
	static const struct {
		uint64_t size;
		bool ok;
	} rows[] = {
		{ 0, false }, { 1, false }, { 4095, false },
		{ 4096, true }, { 4097, false }, { 64 << 10, true }, { (64 << 10) + 1, false },
		{ (16 << 20) + 4096, true }, { UINT64_C(1) << 30, true },
	};
	unsigned int i;

	ck_assert_msg(NVRAM_LOG_MIN <= 4096, "the table assumes the smallest log is a page");
	for (i = 0; i < DIM(rows); i++)
		ck_assert_msg(nvram_size_ok(rows[i].size) == rows[i].ok,
			      "size %" PRIu64 ": expected %s, got %s", rows[i].size,
			      rows[i].ok ? "accepted" : "refused",
			      rows[i].ok ? "refused" : "accepted");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("conf_check");
	TCase *ccm = tcase_create("ccm");
	TCase *fo = tcase_create("failover");
	TCase *nv = tcase_create("nvram");
	SRunner *sr;
	int failed;

	tcase_add_test(ccm, ccm_defaults_are_the_documented_ones);
	tcase_add_loop_test(ccm, ccm_each_rule_at_its_bound, 0, DIM(ccm_rows));
	tcase_add_test(ccm, ccm_link_timeout_rule_in_any_unit);
	tcase_add_test(fo, failover_defaults_when_nothing_given);
	tcase_add_test(fo, failover_given_values_kept_and_derived_ones_follow);
	tcase_add_loop_test(fo, failover_each_rule_at_its_bound, 0, DIM(fo_rows));
	tcase_add_test(fo, failover_rules_in_any_unit);
	tcase_add_test(nv, nvram_sizes_whole_pages_from_the_smallest_log);
	suite_add_tcase(s, ccm);
	suite_add_tcase(s, fo);
	suite_add_tcase(s, nv);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
