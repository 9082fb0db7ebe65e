/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor's table and its heartbeat record (claims 2, 11, 15,
 * 26 of 000_...; heartbeats read from the partner, claims 31-32 of 003_...).
 *
 * Each row starts with every event mapped to "stay, NONE" and lists the
 * events that matter in that state. Two rules shape the whole table:
 *
 * - Split brain: interconnect silence alone never takes over. The only
 *   ways to action TAKEOVER are the partner's halting notice, the
 *   operator, and MAILBOX_SILENT in SUSPECT, a state entered only on
 *   interconnect silence. The runtime must report the mailbox's verdict
 *   (MAILBOX_ALIVE or MAILBOX_SILENT) only once the interconnect is lost
 *   (BEAT_LOST): SUSPECT cannot tell late beats from lost ones, so a
 *   MAILBOX_SILENT after BEAT_LATE alone would take over after suspect_ns
 *   of interconnect silence instead of down_ns.
 * - Ownership: the partner's work is ours in DOWN (being taken over),
 *   TAKEN_OVER and GIVING_BACK. It becomes ours only with action TAKEOVER
 *   and stops being ours only with action GIVEBACK, so it is never served
 *   twice nor dropped. Every TAKEOVER leads to DOWN, which waits for the
 *   replay to finish (TAKEOVER_DONE) whatever else happens.
 *
 * An action comes only with a change of state: the runtime may repeat an
 * event (a timer that fires at every poll) without repeating its action.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include <isa-l/crc.h>
#include <rte_byteorder.h>
#include <rte_common.h>

#include "failover_fsm.h"

/* Rows give every event a default, then override the ones that matter:
 * that is the point, not a mistake. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

/* struct fo_transition holds states and actions in a byte each. */
static_assert(FO_S_NSTATES <= UINT8_MAX + 1, "a state fits fo_transition.next");
static_assert(FO_A_NACTIONS <= UINT8_MAX + 1, "an action fits fo_transition.action");

#define T(s, a) { .next = FO_S_ ## s, .action = FO_A_ ## a }
/* A row: everything ignored, then the entries that matter. */
#define ROW(s, ...) [FO_S_ ## s] = { [0 ... FO_E_NEVENTS - 1] = T(s, NONE), __VA_ARGS__ }

static const struct fo_transition table[FO_S_NSTATES][FO_E_NEVENTS] = {
	/*
	 * Nothing heard yet (we just started). Silence here is no evidence:
	 * both nodes powering on together each hear nothing at first, so no
	 * timer and no mailbox verdict takes over; only the partner's own
	 * notice or the operator does.
	 */
	ROW(UNKNOWN,
	    [FO_E_BEAT] = T(UP, LOG),
	    [FO_E_HALTING] = T(DOWN, TAKEOVER),		/* it asks us to take over */
	    [FO_E_ADMIN_TAKEOVER] = T(DOWN, TAKEOVER)),	/* the operator's choice */
	/*
	 * Beats arrive. Missing beats only make us suspicious, never take
	 * over: the mailbox decides. A mailbox verdict with beats arriving
	 * says nothing about the partner (the mailbox path is what failed).
	 */
	ROW(UP,
	    [FO_E_BEAT_LATE] = T(SUSPECT, LOG),
	    [FO_E_BEAT_LOST] = T(SUSPECT, LOG),		/* a stall may skip "late" */
	    [FO_E_HALTING] = T(DOWN, TAKEOVER),		/* going away: take over at once */
	    [FO_E_ADMIN_TAKEOVER] = T(DOWN, TAKEOVER)),
	/*
	 * The interconnect is silent; the mailbox decides. A partner whose
	 * mailbox heartbeat still advances is alive and only the interconnect
	 * is gone: taking over then would serve its work twice (split brain),
	 * so MAILBOX_ALIVE keeps us here until beats return. Both silent: it
	 * is dead.
	 */
	ROW(SUSPECT,
	    [FO_E_BEAT] = T(UP, LOG),
	    [FO_E_MAILBOX_SILENT] = T(DOWN, TAKEOVER),
	    [FO_E_HALTING] = T(DOWN, TAKEOVER),
	    [FO_E_ADMIN_TAKEOVER] = T(DOWN, TAKEOVER)),
	/*
	 * The partner's log is being replayed. A half-replayed log can be
	 * neither handed back nor taken over again, so everything waits for
	 * the replay to end; a partner back meanwhile then waits its
	 * giveback_delay in TAKEN_OVER like any other.
	 */
	ROW(DOWN,
	    [FO_E_TAKEOVER_DONE] = T(TAKEN_OVER, LOG)),
	/*
	 * We serve the partner's work. Its first beats are not enough: it
	 * must stay up for giveback_delay (GIVEBACK_DUE) or the operator
	 * must ask.
	 */
	ROW(TAKEN_OVER,
	    [FO_E_GIVEBACK_DUE] = T(GIVING_BACK, START_GIVEBACK),
	    [FO_E_ADMIN_GIVEBACK] = T(GIVING_BACK, START_GIVEBACK)),
	/*
	 * Resyncing the partner's NVRAM shadow; its work is still ours. Once
	 * resynced it is handed back. A partner lost or halting again, or the
	 * operator taking over, ends the giveback: we keep serving (no new
	 * TAKEOVER: the work never left us) and wait for the next
	 * GIVEBACK_DUE.
	 */
	ROW(GIVING_BACK,
	    [FO_E_RESYNCED] = T(UP, GIVEBACK),
	    [FO_E_BEAT_LOST] = T(TAKEN_OVER, LOG),
	    [FO_E_HALTING] = T(TAKEN_OVER, LOG),
	    [FO_E_ADMIN_TAKEOVER] = T(TAKEN_OVER, LOG)),
};
static_assert(RTE_DIM(table) == FO_S_NSTATES, "a row per state");
static_assert(RTE_DIM(table[0]) == FO_E_NEVENTS, "a column per event");

