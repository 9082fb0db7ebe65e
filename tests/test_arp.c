/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbours of one port (lib/roce/roce_neigh.c, roce_echo.c) under a real EAL
 * (--no-huge): ARP requests answered byte for byte, senders learnt by
 * the RFC 826 merge rule, static entries kept, rate-limited resolution
 * with injected times, a full table, ICMP echo answered (checksums
 * recomputed here independently, odd payloads, split mbufs), and every
 * malformed or truncated frame counted and freed, no mbuf leaked.
 *
 * Frames are written here byte by byte from the RFC 826, 791 and 792
 * layouts, not with the module's own code.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "roce_neigh.h"
#include "test_eal.h"

#define POOL_SIZE 511
#define FRAME_MAX 2048u

#define ETH_LEN 14u
#define VLAN_LEN 4u
#define ARP_LEN 28u
#define IP_LEN 20u
#define ICMP_LEN 8u
#define MIN_FRAME 60u	/* without FCS */

#define T0 5000000000ull	/* an arbitrary "now": 5 s */
#define MS 1000000ull

/* Us and the hosts around us, as in the captures of tests/data. */
#define OUR_IP RTE_IPV4(10, 77, 0, 12)
#define PEER_IP RTE_IPV4(10, 77, 0, 11)
#define OTHER_IP RTE_IPV4(10, 77, 0, 13)
static const uint8_t our_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0c };
static const uint8_t peer_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
static const uint8_t new_mac[6] = { 0x02, 0x00, 0x00, 0x00, 0x01, 0x0b };
static const uint8_t bcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6];

#define TCI 0x2064	/* priority 1, VLAN 100 */

