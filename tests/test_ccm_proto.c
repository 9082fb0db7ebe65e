/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * CCM wire format tests (lib/ccm/ccm_proto.c, docs/ccm-protocol.md): the
 * boot status and every message type round trip; hand-written wire bytes
 * checked against an independent bitwise CRC-32 written here; every
 * refusal reason and the order of the checks; truncations, bit flips and
 * encode errors; version negotiation; and a seeded random-input loop.
 *
 * Inputs handed to the decoders live in malloc'd buffers of exactly their
 * length, so AddressSanitizer builds catch any read past the end.
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

#include "ccm_proto.h"
#include "test_ref.h"

#define CLUSTER		0x5eed0c1du
#define PEER		2
#define INC		0x0123456789abcdefull

#define HDR		32		/* message header bytes */
#define P(off)		(HDR + (off))	/* message offset of a payload offset */
#define RAW_MAX		32768		/* room for 255 PORTS entries */

/* ---- helpers ---------------------------------------------------------- */

static void *
xmalloc(size_t len)
{
	void *p = malloc(len ? len : 1);

	expect(p != NULL, "malloc(%zu) failed", len);
	return p;
}

/* A copy in a buffer of exactly @p len bytes (NULL when empty). */
static uint8_t *
exact_copy(const void *src, size_t len)
{
	uint8_t *p;

	if (len == 0)
		return NULL;
	p = xmalloc(len);
	memcpy(p, src, len);
	return p;
}

/* Where two byte strings first differ, or -1. */
static long
first_diff(const uint8_t *a, const uint8_t *b, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (a[i] != b[i])
			return (long)i;
	return -1;
}

#define ck_bytes_eq(seen, want, len, what) do {					\
	long d_ = first_diff((seen), (want), (len));				\
	expect(d_ < 0, "%s: byte %ld: expected 0x%02x, saw 0x%02x",	\
	       (what), d_, d_ < 0 ? 0 : (want)[d_], d_ < 0 ? 0 : (seen)[d_]); \
} while (0)

#define ck_err_eq(seen, want, ...) do {						\
	enum ccm_proto_err s_ = (seen), w_ = (want);				\
	char c_[160];								\
	snprintf(c_, sizeof(c_), __VA_ARGS__);					\
	expect(s_ == w_, "%s: expected %s, saw %s", c_,			\
	       ccm_proto_err_str(w_), ccm_proto_err_str(s_));		\
} while (0)

/* ---- status helpers --------------------------------------------------- */

#define ST_CSUM		60

/* Recompute a raw status's checksum with this file's CRC. */
static void
status_seal(uint8_t *s)
{
	ref_put32(s + ST_CSUM, ref_crc32(0, s, ST_CSUM));
}

static struct ccm_status
status_sample(void)
{
	struct ccm_status st = {
		.stage = CCM_STAGE_SEEN,
		.cluster_id = CLUSTER,
		.node_id = PEER,
		.version_min = 1,
		.version_max = 2,
		.seq = 7,
		.incarnation = INC,
		.acked_incarnation = 0xfedcba9876543210ull,
	};

	return st;
}

static void
status_raw(const struct ccm_status *st, uint8_t raw[64])
{
	struct ccm_boot_status bs;

	ccm_status_encode(st, &bs);
	memcpy(raw, &bs, sizeof(bs));
}

static enum ccm_proto_err
status_decode_raw(const uint8_t raw[64], uint32_t cluster, uint16_t node, struct ccm_status *st)
{
	struct ccm_boot_status *bs = xmalloc(sizeof(*bs));
	enum ccm_proto_err e;

	memcpy(bs, raw, sizeof(*bs));
	e = ccm_status_decode(bs, cluster, node, st);
	free(bs);
	return e;
}

static void
check_status_eq(const struct ccm_status *seen, const struct ccm_status *want, const char *what)
{
	expect(seen->stage == want->stage, "%s: stage expected %d, saw %d", what,
	       want->stage, seen->stage);
	expect(seen->cluster_id == want->cluster_id,
	       "%s: cluster_id expected 0x%x, saw 0x%x", what, want->cluster_id,
	       seen->cluster_id);
	expect(seen->node_id == want->node_id, "%s: node_id expected %u, saw %u", what,
	       want->node_id, seen->node_id);
	expect(seen->version_min == want->version_min &&
	       seen->version_max == want->version_max,
	       "%s: versions expected %u..%u, saw %u..%u", what, want->version_min,
	       want->version_max, seen->version_min, seen->version_max);
	expect(seen->seq == want->seq, "%s: seq expected %u, saw %u", what, want->seq,
	       seen->seq);
	expect(seen->attempt == want->attempt, "%s: attempt expected %u, saw %u", what,
	       want->attempt, seen->attempt);
	expect(seen->incarnation == want->incarnation,
	       "%s: incarnation expected 0x%" PRIx64 ", saw 0x%" PRIx64, what,
	       want->incarnation, seen->incarnation);
	expect(seen->acked_incarnation == want->acked_incarnation,
	       "%s: acked_incarnation expected 0x%" PRIx64 ", saw 0x%" PRIx64, what,
	       want->acked_incarnation, seen->acked_incarnation);
}

/* ---- message helpers -------------------------------------------------- */

/* Header offsets (docs/ccm-protocol.md, "Message header"). */
#define H_MAGIC		0
#define H_VERSION	4
#define H_TYPE		6
#define H_CLUSTER	8
#define H_NODE		12
#define H_ATTEMPT	14
#define H_INC		16
#define H_LENGTH	24
#define H_CSUM		28

/* Payload sizes per the document, computed here independently. */
#define HELLO_LEN	48
#define CL_LEN		40
#define PC_LEN		52
#define PORT_LEN	8

static void
msg_init(struct ccm_msg *m, enum ccm_msg_type type, uint16_t version)
{
	memset(m, 0, sizeof(*m));
	m->info.type = type;
	m->info.version = version;
	m->info.cluster_id = CLUSTER;
	m->info.node_id = PEER;
	m->info.incarnation = INC;
}

static size_t
expected_len(const struct ccm_msg *m)
{
	size_t len = 0;
	unsigned int i;

	switch (m->info.type) {
	case CCM_MSG_HELLO:
		len = HELLO_LEN;
		break;
	case CCM_MSG_CLIENTS:
		len = 4 + m->u.clients.count * CL_LEN;
		break;
	case CCM_MSG_PORTS:
		len = 4;
		for (i = 0; i < m->u.ports.count; i++)
			len += PC_LEN + m->u.ports.client[i].nports * PORT_LEN;
		break;
	case CCM_MSG_READY:
		len = 0;
		break;
	case CCM_MSG_TERMINATE:
	case CCM_MSG_REFUSE:
		len = 4;
		break;
	default:
		ck_abort_msg("expected_len: type %d", m->info.type);
	}
	return HDR + len;
}

static void
set_name(char *dst, const char *name)
{
	memset(dst, 0, CCM_NAME_LEN);
	memcpy(dst, name, strlen(name));
}

static const char name23[] = "abcdefghijklmnopqrstuvw";	/* the longest name: 23 + NUL */
static_assert(sizeof(name23) == CCM_NAME_LEN, "name23 fills a name field");
static const char *const short_names[] = { "a", "", "nvram", "fm" };

/* Every type with its smallest and largest counts, names and values. */
#define NSAMPLES_MAX	64

static unsigned int
samples(struct ccm_msg *out)
{
	unsigned int n = 0, i, j;
	uint16_t v;

	for (v = CCM_PROTO_VERSION_MIN; v <= CCM_PROTO_VERSION_MAX; v++) {
		struct ccm_msg *m;

		m = &out[n++];			/* HELLO, all minimal */
		msg_init(m, CCM_MSG_HELLO, v);
		m->info.cluster_id = 0;
		m->info.node_id = 0;
		m->info.incarnation = 0;
		m->u.hello.version_min = 1;
		m->u.hello.version_max = 1;

		m = &out[n++];			/* HELLO, all maximal */
		msg_init(m, CCM_MSG_HELLO, v);
		m->info.cluster_id = UINT32_MAX;
		m->info.node_id = UINT16_MAX;
		m->info.incarnation = UINT64_MAX;
		m->u.hello.version_min = UINT16_MAX;
		m->u.hello.version_max = UINT16_MAX;
		set_name(m->u.hello.node_name, name23);
		m->u.hello.nb_links = CCM_MAX_LINKS;
		m->u.hello.link_ip[0] = UINT32_MAX;
		m->u.hello.link_ip[1] = 0;
		m->u.hello.link_ip[2] = 0x0a000001;
		m->u.hello.link_ip[3] = 0xc0a80102;

		m = &out[n++];			/* CLIENTS, none */
		msg_init(m, CCM_MSG_CLIENTS, v);

		m = &out[n++];			/* CLIENTS, the most */
		msg_init(m, CCM_MSG_CLIENTS, v);
		m->u.clients.count = CCM_MAX_CLIENTS;
		for (i = 0; i < CCM_MAX_CLIENTS; i++) {
			struct ccm_client_info *c = &m->u.clients.client[i];

			c->client_id = i ? i : UINT16_MAX;
			c->nports = i % 2 ? CCM_MAX_CLIENT_PORTS : i;
			c->mem_bytes = i % 2 ? UINT64_MAX : i;
			set_name(c->name, i % 2 ? name23 : short_names[i / 2]);
		}

		m = &out[n++];			/* PORTS, none */
		msg_init(m, CCM_MSG_PORTS, v);

		m = &out[n++];			/* PORTS, one client with no port */
		msg_init(m, CCM_MSG_PORTS, v);
		m->u.ports.count = 1;
		set_name(m->u.ports.client[0].name, "memonly");
		m->u.ports.client[0].mem_len = 4096;

		m = &out[n++];			/* PORTS, the largest */
		msg_init(m, CCM_MSG_PORTS, v);
		m->u.ports.count = CCM_MAX_CLIENTS;
		for (i = 0; i < CCM_MAX_CLIENTS; i++) {
			struct ccm_client_ports *c = &m->u.ports.client[i];

			c->client_id = UINT16_MAX - i;
			c->nports = CCM_MAX_CLIENT_PORTS;
			set_name(c->name, name23);
			c->mem_iova = UINT64_MAX - i;
			c->mem_len = UINT64_MAX;
			c->mem_rkey = UINT32_MAX;
			for (j = 0; j < CCM_MAX_CLIENT_PORTS; j++) {
				c->qpn[j] = 0xffffff - j;
				c->psn[j] = j % 2 ? 0xffffff : 0;
			}
		}

		m = &out[n++];			/* PORTS, mixed port counts */
		msg_init(m, CCM_MSG_PORTS, v);
		m->u.ports.count = 3;
		for (i = 0; i < 3; i++) {
			struct ccm_client_ports *c = &m->u.ports.client[i];

			c->client_id = i;
			c->nports = (uint16_t[]){ 0, CCM_MAX_CLIENT_PORTS, 3 }[i];
			set_name(c->name, i < 2 ? short_names[3 - i] : name23);
			c->mem_iova = 0x100000000ull * (i + 1);
			c->mem_len = 1u << (20 + i);
			c->mem_rkey = 0x1000 + i;
			for (j = 0; j < c->nports; j++) {
				c->qpn[j] = 0x11 + 16 * i + j;
				c->psn[j] = 0xabcde0 + j;
			}
		}

		m = &out[n++];
		msg_init(m, CCM_MSG_READY, v);

		for (i = CCM_TERM_ADMIN; i <= CCM_TERM_SHUTDOWN; i++) {
			m = &out[n++];
			msg_init(m, CCM_MSG_TERMINATE, v);
			m->u.terminate.reason = i;
		}

		m = &out[n++];
		msg_init(m, CCM_MSG_REFUSE, v);
		m->u.refuse.version_min = 1;
		m->u.refuse.version_max = 1;
		m = &out[n++];
		msg_init(m, CCM_MSG_REFUSE, v);
		m->u.refuse.version_min = 0;
		m->u.refuse.version_max = UINT16_MAX;
	}
	ck_assert_uint_le(n, NSAMPLES_MAX);
	return n;
}

