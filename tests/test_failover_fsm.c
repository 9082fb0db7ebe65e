/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor's table and heartbeat record, without EAL: every
 * (state, event) pair defined, the split-brain and ownership rules as
 * properties of the whole table, the scenarios an HA pair lives through,
 * the beat codec against bytes written by hand, and the verdicts and lease
 * of failover_judge.c (the split-brain rule over random signals; the lease
 * against a simulated takeover).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "failover_fsm.h"
#include "failover_judge.h"
#include "test_ref.h"

#define DIM(a) (sizeof(a) / sizeof((a)[0]))

struct step {
	enum fo_event e;
	enum fo_state next;
	enum fo_action action;
};

static void
walk(enum fo_state s, const struct step *steps, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct fo_transition t = fo_step(s, steps[i].e);

		ck_assert_msg(t.next == steps[i].next && t.action == steps[i].action,
			      "step %u, %s + %s: expected -> %s / %s, got -> %s / %s", i,
			      fo_state_name(s), fo_event_name(steps[i].e),
			      fo_state_name(steps[i].next), fo_action_name(steps[i].action),
			      fo_state_name(t.next), fo_action_name(t.action));
		s = t.next;
	}
}

/* States in which the partner's work is ours (being replayed, or served). */
static bool
serving(int s)
{
	return s == FO_S_DOWN || s == FO_S_TAKEN_OVER || s == FO_S_GIVING_BACK;
}

/* The only events that may ever lead to TAKEOVER. */
static bool
may_take_over(int e)
{
	return e == FO_E_MAILBOX_SILENT || e == FO_E_HALTING || e == FO_E_ADMIN_TAKEOVER;
}

static void
describe(char *buf, size_t len, int s, int e)
{
	struct fo_transition t = fo_step(s, e);

	snprintf(buf, len, "%s + %s -> %s / %s", fo_state_name(s), fo_event_name(e),
		 fo_state_name(t.next), fo_action_name(t.action));
}

/* ---- tables ------------------------------------------------------------- */

START_TEST(every_pair_defined)
{
	int s, e;

	for (s = 0; s < FO_S_NSTATES; s++)
		for (e = 0; e < FO_E_NEVENTS; e++) {
			struct fo_transition t = fo_step(s, e);

			ck_assert_msg(t.action != FO_A_INVALID && t.action < FO_A_NACTIONS &&
				      t.next < FO_S_NSTATES,
				      "%s + %s: expected a defined outcome, got next %u action %u",
				      fo_state_name(s), fo_event_name(e), t.next, t.action);
		}
}
END_TEST

START_TEST(names_distinct_and_out_of_range_refused)
{
	struct fo_transition t;
	int i, j;

	for (i = 0; i < FO_S_NSTATES; i++)
		for (j = i + 1; j < FO_S_NSTATES; j++)
			ck_assert_str_ne(fo_state_name(i), fo_state_name(j));
	for (i = 0; i < FO_E_NEVENTS; i++)
		for (j = i + 1; j < FO_E_NEVENTS; j++)
			ck_assert_str_ne(fo_event_name(i), fo_event_name(j));
	for (i = 0; i < FO_A_NACTIONS; i++)
		for (j = i + 1; j < FO_A_NACTIONS; j++)
			ck_assert_str_ne(fo_action_name(i), fo_action_name(j));
	for (i = 0; i < FO_S_NSTATES; i++)
		ck_assert_str_ne(fo_state_name(i), "?");
	for (i = 0; i < FO_E_NEVENTS; i++)
		ck_assert_str_ne(fo_event_name(i), "?");
	for (i = 0; i < FO_A_NACTIONS; i++)
		ck_assert_str_ne(fo_action_name(i), "?");
	ck_assert_str_eq(fo_state_name(FO_S_NSTATES), "?");
	ck_assert_str_eq(fo_state_name(-1), "?");
	ck_assert_str_eq(fo_event_name(FO_E_NEVENTS), "?");
	ck_assert_str_eq(fo_event_name(-1), "?");
	ck_assert_str_eq(fo_action_name(FO_A_NACTIONS), "?");
	ck_assert_str_eq(fo_action_name(-1), "?");

	t = fo_step(FO_S_NSTATES, FO_E_BEAT);
	ck_assert_msg(t.action == FO_A_INVALID, "bad state: expected INVALID, got %s",
		      fo_action_name(t.action));
	t = fo_step(-1, FO_E_BEAT);
	ck_assert_msg(t.action == FO_A_INVALID, "state -1: expected INVALID, got %s",
		      fo_action_name(t.action));
	/* A bad event must not make the caller forget it serves the partner. */
	for (i = 0; i < FO_S_NSTATES; i++) {
		t = fo_step(i, FO_E_NEVENTS);
		ck_assert_msg(t.action == FO_A_INVALID && t.next == i,
			      "%s + bad event: expected %s / INVALID, got %s / %s",
			      fo_state_name(i), fo_state_name(i), fo_state_name(t.next),
			      fo_action_name(t.action));
		t = fo_step(i, -1);
		ck_assert_msg(t.action == FO_A_INVALID && t.next == i,
			      "%s + event -1: expected %s / INVALID, got %s / %s",
			      fo_state_name(i), fo_state_name(i), fo_state_name(t.next),
			      fo_action_name(t.action));
	}
}
END_TEST

/* ---- rules over the whole table --------------------------------------- */

/*
 * Split brain: interconnect silence alone never takes over. TAKEOVER only
 * on the partner's halting notice, the operator's word, or a silent
 * mailbox in SUSPECT; and SUSPECT is entered only on interconnect silence.
 */
