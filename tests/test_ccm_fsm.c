/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's state tables, without EAL: every (state, event) pair defined,
 * the claims' order of steps as properties of the table's graph, and the
 * back-off arithmetic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "ccm_fsm.h"
#include "ccm_rules.h"

struct step {
	enum ccm_event e;
	enum ccm_state next;
	enum ccm_action action;
};

static void
walk(enum ccm_state s, const struct step *steps, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct ccm_transition t = ccm_session_step(s, steps[i].e);

		ck_assert_msg(t.next == steps[i].next && t.action == steps[i].action,
			      "%s + %s: expected -> %s / %s, got -> %s / %s", ccm_state_name(s),
			      ccm_event_name(steps[i].e), ccm_state_name(steps[i].next),
			      ccm_action_name(steps[i].action), ccm_state_name(t.next),
			      ccm_action_name(t.action));
		s = t.next;
	}
}

START_TEST(every_pair_defined)
{
	int s, e;

	for (s = 0; s < CCM_S_NSTATES; s++)
		for (e = 0; e < CCM_E_NEVENTS; e++) {
			struct ccm_transition t = ccm_session_step(s, e);

			ck_assert_msg(t.action != CCM_A_INVALID && t.action < CCM_A_NACTIONS &&
				      t.next < CCM_S_NSTATES, "%s + %s has no defined outcome",
				      ccm_state_name(s), ccm_event_name(e));
		}
	for (s = 0; s < CCM_L_NSTATES; s++)
		for (e = 0; e < CCM_LE_NEVENTS; e++) {
			struct ccm_link_transition t = ccm_link_step(s, e);

			ck_assert_msg(t.action != CCM_LA_INVALID && t.action < CCM_LA_NACTIONS &&
				      t.next < CCM_L_NSTATES, "link %s + %s has no defined outcome",
				      ccm_link_state_name(s), ccm_link_event_name(e));
		}
}
END_TEST

START_TEST(names_distinct_and_defined)
{
	int i, j;

	for (i = 0; i < CCM_S_NSTATES; i++)
		for (j = i + 1; j < CCM_S_NSTATES; j++)
			ck_assert_str_ne(ccm_state_name(i), ccm_state_name(j));
	for (i = 0; i < CCM_E_NEVENTS; i++)
		for (j = i + 1; j < CCM_E_NEVENTS; j++)
			ck_assert_str_ne(ccm_event_name(i), ccm_event_name(j));
	for (i = 0; i < CCM_A_NACTIONS; i++)
		for (j = i + 1; j < CCM_A_NACTIONS; j++)
			ck_assert_str_ne(ccm_action_name(i), ccm_action_name(j));
	ck_assert_str_eq(ccm_state_name(CCM_S_NSTATES), "?");
	ck_assert_str_eq(ccm_event_name(-1), "?");
	ck_assert_str_eq(ccm_link_state_name(CCM_L_NSTATES), "?");
	ck_assert_int_eq(ccm_session_step(CCM_S_NSTATES, 0).action, CCM_A_INVALID);
	ck_assert_int_eq(ccm_link_step(0, CCM_LE_NEVENTS).action, CCM_LA_INVALID);
}
END_TEST

