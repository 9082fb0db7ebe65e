/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM write log (lib/clients/nvram_log.c), without EAL.
 *
 * A model of the ring, written from the rules at the top of nvram_log.c
 * (where a record goes, when it wraps, when there is no room, where the
 * tail goes), is checked against the module after every step through a
 * freshly opened log: on the same bytes (a restart of the process) and on
 * a mirror that received only the spans the module returned (a takeover
 * by the partner). Then crashes: copies to the mirror torn at every byte,
 * a checkpoint (both header copies), an append (as the log writes it) and a
 * resync torn at every byte; every single bit flipped; a mirror that still
 * holds an older log's records; garbage and forged regions. Hand-written layouts use an independent
 * bitwise CRC-32 written here.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <isa-l/crc.h>
#include <rte_common.h>

#include "nvram_log.h"
#include "test_ref.h"

#define RS		NVRAM_LOG_RING_START	/* ring start, after two header copies */
#define HL		NVRAM_LOG_HDR_LEN	/* one header copy */
#define RHDR		NVRAM_REC_HDR_LEN	/* record header */
#define LAYOUT		3			/* the header's layout field */
#define ID		0x5eed1d01u		/* a log id, where any will do */

/* ---- helpers ---------------------------------------------------------- */

/* In [lo, hi]. */
static uint32_t
rng_range(uint64_t *state, uint32_t lo, uint32_t hi)
{
	return lo + rng_below(state, hi - lo + 1);
}

static void
rng_fill(uint64_t *state, uint8_t *p, size_t len)
{
	while (len) {
		uint64_t v = rng_next(state);
		size_t n = len < sizeof(v) ? len : sizeof(v);

		memcpy(p, &v, n);
		p += n;
		len -= n;
	}
}

/* A payload is made from its seed: the model keeps seeds, not bytes. */
static void
payload(uint8_t *p, uint32_t len, uint64_t seed)
{
	rng_fill(&seed, p, len);
}

/* A fingerprint for the long loops (ISA-L: fast, and not instrumented). */
static uint32_t
fingerprint(const void *p, uint32_t len)
{
	return crc32_gzip_refl(0, p, len);
}

static uint32_t
rec_size(uint32_t len)
{
	return RHDR + ((len + 7) & ~7u);
}

/* Header copy @p c (0, 1) as nvram_log.h describes it, written by hand
 * at its place (base + 64 * c), with header sequence @p hdr_seq. */
static void
forge_hdr_copy(uint8_t *base, unsigned int c, uint64_t size, uint16_t layout,
	       uint32_t ring_start, uint32_t ring_end, uint64_t tail_seq, uint32_t tail_off,
	       uint32_t log_id, uint64_t hdr_seq)
{
	uint8_t *h = base + c * HL;

	memset(h, 0, HL);
	memcpy(h, "NVLG", 4);
	ref_put16(h + 4, layout);
	ref_put16(h + 6, c);
	ref_put64(h + 8, size);
	ref_put32(h + 16, ring_start);
	ref_put32(h + 20, ring_end);
	ref_put64(h + 24, tail_seq);
	ref_put32(h + 32, tail_off);
	ref_put32(h + 36, log_id);
	ref_put64(h + 40, hdr_seq);
	ref_put32(h + 60, ref_crc32(0, h, 60));
}

/* Both copies alike (header sequence 1), as format writes them. */
static void
forge_hdr(uint8_t *base, uint64_t size, uint16_t layout, uint32_t ring_start, uint32_t ring_end,
	  uint64_t tail_seq, uint32_t tail_off, uint32_t log_id)
{
	unsigned int c;

	for (c = 0; c < NVRAM_LOG_HDR_COPIES; c++)
		forge_hdr_copy(base, c, size, layout, ring_start, ring_end, tail_seq, tail_off,
			       log_id, 1);
}

/* A record's CRC: the log id's 4 bytes, its header's first 16, the payload. */
static uint32_t
ref_rec_crc(uint32_t log_id, const uint8_t *p, uint32_t len)
{
	uint8_t id[4];

	ref_put32(id, log_id);
	return ref_crc32(ref_crc32(ref_crc32(0, id, 4), p, 16), p + RHDR, len);
}

/* A record of log @p log_id (len 0, flags 1: a wrap marker) written by
 * hand. @return its size. */
static uint32_t
forge_rec(uint8_t *p, uint32_t len, uint64_t seq, uint32_t flags, const void *data,
	  uint32_t log_id)
{
	uint32_t size = rec_size(len);

	memset(p, 0, size);
	memcpy(p, "NVRC", 4);
	ref_put32(p + 4, len);
	ref_put64(p + 8, seq);
	if (len)
		memcpy(p + RHDR, data, len);
	ref_put32(p + 16, ref_rec_crc(log_id, p, len));
	ref_put32(p + 20, flags);
	return size;
}

/* ---- the model -------------------------------------------------------- */

struct mrec {
	uint64_t seq;
	uint64_t seed;		/* of its payload */
	uint32_t off;		/* its header */
	uint32_t len;		/* payload */
	uint32_t mark;		/* the wrap marker written before it; 0: none */
	uint32_t crc;		/* fingerprint of the payload */
};

struct model {
	uint8_t *base;		/* the log's region */
	size_t size;
	uint32_t id;		/* the log's */
	uint32_t end;		/* ring end: the size rounded down to 8 */
	uint32_t max;		/* largest payload: a quarter of the ring */
	uint64_t tail_seq;
	uint64_t head_seq;
	uint32_t last_end;	/* where the newest record ends; RS when empty */
	struct mrec *q;		/* live records, oldest first, circular */
	uint32_t cap, first, n;
	uint8_t *buf;		/* a payload */
	uint64_t rng;
};

/* Where the next record goes, from the rules; room: covers no live byte. */
struct place {
	uint32_t mark;		/* a wrap marker first, here; 0: none */
	uint32_t at;
	bool room;
};

static void
model_init(struct model *m, size_t size, uint64_t seed)
{
	uint64_t id_seed = ~seed;

	memset(m, 0, sizeof(*m));
	m->rng = seed;
	/* Not from m->rng: the steps stay those of the tests' seeds. */
	m->id = (uint32_t)rng_next(&id_seed) | 1;
	m->size = size;
	m->end = size & ~(size_t)7;
	m->max = (m->end - RS) / 4;
	m->cap = (m->end - RS) / 32 + 2;
	m->q = calloc(m->cap, sizeof(*m->q));
	m->base = malloc(size);
	m->buf = malloc(m->max);
	ck_assert_ptr_nonnull(m->q);
	ck_assert_ptr_nonnull(m->base);
	ck_assert_ptr_nonnull(m->buf);
	rng_fill(&m->rng, m->base, size);	/* whatever was there before */
	ck_assert_int_eq(nvram_log_format(m->base, size, m->id), 0);
	m->tail_seq = m->head_seq = 1;
	m->last_end = RS;
}

static void
model_free(struct model *m)
{
	free(m->q);
	free(m->base);
	free(m->buf);
}

static struct mrec *
model_rec(const struct model *m, uint32_t i)
{
	return &m->q[(m->first + i) % m->cap];
}

static uint32_t
model_tail_off(const struct model *m)
{
	return m->n ? model_rec(m, 0)->off : RS;
}

/* Within a record header of the ring end, the next one goes at the start. */
static uint32_t
model_head_off(const struct model *m)
{
	return m->end - m->last_end < RHDR ? RS : m->last_end;
}

static uint64_t
model_live(const struct model *m)
{
	uint32_t ring = m->end - RS, d;

	if (!m->n)
		return 0;
	d = (model_head_off(m) + ring - model_tail_off(m)) % ring;
	return d ? d : ring;
}

static bool
overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

/* A live byte: in a live record, or in the marker before one, except the
 * tail's (the tail is the record itself). */
static bool
model_covers_live(const struct model *m, uint32_t off, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < m->n; i++) {
		const struct mrec *r = model_rec(m, i);

		if (overlap(off, len, r->off, rec_size(r->len)) ||
		    (i > 0 && r->mark && overlap(off, len, r->mark, RHDR)))
			return true;
	}
	return false;
}

static struct place
model_place(const struct model *m, uint32_t len)
{
	uint32_t p = m->last_end, need = rec_size(len);
	struct place pl = { .at = p };

	if (m->end - p < RHDR) {
		pl.at = RS;			/* the implicit wrap */
	} else if (p + need > m->end) {
		pl.mark = p;			/* a marker, then the ring start */
		pl.at = RS;
	}
	pl.room = !model_covers_live(m, pl.at, need) &&
		  !(pl.mark && model_covers_live(m, pl.mark, RHDR));
	return pl;
}

static void
model_push(struct model *m, uint32_t len, uint64_t seed, struct place pl)
{
	struct mrec *r = model_rec(m, m->n);

	ck_assert_uint_lt(m->n, m->cap);
	*r = (struct mrec){ .seq = m->head_seq++, .seed = seed, .off = pl.at, .len = len,
			    .mark = pl.mark, .crc = fingerprint(m->buf, len) };
	m->n++;
	m->last_end = pl.at + rec_size(len);
}

static void
model_pop(struct model *m, uint32_t k)
{
	m->first = (m->first + k) % m->cap;
	m->n -= k;
	m->tail_seq += k;
	if (!m->n)
		m->last_end = RS;
}

/* ---- checks against the model ------------------------------------------ */

static void
expect_state(const struct nvram_log *log, const struct model *m, const char *what, uint64_t step)
{
	expect(log->log_id == m->id, "%s, step %" PRIu64 ": expected log id %#x, saw %#x", what,
	       step, m->id, log->log_id);
	expect(log->tail_seq == m->tail_seq && log->head_seq == m->head_seq,
	       "%s, step %" PRIu64 ": expected seqs tail %" PRIu64 " head %" PRIu64
	       ", saw tail %" PRIu64 " head %" PRIu64, what, step, m->tail_seq, m->head_seq,
	       log->tail_seq, log->head_seq);
	expect(log->tail_off == model_tail_off(m) && log->head_off == model_head_off(m),
	       "%s, step %" PRIu64 ": expected offsets tail %u head %u, saw tail %u head %u",
	       what, step, model_tail_off(m), model_head_off(m), log->tail_off, log->head_off);
	expect(log->live_bytes == model_live(m),
	       "%s, step %" PRIu64 ": expected %" PRIu64 " live bytes, saw %" PRIu64, what, step,
	       model_live(m), log->live_bytes);
}

struct replay_ctx {
	const struct model *m;
	uint32_t i;		/* the model record expected next */
	uint32_t n;		/* records expected in all */
	bool exact;		/* compare the bytes, not fingerprints */
	uint8_t *buf;
	const char *what;
	uint64_t step;
};

static int
replay_check(uint64_t seq, const void *data, uint32_t len, void *arg)
{
	struct replay_ctx *c = arg;
	const struct mrec *r;

	expect(c->i < c->n, "%s, step %" PRIu64 ": replay handed seq %" PRIu64
	       " after the last expected one", c->what, c->step, seq);
	r = model_rec(c->m, c->i);
	expect(seq == r->seq && len == r->len, "%s, step %" PRIu64 ": expected seq %" PRIu64
	       " len %u, replay handed seq %" PRIu64 " len %u", c->what, c->step, r->seq, r->len,
	       seq, len);
	if (c->exact) {
		payload(c->buf, len, r->seed);
		expect(memcmp(data, c->buf, len) == 0, "%s, step %" PRIu64 ": seq %" PRIu64
		       " replayed with other bytes than appended", c->what, c->step, seq);
	} else {
		expect(fingerprint(data, len) == r->crc, "%s, step %" PRIu64 ": seq %" PRIu64
		       " replayed with other bytes than appended", c->what, c->step, seq);
	}
	c->i++;
	return 0;
}

