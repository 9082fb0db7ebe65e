/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The application's configuration, loaded from YAML (config/ccm.yaml,
 * docs/configuration.md). One file describes the cluster and both of its
 * nodes; --node says which one this process is, and the other is the
 * partner.
 *
 * The loader in four parts: app_config_walk.c, a YAML schema walker that
 * knows nothing of this application (the only file that sees libyaml);
 * app_config_schema.c, this application's keys; app_config_check.c, the
 * rules across keys and nodes; app_config.c, which runs them and picks the
 * node; app_config_print.c writes the result back for `show config`.
 */
#ifndef APP_CONFIG_H
#define APP_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_LINKS	4
#define CFG_NAME_LEN	17	/* node names: 16 characters and a NUL */
#define CFG_PATH_LEN	256
#define CFG_PORT_LEN	64	/* a DPDK port name, e.g. net_memif0 */
#define CFG_FAULT_LEN	128

enum cfg_balance { CFG_BALANCE_ROUND_ROBIN, CFG_BALANCE_ACTIVE_STANDBY };
enum cfg_mirror { CFG_MIRROR_SYNC, CFG_MIRROR_ASYNC };

struct cfg_link {
	char port[CFG_PORT_LEN];	/* this node's DPDK port (name) */
	uint32_t local_ip;		/* host order */
	uint32_t peer_ip;		/* the partner's address on the same link */
	bool has_local_mac;
	uint8_t local_mac[6];
	bool has_peer_mac;		/* static neighbour: no ARP */
	uint8_t peer_mac[6];
	char fault_rx[CFG_FAULT_LEN];	/* roce_fault spec, "" = off */
	char fault_tx[CFG_FAULT_LEN];
};

struct app_config {
	char path[CFG_PATH_LEN];
	/* cluster */
	uint32_t cluster_id;
	uint32_t boot_qpn;		/* default 8 */
	uint32_t boot_rkey;		/* default 0x7700 */
	uint64_t boot_addr;		/* default 0x10000000 */
	uint16_t mtu;			/* RoCE path MTU, 256..4096, default 1024 */
	uint8_t ack_timeout;		/* 1..31, default 12 */
	uint8_t retry_cnt;		/* 0..7, default 3 */
	uint64_t keepalive_us;		/* default 1000 */
	uint64_t link_timeout_us;	/* default 5000 */
	uint64_t heartbeat_us;		/* failover heartbeat, default 1000 */
	uint64_t partner_timeout_us;	/* silence on every path = down, default 8000 */
	uint64_t partner_fast_timeout_us; /* the same with no carrier; default half */
	uint64_t giveback_delay_ms;	/* default 2000 */
	enum cfg_balance balance;	/* default round-robin */
	bool failback;			/* default true */
	/* this node */
	char node_name[CFG_NAME_LEN];
	uint16_t node_id;		/* 1..65535 */
	unsigned int nb_links;		/* 1..4 */
	struct cfg_link link[CFG_MAX_LINKS];
	unsigned int lcore_ccm;		/* lcore roles; several may share one */
	unsigned int lcore_failover;
	unsigned int lcore_nvram;
	bool nvram_enabled;
	char nvram_file[CFG_PATH_LEN];
	uint64_t nvram_size;		/* bytes, 64 KiB .. 1 GiB, default 16 MiB */
	char shadow_file[CFG_PATH_LEN];	/* where the partner's log is mirrored */
	enum cfg_mirror mirror;		/* default sync */
	bool failover_enabled;
	char mailbox[CFG_PATH_LEN];	/* "" = no mailbox (interconnect only) */
	/* the partner */
	char peer_name[CFG_NAME_LEN];
	uint16_t peer_node_id;
};

/**
 * Load @p path and pick node @p node (NULL: the only node whose name
 * matches the host name, or the first node).
 * @param err  on failure, "FILE:LINE:COLUMN: what is wrong" (or "FILE:
 *   what is wrong" when there is no position), at most @p errlen bytes
 * @return 0, -EINVAL (syntax, unknown key, wrong type, out of range,
 *   missing required key, no such node), or the file's own trouble:
 *   -ENOENT, -EACCES, -EISDIR, -EFBIG (over 1 MiB), -ENAMETOOLONG, -ENOMEM.
 */
int app_config_load(const char *path, const char *node, struct app_config *cfg, char *err,
		    size_t errlen);

/** Write the configuration back as YAML-like text (console `show config`). */
void app_config_print(const struct app_config *cfg, void (*out)(void *arg, const char *line),
		      void *arg);

#endif /* APP_CONFIG_H */