/* The whole way up, with a partner that is late. */
START_TEST(session_initiation_in_claim_order)
{
	static const struct step steps[] = {
		{ CCM_E_START, CCM_S_PROBE, CCM_A_READ_PEER },
		{ CCM_E_READ_FAIL, CCM_S_PROBE, CCM_A_BACKOFF },	/* partner not up */
		{ CCM_E_TIMER, CCM_S_PROBE, CCM_A_READ_PEER },
		{ CCM_E_READ_OK, CCM_S_ANNOUNCE, CCM_A_WRITE_STATUS },	/* 1st READ, 1st WRITE */
		{ CCM_E_WRITE_OK, CCM_S_CONFIRM, CCM_A_REREAD },
		{ CCM_E_TIMER, CCM_S_CONFIRM, CCM_A_READ_PEER },	/* 2nd READ */
		{ CCM_E_NOT_ACKED, CCM_S_CONFIRM, CCM_A_REREAD },
		{ CCM_E_TIMER, CCM_S_CONFIRM, CCM_A_READ_PEER },
		{ CCM_E_ACKED, CCM_S_COMMIT, CCM_A_WRITE_COMMIT },	/* 2nd WRITE */
		{ CCM_E_WRITE_OK, CCM_S_HELLO, CCM_A_SEND_HELLO },	/* claim 16: versions */
		{ CCM_E_HELLO_OK, CCM_S_CLIENTS, CCM_A_SEND_CLIENTS },	/* claim 17 */
		{ CCM_E_CLIENTS, CCM_S_PORTS, CCM_A_CREATE_PORTS },
		{ CCM_E_PORTS, CCM_S_READY_WAIT, CCM_A_SEND_READY },	/* ready status */
		{ CCM_E_READY, CCM_S_UP, CCM_A_SESSION_UP },		/* clients alerted */
	};

	walk(CCM_S_IDLE, steps, sizeof(steps) / sizeof(steps[0]));
}
END_TEST

START_TEST(termination_alerts_clients_then_reinitiates)
{
	static const enum ccm_event causes[] = {
		CCM_E_PEER_RESTART, CCM_E_PEER_TERMINATE, CCM_E_QP_ERROR, CCM_E_ADMIN_RESTART,
		CCM_E_LINKS_LOST, CCM_E_CLIENT_JOINED,
	};
	unsigned int i;

	for (i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
		const struct step steps[] = {
			{ causes[i], CCM_S_TERMINATING, CCM_A_TERMINATE },
			{ CCM_E_READY, CCM_S_TERMINATING, CCM_A_NONE },
			{ CCM_E_CLIENTS_CLOSED, CCM_S_PROBE, CCM_A_TEARDOWN },
		};

		walk(CCM_S_UP, steps, 3);
	}
	/* Clients that do not close in time do not hold the session hostage. */
	ck_assert_int_eq(ccm_session_step(CCM_S_TERMINATING, CCM_E_STEP_TIMEOUT).next, CCM_S_PROBE);
	ck_assert_int_eq(ccm_session_step(CCM_S_TERMINATING, CCM_E_STEP_TIMEOUT).action,
			 CCM_A_TEARDOWN);
}
END_TEST

START_TEST(version_mismatch_refused_and_retried)
{
	static const struct step steps[] = {
		{ CCM_E_HELLO_BAD, CCM_S_REFUSED, CCM_A_REFUSE },
		{ CCM_E_READY, CCM_S_REFUSED, CCM_A_NONE },
		{ CCM_E_TIMER, CCM_S_PROBE, CCM_A_TEARDOWN },
	};

	walk(CCM_S_HELLO, steps, 3);
}
END_TEST

/* Graph properties: who may lead where, over the whole table. */
START_TEST(only_the_claimed_steps_lead_forward)
{
	int s, e;

	for (s = 0; s < CCM_S_NSTATES; s++)
		for (e = 0; e < CCM_E_NEVENTS; e++) {
			struct ccm_transition t = ccm_session_step(s, e);
			char what[96];

			snprintf(what, sizeof(what), "%s + %s -> %s / %s", ccm_state_name(s),
				 ccm_event_name(e), ccm_state_name(t.next), ccm_action_name(t.action));
			if (t.next == s)
				continue;
			switch (t.next) {
			case CCM_S_ANNOUNCE:	/* a WRITE only after a successful READ */
				ck_assert_msg(s == CCM_S_PROBE && e == CCM_E_READ_OK, "%s", what);
				break;
			case CCM_S_CONFIRM:
				ck_assert_msg(s == CCM_S_ANNOUNCE && e == CCM_E_WRITE_OK, "%s", what);
				break;
			case CCM_S_COMMIT:
				ck_assert_msg(s == CCM_S_CONFIRM && e == CCM_E_ACKED, "%s", what);
				break;
			case CCM_S_HELLO:
				ck_assert_msg(s == CCM_S_COMMIT && e == CCM_E_WRITE_OK, "%s", what);
				break;
			case CCM_S_UP:		/* clients are told only after READY */
				ck_assert_msg(s == CCM_S_READY_WAIT && e == CCM_E_READY, "%s", what);
				break;
			case CCM_S_TERMINATING:	/* only a session that was up terminates */
				ck_assert_msg(s == CCM_S_UP, "%s", what);
				break;
			default:
				break;
			}
			/* Every way back to the start tears down first. */
			if (t.next == CCM_S_PROBE && s != CCM_S_IDLE)
				ck_assert_msg(t.action == CCM_A_TEARDOWN, "%s", what);
		}
}
END_TEST

