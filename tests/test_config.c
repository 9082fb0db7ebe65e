/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML configuration loader (app/app_config*.c), without EAL: the
 * shipped config/ccm.yaml from both nodes' side, defaults, the forms
 * numbers take, both bounds of every numeric key, one bad file per error
 * kind (tests/data/config/) with its exact message and position, and the
 * `show config` text.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <rte_common.h>

#include "app_config.h"

#define ERR_LEN 512

/* ---- helpers ------------------------------------------------------------- */

static const char *
data_dir(void)
{
	const char *dir = getenv("ROCE_TEST_DATA");

	ck_assert_msg(dir != NULL, "ROCE_TEST_DATA is not set (run through meson test)");
	return dir;
}

/* tests/data/config/@p name (two rotating buffers). */
static const char *
bad_file(const char *name)
{
	static char buf[2][PATH_MAX];
	static unsigned int next;
	char *p = buf[next++ % RTE_DIM(buf)];

	snprintf(p, PATH_MAX, "%s/config/%s", data_dir(), name);
	return p;
}

/* config/ccm.yaml, next to tests/ in the source tree. */
static const char *
demo_file(void)
{
	static char buf[PATH_MAX];

	snprintf(buf, sizeof(buf), "%s/../../config/ccm.yaml", data_dir());
	return buf;
}

/* Load @p text from a temporary file; its name is left in @p path. */
static int
load_text(const char *text, const char *node, struct app_config *cfg, char *err,
	  char path[PATH_MAX])
{
	const char *tmp = getenv("TMPDIR");
	size_t len = strlen(text);
	FILE *f;
	int fd, rc;

	snprintf(path, PATH_MAX, "%s/test_config-XXXXXX.yaml",
		 tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	fd = mkstemps(path, 5);
	ck_assert_msg(fd >= 0, "mkstemps %s: %s", path, strerror(errno));
	f = fdopen(fd, "w");
	ck_assert_msg(f != NULL && fwrite(text, 1, len, f) == len && fclose(f) == 0,
		      "writing %s failed", path);
	rc = app_config_load(path, node, cfg, err, ERR_LEN);
	unlink(path);
	return rc;
}

/*
 * A valid file with two links on each node, and room for more: @p cluster
 * replaces the cluster section's body ("  id: 1\n" when NULL), @p a and
 * @p b the nodes' keys after their links (their ids when NULL).
 */
static int
load_parts(const char *cluster, const char *a, const char *b, struct app_config *cfg,
	   char *err, char path[PATH_MAX])
{
	char text[4096];

	snprintf(text, sizeof(text),
		 "cluster:\n"
		 "%s"
		 "nodes:\n"
		 "  - name: a\n"
		 "    links:\n"
		 "      - { port: p0, ip: 10.0.0.1 }\n"
		 "      - { port: p1, ip: 10.0.1.1 }\n"
		 "%s"
		 "  - name: b\n"
		 "    links:\n"
		 "      - { port: p0, ip: 10.0.0.2 }\n"
		 "      - { port: p1, ip: 10.0.1.2 }\n"
		 "%s",
		 cluster != NULL ? cluster : "  id: 1\n", a != NULL ? a : "    id: 1\n",
		 b != NULL ? b : "    id: 2\n");
	return load_text(text, "a", cfg, err, path);
}

static void
ip_str(uint32_t ip, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		 ip & 0xff);
}

#define EXPECT_UINT(what, got, want) do { \
	uint64_t g_ = (uint64_t)(got), w_ = (uint64_t)(want); \
	ck_assert_msg(g_ == w_, "%s: expected %" PRIu64 " (0x%" PRIx64 "), got %" PRIu64 \
		      " (0x%" PRIx64 ")", (what), w_, w_, g_, g_); \
} while (0)

#define EXPECT_STR(what, got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	ck_assert_msg(strcmp(g_, w_) == 0, "%s: expected \"%s\", got \"%s\"", (what), w_, g_); \
} while (0)

#define EXPECT_IP(what, got, want) do { \
	char ip_[16]; \
	ip_str((got), ip_); \
	EXPECT_STR((what), ip_, (want)); \
} while (0)

#define EXPECT_MAC(what, got, want) do { \
	char mac_[18]; \
	const uint8_t *m_ = (got); \
	snprintf(mac_, sizeof(mac_), "%02x:%02x:%02x:%02x:%02x:%02x", m_[0], m_[1], m_[2], \
		 m_[3], m_[4], m_[5]); \
	EXPECT_STR((what), mac_, (want)); \
} while (0)

#define EXPECT_LOADED(rc, err) \
	ck_assert_msg((rc) == 0, "expected the file to load, got %d: %s", (rc), (err))

/* The cluster section of config/ccm.yaml, the same from both nodes. */
static void
expect_demo_cluster(const struct app_config *c)
{
	EXPECT_UINT("cluster_id", c->cluster_id, 0x5eed);
	EXPECT_UINT("boot_qpn", c->boot_qpn, 8);
	EXPECT_UINT("boot_rkey", c->boot_rkey, 0x7700);
	EXPECT_UINT("boot_addr", c->boot_addr, 0x10000000);
	EXPECT_UINT("mtu", c->mtu, 1024);
	EXPECT_UINT("ack_timeout", c->ack_timeout, 12);
	EXPECT_UINT("retry_cnt", c->retry_cnt, 3);
	EXPECT_UINT("keepalive_us", c->keepalive_us, 1000);
	EXPECT_UINT("link_timeout_us", c->link_timeout_us, 5000);
	EXPECT_UINT("heartbeat_us", c->heartbeat_us, 1000);
	EXPECT_UINT("partner_timeout_us", c->partner_timeout_us, 8000);
	EXPECT_UINT("partner_fast_timeout_us", c->partner_fast_timeout_us, 4000);
	EXPECT_UINT("giveback_delay_ms", c->giveback_delay_ms, 2000);
	EXPECT_UINT("balance", c->balance, CFG_BALANCE_ROUND_ROBIN);
	EXPECT_UINT("failback", c->failback, true);
}

/* Node @p me ("a" or "b") of config/ccm.yaml, its partner the other. */
static void
expect_demo_node(const struct app_config *c, char me)
{
	const char *ip[2][2] = { { "10.90.0.1", "10.90.1.1" }, { "10.90.0.2", "10.90.1.2" } };
	const char *mac[2][2] = { { "02:00:00:00:00:01", "02:00:00:00:01:01" },
				  { "02:00:00:00:00:02", "02:00:00:00:01:02" } };
	const char *port[2] = { "net_memif0", "net_memif1" };
	unsigned int i = me == 'a' ? 0 : 1, p = 1 - i, l;
	char what[64], name[2] = { me, '\0' }, peer[2] = { me == 'a' ? 'b' : 'a', '\0' };
	char file[64];

	EXPECT_STR("node_name", c->node_name, name);
	EXPECT_UINT("node_id", c->node_id, i + 1);
	EXPECT_STR("peer_name", c->peer_name, peer);
	EXPECT_UINT("peer_node_id", c->peer_node_id, p + 1);
	EXPECT_UINT("nb_links", c->nb_links, 2);
	for (l = 0; l < 2; l++) {
		const struct cfg_link *k = &c->link[l];

		snprintf(what, sizeof(what), "link[%u].port", l);
		EXPECT_STR(what, k->port, port[l]);
		snprintf(what, sizeof(what), "link[%u].local_ip", l);
		EXPECT_IP(what, k->local_ip, ip[i][l]);
		snprintf(what, sizeof(what), "link[%u].peer_ip", l);
		EXPECT_IP(what, k->peer_ip, ip[p][l]);
		snprintf(what, sizeof(what), "link[%u].has_local_mac", l);
		EXPECT_UINT(what, k->has_local_mac, true);
		snprintf(what, sizeof(what), "link[%u].local_mac", l);
		EXPECT_MAC(what, k->local_mac, mac[i][l]);
		snprintf(what, sizeof(what), "link[%u].has_peer_mac", l);
		EXPECT_UINT(what, k->has_peer_mac, true);
		snprintf(what, sizeof(what), "link[%u].peer_mac", l);
		EXPECT_MAC(what, k->peer_mac, mac[p][l]);
		snprintf(what, sizeof(what), "link[%u].fault_rx", l);
		EXPECT_STR(what, k->fault_rx, "");
		snprintf(what, sizeof(what), "link[%u].fault_tx", l);
		EXPECT_STR(what, k->fault_tx, "");
	}
	EXPECT_UINT("lcore_ccm", c->lcore_ccm, 0);
	EXPECT_UINT("lcore_failover", c->lcore_failover, 0);
	EXPECT_UINT("lcore_nvram", c->lcore_nvram, 0);
	EXPECT_UINT("nvram_enabled", c->nvram_enabled, true);
	snprintf(file, sizeof(file), "/dev/shm/ccm-%c.nvram", me);
	EXPECT_STR("nvram_file", c->nvram_file, file);
	snprintf(file, sizeof(file), "/dev/shm/ccm-%c.shadow", me);
	EXPECT_STR("shadow_file", c->shadow_file, file);
	EXPECT_UINT("nvram_size", c->nvram_size, 16u << 20);
	EXPECT_UINT("mirror", c->mirror, CFG_MIRROR_SYNC);
	EXPECT_UINT("failover_enabled", c->failover_enabled, true);
	EXPECT_STR("mailbox", c->mailbox, "/dev/shm/ccm-mailbox");
}

