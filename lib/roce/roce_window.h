/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The requester's send window and retransmission timer: pure decisions,
 * time passed in, no I/O (tested without EAL).
 *
 * The wire stays IBTA's: the responder discards whatever follows a gap
 * and NAKs once, so every loss costs a go-back-N resend of what was in
 * flight behind it. The sender keeps that small (IRN, SIGCOMM 2018):
 *  - a window of PSNs in flight, halved on a loss and grown by one for
 *    each PSN acknowledged. While a path loses, the window is capped at
 *    the larger of twice the measured bandwidth-delay product (delivery
 *    rate x lowest round trip, at least ROCE_WINDOW_CAP_FLOOR) and what
 *    the loss rate p allows, 1 / (ROCE_LOSS_BUDGET p) PSNs (a go-back-N
 *    resend of about a window per loss then stays under 1/ROCE_LOSS_BUDGET
 *    of what gets through): a loss costs about one BDP, not the whole send
 *    queue. A path that has not lost for a while has no cap below
 *    ROCE_WINDOW_MAX: a polled peer's round trip grows with the window,
 *    so the BDP measured there undersells the path (half the goodput);
 *  - a retransmission timer from the measured round trip (RFC 6298,
 *    Karn's rule), well under the IBTA local ACK timeout: a lost tail
 *    packet or ACK is resent after a few round trips. It uses no retry:
 *    retry_cnt stays the IBTA timeout's, which is what fails a dead path.
 */
#ifndef ROCE_WINDOW_H
#define ROCE_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

#define ROCE_WINDOW_MIN		2	/* PSNs: never less, or nothing moves */
#define ROCE_WINDOW_INITIAL	64	/* PSNs before any round trip is known */
#define ROCE_WINDOW_MAX		512	/* PSNs: the transport's hard limit */
#define ROCE_WINDOW_CAP_FLOOR	16	/* the BDP cap never goes below this */
#define ROCE_LOSS_BUDGET	2	/* resends per loss: under 1/2 of the PSNs */
#define ROCE_LOSS_SPAN		4096	/* PSNs: the loss rate is of the last 4096..8192 */
#define ROCE_RTO_MIN_NS		200000ull	/* 200 us: above scheduling jitter */
#define ROCE_RTO_INITIAL_NS	1000000ull	/* before any round trip is measured */
#define ROCE_RTO_MAX_BACKOFF	10	/* doublings without progress */
#define ROCE_RTO_PER_TIMEOUT	4	/* resends per IBTA local ACK timeout, at least */
#define ROCE_REREAD_RTO_MIN_NS	2000000ull	/* 2 ms: a READ asked again, before again */

struct roce_window {
	uint32_t cwnd;			/* PSNs that may be in flight */
	bool recovering;		/* cut once per window of data */
	uint32_t recover_psn;		/* recovery ends when acked past it */
	/* round trip, sampled from one first transmission at a time */
	bool sampling;
	uint32_t sample_psn;
	uint64_t sample_ns;
	uint64_t sample_acked;		/* acked_total when the sample began */
	uint64_t acked_total;		/* PSNs acknowledged, ever */
	uint32_t samples;
	uint64_t srtt_ns, rttvar_ns, min_rtt_ns;
	/* bandwidth-delay product in PSNs: the largest of recent samples */
	uint32_t bdp_cur, bdp_prev;
	/* the loss rate: loss episodes per PSN acknowledged, both halved
	 * every ROCE_LOSS_SPAN PSNs (episodes in 1/256ths, to decay smoothly) */
	uint32_t rate_acked;
	uint32_t rate_losses;
	uint8_t backoff;		/* timer doublings since the last progress */
	/* A timer that may prove spurious (roce_window_timer_undoable) */
	bool undo_armed;
	uint32_t undo_psn;		/* the first PSN the resend does not cover */
	uint32_t undo_cwnd;		/* the window before the timer */
};

void roce_window_init(struct roce_window *w);

/** Packet @p psn left, @p first_time unless it is a resend. A sample
 * starts from a first transmission that asks for an ACK (Karn). */
void roce_window_sent(struct roce_window *w, uint32_t psn, bool first_time, bool ackreq,
		      uint64_t now_ns);

/** The oldest unacknowledged PSN moved to @p una, @p n PSNs acknowledged.
 * @return true if that proves the last timer spurious (the window is
 * given back). */
bool roce_window_acked(struct roce_window *w, uint32_t una, uint32_t n, uint64_t now_ns);

/**
 * The retransmission timer fired, the window was @p cwnd_before, and PSNs
 * from @p una go out again ROCE_WINDOW_MIN at a time. A go-back-N
 * responder drops what follows a gap, so an ACK past that resend can only
 * come from originals it had: the timer was spurious (a stalled peer or a
 * late ACK), or at most the packets after the ACK were lost (the sender
 * goes on from there). Either way it was no sign of a full path, and the
 * window before it is given back (F-RTO, RFC 5682). Only for SENDs and
 * WRITEs: one READ request is answered by many PSNs.
 */
void roce_window_timer_undoable(struct roce_window *w, uint32_t una, uint32_t cwnd_before);

/** The responder answered everything up to @p psn (an ACK, or the first
 * response to a READ at @p psn): the round trip sample ends there, even
 * while an earlier READ still holds the oldest unacknowledged PSN back. */
void roce_window_answered(struct roce_window *w, uint32_t psn, uint64_t now_ns);

/** A loss was seen (sequence NAK, missing READ response, timer), with
 * @p max_psn the highest PSN sent + 1: the window halves, at most once per
 * window of data; a timer loss drops it to the minimum. */
void roce_window_loss(struct roce_window *w, uint32_t max_psn, bool timer);

/** PSNs that may be in flight now. */
uint32_t roce_window_size(const struct roce_window *w);

/**
 * The retransmission timeout now: srtt + 4 rttvar, at least
 * ROCE_RTO_MIN_NS (ROCE_RTO_INITIAL_NS before any sample), doubled per
 * firing without progress, never above a quarter of @p ceiling_ns, the IBTA
 * local ACK timeout (0: none); 0 = do not fire, when a quarter of that
 * timeout is under ROCE_RTO_MIN_NS.
 */
uint64_t roce_window_rto_ns(const struct roce_window *w, uint64_t ceiling_ns);

/** The timer fired: back off. */
void roce_window_rto_fired(struct roce_window *w);

#endif /* ROCE_WINDOW_H */
