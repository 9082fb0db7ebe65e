/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection on real mbufs, under a real EAL (--no-huge): each fault
 * at its configured rate, what it does to the stream (order, copies,
 * timing), the cap on a burst, seeds, and no mbuf leaked.
 *
 * Frames are FRAME_LEN bytes: a host-order uint32 sequence number, then
 * bytes derived from it, so any change to a frame is seen.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "roce_fault.h"
#include "test_eal.h"

#define POOL_SIZE 1023
#define COPY_POOL_SIZE 511
#define FRAME_LEN 64
#define BURST 32
#define MAX_CAP 256
#define STAT_FRAMES 20000
#define START_NS 1000000000ull	/* the clock in a run starts here */

static struct rte_mempool *pool;	/* frames */
static struct rte_mempool *copy_pool;	/* copies made by the fault layer */

/* Rates each fault is measured at (loop tests: _i indexes this). */
static const double rates[] = { 0.01, 0.05, 0.2 };

/* ---- frames ----------------------------------------------------------- */

static void
frame_fill(uint8_t *p, uint32_t seq)
{
	unsigned int i;

	memcpy(p, &seq, sizeof(seq));
	for (i = sizeof(seq); i < FRAME_LEN; i++)
		p[i] = (uint8_t)(seq * 131 + i * 29 + 7);
}

static struct rte_mbuf *
frame_new(uint32_t seq)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	ck_assert_msg(m != NULL, "frame pool empty at frame %u", seq);
	p = rte_pktmbuf_append(m, FRAME_LEN);
	ck_assert_ptr_nonnull(p);
	frame_fill((uint8_t *)p, seq);
	return m;
}

/* "80 ab cd ef ..." for failure messages; two rotating buffers. */
static const char *
hex(const uint8_t *b, size_t n)
{
	static char buf[2][3 * FRAME_LEN + 1];
	static unsigned int next;
	char *s = buf[next++ % RTE_DIM(buf)];
	size_t i;

	s[0] = '\0';
	for (i = 0; i < n && i < FRAME_LEN; i++)
		sprintf(s + 3 * i, i ? " %02x" : "%02x", b[i]);
	return s;
}

static unsigned int
bits_differ(const uint8_t *a, const uint8_t *b, size_t n, size_t *where)
{
	unsigned int bits = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i]) {
			bits += (unsigned int)__builtin_popcount(a[i] ^ b[i]);
			*where = i;
		}
	return bits;
}

/* ---- recording a run ---------------------------------------------------- */

/* Every frame that came out, in order. */
struct trace {
	uint32_t frames;		/* frames put in */
	uint32_t n, max;		/* frames out */
	uint32_t *seq;			/* of each frame out */
	uint64_t *out_ns;		/* when it came out */
	uint64_t *hash;			/* of its bytes */
	bool *same_as_prev;		/* bytes identical to the frame out before it */
	uint64_t *in_ns;		/* by sequence number: when it went in */
	bool lenient;			/* frames may be corrupted: record, do not check */
	bool held_after_input;		/* a frame was held for reorder after the last input */
	uint16_t max_burst_out;		/* the most frames one call returned */
	uint8_t prev[FRAME_LEN];
};

static void
trace_init(struct trace *t, uint32_t frames, bool lenient)
{
	memset(t, 0, sizeof(*t));
	t->frames = frames;
	t->max = 2 * frames + 1;
	t->seq = calloc(t->max, sizeof(*t->seq));
	t->out_ns = calloc(t->max, sizeof(*t->out_ns));
	t->hash = calloc(t->max, sizeof(*t->hash));
	t->same_as_prev = calloc(t->max, sizeof(*t->same_as_prev));
	t->in_ns = calloc(frames + 1, sizeof(*t->in_ns));
	t->lenient = lenient;
	ck_assert(t->seq && t->out_ns && t->hash && t->same_as_prev && t->in_ns);
}

static void
trace_free(struct trace *t)
{
	free(t->seq);
	free(t->out_ns);
	free(t->hash);
	free(t->same_as_prev);
	free(t->in_ns);
}

/* Record and free the @p got frames a call returned. */
static void
collect(struct trace *t, struct rte_mbuf **pkts, uint16_t got, uint16_t cap, uint64_t now)
{
	uint8_t flat[FRAME_LEN], want[FRAME_LEN];
	const uint8_t *p;
	uint64_t h;
	uint32_t seq;
	unsigned int k, i;

	ck_assert_msg(got <= cap, "apply returned %u frames with room for %u", got, cap);
	t->max_burst_out = RTE_MAX(t->max_burst_out, got);
	for (k = 0; k < got; k++) {
		struct rte_mbuf *m = pkts[k];

		ck_assert_msg(rte_pktmbuf_pkt_len(m) == FRAME_LEN, "frame of %u bytes, expected %u",
			      rte_pktmbuf_pkt_len(m), FRAME_LEN);
		p = rte_pktmbuf_read(m, 0, FRAME_LEN, flat);
		memcpy(&seq, p, sizeof(seq));
		if (!t->lenient) {
			ck_assert_msg(seq < t->frames, "frame number %u, only %u were sent", seq,
				      t->frames);
			frame_fill(want, seq);
			ck_assert_msg(memcmp(p, want, FRAME_LEN) == 0,
				      "frame %u changed:\n expected %s\n saw      %s", seq,
				      hex(want, FRAME_LEN), hex(p, FRAME_LEN));
		}
		ck_assert_msg(t->n < t->max, "more than %u frames out of %u in", t->max, t->frames);
		h = 0xcbf29ce484222325ull;	/* FNV-1a */
		for (i = 0; i < FRAME_LEN; i++)
			h = (h ^ p[i]) * 0x100000001b3ull;
		t->seq[t->n] = seq;
		t->out_ns[t->n] = now;
		t->hash[t->n] = h;
		t->same_as_prev[t->n] = t->n > 0 && memcmp(p, t->prev, FRAME_LEN) == 0;
		memcpy(t->prev, p, FRAME_LEN);
		t->n++;
		rte_pktmbuf_free(m);
	}
}