/* Replay from @p from_seq hands the model's first @p n records from it on. */
static void
expect_replay_n(const struct nvram_log *log, const struct model *m, uint64_t from_seq,
		uint32_t n, bool exact, const char *what, uint64_t step)
{
	uint32_t first = from_seq <= m->tail_seq ? 0 :
		(uint32_t)RTE_MIN(from_seq - m->tail_seq, (uint64_t)n);
	struct replay_ctx c = { .m = m, .i = first, .n = n, .exact = exact, .buf = m->buf,
				.what = what, .step = step };
	int rc = nvram_log_replay(log, from_seq, replay_check, &c);

	expect(rc == (int)(n - first) && c.i == n, "%s, step %" PRIu64 ": replay from %" PRIu64
	       ": expected %u records, got %d", what, step, from_seq, n - first, rc);
}

static void
expect_replay(const struct nvram_log *log, const struct model *m, uint64_t from_seq, bool exact,
	      const char *what, uint64_t step)
{
	expect_replay_n(log, m, from_seq, m->n, exact, what, step);
}

/* A fresh open of @p base (a restart, or a takeover of a mirror) finds
 * the model's log. */
static void
expect_open(uint8_t *base, struct model *m, bool exact, const char *what, uint64_t step)
{
	struct nvram_log log;
	uint64_t from;
	int rc = nvram_log_open(&log, base, m->size);

	expect(rc == 0, "%s, step %" PRIu64 ": open: expected 0, got %d", what, step, rc);
	expect_state(&log, m, what, step);
	/* From the start, or from a seq inside or just outside the log. */
	switch (rng_below(&m->rng, 4)) {
	case 0:
		from = 0;
		break;
	case 1:
		from = m->tail_seq + rng_below(&m->rng, m->n + 2);
		break;
	default:
		from = m->tail_seq;
		break;
	}
	expect_replay(&log, m, from, exact, what, step);
}

/* ---- steps through the module and the model ------------------------------ */

struct tally {
	uint64_t appends, nospc, markers, implicit, full, checkpoints;
};

/*
 * Append @p len bytes to the log and to the model; the outcome, seq,
 * spans and state must be the model's. @return 0 or -ENOSPC.
 */
static int
step_append(struct nvram_log *log, struct model *m, uint32_t len, struct nvram_span spans[2],
	    unsigned int *nspans, struct tally *t, uint64_t step)
{
	struct place pl = model_place(m, len);
	uint64_t seed = rng_next(&m->rng), seq = 0;
	const struct nvram_span *rec;
	int rc;

	payload(m->buf, len, seed);
	*nspans = 0;
	rc = nvram_log_append(log, m->buf, len, &seq, spans, nspans);
	if (!pl.room) {
		expect(rc == -ENOSPC, "step %" PRIu64 ": append of %u bytes (tail %u, head %u, "
		       "%u live): expected -ENOSPC, got %d", step, len, model_tail_off(m),
		       model_head_off(m), m->n, rc);
		expect_state(log, m, "after -ENOSPC", step);
		t->nospc++;
		return -ENOSPC;
	}
	expect(rc == 0, "step %" PRIu64 ": append of %u bytes at %u (tail %u, %u live): "
	       "expected room, got %d", step, len, pl.at, model_tail_off(m), m->n, rc);
	expect(seq == m->head_seq, "step %" PRIu64 ": expected seq %" PRIu64 ", got %" PRIu64,
	       step, m->head_seq, seq);
	expect(*nspans == (pl.mark ? 2u : 1u), "step %" PRIu64 ": expected %u spans, got %u",
	       step, pl.mark ? 2u : 1u, *nspans);
	if (pl.mark) {
		expect(spans[0].off == pl.mark && spans[0].len == RHDR, "step %" PRIu64
		       ": expected the marker span [%u, +%u), got [%u, +%u)", step, pl.mark, RHDR,
		       spans[0].off, spans[0].len);
		t->markers++;
	}
	rec = &spans[*nspans - 1];
	expect(rec->off == pl.at && rec->len == rec_size(len), "step %" PRIu64 ": expected the "
	       "record span [%u, +%u), got [%u, +%u)", step, pl.at, rec_size(len), rec->off,
	       rec->len);
	model_push(m, len, seed, pl);
	if (m->end - m->last_end < RHDR)
		t->implicit++;
	if (model_head_off(m) == model_tail_off(m))
		t->full++;
	t->appends++;
	expect_state(log, m, "after append", step);
	return 0;
}

/* Checkpoint the @p k oldest records. */
static void
step_checkpoint(struct nvram_log *log, struct model *m, uint32_t k, struct nvram_span *span,
		struct tally *t, uint64_t step)
{
	uint64_t upto = m->tail_seq + k - 1, hdr_seq = log->hdr_seq;
	int rc;

	span[0] = span[1] = (struct nvram_span){ 0, 0 };
	rc = nvram_log_checkpoint(log, upto, span);
	expect(rc == 0, "step %" PRIu64 ": checkpoint %" PRIu64 " (live %" PRIu64 "..%" PRIu64
	       "): expected 0, got %d", step, upto, m->tail_seq, m->head_seq - 1, rc);
	expect(span[0].off == 0 && span[0].len == HL && span[1].off == HL && span[1].len == HL,
	       "step %" PRIu64 ": expected the header spans [0, +64), [64, +64), got [%u, +%u), "
	       "[%u, +%u)", step, span[0].off, span[0].len, span[1].off, span[1].len);
	expect(log->hdr_seq == hdr_seq + 1, "step %" PRIu64 ": header sequence %" PRIu64
	       " after a checkpoint, expected %" PRIu64, step, log->hdr_seq, hdr_seq + 1);
	model_pop(m, k);
	t->checkpoints++;
	expect_state(log, m, "after checkpoint", step);
}

/* Record size in bytes -> a payload length that takes exactly that, or 0. */
static uint32_t
len_for_size(struct model *m, uint64_t size)
{
	uint32_t len;

	if (size < rec_size(1) || size % 8)
		return 0;
	len = size - RHDR - rng_below(&m->rng, 8);
	return len >= 1 && len <= m->max ? len : 0;
}

/*
 * Mostly small records, some large; now and then one that ends exactly at
 * (or 8, 16 bytes before) the ring end, that fills the ring up to the tail,
 * or that is 8 bytes too large for either.
 */
static uint32_t
pick_len(struct model *m, uint32_t small)
{
	uint32_t r = rng_below(&m->rng, 32), len = 0, p = m->last_end;
	uint32_t head = model_head_off(m), tail = model_tail_off(m);
	uint32_t over = rng_below(&m->rng, 4) == 0 ? 8 : 0;

	if (r == 0 && m->end - p >= RHDR)
		len = len_for_size(m, (uint64_t)m->end - p - 8 * rng_below(&m->rng, 3) + over);
	else if (r == 1 && m->n && head < tail)
		len = len_for_size(m, (uint64_t)tail - head + over);
	if (len)
		return len;
	if (r < 20)
		return rng_range(&m->rng, 1, small);
	if (r < 28)
		return rng_range(&m->rng, 1, RTE_MIN(16 * small, m->max));
	return rng_range(&m->rng, 1, m->max);
}

/* ---- round trips --------------------------------------------------------- */

START_TEST(empty_log_opens_empty)
{
	static const size_t sizes[] = { NVRAM_LOG_MIN, NVRAM_LOG_MIN + 7, 65536, 1 << 20 };
	struct nvram_span spans[2];
	struct nvram_log log;
	struct model m;
	unsigned int i;

	for (i = 0; i < RTE_DIM(sizes); i++) {
		model_init(&m, sizes[i], i);
		ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
		ck_assert_ptr_eq(log.base, m.base);
		ck_assert_uint_eq(log.size, sizes[i]);
		expect_state(&log, &m, "empty", i);
		ck_assert_msg(log.tail_seq == 1 && log.tail_off == RS,
			      "expected tail 1 at %u, saw %" PRIu64 " at %u", RS, log.tail_seq,
			      log.tail_off);
		expect_replay(&log, &m, 0, true, "empty", i);
		ck_assert_int_eq(nvram_log_spans_from(&log, 1, spans), 0);
		model_free(&m);
	}
}
END_TEST