static const char *
sample_name(const struct ccm_msg *m, char *buf, size_t size)
{
	snprintf(buf, size, "%s v%u", ccm_msg_type_str(m->info.type), m->info.version);
	return buf;
}

/* Field by field; names up to their NUL, slots up to their counts. */
static void
check_msg_eq(const struct ccm_msg *seen, const struct ccm_msg *want, const char *what)
{
	unsigned int i, j;

	expect(seen->info.type == want->info.type, "%s: type expected %d, saw %d", what,
	       want->info.type, seen->info.type);
	expect(seen->info.version == want->info.version,
	       "%s: version expected %u, saw %u", what, want->info.version,
	       seen->info.version);
	expect(seen->info.cluster_id == want->info.cluster_id &&
	       seen->info.node_id == want->info.node_id,
	       "%s: cluster/node expected 0x%x/%u, saw 0x%x/%u", what, want->info.cluster_id,
	       want->info.node_id, seen->info.cluster_id, seen->info.node_id);
	expect(seen->info.attempt == want->info.attempt, "attempt expected %u, saw %u",
	       want->info.attempt, seen->info.attempt);
	expect(seen->info.incarnation == want->info.incarnation,
	       "%s: incarnation expected 0x%" PRIx64 ", saw 0x%" PRIx64, what,
	       want->info.incarnation, seen->info.incarnation);

	switch (want->info.type) {
	case CCM_MSG_HELLO: {
		const struct ccm_hello *s = &seen->u.hello, *w = &want->u.hello;

		expect(s->version_min == w->version_min && s->version_max == w->version_max,
		       "%s: versions expected %u..%u, saw %u..%u", what, w->version_min,
		       w->version_max, s->version_min, s->version_max);
		expect(strcmp(s->node_name, w->node_name) == 0,
		       "%s: node_name expected \"%s\", saw \"%.24s\"", what, w->node_name,
		       s->node_name);
		expect(s->nb_links == w->nb_links, "%s: nb_links expected %u, saw %u",
		       what, w->nb_links, s->nb_links);
		for (i = 0; i < w->nb_links; i++)
			expect(s->link_ip[i] == w->link_ip[i],
			       "%s: link_ip[%u] expected 0x%08x, saw 0x%08x", what, i,
			       w->link_ip[i], s->link_ip[i]);
		break;
	}
	case CCM_MSG_CLIENTS:
		expect(seen->u.clients.count == want->u.clients.count,
		       "%s: count expected %u, saw %u", what, want->u.clients.count,
		       seen->u.clients.count);
		for (i = 0; i < want->u.clients.count; i++) {
			const struct ccm_client_info *s = &seen->u.clients.client[i];
			const struct ccm_client_info *w = &want->u.clients.client[i];

			expect(s->client_id == w->client_id && s->nports == w->nports &&
			       s->mem_bytes == w->mem_bytes,
			       "%s: client %u expected id %u nports %u mem %" PRIu64
			       ", saw id %u nports %u mem %" PRIu64, what, i, w->client_id,
			       w->nports, w->mem_bytes, s->client_id, s->nports,
			       s->mem_bytes);
			expect(strcmp(s->name, w->name) == 0,
			       "%s: client %u name expected \"%s\", saw \"%.24s\"", what, i,
			       w->name, s->name);
		}
		break;
	case CCM_MSG_PORTS:
		expect(seen->u.ports.count == want->u.ports.count,
		       "%s: count expected %u, saw %u", what, want->u.ports.count,
		       seen->u.ports.count);
		for (i = 0; i < want->u.ports.count; i++) {
			const struct ccm_client_ports *s = &seen->u.ports.client[i];
			const struct ccm_client_ports *w = &want->u.ports.client[i];

			expect(s->client_id == w->client_id && s->nports == w->nports,
			       "%s: client %u expected id %u nports %u, saw id %u nports %u",
			       what, i, w->client_id, w->nports, s->client_id, s->nports);
			expect(strcmp(s->name, w->name) == 0,
			       "%s: client %u name expected \"%s\", saw \"%.24s\"", what, i,
			       w->name, s->name);
			expect(s->mem_iova == w->mem_iova && s->mem_len == w->mem_len &&
			       s->mem_rkey == w->mem_rkey,
			       "%s: client %u memory expected 0x%" PRIx64 "+0x%" PRIx64
			       " key 0x%x, saw 0x%" PRIx64 "+0x%" PRIx64 " key 0x%x", what, i,
			       w->mem_iova, w->mem_len, w->mem_rkey, s->mem_iova, s->mem_len,
			       s->mem_rkey);
			for (j = 0; j < w->nports; j++)
				expect(s->qpn[j] == w->qpn[j] && s->psn[j] == w->psn[j],
				       "%s: client %u port %u expected qpn 0x%x psn 0x%x, "
				       "saw qpn 0x%x psn 0x%x", what, i, j, w->qpn[j],
				       w->psn[j], s->qpn[j], s->psn[j]);
		}
		break;
	case CCM_MSG_READY:
		break;
	case CCM_MSG_TERMINATE:
		expect(seen->u.terminate.reason == want->u.terminate.reason,
		       "%s: reason expected %u, saw %u", what, want->u.terminate.reason,
		       seen->u.terminate.reason);
		break;
	case CCM_MSG_REFUSE:
		expect(seen->u.refuse.version_min == want->u.refuse.version_min &&
		       seen->u.refuse.version_max == want->u.refuse.version_max,
		       "%s: versions expected %u..%u, saw %u..%u", what,
		       want->u.refuse.version_min, want->u.refuse.version_max,
		       seen->u.refuse.version_min, seen->u.refuse.version_max);
		break;
	default:
		ck_abort_msg("%s: type %d", what, want->info.type);
	}
}

/* Decode @p len bytes from a buffer of exactly that size. */
static enum ccm_proto_err
decode_exact(const uint8_t *bytes, size_t len, uint32_t cluster, uint16_t node,
	     struct ccm_msg *m)
{
	uint8_t *p = exact_copy(bytes, len);
	enum ccm_proto_err e = ccm_msg_decode(p, len, cluster, node, m);

	free(p);
	return e;
}

/* A message being built or damaged by hand. */
struct raw {
	uint8_t b[RAW_MAX];
	size_t len;
};

static void
raw_from(struct raw *r, const struct ccm_msg *m)
{
	int n = ccm_msg_encode(m, r->b, sizeof(r->b));

	expect(n > 0, "encode %s: expected a length, saw %d", ccm_msg_type_str(m->info.type),
	       n);
	r->len = n;
}

static void
raw_append(struct raw *r, const void *bytes, size_t n)
{
	ck_assert_uint_le(r->len + n, sizeof(r->b));
	memcpy(r->b + r->len, bytes, n);
	r->len += n;
}

/* Make the length field and checksum agree with the bytes again. */
static void
raw_seal(struct raw *r)
{
	ref_put32(r->b + H_LENGTH, r->len - HDR);
	ref_put32(r->b + H_CSUM, 0);
	ref_put32(r->b + H_CSUM, ref_crc32(0, r->b, r->len));
}

static enum ccm_proto_err
raw_decode(const struct raw *r)
{
	struct ccm_msg m;

	return decode_exact(r->b, r->len, CLUSTER, PEER, &m);
}

static void
mask_range(uint8_t *mask, size_t from, size_t to)
{
	for (; from < to; from++)
		mask[from] = 1;
}

/*
 * Bytes the encoder writes as zero and the decoder ignores, per the
 * document: header reserved, payload reserved, name padding after the
 * NUL, HELLO link slots past nb_links. The checksum is flagged as 2.
 */
static void
ignored_bytes(const struct ccm_msg *m, uint8_t *mask, size_t len)
{
	unsigned int i, k;
	size_t e;

	ck_assert_uint_le(expected_len(m), len);
	memset(mask, 0, len);
	for (k = 0; k < 4; k++)
		mask[H_CSUM + k] = 2;
#define IGNORE(from, to) mask_range(mask, (from), (to))
	switch (m->info.type) {
	case CCM_MSG_HELLO:
		IGNORE(P(4 + strlen(m->u.hello.node_name) + 1), P(28));
		IGNORE(P(29), P(32));
		IGNORE(P(32 + 4 * m->u.hello.nb_links), P(48));
		break;
	case CCM_MSG_CLIENTS:
		IGNORE(P(1), P(4));
		for (i = 0; i < m->u.clients.count; i++) {
			e = 4 + i * CL_LEN;
			IGNORE(P(e + 4), P(e + 8));
			IGNORE(P(e + 16 + strlen(m->u.clients.client[i].name) + 1), P(e + 40));
		}
		break;
	case CCM_MSG_PORTS: {
		size_t off = 4;

		IGNORE(P(1), P(4));
		for (i = 0; i < m->u.ports.count; i++) {
			const struct ccm_client_ports *c = &m->u.ports.client[i];

			IGNORE(P(off + 4 + strlen(c->name) + 1), P(off + 28));
			IGNORE(P(off + 32), P(off + 36));
			off += PC_LEN + c->nports * PORT_LEN;
		}
		break;
	}
	case CCM_MSG_TERMINATE:
		IGNORE(P(2), P(4));
		break;
	default:
		break;
	}
#undef IGNORE
}

/*
 * @p in was accepted as @p m: encoding @p m again gives @p in, except that
 * ignored bytes come out zero (and the checksum changes with them). When
 * @p in has zeros there, the bytes are exactly the same.
 */