START_TEST(split_brain_rule)
{
	int from, s, e, round;
	char what[128];

	for (s = 0; s < FO_S_NSTATES; s++)
		for (e = 0; e < FO_E_NEVENTS; e++) {
			struct fo_transition t = fo_step(s, e);

			describe(what, sizeof(what), s, e);
			if (t.action == FO_A_TAKEOVER)
				ck_assert_msg(e == FO_E_HALTING || e == FO_E_ADMIN_TAKEOVER ||
					      (e == FO_E_MAILBOX_SILENT && s == FO_S_SUSPECT),
					      "expected TAKEOVER only on HALTING, ADMIN_TAKEOVER "
					      "or SUSPECT + MAILBOX_SILENT, saw %s", what);
			if (t.next == FO_S_SUSPECT && s != FO_S_SUSPECT)
				ck_assert_msg(e == FO_E_BEAT_LATE || e == FO_E_BEAT_LOST,
					      "expected SUSPECT entered only on interconnect "
					      "silence, saw %s", what);
		}
	/*
	 * As paths: from any state, no sequence of the other events (beats
	 * late or lost, a mailbox that lives, completions, giveback) ever
	 * yields TAKEOVER.
	 */
	for (from = 0; from < FO_S_NSTATES; from++) {
		bool seen[FO_S_NSTATES] = { 0 };

		seen[from] = true;
		for (round = 0; round < FO_S_NSTATES; round++)
			for (s = 0; s < FO_S_NSTATES; s++)
				for (e = 0; seen[s] && e < FO_E_NEVENTS; e++) {
					struct fo_transition t = fo_step(s, e);

					if (may_take_over(e))
						continue;
					describe(what, sizeof(what), s, e);
					ck_assert_msg(t.action != FO_A_TAKEOVER,
						      "from %s: expected no TAKEOVER without "
						      "mailbox silence, halting or operator, "
						      "saw %s", fo_state_name(from), what);
					seen[t.next] = true;
				}
	}
	/* In particular the interconnect events, in every state. */
	for (s = 0; s < FO_S_NSTATES; s++) {
		ck_assert_int_ne(fo_step(s, FO_E_BEAT_LATE).action, FO_A_TAKEOVER);
		ck_assert_int_ne(fo_step(s, FO_E_BEAT_LOST).action, FO_A_TAKEOVER);
		ck_assert_int_ne(fo_step(s, FO_E_MAILBOX_ALIVE).action, FO_A_TAKEOVER);
	}
}
END_TEST

START_TEST(takeover_only_when_not_serving)
{
	int s, e;
	char what[128];

	for (s = 0; s < FO_S_NSTATES; s++)
		for (e = 0; e < FO_E_NEVENTS; e++) {
			struct fo_transition t = fo_step(s, e);

			if (t.action != FO_A_TAKEOVER)
				continue;
			describe(what, sizeof(what), s, e);
			ck_assert_msg(!serving(s), "expected TAKEOVER only from states not "
				      "serving the partner's work, saw %s", what);
			ck_assert_msg(t.next == FO_S_DOWN, "expected TAKEOVER to lead to DOWN "
				      "(replay running), saw %s", what);
		}
	/* And the other way round: each state not serving can be told to. */
	for (s = 0; s < FO_S_NSTATES; s++)
		if (!serving(s))
			ck_assert_msg(fo_step(s, FO_E_ADMIN_TAKEOVER).action == FO_A_TAKEOVER,
				      "%s + ADMIN_TAKEOVER: expected TAKEOVER, got %s",
				      fo_state_name(s),
				      fo_action_name(fo_step(s, FO_E_ADMIN_TAKEOVER).action));
}
END_TEST

/* The partner's work changes hands only through TAKEOVER and GIVEBACK. */
START_TEST(ownership_changes_only_by_takeover_or_giveback)
{
	int s, e;
	char what[128];

	for (s = 0; s < FO_S_NSTATES; s++)
		for (e = 0; e < FO_E_NEVENTS; e++) {
			struct fo_transition t = fo_step(s, e);
			bool takes = !serving(s) && serving(t.next);
			bool gives = serving(s) && !serving(t.next);

			describe(what, sizeof(what), s, e);
			ck_assert_msg(takes == (t.action == FO_A_TAKEOVER),
				      "expected TAKEOVER exactly when the work becomes ours, "
				      "saw %s", what);
			ck_assert_msg(gives == (t.action == FO_A_GIVEBACK),
				      "expected GIVEBACK exactly when the work stops being ours, "
				      "saw %s", what);
			if (t.action == FO_A_START_GIVEBACK)
				ck_assert_msg(s == FO_S_TAKEN_OVER && t.next == FO_S_GIVING_BACK,
					      "expected START_GIVEBACK only TAKEN_OVER -> "
					      "GIVING_BACK, saw %s", what);
			/* A takeover in progress is finished before anything else. */
			if (s == FO_S_DOWN && t.next != FO_S_DOWN)
				ck_assert_msg(e == FO_E_TAKEOVER_DONE && t.next == FO_S_TAKEN_OVER,
					      "expected DOWN left only on TAKEOVER_DONE, saw %s",
					      what);
		}
}
END_TEST

/* Actions come with changes of state, so a repeated event does nothing more. */
START_TEST(repeated_event_does_nothing_more)
{
	int s, e;
	char what[128];

	for (s = 0; s < FO_S_NSTATES; s++)
		for (e = 0; e < FO_E_NEVENTS; e++) {
			struct fo_transition t = fo_step(s, e);
			struct fo_transition again = fo_step(t.next, e);

			describe(what, sizeof(what), s, e);
			if (t.next == s)
				ck_assert_msg(t.action == FO_A_NONE,
					      "expected NONE when staying, saw %s", what);
			ck_assert_msg(again.next == t.next && again.action == FO_A_NONE,
				      "%s, then %s again: expected %s / NONE, got %s / %s", what,
				      fo_event_name(e), fo_state_name(t.next),
				      fo_state_name(again.next), fo_action_name(again.action));
		}
}
END_TEST

static void
reachable(int from, bool seen[FO_S_NSTATES])
{
	int s, e, round;

	memset(seen, 0, FO_S_NSTATES * sizeof(seen[0]));
	seen[from] = true;
	for (round = 0; round < FO_S_NSTATES; round++)
		for (s = 0; s < FO_S_NSTATES; s++)
			for (e = 0; seen[s] && e < FO_E_NEVENTS; e++)
				seen[fo_step(s, e).next] = true;
}

