/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session and link tables. Each row starts with every event mapped to
 * "stay, nothing" (a defined outcome, counted as ignored) and lists the
 * events that matter in that state.
 */
#include <assert.h>

#include "ccm_fsm.h"

/* Rows give every event a default, then override the ones that matter:
 * that is the point, not a mistake. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

#define T(s, a) { .next = CCM_S_ ## s, .action = CCM_A_ ## a }
/* A row: everything ignored, then the entries that matter. */
#define ROW(s, ...) [CCM_S_ ## s] = { [0 ... CCM_E_NEVENTS - 1] = T(s, NONE), __VA_ARGS__ }

/* What any state past the first READ does when the session must restart
 * before clients were told anything: tear down and probe again. */
#define RESTART_EARLY \
	[CCM_E_PEER_RESTART] = T(PROBE, TEARDOWN), \
	[CCM_E_PEER_TERMINATE] = T(PROBE, TEARDOWN), \
	[CCM_E_QP_ERROR] = T(PROBE, TEARDOWN), \
	[CCM_E_ADMIN_RESTART] = T(PROBE, TEARDOWN), \
	[CCM_E_LINKS_LOST] = T(PROBE, TEARDOWN), \
	[CCM_E_STEP_TIMEOUT] = T(PROBE, TEARDOWN)

static const struct ccm_transition session[CCM_S_NSTATES][CCM_E_NEVENTS] = {
	ROW(IDLE,
	    [CCM_E_START] = T(PROBE, READ_PEER)),
	/* Claim 1 of 003_: READ first; a partner not up yet is read again
	 * with back-off, forever. */
	ROW(PROBE,
	    [CCM_E_READ_OK] = T(ANNOUNCE, WRITE_STATUS),
	    [CCM_E_READ_FAIL] = T(PROBE, BACKOFF),
	    [CCM_E_STEP_TIMEOUT] = T(PROBE, BACKOFF),	/* no answer at all, not even ARP */
	    [CCM_E_TIMER] = T(PROBE, READ_PEER),
	    [CCM_E_QP_ERROR] = T(PROBE, BACKOFF),
	    [CCM_E_ADMIN_RESTART] = T(PROBE, TEARDOWN),
	    [CCM_E_PEER_TERMINATE] = T(PROBE, TEARDOWN)),
	/* ... in response to a successful READ, a WRITE ... */
	ROW(ANNOUNCE,
	    [CCM_E_WRITE_OK] = T(CONFIRM, REREAD),
	    [CCM_E_WRITE_FAIL] = T(PROBE, TEARDOWN),
	    RESTART_EARLY),
	/* ... then a second READ, which must see the partner's acknowledgement ... */
	ROW(CONFIRM,
	    [CCM_E_TIMER] = T(CONFIRM, READ_PEER),
	    [CCM_E_ACKED] = T(COMMIT, WRITE_COMMIT),
	    [CCM_E_NOT_ACKED] = T(CONFIRM, REREAD),
	    [CCM_E_READ_FAIL] = T(PROBE, TEARDOWN),
	    RESTART_EARLY),
	/* ... and a second WRITE completes the handshake. */
	ROW(COMMIT,
	    [CCM_E_WRITE_OK] = T(HELLO, SEND_HELLO),
	    [CCM_E_WRITE_FAIL] = T(PROBE, TEARDOWN),
	    RESTART_EARLY),
	/* Claims 14-16: peer connection information with a version number. */
	ROW(HELLO,
	    [CCM_E_HELLO_OK] = T(CLIENTS, SEND_CLIENTS),
	    [CCM_E_HELLO_BAD] = T(REFUSED, REFUSE),
	    RESTART_EARLY),
	/* Claims 17-19: client information, then the ports it asks for. */
	ROW(CLIENTS,
	    [CCM_E_CLIENTS] = T(PORTS, CREATE_PORTS),
	    [CCM_E_HELLO_BAD] = T(REFUSED, REFUSE),
	    RESTART_EARLY),
	ROW(PORTS,
	    [CCM_E_PORTS] = T(READY_WAIT, SEND_READY),
	    RESTART_EARLY),
	/* Claim 14: alert the partner of ready status; on its READY, alert
	 * the clients that the partner is ready. */
	ROW(READY_WAIT,
	    [CCM_E_READY] = T(UP, SESSION_UP),
	    RESTART_EARLY),
	/* Claim 22: termination alerts the clients first, whatever the cause. */
	ROW(UP,
	    [CCM_E_PEER_RESTART] = T(TERMINATING, TERMINATE),
	    [CCM_E_PEER_TERMINATE] = T(TERMINATING, TERMINATE),
	    [CCM_E_QP_ERROR] = T(TERMINATING, TERMINATE),
	    [CCM_E_ADMIN_RESTART] = T(TERMINATING, TERMINATE),
	    [CCM_E_LINKS_LOST] = T(TERMINATING, TERMINATE),
	    [CCM_E_CLIENT_JOINED] = T(TERMINATING, TERMINATE)),
	/* ... the clients close their ports (or run out of time), then the
	 * session is initiated again. */
	ROW(TERMINATING,
	    [CCM_E_CLIENTS_CLOSED] = T(PROBE, TEARDOWN),
	    [CCM_E_STEP_TIMEOUT] = T(PROBE, TEARDOWN)),
	/* An incompatible partner is refused, logged, and tried again later. */
	ROW(REFUSED,
	    [CCM_E_TIMER] = T(PROBE, TEARDOWN),
	    [CCM_E_ADMIN_RESTART] = T(PROBE, TEARDOWN),
	    [CCM_E_PEER_RESTART] = T(PROBE, TEARDOWN)),
};

