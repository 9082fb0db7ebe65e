/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * This application's keys (docs/configuration.md, "Keys"): one table per
 * mapping, in document order: key, kind, required, range, where the value
 * goes. The walker (app_config_walk.c) checks a file against them.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#include "app_config_pvt.h"
#include "ccm.h"
#include "ccm_defaults.h"
#include "failover.h"
#include "failover_defaults.h"
#include "nvram_limits.h"
#include "roce_fault_spec.h"

/*
 * Limits and defaults are the libraries' (ccm_defaults.h,
 * failover_defaults.h, nvram_limits.h); only what is this application's
 * own choice is here: the NVRAM size range and default, the mirror mode.
 */
#define NVRAM_SIZE_MIN		(64 * CFG_KIB)
#define NVRAM_SIZE_MAX		CFG_GIB
#define NVRAM_SIZE_DEFAULT	(16 * CFG_MIB)
static_assert(NVRAM_SIZE_MIN >= NVRAM_LOG_MIN && NVRAM_SIZE_MIN % NVRAM_SIZE_ALIGN == 0 &&
	      NVRAM_SIZE_MAX % NVRAM_SIZE_ALIGN == 0 && NVRAM_SIZE_DEFAULT % NVRAM_SIZE_ALIGN == 0,
	      "the application's sizes are sizes the NVRAM shadow accepts");

#define UINT(k, i, type, m, lo, hi) \
	{ .key = (k), .kind = CFG_UINT, .idx = (i), .off = offsetof(type, m), \
	  .min = (lo), .max = (hi) }
#define UINT_HEX(k, i, type, m, lo, hi) \
	{ .key = (k), .kind = CFG_UINT, .idx = (i), .hex = true, .off = offsetof(type, m), \
	  .min = (lo), .max = (hi) }
#define STRING(k, i, type, m, least) \
	{ .key = (k), .kind = CFG_STRING, .idx = (i), .required = (least) > 0, \
	  .off = offsetof(type, m), .size = sizeof(((type *)0)->m), .min = (least) }
#define SECTION(k, i, s) { .key = (k), .kind = CFG_SECTION, .idx = (i), .sub = &(s) }

const char *const cfg_balance_names[CFG_BALANCE_ACTIVE_STANDBY + 1] = {
	[CFG_BALANCE_ROUND_ROBIN] = "round-robin",
	[CFG_BALANCE_ACTIVE_STANDBY] = "active-standby",
};
const char *const cfg_mirror_names[CFG_MIRROR_ASYNC + 1] = {
	[CFG_MIRROR_SYNC] = "sync",
	[CFG_MIRROR_ASYNC] = "async",
};
/* IBTA's path MTUs (IBV_MTU_256 .. IBV_MTU_4096). */
static const uint64_t mtus[] = { 256, 512, 1024, 2048, 4096 };

static bool
is_fault_spec(const char *s)
{
	struct roce_fault_conf fault;

	return roce_fault_parse(s, &fault) == 0;
}

/* cluster: */
static const struct cfg_field boot_fields[] = {
	UINT("qpn", CF_QPN, struct cluster_def, qpn, CCM_BOOT_QPN_MIN, CCM_BOOT_QPN_MAX),
	UINT_HEX("rkey", CF_RKEY, struct cluster_def, rkey, CCM_BOOT_RKEY_MIN, CCM_BOOT_RKEY_MAX),
	UINT_HEX("address", CF_ADDR, struct cluster_def, addr, 0, CCM_BOOT_ADDR_MAX),
};
static const struct cfg_schema boot_schema = CFG_SCHEMA(boot_fields);

static const struct cfg_field transport_fields[] = {
	{ .key = "mtu", .kind = CFG_UINT, .idx = CF_MTU, .off = offsetof(struct cluster_def, mtu),
	  .choices = mtus, .nb_choices = RTE_DIM(mtus) },
	UINT("ack_timeout", CF_ACK_TIMEOUT, struct cluster_def, ack_timeout, CCM_ACK_TIMEOUT_MIN,
	     CCM_ACK_TIMEOUT_MAX),
	UINT("retry_count", CF_RETRY_COUNT, struct cluster_def, retry_count, 0, CCM_RETRY_CNT_MAX),
};
static const struct cfg_schema transport_schema = CFG_SCHEMA(transport_fields);

