/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The requester's window and retransmission timer (roce_window.c): pure
 * decisions with time passed in, so every rule is checked without EAL.
 */
#include <check.h>
#include <stdlib.h>

#include "roce_psn.h"
#include "roce_window.h"

#define US 1000ull
#define MS 1000000ull

/* One round trip: @p n PSNs sent from @p psn (the last asks for an ACK),
 * all acknowledged @p rtt later. @return the next PSN. */
static uint32_t
round_trip(struct roce_window *w, uint32_t psn, uint32_t n, uint64_t *now, uint64_t rtt)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		roce_window_sent(w, roce_psn_add(psn, i), true, i == n - 1, *now);
	*now += rtt;
	roce_window_acked(w, roce_psn_add(psn, n), n, *now);
	return roce_psn_add(psn, n);
}

START_TEST(starts_open_and_learns_the_round_trip)
{
	struct roce_window w;
	uint64_t now = 5 * MS;

	roce_window_init(&w);
	ck_assert_uint_eq(roce_window_size(&w), ROCE_WINDOW_INITIAL);
	/* Before any sample: the initial timeout, at most a quarter of the
	 * IBTA one. */
	ck_assert_uint_eq(roce_window_rto_ns(&w, 0), ROCE_RTO_INITIAL_NS);
	ck_assert_uint_eq(roce_window_rto_ns(&w, 2 * MS), 2 * MS / ROCE_RTO_PER_TIMEOUT);
	round_trip(&w, 100, 8, &now, 40 * US);
	ck_assert_uint_eq(w.samples, 1);
	ck_assert_uint_eq(w.srtt_ns, 40 * US);
	ck_assert_uint_eq(w.min_rtt_ns, 40 * US);
	/* srtt + 4 rttvar = 40 + 80 us, below the floor. */
	ck_assert_uint_eq(roce_window_rto_ns(&w, 0), ROCE_RTO_MIN_NS);
}
END_TEST

START_TEST(rto_follows_a_slow_path)
{
	struct roce_window w;
	uint64_t now = 0;
	uint32_t psn = 0;
	int i;

	roce_window_init(&w);
	for (i = 0; i < 50; i++)
		psn = round_trip(&w, psn, 4, &now, 2 * MS);
	/* A 2 ms path: the timer waits longer than a round trip. */
	ck_assert_uint_ge(roce_window_rto_ns(&w, 0), 2 * MS);
	ck_assert_uint_le(roce_window_rto_ns(&w, 0), 3 * MS);
}
END_TEST

/* Karn: a resend is never a sample, and a loss voids the sample in flight. */
START_TEST(resends_are_not_samples)
{
	struct roce_window w;

	roce_window_init(&w);
	roce_window_sent(&w, 10, false, true, 1 * MS);
	roce_window_acked(&w, 11, 1, 2 * MS);
	ck_assert_uint_eq(w.samples, 0);
	roce_window_sent(&w, 11, true, true, 3 * MS);
	roce_window_loss(&w, 12, false);
	roce_window_acked(&w, 12, 1, 4 * MS);
	ck_assert_uint_eq(w.samples, 0);
	/* A packet without AckReq does not start one either. */
	roce_window_sent(&w, 12, true, false, 5 * MS);
	ck_assert(!w.sampling);
}
END_TEST

START_TEST(loss_halves_once_per_window)
{
	struct roce_window w;
	uint32_t before;

	roce_window_init(&w);
	before = roce_window_size(&w);
	roce_window_loss(&w, 1000, false);
	ck_assert_uint_eq(roce_window_size(&w), before / 2);
	/* More losses from the same window of data: no further cut. */
	roce_window_loss(&w, 1000, false);
	roce_window_loss(&w, 1010, false);
	ck_assert_uint_eq(roce_window_size(&w), before / 2);
	/* Once acknowledged past that window, a new loss cuts again. */
	roce_window_acked(&w, 1000, 4, 1 * MS);
	roce_window_loss(&w, 2000, false);
	ck_assert_uint_eq(roce_window_size(&w), (before / 2 + 4) / 2);
}
END_TEST