/* Loops make thousands of checks: reach Check only on failure. */
#define EXPECT(cond, ...) \
	do { \
		if (!(cond)) \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

static struct rte_mempool *pool;
/* Free mbufs when the test started: POOL_SIZE unless an earlier test
 * failed half-way (no fork), so that only the leaking test fails. */
static unsigned int pool_base;

/* ---- Helpers ---- */

static void
pool_mark(void)
{
	pool_base = rte_mempool_avail_count(pool);
}

static void
assert_pool_full(void)
{
	ck_assert_msg(rte_mempool_avail_count(pool) == pool_base,
		      "mbuf leak: expected %u mbufs free, saw %u", pool_base,
		      rte_mempool_avail_count(pool));
}

/* Take every free mbuf but @p keep; returns how many were taken. */
static unsigned int
pool_drain(struct rte_mbuf **spare, unsigned int keep)
{
	unsigned int n = 0;

	while (rte_mempool_avail_count(pool) > keep) {
		spare[n] = rte_pktmbuf_alloc(pool);
		ck_assert_ptr_nonnull(spare[n]);
		n++;
	}
	return n;
}

static void
pool_refill(struct rte_mbuf **spare, unsigned int n)
{
	while (n-- > 0)
		rte_pktmbuf_free(spare[n]);
}

static void
put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static void
put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v & 0xffff);
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* RFC 1071, on big-endian words, written out: the folded sum. */
static uint16_t
ref_sum(const uint8_t *p, uint32_t len)
{
	uint32_t sum = 0, i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

static void
arp_setup(struct roce_arp *arp)
{
	struct rte_ether_addr mac;

	memcpy(mac.addr_bytes, our_mac, 6);
	roce_arp_init(arp, OUR_IP, &mac, pool);
}

static struct rte_ether_addr
mac_of(const uint8_t b[6])
{
	struct rte_ether_addr mac;

	memcpy(mac.addr_bytes, b, 6);
	return mac;
}

static const char *
mac_str(const void *mac, char *buf)
{
	const uint8_t *b = mac;

	snprintf(buf, 18, "%02x:%02x:%02x:%02x:%02x:%02x", b[0], b[1], b[2], b[3], b[4], b[5]);
	return buf;
}

#define assert_mac(what, want, seen) \
	do { \
		char w_[18], s_[18]; \
		ck_assert_msg(memcmp((want), (seen), 6) == 0, "%s: expected %s, saw %s", \
			      (what), mac_str((want), w_), mac_str((seen), s_)); \
	} while (0)

/* Every counter as @p want says (unlisted ones 0). */
static void
assert_counts(const struct roce_arp *arp, const uint64_t want[ROCE_ARP_NCOUNTERS])
{
	unsigned int i;

	for (i = 0; i < ROCE_ARP_NCOUNTERS; i++)
		EXPECT(arp->count[i] == want[i], "counter %s: expected %" PRIu64 ", saw %" PRIu64,
		       roce_arp_counter_names[i], want[i], arp->count[i]);
}
#define COUNTS(...) ((const uint64_t[ROCE_ARP_NCOUNTERS]){ __VA_ARGS__ })

static const struct roce_neigh *
neigh_of(const struct roce_arp *arp, uint32_t ip)
{
	unsigned int i;

	for (i = 0; i < ROCE_ARP_ENTRIES; i++)
		if (arp->neigh[i].state != ROCE_NEIGH_FREE && arp->neigh[i].ipv4 == ip)
			return &arp->neigh[i];
	return NULL;
}

static const char *
state_name(enum roce_neigh_state state)
{
	static const char *const name[] = { "FREE", "INCOMPLETE", "REACHABLE", "STATIC" };

	return (unsigned int)state < RTE_DIM(name) ? name[state] : "?";
}

/* The entry for @p ip, which must exist. */
static const struct roce_neigh *
entry(const struct roce_arp *arp, uint32_t ip)
{
	const struct roce_neigh *e = neigh_of(arp, ip);

	ck_assert_msg(e != NULL, "entry for %u.%u.%u.%u: expected one, saw none", ip >> 24,
		      (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
	return e;
}

#define assert_state(arp, ip, want) \
	do { \
		const struct roce_neigh *e_ = neigh_of((arp), (ip)); \
		ck_assert_msg(e_ != NULL && e_->state == (want), \
			      "entry for %u.%u.%u.%u: expected %s, saw %s", \
			      (ip) >> 24, ((ip) >> 16) & 0xff, ((ip) >> 8) & 0xff, (ip) & 0xff, \
			      state_name(want), e_ != NULL ? state_name(e_->state) : "none"); \
	} while (0)

/* The frame in one mbuf. */
static struct rte_mbuf *
mbuf_of(const uint8_t *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	char *p;

	ck_assert_ptr_nonnull(m);
	p = rte_pktmbuf_append(m, len);
	ck_assert_ptr_nonnull(p);
	memcpy(p, frame, len);
	return m;
}

/* The frame in two mbufs, the second starting at @p cut. */
static struct rte_mbuf *
mbuf_split(const uint8_t *frame, uint32_t len, uint32_t cut)
{
	struct rte_mbuf *a = mbuf_of(frame, cut), *b = mbuf_of(frame + cut, len - cut);

	ck_assert_int_eq(rte_pktmbuf_chain(a, b), 0);
	return a;
}

/* The bytes of @p m, flat; its length in *len. */
static const uint8_t *
flat(const struct rte_mbuf *m, uint8_t *buf, uint32_t *len)
{
	*len = rte_pktmbuf_pkt_len(m);
	ck_assert_uint_le(*len, FRAME_MAX);
	return rte_pktmbuf_read(m, 0, *len, buf);
}

static void
assert_frame(const char *what, const struct rte_mbuf *m, const uint8_t *want, uint32_t want_len)
{
	uint8_t buf[FRAME_MAX];
	const uint8_t *p;
	uint32_t len, i;

	ck_assert_msg(m != NULL, "%s: expected a frame, saw none", what);
	p = flat(m, buf, &len);
	ck_assert_msg(len == want_len, "%s: expected %u bytes, saw %u", what, want_len, len);
	for (i = 0; i < len; i++)
		EXPECT(p[i] == want[i], "%s: byte %u: expected 0x%02x, saw 0x%02x", what, i,
		       want[i], p[i]);
}

/*
 * An ARP frame (RFC 826 layout), optionally 802.1Q-tagged, padded to
 * 60 bytes. Returns its length.
 */
static uint32_t
arp_build(uint8_t *f, bool tagged, uint16_t op, const uint8_t *eth_dst, const uint8_t *eth_src,
	  const uint8_t *sha, uint32_t sip, const uint8_t *tha, uint32_t tip)
{
	uint32_t l3 = ETH_LEN;

	memset(f, 0, MIN_FRAME);
	memcpy(f, eth_dst, 6);
	memcpy(f + 6, eth_src, 6);
	if (tagged) {
		put16(f + 12, 0x8100);
		put16(f + 14, TCI);
		l3 += VLAN_LEN;
	}
	put16(f + l3 - 2, 0x0806);
	put16(f + l3, 1);		/* hardware: Ethernet */
	put16(f + l3 + 2, 0x0800);	/* protocol: IPv4 */
	f[l3 + 4] = 6;
	f[l3 + 5] = 4;
	put16(f + l3 + 6, op);
	memcpy(f + l3 + 8, sha, 6);
	put32(f + l3 + 14, sip);
	memcpy(f + l3 + 18, tha, 6);
	put32(f + l3 + 24, tip);
	return MIN_FRAME;
}

/* A request from the peer for @p tip. */
static uint32_t
arp_request(uint8_t *f, bool tagged, const uint8_t *sha, uint32_t sip, uint32_t tip)
{
	return arp_build(f, tagged, 1, bcast_mac, sha, sha, sip, zero_mac, tip);
}

/* A reply from @p sha/sip to us. */
static uint32_t
arp_reply(uint8_t *f, const uint8_t *sha, uint32_t sip)
{
	return arp_build(f, false, 2, our_mac, sha, sha, sip, our_mac, OUR_IP);
}

/* Feed a frame; it must produce nothing. */
static void
input_none(struct roce_arp *arp, const uint8_t *f, uint32_t len, uint64_t now)
{
	struct rte_mbuf *m = mbuf_of(f, len);

	ck_assert_msg(roce_arp_claims(arp, m), "frame expected claimed, was not");
	ck_assert_msg(roce_arp_input(arp, m, now) == NULL, "expected no answer, saw one");
}

/* Set both checksums of an IPv4 + ICMP frame whose IP header is at @p l3. */
static void
fix_cksums(uint8_t *f, uint32_t l3)
{
	uint32_t ihl = (f[l3] & 0xf) * 4u, tot = get16(f + l3 + 2);

	put16(f + l3 + 10, 0);
	put16(f + l3 + 10, (uint16_t)~ref_sum(f + l3, ihl));
	put16(f + l3 + ihl + 2, 0);
	put16(f + l3 + ihl + 2, (uint16_t)~ref_sum(f + l3 + ihl, tot - ihl));
}

/*
 * An ICMP echo request (RFC 792) from the peer to us, optionally tagged,
 * with @p opt_len bytes of IP options (NOPs): identifier 0xbeef,
 * sequence 7, a patterned payload. Returns its length.
 */
static uint32_t
echo_build(uint8_t *f, uint32_t payload_len, bool tagged, uint32_t opt_len)
{
	uint32_t l3 = ETH_LEN + (tagged ? VLAN_LEN : 0), ihl = IP_LEN + opt_len;
	uint32_t tot = ihl + ICMP_LEN + payload_len, i;
	uint8_t *ip = f + l3, *icmp = ip + ihl;

	ck_assert_uint_le(l3 + tot, FRAME_MAX);
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	if (tagged) {
		put16(f + 12, 0x8100);
		put16(f + 14, TCI);
	}
	put16(f + l3 - 2, 0x0800);
	ip[0] = 0x40 | (uint8_t)(ihl / 4);
	ip[1] = 0x10;			/* TOS, to see it kept */
	put16(ip + 2, (uint16_t)tot);
	put16(ip + 4, 0x1234);		/* identification */
	put16(ip + 6, 0x4000);		/* DF */
	ip[8] = 61;			/* TTL, as after three hops */
	ip[9] = 1;			/* ICMP */
	put32(ip + 12, PEER_IP);
	put32(ip + 16, OUR_IP);
	memset(ip + IP_LEN, 1, opt_len);	/* NOP options */
	icmp[0] = 8;
	icmp[1] = 0;
	put16(icmp + 4, 0xbeef);
	put16(icmp + 6, 7);
	for (i = 0; i < payload_len; i++)
		icmp[ICMP_LEN + i] = (uint8_t)(i * 13 + 5);
	fix_cksums(f, l3);
	return l3 + tot;
}

/* Check @p reply is the echo reply to @p req (len bytes) field by field. */
static void
assert_echo_reply(const struct rte_mbuf *reply, const uint8_t *req, uint32_t len, bool tagged)
{
	uint32_t l3 = ETH_LEN + (tagged ? VLAN_LEN : 0), rlen, tot;
	const uint8_t *r, *ip, *icmp, *qip;
	uint8_t buf[FRAME_MAX];
	uint16_t s;

	ck_assert_msg(reply != NULL, "expected an echo reply, saw none");
	r = flat(reply, buf, &rlen);
	ck_assert_msg(rlen == len, "reply length: expected %u, saw %u", len, rlen);
	assert_mac("reply Ethernet destination", peer_mac, r);
	assert_mac("reply Ethernet source", our_mac, r + 6);
	ck_assert_msg(memcmp(r + 12, req + 12, l3 - 12) == 0,
		      "reply EtherType/tag: expected as in the request");
	ip = r + l3;
	qip = req + l3;
	tot = get16(qip + 2);
	ck_assert_msg(ip[0] == 0x45, "IP version/IHL: expected 0x45, saw 0x%02x", ip[0]);
	ck_assert_msg(ip[1] == qip[1], "TOS: expected 0x%02x, saw 0x%02x", qip[1], ip[1]);
	ck_assert_msg(get16(ip + 2) == tot, "IP total length: expected %u, saw %u", tot,
		      get16(ip + 2));
	ck_assert_msg(memcmp(ip + 4, qip + 4, 4) == 0, "IP id/fragment: expected as request");
	ck_assert_msg(ip[8] == 64, "TTL: expected 64, saw %u", ip[8]);
	ck_assert_msg(ip[9] == 1, "protocol: expected 1, saw %u", ip[9]);
	ck_assert_msg(memcmp(ip + 12, qip + 16, 4) == 0, "IP source: expected our address");
	ck_assert_msg(memcmp(ip + 16, qip + 12, 4) == 0, "IP destination: expected the peer");
	s = ref_sum(ip, IP_LEN);
	ck_assert_msg(s == 0xffff, "IP header checksum: expected sum 0xffff, saw 0x%04x", s);
	icmp = ip + IP_LEN;
	ck_assert_msg(icmp[0] == 0 && icmp[1] == 0, "ICMP type/code: expected 0/0, saw %u/%u",
		      icmp[0], icmp[1]);
	ck_assert_msg(memcmp(icmp + 4, qip + IP_LEN + 4, 4) == 0,
		      "ICMP identifier/sequence: expected as in the request");
	s = ref_sum(icmp, tot - IP_LEN);
	ck_assert_msg(s == 0xffff, "ICMP checksum: expected sum 0xffff, saw 0x%04x", s);
	ck_assert_msg(memcmp(icmp + ICMP_LEN, qip + IP_LEN + ICMP_LEN,
			     tot - IP_LEN - ICMP_LEN) == 0, "echo data: expected as in the request");
}

/* ---- Golden frames, written by hand from RFC 826 ---- */

/* Who has 10.77.0.12? Tell 10.77.0.11 (02:00:00:00:00:0b). */
static const uint8_t golden_request_for_us[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,	/* Ethernet: broadcast */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0b,	/* from the peer */
	0x08, 0x06,				/* ARP */
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04,	/* Ethernet, IPv4, 6, 4 */
	0x00, 0x01,				/* request */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 10, 77, 0, 11,	/* sender */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 77, 0, 12,	/* target */
	/* 18 bytes of padding */
};

/* 10.77.0.12 is at 02:00:00:00:00:0c, to the peer. */
static const uint8_t golden_reply_from_us[60] = {
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0b,	/* Ethernet: to the peer */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0c,	/* from us */
	0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
	0x00, 0x02,				/* reply */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0c, 10, 77, 0, 12,	/* sender: us */
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 10, 77, 0, 11,	/* target: the peer */
};

/* Who has 10.77.0.11? Tell 10.77.0.12: what resolving the peer sends. */
static const uint8_t golden_request_from_us[60] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0c,
	0x08, 0x06,
	0x00, 0x01, 0x08, 0x00, 0x06, 0x04,
	0x00, 0x01,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x0c, 10, 77, 0, 12,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 10, 77, 0, 11,
};

/* ---- ARP ---- */

START_TEST(arp_request_for_us_answered_exactly)
{
	struct roce_arp arp;
	struct rte_mbuf *m, *r;

	arp_setup(&arp);
	m = mbuf_of(golden_request_for_us, sizeof(golden_request_for_us));
	ck_assert_msg(roce_arp_claims(&arp, m), "ARP request expected claimed, was not");
	r = roce_arp_input(&arp, m, T0);
	assert_frame("ARP reply", r, golden_reply_from_us, sizeof(golden_reply_from_us));
	assert_counts(&arp, COUNTS([ROCE_ARP_REQ_RCVD] = 1, [ROCE_ARP_REPLY_SENT] = 1));
	rte_pktmbuf_free(r);
	assert_pool_full();
}
END_TEST

START_TEST(arp_request_for_us_learns_sender)
{
	struct roce_arp arp;
	struct rte_ether_addr mac;
	struct rte_mbuf *req;

	arp_setup(&arp);
	rte_pktmbuf_free(roce_arp_input(&arp, mbuf_of(golden_request_for_us, 60), T0));
	assert_state(&arp, PEER_IP, ROCE_NEIGH_REACHABLE);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + 1, &mac, &req), 0);
	ck_assert_ptr_null(req);
	assert_mac("resolved MAC", peer_mac, mac.addr_bytes);
	assert_pool_full();
}
END_TEST

