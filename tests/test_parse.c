/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RoCEv2 frame parser and builder (lib/roce/roce_parse.c, roce_build.c),
 * pure, no EAL: round trips over the whole opcode table, segmented input,
 * the soft-RoCE captures of tests/data, one test per rejection status,
 * truncation at every byte, single-bit corruption and the status names.
 *
 * Frames are built with the reference CRC (roce_crc32_table) and parsed
 * with the data-path one (roce_crc32_isal), so every accepted frame also
 * shows that the two agree.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "roce_pkt.h"
#include "test_util.h"

#define PAYLOAD_MAX	4096u
#define FRAME_MAX	(ROCE_HDR_MAX + PAYLOAD_MAX + ROCE_TRAILER_MAX)
#define JUNK_MAX	64u	/* room for trailing bytes after a frame */

#define ETH_LEN		((uint32_t)sizeof(struct rte_ether_hdr))
#define VLAN_LEN	((uint32_t)sizeof(struct rte_vlan_hdr))
#define IP_LEN		((uint32_t)sizeof(struct rte_ipv4_hdr))
#define UDP_LEN		((uint32_t)sizeof(struct rte_udp_hdr))

/*
 * ck_assert_msg() logs every passing call to the Check runner (one write
 * per assertion in fork mode); the loops below make hundreds of thousands
 * of checks, so they only reach Check when something fails.
 */
#define EXPECT(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static const char *
st_str(enum roce_parse_status status)
{
	return roce_parse_status_str(status);
}

static const char *
info_name(const struct roce_opcode_info *info)
{
	return info != NULL ? info->name : "(none)";
}

static void
fill_payload(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 29 + i * 37 + (i >> 8) * 11 + 1);
}