/* The bytes nvram_log.h describes, written by hand, are the module's. */
START_TEST(layout_is_the_documented_one)
{
	static const char hello[] = "hello";
	uint8_t *base = calloc(1, NVRAM_LOG_MIN + 4), want[1024];
	uint32_t end = NVRAM_LOG_MIN, big = (end - RS) / 4, off;
	struct nvram_span spans[2], span[2];
	struct nvram_log log;
	unsigned int n;
	uint64_t seq;

	ck_assert_ptr_nonnull(base);
	/* The CRC is zlib's: the check value of "123456789". */
	ck_assert_uint_eq(ref_crc32(0, "123456789", 9), 0xcbf43926u);
	ck_assert_uint_eq(crc32_gzip_refl(0, (const uint8_t *)"123456789", 9), 0xcbf43926u);

	ck_assert_int_eq(nvram_log_format(base, NVRAM_LOG_MIN + 4, ID), 0);
	forge_hdr(want, NVRAM_LOG_MIN + 4, LAYOUT, RS, end, 1, RS, ID);
	ck_assert_msg(memcmp(base, want, 2 * HL) == 0, "formatted header differs from the layout");
	ck_assert_uint_eq(RS, 128);
	ck_assert_uint_eq(ref_get32(base), 0x474c564eu);
	ck_assert_uint_eq(ref_get16(base + 4), 3);
	ck_assert_uint_eq(ref_get16(base + 6), 0);
	ck_assert_uint_eq(ref_get16(base + HL + 6), 1);
	ck_assert_uint_eq(ref_get32(base + 16), 128);
	ck_assert_uint_eq(ref_get32(base + 36), ID);
	ck_assert_uint_eq(ref_get64(base + 40), 1);
	ck_assert_uint_eq(ref_get32(base + 60), ref_crc32(0, base, 60));
	ck_assert_uint_eq(ref_get32(base + HL + 60), ref_crc32(0, base + HL, 60));

	ck_assert_int_eq(nvram_log_open(&log, base, NVRAM_LOG_MIN + 4), 0);
	ck_assert_uint_eq(log.log_id, ID);
	ck_assert_uint_eq(log.hdr_seq, 1);
	ck_assert_int_eq(nvram_log_append(&log, hello, 5, &seq, spans, &n), 0);
	ck_assert_uint_eq(seq, 1);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(spans[0].off, RS);
	ck_assert_uint_eq(spans[0].len, 32);
	forge_rec(want, 5, 1, 0, hello, ID);
	ck_assert_msg(memcmp(base + RS, want, 32) == 0, "record differs from the layout");
	ck_assert_uint_eq(ref_get32(base + RS), 0x4352564eu);
	ck_assert_uint_eq(ref_get32(base + RS + 4), 5);
	ck_assert_uint_eq(ref_get64(base + RS + 8), 1);
	ck_assert_uint_eq(ref_get32(base + RS + 16), ref_rec_crc(ID, base + RS, 5));
	ck_assert_uint_ne(ref_get32(base + RS + 16), ref_rec_crc(ID ^ 1, base + RS, 5));
	ck_assert_uint_eq(ref_get32(base + RS + 20), 0);
	ck_assert_uint_eq(log.head_off, RS + 32);

	/* Large records until the next one does not fit before the end. */
	memset(want, 0x5a, sizeof(want));
	for (off = RS + 32; off + rec_size(big) <= end; off += rec_size(big)) {
		uint8_t *data = calloc(1, big);

		ck_assert_int_eq(nvram_log_append(&log, data, big, &seq, spans, &n), 0);
		ck_assert_uint_eq(spans[0].off, off);
		free(data);
	}
	/* Then one that leaves 40 bytes: a marker fits, the next record not. */
	ck_assert_uint_le(end - 40 - off - RHDR, sizeof(want));
	ck_assert_int_eq(nvram_log_append(&log, want, end - 40 - off - RHDR, &seq, spans, &n), 0);
	off = end - 40;
	ck_assert_uint_eq(log.head_off, off);
	ck_assert_int_eq(nvram_log_checkpoint(&log, 2, span), 0);
	ck_assert_uint_eq(span[0].off, 0);
	ck_assert_uint_eq(span[0].len, 64);
	ck_assert_uint_eq(span[1].off, 64);
	ck_assert_uint_eq(span[1].len, 64);
	for (n = 0; n < 2; n++) {
		const uint8_t *h = base + n * HL;

		ck_assert_uint_eq(ref_get16(h + 6), n);
		ck_assert_uint_eq(ref_get64(h + 24), 3);
		ck_assert_uint_eq(ref_get32(h + 32), RS + 32 + rec_size(big));
		ck_assert_uint_eq(ref_get64(h + 40), 2);
		ck_assert_uint_eq(ref_get32(h + 60), ref_crc32(0, h, 60));
	}

	/* The wrap marker: the seq of the record after it, length 0, flags 1. */
	ck_assert_int_eq(nvram_log_append(&log, want, 64, &seq, spans, &n), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(spans[0].off, off);
	ck_assert_uint_eq(spans[0].len, RHDR);
	ck_assert_uint_eq(spans[1].off, RS);
	ck_assert_uint_eq(spans[1].len, rec_size(64));
	{
		uint8_t mark[RHDR], rec[RHDR + 64];

		forge_rec(mark, 0, seq, 1, NULL, ID);
		forge_rec(rec, 64, seq, 0, want, ID);
		ck_assert_msg(memcmp(base + off, mark, RHDR) == 0,
			      "marker differs from the layout");
		ck_assert_msg(memcmp(base + RS, rec, sizeof(rec)) == 0,
			      "record after the marker differs from the layout");
	}
	free(base);
}
END_TEST

/* Every payload length from 1 to the largest, with random bytes. */
START_TEST(every_size_round_trips)
{
	static const size_t sizes[] = { NVRAM_LOG_MIN, 65536 + 4 };
	struct nvram_span spans[2], span[2];
	struct tally t = { 0 };
	struct nvram_log log;
	unsigned int i, n;
	struct model m;
	uint32_t len;

	for (i = 0; i < RTE_DIM(sizes); i++) {
		model_init(&m, sizes[i], 100 + i);
		ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
		for (len = 1; len <= m.max; len++) {
			/* The large ring: all lengths to 64, a sample, the top. */
			if (i == 1 && len > 64 && len < m.max - 16 && len % 97 != 7 &&
			    len % 256 > 2)
				continue;
			if (step_append(&log, &m, len, spans, &n, &t, len) == -ENOSPC) {
				step_checkpoint(&log, &m, m.n, span, &t, len);
				ck_assert_int_eq(step_append(&log, &m, len, spans, &n, &t, len), 0);
			}
			expect_open(m.base, &m, true, "round trip", len);
		}
		ck_assert_uint_eq(m.head_seq - 1, t.appends);
		model_free(&m);
		t.appends = 0;
	}
	ck_assert_uint_gt(t.nospc, 0);
}
END_TEST

/*
 * Format forgets the old log: records of the same sizes, whose seqs start
 * at 1 again, never meet the old ones where they were.
 */
START_TEST(format_forgets_the_old_log)
{
	static const uint8_t data[200];
	struct nvram_span spans[2];
	struct nvram_log log;
	uint8_t *base = malloc(8192);
	unsigned int i, n;
	uint64_t seq;

	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(nvram_log_format(base, 8192, ID), 0);
	ck_assert_int_eq(nvram_log_open(&log, base, 8192), 0);
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(nvram_log_append(&log, data, sizeof(data), &seq, spans, &n), 0);
	ck_assert_int_eq(nvram_log_format(base, 8192, ID + 1), 0);
	ck_assert_int_eq(nvram_log_open(&log, base, 8192), 0);
	ck_assert_uint_eq(log.head_seq, 1);
	ck_assert_uint_eq(log.log_id, ID + 1);
	for (i = 1; i <= 5; i++) {
		ck_assert_int_eq(nvram_log_append(&log, data, sizeof(data), &seq, spans, &n), 0);
		ck_assert_int_eq(nvram_log_open(&log, base, 8192), 0);
		ck_assert_msg(log.head_seq == i + 1, "after format and %u appends: expected "
			      "head %u, saw %" PRIu64, i, i + 1, log.head_seq);
	}
	free(base);
}
END_TEST

/* A restart: a fresh struct on the same bytes is the same log. */
START_TEST(reopen_finds_the_same_head)
{
	struct nvram_span spans[2], span[2];
	struct nvram_log log, again;
	struct tally t = { 0 };
	struct model m;
	unsigned int n;
	uint64_t step;

	model_init(&m, 16384, 7);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	for (step = 0; step < 3000; step++) {
		if (step_append(&log, &m, pick_len(&m, 200), spans, &n, &t, step) == -ENOSPC)
			step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n), span, &t, step);
		ck_assert_int_eq(nvram_log_open(&again, m.base, m.size), 0);
		expect(again.base == log.base && again.size == log.size &&
		       again.log_id == log.log_id && again.tail_seq == log.tail_seq &&
		       again.tail_off == log.tail_off && again.head_seq == log.head_seq &&
		       again.head_off == log.head_off && again.live_bytes == log.live_bytes,
		       "step %" PRIu64 ": reopened: head %" PRIu64 " at %u, tail %" PRIu64
		       " at %u; expected head %" PRIu64 " at %u, tail %" PRIu64 " at %u", step,
		       again.head_seq, again.head_off, again.tail_seq, again.tail_off, log.head_seq,
		       log.head_off, log.tail_seq, log.tail_off);
		/* And the reopened one carries on where the first left off. */
		if (step % 100 == 99)
			log = again;
	}
	ck_assert_uint_gt(t.markers, 10);
	model_free(&m);
}
END_TEST

struct stop_ctx {
	unsigned int calls, stop_at;
	int ret;
	uint64_t last;
};

static int
stop_cb(uint64_t seq, const void *data, uint32_t len, void *arg)
{
	struct stop_ctx *c = arg;

	(void)data;
	(void)len;
	c->last = seq;
	return ++c->calls == c->stop_at ? c->ret : 0;
}

START_TEST(replay_starts_at_from_seq_and_stops_on_callback)
{
	struct nvram_span spans[2], span[2];
	struct tally t = { 0 };
	struct nvram_log log;
	struct stop_ctx c = { 0 };
	struct model m;
	unsigned int n;
	uint64_t from;

	model_init(&m, 8192, 3);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	while (m.n < 12)
		step_append(&log, &m, rng_range(&m.rng, 1, 300), spans, &n, &t, m.n);
	step_checkpoint(&log, &m, 4, span, &t, 0);
	for (from = 0; from <= m.head_seq + 2; from++)
		expect_replay(&log, &m, from, true, "from", from);
	ck_assert_int_eq(nvram_log_replay(&log, UINT64_MAX, stop_cb, &c), 0);

	c = (struct stop_ctx){ .stop_at = 3, .ret = -42 };
	ck_assert_int_eq(nvram_log_replay(&log, 0, stop_cb, &c), -42);
	ck_assert_uint_eq(c.calls, 3);
	ck_assert_uint_eq(c.last, m.tail_seq + 2);
	c = (struct stop_ctx){ .stop_at = 1, .ret = 5 };
	ck_assert_int_eq(nvram_log_replay(&log, m.tail_seq + 5, stop_cb, &c), 5);
	ck_assert_uint_eq(c.last, m.tail_seq + 5);
	model_free(&m);
}
END_TEST

/* ---- wrap-around --------------------------------------------------------- */

/*
 * Many laps with random sizes and checkpoints: after every step a fresh
 * open replays exactly the live records, and -ENOSPC comes exactly when
 * the model finds the record (or its marker) would cover a live byte.
 */
START_TEST(many_laps_replay_the_live_records)
{
	struct nvram_span spans[2], span[2];
	struct tally t = { 0 };
	struct nvram_log log;
	struct model m;
	unsigned int n;
	uint64_t step;

	model_init(&m, 65536, 11);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	for (step = 0; step < 100000; step++) {
		if (step_append(&log, &m, pick_len(&m, 64), spans, &n, &t, step) == -ENOSPC)
			step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n), span, &t, step);
		else if (m.n && rng_below(&m.rng, 32) == 0)
			step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n), span, &t, step);
		expect_open(m.base, &m, false, "restart", step);
	}
	ck_assert_msg(t.appends > 50000 && t.nospc > 1000 && t.markers + t.implicit > 1000 &&
		      t.implicit > 50 && t.full > 50, "coverage: %" PRIu64 " appends, %" PRIu64
		      " -ENOSPC, %" PRIu64 " markers, %" PRIu64 " implicit wraps, %" PRIu64
		      " full rings", t.appends, t.nospc, t.markers, t.implicit, t.full);
	model_free(&m);
}
END_TEST

/* ---- the mirror ------------------------------------------------------------ */

static void
apply(uint8_t *mirror, const uint8_t *base, const struct nvram_span *spans, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		memcpy(mirror + spans[i].off, base + spans[i].off, spans[i].len);
}

static uint8_t *
mirror_new(struct model *m)
{
	uint8_t *mirror = malloc(m->size);

	ck_assert_ptr_nonnull(mirror);
	rng_fill(&m->rng, mirror, m->size);
	ck_assert_int_eq(nvram_log_format(mirror, m->size, m->id), 0);
	return mirror;
}

/*
 * A mirror that receives only the spans (records, then checkpoints'
 * headers) opens like the log at every step. Now and then the partner is
 * away for a while; then spans_from() of its head (or of our tail) and the
 * header bring it back.
 */
START_TEST(mirror_of_the_spans_opens_like_the_log)
{
	unsigned int n, resyncs = 0, split = 0;
	struct nvram_span spans[2], span[2];
	uint64_t step, away_until = 0;
	struct nvram_log log, mlog;
	struct tally t = { 0 };
	uint8_t *mirror;
	struct model m;
	uint64_t from;
	bool up;
	int rc;

	model_init(&m, 16384 + 40, 12);
	mirror = mirror_new(&m);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	for (step = 0; step < 40000; step++) {
		up = step >= away_until;
		rc = step_append(&log, &m, pick_len(&m, 100), spans, &n, &t, step);
		if (rc == 0 && up)
			apply(mirror, m.base, spans, n);
		if (m.n && (rc == -ENOSPC || rng_below(&m.rng, 16) == 0)) {
			step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n), span, &t, step);
			if (up)
				apply(mirror, m.base, span, 2);
		}
		if (up && rng_below(&m.rng, 500) == 0)
			away_until = step + rng_range(&m.rng, 1, 1500);
		if (!up && step + 1 == away_until) {
			/* Back: resend what it lacks, from its head or our tail,
			 * then the header. */
			ck_assert_int_eq(nvram_log_open(&mlog, mirror, m.size), 0);
			from = RTE_MAX(mlog.head_seq, m.tail_seq);
			rc = nvram_log_spans_from(&log, from, spans);
			expect(rc >= 0 && rc <= 2, "step %" PRIu64 ": spans_from(%" PRIu64
			       "): got %d", step, from, rc);
			apply(mirror, m.base, spans, rc);
			nvram_log_hdr_spans(span);
			apply(mirror, m.base, span, 2);
			resyncs++;
			split += rc == 2;
			up = true;
		}
		expect_open(m.base, &m, false, "restart", step);
		if (up)
			expect_open(mirror, &m, false, "mirror", step);
	}
	ck_assert_msg(resyncs > 20 && split > 0 && t.markers > 100 && t.nospc > 100,
		      "coverage: %u resyncs, %u over the wrap, %" PRIu64 " markers, %" PRIu64
		      " -ENOSPC", resyncs, split, t.markers, t.nospc);
	free(mirror);
	model_free(&m);
}
END_TEST