static void
check_reencodes(const uint8_t *in, size_t len, const struct ccm_msg *m, const char *what)
{
	uint8_t out[CCM_MSG_MAX], mask[CCM_MSG_MAX];
	bool canonical = true;
	struct ccm_msg again;
	enum ccm_proto_err e;
	int n = ccm_msg_encode(m, out, sizeof(out));
	size_t i;

	expect(n >= 0 && (size_t)n == len, "%s: re-encode expected %zu bytes, saw %d", what,
	       len, n);
	ignored_bytes(m, mask, len);
	for (i = 0; i < len; i++) {
		if (mask[i] == 0)
			expect(out[i] == in[i],
			       "%s: re-encoded byte %zu expected 0x%02x, saw 0x%02x", what, i,
			       in[i], out[i]);
		else if (mask[i] == 1) {
			expect(out[i] == 0, "%s: ignored byte %zu expected 0, saw 0x%02x",
			       what, i, out[i]);
			canonical &= in[i] == 0;
		}
	}
	if (canonical)
		ck_bytes_eq(out, in, len, what);
	e = ccm_msg_decode(out, len, m->info.cluster_id, m->info.node_id, &again);
	ck_err_eq(e, CCM_PROTO_OK, "%s: re-encoded decode", what);
	check_msg_eq(&again, m, what);
}

/* ---- CRC-32 and names ------------------------------------------------- */

START_TEST(test_crc32_check_value)
{
	expect(ccm_crc32("123456789", 9) == 0xcbf43926u,
	       "CRC-32 of \"123456789\": expected 0xcbf43926, saw 0x%08x",
	       ccm_crc32("123456789", 9));
	expect(ccm_crc32("", 0) == 0, "CRC-32 of nothing: expected 0, saw 0x%08x",
	       ccm_crc32("", 0));
	expect(ref_crc32(0, "123456789", 9) == 0xcbf43926u,
	       "test's own CRC-32: expected 0xcbf43926, saw 0x%08x",
	       ref_crc32(0, "123456789", 9));
}
END_TEST

START_TEST(test_crc32_matches_bitwise_every_length)
{
	uint64_t seed = 1;
	uint8_t buf[600];
	size_t len, off;

	for (len = 0; len < 300; len++)
		for (off = 0; off < 8; off++) {
			uint8_t *p = buf + off;
			size_t i;

			for (i = 0; i < len; i++)
				p[i] = rng_next(&seed);
			expect(ccm_crc32(p, len) == ref_crc32(0, p, len),
			       "length %zu offset %zu: expected 0x%08x, saw 0x%08x", len, off,
			       ref_crc32(0, p, len), ccm_crc32(p, len));
		}
}
END_TEST

START_TEST(test_err_str_every_value_named_distinct)
{
	unsigned int i, j;

	ck_assert_str_eq(ccm_proto_err_str(CCM_PROTO_OK), "ok");
	for (i = 0; i < CCM_PROTO_NERR; i++) {
		const char *s = ccm_proto_err_str(i);

		expect(s != NULL && strcmp(s, "?") != 0 && s[0] != '\0',
		       "error %u: expected a name, saw \"%s\"", i, s ? s : "(null)");
		for (j = 0; j < i; j++)
			expect(strcmp(s, ccm_proto_err_str(j)) != 0,
			       "errors %u and %u share the name \"%s\"", j, i, s);
	}
	ck_assert_str_eq(ccm_proto_err_str(CCM_PROTO_NERR), "?");
	ck_assert_str_eq(ccm_proto_err_str((enum ccm_proto_err)-1), "?");
	ck_assert_str_eq(ccm_proto_err_str((enum ccm_proto_err)1000), "?");
}
END_TEST

START_TEST(test_msg_type_str_every_type_named)
{
	static const char *const want[CCM_MSG_NTYPES] = {
		[CCM_MSG_HELLO] = "HELLO", [CCM_MSG_CLIENTS] = "CLIENTS",
		[CCM_MSG_PORTS] = "PORTS", [CCM_MSG_READY] = "READY",
		[CCM_MSG_TERMINATE] = "TERMINATE", [CCM_MSG_REFUSE] = "REFUSE",
	};
	unsigned int t;

	for (t = CCM_MSG_HELLO; t < CCM_MSG_NTYPES; t++)
		expect(strcmp(ccm_msg_type_str(t), want[t]) == 0,
		       "type %u: expected \"%s\", saw \"%s\"", t, want[t],
		       ccm_msg_type_str(t));
	ck_assert_str_eq(ccm_msg_type_str(0), "?");
	ck_assert_str_eq(ccm_msg_type_str(CCM_MSG_NTYPES), "?");
	ck_assert_str_eq(ccm_msg_type_str((enum ccm_msg_type)-1), "?");
	ck_assert_str_eq(ccm_msg_type_str((enum ccm_msg_type)0xffff), "?");
}
END_TEST

/* ---- boot status ------------------------------------------------------ */

START_TEST(test_status_layout_offsets)
{
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, magic), 0);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, layout), 4);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, stage), 6);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, cluster_id), 8);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, node_id), 12);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, version_min), 14);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, version_max), 16);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, attempt), 18);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, seq), 20);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, incarnation), 24);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, acked_incarnation), 32);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, reserved1), 40);
	ck_assert_uint_eq(offsetof(struct ccm_boot_status, checksum), 60);
	ck_assert_uint_eq(CCM_BOOT_OWN_OFF, 0);
	ck_assert_uint_eq(CCM_BOOT_FROM_PEER_OFF, 64);
	ck_assert_uint_eq(CCM_BOOT_BEAT_OFF(0), 128);
	ck_assert_uint_eq(CCM_BOOT_BEAT_OFF(CCM_MAX_LINKS - 1), 176);
	ck_assert_uint_eq(offsetof(struct ccm_boot_region, reserved), 192);
	ck_assert_uint_eq(offsetof(struct ccm_link_beat, incarnation), 8);
}
END_TEST

START_TEST(test_status_round_trip_extremes)
{
	static const struct ccm_status rows[] = {
		{ CCM_STAGE_BOOTING, 0, 0, 1, 1, 0, 0, 0, 0 },
		{ CCM_STAGE_CONNECTED, UINT32_MAX, UINT16_MAX, UINT16_MAX, UINT16_MAX,
		  UINT16_MAX, UINT32_MAX, UINT64_MAX, UINT64_MAX },
		{ CCM_STAGE_SEEN, 0x80000001u, 0x8001, 1, UINT16_MAX, 0x8001, 0x80000000u,
		  0x8000000000000001ull, 1 },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++) {
		uint8_t raw[64];
		struct ccm_status seen;
		char what[32];

		snprintf(what, sizeof(what), "row %u", i);
		status_raw(&rows[i], raw);
		ck_err_eq(status_decode_raw(raw, rows[i].cluster_id, rows[i].node_id, &seen),
			  CCM_PROTO_OK, "%s", what);
		check_status_eq(&seen, &rows[i], what);
	}
}
END_TEST

START_TEST(test_status_wire_bytes_hand_written)
{
	/* stage SEEN, cluster 0x11223344, node 0x0102, versions 1..2, seq
	 * 0xa1b2c3d4, incarnation 0x0102030405060708, acked 0xf0e0d0c0b0a09080 */
	uint8_t want[64] = {
		0x43, 0x4d, 0x43, 0x42,		/* magic "CMCB" */
		0x01, 0x00,			/* layout 1 */
		0x02, 0x00,			/* stage SEEN */
		0x44, 0x33, 0x22, 0x11,		/* cluster_id */
		0x02, 0x01,			/* node_id */
		0x01, 0x00, 0x02, 0x00,		/* version_min, version_max */
		0x04, 0x03,			/* attempt 0x0304 */
		0xd4, 0xc3, 0xb2, 0xa1,		/* seq */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/* incarnation */
		0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0,	/* acked_incarnation */
		/* reserved1[20] and the checksum, below */
	};
	const struct ccm_status st = {
		.stage = CCM_STAGE_SEEN, .cluster_id = 0x11223344, .node_id = 0x0102,
		.version_min = 1, .version_max = 2, .attempt = 0x0304, .seq = 0xa1b2c3d4,
		.incarnation = 0x0102030405060708ull, .acked_incarnation = 0xf0e0d0c0b0a09080ull,
	};
	struct ccm_status seen;
	uint8_t raw[64];

	status_seal(want);
	status_raw(&st, raw);
	ck_bytes_eq(raw, want, sizeof(want), "encoded status");
	ck_err_eq(status_decode_raw(want, 0x11223344, 0x0102, &seen), CCM_PROTO_OK,
		  "hand-written status");
	check_status_eq(&seen, &st, "hand-written status");
}
END_TEST

START_TEST(test_status_reserved_bytes_ignored)
{
	struct ccm_status st = status_sample(), seen;
	uint8_t raw[64];
	unsigned int i;

	status_raw(&st, raw);
	for (i = 40; i < 60; i++)		/* reserved1 */
		raw[i] = i;
	status_seal(raw);
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &seen), CCM_PROTO_OK,
		  "status with reserved bytes set");
	check_status_eq(&seen, &st, "status with reserved bytes set");
}
END_TEST

/* ---- keepalive note ---------------------------------------------------- */

START_TEST(test_note_round_trip_and_refusals)
{
	const struct ccm_note n = { .node_id = 2, .boot_epoch = 0xfffe,
				    .incarnation = 0x0102030405060708ull };
	struct ccm_note_wire w, bad;
	struct ccm_note seen;

	ccm_note_encode(CLUSTER, &n, &w);
	ck_err_eq(ccm_note_decode(&w, sizeof(w), CLUSTER, 2, &seen), CCM_PROTO_OK, "note");
	expect(seen.node_id == 2 && seen.boot_epoch == 0xfffe &&
	       seen.incarnation == 0x0102030405060708ull, "note fields came back changed");
	/* Little-endian on the wire. */
	expect(((const uint8_t *)&w)[10] == 0xfe && ((const uint8_t *)&w)[16] == 0x08,
	       "note not little-endian");
	ck_err_eq(ccm_note_decode(&w, sizeof(w) - 1, CLUSTER, 2, &seen), CCM_PROTO_SHORT,
		  "short note");
	bad = w;
	bad.magic ^= 1;
	ck_err_eq(ccm_note_decode(&bad, sizeof(bad), CLUSTER, 2, &seen), CCM_PROTO_BAD_MAGIC,
		  "note magic");
	ck_err_eq(ccm_note_decode(&w, sizeof(w), CLUSTER ^ 1, 2, &seen), CCM_PROTO_WRONG_CLUSTER,
		  "note cluster");
	ck_err_eq(ccm_note_decode(&w, sizeof(w), CLUSTER, 1, &seen), CCM_PROTO_WRONG_NODE,
		  "note node");
}
END_TEST

START_TEST(test_boot_psn_spreads_epochs)
{
	unsigned int e;

	/* 24 bits, and consecutive epochs far apart: a new epoch's PSNs are
	 * never inside the old one's window of recent PSNs. */
	for (e = 0; e < 1000; e++) {
		uint32_t a = ccm_boot_psn(0x1234, e), b = ccm_boot_psn(0x1234, e + 1);
		int32_t d = (int32_t)(((b - a) & 0xffffff) << 8) >> 8;

		expect(a <= 0xffffff, "epoch %u: PSN 0x%x over 24 bits", e, a);
		expect(d > 1024 || d < -1024, "epochs %u and %u start %d PSNs apart", e, e + 1, d);
	}
	expect(ccm_boot_psn(1, 0) != ccm_boot_psn(2, 0), "incarnations share a PSN");
	expect(ccm_boot_psn(7, 3) == ccm_boot_psn(7, 3), "not a function of its inputs");
}
END_TEST