static uint32_t
rng_next(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* Loop tests run once per opcode the table names: all 256 values are
 * walked, the unnamed ones skipped. */
static unsigned int
opcode_count(void)
{
	unsigned int op, n = 0;

	for (op = 0; op < 256; op++)
		n += roce_opcode_info(op) != NULL;
	return n;
}

/* The @p n-th named opcode. */
static uint8_t
opcode_nth(unsigned int n)
{
	unsigned int op, seen = 0;

	for (op = 0; op < 256; op++) {
		if (roce_opcode_info(op) == NULL)
			continue;
		if (seen++ == n)
			return op;
	}
	ck_abort_msg("the opcode table names %u opcodes, asked for number %u", seen, n);
	return 0;
}

/* ---- Comparing packets ------------------------------------------------ */

#define EXPECT_FIELD(ctx, want, got, field) \
	do { \
		unsigned long long w_ = (unsigned long long)(want)->field; \
		unsigned long long g_ = (unsigned long long)(got)->field; \
		EXPECT(w_ == g_, "%s: " #field ": expected 0x%llx, got 0x%llx", \
		       (ctx), w_, g_); \
	} while (0)

static const char *
mac_str(const struct rte_ether_addr *a, char *buf, size_t len)
{
	const uint8_t *b = a->addr_bytes;

	snprintf(buf, len, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	return buf;
}

static void
expect_mac(const char *ctx, const char *field, const struct rte_ether_addr *want,
	   const struct rte_ether_addr *got)
{
	char w[24], g[24];

	EXPECT(memcmp(want, got, sizeof(*want)) == 0, "%s: %s: expected %s, got %s", ctx,
	       field, mac_str(want, w, sizeof(w)), mac_str(got, g, sizeof(g)));
}

/* Every field of @p got against @p want; extension headers where the
 * opcode carries them (elsewhere they are undefined, roce_pkt.h). */
static void
pkt_expect_equal(const char *ctx, const struct roce_pkt *want, const struct roce_pkt *got)
{
	uint32_t mask;

	EXPECT(got->info == want->info, "%s: opcode info: expected %s, got %s", ctx,
	       info_name(want->info), info_name(got->info));
	expect_mac(ctx, "eth_dst", &want->eth_dst, &got->eth_dst);
	expect_mac(ctx, "eth_src", &want->eth_src, &got->eth_src);
	EXPECT_FIELD(ctx, want, got, has_vlan);
	if (want->has_vlan)
		EXPECT_FIELD(ctx, want, got, vlan_tci);
	EXPECT_FIELD(ctx, want, got, ip_src);
	EXPECT_FIELD(ctx, want, got, ip_dst);
	EXPECT_FIELD(ctx, want, got, ip_tos);
	EXPECT_FIELD(ctx, want, got, ip_ttl);
	EXPECT_FIELD(ctx, want, got, ip_id);
	EXPECT_FIELD(ctx, want, got, ip_df);
	EXPECT_FIELD(ctx, want, got, udp_sport);
	EXPECT_FIELD(ctx, want, got, opcode);
	EXPECT_FIELD(ctx, want, got, se);
	EXPECT_FIELD(ctx, want, got, migreq);
	EXPECT_FIELD(ctx, want, got, padcnt);
	EXPECT_FIELD(ctx, want, got, pkey);
	EXPECT_FIELD(ctx, want, got, fecn);
	EXPECT_FIELD(ctx, want, got, becn);
	EXPECT_FIELD(ctx, want, got, dqpn);
	EXPECT_FIELD(ctx, want, got, ackreq);
	EXPECT_FIELD(ctx, want, got, psn);

	mask = want->info != NULL ? want->info->mask : 0;
	if (mask & ROCE_OPF_RETH) {
		EXPECT_FIELD(ctx, want, got, reth.va);
		EXPECT_FIELD(ctx, want, got, reth.rkey);
		EXPECT_FIELD(ctx, want, got, reth.dma_len);
	}
	if (mask & ROCE_OPF_AETH) {
		EXPECT_FIELD(ctx, want, got, aeth.syndrome);
		EXPECT_FIELD(ctx, want, got, aeth.msn);
	}
	if (mask & ROCE_OPF_ATMETH) {
		EXPECT_FIELD(ctx, want, got, atmeth.va);
		EXPECT_FIELD(ctx, want, got, atmeth.rkey);
		EXPECT_FIELD(ctx, want, got, atmeth.swap_add);
		EXPECT_FIELD(ctx, want, got, atmeth.compare);
	}
	if (mask & ROCE_OPF_ATMACK)
		EXPECT_FIELD(ctx, want, got, atmack_orig);
	if (mask & ROCE_OPF_IMMDT)
		EXPECT_FIELD(ctx, want, got, imm);
	if (mask & ROCE_OPF_IETH)
		EXPECT_FIELD(ctx, want, got, ieth_rkey);

	EXPECT_FIELD(ctx, want, got, l3_off);
	EXPECT_FIELD(ctx, want, got, ip_hdr_len);
	EXPECT_FIELD(ctx, want, got, bth_off);
	EXPECT_FIELD(ctx, want, got, payload_off);
	EXPECT_FIELD(ctx, want, got, payload_len);
	EXPECT_FIELD(ctx, want, got, frame_len);
	EXPECT_FIELD(ctx, want, got, icrc);
}

/* The fields a builder takes as input, copied from a parsed packet. */
static void
pkt_copy_inputs(struct roce_pkt *b, const struct roce_pkt *p)
{
	uint32_t mask = p->info->mask;

	memset(b, 0, sizeof(*b));
	b->eth_dst = p->eth_dst;
	b->eth_src = p->eth_src;
	b->has_vlan = p->has_vlan;
	b->vlan_tci = p->vlan_tci;
	b->ip_src = p->ip_src;
	b->ip_dst = p->ip_dst;
	b->ip_tos = p->ip_tos;
	b->ip_ttl = p->ip_ttl;
	b->ip_id = p->ip_id;
	b->ip_df = p->ip_df;
	b->udp_sport = p->udp_sport;
	b->opcode = p->opcode;
	b->se = p->se;
	b->migreq = p->migreq;
	b->pkey = p->pkey;
	b->fecn = p->fecn;
	b->becn = p->becn;
	b->dqpn = p->dqpn;
	b->ackreq = p->ackreq;
	b->psn = p->psn;
	if (mask & ROCE_OPF_RETH)
		b->reth = p->reth;
	if (mask & ROCE_OPF_AETH)
		b->aeth = p->aeth;
	if (mask & ROCE_OPF_ATMETH)
		b->atmeth = p->atmeth;
	if (mask & ROCE_OPF_ATMACK)
		b->atmack_orig = p->atmack_orig;
	if (mask & ROCE_OPF_IMMDT)
		b->imm = p->imm;
	if (mask & ROCE_OPF_IETH)
		b->ieth_rkey = p->ieth_rkey;
	b->payload_len = p->payload_len;
}

/* Offset of the first byte where @p a and @p b differ, or @p len. */
static uint32_t
first_diff(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	uint32_t i;

	for (i = 0; i < len && a[i] == b[i]; i++)
		;
	return i;
}

/* ---- Frames under test ------------------------------------------------ */

/* A frame: its wire bytes and the packet it was built from. */
struct tframe {
	struct roce_pkt pkt;
	uint32_t len;
	uint8_t buf[FRAME_MAX + JUNK_MAX];
};

#define SAMPLE_VLAN_TCI 0x6065	/* PCP 3, VID 101 */

static void
tframe_build(struct tframe *t, uint8_t opcode, uint32_t payload_len, bool vlan)
{
	uint8_t payload[PAYLOAD_MAX];
	int n;

	ck_assert_uint_le(payload_len, PAYLOAD_MAX);
	memset(t->buf, 0, sizeof(t->buf));
	test_pkt_sample(&t->pkt, opcode, payload_len);
	t->pkt.has_vlan = vlan;
	t->pkt.vlan_tci = vlan ? SAMPLE_VLAN_TCI : 0;
	fill_payload(payload, payload_len, opcode);
	n = roce_build_flat(&roce_crc32_table, &t->pkt, payload, t->buf, FRAME_MAX);
	ck_assert_msg(n > 0, "building %s with %u payload bytes%s: expected a frame, got %d",
		      roce_opcode_name(opcode), payload_len, vlan ? " and a VLAN tag" : "", n);
	t->len = n;
}

static struct rte_ipv4_hdr *
tframe_ip(struct tframe *t)
{
	return (struct rte_ipv4_hdr *)(t->buf + t->pkt.l3_off);
}

static struct rte_udp_hdr *
tframe_udp(struct tframe *t)
{
	return (struct rte_udp_hdr *)(t->buf + t->pkt.l3_off + t->pkt.ip_hdr_len);
}

static struct roce_bth *
tframe_bth(struct tframe *t)
{
	return (struct roce_bth *)(t->buf + t->pkt.bth_off);
}

static void
tframe_fix_ip_csum(struct tframe *t)
{
	struct rte_ipv4_hdr *ip = tframe_ip(t);

	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
}

/* Recompute the ICRC where the IPv4 total length says it lies (A17.3.3),
 * so a test modifying a covered field reaches the check it aims at. */
static void
tframe_fix_icrc(struct tframe *t)
{
	const struct rte_ipv4_hdr *ip = tframe_ip(t);
	uint32_t ihl = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	uint32_t end = t->pkt.l3_off + rte_be_to_cpu_16(ip->total_length);
	struct roce_buf seg = { .data = t->buf, .len = end };

	ck_assert_uint_le(end, sizeof(t->buf));
	roce_icrc_store(t->buf + end - ROCE_ICRC_LEN,
			roce_icrc_calc(&roce_crc32_table, &seg, 1, t->pkt.l3_off, ihl,
				       end - ROCE_ICRC_LEN));
}

/* Lengthen the datagram by @p n bytes before the ICRC, keeping IPv4 and UDP
 * lengths, IP checksum and ICRC consistent. */
static void
tframe_grow(struct tframe *t, uint32_t n)
{
	struct rte_ipv4_hdr *ip = tframe_ip(t);
	struct rte_udp_hdr *udp = tframe_udp(t);

	ck_assert_uint_le(t->len + n, sizeof(t->buf));
	memset(t->buf + t->len, 0x5a, n);
	t->len += n;
	ip->total_length = rte_cpu_to_be_16(rte_be_to_cpu_16(ip->total_length) + n);
	udp->dgram_len = rte_cpu_to_be_16(rte_be_to_cpu_16(udp->dgram_len) + n);
	tframe_fix_ip_csum(t);
	tframe_fix_icrc(t);
}

static void
tframe_set_padcnt(struct tframe *t, uint8_t padcnt)
{
	struct roce_bth *bth = tframe_bth(t);

	bth->se_m_pad_tver = (bth->se_m_pad_tver & ~ROCE_BTH_PAD) | (padcnt << 4);
	tframe_fix_icrc(t);
}

/* ---- Segments --------------------------------------------------------- */

struct segs {
	struct roce_buf seg[ROCE_PARSE_MAX_SEGS + 2];
	unsigned int n;
};

/*
 * Split @p data[0..len) at the non-decreasing offsets @p cut[0..ncut); a
 * repeated offset gives an empty segment. Each piece gets its own
 * exact-size allocation so AddressSanitizer sees any read past one.
 */
static void
segs_split(struct segs *s, const uint8_t *data, uint32_t len, const uint32_t *cut,
	   unsigned int ncut)
{
	uint32_t start = 0;
	unsigned int i;

	ck_assert_uint_le(ncut + 1, RTE_DIM(s->seg));
	s->n = 0;
	for (i = 0; i <= ncut; i++) {
		uint32_t end = i < ncut ? cut[i] : len;
		uint8_t *piece;

		ck_assert_msg(start <= end && end <= len, "bad cut %u..%u of %u bytes", start,
			      end, len);
		piece = malloc(end - start);
		ck_assert_msg(piece != NULL || end == start, "out of memory");
		if (end > start)
			memcpy(piece, data + start, end - start);
		s->seg[s->n++] = (struct roce_buf){ .data = piece, .len = end - start };
		start = end;
	}
}

static void
segs_free(struct segs *s)
{
	unsigned int i;

	for (i = 0; i < s->n; i++)
		free((void *)(uintptr_t)s->seg[i].data);
	s->n = 0;
}

static const char *
cuts_str(const uint32_t *cut, unsigned int ncut, char *buf, size_t len)
{
	size_t used = 0;
	unsigned int i;

	buf[0] = '\0';
	for (i = 0; i < ncut && used + 12 < len; i++)
		used += snprintf(buf + used, len - used, "%s%u", i ? "," : "", cut[i]);
	return buf;
}

/* ---- Parsing with counter checks -------------------------------------- */

/* Parse and check the status, and that its counter alone moved, by one. */
static void
expect_status(struct roce_parser *parser, const struct roce_buf *seg, unsigned int nseg,
	      enum roce_parse_status want, const char *what)
{
	uint64_t before[ROCE_PARSE_NSTATUS];
	enum roce_parse_status got;
	struct roce_pkt pkt;
	unsigned int s;

	memcpy(before, parser->count, sizeof(before));
	got = roce_parse(parser, seg, nseg, &pkt);
	ck_assert_msg(got == want, "%s: expected \"%s\", got \"%s\"", what, st_str(want),
		      st_str(got));
	for (s = 0; s < ROCE_PARSE_NSTATUS; s++) {
		uint64_t delta = parser->count[s] - before[s];

		ck_assert_msg(delta == (s == want ? 1 : 0),
			      "%s: counter %s moved by %" PRIu64 ", expected %u", what,
			      roce_parse_status_counter(s), delta, s == want ? 1 : 0);
	}
}

static void
expect_frame_status(struct roce_parser *parser, const void *frame, uint32_t len,
		    enum roce_parse_status want, const char *what)
{
	struct roce_buf seg = { .data = frame, .len = len };

	expect_status(parser, &seg, 1, want, what);
}

static void
expect_tframe_status(struct roce_parser *parser, const struct tframe *t,
		     enum roce_parse_status want, const char *what)
{
	expect_frame_status(parser, t->buf, t->len, want, what);
}

/* ======================================================================= */
/* Round trips over the opcode table                                        */
/* ======================================================================= */

static const uint32_t payload_lens[] = {
	0, 1, 2, 3, 4, 5, 63, 64, 255, 256, 1023, 1024, 4095, 4096,
};

struct variant {
	const char *name;
	void (*apply)(struct roce_pkt *pkt);
};

static void
variant_plain(struct roce_pkt *pkt)
{
	(void)pkt;
}

static void
variant_vlan(struct roce_pkt *pkt)
{
	pkt->has_vlan = true;
	pkt->vlan_tci = 0xa07b;		/* PCP 5, VID 123 */
}

/* Congestion marks (Annex A17.9): ECN CE in the IP header, FECN/BECN in the BTH. */
static void
variant_congested(struct roce_pkt *pkt)
{
	pkt->ip_tos = (26 << 2) | 3;	/* DSCP AF31, ECN CE */
	pkt->fecn = true;
	pkt->becn = true;
}

static void
variant_vlan_fecn_ce(struct roce_pkt *pkt)
{
	variant_vlan(pkt);
	pkt->ip_tos = 3;
	pkt->fecn = true;
	pkt->vlan_tci = 0xefff;		/* PCP 7, DEI, VID 4095 */
}

/* Every field at its widest value: nothing may be truncated or leak into
 * a neighbour. */
static void
variant_ones(struct roce_pkt *pkt)
{
	memset(&pkt->eth_dst, 0xff, sizeof(pkt->eth_dst));
	memset(&pkt->eth_src, 0xfe, sizeof(pkt->eth_src));
	pkt->ip_src = 0xffffffff;
	pkt->ip_dst = 0xfffffffe;
	pkt->ip_tos = 0xff;
	pkt->ip_ttl = 0xff;
	pkt->ip_id = 0xffff;
	pkt->udp_sport = 0xffff;
	pkt->se = true;
	pkt->migreq = true;
	pkt->pkey = 0xffff;
	pkt->fecn = true;
	pkt->becn = true;
	pkt->dqpn = ROCE_24BIT_MASK;
	pkt->ackreq = true;
	pkt->psn = ROCE_24BIT_MASK;
	pkt->reth.va = UINT64_MAX;
	pkt->reth.rkey = UINT32_MAX;
	pkt->reth.dma_len = UINT32_MAX;
	pkt->aeth.syndrome = 0xff;
	pkt->aeth.msn = ROCE_24BIT_MASK;
	pkt->atmeth.va = UINT64_MAX;
	pkt->atmeth.rkey = UINT32_MAX;
	pkt->atmeth.swap_add = UINT64_MAX;
	pkt->atmeth.compare = UINT64_MAX - 1;
	pkt->atmack_orig = UINT64_MAX;
	pkt->imm = UINT32_MAX;
	pkt->ieth_rkey = UINT32_MAX;
}

static void
variant_zeros(struct roce_pkt *pkt)
{
	uint8_t opcode = pkt->opcode;
	uint32_t len = pkt->payload_len;

	memset(pkt, 0, sizeof(*pkt));
	pkt->opcode = opcode;
	pkt->payload_len = len;
}

static const struct variant variants[] = {
	{ "plain", variant_plain },
	{ "VLAN", variant_vlan },
	{ "FECN+BECN+ECN CE", variant_congested },
	{ "VLAN+FECN+ECN CE", variant_vlan_fecn_ce },
	{ "all ones", variant_ones },
	{ "all zeros", variant_zeros },
};

static bool
opcode_has_payload(uint8_t opcode)
{
	return roce_opcode_info(opcode)->mask & ROCE_OPF_PAYLOAD;
}

/* Only the last packet of a message is padded (IBTA 9.2, PadCnt). */
static bool
opcode_may_pad(uint8_t opcode)
{
	uint32_t mask = roce_opcode_info(opcode)->mask;

	return (mask & ROCE_OPF_PAYLOAD) && (mask & ROCE_OPF_END);
}

static void
round_trip_one(struct roce_parser *parser, uint8_t opcode, uint32_t len,
	       const struct variant *v)
{
	static uint8_t payload[PAYLOAD_MAX], frame[FRAME_MAX];
	const struct roce_opcode_info *info = roce_opcode_info(opcode);
	struct roce_pkt built, parsed;
	enum roce_parse_status st;
	uint32_t want_pad, hdr_len, want_len, i;
	char ctx[160];
	int n;

	snprintf(ctx, sizeof(ctx), "%s (0x%02x), %u payload bytes, %s", info->name, opcode, len,
		 v->name);
	test_pkt_sample(&built, opcode, len);
	v->apply(&built);
	fill_payload(payload, len, opcode * 251u + len);

	n = roce_build_flat(&roce_crc32_table, &built, payload, frame, sizeof(frame));
	EXPECT(n > 0, "%s: build: expected a frame, got %d", ctx, n);
	want_pad = (info->mask & ROCE_OPF_PAYLOAD) ? (4 - len % 4) % 4 : 0;
	hdr_len = ETH_LEN + (built.has_vlan ? VLAN_LEN : 0) + IP_LEN + UDP_LEN + info->length;
	want_len = hdr_len + len + want_pad + ROCE_ICRC_LEN;
	EXPECT(built.padcnt == want_pad, "%s: build: expected pad count %u, got %u", ctx,
	       want_pad, built.padcnt);
	EXPECT((uint32_t)n == want_len && built.frame_len == want_len,
	       "%s: build: expected a %u-byte frame, got %d (frame_len %u)", ctx, want_len, n,
	       built.frame_len);
	for (i = 0; i < want_pad; i++)
		EXPECT(frame[hdr_len + len + i] == 0, "%s: build: pad byte %u is 0x%02x, not 0",
		       ctx, i, frame[hdr_len + len + i]);

	st = roce_parse_flat(parser, frame, n, &parsed);
	EXPECT(st == ROCE_PARSE_OK, "%s: expected \"%s\", got \"%s\"", ctx,
	       st_str(ROCE_PARSE_OK), st_str(st));
	pkt_expect_equal(ctx, &built, &parsed);
	EXPECT(parsed.payload_off == hdr_len && parsed.payload_len == len,
	       "%s: expected payload at %u, %u bytes; parsed at %u, %u bytes", ctx, hdr_len,
	       len, parsed.payload_off, parsed.payload_len);
	i = first_diff(frame + parsed.payload_off, payload, len);
	EXPECT(i == len, "%s: payload byte %u (frame offset %u): expected 0x%02x, got 0x%02x",
	       ctx, i, parsed.payload_off + i, payload[i], frame[parsed.payload_off + i]);
}

/* Build, parse, compare: every named opcode, every variant, every payload
 * length the opcode admits (FIRST/MIDDLE only whole 4-byte words). */
/*
 * A QP's header template builds the same bytes as the full builder, for
 * every opcode, payload length and variant (VLAN, congestion marks, all
 * ones, all zeros), and fills the same layout fields.
 */
START_TEST(test_template_builds_same_bytes)
{
	uint8_t opcode = opcode_nth(_i);
	unsigned int v, l;

	for (v = 0; v < RTE_DIM(variants); v++) {
		for (l = 0; l < RTE_DIM(payload_lens); l++) {
			struct roce_pkt full, fast;
			struct roce_tmpl t;
			uint8_t a[ROCE_HDR_MAX], b[ROCE_HDR_MAX];
			int na, nb;

			test_pkt_sample(&full, opcode, opcode_has_payload(opcode) ?
						       payload_lens[l] : 0);
			variants[v].apply(&full);
			roce_tmpl_init(&t, &full);
			/* The template knows the QP; the frame brings its own fields. */
			memset(&fast, 0xa5, sizeof(fast));
			fast.opcode = full.opcode;
			fast.se = full.se;
			fast.migreq = full.migreq;
			fast.ackreq = full.ackreq;
			fast.psn = full.psn;
			fast.ip_id = full.ip_id + l;
			full.ip_id += l;
			fast.payload_len = full.payload_len;
			fast.reth = full.reth;
			fast.aeth = full.aeth;
			fast.atmeth = full.atmeth;
			fast.atmack_orig = full.atmack_orig;
			fast.imm = full.imm;
			fast.ieth_rkey = full.ieth_rkey;
			memset(a, 0, sizeof(a));
			memset(b, 0, sizeof(b));
			na = roce_build_hdr(&full, a, sizeof(a));
			nb = roce_tmpl_build(&t, &fast, b, sizeof(b));
			ck_assert_msg(na == nb, "%s %s len %u: %d vs %d bytes", roce_opcode_name(opcode),
				      variants[v].name, payload_lens[l], na, nb);
			if (na < 0)
				continue;
			ck_assert_msg(memcmp(a, b, na) == 0, "%s %s len %u: headers differ",
				      roce_opcode_name(opcode), variants[v].name, payload_lens[l]);
			ck_assert(fast.info == full.info && fast.padcnt == full.padcnt &&
				  fast.l3_off == full.l3_off && fast.ip_hdr_len == full.ip_hdr_len &&
				  fast.bth_off == full.bth_off && fast.payload_off == full.payload_off &&
				  fast.frame_len == full.frame_len);
			/* And the same ICRC, from the template's masked headers. */
			{
				static uint8_t payload[4096];
				struct roce_buf seg = { .data = payload, .len = full.payload_len };
				uint8_t ta[ROCE_TRAILER_MAX], tb[ROCE_TRAILER_MAX];
				int la, lb;

				memset(payload, 0x5c + l, sizeof(payload));
				la = roce_build_trailer(&roce_crc32_table, &full, a, &seg,
							full.payload_len ? 1 : 0, ta);
				lb = roce_tmpl_trailer(&roce_crc32_isal, &t, &fast, &seg,
						       fast.payload_len ? 1 : 0, tb);
				ck_assert_int_eq(la, lb);
				ck_assert_msg(memcmp(ta, tb, la) == 0 && full.icrc == fast.icrc,
					      "%s %s len %u: ICRC %08x vs %08x",
					      roce_opcode_name(opcode), variants[v].name,
					      payload_lens[l], full.icrc, fast.icrc);
				/* The payload in three pieces: the same ICRC, gathered
				 * (up to ROCE_ICRC_GATHER_MAX) or not; and a payload
				 * longer than payload_len is refused either way. */
				if (fast.payload_len >= 3) {
					uint32_t n = fast.payload_len;
					struct roce_buf three[3] = {
						{ .data = payload, .len = 1 },
						{ .data = payload + 1, .len = n / 2 },
						{ .data = payload + 1 + n / 2, .len = n - 1 - n / 2 },
					};

					lb = roce_tmpl_trailer(&roce_crc32_isal, &t, &fast, three, 3,
							       tb);
					ck_assert_int_eq(la, lb);
					ck_assert_msg(memcmp(ta, tb, la) == 0,
						      "%s %s len %u in 3 pieces: ICRC differs",
						      roce_opcode_name(opcode), variants[v].name, n);
					three[2].len++;
					ck_assert_int_eq(roce_tmpl_trailer(&roce_crc32_isal, &t, &fast,
									   three, 3, tb), -EINVAL);
				}
			}
		}
	}
}
END_TEST

START_TEST(test_round_trip_opcode)
{
	uint8_t opcode = opcode_nth(_i);
	struct roce_parser parser;
	unsigned int v, l, frames = 0;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (v = 0; v < RTE_DIM(variants); v++) {
		if (!opcode_has_payload(opcode)) {
			round_trip_one(&parser, opcode, 0, &variants[v]);
			frames++;
			continue;
		}
		for (l = 0; l < RTE_DIM(payload_lens); l++) {
			if (!opcode_may_pad(opcode) && payload_lens[l] % 4 != 0)
				continue;
			round_trip_one(&parser, opcode, payload_lens[l], &variants[v]);
			frames++;
		}
	}
	ck_assert_msg(parser.count[ROCE_PARSE_OK] == frames,
		      "%s: expected %u frames counted ok, counted %" PRIu64,
		      roce_opcode_name(opcode), frames, parser.count[ROCE_PARSE_OK]);
}
END_TEST

/*
 * Only the last packet of a message is padded (IBTA C9-10). The builder
 * refuses to pad a FIRST or MIDDLE packet, so such a frame is made from
 * the END opcode with the same headers, relabelled, ICRC fixed.
 */
static void
tframe_build_padded(struct tframe *t, uint8_t opcode, uint32_t payload_len)
{
	const uint32_t hdr_bits = (1u << ROCE_HDR_NTYPES) - 1;
	uint32_t want = roce_opcode_info(opcode)->mask & hdr_bits;
	unsigned int twin;

	for (twin = 0; twin < 256; twin++) {
		const struct roce_opcode_info *info = roce_opcode_info(twin);

		if (info != NULL && (info->mask & ROCE_OPF_END) && (info->mask & hdr_bits) == want)
			break;
	}
	ck_assert_msg(twin < 256, "no END opcode shaped like %s", roce_opcode_name(opcode));
	tframe_build(t, twin, payload_len, false);
	tframe_bth(t)->opcode = opcode;
	t->pkt.opcode = opcode;
	t->pkt.info = roce_opcode_info(opcode);
	tframe_fix_icrc(t);
}

START_TEST(test_build_refuses_pad_on_first_middle)
{
	uint8_t payload[64] = { 0 }, frame[256];
	struct roce_pkt pkt;
	unsigned int op, tried = 0;

	for (op = 0; op < 256; op++) {
		const struct roce_opcode_info *info = roce_opcode_info(op);

		if (info == NULL || !(info->mask & ROCE_OPF_PAYLOAD) || (info->mask & ROCE_OPF_END))
			continue;
		test_pkt_sample(&pkt, op, 63);
		ck_assert_msg(roce_build_flat(&roce_crc32_isal, &pkt, payload, frame,
					      sizeof(frame)) == -EINVAL,
			      "%s with 63 payload bytes: expected -EINVAL", roce_opcode_name(op));
		test_pkt_sample(&pkt, op, 64);
		ck_assert_msg(roce_build_flat(&roce_crc32_isal, &pkt, payload, frame,
					      sizeof(frame)) > 0,
			      "%s with 64 payload bytes: expected a frame", roce_opcode_name(op));
		tried++;
	}
	ck_assert_uint_eq(tried, 6);	/* SEND, WRITE, READ response: FIRST and MIDDLE */
}
END_TEST

/* On a FIRST or MIDDLE packet the parser must refuse a pad. */
START_TEST(test_round_trip_unaligned_first_middle_bad_pad)
{
	struct roce_parser parser;
	unsigned int op, l, tried = 0;
	struct tframe *t = malloc(sizeof(*t));
	char what[128];

	ck_assert_ptr_nonnull(t);
	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (op = 0; op < 256; op++) {
		if (roce_opcode_info(op) == NULL || !opcode_has_payload(op) || opcode_may_pad(op))
			continue;
		for (l = 0; l < RTE_DIM(payload_lens); l++) {
			if (payload_lens[l] % 4 == 0)
				continue;
			tframe_build_padded(t, op, payload_lens[l]);
			snprintf(what, sizeof(what), "%s with %u payload bytes (pad %u)",
				 roce_opcode_name(op), payload_lens[l], t->pkt.padcnt);
			expect_tframe_status(&parser, t, ROCE_PARSE_BAD_PAD, what);
			tried++;
		}
	}
	ck_assert_msg(tried > 0, "no FIRST/MIDDLE opcode in the table");
	free(t);
}
END_TEST

/* ======================================================================= */
/* Segmented input                                                          */
/* ======================================================================= */

static const struct {
	uint8_t opcode;
	uint32_t len;
	bool vlan;
} seg_frames[] = {
	{ ROCE_OP_ACK, 0, false },
	{ ROCE_OP_WRITE_ONLY, 61, true },
	{ ROCE_OP_READ_REQUEST, 0, false },
	{ ROCE_OP_COMPARE_SWAP, 0, true },	/* the longest header block */
	{ ROCE_OP_ATOMIC_ACK, 0, false },
	{ ROCE_OP_SEND_LAST_INV, 5, false },
	{ ROCE_OP_WRITE_ONLY_IMM, 1024, false },
	{ ROCE_OP_CNP, 0, true },
};

static const char *
seg_frame_name(unsigned int i, char *buf, size_t len)
{
	snprintf(buf, len, "%s, %u payload bytes%s", roce_opcode_name(seg_frames[i].opcode),
		 seg_frames[i].len, seg_frames[i].vlan ? ", VLAN" : "");
	return buf;
}

/* Build seg_frames[i] and parse it flat: the reference for the splits. */
static struct tframe *
seg_frame_setup(unsigned int i, struct roce_parser *parser, struct roce_pkt *flat)
{
	struct tframe *t = malloc(sizeof(*t));
	enum roce_parse_status st;
	char name[96];

	ck_assert_ptr_nonnull(t);
	roce_parser_init(parser, &roce_crc32_isal, 0);
	tframe_build(t, seg_frames[i].opcode, seg_frames[i].len, seg_frames[i].vlan);
	st = roce_parse_flat(parser, t->buf, t->len, flat);
	ck_assert_msg(st == ROCE_PARSE_OK, "%s, flat: expected \"%s\", got \"%s\"",
		      seg_frame_name(i, name, sizeof(name)), st_str(ROCE_PARSE_OK), st_str(st));
	return t;
}

static void
expect_split_same(struct roce_parser *parser, unsigned int fi, const struct tframe *t,
		  const struct roce_pkt *flat, const uint32_t *cut, unsigned int ncut)
{
	enum roce_parse_status st;
	struct roce_pkt pkt;
	struct segs s;
	char ctx[512], name[96], cuts[320];

	segs_split(&s, t->buf, t->len, cut, ncut);
	st = roce_parse(parser, s.seg, s.n, &pkt);
	segs_free(&s);
	if (st == ROCE_PARSE_OK && memcmp(&pkt, flat, sizeof(pkt)) == 0)
		return;
	snprintf(ctx, sizeof(ctx), "%s, %u segments cut at {%s}",
		 seg_frame_name(fi, name, sizeof(name)), ncut + 1,
		 cuts_str(cut, ncut, cuts, sizeof(cuts)));
	EXPECT(st == ROCE_PARSE_OK, "%s: expected \"%s\", got \"%s\"", ctx,
	       st_str(ROCE_PARSE_OK), st_str(st));
	pkt_expect_equal(ctx, flat, &pkt);
}

/* Two segments, split at every offset 0..len (empty first or last). */
START_TEST(test_segmented_two)
{
	struct roce_parser parser;
	struct roce_pkt flat;
	struct tframe *t = seg_frame_setup(_i, &parser, &flat);
	uint32_t k;

	for (k = 0; k <= t->len; k++)
		expect_split_same(&parser, _i, t, &flat, &k, 1);
	free(t);
}
END_TEST

/* Three segments: every pair of cuts among all header offsets, a few
 * payload offsets and the trailer's. */
START_TEST(test_segmented_three)
{
	struct roce_parser parser;
	struct roce_pkt flat;
	struct tframe *t = seg_frame_setup(_i, &parser, &flat);
	uint32_t pts[FRAME_MAX], npts = 0, p, a, b, cut[2];

	for (p = 0; p <= t->len; p++) {
		if (p <= flat.payload_off + 8 || p + 8 >= t->len ||
		    p == flat.payload_off + flat.payload_len / 2)
			pts[npts++] = p;
	}
	for (a = 0; a < npts; a++) {
		for (b = a; b < npts; b++) {
			cut[0] = pts[a];
			cut[1] = pts[b];
			expect_split_same(&parser, _i, t, &flat, cut, 2);
		}
	}
	free(t);
}
END_TEST

/*
 * Many segments, up to ROCE_PARSE_MAX_SEGS: a window of 1-byte segments
 * slid over every header byte, 1-byte segments alternating with empty
 * ones, and pseudo-random cuts (repeats make empty segments).
 */
START_TEST(test_segmented_many)
{
	const unsigned int max_cuts = ROCE_PARSE_MAX_SEGS - 1;
	struct roce_parser parser;
	struct roce_pkt flat;
	struct tframe *t = seg_frame_setup(_i, &parser, &flat);
	uint32_t cut[ROCE_PARSE_MAX_SEGS], o, rng = 0x9e3779b9u + _i;
	unsigned int n, r;

	/* 1-byte segments starting at o, the rest before and after. */
	for (o = 0; o <= flat.payload_off; o++) {
		for (n = 0; n < max_cuts && o + n <= t->len; n++)
			cut[n] = o + n;
		expect_split_same(&parser, _i, t, &flat, cut, n);
	}
	/* byte, empty, byte, empty...: 64 segments */
	for (n = 0; n < max_cuts; n++)
		cut[n] = RTE_MIN((n + 1) / 2, t->len);
	expect_split_same(&parser, _i, t, &flat, cut, n);

	for (r = 0; r < 400; r++) {
		unsigned int i, j;

		n = 1 + rng_next(&rng) % max_cuts;
		for (i = 0; i < n; i++) {
			uint32_t span = (rng_next(&rng) & 3) ? flat.payload_off + 8 : t->len;

			cut[i] = rng_next(&rng) % (RTE_MIN(span, t->len) + 1);
		}
		for (i = 1; i < n; i++)	/* insertion sort */
			for (j = i; j > 0 && cut[j - 1] > cut[j]; j--)
				RTE_SWAP(cut[j - 1], cut[j]);
		expect_split_same(&parser, _i, t, &flat, cut, n);
	}
	free(t);
}
END_TEST

/* Empty segments with a NULL data pointer (nothing to point at), placed
 * inside the Ethernet, IPv4, UDP and BTH headers and the payload. */
START_TEST(test_segmented_empty_null)
{
	struct roce_parser parser;
	struct roce_pkt flat, pkt;
	struct tframe *t = seg_frame_setup(1, &parser, &flat);	/* WRITE_ONLY, VLAN */
	const uint32_t cuts[] = { 0, 7, flat.l3_off + 3, flat.l3_off + flat.ip_hdr_len + 5,
				  flat.bth_off + 6, flat.payload_off + 9, t->len };
	struct roce_buf seg[2 * RTE_DIM(cuts) + 1];
	enum roce_parse_status st;
	unsigned int i, n = 0;
	uint32_t start = 0;

	for (i = 0; i < RTE_DIM(cuts); i++) {
		if (cuts[i] > start)
			seg[n++] = (struct roce_buf){ .data = t->buf + start, .len = cuts[i] - start };
		seg[n++] = (struct roce_buf){ .data = NULL, .len = 0 };
		start = cuts[i];
	}
	st = roce_parse(&parser, seg, n, &pkt);
	ck_assert_msg(st == ROCE_PARSE_OK, "%u segments with empty NULL ones: expected \"%s\", got \"%s\"",
		      n, st_str(ROCE_PARSE_OK), st_str(st));
	pkt_expect_equal("empty NULL segments", &flat, &pkt);
	free(t);
}
END_TEST

/* Nothing in the parser may assume an aligned frame. */
START_TEST(test_segmented_odd_address)
{
	struct roce_parser parser;
	struct roce_pkt flat, pkt;
	struct tframe *t = seg_frame_setup(6, &parser, &flat);	/* WRITE_ONLY_IMM 1024 */
	uint8_t *buf = malloc(t->len + 1);
	enum roce_parse_status st;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf + 1, t->buf, t->len);
	st = roce_parse_flat(&parser, buf + 1, t->len, &pkt);
	ck_assert_msg(st == ROCE_PARSE_OK, "frame at an odd address: expected \"%s\", got \"%s\"",
		      st_str(ROCE_PARSE_OK), st_str(st));
	pkt_expect_equal("frame at an odd address", &flat, &pkt);
	free(buf);
	free(t);
}
END_TEST

/* Headers and trailer built around a payload in pieces are the same bytes
 * as roce_build_flat() with the payload in one piece. */
static void
build_split_one(uint8_t opcode, uint32_t len, const uint32_t *cut, unsigned int ncut)
{
	static uint8_t payload[PAYLOAD_MAX], flat[FRAME_MAX], joined[FRAME_MAX];
	uint8_t hdr[ROCE_HDR_MAX], trailer[ROCE_TRAILER_MAX];
	struct roce_pkt a, b;
	struct segs s;
	char ctx[400], cuts[320];
	int n, h, tl;
	uint32_t off, i;

	snprintf(ctx, sizeof(ctx), "%s, %u payload bytes in %u pieces cut at {%s}",
		 roce_opcode_name(opcode), len, ncut + 1, cuts_str(cut, ncut, cuts, sizeof(cuts)));
	test_pkt_sample(&a, opcode, len);
	variant_vlan_fecn_ce(&a);
	b = a;
	fill_payload(payload, len, opcode + len);
	n = roce_build_flat(&roce_crc32_table, &a, payload, flat, sizeof(flat));
	EXPECT(n > 0, "%s: roce_build_flat: expected a frame, got %d", ctx, n);

	h = roce_build_hdr(&b, hdr, sizeof(hdr));
	EXPECT(h == (int)a.payload_off, "%s: roce_build_hdr: expected %u, got %d", ctx,
	       a.payload_off, h);
	segs_split(&s, payload, len, cut, ncut);
	tl = roce_build_trailer(&roce_crc32_isal, &b, hdr, s.seg, s.n, trailer);
	EXPECT(tl == a.padcnt + ROCE_ICRC_LEN, "%s: roce_build_trailer: expected %u, got %d",
	       ctx, a.padcnt + ROCE_ICRC_LEN, tl);
	EXPECT(b.icrc == a.icrc, "%s: ICRC: expected 0x%08x, got 0x%08x", ctx, a.icrc, b.icrc);

	memcpy(joined, hdr, h);
	off = h;
	for (i = 0; i < s.n; i++) {
		memcpy(joined + off, s.seg[i].data, s.seg[i].len);
		off += s.seg[i].len;
	}
	memcpy(joined + off, trailer, tl);
	off += tl;
	segs_free(&s);
	EXPECT(off == (uint32_t)n, "%s: expected %d bytes, got %u", ctx, n, off);
	i = first_diff(flat, joined, off);
	EXPECT(i == off, "%s: byte %u: flat 0x%02x, segmented 0x%02x", ctx, i, flat[i], joined[i]);
}

START_TEST(test_build_segmented_payload)
{
	static const struct {
		uint8_t opcode;
		uint32_t len;
	} cases[] = {
		{ ROCE_OP_SEND_ONLY, 0 },
		{ ROCE_OP_READ_RESP_LAST, 5 },
		{ ROCE_OP_WRITE_MIDDLE, 64 },
		{ ROCE_OP_SEND_LAST_INV, 255 },
		{ ROCE_OP_SEND_ONLY, 1023 },
		{ ROCE_OP_WRITE_ONLY_IMM, 4095 },
	};
	const unsigned int max_cuts = ROCE_PARSE_MAX_SEGS - 3;	/* hdr + pieces + pad */
	uint32_t cut[ROCE_PARSE_MAX_SEGS], rng = 12345;
	unsigned int c, n, r, i, j;

	for (c = 0; c < RTE_DIM(cases); c++) {
		uint32_t len = cases[c].len;

		build_split_one(cases[c].opcode, len, cut, 0);
		cut[0] = len / 2;
		build_split_one(cases[c].opcode, len, cut, 1);
		cut[0] = RTE_MIN(1u, len);
		cut[1] = len / 3;
		build_split_one(cases[c].opcode, len, cut, 2);
		for (n = 0; n < max_cuts; n++)	/* 1-byte pieces */
			cut[n] = RTE_MIN(n + 1, len);
		build_split_one(cases[c].opcode, len, cut, n);
		for (n = 0; n < max_cuts; n++)	/* byte, empty, byte... */
			cut[n] = RTE_MIN((n + 1) / 2, len);
		build_split_one(cases[c].opcode, len, cut, n);
		for (r = 0; r < 50; r++) {
			n = 1 + rng_next(&rng) % max_cuts;
			for (i = 0; i < n; i++)
				cut[i] = rng_next(&rng) % (len + 1);
			for (i = 1; i < n; i++)
				for (j = i; j > 0 && cut[j - 1] > cut[j]; j--)
					RTE_SWAP(cut[j - 1], cut[j]);
			build_split_one(cases[c].opcode, len, cut, n);
		}
	}
}
END_TEST

/* ======================================================================= */
/* Builder arguments                                                        */
/* ======================================================================= */

START_TEST(test_build_rejects_bad_input)
{
	static uint8_t frame[FRAME_MAX], payload[PAYLOAD_MAX];
	uint8_t hdr[ROCE_HDR_MAX], trailer[ROCE_TRAILER_MAX];
	struct roce_buf seg[ROCE_PARSE_MAX_SEGS];
	struct roce_pkt pkt;
	unsigned int i;
	int ret, len;

	test_pkt_sample(&pkt, 0x15, 0);
	ret = roce_build_flat(&roce_crc32_table, &pkt, NULL, frame, sizeof(frame));
	ck_assert_msg(ret == -EINVAL, "opcode 0x15: expected -EINVAL, got %d", ret);

	test_pkt_sample(&pkt, ROCE_OP_ACK, 4);
	ret = roce_build_flat(&roce_crc32_table, &pkt, payload, frame, sizeof(frame));
	ck_assert_msg(ret == -EINVAL, "ACKNOWLEDGE with 4 payload bytes: expected -EINVAL, got %d",
		      ret);

	test_pkt_sample(&pkt, ROCE_OP_SEND_ONLY, 65536);
	ret = roce_build_hdr(&pkt, hdr, sizeof(hdr));
	ck_assert_msg(ret == -EINVAL, "SEND_ONLY with 65536 bytes: expected -EINVAL, got %d", ret);
	/* IPv4 total length is 16 bits: 20 + 8 + 12 + 65488 + 4 = 65532 fits,
	 * 65492 more bytes of payload do not. */
	test_pkt_sample(&pkt, ROCE_OP_SEND_ONLY, 65492);
	ret = roce_build_hdr(&pkt, hdr, sizeof(hdr));
	ck_assert_msg(ret == -EINVAL, "SEND_ONLY with 65492 bytes: expected -EINVAL, got %d", ret);
	test_pkt_sample(&pkt, ROCE_OP_SEND_ONLY, 65488);
	ret = roce_build_hdr(&pkt, hdr, sizeof(hdr));
	ck_assert_msg(ret == (int)(ETH_LEN + IP_LEN + UDP_LEN + 12),
		      "SEND_ONLY with 65488 bytes: expected a 54-byte header, got %d", ret);

	test_pkt_sample(&pkt, ROCE_OP_COMPARE_SWAP, 0);
	pkt.has_vlan = true;
	ret = roce_build_hdr(&pkt, hdr, ROCE_HDR_MAX);
	ck_assert_msg(ret == ROCE_HDR_MAX, "COMPARE_SWAP with VLAN: expected %d header bytes, got %d",
		      ROCE_HDR_MAX, ret);
	ret = roce_build_hdr(&pkt, hdr, ROCE_HDR_MAX - 1);
	ck_assert_msg(ret == -ENOSPC, "header into %d bytes: expected -ENOSPC, got %d",
		      ROCE_HDR_MAX - 1, ret);

	test_pkt_sample(&pkt, ROCE_OP_WRITE_ONLY, 100);
	len = roce_build_flat(&roce_crc32_table, &pkt, payload, frame, sizeof(frame));
	ck_assert_int_gt(len, 0);
	ret = roce_build_flat(&roce_crc32_table, &pkt, payload, frame, len - 1);
	ck_assert_msg(ret == -ENOSPC, "%d-byte frame into %d bytes: expected -ENOSPC, got %d", len,
		      len - 1, ret);
	ret = roce_build_flat(&roce_crc32_table, &pkt, payload, frame, len);
	ck_assert_msg(ret == len, "%d-byte frame into %d bytes: expected %d, got %d", len, len,
		      len, ret);

	/* Payload pieces must add up to payload_len, and fit in the segment
	 * array with the header and the pad. */
	ret = roce_build_hdr(&pkt, hdr, sizeof(hdr));
	ck_assert_int_gt(ret, 0);
	seg[0] = (struct roce_buf){ .data = payload, .len = 99 };
	ret = roce_build_trailer(&roce_crc32_table, &pkt, hdr, seg, 1, trailer);
	ck_assert_msg(ret == -EINVAL, "99 of 100 payload bytes: expected -EINVAL, got %d", ret);
	for (i = 0; i < ROCE_PARSE_MAX_SEGS; i++)
		seg[i] = (struct roce_buf){ .data = payload + i, .len = i < 99 ? 1 : 0 };
	seg[ROCE_PARSE_MAX_SEGS - 3].len = 100 - (ROCE_PARSE_MAX_SEGS - 3);
	ret = roce_build_trailer(&roce_crc32_table, &pkt, hdr, seg, ROCE_PARSE_MAX_SEGS - 2,
				 trailer);
	ck_assert_msg(ret == ROCE_ICRC_LEN, "%d payload pieces: expected %d, got %d",
		      ROCE_PARSE_MAX_SEGS - 2, ROCE_ICRC_LEN, ret);
	ret = roce_build_trailer(&roce_crc32_table, &pkt, hdr, seg, ROCE_PARSE_MAX_SEGS - 1,
				 trailer);
	ck_assert_msg(ret == -EINVAL, "%d payload pieces: expected -EINVAL, got %d",
		      ROCE_PARSE_MAX_SEGS - 1, ret);
}
END_TEST

/* The largest frame the builder allows parses back. */
START_TEST(test_build_largest_frame)
{
	const uint32_t len = 65488;
	struct roce_parser parser;
	struct roce_pkt pkt, parsed;
	uint8_t *payload = malloc(len), *frame = malloc(len + 64);
	enum roce_parse_status st;
	int n;

	ck_assert_ptr_nonnull(payload);
	ck_assert_ptr_nonnull(frame);
	roce_parser_init(&parser, &roce_crc32_isal, 0);
	fill_payload(payload, len, 7);
	test_pkt_sample(&pkt, ROCE_OP_SEND_ONLY, len);
	n = roce_build_flat(&roce_crc32_table, &pkt, payload, frame, len + 64);
	ck_assert_msg(n == (int)(ETH_LEN + 65532), "expected a %u-byte frame, got %d",
		      ETH_LEN + 65532, n);
	st = roce_parse_flat(&parser, frame, n, &parsed);
	ck_assert_msg(st == ROCE_PARSE_OK, "expected \"%s\", got \"%s\"", st_str(ROCE_PARSE_OK),
		      st_str(st));
	pkt_expect_equal("SEND_ONLY, 65488 payload bytes", &pkt, &parsed);
	free(frame);
	free(payload);
}
END_TEST

/* ======================================================================= */
/* Captured soft-RoCE traffic                                               */
/* ======================================================================= */

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
};

