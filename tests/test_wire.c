/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire-format tests: header layouts, BTH and AETH accessors, PSN
 * arithmetic, the opcode table and the RoCEv2 UDP source port.
 * Pure code: no EAL, no devices.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "roce_opcode.h"
#include "roce_psn.h"
#include "roce_wire.h"
#include "test_util.h"
#include "test_ref.h"

/* ---- helpers ---------------------------------------------------------- */

/* "80 ab cd ef" for failure messages; four rotating static buffers so a
 * message can show two of them. */
static const char *
hex(const void *p, size_t n)
{
	static char buf[4][3 * 32 + 1];
	static unsigned int next;
	char *s = buf[next++ % RTE_DIM(buf)], *o = s;
	const uint8_t *b = p;
	size_t i;

	s[0] = '\0';
	for (i = 0; i < n && i < 32; i++)
		o += sprintf(o, "%s%02x", i ? " " : "", b[i]);
	return s;
}

/* ---- layout: sizes and offsets (IBTA 9.2, 9.3) ------------------------- */

struct layout_row {
	const char *what;
	size_t got;
	size_t want;
};

START_TEST(test_struct_sizes)
{
	static const struct layout_row rows[] = {
		{ "sizeof(struct roce_bth)", sizeof(struct roce_bth), 12 },
		{ "sizeof(struct roce_reth)", sizeof(struct roce_reth), 16 },
		{ "sizeof(struct roce_aeth)", sizeof(struct roce_aeth), 4 },
		{ "sizeof(struct roce_immdt)", sizeof(struct roce_immdt), 4 },
		{ "sizeof(struct roce_ieth)", sizeof(struct roce_ieth), 4 },
		{ "sizeof(struct roce_atmeth)", sizeof(struct roce_atmeth), 28 },
		{ "sizeof(struct roce_atmack)", sizeof(struct roce_atmack), 8 },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++)
		ck_assert_msg(rows[i].got == rows[i].want, "%s: expected %zu, got %zu",
			      rows[i].what, rows[i].want, rows[i].got);
}
END_TEST

START_TEST(test_field_offsets)
{
	/* Byte offsets of each field inside its header, IBTA 9.2 and
	 * 9.3.3..9.3.8 (AtomicETH's 64-bit operands are unaligned on the wire). */
	static const struct layout_row rows[] = {
		{ "bth.opcode", offsetof(struct roce_bth, opcode), 0 },
		{ "bth.se_m_pad_tver", offsetof(struct roce_bth, se_m_pad_tver), 1 },
		{ "bth.pkey", offsetof(struct roce_bth, pkey), 2 },
		{ "bth.fb_dqpn", offsetof(struct roce_bth, fb_dqpn), 4 },
		{ "bth.a_psn", offsetof(struct roce_bth, a_psn), 8 },
		{ "reth.va", offsetof(struct roce_reth, va), 0 },
		{ "reth.rkey", offsetof(struct roce_reth, rkey), 8 },
		{ "reth.dma_len", offsetof(struct roce_reth, dma_len), 12 },
		{ "aeth.syn_msn", offsetof(struct roce_aeth, syn_msn), 0 },
		{ "immdt.imm", offsetof(struct roce_immdt, imm), 0 },
		{ "ieth.rkey", offsetof(struct roce_ieth, rkey), 0 },
		{ "atmeth.va", offsetof(struct roce_atmeth, va), 0 },
		{ "atmeth.rkey", offsetof(struct roce_atmeth, rkey), 8 },
		{ "atmeth.swap_add", offsetof(struct roce_atmeth, swap_add), 12 },
		{ "atmeth.compare", offsetof(struct roce_atmeth, compare), 20 },
		{ "atmack.orig", offsetof(struct roce_atmack, orig), 0 },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++)
		ck_assert_msg(rows[i].got == rows[i].want, "offsetof %s: expected %zu, got %zu",
			      rows[i].what, rows[i].want, rows[i].got);
}
END_TEST

START_TEST(test_structs_byte_aligned)
{
	/* Headers sit at any byte offset of a frame (the BTH at 42 or 46):
	 * every wire struct must be packed to alignment 1. */
	static const struct layout_row rows[] = {
		{ "roce_bth", _Alignof(struct roce_bth), 1 },
		{ "roce_reth", _Alignof(struct roce_reth), 1 },
		{ "roce_aeth", _Alignof(struct roce_aeth), 1 },
		{ "roce_immdt", _Alignof(struct roce_immdt), 1 },
		{ "roce_ieth", _Alignof(struct roce_ieth), 1 },
		{ "roce_atmeth", _Alignof(struct roce_atmeth), 1 },
		{ "roce_atmack", _Alignof(struct roce_atmack), 1 },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++)
		ck_assert_msg(rows[i].got == rows[i].want, "_Alignof(%s): expected %zu, got %zu",
			      rows[i].what, rows[i].want, rows[i].got);
}
END_TEST

/* ---- BTH accessors (IBTA 9.2) ----------------------------------------- */

/* Every BTH field, host order. */
struct bth_fields {
	uint8_t opcode;
	bool se;
	bool mig;
	uint8_t pad;
	uint16_t pkey;
	bool fecn;
	bool becn;
	uint32_t dqpn;
	bool ackreq;
	uint32_t psn;
};

static void
bth_read(const struct roce_bth *b, struct bth_fields *f)
{
	f->opcode = b->opcode;
	f->se = roce_bth_se(b);
	f->mig = roce_bth_migreq(b);
	f->pad = roce_bth_padcnt(b);
	f->pkey = roce_bth_pkey(b);
	f->fecn = roce_bth_fecn(b);
	f->becn = roce_bth_becn(b);
	f->dqpn = roce_bth_dqpn(b);
	f->ackreq = roce_bth_ackreq(b);
	f->psn = roce_bth_psn(b);
}

/* Compare two field sets; on mismatch fail naming the field and @p ctx. */
static void
bth_expect(const struct bth_fields *got, const struct bth_fields *want, const char *ctx)
{
	ck_assert_msg(got->opcode == want->opcode, "%s: opcode expected 0x%02x, got 0x%02x",
		      ctx, want->opcode, got->opcode);
	ck_assert_msg(got->se == want->se, "%s: SE expected %d, got %d", ctx, want->se, got->se);
	ck_assert_msg(got->mig == want->mig, "%s: MigReq expected %d, got %d", ctx, want->mig,
		      got->mig);
	ck_assert_msg(got->pad == want->pad, "%s: PadCnt expected %u, got %u", ctx, want->pad,
		      got->pad);
	ck_assert_msg(got->pkey == want->pkey, "%s: P_Key expected 0x%04x, got 0x%04x", ctx,
		      want->pkey, got->pkey);
	ck_assert_msg(got->fecn == want->fecn, "%s: FECN expected %d, got %d", ctx, want->fecn,
		      got->fecn);
	ck_assert_msg(got->becn == want->becn, "%s: BECN expected %d, got %d", ctx, want->becn,
		      got->becn);
	ck_assert_msg(got->dqpn == want->dqpn, "%s: DestQP expected 0x%06" PRIx32 ", got 0x%06"
		      PRIx32, ctx, want->dqpn, got->dqpn);
	ck_assert_msg(got->ackreq == want->ackreq, "%s: AckReq expected %d, got %d", ctx,
		      want->ackreq, got->ackreq);
	ck_assert_msg(got->psn == want->psn, "%s: PSN expected 0x%06" PRIx32 ", got 0x%06" PRIx32,
		      ctx, want->psn, got->psn);
}