/* ---- messages --------------------------------------------------------- */

START_TEST(test_msg_round_trip_every_type)
{
	struct ccm_msg s[NSAMPLES_MAX], seen;
	unsigned int n = samples(s), i, types = 0;
	uint8_t buf[CCM_MSG_MAX];
	char what[48];

	for (i = 0; i < n; i++) {
		int len = ccm_msg_encode(&s[i], buf, sizeof(buf));

		sample_name(&s[i], what, sizeof(what));
		expect(len >= 0 && (size_t)len == expected_len(&s[i]),
		       "%s (sample %u): expected %zu bytes, saw %d", what, i,
		       expected_len(&s[i]), len);
		ck_err_eq(decode_exact(buf, len, s[i].info.cluster_id, s[i].info.node_id, &seen),
			  CCM_PROTO_OK, "%s (sample %u)", what, i);
		check_msg_eq(&seen, &s[i], what);
		check_reencodes(buf, len, &seen, what);
		types |= 1u << s[i].info.type;
	}
	expect(types == ((1u << CCM_MSG_NTYPES) - 2),
	       "types covered: expected 0x%x, saw 0x%x", (1u << CCM_MSG_NTYPES) - 2, types);
}
END_TEST

START_TEST(test_msg_largest_ports_fits)
{
	struct ccm_msg s[NSAMPLES_MAX];
	unsigned int n = samples(s), i;
	size_t biggest = 0;

	for (i = 0; i < n; i++)
		if (expected_len(&s[i]) > biggest)
			biggest = expected_len(&s[i]);
	expect(biggest == HDR + 4 + CCM_MAX_CLIENTS *
	       (PC_LEN + CCM_MAX_CLIENT_PORTS * PORT_LEN),
	       "largest sample: expected the full PORTS, saw %zu bytes", biggest);
	expect(biggest == 964 && biggest <= CCM_MSG_MAX,
	       "largest PORTS: expected 964 <= %d, saw %zu", CCM_MSG_MAX, biggest);
}
END_TEST

START_TEST(test_msg_hello_wire_bytes_hand_written)
{
	uint8_t want[HDR + HELLO_LEN] = {
		0x43, 0x43, 0x4d, 0x4d,		/* magic "CCMM" */
		0x02, 0x00,			/* version 2 */
		0x01, 0x00,			/* type HELLO */
		0x44, 0x33, 0x22, 0x11,		/* cluster_id */
		0x02, 0x01,			/* node_id (sender) */
		0x06, 0x05,			/* attempt 0x0506 */
		0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01,	/* incarnation */
		0x30, 0x00, 0x00, 0x00,		/* length 48 */
		0x00, 0x00, 0x00, 0x00,		/* checksum, below */
		/* payload */
		0x01, 0x00,			/* version_min 1 */
		0x02, 0x00,			/* version_max 2 */
		'n', 'o', 'd', 'e', '-', 'a', 0, 0, 0, 0, 0, 0,	/* node_name[24] */
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0x02,				/* nb_links */
		0x00, 0x00, 0x00,		/* reserved */
		0x01, 0x00, 0x00, 0x0a,		/* link_ip[0] 10.0.0.1 */
		0x01, 0x01, 0x00, 0x0a,		/* link_ip[1] 10.0.1.1 */
		0x00, 0x00, 0x00, 0x00,		/* link_ip[2] unused */
		0x00, 0x00, 0x00, 0x00,		/* link_ip[3] unused */
	};
	struct ccm_msg m, seen;
	uint8_t buf[CCM_MSG_MAX];
	int len;

	ref_put32(want + H_CSUM, ref_crc32(0, want, sizeof(want)));
	msg_init(&m, CCM_MSG_HELLO, 2);
	m.info.cluster_id = 0x11223344;
	m.info.node_id = 0x0102;
	m.info.attempt = 0x0506;
	m.info.incarnation = 0x0102030405060708ull;
	m.u.hello.version_min = 1;
	m.u.hello.version_max = 2;
	set_name(m.u.hello.node_name, "node-a");
	m.u.hello.nb_links = 2;
	m.u.hello.link_ip[0] = 0x0a000001;
	m.u.hello.link_ip[1] = 0x0a000101;
	m.u.hello.link_ip[2] = 0xdeadbeef;	/* past nb_links: not sent */

	len = ccm_msg_encode(&m, buf, sizeof(buf));
	expect(len == (int)sizeof(want), "HELLO: expected %zu bytes, saw %d", sizeof(want),
	       len);
	ck_bytes_eq(buf, want, sizeof(want), "encoded HELLO");
	ck_err_eq(decode_exact(want, sizeof(want), 0x11223344, 0x0102, &seen), CCM_PROTO_OK,
		  "hand-written HELLO");
	m.u.hello.link_ip[2] = 0;
	check_msg_eq(&seen, &m, "hand-written HELLO");
}
END_TEST

/* The variable-length layout: one PORTS with two clients, by hand. */
START_TEST(test_msg_ports_wire_bytes_hand_written)
{
	uint8_t want[HDR + 4 + PC_LEN + 2 * PORT_LEN + PC_LEN];
	uint8_t *p = want + HDR, buf[CCM_MSG_MAX];
	struct ccm_msg m, seen;
	int len;

	memset(want, 0, sizeof(want));
	ref_put32(want + H_MAGIC, 0x4d4d4343);
	ref_put16(want + H_VERSION, 1);
	ref_put16(want + H_TYPE, 3);
	ref_put32(want + H_CLUSTER, CLUSTER);
	ref_put16(want + H_NODE, PEER);
	ref_put64(want + H_INC, INC);
	ref_put32(want + H_LENGTH, sizeof(want) - HDR);
	p[0] = 2;					/* count */
	p += 4;
	ref_put16(p + 0, 5);					/* client_id */
	ref_put16(p + 2, 2);					/* nports */
	memcpy(p + 4, "nvram", 5);			/* name */
	ref_put32(p + 28, 0xcafe01);				/* mem_rkey */
	ref_put64(p + 36, 0x7f0000001000ull);		/* mem_iova */
	ref_put64(p + 44, 0x200000);				/* mem_len */
	ref_put32(p + 52, 0x11);				/* port 0 qpn, psn */
	ref_put32(p + 56, 0x123456);
	ref_put32(p + 60, 0x12);				/* port 1 */
	ref_put32(p + 64, 0xfedcba);
	p += PC_LEN + 2 * PORT_LEN;
	ref_put16(p + 0, 6);
	ref_put16(p + 2, 0);
	memcpy(p + 4, name23, 23);
	ref_put32(p + 28, 0xcafe02);
	ref_put64(p + 36, 0x7f0000400000ull);
	ref_put64(p + 44, 4096);
	ref_put32(want + H_CSUM, ref_crc32(0, want, sizeof(want)));

	msg_init(&m, CCM_MSG_PORTS, 1);
	m.u.ports.count = 2;
	m.u.ports.client[0] = (struct ccm_client_ports){
		.client_id = 5, .nports = 2, .qpn = { 0x11, 0x12 }, .psn = { 0x123456, 0xfedcba },
		.mem_iova = 0x7f0000001000ull, .mem_len = 0x200000, .mem_rkey = 0xcafe01,
	};
	set_name(m.u.ports.client[0].name, "nvram");
	m.u.ports.client[1] = (struct ccm_client_ports){
		.client_id = 6, .nports = 0, .mem_iova = 0x7f0000400000ull, .mem_len = 4096,
		.mem_rkey = 0xcafe02,
	};
	set_name(m.u.ports.client[1].name, name23);

	len = ccm_msg_encode(&m, buf, sizeof(buf));
	expect(len == (int)sizeof(want), "PORTS: expected %zu bytes, saw %d", sizeof(want),
	       len);
	ck_bytes_eq(buf, want, sizeof(want), "encoded PORTS");
	ck_err_eq(decode_exact(want, sizeof(want), CLUSTER, PEER, &seen), CCM_PROTO_OK,
		  "hand-written PORTS");
	check_msg_eq(&seen, &m, "hand-written PORTS");
}
END_TEST

/* CLIENTS, TERMINATE, REFUSE and READY payloads, byte by byte. */
START_TEST(test_msg_small_payloads_wire_bytes)
{
	uint8_t buf[CCM_MSG_MAX], want[4 + CL_LEN];
	struct ccm_msg m;
	int len;

	msg_init(&m, CCM_MSG_CLIENTS, 1);
	m.u.clients.count = 1;
	m.u.clients.client[0].client_id = 0x0304;
	m.u.clients.client[0].nports = 2;
	m.u.clients.client[0].mem_bytes = 0x0000000100200000ull;
	set_name(m.u.clients.client[0].name, "fm");
	memset(want, 0, sizeof(want));
	want[0] = 1;
	ref_put16(want + 4, 0x0304);
	ref_put16(want + 6, 2);
	ref_put64(want + 12, 0x0000000100200000ull);
	memcpy(want + 20, "fm", 2);
	len = ccm_msg_encode(&m, buf, sizeof(buf));
	expect(len == HDR + (int)sizeof(want), "CLIENTS: expected %zu bytes, saw %d",
	       HDR + sizeof(want), len);
	ck_bytes_eq(buf + HDR, want, sizeof(want), "CLIENTS payload");

	msg_init(&m, CCM_MSG_TERMINATE, 1);
	m.u.terminate.reason = CCM_TERM_CLIENT_JOINED;
	len = ccm_msg_encode(&m, buf, sizeof(buf));
	expect(len == HDR + 4, "TERMINATE: expected %d bytes, saw %d", HDR + 4, len);
	ck_bytes_eq(buf + HDR, ((const uint8_t[]){ 5, 0, 0, 0 }), 4, "TERMINATE payload");

	msg_init(&m, CCM_MSG_REFUSE, 1);
	m.u.refuse.version_min = 0x0102;
	m.u.refuse.version_max = 0x0304;
	len = ccm_msg_encode(&m, buf, sizeof(buf));
	expect(len == HDR + 4, "REFUSE: expected %d bytes, saw %d", HDR + 4, len);
	ck_bytes_eq(buf + HDR, ((const uint8_t[]){ 2, 1, 4, 3 }), 4, "REFUSE payload");

	msg_init(&m, CCM_MSG_READY, 1);
	len = ccm_msg_encode(&m, buf, sizeof(buf));
	expect(len == HDR, "READY: expected %d bytes, saw %d", HDR, len);
	expect(ref_get16(buf + H_TYPE) == 4 && ref_get32(buf + H_LENGTH) == 0,
	       "READY header: expected type 4 length 0, saw type %u length %u",
	       ref_get16(buf + H_TYPE), ref_get32(buf + H_LENGTH));
}
END_TEST

