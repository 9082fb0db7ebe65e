/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICMP echo of one port (RFC 792): answer echo requests to our address,
 * so the port can be pinged; send requests and count the replies, which
 * tells that a link works both ways; keep the data of the last request
 * each neighbour sent (its first ROCE_ECHO_DATA_MAX bytes), so a ping
 * carries a small message outside any QP. Frames come from
 * roce_arp_input(), validated as far as Ethernet.
 */
#include <errno.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_mbuf.h>

#include "roce_neigh.h"
#include "roce_neigh_frame.h"

/* ---- mbufs ---- */

/* Copy @p len bytes at frame offset @p off into the segments. */
static void
mbuf_write(struct rte_mbuf *m, uint32_t off, uint32_t len, const uint8_t *src)
{
	for (; m != NULL && len > 0; m = m->next) {
		uint32_t seg_len = rte_pktmbuf_data_len(m), n;

		if (off >= seg_len) {
			off -= seg_len;
			continue;
		}
		n = RTE_MIN(len, seg_len - off);
		memcpy(rte_pktmbuf_mtod_offset(m, uint8_t *, off), src, n);
		src += n;
		len -= n;
		off = 0;
	}
}

/*
 * The folded, uncomplemented RFC 1071 sum of @p len bytes at @p off,
 * across segments (the caller checks the frame holds them). Not
 * rte_raw_cksum_mbuf(): in DPDK 22.11 it truncates the sum of a segment
 * that starts at an odd offset.
 */