START_TEST(no_dead_ends)
{
	bool seen[FO_S_NSTATES];
	int s;

	for (s = 0; s < FO_S_NSTATES; s++) {
		reachable(s, seen);
		ck_assert_msg(seen[FO_S_UP], "expected UP reachable from %s, it is not",
			      fo_state_name(s));
	}
	/* And no row is unused: every state can be reached from the start. */
	reachable(FO_S_UNKNOWN, seen);
	for (s = 0; s < FO_S_NSTATES; s++)
		ck_assert_msg(seen[s], "expected %s reachable from UNKNOWN, it is not",
			      fo_state_name(s));
}
END_TEST

/* ---- scenarios ---------------------------------------------------------- */

START_TEST(partner_dies_then_taken_over)
{
	static const struct step steps[] = {
		{ FO_E_BEAT_LOST, FO_S_UNKNOWN, FO_A_NONE },	/* not booted yet: wait */
		{ FO_E_MAILBOX_SILENT, FO_S_UNKNOWN, FO_A_NONE },
		{ FO_E_BEAT, FO_S_UP, FO_A_LOG },
		{ FO_E_BEAT, FO_S_UP, FO_A_NONE },
		{ FO_E_MAILBOX_ALIVE, FO_S_UP, FO_A_NONE },
		{ FO_E_BEAT_LATE, FO_S_SUSPECT, FO_A_LOG },	/* it stops */
		{ FO_E_BEAT_LATE, FO_S_SUSPECT, FO_A_NONE },
		{ FO_E_BEAT_LOST, FO_S_SUSPECT, FO_A_NONE },
		{ FO_E_MAILBOX_SILENT, FO_S_DOWN, FO_A_TAKEOVER },	/* both silent */
		{ FO_E_MAILBOX_SILENT, FO_S_DOWN, FO_A_NONE },
		{ FO_E_BEAT, FO_S_DOWN, FO_A_NONE },		/* back mid-replay: wait */
		{ FO_E_ADMIN_GIVEBACK, FO_S_DOWN, FO_A_NONE },
		{ FO_E_TAKEOVER_DONE, FO_S_TAKEN_OVER, FO_A_LOG },
		{ FO_E_BEAT, FO_S_TAKEN_OVER, FO_A_NONE },
	};

	walk(FO_S_UNKNOWN, steps, DIM(steps));
}
END_TEST

START_TEST(interconnect_cut_partner_alive_never_taken_over)
{
	static const struct step steps[] = {
		{ FO_E_BEAT_LATE, FO_S_SUSPECT, FO_A_LOG },
		{ FO_E_BEAT_LOST, FO_S_SUSPECT, FO_A_NONE },
		{ FO_E_MAILBOX_ALIVE, FO_S_SUSPECT, FO_A_NONE },	/* split brain guard */
		{ FO_E_BEAT_LOST, FO_S_SUSPECT, FO_A_NONE },
		{ FO_E_MAILBOX_ALIVE, FO_S_SUSPECT, FO_A_NONE },
		{ FO_E_GIVEBACK_DUE, FO_S_SUSPECT, FO_A_NONE },
		{ FO_E_TAKEOVER_DONE, FO_S_SUSPECT, FO_A_NONE },
		{ FO_E_BEAT, FO_S_UP, FO_A_LOG },			/* link repaired */
		{ FO_E_BEAT_LOST, FO_S_SUSPECT, FO_A_LOG },		/* cut at once */
		{ FO_E_MAILBOX_ALIVE, FO_S_SUSPECT, FO_A_NONE },
		{ FO_E_BEAT, FO_S_UP, FO_A_LOG },
		{ FO_E_MAILBOX_SILENT, FO_S_UP, FO_A_NONE },	/* mailbox lost, beats on */
		{ FO_E_BEAT, FO_S_UP, FO_A_NONE },
	};
	enum fo_state s = FO_S_UP;
	unsigned int i, round;

	walk(FO_S_UP, steps, DIM(steps));
	/* However long the cut lasts. */
	for (round = 0; round < 1000; round++)
		for (i = 0; i < 3; i++) {
			static const enum fo_event cut[] = {
				FO_E_BEAT_LATE, FO_E_BEAT_LOST, FO_E_MAILBOX_ALIVE,
			};
			struct fo_transition t = fo_step(s, cut[i]);

			ck_assert_msg(t.action != FO_A_TAKEOVER && t.next == FO_S_SUSPECT,
				      "round %u, %s + %s: expected SUSPECT, no TAKEOVER, "
				      "got %s / %s", round, fo_state_name(s), fo_event_name(cut[i]),
				      fo_state_name(t.next), fo_action_name(t.action));
			s = t.next;
		}
}
END_TEST

START_TEST(halting_notice_taken_over_at_once)
{
	static const enum fo_state from[] = { FO_S_UNKNOWN, FO_S_UP, FO_S_SUSPECT };
	unsigned int i;

	for (i = 0; i < DIM(from); i++) {
		static const struct step steps[] = {
			{ FO_E_HALTING, FO_S_DOWN, FO_A_TAKEOVER },
			{ FO_E_HALTING, FO_S_DOWN, FO_A_NONE },
			{ FO_E_TAKEOVER_DONE, FO_S_TAKEN_OVER, FO_A_LOG },
			{ FO_E_HALTING, FO_S_TAKEN_OVER, FO_A_NONE },
		};

		walk(from[i], steps, DIM(steps));
	}
}
END_TEST