#define PERFTEST_PORT 18515	/* perftest's and rc_pingpong's TCP exchange */

/* A foreign frame of the captures must be the TCP out-of-band exchange. */
static void
expect_oob_tcp(const char *file, const struct test_frame *f, enum roce_parse_status st)
{
	uint16_t sport, dport;

	ck_assert_msg(roce_parse_status_is_foreign(st) && f->len >= ETH_LEN + IP_LEN + 4,
		      "%s frame %u: expected ok or foreign, got \"%s\"", file, f->number,
		      st_str(st));
	ck_assert_msg(f->data[12] == 0x08 && f->data[13] == 0x00 &&
		      f->data[ETH_LEN + 9] == IPPROTO_TCP,
		      "%s frame %u: foreign (\"%s\") but not IPv4 TCP", file, f->number,
		      st_str(st));
	sport = f->data[ETH_LEN + IP_LEN] << 8 | f->data[ETH_LEN + IP_LEN + 1];
	dport = f->data[ETH_LEN + IP_LEN + 2] << 8 | f->data[ETH_LEN + IP_LEN + 3];
	ck_assert_msg(sport == PERFTEST_PORT || dport == PERFTEST_PORT,
		      "%s frame %u: TCP %u -> %u is not the out-of-band exchange", file,
		      f->number, sport, dport);
}

