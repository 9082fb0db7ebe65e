/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbours of one port: the table, ARP (RFC 826), and the entry point
 * for every ARP or ICMP frame to us, which goes on to roce_echo.c when it
 * is ICMP. Every frame is validated from a copy of its headers, then acted
 * on; each one is counted under one reason. Replies reuse the received
 * mbuf when it is ours alone to write, else a copy.
 *
 * Addresses are kept in host order. For an INCOMPLETE entry
 * last_request_ns paces the requests; a learnt entry sends none, so
 * there it holds when the entry was last heard from. Either way it is
 * the entry's last activity, and a full table replaces the least recent
 * non-static entry.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "roce_neigh.h"
#include "roce_neigh_frame.h"

const char *const roce_arp_counter_names[] = {
	[ROCE_ARP_REQ_RCVD] = "arp_req_rcvd",
	[ROCE_ARP_REPLY_SENT] = "arp_reply_sent",
	[ROCE_ARP_REPLY_RCVD] = "arp_reply_rcvd",
	[ROCE_ARP_REQ_SENT] = "arp_req_sent",
	[ROCE_ARP_ICMP_ECHO] = "icmp_echo",
	[ROCE_ARP_ICMP_REQ_SENT] = "icmp_req_sent",
	[ROCE_ARP_ICMP_REPLY_RCVD] = "icmp_reply_rcvd",
	[ROCE_ARP_IGNORED] = "arp_ignored",
	[ROCE_ARP_MALFORMED] = "arp_malformed",
	[ROCE_ARP_NO_MBUF] = "arp_no_mbuf",
	[ROCE_ARP_TABLE_FULL] = "arp_table_full",
	[ROCE_ARP_LEARNT_FROM_PEER] = "arp_learnt_from_peer",
};
static_assert(RTE_DIM(roce_arp_counter_names) == ROCE_ARP_NCOUNTERS, "a name per counter");

static const struct rte_ether_addr ether_bcast = {
	.addr_bytes = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
};
static const struct rte_ether_addr ether_zero;

void
roce_arp_init(struct roce_arp *arp, uint32_t ipv4, const struct rte_ether_addr *mac,
	      struct rte_mempool *pool)
{
	memset(arp, 0, sizeof(*arp));	/* every entry ROCE_NEIGH_FREE */
	arp->ipv4 = ipv4;
	arp->mac = *mac;
	arp->pool = pool;
}

/* ---- The table ---- */

struct roce_neigh *
roce_neigh_find(const struct roce_arp *arp, uint32_t ipv4)
{
	unsigned int i;

	for (i = 0; i < ROCE_ARP_ENTRIES; i++)
		if (arp->neigh[i].state != ROCE_NEIGH_FREE && arp->neigh[i].ipv4 == ipv4)
			return (struct roce_neigh *)&arp->neigh[i];
	return NULL;
}

/*
 * Where a new entry goes: a free one, else the non-static one least
 * recently active (*replaced set). NULL when every entry is static.
 * Nothing is changed: the caller commits.
 */
static struct roce_neigh *
neigh_slot(struct roce_arp *arp, bool *replaced)
{
	struct roce_neigh *e, *oldest = NULL;
	unsigned int i;

	for (i = 0; i < ROCE_ARP_ENTRIES; i++) {
		e = &arp->neigh[i];
		if (e->state == ROCE_NEIGH_FREE) {
			*replaced = false;
			return e;
		}
		if (e->state != ROCE_NEIGH_STATIC &&
		    (oldest == NULL || e->last_request_ns < oldest->last_request_ns))
			oldest = e;
	}
	*replaced = true;
	return oldest;
}

/* A new entry, replacing the oldest if need be; NULL if all are static. */
static struct roce_neigh *
neigh_new(struct roce_arp *arp, uint32_t ipv4, enum roce_neigh_state state,
	  const struct rte_ether_addr *mac, uint64_t now_ns)
{
	struct roce_neigh *e;
	bool replaced;

	e = neigh_slot(arp, &replaced);
	if (e == NULL || replaced)
		arp->count[ROCE_ARP_TABLE_FULL]++;
	if (e == NULL)
		return NULL;
	memset(e, 0, sizeof(*e));
	e->ipv4 = ipv4;
	e->state = state;
	if (mac != NULL)
		e->mac = *mac;
	e->last_request_ns = now_ns;
	return e;
}