static uint16_t
mbuf_cksum(const struct rte_mbuf *m, uint32_t off, uint32_t len)
{
	uint32_t sum = 0, done = 0;

	for (; m != NULL && len > 0; m = m->next) {
		uint32_t seg_len = rte_pktmbuf_data_len(m), n;
		uint16_t s;

		if (off >= seg_len) {
			off -= seg_len;
			continue;
		}
		n = RTE_MIN(len, seg_len - off);
		s = rte_raw_cksum(rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n);
		/* A piece starting at an odd offset fills the other byte of
		 * each word: its sum byte-swapped (RFC 1071 2.(B)). */
		sum += (done & 1) ? rte_bswap16(s) : s;
		sum = (sum & 0xffff) + (sum >> 16);
		done += n;
		len -= n;
		off = 0;
	}
	return (uint16_t)sum;
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') when word m becomes m'. */
static uint16_t
cksum_adjust(uint16_t hc, uint16_t old, uint16_t new)
{
	uint32_t sum = (uint16_t)~hc + (uint16_t)~old + (uint32_t)new;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Every segment ours alone to write: no clone, no shared buffer. */
static bool
mbuf_writable(const struct rte_mbuf *m)
{
	for (; m != NULL; m = m->next)
		if (!RTE_MBUF_DIRECT(m) || rte_mbuf_refcnt_read(m) != 1)
			return false;
	return true;
}


/* ---- Requests in, replies out ---- */

/* RFC 1122 3.2.1.3: a source that is not one host. */
static bool
ipv4_bad_source(uint32_t ip)
{
	return ip == 0 ||			/* this host, only while booting */
	       (ip >> 24) == 127 ||		/* loopback */
	       (ip >> 28) >= 0xe;		/* multicast, class E, broadcast */
}

struct rte_mbuf *
roce_echo_input(struct roce_arp *arp, struct rte_mbuf *m, struct roce_neigh_frame *f,
		 uint64_t now_ns)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f->hdr;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_ether_addr tmp;
	uint32_t l3_off = f->l3_off, ihl, tot_len, l4_off;
	uint16_t old, new;

	/* The IPv4 header (RFC 791): whole, consistent, checksummed; the
	 * datagram in the frame (what follows it is Ethernet padding). */
	if (f->len < l3_off + IPV4_HLEN_MIN)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	ip = (struct rte_ipv4_hdr *)(f->hdr + l3_off);
	ihl = rte_ipv4_hdr_len(ip);
	if ((ip->version_ihl >> 4) != IPVERSION || ihl < IPV4_HLEN_MIN)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	tot_len = rte_be_to_cpu_16(ip->total_length);
	if (tot_len < ihl || rte_pktmbuf_pkt_len(m) < l3_off + tot_len)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	/* RFC 1122 3.2.1.2: a bad header checksum is silently discarded. */
	if (rte_raw_cksum(ip, ihl) != 0xffff)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	if (ip->next_proto_id != IPPROTO_ICMP || ip->dst_addr != rte_cpu_to_be_32(arp->ipv4))
		return roce_neigh_drop(arp, m, ROCE_ARP_IGNORED);
	if (ipv4_bad_source(rte_be_to_cpu_32(ip->src_addr)))
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	/* A fragment would need reassembly, which we do not do. */
	if (ip->fragment_offset & RTE_BE16(RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))
		return roce_neigh_drop(arp, m, ROCE_ARP_IGNORED);

	/* ICMP (RFC 792): an echo request, checksummed over the message. */
	l4_off = l3_off + ihl;
	if (tot_len < ihl + ICMP_HLEN)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	icmp = (struct rte_icmp_hdr *)(f->hdr + l4_off);
	if (icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST &&
	    icmp->icmp_type != RTE_IP_ICMP_ECHO_REPLY)
		return roce_neigh_drop(arp, m, ROCE_ARP_IGNORED);
	if (icmp->icmp_code != 0)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	if (mbuf_cksum(m, l4_off, tot_len - ihl) != 0xffff)
		return roce_neigh_drop(arp, m, ROCE_ARP_MALFORMED);
	/* RFC 1122 3.3.6: a unicast datagram that came by link-layer
	 * broadcast is discarded; and one for another station is not ours. */
	if (!rte_is_same_ether_addr(&eth->dst_addr, &arp->mac))
		return roce_neigh_drop(arp, m, ROCE_ARP_IGNORED);
	if (icmp->icmp_type == RTE_IP_ICMP_ECHO_REPLY) {
		/* The answer to one of our requests: the link works both ways. */
		struct roce_neigh *e = roce_neigh_find(arp, rte_be_to_cpu_32(ip->src_addr));

		if (e != NULL) {
			e->echo_replies++;
			e->last_echo_ns = now_ns;
		}
		arp->count[ROCE_ARP_ICMP_REPLY_RCVD]++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	/* RFC 1122 3.2.2.6 asks that Record Route and Timestamp be updated
	 * and echoed, and a source route reversed: no options here, so we
	 * answer only requests without them. */
	if (ihl != IPV4_HLEN_MIN)
		return roce_neigh_drop(arp, m, ROCE_ARP_IGNORED);

	/* The data of a neighbour's request is kept (its first
	 * ROCE_ECHO_DATA_MAX bytes): a ping may carry a small message outside
	 * any QP, such as a link keepalive's. */
	{
		struct roce_neigh *e = roce_neigh_find(arp, rte_be_to_cpu_32(ip->src_addr));
		uint32_t data_len = tot_len - ihl - ICMP_HLEN;

		if (e != NULL && data_len > 0) {
			const void *d;

			e->echo_data_len = RTE_MIN(data_len, (uint32_t)ROCE_ECHO_DATA_MAX);
			/* Copies only when the data straddles segments. */
			d = rte_pktmbuf_read(m, l4_off + ICMP_HLEN, e->echo_data_len, e->echo_data);
			if (d != NULL && d != e->echo_data)
				memcpy(e->echo_data, d, e->echo_data_len);
			e->echo_data_count++;
		}
	}

	if (!mbuf_writable(m)) {
		struct rte_mbuf *copy = rte_pktmbuf_copy(m, arp->pool, 0, UINT32_MAX);

		rte_pktmbuf_free(m);
		if (copy == NULL)
			return roce_neigh_drop(arp, NULL, ROCE_ARP_NO_MBUF);
		m = copy;
	}

	/* RFC 792 echo reply: addresses swapped, type 0, identifier,
	 * sequence number and data as received. */
	tmp = eth->dst_addr;
	eth->dst_addr = eth->src_addr;
	eth->src_addr = tmp;
	ip->dst_addr = ip->src_addr;
	ip->src_addr = rte_cpu_to_be_32(arp->ipv4);
	ip->time_to_live = TTL_DEFAULT;
	ip->hdr_checksum = 0;
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	memcpy(&old, &icmp->icmp_type, sizeof(old));	/* the type/code word */
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
	memcpy(&new, &icmp->icmp_type, sizeof(new));
	icmp->icmp_cksum = cksum_adjust(icmp->icmp_cksum, old, new);
	mbuf_write(m, 0, l4_off + ICMP_HLEN, f->hdr);
	/* Nothing the receive side set means anything on transmit. */
	m->ol_flags &= RTE_MBUF_F_EXTERNAL;
	m->tx_offload = 0;
	m->packet_type = 0;
	arp->count[ROCE_ARP_ICMP_ECHO]++;
	return m;
}

/* ---- Requests out, replies in ---- */

int
roce_echo_request(struct roce_arp *arp, uint32_t ipv4, uint16_t id, uint16_t seq,
		  const void *data, uint8_t len, uint64_t now_ns, struct rte_mbuf **frame)
{
	struct rte_ether_addr mac;
	struct rte_ether_hdr *eth;
	struct rte_ipv4_hdr *ip;
	struct rte_icmp_hdr *icmp;
	struct rte_mbuf *m;
	uint32_t data_len, frame_len;
	int rc;

	if (len > ROCE_ECHO_DATA_MAX)
		return -EINVAL;
	data_len = len ? len : sizeof(uint64_t);
	frame_len = ETH_HLEN + IPV4_HLEN_MIN + ICMP_HLEN + data_len;

	rc = roce_arp_resolve(arp, ipv4, now_ns, &mac, frame);
	if (rc != 0)
		return rc;
	m = rte_pktmbuf_alloc(arp->pool);
	if (m == NULL || rte_pktmbuf_append(m, RTE_MAX(frame_len, (uint32_t)RTE_ETHER_MIN_LEN -
							  RTE_ETHER_CRC_LEN)) == NULL) {
		rte_pktmbuf_free(m);
		arp->count[ROCE_ARP_NO_MBUF]++;
		return -ENOMEM;
	}
	memset(rte_pktmbuf_mtod(m, void *), 0, m->data_len);
	eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	eth->dst_addr = mac;
	eth->src_addr = arp->mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	ip = (struct rte_ipv4_hdr *)(eth + 1);
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(IPV4_HLEN_MIN + ICMP_HLEN + data_len);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = TTL_DEFAULT;
	ip->next_proto_id = IPPROTO_ICMP;
	ip->src_addr = rte_cpu_to_be_32(arp->ipv4);
	ip->dst_addr = rte_cpu_to_be_32(ipv4);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	icmp = (struct rte_icmp_hdr *)(ip + 1);
	icmp->icmp_type = RTE_IP_ICMP_ECHO_REQUEST;
	icmp->icmp_ident = rte_cpu_to_be_16(id);
	icmp->icmp_seq_nb = rte_cpu_to_be_16(seq);
	/* Data echoed back as is: the caller's, or our clock. */
	if (len)
		memcpy(icmp + 1, data, len);
	else
		memcpy(icmp + 1, &now_ns, sizeof(now_ns));
	icmp->icmp_cksum = ~rte_raw_cksum(icmp, ICMP_HLEN + data_len);
	arp->count[ROCE_ARP_ICMP_REQ_SENT]++;
	*frame = m;
	return 0;
}

uint64_t
roce_echo_replies(const struct roce_arp *arp, uint32_t ipv4)
{
	const struct roce_neigh *e = roce_neigh_find(arp, ipv4);

	return e != NULL ? e->echo_replies : 0;
}

unsigned int
roce_echo_data(const struct roce_arp *arp, uint32_t ipv4, void *data, unsigned int len,
	       uint64_t *count)
{
	const struct roce_neigh *e = roce_neigh_find(arp, ipv4);
	unsigned int n;

	if (e == NULL) {
		if (count != NULL)
			*count = 0;
		return 0;
	}
	n = RTE_MIN(len, (unsigned int)e->echo_data_len);
	memcpy(data, e->echo_data, n);
	if (count != NULL)
		*count = e->echo_data_count;
	return n;
}