static bool
same_spans(const struct nvram_span *a, const struct nvram_span *b, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (a[i].off != b[i].off || a[i].len != b[i].len)
			return false;
	return true;
}

/*
 * spans_from(seq) for every seq from the tail to the head: a mirror whose
 * bytes from there on are lost opens with the records before seq, and
 * with all of them once it gets those spans. From the newest record, they
 * are the append's own.
 */
START_TEST(spans_from_every_seq_complete_a_mirror)
{
	struct nvram_span spans[2], span[2], got[2];
	struct nvram_log mlog, log;
	struct tally t = { 0 };
	uint8_t *mirror, *copy;
	uint64_t step, seq;
	unsigned int n, i;
	struct model m;
	int rc;

	model_init(&m, 8192, 13);
	mirror = mirror_new(&m);
	copy = malloc(m.size);
	ck_assert_ptr_nonnull(copy);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	for (step = 0; step < 400; step++) {
		if (step_append(&log, &m, pick_len(&m, 150), spans, &n, &t, step) == -ENOSPC) {
			step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n), span, &t, step);
			apply(mirror, m.base, span, 2);
			continue;
		}
		apply(mirror, m.base, spans, n);
		rc = nvram_log_spans_from(&log, m.head_seq - 1, got);
		expect(rc == (int)n && same_spans(spans, got, n), "step %" PRIu64 ": spans_from "
		       "the newest record: %d spans, not the append's %u", step, rc, n);
		for (seq = m.tail_seq; seq <= m.head_seq; seq++) {
			memcpy(copy, mirror, m.size);
			rc = nvram_log_spans_from(&log, seq, got);
			expect(rc >= (seq < m.head_seq) && rc <= 2, "step %" PRIu64 ": spans_from(%"
			       PRIu64 ") of %" PRIu64 "..%" PRIu64 ": got %d", step, seq,
			       m.tail_seq, m.head_seq, rc);
			for (i = 0; i < (unsigned int)rc; i++)
				rng_fill(&m.rng, copy + got[i].off, got[i].len);
			ck_assert_int_eq(nvram_log_open(&mlog, copy, m.size), 0);
			expect(mlog.head_seq == seq, "step %" PRIu64 ": lost spans_from(%" PRIu64
			       ") and the mirror's head is %" PRIu64, step, seq, mlog.head_seq);
			apply(copy, m.base, got, rc);
			expect_open(copy, &m, false, "spans_from", seq);
		}
	}
	ck_assert_uint_gt(t.markers, 10);
	free(copy);
	free(mirror);
	model_free(&m);
}
END_TEST

/* The partner takes over a copy of the mirror: it appends its own record
 * at the head, and finds it there after a restart. */
static void
expect_takeover(const uint8_t *mirror, uint8_t *take, size_t size, uint64_t head)
{
	struct stop_ctx c = { 0 };
	struct nvram_span spans[2];
	struct nvram_log log;
	unsigned int n;
	uint64_t seq;

	memcpy(take, mirror, size);
	ck_assert_int_eq(nvram_log_open(&log, take, size), 0);
	ck_assert_int_eq(nvram_log_append(&log, "takeover", 8, &seq, spans, &n), 0);
	ck_assert_uint_eq(seq, head);
	ck_assert_int_eq(nvram_log_open(&log, take, size), 0);
	ck_assert_uint_eq(log.head_seq, head + 1);
	ck_assert_int_eq(nvram_log_replay(&log, head, stop_cb, &c), 1);
	ck_assert_uint_eq(c.last, head);
}

/* New records of the log formatted again, as replay must hand them. */
struct new_ctx {
	uint64_t next;		/* seq expected */
	uint8_t buf[200];
};

static int
new_check(uint64_t seq, const void *data, uint32_t len, void *arg)
{
	struct new_ctx *c = arg;

	expect(seq == c->next && len == sizeof(c->buf), "replay handed seq %" PRIu64 " len %u, "
	       "expected seq %" PRIu64 " len %zu", seq, len, c->next, sizeof(c->buf));
	payload(c->buf, len, 1000 + seq);
	expect(memcmp(data, c->buf, len) == 0, "seq %" PRIu64 ": another log's bytes", seq);
	c->next++;
	return 0;
}

/*
 * A region formatted again while the mirror still holds the old log's
 * records: the shadow sends the mirror the header and the live spans,
 * never the zeroed ring. Records of the same size start again at seq 1 at
 * the ring start, so the old record after the new head sits where the next
 * one goes, with the seq the walk expects; a mirror opened then (a
 * takeover) must find the new records only.
 */
START_TEST(reformat_refuses_the_old_logs_records)
{
	enum { OLD = 24, NEW = 5 };
	const uint32_t size = 8192, id_old = 0x0dd1d001u, id_new = 0x0dd1d002u;
	uint8_t *base = malloc(size), *mirror = malloc(size), *take = malloc(size);
	struct nvram_span spans[2], hdr = { 0, NVRAM_LOG_HDR_LEN };
	struct nvram_log log, mlog, before;
	struct new_ctx c;
	uint8_t data[sizeof(c.buf)];
	unsigned int n, i;
	uint64_t seq;
	int rc;

	ck_assert_ptr_nonnull(base);
	ck_assert_ptr_nonnull(mirror);
	ck_assert_ptr_nonnull(take);
	ck_assert_uint_le(OLD * rec_size(sizeof(data)), size - RS);
	ck_assert_int_eq(nvram_log_format(base, size, id_old), 0);
	memcpy(mirror, base, size);
	ck_assert_int_eq(nvram_log_open(&log, base, size), 0);
	for (i = 1; i <= OLD; i++) {
		payload(data, sizeof(data), 5000 + i);
		ck_assert_int_eq(nvram_log_append(&log, data, sizeof(data), &seq, spans, &n), 0);
		apply(mirror, base, spans, n);
	}
	ck_assert_int_eq(nvram_log_open(&before, mirror, size), 0);
	ck_assert_uint_eq(before.head_seq, OLD + 1);

	/* Formatted again; the mirror gets the header, and the new records. */
	ck_assert_int_eq(nvram_log_format(base, size, id_new), 0);
	apply(mirror, base, &hdr, 1);
	ck_assert_int_eq(nvram_log_open(&log, base, size), 0);
	for (i = 0; i <= NEW; i++) {
		ck_assert_int_eq(nvram_log_open(&mlog, mirror, size), 0);
		expect(mlog.log_id == id_new && mlog.tail_seq == 1 && mlog.head_seq == i + 1 &&
		       mlog.head_off == RS + i * rec_size(sizeof(data)), "mirror with %u new "
		       "records over %u old: head %" PRIu64 " at %u, expected %u at %u", i, OLD,
		       mlog.head_seq, mlog.head_off, i + 1, RS + i * rec_size(sizeof(data)));
		c.next = 1;
		rc = nvram_log_replay(&mlog, 0, new_check, &c);
		expect(rc == (int)i && c.next == i + 1, "mirror after %u new records: replay "
		       "handed %d", i, rc);
		if (i == NEW)
			break;
		payload(data, sizeof(data), 1000 + i + 1);
		ck_assert_int_eq(nvram_log_append(&log, data, sizeof(data), &seq, spans, &n), 0);
		ck_assert_uint_eq(seq, i + 1);
		apply(mirror, base, spans, n);
	}
	/* What the old one was opened on is no longer its log. */
	c.next = 1;
	ck_assert_int_eq(nvram_log_replay(&before, 0, new_check, &c), -EBADMSG);
	ck_assert_uint_eq(c.next, 1);
	/* The partner takes over: its first record overwrites the old one. */
	expect_takeover(mirror, take, size, NEW + 1);
	free(take);
	free(mirror);
	free(base);
}
END_TEST

/* ---- crash safety ---------------------------------------------------------- */

/*
 * Three times in four, a length that heads for the ring end, and there
 * ends at it or 8 or 16 bytes before (the implicit wrap), leaves room for a
 * marker only, or is a little more than is left (a marker).
 */
static uint32_t
pick_len_wrapping(struct model *m)
{
	uint32_t kind = rng_below(&m->rng, 4), left = m->end - m->last_end, len = 0;

	if (kind < 3 && left > rec_size(m->max) + 64)
		len = rng_range(&m->rng, m->max / 2, m->max);
	else if (kind == 0 && left >= rec_size(1) + 16)
		len = len_for_size(m, left - 8 * rng_below(&m->rng, 3));
	else if (kind == 1 && left >= rec_size(1) + 64)
		len = len_for_size(m, left - 8 * rng_range(&m->rng, 3, 8));
	else if (kind == 2 && left >= RHDR)
		len = len_for_size(m, left + 8 * rng_range(&m->rng, 1, 8));
	return len ? len : pick_len(m, 400);
}

/*
 * The copy of a record's spans to the mirror stops after every byte: the
 * mirror opens with every record before it, and with it only when all its
 * bytes arrived (or were there already). A partner that takes over the torn
 * mirror carries on from there.
 */
START_TEST(torn_copy_keeps_the_records_before)
{
	struct nvram_span spans[2], span[2];
	struct nvram_log log, mlog;
	struct tally t = { 0 };
	uint8_t *mirror, *take;
	uint64_t iter, seq;
	uint32_t head_before, total, b, k, missing, takeovers = 0;
	unsigned int n, i;
	struct model m;

	model_init(&m, 8192, 21);
	mirror = mirror_new(&m);
	take = malloc(m.size);
	ck_assert_ptr_nonnull(take);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	/* Laps first, so that the mirror's old bytes are old records. */
	for (iter = 0; iter < 2000; iter++) {
		if (step_append(&log, &m, pick_len(&m, 400), spans, &n, &t, iter) == -ENOSPC) {
			step_checkpoint(&log, &m, m.n, span, &t, iter);
			apply(mirror, m.base, span, 2);
		} else {
			apply(mirror, m.base, spans, n);
		}
	}
	t = (struct tally){ 0 };
	for (iter = 0; iter < 400; iter++) {
		if (m.n > 3) {
			step_checkpoint(&log, &m, m.n - rng_range(&m.rng, 1, 3), span, &t, iter);
			apply(mirror, m.base, span, 2);
		}
		head_before = model_head_off(&m);
		seq = m.head_seq;
		if (step_append(&log, &m, pick_len_wrapping(&m), spans, &n, &t, iter) == -ENOSPC)
			continue;
		for (i = 0, total = 0, missing = 0; i < n; i++) {
			total += spans[i].len;
			for (k = 0; k < spans[i].len; k++)
				missing += mirror[spans[i].off + k] != m.base[spans[i].off + k];
		}
		for (b = 0, i = 0, k = 0; b <= total; b++) {
			ck_assert_int_eq(nvram_log_open(&mlog, mirror, m.size), 0);
			if (missing == 0) {
				expect_state(&mlog, &m, "whole", iter);
				expect_replay(&mlog, &m, 0, false, "whole", iter);
			} else {
				expect(mlog.head_seq == seq && mlog.head_off == head_before &&
				       mlog.tail_seq == m.tail_seq, "iter %" PRIu64 ", torn "
				       "after %u of %u bytes: expected head %" PRIu64 " at %u, "
				       "saw %" PRIu64 " at %u", iter, b, total, seq, head_before,
				       mlog.head_seq, mlog.head_off);
				expect_replay_n(&mlog, &m, 0, m.n - 1, false, "torn", iter);
			}
			if (b % 61 == 17) {
				expect_takeover(mirror, take, m.size, mlog.head_seq);
				takeovers++;
			}
			if (b == total)
				break;
			/* The next byte arrives. */
			if (k == spans[i].len) {
				i++;
				k = 0;
			}
			missing -= mirror[spans[i].off + k] != m.base[spans[i].off + k];
			mirror[spans[i].off + k] = m.base[spans[i].off + k];
			k++;
		}
	}
	ck_assert_msg(t.appends > 300 && t.markers > 20 && t.implicit > 3 && takeovers > 100,
		      "coverage: %" PRIu64 " records, %" PRIu64 " markers, %" PRIu64
		      " implicit wraps, %u takeovers", t.appends, t.markers, t.implicit, takeovers);
	free(take);
	free(mirror);
	model_free(&m);
}
END_TEST