bool
roce_arp_learn_peer(struct roce_arp *arp, uint32_t ipv4, const struct rte_ether_addr *mac,
		    uint64_t now_ns)
{
	struct roce_neigh *e = roce_neigh_find(arp, ipv4);

	if (!rte_is_valid_assigned_ether_addr(mac) ||
	    (e != NULL && e->state != ROCE_NEIGH_INCOMPLETE))
		return false;
	if (e == NULL)
		e = neigh_new(arp, ipv4, ROCE_NEIGH_REACHABLE, mac, now_ns);
	if (e == NULL)
		return false;
	e->mac = *mac;
	e->state = ROCE_NEIGH_REACHABLE;
	e->last_request_ns = now_ns;
	arp->count[ROCE_ARP_LEARNT_FROM_PEER]++;
	return true;
}

int
roce_arp_set_static(struct roce_arp *arp, uint32_t ipv4, const struct rte_ether_addr *mac)
{
	struct roce_neigh *e = roce_neigh_find(arp, ipv4);

	if (e == NULL)
		e = neigh_new(arp, ipv4, ROCE_NEIGH_STATIC, mac, 0);
	if (e == NULL)
		return -ENOSPC;
	e->state = ROCE_NEIGH_STATIC;
	e->mac = *mac;
	return 0;
}

/* An empty single-segment mbuf: @p m itself if it is writable, else a new one. */
static struct rte_mbuf *
mbuf_recycle(struct roce_arp *arp, struct rte_mbuf *m)
{
	if (m != NULL && RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1) {
		if (m->next != NULL)
			rte_pktmbuf_free(m->next);
		rte_pktmbuf_reset(m);
		return m;
	}
	rte_pktmbuf_free(m);
	m = rte_pktmbuf_alloc(arp->pool);
	if (m == NULL)
		arp->count[ROCE_ARP_NO_MBUF]++;
	return m;
}

struct rte_mbuf *
roce_neigh_drop(struct roce_arp *arp, struct rte_mbuf *m, enum roce_arp_counter reason)
{
	arp->count[reason]++;
	rte_pktmbuf_free(m);
	return NULL;
}

/* ---- ARP (RFC 826) ---- */

/*
 * An ARP frame into @p m (recycled; NULL: allocated) from our MAC and
 * address, with the tag @p f carries, if any; padded to the minimum
 * frame. NULL, counted, if no mbuf.
 */
static struct rte_mbuf *
arp_frame(struct roce_arp *arp, struct rte_mbuf *m, const struct roce_neigh_frame *f,
	  uint16_t op, const struct rte_ether_addr *dst, const struct rte_ether_addr *tha,
	  uint32_t tip)
{
	uint32_t l3_off = ETH_HLEN, len;
	struct rte_ether_hdr *eth;
	struct rte_arp_hdr *ah;
	uint8_t *p;

	m = mbuf_recycle(arp, m);
	if (m == NULL)
		return NULL;
	if (f != NULL && f->tagged)
		l3_off += VLAN_HLEN;
	len = RTE_MAX(l3_off + ARP_LEN, (uint32_t)FRAME_MIN);
	p = (uint8_t *)rte_pktmbuf_append(m, len);
	if (p == NULL) {	/* a pool of tiny buffers */
		arp->count[ROCE_ARP_NO_MBUF]++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	memset(p, 0, len);
	eth = (struct rte_ether_hdr *)p;
	eth->dst_addr = *dst;
	eth->src_addr = arp->mac;
	if (l3_off != ETH_HLEN) {
		struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(p + ETH_HLEN);

		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_VLAN);
		vh->vlan_tci = f->tci;
		vh->eth_proto = RTE_BE16(RTE_ETHER_TYPE_ARP);
	} else {
		eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_ARP);
	}
	ah = (struct rte_arp_hdr *)(p + l3_off);
	ah->arp_hardware = RTE_BE16(RTE_ARP_HRD_ETHER);
	ah->arp_protocol = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ah->arp_hlen = RTE_ETHER_ADDR_LEN;
	ah->arp_plen = sizeof(uint32_t);
	ah->arp_opcode = rte_cpu_to_be_16(op);
	ah->arp_data.arp_sha = arp->mac;
	ah->arp_data.arp_sip = rte_cpu_to_be_32(arp->ipv4);
	ah->arp_data.arp_tha = *tha;
	ah->arp_data.arp_tip = rte_cpu_to_be_32(tip);
	return m;
}

