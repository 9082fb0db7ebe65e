/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame validation: Ethernet -> IPv4 -> UDP 4791 -> BTH -> extension
 * headers -> ICRC. Validate first, decode after; one status per reason,
 * checked in wire order, each counted. Never reads past the segments.
 */
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "roce_byteorder.h"
#include "roce_pkt.h"
#include "roce_wire.h"

static const char *const status_str[ROCE_PARSE_NSTATUS] = {
	[ROCE_PARSE_OK] = "ok",
	[ROCE_PARSE_TOO_SHORT] = "frame too short",
	[ROCE_PARSE_TOO_MANY_SEGS] = "too many segments",
	[ROCE_PARSE_NOT_IPV4] = "not IPv4",
	[ROCE_PARSE_BAD_IP_HDR] = "bad IPv4 header",
	[ROCE_PARSE_NOT_ROCE] = "not UDP port 4791",
	[ROCE_PARSE_IP_FRAGMENT] = "IPv4 fragment",
	[ROCE_PARSE_BAD_UDP_LEN] = "bad UDP length",
	[ROCE_PARSE_BAD_BTH_VERSION] = "bad BTH transport version",
	[ROCE_PARSE_UNKNOWN_OPCODE] = "unknown opcode",
	[ROCE_PARSE_BAD_LENGTH] = "length inconsistent with opcode",
	[ROCE_PARSE_BAD_PAD] = "bad pad count",
	[ROCE_PARSE_BAD_IP_CSUM] = "bad IPv4 checksum",
	[ROCE_PARSE_BAD_ICRC] = "bad ICRC",
};
static_assert(RTE_DIM(status_str) == ROCE_PARSE_NSTATUS, "a string per status");

static const char *const status_counter[ROCE_PARSE_NSTATUS] = {
	[ROCE_PARSE_OK] = "rx_ok",
	[ROCE_PARSE_TOO_SHORT] = "rx_too_short",
	[ROCE_PARSE_TOO_MANY_SEGS] = "rx_too_many_segs",
	[ROCE_PARSE_NOT_IPV4] = "rx_not_ipv4",
	[ROCE_PARSE_BAD_IP_HDR] = "rx_bad_ip_hdr",
	[ROCE_PARSE_NOT_ROCE] = "rx_not_roce",
	[ROCE_PARSE_IP_FRAGMENT] = "rx_ip_fragment",
	[ROCE_PARSE_BAD_UDP_LEN] = "rx_bad_udp_len",
	[ROCE_PARSE_BAD_BTH_VERSION] = "rx_bad_bth_version",
	[ROCE_PARSE_UNKNOWN_OPCODE] = "rx_unknown_opcode",
	[ROCE_PARSE_BAD_LENGTH] = "rx_bad_length",
	[ROCE_PARSE_BAD_PAD] = "rx_bad_pad",
	[ROCE_PARSE_BAD_IP_CSUM] = "rx_bad_ip_csum",
	[ROCE_PARSE_BAD_ICRC] = "rx_bad_icrc",
};
static_assert(RTE_DIM(status_counter) == ROCE_PARSE_NSTATUS, "a counter name per status");

const char *
roce_parse_status_str(enum roce_parse_status status)
{
	return (unsigned int)status < ROCE_PARSE_NSTATUS ? status_str[status] : "?";
}

const char *
roce_parse_status_counter(enum roce_parse_status status)
{
	return (unsigned int)status < ROCE_PARSE_NSTATUS ? status_counter[status] : "?";
}

void
roce_parser_init(struct roce_parser *parser, const struct roce_crc32_ops *crc, uint32_t flags)
{
	memset(parser, 0, sizeof(*parser));
	parser->crc = crc;
	parser->flags = flags;
}

/* Enough for the longest header block we accept: Ethernet + VLAN +
 * IPv4 with options + UDP + BTH + AtomicETH = 126 bytes. */
#define HDR_WINDOW 128u