START_TEST(giveback_after_delay_and_resync)
{
	static const struct step steps[] = {
		{ FO_E_BEAT, FO_S_TAKEN_OVER, FO_A_NONE },		/* back: not yet */
		{ FO_E_MAILBOX_ALIVE, FO_S_TAKEN_OVER, FO_A_NONE },
		{ FO_E_RESYNCED, FO_S_TAKEN_OVER, FO_A_NONE },
		{ FO_E_BEAT, FO_S_TAKEN_OVER, FO_A_NONE },
		/* Up for giveback_delay. */
		{ FO_E_GIVEBACK_DUE, FO_S_GIVING_BACK, FO_A_START_GIVEBACK },
		{ FO_E_BEAT, FO_S_GIVING_BACK, FO_A_NONE },
		{ FO_E_BEAT_LATE, FO_S_GIVING_BACK, FO_A_NONE },	/* resync may slow it */
		{ FO_E_GIVEBACK_DUE, FO_S_GIVING_BACK, FO_A_NONE },
		{ FO_E_RESYNCED, FO_S_UP, FO_A_GIVEBACK },
		{ FO_E_BEAT, FO_S_UP, FO_A_NONE },
		{ FO_E_RESYNCED, FO_S_UP, FO_A_NONE },
	};

	walk(FO_S_TAKEN_OVER, steps, DIM(steps));
}
END_TEST

START_TEST(partner_dies_during_giveback)
{
	static const struct step steps[] = {
		{ FO_E_GIVEBACK_DUE, FO_S_GIVING_BACK, FO_A_START_GIVEBACK },
		{ FO_E_BEAT_LOST, FO_S_TAKEN_OVER, FO_A_LOG },		/* dead again */
		{ FO_E_MAILBOX_SILENT, FO_S_TAKEN_OVER, FO_A_NONE },	/* still ours */
		{ FO_E_RESYNCED, FO_S_TAKEN_OVER, FO_A_NONE },		/* stale: ignored */
		{ FO_E_BEAT, FO_S_TAKEN_OVER, FO_A_NONE },		/* back once more */
		{ FO_E_GIVEBACK_DUE, FO_S_GIVING_BACK, FO_A_START_GIVEBACK },
		{ FO_E_HALTING, FO_S_TAKEN_OVER, FO_A_LOG },		/* halts instead */
		{ FO_E_GIVEBACK_DUE, FO_S_GIVING_BACK, FO_A_START_GIVEBACK },
		{ FO_E_RESYNCED, FO_S_UP, FO_A_GIVEBACK },
	};

	walk(FO_S_TAKEN_OVER, steps, DIM(steps));
}
END_TEST

START_TEST(admin_takeover_and_giveback)
{
	static const struct step steps[] = {
		{ FO_E_ADMIN_GIVEBACK, FO_S_UP, FO_A_NONE },		/* nothing to give */
		{ FO_E_ADMIN_TAKEOVER, FO_S_DOWN, FO_A_TAKEOVER },
		{ FO_E_ADMIN_TAKEOVER, FO_S_DOWN, FO_A_NONE },
		{ FO_E_ADMIN_GIVEBACK, FO_S_DOWN, FO_A_NONE },		/* replay first */
		{ FO_E_TAKEOVER_DONE, FO_S_TAKEN_OVER, FO_A_LOG },
		{ FO_E_ADMIN_TAKEOVER, FO_S_TAKEN_OVER, FO_A_NONE },	/* ours already */
		{ FO_E_ADMIN_GIVEBACK, FO_S_GIVING_BACK, FO_A_START_GIVEBACK },
		{ FO_E_ADMIN_TAKEOVER, FO_S_TAKEN_OVER, FO_A_LOG },	/* changed its mind */
		{ FO_E_ADMIN_GIVEBACK, FO_S_GIVING_BACK, FO_A_START_GIVEBACK },
		{ FO_E_RESYNCED, FO_S_UP, FO_A_GIVEBACK },
	};

	walk(FO_S_UP, steps, DIM(steps));
	/* Before the partner was ever heard, and while it is suspect. */
	ck_assert_int_eq(fo_step(FO_S_UNKNOWN, FO_E_ADMIN_TAKEOVER).next, FO_S_DOWN);
	ck_assert_int_eq(fo_step(FO_S_UNKNOWN, FO_E_ADMIN_TAKEOVER).action, FO_A_TAKEOVER);
	ck_assert_int_eq(fo_step(FO_S_SUSPECT, FO_E_ADMIN_TAKEOVER).next, FO_S_DOWN);
	ck_assert_int_eq(fo_step(FO_S_SUSPECT, FO_E_ADMIN_TAKEOVER).action, FO_A_TAKEOVER);
}
END_TEST

/* ---- verdicts (failover_judge.c) ------------------------------------------ */

#define MS 1000000ull

static const struct fo_timing timing = { .suspect_ns = 5 * MS, .down_ns = 10 * MS,
					 .fast_ns = 5 * MS };

/* A partner heard on every path at @p last, with a readable mailbox. */
static struct fo_signals
heard_at(uint64_t last)
{
	return (struct fo_signals){ .beat_ns = last, .keepalive_ns = last, .mailbox_ns = last,
				    .since_ns = 1, .has_mailbox = true, .mailbox_readable = true,
				    .partner_mirrored = true };
}

static void
expect_verdict(const struct fo_signals *s, uint64_t now, enum fo_verdict want, const char *what)
{
	enum fo_verdict got = fo_judge(s, &timing, now);

	ck_assert_msg(got == want, "%s: expected %s, got %s", what, fo_verdict_name(want),
		      fo_verdict_name(got));
}