/*
 * Put @p t->frames frames through @p f in bursts of @p burst with room for
 * @p cap, the clock advancing by @p step_ns per call; then empty calls with
 * room for @p drain_cap until nothing is held.
 */
static void
run(struct roce_fault *f, struct trace *t, uint16_t burst, uint16_t cap, uint16_t drain_cap,
    uint64_t step_ns)
{
	struct rte_mbuf *pkts[MAX_CAP];
	uint64_t now = START_NS;
	uint32_t seq = 0, rounds;
	uint16_t nb, got, k;

	ck_assert(burst <= cap && cap <= MAX_CAP && drain_cap <= MAX_CAP);
	while (seq < t->frames) {
		nb = (uint16_t)RTE_MIN((uint32_t)burst, t->frames - seq);
		for (k = 0; k < nb; k++) {
			pkts[k] = frame_new(seq + k);
			t->in_ns[seq + k] = now;
		}
		seq += nb;
		got = roce_fault_apply(f, pkts, nb, cap, now);
		collect(t, pkts, got, cap, now);
		now += step_ns;
	}
	t->held_after_input = f->reorder_held != NULL;
	for (rounds = 0; f->delayed_count != 0 || f->reorder_held != NULL; rounds++) {
		ck_assert_msg(rounds < 1000000, "%u frames still held after %u empty calls",
			      f->delayed_count + (f->reorder_held != NULL), rounds);
		got = roce_fault_apply(f, pkts, 0, drain_cap, now);
		collect(t, pkts, got, drain_cap, now);
		now += step_ns;
	}
}

static void
assert_pools_full(void)
{
	ck_assert_msg(rte_mempool_avail_count(pool) == POOL_SIZE,
		      "mbuf leak: frame pool has %u of %u mbufs free",
		      rte_mempool_avail_count(pool), POOL_SIZE);
	ck_assert_msg(rte_mempool_avail_count(copy_pool) == COPY_POOL_SIZE,
		      "mbuf leak: copy pool has %u of %u mbufs free",
		      rte_mempool_avail_count(copy_pool), COPY_POOL_SIZE);
}

static void
fault_init(struct roce_fault *f, const struct roce_fault_conf *conf)
{
	int ret;

	memset(f, 0, sizeof(*f));
	ret = roce_fault_init(f, conf, copy_pool);
	ck_assert_msg(ret == 0, "roce_fault_init: expected 0, got %d", ret);
}

/* sqrt for the messages only, by Newton: no libm. */
static double
root(double v)
{
	double x = v > 1 ? v : 1;
	int i;

	for (i = 0; i < 60; i++)
		x = (x + v / x) / 2;
	return x;
}

/* @p hits of @p trials within 5 sigma of a binomial at @p p. */
static void
assert_rate(const char *what, double p, uint64_t hits, uint64_t trials)
{
	double mean = p * (double)trials, var = mean * (1 - p), d = (double)hits - mean;

	ck_assert_msg(d * d <= 25 * var,
		      "%s at %g: expected %.0f +/- %.0f (5 sigma) of %" PRIu64 ", saw %" PRIu64,
		      what, p, mean, 5 * root(var), trials, hits);
}

static void
assert_count(const struct roce_fault *f, enum roce_fault_counter c, uint64_t want)
{
	ck_assert_msg(f->count[c] == want, "counter %s: expected %" PRIu64 ", saw %" PRIu64,
		      roce_fault_counter_names[c], want, f->count[c]);
}

/* ---- each fault alone, at each rate ----------------------------------------- */