/* Copy @p len bytes at frame offset @p off out of the segments. */
static void
seg_copy(const struct roce_buf *seg, unsigned int nseg, uint32_t off, uint32_t len,
	 uint8_t *dst)
{
	unsigned int i;

	for (i = 0; i < nseg && len > 0; i++) {
		uint32_t n;

		if (seg[i].len == 0)
			continue;
		if (off >= seg[i].len) {
			off -= seg[i].len;
			continue;
		}
		n = RTE_MIN(len, seg[i].len - off);
		memcpy(dst, (const uint8_t *)seg[i].data + off, n);
		dst += n;
		len -= n;
		off = 0;
	}
}

/* Decode the extension headers the opcode carries (IBTA 9.3). */
static void
decode_ext(const uint8_t *bth, const struct roce_opcode_info *info, struct roce_pkt *pkt)
{
	const uint8_t *h;

	if (info->mask & ROCE_OPF_RETH) {
		h = bth + info->offset[ROCE_HDR_RETH];
		pkt->reth.va = roce_get_be64(h + offsetof(struct roce_reth, va));
		pkt->reth.rkey = roce_get_be32(h + offsetof(struct roce_reth, rkey));
		pkt->reth.dma_len = roce_get_be32(h + offsetof(struct roce_reth, dma_len));
	}
	if (info->mask & ROCE_OPF_AETH) {
		uint32_t v = roce_get_be32(bth + info->offset[ROCE_HDR_AETH]);

		pkt->aeth.syndrome = v >> 24;
		pkt->aeth.msn = v & ROCE_24BIT_MASK;
	}
	if (info->mask & ROCE_OPF_ATMETH) {
		h = bth + info->offset[ROCE_HDR_ATMETH];
		pkt->atmeth.va = roce_get_be64(h + offsetof(struct roce_atmeth, va));
		pkt->atmeth.rkey = roce_get_be32(h + offsetof(struct roce_atmeth, rkey));
		pkt->atmeth.swap_add = roce_get_be64(h + offsetof(struct roce_atmeth, swap_add));
		pkt->atmeth.compare = roce_get_be64(h + offsetof(struct roce_atmeth, compare));
	}
	if (info->mask & ROCE_OPF_ATMACK)
		pkt->atmack_orig = roce_get_be64(bth + info->offset[ROCE_HDR_ATMACK]);
	if (info->mask & ROCE_OPF_IMMDT)
		pkt->imm = roce_get_be32(bth + info->offset[ROCE_HDR_IMMDT]);
	if (info->mask & ROCE_OPF_IETH)
		pkt->ieth_rkey = roce_get_be32(bth + info->offset[ROCE_HDR_IETH]);
}

/*
 * A frame is foreign (not RoCEv2, handed elsewhere) only if its IPv4
 * header is intact: a bit flipped in the protocol or IHL of a RoCEv2 frame
 * must count as damage, not as someone else's traffic.
 */
static enum roce_parse_status
foreign_or_corrupt(const struct rte_ipv4_hdr *ip, uint32_t ihl)
{
	return rte_raw_cksum(ip, ihl) == 0xffff ? ROCE_PARSE_NOT_ROCE : ROCE_PARSE_BAD_IP_CSUM;
}

static enum roce_parse_status
parse(const struct roce_parser *parser, const struct roce_buf *seg, unsigned int nseg,
      struct roce_pkt *pkt)
{
	uint8_t window[HDR_WINDOW];
	const uint8_t *f;	/* the first bytes of the frame, contiguous */
	uint32_t flen = 0;	/* bytes of the frame given */
	uint32_t wlen;		/* bytes readable at f */
	uint32_t off, ihl, tot_len, udp_len, rest;
	const struct roce_opcode_info *info;
	const struct rte_ipv4_hdr *ip;
	const struct roce_bth *bth;
	uint16_t ether_type, frag;
	uint8_t icrc_wire[ROCE_ICRC_LEN];
	unsigned int i;

