/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the failover monitor's signals say about the partner, and whether
 * this node may acknowledge a write: pure, time given as an argument
 * (docs/clients.md, failure model).
 *
 * Signals: the partner's heartbeats through the interconnect (an RDMA
 * WRITE on every link), the link keepalives the partner's transport
 * answers, the links' carrier, the partner's heartbeat in the mailbox file
 * (a second path, through storage both nodes reach), and what its latest
 * beat said (halting; its mirror into us complete).
 *
 * Times are on the caller's watch clock: one that does not run while this
 * node itself is stalled (failover.c). A stall of the whole machine stops
 * the partner too, and whoever resumes first would find the other silent.
 *
 * Split brain: interconnect silence alone never makes the partner dead
 * while the mailbox still advances, nor while the mailbox cannot be read
 * (no verdict is no evidence). The mailbox must be silent too: for
 * partner_timeout, or for the shorter fast timeout when every link lost
 * its carrier as well (the partner process, or its ports, went away).
 *
 * Leases: this node acknowledges writes only while the partner has lately
 * confirmed it: the partner's beat echoes the newest of our beats it saw,
 * and says it does not hold our work. Our lease runs from when we sent the
 * echoed beat, for lease_ns. The partner declares us dead only after
 * fast_ns (or down_ns) of silence, counted from when it last heard us
 * (after we sent it), so with lease_ns below both our lease has run out
 * before the partner can take over: a paused node that wakes up finds its
 * lease gone, and the partner's next beat tells it it was taken over.
 */
#ifndef FAILOVER_JUDGE_H
#define FAILOVER_JUDGE_H

#include <stdbool.h>
#include <stdint.h>

struct fo_timing {
	uint64_t suspect_ns;	/* interconnect silent this long: late (SUSPECT) */
	uint64_t down_ns;	/* every path silent this long: dead */
	uint64_t fast_ns;	/* with no carrier on any link: dead after this */
};

/** The lease that the timing allows: below the shortest way the partner
 * can declare us dead, by a heartbeat. @return 0 if none fits. */
uint64_t fo_lease_ns(const struct fo_timing *t, uint64_t heartbeat_ns);

/* When each signal last showed the partner alive (0: never). */
struct fo_signals {
	uint64_t beat_ns;		/* an interconnect heartbeat advanced (any link) */
	uint64_t keepalive_ns;		/* a link keepalive was answered (any link) */
	uint64_t mailbox_ns;		/* the mailbox heartbeat advanced */
	uint64_t mailbox_since_ns;	/* we could read the mailbox again: its silence
					 * counts from then (the partner may have been
					 * cut off from it as long as we were) */
	uint64_t since_ns;		/* when we started to listen */
	bool has_mailbox;		/* configured: the second path exists */
	bool mailbox_readable;		/* the last read of it worked */
	bool carrier_lost;		/* no link has a carrier */
	bool partner_mirrored;		/* its latest beat: its mirror into us is complete */
};

enum fo_verdict {
	FO_V_ALIVE,		/* heard over the interconnect lately */
	FO_V_LATE,		/* interconnect silent past suspect_ns */
	FO_V_CUT,		/* interconnect lost; the mailbox says alive, or cannot say */
	FO_V_DEAD,		/* every path silent: take over */
	FO_V_DEAD_UNMIRRORED,	/* dead, but records it acknowledged are not in our
				 * shadow: taking over would lose them; do not */
	FO_V_N,
};

const char *fo_verdict_name(enum fo_verdict v);

/** The verdict on the partner now. Never DEAD on interconnect silence
 * while the mailbox advances or cannot be read. */
enum fo_verdict fo_judge(const struct fo_signals *s, const struct fo_timing *t, uint64_t now);

/** How long every path has been silent (what a takeover waits for). */
uint64_t fo_silence_ns(const struct fo_signals *s, uint64_t now);

/* ---- Lease ------------------------------------------------------------ */

#define FO_LEASE_HISTORY 256	/* our beats whose send time is kept */

struct fo_lease {
	uint64_t seq[FO_LEASE_HISTORY];
	uint64_t sent_ns[FO_LEASE_HISTORY];
	uint64_t until_ns;		/* we may acknowledge before this */
};

/** Our beat @p seq went out at @p now. */
void fo_lease_sent(struct fo_lease *l, uint64_t seq, uint64_t now);
/** The partner saw our beat @p echo_seq and does not hold our work:
 * the lease runs to its send time + @p lease_ns (never shortens). */
void fo_lease_echo(struct fo_lease *l, uint64_t echo_seq, uint64_t lease_ns);
/** Forget it (the partner holds our work, or restarted). */
void fo_lease_drop(struct fo_lease *l);
bool fo_lease_valid(const struct fo_lease *l, uint64_t now);

#endif /* FAILOVER_JUDGE_H */