/* ---- the shipped configuration ------------------------------------------- */

START_TEST(demo_config_loads_as_node_a)
{
	struct app_config c;
	char err[ERR_LEN];
	int rc;

	rc = app_config_load(demo_file(), "a", &c, err, sizeof(err));
	EXPECT_LOADED(rc, err);
	EXPECT_STR("path", c.path, demo_file());
	expect_demo_cluster(&c);
	expect_demo_node(&c, 'a');
}
END_TEST

START_TEST(demo_config_loads_as_node_b)
{
	struct app_config c;
	char err[ERR_LEN];
	int rc;

	rc = app_config_load(demo_file(), "b", &c, err, sizeof(err));
	EXPECT_LOADED(rc, err);
	expect_demo_cluster(&c);
	expect_demo_node(&c, 'b');
}
END_TEST

static bool
is_node_name(const char *s)
{
	size_t i, len = strlen(s);

	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return len >= 1 && len <= 16;
}

START_TEST(no_node_given_picks_the_host_name_else_the_first)
{
	struct app_config c;
	char err[ERR_LEN], host[256] = "", text[512], path[PATH_MAX];
	const char *want;
	int rc;

	ck_assert_msg(gethostname(host, sizeof(host) - 1) == 0, "gethostname: %s",
		      strerror(errno));
	want = strcmp(host, "b") == 0 ? "b" : "a";
	rc = app_config_load(demo_file(), NULL, &c, err, sizeof(err));
	EXPECT_LOADED(rc, err);
	snprintf(text, sizeof(text), "node_name (host name \"%s\")", host);
	EXPECT_STR(text, c.node_name, want);

	/* The host's name second in the file: it is still the one chosen. */
	if (!is_node_name(host) || strcmp(host, "zz-other") == 0)
		return;		/* this host's name cannot be a node's */
	snprintf(text, sizeof(text),
		 "cluster: { id: 1 }\n"
		 "nodes:\n"
		 "  - { name: zz-other, id: 1, links: [ { port: p0, ip: 10.0.0.1 } ] }\n"
		 "  - { name: %s, id: 2, links: [ { port: p0, ip: 10.0.0.2 } ] }\n", host);
	rc = load_text(text, NULL, &c, err, path);
	EXPECT_LOADED(rc, err);
	EXPECT_STR("node_name", c.node_name, host);
	EXPECT_STR("peer_name", c.peer_name, "zz-other");
}
END_TEST

/* ---- defaults and forms -------------------------------------------------- */

START_TEST(defaults_when_optional_sections_absent)
{
	struct app_config c;
	char err[ERR_LEN], path[PATH_MAX];
	unsigned int l;
	int rc;

	memset(&c, 0xa5, sizeof(c));
	rc = load_text("cluster:\n"
		       "  id: 7\n"
		       "nodes:\n"
		       "  - name: a\n"
		       "    id: 1\n"
		       "    links:\n"
		       "      - port: p0\n"
		       "        ip: 192.168.0.1\n"
		       "  - name: b\n"
		       "    id: 2\n"
		       "    links:\n"
		       "      - port: p0\n"
		       "        ip: 192.168.0.2\n", "b", &c, err, path);
	EXPECT_LOADED(rc, err);
	EXPECT_STR("path", c.path, path);
	EXPECT_UINT("cluster_id", c.cluster_id, 7);
	EXPECT_UINT("boot_qpn", c.boot_qpn, 8);
	EXPECT_UINT("boot_rkey", c.boot_rkey, 0x7700);
	EXPECT_UINT("boot_addr", c.boot_addr, 0x10000000);
	EXPECT_UINT("mtu", c.mtu, 1024);
	EXPECT_UINT("ack_timeout", c.ack_timeout, 12);
	EXPECT_UINT("retry_cnt", c.retry_cnt, 3);
	EXPECT_UINT("keepalive_us", c.keepalive_us, 1000);
	EXPECT_UINT("link_timeout_us", c.link_timeout_us, 5000);
	EXPECT_UINT("heartbeat_us", c.heartbeat_us, 1000);
	EXPECT_UINT("partner_timeout_us", c.partner_timeout_us, 8000);
	EXPECT_UINT("partner_fast_timeout_us", c.partner_fast_timeout_us, 4000);
	EXPECT_UINT("giveback_delay_ms", c.giveback_delay_ms, 2000);
	EXPECT_UINT("balance", c.balance, CFG_BALANCE_ROUND_ROBIN);
	EXPECT_UINT("failback", c.failback, true);
	EXPECT_STR("node_name", c.node_name, "b");
	EXPECT_UINT("node_id", c.node_id, 2);
	EXPECT_STR("peer_name", c.peer_name, "a");
	EXPECT_UINT("peer_node_id", c.peer_node_id, 1);
	EXPECT_UINT("nb_links", c.nb_links, 1);
	EXPECT_STR("link[0].port", c.link[0].port, "p0");
	EXPECT_IP("link[0].local_ip", c.link[0].local_ip, "192.168.0.2");
	EXPECT_IP("link[0].peer_ip", c.link[0].peer_ip, "192.168.0.1");
	EXPECT_UINT("link[0].has_local_mac", c.link[0].has_local_mac, false);
	EXPECT_UINT("link[0].has_peer_mac", c.link[0].has_peer_mac, false);
	EXPECT_STR("link[0].fault_rx", c.link[0].fault_rx, "");
	EXPECT_STR("link[0].fault_tx", c.link[0].fault_tx, "");
	/* The rest of the struct is cleared, not left as it was. */
	for (l = 1; l < CFG_MAX_LINKS; l++) {
		EXPECT_UINT("unused link's local_ip", c.link[l].local_ip, 0);
		EXPECT_STR("unused link's port", c.link[l].port, "");
	}
	EXPECT_UINT("lcore_ccm", c.lcore_ccm, 0);
	EXPECT_UINT("lcore_failover", c.lcore_failover, 0);
	EXPECT_UINT("lcore_nvram", c.lcore_nvram, 0);
	EXPECT_UINT("nvram_enabled", c.nvram_enabled, false);
	EXPECT_STR("nvram_file", c.nvram_file, "");
	EXPECT_STR("shadow_file", c.shadow_file, "");
	EXPECT_UINT("nvram_size", c.nvram_size, 16u << 20);
	EXPECT_UINT("mirror", c.mirror, CFG_MIRROR_SYNC);
	EXPECT_UINT("failover_enabled", c.failover_enabled, false);
	EXPECT_STR("mailbox", c.mailbox, "");
}
END_TEST