START_TEST(test_bth_decode_wire_bytes)
{
	/* Hand-written wire bytes, decoded field by field (IBTA 9.2). */
	static const struct {
		uint8_t wire[12];
		struct bth_fields want;
		uint8_t tver;
	} rows[] = {
		/* RDMA WRITE Only w/ Imm, SE, pad 3, P_Key 0x8001, FECN+BECN,
		 * QP 0xabcdef, AckReq, PSN 0x123456. */
		{ { 0x0b, 0xb0, 0x80, 0x01, 0xc0, 0xab, 0xcd, 0xef, 0x80, 0x12, 0x34, 0x56 },
		  { 0x0b, true, false, 3, 0x8001, true, true, 0xabcdef, true, 0x123456 }, 0 },
		/* MigReq and TVer 0xf; reserved bits of bytes 4 and 8 all set
		 * must not leak into FECN/BECN/DestQP/AckReq/PSN. */
		{ { 0x00, 0x4f, 0x00, 0x00, 0x3f, 0x00, 0x00, 0x00, 0x7f, 0x00, 0x00, 0x00 },
		  { 0x00, false, true, 0, 0x0000, false, false, 0, false, 0 }, 0xf },
		/* All ones: every field at its maximum. */
		{ { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
		  { 0xff, true, true, 3, 0xffff, true, true, 0xffffff, true, 0xffffff }, 0xf },
		/* One bit per field, to catch a shifted mask. */
		{ { 0x11, 0x20, 0x00, 0x01, 0x40, 0x00, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00 },
		  { 0x11, false, false, 2, 0x0001, false, true, 1, false, 0x800000 }, 0 },
	};
	struct roce_bth b;
	struct bth_fields got;
	unsigned int i;
	char ctx[64];

	for (i = 0; i < RTE_DIM(rows); i++) {
		memcpy(&b, rows[i].wire, sizeof(b));
		bth_read(&b, &got);
		snprintf(ctx, sizeof(ctx), "row %u [%s]", i, hex(rows[i].wire, 12));
		bth_expect(&got, &rows[i].want, ctx);
		ck_assert_msg(roce_bth_tver(&b) == rows[i].tver, "%s: TVer expected %u, got %u",
			      ctx, rows[i].tver, roce_bth_tver(&b));
	}
}
END_TEST

START_TEST(test_bth_set_flags)
{
	unsigned int v, se, mig, pad, i;
	struct roce_bth b;
	uint8_t *w = (uint8_t *)&b;

	for (v = 0; v < 16; v++) {
		se = v >> 3;
		mig = (v >> 2) & 1;
		pad = v & 3;
		/* Byte 1 starts all ones so a stale TVer would show. */
		memset(&b, 0xa5, sizeof(b));
		w[1] = 0xff;
		roce_bth_set_flags(&b, se, mig, pad);
		/* SE bit 7, MigReq bit 6, PadCnt bits 5:4, TVer 3:0 = 0 (IBTA 9.2). */
		ck_assert_msg(w[1] == ((se << 7) | (mig << 6) | (pad << 4)),
			      "se=%u mig=%u pad=%u: byte 1 expected 0x%02x, got 0x%02x",
			      se, mig, pad, (se << 7) | (mig << 6) | (pad << 4), w[1]);
		ck_assert_msg(roce_bth_se(&b) == se && roce_bth_migreq(&b) == mig &&
			      roce_bth_padcnt(&b) == pad && roce_bth_tver(&b) == ROCE_BTH_TVER,
			      "se=%u mig=%u pad=%u: read back se=%d mig=%d pad=%u tver=%u",
			      se, mig, pad, roce_bth_se(&b), roce_bth_migreq(&b),
			      roce_bth_padcnt(&b), roce_bth_tver(&b));
		for (i = 0; i < sizeof(b); i++)
			ck_assert_msg(i == 1 || w[i] == 0xa5,
				      "se=%u mig=%u pad=%u: byte %u changed to 0x%02x",
				      se, mig, pad, i, w[i]);
	}
	/* An oversized pad count stays inside its two bits. */
	memset(&b, 0, sizeof(b));
	roce_bth_set_flags(&b, false, false, 0xff);
	ck_assert_msg(w[1] == 0x30, "pad 0xff: byte 1 expected 0x30, got 0x%02x", w[1]);
	ck_assert_uint_eq(ROCE_BTH_TVER, 0);
}
END_TEST

/* 24-bit values at their extremes, and above 24 bits (masked). */
static const struct {
	uint32_t in;
	uint32_t out;
} qp24[] = {
	{ 0, 0 }, { 1, 1 }, { 0x7fffff, 0x7fffff }, { 0x800000, 0x800000 },
	{ 0xabcdef, 0xabcdef }, { 0xfffffe, 0xfffffe }, { 0xffffff, 0xffffff },
	{ 0x1000000, 0 }, { 0x1abcdef, 0xabcdef }, { 0xff000001, 1 },
	{ 0xffffffff, 0xffffff },
};

START_TEST(test_bth_set_dqpn)
{
	unsigned int v, i, fecn, becn, k;
	uint8_t want[4];
	struct roce_bth b;
	uint8_t *w = (uint8_t *)&b;

	for (v = 0; v < 4 * RTE_DIM(qp24); v++) {
		i = v / 4;
		fecn = (v >> 1) & 1;
		becn = v & 1;
		memset(&b, 0xa5, sizeof(b));
		roce_bth_set_dqpn(&b, fecn, becn, qp24[i].in);
		/* FECN bit 7, BECN bit 6, reserved 5:0 written as 0, then QP. */
		want[0] = (fecn << 7) | (becn << 6);
		want[1] = qp24[i].out >> 16;
		want[2] = qp24[i].out >> 8;
		want[3] = qp24[i].out;
		ck_assert_msg(memcmp(w + 4, want, 4) == 0,
			      "dqpn 0x%" PRIx32 " fecn=%u becn=%u: bytes 4..7 expected %s, got %s",
			      qp24[i].in, fecn, becn, hex(want, 4), hex(w + 4, 4));
		ck_assert_msg(roce_bth_dqpn(&b) == qp24[i].out && roce_bth_fecn(&b) == fecn &&
			      roce_bth_becn(&b) == becn,
			      "dqpn 0x%" PRIx32 " fecn=%u becn=%u: read back 0x%" PRIx32 " %d %d",
			      qp24[i].in, fecn, becn, roce_bth_dqpn(&b), roce_bth_fecn(&b),
			      roce_bth_becn(&b));
		for (k = 0; k < sizeof(b); k++)
			ck_assert_msg((k >= 4 && k < 8) || w[k] == 0xa5,
				      "dqpn 0x%" PRIx32 ": byte %u changed to 0x%02x",
				      qp24[i].in, k, w[k]);
	}
	/* The example of the brief, byte for byte. */
	memset(&b, 0, sizeof(b));
	roce_bth_set_dqpn(&b, true, false, 0xabcdef);
	ck_assert_msg(memcmp(w + 4, "\x80\xab\xcd\xef", 4) == 0,
		      "dqpn 0xabcdef + FECN: expected 80 ab cd ef, got %s", hex(w + 4, 4));
}
END_TEST

START_TEST(test_bth_set_psn)
{
	unsigned int v, i, ack, k;
	uint8_t want[4];
	struct roce_bth b;
	uint8_t *w = (uint8_t *)&b;

	for (v = 0; v < 2 * RTE_DIM(qp24); v++) {
		i = v / 2;
		ack = v & 1;
		memset(&b, 0xa5, sizeof(b));
		roce_bth_set_psn(&b, ack, qp24[i].in);
		/* AckReq bit 7, reserved 6:0 written as 0, then the PSN. */
		want[0] = ack << 7;
		want[1] = qp24[i].out >> 16;
		want[2] = qp24[i].out >> 8;
		want[3] = qp24[i].out;
		ck_assert_msg(memcmp(w + 8, want, 4) == 0,
			      "psn 0x%" PRIx32 " ackreq=%u: bytes 8..11 expected %s, got %s",
			      qp24[i].in, ack, hex(want, 4), hex(w + 8, 4));
		ck_assert_msg(roce_bth_psn(&b) == qp24[i].out && roce_bth_ackreq(&b) == ack,
			      "psn 0x%" PRIx32 " ackreq=%u: read back 0x%" PRIx32 " %d",
			      qp24[i].in, ack, roce_bth_psn(&b), roce_bth_ackreq(&b));
		for (k = 0; k < 8; k++)
			ck_assert_msg(w[k] == 0xa5, "psn 0x%" PRIx32 ": byte %u changed to 0x%02x",
				      qp24[i].in, k, w[k]);
	}
	memset(&b, 0, sizeof(b));
	roce_bth_set_psn(&b, true, 0x123456);
	ck_assert_msg(memcmp(w + 8, "\x80\x12\x34\x56", 4) == 0,
		      "psn 0x123456 + AckReq: expected 80 12 34 56, got %s", hex(w + 8, 4));
}
END_TEST

START_TEST(test_bth_pkey_opcode)
{
	/* No setter: P_Key is a plain big-endian 16-bit field at byte 2. */
	static const uint16_t pkeys[] = { 0x0000, 0x0001, 0x7fff, 0x8001, 0xffff };
	struct roce_bth b;
	uint8_t *w = (uint8_t *)&b;
	unsigned int i;

	for (i = 0; i < RTE_DIM(pkeys); i++) {
		memset(&b, 0, sizeof(b));
		w[2] = pkeys[i] >> 8;
		w[3] = pkeys[i] & 0xff;
		ck_assert_msg(roce_bth_pkey(&b) == pkeys[i],
			      "P_Key bytes %s: expected 0x%04x, got 0x%04x",
			      hex(w + 2, 2), pkeys[i], roce_bth_pkey(&b));
	}
	ck_assert_uint_eq(ROCE_DEFAULT_PKEY, 0xffff);
	memset(&b, 0, sizeof(b));
	w[0] = 0x81;
	ck_assert_msg(b.opcode == 0x81, "opcode at byte 0: expected 0x81, got 0x%02x", b.opcode);
}
END_TEST

/* Write every field with the setters (and P_Key/opcode directly). */
static void
bth_write(struct roce_bth *b, const struct bth_fields *f)
{
	b->opcode = f->opcode;
	roce_bth_set_flags(b, f->se, f->mig, f->pad);
	b->pkey = rte_cpu_to_be_16(f->pkey);
	roce_bth_set_dqpn(b, f->fecn, f->becn, f->dqpn);
	roce_bth_set_psn(b, f->ackreq, f->psn);
}

START_TEST(test_bth_setters_keep_neighbours)
{
	static const struct bth_fields zeros = { 0 };
	static const struct bth_fields ones = {
		0xff, true, true, 3, 0xffff, true, true, 0xffffff, true, 0xffffff,
	};
	static const struct bth_fields mixed = {
		0x0a, true, false, 2, 0x1234, false, true, 0x123456, true, 0x654321,
	};
	static const char *const field[] = { "flags", "dqpn", "psn" };
	const struct bth_fields *base[] = { &zeros, &mixed, &ones };
	struct bth_fields got, want;
	struct roce_bth b, before;
	unsigned int v, i, k;
	char ctx[96];

	/* Set one field to the opposite extreme of everything else: the
	 * others must read back unchanged. */
	for (v = 0; v < RTE_DIM(base) * RTE_DIM(field); v++) {
		const struct bth_fields *to;

		i = v / RTE_DIM(field);
		k = v % RTE_DIM(field);
		to = (base[i] == &ones) ? &zeros : &ones;

		bth_write(&b, base[i]);
		before = b;
		want = *base[i];
		switch (k) {
		case 0:
			roce_bth_set_flags(&b, to->se, to->mig, to->pad);
			want.se = to->se;
			want.mig = to->mig;
			want.pad = to->pad;
			break;
		case 1:
			roce_bth_set_dqpn(&b, to->fecn, to->becn, to->dqpn);
			want.fecn = to->fecn;
			want.becn = to->becn;
			want.dqpn = to->dqpn;
			break;
		default:
			roce_bth_set_psn(&b, to->ackreq, to->psn);
			want.ackreq = to->ackreq;
			want.psn = to->psn;
			break;
		}
		bth_read(&b, &got);
		snprintf(ctx, sizeof(ctx), "base %u, %s set to %s [%s] -> [%s]", i, field[k],
			 to == &ones ? "ones" : "zeros", hex(&before, 12), hex(&b, 12));
		bth_expect(&got, &want, ctx);
		ck_assert_msg(roce_bth_tver(&b) == 0, "%s: TVer expected 0, got %u", ctx,
			      roce_bth_tver(&b));
	}
}
END_TEST

/* ---- AETH (IBTA 9.3.5: syndrome and MSN) ------------------------------ */

START_TEST(test_aeth_set_and_read)
{
	static const uint8_t syn[] = { 0x00, 0x01, 0x1f, 0x20, 0x3f, 0x60, 0x64, 0x80, 0xff };
	struct roce_aeth a;
	uint8_t *w = (uint8_t *)&a, want[4];
	unsigned int v, i, j;

	for (v = 0; v < RTE_DIM(syn) * RTE_DIM(qp24); v++) {
		i = v / RTE_DIM(qp24);
		j = v % RTE_DIM(qp24);
		memset(&a, 0xa5, sizeof(a));
		roce_aeth_set(&a, syn[i], qp24[j].in);
		/* Syndrome in byte 0, MSN in bytes 1..3. */
		want[0] = syn[i];
		want[1] = qp24[j].out >> 16;
		want[2] = qp24[j].out >> 8;
		want[3] = qp24[j].out;
		ck_assert_msg(memcmp(w, want, 4) == 0,
			      "syndrome 0x%02x msn 0x%" PRIx32 ": expected %s, got %s",
			      syn[i], qp24[j].in, hex(want, 4), hex(w, 4));
		ck_assert_msg(roce_aeth_syndrome(&a) == syn[i] && roce_aeth_msn(&a) == qp24[j].out,
			      "syndrome 0x%02x msn 0x%" PRIx32 ": read back 0x%02x 0x%" PRIx32,
			      syn[i], qp24[j].in, roce_aeth_syndrome(&a), roce_aeth_msn(&a));
	}
	/* What soft-RoCE sends: ACK, no credit count, MSN 42. */
	memcpy(&a, "\x1f\x00\x00\x2a", 4);
	ck_assert_msg(roce_aeth_syndrome(&a) == ROCE_AETH_ACK_NO_CREDIT && roce_aeth_msn(&a) == 42,
		      "1f 00 00 2a: expected syndrome 0x1f msn 42, got 0x%02x %" PRIu32,
		      roce_aeth_syndrome(&a), roce_aeth_msn(&a));
}
END_TEST

START_TEST(test_aeth_type_value)
{
	/* Syndrome bit 7 reserved, bits 6:5 the kind (00 ACK, 01 RNR NAK,
	 * 10 reserved, 11 NAK), bits 4:0 credits / RNR timer / NAK code. */
	static const uint8_t kind[4] = { ROCE_AETH_ACK, ROCE_AETH_RNR_NAK, 0x40, ROCE_AETH_NAK };
	unsigned int s;

	ck_assert_uint_eq(ROCE_AETH_ACK, 0x00);
	ck_assert_uint_eq(ROCE_AETH_RNR_NAK, 0x20);
	ck_assert_uint_eq(ROCE_AETH_NAK, 0x60);
	ck_assert_uint_eq(ROCE_AETH_ACK_NO_CREDIT, 0x1f);
	for (s = 0; s < 256; s++) {
		ck_assert_msg(roce_aeth_type(s) == kind[(s >> 5) & 3],
			      "syndrome 0x%02x: type expected 0x%02x, got 0x%02x",
			      s, kind[(s >> 5) & 3], roce_aeth_type(s));
		ck_assert_msg(roce_aeth_value(s) == (s & 0x1f),
			      "syndrome 0x%02x: value expected %u, got %u",
			      s, s & 0x1f, roce_aeth_value(s));
	}
}
END_TEST

START_TEST(test_aeth_nak_codes)
{
	/* The syndromes a responder sends, NAK codes as IBTA 9.3.5 numbers them. */
	static const struct {
		uint8_t syndrome;
		uint8_t type;
		uint8_t value;
	} rows[] = {
		{ 0x1f, ROCE_AETH_ACK, 0x1f },			/* ACK, invalid credit */
		{ 0x00, ROCE_AETH_ACK, 0 },			/* ACK, 0 credits */
		{ 0x21, ROCE_AETH_RNR_NAK, 1 },			/* RNR, 0.01 ms */
		{ 0x3f, ROCE_AETH_RNR_NAK, 31 },		/* RNR, 491.52 ms */
		{ 0x60, ROCE_AETH_NAK, ROCE_NAK_PSN_SEQ_ERR },
		{ 0x61, ROCE_AETH_NAK, ROCE_NAK_INVALID_REQ },
		{ 0x62, ROCE_AETH_NAK, ROCE_NAK_REM_ACCESS_ERR },
		{ 0x63, ROCE_AETH_NAK, ROCE_NAK_REM_OP_ERR },
		{ 0x64, ROCE_AETH_NAK, ROCE_NAK_INVALID_RD_REQ },
	};
	unsigned int i;

	ck_assert_uint_eq(ROCE_NAK_PSN_SEQ_ERR, 0);
	ck_assert_uint_eq(ROCE_NAK_INVALID_REQ, 1);
	ck_assert_uint_eq(ROCE_NAK_REM_ACCESS_ERR, 2);
	ck_assert_uint_eq(ROCE_NAK_REM_OP_ERR, 3);
	ck_assert_uint_eq(ROCE_NAK_INVALID_RD_REQ, 4);
	for (i = 0; i < RTE_DIM(rows); i++)
		ck_assert_msg(roce_aeth_type(rows[i].syndrome) == rows[i].type &&
			      roce_aeth_value(rows[i].syndrome) == rows[i].value,
			      "syndrome 0x%02x: expected type 0x%02x value %u, got 0x%02x %u",
			      rows[i].syndrome, rows[i].type, rows[i].value,
			      roce_aeth_type(rows[i].syndrome), roce_aeth_value(rows[i].syndrome));
}
END_TEST

/* ---- PSN arithmetic (IBTA 9.7.1: 24-bit, compared modulo 2^24) -------- */

#define PSN_HALF 0x800000

START_TEST(test_psn_add_wraps)
{
	static const struct {
		uint32_t psn, n, want;
	} rows[] = {
		{ 0, 0, 0 }, { 0, 1, 1 }, { 0xfffffe, 1, 0xffffff }, { 0xffffff, 1, 0 },
		{ 0xffffff, 2, 1 }, { 0xfffffe, 3, 1 }, { 0, 0xffffff, 0xffffff },
		{ 1, 0xffffff, 0 }, { 0x7fffff, 1, 0x800000 }, { 0x800000, 0x800000, 0 },
		{ 0x123456, 0x1000000, 0x123456 }, { 0xffffff, 0xffffff, 0xfffffe },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++)
		ck_assert_msg(roce_psn_add(rows[i].psn, rows[i].n) == rows[i].want,
			      "psn_add(0x%06" PRIx32 ", 0x%" PRIx32 "): expected 0x%06" PRIx32
			      ", got 0x%06" PRIx32, rows[i].psn, rows[i].n, rows[i].want,
			      roce_psn_add(rows[i].psn, rows[i].n));
}
END_TEST

START_TEST(test_psn_diff_near_wrap)
{
	static const struct {
		uint32_t a, b;
		int32_t want;
	} rows[] = {
		{ 0, 0, 0 }, { 0xffffff, 0xffffff, 0 }, { 1, 0, 1 }, { 0, 1, -1 },
		{ 0, 0xffffff, 1 }, { 0xffffff, 0, -1 }, { 1, 0xfffffe, 3 },
		{ 0xfffffe, 1, -3 }, { 0x10, 0xfffff0, 0x20 }, { 0xfffff0, 0x10, -0x20 },
		{ 0x800000, 0x7fffff, 1 }, { 0x7fffff, 0x800000, -1 },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++)
		ck_assert_msg(roce_psn_diff(rows[i].a, rows[i].b) == rows[i].want,
			      "psn_diff(0x%06" PRIx32 ", 0x%06" PRIx32 "): expected %" PRId32
			      ", got %" PRId32, rows[i].a, rows[i].b, rows[i].want,
			      roce_psn_diff(rows[i].a, rows[i].b));
}
END_TEST

START_TEST(test_psn_diff_half_window)
{
	/* The largest distances that still have a sign, 2^23 - 1 either
	 * way, from bases on both sides of the wrap. */
	static const uint32_t bases[] = { 0, 1, 0x7fffff, 0x800000, 0x800001, 0xfffffe, 0xffffff,
					  0x123456 };
	static const int32_t dists[] = { 1, 2, 0x3fffff, 0x400000, 0x7ffffe, 0x7fffff };
	unsigned int i, j;

	for (i = 0; i < RTE_DIM(bases); i++) {
		uint32_t b = bases[i];

		for (j = 0; j < RTE_DIM(dists); j++) {
			uint32_t ahead = roce_psn_add(b, dists[j]);
			uint32_t behind = (b - dists[j]) & ROCE_PSN_MASK;

			ck_assert_msg(roce_psn_diff(ahead, b) == dists[j],
				      "psn_diff(0x%06" PRIx32 ", 0x%06" PRIx32 "): "
				      "expected %" PRId32 ", got %" PRId32,
				      ahead, b, dists[j], roce_psn_diff(ahead, b));
			ck_assert_msg(roce_psn_diff(behind, b) == -dists[j],
				      "psn_diff(0x%06" PRIx32 ", 0x%06" PRIx32 "): "
				      "expected %" PRId32 ", got %" PRId32,
				      behind, b, -dists[j], roce_psn_diff(behind, b));
		}
		/* Exactly 2^23 apart the sign is a convention: the magnitude is
		 * 2^23 and both directions must agree (a - b == b - a mod 2^24).
		 * The implementation, like rxe's psn_compare(), says -2^23. */
		{
			uint32_t far = roce_psn_add(b, PSN_HALF);
			int32_t d1 = roce_psn_diff(far, b), d2 = roce_psn_diff(b, far);

			ck_assert_msg((d1 == PSN_HALF || d1 == -PSN_HALF) && d1 == d2,
				      "psn_diff at 2^23 from 0x%06" PRIx32 ": expected +-%d "
				      "both ways, got %" PRId32 " and %" PRId32,
				      b, PSN_HALF, d1, d2);
		}
	}
	ck_assert_uint_eq(ROCE_PSN_HALF, PSN_HALF);
	ck_assert_uint_eq(ROCE_PSN_MASK, 0xffffff);
}
END_TEST

/* Exactly one of a < b, a == b, a > b; le/ge agree with them; and
 * swapping the arguments swaps lt and gt (except at exactly 2^23 apart). */
static void
psn_check_pair(uint32_t a, uint32_t b)
{
	bool lt = roce_psn_lt(a, b), gt = roce_psn_gt(a, b), eq = a == b;
	int32_t d = roce_psn_diff(a, b);

	ck_assert_msg(lt + eq + gt == 1, "(0x%06" PRIx32 ", 0x%06" PRIx32 "): expected exactly "
		      "one of lt/eq/gt, got lt=%d eq=%d gt=%d", a, b, lt, eq, gt);
	ck_assert_msg(roce_psn_le(a, b) == (lt || eq) && roce_psn_ge(a, b) == (gt || eq),
		      "(0x%06" PRIx32 ", 0x%06" PRIx32 "): le=%d ge=%d inconsistent with lt=%d "
		      "eq=%d gt=%d", a, b, roce_psn_le(a, b), roce_psn_ge(a, b), lt, eq, gt);
	ck_assert_msg(lt == (d < 0) && gt == (d > 0),
		      "(0x%06" PRIx32 ", 0x%06" PRIx32 "): lt=%d gt=%d but diff %" PRId32,
		      a, b, lt, gt, d);
	if (((a - b) & ROCE_PSN_MASK) != PSN_HALF)
		ck_assert_msg(lt == roce_psn_gt(b, a) && gt == roce_psn_lt(b, a),
			      "(0x%06" PRIx32 ", 0x%06" PRIx32 "): lt=%d gt=%d but "
			      "swapped gt=%d lt=%d",
			      a, b, lt, gt, roce_psn_gt(b, a), roce_psn_lt(b, a));
}

START_TEST(test_psn_compare_consistent)
{
	static const struct {
		uint32_t a, b;
		bool lt;
	} rows[] = {
		{ 0xfffffe, 1, true }, { 1, 0xfffffe, false }, { 0xffffff, 0, true },
		{ 0, 0xffffff, false }, { 0, 0, false }, { 0xffffff, 0xffffff, false },
		{ 5, 6, true }, { 6, 5, false }, { 0, 0x7fffff, true }, { 0x7fffff, 0, false },
		{ 0x800001, 0, true }, { 0, 0x800001, false },
	};
	uint64_t rng = 0x5eed0001;
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++) {
		ck_assert_msg(roce_psn_lt(rows[i].a, rows[i].b) == rows[i].lt,
			      "psn_lt(0x%06" PRIx32 ", 0x%06" PRIx32 "): expected %d, got %d",
			      rows[i].a, rows[i].b, rows[i].lt, roce_psn_lt(rows[i].a, rows[i].b));
		psn_check_pair(rows[i].a, rows[i].b);
	}
	/* Half-way pairs still give exactly one answer per ordered pair. */
	psn_check_pair(0, PSN_HALF);
	psn_check_pair(PSN_HALF, 0);
	for (i = 0; i < 100000; i++) {
		uint64_t r = rng_next(&rng);
		uint32_t a = r & ROCE_PSN_MASK;
		/* Every other pair close together, around a wrap. */
		uint32_t b = (i & 1) ? (uint32_t)(r >> 32) & ROCE_PSN_MASK :
				       (a + (uint32_t)((r >> 32) & 0xff) - 0x80) & ROCE_PSN_MASK;

		psn_check_pair(a, b);
	}
}
END_TEST