START_TEST(timer_loss_drops_to_minimum_and_regrows)
{
	struct roce_window w;
	uint64_t now = 0;
	uint32_t psn = 0;
	int i;

	roce_window_init(&w);
	roce_window_loss(&w, 64, true);
	ck_assert_uint_eq(roce_window_size(&w), ROCE_WINDOW_MIN);
	/* One PSN per PSN acknowledged: doubling each round trip. */
	for (i = 0; i < 4; i++)
		psn = round_trip(&w, psn, roce_window_size(&w), &now, 20 * US);
	ck_assert_uint_eq(roce_window_size(&w), ROCE_WINDOW_MIN << 4);
}
END_TEST

/*
 * A timer fires while the responder only stalled: the ACK that follows
 * covers PSNs the resend never carried, so the originals arrived and the
 * window before the timer comes back (F-RTO). An ACK for no more than the
 * resend proves nothing; a NAK after the timer is a loss for sure.
 */
START_TEST(spurious_timer_gives_the_window_back)
{
	struct roce_window w;
	uint32_t before;

	roce_window_init(&w);
	before = roce_window_size(&w);
	roce_window_loss(&w, 100 + before, true);
	roce_window_timer_undoable(&w, 100, before);
	ck_assert_uint_eq(roce_window_size(&w), ROCE_WINDOW_MIN);
	/* A second timer, no progress: the window before the first counts. */
	roce_window_loss(&w, 100 + before, true);
	roce_window_timer_undoable(&w, 100, roce_window_size(&w));
	ck_assert(roce_window_acked(&w, 100 + 10, 10, 1 * MS));
	ck_assert_uint_ge(roce_window_size(&w), before);
	ck_assert(!w.recovering);

	/* Acknowledged no further than the resend: a real loss, maybe. */
	roce_window_loss(&w, 200 + before, true);
	roce_window_timer_undoable(&w, 110, roce_window_size(&w));
	ck_assert(!roce_window_acked(&w, 110 + ROCE_WINDOW_MIN, ROCE_WINDOW_MIN, 2 * MS));
	ck_assert_uint_eq(roce_window_size(&w), 2 * ROCE_WINDOW_MIN);
	/* ... and the arming is spent: a later ACK proves nothing either. */
	ck_assert(!roce_window_acked(&w, 110 + 40, 40 - ROCE_WINDOW_MIN, 3 * MS));

	/* A NAK after the timer: a loss, whatever ACK comes next. */
	before = roce_window_size(&w);
	roce_window_loss(&w, 300, true);
	roce_window_timer_undoable(&w, 150, before);
	roce_window_loss(&w, 300, false);
	ck_assert(!roce_window_acked(&w, 150 + 20, 20, 4 * MS));
	ck_assert_uint_lt(roce_window_size(&w), before);
}
END_TEST

/* One loss episode, acknowledged past at once: the window halves, the
 * episode counts in the loss rate. @return the next PSN. */
static uint32_t
one_loss(struct roce_window *w, uint32_t psn, uint64_t *now)
{
	roce_window_loss(w, psn, false);
	*now += 10 * US;
	roce_window_acked(w, roce_psn_add(psn, 1), 1, *now);
	return roce_psn_add(psn, 1);
}

/*
 * A path that loses caps the window at twice the bandwidth-delay product
 * measured, or what the loss rate allows if that is more; a path that has
 * not lost has no cap below the maximum: a polled peer's round trip grows
 * with the window, so the BDP measured there undersells the path.
 */