START_TEST(empty_sections_take_their_defaults)
{
	struct app_config c;
	char err[ERR_LEN], path[PATH_MAX];
	int rc;

	rc = load_parts("  id: 1\n  boot: {}\n  transport: {}\n  timings: {}\n",
			"    id: 1\n    lcores: {}\n"
			"    nvram: { file: /tmp/a.nvram, shadow: /tmp/a.shadow }\n"
			"    failover: {}\n",
			"    id: 2\n"
			"    nvram: { file: /tmp/b.nvram, shadow: /tmp/b.shadow }\n"
			"    failover: {}\n", &c, err, path);
	EXPECT_LOADED(rc, err);
	EXPECT_UINT("boot_qpn", c.boot_qpn, 8);
	EXPECT_UINT("mtu", c.mtu, 1024);
	EXPECT_UINT("keepalive_us", c.keepalive_us, 1000);
	EXPECT_UINT("nvram_enabled", c.nvram_enabled, true);
	EXPECT_STR("nvram_file", c.nvram_file, "/tmp/a.nvram");
	EXPECT_STR("shadow_file", c.shadow_file, "/tmp/a.shadow");
	EXPECT_UINT("nvram_size", c.nvram_size, 16u << 20);
	EXPECT_UINT("mirror", c.mirror, CFG_MIRROR_SYNC);
	EXPECT_UINT("failover_enabled", c.failover_enabled, true);
	EXPECT_STR("mailbox (none)", c.mailbox, "");
}
END_TEST

START_TEST(every_key_in_flow_style_with_other_values)
{
	struct app_config c;
	char err[ERR_LEN], path[PATH_MAX];
	int rc;

	rc = load_text("cluster: { id: 0xFFFFffff, boot: { qpn: 0x3ff, rkey: 0xfffff, "
		       "address: 0xffffffffffffff00 }, transport: { mtu: 4096, ack_timeout: 31, "
		       "retry_count: 0 }, timings: { keepalive_us: 10, link_timeout_us: 20, "
		       "heartbeat_us: 10, partner_timeout_us: 20, giveback_delay_ms: 0 }, "
		       "balance: active-standby, failback: false }\n"
		       "nodes:\n"
		       "  - { name: b-0_x, id: 2, links: [ { port: \"eth 0\", ip: \"10.1.0.1\", "
		       "mac: 02:AA:bb:00:00:01, fault_rx: 'drop=0.01,seed=7', fault_tx: off } ], "
		       "lcores: { ccm: 1, failover: 2, nvram: 127 }, nvram: { file: /n, "
		       "shadow: /s, size: 1GiB, mirror: async }, failover: { mailbox: /m } }\n"
		       "  - { name: a, id: 1, links: [ { port: p, ip: 10.1.0.2 } ], "
		       "nvram: { file: /n2, shadow: /s2, size: 1048576KiB }, "
		       "failover: { mailbox: /m } }\n",
		       "b-0_x", &c, err, path);
	EXPECT_LOADED(rc, err);
	EXPECT_UINT("cluster_id", c.cluster_id, 0xffffffff);
	EXPECT_UINT("boot_qpn", c.boot_qpn, 1023);
	EXPECT_UINT("boot_rkey", c.boot_rkey, 0xfffff);
	EXPECT_UINT("boot_addr", c.boot_addr, 0xffffffffffffff00);
	EXPECT_UINT("mtu", c.mtu, 4096);
	EXPECT_UINT("ack_timeout", c.ack_timeout, 31);
	EXPECT_UINT("retry_cnt", c.retry_cnt, 0);
	EXPECT_UINT("keepalive_us", c.keepalive_us, 10);
	EXPECT_UINT("link_timeout_us", c.link_timeout_us, 20);
	EXPECT_UINT("heartbeat_us", c.heartbeat_us, 10);
	EXPECT_UINT("partner_timeout_us", c.partner_timeout_us, 20);
	EXPECT_UINT("giveback_delay_ms", c.giveback_delay_ms, 0);
	EXPECT_UINT("balance", c.balance, CFG_BALANCE_ACTIVE_STANDBY);
	EXPECT_UINT("failback", c.failback, false);
	EXPECT_STR("node_name", c.node_name, "b-0_x");
	EXPECT_UINT("node_id", c.node_id, 2);
	EXPECT_STR("peer_name", c.peer_name, "a");
	EXPECT_UINT("peer_node_id", c.peer_node_id, 1);
	EXPECT_STR("link[0].port", c.link[0].port, "eth 0");
	EXPECT_IP("link[0].local_ip", c.link[0].local_ip, "10.1.0.1");
	EXPECT_IP("link[0].peer_ip", c.link[0].peer_ip, "10.1.0.2");
	EXPECT_UINT("link[0].has_local_mac", c.link[0].has_local_mac, true);
	EXPECT_MAC("link[0].local_mac", c.link[0].local_mac, "02:aa:bb:00:00:01");
	EXPECT_UINT("link[0].has_peer_mac (the partner gives none)", c.link[0].has_peer_mac,
		    false);
	EXPECT_STR("link[0].fault_rx", c.link[0].fault_rx, "drop=0.01,seed=7");
	EXPECT_STR("link[0].fault_tx", c.link[0].fault_tx, "off");
	EXPECT_UINT("lcore_ccm", c.lcore_ccm, 1);
	EXPECT_UINT("lcore_failover", c.lcore_failover, 2);
	EXPECT_UINT("lcore_nvram", c.lcore_nvram, 127);
	EXPECT_STR("nvram_file", c.nvram_file, "/n");
	EXPECT_STR("shadow_file", c.shadow_file, "/s");
	EXPECT_UINT("nvram_size", c.nvram_size, 1u << 30);
	EXPECT_UINT("mirror", c.mirror, CFG_MIRROR_ASYNC);
	EXPECT_STR("mailbox", c.mailbox, "/m");

	/* From the other side: the MAC is now the partner's. */
	rc = load_text("cluster: { id: 1 }\n"
		       "nodes:\n"
		       "  - { name: a, id: 1, links: [ { port: p, ip: 10.1.0.1, "
		       "mac: 02:aa:bb:00:00:01 } ] }\n"
		       "  - { name: b, id: 2, links: [ { port: p, ip: 10.1.0.2 } ] }\n",
		       "b", &c, err, path);
	EXPECT_LOADED(rc, err);
	EXPECT_UINT("link[0].has_local_mac", c.link[0].has_local_mac, false);
	EXPECT_UINT("link[0].has_peer_mac", c.link[0].has_peer_mac, true);
	EXPECT_MAC("link[0].peer_mac", c.link[0].peer_mac, "02:aa:bb:00:00:01");
}
END_TEST

