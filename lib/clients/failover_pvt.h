/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor's insides, shared by its files: failover.c
 * (signals in, verdict, table, lease and fence), failover_beat.c (our
 * beats out: the template, the heartbeat thread) and failover_mailbox.c
 * (the mailbox file's slots).
 */
#ifndef FAILOVER_PVT_H
#define FAILOVER_PVT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_log.h>

#include "failover.h"

extern int failover_logtype;
#define FO_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, failover_logtype, "failover: " fmt "\n", ##__VA_ARGS__)

#define BEAT_LEN	64
#define SLOTS		CCM_MAX_LINKS	/* one beat per link in the partner's memory */
#define MS		1000000ull
#define WATCH_GAP_NS	(4 * MS)	/* the longest gap between polls counted whole */

/* What our beats say, as the monitor last decided it (the heartbeat
 * thread encodes from it). */
struct beat_tmpl {
	uint8_t state, flags;
	uint64_t peer_seq, peer_incarnation;
};

/* The newest (incarnation, seq) a path delivered. */
struct path {
	uint64_t incarnation, seq;
	bool seen;
};

struct failover {
	struct failover_conf conf;
	struct ccm *ccm;
	struct ccm_client *client;
	uint8_t *mine;			/* our beat, sent from here */
	uint8_t *theirs;		/* the partner WRITEs its beat here, a slot per link */
	int mailbox_fd;
	void *mailbox_map;		/* the file mapped (tmpfs), else NULL: pread/pwrite */
	uint8_t mailbox_cut;		/* fault injection, from any lcore */
	uint64_t mailbox_next_ns;	/* the monitor's next read of the mailbox */
	enum fo_state state;
	uint32_t session;
	uint16_t nports;
	uint64_t seq;
	uint64_t next_beat_ns;
	struct fo_timing timing;
	uint64_t lease_ns;
	/* The partner, as heard. */
	struct path slot[SLOTS], mbox;
	uint8_t slot_raw[SLOTS][BEAT_LEN];	/* each slot as last decoded */
	struct fo_signals sig;
	struct path view;		/* the beat its view of us comes from */
	uint8_t view_state, view_flags;
	/* The watch clock: CLOCK_MONOTONIC less our own stalls (the time
	 * beyond watch_gap_ns between two polls). The judge runs on it: a
	 * stall of the whole machine stops the partner as well, and the one
	 * that resumes first must not take the other's silence in that time
	 * for death. */
	uint64_t stalled_ns, wnow, watch_gap_ns;
	uint64_t beat_wall, keepalive_wall, mailbox_wall;	/* the same, CLOCK_MONOTONIC */
	uint64_t takeover_due_ns;	/* takeover decided, to start then (its lease ends) */
	bool admin_held;		/* the operator took over: the operator gives back */
	uint64_t peer_up_since_ns;	/* back over the interconnect, for giveback */
	uint64_t takeover_ns;
	bool late_sent, lost_sent, refusal_said;
	enum fo_verdict verdict;
	/* This node. */
	struct fo_lease lease;
	uint64_t lease_until;		/* lease.until_ns, for other lcores */
	uint8_t fenced;			/* the partner holds our work (other lcores read it) */
	bool discard_done;		/* this fencing's discard asked for */
	uint8_t holds;			/* we hold the partner's work (other lcores read it) */
	bool halting;
	bool urgent;			/* the next beat out goes to the mailbox too */
	uint8_t admin;			/* 1 takeover, 2 giveback: from any lcore */
	/* The heartbeat thread: our mailbox beat, on time even when the
	 * lcores are starved (a starved node is alive; only a dead or stopped
	 * one goes silent). */
	uint32_t tmpl_version;		/* odd while the monitor rewrites tmpl */
	struct beat_tmpl tmpl;
	struct beat_tmpl tmpl_seen;	/* the thread's last whole copy */
	pthread_t beat_thread;
	bool beat_thread_up;
	uint8_t beat_thread_stop;
	uint64_t beat_gap_max, beat_write_max;	/* the thread's, for the statistics */
	/* Statistics. */
	struct failover_stats st;
	uint64_t last_poll_ns;
	uint64_t episode_ns;		/* the silence episode going on: its longest */
};

/* failover_mailbox.c */
/** Open (create) the mailbox file and map it if it lives on tmpfs: 0 or a
 * negative errno. */
int fo_mailbox_open(struct failover *fo, const char *path);
void fo_mailbox_close(struct failover *fo);
/** The partner's slot: true if read (it may still be torn: check its CRC). */
bool fo_mailbox_read(struct failover *fo, uint8_t beat[BEAT_LEN]);
/** Our slot. Any thread. */
void fo_mailbox_write(struct failover *fo, const uint8_t beat[BEAT_LEN]);

/* failover_beat.c */
/** Our beat, now, through every link (and the mailbox, unless the
 * heartbeat thread writes it, or fo->urgent). The monitor's lcore. */
void fo_beat_out(struct failover *fo, uint64_t now);
/** The heartbeat thread (best effort: without it, the lcore writes the
 * mailbox). */
void fo_beat_thread_start(struct failover *fo);
void fo_beat_thread_stop(struct failover *fo);
/** CLOCK_MONOTONIC, the clock failover_poll() is given. */
uint64_t fo_clock_now(void);

#endif /* FAILOVER_PVT_H */