START_TEST(test_capture_parse)
{
	const char *file = captures[_i].file;
	struct roce_parser parser;
	struct test_capture cap;
	struct roce_pkt pkt;
	unsigned int i, ok = 0, foreign = 0;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	test_capture_load(&cap, file);
	for (i = 0; i < cap.count; i++) {
		const struct test_frame *f = &cap.frame[i];
		enum roce_parse_status st = roce_parse_flat(&parser, f->data, f->len, &pkt);

		if (st == ROCE_PARSE_OK) {
			ok++;
			continue;
		}
		expect_oob_tcp(file, f, st);
		foreign++;
	}
	ck_assert_msg(ok == captures[_i].roce, "%s: expected %u RoCEv2 frames, parsed %u ok",
		      file, captures[_i].roce, ok);
	ck_assert_msg(foreign > 0, "%s: expected the TCP out-of-band exchange too", file);
	ck_assert_msg(parser.count[ROCE_PARSE_OK] == ok &&
		      parser.count[ROCE_PARSE_NOT_ROCE] == foreign,
		      "%s: counters rx_ok %" PRIu64 " rx_not_roce %" PRIu64 ", expected %u and %u",
		      file, parser.count[ROCE_PARSE_OK], parser.count[ROCE_PARSE_NOT_ROCE], ok,
		      foreign);
	test_capture_free(&cap);
}
END_TEST