START_TEST(arp_request_for_other_ip_ignored)
{
	struct roce_arp arp;
	uint8_t f[MIN_FRAME];

	arp_setup(&arp);
	input_none(&arp, f, arp_request(f, false, peer_mac, PEER_IP, OTHER_IP), T0);
	assert_counts(&arp, COUNTS([ROCE_ARP_IGNORED] = 1));
	ck_assert_msg(neigh_of(&arp, PEER_IP) == NULL,
		      "sender of a request for another host: expected not learnt, was");
	assert_pool_full();
}
END_TEST

START_TEST(arp_request_for_other_ip_refreshes_known_sender)
{
	/* RFC 826: the merge step comes before "Am I the target?". */
	struct roce_arp arp;
	uint8_t f[MIN_FRAME];

	arp_setup(&arp);
	rte_pktmbuf_free(roce_arp_input(&arp, mbuf_of(golden_request_for_us, 60), T0));
	input_none(&arp, f, arp_request(f, false, new_mac, PEER_IP, OTHER_IP), T0 + MS);
	assert_state(&arp, PEER_IP, ROCE_NEIGH_REACHABLE);
	assert_mac("refreshed MAC", new_mac, entry(&arp, PEER_IP)->mac.addr_bytes);
	assert_pool_full();
}
END_TEST

START_TEST(arp_resolve_sends_exact_request)
{
	struct roce_arp arp;
	struct rte_ether_addr mac;
	struct rte_mbuf *req;

	arp_setup(&arp);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0, &mac, &req), -EAGAIN);
	assert_frame("ARP request", req, golden_request_from_us, sizeof(golden_request_from_us));
	assert_state(&arp, PEER_IP, ROCE_NEIGH_INCOMPLETE);
	assert_counts(&arp, COUNTS([ROCE_ARP_REQ_SENT] = 1));
	rte_pktmbuf_free(req);
	assert_pool_full();
}
END_TEST

START_TEST(arp_reply_to_resolve_makes_entry_reachable)
{
	struct roce_arp arp;
	struct rte_ether_addr mac;
	struct rte_mbuf *req;
	uint8_t f[MIN_FRAME];

	arp_setup(&arp);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0, &mac, &req), -EAGAIN);
	rte_pktmbuf_free(req);
	input_none(&arp, f, arp_reply(f, peer_mac, PEER_IP), T0 + MS);
	assert_state(&arp, PEER_IP, ROCE_NEIGH_REACHABLE);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + 2 * MS, &mac, &req), 0);
	ck_assert_ptr_null(req);
	assert_mac("resolved MAC", peer_mac, mac.addr_bytes);
	assert_counts(&arp, COUNTS([ROCE_ARP_REQ_SENT] = 1, [ROCE_ARP_REPLY_RCVD] = 1));
	assert_pool_full();
}
END_TEST

START_TEST(arp_unsolicited_reply_not_learnt)
{
	struct roce_arp arp;
	uint8_t f[MIN_FRAME];

	arp_setup(&arp);
	input_none(&arp, f, arp_reply(f, peer_mac, PEER_IP), T0);
	ck_assert_msg(neigh_of(&arp, PEER_IP) == NULL,
		      "unsolicited reply: expected sender not learnt, was");
	assert_counts(&arp, COUNTS([ROCE_ARP_IGNORED] = 1));
	assert_pool_full();
}
END_TEST

START_TEST(arp_static_not_overwritten_by_reply)
{
	struct roce_arp arp;
	struct rte_ether_addr mac = mac_of(peer_mac);
	struct rte_mbuf *req;
	uint8_t f[MIN_FRAME];

	arp_setup(&arp);
	ck_assert_int_eq(roce_arp_set_static(&arp, PEER_IP, &mac), 0);
	input_none(&arp, f, arp_reply(f, new_mac, PEER_IP), T0);
	assert_state(&arp, PEER_IP, ROCE_NEIGH_STATIC);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0, &mac, &req), 0);
	assert_mac("static MAC after a reply", peer_mac, mac.addr_bytes);
	assert_pool_full();
}
END_TEST

START_TEST(arp_static_not_overwritten_by_gratuitous)
{
	/* Both forms of gratuitous ARP: request and reply, sender = target. */
	struct roce_arp arp;
	struct rte_ether_addr mac = mac_of(peer_mac);
	struct rte_mbuf *req;
	uint8_t f[MIN_FRAME];

	arp_setup(&arp);
	ck_assert_int_eq(roce_arp_set_static(&arp, PEER_IP, &mac), 0);
	input_none(&arp, f, arp_request(f, false, new_mac, PEER_IP, PEER_IP), T0);
	input_none(&arp, f, arp_build(f, false, 2, bcast_mac, new_mac, new_mac, PEER_IP,
				      bcast_mac, PEER_IP), T0);
	assert_state(&arp, PEER_IP, ROCE_NEIGH_STATIC);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0, &mac, &req), 0);
	assert_mac("static MAC after gratuitous ARP", peer_mac, mac.addr_bytes);
	assert_pool_full();
}
END_TEST

START_TEST(arp_gratuitous_updates_learnt_entry)
{
	struct roce_arp arp;
	uint8_t f[MIN_FRAME];

	arp_setup(&arp);
	rte_pktmbuf_free(roce_arp_input(&arp, mbuf_of(golden_request_for_us, 60), T0));
	input_none(&arp, f, arp_request(f, false, new_mac, PEER_IP, PEER_IP), T0 + MS);
	assert_mac("MAC after gratuitous request", new_mac,
		   entry(&arp, PEER_IP)->mac.addr_bytes);
	input_none(&arp, f, arp_build(f, false, 2, bcast_mac, peer_mac, peer_mac, PEER_IP,
				      bcast_mac, PEER_IP), T0 + 2 * MS);
	assert_mac("MAC after gratuitous reply", peer_mac,
		   entry(&arp, PEER_IP)->mac.addr_bytes);
	assert_state(&arp, PEER_IP, ROCE_NEIGH_REACHABLE);
	ck_assert_msg(neigh_of(&arp, OTHER_IP) == NULL, "gratuitous ARP: expected no new entry");
	assert_pool_full();
}
END_TEST

START_TEST(arp_set_static_overwrites_learnt_entry)
{
	struct roce_arp arp;
	struct rte_ether_addr mac = mac_of(new_mac);

	arp_setup(&arp);
	rte_pktmbuf_free(roce_arp_input(&arp, mbuf_of(golden_request_for_us, 60), T0));
	ck_assert_int_eq(roce_arp_set_static(&arp, PEER_IP, &mac), 0);
	assert_state(&arp, PEER_IP, ROCE_NEIGH_STATIC);
	assert_mac("MAC after set_static", new_mac, entry(&arp, PEER_IP)->mac.addr_bytes);
	assert_pool_full();
}
END_TEST

