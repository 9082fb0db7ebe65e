/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection on a burst of frames (the spec strings that configure it:
 * roce_fault_spec.c, in the wire library).
 *
 * Decisions, per input frame, in input order; each is drawn from the
 * generator only when its rate is above 0 and only while it still applies:
 *   1. drop     the frame is freed and nothing else happens to it;
 *   2. corrupt  the frame is replaced by a deep copy (rte_pktmbuf_copy from
 *               copy_pool) with one uniformly chosen bit inverted, and the
 *               original is freed unwritten: it may be the sender's
 *               registered memory;
 *   3. dup      a deep copy goes out right after the frame (after the
 *               corruption, so both are the same);
 *   4. delay    the frame (and its copy) go to the delay FIFO until
 *               now + delay_ns; with the FIFO full it goes on undelayed;
 *   5. reorder  drawn only for a frame with no copy while no frame is held:
 *               the frame is held and goes out right after the next frame
 *               that passes (after that frame's copy, if it has one). So
 *               only adjacent frames swap, a swapped frame is never swapped
 *               again, and the rate is the share of frames held among those
 *               eligible. A held frame with no follower goes out at the end
 *               of the first call ROCE_FAULT_REORDER_MAX_NS after it was held
 *               (a call with n == 0 will do).
 * A fault that cannot be applied is skipped: no copy (copy pool empty, or no
 * room left to hold one) counts NO_MBUF; a full FIFO passes the frame on; an
 * empty frame is not corrupted.
 *
 * While inactive (every rate 0, nothing held) a call is a bare pass-through
 * and counts nothing, not even SEEN. Frames freed by roce_fault_flush() are
 * not counted either.
 *
 * Output of one call, in this order: frames held from earlier calls that are
 * due (they are older than the burst), the burst as decided above, a reorder
 * frame that has waited too long, frames delayed in this call that are
 * already due (delay_ns == 0). The FIFO is released strictly in order: a
 * frame waits behind the one in front of it even if it is due earlier (only
 * after the delay was shortened).
 *
 * Never more than cap frames out: frames that do not fit go back to the
 * front of the delay FIFO, due at once, and come out first in the next
 * call. Held frames (FIFO and reorder) never exceed ROCE_FAULT_MAX_HELD: one
 * place is always kept for the reorder frame, and a copy or a delay that
 * would need more is skipped. With cap == n there is no room for a copy in
 * the burst itself, so every duplicate and every released frame pushes one
 * frame into the next call: give cap > n.
 *
 * Single-threaded: one lcore owns a struct roce_fault.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_debug.h>
#include <rte_mbuf.h>

#include "roce_fault.h"

const char *const roce_fault_counter_names[ROCE_FAULT_NCOUNTERS] = {
	[ROCE_FAULT_SEEN] = "seen",
	[ROCE_FAULT_DROPPED] = "dropped",
	[ROCE_FAULT_DUPLICATED] = "duplicated",
	[ROCE_FAULT_REORDERED] = "reordered",
	[ROCE_FAULT_CORRUPTED] = "corrupted",
	[ROCE_FAULT_DELAYED] = "delayed",
	[ROCE_FAULT_NO_MBUF] = "no_mbuf",
};

#define HELD_MASK (ROCE_FAULT_MAX_HELD - 1)
static_assert((ROCE_FAULT_MAX_HELD & HELD_MASK) == 0, "the FIFO index wraps by mask");

/* Seed 0 stands for this one. */
#define DEFAULT_SEED 0x6a09e667f3bcc908ull

/* ---- generator ------------------------------------------------------------- */

/* splitmix64: spreads a small seed over the whole state. */
static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void
rng_seed(uint64_t s[2], uint64_t seed)
{
	uint64_t x = seed != 0 ? seed : DEFAULT_SEED;

	do {
		s[0] = splitmix64(&x);
		s[1] = splitmix64(&x);
	} while (s[0] == 0 && s[1] == 0);	/* the one state it cannot leave */
}

/* xorshift128+ */
static uint64_t
rng_next(uint64_t s[2])
{
	uint64_t s1 = s[0];
	const uint64_t s0 = s[1];
	const uint64_t r = s0 + s1;

	s[0] = s0;
	s1 ^= s1 << 23;
	s[1] = s1 ^ s0 ^ (s1 >> 18) ^ (s0 >> 5);
	return r;
}

/* True with probability @p p; draws nothing when p <= 0. The top 53 bits
 * make a double in [0, 1), so p == 1 is always true. */
static bool
chance(struct roce_fault *f, double p)
{
	if (likely(p <= 0))
		return false;
	return (double)(rng_next(f->rng) >> 11) * 0x1.0p-53 < p;
}

/* Uniform in [0, n), n > 0, from the high bits. */
static uint64_t
rng_below(struct roce_fault *f, uint64_t n)
{
	return (uint64_t)(((unsigned __int128)rng_next(f->rng) * n) >> 64);
}

/* ---- held frames --------------------------------------------------------------- */

static bool
conf_active(const struct roce_fault_conf *c)
{
	return c->drop > 0 || c->dup > 0 || c->reorder > 0 || c->corrupt > 0 || c->delay > 0;
}

static void
update_active(struct roce_fault *f)
{
	f->active = conf_active(&f->conf) || f->reorder_held != NULL || f->delayed_count != 0;
}

static void
fifo_push_back(struct roce_fault *f, struct rte_mbuf *m, uint64_t release_ns)
{
	uint32_t i = (f->delayed_head + f->delayed_count++) & HELD_MASK;

	RTE_ASSERT(f->delayed_count <= ROCE_FAULT_MAX_HELD);
	f->delayed[i].m = m;
	f->delayed[i].release_ns = release_ns;
}

static void
fifo_push_front(struct roce_fault *f, struct rte_mbuf *m, uint64_t release_ns)
{
	RTE_ASSERT(f->delayed_count < ROCE_FAULT_MAX_HELD);
	f->delayed_head = (f->delayed_head - 1) & HELD_MASK;
	f->delayed_count++;
	f->delayed[f->delayed_head].m = m;
	f->delayed[f->delayed_head].release_ns = release_ns;
}

static bool
fifo_due(const struct roce_fault *f, uint64_t now_ns)
{
	return f->delayed_count != 0 && f->delayed[f->delayed_head].release_ns <= now_ns;
}

static struct rte_mbuf *
fifo_pop(struct roce_fault *f)
{
	struct rte_mbuf *m = f->delayed[f->delayed_head].m;

	f->delayed[f->delayed_head].m = NULL;
	f->delayed_head = (f->delayed_head + 1) & HELD_MASK;
	f->delayed_count--;
	return m;
}

/* ---- one call ----------------------------------------------------------------- */

/*
 * The output of one call. pkts[0..o) is done, pkts[o..limit) is free and
 * pkts[limit..cap) still holds unread input. A frame that finds no free
 * slot waits in q, in order, and takes the slot the next input frees;
 * what is left in q at the end goes back to the FIFO front.
 */
struct fault_out {
	struct rte_mbuf **pkts;
	unsigned int o, limit;
	unsigned int qhead, qn;
	struct rte_mbuf *q[ROCE_FAULT_MAX_HELD];
};

/*
 * Places left for held frames (FIFO and q share ROCE_FAULT_MAX_HELD), less
 * the one kept for the reorder frame. Never negative: every step that
 * takes a place checks first.
 */
static unsigned int
spare(const struct roce_fault *f, const struct fault_out *out)
{
	unsigned int used = f->delayed_count + out->qn + (f->reorder_held != NULL);

	RTE_ASSERT(used <= ROCE_FAULT_MAX_HELD);
	return ROCE_FAULT_MAX_HELD - used;
}

/* Frames that can still be emitted: free slots in the burst (usable only
 * while nothing waits in q), then held places. */
static unsigned int
room(const struct roce_fault *f, const struct fault_out *out)
{
	return (out->qn == 0 ? out->limit - out->o : 0) + spare(f, out);
}

static void
emit(struct roce_fault *f, struct fault_out *out, struct rte_mbuf *m)
{
	if (out->qn == 0 && out->o < out->limit) {
		out->pkts[out->o++] = m;
		return;
	}
	RTE_ASSERT(f->delayed_count + out->qn < ROCE_FAULT_MAX_HELD);
	RTE_SET_USED(f);
	out->q[(out->qhead + out->qn++) & HELD_MASK] = m;
}

/* A copy of @p m with one random bit inverted, @p m freed; or @p m itself
 * when there is no copy. */
static struct rte_mbuf *
corrupt(struct roce_fault *f, struct rte_mbuf *m)
{
	uint32_t len = rte_pktmbuf_pkt_len(m), off;
	struct rte_mbuf *copy, *seg;
	uint64_t bit;

	if (len == 0)
		return m;
	bit = rng_below(f, (uint64_t)len * 8);
	copy = rte_pktmbuf_copy(m, f->copy_pool, 0, UINT32_MAX);
	if (copy == NULL) {
		f->count[ROCE_FAULT_NO_MBUF]++;
		return m;
	}
	off = (uint32_t)(bit / 8);
	for (seg = copy; off >= seg->data_len; seg = seg->next)
		off -= seg->data_len;
	*rte_pktmbuf_mtod_offset(seg, uint8_t *, off) ^= (uint8_t)(1u << (bit % 8));
	rte_pktmbuf_free(m);
	f->count[ROCE_FAULT_CORRUPTED]++;
	return copy;
}

static void
fault_frame(struct roce_fault *f, struct fault_out *out, struct rte_mbuf *m, uint64_t now_ns)
{
	const struct roce_fault_conf *c = &f->conf;
	struct rte_mbuf *copy = NULL, *held;

	f->count[ROCE_FAULT_SEEN]++;
	if (chance(f, c->drop)) {
		rte_pktmbuf_free(m);
		f->count[ROCE_FAULT_DROPPED]++;
		return;
	}
	if (chance(f, c->corrupt))
		m = corrupt(f, m);
	if (chance(f, c->dup)) {
		/* Room for the frame and its copy behind it. */
		if (room(f, out) >= 2)
			copy = rte_pktmbuf_copy(m, f->copy_pool, 0, UINT32_MAX);
		f->count[copy != NULL ? ROCE_FAULT_DUPLICATED : ROCE_FAULT_NO_MBUF]++;
	}
	if (chance(f, c->delay) && spare(f, out) >= 1u + (copy != NULL)) {
		uint64_t release = now_ns + RTE_MIN(c->delay_ns, UINT64_MAX - now_ns);

		fifo_push_back(f, m, release);
		if (copy != NULL)
			fifo_push_back(f, copy, release);
		f->count[ROCE_FAULT_DELAYED]++;
		return;
	}
	if (copy == NULL && f->reorder_held == NULL && chance(f, c->reorder) &&
	    spare(f, out) >= 1) {
		f->reorder_held = m;
		f->reorder_held_ns = now_ns;
		f->count[ROCE_FAULT_REORDERED]++;
		return;
	}
	emit(f, out, m);
	if (copy != NULL)
		emit(f, out, copy);
	held = f->reorder_held;
	if (held != NULL) {
		f->reorder_held = NULL;
		emit(f, out, held);
	}
}

uint16_t
roce_fault_apply(struct roce_fault *f, struct rte_mbuf **pkts, uint16_t n, uint16_t cap,
		 uint64_t now_ns)
{
	struct fault_out out;
	unsigned int base, i;

	if (likely(!f->active))
		return n;

	/* Inputs to the end of the array: the room in front takes copies and
	 * released frames without overwriting input not read yet. */
	if (cap < n)
		cap = n;
	base = cap - n;
	if (base != 0 && n != 0)
		memmove(pkts + base, pkts, n * sizeof(*pkts));
	out.pkts = pkts;
	out.o = 0;
	out.limit = base;
	out.qhead = 0;
	out.qn = 0;

	while (fifo_due(f, now_ns))
		emit(f, &out, fifo_pop(f));

	for (i = 0; i < n; i++) {
		struct rte_mbuf *m = pkts[base + i];

		out.limit++;
		if (out.qn != 0) {
			out.pkts[out.o++] = out.q[out.qhead++ & HELD_MASK];
			out.qn--;
		}
		fault_frame(f, &out, m, now_ns);
	}

	if (f->reorder_held != NULL && now_ns >= f->reorder_held_ns &&
	    now_ns - f->reorder_held_ns >= ROCE_FAULT_REORDER_MAX_NS) {
		struct rte_mbuf *held = f->reorder_held;

		f->reorder_held = NULL;
		emit(f, &out, held);
	}
	while (out.qn == 0 && out.o < cap && fifo_due(f, now_ns))
		pkts[out.o++] = fifo_pop(f);

	/* What did not fit goes first next time, due at once. */
	while (out.qn != 0) {
		out.qn--;
		fifo_push_front(f, out.q[(out.qhead + out.qn) & HELD_MASK], 0);
	}
	update_active(f);
	return (uint16_t)out.o;
}

/* ---- set-up ------------------------------------------------------------------- */

static bool
rate_ok(double p)
{
	return p >= 0.0 && p <= 1.0;	/* false for NaN */
}

int
roce_fault_init(struct roce_fault *f, const struct roce_fault_conf *conf,
		struct rte_mempool *copy_pool)
{
	if (f == NULL || conf == NULL)
		return -EINVAL;
	if (!rate_ok(conf->drop) || !rate_ok(conf->dup) || !rate_ok(conf->reorder) ||
	    !rate_ok(conf->corrupt) || !rate_ok(conf->delay))
		return -EINVAL;
	if ((conf->dup > 0 || conf->corrupt > 0) && copy_pool == NULL)
		return -EINVAL;
	f->conf = *conf;
	f->copy_pool = copy_pool;
	rng_seed(f->rng, conf->seed);
	update_active(f);
	return 0;
}

void
roce_fault_flush(struct roce_fault *f)
{
	if (f->reorder_held != NULL) {
		rte_pktmbuf_free(f->reorder_held);
		f->reorder_held = NULL;
	}
	while (f->delayed_count != 0)
		rte_pktmbuf_free(fifo_pop(f));
	f->delayed_head = 0;
	update_active(f);
}