START_TEST(capped_near_the_bandwidth_delay_product)
{
	struct roce_window w;
	uint64_t now = 0;
	uint32_t psn = 0;
	int i;

	roce_window_init(&w);
	/* 30 PSNs per 10 us round trip: the path holds 30, but nothing lost. */
	for (i = 0; i < 40; i++)
		psn = round_trip(&w, psn, 30, &now, 10 * US);
	ck_assert_uint_eq(roce_window_size(&w), ROCE_WINDOW_MAX);
	/* Losses, one per 60 PSNs: the rate allows 60 / ROCE_LOSS_BUDGET, less
	 * than twice the BDP, so the BDP caps. */
	for (i = 0; i < 40; i++) {
		psn = one_loss(&w, psn, &now);
		psn = round_trip(&w, psn, 30, &now, 10 * US);
		psn = round_trip(&w, psn, 29, &now, 10 * US);
	}
	ck_assert_uint_eq(roce_window_size(&w), 60);
	/* A queue builds (twice the round trip for the same delivery): the
	 * estimate is by the lowest round trip, so the cap stays. */
	for (i = 0; i < 40; i++)
		psn = round_trip(&w, psn, 30, &now, 20 * US);
	ck_assert_uint_le(roce_window_size(&w), 60);
	/* A path that holds little never caps below the floor (a loss in 20
	 * PSNs allows 10, the BDP 2). */
	roce_window_init(&w);
	psn = one_loss(&w, psn, &now);
	for (i = 0; i < 20; i++)
		psn = round_trip(&w, psn, 1, &now, 10 * US);
	ck_assert_uint_eq(roce_window_size(&w), ROCE_WINDOW_CAP_FLOOR);
}
END_TEST

/* Rare losses allow more than the BDP: 1 / (ROCE_LOSS_BUDGET x rate). */
START_TEST(rare_losses_allow_a_wider_window)
{
	struct roce_window w;
	uint64_t now = 0;
	uint32_t psn = 0;
	int i;

	roce_window_init(&w);
	/* One loss per 400 PSNs, 10 per 10 us round trip (BDP 10). */
	for (i = 0; i < 200; i++) {
		if (i % 40 == 0)
			psn = one_loss(&w, psn, &now);
		psn = round_trip(&w, psn, 10, &now, 10 * US);
	}
	ck_assert_uint_ge(roce_window_size(&w), 400 / ROCE_LOSS_BUDGET - 10);
	ck_assert_uint_le(roce_window_size(&w), 400 / ROCE_LOSS_BUDGET + 10);
	/* Then none for a few spans: the rate decays, the cap lifts. */
	for (i = 0; i < 8 * ROCE_LOSS_SPAN / 10; i++)
		psn = round_trip(&w, psn, 10, &now, 10 * US);
	ck_assert_uint_eq(roce_window_size(&w), ROCE_WINDOW_MAX);
}
END_TEST

/* A timer proven spurious is no loss in the rate either. */
START_TEST(spurious_timer_is_not_a_loss)
{
	struct roce_window w;
	uint64_t now = 0;
	uint32_t psn = 0, before;
	int i;

	roce_window_init(&w);
	for (i = 0; i < 40; i++)
		psn = round_trip(&w, psn, 10, &now, 10 * US);
	before = roce_window_size(&w);
	roce_window_loss(&w, roce_psn_add(psn, 10), true);
	roce_window_timer_undoable(&w, psn, before);
	ck_assert(roce_window_acked(&w, roce_psn_add(psn, 10), 10, now + 10 * US));
	ck_assert_uint_eq(w.rate_losses, 0);
	ck_assert_uint_ge(roce_window_size(&w), before);
}
END_TEST