START_TEST(arp_other_opcodes_ignored)
{
	/* RARP (3, 4) and InARP (8, 9) share the format; not ours. */
	static const uint16_t ops[] = { 3, 4, 8, 9 };
	struct roce_arp arp;
	uint8_t f[MIN_FRAME];
	unsigned int i;

	arp_setup(&arp);
	for (i = 0; i < RTE_DIM(ops); i++)
		input_none(&arp, f, arp_build(f, false, ops[i], bcast_mac, peer_mac, peer_mac,
					      PEER_IP, zero_mac, OUR_IP), T0);
	assert_counts(&arp, COUNTS([ROCE_ARP_IGNORED] = RTE_DIM(ops)));
	assert_pool_full();
}
END_TEST

START_TEST(arp_probe_answered_not_learnt)
{
	/* RFC 5227 probe: sender address 0.0.0.0. The owner answers it; the
	 * prober owns no address yet, so nothing is learnt. */
	struct roce_arp arp;
	struct rte_mbuf *r;
	uint8_t f[MIN_FRAME], want[MIN_FRAME];

	arp_setup(&arp);
	r = roce_arp_input(&arp, mbuf_of(f, arp_request(f, false, peer_mac, 0, OUR_IP)), T0);
	arp_build(want, false, 2, peer_mac, our_mac, our_mac, OUR_IP, peer_mac, 0);
	assert_frame("reply to a probe", r, want, sizeof(want));
	rte_pktmbuf_free(r);
	ck_assert_msg(neigh_of(&arp, 0) == NULL, "probe: expected 0.0.0.0 not learnt, was");
	assert_counts(&arp, COUNTS([ROCE_ARP_REQ_RCVD] = 1, [ROCE_ARP_REPLY_SENT] = 1));
	assert_pool_full();
}
END_TEST

START_TEST(arp_sender_with_our_address_ignored)
{
	/* Another station announcing our address (a conflict), or our own
	 * announcement come back: nothing to learn or answer. */
	struct roce_arp arp;
	uint8_t f[MIN_FRAME];

	arp_setup(&arp);
	input_none(&arp, f, arp_request(f, false, peer_mac, OUR_IP, OUR_IP), T0);
	input_none(&arp, f, arp_build(f, false, 2, bcast_mac, peer_mac, peer_mac, OUR_IP,
				      bcast_mac, OUR_IP), T0);
	ck_assert_msg(neigh_of(&arp, OUR_IP) == NULL, "our own address: expected not learnt, was");
	assert_counts(&arp, COUNTS([ROCE_ARP_IGNORED] = 2));
	assert_pool_full();
}
END_TEST

START_TEST(arp_resolve_rate_limited_per_entry)
{
	struct roce_arp arp;
	struct rte_ether_addr mac;
	struct rte_mbuf *req;

	arp_setup(&arp);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0, &mac, &req), -EAGAIN);
	ck_assert_msg(req != NULL, "first resolve: expected a request, saw none");
	rte_pktmbuf_free(req);

	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + 1, &mac, &req), -EAGAIN);
	ck_assert_msg(req == NULL, "resolve 1 ns later: expected no request, saw one");
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + ROCE_ARP_RETRY_NS - 1, &mac, &req),
			 -EAGAIN);
	ck_assert_msg(req == NULL, "resolve 1 ns before the retry: expected no request, saw one");

	/* Another address has its own pace. */
	ck_assert_int_eq(roce_arp_resolve(&arp, OTHER_IP, T0 + 1, &mac, &req), -EAGAIN);
	ck_assert_msg(req != NULL, "resolve of another address: expected a request, saw none");
	rte_pktmbuf_free(req);

	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + ROCE_ARP_RETRY_NS, &mac, &req),
			 -EAGAIN);
	ck_assert_msg(req != NULL, "resolve after %llu ns: expected a request, saw none",
		      ROCE_ARP_RETRY_NS);
	assert_frame("retried request", req, golden_request_from_us, 60);
	rte_pktmbuf_free(req);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + ROCE_ARP_RETRY_NS + 1, &mac, &req),
			 -EAGAIN);
	ck_assert_msg(req == NULL, "resolve just after the retry: expected no request, saw one");
	assert_counts(&arp, COUNTS([ROCE_ARP_REQ_SENT] = 3));
	assert_pool_full();
}
END_TEST

/* A partner heard from in RoCE fills an unresolved entry, nothing else. */
START_TEST(arp_learns_unresolved_peer_only)
{
	struct roce_arp arp;
	struct rte_ether_addr mac, peer = mac_of(peer_mac), other = mac_of(new_mac);
	struct rte_ether_addr group = mac_of(bcast_mac);
	struct rte_mbuf *req;

	arp_setup(&arp);
	/* Unknown: learnt. */
	ck_assert(roce_arp_learn_peer(&arp, PEER_IP, &peer, T0));
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0, &mac, &req), 0);
	ck_assert(rte_is_same_ether_addr(&mac, &peer));
	/* Known: never changed here (ARP owns it). */
	ck_assert(!roce_arp_learn_peer(&arp, PEER_IP, &other, T0 + 1));
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + 1, &mac, &req), 0);
	ck_assert(rte_is_same_ether_addr(&mac, &peer));
	/* A request unanswered: learnt. */
	ck_assert_int_eq(roce_arp_resolve(&arp, OTHER_IP, T0, &mac, &req), -EAGAIN);
	rte_pktmbuf_free(req);
	ck_assert(!roce_arp_learn_peer(&arp, OTHER_IP, &group, T0 + 2));
	ck_assert(roce_arp_learn_peer(&arp, OTHER_IP, &other, T0 + 2));
	ck_assert_int_eq(roce_arp_resolve(&arp, OTHER_IP, T0 + 2, &mac, &req), 0);
	ck_assert(rte_is_same_ether_addr(&mac, &other));
	/* Static: never changed. */
	ck_assert_int_eq(roce_arp_set_static(&arp, PEER_IP, &peer), 0);
	ck_assert(!roce_arp_learn_peer(&arp, PEER_IP, &other, T0 + 3));
	assert_counts(&arp, COUNTS([ROCE_ARP_REQ_SENT] = 1, [ROCE_ARP_LEARNT_FROM_PEER] = 2));
	assert_pool_full();
}
END_TEST

START_TEST(arp_table_full_reuses_oldest_non_static)
{
	struct roce_arp arp;
	struct rte_ether_addr mac, static_mac = mac_of(peer_mac);
	struct rte_mbuf *req;
	uint8_t f[MIN_FRAME];
	uint32_t i, base = RTE_IPV4(10, 77, 1, 0);

	arp_setup(&arp);
	/* A static entry first: the oldest of all, yet never replaced. */
	ck_assert_int_eq(roce_arp_set_static(&arp, PEER_IP, &static_mac), 0);
	for (i = 1; i < ROCE_ARP_ENTRIES; i++) {
		ck_assert_int_eq(roce_arp_resolve(&arp, base + i, T0 + i * MS, &mac, &req),
				 -EAGAIN);
		rte_pktmbuf_free(req);
	}
	ck_assert_uint_eq(arp.count[ROCE_ARP_TABLE_FULL], 0);
	/* .1 answers late: it is now the most recently active. */
	input_none(&arp, f, arp_reply(f, new_mac, base + 1), T0 + 100 * MS);

	ck_assert_int_eq(roce_arp_resolve(&arp, base + 100, T0 + 200 * MS, &mac, &req), -EAGAIN);
	ck_assert_msg(req != NULL, "resolve in a full table: expected a request, saw none");
	rte_pktmbuf_free(req);
	ck_assert_msg(arp.count[ROCE_ARP_TABLE_FULL] == 1, "table_full: expected 1, saw %" PRIu64,
		      arp.count[ROCE_ARP_TABLE_FULL]);
	ck_assert_msg(neigh_of(&arp, base + 2) == NULL,
		      "oldest non-static entry (.2): expected replaced, still there");
	assert_state(&arp, base + 100, ROCE_NEIGH_INCOMPLETE);
	assert_state(&arp, base + 1, ROCE_NEIGH_REACHABLE);
	assert_state(&arp, PEER_IP, ROCE_NEIGH_STATIC);

	/* A learnt sender also takes the oldest (.3). */
	rte_pktmbuf_free(roce_arp_input(&arp, mbuf_of(f, arp_request(f, false, new_mac,
								      base + 200, OUR_IP)),
					T0 + 300 * MS));
	ck_assert_uint_eq(arp.count[ROCE_ARP_TABLE_FULL], 2);
	ck_assert_msg(neigh_of(&arp, base + 3) == NULL,
		      "oldest non-static entry (.3): expected replaced, still there");
	assert_state(&arp, base + 200, ROCE_NEIGH_REACHABLE);
	assert_pool_full();
}
END_TEST