static const char *const state_names[] = {
	[FO_S_UNKNOWN] = "UNKNOWN", [FO_S_UP] = "UP", [FO_S_SUSPECT] = "SUSPECT",
	[FO_S_DOWN] = "DOWN", [FO_S_TAKEN_OVER] = "TAKEN_OVER",
	[FO_S_GIVING_BACK] = "GIVING_BACK",
};
static_assert(RTE_DIM(state_names) == FO_S_NSTATES, "a name per state");

static const char *const event_names[] = {
	[FO_E_BEAT] = "BEAT", [FO_E_BEAT_LATE] = "BEAT_LATE", [FO_E_BEAT_LOST] = "BEAT_LOST",
	[FO_E_MAILBOX_ALIVE] = "MAILBOX_ALIVE", [FO_E_MAILBOX_SILENT] = "MAILBOX_SILENT",
	[FO_E_HALTING] = "HALTING", [FO_E_TAKEOVER_DONE] = "TAKEOVER_DONE",
	[FO_E_GIVEBACK_DUE] = "GIVEBACK_DUE", [FO_E_RESYNCED] = "RESYNCED",
	[FO_E_ADMIN_TAKEOVER] = "ADMIN_TAKEOVER", [FO_E_ADMIN_GIVEBACK] = "ADMIN_GIVEBACK",
};
static_assert(RTE_DIM(event_names) == FO_E_NEVENTS, "a name per event");

static const char *const action_names[] = {
	[FO_A_INVALID] = "INVALID", [FO_A_NONE] = "NONE", [FO_A_LOG] = "LOG",
	[FO_A_TAKEOVER] = "TAKEOVER", [FO_A_START_GIVEBACK] = "START_GIVEBACK",
	[FO_A_GIVEBACK] = "GIVEBACK",
};
static_assert(RTE_DIM(action_names) == FO_A_NACTIONS, "a name per action");

struct fo_transition
fo_step(enum fo_state s, enum fo_event e)
{
	struct fo_transition t = { .next = FO_S_UNKNOWN, .action = FO_A_INVALID };

	if ((unsigned int)s >= FO_S_NSTATES)
		return t;
	/* A bad event keeps the state: forgetting that we serve the
	 * partner's work would be worse than ignoring the event. */
	if ((unsigned int)e >= FO_E_NEVENTS) {
		t.next = s;
		return t;
	}
	return table[s][e];
}

const char *
fo_state_name(enum fo_state s)
{
	return (unsigned int)s < FO_S_NSTATES ? state_names[s] : "?";
}

const char *
fo_event_name(enum fo_event e)
{
	return (unsigned int)e < FO_E_NEVENTS ? event_names[e] : "?";
}

