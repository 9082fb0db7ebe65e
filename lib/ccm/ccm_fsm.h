/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's state machines as tables: state x event -> (next state,
 * action). Pure: no I/O, no clock; lib/ccm/ccm.c feeds them events and
 * carries out the actions. Every (state, event) pair has an entry, and
 * every state, event and action has a name for logs and counters.
 *
 * Session (claims 14-22 of 000_..., 1-19 of 003_...): the boot handshake
 * over RDMA READ/WRITE of the partner's status (PROBE: first READ,
 * ANNOUNCE: first WRITE, CONFIRM: second READ, COMMIT: second WRITE), then
 * the exchange of peer connection information (HELLO, with versions),
 * client information (CLIENTS), ports (PORTS), ready status (READY), and
 * termination back to session initiation (claim 22).
 */
#ifndef CCM_FSM_H
#define CCM_FSM_H

#include <stdbool.h>
#include <stdint.h>

/* In protocol order, so "how far" is a comparison (as tcp_fsm.h does). */
enum ccm_state {
	CCM_S_IDLE,		/* not started */
	CCM_S_PROBE,		/* first READ of the partner's status, retried with back-off */
	CCM_S_ANNOUNCE,		/* first WRITE: our status into the partner */
	CCM_S_CONFIRM,		/* second READ, until the partner acknowledges us */
	CCM_S_COMMIT,		/* second WRITE: our status, handshake done */
	CCM_S_HELLO,		/* peer connection information and versions */
	CCM_S_CLIENTS,		/* client information (ports needed, memory wanted) */
	CCM_S_PORTS,		/* ports created and described */
	CCM_S_READY_WAIT,	/* READY sent, the partner's awaited */
	CCM_S_UP,		/* session up; clients have their ports */
	CCM_S_TERMINATING,	/* clients alerted; waiting for them to close */
	CCM_S_REFUSED,		/* no common version; waiting to try again */
	CCM_S_NSTATES,
};

enum ccm_event {
	CCM_E_START,
	CCM_E_READ_OK,		/* a valid partner status was read */
	CCM_E_READ_FAIL,	/* READ failed or timed out, or no valid status yet */
	CCM_E_WRITE_OK,
	CCM_E_WRITE_FAIL,
	CCM_E_ACKED,		/* the partner's status acknowledges our incarnation */
	CCM_E_NOT_ACKED,	/* not yet */
	CCM_E_TIMER,		/* back-off or re-read delay over */
	CCM_E_HELLO_OK,		/* partner's HELLO: a common version */
	CCM_E_HELLO_BAD,	/* no common version (HELLO or REFUSE received) */
	CCM_E_CLIENTS,		/* partner's CLIENTS received */
	CCM_E_PORTS,		/* partner's PORTS received */
	CCM_E_READY,		/* partner's READY received */
	CCM_E_PEER_RESTART,	/* the partner has a new incarnation */
	CCM_E_PEER_TERMINATE,	/* the partner ends the session */
	CCM_E_QP_ERROR,		/* a QP of the session failed */
	CCM_E_ADMIN_RESTART,
	CCM_E_LINKS_LOST,	/* every link is down */
	CCM_E_CLIENT_JOINED,	/* a client registered after the exchange */
	CCM_E_CLIENTS_CLOSED,	/* every client closed its ports */
	CCM_E_STEP_TIMEOUT,	/* an exchange step or the clients took too long */
	CCM_E_NEVENTS,
};

enum ccm_action {
	CCM_A_INVALID,		/* never in the table */
	CCM_A_NONE,		/* nothing to do: the event is counted and dropped */
	CCM_A_READ_PEER,	/* post a READ of the partner's status */
	CCM_A_BACKOFF,		/* fresh boot QP; wait (exponential, jittered); read again */
	CCM_A_WRITE_STATUS,	/* WRITE our status (stage SEEN) into the partner */
	CCM_A_REREAD,		/* read the partner's status again after a short wait */
	CCM_A_WRITE_COMMIT,	/* WRITE our status (stage CONNECTED) */
	CCM_A_SEND_HELLO,
	CCM_A_SEND_CLIENTS,
	CCM_A_CREATE_PORTS,	/* create the clients' QPs and memory; send PORTS */
	CCM_A_SEND_READY,	/* connect the ports to the partner's; send READY */
	CCM_A_SESSION_UP,	/* alert the clients: partner ready, here are your ports */
	CCM_A_REFUSE,		/* log it, tell the partner, try again later */
	CCM_A_TERMINATE,	/* alert the clients, tell the partner, wait for them */
	CCM_A_TEARDOWN,		/* destroy the ports, reset, start over with back-off */
	CCM_A_NACTIONS,
};

struct ccm_transition {
	uint8_t next;		/* enum ccm_state */
	uint8_t action;		/* enum ccm_action */
};

/** The entry for (@p s, @p e); out-of-range input gets an INVALID entry. */
struct ccm_transition ccm_session_step(enum ccm_state s, enum ccm_event e);

const char *ccm_state_name(enum ccm_state s);
const char *ccm_event_name(enum ccm_event e);
const char *ccm_action_name(enum ccm_action a);

/* Handshake done: messages may flow. */
static inline bool
ccm_state_connected(enum ccm_state s)
{
	return s >= CCM_S_HELLO && s <= CCM_S_TERMINATING;
}

/* ---- Links ------------------------------------------------------------ */

enum ccm_link_state {
	CCM_L_NO_CARRIER,	/* the driver reports no carrier (or not yet known) */
	CCM_L_TESTING,		/* carrier, no keepalive from the partner yet */
	CCM_L_UP,		/* carrier and keepalives: carries traffic */
	CCM_L_SILENT,		/* carrier, but the partner's keepalives stopped */
	CCM_L_ADMIN_DOWN,	/* taken out by the operator */
	CCM_L_NSTATES,
};

enum ccm_link_event {
	CCM_LE_CARRIER_UP,
	CCM_LE_CARRIER_DOWN,
	CCM_LE_BEAT,		/* a new keepalive from the partner arrived */
	CCM_LE_BEAT_TIMEOUT,	/* none for the link timeout */
	CCM_LE_ADMIN_DOWN,
	CCM_LE_ADMIN_UP,
	CCM_LE_NEVENTS,
};

enum ccm_link_action {
	CCM_LA_INVALID,
	CCM_LA_NONE,
	CCM_LA_UP,		/* the link can carry QPs: rebalance, fail back */
	CCM_LA_DOWN,		/* the link failed: move its QPs to working links */
	CCM_LA_NACTIONS,
};

struct ccm_link_transition {
	uint8_t next;		/* enum ccm_link_state */
	uint8_t action;		/* enum ccm_link_action */
};

struct ccm_link_transition ccm_link_step(enum ccm_link_state s, enum ccm_link_event e);

const char *ccm_link_state_name(enum ccm_link_state s);
const char *ccm_link_event_name(enum ccm_link_event e);
const char *ccm_link_action_name(enum ccm_link_action a);

/* ---- Timing ----------------------------------------------------------- */

/**
 * Back-off before attempt @p attempt (0-based) of reading a partner that
 * is not up: min * 2^attempt, capped at max, minus up to a quarter taken
 * from @p random so two nodes retrying together drift apart.
 */
uint64_t ccm_backoff_ns(unsigned int attempt, uint64_t min_ns, uint64_t max_ns, uint64_t random);

#endif /* CCM_FSM_H */