/* Garbage after a name's NUL and in slots past the counts is never sent. */
START_TEST(test_msg_encode_ignores_unused_fields)
{
	struct ccm_msg s[NSAMPLES_MAX], dirty;
	uint8_t a[CCM_MSG_MAX], b[CCM_MSG_MAX];
	unsigned int n = samples(s), i, k;
	char what[48];

	for (i = 0; i < n; i++) {
		int la, lb;

		dirty = s[i];
		switch (dirty.info.type) {
		case CCM_MSG_HELLO: {
			size_t l = strlen(dirty.u.hello.node_name);

			memset(dirty.u.hello.node_name + l + 1, 'X', CCM_NAME_LEN - l - 1);
			for (k = dirty.u.hello.nb_links; k < CCM_MAX_LINKS; k++)
				dirty.u.hello.link_ip[k] = 0xa5a5a5a5;
			break;
		}
		case CCM_MSG_CLIENTS:
			for (k = 0; k < CCM_MAX_CLIENTS; k++) {
				char *nm = dirty.u.clients.client[k].name;
				size_t l = strnlen(nm, CCM_NAME_LEN);

				if (k >= dirty.u.clients.count)
					memset(&dirty.u.clients.client[k], 0xa5,
					       sizeof(dirty.u.clients.client[k]));
				else if (l + 1 < CCM_NAME_LEN)
					memset(nm + l + 1, 'X', CCM_NAME_LEN - l - 1);
			}
			break;
		case CCM_MSG_PORTS:
			for (k = 0; k < CCM_MAX_CLIENTS; k++) {
				struct ccm_client_ports *c = &dirty.u.ports.client[k];
				size_t l = strnlen(c->name, CCM_NAME_LEN), j;

				if (k >= dirty.u.ports.count) {
					memset(c, 0xa5, sizeof(*c));
					continue;
				}
				if (l + 1 < CCM_NAME_LEN)
					memset(c->name + l + 1, 'X', CCM_NAME_LEN - l - 1);
				for (j = c->nports; j < CCM_MAX_CLIENT_PORTS; j++)
					c->qpn[j] = c->psn[j] = 0xa5a5a5a5;
			}
			break;
		default:
			break;
		}
		la = ccm_msg_encode(&s[i], a, sizeof(a));
		lb = ccm_msg_encode(&dirty, b, sizeof(b));
		sample_name(&s[i], what, sizeof(what));
		expect(la > 0 && la == lb, "%s: expected %d bytes, saw %d", what, la, lb);
		ck_bytes_eq(b, a, (size_t)la, what);
	}
}
END_TEST

START_TEST(test_msg_reserved_and_padding_ignored)
{
	struct ccm_msg s[NSAMPLES_MAX], seen;
	unsigned int n = samples(s), i;
	uint8_t mask[CCM_MSG_MAX];
	struct raw r;
	char what[48];
	size_t k;

	for (i = 0; i < n; i++) {
		unsigned int set = 0;

		raw_from(&r, &s[i]);
		ignored_bytes(&s[i], mask, r.len);
		for (k = 0; k < r.len; k++)
			if (mask[k] == 1) {
				r.b[k] = 0x80 | k;
				set++;
			}
		raw_seal(&r);
		sample_name(&s[i], what, sizeof(what));
		/* The header has no reserved bytes left (the attempt took
		 * them); READY and REFUSE payloads have none either. */
		expect(set >= 2 || s[i].info.type == CCM_MSG_READY ||
		       s[i].info.type == CCM_MSG_REFUSE,
		       "%s: expected ignored bytes, saw %u", what, set);
		ck_err_eq(decode_exact(r.b, r.len, s[i].info.cluster_id, s[i].info.node_id, &seen),
			  CCM_PROTO_OK, "%s with ignored bytes set", what);
		check_msg_eq(&seen, &s[i], what);
		check_reencodes(r.b, r.len, &seen, what);
	}
}
END_TEST

/* ---- version negotiation ---------------------------------------------- */

START_TEST(test_version_negotiate_table)
{
	static const struct {
		uint16_t a_min, a_max, b_min, b_max, want;
		const char *what;
	} rows[] = {
		{ 1, 2, 1, 2, 2, "equal" },
		{ 1, 3, 2, 5, 3, "overlapping" },
		{ 2, 5, 1, 3, 3, "overlapping, other side" },
		{ 1, 9, 3, 4, 4, "nested" },
		{ 3, 4, 1, 9, 4, "nested, other side" },
		{ 1, 3, 3, 5, 3, "touching" },
		{ 3, 5, 1, 3, 3, "touching, other side" },
		{ 1, 1, 1, 1, 1, "single, same" },
		{ 1, 2, 3, 4, 0, "disjoint" },
		{ 3, 4, 1, 2, 0, "disjoint, other side" },
		{ 1, 1, 2, 2, 0, "adjacent singles" },
		{ 3, 1, 1, 3, 0, "mine inverted" },
		{ 1, 3, 3, 1, 0, "peer's inverted" },
		{ 2, 1, 2, 1, 0, "both inverted" },
		{ 1, UINT16_MAX, UINT16_MAX, UINT16_MAX, UINT16_MAX, "top of the range" },
		{ 0, 0, 0, 0, 0, "version 0 is none" },
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(rows); i++) {
		uint16_t ab = ccm_version_negotiate(rows[i].a_min, rows[i].a_max, rows[i].b_min,
						    rows[i].b_max);
		uint16_t ba = ccm_version_negotiate(rows[i].b_min, rows[i].b_max, rows[i].a_min,
						    rows[i].a_max);

		expect(ab == rows[i].want && ba == rows[i].want,
		       "%s [%u,%u] x [%u,%u]: expected %u both ways, saw %u and %u",
		       rows[i].what, rows[i].a_min, rows[i].a_max, rows[i].b_min,
		       rows[i].b_max, rows[i].want, ab, ba);
	}
}
END_TEST

/* ---- negative: boot status -------------------------------------------- */

START_TEST(test_status_refused_each_reason)
{
	const struct ccm_status good = status_sample();
	struct ccm_status st;
	uint8_t raw[64];
	unsigned int i;
	static const struct {
		unsigned int off, width;
		uint32_t value;
		enum ccm_proto_err want;
		const char *what;
	} rows[] = {
		{ 0, 4, 0x42434d44, CCM_PROTO_BAD_MAGIC, "magic off by one" },
		{ 0, 4, 0x434d4342, CCM_PROTO_BAD_MAGIC, "magic byte-swapped" },
		{ 4, 2, 0, CCM_PROTO_BAD_LAYOUT, "layout 0" },
		{ 4, 2, 2, CCM_PROTO_BAD_LAYOUT, "layout 2" },
		{ 6, 2, 0, CCM_PROTO_BAD_FIELD, "stage 0" },
		{ 6, 2, 4, CCM_PROTO_BAD_FIELD, "stage 4" },
		{ 6, 2, 0xffff, CCM_PROTO_BAD_FIELD, "stage 0xffff" },
		{ 14, 2, 0, CCM_PROTO_BAD_FIELD, "version_min 0" },
		{ 14, 2, 3, CCM_PROTO_BAD_FIELD, "version_min above version_max" },
		{ 16, 2, 0, CCM_PROTO_BAD_FIELD, "version_max 0" },
	};

	/* A region never written, and one of all ones. */
	memset(raw, 0, sizeof(raw));
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), CCM_PROTO_BAD_MAGIC, "all zero");
	memset(raw, 0xff, sizeof(raw));
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), CCM_PROTO_BAD_MAGIC, "all ones");

	for (i = 0; i < RTE_DIM(rows); i++) {
		status_raw(&good, raw);
		if (rows[i].width == 4)
			ref_put32(raw + rows[i].off, rows[i].value);
		else
			ref_put16(raw + rows[i].off, rows[i].value);
		status_seal(raw);
		ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), rows[i].want, "%s",
			  rows[i].what);
	}

	status_raw(&good, raw);
	ref_put32(raw + ST_CSUM, ref_get32(raw + ST_CSUM) + 1);
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), CCM_PROTO_BAD_CHECKSUM,
		  "checksum off by one");
	status_raw(&good, raw);
	raw[20] ^= 1;				/* seq, checksum not updated */
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), CCM_PROTO_BAD_CHECKSUM,
		  "seq changed after the checksum");

	status_raw(&good, raw);
	ck_err_eq(status_decode_raw(raw, CLUSTER + 1, PEER, &st), CCM_PROTO_WRONG_CLUSTER,
		  "another cluster");
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER + 1, &st), CCM_PROTO_WRONG_NODE,
		  "another node");
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), CCM_PROTO_OK, "the good one");
}
END_TEST

START_TEST(test_status_checks_in_order)
{
	const struct ccm_status good = status_sample();
	struct ccm_status st;
	uint8_t raw[64];

	status_raw(&good, raw);			/* magic and layout both bad */
	ref_put32(raw, 0);
	ref_put16(raw + 4, 9);
	status_seal(raw);
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), CCM_PROTO_BAD_MAGIC,
		  "bad magic and layout");

	status_raw(&good, raw);			/* layout and checksum */
	ref_put16(raw + 4, 9);
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), CCM_PROTO_BAD_LAYOUT,
		  "bad layout and checksum");

	status_raw(&good, raw);			/* checksum and cluster */
	ref_put32(raw + 8, CLUSTER + 1);
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), CCM_PROTO_BAD_CHECKSUM,
		  "bad checksum and cluster");

	status_raw(&good, raw);			/* cluster and node */
	ck_err_eq(status_decode_raw(raw, CLUSTER + 1, PEER + 1, &st), CCM_PROTO_WRONG_CLUSTER,
		  "wrong cluster and node");

	status_raw(&good, raw);			/* node and stage */
	ref_put16(raw + 6, 0);
	status_seal(raw);
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER + 1, &st), CCM_PROTO_WRONG_NODE,
		  "wrong node and stage");
}
END_TEST

START_TEST(test_status_refusal_leaves_output_alone)
{
	const struct ccm_status good = status_sample();
	struct ccm_status st, before;
	uint8_t raw[64];

	memset(&st, 0x5a, sizeof(st));
	before = st;
	status_raw(&good, raw);
	ref_put16(raw + 6, 7);
	status_seal(raw);
	ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), CCM_PROTO_BAD_FIELD, "stage 7");
	expect(memcmp(&st, &before, sizeof(st)) == 0,
	       "refused status: expected the output untouched, saw it written");
}
END_TEST

START_TEST(test_status_every_bit_flip_refused)
{
	const struct ccm_status good = status_sample();
	struct ccm_status st;
	uint8_t raw[64];
	unsigned int bit;

	for (bit = 0; bit < 64 * 8; bit++) {
		unsigned int byte = bit / 8;
		enum ccm_proto_err want = byte < 4 ? CCM_PROTO_BAD_MAGIC :
					  byte < 6 ? CCM_PROTO_BAD_LAYOUT :
					  CCM_PROTO_BAD_CHECKSUM;

		status_raw(&good, raw);
		raw[byte] ^= 1u << (bit % 8);
		ck_err_eq(status_decode_raw(raw, CLUSTER, PEER, &st), want, "bit %u flipped", bit);
	}
}
END_TEST

/* ---- negative: messages ----------------------------------------------- */