/*
 * Each captured frame rebuilt from its parsed fields and payload is the
 * captured frame, byte for byte from Ethernet through ICRC: the builder
 * writes what Linux soft-RoCE writes (IPv4 id, DF, TTL, UDP checksum 0,
 * zero pad bytes). The captures hold no Ethernet padding (their shortest
 * RoCEv2 frame is a 62-byte ACK); a padded frame would be compared up to
 * frame_len, since the builder never pads to 60 bytes.
 */
START_TEST(test_capture_rebuild)
{
	static uint8_t out[FRAME_MAX];
	const char *file = captures[_i].file;
	struct roce_parser parser;
	struct test_capture cap;
	struct roce_pkt p, b;
	unsigned int i, rebuilt = 0;
	char ctx[96];

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	test_capture_load(&cap, file);
	for (i = 0; i < cap.count; i++) {
		const struct test_frame *f = &cap.frame[i];
		uint32_t d;
		int n;

		if (roce_parse_flat(&parser, f->data, f->len, &p) != ROCE_PARSE_OK)
			continue;
		pkt_copy_inputs(&b, &p);
		n = roce_build_flat(&roce_crc32_table, &b, f->data + p.payload_off, out,
				    sizeof(out));
		ck_assert_msg(n == (int)p.frame_len,
			      "%s frame %u (%s): rebuilt %d bytes, captured frame_len %u", file,
			      f->number, p.info->name, n, p.frame_len);
		ck_assert_msg(f->len == p.frame_len,
			      "%s frame %u (%s): %u bytes captured, frame_len %u: unexpected Ethernet padding",
			      file, f->number, p.info->name, f->len, p.frame_len);
		d = first_diff(f->data, out, p.frame_len);
		ck_assert_msg(d == p.frame_len,
			      "%s frame %u (%s): byte %u: captured 0x%02x, rebuilt 0x%02x", file,
			      f->number, p.info->name, d, f->data[d], out[d]);
		snprintf(ctx, sizeof(ctx), "%s frame %u (%s) rebuilt", file, f->number,
			 p.info->name);
		pkt_expect_equal(ctx, &p, &b);
		rebuilt++;
	}
	ck_assert_msg(rebuilt == captures[_i].roce, "%s: expected %u frames rebuilt, got %u",
		      file, captures[_i].roce, rebuilt);
	test_capture_free(&cap);
}
END_TEST