/* ---- opcode table (IBTA 9.2 table 34; Annex A17.9.3 for CNP) ---------- */

#define NO -1	/* header absent */

/* Hand-written from IBTA table 34 and 9.3: name and header offsets. */
static const struct {
	uint8_t op;
	int enum_val;
	const char *name;
	int reth, aeth, atmeth, atmack, immdt, ieth, cnp, payload;
	uint8_t length;
} ibta[] = {
	{ 0x00, ROCE_OP_SEND_FIRST, "SEND_FIRST", NO, NO, NO, NO, NO, NO, NO, 12, 12 },
	{ 0x01, ROCE_OP_SEND_MIDDLE, "SEND_MIDDLE", NO, NO, NO, NO, NO, NO, NO, 12, 12 },
	{ 0x02, ROCE_OP_SEND_LAST, "SEND_LAST", NO, NO, NO, NO, NO, NO, NO, 12, 12 },
	{ 0x03, ROCE_OP_SEND_LAST_IMM, "SEND_LAST_WITH_IMMEDIATE",
	  NO, NO, NO, NO, 12, NO, NO, 16, 16 },
	{ 0x04, ROCE_OP_SEND_ONLY, "SEND_ONLY", NO, NO, NO, NO, NO, NO, NO, 12, 12 },
	{ 0x05, ROCE_OP_SEND_ONLY_IMM, "SEND_ONLY_WITH_IMMEDIATE",
	  NO, NO, NO, NO, 12, NO, NO, 16, 16 },
	{ 0x06, ROCE_OP_WRITE_FIRST, "RDMA_WRITE_FIRST", 12, NO, NO, NO, NO, NO, NO, 28, 28 },
	{ 0x07, ROCE_OP_WRITE_MIDDLE, "RDMA_WRITE_MIDDLE", NO, NO, NO, NO, NO, NO, NO, 12, 12 },
	{ 0x08, ROCE_OP_WRITE_LAST, "RDMA_WRITE_LAST", NO, NO, NO, NO, NO, NO, NO, 12, 12 },
	{ 0x09, ROCE_OP_WRITE_LAST_IMM, "RDMA_WRITE_LAST_WITH_IMMEDIATE",
	  NO, NO, NO, NO, 12, NO, NO, 16, 16 },
	{ 0x0a, ROCE_OP_WRITE_ONLY, "RDMA_WRITE_ONLY", 12, NO, NO, NO, NO, NO, NO, 28, 28 },
	{ 0x0b, ROCE_OP_WRITE_ONLY_IMM, "RDMA_WRITE_ONLY_WITH_IMMEDIATE",
	  12, NO, NO, NO, 28, NO, NO, 32, 32 },
	{ 0x0c, ROCE_OP_READ_REQUEST, "RDMA_READ_REQUEST", 12, NO, NO, NO, NO, NO, NO, NO, 28 },
	{ 0x0d, ROCE_OP_READ_RESP_FIRST, "RDMA_READ_RESPONSE_FIRST",
	  NO, 12, NO, NO, NO, NO, NO, 16, 16 },
	{ 0x0e, ROCE_OP_READ_RESP_MIDDLE, "RDMA_READ_RESPONSE_MIDDLE",
	  NO, NO, NO, NO, NO, NO, NO, 12, 12 },
	{ 0x0f, ROCE_OP_READ_RESP_LAST, "RDMA_READ_RESPONSE_LAST",
	  NO, 12, NO, NO, NO, NO, NO, 16, 16 },
	{ 0x10, ROCE_OP_READ_RESP_ONLY, "RDMA_READ_RESPONSE_ONLY",
	  NO, 12, NO, NO, NO, NO, NO, 16, 16 },
	{ 0x11, ROCE_OP_ACK, "ACKNOWLEDGE", NO, 12, NO, NO, NO, NO, NO, NO, 16 },
	{ 0x12, ROCE_OP_ATOMIC_ACK, "ATOMIC_ACKNOWLEDGE", NO, 12, NO, 16, NO, NO, NO, NO, 24 },
	{ 0x13, ROCE_OP_COMPARE_SWAP, "COMPARE_SWAP", NO, NO, 12, NO, NO, NO, NO, NO, 40 },
	{ 0x14, ROCE_OP_FETCH_ADD, "FETCH_ADD", NO, NO, 12, NO, NO, NO, NO, NO, 40 },
	{ 0x16, ROCE_OP_SEND_LAST_INV, "SEND_LAST_WITH_INVALIDATE",
	  NO, NO, NO, NO, NO, 12, NO, 16, 16 },
	{ 0x17, ROCE_OP_SEND_ONLY_INV, "SEND_ONLY_WITH_INVALIDATE",
	  NO, NO, NO, NO, NO, 12, NO, 16, 16 },
	{ 0x81, ROCE_OP_CNP, "CNP", NO, NO, NO, NO, NO, NO, 12, NO, 28 },
};