START_TEST(drop_rate_and_order_kept)
{
	const struct roce_fault_conf conf = { .drop = rates[_i], .seed = 11 };
	struct roce_fault f;
	struct trace t;
	uint32_t k;

	fault_init(&f, &conf);
	trace_init(&t, STAT_FRAMES, false);
	run(&f, &t, BURST, BURST, BURST, 1000);

	assert_count(&f, ROCE_FAULT_SEEN, STAT_FRAMES);
	assert_rate("dropped", conf.drop, f.count[ROCE_FAULT_DROPPED], STAT_FRAMES);
	ck_assert_msg(t.n == STAT_FRAMES - f.count[ROCE_FAULT_DROPPED],
		      "expected %" PRIu64 " frames out (%u in, %" PRIu64 " dropped), saw %u",
		      STAT_FRAMES - f.count[ROCE_FAULT_DROPPED], STAT_FRAMES,
		      f.count[ROCE_FAULT_DROPPED], t.n);
	for (k = 0; k < t.n; k++) {
		ck_assert_msg(k == 0 || t.seq[k] > t.seq[k - 1],
			      "out of order at output %u: frame %u after frame %u", k, t.seq[k],
			      t.seq[k - 1]);
		ck_assert_msg(t.out_ns[k] == t.in_ns[t.seq[k]],
			      "frame %u: expected out at %" PRIu64 ", saw %" PRIu64, t.seq[k],
			      t.in_ns[t.seq[k]], t.out_ns[k]);
	}
	trace_free(&t);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

/* Walks a stream where duplicates are adjacent and everything else is in
 * order; returns the number of pairs. */
static uint32_t
check_dups_adjacent(const struct trace *t)
{
	uint32_t k, next = 0, pairs = 0;

	for (k = 0; k < t->n; k++) {
		if (k > 0 && t->seq[k] == t->seq[k - 1]) {
			ck_assert_msg(k < 2 || t->seq[k - 2] != t->seq[k],
				      "frame %u out three times in a row", t->seq[k]);
			ck_assert_msg(t->same_as_prev[k], "frame %u: duplicate differs from original",
				      t->seq[k]);
			pairs++;
			continue;
		}
		ck_assert_msg(t->seq[k] == next, "output %u: expected frame %u, saw %u", k, next,
			      t->seq[k]);
		next++;
	}
	ck_assert_msg(next == t->frames, "expected all %u frames, saw %u", t->frames, next);
	return pairs;
}

START_TEST(dup_rate_copies_adjacent_and_identical)
{
	const struct roce_fault_conf conf = { .dup = rates[_i], .seed = 12 };
	struct roce_fault f;
	struct trace t;
	uint32_t pairs;

	fault_init(&f, &conf);
	trace_init(&t, STAT_FRAMES, false);
	run(&f, &t, BURST, 2 * BURST, BURST, 1000);

	assert_count(&f, ROCE_FAULT_SEEN, STAT_FRAMES);
	assert_count(&f, ROCE_FAULT_NO_MBUF, 0);
	assert_rate("duplicated", conf.dup, f.count[ROCE_FAULT_DUPLICATED], STAT_FRAMES);
	pairs = check_dups_adjacent(&t);
	ck_assert_msg(pairs == f.count[ROCE_FAULT_DUPLICATED],
		      "expected %" PRIu64 " duplicates (counter), saw %u",
		      f.count[ROCE_FAULT_DUPLICATED], pairs);
	trace_free(&t);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

START_TEST(reorder_rate_only_adjacent_swaps)
{
	const struct roce_fault_conf conf = { .reorder = rates[_i], .seed = 13 };
	struct roce_fault f;
	struct trace t;
	uint32_t k, next = 0, swaps = 0;

	fault_init(&f, &conf);
	trace_init(&t, STAT_FRAMES, false);
	run(&f, &t, BURST, BURST, BURST, 1000);

	assert_count(&f, ROCE_FAULT_SEEN, STAT_FRAMES);
	ck_assert_msg(t.n == STAT_FRAMES, "expected %u frames out, saw %u", STAT_FRAMES, t.n);
	for (k = 0; k < t.n; k++) {
		if (t.seq[k] == next) {
			next++;
			continue;
		}
		ck_assert_msg(t.seq[k] == next + 1 && k + 1 < t.n && t.seq[k + 1] == next,
			      "output %u: expected frame %u, or %u then %u; saw %u then %d", k, next,
			      next + 1, next, t.seq[k], k + 1 < t.n ? (int)t.seq[k + 1] : -1);
		k++;
		next += 2;
		swaps++;
	}
	ck_assert_msg(swaps + t.held_after_input == f.count[ROCE_FAULT_REORDERED],
		      "expected %" PRIu64 " swaps (counter), saw %u (+%d held at the end)",
		      f.count[ROCE_FAULT_REORDERED], swaps, t.held_after_input);
	/* A frame that follows a held one cannot be held: those are not drawn. */
	assert_rate("reordered of eligible", conf.reorder, f.count[ROCE_FAULT_REORDERED],
		    STAT_FRAMES - swaps);
	trace_free(&t);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

START_TEST(delay_rate_released_on_time_in_order)
{
	const uint64_t step = 5000;
	const struct roce_fault_conf conf = { .delay = rates[_i], .delay_ns = 20000, .seed = 14 };
	struct roce_fault f;
	struct trace t;
	int64_t last_delayed = -1, last_direct = -1;
	uint32_t k, delayed = 0;
	uint8_t *out_count = calloc(STAT_FRAMES, 1);

	ck_assert_ptr_nonnull(out_count);
	fault_init(&f, &conf);
	trace_init(&t, STAT_FRAMES, false);
	/* Room for a whole burst released on top of the next one. */
	run(&f, &t, BURST, 2 * BURST, 2 * BURST, step);

	assert_count(&f, ROCE_FAULT_SEEN, STAT_FRAMES);
	ck_assert_msg(t.n == STAT_FRAMES, "expected %u frames out, saw %u", STAT_FRAMES, t.n);
	for (k = 0; k < t.n; k++) {
		uint32_t s = t.seq[k];
		uint64_t in = t.in_ns[s], out = t.out_ns[k];

		ck_assert_msg(out_count[s]++ == 0, "frame %u out twice", s);
		if (out == in) {
			ck_assert_msg((int64_t)s > last_direct,
				      "undelayed frame %u after undelayed frame %" PRId64, s,
				      last_direct);
			last_direct = s;
			continue;
		}
		ck_assert_msg(out >= in + conf.delay_ns && out < in + conf.delay_ns + step,
			      "frame %u in at %" PRIu64 ": expected out at the first call from %" PRIu64
			      ", saw %" PRIu64, s, in, in + conf.delay_ns, out);
		ck_assert_msg((int64_t)s > last_delayed,
			      "delayed frame %u after delayed frame %" PRId64 ": FIFO order broken", s,
			      last_delayed);
		last_delayed = s;
		delayed++;
	}
	ck_assert_msg(delayed == f.count[ROCE_FAULT_DELAYED],
		      "expected %" PRIu64 " delayed frames (counter), saw %u",
		      f.count[ROCE_FAULT_DELAYED], delayed);
	assert_rate("delayed", conf.delay, f.count[ROCE_FAULT_DELAYED], STAT_FRAMES);
	free(out_count);
	trace_free(&t);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

/* Frames on caller memory, as zero-copy transmit makes them. */
static uint8_t region[BURST * FRAME_LEN] __rte_aligned(64);
static struct rte_mbuf_ext_shared_info region_shinfo[BURST];

static void
region_free_cb(void *addr __rte_unused, void *opaque __rte_unused)
{
}

/* An mbuf whose data is region slot @p k, attached, not copied. */
static struct rte_mbuf *
ext_frame(unsigned int k)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	uint8_t *p = region + k * FRAME_LEN;

	ck_assert_ptr_nonnull(m);
	rte_mbuf_ext_refcnt_set(&region_shinfo[k], 1);
	region_shinfo[k].free_cb = region_free_cb;
	rte_pktmbuf_attach_extbuf(m, p, rte_mem_virt2iova(p), FRAME_LEN, &region_shinfo[k]);
	m->data_off = 0;
	m->data_len = FRAME_LEN;
	m->pkt_len = FRAME_LEN;
	return m;
}

START_TEST(corrupt_rate_one_bit_on_a_copy)
{
	const struct roce_fault_conf conf = { .corrupt = rates[_i], .seed = 15 };
	static uint8_t snapshot[sizeof(region)];
	struct rte_mbuf *pkts[BURST], *in[BURST];
	uint32_t byte_hit[FRAME_LEN] = { 0 };
	uint64_t now = START_NS;
	uint32_t seq, corrupted = 0;
	struct roce_fault f;
	uint16_t nb, got, k;

	fault_init(&f, &conf);
	for (seq = 0; seq < STAT_FRAMES; seq += nb) {
		nb = (uint16_t)RTE_MIN((uint32_t)BURST, STAT_FRAMES - seq);
		for (k = 0; k < nb; k++)
			frame_fill(region + k * FRAME_LEN, seq + k);
		memcpy(snapshot, region, sizeof(region));
		for (k = 0; k < nb; k++)
			pkts[k] = in[k] = ext_frame(k);

		got = roce_fault_apply(&f, pkts, nb, BURST, now);
		ck_assert_msg(got == nb, "frames %u..: expected %u out, saw %u", seq, nb, got);
		for (k = 0; k < got; k++) {
			const uint8_t *orig = snapshot + k * FRAME_LEN;
			const uint8_t *data = rte_pktmbuf_mtod(pkts[k], const uint8_t *);
			size_t where = 0;
			unsigned int bits;

			ck_assert_uint_eq(rte_pktmbuf_pkt_len(pkts[k]), FRAME_LEN);
			ck_assert_uint_eq(pkts[k]->nb_segs, 1);
			bits = bits_differ(data, orig, FRAME_LEN, &where);
			ck_assert_msg(bits <= 1, "frame %u: %u bits differ, expected 0 or 1:\n"
				      " sent %s\n saw  %s", seq + k, bits, hex(orig, FRAME_LEN),
				      hex(data, FRAME_LEN));
			if (bits == 0) {
				ck_assert_msg(pkts[k] == in[k],
					      "frame %u unchanged but not the mbuf sent", seq + k);
				continue;
			}
			ck_assert_msg(pkts[k] != in[k] && (data < region ||
							   data >= region + sizeof(region)),
				      "frame %u corrupted in the sender's memory", seq + k);
			byte_hit[where]++;
			corrupted++;
		}
		ck_assert_msg(memcmp(region, snapshot, sizeof(region)) == 0,
			      "frames %u..%u: the original buffer was written", seq, seq + nb - 1);
		rte_pktmbuf_free_bulk(pkts, got);
		now += 1000;
	}

	assert_count(&f, ROCE_FAULT_SEEN, STAT_FRAMES);
	assert_count(&f, ROCE_FAULT_NO_MBUF, 0);
	ck_assert_msg(corrupted == f.count[ROCE_FAULT_CORRUPTED],
		      "expected %" PRIu64 " corrupted frames (counter), saw %u",
		      f.count[ROCE_FAULT_CORRUPTED], corrupted);
	assert_rate("corrupted", conf.corrupt, corrupted, STAT_FRAMES);
	if (conf.corrupt >= 0.2)	/* ~62 hits per byte expected */
		for (k = 0; k < FRAME_LEN; k++)
			ck_assert_msg(byte_hit[k] > 0, "byte %u of %u never corrupted in %u frames",
				      k, FRAME_LEN, corrupted);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

/* ---- held frames, room, seeds ------------------------------------------------ */

START_TEST(off_is_pass_through)
{
	struct rte_mbuf *pkts[BURST], *sent[BURST];
	struct roce_fault f;
	struct roce_fault_conf conf;
	uint16_t k, got;

	ck_assert_int_eq(roce_fault_parse("off", &conf), 0);
	fault_init(&f, &conf);
	ck_assert_msg(!f.active, "active with every rate 0");
	for (k = 0; k < BURST; k++)
		pkts[k] = sent[k] = frame_new(k);
	got = roce_fault_apply(&f, pkts, BURST, BURST, START_NS);
	ck_assert_msg(got == BURST, "expected %u out, saw %u", BURST, got);
	for (k = 0; k < BURST; k++)
		ck_assert_msg(pkts[k] == sent[k], "slot %u changed", k);
	assert_count(&f, ROCE_FAULT_SEEN, 0);	/* not even counted */
	rte_pktmbuf_free_bulk(pkts, got);
	assert_pools_full();
}
END_TEST

START_TEST(reorder_lone_frame_released_after_max_wait)
{
	const struct roce_fault_conf conf = { .reorder = 1.0 };
	struct rte_mbuf *pkts[4];
	struct roce_fault f;
	struct trace t;
	uint16_t got;

	fault_init(&f, &conf);
	trace_init(&t, 4, false);
	pkts[0] = frame_new(0);
	got = roce_fault_apply(&f, pkts, 1, 4, START_NS);
	ck_assert_msg(got == 0 && f.reorder_held != NULL, "expected frame 0 held, %u out", got);
	got = roce_fault_apply(&f, pkts, 0, 4, START_NS + ROCE_FAULT_REORDER_MAX_NS - 1);
	ck_assert_msg(got == 0, "released after %d ns, expected after %d",
		      ROCE_FAULT_REORDER_MAX_NS - 1, ROCE_FAULT_REORDER_MAX_NS);
	got = roce_fault_apply(&f, pkts, 0, 4, START_NS + ROCE_FAULT_REORDER_MAX_NS);
	collect(&t, pkts, got, 4, 0);
	ck_assert_msg(t.n == 1 && t.seq[0] == 0, "expected frame 0 out after %d ns, saw %u frames",
		      ROCE_FAULT_REORDER_MAX_NS, t.n);

	/* Rate 1: 1 is held, 2 cannot be (1 is), so it passes and 1 follows;
	 * 3 is held again. */
	pkts[0] = frame_new(1);
	pkts[1] = frame_new(2);
	pkts[2] = frame_new(3);
	got = roce_fault_apply(&f, pkts, 3, 4, START_NS + 2 * ROCE_FAULT_REORDER_MAX_NS);
	collect(&t, pkts, got, 4, 0);
	ck_assert_msg(t.n == 3 && t.seq[1] == 2 && t.seq[2] == 1 && f.reorder_held != NULL,
		      "expected frames 2, 1 out and one held; saw %u out", t.n - 1);
	assert_count(&f, ROCE_FAULT_REORDERED, 3);
	trace_free(&t);
	roce_fault_flush(&f);
	ck_assert_ptr_null(f.reorder_held);
	assert_pools_full();
}
END_TEST

START_TEST(delay_fifo_full_passes_undelayed)
{
	const struct roce_fault_conf conf = { .delay = 1.0, .delay_ns = 1000000000 };
	const uint32_t frames = ROCE_FAULT_MAX_HELD + 44;
	struct rte_mbuf *pkts[64];
	struct roce_fault f;
	struct trace t;
	uint64_t now = START_NS;
	uint32_t seq, k;
	uint16_t got;

	fault_init(&f, &conf);
	trace_init(&t, frames, false);
	for (seq = 0; seq < frames; seq += 20) {
		for (k = 0; k < 20; k++)
			pkts[k] = frame_new(seq + k);
		got = roce_fault_apply(&f, pkts, 20, 20, now);
		collect(&t, pkts, got, 20, now);
		now += 1000;
	}
	assert_count(&f, ROCE_FAULT_DELAYED, ROCE_FAULT_MAX_HELD);
	ck_assert_uint_eq(f.delayed_count, ROCE_FAULT_MAX_HELD);
	ck_assert_msg(t.n == frames - ROCE_FAULT_MAX_HELD, "expected %u undelayed, saw %u",
		      frames - ROCE_FAULT_MAX_HELD, t.n);
	for (k = 0; k < t.n; k++)
		ck_assert_uint_eq(t.seq[k], ROCE_FAULT_MAX_HELD + k);

	/* Not yet due; then due, released 64 at a time, in order. */
	got = roce_fault_apply(&f, pkts, 0, 64, START_NS + conf.delay_ns - 1);
	ck_assert_msg(got == 0, "expected nothing before the delay, saw %u frames", got);
	now = START_NS + conf.delay_ns + 1000000;
	while (f.delayed_count != 0) {
		uint32_t due = f.delayed_count;

		got = roce_fault_apply(&f, pkts, 0, 64, now);
		ck_assert_msg(got == RTE_MIN(64u, due), "%u frames due: expected %u out, saw %u",
			      due, RTE_MIN(64u, due), got);
		collect(&t, pkts, got, 64, now);
	}
	ck_assert_uint_eq(t.n, frames);
	for (k = 0; k < ROCE_FAULT_MAX_HELD; k++)
		ck_assert_msg(t.seq[frames - ROCE_FAULT_MAX_HELD + k] == k,
			      "delayed output %u: expected frame %u, saw %u", k, k,
			      t.seq[frames - ROCE_FAULT_MAX_HELD + k]);
	trace_free(&t);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

/* Every frame once or twice (dup), none lost; counters agree. */
static void
check_nothing_lost(const struct roce_fault *f, const struct trace *t)
{
	uint8_t *times = calloc(t->frames, 1);
	uint32_t k, none = 0, twice = 0;

	ck_assert_ptr_nonnull(times);
	for (k = 0; k < t->n; k++) {
		ck_assert_msg(times[t->seq[k]] < 2, "frame %u out three times", t->seq[k]);
		times[t->seq[k]]++;
	}
	for (k = 0; k < t->frames; k++) {
		none += times[k] == 0;
		twice += times[k] == 2;
	}
	free(times);
	assert_count(f, ROCE_FAULT_SEEN, t->frames);
	ck_assert_msg(none == f->count[ROCE_FAULT_DROPPED],
		      "expected %" PRIu64 " frames missing (dropped), saw %u",
		      f->count[ROCE_FAULT_DROPPED], none);
	ck_assert_msg(twice == f->count[ROCE_FAULT_DUPLICATED],
		      "expected %" PRIu64 " frames twice (duplicated), saw %u",
		      f->count[ROCE_FAULT_DUPLICATED], twice);
}

START_TEST(cap_below_output_nothing_lost)
{
	const struct roce_fault_conf conf = {
		.drop = 0.1, .dup = 0.5, .reorder = 0.1, .delay = 0.2, .delay_ns = 10000,
		.seed = 5,
	};
	struct roce_fault f;
	struct trace t;

	fault_init(&f, &conf);
	trace_init(&t, 5000, false);
	/* Every burst fills the array: copies and released frames must wait. */
	run(&f, &t, 16, 16, 3, 2000);
	check_nothing_lost(&f, &t);
	ck_assert_msg(t.max_burst_out == 16, "expected some calls to return the full 16, max %u",
		      t.max_burst_out);
	trace_free(&t);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

/*
 * Full bursts with no room to spare: every copy pushes a frame into the
 * next call, so the frames waiting grow to ROCE_FAULT_MAX_HELD and then
 * copies are skipped (no_mbuf). Order is kept throughout.
 */
START_TEST(cap_equal_n_dup_keeps_order_and_bounds_held)
{
	const struct roce_fault_conf conf = { .dup = 0.3, .seed = 6 };
	const uint32_t frames = 5000;
	struct roce_fault f;
	struct trace t;
	uint32_t pairs;

	fault_init(&f, &conf);
	trace_init(&t, frames, false);
	run(&f, &t, BURST, BURST, 5, 1000);
	pairs = check_dups_adjacent(&t);
	ck_assert_msg(pairs == f.count[ROCE_FAULT_DUPLICATED],
		      "expected %" PRIu64 " duplicates (counter), saw %u",
		      f.count[ROCE_FAULT_DUPLICATED], pairs);
	ck_assert_msg(pairs >= ROCE_FAULT_MAX_HELD && f.count[ROCE_FAULT_NO_MBUF] > 0,
		      "expected >= %u copies then copies skipped, saw %u copies, %" PRIu64
		      " skipped", ROCE_FAULT_MAX_HELD, pairs, f.count[ROCE_FAULT_NO_MBUF]);
	assert_rate("duplicated or skipped", conf.dup,
		    f.count[ROCE_FAULT_DUPLICATED] + f.count[ROCE_FAULT_NO_MBUF], frames);
	trace_free(&t);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

START_TEST(no_copy_skips_fault_and_counts)
{
	const struct roce_fault_conf conf = { .dup = 1.0, .corrupt = 1.0 };
	struct rte_mbuf *spare[COPY_POOL_SIZE], *pkts[BURST];
	struct roce_fault f;
	struct trace t;
	unsigned int n, k;
	uint16_t got;

	fault_init(&f, &conf);
	trace_init(&t, BURST, false);
	for (n = 0; n < COPY_POOL_SIZE; n++) {
		spare[n] = rte_pktmbuf_alloc(copy_pool);
		ck_assert_ptr_nonnull(spare[n]);
	}
	for (k = 0; k < BURST; k++)
		pkts[k] = frame_new(k);
	got = roce_fault_apply(&f, pkts, BURST, BURST, START_NS);
	collect(&t, pkts, got, BURST, START_NS);	/* checks every frame is intact */
	rte_pktmbuf_free_bulk(spare, n);
	ck_assert_msg(t.n == BURST, "expected %u frames through unchanged, saw %u", BURST, t.n);
	for (k = 0; k < t.n; k++)
		ck_assert_uint_eq(t.seq[k], k);
	assert_count(&f, ROCE_FAULT_NO_MBUF, 2 * BURST);
	assert_count(&f, ROCE_FAULT_CORRUPTED, 0);
	assert_count(&f, ROCE_FAULT_DUPLICATED, 0);
	trace_free(&t);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

static const struct roce_fault_conf every_fault = {
	.drop = 0.05, .dup = 0.05, .reorder = 0.05, .corrupt = 0.05, .delay = 0.05,
	.delay_ns = 7000,
};

static void
run_seeded(struct roce_fault *f, struct trace *t, uint64_t seed, uint32_t frames)
{
	struct roce_fault_conf conf = every_fault;

	conf.seed = seed;
	fault_init(f, &conf);
	trace_init(t, frames, true);
	run(f, t, BURST, 2 * BURST, BURST, 3000);
	roce_fault_flush(f);
}

static bool
same_output(const struct trace *a, const struct trace *b)
{
	return a->n == b->n && memcmp(a->seq, b->seq, a->n * sizeof(*a->seq)) == 0 &&
	       memcmp(a->hash, b->hash, a->n * sizeof(*a->hash)) == 0 &&
	       memcmp(a->out_ns, b->out_ns, a->n * sizeof(*a->out_ns)) == 0;
}

START_TEST(same_seed_same_decisions)
{
	static const uint64_t seeds[] = { 0, 1, 0xfeedface };
	struct roce_fault a, b;
	struct trace ta, tb;
	unsigned int i, c;

	for (i = 0; i < RTE_DIM(seeds); i++) {
		run_seeded(&a, &ta, seeds[i], 5000);
		run_seeded(&b, &tb, seeds[i], 5000);
		ck_assert_msg(same_output(&ta, &tb),
			      "seed %" PRIu64 ": two runs differ (%u and %u frames out)", seeds[i],
			      ta.n, tb.n);
		for (c = 0; c < ROCE_FAULT_NCOUNTERS; c++)
			ck_assert_msg(a.count[c] == b.count[c],
				      "seed %" PRIu64 ", counter %s: %" PRIu64 " then %" PRIu64,
				      seeds[i], roce_fault_counter_names[c], a.count[c], b.count[c]);
		ck_assert_msg(a.count[ROCE_FAULT_CORRUPTED] > 0 && a.count[ROCE_FAULT_REORDERED] > 0,
			      "seed %" PRIu64 ": expected every fault to happen", seeds[i]);
		trace_free(&ta);
		trace_free(&tb);
	}
	assert_pools_full();
}
END_TEST

START_TEST(different_seed_different_decisions)
{
	struct roce_fault a, b;
	struct trace ta, tb;

	run_seeded(&a, &ta, 1, 5000);
	run_seeded(&b, &tb, 2, 5000);
	ck_assert_msg(!same_output(&ta, &tb), "seeds 1 and 2 gave the same output");
	trace_free(&ta);
	trace_free(&tb);
	assert_pools_full();
}
END_TEST

/* Which of 16 frames survive drop = 0.5 with @p seed: the first 16 draws. */
static uint16_t
first_drops(uint64_t seed)
{
	const struct roce_fault_conf conf = { .drop = 0.5, .seed = seed };
	struct rte_mbuf *pkts[16];
	struct roce_fault f;
	uint16_t k, got, kept = 0;
	uint32_t seq;

	fault_init(&f, &conf);
	for (k = 0; k < 16; k++)
		pkts[k] = frame_new(k);
	got = roce_fault_apply(&f, pkts, 16, 16, START_NS);
	for (k = 0; k < got; k++) {
		memcpy(&seq, rte_pktmbuf_mtod(pkts[k], void *), sizeof(seq));
		kept |= (uint16_t)(1u << seq);
	}
	rte_pktmbuf_free_bulk(pkts, got);
	return kept;
}

/*
 * Seeds 1 and 2 must not give related streams: drop decisions at 0.5
 * agree on about half the frames, as independent coins do; also over the
 * very first draws of neighbouring seeds, where a generator seeded without
 * a mixing step shows its seed.
 */
START_TEST(seeds_1_and_2_unrelated)
{
	const uint32_t frames = 4000, pairs = 256;
	const struct roce_fault_conf conf1 = { .drop = 0.5, .seed = 1 };
	const struct roce_fault_conf conf2 = { .drop = 0.5, .seed = 2 };
	struct roce_fault a, b;
	struct trace ta, tb;
	uint8_t *kept = calloc(frames, 1);
	uint32_t k, agree = 0, agree_first = 0;

	ck_assert_ptr_nonnull(kept);
	fault_init(&a, &conf1);
	fault_init(&b, &conf2);
	trace_init(&ta, frames, false);
	trace_init(&tb, frames, false);
	run(&a, &ta, BURST, BURST, BURST, 1000);
	run(&b, &tb, BURST, BURST, BURST, 1000);
	for (k = 0; k < ta.n; k++)
		kept[ta.seq[k]] |= 1;
	for (k = 0; k < tb.n; k++)
		kept[tb.seq[k]] |= 2;
	for (k = 0; k < frames; k++)
		agree += kept[k] == 0 || kept[k] == 3;
	assert_rate("drop decisions agreeing between seeds 1 and 2", 0.5, agree, frames);
	free(kept);

	for (k = 1; k <= pairs; k++)
		agree_first += 16 - (uint32_t)__builtin_popcount(first_drops(k) ^ first_drops(k + 1));
	assert_rate("first 16 drop decisions agreeing between seeds k and k+1", 0.5,
		    agree_first, 16 * pairs);
	trace_free(&ta);
	trace_free(&tb);
	assert_pools_full();
}
END_TEST

START_TEST(reinit_keeps_held_frames)
{
	const struct roce_fault_conf delay = { .delay = 1.0, .delay_ns = 100000 };
	const struct roce_fault_conf off = { 0 };
	struct rte_mbuf *pkts[16];
	struct roce_fault f;
	struct trace t;
	uint16_t k, got;

	fault_init(&f, &delay);
	trace_init(&t, 10, false);
	for (k = 0; k < 10; k++)
		pkts[k] = frame_new(k);
	got = roce_fault_apply(&f, pkts, 10, 16, START_NS);
	ck_assert_msg(got == 0 && f.delayed_count == 10, "expected 10 held, saw %u out, %u held",
		      got, f.delayed_count);
	ck_assert_int_eq(roce_fault_init(&f, &off, NULL), 0);
	ck_assert_msg(f.active, "inactive while 10 frames are held");
	ck_assert_uint_eq(f.delayed_count, 10);
	got = roce_fault_apply(&f, pkts, 0, 16, START_NS + delay.delay_ns);
	collect(&t, pkts, got, 16, 0);
	ck_assert_msg(t.n == 10, "expected the 10 held frames out, saw %u", t.n);
	for (k = 0; k < 10; k++)
		ck_assert_uint_eq(t.seq[k], k);
	ck_assert_msg(!f.active, "still active with nothing held and every rate 0");
	assert_count(&f, ROCE_FAULT_SEEN, 10);	/* counters survive reinit */
	trace_free(&t);
	assert_pools_full();
}
END_TEST

START_TEST(flush_frees_everything)
{
	const struct roce_fault_conf conf = {
		.dup = 0.3, .reorder = 0.5, .delay = 0.5, .delay_ns = 1000000000,
	};
	struct rte_mbuf *pkts[2 * BURST];
	struct roce_fault f;
	uint16_t k, got;
	uint32_t seq = 0;

	fault_init(&f, &conf);
	while (f.delayed_count < 100) {
		for (k = 0; k < BURST; k++)
			pkts[k] = frame_new(seq++);
		got = roce_fault_apply(&f, pkts, BURST, 2 * BURST, START_NS);
		rte_pktmbuf_free_bulk(pkts, got);
	}
	ck_assert_msg(f.reorder_held != NULL || f.delayed_count > 0, "nothing held");
	roce_fault_flush(&f);
	ck_assert_uint_eq(f.delayed_count, 0);
	ck_assert_ptr_null(f.reorder_held);
	assert_pools_full();

	/* Still usable. */
	for (k = 0; k < BURST; k++)
		pkts[k] = frame_new(seq++);
	got = roce_fault_apply(&f, pkts, BURST, 2 * BURST, START_NS + 1);
	rte_pktmbuf_free_bulk(pkts, got);
	roce_fault_flush(&f);
	assert_pools_full();
}
END_TEST

START_TEST(init_rejects_bad_conf)
{
	static const struct {
		const char *why;
		struct roce_fault_conf conf;
		bool with_pool;
	} rows[] = {
		{ "drop < 0", { .drop = -0.1 }, true },
		{ "dup > 1", { .dup = 1.5 }, true },
		{ "reorder NaN", { .reorder = __builtin_nan("") }, true },
		{ "corrupt > 1", { .corrupt = 1.0000001 }, true },
		{ "delay < 0", { .delay = -1e-9 }, true },
		{ "dup without pool", { .dup = 0.1 }, false },
		{ "corrupt without pool", { .corrupt = 0.1 }, false },
	};
	struct roce_fault f, before;
	unsigned int i;
	int ret;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(roce_fault_init(&f, &(struct roce_fault_conf){ .drop = 0.5 }, NULL), 0);
	memcpy(&before, &f, sizeof(f));
	for (i = 0; i < RTE_DIM(rows); i++) {
		ret = roce_fault_init(&f, &rows[i].conf, rows[i].with_pool ? copy_pool : NULL);
		ck_assert_msg(ret == -EINVAL, "%s: expected -EINVAL, got %d", rows[i].why, ret);
		ck_assert_msg(memcmp(&f, &before, sizeof(f)) == 0, "%s: the fault state changed",
			      rows[i].why);
	}
	ck_assert_int_eq(roce_fault_init(NULL, &rows[0].conf, copy_pool), -EINVAL);
	ck_assert_int_eq(roce_fault_init(&f, NULL, copy_pool), -EINVAL);
	assert_pools_full();
}
END_TEST

static Suite *
fault_suite(void)
{
	Suite *s = suite_create("fault");
	TCase *rate = tcase_create("rates");
	TCase *tc = tcase_create("held");
	TCase *neg = tcase_create("negative");

	tcase_add_loop_test(rate, drop_rate_and_order_kept, 0, RTE_DIM(rates));
	tcase_add_loop_test(rate, dup_rate_copies_adjacent_and_identical, 0, RTE_DIM(rates));
	tcase_add_loop_test(rate, reorder_rate_only_adjacent_swaps, 0, RTE_DIM(rates));
	tcase_add_loop_test(rate, delay_rate_released_on_time_in_order, 0, RTE_DIM(rates));
	tcase_add_loop_test(rate, corrupt_rate_one_bit_on_a_copy, 0, RTE_DIM(rates));
	tcase_add_test(tc, off_is_pass_through);
	tcase_add_test(tc, reorder_lone_frame_released_after_max_wait);
	tcase_add_test(tc, delay_fifo_full_passes_undelayed);
	tcase_add_test(tc, cap_below_output_nothing_lost);
	tcase_add_test(tc, cap_equal_n_dup_keeps_order_and_bounds_held);
	tcase_add_test(tc, no_copy_skips_fault_and_counts);
	tcase_add_test(tc, same_seed_same_decisions);
	tcase_add_test(tc, different_seed_different_decisions);
	tcase_add_test(tc, seeds_1_and_2_unrelated);
	tcase_add_test(tc, reinit_keeps_held_frames);
	tcase_add_test(tc, flush_frees_everything);
	tcase_add_test(neg, init_rejects_bad_conf);
	suite_add_tcase(s, rate);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, neg);
	return s;
}

int
main(int argc, char **argv)
{
	int failed;

	(void)argc;
	if (test_eal_init(argv[0], "fault", 64) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_fault", POOL_SIZE, 0, 0,
				       RTE_PKTMBUF_HEADROOM + 256, SOCKET_ID_ANY);
	copy_pool = rte_pktmbuf_pool_create("test_fault_copy", COPY_POOL_SIZE, 0, 0,
					    RTE_PKTMBUF_HEADROOM + 256, SOCKET_ID_ANY);
	if (pool == NULL || copy_pool == NULL) {
		fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	failed = test_run_nofork(fault_suite());
	rte_mempool_free(copy_pool);
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