static const char *const state_names[CCM_S_NSTATES] = {
	[CCM_S_IDLE] = "IDLE", [CCM_S_PROBE] = "PROBE", [CCM_S_ANNOUNCE] = "ANNOUNCE",
	[CCM_S_CONFIRM] = "CONFIRM", [CCM_S_COMMIT] = "COMMIT", [CCM_S_HELLO] = "HELLO",
	[CCM_S_CLIENTS] = "CLIENTS", [CCM_S_PORTS] = "PORTS",
	[CCM_S_READY_WAIT] = "READY_WAIT", [CCM_S_UP] = "UP",
	[CCM_S_TERMINATING] = "TERMINATING", [CCM_S_REFUSED] = "REFUSED",
};
static_assert(DIM(state_names) == CCM_S_NSTATES, "a name per state");

static const char *const event_names[CCM_E_NEVENTS] = {
	[CCM_E_START] = "START", [CCM_E_READ_OK] = "READ_OK", [CCM_E_READ_FAIL] = "READ_FAIL",
	[CCM_E_WRITE_OK] = "WRITE_OK", [CCM_E_WRITE_FAIL] = "WRITE_FAIL",
	[CCM_E_ACKED] = "ACKED", [CCM_E_NOT_ACKED] = "NOT_ACKED", [CCM_E_TIMER] = "TIMER",
	[CCM_E_HELLO_OK] = "HELLO_OK", [CCM_E_HELLO_BAD] = "HELLO_BAD",
	[CCM_E_CLIENTS] = "CLIENTS", [CCM_E_PORTS] = "PORTS", [CCM_E_READY] = "READY",
	[CCM_E_PEER_RESTART] = "PEER_RESTART", [CCM_E_PEER_TERMINATE] = "PEER_TERMINATE",
	[CCM_E_QP_ERROR] = "QP_ERROR", [CCM_E_ADMIN_RESTART] = "ADMIN_RESTART",
	[CCM_E_LINKS_LOST] = "LINKS_LOST", [CCM_E_CLIENT_JOINED] = "CLIENT_JOINED",
	[CCM_E_CLIENTS_CLOSED] = "CLIENTS_CLOSED", [CCM_E_STEP_TIMEOUT] = "STEP_TIMEOUT",
};
static_assert(DIM(event_names) == CCM_E_NEVENTS, "a name per event");

static const char *const action_names[CCM_A_NACTIONS] = {
	[CCM_A_INVALID] = "INVALID", [CCM_A_NONE] = "NONE", [CCM_A_READ_PEER] = "READ_PEER",
	[CCM_A_BACKOFF] = "BACKOFF", [CCM_A_WRITE_STATUS] = "WRITE_STATUS",
	[CCM_A_REREAD] = "REREAD", [CCM_A_WRITE_COMMIT] = "WRITE_COMMIT",
	[CCM_A_SEND_HELLO] = "SEND_HELLO", [CCM_A_SEND_CLIENTS] = "SEND_CLIENTS",
	[CCM_A_CREATE_PORTS] = "CREATE_PORTS", [CCM_A_SEND_READY] = "SEND_READY",
	[CCM_A_SESSION_UP] = "SESSION_UP", [CCM_A_REFUSE] = "REFUSE",
	[CCM_A_TERMINATE] = "TERMINATE", [CCM_A_TEARDOWN] = "TEARDOWN",
};
static_assert(DIM(action_names) == CCM_A_NACTIONS, "a name per action");

struct ccm_transition
ccm_session_step(enum ccm_state s, enum ccm_event e)
{
	static const struct ccm_transition invalid = { .next = CCM_S_IDLE,
						       .action = CCM_A_INVALID };

	if ((unsigned int)s >= CCM_S_NSTATES || (unsigned int)e >= CCM_E_NEVENTS)
		return invalid;
	return session[s][e];
}

const char *
ccm_state_name(enum ccm_state s)
{
	return (unsigned int)s < CCM_S_NSTATES ? state_names[s] : "?";
}

const char *
ccm_event_name(enum ccm_event e)
{
	return (unsigned int)e < CCM_E_NEVENTS ? event_names[e] : "?";
}