/* Row of ibta[] for @p op, or -1. */
static int
ibta_row(unsigned int op)
{
	unsigned int i;

	for (i = 0; i < RTE_DIM(ibta); i++)
		if (ibta[i].op == op)
			return i;
	return -1;
}

static const char *const hdr_name[ROCE_HDR_NTYPES] = {
	"BTH", "RETH", "AETH", "ATMETH", "ATMACK", "IMMDT", "IETH", "CNP", "PAYLOAD",
};

static bool
has(const struct roce_opcode_info *info, unsigned int h)
{
	return info->mask & (1u << h);
}

static bool
name_has(const char *name, const char *word)
{
	return strstr(name, word) != NULL;
}

static bool
name_starts(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

START_TEST(test_opcode_named_set)
{
	unsigned int i, op, named = 0;

	ck_assert_uint_eq(RTE_DIM(ibta), 24);
	for (i = 0; i < RTE_DIM(ibta); i++) {
		const struct roce_opcode_info *info = roce_opcode_info(ibta[i].op);

		op = ibta[i].op;
		ck_assert_msg(ibta[i].enum_val == (int)op, "%s: enum value 0x%02x, expected 0x%02x",
			      ibta[i].name, ibta[i].enum_val, op);
		ck_assert_msg(info != NULL, "opcode 0x%02x: expected %s, got NULL", op,
			      ibta[i].name);
		ck_assert_msg(info == &roce_opcode_table[op],
			      "opcode 0x%02x: roce_opcode_info() is not the table row", op);
		ck_assert_msg(strcmp(info->name, ibta[i].name) == 0 &&
			      strcmp(roce_opcode_name(op), ibta[i].name) == 0,
			      "opcode 0x%02x: name expected %s, got %s / %s", op, ibta[i].name,
			      info->name, roce_opcode_name(op));
	}
	/* And nothing else: exactly these 24 of the 256 have a name. */
	for (op = 0; op < 256; op++)
		named += roce_opcode_info(op) != NULL;
	ck_assert_msg(named == 24, "expected 24 named opcodes, got %u", named);
}
END_TEST

START_TEST(test_opcode_unknown_rejected)
{
	unsigned int op;

	/* Reserved RC codes (0x15, 0x18..0x1f), other transports, and
	 * everything else outside table 34 and A17.9.3. */
	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *e = &roce_opcode_table[op];

		if (ibta_row(op) >= 0)
			continue;
		ck_assert_msg(roce_opcode_info(op) == NULL,
			      "opcode 0x%02x: expected NULL, got %s", op, e->name);
		ck_assert_msg(strcmp(roce_opcode_name(op), "UNKNOWN") == 0,
			      "opcode 0x%02x: name expected UNKNOWN, got %s", op,
			      roce_opcode_name(op));
		/* The row is all zero: nothing can be read from it by mistake. */
		ck_assert_msg(e->mask == 0 && e->length == 0,
			      "opcode 0x%02x: unnamed but mask 0x%08" PRIx32 " length %u",
			      op, e->mask, e->length);
	}
	ck_assert_msg(roce_opcode_info(0x15) == NULL, "opcode 0x15 (reserved): expected NULL");
}
END_TEST