/*
 * Every record ever appended, by seq, for checks of replays that may start
 * before the model's tail (a header copy from before a checkpoint).
 */
struct history {
	uint32_t *crc, *len;
	uint64_t cap;
};

static void
history_note(struct history *h, const struct model *m)
{
	const struct mrec *r = model_rec(m, m->n - 1);

	ck_assert_uint_lt(r->seq, h->cap);
	h->crc[r->seq] = r->crc;
	h->len[r->seq] = r->len;
}

struct prefix_ctx {
	const struct history *h;
	uint64_t first, last;	/* 0: none yet */
	const char *what;
	uint64_t at;
};

/* Consecutive seqs, each with the bytes appended under it. */
static int
prefix_check(uint64_t seq, const void *data, uint32_t len, void *arg)
{
	struct prefix_ctx *c = arg;

	expect(seq < c->h->cap && c->h->len[seq] == len &&
	       fingerprint(data, len) == c->h->crc[seq], "%s, %" PRIu64 ": replay handed seq %"
	       PRIu64 " (len %u) with other bytes than appended", c->what, c->at, seq, len);
	expect(c->last == 0 || seq == c->last + 1, "%s, %" PRIu64 ": seq %" PRIu64 " after %"
	       PRIu64, c->what, c->at, seq, c->last);
	if (c->first == 0)
		c->first = seq;
	c->last = seq;
	return 0;
}

/* @p base opens, replays appended records in order, and holds at least
 * seqs lo..hi (none if lo > hi). */
static void
expect_holds(uint8_t *base, size_t size, const struct history *h, uint64_t lo, uint64_t hi,
	     const char *what, uint64_t at)
{
	struct prefix_ctx c = { .h = h, .what = what, .at = at };
	struct nvram_log log;
	int rc = nvram_log_open(&log, base, size);

	expect(rc == 0, "%s, %" PRIu64 ": open: %d", what, at, rc);
	rc = nvram_log_replay(&log, 0, prefix_check, &c);
	expect(rc >= 0, "%s, %" PRIu64 ": replay: %d", what, at, rc);
	expect(lo > hi || (c.first != 0 && c.first <= lo && c.last >= hi), "%s, %" PRIu64
	       ": expected seqs %" PRIu64 "..%" PRIu64 " at least, replay held %" PRIu64 "..%"
	       PRIu64, what, at, lo, hi, c.first, c.last);
}

/* A byte range written in order, for tearing. */
struct wr {
	uint32_t off, len;
};

/*
 * The log's region torn after each of the first @p total bytes of @p w
 * (@p nw ranges, in that order), from @p before to the log's bytes now:
 * each state opens and holds seqs lo..hi (what was acknowledged before
 * the write, and still live after it).
 */
static unsigned int
tear_each_byte(const uint8_t *before, const uint8_t *after, size_t size, const struct wr *w,
	       unsigned int nw, const struct history *h, uint64_t lo, uint64_t hi,
	       const char *what, uint8_t *scratch)
{
	unsigned int i, k, states = 0;
	uint64_t b = 0;

	memcpy(scratch, before, size);
	expect_holds(scratch, size, h, lo, hi, what, b);
	for (i = 0; i < nw; i++)
		for (k = 0; k < w[i].len; k++) {
			scratch[w[i].off + k] = after[w[i].off + k];
			expect_holds(scratch, size, h, lo, hi, what, ++b);
			states++;
		}
	return states;
}

/*
 * A crash at every byte of a checkpoint (both header copies, in the order
 * written): the log opens with every record that is live after it; before
 * copy 0 is whole, with the tail before the checkpoint.
 */
START_TEST(torn_checkpoint_loses_no_live_record)
{
	struct nvram_span spans[2], span[2];
	struct history h = { .cap = 20000 };
	struct tally t = { 0 };
	struct nvram_log log, got;
	uint8_t *before, *scratch;
	uint64_t step, old_tail;
	unsigned int n, torn = 0;
	struct model m;
	bool whole;
	uint32_t b;

	model_init(&m, 8192, 41);
	h.crc = calloc(h.cap, sizeof(*h.crc));
	h.len = calloc(h.cap, sizeof(*h.len));
	before = malloc(m.size);
	scratch = malloc(m.size);
	ck_assert(h.crc && h.len && before && scratch);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	for (step = 0; step < 3000; step++) {
		if (step_append(&log, &m, pick_len(&m, 300), spans, &n, &t, step) == 0) {
			history_note(&h, &m);
			if (rng_below(&m.rng, 8) != 0 || m.n < 2)
				continue;
		} else if (m.n == 0) {
			continue;
		}
		memcpy(before, m.base, m.size);
		old_tail = m.tail_seq;
		step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n), span, &t, step);
		ck_assert_uint_eq(span[0].off + span[0].len, span[1].off);
		memcpy(scratch, before, m.size);
		for (b = 0; b <= 2 * HL; b++) {
			if (b > 0)
				scratch[b - 1] = m.base[b - 1];
			ck_assert_int_eq(nvram_log_open(&got, scratch, m.size), 0);
			/* Copy 0 whole (its last bytes may be unchanged): the new
			 * tail; torn: copy 1, the old. */
			whole = memcmp(scratch, m.base, HL) == 0;
			expect(got.tail_seq == (whole ? m.tail_seq : old_tail) &&
			       got.head_seq == m.head_seq, "step %" PRIu64 ", checkpoint torn after "
			       "%u bytes: expected tail %" PRIu64 " head %" PRIu64 ", saw %" PRIu64
			       " %" PRIu64, step, b, whole ? m.tail_seq : old_tail, m.head_seq,
			       got.tail_seq, got.head_seq);
			expect(whole || b < HL, "step %" PRIu64 ": copy 0 not whole after %u bytes",
			       step, b);
			expect_holds(scratch, m.size, &h, m.tail_seq, m.head_seq - 1, "checkpoint", b);
			torn++;
		}
	}
	ck_assert_msg(t.checkpoints > 200 && t.markers > 20, "coverage: %" PRIu64
		      " checkpoints, %" PRIu64 " markers", t.checkpoints, t.markers);
	free(h.crc);
	free(h.len);
	free(before);
	free(scratch);
	model_free(&m);
}
END_TEST

/*
 * A crash at every byte of an append, in the order the log writes a
 * record into its own region (pad and payload, then the record header;
 * a marker before all that): every record before it is there, and it is
 * there only once whole.
 */
START_TEST(torn_append_loses_only_that_record)
{
	struct nvram_span spans[2], span[2];
	struct history h = { .cap = 20000 };
	struct tally t = { 0 };
	struct wr w[6];
	uint8_t *before, *scratch;
	struct nvram_log log, got;
	unsigned int n, i, nw, states = 0;
	uint32_t k, missing;
	uint64_t step;
	struct model m;

	model_init(&m, 8192, 43);
	h.crc = calloc(h.cap, sizeof(*h.crc));
	h.len = calloc(h.cap, sizeof(*h.len));
	before = malloc(m.size);
	scratch = malloc(m.size);
	ck_assert(h.crc && h.len && before && scratch);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	for (step = 0; step < 600; step++) {
		memcpy(before, m.base, m.size);
		if (step_append(&log, &m, pick_len_wrapping(&m), spans, &n, &t, step) != 0) {
			step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n), span, &t, step);
			continue;
		}
		history_note(&h, &m);
		for (i = 0, nw = 0; i < n; i++) {
			uint32_t len = spans[i].len == RHDR ? 0 : m.q[(m.first + m.n - 1) % m.cap].len;

			if (spans[i].len > RHDR) {	/* pad and payload first */
				w[nw++] = (struct wr){ spans[i].off + RHDR + len,
						       spans[i].len - RHDR - len };
				w[nw++] = (struct wr){ spans[i].off + RHDR, len };
			}
			w[nw++] = (struct wr){ spans[i].off, RHDR };
		}
		/* Until every byte is the record's (the last ones written may
		 * already be): the records before it, exactly. */
		memcpy(scratch, before, m.size);
		for (i = 0, missing = 0; i < nw; i++)
			for (k = 0; k < w[i].len; k++)
				missing += scratch[w[i].off + k] != m.base[w[i].off + k];
		for (i = 0; i < nw; i++) {
			for (k = 0; k < w[i].len; k++) {
				ck_assert_int_eq(nvram_log_open(&got, scratch, m.size), 0);
				expect(got.head_seq == m.head_seq - (missing ? 1 : 0), "step %" PRIu64
				       ": append torn in range %u byte %u (%u bytes to go): head %"
				       PRIu64 ", expected %" PRIu64, step, i, k, missing,
				       got.head_seq, m.head_seq - (missing ? 1 : 0));
				expect_holds(scratch, m.size, &h, m.tail_seq,
					     m.head_seq - (missing ? 2 : 1), "append", step);
				missing -= scratch[w[i].off + k] != m.base[w[i].off + k];
				scratch[w[i].off + k] = m.base[w[i].off + k];
				states++;
			}
		}
		expect_holds(scratch, m.size, &h, m.tail_seq, m.head_seq - 1, "append whole", step);
	}
	ck_assert_msg(t.markers > 20 && t.implicit > 3 && states > 50000, "coverage: %" PRIu64
		      " markers, %" PRIu64 " implicit wraps, %u torn states", t.markers, t.implicit,
		      states);
	free(h.crc);
	free(h.len);
	free(before);
	free(scratch);
	model_free(&m);
}
END_TEST

/*
 * A crash at every byte of a resync. The partner was away while records
 * were appended and checkpointed here (acknowledged from local NVRAM
 * only); it comes back and gets what the shadow resends: both header
 * copies, then every live record. Torn anywhere, its mirror opens and holds
 * every record it had acknowledged before that is still live; whole, all.
 */