START_TEST(numbers_in_decimal_or_hex_sizes_with_suffixes)
{
	static const struct {
		const char *text;
		uint64_t want;
	} sizes[] = {
		{ "65536", 64 << 10 }, { "0x10000", 64 << 10 }, { "64KiB", 64 << 10 },
		{ "16MiB", 16 << 20 }, { "0x10MiB", 16 << 20 }, { "16384KiB", 16 << 20 },
		{ "1GiB", 1 << 30 }, { "1024MiB", 1 << 30 }, { "1073741824", 1 << 30 },
		{ "0x40000000", 1 << 30 }, { "4100KiB", 4100 << 10 },
	};
	static const struct {
		const char *text;
		uint32_t want;
	} ids[] = {
		{ "24301", 0x5eed }, { "0x5eed", 0x5eed }, { "0x5EED", 0x5eed },
		{ "0x00005eed", 0x5eed }, { "0", 0 }, { "4294967295", UINT32_MAX },
	};
	struct app_config c;
	char err[ERR_LEN], path[PATH_MAX], a[256], b[256], cl[64];
	unsigned int i;
	int rc;

	for (i = 0; i < RTE_DIM(sizes); i++) {
		snprintf(a, sizeof(a), "    id: 1\n"
			 "    nvram: { file: /a, shadow: /as, size: %s }\n", sizes[i].text);
		snprintf(b, sizeof(b), "    id: 2\n"
			 "    nvram: { file: /b, shadow: /bs, size: %s }\n", sizes[i].text);
		rc = load_parts(NULL, a, b, &c, err, path);
		ck_assert_msg(rc == 0, "size %s: expected it to load, got %d: %s", sizes[i].text,
			      rc, err);
		ck_assert_msg(c.nvram_size == sizes[i].want,
			      "size %s: expected %" PRIu64 ", got %" PRIu64, sizes[i].text,
			      sizes[i].want, c.nvram_size);
	}
	for (i = 0; i < RTE_DIM(ids); i++) {
		snprintf(cl, sizeof(cl), "  id: %s\n", ids[i].text);
		rc = load_parts(cl, NULL, NULL, &c, err, path);
		if (ids[i].want == 0) {		/* read as 0, then out of range */
			ck_assert_msg(rc == -EINVAL && strstr(err, "cluster.id: 0 is out of range"),
				      "id %s: expected out of range, got %d: %s", ids[i].text, rc,
				      err);
			continue;
		}
		ck_assert_msg(rc == 0, "id %s: expected it to load, got %d: %s", ids[i].text, rc,
			      err);
		ck_assert_msg(c.cluster_id == ids[i].want,
			      "id %s: expected %" PRIu32 ", got %" PRIu32, ids[i].text,
			      ids[i].want, c.cluster_id);
	}
}
END_TEST

/* ---- printing ------------------------------------------------------------ */

struct print_buf {
	char text[8192];
	size_t len;
	unsigned int lines;
};

static void
collect(void *arg, const char *line)
{
	struct print_buf *p = arg;
	int n;

	ck_assert_msg(strchr(line, '\n') == NULL, "a printed line holds a newline: \"%s\"", line);
	n = snprintf(p->text + p->len, sizeof(p->text) - p->len, "%s\n", line);
	ck_assert_msg(n > 0 && p->len + n < sizeof(p->text), "printed text too long");
	p->len += n;
	p->lines++;
}

/* "key:" in @p text, as a key: at a line's start (after spaces), or after "{ " or ", ". */
static bool
has_key(const char *text, const char *key)
{
	size_t len = strlen(key);
	const char *p;

	for (p = strstr(text, key); p != NULL; p = strstr(p + 1, key)) {
		const char *q = p;

		if (p[len] != ':')
			continue;
		while (q > text && q[-1] == ' ')
			q--;
		if (q == text || q[-1] == '\n' || q[-1] == '{' || q[-1] == ',' ||
		    (q[-1] == '-' && q - 1 > text && q[-2] == ' '))
			return true;
	}
	return false;
}

START_TEST(print_shows_every_key)
{
	static const char *const keys[] = {
		"cluster", "id", "boot", "qpn", "rkey", "address", "transport", "mtu",
		"ack_timeout", "retry_count", "timings", "keepalive_us", "link_timeout_us",
		"heartbeat_us", "partner_timeout_us", "partner_fast_timeout_us",
		"giveback_delay_ms", "balance", "failback",
		"name", "links", "port", "ip", "mac", "fault_rx", "fault_tx", "lcores", "ccm",
		"failover", "nvram", "file", "shadow", "size", "mirror", "mailbox",
		"peer_ip", "peer_mac", "partner",
	};
	static const char *const values[] = {
		"0x5eed", "qpn: 8", "rkey: 0x7700", "address: 0x10000000", "mtu: 1024",
		"ack_timeout: 12", "retry_count: 3", "keepalive_us: 1000", "link_timeout_us: 5000",
		"heartbeat_us: 1000", "partner_timeout_us: 8000",
		"partner_fast_timeout_us: 4000", "giveback_delay_ms: 2000",
		"round-robin", "failback: true", "name: a", "net_memif0", "net_memif1",
		"10.90.0.1", "10.90.1.1", "peer_ip: 10.90.0.2", "peer_ip: 10.90.1.2",
		"02:00:00:00:00:01", "peer_mac: 02:00:00:00:01:02", "/dev/shm/ccm-a.nvram",
		"/dev/shm/ccm-a.shadow", "16MiB", "mirror: sync", "/dev/shm/ccm-mailbox", "name: b",
	};
	struct print_buf *p = calloc(1, sizeof(*p));
	struct app_config c;
	char err[ERR_LEN];
	unsigned int i;
	int rc;

	ck_assert(p != NULL);
	rc = app_config_load(demo_file(), "a", &c, err, sizeof(err));
	EXPECT_LOADED(rc, err);
	app_config_print(&c, collect, p);
	for (i = 0; i < RTE_DIM(keys); i++)
		ck_assert_msg(has_key(p->text, keys[i]), "expected key \"%s:\" in:\n%s", keys[i],
			      p->text);
	for (i = 0; i < RTE_DIM(values); i++)
		ck_assert_msg(strstr(p->text, values[i]) != NULL, "expected \"%s\" in:\n%s",
			      values[i], p->text);
	free(p);
}
END_TEST

START_TEST(print_shows_absent_sections_as_none)
{
	struct print_buf *p = calloc(1, sizeof(*p));
	struct app_config c;
	char err[ERR_LEN], path[PATH_MAX];
	int rc;

	ck_assert(p != NULL);
	rc = load_parts(NULL, NULL, NULL, &c, err, path);
	EXPECT_LOADED(rc, err);
	app_config_print(&c, collect, p);
	ck_assert_msg(strstr(p->text, "  nvram: ~") != NULL, "expected \"nvram: ~\" in:\n%s",
		      p->text);
	ck_assert_msg(strstr(p->text, "  failover: ~") != NULL,
		      "expected \"failover: ~\" in:\n%s", p->text);
	ck_assert_msg(strstr(p->text, "      mac: ~") != NULL && strstr(p->text, "peer_mac: ~"),
		      "expected \"mac: ~\" and \"peer_mac: ~\" in:\n%s", p->text);
	ck_assert_msg(p->lines > 20, "expected more than 20 lines, got %u", p->lines);
	app_config_print(NULL, collect, p);	/* nothing, no crash */
	app_config_print(&c, NULL, NULL);
	free(p);
}
END_TEST

/* ---- negative: one file per error kind ----------------------------------- */

struct bad {
	const char *file;
	unsigned int line, col;		/* 0: the message has no position */
	const char *msg;		/* after "FILE:LINE:COLUMN: " */
	bool prefix;			/* the rest is libyaml's wording */
};

#define BAD(file, line, col, msg) { (file), (line), (col), (msg), false }
#define LIBYAML(file, line, col, msg) { (file), (line), (col), (msg), true }