START_TEST(arp_table_full_of_static)
{
	struct roce_arp arp;
	struct rte_ether_addr mac = mac_of(new_mac);
	struct rte_mbuf *req, *r;
	uint32_t i, base = RTE_IPV4(10, 77, 1, 0);

	arp_setup(&arp);
	for (i = 0; i < ROCE_ARP_ENTRIES; i++)
		ck_assert_int_eq(roce_arp_set_static(&arp, base + i, &mac), 0);
	ck_assert_int_eq(roce_arp_set_static(&arp, PEER_IP, &mac), -ENOSPC);
	ck_assert_int_eq(roce_arp_set_static(&arp, base, &mac), 0);	/* overwrite: fine */

	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0, &mac, &req), -ENOMEM);
	ck_assert_msg(req == NULL, "resolve with no room: expected no request, saw one");

	/* Still answered, just not learnt. */
	r = roce_arp_input(&arp, mbuf_of(golden_request_for_us, 60), T0);
	assert_frame("ARP reply", r, golden_reply_from_us, 60);
	rte_pktmbuf_free(r);
	ck_assert_msg(neigh_of(&arp, PEER_IP) == NULL, "expected no entry for the peer");
	assert_counts(&arp, COUNTS([ROCE_ARP_TABLE_FULL] = 3, [ROCE_ARP_REQ_RCVD] = 1,
				   [ROCE_ARP_REPLY_SENT] = 1));
	assert_pool_full();
}
END_TEST

START_TEST(arp_vlan_claimed_and_answered_with_tag)
{
	struct roce_arp arp;
	struct rte_mbuf *m, *r;
	uint8_t f[MIN_FRAME], want[MIN_FRAME];

	arp_setup(&arp);
	m = mbuf_of(f, arp_request(f, true, peer_mac, PEER_IP, OUR_IP));
	ck_assert_msg(roce_arp_claims(&arp, m), "tagged ARP expected claimed, was not");
	r = roce_arp_input(&arp, m, T0);
	arp_build(want, true, 2, peer_mac, our_mac, our_mac, OUR_IP, peer_mac, PEER_IP);
	assert_frame("tagged ARP reply", r, want, sizeof(want));
	rte_pktmbuf_free(r);
	assert_state(&arp, PEER_IP, ROCE_NEIGH_REACHABLE);
	assert_pool_full();
}
END_TEST

START_TEST(arp_split_request_answered)
{
	/* Headers split anywhere across two segments. */
	struct roce_arp arp;
	struct rte_mbuf *r;
	uint32_t cut;

	arp_setup(&arp);
	for (cut = 1; cut < sizeof(golden_request_for_us); cut++) {
		r = roce_arp_input(&arp, mbuf_split(golden_request_for_us, 60, cut), T0);
		EXPECT(r != NULL, "split at %u: expected a reply, saw none", cut);
		EXPECT(r->nb_segs == 1, "split at %u: expected 1 segment, saw %u", cut,
		       r->nb_segs);
		assert_frame("ARP reply", r, golden_reply_from_us, 60);
		rte_pktmbuf_free(r);
	}
	assert_counts(&arp, COUNTS([ROCE_ARP_REQ_RCVD] = 59, [ROCE_ARP_REPLY_SENT] = 59));
	assert_pool_full();
}
END_TEST

START_TEST(arp_shared_request_answered_in_new_mbuf)
{
	/* Another holder of the request must not see it turn into the reply. */
	struct roce_arp arp;
	struct rte_mbuf *m, *clone, *r;
	uint8_t buf[FRAME_MAX];
	uint32_t seen;

	arp_setup(&arp);
	m = mbuf_of(golden_request_for_us, 60);
	rte_pktmbuf_refcnt_update(m, 1);
	r = roce_arp_input(&arp, m, T0);
	ck_assert_msg(r != m, "shared mbuf: expected the reply in another mbuf, saw it reused");
	assert_frame("ARP reply", r, golden_reply_from_us, 60);
	assert_frame("shared request", m, golden_request_for_us, 60);
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);

	m = mbuf_of(golden_request_for_us, 60);
	clone = rte_pktmbuf_clone(m, pool);
	ck_assert_ptr_nonnull(clone);
	r = roce_arp_input(&arp, clone, T0);
	assert_frame("ARP reply", r, golden_reply_from_us, 60);
	ck_assert_msg(memcmp(flat(m, buf, &seen), golden_request_for_us, 60) == 0,
		      "cloned request: expected unchanged, saw it written");
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);
	assert_pool_full();
}
END_TEST

START_TEST(arp_counter_names_complete)
{
	unsigned int i, j;

	for (i = 0; i < ROCE_ARP_NCOUNTERS; i++) {
		ck_assert_msg(roce_arp_counter_names[i] != NULL && roce_arp_counter_names[i][0],
			      "counter %u: expected a name, saw none", i);
		for (j = 0; j < i; j++)
			ck_assert_msg(strcmp(roce_arp_counter_names[i],
					     roce_arp_counter_names[j]) != 0,
				      "counters %u and %u: expected distinct names, both \"%s\"",
				      j, i, roce_arp_counter_names[i]);
	}
}
END_TEST

/* ---- ICMP ---- */

static void
echo_case(uint32_t payload_len, bool tagged)
{
	struct roce_arp arp;
	struct rte_mbuf *m, *r;
	uint8_t f[FRAME_MAX];
	uint32_t len = echo_build(f, payload_len, tagged, 0);

	arp_setup(&arp);
	m = mbuf_of(f, len);
	ck_assert_msg(roce_arp_claims(&arp, m), "echo request expected claimed, was not");
	r = roce_arp_input(&arp, m, T0);
	assert_echo_reply(r, f, len, tagged);
	rte_pktmbuf_free(r);
	assert_counts(&arp, COUNTS([ROCE_ARP_ICMP_ECHO] = 1));
	assert_pool_full();
}

START_TEST(icmp_echo_request_answered)
{
	echo_case(56, false);	/* ping's default */
}
END_TEST

START_TEST(icmp_echo_odd_payload_answered)
{
	echo_case(57, false);
	echo_case(1, false);
	echo_case(0, false);
	echo_case(1001, false);
}
END_TEST

START_TEST(icmp_echo_two_segments_answered)
{
	/* Every split point: inside the headers, at odd offsets of the data. */
	struct roce_arp arp;
	struct rte_mbuf *r;
	uint8_t f[FRAME_MAX];
	uint32_t len = echo_build(f, 57, false, 0), cut;

	arp_setup(&arp);
	for (cut = 1; cut < len; cut++) {
		r = roce_arp_input(&arp, mbuf_split(f, len, cut), T0);
		EXPECT(r != NULL, "split at %u: expected a reply, saw none", cut);
		assert_echo_reply(r, f, len, false);
		rte_pktmbuf_free(r);
	}
	EXPECT(arp.count[ROCE_ARP_ICMP_ECHO] == len - 1, "icmp_echo: expected %u, saw %" PRIu64,
	       len - 1, arp.count[ROCE_ARP_ICMP_ECHO]);
	assert_pool_full();
}
END_TEST

START_TEST(icmp_echo_shared_mbuf_answered_from_copy)
{
	/* Another holder of the mbuf must not see it change. */
	struct roce_arp arp;
	struct rte_mbuf *m, *clone, *r;
	uint8_t f[FRAME_MAX], buf[FRAME_MAX];
	uint32_t len = echo_build(f, 100, false, 0), seen;

	arp_setup(&arp);
	m = mbuf_split(f, len, 50);
	rte_pktmbuf_refcnt_update(m, 1);
	r = roce_arp_input(&arp, m, T0);
	ck_assert_msg(r != m, "shared mbuf: expected an answer in a copy, saw it reused");
	assert_echo_reply(r, f, len, false);
	ck_assert_msg(memcmp(flat(m, buf, &seen), f, len) == 0,
		      "shared mbuf: expected unchanged, saw it written");
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);

	/* An indirect clone the same. */
	m = mbuf_of(f, len);
	clone = rte_pktmbuf_clone(m, pool);
	ck_assert_ptr_nonnull(clone);
	r = roce_arp_input(&arp, clone, T0);
	assert_echo_reply(r, f, len, false);
	ck_assert_msg(memcmp(flat(m, buf, &seen), f, len) == 0,
		      "cloned mbuf: expected unchanged, saw it written");
	rte_pktmbuf_free(r);
	rte_pktmbuf_free(m);
	assert_counts(&arp, COUNTS([ROCE_ARP_ICMP_ECHO] = 2));
	assert_pool_full();
}
END_TEST

