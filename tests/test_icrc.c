/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICRC tests (IBTA Annex A17.3.3): the two CRC-32 implementations, every
 * RoCEv2 frame of the soft-RoCE captures in tests/data, frames split into
 * segments, the masked fields, and an independent reimplementation of the
 * masking written here so a masking bug in the library cannot hide.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "roce_icrc.h"
#include "roce_pkt.h"
#include "roce_wire.h"
#include "test_util.h"
#include "test_ref.h"

static const struct roce_crc32_ops *const impls[] = { &roce_crc32_isal, &roce_crc32_table };

/* ---- helpers ---------------------------------------------------------- */

static void
rng_fill(uint64_t *state, uint8_t *buf, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = rng_next(state);
}

static void *
xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	ck_assert_msg(p != NULL, "malloc(%zu) failed", len);
	return p;
}

static uint16_t
be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Where the ICRC-relevant parts of a frame are, found by this file's own
 * walk of Ethernet / 802.1Q / IPv4 / UDP (not by the library's parser). */
struct loc {
	uint32_t l3_off;	/* IPv4 header */
	uint32_t ihl;		/* IPv4 header length, bytes */
	uint32_t icrc_off;	/* the ICRC field: the CRC covers [l3_off, icrc_off) */
};

enum loc_kind {
	LOC_FOREIGN,	/* not IPv4/UDP to port 4791 */
	LOC_ROCE,
	LOC_BROKEN,	/* UDP 4791 but lengths do not hold a BTH and ICRC */
};

static enum loc_kind
locate(const uint8_t *d, uint32_t len, struct loc *loc)
{
	uint32_t off = 14, tot;
	uint16_t type;

	if (len < 14)
		return LOC_FOREIGN;
	type = be16(d + 12);
	if (type == 0x8100) {
		if (len < 18)
			return LOC_FOREIGN;
		type = be16(d + 16);
		off = 18;
	}
	if (type != 0x0800 || len < off + 20 || d[off + 9] != 17)	/* IPv4, UDP */
		return LOC_FOREIGN;
	loc->l3_off = off;
	loc->ihl = (d[off] & 0xf) * 4;
	if (len < off + loc->ihl + 8 || be16(d + off + loc->ihl + 2) != ROCE_UDP_PORT)
		return LOC_FOREIGN;
	tot = be16(d + off + 2);
	if ((d[off] >> 4) != 4 || loc->ihl < 20 ||
	    tot < loc->ihl + 8 + sizeof(struct roce_bth) + ROCE_ICRC_LEN || off + tot > len)
		return LOC_BROKEN;
	loc->icrc_off = off + tot - ROCE_ICRC_LEN;
	return LOC_ROCE;
}

#define NMASKED 7

/*
 * Frame offsets of the bytes the ICRC replaces with ones (Annex A17.3.3):
 * IPv4 TOS (byte 1), TTL (8), header checksum (10, 11) per RFC 791; UDP
 * checksum (6, 7) per RFC 768; BTH byte 4 (FECN, BECN, 6 reserved bits).
 */
static void
masked_offsets(const struct loc *loc, uint32_t off[NMASKED])
{
	uint32_t udp = loc->l3_off + loc->ihl, bth = udp + 8;

	off[0] = loc->l3_off + 1;
	off[1] = loc->l3_off + 8;
	off[2] = loc->l3_off + 10;
	off[3] = loc->l3_off + 11;
	off[4] = udp + 6;
	off[5] = udp + 7;
	off[6] = bth + 4;
}

static const char *const masked_name[NMASKED] = {
	"IPv4 TOS", "IPv4 TTL", "IPv4 checksum (high)", "IPv4 checksum (low)",
	"UDP checksum (high)", "UDP checksum (low)", "BTH byte 4 (FECN/BECN/resv)",
};

static bool
is_masked(const struct loc *loc, uint32_t pos)
{
	uint32_t off[NMASKED];
	unsigned int i;

	masked_offsets(loc, off);
	for (i = 0; i < NMASKED; i++)
		if (off[i] == pos)
			return true;
	return false;
}

/*
 * The ICRC input built by hand: 8 bytes of 0xFF (Annex A17.3.3), then
 * [l3_off, icrc_off) with the masked bytes set to ones
 * (those of them that lie before icrc_off). Returns a malloc'd buffer;
 * its length in *len.
 */
static uint8_t *
ref_icrc_input(const uint8_t *frame, const struct loc *loc, size_t *len)
{
	uint32_t n = loc->icrc_off - loc->l3_off, off[NMASKED];
	uint8_t *buf = xmalloc(8 + n);
	unsigned int i;

	memset(buf, 0xff, 8);
	memcpy(buf + 8, frame + loc->l3_off, n);
	masked_offsets(loc, off);
	for (i = 0; i < NMASKED; i++)
		if (off[i] < loc->icrc_off)
			buf[8 + off[i] - loc->l3_off] = 0xff;
	*len = 8 + n;
	return buf;
}

static uint32_t
ref_icrc(const uint8_t *frame, const struct loc *loc)
{
	size_t len;
	uint8_t *buf = ref_icrc_input(frame, loc, &len);
	uint32_t crc = ref_crc32(0, buf, len);

	free(buf);
	return crc;
}

static uint32_t
icrc_flat(const struct roce_crc32_ops *ops, const uint8_t *frame, uint32_t len,
	  const struct loc *loc)
{
	struct roce_buf seg = { .data = frame, .len = len };

	return roce_icrc_calc(ops, &seg, 1, loc->l3_off, loc->ihl, loc->icrc_off);
}

/* ---- CRC-32 implementations ------------------------------------------- */

START_TEST(test_crc32_check_values)
{
	/* The catalogue check value of CRC-32/ISO-HDLC and a few classics. */
	static const struct {
		const char *in;
		uint32_t want;
	} rows[] = {
		{ "123456789", 0xcbf43926 },
		{ "", 0x00000000 },
		{ "a", 0xe8b7be43 },
		{ "The quick brown fox jumps over the lazy dog", 0x414fa339 },
	};
	unsigned int i, k;
	size_t j;

	for (i = 0; i < RTE_DIM(rows); i++) {
		size_t len = strlen(rows[i].in);
		uint32_t got = ref_crc32(0, rows[i].in, len);

		ck_assert_msg(got == rows[i].want, "bitwise reference on \"%s\": expected 0x%08"
			      PRIx32 ", got 0x%08" PRIx32, rows[i].in, rows[i].want, got);
		for (k = 0; k < RTE_DIM(impls); k++) {
			got = impls[k]->update(0, rows[i].in, len);
			ck_assert_msg(got == rows[i].want, "%s on \"%s\": expected 0x%08" PRIx32
				      ", got 0x%08" PRIx32, impls[k]->name, rows[i].in,
				      rows[i].want, got);
			/* One byte at a time, chained. */
			got = 0;
			for (j = 0; j < len; j++)
				got = impls[k]->update(got, rows[i].in + j, 1);
			ck_assert_msg(got == rows[i].want, "%s on \"%s\" byte by byte: expected "
				      "0x%08" PRIx32 ", got 0x%08" PRIx32, impls[k]->name,
				      rows[i].in, rows[i].want, got);
		}
	}
}
END_TEST

#define RANDOM_MAX_LEN 5000
#define RANDOM_SEED 0x1c2c0001

START_TEST(test_crc32_impls_agree)
{
	uint64_t rng = RANDOM_SEED;
	uint8_t *buf = xmalloc(RANDOM_MAX_LEN + 64);
	uint32_t len;

	for (len = 0; len <= RANDOM_MAX_LEN; len++) {
		/* Random start alignment exercises ISA-L's unaligned head. */
		uint8_t *p = buf + rng_next(&rng) % 64;
		uint32_t a, b;

		rng_fill(&rng, p, len);
		a = roce_crc32_isal.update(0, p, len);
		b = roce_crc32_table.update(0, p, len);
		ck_assert_msg(a == b, "len %" PRIu32 " (seed 0x%x): isa-l 0x%08" PRIx32
			      ", table 0x%08" PRIx32, len, RANDOM_SEED, a, b);
		if (len % 7 == 0 || len < 64) {
			uint32_t c = ref_crc32(0, p, len);

			ck_assert_msg(a == c, "len %" PRIu32 " (seed 0x%x): bitwise 0x%08" PRIx32
				      ", libraries 0x%08" PRIx32, len, RANDOM_SEED, c, a);
		}
	}
	free(buf);
}
END_TEST

START_TEST(test_crc32_chaining)
{
	uint64_t rng = RANDOM_SEED + 1;
	uint8_t *buf = xmalloc(RANDOM_MAX_LEN + 64);
	uint32_t len;
	unsigned int k;

	for (len = 0; len <= RANDOM_MAX_LEN; len++) {
		uint8_t *p = buf + rng_next(&rng) % 64;
		uint32_t s1 = rng_next(&rng) % (len + 1);
		uint32_t s2 = s1 + rng_next(&rng) % (len - s1 + 1);
		uint32_t whole, two, three, mixed;

		rng_fill(&rng, p, len);
		for (k = 0; k < RTE_DIM(impls); k++) {
			const struct roce_crc32_ops *o = impls[k];

			whole = o->update(0, p, len);
			two = o->update(o->update(0, p, s1), p + s1, len - s1);
			three = o->update(o->update(o->update(0, p, s1), p + s1, s2 - s1),
					  p + s2, len - s2);
			ck_assert_msg(two == whole && three == whole,
				      "%s len %" PRIu32 " split %" PRIu32 "/%" PRIu32
				      " (seed 0x%x): one-shot 0x%08" PRIx32
				      ", 2 pieces 0x%08" PRIx32 ", 3 pieces 0x%08" PRIx32,
				      o->name, len, s1, s2, RANDOM_SEED + 1, whole, two, three);
		}
		/* Same convention: one can carry on where the other stopped. */
		mixed = roce_crc32_table.update(roce_crc32_isal.update(0, p, s1), p + s1,
						len - s1);
		ck_assert_msg(mixed == whole, "len %" PRIu32 " split %" PRIu32 ": isa-l then "
			      "table 0x%08" PRIx32 ", one-shot 0x%08" PRIx32,
			      len, s1, mixed, whole);
	}
	free(buf);
}
END_TEST

/* ---- every captured frame --------------------------------------------- */

/* RoCEv2 frame counts from tests/data/README.md. */
static const struct {
	const char *file;
	unsigned int roce;
} captures[] = {
	{ "write.pcap", 112 },
	{ "read.pcap", 112 },
	{ "send.pcap", 112 },
	{ "rc_pingpong.pcap", 100 },
	{ "write_lat.pcap", 202 },
	{ "atomic.pcap", 64 },
	{ "nak.pcap", 542 },
	{ "rnr.pcap", 576 },
	{ "oob-perftest.pcap", 0 },	/* TCP only: the walk must find none */
};

START_TEST(test_icrc_matches_capture)
{
	const char *file = captures[_i].file;
	struct test_capture cap;
	unsigned int i, k, n = 0;

	test_capture_load(&cap, file);
	ck_assert_msg(cap.count > 0, "%s: no frames at all", file);
	for (i = 0; i < cap.count; i++) {
		const struct test_frame *f = &cap.frame[i];
		enum loc_kind kind;
		struct loc loc;
		uint32_t want;

		kind = locate(f->data, f->len, &loc);
		ck_assert_msg(kind != LOC_BROKEN, "%s frame %u: UDP 4791 but malformed", file,
			      f->number);
		if (kind != LOC_ROCE)
			continue;
		n++;
		want = roce_icrc_load(f->data + loc.icrc_off);
		for (k = 0; k < RTE_DIM(impls); k++) {
			uint32_t got = icrc_flat(impls[k], f->data, f->len, &loc);

			ck_assert_msg(got == want, "%s frame %u (%s): ICRC in frame 0x%08" PRIx32
				      ", computed 0x%08" PRIx32, file, f->number, impls[k]->name,
				      want, got);
		}
	}
	test_capture_free(&cap);
	ck_assert_msg(n == captures[_i].roce, "%s: expected %u RoCEv2 frames, checked %u", file,
		      captures[_i].roce, n);
}
END_TEST

START_TEST(test_icrc_bad_capture_mismatches)
{
	/* write.pcap with every ICRC inverted (tests/data/README.md). */
	static const char file[] = "bad-icrc-write.pcap";
	struct test_capture cap;
	unsigned int i, k, n = 0;

	test_capture_load(&cap, file);
	for (i = 0; i < cap.count; i++) {
		const struct test_frame *f = &cap.frame[i];
		enum loc_kind kind;
		struct loc loc;
		uint32_t stored;

		kind = locate(f->data, f->len, &loc);
		ck_assert_msg(kind != LOC_BROKEN, "%s frame %u: UDP 4791 but malformed", file,
			      f->number);
		if (kind != LOC_ROCE)
			continue;
		n++;
		stored = roce_icrc_load(f->data + loc.icrc_off);
		for (k = 0; k < RTE_DIM(impls); k++) {
			uint32_t got = icrc_flat(impls[k], f->data, f->len, &loc);

			ck_assert_msg(got != stored && got == ~stored,
				      "%s frame %u (%s): expected a mismatch, the stored ICRC "
				      "inverted (0x%08" PRIx32 "); computed 0x%08" PRIx32, file,
				      f->number, impls[k]->name, ~stored, got);
		}
	}
	test_capture_free(&cap);
	ck_assert_msg(n == 112, "%s: expected 112 RoCEv2 frames, checked %u", file, n);
}
END_TEST

START_TEST(test_reference_matches_captures)
{
	/* The hand-built masking of this file reproduces what Linux put on
	 * the wire: the oracle used below is itself right. */
	static const char *const files[] = { "write.pcap", "atomic.pcap", "read.pcap" };
	unsigned int j, i, n = 0;

	for (j = 0; j < RTE_DIM(files); j++) {
		struct test_capture cap;

		test_capture_load(&cap, files[j]);
		for (i = 0; i < cap.count; i++) {
			const struct test_frame *f = &cap.frame[i];
			struct loc loc;
			uint32_t want, got;

			if (locate(f->data, f->len, &loc) != LOC_ROCE)
				continue;
			n++;
			want = roce_icrc_load(f->data + loc.icrc_off);
			got = ref_icrc(f->data, &loc);
			ck_assert_msg(got == want, "%s frame %u: reference ICRC 0x%08" PRIx32
				      ", in frame 0x%08" PRIx32, files[j], f->number, got, want);
		}
		test_capture_free(&cap);
	}
	ck_assert_msg(n == 112 + 64 + 112, "expected %u RoCEv2 frames, checked %u",
		      112 + 64 + 112, n);
}
END_TEST

/* ---- sample frames ---------------------------------------------------- */

/* One captured frame per shape: the first with this opcode (and a pad). */
static const struct {
	const char *file;
	uint8_t opcode;
	bool padded;
} samples[] = {
	{ "write.pcap", ROCE_OP_ACK, false },		/* smallest: 62 bytes */
	{ "write.pcap", ROCE_OP_WRITE_ONLY, false },	/* RETH + 64 B */
	{ "write.pcap", ROCE_OP_WRITE_FIRST, false },	/* full 1024 B MTU */
	{ "write_lat.pcap", ROCE_OP_WRITE_ONLY, true },	/* 2 B + 2 pad bytes */
	{ "atomic.pcap", ROCE_OP_ATOMIC_ACK, false },
	{ "atomic.pcap", ROCE_OP_COMPARE_SWAP, false },
	{ "read.pcap", ROCE_OP_READ_RESP_FIRST, false },
};

#define SAMPLE_ACK 0
#define SAMPLE_LARGE 2

struct sample_frame {
	struct test_capture cap;
	const struct test_frame *f;
	struct loc loc;
	uint32_t icrc;		/* as stored in the frame */
	char what[64];		/* "write.pcap frame 7" */
};

static void
sample_load(struct sample_frame *s, unsigned int idx)
{
	unsigned int i;

	test_capture_load(&s->cap, samples[idx].file);
	for (i = 0; i < s->cap.count; i++) {
		const struct test_frame *f = &s->cap.frame[i];
		const uint8_t *bth;

		if (locate(f->data, f->len, &s->loc) != LOC_ROCE)
			continue;
		bth = f->data + s->loc.l3_off + s->loc.ihl + 8;
		if (bth[0] != samples[idx].opcode || ((bth[1] & 0x30) != 0) != samples[idx].padded)
			continue;
		s->f = f;
		s->icrc = roce_icrc_load(f->data + s->loc.icrc_off);
		snprintf(s->what, sizeof(s->what), "%s frame %u", samples[idx].file, f->number);
		return;
	}
	ck_abort_msg("%s: no frame with opcode 0x%02x%s", samples[idx].file,
		     samples[idx].opcode, samples[idx].padded ? " and a pad" : "");
}

static void
sample_free(struct sample_frame *s)
{
	test_capture_free(&s->cap);
}

/* ICRC of the frame cut at @p cut[0..ncut) into ncut + 1 segments. */
static uint32_t
icrc_cut(const struct roce_crc32_ops *ops, const uint8_t *d, uint32_t len,
	 const struct loc *loc, const uint32_t *cut, unsigned int ncut)
{
	struct roce_buf seg[8];
	uint32_t at = 0;
	unsigned int i;

	for (i = 0; i < ncut; i++) {
		seg[i] = (struct roce_buf){ .data = d + at, .len = cut[i] - at };
		at = cut[i];
	}
	seg[ncut] = (struct roce_buf){ .data = d + at, .len = len - at };
	return roce_icrc_calc(ops, seg, ncut + 1, loc->l3_off, loc->ihl, loc->icrc_off);
}

/* ---- segmentation ----------------------------------------------------- */

START_TEST(test_icrc_split_two)
{
	struct sample_frame s;
	uint32_t cut;
	unsigned int k;

	sample_load(&s, _i);
	/* Every cut, from before the Ethernet header to after the ICRC:
	 * through the masked headers, the payload and the trailer. */
	for (cut = 0; cut <= s.f->len; cut++)
		for (k = 0; k < RTE_DIM(impls); k++) {
			uint32_t got = icrc_cut(impls[k], s.f->data, s.f->len, &s.loc, &cut, 1);

			ck_assert_msg(got == s.icrc, "%s (%s) cut at %" PRIu32 ": expected 0x%08"
				      PRIx32 ", got 0x%08" PRIx32, s.what, impls[k]->name, cut,
				      s.icrc, got);
		}
	sample_free(&s);
}
END_TEST

START_TEST(test_icrc_split_three)
{
	struct sample_frame s;
	uint32_t cut[2], len, hdr_end;
	unsigned int k;

	sample_load(&s, _i);
	len = s.f->len;
	/* All pairs of cuts for small frames; for large ones every first cut
	 * up to 32 bytes past the BTH, then one in 61 and the last few. */
	hdr_end = s.loc.l3_off + s.loc.ihl + 8 + 12 + 32;
	for (cut[0] = 0; cut[0] <= len; cut[0]++) {
		if (len > 256 && cut[0] > hdr_end && cut[0] % 61 != 0 && cut[0] + 8 < len)
			continue;
		for (cut[1] = cut[0]; cut[1] <= len; cut[1]++)
			for (k = 0; k < RTE_DIM(impls); k++) {
				uint32_t got = icrc_cut(impls[k], s.f->data, len, &s.loc, cut, 2);

				ck_assert_msg(got == s.icrc, "%s (%s) cuts at %" PRIu32 ", %" PRIu32
					      ": expected 0x%08" PRIx32 ", got 0x%08" PRIx32,
					      s.what, impls[k]->name, cut[0], cut[1], s.icrc, got);
			}
	}
	sample_free(&s);
}
END_TEST

START_TEST(test_icrc_byte_segments)
{
	struct sample_frame s;
	struct roce_buf *seg;
	uint32_t i;
	unsigned int k;

	sample_load(&s, _i);
	/* Every byte its own segment: the masked headers arrive one byte
	 * at a time. */
	seg = xmalloc(s.f->len * sizeof(*seg));
	for (i = 0; i < s.f->len; i++)
		seg[i] = (struct roce_buf){ .data = s.f->data + i, .len = 1 };
	for (k = 0; k < RTE_DIM(impls); k++) {
		uint32_t got = roce_icrc_calc(impls[k], seg, s.f->len, s.loc.l3_off, s.loc.ihl,
					      s.loc.icrc_off);

		ck_assert_msg(got == s.icrc, "%s (%s) in %" PRIu32 " one-byte segments: expected "
			      "0x%08" PRIx32 ", got 0x%08" PRIx32, s.what, impls[k]->name,
			      s.f->len, s.icrc, got);
	}
	free(seg);
	sample_free(&s);
}
END_TEST

START_TEST(test_icrc_empty_segments)
{
	/* Empty segments (data NULL, as an unused iovec) before, between
	 * and after the pieces, including inside the masked headers. */
	static const struct roce_buf empty = { .data = NULL, .len = 0 };
	struct sample_frame s;
	struct roce_buf seg[16];
	uint32_t cuts[4], at = 0;
	unsigned int i, k, n = 0;

	sample_load(&s, _i);
	cuts[0] = s.loc.l3_off + 5;			/* inside IPv4 */
	cuts[1] = s.loc.l3_off + s.loc.ihl + 3;		/* inside UDP */
	cuts[2] = s.loc.l3_off + s.loc.ihl + 8 + 6;	/* inside the BTH */
	cuts[3] = s.loc.icrc_off;
	seg[n++] = empty;
	for (i = 0; i < RTE_DIM(cuts); i++) {
		seg[n++] = (struct roce_buf){ .data = s.f->data + at, .len = cuts[i] - at };
		seg[n++] = empty;
		seg[n++] = empty;
		at = cuts[i];
	}
	seg[n++] = (struct roce_buf){ .data = s.f->data + at, .len = s.f->len - at };
	seg[n++] = empty;
	for (k = 0; k < RTE_DIM(impls); k++) {
		uint32_t got = roce_icrc_calc(impls[k], seg, n, s.loc.l3_off, s.loc.ihl,
					      s.loc.icrc_off);

		ck_assert_msg(got == s.icrc, "%s (%s) with empty segments: expected 0x%08" PRIx32
			      ", got 0x%08" PRIx32, s.what, impls[k]->name, s.icrc, got);
	}
	sample_free(&s);
}
END_TEST

/* ---- masking ---------------------------------------------------------- */

START_TEST(test_masked_fields_ignored)
{
	struct sample_frame s;
	uint32_t off[NMASKED], v, len;
	unsigned int m, k;
	uint8_t *d;

	sample_load(&s, _i);
	len = s.f->len;
	d = xmalloc(len);
	memcpy(d, s.f->data, len);
	masked_offsets(&s.loc, off);
	/* Each masked byte through all 256 values: ECN marking, TTL
	 * decrement, checksum rewrite, FECN/BECN by switches (A17.3.3). */
	for (m = 0; m < NMASKED; m++) {
		uint8_t orig = d[off[m]];

		for (v = 0; v < 256; v++) {
			d[off[m]] = v;
			for (k = 0; k < RTE_DIM(impls); k++) {
				uint32_t got = icrc_flat(impls[k], d, len, &s.loc);

				ck_assert_msg(got == s.icrc, "%s (%s): %s (frame byte %" PRIu32
					      ") = 0x%02" PRIx32 " changed ICRC 0x%08" PRIx32
					      " to 0x%08" PRIx32, s.what, impls[k]->name,
					      masked_name[m], off[m], v, s.icrc, got);
			}
		}
		d[off[m]] = orig;
	}
	/* All at once, as a congested router would: CE, TTL - 1, new
	 * checksums, FECN and BECN. */
	d[off[0]] |= 0x03;
	d[off[1]] -= 1;
	d[off[2]] ^= 0x5a;
	d[off[3]] ^= 0xa5;
	d[off[4]] = 0x12;
	d[off[5]] = 0x34;
	d[off[6]] = 0xc0;
	for (k = 0; k < RTE_DIM(impls); k++) {
		uint32_t got = icrc_flat(impls[k], d, len, &s.loc);

		ck_assert_msg(got == s.icrc, "%s (%s): all masked fields rewritten changed ICRC "
			      "0x%08" PRIx32 " to 0x%08" PRIx32, s.what, impls[k]->name, s.icrc,
			      got);
	}
	free(d);
	sample_free(&s);
}
END_TEST

/*
 * Flip single bits of [l3_off, icrc_off): a masked bit must leave the
 * ICRC alone, any other bit must change it (a CRC catches every one-bit
 * error). Every bit before @p dense_end, then one bit in @p stride.
 */
static unsigned int
check_bit_flips(const char *what, const uint8_t *frame, uint32_t len, const struct loc *loc,
		uint32_t dense_end, uint32_t stride)
{
	uint8_t *d = xmalloc(len);
	unsigned int k, n = 0;
	uint32_t bit;

	memcpy(d, frame, len);
	for (k = 0; k < RTE_DIM(impls); k++) {
		uint32_t base = icrc_flat(impls[k], d, len, loc);

		for (bit = loc->l3_off * 8; bit < loc->icrc_off * 8; bit++) {
			uint32_t pos = bit / 8, got;
			bool masked = is_masked(loc, pos);

			if (pos >= dense_end && bit % stride != 0)
				continue;
			d[pos] ^= 1u << (bit % 8);
			got = icrc_flat(impls[k], d, len, loc);
			d[pos] ^= 1u << (bit % 8);
			n++;
			ck_assert_msg((got == base) == masked,
				      "%s (%s): flipping bit %" PRIu32 " of byte %" PRIu32
				      " (%s) gave 0x%08" PRIx32 ", unflipped 0x%08" PRIx32
				      ": expected %s", what, impls[k]->name, bit % 8, pos,
				      masked ? "masked" : "covered", got, base,
				      masked ? "no change" : "a change");
		}
	}
	free(d);
	return n;
}

START_TEST(test_covered_bits_small)
{
	struct sample_frame s;
	unsigned int n;

	sample_load(&s, SAMPLE_ACK);
	n = check_bit_flips(s.what, s.f->data, s.f->len, &s.loc, s.f->len, 1);
	ck_assert_msg(n == 2 * 8 * (s.loc.icrc_off - s.loc.l3_off),
		      "%s: expected every covered bit checked, checked %u", s.what, n);
	sample_free(&s);
}
END_TEST

START_TEST(test_covered_bits_large_sampled)
{
	struct sample_frame s;
	uint32_t dense_end;

	sample_load(&s, SAMPLE_LARGE);
	/* All header bits (IPv4, UDP, BTH, RETH) and the first payload
	 * bytes, then one payload bit in 13. */
	dense_end = s.loc.l3_off + s.loc.ihl + 8 + 12 + 16 + 16;
	check_bit_flips(s.what, s.f->data, s.f->len, &s.loc, dense_end, 13);
	sample_free(&s);
}
END_TEST

START_TEST(test_uncovered_bytes_ignored)
{
	struct sample_frame s;
	uint32_t pos, len;
	unsigned int k, b;
	uint8_t *d;

	sample_load(&s, _i);
	len = s.f->len;
	d = xmalloc(len);
	memcpy(d, s.f->data, len);
	/* Ethernet (the ICRC starts at the IPv4 header) and the ICRC field
	 * itself are outside the CRC. */
	for (pos = 0; pos < len; pos++) {
		if (pos == s.loc.l3_off)
			pos = s.loc.icrc_off;
		for (b = 0; b < 8; b++) {
			d[pos] ^= 1u << b;
			for (k = 0; k < RTE_DIM(impls); k++) {
				uint32_t got = icrc_flat(impls[k], d, len, &s.loc);

				ck_assert_msg(got == s.icrc,
					      "%s (%s): flipping bit %u of uncovered byte %" PRIu32
					      " changed ICRC 0x%08" PRIx32 " to 0x%08" PRIx32,
					      s.what, impls[k]->name, b, pos, s.icrc, got);
			}
			d[pos] ^= 1u << b;
		}
	}
	free(d);
	sample_free(&s);
}
END_TEST

/* A copy of @p f with @p n bytes of @p ins inserted at @p at. */
static uint8_t *
frame_insert(const uint8_t *f, uint32_t len, uint32_t at, const uint8_t *ins, uint32_t n)
{
	uint8_t *d = xmalloc(len + n);

	memcpy(d, f, at);
	memcpy(d + at, ins, n);
	memcpy(d + at + n, f + at, len - at);
	return d;
}

START_TEST(test_vlan_tag_not_covered)
{
	/* 802.1Q tag, PCP 3, VID 100: L2 is outside the ICRC, so the
	 * captured value still holds with IPv4 at offset 18. */
	static const uint8_t tag[4] = { 0x81, 0x00, 0x60, 0x64 };
	struct sample_frame s;
	unsigned int k;
	struct loc loc;
	uint8_t *d;

	sample_load(&s, _i);
	d = frame_insert(s.f->data, s.f->len, 12, tag, sizeof(tag));
	ck_assert_msg(locate(d, s.f->len + 4, &loc) == LOC_ROCE && loc.l3_off == 18,
		      "%s: tagged copy not found as RoCEv2 at offset 18", s.what);
	for (k = 0; k < RTE_DIM(impls); k++) {
		uint32_t got = icrc_flat(impls[k], d, s.f->len + 4, &loc);

		ck_assert_msg(got == s.icrc, "%s (%s) with a VLAN tag: expected 0x%08" PRIx32
			      ", got 0x%08" PRIx32, s.what, impls[k]->name, s.icrc, got);
	}
	free(d);
	sample_free(&s);
}
END_TEST

START_TEST(test_ip_options_shift_masks)
{
	/* IPv4 options move the UDP and BTH masks by IHL: 4 bytes (a Router
	 * Alert, RFC 2113) and the 40-byte maximum (NOPs, then EOL). */
	static const uint32_t opt_len[] = { 4, 40 };
	uint8_t opts[40];
	struct sample_frame s;
	unsigned int j, k;

	sample_load(&s, SAMPLE_ACK);
	for (j = 0; j < RTE_DIM(opt_len); j++) {
		uint32_t n = opt_len[j], len = s.f->len + n, l3 = s.loc.l3_off;
		struct loc loc;
		uint8_t *d;
		char what[96];

		memset(opts, 0x01, sizeof(opts));
		if (n == 4)
			memcpy(opts, "\x94\x04\x00\x00", 4);
		else
			opts[n - 1] = 0x00;
		d = frame_insert(s.f->data, s.f->len, l3 + 20, opts, n);
		d[l3] = 0x40 | ((20 + n) / 4);
		d[l3 + 3] += n;		/* total length; no carry for a 62-byte frame */
		/* Masked fields not already ones, so a mask left at IHL 20
		 * would show. */
		d[l3 + 1] = 0x02;
		d[l3 + 20 + n + 6] = 0xbe;
		d[l3 + 20 + n + 7] = 0xef;
		d[l3 + 20 + n + 8 + 4] = 0x80;
		ck_assert_msg(locate(d, len, &loc) == LOC_ROCE && loc.ihl == 20 + n,
			      "%s: copy with %u option bytes not found as RoCEv2", s.what, n);
		snprintf(what, sizeof(what), "%s + %" PRIu32 " option bytes", s.what, n);
		for (k = 0; k < RTE_DIM(impls); k++) {
			uint32_t got = icrc_flat(impls[k], d, len, &loc), want = ref_icrc(d, &loc);

			ck_assert_msg(got == want, "%s (%s): reference 0x%08" PRIx32 ", got 0x%08"
				      PRIx32, what, impls[k]->name, want, got);
		}
		check_bit_flips(what, d, len, &loc, len, 1);
		free(d);
	}
	sample_free(&s);
}
END_TEST

/* ---- hand-computed vectors -------------------------------------------- */

START_TEST(test_hand_vector)
{
	/* RDMA WRITE Only with Immediate, 13 payload bytes (pad 3), with
	 * every masked field away from all-ones: DSCP 26 + ECN CE, TTL 7,
	 * FECN and BECN set. */
	static const uint8_t payload[13] = "hand vector!";
	uint8_t frame[256], frame2[256];
	struct roce_pkt pkt, pkt2;
	size_t in_len;
	uint8_t *in;
	struct loc loc;
	uint32_t stored, by_bit, by_table;
	int len, len2;

	test_pkt_sample(&pkt, ROCE_OP_WRITE_ONLY_IMM, sizeof(payload));
	pkt.ip_tos = (26 << 2) | 3;
	pkt.ip_ttl = 7;
	pkt.fecn = true;
	pkt.becn = true;
	pkt2 = pkt;
	len = roce_build_flat(&roce_crc32_table, &pkt, payload, frame, sizeof(frame));
	ck_assert_msg(len == 14 + 20 + 8 + 32 + 13 + 3 + 4, "built length expected %d, got %d",
		      14 + 20 + 8 + 32 + 13 + 3 + 4, len);
	len2 = roce_build_flat(&roce_crc32_isal, &pkt2, payload, frame2, sizeof(frame2));
	ck_assert_msg(len2 == len && memcmp(frame, frame2, len) == 0,
		      "isa-l and table builds differ: icrc 0x%08" PRIx32 " / 0x%08" PRIx32,
		      pkt.icrc, pkt2.icrc);

	/* Locate by hand: untagged, IHL from the frame, ICRC in the last 4. */
	loc.l3_off = 14;
	loc.ihl = (frame[14] & 0xf) * 4;
	loc.icrc_off = len - 4;
	ck_assert_msg(frame[14 + 1] != 0xff && frame[14 + 8] != 0xff &&
		      frame[14 + loc.ihl + 6] != 0xff && frame[14 + loc.ihl + 8 + 4] == 0xc0,
		      "masked fields unexpectedly all-ones: TOS 0x%02x TTL 0x%02x UDP csum 0x%02x "
		      "BTH[4] 0x%02x", frame[15], frame[22], frame[14 + loc.ihl + 6],
		      frame[14 + loc.ihl + 12]);

	/* 8 x 0xFF, masked IPv4/UDP/BTH, the rest up to the ICRC. */
	in = ref_icrc_input(frame, &loc, &in_len);
	ck_assert_msg(in_len == 8 + (size_t)len - 14 - 4, "ICRC input %zu bytes, expected %d",
		      in_len, 8 + len - 14 - 4);
	by_bit = ref_crc32(0, in, in_len);
	by_table = roce_crc32_table.update(0, in, in_len);
	free(in);
	stored = roce_icrc_load(frame + len - 4);
	ck_assert_msg(by_bit == by_table, "bitwise 0x%08" PRIx32 ", table 0x%08" PRIx32,
		      by_bit, by_table);
	ck_assert_msg(stored == by_table && pkt.icrc == by_table,
		      "hand-computed ICRC 0x%08" PRIx32 ", in frame 0x%08" PRIx32
		      ", pkt.icrc 0x%08" PRIx32, by_table, stored, pkt.icrc);
	/* Stored least-significant byte first (A17.3.3 / the captures). */
	ck_assert_msg(frame[len - 4] == (by_table & 0xff) && frame[len - 1] == by_table >> 24,
		      "ICRC bytes %02x %02x %02x %02x, expected LSB first of 0x%08" PRIx32,
		      frame[len - 4], frame[len - 3], frame[len - 2], frame[len - 1], by_table);
}
END_TEST

START_TEST(test_hand_vector_all_opcodes)
{
	/* The same independent computation over every opcode the builder
	 * knows, payloads 0..8 (all four pad counts where the opcode ends a
	 * message: only the last packet is padded, IBTA 9.2), with and without a
	 * VLAN tag. */
	uint8_t frame[256];
	unsigned int op, plen, vlan, n = 0;
	uint8_t payload[8];

	for (plen = 0; plen < sizeof(payload); plen++)
		payload[plen] = 0xa0 + plen;
	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);

		if (info == NULL)
			continue;
		for (plen = 0; plen <= 8; plen++) {
			if (plen > 0 && !(info->mask & ROCE_OPF_PAYLOAD))
				break;
			if ((plen & 3) != 0 && !(info->mask & ROCE_OPF_END))
				continue;
			for (vlan = 0; vlan < 2; vlan++) {
				struct roce_pkt pkt;
				struct loc loc;
				uint32_t want, got;
				int len;

				test_pkt_sample(&pkt, op, plen);
				pkt.has_vlan = vlan;
				pkt.vlan_tci = 0x2005;
				pkt.ip_tos = 0x01;
				pkt.fecn = true;
				len = roce_build_flat(&roce_crc32_isal, &pkt, payload, frame,
						      sizeof(frame));
				ck_assert_msg(len > 0, "%s len %u: build failed (%d)", info->name,
					      plen, len);
				ck_assert_msg(locate(frame, len, &loc) == LOC_ROCE &&
					      loc.icrc_off == (uint32_t)len - 4,
					      "%s len %u: built frame not found as RoCEv2",
					      info->name, plen);
				want = ref_icrc(frame, &loc);
				got = roce_icrc_load(frame + len - 4);
				ck_assert_msg(got == want, "%s payload %u vlan %u: frame ICRC 0x%08"
					      PRIx32 ", hand-computed 0x%08" PRIx32, info->name,
					      plen, vlan, got, want);
				n++;
			}
		}
	}
	ck_assert_msg(n > 24 * 2, "only %u frames built", n);
}
END_TEST