START_TEST(no_dead_ends)
{
	/* From every state, some path of events leads back to PROBE and on to UP. */
	int from, s, e, round;

	for (from = 0; from < CCM_S_NSTATES; from++) {
		bool seen[CCM_S_NSTATES] = { 0 };

		seen[from] = true;
		for (round = 0; round < CCM_S_NSTATES; round++)
			for (s = 0; s < CCM_S_NSTATES; s++)
				for (e = 0; seen[s] && e < CCM_E_NEVENTS; e++)
					seen[ccm_session_step(s, e).next] = true;
		ck_assert_msg(seen[CCM_S_UP], "UP unreachable from %s", ccm_state_name(from));
		if (from != CCM_S_IDLE)
			ck_assert_msg(seen[CCM_S_PROBE], "no way back from %s", ccm_state_name(from));
	}
}
END_TEST

START_TEST(restart_before_up_tears_down)
{
	static const enum ccm_event causes[] = {
		CCM_E_PEER_RESTART, CCM_E_PEER_TERMINATE, CCM_E_QP_ERROR, CCM_E_ADMIN_RESTART,
		CCM_E_LINKS_LOST, CCM_E_STEP_TIMEOUT,
	};
	int s;
	unsigned int i;

	for (s = CCM_S_ANNOUNCE; s <= CCM_S_READY_WAIT; s++)
		for (i = 0; i < sizeof(causes) / sizeof(causes[0]); i++) {
			struct ccm_transition t = ccm_session_step(s, causes[i]);

			ck_assert_msg(t.next == CCM_S_PROBE && t.action == CCM_A_TEARDOWN,
				      "%s + %s: expected PROBE / TEARDOWN, got %s / %s",
				      ccm_state_name(s), ccm_event_name(causes[i]),
				      ccm_state_name(t.next), ccm_action_name(t.action));
		}
}
END_TEST