START_TEST(icmp_vlan_echo_answered_with_tag)
{
	echo_case(56, true);
}
END_TEST

START_TEST(icmp_to_other_address_not_claimed)
{
	struct roce_arp arp;
	struct rte_mbuf *m;
	uint8_t f[FRAME_MAX];
	uint32_t len = echo_build(f, 56, false, 0);

	arp_setup(&arp);
	put32(f + ETH_LEN + 16, OTHER_IP);
	fix_cksums(f, ETH_LEN);
	m = mbuf_of(f, len);
	ck_assert_msg(!roce_arp_claims(&arp, m), "ICMP to another address: expected not claimed");
	rte_pktmbuf_free(m);
	assert_pool_full();
}
END_TEST

START_TEST(roce_udp_to_us_not_claimed)
{
	/* The data path: IPv4 UDP 4791 to us is the parser's, not ours. */
	struct roce_arp arp;
	struct rte_mbuf *m;
	uint8_t f[FRAME_MAX];
	uint32_t len = echo_build(f, 56, false, 0);

	arp_setup(&arp);
	f[ETH_LEN + 9] = 17;
	put16(f + ETH_LEN + IP_LEN + 2, 4791);
	m = mbuf_of(f, len);
	ck_assert_msg(!roce_arp_claims(&arp, m), "UDP to us: expected not claimed");
	rte_pktmbuf_free(m);
	assert_pool_full();
}
END_TEST

/*
 * The frame in two segments, the first ending at @p first though its
 * buffer holds the whole frame: what lies past data_len must not count.
 */
static struct rte_mbuf *
mbuf_first_short(const uint8_t *f, uint32_t len, uint32_t first)
{
	struct rte_mbuf *a = mbuf_of(f, len), *b = mbuf_of(f + first, len - first);

	ck_assert_int_eq(rte_pktmbuf_trim(a, len - first), 0);
	ck_assert_int_eq(rte_pktmbuf_chain(a, b), 0);
	return a;
}

START_TEST(claims_reads_first_segment_only)
{
	struct roce_arp arp;
	struct rte_mbuf *m;
	uint8_t f[FRAME_MAX];
	uint32_t len, first;

	arp_setup(&arp);
	/* ICMP to us: the destination is the 20th byte of the IP header. */
	len = echo_build(f, 56, false, 0);
	for (first = 1; first < ETH_LEN + IP_LEN; first++) {
		m = mbuf_first_short(f, len, first);
		EXPECT(!roce_arp_claims(&arp, m),
		       "ICMP, first segment %u bytes: expected not claimed, was", first);
		rte_pktmbuf_free(m);
	}
	m = mbuf_first_short(f, len, ETH_LEN + IP_LEN);
	ck_assert_msg(roce_arp_claims(&arp, m), "ICMP, IP header in the first segment: expected "
		      "claimed, was not");
	rte_pktmbuf_free(m);
	/* A tag and the EtherType behind it. */
	arp_request(f, true, peer_mac, PEER_IP, OUR_IP);
	for (first = 1; first < ETH_LEN + VLAN_LEN; first++) {
		m = mbuf_first_short(f, MIN_FRAME, first);
		EXPECT(!roce_arp_claims(&arp, m),
		       "tagged ARP, first segment %u bytes: expected not claimed, was", first);
		rte_pktmbuf_free(m);
	}
	assert_pool_full();
}
END_TEST

START_TEST(icmp_other_than_plain_echo_request_ignored)
{
	struct roce_arp arp;
	uint8_t f[FRAME_MAX];
	uint32_t len;

	arp_setup(&arp);
	/* An echo reply (counted: it may answer a keepalive) and a destination
	 * unreachable: nothing to answer. */
	len = echo_build(f, 56, false, 0);
	f[ETH_LEN + IP_LEN] = 0;
	fix_cksums(f, ETH_LEN);
	input_none(&arp, f, len, T0);
	f[ETH_LEN + IP_LEN] = 3;
	fix_cksums(f, ETH_LEN);
	input_none(&arp, f, len, T0);
	/* A fragment (more fragments set). */
	len = echo_build(f, 56, false, 0);
	put16(f + ETH_LEN + 6, 0x2000);
	fix_cksums(f, ETH_LEN);
	input_none(&arp, f, len, T0);
	/* IP options: not echoed (RFC 1122 3.2.2.6), so not answered. */
	len = echo_build(f, 56, false, 4);
	input_none(&arp, f, len, T0);
	/* Sent to the link broadcast, or to another station's MAC. */
	len = echo_build(f, 56, false, 0);
	memcpy(f, bcast_mac, 6);
	input_none(&arp, f, len, T0);
	memcpy(f, new_mac, 6);
	input_none(&arp, f, len, T0);
	assert_counts(&arp, COUNTS([ROCE_ARP_IGNORED] = 5, [ROCE_ARP_ICMP_REPLY_RCVD] = 1));
	assert_pool_full();
}
END_TEST

/* Keepalives: our echo request is a valid ping, and the partner's reply
 * is counted on its neighbour entry. */