START_TEST(torn_resync_loses_nothing_the_mirror_acknowledged)
{
	struct nvram_span spans[2], span[2], hdr[2];
	struct history h = { .cap = 200000 };
	struct tally t = { 0 };
	uint8_t *mirror, *scratch;
	struct nvram_log log, mlog;
	uint64_t round, states = 0, step = 0, m_tail, m_head, away;
	struct wr w[4];
	unsigned int n, nw, i;
	struct model m;
	int rc;

	model_init(&m, 8192, 47);
	mirror = mirror_new(&m);
	scratch = malloc(m.size);
	h.crc = calloc(h.cap, sizeof(*h.crc));
	h.len = calloc(h.cap, sizeof(*h.len));
	ck_assert(h.crc && h.len && scratch);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	for (round = 0; round < 80; round++) {
		/* Mirrored: appends and checkpoints reach it. */
		for (i = 0; i < 40; i++, step++) {
			if (step_append(&log, &m, pick_len(&m, 200), spans, &n, &t, step) == 0) {
				history_note(&h, &m);
				apply(mirror, m.base, spans, n);
			} else {
				step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n), span, &t, step);
				apply(mirror, m.base, span, 2);
			}
		}
		ck_assert_int_eq(nvram_log_open(&mlog, mirror, m.size), 0);
		m_tail = mlog.tail_seq;
		m_head = mlog.head_seq;
		/* Away: local only, now and then over the mirror's records. */
		away = rng_range(&m.rng, 0, 60);
		for (i = 0; i < away; i++, step++) {
			if (step_append(&log, &m, pick_len(&m, 200), spans, &n, &t, step) == 0)
				history_note(&h, &m);
			else
				step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n), span, &t, step);
			if (m.n > 2 && rng_below(&m.rng, 8) == 0)
				step_checkpoint(&log, &m, rng_range(&m.rng, 1, m.n / 2), span, &t,
						step);
		}
		/* Back: the resync, torn at every byte. */
		nvram_log_hdr_spans(hdr);
		nw = 0;
		for (i = 0; i < 2; i++)
			w[nw++] = (struct wr){ hdr[i].off, hdr[i].len };
		rc = nvram_log_spans_from(&log, m.tail_seq, spans);
		ck_assert_int_ge(rc, 0);
		for (i = 0; i < (unsigned int)rc; i++)
			w[nw++] = (struct wr){ spans[i].off, spans[i].len };
		states += tear_each_byte(mirror, m.base, m.size, w, nw, &h,
					 RTE_MAX(m_tail, m.tail_seq), m_head - 1, "resync",
					 scratch);
		for (i = 0; i < nw; i++)
			memcpy(mirror + w[i].off, m.base + w[i].off, w[i].len);
		expect_open(mirror, &m, false, "resynced", round);
	}
	ck_assert_msg(states > 100000 && t.markers > 50 && t.checkpoints > 100, "coverage: %"
		      PRIu64 " torn states, %" PRIu64 " markers, %" PRIu64 " checkpoints", states,
		      t.markers, t.checkpoints);
	free(h.crc);
	free(h.len);
	free(mirror);
	free(scratch);
	model_free(&m);
}
END_TEST

/* ---- corruption -------------------------------------------------------------- */

/*
 * With bit @p bit of byte @p off flipped, which is in record @p idx of the
 * model (or its marker), or in none (-1): what a fresh open finds, and
 * what replay hands from @p log, opened before the flip.
 */
static void
expect_flip(struct model *m, const struct nvram_log *log, uint32_t off, unsigned int bit,
	    int32_t idx)
{
	struct replay_ctx c = { .m = m, .n = idx < 0 ? m->n : (uint32_t)idx, .buf = m->buf,
				.what = "flipped", .step = off };
	uint64_t head = idx < 0 ? m->head_seq : m->tail_seq + idx;
	struct nvram_log again;
	int rc = nvram_log_open(&again, m->base, m->size);

	if (off < RS) {
		/* One copy spoilt: the other, alike, serves. */
		expect(rc == 0 && again.head_seq == m->head_seq && again.tail_seq == m->tail_seq &&
		       again.hdr_seq == log->hdr_seq, "header copy %u byte %u bit %u flipped: "
		       "expected records %" PRIu64 "..%" PRIu64 " from the other copy, saw %d, %"
		       PRIu64 "..%" PRIu64, off / HL, off % HL, bit, m->tail_seq, m->head_seq - 1,
		       rc, again.tail_seq, again.head_seq - 1);
		c.n = m->n;
		rc = nvram_log_replay(log, 0, replay_check, &c);
		expect(rc == (int)m->n, "header copy %u byte %u bit %u flipped: replay expected "
		       "%u records, got %d", off / HL, off % HL, bit, m->n, rc);
		/* Both spoilt: no log. */
		m->base[(off + HL) % RS] ^= 1u << bit;
		rc = nvram_log_open(&again, m->base, m->size);
		m->base[(off + HL) % RS] ^= 1u << bit;
		expect(rc == -EBADMSG, "byte %u bit %u flipped in both header copies: expected "
		       "-EBADMSG, got %d", off % HL, bit, rc);
		return;
	}
	expect(rc == 0 && again.head_seq == head && again.tail_seq == m->tail_seq,
	       "byte %u bit %u flipped: expected records %" PRIu64 "..%" PRIu64 ", saw %d, %"
	       PRIu64 "..%" PRIu64, off, bit, m->tail_seq, head - 1, rc, again.tail_seq,
	       again.head_seq - 1);
	if (idx < 0) {
		expect(again.head_off == log->head_off, "byte %u bit %u flipped: expected the "
		       "head at %u, saw %u", off, bit, log->head_off, again.head_off);
		return;
	}
	expect_replay_n(&again, m, 0, idx, false, "flipped, reopened", off);
	/* The log opened before hands the records before it, then refuses. */
	rc = nvram_log_replay(log, 0, replay_check, &c);
	expect(rc == -EBADMSG && c.i == (uint32_t)idx, "byte %u bit %u flipped: the open log's "
	       "replay: expected %d records then -EBADMSG, got %u, %d", off, bit, idx, c.i, rc);
}

/*
 * Every bit of the region flipped in turn: in a record (header, payload,
 * pad, or the marker before it) the replay ends before that record, both
 * after a fresh open and on a log opened before; in the header, open()
 * refuses the region; anywhere else, nothing changes.
 */
START_TEST(flipped_bit_ends_replay_before_its_record)
{
	struct nvram_span spans[2], span[2];
	unsigned int n, bit, marked = 0;
	struct tally t = { 0 };
	uint32_t off, i, owner_n;
	struct nvram_log log;
	int32_t *owner;
	struct model m;
	uint64_t step;

	model_init(&m, 8192, 31);
	ck_assert_int_eq(nvram_log_open(&log, m.base, m.size), 0);
	/* Until a live record (not the tail) has a marker before it. */
	for (step = 0; step < 100000; step++) {
		if (step_append(&log, &m, pick_len(&m, 300), spans, &n, &t, step) == -ENOSPC ||
		    m.n > 10)
			step_checkpoint(&log, &m, m.n - 4, span, &t, step);
		for (i = 1, marked = 0; i < m.n; i++)
			marked += model_rec(&m, i)->mark != 0;
		if (t.appends > 100 && marked && m.n >= 4)
			break;
	}
	ck_assert_msg(marked, "no live record after a marker in %" PRIu64 " steps", step);
	owner = malloc(m.size * sizeof(*owner));
	ck_assert_ptr_nonnull(owner);
	for (off = 0; off < m.size; off++)
		owner[off] = -1;
	for (i = 0; i < m.n; i++) {
		const struct mrec *r = model_rec(&m, i);

		for (off = r->off; off < r->off + rec_size(r->len); off++)
			owner[off] = i;
		if (i > 0 && r->mark)
			for (off = r->mark; off < r->mark + RHDR; off++)
				owner[off] = i;
	}
	for (off = 0, owner_n = 0; off < m.size; off++) {
		owner_n += owner[off] >= 0;
		for (bit = 0; bit < 8; bit++) {
			m.base[off] ^= 1u << bit;
			expect_flip(&m, &log, off, bit, owner[off]);
			m.base[off] ^= 1u << bit;
		}
	}
	ck_assert_uint_gt(owner_n, 200);
	expect_open(m.base, &m, true, "restored", 0);

	/* A checkpoint needs the headers up to the new tail intact; so does
	 * spans_from() up to the head. */
	off = model_rec(&m, 1)->off;
	m.base[off] ^= 1;
	ck_assert_int_eq(nvram_log_checkpoint(&log, m.tail_seq, span), -EBADMSG);
	ck_assert_int_eq(nvram_log_spans_from(&log, m.tail_seq, spans), -EBADMSG);
	m.base[off] ^= 1;
	expect_open(m.base, &m, true, "unchanged", 0);
	free(owner);
	model_free(&m);
}
END_TEST

/* ---- negative ------------------------------------------------------------------ */

START_TEST(format_refuses_a_small_region)
{
	static const size_t sizes[] = { 0, 1, 63, 64, 88, NVRAM_LOG_MIN - 8, NVRAM_LOG_MIN - 1 };
	uint8_t *base = malloc(NVRAM_LOG_MIN);
	struct nvram_log log;
	unsigned int i;

	ck_assert_ptr_nonnull(base);
	for (i = 0; i < RTE_DIM(sizes); i++) {
		memset(base, 0xa5, NVRAM_LOG_MIN);
		ck_assert_msg(nvram_log_format(base, sizes[i], ID) == -EINVAL,
			      "format of %zu bytes: expected -EINVAL", sizes[i]);
		ck_assert_msg(base[0] == 0xa5, "format of %zu bytes wrote anyway", sizes[i]);
		ck_assert_int_eq(nvram_log_open(&log, base, sizes[i]), -EBADMSG);
	}
	ck_assert_int_eq(nvram_log_format(NULL, NVRAM_LOG_MIN, ID), -EINVAL);
	ck_assert_int_eq(nvram_log_format(base, NVRAM_LOG_MIN, ID), 0);
	ck_assert_int_eq(nvram_log_open(&log, base, NVRAM_LOG_MIN), 0);
	free(base);
}
END_TEST

/* Log id 0 is no id: format leaves the region as it was. */
START_TEST(format_refuses_log_id_0)
{
	static const uint8_t data[100];
	uint8_t *base = malloc(8192), *copy = malloc(8192);
	struct nvram_span spans[2];
	struct nvram_log log;
	uint64_t rng = 61, seq;
	unsigned int n;

	ck_assert_ptr_nonnull(base);
	ck_assert_ptr_nonnull(copy);
	rng_fill(&rng, base, 8192);
	memcpy(copy, base, 8192);
	ck_assert_int_eq(nvram_log_format(base, 8192, 0), -EINVAL);
	ck_assert_msg(memcmp(base, copy, 8192) == 0, "format with log id 0 wrote anyway");
	ck_assert_int_eq(nvram_log_open(&log, base, 8192), -EBADMSG);

	ck_assert_int_eq(nvram_log_format(base, 8192, ID), 0);
	ck_assert_int_eq(nvram_log_open(&log, base, 8192), 0);
	ck_assert_int_eq(nvram_log_append(&log, data, sizeof(data), &seq, spans, &n), 0);
	memcpy(copy, base, 8192);
	ck_assert_int_eq(nvram_log_format(base, 8192, 0), -EINVAL);
	ck_assert_msg(memcmp(base, copy, 8192) == 0, "format with log id 0 wrote anyway");
	ck_assert_int_eq(nvram_log_open(&log, base, 8192), 0);
	ck_assert_uint_eq(log.log_id, ID);
	ck_assert_uint_eq(log.head_seq, 2);
	/* Any other id will do. */
	ck_assert_int_eq(nvram_log_format(base, 8192, UINT32_MAX), 0);
	ck_assert_int_eq(nvram_log_open(&log, base, 8192), 0);
	ck_assert_uint_eq(log.log_id, UINT32_MAX);
	ck_assert_uint_eq(log.head_seq, 1);
	free(base);
	free(copy);
}
END_TEST

