/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session's decisions that are not a table lookup, beside the tables
 * of ccm_fsm.h: pure (no I/O, no clock), so tested without EAL. ccm.c
 * and ccm_boot.c ask them and post the events they answer.
 */
#ifndef CCM_RULES_H
#define CCM_RULES_H

#include <stdbool.h>
#include <stdint.h>

#include "ccm_fsm.h"

/* Past the first READ: the partner's incarnation is known and must hold.
 * REFUSED waits to start over from the first READ. */
static inline bool
ccm_state_past_probe(enum ccm_state s)
{
	return s > CCM_S_PROBE && s != CCM_S_REFUSED;
}

enum ccm_peer_verdict {
	CCM_PEER_SAME,		/* the incarnation we know */
	CCM_PEER_LEARN,		/* the first we hear of, or before our first READ: take it */
	CCM_PEER_RESTARTED,	/* a new one past our first READ: the partner restarted */
};

/**
 * Has the partner restarted? Asked of every incarnation we see from it:
 * its status read (claim 1 of 003_), its status written into our region,
 * its keepalive notes. @p known is the one we hold (0: none yet), @p seen
 * the one just seen, @p s our session state.
 */
enum ccm_peer_verdict ccm_peer_incarnation_check(enum ccm_state s, uint64_t known,
						 uint64_t seen);

/**
 * The partner (same incarnation) began its handshake again, with a new
 * attempt: do we end ours and start over too? A session that was up ends.
 * Before that only the follower (the higher node id) starts over: if both
 * followed each other, their restarts would chase each other for ever; the
 * leader waits for its step timeout instead.
 */
bool ccm_peer_new_attempt_ends_ours(enum ccm_state s, uint16_t node_id, uint16_t peer_node_id);

/* The partner's messages held until the state that reads them: a partner
 * further along may send them before we get there (claims 14-19). */
enum ccm_held_msg {
	CCM_HELD_HELLO = 1u << 0,
	CCM_HELD_CLIENTS = 1u << 1,
	CCM_HELD_PORTS = 1u << 2,
	CCM_HELD_READY = 1u << 3,
	CCM_HELD_REFUSE = 1u << 4,
};

struct ccm_held_step {
	uint8_t event;		/* enum ccm_event; CCM_E_NEVENTS: nothing to run */
	uint8_t consume;	/* the held message it uses up (enum ccm_held_msg) */
	uint16_t version;	/* with the HELLO's event: the version agreed, 0: none */
};

/**
 * Which held message, if any, raises its event in state @p s: a REFUSE
 * first (HELLO_BAD while the versions are being settled), then the message
 * the state waits for. A HELLO is judged by the versions: ours
 * @p our_min..@p our_max against the partner's in its HELLO.
 */
struct ccm_held_step ccm_held_message_step(enum ccm_state s, unsigned int held,
					   uint16_t our_min, uint16_t our_max,
					   uint16_t peer_min, uint16_t peer_max);

#endif /* CCM_RULES_H */