	memset(pkt, 0, sizeof(*pkt));
	if (nseg > ROCE_PARSE_MAX_SEGS)
		return ROCE_PARSE_TOO_MANY_SEGS;
	for (i = 0; i < nseg; i++)
		flen += seg[i].len;
	if (nseg == 0)
		return ROCE_PARSE_TOO_SHORT;
	if (seg[0].len >= RTE_MIN(flen, HDR_WINDOW)) {
		f = seg[0].data;
		wlen = seg[0].len;
	} else {	/* headers split across segments: gather them */
		wlen = RTE_MIN(flen, HDR_WINDOW);
		seg_copy(seg, nseg, 0, wlen, window);
		f = window;
	}

	/* Ethernet, with at most one 802.1Q tag. */
	if (wlen < sizeof(struct rte_ether_hdr))
		return ROCE_PARSE_TOO_SHORT;
	memcpy(&pkt->eth_dst, f, RTE_ETHER_ADDR_LEN);
	memcpy(&pkt->eth_src, f + RTE_ETHER_ADDR_LEN, RTE_ETHER_ADDR_LEN);
	ether_type = roce_get_be16(f + 2 * RTE_ETHER_ADDR_LEN);
	off = sizeof(struct rte_ether_hdr);
	if (ether_type == RTE_ETHER_TYPE_VLAN) {
		if (wlen < off + sizeof(struct rte_vlan_hdr))
			return ROCE_PARSE_TOO_SHORT;
		pkt->has_vlan = true;
		pkt->vlan_tci = roce_get_be16(f + off);
		ether_type = roce_get_be16(f + off + 2);
		off += sizeof(struct rte_vlan_hdr);
	}
	if (ether_type != RTE_ETHER_TYPE_IPV4)
		return ROCE_PARSE_NOT_IPV4;

	/* IPv4 (RFC 791). */
	pkt->l3_off = off;
	if (wlen < off + sizeof(struct rte_ipv4_hdr))
		return ROCE_PARSE_TOO_SHORT;
	ip = (const struct rte_ipv4_hdr *)(f + off);
	ihl = (ip->version_ihl & RTE_IPV4_HDR_IHL_MASK) * RTE_IPV4_IHL_MULTIPLIER;
	if ((ip->version_ihl >> 4) != 4 || ihl < sizeof(struct rte_ipv4_hdr))
		return ROCE_PARSE_BAD_IP_HDR;
	if (wlen < off + ihl)
		return ROCE_PARSE_TOO_SHORT;
	pkt->ip_hdr_len = ihl;
	pkt->ip_tos = ip->type_of_service;
	pkt->ip_ttl = ip->time_to_live;
	pkt->ip_id = rte_be_to_cpu_16(ip->packet_id);
	pkt->ip_src = rte_be_to_cpu_32(ip->src_addr);
	pkt->ip_dst = rte_be_to_cpu_32(ip->dst_addr);
	frag = rte_be_to_cpu_16(ip->fragment_offset);
	pkt->ip_df = frag & RTE_IPV4_HDR_DF_FLAG;
	if (ip->next_proto_id != IPPROTO_UDP)
		return foreign_or_corrupt(ip, ihl);
	/* A non-first fragment has no UDP header to look at. */
	if (frag & RTE_IPV4_HDR_OFFSET_MASK)
		return ROCE_PARSE_IP_FRAGMENT;
	tot_len = rte_be_to_cpu_16(ip->total_length);
	if (tot_len < ihl + sizeof(struct rte_udp_hdr))
		return ROCE_PARSE_BAD_IP_HDR;
	if (flen < off + tot_len)
		return ROCE_PARSE_TOO_SHORT;

	/* UDP (RFC 768); the port says whether this is ours at all. */
	off += ihl;
	if (wlen < off + sizeof(struct rte_udp_hdr))
		return ROCE_PARSE_TOO_SHORT;
	pkt->udp_sport = roce_get_be16(f + off);
	if (roce_get_be16(f + off + 2) != ROCE_UDP_PORT)
		return foreign_or_corrupt(ip, ihl);
	if (frag & RTE_IPV4_HDR_MF_FLAG)
		return ROCE_PARSE_IP_FRAGMENT;
	udp_len = roce_get_be16(f + off + 4);
	if (udp_len != tot_len - ihl)
		return ROCE_PARSE_BAD_UDP_LEN;
	/* The UDP checksum is not checked: RoCEv2 senders set it to 0 (A17.4.3). */