/* A message of @p type with every count at its largest (or the sample). */
static void
sample_of(struct ccm_msg *m, enum ccm_msg_type type, unsigned int pick)
{
	struct ccm_msg s[NSAMPLES_MAX];
	unsigned int n = samples(s), i;

	for (i = 0; i < n; i++)
		if (s[i].info.type == type && pick-- == 0) {
			*m = s[i];
			m->info.cluster_id = CLUSTER;
			m->info.node_id = PEER;
			return;
		}
	ck_abort_msg("no sample of type %d", type);
}

START_TEST(test_msg_refused_header_reasons)
{
	static const uint16_t bad_types[] = { 0, CCM_MSG_NTYPES, 0x100, 0x8003, 0xffff };
	struct ccm_msg m, seen;
	struct raw r, base;
	unsigned int len, i;

	sample_of(&m, CCM_MSG_PORTS, 3);	/* mixed port counts */
	raw_from(&base, &m);

	for (len = 0; len < HDR; len++)
		ck_err_eq(decode_exact(base.b, len, CLUSTER, PEER, &seen), CCM_PROTO_SHORT,
			  "%u bytes", len);

	memset(r.b, 0, HDR);
	r.len = HDR;
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_MAGIC, "32 zero bytes");
	r = base;
	ref_put32(r.b + H_MAGIC, CCM_BOOT_MAGIC);
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_MAGIC, "the boot status magic");

	r = base;
	ref_put16(r.b + H_VERSION, 0);
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LAYOUT, "version 0");
	ref_put16(r.b + H_VERSION, CCM_PROTO_VERSION_MAX + 1);
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LAYOUT, "version max + 1");
	ref_put16(r.b + H_VERSION, UINT16_MAX);
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LAYOUT, "version 0xffff");

	r = base;
	ref_put32(r.b + H_LENGTH, r.len - HDR + 1);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "length field one too many");
	ref_put32(r.b + H_LENGTH, r.len - HDR - 1);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "length field one too few");
	ref_put32(r.b + H_LENGTH, UINT32_MAX);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "length field 0xffffffff");
	r = base;
	raw_append(&r, "", 1);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "a byte after the payload");

	r = base;
	ref_put32(r.b + H_CSUM, ref_get32(r.b + H_CSUM) ^ 0x80000000u);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_CHECKSUM, "checksum changed");
	r = base;
	r.b[r.len - 1] ^= 1;
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_CHECKSUM, "last payload byte changed");
	r = base;
	r.b[H_ATTEMPT] ^= 1;
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_CHECKSUM, "attempt changed, not resealed");

	ck_err_eq(decode_exact(base.b, base.len, CLUSTER ^ 1, PEER, &seen),
		  CCM_PROTO_WRONG_CLUSTER, "another cluster");
	ck_err_eq(decode_exact(base.b, base.len, CLUSTER, PEER + 1, &seen), CCM_PROTO_WRONG_NODE,
		  "another sender");
	r = base;
	ref_put16(r.b + H_NODE, 1);			/* our own id, e.g. a reflection */
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_WRONG_NODE, "sender is node 1");

	for (i = 0; i < RTE_DIM(bad_types); i++) {
		r = base;
		ref_put16(r.b + H_TYPE, bad_types[i]);
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_TYPE, "type %u", bad_types[i]);
	}
}
END_TEST

START_TEST(test_msg_checks_in_order)
{
	struct ccm_msg m, seen;
	struct raw r, base;

	sample_of(&m, CCM_MSG_HELLO, 1);
	raw_from(&base, &m);

	r = base;				/* magic, version */
	r.b[H_MAGIC] ^= 1;
	ref_put16(r.b + H_VERSION, 0);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_MAGIC, "bad magic and version");

	r = base;				/* version, length */
	ref_put16(r.b + H_VERSION, 0);
	raw_append(&r, "", 1);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LAYOUT, "bad version and length");

	r = base;				/* length, checksum */
	raw_append(&r, "", 1);
	r.b[HDR] ^= 1;
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "bad length and checksum");

	r = base;				/* checksum, cluster */
	r.b[HDR] ^= 1;
	ck_err_eq(decode_exact(r.b, r.len, CLUSTER ^ 1, PEER, &seen), CCM_PROTO_BAD_CHECKSUM,
		  "bad checksum, wrong cluster");

	ck_err_eq(decode_exact(base.b, base.len, CLUSTER ^ 1, PEER ^ 1, &seen),
		  CCM_PROTO_WRONG_CLUSTER, "wrong cluster and node");

	r = base;				/* node, type */
	ref_put16(r.b + H_TYPE, 0);
	raw_seal(&r);
	ck_err_eq(decode_exact(r.b, r.len, CLUSTER, PEER ^ 1, &seen), CCM_PROTO_WRONG_NODE,
		  "wrong node, bad type");

	r = base;				/* type, then the body */
	ref_put16(r.b + H_TYPE, 0x99);
	r.len = HDR + 3;
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_TYPE, "bad type, bad body");

	r = base;				/* body length, then its fields */
	r.b[P(28)] = CCM_MAX_LINKS + 1;
	r.len--;
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "short HELLO, nb_links 5");

	sample_of(&m, CCM_MSG_CLIENTS, 1);
	raw_from(&r, &m);
	r.b[P(0)] = CCM_MAX_CLIENTS + 1;	/* 9 clients claimed, 8 present */
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "CLIENTS count 9 over 8 entries");
}
END_TEST

START_TEST(test_msg_refused_body_length)
{
	static const size_t body[] = {
		[CCM_MSG_HELLO] = HELLO_LEN, [CCM_MSG_READY] = 0,
		[CCM_MSG_TERMINATE] = 4, [CCM_MSG_REFUSE] = 4,
	};
	static const enum ccm_msg_type fixed[] = {
		CCM_MSG_HELLO, CCM_MSG_READY, CCM_MSG_TERMINATE, CCM_MSG_REFUSE,
	};
	static const uint8_t zeros[64];
	struct ccm_msg m;
	struct raw r, base;
	unsigned int i, cut;

	/* Fixed-size bodies: one byte more, one byte less, none, far more. */
	for (i = 0; i < RTE_DIM(fixed); i++) {
		sample_of(&m, fixed[i], 0);
		raw_from(&base, &m);
		r = base;
		raw_append(&r, "", 1);
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "%s + 1 byte",
			  ccm_msg_type_str(fixed[i]));
		raw_append(&r, zeros, sizeof(zeros));
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "%s + 65 bytes",
			  ccm_msg_type_str(fixed[i]));
		if (body[fixed[i]] == 0)
			continue;
		r = base;
		r.len--;
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "%s - 1 byte",
			  ccm_msg_type_str(fixed[i]));
		r.len = HDR;
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "%s with no body",
			  ccm_msg_type_str(fixed[i]));
	}

	/* Lists: every cut short of the whole, resealed, and one byte over. */
	for (i = 0; i < 2; i++) {
		enum ccm_msg_type type = i ? CCM_MSG_PORTS : CCM_MSG_CLIENTS;

		sample_of(&m, type, i ? 3 : 1);
		raw_from(&base, &m);
		for (cut = 1; cut <= base.len - HDR; cut++) {
			r = base;
			r.len -= cut;
			raw_seal(&r);
			ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "%s cut by %u, resealed",
				  ccm_msg_type_str(type), cut);
		}
		r = base;
		raw_append(&r, "", 1);
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "%s + 1 byte",
			  ccm_msg_type_str(type));
	}

	/* PORTS: a client's nports larger than the ports that follow. */
	sample_of(&m, CCM_MSG_PORTS, 3);
	raw_from(&r, &m);
	ref_put16(r.b + P(4 + 2), 1);		/* first client: 0 ports -> 1 */
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "PORTS nports one more than present");
	sample_of(&m, CCM_MSG_PORTS, 0);	/* count 0 with an entry's bytes */
	raw_from(&r, &m);
	raw_append(&r, zeros, PC_LEN);
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_LENGTH, "PORTS count 0 with a trailing entry");
}
END_TEST

START_TEST(test_msg_refused_bad_fields)
{
	static const uint16_t bad_reasons[] = { 0, CCM_TERM_SHUTDOWN + 1, 0x100, 0xffff };
	uint8_t entry[PC_LEN + CCM_MAX_CLIENT_PORTS * PORT_LEN];
	struct ccm_msg m;
	struct raw r, base;
	unsigned int i, k;

	/* HELLO */
	sample_of(&m, CCM_MSG_HELLO, 1);
	raw_from(&base, &m);
	for (k = CCM_MAX_LINKS + 1; k <= 255; k += 250) {
		r = base;
		r.b[P(28)] = k;
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "HELLO nb_links %u", k);
	}
	r = base;
	r.b[P(4 + 23)] = 'x';			/* name23's NUL */
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "HELLO name without NUL");

	/* CLIENTS: 9 and 255 entries; nports 9; names without NUL */
	sample_of(&m, CCM_MSG_CLIENTS, 1);
	raw_from(&base, &m);
	for (k = CCM_MAX_CLIENTS + 1; k <= 255; k += 255 - CCM_MAX_CLIENTS - 1) {
		r = base;
		for (i = CCM_MAX_CLIENTS; i < k; i++)
			raw_append(&r, base.b + P(4), CL_LEN);
		r.b[P(0)] = k;
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "CLIENTS count %u", k);
	}
	for (i = 0; i < CCM_MAX_CLIENTS; i += CCM_MAX_CLIENTS - 1) {
		r = base;
		ref_put16(r.b + P(4 + i * CL_LEN + 2), CCM_MAX_CLIENT_PORTS + 1);
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "CLIENTS client %u nports 9", i);
		r = base;
		memset(r.b + P(4 + i * CL_LEN + 16), 'n', CCM_NAME_LEN);
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "CLIENTS client %u name without NUL",
			  i);
	}

	/* PORTS: 9 and 255 clients; nports 9 (with 9 ports); names; 24-bit QPN and PSN */
	sample_of(&m, CCM_MSG_PORTS, 2);	/* 8 clients x 8 ports */
	raw_from(&base, &m);
	memcpy(entry, base.b + P(4), sizeof(entry));
	for (k = CCM_MAX_CLIENTS + 1; k <= 255; k += 255 - CCM_MAX_CLIENTS - 1) {
		r = base;
		for (i = CCM_MAX_CLIENTS; i < k; i++)
			raw_append(&r, entry, sizeof(entry));
		r.b[P(0)] = k;
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "PORTS count %u", k);
	}
	sample_of(&m, CCM_MSG_PORTS, 1);	/* one client, no ports */
	raw_from(&base, &m);
	r = base;
	ref_put16(r.b + P(4 + 2), CCM_MAX_CLIENT_PORTS + 1);
	for (i = 0; i < CCM_MAX_CLIENT_PORTS + 1; i++)
		raw_append(&r, "\x11\0\0\0\0\0\0\0", PORT_LEN);
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "PORTS nports 9 with 9 ports");
	r = base;
	memset(r.b + P(4 + 4), 'n', CCM_NAME_LEN);
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "PORTS name without NUL");
	sample_of(&m, CCM_MSG_PORTS, 3);	/* clients with 0, 8, 3 ports */
	raw_from(&base, &m);
	for (k = 0; k < 2; k++) {		/* last port of the last client */
		r = base;
		ref_put32(r.b + r.len - PORT_LEN + 4 * k, 0x1000000);
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "PORTS %s 0x1000000",
			  k ? "psn" : "qpn");
	}

	/* TERMINATE reasons, REFUSE ranges */
	sample_of(&m, CCM_MSG_TERMINATE, 0);
	raw_from(&base, &m);
	for (i = 0; i < RTE_DIM(bad_reasons); i++) {
		r = base;
		ref_put16(r.b + P(0), bad_reasons[i]);
		raw_seal(&r);
		ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "TERMINATE reason %u",
			  bad_reasons[i]);
	}
	sample_of(&m, CCM_MSG_REFUSE, 0);
	raw_from(&base, &m);
	r = base;
	ref_put16(r.b + P(0), 2);
	ref_put16(r.b + P(2), 1);
	raw_seal(&r);
	ck_err_eq(raw_decode(&r), CCM_PROTO_BAD_FIELD, "REFUSE 2..1");
}
END_TEST