const char *
ccm_action_name(enum ccm_action a)
{
	return (unsigned int)a < CCM_A_NACTIONS ? action_names[a] : "?";
}

/* ---- Links ------------------------------------------------------------ */

#define LT(s, a) { .next = CCM_L_ ## s, .action = CCM_LA_ ## a }
#define LROW(s, ...) [CCM_L_ ## s] = { [0 ... CCM_LE_NEVENTS - 1] = LT(s, NONE), __VA_ARGS__ }

/* Claims 6-8: a link carries traffic while it has carrier and the
 * partner's keepalives; losing either moves its traffic elsewhere. */
static const struct ccm_link_transition link_table[CCM_L_NSTATES][CCM_LE_NEVENTS] = {
	/* Without carrier nothing heard counts. */
	LROW(NO_CARRIER,
	     [CCM_LE_CARRIER_UP] = LT(TESTING, NONE),
	     [CCM_LE_ADMIN_DOWN] = LT(ADMIN_DOWN, NONE)),
	LROW(TESTING,
	     [CCM_LE_BEAT] = LT(UP, UP),
	     [CCM_LE_CARRIER_DOWN] = LT(NO_CARRIER, NONE),
	     [CCM_LE_ADMIN_DOWN] = LT(ADMIN_DOWN, NONE)),
	LROW(UP,
	     [CCM_LE_CARRIER_DOWN] = LT(NO_CARRIER, DOWN),
	     [CCM_LE_BEAT_TIMEOUT] = LT(SILENT, DOWN),
	     [CCM_LE_ADMIN_DOWN] = LT(ADMIN_DOWN, DOWN)),
	/* Silent loss: carrier, but the partner no longer answers. */
	LROW(SILENT,
	     [CCM_LE_BEAT] = LT(UP, UP),
	     [CCM_LE_CARRIER_DOWN] = LT(NO_CARRIER, NONE),
	     [CCM_LE_ADMIN_DOWN] = LT(ADMIN_DOWN, NONE)),
	/* The operator's word holds; then carrier is looked at afresh. */
	LROW(ADMIN_DOWN,
	     [CCM_LE_ADMIN_UP] = LT(NO_CARRIER, NONE)),
};

static const char *const link_state_names[CCM_L_NSTATES] = {
	[CCM_L_NO_CARRIER] = "NO_CARRIER", [CCM_L_TESTING] = "TESTING", [CCM_L_UP] = "UP",
	[CCM_L_SILENT] = "SILENT", [CCM_L_ADMIN_DOWN] = "ADMIN_DOWN",
};
static_assert(DIM(link_state_names) == CCM_L_NSTATES, "a name per link state");

static const char *const link_event_names[CCM_LE_NEVENTS] = {
	[CCM_LE_CARRIER_UP] = "CARRIER_UP", [CCM_LE_CARRIER_DOWN] = "CARRIER_DOWN",
	[CCM_LE_BEAT] = "BEAT", [CCM_LE_BEAT_TIMEOUT] = "BEAT_TIMEOUT",
	[CCM_LE_ADMIN_DOWN] = "ADMIN_DOWN", [CCM_LE_ADMIN_UP] = "ADMIN_UP",
};
static_assert(DIM(link_event_names) == CCM_LE_NEVENTS, "a name per link event");

static const char *const link_action_names[CCM_LA_NACTIONS] = {
	[CCM_LA_INVALID] = "INVALID", [CCM_LA_NONE] = "NONE", [CCM_LA_UP] = "UP",
	[CCM_LA_DOWN] = "DOWN",
};
static_assert(DIM(link_action_names) == CCM_LA_NACTIONS, "a name per link action");

struct ccm_link_transition
ccm_link_step(enum ccm_link_state s, enum ccm_link_event e)
{
	static const struct ccm_link_transition invalid = { .next = CCM_L_NO_CARRIER,
							    .action = CCM_LA_INVALID };

	if ((unsigned int)s >= CCM_L_NSTATES || (unsigned int)e >= CCM_LE_NEVENTS)
		return invalid;
	return link_table[s][e];
}

const char *
ccm_link_state_name(enum ccm_link_state s)
{
	return (unsigned int)s < CCM_L_NSTATES ? link_state_names[s] : "?";
}

const char *
ccm_link_event_name(enum ccm_link_event e)
{
	return (unsigned int)e < CCM_LE_NEVENTS ? link_event_names[e] : "?";
}

const char *
ccm_link_action_name(enum ccm_link_action a)
{
	return (unsigned int)a < CCM_LA_NACTIONS ? link_action_names[a] : "?";
}

uint64_t
ccm_backoff_ns(unsigned int attempt, uint64_t min_ns, uint64_t max_ns, uint64_t random)
{
	uint64_t t = min_ns;

	while (attempt-- > 0 && t < max_ns)
		t *= 2;
	if (t > max_ns)
		t = max_ns;
	/* Take away up to a quarter so simultaneous starters drift apart. */
	return t - (t / 4 ? random % (t / 4) : 0);
}