START_TEST(verdict_thresholds)
{
	const uint64_t t0 = 1000 * MS;
	struct fo_signals s = heard_at(t0);

	expect_verdict(&s, t0, FO_V_ALIVE, "just heard");
	expect_verdict(&s, t0 + 5 * MS, FO_V_ALIVE, "silent for suspect_ns exactly");
	expect_verdict(&s, t0 + 5 * MS + 1, FO_V_LATE, "silent past suspect_ns");
	expect_verdict(&s, t0 + 10 * MS, FO_V_LATE, "silent for down_ns exactly");
	expect_verdict(&s, t0 + 10 * MS + 1, FO_V_DEAD, "silent past down_ns everywhere");
	/* Any one path alive keeps it from dead. */
	s.keepalive_ns = t0 + 9 * MS;
	expect_verdict(&s, t0 + 11 * MS, FO_V_ALIVE, "a keepalive answered lately");
	s = heard_at(t0);
	s.beat_ns = t0 + 8 * MS;
	expect_verdict(&s, t0 + 11 * MS, FO_V_ALIVE, "a heartbeat on a link lately");
	s = heard_at(t0);
	s.mailbox_ns = t0 + 2 * MS;
	expect_verdict(&s, t0 + 11 * MS, FO_V_CUT, "the mailbox advanced lately");
	expect_verdict(&s, t0 + 12 * MS + 1, FO_V_DEAD, "then silent for down_ns too");
	/* No carrier on any link: the shorter timeout, for both paths. */
	s = heard_at(t0);
	s.carrier_lost = true;
	expect_verdict(&s, t0 + 5 * MS, FO_V_ALIVE, "no carrier, silent for suspect_ns");
	expect_verdict(&s, t0 + 5 * MS + 1, FO_V_DEAD, "no carrier, silent past fast_ns");
	s.mailbox_ns = t0 + 1 * MS;
	expect_verdict(&s, t0 + 5 * MS + 1, FO_V_CUT, "no carrier, the mailbox lately");
	expect_verdict(&s, t0 + 6 * MS + 1, FO_V_DEAD, "no carrier, mailbox silent for fast_ns");
	/* Silence is counted from when we started to listen. */
	s = (struct fo_signals){ .since_ns = t0, .has_mailbox = true, .mailbox_readable = true,
				 .partner_mirrored = true };
	expect_verdict(&s, t0 + 4 * MS, FO_V_ALIVE, "never heard, just started");
	expect_verdict(&s, t0 + 10 * MS + 1, FO_V_DEAD, "never heard for down_ns");
	/* Its mirror into us incomplete: dead, but not to be taken over. */
	s = heard_at(t0);
	s.partner_mirrored = false;
	expect_verdict(&s, t0 + 20 * MS, FO_V_DEAD_UNMIRRORED, "unmirrored");
	/* Without a mailbox, interconnect silence alone is death. */
	s = heard_at(t0);
	s.has_mailbox = false;
	s.mailbox_ns = t0 + 100 * MS;	/* ignored */
	expect_verdict(&s, t0 + 10 * MS + 1, FO_V_DEAD, "no mailbox configured");
	ck_assert_uint_eq(fo_silence_ns(&s, t0 + 10 * MS), 10 * MS);
	s.has_mailbox = true;
	ck_assert_uint_eq(fo_silence_ns(&s, t0 + 110 * MS), 10 * MS);
}
END_TEST

START_TEST(verdict_unreadable_mailbox_never_dead)
{
	const uint64_t t0 = 1000 * MS;
	struct fo_signals s = heard_at(t0);
	uint64_t dt;

	s.mailbox_readable = false;
	for (dt = 0; dt < 100000 * MS; dt += 7 * MS + 13) {
		enum fo_verdict v = fo_judge(&s, &timing, t0 + dt);

		ck_assert_msg(v != FO_V_DEAD && v != FO_V_DEAD_UNMIRRORED,
			      "mailbox unreadable, %.1f ms silent: %s", dt / 1e6, fo_verdict_name(v));
	}
	s.carrier_lost = true;
	expect_verdict(&s, t0 + 100000 * MS, FO_V_CUT, "unreadable mailbox, no carrier");
	/* Readable again: its silence counts from then, not from before. */
	s.mailbox_readable = true;
	s.mailbox_since_ns = t0 + 100000 * MS;
	expect_verdict(&s, t0 + 100000 * MS + 1 * MS, FO_V_CUT, "mailbox readable again");
	expect_verdict(&s, t0 + 100000 * MS + 5 * MS + 1, FO_V_DEAD,
		       "mailbox readable again, then silent for fast_ns");
}
END_TEST

/*
 * The split-brain rule, over random signals: never DEAD while the mailbox
 * heartbeat advanced within down_ns (fast_ns with no carrier) or the
 * mailbox cannot be read; DEAD as soon as every path is silent past the
 * timeout that applies.
 */
START_TEST(verdict_split_brain_rule_random)
{
	uint64_t rng = 99, i, dead = 0, cut = 0;

	for (i = 0; i < 2000000; i++) {
		uint64_t now = 1000 * MS + rng_below(&rng, 200000) * 1000;
		struct fo_signals s = {
			.beat_ns = now - rng_below(&rng, 30000) * 1000,
			.keepalive_ns = now - rng_below(&rng, 30000) * 1000,
			.mailbox_ns = now - rng_below(&rng, 30000) * 1000,
			.mailbox_since_ns = rng_below(&rng, 4) ? 0 : now - rng_below(&rng, 30000) * 1000,
			.since_ns = 1, .has_mailbox = true,
			.mailbox_readable = rng_below(&rng, 8) != 0,
			.carrier_lost = rng_below(&rng, 2), .partner_mirrored = true,
		};
		uint64_t limit = s.carrier_lost ? timing.fast_ns : timing.down_ns;
		uint64_t ic = now - (s.beat_ns > s.keepalive_ns ? s.beat_ns : s.keepalive_ns);
		uint64_t mb_last = s.mailbox_ns > s.mailbox_since_ns ? s.mailbox_ns :
				   s.mailbox_since_ns;
		bool mb_silent = s.mailbox_readable && now - mb_last > limit;
		bool should_die = ic > limit && mb_silent;
		enum fo_verdict v = fo_judge(&s, &timing, now);

		expect((v == FO_V_DEAD) == should_die, "case %" PRIu64 ": interconnect silent %.3f ms, "
		       "mailbox %s silent %.3f ms, carrier %s: expected %s, got %s", i, ic / 1e6,
		       s.mailbox_readable ? "readable," : "unreadable,", (now - mb_last) / 1e6,
		       s.carrier_lost ? "lost" : "up", should_die ? "DEAD" : "not DEAD",
		       fo_verdict_name(v));
		dead += v == FO_V_DEAD;
		cut += v == FO_V_CUT;
	}
	ck_assert_msg(dead > 10000 && cut > 10000, "coverage: %" PRIu64 " DEAD, %" PRIu64 " CUT",
		      dead, cut);
}
END_TEST

