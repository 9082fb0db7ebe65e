/* SPDX-License-Identifier: BSD-3-Clause */
#include <string.h>

#include "roce_psn.h"
#include "roce_window.h"

#define BDP_EPOCH_SAMPLES	16	/* the BDP is the largest of the last 16..32 */
#define MIN_RTT_EPOCH_SAMPLES	256	/* the lowest round trip is forgotten this often */

void
roce_window_init(struct roce_window *w)
{
	memset(w, 0, sizeof(*w));
	w->cwnd = ROCE_WINDOW_INITIAL;
}

void
roce_window_sent(struct roce_window *w, uint32_t psn, bool first_time, bool ackreq,
		 uint64_t now_ns)
{
	if (w->sampling || !first_time || !ackreq)
		return;
	w->sampling = true;
	w->sample_psn = psn;
	w->sample_ns = now_ns;
	w->sample_acked = w->acked_total;
}

#define LOSS_UNIT	256	/* rate_losses per loss episode */

static uint32_t
cap(const struct roce_window *w)
{
	uint32_t bdp = w->bdp_cur > w->bdp_prev ? w->bdp_cur : w->bdp_prev;
	uint64_t c, allowed;

	if (w->samples == 0 || w->rate_losses == 0)
		return ROCE_WINDOW_MAX;
	c = 2ull * bdp;
	if (c < ROCE_WINDOW_CAP_FLOOR)
		c = ROCE_WINDOW_CAP_FLOOR;
	/* 1 / (budget x p): a go-back-N loss resends about a window. */
	allowed = (uint64_t)w->rate_acked * LOSS_UNIT / ((uint64_t)w->rate_losses * ROCE_LOSS_BUDGET);
	if (allowed > c)
		c = allowed;
	return c > ROCE_WINDOW_MAX ? ROCE_WINDOW_MAX : (uint32_t)c;
}

/* RFC 6298 2.3, in nanoseconds. */
static void
rtt_sample(struct roce_window *w, uint64_t rtt, uint64_t delivered)
{
	uint64_t dev, bdp;

	if (rtt == 0)
		rtt = 1;
	if (w->samples == 0) {
		w->srtt_ns = rtt;
		w->rttvar_ns = rtt / 2;
	} else {
		dev = rtt > w->srtt_ns ? rtt - w->srtt_ns : w->srtt_ns - rtt;
		w->rttvar_ns = (3 * w->rttvar_ns + dev) / 4;
		w->srtt_ns = (7 * w->srtt_ns + rtt) / 8;
	}
	if (w->samples % MIN_RTT_EPOCH_SAMPLES == 0 || rtt < w->min_rtt_ns)
		w->min_rtt_ns = rtt;
	/* Delivered during one round trip at the lowest round trip: what
	 * the path holds without a queue. */
	bdp = (delivered * w->min_rtt_ns + rtt - 1) / rtt;
	if (w->samples % BDP_EPOCH_SAMPLES == 0) {
		w->bdp_prev = w->bdp_cur;
		w->bdp_cur = 0;
	}
	if (bdp > w->bdp_cur)
		w->bdp_cur = bdp > ROCE_WINDOW_MAX ? ROCE_WINDOW_MAX : (uint32_t)bdp;
	w->samples++;
}

void
roce_window_timer_undoable(struct roce_window *w, uint32_t una, uint32_t cwnd_before)
{
	/* Timers in a row without progress: the window before the first. */
	if (w->undo_armed && cwnd_before < w->undo_cwnd)
		cwnd_before = w->undo_cwnd;
	w->undo_armed = true;
	w->undo_psn = roce_psn_add(una, ROCE_WINDOW_MIN);
	w->undo_cwnd = cwnd_before;
}

bool
roce_window_acked(struct roce_window *w, uint32_t una, uint32_t n, uint64_t now_ns)
{
	bool spurious = false;
	uint32_t limit;

	if (n == 0)
		return false;
	if (w->undo_armed) {
		w->undo_armed = false;
		if (roce_psn_gt(una, w->undo_psn)) {
			spurious = true;
			w->recovering = false;
			if (w->rate_losses >= LOSS_UNIT)
				w->rate_losses -= LOSS_UNIT;	/* no loss after all */
			if (w->cwnd < w->undo_cwnd)
				w->cwnd = w->undo_cwnd;
		}
	}
	w->acked_total += n;
	w->rate_acked += n;
	if (w->rate_acked >= 2 * ROCE_LOSS_SPAN) {
		w->rate_acked /= 2;
		w->rate_losses /= 2;
	}
	w->backoff = 0;
	roce_window_answered(w, roce_psn_add(una, ROCE_PSN_MASK), now_ns);
	if (w->recovering && roce_psn_ge(una, w->recover_psn))
		w->recovering = false;
	/* Random loss on a dedicated link is not congestion: regrow within a
	 * round trip, up to the cap. */
	limit = cap(w);
	w->cwnd = w->cwnd + n > limit ? limit : w->cwnd + n;
	return spurious;
}

void
roce_window_answered(struct roce_window *w, uint32_t psn, uint64_t now_ns)
{
	if (w->sampling && roce_psn_ge(psn, w->sample_psn)) {
		w->sampling = false;
		rtt_sample(w, now_ns - w->sample_ns, w->acked_total - w->sample_acked);
	}
}

void
roce_window_loss(struct roce_window *w, uint32_t max_psn, bool timer)
{
	/* Karn: a resend makes the sample in progress ambiguous. */
	w->sampling = false;
	if (!timer)
		w->undo_armed = false;	/* a NAK or a gap: a loss for sure */
	if (timer)
		w->cwnd = ROCE_WINDOW_MIN;
	if (w->recovering)
		return;
	w->rate_losses += LOSS_UNIT;
	w->recovering = true;
	w->recover_psn = max_psn;
	if (!timer)
		w->cwnd = w->cwnd / 2 > ROCE_WINDOW_MIN ? w->cwnd / 2 : ROCE_WINDOW_MIN;
}

uint32_t
roce_window_size(const struct roce_window *w)
{
	uint32_t limit = cap(w);

	return w->cwnd < limit ? w->cwnd : limit;
}

uint64_t
roce_window_rto_ns(const struct roce_window *w, uint64_t ceiling_ns)
{
	uint64_t rto;

	if (w->samples == 0) {
		rto = ROCE_RTO_INITIAL_NS;
	} else {
		rto = w->srtt_ns + 4 * w->rttvar_ns;
		if (rto < ROCE_RTO_MIN_NS)
			rto = ROCE_RTO_MIN_NS;
	}
	/* Next to an IBTA timeout this short, this timer adds nothing. */
	if (ceiling_ns != 0 && ceiling_ns / ROCE_RTO_PER_TIMEOUT < ROCE_RTO_MIN_NS)
		return 0;
	rto <<= w->backoff;
	/* At least ROCE_RTO_PER_TIMEOUT resends per IBTA timeout: on a bad
	 * link they are what keeps a live QP from using up its retries, and
	 * a dead peer is still declared after retry_cnt timeouts. */
	if (ceiling_ns != 0 && rto > ceiling_ns / ROCE_RTO_PER_TIMEOUT)
		rto = ceiling_ns / ROCE_RTO_PER_TIMEOUT;
	return rto;
}

void
roce_window_rto_fired(struct roce_window *w)
{
	if (w->backoff < ROCE_RTO_MAX_BACKOFF)
		w->backoff++;
}