static struct rte_mbuf *
arp_input(struct roce_arp *arp, struct rte_mbuf *m, const struct roce_neigh_frame *f,
	  uint64_t now_ns)
{
	const struct rte_arp_hdr *ah;
	struct rte_ether_addr sha;
	struct roce_neigh *e = NULL;
	bool learnable, updated = false;
	uint32_t sip, tip;
	uint16_t op;

	if (f->len < f->l3_off + ARP_LEN)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	ah = (const struct rte_arp_hdr *)(f->hdr + f->l3_off);
	/* RFC 826: a hardware and a protocol we speak, with their lengths. */
	if (ah->arp_hardware != RTE_BE16(RTE_ARP_HRD_ETHER) ||
	    ah->arp_protocol != RTE_BE16(RTE_ETHER_TYPE_IPV4) ||
	    ah->arp_hlen != RTE_ETHER_ADDR_LEN || ah->arp_plen != sizeof(uint32_t))
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	/* A sender is one station, never a group (RFC 1812 3.3.2 says it for routers). */
	sha = ah->arp_data.arp_sha;
	if (!rte_is_valid_assigned_ether_addr(&sha))
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	op = rte_be_to_cpu_16(ah->arp_opcode);
	if (op != RTE_ARP_OP_REQUEST && op != RTE_ARP_OP_REPLY)
		return roce_neigh_drop(arp, m, ROCE_ARP_IGNORED);	/* RARP, InARP */
	sip = rte_be_to_cpu_32(ah->arp_data.arp_sip);
	tip = rte_be_to_cpu_32(ah->arp_data.arp_tip);
	/* A sender with our address is a conflict or our own frame come
	 * back; a probe's sender 0.0.0.0 (RFC 5227) teaches nothing. */
	if (sip == arp->ipv4)
		return roce_neigh_drop(arp, m, ROCE_ARP_IGNORED);
	learnable = sip != 0;

	/* RFC 826 merge: whatever the target, refresh a sender we know
	 * (this is also how a gratuitous ARP is taken); static stays. */
	if (learnable)
		e = roce_neigh_find(arp, sip);
	if (e != NULL && e->state != ROCE_NEIGH_STATIC) {
		e->mac = sha;
		e->state = ROCE_NEIGH_REACHABLE;
		e->last_request_ns = now_ns;
		updated = true;
	}

	if (op == RTE_ARP_OP_REPLY) {
		/* Only a reply that taught us something counts as one: a
		 * sender we never asked for is not added (RFC 1122 2.3.2.1
		 * leaves it open; unsolicited replies fill tables). */
		return roce_neigh_drop(arp, m, updated ? ROCE_ARP_REPLY_RCVD : ROCE_ARP_IGNORED);
	}
	if (tip != arp->ipv4)
		return roce_neigh_drop(arp, m, ROCE_ARP_IGNORED);
	arp->count[ROCE_ARP_REQ_RCVD]++;
	/* RFC 826: "Am I the target? ... If Merge_flag is false, add the
	 * triplet": the requester is about to talk to us. */
	if (learnable && e == NULL)
		neigh_new(arp, sip, ROCE_NEIGH_REACHABLE, &sha, now_ns);
	/* RFC 826: swap sender and target, our addresses as sender, op reply;
	 * sent to the requester (a probe's target address stays 0.0.0.0). */
	m = arp_frame(arp, m, f, RTE_ARP_OP_REPLY, &sha, &sha, sip);
	if (m != NULL)
		arp->count[ROCE_ARP_REPLY_SENT]++;
	return m;
}


/* ---- Entry points ---- */