START_TEST(test_opcode_hdr_sizes)
{
	static const uint8_t want[ROCE_HDR_NTYPES] = {
		[ROCE_HDR_BTH] = 12, [ROCE_HDR_RETH] = 16, [ROCE_HDR_AETH] = 4,
		[ROCE_HDR_ATMETH] = 28, [ROCE_HDR_ATMACK] = 8, [ROCE_HDR_IMMDT] = 4,
		[ROCE_HDR_IETH] = 4, [ROCE_HDR_CNP] = 16, [ROCE_HDR_PAYLOAD] = 0,
	};
	unsigned int h;

	for (h = 0; h < ROCE_HDR_NTYPES; h++)
		ck_assert_msg(roce_hdr_size[h] == want[h], "roce_hdr_size[%s]: expected %u, got %u",
			      hdr_name[h], want[h], roce_hdr_size[h]);
}
END_TEST

START_TEST(test_opcode_lengths_sum)
{
	unsigned int op, h;

	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);
		unsigned int sum = 0;

		if (info == NULL)
			continue;
		ck_assert_msg(has(info, ROCE_HDR_BTH), "%s (0x%02x): no BTH", info->name, op);
		for (h = 0; h < ROCE_HDR_PAYLOAD; h++)
			if (has(info, h))
				sum += roce_hdr_size[h];
		ck_assert_msg(sum == info->length, "%s (0x%02x): headers sum to %u, length %u",
			      info->name, op, sum, info->length);
	}
}
END_TEST