static const struct bad bad_files[] = {
	/* syntax, encoding, documents */
	LIBYAML("syntax-error.yaml", 3, 1, "YAML syntax error: "),
	LIBYAML("bad-utf8.yaml", 8, 25, "YAML syntax error: "),
	BAD("empty.yaml", 0, 0, "empty file (no YAML document)"),
	BAD("second-document.yaml", 13, 1, "a second YAML document (the file holds one)"),
	/* unknown keys, at every level */
	BAD("unknown-key-top.yaml", 12, 1,
	    "unknown key \"options\" at the top level (expected one of: cluster, nodes)"),
	BAD("unknown-key-cluster.yaml", 3, 3,
	    "cluster: unknown key \"name\" (expected one of: id, boot, transport, timings, balance, failback)"),
	BAD("unknown-key-boot.yaml", 3, 19,
	    "cluster.boot: unknown key \"key\" (expected one of: qpn, rkey, address)"),
	BAD("unknown-key-transport.yaml", 3, 16,
	    "cluster.transport: unknown key \"mtuu\" (expected one of: mtu, ack_timeout, retry_count)"),
	BAD("unknown-key-timings.yaml", 5, 5,
	    "cluster.timings: unknown key \"keepalive_ms\" (expected one of: keepalive_us, link_timeout_us, heartbeat_us, partner_timeout_us, partner_fast_timeout_us, giveback_delay_ms)"),
	BAD("unknown-key-node.yaml", 12, 5,
	    "nodes[1]: unknown key \"host\" (expected one of: name, id, links, lcores, nvram, failover)"),
	BAD("unknown-key-link.yaml", 13, 9,
	    "nodes[1].links[0]: unknown key \"vlan\" (expected one of: port, ip, mac, fault_rx, fault_tx)"),
	BAD("unknown-key-lcores.yaml", 8, 23,
	    "nodes[0].lcores: unknown key \"io\" (expected one of: ccm, failover, nvram)"),
	BAD("unknown-key-nvram.yaml", 8, 57,
	    "nodes[0].nvram: unknown key \"sync\" (expected one of: file, shadow, size, mirror)"),
	BAD("unknown-key-failover.yaml", 8, 35,
	    "nodes[0].failover: unknown key \"timeout\" (expected one of: mailbox)"),
	/* wrong types */
	BAD("wrong-type-top-list.yaml", 1, 1, "expected a mapping at the top level, found a list"),
	BAD("wrong-type-list-for-map.yaml", 3, 14,
	    "cluster.transport: expected a mapping, found a list"),
	BAD("wrong-type-string-for-number.yaml", 2, 7,
	    "cluster.id: expected a number, found \"abc\""),
	BAD("wrong-type-map-for-number.yaml", 9, 9,
	    "nodes[1].id: expected a number, found a mapping"),
	BAD("wrong-type-quoted-number.yaml", 3, 21,
	    "cluster.transport.mtu: expected a number, found the quoted string \"1024\""),
	BAD("wrong-type-bool.yaml", 3, 13,
	    "cluster.failback: expected true or false, found \"yes\""),
	BAD("wrong-type-map-for-list.yaml", 4, 3,
	    "nodes: expected a list of two nodes, found a mapping"),
	BAD("wrong-type-string-for-list.yaml", 10, 12,
	    "nodes[1].links: expected a list, found \"p0\""),
	BAD("wrong-type-empty-value.yaml", 3, 8, "cluster.boot: expected a mapping, found nothing"),
	BAD("wrong-type-list-for-string.yaml", 4, 11,
	    "nodes[0].name: expected a node name, found a list"),
	BAD("wrong-type-key.yaml", 3, 5, "cluster: expected a key, found a list"),
	BAD("wrong-type-enum.yaml", 3, 12,
	    "cluster.balance: \"rr\" is not one of round-robin, active-standby"),
	/* numbers */
	BAD("out-of-range-cluster-id.yaml", 2, 7,
	    "cluster.id: 0x100000000 is out of range (1..0xffffffff)"),
	BAD("out-of-range-mtu.yaml", 3, 21,
	    "cluster.transport.mtu: 1000 is not one of 256, 512, 1024, 2048, 4096"),
	BAD("out-of-range-ack-timeout.yaml", 3, 40,
	    "cluster.transport.ack_timeout: 32 is out of range (1..31)"),
	BAD("out-of-range-node-id.yaml", 9, 9, "nodes[1].id: 65536 is out of range (1..65535)"),
	BAD("out-of-range-lcore.yaml", 12, 33,
	    "nodes[1].lcores.failover: 128 is out of range (0..127)"),
	BAD("overflow.yaml", 3, 20,
	    "cluster.boot.address: 0x10000000000000000 is out of range (0..0xffffffffffffff00)"),
	BAD("leading-zero.yaml", 3, 29,
	    "cluster.transport.retry_count: \"07\" has a leading zero (YAML 1.1 reads it as octal)"),
	BAD("timings-link-timeout.yaml", 3, 51,
	    "cluster.timings: link_timeout_us (1500) must be at least twice keepalive_us (1000)"),
	BAD("timings-partner-timeout.yaml", 3, 28,
	    "cluster.timings: partner_timeout_us (8000) must be at least twice heartbeat_us (30000)"),
	BAD("timings-fast-timeout.yaml", 3, 86,
	    "cluster.timings: partner_fast_timeout_us (20000) must be at least twice heartbeat_us (1000) and at most partner_timeout_us (10000)"),
	/* required keys */
	BAD("missing-key-top.yaml", 1, 1, "missing required key \"nodes\" at the top level"),
	BAD("missing-key-cluster-id.yaml", 2, 3, "missing required key \"id\" in cluster"),
	BAD("missing-key-node-id.yaml", 8, 5, "missing required key \"id\" in nodes[1]"),
	BAD("missing-key-link-ip.yaml", 11, 9, "missing required key \"ip\" in nodes[1].links[0]"),
	BAD("missing-key-nvram-file.yaml", 8, 12,
	    "missing required key \"file\" in nodes[0].nvram"),
	/* duplicates */
	BAD("duplicate-key.yaml", 4, 3,
	    "cluster: duplicate key \"id\" (first at line 2, column 3)"),
	BAD("duplicate-node-name.yaml", 8, 11,
	    "nodes[1].name: \"a\" is already the name of nodes[0]"),
	BAD("duplicate-node-id.yaml", 9, 9, "nodes[1].id: 1 is already the id of nodes[0]"),
	BAD("duplicate-ip.yaml", 13, 25,
	    "nodes[1].links[1].ip: 10.0.0.1 is already the address of nodes[0].links[0]"),
	BAD("duplicate-mac.yaml", 11, 40,
	    "nodes[1].links[0].mac: 02:00:00:00:00:01 is already the address of nodes[0].links[0]"),
	BAD("duplicate-port.yaml", 8, 17,
	    "nodes[0].links[1].port: \"p0\" is already the port of nodes[0].links[0]"),
	/* counts */
	BAD("nodes-one.yaml", 4, 3, "nodes: expected exactly 2 nodes, found 1"),
	BAD("nodes-three.yaml", 12, 5, "nodes: expected exactly 2 nodes, found 3"),
	BAD("links-none.yaml", 10, 12, "nodes[1].links: expected 1 to 4 links, found none"),
	BAD("links-five.yaml", 15, 9, "nodes[1].links: expected 1 to 4 links, found 5"),
	BAD("link-count-differs.yaml", 11, 7,
	    "nodes[1].links: 2 links, but nodes[0] has 1 (link i of one node joins link i of the other)"),
	/* values */
	BAD("bad-ip.yaml", 12, 13, "nodes[1].links[0].ip: \"10.90.0.300\" is not an IPv4 address"),
	BAD("ip-not-unicast.yaml", 11, 25,
	    "nodes[1].links[0].ip: \"224.0.0.2\" is not a unicast address a port can use"),
	BAD("bad-mac.yaml", 7, 40,
	    "nodes[0].links[0].mac: \"02:00:00:00:01\" is not a MAC address (xx:xx:xx:xx:xx:xx)"),
	BAD("mac-multicast.yaml", 7, 40,
	    "nodes[0].links[0].mac: \"01:00:5e:00:00:01\" is not a unicast MAC address"),
	BAD("bad-fault.yaml", 9, 19,
	    "nodes[0].links[0].fault_rx: \"drop=1.5,seed=7\" is not a fault spec (comma-separated drop=, dup=, reorder=, corrupt=, delay= rates 0..1, delay_us=, seed=; or off)"),
	BAD("bad-size-suffix.yaml", 8, 63,
	    "nodes[0].nvram.size: \"16MB\" has an unknown size suffix \"MB\" (expected KiB, MiB or GiB)"),
	BAD("size-out-of-range.yaml", 8, 63,
	    "nodes[0].nvram.size: 2GiB is out of range (64KiB..1GiB)"),
	BAD("size-not-pages.yaml", 8, 63, "nodes[0].nvram.size: 100000 is not a multiple of 4KiB"),
	BAD("bad-node-name.yaml", 4, 11,
	    "nodes[0].name: \"Node-A\" is not a node name (1 to 16 characters of a-z, 0-9, _ and -)"),
	BAD("empty-string.yaml", 7, 17, "nodes[0].links[0].port: must not be empty"),
	BAD("string-too-long.yaml", 7, 17,
	    "nodes[0].links[0].port: \"ppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp...\" is longer than 63 characters"),
	BAD("control-character.yaml", 8, 26,
	    "nodes[0].failover.mailbox: \"/tmp/mail\\x09box\" contains a control character"),
	/* rules across the nodes */
	BAD("nvram-one-node.yaml", 9, 5,
	    "nodes[1]: no nvram section, but nodes[0] has one (each node mirrors its log into the other's shadow)"),
	BAD("nvram-size-differs.yaml", 13, 63,
	    "nodes[1].nvram.size: 8MiB, but nodes[0] has 16MiB (the shadow mirrors the partner's log byte for byte)"),
	BAD("nvram-shadow-is-file.yaml", 8, 42,
	    "nodes[0].nvram.shadow: \"/tmp/a.nvram\" is also the log file"),
	BAD("failover-one-node.yaml", 4, 5,
	    "nodes[0]: no failover section, but nodes[1] has one (the failover monitors watch each other)"),
	BAD("mailbox-one-node.yaml", 8, 15,
	    "nodes[0].failover: no mailbox, but nodes[1] has one (it proves a node alive only if both write it)"),
	BAD("failover-node-ids.yaml", 10, 9,
	    "nodes[1].id: 7 is not 1 or 2 (with a failover section the node ids are 1 and 2: one mailbox slot each)"),
};