const char *
fo_action_name(enum fo_action a)
{
	return (unsigned int)a < FO_A_NACTIONS ? action_names[a] : "?";
}

/* ---- Heartbeat record -------------------------------------------------- */

/* The 64 bytes as written into the partner and into our mailbox slot. */
struct fo_beat_wire {
	rte_le32_t magic;		/* FO_BEAT_MAGIC, bytes "FOBT" */
	rte_le16_t node_id;
	uint8_t state;			/* enum fo_state: the sender's view of us */
	uint8_t flags;			/* FO_BEAT_*; bit 0 was "halting" alone */
	rte_le64_t seq;
	rte_le64_t time_ns;
	rte_le64_t incarnation;
	rte_le64_t peer_seq;		/* our newest beat the sender saw */
	rte_le64_t peer_incarnation;	/* our incarnation then */
	uint8_t reserved[12];		/* zero */
	rte_le32_t checksum;		/* CRC-32 of the 60 bytes before it */
} __rte_packed;
static_assert(sizeof(struct fo_beat_wire) == 64, "a beat is 64 bytes");
static_assert(offsetof(struct fo_beat_wire, seq) == 8, "seq at 8");
static_assert(offsetof(struct fo_beat_wire, incarnation) == 24, "incarnation at 24");
static_assert(offsetof(struct fo_beat_wire, peer_seq) == 32, "peer_seq at 32");
static_assert(offsetof(struct fo_beat_wire, reserved) == 48, "reserved at 48");
static_assert(offsetof(struct fo_beat_wire, checksum) == 60, "checksum at 60");
static_assert(FO_MAILBOX_LEN == 3 * sizeof(struct fo_beat_wire),
	      "mailbox: a slot per node id 1 and 2, slot 0 unused");

#define BEAT_CRC_LEN offsetof(struct fo_beat_wire, checksum)

/* ISA-L's gzip CRC is zlib's crc32(): reflected 0xEDB88320, init and
 * final XOR ~0. */
static uint32_t
beat_crc(const struct fo_beat_wire *w)
{
	return crc32_gzip_refl(0, (const unsigned char *)w, BEAT_CRC_LEN);
}

void
fo_beat_encode(const struct fo_beat *b, uint8_t out[64])
{
	struct fo_beat_wire w;

	memset(&w, 0, sizeof(w));
	w.magic = rte_cpu_to_le_32(FO_BEAT_MAGIC);
	w.node_id = rte_cpu_to_le_16(b->node_id);
	w.state = b->state;
	w.flags = b->flags;
	w.seq = rte_cpu_to_le_64(b->seq);
	w.time_ns = rte_cpu_to_le_64(b->time_ns);
	w.incarnation = rte_cpu_to_le_64(b->incarnation);
	w.peer_seq = rte_cpu_to_le_64(b->peer_seq);
	w.peer_incarnation = rte_cpu_to_le_64(b->peer_incarnation);
	w.checksum = rte_cpu_to_le_32(beat_crc(&w));
	/* Built aside and copied once: @p out may be memory the partner reads. */
	memcpy(out, &w, sizeof(w));
}

int
fo_beat_decode(const uint8_t in[64], struct fo_beat *b)
{
	struct fo_beat_wire w;

	/*
	 * Validate one snapshot: the partner may RDMA-WRITE the record while
	 * we read it. A torn copy fails the checksum; the next poll reads
	 * again. @p b is left alone on failure.
	 */
	memcpy(&w, in, sizeof(w));
	if (rte_le_to_cpu_32(w.magic) != FO_BEAT_MAGIC)
		return -EBADMSG;	/* also a slot never written */
	if (rte_le_to_cpu_32(w.checksum) != beat_crc(&w))
		return -EBADMSG;
	/* Values as written: judging them (our id? a newer seq?) is the
	 * runtime's business. */
	b->node_id = rte_le_to_cpu_16(w.node_id);
	b->state = w.state;
	b->flags = w.flags;
	b->seq = rte_le_to_cpu_64(w.seq);
	b->time_ns = rte_le_to_cpu_64(w.time_ns);
	b->incarnation = rte_le_to_cpu_64(w.incarnation);
	b->peer_seq = rte_le_to_cpu_64(w.peer_seq);
	b->peer_incarnation = rte_le_to_cpu_64(w.peer_incarnation);
	return 0;
}