	/* BTH (IBTA 9.2). */
	off += sizeof(struct rte_udp_hdr);
	pkt->bth_off = off;
	if (udp_len < sizeof(struct rte_udp_hdr) + sizeof(struct roce_bth) + ROCE_ICRC_LEN)
		return ROCE_PARSE_TOO_SHORT;
	bth = (const struct roce_bth *)(f + off);
	pkt->opcode = bth->opcode;
	pkt->se = roce_bth_se(bth);
	pkt->migreq = roce_bth_migreq(bth);
	pkt->padcnt = roce_bth_padcnt(bth);
	pkt->pkey = roce_bth_pkey(bth);
	pkt->fecn = roce_bth_fecn(bth);
	pkt->becn = roce_bth_becn(bth);
	pkt->dqpn = roce_bth_dqpn(bth);
	pkt->ackreq = roce_bth_ackreq(bth);
	pkt->psn = roce_bth_psn(bth);
	if (roce_bth_tver(bth) != ROCE_BTH_TVER)
		return ROCE_PARSE_BAD_BTH_VERSION;
	info = roce_opcode_info(bth->opcode);
	if (info == NULL)
		return ROCE_PARSE_UNKNOWN_OPCODE;
	pkt->info = info;

	/* Lengths: headers, payload + pad, ICRC must fill the UDP datagram. */
	if (udp_len < sizeof(struct rte_udp_hdr) + info->length + ROCE_ICRC_LEN)
		return ROCE_PARSE_BAD_LENGTH;
	rest = udp_len - sizeof(struct rte_udp_hdr) - info->length - ROCE_ICRC_LEN;
	if (!(info->mask & ROCE_OPF_PAYLOAD)) {
		if (rest != 0)
			return ROCE_PARSE_BAD_LENGTH;
		if (pkt->padcnt != 0)
			return ROCE_PARSE_BAD_PAD;
	} else {
		/* C9-10..C9-12: payload + pad is a whole number of 4-byte words,
		 * and only the last packet of a message is padded. */
		if (rest & 3)
			return ROCE_PARSE_BAD_LENGTH;
		if (pkt->padcnt > rest)
			return ROCE_PARSE_BAD_PAD;
		if (pkt->padcnt != 0 && !(info->mask & ROCE_OPF_END))
			return ROCE_PARSE_BAD_PAD;
	}
	if (wlen < off + info->length)
		return ROCE_PARSE_TOO_SHORT;
	decode_ext(f + off, info, pkt);

	pkt->payload_off = off + info->length;
	pkt->payload_len = (info->mask & ROCE_OPF_PAYLOAD) ? rest - pkt->padcnt : 0;
	pkt->frame_len = pkt->l3_off + tot_len;

	if (seg[0].len >= pkt->frame_len) {
		pkt->icrc = roce_icrc_load((const uint8_t *)seg[0].data + pkt->frame_len -
					   ROCE_ICRC_LEN);
	} else {
		seg_copy(seg, nseg, pkt->frame_len - ROCE_ICRC_LEN, ROCE_ICRC_LEN, icrc_wire);
		pkt->icrc = roce_icrc_load(icrc_wire);
	}

	/* For RoCEv2 frames, checked once the layout is known, so that a frame
	 * rejected for its IP checksum can still be shown whole (roce-dump). */
	if (rte_raw_cksum(ip, ihl) != 0xffff)
		return ROCE_PARSE_BAD_IP_CSUM;
	if (!(parser->flags & ROCE_PARSE_F_NO_ICRC) &&
	    roce_icrc_calc(parser->crc, seg, nseg, pkt->l3_off, ihl,
			   pkt->frame_len - ROCE_ICRC_LEN) != pkt->icrc)
		return ROCE_PARSE_BAD_ICRC;
	return ROCE_PARSE_OK;
}

enum roce_parse_status
roce_parse(struct roce_parser *parser, const struct roce_buf *seg, unsigned int nseg,
	   struct roce_pkt *pkt)
{
	enum roce_parse_status status = parse(parser, seg, nseg, pkt);

	parser->count[status]++;
	return status;
}