/* @p err is "@p path:LINE:COL: rest" (or "@p path: rest"): @return rest, or NULL. */
static const char *
split_message(const char *err, const char *path, unsigned int *line, unsigned int *col)
{
	size_t len = strlen(path);
	int used = 0;

	*line = *col = 0;
	if (strncmp(err, path, len) != 0 || err[len] != ':')
		return NULL;
	err += len;
	if (strncmp(err, ": ", 2) == 0)
		return err + 2;
	if (sscanf(err, ":%u:%u: %n", line, col, &used) != 2 || used == 0)
		return NULL;
	return err + used;
}

START_TEST(each_bad_file_gives_its_message_and_position)
{
	const struct bad *b = &bad_files[_i];
	const char *path = bad_file(b->file), *rest;
	struct app_config c;
	char err[ERR_LEN];
	unsigned int line, col;
	int rc;

	memset(err, 'x', sizeof(err));
	rc = app_config_load(path, NULL, &c, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "%s: expected -EINVAL (%d), got %d: %s", b->file, -EINVAL, rc,
		      rc == 0 ? "(loaded)" : err);
	rest = split_message(err, path, &line, &col);
	ck_assert_msg(rest != NULL, "%s: expected \"%s:LINE:COLUMN: ...\", got \"%s\"", b->file,
		      path, err);
	ck_assert_msg(line == b->line && col == b->col,
		      "%s: expected position %u:%u, got %u:%u (%s)", b->file, b->line, b->col,
		      line, col, err);
	if (b->prefix)
		ck_assert_msg(strncmp(rest, b->msg, strlen(b->msg)) == 0,
			      "%s: expected \"%s...\", got \"%s\"", b->file, b->msg, rest);
	else
		ck_assert_msg(strcmp(rest, b->msg) == 0, "%s: expected \"%s\", got \"%s\"", b->file,
			      b->msg, rest);
}
END_TEST

START_TEST(every_bad_file_is_tested)
{
	char dir[PATH_MAX];
	struct dirent *e;
	unsigned int i, seen = 0;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/config", data_dir());
	d = opendir(dir);
	ck_assert_msg(d != NULL, "%s: %s", dir, strerror(errno));
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		for (i = 0; i < RTE_DIM(bad_files); i++)
			if (strcmp(e->d_name, bad_files[i].file) == 0)
				break;
		ck_assert_msg(i < RTE_DIM(bad_files), "%s/%s is not in bad_files[]", dir,
			      e->d_name);
		seen++;
	}
	closedir(d);
	ck_assert_msg(seen == RTE_DIM(bad_files), "expected %zu files in %s, found %u",
		      RTE_DIM(bad_files), dir, seen);
}
END_TEST

/* ---- negative: both bounds of every numeric key -------------------------- */

struct bound {
	const char *cluster, *a, *b;	/* load_parts() */
	const char *msg;		/* NULL: loads; else after "FILE:LINE:COLUMN: " */
	size_t off;			/* then this field of the config ... */
	size_t size;
	uint64_t want;			/* ... holds this */
};

#define CL(s) "  id: 1\n" s
#define FIELD(m) offsetof(struct app_config, m), sizeof(((struct app_config *)0)->m)
#define NV_A(size) "    id: 1\n    nvram: { file: /a, shadow: /as, size: " size " }\n"
#define NV_B(size) "    id: 2\n    nvram: { file: /b, shadow: /bs, size: " size " }\n"

#define ACCEPT(cl, a, b, field, value) { (cl), (a), (b), NULL, FIELD(field), (value) }
#define REJECT(cl, a, b, msg) { (cl), (a), (b), (msg), 0, 0, 0 }