START_TEST(test_opcode_offsets_contiguous)
{
	unsigned int op, h;

	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);
		unsigned int at = 0;

		if (info == NULL)
			continue;
		/* Canonical order BTH, RETH, AETH, ATMETH, ATMACK, IMMDT, IETH,
		 * CNP: each header starts where the previous present one ends. */
		for (h = 0; h < ROCE_HDR_PAYLOAD; h++) {
			if (!has(info, h))
				continue;
			ck_assert_msg(info->offset[h] == at, "%s (0x%02x): %s at %u, expected %u",
				      info->name, op, hdr_name[h], info->offset[h], at);
			at += roce_hdr_size[h];
		}
		if (has(info, ROCE_HDR_PAYLOAD))
			ck_assert_msg(info->offset[ROCE_HDR_PAYLOAD] == info->length,
				      "%s (0x%02x): payload at %u, expected length %u", info->name,
				      op, info->offset[ROCE_HDR_PAYLOAD], info->length);
	}
}
END_TEST

START_TEST(test_opcode_ibta_layout)
{
	unsigned int i, h;

	for (i = 0; i < RTE_DIM(ibta); i++) {
		const struct roce_opcode_info *info = roce_opcode_info(ibta[i].op);
		const int want[ROCE_HDR_NTYPES] = {
			[ROCE_HDR_BTH] = 0, [ROCE_HDR_RETH] = ibta[i].reth,
			[ROCE_HDR_AETH] = ibta[i].aeth, [ROCE_HDR_ATMETH] = ibta[i].atmeth,
			[ROCE_HDR_ATMACK] = ibta[i].atmack, [ROCE_HDR_IMMDT] = ibta[i].immdt,
			[ROCE_HDR_IETH] = ibta[i].ieth, [ROCE_HDR_CNP] = ibta[i].cnp,
			[ROCE_HDR_PAYLOAD] = ibta[i].payload,
		};

		ck_assert_msg(info != NULL, "%s (0x%02x): not in the table", ibta[i].name,
			      ibta[i].op);
		ck_assert_msg(info->length == ibta[i].length, "%s (0x%02x): length expected %u, "
			      "got %u", ibta[i].name, ibta[i].op, ibta[i].length, info->length);
		for (h = 0; h < ROCE_HDR_NTYPES; h++) {
			ck_assert_msg(has(info, h) == (want[h] != NO),
				      "%s (0x%02x): %s expected %s, got %s", ibta[i].name,
				      ibta[i].op, hdr_name[h], want[h] != NO ? "present" : "absent",
				      has(info, h) ? "present" : "absent");
			if (want[h] != NO)
				ck_assert_msg(info->offset[h] == want[h],
					      "%s (0x%02x): %s at %u, expected %d", ibta[i].name,
					      ibta[i].op, hdr_name[h], info->offset[h], want[h]);
		}
	}
}
END_TEST

