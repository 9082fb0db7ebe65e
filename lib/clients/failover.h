/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor, a CCM client (claims 2, 11, 15, 26 of 000_...):
 * each node RDMA-WRITEs a heartbeat into its partner's memory on every
 * link, so reading the partner's costs the receiver nothing; a mailbox
 * file both nodes reach carries the same heartbeat as a second path. The
 * monitor judges the partner from every signal it has (failover_judge.h):
 * heartbeats, link keepalives and carrier, the mailbox, the partner's
 * halting notice; takeover needs every path silent, never interconnect
 * silence alone.
 *
 * It also guards this node: a node acknowledges writes only under a lease
 * its partner renews (fo_lease), and a node whose partner says it holds
 * its work is fenced: it serves nothing until the partner gives back.
 */
#ifndef FAILOVER_H
#define FAILOVER_H

#include <stdbool.h>
#include <stdint.h>

#include "ccm.h"
#include "failover_fsm.h"
#include "failover_judge.h"

struct failover;

struct failover_conf {
	uint16_t node_id, peer_node_id;
	const char *mailbox;		/* NULL or "": no mailbox (interconnect only) */
	uint64_t heartbeat_ns;		/* default 1 ms */
	uint64_t suspect_ns;		/* interconnect silent this long: suspect (down/2) */
	uint64_t down_ns;		/* every path silent this long: dead (8 ms) */
	uint64_t fast_ns;		/* with no carrier on any link: dead after (down/2) */
	uint64_t giveback_delay_ns;	/* partner back this long before giveback (2 s) */
	/* Called on the monitor's lcore when the table says so. */
	void (*takeover)(void *arg);
	void (*giveback)(void *arg);
	/* We were taken over (@p fenced true): stop serving; or given back
	 * (false). */
	void (*fence)(void *arg, bool fenced);
	/* The partner replayed our log (its takeover is done): discard it,
	 * so that no record of it is ever replayed again. Once per fencing. */
	void (*discard)(void *arg);
	/* Is the NVRAM shadow resynchronised (before giving back)? */
	bool (*resynced)(void *arg);
	/* Is every record we acknowledged in the partner's shadow? (Told to
	 * the partner: it takes over only then.) NULL: yes. */
	bool (*mirrored)(void *arg);
	/* Has our log's discard (after we were fenced) reached the partner's
	 * shadow? (Told to the partner: it gives back only then.) NULL: yes. */
	bool (*discarded)(void *arg);
	void *arg;
};

/** @return NULL with rte_errno: EINVAL, EIO (mailbox), ENOMEM. */
struct failover *failover_create(struct ccm *ccm, const struct failover_conf *conf);
void failover_destroy(struct failover *fo);

/** Heartbeats out and in, mailbox, the verdict, the table. @p now_ns:
 * CLOCK_MONOTONIC, the clock the CCM polls with (the heartbeat thread and
 * the takeover's lease wait read it too). */
int failover_poll(struct failover *fo, uint64_t now_ns);

enum fo_state failover_state(const struct failover *fo);
/** When the partner's last heartbeat (either path) arrived. */
uint64_t failover_last_beat_ns(const struct failover *fo);
uint64_t failover_takeover_ns(const struct failover *fo);	/* 0: never */

/** May this node acknowledge a write of its own work now? (Any lcore.)
 * 1 yes; 0 not yet (no lease: the partner has not confirmed us lately);
 * -EPERM fenced: the partner holds our work. */
int failover_may_ack(const struct failover *fo, uint64_t now_ns);
/** Does this node serve the partner's work (it took over)? (Any lcore.) */
bool failover_holds_partner(const struct failover *fo);
bool failover_fenced(const struct failover *fo);
/** Is the mailbox file mapped (it lives on tmpfs), rather than read and
 * written with system calls? Fixed at creation. (Any lcore.) */
bool failover_mailbox_mapped(const struct failover *fo);

/** This node is halting on purpose: tell the partner now, through both
 * paths (it takes over at once). On the monitor's lcore, before the
 * session is terminated. */
void failover_halt(struct failover *fo, uint64_t now_ns);
/** Console: take over now, or give back now. */
void failover_admin(struct failover *fo, bool takeover);
/** Fault injection (tests): the mailbox cannot be reached, as if its
 * storage were cut off; reads and writes fail (any lcore). */
void failover_mailbox_cut(struct failover *fo, bool cut);

#define FO_SILENCE_BUCKETS 256	/* 1 ms each; the last counts the longer ones */

struct failover_stats {
	uint64_t polls;
	uint64_t beats_out, beats_in, mailbox_in;
	uint64_t max_poll_gap_ns;	/* our own longest stall between two polls */
	uint64_t max_beat_gap_ns;	/* the heartbeat thread's longest gap between beats */
	uint64_t max_beat_write_ns;	/* and its longest mailbox write */
	uint64_t max_silence_ns;	/* longest silence of the partner on every path */
	uint64_t max_ic_silence_ns;	/* the same, interconnect only */
	/* Episodes of silence on every path (while the partner was up), by
	 * their length in ms: a partner_timeout of T ms would have taken the
	 * partner for dead once for each episode of T ms or more. */
	uint64_t silence_ms[FO_SILENCE_BUCKETS];
	uint64_t late, cut, takeovers, refused, givebacks, fenced;
	uint64_t lease_lapses;		/* our lease ran out while we were not fenced */
	enum fo_verdict verdict;
};
/** A snapshot (the monitor's lcore, or while it is stopped). */
void failover_stats(const struct failover *fo, struct failover_stats *st);

#endif /* FAILOVER_H */