/* ---- lease --------------------------------------------------------------- */

START_TEST(lease_echo_and_expiry)
{
	static struct fo_lease l;
	const uint64_t lease = 4 * MS;

	memset(&l, 0, sizeof(l));
	ck_assert(!fo_lease_valid(&l, 0));
	fo_lease_sent(&l, 1, 100 * MS);
	fo_lease_sent(&l, 2, 101 * MS);
	ck_assert(!fo_lease_valid(&l, 100 * MS));
	fo_lease_echo(&l, 1, lease);
	ck_assert(fo_lease_valid(&l, 103 * MS));
	ck_assert(!fo_lease_valid(&l, 104 * MS));	/* from the send, not the echo */
	fo_lease_echo(&l, 2, lease);
	ck_assert(fo_lease_valid(&l, 104 * MS));
	ck_assert(!fo_lease_valid(&l, 105 * MS));
	fo_lease_echo(&l, 1, lease);			/* an older echo: no shorter */
	ck_assert_uint_eq(l.until_ns, 105 * MS);
	fo_lease_echo(&l, 0, lease);			/* nothing seen */
	fo_lease_echo(&l, 3, lease);			/* never sent */
	fo_lease_echo(&l, 2 + FO_LEASE_HISTORY, lease);	/* its slot, another beat */
	ck_assert_uint_eq(l.until_ns, 105 * MS);
	fo_lease_drop(&l);
	ck_assert(!fo_lease_valid(&l, 101 * MS));
	/* Forgotten beats extend nothing. */
	fo_lease_sent(&l, 2 + FO_LEASE_HISTORY, 200 * MS);
	fo_lease_echo(&l, 2, lease);
	ck_assert(!fo_lease_valid(&l, 101 * MS));
	/* The lease the timings allow. */
	ck_assert_uint_eq(fo_lease_ns(&timing, 1 * MS), 4 * MS);
	ck_assert_uint_eq(fo_lease_ns(&timing, 5 * MS), 0);
	ck_assert_uint_eq(fo_lease_ns(&(struct fo_timing){ .down_ns = 20 * MS, .fast_ns = 30 * MS },
				      1 * MS), 19 * MS);
}
END_TEST

/*
 * The lease against the partner's takeover, simulated: beats sent at
 * random times, some lost, arriving late; the partner echoes the newest it
 * got, at its own beats, until it stops hearing us; it takes over once
 * every path was silent for the timeout (fast_ns: the worst case). No
 * acknowledgement our lease allows may come at or after that takeover.
 */
START_TEST(lease_runs_out_before_any_takeover)
{
	static struct fo_lease l;
	const uint64_t hb = 1 * MS, lease = fo_lease_ns(&timing, hb), limit = timing.fast_ns;
	uint64_t rng = 7, trial, checked = 0;

	for (trial = 0; trial < 20000; trial++) {
		uint64_t t = 0, seq = 0, newest_rx = 0, newest_seq = 0, stop, take, now;

		memset(&l, 0, sizeof(l));
		stop = (10 + rng_below(&rng, 200)) * MS;	/* we stop (die, pause) here */
		/* We beat until stop; each beat arrives after a random delay,
		 * or not at all; the partner echoes what it has at its beats. */
		while (t < stop) {
			uint64_t delay = rng_below(&rng, 3000) * 1000;

			seq++;
			fo_lease_sent(&l, seq, t);
			if (rng_below(&rng, 10) != 0 && t + delay > newest_rx) {
				newest_rx = t + delay;
				newest_seq = seq;
			}
			/* The partner's echo of the newest it had, arriving soon. */
			if (newest_seq != 0 && rng_below(&rng, 3) == 0)
				fo_lease_echo(&l, newest_seq, lease);
			t += hb / 2 + rng_below(&rng, (uint32_t)hb);
		}
		if (newest_rx == 0)
			continue;
		/* The partner takes over past the silence since it last heard us. */
		take = newest_rx + limit + 1;
		for (now = take; now < take + 10 * MS; now += 100000) {
			expect(!fo_lease_valid(&l, now), "trial %" PRIu64 ": lease valid %.3f ms "
			       "after the partner took over (it last heard us at %.3f ms, the lease "
			       "runs to %.3f ms)", trial, (now - take) / 1e6, newest_rx / 1e6,
			       l.until_ns / 1e6);
			checked++;
		}
	}
	ck_assert_uint_gt(checked, 100000);
}
END_TEST

/* ---- beat codec --------------------------------------------------------- */

static void
assert_beat_eq(const struct fo_beat *want, const struct fo_beat *got, const char *what)
{
	ck_assert_msg(want->seq == got->seq, "%s: seq expected %#llx, got %#llx", what,
		      (unsigned long long)want->seq, (unsigned long long)got->seq);
	ck_assert_msg(want->time_ns == got->time_ns, "%s: time_ns expected %#llx, got %#llx",
		      what, (unsigned long long)want->time_ns, (unsigned long long)got->time_ns);
	ck_assert_msg(want->incarnation == got->incarnation,
		      "%s: incarnation expected %#llx, got %#llx", what,
		      (unsigned long long)want->incarnation, (unsigned long long)got->incarnation);
	ck_assert_msg(want->node_id == got->node_id, "%s: node_id expected %u, got %u", what,
		      want->node_id, got->node_id);
	ck_assert_msg(want->state == got->state, "%s: state expected %u, got %u", what,
		      want->state, got->state);
	ck_assert_msg(want->flags == got->flags, "%s: flags expected %#x, got %#x", what,
		      want->flags, got->flags);
	ck_assert_msg(want->peer_seq == got->peer_seq && want->peer_incarnation ==
		      got->peer_incarnation, "%s: echo expected %#llx/%#llx, got %#llx/%#llx",
		      what, (unsigned long long)want->peer_seq,
		      (unsigned long long)want->peer_incarnation, (unsigned long long)got->peer_seq,
		      (unsigned long long)got->peer_incarnation);
}