START_TEST(icmp_echo_request_and_reply_counted)
{
	struct roce_arp arp;
	struct rte_mbuf *m = NULL;
	uint8_t f[FRAME_MAX];
	uint32_t len, i, sum;
	const uint8_t *p;

	arp_setup(&arp);
	ck_assert_int_eq(roce_arp_set_static(&arp, PEER_IP, (const struct rte_ether_addr *)peer_mac), 0);
	ck_assert_int_eq(roce_echo_request(&arp, PEER_IP, 3, 77, NULL, 0, T0, &m), 0);
	ck_assert_ptr_nonnull(m);
	p = rte_pktmbuf_mtod(m, const uint8_t *);
	ck_assert_uint_ge(m->pkt_len, 60);
	ck_assert_int_eq(memcmp(p, peer_mac, 6), 0);
	ck_assert_uint_eq(p[ETH_LEN + 9], IPPROTO_ICMP);
	ck_assert_uint_eq(p[ETH_LEN + IP_LEN], 8);		/* echo request */
	ck_assert_uint_eq((p[ETH_LEN + IP_LEN + 6] << 8) | p[ETH_LEN + IP_LEN + 7], 77);
	/* Both checksums verified independently: the ones' complement sums
	 * of the IP header and of the ICMP message come to 0xffff. */
	for (sum = 0, i = 0; i < IP_LEN; i += 2)
		sum += (p[ETH_LEN + i] << 8) | p[ETH_LEN + i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck_assert_uint_eq(sum, 0xffff);
	for (sum = 0, i = 0; i < 16; i += 2)
		sum += (p[ETH_LEN + IP_LEN + i] << 8) | p[ETH_LEN + IP_LEN + i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	ck_assert_uint_eq(sum, 0xffff);
	rte_pktmbuf_free(m);
	ck_assert_uint_eq(roce_echo_replies(&arp, PEER_IP), 0);

	/* The partner's reply, twice. */
	len = echo_build(f, 8, false, 0);
	f[ETH_LEN + IP_LEN] = 0;
	fix_cksums(f, ETH_LEN);
	input_none(&arp, f, len, T0);
	input_none(&arp, f, len, T0 + 1000);
	ck_assert_uint_eq(roce_echo_replies(&arp, PEER_IP), 2);
	ck_assert_uint_eq(roce_echo_replies(&arp, PEER_IP + 1), 0);
	assert_counts(&arp, COUNTS([ROCE_ARP_ICMP_REQ_SENT] = 1, [ROCE_ARP_ICMP_REPLY_RCVD] = 2));
	assert_pool_full();
}
END_TEST

/* A neighbour's ping carries data (a keepalive's message): kept, and our
 * own pings carry ours, echoed back unchanged. */
START_TEST(icmp_echo_data_kept)
{
	static const uint8_t mine[24] = "our boot epoch note.....";
	struct rte_mbuf *m = NULL, *r;
	struct roce_arp arp;
	uint8_t f[FRAME_MAX], note[ROCE_ECHO_DATA_MAX];
	uint64_t count;
	uint32_t len;

	arp_setup(&arp);
	ck_assert_uint_eq(roce_echo_data(&arp, PEER_IP, note, sizeof(note), &count), 0);
	ck_assert_int_eq(roce_arp_set_static(&arp, PEER_IP, (const struct rte_ether_addr *)peer_mac), 0);
	ck_assert_int_eq(roce_echo_request(&arp, PEER_IP, 1, 2, mine, sizeof(mine), T0, &m), 0);
	ck_assert_int_eq(memcmp(rte_pktmbuf_mtod_offset(m, uint8_t *, ETH_LEN + IP_LEN + 8), mine,
				sizeof(mine)), 0);
	rte_pktmbuf_free(m);
	/* The partner's request, 56 bytes of data: the first 32 are kept. */
	len = echo_build(f, 56, false, 0);
	r = mbuf_of(f, len);
	ck_assert(roce_arp_claims(&arp, r));
	r = roce_arp_input(&arp, r, T0);
	ck_assert_ptr_nonnull(r);	/* answered, as ever */
	rte_pktmbuf_free(r);
	ck_assert_uint_eq(roce_echo_data(&arp, PEER_IP, note, sizeof(note), &count),
			  ROCE_ECHO_DATA_MAX);
	ck_assert_uint_eq(count, 1);
	ck_assert_int_eq(memcmp(note, f + ETH_LEN + IP_LEN + 8, ROCE_ECHO_DATA_MAX), 0);
	assert_pool_full();
}
END_TEST

/* ---- Negative ---- */

/* Feed @p f truncated to every shorter length: each one MALFORMED. */
static void
truncations_malformed(const uint8_t *f, uint32_t full, uint32_t valid_from)
{
	struct roce_arp arp;
	struct rte_mbuf *m;
	uint32_t len;

	arp_setup(&arp);
	for (len = 0; len < valid_from; len++) {
		m = mbuf_of(f, len);
		EXPECT(roce_arp_input(&arp, m, T0) == NULL,
		       "truncated to %u of %u: expected no answer, saw one", len, full);
		EXPECT(arp.count[ROCE_ARP_MALFORMED] == len + 1,
		       "truncated to %u of %u: expected malformed %u, saw %" PRIu64, len, full,
		       len + 1, arp.count[ROCE_ARP_MALFORMED]);
	}
	assert_counts(&arp, COUNTS([ROCE_ARP_MALFORMED] = valid_from));
	assert_pool_full();
}

START_TEST(arp_truncated_at_every_length_malformed)
{
	uint8_t f[MIN_FRAME];

	/* Shorter than Ethernet + ARP; the padding may go. */
	truncations_malformed(golden_request_for_us, 60, ETH_LEN + ARP_LEN);
	arp_request(f, true, peer_mac, PEER_IP, OUR_IP);
	truncations_malformed(f, 60, ETH_LEN + VLAN_LEN + ARP_LEN);
}
END_TEST

START_TEST(arp_bad_header_fields_malformed)
{
	static const struct {
		const char *what;
		unsigned int off;	/* from the start of the frame */
		uint8_t v[6];
		unsigned int n;
	} bad[] = {
		{ "hardware type 6", 14, { 0x00, 0x06 }, 2 },
		{ "protocol IPv6", 16, { 0x86, 0xdd }, 2 },
		{ "hlen 8", 18, { 8 }, 1 },
		{ "hlen 0", 18, { 0 }, 1 },
		{ "plen 16", 19, { 16 }, 1 },
		{ "plen 0", 19, { 0 }, 1 },
		{ "multicast sender", 22, { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }, 6 },
		{ "broadcast sender", 22, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }, 6 },
		{ "zero sender", 22, { 0 }, 6 },
		{ "multicast Ethernet source", 6, { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }, 6 },
	};
	struct roce_arp arp;
	struct rte_mbuf *m;
	uint8_t f[MIN_FRAME];
	unsigned int i;

	arp_setup(&arp);
	for (i = 0; i < RTE_DIM(bad); i++) {
		memcpy(f, golden_request_for_us, sizeof(f));
		memcpy(f + bad[i].off, bad[i].v, bad[i].n);
		m = mbuf_of(f, sizeof(f));
		ck_assert_msg(roce_arp_input(&arp, m, T0) == NULL,
			      "%s: expected no answer, saw one", bad[i].what);
		ck_assert_msg(arp.count[ROCE_ARP_MALFORMED] == i + 1,
			      "%s: expected malformed %u, saw %" PRIu64, bad[i].what, i + 1,
			      arp.count[ROCE_ARP_MALFORMED]);
	}
	ck_assert_msg(neigh_of(&arp, PEER_IP) == NULL, "malformed ARP: expected nothing learnt");
	assert_counts(&arp, COUNTS([ROCE_ARP_MALFORMED] = RTE_DIM(bad)));
	assert_pool_full();
}
END_TEST

START_TEST(icmp_truncated_at_every_length_malformed)
{
	uint8_t f[FRAME_MAX];
	uint32_t len;

	len = echo_build(f, 57, false, 0);
	truncations_malformed(f, len, len);
	len = echo_build(f, 56, true, 0);
	truncations_malformed(f, len, len);
	len = echo_build(f, 16, false, 8);	/* with options */
	truncations_malformed(f, len, len);
}
END_TEST

/* Feed one ICMP frame: it must be counted MALFORMED and produce nothing. */
static void
icmp_malformed(struct roce_arp *arp, const char *what, struct rte_mbuf *m)
{
	uint64_t before = arp->count[ROCE_ARP_MALFORMED];

	ck_assert_msg(roce_arp_input(arp, m, T0) == NULL, "%s: expected no answer, saw one", what);
	ck_assert_msg(arp->count[ROCE_ARP_MALFORMED] == before + 1,
		      "%s: expected malformed %" PRIu64 ", saw %" PRIu64, what, before + 1,
		      arp->count[ROCE_ARP_MALFORMED]);
}

START_TEST(icmp_bad_ip_header_malformed)
{
	static const uint32_t bad_src[] = {
		0, RTE_IPV4(127, 0, 0, 1), RTE_IPV4(224, 0, 0, 1), RTE_IPV4(240, 0, 0, 1),
		RTE_IPV4(255, 255, 255, 255),
	};
	struct roce_arp arp;
	uint8_t f[FRAME_MAX], *ip = f + ETH_LEN;
	uint32_t len;
	unsigned int i;

	arp_setup(&arp);
	len = echo_build(f, 56, false, 0);
	ip[0] = 0x65;
	fix_cksums(f, ETH_LEN);
	icmp_malformed(&arp, "version 6", mbuf_of(f, len));

	len = echo_build(f, 56, false, 0);
	ip[0] = 0x44;
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~ref_sum(ip, 16));
	icmp_malformed(&arp, "IHL 4", mbuf_of(f, len));

	len = echo_build(f, 56, false, 0);
	put16(ip + 2, IP_LEN + ICMP_LEN - 1);
	fix_cksums(f, ETH_LEN);
	icmp_malformed(&arp, "total length shorter than ICMP header", mbuf_of(f, len));

	len = echo_build(f, 56, false, 0);
	put16(ip + 2, IP_LEN - 1);
	put16(ip + 10, 0);
	put16(ip + 10, (uint16_t)~ref_sum(ip, IP_LEN));
	icmp_malformed(&arp, "total length shorter than IP header", mbuf_of(f, len));

	len = echo_build(f, 56, false, 0);
	put16(ip + 2, (uint16_t)(len - ETH_LEN + 1));
	fix_cksums(f, ETH_LEN);
	icmp_malformed(&arp, "total length past the frame", mbuf_of(f, len));

	len = echo_build(f, 56, false, 0);
	ip[10] ^= 0x01;
	icmp_malformed(&arp, "bad IP checksum", mbuf_of(f, len));

	for (i = 0; i < RTE_DIM(bad_src); i++) {
		len = echo_build(f, 56, false, 0);
		put32(ip + 12, bad_src[i]);
		fix_cksums(f, ETH_LEN);
		icmp_malformed(&arp, "source not a host", mbuf_of(f, len));
	}

	len = echo_build(f, 56, false, 0);
	f[6] = 0x01;
	icmp_malformed(&arp, "multicast Ethernet source", mbuf_of(f, len));
	assert_counts(&arp, COUNTS([ROCE_ARP_MALFORMED] = 7 + RTE_DIM(bad_src)));
	assert_pool_full();
}
END_TEST