START_TEST(test_msg_truncation_every_length_refused)
{
	struct ccm_msg s[NSAMPLES_MAX], seen;
	unsigned int n = samples(s), i;
	uint8_t buf[CCM_MSG_MAX];
	char what[48];
	size_t len;

	for (i = 0; i < n; i++) {
		int full = ccm_msg_encode(&s[i], buf, sizeof(buf));

		ck_assert_int_gt(full, 0);
		sample_name(&s[i], what, sizeof(what));
		for (len = 0; len < (size_t)full; len++)
			ck_err_eq(decode_exact(buf, len, s[i].info.cluster_id, s[i].info.node_id,
					       &seen),
				  len < HDR ? CCM_PROTO_SHORT : CCM_PROTO_BAD_LENGTH,
				  "%s cut to %zu of %d bytes", what, len, full);
	}
}
END_TEST

START_TEST(test_msg_ports_every_bit_flip_refused)
{
	struct ccm_msg m, seen;
	uint8_t buf[CCM_MSG_MAX];
	unsigned int bit;
	int len;

	sample_of(&m, CCM_MSG_PORTS, 3);
	len = ccm_msg_encode(&m, buf, sizeof(buf));
	ck_assert_int_gt(len, HDR + 4 + 3 * PC_LEN);
	for (bit = 0; bit < (unsigned int)len * 8; bit++) {
		unsigned int byte = bit / 8;
		enum ccm_proto_err want =
			byte < H_VERSION ? CCM_PROTO_BAD_MAGIC :
			byte < H_TYPE ? CCM_PROTO_BAD_LAYOUT :
			byte >= H_LENGTH && byte < H_CSUM ? CCM_PROTO_BAD_LENGTH :
			CCM_PROTO_BAD_CHECKSUM;

		buf[byte] ^= 1u << (bit % 8);
		ck_err_eq(decode_exact(buf, len, CLUSTER, PEER, &seen), want,
			  "PORTS bit %u flipped", bit);
		buf[byte] ^= 1u << (bit % 8);
	}
	ck_err_eq(decode_exact(buf, len, CLUSTER, PEER, &seen), CCM_PROTO_OK, "PORTS restored");
}
END_TEST

START_TEST(test_msg_encode_enospc_below_size)
{
	struct ccm_msg s[NSAMPLES_MAX];
	unsigned int n = samples(s), i;
	uint8_t untouched[CCM_MSG_MAX];
	char what[48];
	size_t cap;

	memset(untouched, 0xa5, sizeof(untouched));

	for (i = 0; i < n; i++) {
		size_t full = expected_len(&s[i]);

		sample_name(&s[i], what, sizeof(what));
		for (cap = 0; cap <= full + 1; cap++) {
			uint8_t *p = cap ? xmalloc(cap) : NULL;
			int ret;

			if (p)
				memset(p, 0xa5, cap);
			ret = ccm_msg_encode(&s[i], p, cap);
			if (cap < full) {
				expect(ret == -ENOSPC, "%s, cap %zu of %zu: expected %d, saw %d",
				       what, cap, full, -ENOSPC, ret);
				expect(p == NULL || first_diff(p, untouched, cap) < 0,
				       "%s, cap %zu: expected nothing written", what, cap);
			} else {
				expect(ret == (int)full, "%s, cap %zu: expected %zu, saw %d",
				       what, cap, full, ret);
				expect(cap == full || p[full] == 0xa5,
				       "%s, cap %zu: expected nothing past %zu", what, cap,
				       full);
			}
			free(p);
		}
	}
}
END_TEST

START_TEST(test_msg_encode_einval)
{
	uint8_t buf[CCM_MSG_MAX];
	struct ccm_msg m;
	unsigned int i;
	int ret;

#define EXPECT_EINVAL(what) do {						\
	ret = ccm_msg_encode(&m, buf, sizeof(buf));				\
	expect(ret == -EINVAL, "%s: expected %d, saw %d", (what), -EINVAL, ret); \
} while (0)
	sample_of(&m, CCM_MSG_READY, 0);
	m.info.type = 0;
	EXPECT_EINVAL("type 0");
	m.info.type = CCM_MSG_NTYPES;
	EXPECT_EINVAL("type CCM_MSG_NTYPES");
	m.info.type = (enum ccm_msg_type)-1;
	EXPECT_EINVAL("type -1");
	sample_of(&m, CCM_MSG_READY, 0);
	m.info.version = CCM_PROTO_VERSION_MIN - 1;
	EXPECT_EINVAL("version below the minimum");
	m.info.version = CCM_PROTO_VERSION_MAX + 1;
	EXPECT_EINVAL("version above the maximum");

	sample_of(&m, CCM_MSG_HELLO, 1);
	m.u.hello.nb_links = CCM_MAX_LINKS + 1;
	EXPECT_EINVAL("HELLO nb_links 5");
	sample_of(&m, CCM_MSG_HELLO, 1);
	memset(m.u.hello.node_name, 'n', CCM_NAME_LEN);
	EXPECT_EINVAL("HELLO name without NUL");

	sample_of(&m, CCM_MSG_CLIENTS, 1);
	m.u.clients.count = CCM_MAX_CLIENTS + 1;
	EXPECT_EINVAL("CLIENTS count 9");
	for (i = 0; i < CCM_MAX_CLIENTS; i += CCM_MAX_CLIENTS - 1) {
		sample_of(&m, CCM_MSG_CLIENTS, 1);
		m.u.clients.client[i].nports = CCM_MAX_CLIENT_PORTS + 1;
		EXPECT_EINVAL("CLIENTS nports 9");
		sample_of(&m, CCM_MSG_CLIENTS, 1);
		memset(m.u.clients.client[i].name, 'n', CCM_NAME_LEN);
		EXPECT_EINVAL("CLIENTS name without NUL");
	}

	sample_of(&m, CCM_MSG_PORTS, 2);
	m.u.ports.count = CCM_MAX_CLIENTS + 1;
	EXPECT_EINVAL("PORTS count 9");
	sample_of(&m, CCM_MSG_PORTS, 2);
	m.u.ports.client[7].nports = CCM_MAX_CLIENT_PORTS + 1;
	EXPECT_EINVAL("PORTS nports 9");
	sample_of(&m, CCM_MSG_PORTS, 2);
	memset(m.u.ports.client[7].name, 'n', CCM_NAME_LEN);
	EXPECT_EINVAL("PORTS name without NUL");
	sample_of(&m, CCM_MSG_PORTS, 2);
	m.u.ports.client[7].qpn[7] = 0x1000000;
	EXPECT_EINVAL("PORTS qpn 0x1000000");
	sample_of(&m, CCM_MSG_PORTS, 2);
	m.u.ports.client[7].psn[7] = 0x1000000;
	EXPECT_EINVAL("PORTS psn 0x1000000");

	sample_of(&m, CCM_MSG_TERMINATE, 0);
	m.u.terminate.reason = 0;
	EXPECT_EINVAL("TERMINATE reason 0");
	m.u.terminate.reason = CCM_TERM_SHUTDOWN + 1;
	EXPECT_EINVAL("TERMINATE reason 7");

	sample_of(&m, CCM_MSG_REFUSE, 0);
	m.u.refuse.version_min = 2;
	m.u.refuse.version_max = 1;
	EXPECT_EINVAL("REFUSE 2..1");

	/* A body that cannot be encoded is refused whatever the room. */
	sample_of(&m, CCM_MSG_CLIENTS, 1);
	m.u.clients.count = CCM_MAX_CLIENTS + 1;
	ret = ccm_msg_encode(&m, NULL, 0);
	expect(ret == -EINVAL, "CLIENTS count 9, no room: expected %d, saw %d", -EINVAL,
	       ret);
#undef EXPECT_EINVAL
}
END_TEST

/* ---- random inputs ---------------------------------------------------- */

#define RANDOM_SEED	UINT64_C(0x00cc0dec0de5eed)

static void
random_name(uint64_t *rng, char *name)
{
	unsigned int len = rng_below(rng, CCM_NAME_LEN), i;

	for (i = 0; i < CCM_NAME_LEN; i++)	/* garbage after the NUL too */
		name[i] = (char)(1 + rng_below(rng, 255));
	name[len] = '\0';
}

/* A random message the encoder accepts; unused slots hold garbage. */
static void
random_msg(uint64_t *rng, struct ccm_msg *m)
{
	unsigned int i, j;

	memset(m, 0xa5, sizeof(*m));
	m->info.type = CCM_MSG_HELLO + rng_below(rng, CCM_MSG_NTYPES - CCM_MSG_HELLO);
	m->info.version = CCM_PROTO_VERSION_MIN +
			  rng_below(rng, CCM_PROTO_VERSION_MAX - CCM_PROTO_VERSION_MIN + 1);
	m->info.cluster_id = CLUSTER;
	m->info.node_id = PEER;
	m->info.incarnation = rng_next(rng);
	switch (m->info.type) {
	case CCM_MSG_HELLO:
		m->u.hello.version_min = rng_next(rng);
		m->u.hello.version_max = rng_next(rng);
		random_name(rng, m->u.hello.node_name);
		m->u.hello.nb_links = rng_below(rng, CCM_MAX_LINKS + 1);
		for (i = 0; i < CCM_MAX_LINKS; i++)
			m->u.hello.link_ip[i] = rng_next(rng);
		break;
	case CCM_MSG_CLIENTS:
		m->u.clients.count = rng_below(rng, CCM_MAX_CLIENTS + 1);
		for (i = 0; i < CCM_MAX_CLIENTS; i++) {
			struct ccm_client_info *c = &m->u.clients.client[i];

			c->client_id = rng_next(rng);
			c->nports = rng_below(rng, CCM_MAX_CLIENT_PORTS + 1);
			c->mem_bytes = rng_next(rng) >> rng_below(rng, 64);
			random_name(rng, c->name);
		}
		break;
	case CCM_MSG_PORTS:
		m->u.ports.count = rng_below(rng, CCM_MAX_CLIENTS + 1);
		for (i = 0; i < CCM_MAX_CLIENTS; i++) {
			struct ccm_client_ports *c = &m->u.ports.client[i];

			c->client_id = rng_next(rng);
			c->nports = rng_below(rng, CCM_MAX_CLIENT_PORTS + 1);
			random_name(rng, c->name);
			c->mem_iova = rng_next(rng);
			c->mem_len = rng_next(rng) >> rng_below(rng, 64);
			c->mem_rkey = rng_next(rng);
			for (j = 0; j < CCM_MAX_CLIENT_PORTS; j++) {
				c->qpn[j] = rng_next(rng) & 0xffffff;
				c->psn[j] = rng_next(rng) & 0xffffff;
			}
		}
		break;
	case CCM_MSG_READY:
		break;
	case CCM_MSG_TERMINATE:
		m->u.terminate.reason = CCM_TERM_ADMIN + rng_below(rng, CCM_TERM_SHUTDOWN);
		break;
	case CCM_MSG_REFUSE:
		m->u.refuse.version_min = rng_next(rng);
		m->u.refuse.version_max = m->u.refuse.version_min +
			rng_below(rng, UINT16_MAX - m->u.refuse.version_min + 1);
		break;
	default:
		ck_abort();
	}
}

