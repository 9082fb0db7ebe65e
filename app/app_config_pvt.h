/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Inside the loader: what the walk fills (the whole file, both nodes, each
 * value with its position), shared by the schema, the rules and the loader.
 */
#ifndef APP_CONFIG_PVT_H
#define APP_CONFIG_PVT_H

#include <stdbool.h>
#include <stdint.h>

#include "app_config.h"
#include "app_config_walk.h"

#define NB_NODES	2

/* Fields of each object, in schema order: the index into its pos[]. */
enum top_field { TF_CLUSTER, TF_NODES, TF_N };

enum cluster_field {
	CF_ID,
	CF_BOOT, CF_QPN, CF_RKEY, CF_ADDR,
	CF_TRANSPORT, CF_MTU, CF_ACK_TIMEOUT, CF_RETRY_COUNT,
	CF_TIMINGS, CF_KEEPALIVE, CF_LINK_TIMEOUT, CF_HEARTBEAT, CF_PARTNER_TIMEOUT,
	CF_PARTNER_FAST_TIMEOUT, CF_GIVEBACK_DELAY,
	CF_BALANCE, CF_FAILBACK,
	CF_N,
};

enum node_field {
	NF_NAME, NF_ID, NF_LINKS,
	NF_LCORES, NF_LC_CCM, NF_LC_FAILOVER, NF_LC_NVRAM,
	NF_NVRAM, NF_NV_FILE, NF_NV_SHADOW, NF_NV_SIZE, NF_NV_MIRROR,
	NF_FAILOVER, NF_FO_MAILBOX,
	NF_N,
};

enum link_field { LF_PORT, LF_IP, LF_MAC, LF_FAULT_RX, LF_FAULT_TX, LF_N };

/* Numbers are parsed into uint64_t and narrowed once their range is checked. */
struct cluster_def {
	struct cfg_pos pos[CF_N];
	uint64_t id;
	uint64_t qpn, rkey, addr;
	uint64_t mtu, ack_timeout, retry_count;
	uint64_t keepalive_us, link_timeout_us, heartbeat_us, partner_timeout_us;
	uint64_t partner_fast_timeout_us;	/* not given: the failover monitor's default */
	uint64_t giveback_delay_ms;
	unsigned int balance;		/* enum cfg_balance */
	bool failback;
};

struct link_def {
	struct cfg_pos pos[LF_N];
	struct cfg_pos at;		/* the link's mapping */
	char port[CFG_PORT_LEN];
	uint32_t ip;			/* host order */
	uint8_t mac[6];
	char fault_rx[CFG_FAULT_LEN];
	char fault_tx[CFG_FAULT_LEN];
};

struct node_def {
	struct cfg_pos pos[NF_N];
	struct cfg_pos at;		/* the node's mapping */
	char name[CFG_NAME_LEN];
	uint64_t id;
	unsigned int nb_links;
	struct link_def link[CFG_MAX_LINKS];
	uint64_t lcore_ccm, lcore_failover, lcore_nvram;
	char nvram_file[CFG_PATH_LEN];
	char shadow_file[CFG_PATH_LEN];
	uint64_t nvram_size;
	unsigned int mirror;		/* enum cfg_mirror */
	char mailbox[CFG_PATH_LEN];
};

/* The whole file. */
struct app_config_doc {
	struct cfg_pos pos[TF_N];
	struct cluster_def cluster;
	unsigned int nb_nodes;
	struct node_def node[NB_NODES];
};

/* app_config_schema.c */
extern const struct cfg_schema app_config_schema;	/* the top level */
extern const char *const cfg_balance_names[CFG_BALANCE_ACTIVE_STANDBY + 1];
extern const char *const cfg_mirror_names[CFG_MIRROR_ASYNC + 1];
/** Every default, before the walk. */
void app_config_defaults(struct app_config_doc *d);

/* app_config_check.c */
/** The rules across keys and nodes, in the order docs/configuration.md
 * lists them. @return 0 or -EINVAL with the message in @p m. */
int app_config_check(struct cfg_msg *m, const struct app_config_doc *d);
/** partner_fast_timeout_us as given, or the failover monitor's default. */
uint64_t app_config_fast_timeout_us(const struct cluster_def *c);

static inline bool
node_has(const struct node_def *n, enum node_field f)
{
	return cfg_given(n->pos[f]);
}

#endif /* APP_CONFIG_PVT_H */