bool
roce_arp_claims(const struct roce_arp *arp, const struct rte_mbuf *m)
{
	const uint8_t *p = rte_pktmbuf_mtod(m, const uint8_t *);
	uint32_t len = rte_pktmbuf_data_len(m), off = ETH_HLEN;
	const struct rte_ipv4_hdr *ip;
	rte_be16_t type;

	/* The first segment only, and the fewest bytes that decide. */
	if (len < ETH_HLEN)
		return false;
	type = ((const struct rte_ether_hdr *)p)->ether_type;
	if (type == RTE_BE16(RTE_ETHER_TYPE_VLAN)) {
		if (len < ETH_HLEN + VLAN_HLEN)
			return false;
		type = ((const struct rte_vlan_hdr *)(p + ETH_HLEN))->eth_proto;
		off += VLAN_HLEN;
	}
	if (type == RTE_BE16(RTE_ETHER_TYPE_ARP))
		return true;
	if (type != RTE_BE16(RTE_ETHER_TYPE_IPV4) || len < off + IPV4_HLEN_MIN)
		return false;
	ip = (const struct rte_ipv4_hdr *)(p + off);
	return ip->next_proto_id == IPPROTO_ICMP && ip->dst_addr == rte_cpu_to_be_32(arp->ipv4);
}

struct rte_mbuf *
roce_arp_input(struct roce_arp *arp, struct rte_mbuf *m, uint64_t now_ns)
{
	const struct rte_ether_hdr *eth;
	struct roce_neigh_frame f;
	const void *p;

	/* Work on a copy of the headers, wherever the segments split them. */
	f.len = RTE_MIN(rte_pktmbuf_pkt_len(m), HDR_MAX);
	p = rte_pktmbuf_read(m, 0, f.len, f.hdr);
	if (p == NULL)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	if (p != f.hdr)
		memcpy(f.hdr, p, f.len);

	/* Ethernet, with at most one 802.1Q tag. */
	if (f.len < ETH_HLEN)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	eth = (const struct rte_ether_hdr *)f.hdr;
	/* IEEE 802.3: a source address is never a group. */
	if (!rte_is_unicast_ether_addr(&eth->src_addr))
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	f.ether_type = rte_be_to_cpu_16(eth->ether_type);
	f.l3_off = ETH_HLEN;
	f.tagged = false;
	f.tci = 0;
	if (f.ether_type == RTE_ETHER_TYPE_VLAN) {
		const struct rte_vlan_hdr *vh = (const struct rte_vlan_hdr *)(f.hdr + ETH_HLEN);

		if (f.len < ETH_HLEN + VLAN_HLEN)
			return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
		f.tagged = true;
		f.tci = vh->vlan_tci;
		f.ether_type = rte_be_to_cpu_16(vh->eth_proto);
		f.l3_off += VLAN_HLEN;
	}

	switch (f.ether_type) {
	case RTE_ETHER_TYPE_ARP:
		return arp_input(arp, m, &f, now_ns);
	case RTE_ETHER_TYPE_IPV4:
		return roce_echo_input(arp, m, &f, now_ns);
	default:
		return roce_neigh_drop(arp, m, ROCE_ARP_IGNORED);
	}
}

int
roce_arp_resolve(struct roce_arp *arp, uint32_t ipv4, uint64_t now_ns,
		 struct rte_ether_addr *mac, struct rte_mbuf **request)
{
	struct roce_neigh *e = roce_neigh_find(arp, ipv4);
	struct rte_mbuf *m;
	bool replaced = false;

	*request = NULL;
	if (e != NULL && e->state != ROCE_NEIGH_INCOMPLETE) {
		*mac = e->mac;
		return 0;
	}
	/* One request per entry per ROCE_ARP_RETRY_NS (RFC 1122 2.3.2.1:
	 * prevent ARP flooding). */
	if (e != NULL && now_ns - e->last_request_ns < ROCE_ARP_RETRY_NS)
		return -EAGAIN;
	if (e == NULL) {
		/* Choose the slot first, commit only once the request exists. */
		e = neigh_slot(arp, &replaced);
		if (e == NULL) {
			arp->count[ROCE_ARP_TABLE_FULL]++;
			return -ENOMEM;
		}
	}
	m = arp_frame(arp, NULL, NULL, RTE_ARP_OP_REQUEST, &ether_bcast, &ether_zero, ipv4);
	if (m == NULL)
		return -ENOMEM;
	if (e->state == ROCE_NEIGH_FREE || replaced) {
		if (replaced)
			arp->count[ROCE_ARP_TABLE_FULL]++;
		memset(e, 0, sizeof(*e));
		e->ipv4 = ipv4;
		e->state = ROCE_NEIGH_INCOMPLETE;
	}
	e->last_request_ns = now_ns;
	arp->count[ROCE_ARP_REQ_SENT]++;
	*request = m;
	return -EAGAIN;
}