/* ---- negative --------------------------------------------------------- */

START_TEST(test_icrc_short_segments)
{
	/* Segments that end before the ICRC field (roce_icrc.h: bytes
	 * missing are not covered, nothing past the segments is read). Each
	 * truncated copy sits in a buffer of exactly its length, so a read
	 * past it shows under AddressSanitizer. */
	struct sample_frame s;
	uint32_t cut;
	unsigned int k;

	sample_load(&s, _i);
	for (cut = 0; cut < s.f->len; cut++) {
		uint8_t *d = xmalloc(cut);
		struct loc part = s.loc;
		uint32_t want, half = cut / 2;

		memcpy(d, s.f->data, cut);
		/* What is there: [l3_off, cut) with its masks, or nothing. */
		part.icrc_off = RTE_MAX(RTE_MIN(cut, s.loc.icrc_off), s.loc.l3_off);
		want = ref_icrc(d, &part);
		for (k = 0; k < RTE_DIM(impls); k++) {
			uint32_t one = icrc_flat(impls[k], d, cut, &s.loc);
			uint32_t two = icrc_cut(impls[k], d, cut, &s.loc, &half, 1);

			ck_assert_msg(one == want && two == want,
				      "%s (%s) truncated to %" PRIu32 " bytes: expected 0x%08"
				      PRIx32 ", got 0x%08" PRIx32 " in one segment, 0x%08" PRIx32
				      " in two", s.what, impls[k]->name, cut, want, one, two);
		}
		free(d);
	}
	sample_free(&s);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *
icrc_suite(void)
{
	Suite *s = suite_create("icrc");
	TCase *tc;

	tc = tcase_create("crc32");
	tcase_add_test(tc, test_crc32_check_values);
	tcase_add_test(tc, test_crc32_impls_agree);
	tcase_add_test(tc, test_crc32_chaining);
	suite_add_tcase(s, tc);

	tc = tcase_create("captures");
	tcase_add_loop_test(tc, test_icrc_matches_capture, 0, RTE_DIM(captures));
	suite_add_tcase(s, tc);

	tc = tcase_create("segments");
	tcase_add_loop_test(tc, test_icrc_split_two, 0, RTE_DIM(samples));
	tcase_add_loop_test(tc, test_icrc_split_three, 0, RTE_DIM(samples));
	tcase_add_loop_test(tc, test_icrc_byte_segments, 0, RTE_DIM(samples));
	tcase_add_loop_test(tc, test_icrc_empty_segments, 0, RTE_DIM(samples));
	suite_add_tcase(s, tc);

	tc = tcase_create("masking");
	tcase_add_loop_test(tc, test_masked_fields_ignored, 0, RTE_DIM(samples));
	tcase_add_test(tc, test_covered_bits_small);
	tcase_add_test(tc, test_covered_bits_large_sampled);
	tcase_add_loop_test(tc, test_uncovered_bytes_ignored, 0, RTE_DIM(samples));
	tcase_add_loop_test(tc, test_vlan_tag_not_covered, 0, RTE_DIM(samples));
	tcase_add_test(tc, test_ip_options_shift_masks);
	suite_add_tcase(s, tc);

	tc = tcase_create("reference");
	tcase_add_test(tc, test_reference_matches_captures);
	tcase_add_test(tc, test_hand_vector);
	tcase_add_test(tc, test_hand_vector_all_opcodes);
	suite_add_tcase(s, tc);

	tc = tcase_create("negative");
	tcase_add_test(tc, test_icrc_bad_capture_mismatches);
	tcase_add_loop_test(tc, test_icrc_short_segments, 0, RTE_DIM(samples));
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(icrc_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