START_TEST(link_up_needs_keepalives_and_fails_on_either)
{
	ck_assert_int_eq(ccm_link_step(CCM_L_NO_CARRIER, CCM_LE_CARRIER_UP).next, CCM_L_TESTING);
	ck_assert_int_eq(ccm_link_step(CCM_L_TESTING, CCM_LE_BEAT_TIMEOUT).next, CCM_L_TESTING);
	ck_assert_int_eq(ccm_link_step(CCM_L_TESTING, CCM_LE_BEAT).next, CCM_L_UP);
	ck_assert_int_eq(ccm_link_step(CCM_L_TESTING, CCM_LE_BEAT).action, CCM_LA_UP);
	/* Silent loss and lost carrier both take the link down, moving its QPs. */
	ck_assert_int_eq(ccm_link_step(CCM_L_UP, CCM_LE_BEAT_TIMEOUT).next, CCM_L_SILENT);
	ck_assert_int_eq(ccm_link_step(CCM_L_UP, CCM_LE_BEAT_TIMEOUT).action, CCM_LA_DOWN);
	ck_assert_int_eq(ccm_link_step(CCM_L_UP, CCM_LE_CARRIER_DOWN).next, CCM_L_NO_CARRIER);
	ck_assert_int_eq(ccm_link_step(CCM_L_UP, CCM_LE_CARRIER_DOWN).action, CCM_LA_DOWN);
	/* Keepalives heard without carrier do not count; after silence they do. */
	ck_assert_int_eq(ccm_link_step(CCM_L_NO_CARRIER, CCM_LE_BEAT).next, CCM_L_NO_CARRIER);
	ck_assert_int_eq(ccm_link_step(CCM_L_SILENT, CCM_LE_BEAT).next, CCM_L_UP);
	ck_assert_int_eq(ccm_link_step(CCM_L_SILENT, CCM_LE_BEAT).action, CCM_LA_UP);
	ck_assert_int_eq(ccm_link_step(CCM_L_UP, CCM_LE_ADMIN_DOWN).action, CCM_LA_DOWN);
	ck_assert_int_eq(ccm_link_step(CCM_L_UP, CCM_LE_BEAT).action, CCM_LA_NONE);
	/* An operator's down holds until the operator says up. */
	ck_assert_int_eq(ccm_link_step(CCM_L_ADMIN_DOWN, CCM_LE_BEAT).next, CCM_L_ADMIN_DOWN);
	ck_assert_int_eq(ccm_link_step(CCM_L_ADMIN_DOWN, CCM_LE_CARRIER_UP).next,
			 CCM_L_ADMIN_DOWN);
	ck_assert_int_eq(ccm_link_step(CCM_L_ADMIN_DOWN, CCM_LE_ADMIN_UP).next, CCM_L_NO_CARRIER);
}
END_TEST

START_TEST(link_actions_only_on_real_changes)
{
	int s, e;

	for (s = 0; s < CCM_L_NSTATES; s++)
		for (e = 0; e < CCM_LE_NEVENTS; e++) {
			struct ccm_link_transition t = ccm_link_step(s, e);

			if (t.action == CCM_LA_UP)
				ck_assert_msg(t.next == CCM_L_UP && s != CCM_L_UP,
					      "UP action without entering UP: %s + %s",
					      ccm_link_state_name(s), ccm_link_event_name(e));
			if (t.action == CCM_LA_DOWN)
				ck_assert_msg(s == CCM_L_UP && t.next != CCM_L_UP,
					      "DOWN action without leaving UP: %s + %s",
					      ccm_link_state_name(s), ccm_link_event_name(e));
			if (s == CCM_L_UP && t.next != CCM_L_UP)
				ck_assert_msg(t.action == CCM_LA_DOWN, "left UP silently on %s",
					      ccm_link_event_name(e));
		}
}
END_TEST

START_TEST(backoff_grows_caps_and_jitters)
{
	const uint64_t min = 10000000, max = 1000000000;	/* 10 ms .. 1 s */
	uint64_t prev = 0;
	unsigned int a;

	for (a = 0; a < 20; a++) {
		uint64_t plain = ccm_backoff_ns(a, min, max, 0);

		ck_assert_msg(plain >= prev, "attempt %u: %lu after %lu", a, (unsigned long)plain,
			      (unsigned long)prev);
		ck_assert_uint_le(plain, max);
		ck_assert_uint_ge(ccm_backoff_ns(a, min, max, UINT64_MAX), plain - plain / 4);
		ck_assert_uint_le(ccm_backoff_ns(a, min, max, 12345), plain);
		prev = plain;
	}
	ck_assert_uint_eq(ccm_backoff_ns(0, min, max, 0), min);
	ck_assert_uint_eq(ccm_backoff_ns(3, min, max, 0), 8 * min);
	ck_assert_uint_eq(ccm_backoff_ns(19, min, max, 0), max);
	ck_assert_uint_ne(ccm_backoff_ns(5, min, max, 1), ccm_backoff_ns(5, min, max, 2));
}
END_TEST

/* ---- Rules beside the tables (ccm_rules.c) ----------------------------- */

static const char *
verdict_name(enum ccm_peer_verdict v)
{
	return v == CCM_PEER_SAME ? "SAME" : v == CCM_PEER_LEARN ? "LEARN" :
	       v == CCM_PEER_RESTARTED ? "RESTARTED" : "?";
}