static const struct cfg_field timings_fields[] = {
	UINT("keepalive_us", CF_KEEPALIVE, struct cluster_def, keepalive_us, 10, 1000000),
	UINT("link_timeout_us", CF_LINK_TIMEOUT, struct cluster_def, link_timeout_us, 20,
	     60000000),
	UINT("heartbeat_us", CF_HEARTBEAT, struct cluster_def, heartbeat_us, 10, 10000000),
	UINT("partner_timeout_us", CF_PARTNER_TIMEOUT, struct cluster_def, partner_timeout_us, 20,
	     600000000),
	UINT("partner_fast_timeout_us", CF_PARTNER_FAST_TIMEOUT, struct cluster_def,
	     partner_fast_timeout_us, 20, 600000000),
	UINT("giveback_delay_ms", CF_GIVEBACK_DELAY, struct cluster_def, giveback_delay_ms, 0,
	     3600000),
};
static const struct cfg_schema timings_schema = CFG_SCHEMA(timings_fields);

static const struct cfg_field cluster_fields[] = {
	{ .key = "id", .kind = CFG_UINT, .idx = CF_ID, .required = true, .hex = true,
	  .off = offsetof(struct cluster_def, id), .min = 1, .max = UINT32_MAX },
	SECTION("boot", CF_BOOT, boot_schema),
	SECTION("transport", CF_TRANSPORT, transport_schema),
	SECTION("timings", CF_TIMINGS, timings_schema),
	{ .key = "balance", .kind = CFG_ENUM, .idx = CF_BALANCE,
	  .off = offsetof(struct cluster_def, balance), .names = cfg_balance_names,
	  .nb_names = RTE_DIM(cfg_balance_names) },
	{ .key = "failback", .kind = CFG_BOOL, .idx = CF_FAILBACK,
	  .off = offsetof(struct cluster_def, failback) },
};
static const struct cfg_schema cluster_schema = CFG_SCHEMA(cluster_fields);

/* nodes[i].links[j]: */
#define FAULT(k, i, m) \
	{ .key = (k), .kind = CFG_STRING, .idx = (i), .off = offsetof(struct link_def, m), \
	  .size = CFG_FAULT_LEN, .what = "a fault spec", .valid = is_fault_spec, \
	  .invalid = "a fault spec (comma-separated drop=, dup=, reorder=, corrupt=, delay= rates 0..1, delay_us=, seed=; or off)" }

static const struct cfg_field link_fields[] = {
	STRING("port", LF_PORT, struct link_def, port, 1),
	{ .key = "ip", .kind = CFG_IPV4, .idx = LF_IP, .required = true,
	  .off = offsetof(struct link_def, ip) },
	{ .key = "mac", .kind = CFG_MAC, .idx = LF_MAC, .off = offsetof(struct link_def, mac) },
	FAULT("fault_rx", LF_FAULT_RX, fault_rx),
	FAULT("fault_tx", LF_FAULT_TX, fault_tx),
};
static const struct cfg_schema link_schema = CFG_SCHEMA(link_fields);

/* nodes[i]: */
static const struct cfg_field lcores_fields[] = {
	UINT("ccm", NF_LC_CCM, struct node_def, lcore_ccm, 0, RTE_MAX_LCORE - 1),
	UINT("failover", NF_LC_FAILOVER, struct node_def, lcore_failover, 0, RTE_MAX_LCORE - 1),
	UINT("nvram", NF_LC_NVRAM, struct node_def, lcore_nvram, 0, RTE_MAX_LCORE - 1),
};
static const struct cfg_schema lcores_schema = CFG_SCHEMA(lcores_fields);

static const struct cfg_field nvram_fields[] = {
	STRING("file", NF_NV_FILE, struct node_def, nvram_file, 1),
	STRING("shadow", NF_NV_SHADOW, struct node_def, shadow_file, 1),
	{ .key = "size", .kind = CFG_SIZE, .idx = NF_NV_SIZE,
	  .off = offsetof(struct node_def, nvram_size), .min = NVRAM_SIZE_MIN,
	  .max = NVRAM_SIZE_MAX, .align = NVRAM_SIZE_ALIGN },
	{ .key = "mirror", .kind = CFG_ENUM, .idx = NF_NV_MIRROR,
	  .off = offsetof(struct node_def, mirror), .names = cfg_mirror_names,
	  .nb_names = RTE_DIM(cfg_mirror_names) },
};
static const struct cfg_schema nvram_schema = CFG_SCHEMA(nvram_fields);