START_TEST(bitwise_crc_matches_check_value)
{
	/* The standard check value of CRC-32 (zlib, gzip, Ethernet). */
	uint32_t c = ref_crc32(0, (const uint8_t *)"123456789", 9);

	ck_assert_msg(c == 0xcbf43926u, "CRC-32(\"123456789\"): expected 0xcbf43926, got %#x", c);
}
END_TEST

START_TEST(beat_round_trip_at_extremes)
{
	static const struct fo_beat beats[] = {
		{ 0 },
		{ .seq = UINT64_MAX, .time_ns = UINT64_MAX, .incarnation = UINT64_MAX,
		  .peer_seq = UINT64_MAX, .peer_incarnation = UINT64_MAX,
		  .node_id = UINT16_MAX, .state = UINT8_MAX, .flags = UINT8_MAX },
		{ .seq = 1, .time_ns = 1, .incarnation = 1, .node_id = 1, .state = FO_S_UP },
		{ .seq = 1ull << 63, .time_ns = 1ull << 32, .incarnation = 0x8000000000000001ull,
		  .node_id = 0x8001, .state = FO_S_GIVING_BACK, .flags = FO_BEAT_HALTING,
		  .peer_seq = 1, .peer_incarnation = 1ull << 63 },
		/* Values out of any enum's range still come back as written. */
		{ .seq = 0x0123456789abcdefull, .time_ns = 0xfedcba9876543210ull,
		  .incarnation = 0x5a5a5a5aa5a5a5a5ull, .node_id = 2, .state = FO_S_NSTATES,
		  .flags = 0x80, .peer_seq = 0x1111, .peer_incarnation = 0x2222 },
	};
	unsigned int i, j;

	for (i = 0; i < DIM(beats); i++) {
		uint8_t wire[64];
		struct fo_beat got;
		char what[32];
		int rc;

		snprintf(what, sizeof(what), "beat %u", i);
		memset(wire, 0xa5, sizeof(wire));
		fo_beat_encode(&beats[i], wire);
		ck_assert_msg(memcmp(wire, "FOBT", 4) == 0,
			      "%s: expected magic \"FOBT\", got %02x %02x %02x %02x", what,
			      wire[0], wire[1], wire[2], wire[3]);
		for (j = 48; j < 60; j++)
			ck_assert_msg(wire[j] == 0, "%s: reserved byte %u expected 0, got 0x%02x",
				      what, j, wire[j]);
		memset(&got, 0x5a, sizeof(got));
		rc = fo_beat_decode(wire, &got);
		ck_assert_msg(rc == 0, "%s: decode expected 0, got %d", what, rc);
		assert_beat_eq(&beats[i], &got, what);
	}
}
END_TEST

START_TEST(beat_wire_bytes_by_hand)
{
	static const struct fo_beat b = {
		.seq = 0x0102030405060708ull,
		.time_ns = 0x1112131415161718ull,
		.incarnation = 0x2122232425262728ull,
		.peer_seq = 0x3132333435363738ull,
		.peer_incarnation = 0x4142434445464748ull,
		.node_id = 0x0302,
		.state = FO_S_SUSPECT,
		.flags = FO_BEAT_HALTING | FO_BEAT_MIRRORED,
	};
	uint8_t want[64] = {
		'F', 'O', 'B', 'T',				/* magic */
		0x02, 0x03,					/* node_id */
		FO_S_SUSPECT,					/* state */
		0x05,						/* flags: halting, mirrored */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/* seq */
		0x18, 0x17, 0x16, 0x15, 0x14, 0x13, 0x12, 0x11,	/* time_ns */
		0x28, 0x27, 0x26, 0x25, 0x24, 0x23, 0x22, 0x21,	/* incarnation */
		0x38, 0x37, 0x36, 0x35, 0x34, 0x33, 0x32, 0x31,	/* peer_seq */
		0x48, 0x47, 0x46, 0x45, 0x44, 0x43, 0x42, 0x41,	/* peer_incarnation */
		/* 48..59 reserved, zero; 60..63 the CRC, filled below */
	};
	uint8_t got[64], wire[64 + 3];
	struct fo_beat back;
	uint32_t crc;
	unsigned int i;
	int rc;

	crc = ref_crc32(0, want, 60);
	want[60] = crc & 0xff;
	want[61] = (crc >> 8) & 0xff;
	want[62] = (crc >> 16) & 0xff;
	want[63] = crc >> 24;

	fo_beat_encode(&b, got);
	for (i = 0; i < 64; i++)
		ck_assert_msg(got[i] == want[i], "byte %u: expected 0x%02x, got 0x%02x", i,
			      want[i], got[i]);
	rc = fo_beat_decode(want, &back);
	ck_assert_msg(rc == 0, "hand-written beat: decode expected 0, got %d", rc);
	assert_beat_eq(&b, &back, "hand-written beat");

	/* Neither side needs the record aligned. */
	memset(wire, 0, sizeof(wire));
	fo_beat_encode(&b, wire + 1);
	ck_assert_msg(memcmp(wire + 1, want, 64) == 0, "encode at an odd address differs");
	memmove(wire + 3, wire + 1, 64);
	memset(&back, 0, sizeof(back));
	rc = fo_beat_decode(wire + 3, &back);
	ck_assert_msg(rc == 0, "decode at an odd address: expected 0, got %d", rc);
	assert_beat_eq(&b, &back, "odd address");
}
END_TEST

START_TEST(beat_never_written_refused)
{
	uint8_t wire[64];
	struct fo_beat b;
	int rc;

	memset(wire, 0, sizeof(wire));
	rc = fo_beat_decode(wire, &b);
	ck_assert_msg(rc == -EBADMSG, "zeroed slot: expected %d, got %d", -EBADMSG, rc);
	memset(wire, 0xff, sizeof(wire));
	rc = fo_beat_decode(wire, &b);
	ck_assert_msg(rc == -EBADMSG, "0xff slot: expected %d, got %d", -EBADMSG, rc);
	/* Right magic, nothing else written. */
	memset(wire, 0, sizeof(wire));
	memcpy(wire, "FOBT", 4);
	rc = fo_beat_decode(wire, &b);
	ck_assert_msg(rc == -EBADMSG, "magic only: expected %d, got %d", -EBADMSG, rc);
}
END_TEST