START_TEST(peer_restart_only_past_the_first_read)
{
	const uint64_t known = 0x1111, other = 0x2222;
	int s;

	for (s = 0; s < CCM_S_NSTATES; s++) {
		/* Past the first READ: ANNOUNCE up to TERMINATING. */
		bool past = s >= CCM_S_ANNOUNCE && s <= CCM_S_TERMINATING;
		enum ccm_peer_verdict want = past ? CCM_PEER_RESTARTED : CCM_PEER_LEARN;
		enum ccm_peer_verdict got = ccm_peer_incarnation_check(s, known, other);

		ck_assert_msg(got == want, "%s, known %lx, seen %lx: expected %s, got %s",
			      ccm_state_name(s), (unsigned long)known, (unsigned long)other,
			      verdict_name(want), verdict_name(got));
		got = ccm_peer_incarnation_check(s, known, known);
		ck_assert_msg(got == CCM_PEER_SAME, "%s, the same incarnation: expected SAME, got %s",
			      ccm_state_name(s), verdict_name(got));
		/* Nothing known yet: the first incarnation heard is learnt. */
		got = ccm_peer_incarnation_check(s, 0, other);
		ck_assert_msg(got == CCM_PEER_LEARN, "%s, nothing known: expected LEARN, got %s",
			      ccm_state_name(s), verdict_name(got));
		ck_assert_msg(ccm_state_past_probe(s) == past, "%s: past the first READ %d, "
			      "expected %d", ccm_state_name(s), ccm_state_past_probe(s), past);
	}
}
END_TEST

START_TEST(follower_starts_over_leader_waits)
{
	int s;

	for (s = 0; s < CCM_S_NSTATES; s++) {
		bool low = ccm_peer_new_attempt_ends_ours(s, 1, 2);
		bool high = ccm_peer_new_attempt_ends_ours(s, 2, 1);

		if (s == CCM_S_UP) {
			/* A session that was up ends on either side. */
			ck_assert_msg(low && high, "UP: leader ends %d, follower ends %d; "
				      "expected both", low, high);
		} else if (s >= CCM_S_HELLO && s < CCM_S_UP) {
			/* Exactly one follows, or the two restarts chase each other. */
			ck_assert_msg(!low && high, "%s: leader (node 1) ends %d, follower "
				      "(node 2) ends %d; expected only the follower",
				      ccm_state_name(s), low, high);
		} else {
			ck_assert_msg(!low && !high, "%s: leader ends %d, follower ends %d; "
				      "expected neither (no exchange under way)",
				      ccm_state_name(s), low, high);
		}
	}
}
END_TEST

static void
held_expect(enum ccm_state s, unsigned int held, uint16_t peer_max, int event,
	    unsigned int consume, uint16_t version)
{
	struct ccm_held_step h = ccm_held_message_step(s, held, 1, 2, 1, peer_max);

	ck_assert_msg(h.event == event && h.consume == consume &&
		      (event != CCM_E_HELLO_OK || h.version == version),
		      "%s, held 0x%x, partner 1..%u: expected %s (uses 0x%x, version %u), "
		      "got %s (uses 0x%x, version %u)", ccm_state_name(s), held, peer_max,
		      event == CCM_E_NEVENTS ? "nothing" : ccm_event_name(event), consume,
		      version, h.event == CCM_E_NEVENTS ? "nothing" : ccm_event_name(h.event),
		      h.consume, h.version);
}