START_TEST(test_opcode_one_direction)
{
	unsigned int op;

	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);
		unsigned int n;

		if (info == NULL)
			continue;
		n = !!(info->mask & ROCE_OPF_REQ) + !!(info->mask & ROCE_OPF_RESP) +
		    !!(info->mask & ROCE_OPF_CONG);
		ck_assert_msg(n == 1, "%s (0x%02x): expected exactly one of REQ/RESP/CONG, got "
			      "mask 0x%08" PRIx32, info->name, op, info->mask);
	}
	/* Spot checks: who sends what. */
	ck_assert(roce_opcode_info(ROCE_OP_READ_REQUEST)->mask & ROCE_OPF_REQ);
	ck_assert(roce_opcode_info(ROCE_OP_READ_RESP_ONLY)->mask & ROCE_OPF_RESP);
	ck_assert(roce_opcode_info(ROCE_OP_ATOMIC_ACK)->mask & ROCE_OPF_RESP);
	ck_assert(roce_opcode_info(ROCE_OP_FETCH_ADD)->mask & ROCE_OPF_REQ);
	ck_assert(roce_opcode_info(ROCE_OP_CNP)->mask & ROCE_OPF_CONG);
}
END_TEST

START_TEST(test_opcode_position_matches_name)
{
	const uint32_t pos = ROCE_OPF_START | ROCE_OPF_MIDDLE | ROCE_OPF_END;
	unsigned int op;

	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);
		uint32_t want, got;

		if (info == NULL)
			continue;
		if (name_has(info->name, "FIRST"))
			want = ROCE_OPF_START;
		else if (name_has(info->name, "MIDDLE"))
			want = ROCE_OPF_MIDDLE;
		else if (name_has(info->name, "LAST"))
			want = ROCE_OPF_END;
		else if (name_has(info->name, "ONLY"))
			want = ROCE_OPF_ONLY;
		else if (info->mask & ROCE_OPF_CONG)
			want = 0;	/* a CNP is not part of a message */
		else
			want = ROCE_OPF_ONLY;	/* READ request, ACKs, atomics: one packet */
		got = info->mask & pos;
		ck_assert_msg(got == want, "%s (0x%02x): START/MIDDLE/END expected 0x%08" PRIx32
			      ", got 0x%08" PRIx32, info->name, op, want, got);
	}
}
END_TEST

START_TEST(test_opcode_immdt_ieth_names)
{
	unsigned int op;

	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);

		if (info == NULL)
			continue;
		ck_assert_msg(has(info, ROCE_HDR_IMMDT) == name_has(info->name, "IMMEDIATE"),
			      "%s (0x%02x): ImmDt %s but name %s IMMEDIATE", info->name, op,
			      has(info, ROCE_HDR_IMMDT) ? "present" : "absent",
			      name_has(info->name, "IMMEDIATE") ? "says" : "does not say");
		ck_assert_msg(has(info, ROCE_HDR_IETH) == name_has(info->name, "INVALIDATE"),
			      "%s (0x%02x): IETH %s but name %s INVALIDATE", info->name, op,
			      has(info, ROCE_HDR_IETH) ? "present" : "absent",
			      name_has(info->name, "INVALIDATE") ? "says" : "does not say");
	}
}
END_TEST

START_TEST(test_opcode_rwr_and_comp)
{
	unsigned int op;

	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);
		const char *n;
		bool imm_write, rwr, comp;

		if (info == NULL)
			continue;
		n = info->name;
		imm_write = name_starts(n, "RDMA_WRITE_") && name_has(n, "IMMEDIATE");
		/* A receive WR is consumed by the first packet of a SEND and by
		 * an RDMA WRITE with immediate (IBTA 9.4). */
		rwr = strcmp(n, "SEND_FIRST") == 0 || name_starts(n, "SEND_ONLY") || imm_write;
		/* The responder completes that WR on the message's last packet. */
		comp = name_starts(n, "SEND_LAST") || name_starts(n, "SEND_ONLY") || imm_write;
		ck_assert_msg(!!(info->mask & ROCE_OPF_RWR) == rwr, "%s (0x%02x): RWR expected %d",
			      n, op, rwr);
		ck_assert_msg(!!(info->mask & ROCE_OPF_COMP) == comp,
			      "%s (0x%02x): COMP expected %d", n, op, comp);
	}
}
END_TEST

START_TEST(test_opcode_kind_matches_name)
{
	unsigned int op;

	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);
		const char *n;
		uint32_t want = 0, got;
		bool payload;

		if (info == NULL)
			continue;
		n = info->name;
		if (name_starts(n, "SEND_"))
			want = ROCE_OPF_SEND;
		else if (name_starts(n, "RDMA_WRITE_"))
			want = ROCE_OPF_WRITE;
		else if (name_starts(n, "RDMA_READ_"))
			want = ROCE_OPF_READ;
		else if (strcmp(n, "COMPARE_SWAP") == 0 || strcmp(n, "FETCH_ADD") == 0 ||
			 strcmp(n, "ATOMIC_ACKNOWLEDGE") == 0)
			want = ROCE_OPF_ATOMIC;
		else if (strcmp(n, "ACKNOWLEDGE") == 0)
			want = ROCE_OPF_ACK;
		got = info->mask & (ROCE_OPF_SEND | ROCE_OPF_WRITE | ROCE_OPF_READ |
				    ROCE_OPF_ATOMIC | ROCE_OPF_ACK);
		ck_assert_msg(got == want, "%s (0x%02x): kind expected 0x%08" PRIx32 ", got 0x%08"
			      PRIx32, n, op, want, got);
		/* Payload on SENDs, WRITEs and READ responses only (9.3). */
		payload = name_starts(n, "SEND_") || name_starts(n, "RDMA_WRITE_") ||
			  name_starts(n, "RDMA_READ_RESPONSE_");
		ck_assert_msg(has(info, ROCE_HDR_PAYLOAD) == payload,
			      "%s (0x%02x): payload expected %d", n, op, payload);
	}
}
END_TEST

START_TEST(test_opcode_no_stray_bits)
{
	const uint32_t known = ROCE_OPF_BTH | ROCE_OPF_RETH | ROCE_OPF_AETH | ROCE_OPF_ATMETH |
			       ROCE_OPF_ATMACK | ROCE_OPF_IMMDT | ROCE_OPF_IETH | ROCE_OPF_CNP |
			       ROCE_OPF_PAYLOAD | ROCE_OPF_REQ | ROCE_OPF_RESP | ROCE_OPF_SEND |
			       ROCE_OPF_WRITE | ROCE_OPF_READ | ROCE_OPF_ATOMIC | ROCE_OPF_ACK |
			       ROCE_OPF_RWR | ROCE_OPF_COMP | ROCE_OPF_START | ROCE_OPF_MIDDLE |
			       ROCE_OPF_END | ROCE_OPF_CONG;
	unsigned int op;

	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);

		if (info != NULL)
			ck_assert_msg((info->mask & ~known) == 0,
				      "%s (0x%02x): unknown mask bits 0x%08" PRIx32, info->name,
				      op, info->mask & ~known);
	}
}
END_TEST