/* A region is opened with the size it was formatted with. */
START_TEST(open_refuses_another_size)
{
	static const size_t sizes[] = { NVRAM_LOG_MIN - 1, NVRAM_LOG_MIN, 8191, 8200 };
	uint8_t *base = malloc(8200);
	struct nvram_log log;
	unsigned int i;

	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(nvram_log_format(base, 8192, ID), 0);
	for (i = 0; i < RTE_DIM(sizes); i++)
		ck_assert_msg(nvram_log_open(&log, base, sizes[i]) == -EBADMSG,
			      "formatted 8192, opened as %zu: expected -EBADMSG", sizes[i]);
	ck_assert_int_eq(nvram_log_open(&log, NULL, 8192), -EBADMSG);
	ck_assert_int_eq(nvram_log_open(&log, base, 8192), 0);
	free(base);
}
END_TEST

START_TEST(append_refuses_len_0_and_too_large)
{
	static const uint8_t data[4096];
	struct nvram_span spans[2] = { { 7, 7 }, { 7, 7 } };
	struct nvram_log log, before;
	uint8_t *base = malloc(16384), *copy = malloc(16384);
	uint32_t max = (16384 - RS) / 4;
	unsigned int n = 9;
	uint64_t seq = 9;

	ck_assert_ptr_nonnull(base);
	ck_assert_ptr_nonnull(copy);
	ck_assert_int_eq(nvram_log_format(base, 16384, ID), 0);
	ck_assert_int_eq(nvram_log_open(&log, base, 16384), 0);
	ck_assert_int_eq(nvram_log_append(&log, data, 10, &seq, spans, &n), 0);
	before = log;
	memcpy(copy, base, 16384);
	ck_assert_int_eq(nvram_log_append(&log, data, 0, &seq, spans, &n), -EINVAL);
	ck_assert_int_eq(nvram_log_append(&log, data, max + 1, &seq, spans, &n), -EINVAL);
	ck_assert_int_eq(nvram_log_append(&log, data, UINT32_MAX, &seq, spans, &n), -EINVAL);
	ck_assert_msg(memcmp(&log, &before, sizeof(log)) == 0, "a refused append changed the log");
	ck_assert_msg(memcmp(base, copy, 16384) == 0, "a refused append wrote to the region");
	ck_assert_int_eq(nvram_log_append(&log, data, max, &seq, spans, &n), 0);
	ck_assert_uint_eq(seq, 2);
	free(base);
	free(copy);
}
END_TEST

START_TEST(checkpoint_refuses_a_seq_not_live)
{
	static const uint8_t data[100];
	uint64_t bad[] = { 0, 1, 2, 8, 9, UINT64_MAX }, seq;
	struct nvram_span spans[2], span[2] = { { 7, 7 }, { 7, 7 } };
	uint8_t *base = malloc(8192), hdr[2 * HL];
	struct nvram_log log, before;
	unsigned int i, n;

	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(nvram_log_format(base, 8192, ID), 0);
	ck_assert_int_eq(nvram_log_open(&log, base, 8192), 0);
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(nvram_log_append(&log, data, sizeof(data), &seq, spans, &n), 0);
	ck_assert_int_eq(nvram_log_checkpoint(&log, 2, span), 0);	/* live: 3..7 */
	before = log;
	memcpy(hdr, base, sizeof(hdr));
	for (i = 0; i < RTE_DIM(bad); i++) {
		ck_assert_msg(nvram_log_checkpoint(&log, bad[i], span) == -EINVAL,
			      "checkpoint %" PRIu64 " (live 3..7): expected -EINVAL", bad[i]);
		ck_assert_msg(memcmp(&log, &before, sizeof(log)) == 0 &&
			      memcmp(hdr, base, sizeof(hdr)) == 0,
			      "a refused checkpoint of %" PRIu64 " changed the log", bad[i]);
	}
	ck_assert_int_eq(nvram_log_checkpoint(&log, 7, span), 0);
	ck_assert_uint_eq(log.tail_seq, 8);
	ck_assert_uint_eq(log.head_seq, 8);
	ck_assert_uint_eq(log.tail_off, RS);
	ck_assert_uint_eq(log.head_off, RS);
	ck_assert_int_eq(nvram_log_checkpoint(&log, 7, span), -EINVAL);
	ck_assert_int_eq(nvram_log_checkpoint(&log, 8, span), -EINVAL);
	free(base);
}
END_TEST

START_TEST(spans_from_refuses_out_of_range)
{
	static const uint8_t data[100];
	struct nvram_span spans[2];
	uint8_t *base = malloc(8192);
	struct nvram_log log;
	struct nvram_span span[2];
	unsigned int i, n;
	uint64_t seq;

	ck_assert_ptr_nonnull(base);
	ck_assert_int_eq(nvram_log_format(base, 8192, ID), 0);
	ck_assert_int_eq(nvram_log_open(&log, base, 8192), 0);
	for (i = 0; i < 7; i++)
		ck_assert_int_eq(nvram_log_append(&log, data, sizeof(data), &seq, spans, &n), 0);
	ck_assert_int_eq(nvram_log_checkpoint(&log, 2, span), 0);	/* live: 3..7 */
	ck_assert_int_eq(nvram_log_spans_from(&log, 0, spans), -EINVAL);
	ck_assert_int_eq(nvram_log_spans_from(&log, 2, spans), -EINVAL);
	ck_assert_int_eq(nvram_log_spans_from(&log, 9, spans), -EINVAL);
	ck_assert_int_eq(nvram_log_spans_from(&log, UINT64_MAX, spans), -EINVAL);
	ck_assert_int_eq(nvram_log_spans_from(&log, 8, spans), 0);
	ck_assert_int_eq(nvram_log_spans_from(&log, 3, spans), 1);
	ck_assert_uint_eq(spans[0].off, log.tail_off);
	ck_assert_uint_eq(spans[0].len, log.head_off - log.tail_off);
	free(base);
}
END_TEST

/* Random bytes are not a log; a log over random bytes holds no records. */
START_TEST(garbage_is_never_a_record)
{
	struct nvram_log log;
	uint64_t rng = 41, iter;
	uint8_t *base = malloc(16384);
	uint32_t size, end, off;

	ck_assert_ptr_nonnull(base);
	for (iter = 0; iter < 3000; iter++) {
		size = rng_range(&rng, NVRAM_LOG_MIN, 16384);
		end = size & ~7u;
		rng_fill(&rng, base, size);
		expect(nvram_log_open(&log, base, size) == -EBADMSG,
		       "iter %" PRIu64 ": random %u bytes opened", iter, size);
		/* A valid header, anywhere, over random bytes. */
		off = RS + 8 * rng_below(&rng, (end - RS - RHDR) / 8 + 1);
		forge_hdr(base, size, LAYOUT, RS, end, rng_next(&rng) | 1, off,
			  (uint32_t)rng_next(&rng) | 1);
		expect(nvram_log_open(&log, base, size) == 0 && log.head_seq == log.tail_seq &&
		       log.head_off == off && log.live_bytes == 0,
		       "iter %" PRIu64 ": random ring (tail at %u): expected no records, saw %"
		       PRIu64, iter, off, log.head_seq - log.tail_seq);
		expect(nvram_log_replay(&log, 0, replay_check, NULL) == 0,
		       "iter %" PRIu64 ": random ring replayed", iter);
	}
	free(base);
}
END_TEST

/* Headers with a valid CRC and a field nvram_log.h does not allow. */
START_TEST(forged_headers_are_refused)
{
	const uint32_t size = 8192, end = 8192;
	struct nvram_log log;
	uint8_t *base = calloc(1, size);
	struct {
		const char *what;
		uint64_t size;
		uint16_t layout;
		uint32_t start, end;
		uint64_t tail_seq;
		uint32_t tail_off;
		uint32_t id;
	} bad[] = {
		{ "layout 1 (before the log id)", size, 1, RS, end, 1, RS, 0 },
		{ "layout 1 with a log id", size, 1, RS, end, 1, RS, ID },
		{ "layout 2 (one header copy)", size, 2, RS, end, 1, RS, ID },
		{ "layout 4", size, 4, RS, end, 1, RS, ID },
		{ "layout 0", size, 0, RS, end, 1, RS, ID },
		{ "log id 0", size, LAYOUT, RS, end, 1, RS, 0 },
		{ "another size", size + 8, LAYOUT, RS, end, 1, RS, ID },
		{ "ring start 64", size, LAYOUT, 64, end, 1, 128, ID },
		{ "ring start 192", size, LAYOUT, 192, end, 1, 192, ID },
		{ "ring end short", size, LAYOUT, RS, end - 8, 1, RS, ID },
		{ "ring end past", size, LAYOUT, RS, end + 8, 1, RS, ID },
		{ "tail seq 0", size, LAYOUT, RS, end, 0, RS, ID },
		{ "tail before the ring", size, LAYOUT, RS, end, 1, 0, ID },
		{ "tail in the second header copy", size, LAYOUT, RS, end, 1, HL, ID },
		{ "tail unaligned", size, LAYOUT, RS, end, 1, RS + 4, ID },
		{ "tail at the end", size, LAYOUT, RS, end, 1, end, ID },
		{ "tail within a header of the end", size, LAYOUT, RS, end, 1, end - 16, ID },
		{ "tail past the end", size, LAYOUT, RS, end, 1, UINT32_MAX - 7, ID },
	};
	unsigned int i;

	ck_assert_ptr_nonnull(base);
	forge_hdr(base, size, LAYOUT, RS, end, 1, RS, ID);
	ck_assert_int_eq(nvram_log_open(&log, base, size), 0);
	ck_assert_uint_eq(log.log_id, ID);
	forge_hdr(base, size, LAYOUT, RS, end, 5, end - RHDR, UINT32_MAX);
	ck_assert_int_eq(nvram_log_open(&log, base, size), 0);
	ck_assert_uint_eq(log.log_id, UINT32_MAX);
	for (i = 0; i < RTE_DIM(bad); i++) {
		forge_hdr(base, bad[i].size, bad[i].layout, bad[i].start, bad[i].end,
			  bad[i].tail_seq, bad[i].tail_off, bad[i].id);
		ck_assert_msg(nvram_log_open(&log, base, size) == -EBADMSG,
			      "header with %s: expected -EBADMSG", bad[i].what);
	}
	/* Reserved bytes must be zero, in either copy. */
	for (i = 48; i < 60; i++) {
		forge_hdr(base, size, LAYOUT, RS, end, 1, RS, ID);
		base[i] = 1;
		base[HL + i] = 1;
		ref_put32(base + 60, ref_crc32(0, base, 60));
		ref_put32(base + HL + 60, ref_crc32(0, base + HL, 60));
		ck_assert_msg(nvram_log_open(&log, base, size) == -EBADMSG,
			      "reserved byte %u set: expected -EBADMSG", i);
	}
	/* A copy is valid at its own place only, and never with sequence 0. */
	{
		uint8_t c0[HL], c1[HL];

		forge_hdr(base, size, LAYOUT, RS, end, 1, RS, ID);
		memcpy(c0, base, HL);
		memcpy(c1, base + HL, HL);
		memcpy(base, c1, HL);
		ck_assert_msg(nvram_log_open(&log, base, size) == 0, "copy 1 where it belongs");
		memcpy(base + HL, c0, HL);
		ck_assert_msg(nvram_log_open(&log, base, size) == -EBADMSG,
			      "the copies swapped: expected -EBADMSG");
	}
	forge_hdr_copy(base, 0, size, LAYOUT, RS, end, 1, RS, ID, 0);
	forge_hdr_copy(base, 1, size, LAYOUT, RS, end, 1, RS, ID, 0);
	ck_assert_msg(nvram_log_open(&log, base, size) == -EBADMSG, "header sequence 0");
	/* Copy 0 wins when both are valid (it is written first); copy 1
	 * serves when copy 0 does not open. */
	forge_hdr_copy(base, 0, size, LAYOUT, RS, end, 7, RS + 64, ID, 5);
	forge_hdr_copy(base, 1, size, LAYOUT, RS, end, 6, RS, ID + 1, 9);
	ck_assert_int_eq(nvram_log_open(&log, base, size), 0);
	ck_assert_msg(log.tail_seq == 7 && log.tail_off == RS + 64 && log.log_id == ID &&
		      log.hdr_seq == 5, "both valid: copy 0 expected, saw tail %" PRIu64
		      " at %u, id %#x, sequence %" PRIu64, log.tail_seq, log.tail_off, log.log_id,
		      log.hdr_seq);
	base[HL / 2] ^= 0x10;
	ck_assert_int_eq(nvram_log_open(&log, base, size), 0);
	ck_assert_msg(log.tail_seq == 6 && log.tail_off == RS && log.log_id == ID + 1 &&
		      log.hdr_seq == 9, "copy 0 spoilt: copy 1 expected, saw tail %" PRIu64
		      " at %u, id %#x, sequence %" PRIu64, log.tail_seq, log.tail_off, log.log_id,
		      log.hdr_seq);
	free(base);
}
END_TEST