START_TEST(held_messages_run_in_their_state)
{
	const unsigned int all = CCM_HELD_HELLO | CCM_HELD_CLIENTS | CCM_HELD_PORTS |
				 CCM_HELD_READY;
	int s;

	/* Each message raises its event in the state that waits for it. */
	held_expect(CCM_S_HELLO, all, 2, CCM_E_HELLO_OK, CCM_HELD_HELLO, 2);
	held_expect(CCM_S_HELLO, all, 1, CCM_E_HELLO_OK, CCM_HELD_HELLO, 1);
	held_expect(CCM_S_CLIENTS, all, 2, CCM_E_CLIENTS, CCM_HELD_CLIENTS, 0);
	held_expect(CCM_S_PORTS, all, 2, CCM_E_PORTS, CCM_HELD_PORTS, 0);
	held_expect(CCM_S_READY_WAIT, all, 2, CCM_E_READY, CCM_HELD_READY, 0);
	/* Claim 16: no common version is a refusal. */
	{
		struct ccm_held_step h = ccm_held_message_step(CCM_S_HELLO, CCM_HELD_HELLO, 2, 3,
							       4, 5);

		ck_assert_msg(h.event == CCM_E_HELLO_BAD && h.version == 0,
			      "versions 2..3 against 4..5: expected HELLO_BAD, version 0; got "
			      "%s, version %u", ccm_event_name(h.event), h.version);
	}
	/* The partner's refusal first, while versions are being settled. */
	held_expect(CCM_S_HELLO, all | CCM_HELD_REFUSE, 2, CCM_E_HELLO_BAD, CCM_HELD_REFUSE, 0);
	held_expect(CCM_S_CLIENTS, all | CCM_HELD_REFUSE, 2, CCM_E_HELLO_BAD,
		    CCM_HELD_REFUSE, 0);
	held_expect(CCM_S_PORTS, CCM_HELD_REFUSE, 2, CCM_E_NEVENTS, 0, 0);
	/* A message ahead of its state waits. */
	held_expect(CCM_S_HELLO, CCM_HELD_CLIENTS | CCM_HELD_PORTS | CCM_HELD_READY, 2,
		    CCM_E_NEVENTS, 0, 0);
	held_expect(CCM_S_PORTS, CCM_HELD_READY, 2, CCM_E_NEVENTS, 0, 0);
	/* Outside the exchange nothing held runs; what runs moves the table. */
	for (s = 0; s < CCM_S_NSTATES; s++) {
		struct ccm_held_step h = ccm_held_message_step(s, all | CCM_HELD_REFUSE, 1, 2, 1,
							       2);

		if (s < CCM_S_HELLO || s > CCM_S_READY_WAIT) {
			ck_assert_msg(h.event == CCM_E_NEVENTS, "%s: expected nothing, got %s",
				      ccm_state_name(s), ccm_event_name(h.event));
			continue;
		}
		ck_assert_msg(h.event != CCM_E_NEVENTS && h.consume != 0,
			      "%s with every message held: nothing ran", ccm_state_name(s));
		ck_assert_msg(ccm_session_step(s, h.event).next != s,
			      "%s + %s (held): the table stays", ccm_state_name(s),
			      ccm_event_name(h.event));
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("ccm_fsm");
	TCase *tables = tcase_create("tables");
	TCase *paths = tcase_create("paths");
	TCase *links = tcase_create("links");
	TCase *rules = tcase_create("rules");
	SRunner *sr;
	int failed;

	tcase_add_test(tables, every_pair_defined);
	tcase_add_test(tables, names_distinct_and_defined);
	tcase_add_test(paths, session_initiation_in_claim_order);
	tcase_add_test(paths, termination_alerts_clients_then_reinitiates);
	tcase_add_test(paths, version_mismatch_refused_and_retried);
	tcase_add_test(paths, only_the_claimed_steps_lead_forward);
	tcase_add_test(paths, no_dead_ends);
	tcase_add_test(paths, restart_before_up_tears_down);
	tcase_add_test(links, link_up_needs_keepalives_and_fails_on_either);
	tcase_add_test(links, link_actions_only_on_real_changes);
	tcase_add_test(links, backoff_grows_caps_and_jitters);
	suite_add_tcase(s, tables);
	suite_add_tcase(s, paths);
	tcase_add_test(rules, peer_restart_only_past_the_first_read);
	tcase_add_test(rules, follower_starts_over_leader_waits);
	tcase_add_test(rules, held_messages_run_in_their_state);
	suite_add_tcase(s, links);
	suite_add_tcase(s, rules);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