START_TEST(timer_backs_off_and_resends_four_times_per_ibta_timeout)
{
	struct roce_window w;
	uint64_t now = 0, ceiling = 4 * MS;
	uint32_t psn = 0;
	int i;

	roce_window_init(&w);
	for (i = 0; i < 20; i++)
		psn = round_trip(&w, psn, 2, &now, 10 * US);
	ck_assert_uint_eq(roce_window_rto_ns(&w, ceiling), ROCE_RTO_MIN_NS);
	roce_window_rto_fired(&w);
	ck_assert_uint_eq(roce_window_rto_ns(&w, ceiling), 2 * ROCE_RTO_MIN_NS);
	roce_window_rto_fired(&w);
	roce_window_rto_fired(&w);
	roce_window_rto_fired(&w);
	/* Never longer than a quarter of the IBTA timeout. */
	ck_assert_uint_eq(roce_window_rto_ns(&w, ceiling), ceiling / ROCE_RTO_PER_TIMEOUT);
	for (i = 0; i < 20; i++)
		roce_window_rto_fired(&w);
	ck_assert_uint_eq(roce_window_rto_ns(&w, ceiling), ceiling / ROCE_RTO_PER_TIMEOUT);
	/* Progress resets the back-off. */
	roce_window_acked(&w, psn + 1, 1, now + MS);
	ck_assert_uint_eq(roce_window_rto_ns(&w, ceiling), ROCE_RTO_MIN_NS);
	/* An IBTA timeout under four floors: this timer stands aside. */
	ck_assert_uint_eq(roce_window_rto_ns(&w, 600 * US), 0);
	/* A slow path's round trip is capped at a quarter of the timeout, so
	 * the timer still fires four times per timeout. */
	for (i = 0; i < 30; i++)
		psn = round_trip(&w, psn, 2, &now, 3 * MS);
	ck_assert_uint_eq(roce_window_rto_ns(&w, ceiling), ceiling / ROCE_RTO_PER_TIMEOUT);
}
END_TEST

/* A sample ends when the responder answers its packet, even while an
 * earlier READ holds the oldest unacknowledged PSN back. */
START_TEST(sample_ends_at_its_answer)
{
	struct roce_window w;

	roce_window_init(&w);
	roce_window_sent(&w, 500, true, true, 1 * MS);
	roce_window_answered(&w, 499, 1 * MS + 30 * US);
	ck_assert_uint_eq(w.samples, 0);
	roce_window_answered(&w, 500, 1 * MS + 40 * US);
	ck_assert_uint_eq(w.samples, 1);
	ck_assert_uint_eq(w.srtt_ns, 40 * US);
	/* The oldest unacknowledged PSN catching up much later adds nothing. */
	roce_window_acked(&w, 600, 100, 9 * MS);
	ck_assert_uint_eq(w.samples, 1);
}
END_TEST

START_TEST(psn_wrap)
{
	struct roce_window w;
	uint64_t now = 0;
	uint32_t psn = ROCE_PSN_MASK - 3;
	int i;

	roce_window_init(&w);
	for (i = 0; i < 10; i++)
		psn = round_trip(&w, psn, 3, &now, 15 * US);
	ck_assert_uint_eq(w.samples, 10);
	ck_assert_uint_eq(w.srtt_ns, 15 * US);
	roce_window_loss(&w, psn, false);
	roce_window_acked(&w, roce_psn_add(psn, 2), 2, now);
	ck_assert(!w.recovering);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("window");
	TCase *tc = tcase_create("window");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, starts_open_and_learns_the_round_trip);
	tcase_add_test(tc, rto_follows_a_slow_path);
	tcase_add_test(tc, resends_are_not_samples);
	tcase_add_test(tc, loss_halves_once_per_window);
	tcase_add_test(tc, timer_loss_drops_to_minimum_and_regrows);
	tcase_add_test(tc, capped_near_the_bandwidth_delay_product);
	tcase_add_test(tc, rare_losses_allow_a_wider_window);
	tcase_add_test(tc, spurious_timer_is_not_a_loss);
	tcase_add_test(tc, timer_backs_off_and_resends_four_times_per_ibta_timeout);
	tcase_add_test(tc, sample_ends_at_its_answer);
	tcase_add_test(tc, psn_wrap);
	tcase_add_test(tc, spurious_timer_gives_the_window_back);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