static const struct bound bounds[] = {
	REJECT("  id: 0\n", NULL, NULL, "cluster.id: 0 is out of range (1..0xffffffff)"),
	ACCEPT("  id: 1\n", NULL, NULL, cluster_id, 1),
	ACCEPT("  id: 4294967295\n", NULL, NULL, cluster_id, UINT32_MAX),
	REJECT("  id: 4294967296\n", NULL, NULL,
	       "cluster.id: 4294967296 is out of range (1..0xffffffff)"),
	REJECT("  id: 18446744073709551616\n", NULL, NULL,
	       "cluster.id: 18446744073709551616 is out of range (1..0xffffffff)"),
	REJECT(CL("  boot: { qpn: 1 }\n"), NULL, NULL,
	       "cluster.boot.qpn: 1 is out of range (2..1023)"),
	ACCEPT(CL("  boot: { qpn: 2 }\n"), NULL, NULL, boot_qpn, 2),
	ACCEPT(CL("  boot: { qpn: 1023 }\n"), NULL, NULL, boot_qpn, 1023),
	REJECT(CL("  boot: { qpn: 1024 }\n"), NULL, NULL,
	       "cluster.boot.qpn: 1024 is out of range (2..1023)"),
	REJECT(CL("  boot: { rkey: 0xff }\n"), NULL, NULL,
	       "cluster.boot.rkey: 0xff is out of range (0x100..0xfffff)"),
	ACCEPT(CL("  boot: { rkey: 0x100 }\n"), NULL, NULL, boot_rkey, 0x100),
	ACCEPT(CL("  boot: { rkey: 0xfffff }\n"), NULL, NULL, boot_rkey, 0xfffff),
	REJECT(CL("  boot: { rkey: 0x100000 }\n"), NULL, NULL,
	       "cluster.boot.rkey: 0x100000 is out of range (0x100..0xfffff)"),
	ACCEPT(CL("  boot: { address: 0 }\n"), NULL, NULL, boot_addr, 0),
	ACCEPT(CL("  boot: { address: 0xffffffffffffff00 }\n"), NULL, NULL,
	       boot_addr, 0xffffffffffffff00),
	REJECT(CL("  boot: { address: 0xffffffffffffff01 }\n"), NULL, NULL,
	       "cluster.boot.address: 0xffffffffffffff01 is out of range (0..0xffffffffffffff00)"),
	REJECT(CL("  transport: { mtu: 128 }\n"), NULL, NULL,
	       "cluster.transport.mtu: 128 is not one of 256, 512, 1024, 2048, 4096"),
	ACCEPT(CL("  transport: { mtu: 256 }\n"), NULL, NULL, mtu, 256),
	ACCEPT(CL("  transport: { mtu: 512 }\n"), NULL, NULL, mtu, 512),
	ACCEPT(CL("  transport: { mtu: 2048 }\n"), NULL, NULL, mtu, 2048),
	ACCEPT(CL("  transport: { mtu: 4096 }\n"), NULL, NULL, mtu, 4096),
	REJECT(CL("  transport: { mtu: 8192 }\n"), NULL, NULL,
	       "cluster.transport.mtu: 8192 is not one of 256, 512, 1024, 2048, 4096"),
	REJECT(CL("  transport: { mtu: 0x10000000000000400 }\n"), NULL, NULL,
	       "cluster.transport.mtu: 0x10000000000000400 is not one of 256, 512, 1024, 2048, 4096"),
	REJECT(CL("  transport: { ack_timeout: 0 }\n"), NULL, NULL,
	       "cluster.transport.ack_timeout: 0 is out of range (1..31)"),
	ACCEPT(CL("  transport: { ack_timeout: 1 }\n"), NULL, NULL, ack_timeout, 1),
	ACCEPT(CL("  transport: { ack_timeout: 31 }\n"), NULL, NULL, ack_timeout, 31),
	REJECT(CL("  transport: { ack_timeout: 32 }\n"), NULL, NULL,
	       "cluster.transport.ack_timeout: 32 is out of range (1..31)"),
	ACCEPT(CL("  transport: { retry_count: 0 }\n"), NULL, NULL, retry_cnt, 0),
	ACCEPT(CL("  transport: { retry_count: 7 }\n"), NULL, NULL, retry_cnt, 7),
	REJECT(CL("  transport: { retry_count: 8 }\n"), NULL, NULL,
	       "cluster.transport.retry_count: 8 is out of range (0..7)"),
	REJECT(CL("  timings: { keepalive_us: 9 }\n"), NULL, NULL,
	       "cluster.timings.keepalive_us: 9 is out of range (10..1000000)"),
	ACCEPT(CL("  timings: { keepalive_us: 10 }\n"), NULL, NULL, keepalive_us, 10),
	ACCEPT(CL("  timings: { keepalive_us: 1000000, link_timeout_us: 2000000 }\n"), NULL, NULL,
	       keepalive_us, 1000000),
	REJECT(CL("  timings: { keepalive_us: 1000001 }\n"), NULL, NULL,
	       "cluster.timings.keepalive_us: 1000001 is out of range (10..1000000)"),
	REJECT(CL("  timings: { link_timeout_us: 19 }\n"), NULL, NULL,
	       "cluster.timings.link_timeout_us: 19 is out of range (20..60000000)"),
	ACCEPT(CL("  timings: { keepalive_us: 10, link_timeout_us: 20 }\n"), NULL, NULL,
	       link_timeout_us, 20),
	ACCEPT(CL("  timings: { link_timeout_us: 60000000 }\n"), NULL, NULL,
	       link_timeout_us, 60000000),
	REJECT(CL("  timings: { link_timeout_us: 60000001 }\n"), NULL, NULL,
	       "cluster.timings.link_timeout_us: 60000001 is out of range (20..60000000)"),
	REJECT(CL("  timings: { keepalive_us: 2501 }\n"), NULL, NULL,
	       "cluster.timings: link_timeout_us (5000) must be at least twice keepalive_us (2501)"),
	ACCEPT(CL("  timings: { keepalive_us: 2500 }\n"), NULL, NULL, keepalive_us, 2500),
	REJECT(CL("  timings: { heartbeat_us: 9 }\n"), NULL, NULL,
	       "cluster.timings.heartbeat_us: 9 is out of range (10..10000000)"),
	ACCEPT(CL("  timings: { heartbeat_us: 10 }\n"), NULL, NULL, heartbeat_us, 10),
	ACCEPT(CL("  timings: { heartbeat_us: 10000000, partner_timeout_us: 20000000 }\n"),
	       NULL, NULL, heartbeat_us, 10000000),
	REJECT(CL("  timings: { heartbeat_us: 10000001 }\n"), NULL, NULL,
	       "cluster.timings.heartbeat_us: 10000001 is out of range (10..10000000)"),
	REJECT(CL("  timings: { partner_timeout_us: 19 }\n"), NULL, NULL,
	       "cluster.timings.partner_timeout_us: 19 is out of range (20..600000000)"),
	ACCEPT(CL("  timings: { heartbeat_us: 10, partner_timeout_us: 20 }\n"), NULL, NULL,
	       partner_timeout_us, 20),
	ACCEPT(CL("  timings: { partner_timeout_us: 600000000 }\n"), NULL, NULL,
	       partner_timeout_us, 600000000),
	REJECT(CL("  timings: { partner_timeout_us: 600000001 }\n"), NULL, NULL,
	       "cluster.timings.partner_timeout_us: 600000001 is out of range (20..600000000)"),
	ACCEPT(CL("  timings: { giveback_delay_ms: 0 }\n"), NULL, NULL, giveback_delay_ms, 0),
	ACCEPT(CL("  timings: { giveback_delay_ms: 3600000 }\n"), NULL, NULL,
	       giveback_delay_ms, 3600000),
	REJECT(CL("  timings: { giveback_delay_ms: 3600001 }\n"), NULL, NULL,
	       "cluster.timings.giveback_delay_ms: 3600001 is out of range (0..3600000)"),
	REJECT(NULL, "    id: 0\n", NULL, "nodes[0].id: 0 is out of range (1..65535)"),
	ACCEPT(NULL, "    id: 65535\n", NULL, node_id, 65535),
	ACCEPT(NULL, NULL, "    id: 65535\n", peer_node_id, 65535),
	REJECT(NULL, "    id: 65536\n", NULL, "nodes[0].id: 65536 is out of range (1..65535)"),
	ACCEPT(NULL, "    id: 1\n    lcores: { ccm: 127 }\n", NULL, lcore_ccm, 127),
	REJECT(NULL, "    id: 1\n    lcores: { ccm: 128 }\n", NULL,
	       "nodes[0].lcores.ccm: 128 is out of range (0..127)"),
	ACCEPT(NULL, "    id: 1\n    lcores: { failover: 127 }\n", NULL, lcore_failover, 127),
	REJECT(NULL, "    id: 1\n    lcores: { failover: 128 }\n", NULL,
	       "nodes[0].lcores.failover: 128 is out of range (0..127)"),
	ACCEPT(NULL, "    id: 1\n    lcores: { nvram: 127 }\n", NULL, lcore_nvram, 127),
	REJECT(NULL, "    id: 1\n    lcores: { nvram: 128 }\n", NULL,
	       "nodes[0].lcores.nvram: 128 is out of range (0..127)"),
	REJECT(NULL, NV_A("60KiB"), NV_B("60KiB"),
	       "nodes[0].nvram.size: 60KiB is out of range (64KiB..1GiB)"),
	REJECT(NULL, NV_A("65535"), NV_B("65535"),
	       "nodes[0].nvram.size: 65535 is out of range (64KiB..1GiB)"),
	ACCEPT(NULL, NV_A("64KiB"), NV_B("64KiB"), nvram_size, 64 << 10),
	ACCEPT(NULL, NV_A("1GiB"), NV_B("1GiB"), nvram_size, 1 << 30),
	REJECT(NULL, NV_A("1073745920"), NV_B("1073745920"),
	       "nodes[0].nvram.size: 1073745920 is out of range (64KiB..1GiB)"),
	REJECT(NULL, NV_A("17179869184GiB"), NV_B("1GiB"),
	       "nodes[0].nvram.size: 17179869184GiB is out of range (64KiB..1GiB)"),
	ACCEPT(NULL, "    id: 1\n    failover: {}\n", "    id: 2\n    failover: {}\n",
	       failover_enabled, true),
	REJECT(NULL, "    id: 3\n    failover: {}\n", "    id: 2\n    failover: {}\n",
	       "nodes[0].id: 3 is not 1 or 2 (with a failover section the node ids are 1 and 2: one mailbox slot each)"),
};