START_TEST(beat_every_single_bit_flip_refused)
{
	static const struct fo_beat b = {
		.seq = 77, .time_ns = 123456789, .incarnation = 0xdeadbeefcafeull,
		.node_id = 1, .state = FO_S_UP,
	};
	uint8_t wire[64], bad[64];
	struct fo_beat got, untouched;
	unsigned int bit;
	int rc;

	fo_beat_encode(&b, wire);
	memset(&untouched, 0x5a, sizeof(untouched));
	for (bit = 0; bit < 64 * 8; bit++) {
		memcpy(bad, wire, sizeof(bad));
		bad[bit / 8] ^= 1u << (bit % 8);
		got = untouched;
		rc = fo_beat_decode(bad, &got);
		ck_assert_msg(rc == -EBADMSG, "bit %u (byte %u) flipped: expected %d, got %d",
			      bit, bit / 8, -EBADMSG, rc);
		ck_assert_msg(memcmp(&got, &untouched, sizeof(got)) == 0,
			      "bit %u flipped: expected the output untouched, it was written", bit);
	}
}
END_TEST

/* The partner's RDMA WRITE lands while we copy: the first k bytes of one
 * beat, the rest of the next. */
START_TEST(beat_torn_copy_refused)
{
	static const struct fo_beat pairs[][2] = {
		{	/* consecutive beats */
			{ .seq = 1000, .time_ns = 5000000000ull, .incarnation = 7, .node_id = 2,
			  .state = FO_S_UP },
			{ .seq = 1001, .time_ns = 5005000000ull, .incarnation = 7, .node_id = 2,
			  .state = FO_S_UP },
		},
		{	/* the partner restarted: new incarnation, seq from 1 */
			{ .seq = 0xffffffffull, .time_ns = 1ull << 40, .incarnation = 7,
			  .node_id = 2, .state = FO_S_TAKEN_OVER },
			{ .seq = 1, .time_ns = 3, .incarnation = 8, .node_id = 2,
			  .state = FO_S_UNKNOWN },
		},
		{	/* only the halting flag changes */
			{ .seq = 42, .time_ns = 42, .incarnation = 9, .node_id = 1,
			  .state = FO_S_UP },
			{ .seq = 42, .time_ns = 42, .incarnation = 9, .node_id = 1,
			  .state = FO_S_UP, .flags = FO_BEAT_HALTING },
		},
	};
	unsigned int p, k, dir, tested = 0;

	for (p = 0; p < DIM(pairs); p++)
		for (dir = 0; dir < 2; dir++) {
			uint8_t first[64], second[64], torn[64];

			fo_beat_encode(&pairs[p][dir], first);
			fo_beat_encode(&pairs[p][!dir], second);
			for (k = 1; k < 64; k++) {
				struct fo_beat got;
				int rc;

				memcpy(torn, first, k);
				memcpy(torn + k, second + k, 64 - k);
				if (memcmp(torn, first, 64) == 0 || memcmp(torn, second, 64) == 0)
					continue;	/* the beats agree from k on, or up to k */
				tested++;
				rc = fo_beat_decode(torn, &got);
				ck_assert_msg(rc == -EBADMSG,
					      "pair %u%s, torn at %u: expected %d, got %d", p,
					      dir ? " reversed" : "", k, -EBADMSG, rc);
			}
		}
	ck_assert_msg(tested >= 3 * 2 * 4, "expected torn copies to test, got only %u",
		      tested);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("failover_fsm");
	TCase *tables = tcase_create("tables");
	TCase *rules = tcase_create("rules");
	TCase *scenarios = tcase_create("scenarios");
	TCase *beat = tcase_create("beat");
	TCase *judge = tcase_create("judge");
	SRunner *sr;
	int failed;

	tcase_add_test(tables, every_pair_defined);
	tcase_add_test(tables, names_distinct_and_out_of_range_refused);
	tcase_add_test(rules, split_brain_rule);
	tcase_add_test(rules, takeover_only_when_not_serving);
	tcase_add_test(rules, ownership_changes_only_by_takeover_or_giveback);
	tcase_add_test(rules, repeated_event_does_nothing_more);
	tcase_add_test(rules, no_dead_ends);
	tcase_add_test(scenarios, partner_dies_then_taken_over);
	tcase_add_test(scenarios, interconnect_cut_partner_alive_never_taken_over);
	tcase_add_test(scenarios, halting_notice_taken_over_at_once);
	tcase_add_test(scenarios, giveback_after_delay_and_resync);
	tcase_add_test(scenarios, partner_dies_during_giveback);
	tcase_add_test(scenarios, admin_takeover_and_giveback);
	tcase_add_test(judge, verdict_thresholds);
	tcase_add_test(judge, verdict_unreadable_mailbox_never_dead);
	tcase_add_test(judge, verdict_split_brain_rule_random);
	tcase_add_test(judge, lease_echo_and_expiry);
	tcase_add_test(judge, lease_runs_out_before_any_takeover);
	tcase_add_test(beat, bitwise_crc_matches_check_value);
	tcase_add_test(beat, beat_round_trip_at_extremes);
	tcase_add_test(beat, beat_wire_bytes_by_hand);
	tcase_add_test(beat, beat_never_written_refused);
	tcase_add_test(beat, beat_every_single_bit_flip_refused);
	tcase_add_test(beat, beat_torn_copy_refused);
	suite_add_tcase(s, tables);
	suite_add_tcase(s, rules);
	suite_add_tcase(s, scenarios);
	suite_add_tcase(s, judge);
	suite_add_tcase(s, beat);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