START_TEST(icmp_bad_checksum_malformed)
{
	struct roce_arp arp;
	uint8_t f[FRAME_MAX], *icmp = f + ETH_LEN + IP_LEN;
	uint32_t len, odd_len, cut;

	arp_setup(&arp);
	odd_len = echo_build(f, 57, false, 0);
	f[odd_len - 1] ^= 0x40;	/* the odd last byte */
	icmp_malformed(&arp, "bad ICMP checksum", mbuf_of(f, odd_len));
	for (cut = 1; cut < odd_len; cut++)
		icmp_malformed(&arp, "bad ICMP checksum, split", mbuf_split(f, odd_len, cut));

	/* RFC 792: an echo's code is 0. */
	len = echo_build(f, 56, false, 0);
	icmp[1] = 1;
	fix_cksums(f, ETH_LEN);
	icmp_malformed(&arp, "echo code 1", mbuf_of(f, len));
	assert_counts(&arp, COUNTS([ROCE_ARP_MALFORMED] = odd_len + 1));
	assert_pool_full();
}
END_TEST

START_TEST(arp_resolve_without_mbuf_enomem)
{
	struct roce_arp arp;
	struct rte_ether_addr mac;
	struct rte_mbuf *req, *spare[POOL_SIZE];
	unsigned int n;

	arp_setup(&arp);
	n = pool_drain(spare, 0);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0, &mac, &req), -ENOMEM);
	ck_assert_msg(req == NULL, "no mbuf: expected no request, saw one");
	ck_assert_msg(neigh_of(&arp, PEER_IP) == NULL, "no mbuf: expected no entry made");
	assert_counts(&arp, COUNTS([ROCE_ARP_NO_MBUF] = 1));
	pool_refill(spare, n);

	/* The failure did not count as a request: the next call sends one. */
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + 1, &mac, &req), -EAGAIN);
	ck_assert_msg(req != NULL, "after the pool refilled: expected a request, saw none");
	rte_pktmbuf_free(req);
	assert_pool_full();
}
END_TEST

START_TEST(arp_retry_without_mbuf_enomem)
{
	/* A due retry that cannot be built stays due. */
	struct roce_arp arp;
	struct rte_ether_addr mac;
	struct rte_mbuf *req, *spare[POOL_SIZE];
	unsigned int n;

	arp_setup(&arp);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0, &mac, &req), -EAGAIN);
	rte_pktmbuf_free(req);
	n = pool_drain(spare, 0);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + ROCE_ARP_RETRY_NS, &mac, &req),
			 -ENOMEM);
	ck_assert_msg(req == NULL, "no mbuf: expected no request, saw one");
	pool_refill(spare, n);
	ck_assert_int_eq(roce_arp_resolve(&arp, PEER_IP, T0 + ROCE_ARP_RETRY_NS + 1, &mac, &req),
			 -EAGAIN);
	ck_assert_msg(req != NULL, "after the pool refilled: expected the retry, saw none");
	rte_pktmbuf_free(req);
	assert_counts(&arp, COUNTS([ROCE_ARP_REQ_SENT] = 2, [ROCE_ARP_NO_MBUF] = 1));
	assert_pool_full();
}
END_TEST

START_TEST(icmp_shared_without_mbuf_dropped)
{
	struct roce_arp arp;
	struct rte_mbuf *m, *spare[POOL_SIZE];
	uint8_t f[FRAME_MAX];
	uint32_t len = echo_build(f, 56, false, 0);
	unsigned int n;

	arp_setup(&arp);
	m = mbuf_of(f, len);
	rte_mbuf_refcnt_update(m, 1);
	n = pool_drain(spare, 0);
	ck_assert_msg(roce_arp_input(&arp, m, T0) == NULL, "no mbuf: expected no answer, saw one");
	ck_assert_uint_eq(rte_mbuf_refcnt_read(m), 1);
	pool_refill(spare, n);
	rte_pktmbuf_free(m);
	assert_counts(&arp, COUNTS([ROCE_ARP_NO_MBUF] = 1));
	assert_pool_full();
}
END_TEST

static Suite *
arp_suite(void)
{
	Suite *s = suite_create("arp");
	TCase *tc = tcase_create("arp");
	TCase *icmp = tcase_create("icmp");
	TCase *neg = tcase_create("negative");

	tcase_add_test(tc, arp_request_for_us_answered_exactly);
	tcase_add_test(tc, arp_request_for_us_learns_sender);
	tcase_add_test(tc, arp_request_for_other_ip_ignored);
	tcase_add_test(tc, arp_request_for_other_ip_refreshes_known_sender);
	tcase_add_test(tc, arp_resolve_sends_exact_request);
	tcase_add_test(tc, arp_reply_to_resolve_makes_entry_reachable);
	tcase_add_test(tc, arp_unsolicited_reply_not_learnt);
	tcase_add_test(tc, arp_static_not_overwritten_by_reply);
	tcase_add_test(tc, arp_static_not_overwritten_by_gratuitous);
	tcase_add_test(tc, arp_gratuitous_updates_learnt_entry);
	tcase_add_test(tc, arp_set_static_overwrites_learnt_entry);
	tcase_add_test(tc, arp_other_opcodes_ignored);
	tcase_add_test(tc, arp_probe_answered_not_learnt);
	tcase_add_test(tc, arp_sender_with_our_address_ignored);
	tcase_add_test(tc, arp_resolve_rate_limited_per_entry);
	tcase_add_test(tc, arp_learns_unresolved_peer_only);
	tcase_add_test(tc, arp_table_full_reuses_oldest_non_static);
	tcase_add_test(tc, arp_table_full_of_static);
	tcase_add_test(tc, arp_vlan_claimed_and_answered_with_tag);
	tcase_add_test(tc, arp_split_request_answered);
	tcase_add_test(tc, arp_shared_request_answered_in_new_mbuf);
	tcase_add_test(tc, arp_counter_names_complete);

	tcase_add_test(icmp, icmp_echo_request_answered);
	tcase_add_test(icmp, icmp_echo_odd_payload_answered);
	tcase_add_test(icmp, icmp_echo_two_segments_answered);
	tcase_add_test(icmp, icmp_echo_shared_mbuf_answered_from_copy);
	tcase_add_test(icmp, icmp_vlan_echo_answered_with_tag);
	tcase_add_test(icmp, icmp_to_other_address_not_claimed);
	tcase_add_test(icmp, roce_udp_to_us_not_claimed);
	tcase_add_test(icmp, claims_reads_first_segment_only);
	tcase_add_test(icmp, icmp_other_than_plain_echo_request_ignored);
	tcase_add_test(icmp, icmp_echo_request_and_reply_counted);
	tcase_add_test(icmp, icmp_echo_data_kept);

	tcase_add_test(neg, arp_truncated_at_every_length_malformed);
	tcase_add_test(neg, arp_bad_header_fields_malformed);
	tcase_add_test(neg, icmp_truncated_at_every_length_malformed);
	tcase_add_test(neg, icmp_bad_ip_header_malformed);
	tcase_add_test(neg, icmp_bad_checksum_malformed);
	tcase_add_test(neg, arp_resolve_without_mbuf_enomem);
	tcase_add_test(neg, arp_retry_without_mbuf_enomem);
	tcase_add_test(neg, icmp_shared_without_mbuf_dropped);

	tcase_add_checked_fixture(tc, pool_mark, NULL);
	tcase_add_checked_fixture(icmp, pool_mark, NULL);
	tcase_add_checked_fixture(neg, pool_mark, NULL);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, icmp);
	suite_add_tcase(s, neg);
	return s;
}

int
main(int argc, char **argv)
{
	int failed;

	(void)argc;
	if (test_eal_init(argv[0], "arp", 64) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_arp", POOL_SIZE, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	failed = test_run_nofork(arp_suite());
	if (rte_mempool_avail_count(pool) != POOL_SIZE) {
		fprintf(stderr, "mbuf leak: expected %u mbufs free at the end, saw %u\n",
			POOL_SIZE, rte_mempool_avail_count(pool));
		failed++;
	}
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
