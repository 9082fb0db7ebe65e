/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor's view of the partner, as a table (claims 2, 11,
 * 15, 26 of 000_...): state x event -> (next, action). Pure: the runtime
 * feeds it events computed from heartbeats and the mailbox with the time
 * it was given, and carries out the actions.
 */
#ifndef FAILOVER_FSM_H
#define FAILOVER_FSM_H

#include <stdbool.h>
#include <stdint.h>

enum fo_state {
	FO_S_UNKNOWN,		/* nothing heard yet */
	FO_S_UP,		/* partner's heartbeats arrive */
	FO_S_SUSPECT,		/* interconnect heartbeats late; not yet down */
	FO_S_DOWN,		/* partner dead: interconnect and mailbox silent, or it halted */
	FO_S_TAKEN_OVER,	/* we serve the partner's work (its log replayed) */
	FO_S_GIVING_BACK,	/* partner back: resync, then hand its work back */
	FO_S_NSTATES,
};

enum fo_event {
	FO_E_BEAT,		/* interconnect heartbeat advanced */
	FO_E_BEAT_LATE,		/* none for suspect_ns */
	FO_E_BEAT_LOST,		/* none for down_ns */
	FO_E_MAILBOX_ALIVE,	/* partner's mailbox heartbeat advanced recently */
	FO_E_MAILBOX_SILENT,	/* none for down_ns */
	FO_E_HALTING,		/* partner announced it is halting */
	FO_E_TAKEOVER_DONE,
	FO_E_GIVEBACK_DUE,	/* partner back and up for giveback_delay_ns */
	FO_E_RESYNCED,		/* NVRAM shadow resynchronised */
	FO_E_ADMIN_TAKEOVER,
	FO_E_ADMIN_GIVEBACK,
	FO_E_NEVENTS,
};

enum fo_action {
	FO_A_INVALID,
	FO_A_NONE,
	FO_A_LOG,		/* a state worth a log line, nothing else */
	FO_A_TAKEOVER,		/* replay the partner's log, serve its work */
	FO_A_START_GIVEBACK,	/* resync the NVRAM shadow */
	FO_A_GIVEBACK,		/* hand the partner's work back */
	FO_A_NACTIONS,
};

struct fo_transition {
	uint8_t next;
	uint8_t action;
};

struct fo_transition fo_step(enum fo_state s, enum fo_event e);
const char *fo_state_name(enum fo_state s);
const char *fo_event_name(enum fo_event e);
const char *fo_action_name(enum fo_action a);

/*
 * Split-brain rule: interconnect silence alone never takes over. DOWN
 * needs both the interconnect heartbeat and the mailbox silent, or the
 * partner's own halting notice.
 */

/* ---- Heartbeat record (RDMA WRITE into the partner, 64 bytes) ---------- */

#define FO_BEAT_MAGIC 0x54424f46u	/* "FOBT" little-endian */

/* Flags of a beat: what the sender says about itself. */
#define FO_BEAT_HALTING		0x01	/* shutting down on purpose: take over now */
#define FO_BEAT_FENCED		0x02	/* serves nothing (its partner holds its work),
					 * and its log's discard is in the partner's shadow */
#define FO_BEAT_MIRRORED	0x04	/* every record it acknowledged is in the
					 * receiver's shadow: a takeover loses nothing */

struct fo_beat {
	uint64_t seq;		/* +1 per heartbeat */
	uint64_t time_ns;	/* sender's clock, for logs only */
	uint64_t incarnation;	/* sender's CCM incarnation */
	/* The newest of the receiver's beats the sender has seen (0: none),
	 * and the receiver's incarnation then: the echo that renews the
	 * receiver's lease (failover_judge.h). */
	uint64_t peer_seq;
	uint64_t peer_incarnation;
	uint16_t node_id;
	uint8_t state;		/* sender's enum fo_state of the receiver */
	uint8_t flags;		/* FO_BEAT_* */
};

/** Encode into 64 bytes (magic, fields LE, CRC-32 in the last 4). */
void fo_beat_encode(const struct fo_beat *b, uint8_t out[64]);
/** @return 0, or -EBADMSG (magic, checksum: also a torn read). */
int fo_beat_decode(const uint8_t in[64], struct fo_beat *b);

/* A state in which the sender serves the receiver's work. */
static inline bool
fo_state_holds_work(unsigned int s)
{
	return s == FO_S_DOWN || s == FO_S_TAKEN_OVER || s == FO_S_GIVING_BACK;
}

/* ---- Mailbox (a small file both nodes reach: the second heartbeat) ----- */
/* Two 64-byte slots, slot i for node id i (1 or 2), each an fo_beat. */
#define FO_MAILBOX_LEN 192	/* 64 header-free bytes per node, slot 0 unused */

#endif /* FAILOVER_FSM_H */