/* perftest's TCP exchange alone: every frame foreign, none RoCEv2. */
START_TEST(test_capture_oob_foreign)
{
	const char *file = "oob-perftest.pcap";
	struct roce_parser parser;
	struct test_capture cap;
	struct roce_pkt pkt;
	unsigned int i;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	test_capture_load(&cap, file);
	ck_assert_msg(cap.count > 0, "%s: no frames", file);
	for (i = 0; i < cap.count; i++) {
		const struct test_frame *f = &cap.frame[i];

		expect_oob_tcp(file, f, roce_parse_flat(&parser, f->data, f->len, &pkt));
	}
	test_capture_free(&cap);
}
END_TEST

/* bad-icrc-write.pcap is write.pcap with every ICRC inverted: every RoCEv2
 * frame fails on its ICRC alone, and passes when the caller checks ICRCs. */
START_TEST(test_capture_bad_icrc)
{
	struct roce_parser parser, no_icrc;
	struct test_capture bad, good;
	struct roce_pkt pkt, gpkt;
	unsigned int i, failed = 0;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	roce_parser_init(&no_icrc, &roce_crc32_isal, ROCE_PARSE_F_NO_ICRC);
	test_capture_load(&bad, "bad-icrc-write.pcap");
	test_capture_load(&good, "write.pcap");
	ck_assert_uint_eq(bad.count, good.count);
	for (i = 0; i < bad.count; i++) {
		const struct test_frame *f = &bad.frame[i];
		enum roce_parse_status st = roce_parse_flat(&parser, f->data, f->len, &pkt);
		enum roce_parse_status gst;

		if (roce_parse_status_is_foreign(st)) {
			expect_oob_tcp("bad-icrc-write.pcap", f, st);
			continue;
		}
		ck_assert_msg(st == ROCE_PARSE_BAD_ICRC,
			      "bad-icrc-write.pcap frame %u: expected \"%s\", got \"%s\"", f->number,
			      st_str(ROCE_PARSE_BAD_ICRC), st_str(st));
		failed++;
		st = roce_parse_flat(&no_icrc, f->data, f->len, &pkt);
		ck_assert_msg(st == ROCE_PARSE_OK,
			      "bad-icrc-write.pcap frame %u without ICRC check: expected \"%s\", got \"%s\"",
			      f->number, st_str(ROCE_PARSE_OK), st_str(st));
		gst = roce_parse_flat(&parser, good.frame[i].data, good.frame[i].len, &gpkt);
		ck_assert_msg(gst == ROCE_PARSE_OK && pkt.icrc == ~gpkt.icrc,
			      "bad-icrc-write.pcap frame %u: ICRC 0x%08x, write.pcap's 0x%08x (%s)",
			      f->number, pkt.icrc, gpkt.icrc, st_str(gst));
	}
	ck_assert_msg(failed == 112, "bad-icrc-write.pcap: expected 112 bad ICRCs, got %u",
		      failed);
	test_capture_free(&good);
	test_capture_free(&bad);
}
END_TEST

/* ======================================================================= */
/* Negative: one test per rejection status                                  */
/* ======================================================================= */

/* A frame built from test_pkt_sample(), on the heap. */
static struct tframe *
tframe_new(uint8_t opcode, uint32_t payload_len, bool vlan)
{
	struct tframe *t = malloc(sizeof(*t));

	ck_assert_ptr_nonnull(t);
	tframe_build(t, opcode, payload_len, vlan);
	return t;
}

START_TEST(test_reject_too_short)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_WRITE_ONLY, 64, true);
	struct rte_ipv4_hdr *ip;
	struct roce_buf seg = { .data = t->buf, .len = 0 };

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	expect_status(&parser, &seg, 0, ROCE_PARSE_TOO_SHORT, "no segment at all");
	expect_frame_status(&parser, t->buf, ETH_LEN - 1, ROCE_PARSE_TOO_SHORT,
			    "13 bytes, less than an Ethernet header");
	expect_frame_status(&parser, t->buf, ETH_LEN + 2, ROCE_PARSE_TOO_SHORT,
			    "Ethernet header and half a VLAN tag");
	expect_frame_status(&parser, t->buf, t->pkt.l3_off + IP_LEN - 1, ROCE_PARSE_TOO_SHORT,
			    "IPv4 header cut by one byte");
	expect_frame_status(&parser, t->buf, t->len - 1, ROCE_PARSE_TOO_SHORT,
			    "ICRC cut by one byte");

	/* A consistent UDP datagram too short to hold a BTH and an ICRC. */
	tframe_build(t, ROCE_OP_ACK, 0, false);
	ip = tframe_ip(t);
	ip->total_length = rte_cpu_to_be_16(IP_LEN + UDP_LEN + 12);
	tframe_udp(t)->dgram_len = rte_cpu_to_be_16(UDP_LEN + 12);
	tframe_fix_ip_csum(t);
	expect_frame_status(&parser, t->buf, ETH_LEN + IP_LEN + UDP_LEN + 12,
			    ROCE_PARSE_TOO_SHORT, "UDP length 20: BTH but no ICRC");
	free(t);
}
END_TEST

START_TEST(test_reject_too_many_segs)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_WRITE_ONLY, 256, false);
	uint32_t cut[ROCE_PARSE_MAX_SEGS];
	struct segs s;
	unsigned int i;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (i = 0; i < ROCE_PARSE_MAX_SEGS; i++)
		cut[i] = i + 1;
	segs_split(&s, t->buf, t->len, cut, ROCE_PARSE_MAX_SEGS);
	ck_assert_uint_eq(s.n, ROCE_PARSE_MAX_SEGS + 1);
	expect_status(&parser, s.seg, s.n, ROCE_PARSE_TOO_MANY_SEGS,
		      "ROCE_PARSE_MAX_SEGS + 1 segments");
	segs_free(&s);
	free(t);
}
END_TEST

START_TEST(test_reject_not_ipv4)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_SEND_ONLY, 64, false);
	uint8_t frame[FRAME_MAX];
	uint32_t udp_off = t->pkt.l3_off + IP_LEN, dlen = t->len - udp_off;
	uint8_t *ip6;

	roce_parser_init(&parser, &roce_crc32_isal, 0);

	/* ARP request, padded to the Ethernet minimum. */
	memset(frame, 0, 60);
	memset(frame, 0xff, 6);
	memcpy(frame + 6, t->buf + 6, 6);
	frame[12] = 0x08;
	frame[13] = 0x06;
	frame[15] = 1;		/* Ethernet */
	frame[16] = 0x08;	/* IPv4 */
	frame[18] = 6;
	frame[19] = 4;
	frame[21] = 1;		/* request */
	expect_frame_status(&parser, frame, 60, ROCE_PARSE_NOT_IPV4, "ARP");

	/* The same ARP behind an 802.1Q tag. */
	memmove(frame + 16, frame + 12, 48);
	frame[12] = 0x81;
	frame[13] = 0x00;
	frame[14] = 0x00;
	frame[15] = 0x65;
	expect_frame_status(&parser, frame, 64, ROCE_PARSE_NOT_IPV4, "ARP behind a VLAN tag");

	/* RoCEv2 over IPv6: not handled here, so not ours. */
	memcpy(frame, t->buf, 12);
	frame[12] = 0x86;
	frame[13] = 0xdd;
	ip6 = frame + ETH_LEN;
	memset(ip6, 0, 40);
	ip6[0] = 0x60;
	ip6[4] = dlen >> 8;
	ip6[5] = dlen & 0xff;
	ip6[6] = IPPROTO_UDP;
	ip6[7] = 64;
	ip6[18] = 0xff;		/* ::ffff:10.77.0.11 -> ::ffff:10.77.0.12 */
	ip6[19] = 0xff;
	memcpy(ip6 + 20, t->buf + t->pkt.l3_off + 12, 4);
	ip6[34] = 0xff;
	ip6[35] = 0xff;
	memcpy(ip6 + 36, t->buf + t->pkt.l3_off + 16, 4);
	memcpy(ip6 + 40, t->buf + udp_off, dlen);
	expect_frame_status(&parser, frame, ETH_LEN + 40 + dlen, ROCE_PARSE_NOT_IPV4,
			    "RoCEv2 over IPv6");

	/* Two stacked tags (Q-in-Q): at most one is looked through. */
	tframe_build(t, ROCE_OP_SEND_ONLY, 64, true);
	memcpy(frame, t->buf, 16);
	memcpy(frame + 16, t->buf + 12, t->len - 12);
	expect_frame_status(&parser, frame, t->len + 4, ROCE_PARSE_NOT_IPV4,
			    "two stacked 802.1Q tags");
	free(t);
}
END_TEST

START_TEST(test_reject_bad_ip_hdr)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_WRITE_ONLY, 64, false);
	struct rte_ipv4_hdr *ip = tframe_ip(t);
	const uint8_t vhl = ip->version_ihl;
	const rte_be16_t tot = ip->total_length;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	ip->version_ihl = 0x65;
	tframe_fix_ip_csum(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_IP_HDR, "IP version 6 in an IPv4 frame");

	ip->version_ihl = 0x44;
	tframe_fix_ip_csum(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_IP_HDR, "IHL 4");
	ip->version_ihl = 0x40;
	tframe_fix_ip_csum(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_IP_HDR, "IHL 0");

	ip->version_ihl = vhl;
	ip->total_length = rte_cpu_to_be_16(IP_LEN + UDP_LEN - 1);
	tframe_fix_ip_csum(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_IP_HDR,
			     "total length 27, less than IPv4 + UDP headers");
	ip->total_length = tot;
	free(t);
}
END_TEST

START_TEST(test_reject_not_roce)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_WRITE_ONLY, 64, false);
	struct rte_udp_hdr *udp = tframe_udp(t);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	tframe_ip(t)->next_proto_id = IPPROTO_TCP;
	tframe_fix_ip_csum(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_NOT_ROCE, "TCP");

	tframe_ip(t)->next_proto_id = IPPROTO_UDP;
	tframe_fix_ip_csum(t);
	udp->dst_port = rte_cpu_to_be_16(ROCE_UDP_PORT + 1);
	tframe_fix_icrc(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_NOT_ROCE, "UDP to port 4792");

	/* Only the destination port says RoCEv2 (A17.2.2). */
	udp->src_port = rte_cpu_to_be_16(ROCE_UDP_PORT);
	udp->dst_port = rte_cpu_to_be_16(53);
	tframe_fix_icrc(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_NOT_ROCE, "UDP from port 4791 to port 53");
	free(t);
}
END_TEST

/* RoCEv2 packets are never fragmented (A17.4.4). */
START_TEST(test_reject_ip_fragment)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_WRITE_ONLY, 64, false);
	struct rte_ipv4_hdr *ip = tframe_ip(t);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG);
	tframe_fix_ip_csum(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_IP_FRAGMENT, "first fragment (MF set)");

	ip->fragment_offset = rte_cpu_to_be_16(1);
	tframe_fix_ip_csum(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_IP_FRAGMENT, "last fragment (offset 8)");

	ip->fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_MF_FLAG | 0x100);
	tframe_fix_ip_csum(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_IP_FRAGMENT,
			     "middle fragment (MF, offset 2048)");
	free(t);
}
END_TEST

