/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor, a CCM client (claims 2, 11, 15, 26 of 000_...):
 * each node RDMA-WRITEs a heartbeat into its partner's memory at a set
 * interval, so reading the partner's costs the receiver nothing; a
 * mailbox file both nodes reach carries a second heartbeat. The table of
 * failover_fsm.c decides: takeover needs both silent, or the partner's own
 * halting notice — never interconnect silence alone (split brain).
 */
#ifndef FAILOVER_H
#define FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "ccm.h"
#include "failover_fsm.h"

struct failover;

struct failover_conf {
	uint16_t node_id, peer_node_id;
	const char *mailbox;		/* NULL or "": no mailbox (interconnect only) */
	uint64_t heartbeat_ns;		/* default 5 ms */
	uint64_t suspect_ns;		/* partner heartbeat this late: suspect (20 ms) */
	uint64_t down_ns;		/* this late: down, if the mailbox agrees (40 ms) */
	uint64_t giveback_delay_ns;	/* partner back this long before giveback (2 s) */
	/* Called on the monitor's lcore when the table says so. */
	void (*takeover)(void *arg);
	void (*giveback)(void *arg);
	/* Is the NVRAM shadow resynchronised (before giving back)? */
	bool (*resynced)(void *arg);
	void *arg;
};

/** @return NULL with rte_errno: EINVAL, EIO (mailbox), ENOMEM. */
struct failover *failover_create(struct ccm *ccm, const struct failover_conf *conf);
void failover_destroy(struct failover *fo);

/** Heartbeats out and in, mailbox, the table. @p now_ns: a monotonic clock. */
int failover_poll(struct failover *fo, uint64_t now_ns);

enum fo_state failover_state(const struct failover *fo);
/** When the partner's last heartbeat (either kind) arrived. */
uint64_t failover_last_beat_ns(const struct failover *fo);
uint64_t failover_takeover_ns(const struct failover *fo);	/* 0: never */

/** This node is halting on purpose: tell the partner now, through both
 * paths (it takes over at once). On the monitor's lcore, before the
 * session is terminated. */
void failover_halt(struct failover *fo, uint64_t now_ns);
/** Console: take over now, or give back now. */
void failover_admin(struct failover *fo, bool takeover);

#endif /* FAILOVER_H */