/*
 * Records with a valid CRC that break a rule of the layout or the walk end
 * it: the walk stops before them and the log claims nothing written there.
 */
START_TEST(forged_records_end_the_walk)
{
	const uint32_t size = 8192, end = 8192, max = (end - RS) / 4;
	uint8_t *base = malloc(size + 4096), data[2048];	/* room to forge past the end */
	struct nvram_log log;
	uint32_t off, i, tail, mark;
	uint64_t rng = 51;

	ck_assert_ptr_nonnull(base);
	rng_fill(&rng, data, sizeof(data));

#define FRESH(tail_seq, tail_off) do {						\
	ck_assert_int_eq(nvram_log_format(base, size, ID), 0);			\
	forge_hdr(base, size, LAYOUT, RS, end, (tail_seq), (tail_off), ID);	\
} while (0)
#define EXPECT_HEAD(seq, what) do {						\
	ck_assert_int_eq(nvram_log_open(&log, base, size), 0);			\
	ck_assert_msg(log.head_seq == (seq), "%s: expected head %" PRIu64	\
		      ", saw %" PRIu64, what, (uint64_t)(seq), log.head_seq);	\
} while (0)

	/* The hand-written record is a record. */
	FRESH(1, RS);
	off = RS + forge_rec(base + RS, 100, 1, 0, data, ID);
	EXPECT_HEAD(2, "one record");
	ck_assert_uint_eq(log.head_off, off);

	forge_rec(base + off, 100, 2, 2, data, ID);
	EXPECT_HEAD(2, "flags 2");
	forge_rec(base + off, 100, 2, 1, data, ID);
	EXPECT_HEAD(2, "flags 1 on a record with a payload");
	forge_rec(base + off, 0, 2, 0, data, ID);
	EXPECT_HEAD(2, "length 0 without the wrap flag");
	forge_rec(base + off, max + 1, 2, 0, data, ID);
	EXPECT_HEAD(2, "payload larger than a quarter of the ring");
	forge_rec(base + off, max, 2, 0, data, ID);
	EXPECT_HEAD(3, "largest payload");
	forge_rec(base + off, 100, 3, 0, data, ID);
	EXPECT_HEAD(2, "seq one ahead");
	forge_rec(base + off, 100, 1, 0, data, ID);
	EXPECT_HEAD(2, "seq repeated");
	forge_rec(base + off, 5, 2, 0, data, ID);
	EXPECT_HEAD(3, "padded record");
	base[off + RHDR + 5] = 1;
	EXPECT_HEAD(2, "pad not zero");
	base[off + RHDR + 5] = 0;
	memcpy(base + off, "NVRD", 4);
	EXPECT_HEAD(2, "other magic");
	/* Another log's record (an id that differs in one bit, or in all). */
	for (i = 0; i <= 32; i++) {
		forge_rec(base + off, 100, 2, 0, data, i < 32 ? ID ^ 1u << i : ~ID);
		EXPECT_HEAD(2, "another log's record");
	}

	/* A record running past the ring end. */
	FRESH(1, end - 64);
	forge_rec(base + end - 64, 100, 1, 0, data, ID);
	EXPECT_HEAD(1, "record past the ring end");
	forge_rec(base + end - 64, 40, 1, 0, data, ID);
	EXPECT_HEAD(2, "record up to the ring end");
	ck_assert_uint_eq(log.head_off, RS);

	/* Wraps: a marker, then its record at the start; a marker at the
	 * start; two markers; a second wrap. */
	FRESH(1, end - 64);
	forge_rec(base + end - 64, 0, 1, 1, NULL, ID);
	forge_rec(base + RS, 100, 1, 0, data, ID);
	EXPECT_HEAD(2, "marker, then its record");
	forge_rec(base + RS, 0, 1, 1, NULL, ID);
	EXPECT_HEAD(1, "marker, then a marker");
	ck_assert_uint_eq(log.head_off, end - 64);
	FRESH(1, RS);
	forge_rec(base + RS, 0, 1, 1, NULL, ID);
	EXPECT_HEAD(1, "marker at the ring start");
	FRESH(1, end - 64);
	forge_rec(base + end - 64, 0, 1, 1, NULL, ID);
	forge_rec(base + RS, 100, 2, 0, data, ID);
	EXPECT_HEAD(1, "marker, then the next seq");
	FRESH(1, end - 64);
	forge_rec(base + end - 64, 0, 1, 1, NULL, ID + 1);
	forge_rec(base + RS, 100, 1, 0, data, ID);
	EXPECT_HEAD(1, "another log's marker, then a record");
	forge_rec(base + end - 64, 0, 1, 1, NULL, ID);
	forge_rec(base + RS, 100, 1, 0, data, ID + 1);
	EXPECT_HEAD(1, "marker, then another log's record");
	ck_assert_uint_eq(log.head_off, end - 64);

	/* The implicit wrap, 8 and 16 bytes before the end. */
	for (i = 8; i <= 16; i += 8) {
		FRESH(1, end - 64 - i);
		forge_rec(base + end - 64 - i, 40, 1, 0, data, ID);
		forge_rec(base + RS, 100, 2, 0, data, ID);
		EXPECT_HEAD(3, "implicit wrap");
		forge_rec(base + RS, 100, 3, 0, data, ID);
		EXPECT_HEAD(2, "implicit wrap, then another seq");
	}

	/* After the wrap, records stop at the tail: a chain that runs on
	 * into the tail record is not the log's. */
	tail = 4104;
	FRESH(1, tail);
	for (off = tail, i = 1; off + rec_size(1000) <= end; i++)
		off += forge_rec(base + off, 1000, i, 0, data, ID);
	mark = off;
	forge_rec(base + off, 0, i, 1, NULL, ID);
	for (off = RS; off + rec_size(1000) <= tail; i++)
		off += forge_rec(base + off, 1000, i, 0, data, ID);
	EXPECT_HEAD(i, "up to the tail");
	ck_assert_uint_eq(log.head_off, off);
	/* Over the tail, but with the tail record's bytes as its payload's
	 * end: both are valid records. */
	memcpy(data, base + off + RHDR, 1000);
	forge_rec(base + off, 1000, i, 0, data, ID);
	EXPECT_HEAD(i, "a record over the tail");
	ck_assert_uint_eq(log.tail_seq, 1);
	ck_assert_uint_eq(log.head_off, off);
	forge_rec(base + off, tail - off - RHDR, i, 0, data, ID);	/* up to it exactly */
	EXPECT_HEAD(i + 1, "a record up to the tail");
	ck_assert_uint_eq(log.head_off, log.tail_off);
	ck_assert_uint_eq(log.live_bytes, end - RS);
	{
		struct nvram_span spans[2];
		unsigned int n;
		uint64_t seq;

		ck_assert_int_eq(nvram_log_append(&log, data, 1, &seq, spans, &n), -ENOSPC);
		ck_assert_int_eq(nvram_log_spans_from(&log, 1, spans), 2);
		ck_assert_uint_eq(spans[0].off, tail);
		ck_assert_uint_eq(spans[0].len, mark + RHDR - tail);
		ck_assert_uint_eq(spans[1].off, RS);
		ck_assert_uint_eq(spans[1].len, tail - RS);
	}

	/* The record after a marker may not run into the tail either. */
	tail = 1032;
	FRESH(1, tail);
	for (off = tail, i = 1; off + rec_size(1000) <= end; i++)
		off += forge_rec(base + off, 1000, i, 0, data, ID);
	mark = off;
	forge_rec(base + mark, 0, i, 1, NULL, ID);
	memcpy(data, base + RS + RHDR, 1000);
	forge_rec(base + RS, 1000, i, 0, data, ID);
	EXPECT_HEAD(i, "a record after the marker over the tail");
	ck_assert_uint_eq(log.head_off, mark);
	forge_rec(base + RS, tail - RS - RHDR, i, 0, data, ID);
	EXPECT_HEAD(i + 1, "a record after the marker up to the tail");
	ck_assert_uint_eq(log.head_off, tail);
#undef FRESH
#undef EXPECT_HEAD
	free(base);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("nvram_log");
	TCase *round = tcase_create("round_trip");
	TCase *wrap = tcase_create("wrap");
	TCase *mirror = tcase_create("mirror");
	TCase *crash = tcase_create("crash");
	TCase *neg = tcase_create("negative");
	SRunner *sr;
	int failed;

	tcase_add_test(round, empty_log_opens_empty);
	tcase_add_test(round, layout_is_the_documented_one);
	tcase_add_test(round, every_size_round_trips);
	tcase_add_test(round, format_forgets_the_old_log);
	tcase_add_test(round, reopen_finds_the_same_head);
	tcase_add_test(round, replay_starts_at_from_seq_and_stops_on_callback);
	tcase_add_test(wrap, many_laps_replay_the_live_records);
	tcase_add_test(mirror, mirror_of_the_spans_opens_like_the_log);
	tcase_add_test(mirror, spans_from_every_seq_complete_a_mirror);
	tcase_add_test(mirror, reformat_refuses_the_old_logs_records);
	tcase_add_test(crash, torn_copy_keeps_the_records_before);
	tcase_add_test(crash, torn_checkpoint_loses_no_live_record);
	tcase_add_test(crash, torn_append_loses_only_that_record);
	tcase_add_test(crash, torn_resync_loses_nothing_the_mirror_acknowledged);
	tcase_add_test(crash, flipped_bit_ends_replay_before_its_record);
	tcase_add_test(neg, format_refuses_a_small_region);
	tcase_add_test(neg, format_refuses_log_id_0);
	tcase_add_test(neg, open_refuses_another_size);
	tcase_add_test(neg, append_refuses_len_0_and_too_large);
	tcase_add_test(neg, checkpoint_refuses_a_seq_not_live);
	tcase_add_test(neg, spans_from_refuses_out_of_range);
	tcase_add_test(neg, garbage_is_never_a_record);
	tcase_add_test(neg, forged_headers_are_refused);
	tcase_add_test(neg, forged_records_end_the_walk);
	suite_add_tcase(s, round);
	suite_add_tcase(s, wrap);
	suite_add_tcase(s, mirror);
	suite_add_tcase(s, crash);
	suite_add_tcase(s, neg);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