START_TEST(test_reject_bad_ip_csum)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_WRITE_ONLY, 64, false);
	struct rte_ipv4_hdr *ip = tframe_ip(t);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	ip->hdr_checksum ^= rte_cpu_to_be_16(0x0100);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_IP_CSUM, "checksum off by one bit");
	tframe_fix_ip_csum(t);
	/* The ICRC masks TTL (A17.3.3); only the IP checksum guards it. */
	ip->time_to_live--;
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_IP_CSUM, "TTL changed, checksum not");
	free(t);
}
END_TEST

START_TEST(test_reject_bad_udp_len)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_WRITE_ONLY, 64, false);
	struct rte_udp_hdr *udp = tframe_udp(t);
	const uint16_t len = rte_be_to_cpu_16(udp->dgram_len);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	udp->dgram_len = rte_cpu_to_be_16(len + 4);
	tframe_fix_icrc(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_UDP_LEN, "UDP length 4 over IPv4's");
	udp->dgram_len = rte_cpu_to_be_16(len - 4);
	tframe_fix_icrc(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_UDP_LEN, "UDP length 4 under IPv4's");
	udp->dgram_len = 0;
	tframe_fix_icrc(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_UDP_LEN, "UDP length 0");
	free(t);
}
END_TEST

/* TVer must be 0 (IBTA 9.2, BTH). */
START_TEST(test_reject_bad_bth_version)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_WRITE_ONLY, 64, false);
	struct roce_bth *bth = tframe_bth(t);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	bth->se_m_pad_tver |= 1;
	tframe_fix_icrc(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_BTH_VERSION, "TVer 1");
	bth->se_m_pad_tver |= ROCE_BTH_TVER_MASK;
	tframe_fix_icrc(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_BTH_VERSION, "TVer 15");
	free(t);
}
END_TEST

START_TEST(test_reject_unknown_opcode)
{
	/* 0x15: RESYNC, an RD opcode with no RC counterpart; 0x20: UC
	 * SEND_FIRST (bits 7:5 name the transport, IBTA 9.2); 0xff: unused. */
	static const uint8_t bad[] = { 0x15, 0x20, 0xff };
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_ACK, 0, false);
	char what[64];
	unsigned int i;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (i = 0; i < RTE_DIM(bad); i++) {
		ck_assert_ptr_null(roce_opcode_info(bad[i]));
		tframe_bth(t)->opcode = bad[i];
		tframe_fix_icrc(t);
		snprintf(what, sizeof(what), "opcode 0x%02x", bad[i]);
		expect_tframe_status(&parser, t, ROCE_PARSE_UNKNOWN_OPCODE, what);
	}
	free(t);
}
END_TEST

START_TEST(test_reject_bad_length)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_ACK, 0, false);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	tframe_grow(t, 4);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_LENGTH, "ACKNOWLEDGE with 4 payload bytes");

	/* Payload + pad fill whole 4-byte words (IBTA 9.2, PadCnt). */
	tframe_build(t, ROCE_OP_WRITE_ONLY, 64, false);
	tframe_grow(t, 1);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_LENGTH,
			     "RDMA_WRITE_ONLY with 65 bytes and pad 0");

	/* An ACK-sized datagram relabelled READ request: no room for the RETH. */
	tframe_build(t, ROCE_OP_ACK, 0, false);
	tframe_bth(t)->opcode = ROCE_OP_READ_REQUEST;
	tframe_fix_icrc(t);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_LENGTH,
			     "RDMA_READ_REQUEST in a 28-byte UDP datagram");
	free(t);
}
END_TEST

START_TEST(test_reject_bad_pad)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_ACK, 0, false);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	tframe_set_padcnt(t, 1);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_PAD, "ACKNOWLEDGE with pad 1");
	tframe_build(t, ROCE_OP_READ_REQUEST, 0, true);
	tframe_set_padcnt(t, 3);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_PAD, "RDMA_READ_REQUEST with pad 3");

	/* More pad than payload + pad bytes. */
	tframe_build(t, ROCE_OP_SEND_ONLY, 0, false);
	tframe_set_padcnt(t, 2);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_PAD, "SEND_ONLY, 0 bytes with pad 2");
	tframe_build(t, ROCE_OP_READ_RESP_LAST, 0, false);
	tframe_set_padcnt(t, 3);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_PAD,
			     "RDMA_READ_RESPONSE_LAST, 0 bytes with pad 3");

	/* Only the last packet of a message is padded. */
	tframe_build_padded(t, ROCE_OP_WRITE_FIRST, 63);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_PAD, "RDMA_WRITE_FIRST with 63 bytes");
	tframe_build(t, ROCE_OP_SEND_MIDDLE, 64, false);
	tframe_set_padcnt(t, 1);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_PAD, "SEND_MIDDLE with pad 1");
	free(t);
}
END_TEST

START_TEST(test_reject_bad_icrc)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_WRITE_ONLY, 64, false);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	t->buf[t->len - 1] ^= 0x80;
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_ICRC, "ICRC's last bit flipped");
	t->buf[t->len - 1] ^= 0x80;
	t->buf[t->pkt.payload_off + 10] ^= 0x01;
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_ICRC, "payload bit flipped");
	t->buf[t->pkt.payload_off + 10] ^= 0x01;
	tframe_udp(t)->src_port ^= rte_cpu_to_be_16(1);
	expect_tframe_status(&parser, t, ROCE_PARSE_BAD_ICRC, "UDP source port changed");
	free(t);
}
END_TEST

/* ======================================================================= */
/* Truncation and Ethernet padding                                          */
/* ======================================================================= */

static const struct {
	uint8_t opcode;
	uint32_t len;
	bool vlan;
} trunc_frames[] = {
	{ ROCE_OP_ACK, 0, false },
	{ ROCE_OP_WRITE_ONLY, 61, false },
	{ ROCE_OP_READ_REQUEST, 0, false },
	{ ROCE_OP_FETCH_ADD, 0, false },
	{ ROCE_OP_SEND_ONLY_IMM, 17, true },
};

/* Every prefix of a frame is "too short", never accepted, and read only
 * within its own exact-size allocation (run under ASan). */
START_TEST(test_truncated_prefixes)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(trunc_frames[_i].opcode, trunc_frames[_i].len,
				      trunc_frames[_i].vlan);
	struct roce_pkt pkt;
	uint32_t n;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (n = 0; n < t->len; n++) {
		uint8_t *prefix = malloc(n);
		enum roce_parse_status st;

		ck_assert_msg(prefix != NULL || n == 0, "out of memory");
		if (n > 0)
			memcpy(prefix, t->buf, n);
		st = roce_parse_flat(&parser, prefix, n, &pkt);
		free(prefix);
		EXPECT(st == ROCE_PARSE_TOO_SHORT,
		       "%s%s: %u of %u bytes: expected \"%s\", got \"%s\"",
		       roce_opcode_name(t->pkt.opcode), t->pkt.has_vlan ? " with VLAN" : "", n,
		       t->len, st_str(ROCE_PARSE_TOO_SHORT), st_str(st));
	}
	ck_assert_uint_eq(parser.count[ROCE_PARSE_TOO_SHORT], t->len);
	free(t);
}
END_TEST

/* Bytes after the IPv4 datagram (Ethernet padding to 60 bytes, anything a
 * NIC leaves) are not part of the frame. */
static void
expect_trailing_ok(struct roce_parser *parser, const struct tframe *t, uint32_t extra,
		   uint8_t fill, bool own_segment, const char *what)
{
	uint8_t *buf = malloc(t->len + extra);
	struct roce_buf seg[2];
	enum roce_parse_status st;
	struct roce_pkt pkt;

	ck_assert_ptr_nonnull(buf);
	memcpy(buf, t->buf, t->len);
	memset(buf + t->len, fill, extra);
	seg[0] = (struct roce_buf){ .data = buf, .len = own_segment ? t->len : t->len + extra };
	seg[1] = (struct roce_buf){ .data = buf + t->len, .len = extra };
	st = roce_parse(parser, seg, own_segment ? 2 : 1, &pkt);
	ck_assert_msg(st == ROCE_PARSE_OK, "%s: expected \"%s\", got \"%s\"", what,
		      st_str(ROCE_PARSE_OK), st_str(st));
	pkt_expect_equal(what, &t->pkt, &pkt);
	free(buf);
}

START_TEST(test_trailing_bytes_ignored)
{
	struct roce_parser parser;
	struct tframe *t = tframe_new(ROCE_OP_SEND_ONLY, 0, false);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	ck_assert_uint_eq(t->len, 58);	/* the shortest RoCEv2 frame */
	expect_trailing_ok(&parser, t, 2, 0, false, "SEND_ONLY padded to 60 bytes");
	tframe_build(t, ROCE_OP_ACK, 0, false);
	expect_trailing_ok(&parser, t, 4, 0xa5, false, "ACKNOWLEDGE with 4 junk bytes (FCS)");
	tframe_build(t, ROCE_OP_WRITE_ONLY, 100, true);
	expect_trailing_ok(&parser, t, JUNK_MAX, 0xff, false, "RDMA_WRITE_ONLY with 64 junk bytes");
	expect_trailing_ok(&parser, t, 7, 0x11, true,
			   "RDMA_WRITE_ONLY with 7 junk bytes in their own segment");
	free(t);
}
END_TEST

/* ======================================================================= */
/* Single-bit corruption                                                    */
/* ======================================================================= */

static const uint8_t flip_opcodes[] = { ROCE_OP_WRITE_FIRST, ROCE_OP_ACK };

/* The first frame of write.pcap with @p opcode, into an exact-size buffer. */
static uint8_t *
flip_frame_load(uint8_t opcode, struct roce_pkt *pkt, unsigned int *number)
{
	struct roce_parser parser;
	struct test_capture cap;
	uint8_t *frame = NULL;
	unsigned int i;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	test_capture_load(&cap, "write.pcap");
	for (i = 0; i < cap.count && frame == NULL; i++) {
		const struct test_frame *f = &cap.frame[i];

		if (roce_parse_flat(&parser, f->data, f->len, pkt) != ROCE_PARSE_OK ||
		    pkt->opcode != opcode)
			continue;
		frame = malloc(f->len);
		ck_assert_ptr_nonnull(frame);
		memcpy(frame, f->data, f->len);
		*number = f->number;
		ck_assert_uint_eq(f->len, pkt->frame_len);
	}
	ck_assert_msg(frame != NULL, "write.pcap: no %s frame", roce_opcode_name(opcode));
	test_capture_free(&cap);
	return frame;
}

static bool
flip_in_ihl(const struct roce_pkt *pkt, uint32_t off, unsigned int bit)
{
	return off == pkt->l3_off && bit < 4;
}