/* ---- UDP source port (Annex A17.2.2; Linux rdma_get_udp_sport) -------- */

START_TEST(test_udp_sport_known)
{
	/* 0x11 and 0x12: what soft-RoCE put on the wire in write.pcap. The
	 * others are worked by hand from the kernel's formula: product,
	 * v ^= v >> 20, v ^= v >> 40, 20-bit label, fold 6 high bits into 14. */
	static const struct {
		uint32_t l, r;
		uint16_t want;
	} rows[] = {
		{ 0x11, 0x11, 0xc121 }, { 0x12, 0x12, 0xc144 }, { 0x11, 0x12, 0xc132 },
		{ 0, 0x123, 0xc000 }, { 0x3fff, 1, 0xffff }, { 0x4000, 1, 0xc001 },
		{ 0x100000, 1, 0xc001 }, { 0xffffff, 0xffffff, 0xff21 },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++)
		ck_assert_msg(roce_udp_sport(rows[i].l, rows[i].r) == rows[i].want,
			      "udp_sport(0x%" PRIx32 ", 0x%" PRIx32 "): "
			      "expected 0x%04x, got 0x%04x",
			      rows[i].l, rows[i].r, rows[i].want,
			      roce_udp_sport(rows[i].l, rows[i].r));
}
END_TEST

START_TEST(test_udp_sport_range_symmetric)
{
	static const uint32_t qpn[] = { 0, 1, 2, 0x11, 0x12, 0xff, 0x100, 0x3fff, 0x4000,
					0xfffff, 0x100000, 0x7fffff, 0x800000, 0xfffffe,
					0xffffff };
	uint64_t rng = 0x5eed0002;
	unsigned int i, j;

	for (i = 0; i < RTE_DIM(qpn) * RTE_DIM(qpn) + 20000; i++) {
		uint32_t a, b;
		uint16_t p, q;

		if (i < RTE_DIM(qpn) * RTE_DIM(qpn)) {
			a = qpn[i % RTE_DIM(qpn)];
			b = qpn[i / RTE_DIM(qpn)];
		} else {
			uint64_t r = rng_next(&rng);

			a = r & ROCE_24BIT_MASK;
			b = (r >> 32) & ROCE_24BIT_MASK;
		}
		p = roce_udp_sport(a, b);
		q = roce_udp_sport(b, a);
		/* 0xC000..0xFFFF: the range A17.2.2 leaves for the source port. */
		ck_assert_msg(p >= 0xc000, "udp_sport(0x%" PRIx32 ", 0x%" PRIx32 ") = 0x%04x, "
			      "expected 0xc000..0xffff", a, b, p);
		ck_assert_msg(p == q, "udp_sport(0x%" PRIx32 ", 0x%" PRIx32 ") = 0x%04x but "
			      "swapped 0x%04x", a, b, p, q);
	}
	/* The 14 bits do spread: the 256 pairs (1, 1..256) use many ports. */
	{
		static bool seen[0x4000];
		unsigned int distinct = 0;

		for (j = 1; j <= 256; j++) {
			uint16_t p = roce_udp_sport(1, j);

			distinct += !seen[p & 0x3fff];
			seen[p & 0x3fff] = true;
		}
		ck_assert_msg(distinct == 256, "udp_sport(1, 1..256): expected 256 ports, got %u",
			      distinct);
	}
}
END_TEST

START_TEST(test_udp_sport_matches_capture)
{
	/* write.pcap: QPN 0x11 talks to 0x11, 0x12 to 0x12 (tests/data/README.md),
	 * so every frame's source port is roce_udp_sport(dqpn, dqpn). */
	struct test_capture cap;
	unsigned int i, n = 0;

	test_capture_load(&cap, "write.pcap");
	for (i = 0; i < cap.count; i++) {
		const struct test_frame *f = &cap.frame[i];
		const uint8_t *d = f->data;
		const struct roce_bth *bth;
		uint16_t sport;
		uint32_t ihl;

		/* Untagged Ethernet, IPv4, UDP to 4791. */
		if (f->len < 14 + 20 || d[12] != 0x08 || d[13] != 0x00 || d[14 + 9] != 17)
			continue;
		ihl = (d[14] & 0xf) * 4;
		if (f->len < 14 + ihl + 8 + sizeof(*bth) ||
		    ((d[14 + ihl + 2] << 8) | d[14 + ihl + 3]) != ROCE_UDP_PORT)
			continue;
		sport = (d[14 + ihl] << 8) | d[14 + ihl + 1];
		bth = (const struct roce_bth *)(d + 14 + ihl + 8);
		ck_assert_msg(sport == roce_udp_sport(roce_bth_dqpn(bth), roce_bth_dqpn(bth)),
			      "write.pcap frame %u: UDP source port 0x%04x, expected 0x%04x for "
			      "QPN 0x%" PRIx32, f->number, sport,
			      roce_udp_sport(roce_bth_dqpn(bth), roce_bth_dqpn(bth)),
			      roce_bth_dqpn(bth));
		n++;
	}
	test_capture_free(&cap);
	ck_assert_msg(n == 112, "write.pcap: expected 112 RoCEv2 frames, saw %u", n);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *
wire_suite(void)
{
	Suite *s = suite_create("wire");
	TCase *tc;

	tc = tcase_create("layout");
	tcase_add_test(tc, test_struct_sizes);
	tcase_add_test(tc, test_field_offsets);
	tcase_add_test(tc, test_structs_byte_aligned);
	suite_add_tcase(s, tc);

	tc = tcase_create("accessors");
	tcase_add_test(tc, test_bth_decode_wire_bytes);
	tcase_add_test(tc, test_bth_set_flags);
	tcase_add_test(tc, test_bth_set_dqpn);
	tcase_add_test(tc, test_bth_set_psn);
	tcase_add_test(tc, test_bth_pkey_opcode);
	tcase_add_test(tc, test_bth_setters_keep_neighbours);
	tcase_add_test(tc, test_aeth_set_and_read);
	tcase_add_test(tc, test_aeth_type_value);
	tcase_add_test(tc, test_aeth_nak_codes);
	suite_add_tcase(s, tc);

	tc = tcase_create("psn");
	tcase_add_test(tc, test_psn_add_wraps);
	tcase_add_test(tc, test_psn_diff_near_wrap);
	tcase_add_test(tc, test_psn_diff_half_window);
	tcase_add_test(tc, test_psn_compare_consistent);
	suite_add_tcase(s, tc);

	tc = tcase_create("opcode_table");
	tcase_add_test(tc, test_opcode_named_set);
	tcase_add_test(tc, test_opcode_hdr_sizes);
	tcase_add_test(tc, test_opcode_lengths_sum);
	tcase_add_test(tc, test_opcode_offsets_contiguous);
	tcase_add_test(tc, test_opcode_ibta_layout);
	tcase_add_test(tc, test_opcode_one_direction);
	tcase_add_test(tc, test_opcode_position_matches_name);
	tcase_add_test(tc, test_opcode_immdt_ieth_names);
	tcase_add_test(tc, test_opcode_rwr_and_comp);
	tcase_add_test(tc, test_opcode_kind_matches_name);
	tcase_add_test(tc, test_opcode_no_stray_bits);
	suite_add_tcase(s, tc);

	tc = tcase_create("negative");
	tcase_add_test(tc, test_opcode_unknown_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("udp_sport");
	tcase_add_test(tc, test_udp_sport_known);
	tcase_add_test(tc, test_udp_sport_range_symmetric);
	tcase_add_test(tc, test_udp_sport_matches_capture);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(wire_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