/* Damage a message: flips, stray bytes, small counts, cuts, inserts. */
static void
mutate(uint64_t *rng, struct raw *r)
{
	static const uint8_t count_like[] = { 0, 1, 4, 5, 7, 8, 9, 0xff };
	unsigned int k, nops = 1 + rng_below(rng, 4);

	for (k = 0; k < nops; k++) {
		size_t at = r->len ? rng_below(rng, r->len) : 0;

		switch (rng_below(rng, 7)) {
		case 0:
			if (r->len)
				r->b[at] ^= 1u << rng_below(rng, 8);
			break;
		case 1:
			if (r->len)
				r->b[at] = rng_next(rng);
			break;
		case 2:				/* count-like values */
			if (r->len)
				r->b[at] = count_like[rng_below(rng, RTE_DIM(count_like))];
			break;
		case 3:				/* cut */
			r->len = at;
			break;
		case 4:				/* insert a byte */
			if (r->len < sizeof(r->b)) {
				memmove(r->b + at + 1, r->b + at, r->len - at);
				r->b[at] = rng_next(rng);
				r->len++;
			}
			break;
		case 5:				/* delete a byte */
			if (r->len) {
				memmove(r->b + at, r->b + at + 1, r->len - at - 1);
				r->len--;
			}
			break;
		default:			/* append a few */
			for (at = rng_below(rng, 16); at > 0 && r->len < sizeof(r->b); at--)
				r->b[r->len++] = rng_next(rng);
			break;
		}
	}
	/* Mostly keep the header consistent, so the payload checks are reached. */
	if (r->len >= HDR && rng_below(rng, 4) != 0) {
		if (rng_below(rng, 4) != 0)
			ref_put32(r->b + H_LENGTH, r->len - HDR);
		ref_put32(r->b + H_CSUM, 0);
		ref_put32(r->b + H_CSUM, ref_crc32(0, r->b, r->len));
	}
}

#define RANDOM_ROUNDS	200000u

START_TEST(test_random_inputs_safe_and_reencode)
{
	unsigned int round, accepted = 0, accepted_dirty = 0, msg_refused[CCM_PROTO_NERR] = { 0 };
	unsigned int status_accepted = 0;
	uint64_t rng = RANDOM_SEED;
	struct ccm_msg m, seen;
	struct raw r;

	for (round = 0; round < RANDOM_ROUNDS; round++) {
		enum ccm_proto_err e;
		char what[64];
		uint8_t *p;

		snprintf(what, sizeof(what), "seed 0x%" PRIx64 " round %u", RANDOM_SEED, round);
		if (round % 8 == 0) {
			/* Random bytes; half of them behind a sealed, well-formed header. */
			size_t i;

			r.len = rng_below(&rng, 1100);
			for (i = 0; i < r.len; i++)
				r.b[i] = rng_next(&rng);
			if (r.len >= HDR && rng_below(&rng, 2)) {
				ref_put32(r.b + H_MAGIC, CCM_MSG_MAGIC);
				ref_put16(r.b + H_VERSION, 1 + rng_below(&rng, 2));
				ref_put16(r.b + H_TYPE, rng_below(&rng, CCM_MSG_NTYPES + 1));
				ref_put32(r.b + H_CLUSTER, CLUSTER);
				ref_put16(r.b + H_NODE, PEER);
				raw_seal(&r);
			}
		} else {
			random_msg(&rng, &m);
			raw_from(&r, &m);
			if (round % 8 != 1)
				mutate(&rng, &r);
		}
		p = exact_copy(r.b, r.len);
		e = ccm_msg_decode(p, r.len, CLUSTER, PEER, &seen);
		if (e == CCM_PROTO_OK) {
			uint8_t mask[CCM_MSG_MAX];
			size_t i;

			expect(r.len <= CCM_MSG_MAX, "%s: accepted %zu bytes", what, r.len);
			check_reencodes(p, r.len, &seen, what);
			ignored_bytes(&seen, mask, r.len);
			for (i = 0; i < r.len; i++)
				if (mask[i] == 1 && p[i] != 0) {
					accepted_dirty++;
					break;
				}
			accepted++;
		} else {
			expect(e > CCM_PROTO_OK && e < CCM_PROTO_NERR, "%s: error %d", what, e);
			msg_refused[e]++;
		}
		free(p);

		/* The boot status: random, or a good one damaged and resealed. */
		if (round % 4 == 0) {
			struct ccm_status st = status_sample(), got;
			struct ccm_boot_status *bs = xmalloc(sizeof(*bs));
			uint8_t raw[64];
			unsigned int i;

			if (round % 8 == 0) {
				for (i = 0; i < 64; i++)
					raw[i] = rng_next(&rng);
			} else {
				st.stage = 1 + rng_below(&rng, 3);
				st.seq = rng_next(&rng);
				status_raw(&st, raw);
				for (i = 1 + rng_below(&rng, 3); i > 0; i--)
					raw[4 + rng_below(&rng, 56)] ^= 1u << rng_below(&rng, 8);
				if (rng_below(&rng, 4))
					status_seal(raw);
			}
			memcpy(bs, raw, sizeof(raw));
			if (ccm_status_decode(bs, CLUSTER, PEER, &got) == CCM_PROTO_OK) {
				struct ccm_boot_status again;
				uint8_t out[64];

				ccm_status_encode(&got, &again);
				memcpy(out, &again, sizeof(out));
				for (i = 0; i < ST_CSUM; i++)
					if ((i < 18 || i >= 20) && (i < 40 || i >= 60))
						expect(out[i] == raw[i],
						       "%s: status byte %u expected 0x%02x, "
						       "saw 0x%02x", what, i, raw[i], out[i]);
				if (ref_get16(raw + 18) == 0 && first_diff(raw + 40, out + 40, 20) < 0)
					ck_bytes_eq(out, raw, sizeof(out), what);
				status_accepted++;
			}
			free(bs);
		}
	}
	/* The loop reached the deep checks: some accepted, every late reason seen. */
	expect(accepted > RANDOM_ROUNDS / 16,
	       "expected over %u messages accepted, saw %u", RANDOM_ROUNDS / 16, accepted);
	expect(accepted_dirty > 0, "expected some accepted with ignored bytes set, saw 0");
	expect(status_accepted > RANDOM_ROUNDS / 64,
	       "expected over %u statuses accepted, saw %u", RANDOM_ROUNDS / 64,
	       status_accepted);
	expect(msg_refused[CCM_PROTO_BAD_TYPE] && msg_refused[CCM_PROTO_BAD_LENGTH] &&
	       msg_refused[CCM_PROTO_BAD_FIELD] && msg_refused[CCM_PROTO_BAD_CHECKSUM],
	       "expected every payload refusal reached, saw type %u length %u field %u "
	       "checksum %u", msg_refused[CCM_PROTO_BAD_TYPE],
	       msg_refused[CCM_PROTO_BAD_LENGTH], msg_refused[CCM_PROTO_BAD_FIELD],
	       msg_refused[CCM_PROTO_BAD_CHECKSUM]);
}
END_TEST

/* ---- suite ------------------------------------------------------------ */

static Suite *
ccm_proto_suite(void)
{
	Suite *s = suite_create("ccm_proto");
	TCase *tc;

	tc = tcase_create("crc_and_names");
	tcase_add_test(tc, test_crc32_check_value);
	tcase_add_test(tc, test_crc32_matches_bitwise_every_length);
	tcase_add_test(tc, test_err_str_every_value_named_distinct);
	tcase_add_test(tc, test_msg_type_str_every_type_named);
	suite_add_tcase(s, tc);

	tc = tcase_create("status");
	tcase_add_test(tc, test_status_layout_offsets);
	tcase_add_test(tc, test_status_round_trip_extremes);
	tcase_add_test(tc, test_status_wire_bytes_hand_written);
	tcase_add_test(tc, test_status_reserved_bytes_ignored);
	tcase_add_test(tc, test_note_round_trip_and_refusals);
	tcase_add_test(tc, test_boot_psn_spreads_epochs);
	suite_add_tcase(s, tc);

	tc = tcase_create("messages");
	tcase_add_test(tc, test_msg_round_trip_every_type);
	tcase_add_test(tc, test_msg_largest_ports_fits);
	tcase_add_test(tc, test_msg_hello_wire_bytes_hand_written);
	tcase_add_test(tc, test_msg_ports_wire_bytes_hand_written);
	tcase_add_test(tc, test_msg_small_payloads_wire_bytes);
	tcase_add_test(tc, test_msg_encode_ignores_unused_fields);
	tcase_add_test(tc, test_msg_reserved_and_padding_ignored);
	suite_add_tcase(s, tc);

	tc = tcase_create("version");
	tcase_add_test(tc, test_version_negotiate_table);
	suite_add_tcase(s, tc);

	tc = tcase_create("negative");
	tcase_add_test(tc, test_status_refused_each_reason);
	tcase_add_test(tc, test_status_checks_in_order);
	tcase_add_test(tc, test_status_refusal_leaves_output_alone);
	tcase_add_test(tc, test_status_every_bit_flip_refused);
	tcase_add_test(tc, test_msg_refused_header_reasons);
	tcase_add_test(tc, test_msg_checks_in_order);
	tcase_add_test(tc, test_msg_refused_body_length);
	tcase_add_test(tc, test_msg_refused_bad_fields);
	tcase_add_test(tc, test_msg_truncation_every_length_refused);
	tcase_add_test(tc, test_msg_ports_every_bit_flip_refused);
	tcase_add_test(tc, test_msg_encode_enospc_below_size);
	tcase_add_test(tc, test_msg_encode_einval);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_random_inputs_safe_and_reencode);
	suite_add_tcase(s, tc);

	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(ccm_proto_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