/*
 * Flip, one at a time, every bit the ICRC protects (A17.3.3: IPv4 header
 * through the ICRC itself, less the fields it masks and nothing else
 * checks: UDP checksum, BTH byte 4): never accepted. A frame turned
 * foreign must owe it to the IPv4 protocol or the UDP destination port;
 * the IHL bits are left to test_bitflip_ihl_not_foreign.
 */
START_TEST(test_bitflip_covered_rejected)
{
	struct roce_parser parser;
	struct roce_pkt orig, pkt;
	unsigned int number;
	uint8_t *f = flip_frame_load(flip_opcodes[_i], &orig, &number);
	const uint32_t l3 = orig.l3_off, udp = l3 + orig.ip_hdr_len;
	uint32_t off, flips = 0;
	unsigned int bit;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (off = l3; off < orig.frame_len; off++) {
		if (off == udp + 6 || off == udp + 7 || off == orig.bth_off + 4u)
			continue;	/* masked: test_bitflip_masked_accepted */
		for (bit = 0; bit < 8; bit++) {
			enum roce_parse_status st;
			bool proto_or_port;

			f[off] ^= 1u << bit;
			st = roce_parse_flat(&parser, f, orig.frame_len, &pkt);
			f[off] ^= 1u << bit;
			flips++;
			proto_or_port = off == l3 + 9 || off == udp + 2 || off == udp + 3;
			EXPECT(st != ROCE_PARSE_OK,
			       "write.pcap frame %u (%s): bit %u of byte %u flipped: accepted",
			       number, orig.info->name, bit, off);
			EXPECT(!roce_parse_status_is_foreign(st) || proto_or_port ||
			       flip_in_ihl(&orig, off, bit),
			       "write.pcap frame %u (%s): bit %u of byte %u flipped: expected a rejection, got foreign \"%s\"",
			       number, orig.info->name, bit, off, st_str(st));
		}
	}
	ck_assert_uint_eq(parser.count[ROCE_PARSE_OK], 0);
	ck_assert_uint_eq(flips, (orig.frame_len - l3 - 3) * 8);
	free(f);
}
END_TEST

/*
 * A flipped IHL bit damages the IPv4 header (its checksum no longer
 * matches), so the frame is a corrupt RoCEv2 frame to count and drop, not
 * someone else's. Beware: roce_parse() reads the UDP destination port
 * where the IHL points before it checks the IP checksum.
 */
START_TEST(test_bitflip_ihl_not_foreign)
{
	struct roce_parser parser;
	struct roce_pkt orig, pkt;
	unsigned int number, bit, bad_bit = 0;
	uint8_t *f = flip_frame_load(flip_opcodes[_i], &orig, &number);
	const uint8_t vhl = f[orig.l3_off];
	enum roce_parse_status st, bad = ROCE_PARSE_OK;
	bool failed = false;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (bit = 0; bit < 4; bit++) {
		f[orig.l3_off] = vhl ^ (1u << bit);
		st = roce_parse_flat(&parser, f, orig.frame_len, &pkt);
		if (!failed && (st == ROCE_PARSE_OK || roce_parse_status_is_foreign(st))) {
			failed = true;
			bad = st;
			bad_bit = bit;
		}
	}
	free(f);
	ck_assert_msg(!failed,
		      "write.pcap frame %u (%s): IHL %u -> %u (bit %u of byte %u): expected a rejection, got \"%s\"",
		      number, orig.info->name, vhl & 0xf, (vhl ^ (1u << bad_bit)) & 0xf, bad_bit,
		      orig.l3_off, st_str(bad));
}
END_TEST

/* Bits the ICRC masks (A17.3.3) may change in flight: TOS/ECN and TTL (the
 * IP checksum fixed up, as a router does), the UDP checksum, BTH byte 4
 * (FECN, BECN, reserved). The frame stays valid and reads back the change. */
START_TEST(test_bitflip_masked_accepted)
{
	struct roce_parser parser;
	struct roce_pkt orig, pkt;
	unsigned int number, bit, i;
	uint8_t *f = flip_frame_load(flip_opcodes[_i], &orig, &number);
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(f + orig.l3_off);
	const uint32_t udp = orig.l3_off + orig.ip_hdr_len;
	const uint32_t ip_offs[] = { orig.l3_off + 1, orig.l3_off + 8 };
	const uint32_t plain_offs[] = { udp + 6, udp + 7, orig.bth_off + 4 };
	const rte_be16_t csum = ip->hdr_checksum;
	enum roce_parse_status st;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (i = 0; i < RTE_DIM(ip_offs); i++) {
		for (bit = 0; bit < 8; bit++) {
			f[ip_offs[i]] ^= 1u << bit;
			ip->hdr_checksum = 0;
			ip->hdr_checksum = rte_ipv4_cksum(ip);
			st = roce_parse_flat(&parser, f, orig.frame_len, &pkt);
			f[ip_offs[i]] ^= 1u << bit;
			ip->hdr_checksum = csum;
			ck_assert_msg(st == ROCE_PARSE_OK,
				      "write.pcap frame %u (%s): %s bit %u flipped: expected \"%s\", got \"%s\"",
				      number, orig.info->name, i == 0 ? "TOS" : "TTL", bit,
				      st_str(ROCE_PARSE_OK), st_str(st));
			ck_assert_uint_eq(i == 0 ? pkt.ip_tos : pkt.ip_ttl,
					  (i == 0 ? orig.ip_tos : orig.ip_ttl) ^ (1u << bit));
		}
	}
	for (i = 0; i < RTE_DIM(plain_offs); i++) {
		for (bit = 0; bit < 8; bit++) {
			f[plain_offs[i]] ^= 1u << bit;
			st = roce_parse_flat(&parser, f, orig.frame_len, &pkt);
			f[plain_offs[i]] ^= 1u << bit;
			ck_assert_msg(st == ROCE_PARSE_OK,
				      "write.pcap frame %u (%s): bit %u of byte %u (%s) flipped: expected \"%s\", got \"%s\"",
				      number, orig.info->name, bit, plain_offs[i],
				      i < 2 ? "UDP checksum" : "BTH byte 4", st_str(ROCE_PARSE_OK),
				      st_str(st));
			if (i == 2) {
				ck_assert_uint_eq(pkt.fecn, orig.fecn ^ (bit == 7));
				ck_assert_uint_eq(pkt.becn, orig.becn ^ (bit == 6));
				ck_assert_uint_eq(pkt.dqpn, orig.dqpn);
			}
		}
	}
	free(f);
}
END_TEST

/* ======================================================================= */
/* Status names                                                             */
/* ======================================================================= */

START_TEST(test_status_strings)
{
	static const int out_of_range[] = { ROCE_PARSE_NSTATUS, ROCE_PARSE_NSTATUS + 1, 1000, -1 };
	unsigned int a, b;

	for (a = 0; a < ROCE_PARSE_NSTATUS; a++) {
		const char *s = roce_parse_status_str(a), *c = roce_parse_status_counter(a);

		ck_assert_msg(s != NULL && strcmp(s, "?") != 0 && s[0] != '\0',
			      "status %u: string \"%s\"", a, s != NULL ? s : "(null)");
		ck_assert_msg(c != NULL && strcmp(c, "?") != 0 && c[0] != '\0',
			      "status %u: counter name \"%s\"", a, c != NULL ? c : "(null)");
		for (b = 0; b < a; b++) {
			ck_assert_msg(strcmp(s, roce_parse_status_str(b)) != 0,
				      "statuses %u and %u share the string \"%s\"", b, a, s);
			ck_assert_msg(strcmp(c, roce_parse_status_counter(b)) != 0,
				      "statuses %u and %u share the counter name \"%s\"", b, a, c);
		}
	}
	for (a = 0; a < RTE_DIM(out_of_range); a++) {
		enum roce_parse_status s = (enum roce_parse_status)out_of_range[a];

		ck_assert_str_eq(roce_parse_status_str(s), "?");
		ck_assert_str_eq(roce_parse_status_counter(s), "?");
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("parse");
	SRunner *sr;
	TCase *tc;
	int failed;

	tc = tcase_create("round_trip");
	tcase_add_loop_test(tc, test_round_trip_opcode, 0, opcode_count());
	tcase_add_test(tc, test_round_trip_unaligned_first_middle_bad_pad);
	tcase_add_test(tc, test_build_refuses_pad_on_first_middle);
	suite_add_tcase(s, tc);

	tc = tcase_create("segmented");
	tcase_add_loop_test(tc, test_segmented_two, 0, RTE_DIM(seg_frames));
	tcase_add_loop_test(tc, test_segmented_three, 0, RTE_DIM(seg_frames));
	tcase_add_loop_test(tc, test_segmented_many, 0, RTE_DIM(seg_frames));
	tcase_add_test(tc, test_segmented_empty_null);
	tcase_add_test(tc, test_segmented_odd_address);
	tcase_add_test(tc, test_build_segmented_payload);
	suite_add_tcase(s, tc);

	tc = tcase_create("build");
	tcase_add_test(tc, test_build_rejects_bad_input);
	tcase_add_test(tc, test_build_largest_frame);
	tcase_add_loop_test(tc, test_template_builds_same_bytes, 0, opcode_count());
	suite_add_tcase(s, tc);

	tc = tcase_create("captures");
	tcase_add_loop_test(tc, test_capture_parse, 0, RTE_DIM(captures));
	tcase_add_loop_test(tc, test_capture_rebuild, 0, RTE_DIM(captures));
	tcase_add_test(tc, test_capture_oob_foreign);
	tcase_add_test(tc, test_capture_bad_icrc);
	suite_add_tcase(s, tc);

	tc = tcase_create("negative");
	tcase_add_test(tc, test_reject_too_short);
	tcase_add_test(tc, test_reject_too_many_segs);
	tcase_add_test(tc, test_reject_not_ipv4);
	tcase_add_test(tc, test_reject_bad_ip_hdr);
	tcase_add_test(tc, test_reject_not_roce);
	tcase_add_test(tc, test_reject_ip_fragment);
	tcase_add_test(tc, test_reject_bad_ip_csum);
	tcase_add_test(tc, test_reject_bad_udp_len);
	tcase_add_test(tc, test_reject_bad_bth_version);
	tcase_add_test(tc, test_reject_unknown_opcode);
	tcase_add_test(tc, test_reject_bad_length);
	tcase_add_test(tc, test_reject_bad_pad);
	tcase_add_test(tc, test_reject_bad_icrc);
	suite_add_tcase(s, tc);

	tc = tcase_create("truncation");
	tcase_add_loop_test(tc, test_truncated_prefixes, 0, RTE_DIM(trunc_frames));
	tcase_add_test(tc, test_trailing_bytes_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("corruption");
	tcase_add_loop_test(tc, test_bitflip_covered_rejected, 0, RTE_DIM(flip_opcodes));
	tcase_add_loop_test(tc, test_bitflip_ihl_not_foreign, 0, RTE_DIM(flip_opcodes));
	tcase_add_loop_test(tc, test_bitflip_masked_accepted, 0, RTE_DIM(flip_opcodes));
	suite_add_tcase(s, tc);

	tc = tcase_create("strings");
	tcase_add_test(tc, test_status_strings);
	suite_add_tcase(s, tc);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