START_TEST(each_numeric_bound)
{
	const struct bound *b = &bounds[_i];
	struct app_config c;
	char err[ERR_LEN], path[PATH_MAX], row[256];
	unsigned int line, col;
	const char *rest;
	uint64_t got = 0;
	int rc;

	rc = load_parts(b->cluster, b->a, b->b, &c, err, path);
	snprintf(row, sizeof(row), "row %d (%s%s%s)", _i, b->cluster != NULL ? b->cluster : "",
		 b->a != NULL ? b->a : "", b->b != NULL ? b->b : "");
	if (b->msg == NULL) {
		ck_assert_msg(rc == 0, "%s: expected it to load, got %d: %s", row, rc, err);
		memcpy(&got, (const char *)&c + b->off, b->size);	/* a little-endian host */
		ck_assert_msg(got == b->want, "%s: expected %" PRIu64 ", got %" PRIu64, row,
			      b->want, got);
		return;
	}
	ck_assert_msg(rc == -EINVAL, "%s: expected -EINVAL, got %d", row, rc);
	rest = split_message(err, path, &line, &col);
	ck_assert_msg(rest != NULL && line > 0 && col > 0,
		      "%s: expected \"%s:LINE:COLUMN: ...\", got \"%s\"", row, path, err);
	ck_assert_msg(strcmp(rest, b->msg) == 0, "%s: expected \"%s\", got \"%s\"", row, b->msg,
		      rest);
}
END_TEST

/* ---- negative: the file, the node, the caller ---------------------------- */

START_TEST(missing_file_is_enoent_and_named)
{
	const char *path = bad_file("no-such-file.yaml");
	struct app_config c;
	char err[ERR_LEN], want[PATH_MAX + 64];
	int rc;

	rc = app_config_load(path, "a", &c, err, sizeof(err));
	ck_assert_msg(rc == -ENOENT, "expected -ENOENT (%d), got %d", -ENOENT, rc);
	snprintf(want, sizeof(want), "%s: cannot open: %s", path, strerror(ENOENT));
	EXPECT_STR("message", err, want);
}
END_TEST

START_TEST(a_directory_is_not_a_configuration)
{
	char path[PATH_MAX], err[ERR_LEN];
	struct app_config c;
	int rc;

	snprintf(path, sizeof(path), "%s/config", data_dir());
	rc = app_config_load(path, "a", &c, err, sizeof(err));
	ck_assert_msg(rc == -EISDIR, "expected -EISDIR (%d), got %d: %s", -EISDIR, rc, err);
	ck_assert_msg(strncmp(err, path, strlen(path)) == 0, "expected \"%s: ...\", got \"%s\"",
		      path, err);
}
END_TEST

START_TEST(comments_only_is_an_empty_file)
{
	struct app_config c;
	char err[ERR_LEN], path[PATH_MAX], want[PATH_MAX + 64];
	int rc;

	rc = load_text("# nothing yet\n\n   \n", "a", &c, err, path);
	ck_assert_msg(rc == -EINVAL, "expected -EINVAL, got %d", rc);
	snprintf(want, sizeof(want), "%s: empty file (no YAML document)", path);
	EXPECT_STR("message", err, want);
}
END_TEST

START_TEST(unknown_node_is_named_with_the_choices)
{
	struct app_config c;
	char err[ERR_LEN], want[PATH_MAX + 64];
	int rc;

	rc = app_config_load(demo_file(), "c", &c, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "expected -EINVAL, got %d", rc);
	snprintf(want, sizeof(want), "%s: no node named \"c\" (nodes: a, b)", demo_file());
	EXPECT_STR("message", err, want);
	rc = app_config_load(demo_file(), "", &c, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "\"\": expected -EINVAL, got %d", rc);
}
END_TEST

START_TEST(failed_load_leaves_config_untouched)
{
	struct app_config c, before;
	char err[ERR_LEN];
	int rc;

	rc = app_config_load(demo_file(), "b", &c, err, sizeof(err));
	EXPECT_LOADED(rc, err);
	before = c;
	rc = app_config_load(bad_file("duplicate-ip.yaml"), "a", &c, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "expected -EINVAL, got %d", rc);
	ck_assert_msg(memcmp(&c, &before, sizeof(c)) == 0, "the config changed on a failed load");
	rc = app_config_load(demo_file(), "c", &c, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "expected -EINVAL, got %d", rc);
	ck_assert_msg(memcmp(&c, &before, sizeof(c)) == 0,
		      "the config changed when the node was not found");
}
END_TEST

START_TEST(short_or_absent_error_buffer)
{
	struct app_config c;
	char err[16];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = app_config_load(bad_file("bad-ip.yaml"), NULL, &c, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "expected -EINVAL, got %d", rc);
	ck_assert_msg(memchr(err, '\0', sizeof(err)) != NULL && strlen(err) == sizeof(err) - 1,
		      "expected a truncated, terminated message of %zu characters, got \"%.16s\"",
		      sizeof(err) - 1, err);
	rc = app_config_load(bad_file("bad-ip.yaml"), NULL, &c, NULL, 0);
	ck_assert_msg(rc == -EINVAL, "no buffer: expected -EINVAL, got %d", rc);
	rc = app_config_load(bad_file("no-such-file.yaml"), NULL, &c, err, 1);
	ck_assert_msg(rc == -ENOENT && err[0] == '\0',
		      "one byte: expected -ENOENT and \"\", got %d and \"%s\"", rc, err);
	rc = app_config_load(NULL, NULL, &c, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "no path: expected -EINVAL, got %d", rc);
	rc = app_config_load(demo_file(), NULL, NULL, err, sizeof(err));
	ck_assert_msg(rc == -EINVAL, "no config: expected -EINVAL, got %d", rc);
}
END_TEST

START_TEST(path_longer_than_the_config_holds)
{
	struct app_config c;
	char path[CFG_PATH_LEN + 1], err[ERR_LEN];
	int rc;

	memset(path, 'x', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	rc = app_config_load(path, NULL, &c, err, sizeof(err));
	ck_assert_msg(rc == -ENAMETOOLONG, "expected -ENAMETOOLONG (%d), got %d: %s",
		      -ENAMETOOLONG, rc, err);
}
END_TEST

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("load");
	TCase *neg = tcase_create("negative");

	tcase_add_test(tc, demo_config_loads_as_node_a);
	tcase_add_test(tc, demo_config_loads_as_node_b);
	tcase_add_test(tc, no_node_given_picks_the_host_name_else_the_first);
	tcase_add_test(tc, defaults_when_optional_sections_absent);
	tcase_add_test(tc, empty_sections_take_their_defaults);
	tcase_add_test(tc, every_key_in_flow_style_with_other_values);
	tcase_add_test(tc, numbers_in_decimal_or_hex_sizes_with_suffixes);
	tcase_add_test(tc, print_shows_every_key);
	tcase_add_test(tc, print_shows_absent_sections_as_none);
	tcase_add_loop_test(neg, each_bad_file_gives_its_message_and_position, 0,
			    RTE_DIM(bad_files));
	tcase_add_test(neg, every_bad_file_is_tested);
	tcase_add_loop_test(neg, each_numeric_bound, 0, RTE_DIM(bounds));
	tcase_add_test(neg, missing_file_is_enoent_and_named);
	tcase_add_test(neg, a_directory_is_not_a_configuration);
	tcase_add_test(neg, comments_only_is_an_empty_file);
	tcase_add_test(neg, unknown_node_is_named_with_the_choices);
	tcase_add_test(neg, failed_load_leaves_config_untouched);
	tcase_add_test(neg, short_or_absent_error_buffer);
	tcase_add_test(neg, path_longer_than_the_config_holds);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, neg);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(config_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