static const struct cfg_field failover_fields[] = {
	STRING("mailbox", NF_FO_MAILBOX, struct node_def, mailbox, 0),
};
static const struct cfg_schema failover_schema = CFG_SCHEMA(failover_fields);

static const struct cfg_field node_fields[] = {
	{ .key = "name", .kind = CFG_NAME, .idx = NF_NAME, .required = true,
	  .off = offsetof(struct node_def, name), .size = CFG_NAME_LEN },
	{ .key = "id", .kind = CFG_UINT, .idx = NF_ID, .required = true,
	  .off = offsetof(struct node_def, id), .min = 1, .max = UINT16_MAX },
	{ .key = "links", .kind = CFG_LIST, .idx = NF_LINKS, .required = true,
	  .off = offsetof(struct node_def, link), .sub = &link_schema,
	  .min = 1, .max = CFG_MAX_LINKS, .what = "a list", .items = "links",
	  .stride = sizeof(struct link_def), .pos_off = offsetof(struct link_def, pos),
	  .at_off = offsetof(struct link_def, at),
	  .count_off = offsetof(struct node_def, nb_links) },
	SECTION("lcores", NF_LCORES, lcores_schema),
	SECTION("nvram", NF_NVRAM, nvram_schema),
	SECTION("failover", NF_FAILOVER, failover_schema),
};
static const struct cfg_schema node_schema = CFG_SCHEMA(node_fields);

/* The top level: */
static const struct cfg_field top_fields[] = {
	{ .key = "cluster", .kind = CFG_OBJECT, .idx = TF_CLUSTER, .required = true,
	  .off = offsetof(struct app_config_doc, cluster), .sub = &cluster_schema,
	  .pos_off = offsetof(struct cluster_def, pos) },
	{ .key = "nodes", .kind = CFG_LIST, .idx = TF_NODES, .required = true,
	  .off = offsetof(struct app_config_doc, node), .sub = &node_schema,
	  .min = NB_NODES, .max = NB_NODES, .what = "a list of two nodes", .items = "nodes",
	  .stride = sizeof(struct node_def), .pos_off = offsetof(struct node_def, pos),
	  .at_off = offsetof(struct node_def, at),
	  .count_off = offsetof(struct app_config_doc, nb_nodes) },
};
const struct cfg_schema app_config_schema = CFG_SCHEMA(top_fields);

/* The libraries' defaults, asked of them (the CCM's, the failover monitor's). */
void
app_config_defaults(struct app_config_doc *d)
{
	struct cluster_def *c = &d->cluster;
	struct failover_conf fo = { 0 };
	struct ccm_conf cc = { 0 };
	unsigned int i;

	ccm_conf_defaults(&cc);
	failover_conf_resolve(&fo);
	c->qpn = CCM_DEFAULT_BOOT_QPN;
	c->rkey = CCM_DEFAULT_BOOT_RKEY;
	c->addr = CCM_DEFAULT_BOOT_ADDR;
	c->mtu = 128u << cc.mtu;	/* IBTA's encoding: IBV_MTU_256 is 1 */
	c->ack_timeout = cc.ack_timeout;
	c->retry_count = cc.retry_cnt;
	c->keepalive_us = cc.keepalive_ns / 1000;
	c->link_timeout_us = cc.link_timeout_ns / 1000;
	c->heartbeat_us = fo.heartbeat_ns / 1000;
	c->partner_timeout_us = fo.down_ns / 1000;
	c->giveback_delay_ms = fo.giveback_delay_ns / 1000000;
	c->balance = cc.balance == CCM_BALANCE_ACTIVE_STANDBY ? CFG_BALANCE_ACTIVE_STANDBY :
								   CFG_BALANCE_ROUND_ROBIN;
	c->failback = cc.failback;
	for (i = 0; i < NB_NODES; i++) {
		d->node[i].nvram_size = NVRAM_SIZE_DEFAULT;
		d->node[i].mirror = CFG_MIRROR_SYNC;
	}
}
