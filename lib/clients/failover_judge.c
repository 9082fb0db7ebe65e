/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The verdict on the partner from every signal, and this node's lease
 * (failover_judge.h). No clock: time comes in as an argument.
 */
#include <assert.h>
#include <string.h>

#include <rte_common.h>

#include "failover_judge.h"

static const char *const verdict_names[] = {
	[FO_V_ALIVE] = "ALIVE", [FO_V_LATE] = "LATE", [FO_V_CUT] = "CUT",
	[FO_V_DEAD] = "DEAD", [FO_V_DEAD_UNMIRRORED] = "DEAD_UNMIRRORED",
};
static_assert(RTE_DIM(verdict_names) == FO_V_N, "a name per verdict");

const char *
fo_verdict_name(enum fo_verdict v)
{
	return (unsigned int)v < FO_V_N ? verdict_names[v] : "?";
}

uint64_t
fo_lease_ns(const struct fo_timing *t, uint64_t heartbeat_ns)
{
	uint64_t shortest = RTE_MIN(t->fast_ns, t->down_ns);

	return shortest > heartbeat_ns ? shortest - heartbeat_ns : 0;
}

/* Silence since @p last, or since we started listening if later. */
static uint64_t
silent_for(uint64_t last, uint64_t since, uint64_t now)
{
	uint64_t from = RTE_MAX(last, since);

	return now > from ? now - from : 0;
}

static uint64_t
interconnect_last(const struct fo_signals *s)
{
	return RTE_MAX(s->beat_ns, s->keepalive_ns);
}

uint64_t
fo_silence_ns(const struct fo_signals *s, uint64_t now)
{
	uint64_t last = interconnect_last(s);

	if (s->has_mailbox)
		last = RTE_MAX(last, s->mailbox_ns);
	return silent_for(last, s->since_ns, now);
}

enum fo_verdict
fo_judge(const struct fo_signals *s, const struct fo_timing *t, uint64_t now)
{
	uint64_t ic = silent_for(interconnect_last(s), s->since_ns, now);
	uint64_t threshold;
	bool lost;

	if (ic <= t->suspect_ns)
		return FO_V_ALIVE;
	/* No carrier anywhere: the partner's ports went away (its process
	 * died, or every cable did); the shorter wait holds. */
	lost = ic > t->down_ns || (s->carrier_lost && ic > t->fast_ns);
	if (!lost)
		return FO_V_LATE;
	if (s->has_mailbox) {
		/* A mailbox we cannot read says nothing: no takeover on
		 * silence we cannot confirm (both paths cut: nobody takes
		 * over, and each node's lease runs out). */
		if (!s->mailbox_readable)
			return FO_V_CUT;
		threshold = s->carrier_lost ? t->fast_ns : t->down_ns;
		if (silent_for(RTE_MAX(s->mailbox_ns, s->mailbox_since_ns), s->since_ns, now) <=
		    threshold)
			return FO_V_CUT;
	}
	/* Without a mailbox the interconnect is all there is: silence is
	 * death (the configuration's choice, warned about at start). */
	return s->partner_mirrored ? FO_V_DEAD : FO_V_DEAD_UNMIRRORED;
}

/* ---- Lease ------------------------------------------------------------ */

/* Beats may be sent from two threads (the lcore and the heartbeat
 * thread) while the echo is read on one: an entry's seq is stored after
 * its time and checked again after the time is read. */
void
fo_lease_sent(struct fo_lease *l, uint64_t seq, uint64_t now)
{
	unsigned int i = seq % FO_LEASE_HISTORY;

	__atomic_store_n(&l->seq[i], 0, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&l->sent_ns[i], now, __ATOMIC_RELAXED);
	__atomic_store_n(&l->seq[i], seq, __ATOMIC_RELEASE);
}

void
fo_lease_echo(struct fo_lease *l, uint64_t echo_seq, uint64_t lease_ns)
{
	unsigned int i = echo_seq % FO_LEASE_HISTORY;
	uint64_t sent;

	/* A beat we no longer remember is too old to extend anything. */
	if (echo_seq == 0 || __atomic_load_n(&l->seq[i], __ATOMIC_ACQUIRE) != echo_seq)
		return;
	sent = __atomic_load_n(&l->sent_ns[i], __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_load_n(&l->seq[i], __ATOMIC_RELAXED) != echo_seq)
		return;
	l->until_ns = RTE_MAX(l->until_ns, sent + lease_ns);
}

void
fo_lease_drop(struct fo_lease *l)
{
	l->until_ns = 0;
}

bool
fo_lease_valid(const struct fo_lease *l, uint64_t now)
{
	return now < l->until_ns;
}
