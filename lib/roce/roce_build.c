/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frame construction: the mirror of roce_parse.c. Headers go in one
 * buffer, the payload stays where it is (the caller's segments), and pad
 * plus ICRC go in a small trailer, so the data path can send registered
 * memory without copying it.
 */
#include <errno.h>
#include <string.h>

#include <rte_ip.h>
#include <rte_udp.h>

#include "roce_byteorder.h"
#include "roce_pkt.h"
#include "roce_wire.h"

/* Encode the extension headers the opcode carries (IBTA 9.3). */
static void
encode_ext(uint8_t *bth, const struct roce_opcode_info *info, const struct roce_pkt *pkt)
{
	uint8_t *h;

	if (info->mask & ROCE_OPF_RETH) {
		h = bth + info->offset[ROCE_HDR_RETH];
		roce_put_be64(h + offsetof(struct roce_reth, va), pkt->reth.va);
		roce_put_be32(h + offsetof(struct roce_reth, rkey), pkt->reth.rkey);
		roce_put_be32(h + offsetof(struct roce_reth, dma_len), pkt->reth.dma_len);
	}
	if (info->mask & ROCE_OPF_AETH)
		roce_put_be32(bth + info->offset[ROCE_HDR_AETH],
			 ((uint32_t)pkt->aeth.syndrome << 24) | (pkt->aeth.msn & ROCE_24BIT_MASK));
	if (info->mask & ROCE_OPF_ATMETH) {
		h = bth + info->offset[ROCE_HDR_ATMETH];
		roce_put_be64(h + offsetof(struct roce_atmeth, va), pkt->atmeth.va);
		roce_put_be32(h + offsetof(struct roce_atmeth, rkey), pkt->atmeth.rkey);
		roce_put_be64(h + offsetof(struct roce_atmeth, swap_add), pkt->atmeth.swap_add);
		roce_put_be64(h + offsetof(struct roce_atmeth, compare), pkt->atmeth.compare);
	}
	if (info->mask & ROCE_OPF_ATMACK)
		roce_put_be64(bth + info->offset[ROCE_HDR_ATMACK], pkt->atmack_orig);
	if (info->mask & ROCE_OPF_IMMDT)
		roce_put_be32(bth + info->offset[ROCE_HDR_IMMDT], pkt->imm);
	if (info->mask & ROCE_OPF_IETH)
		roce_put_be32(bth + info->offset[ROCE_HDR_IETH], pkt->ieth_rkey);
	if (info->mask & ROCE_OPF_CNP)
		memset(bth + info->offset[ROCE_HDR_CNP], 0, ROCE_CNP_RSVD_LEN);
}

int
roce_build_hdr(struct roce_pkt *pkt, void *hdr, uint32_t cap)
{
	const struct roce_opcode_info *info = roce_opcode_info(pkt->opcode);
	uint8_t *f = hdr;
	uint32_t l2_len, hdr_len, udp_len;
	struct rte_ipv4_hdr ip;
	struct rte_udp_hdr udp;
	struct roce_bth *bth;
	uint16_t type;

	if (info == NULL)
		return -EINVAL;
	if (!(info->mask & ROCE_OPF_PAYLOAD) && pkt->payload_len != 0)
		return -EINVAL;
	pkt->info = info;
	pkt->padcnt = (info->mask & ROCE_OPF_PAYLOAD) ? (-pkt->payload_len) & 3 : 0;
	/* C9-10: only the last packet of a message is padded; the first and
	 * middle ones carry whole MTUs, multiples of 4. */
	if (pkt->padcnt != 0 && !(info->mask & ROCE_OPF_END))
		return -EINVAL;

	l2_len = sizeof(struct rte_ether_hdr) + (pkt->has_vlan ? sizeof(struct rte_vlan_hdr) : 0);
	hdr_len = l2_len + sizeof(ip) + sizeof(udp) + info->length;
	if (pkt->payload_len > UINT16_MAX)
		return -EINVAL;
	udp_len = sizeof(udp) + info->length + pkt->payload_len + pkt->padcnt + ROCE_ICRC_LEN;
	if (udp_len + sizeof(ip) > UINT16_MAX)
		return -EINVAL;
	if (cap < hdr_len)
		return -ENOSPC;

	/* Ethernet */
	memcpy(f, &pkt->eth_dst, RTE_ETHER_ADDR_LEN);
	memcpy(f + RTE_ETHER_ADDR_LEN, &pkt->eth_src, RTE_ETHER_ADDR_LEN);
	if (pkt->has_vlan) {
		type = rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN);
		memcpy(f + 12, &type, 2);
		type = rte_cpu_to_be_16(pkt->vlan_tci);
		memcpy(f + 14, &type, 2);
	}
	type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
	memcpy(f + l2_len - 2, &type, 2);

	/* IPv4: no options, never fragmented (A17.4.4: DF as Linux sets it). */
	memset(&ip, 0, sizeof(ip));
	ip.version_ihl = RTE_IPV4_VHL_DEF;
	ip.type_of_service = pkt->ip_tos;
	ip.total_length = rte_cpu_to_be_16(sizeof(ip) + udp_len);
	ip.packet_id = rte_cpu_to_be_16(pkt->ip_id);
	ip.fragment_offset = rte_cpu_to_be_16(pkt->ip_df ? RTE_IPV4_HDR_DF_FLAG : 0);
	ip.time_to_live = pkt->ip_ttl;
	ip.next_proto_id = IPPROTO_UDP;
	ip.src_addr = rte_cpu_to_be_32(pkt->ip_src);
	ip.dst_addr = rte_cpu_to_be_32(pkt->ip_dst);
	ip.hdr_checksum = rte_ipv4_cksum(&ip);
	memcpy(f + l2_len, &ip, sizeof(ip));

	/* UDP: checksum 0, A17.4.3 (the ICRC protects the datagram). */
	udp.src_port = rte_cpu_to_be_16(pkt->udp_sport);
	udp.dst_port = rte_cpu_to_be_16(ROCE_UDP_PORT);
	udp.dgram_len = rte_cpu_to_be_16(udp_len);
	udp.dgram_cksum = 0;
	memcpy(f + l2_len + sizeof(ip), &udp, sizeof(udp));

	/* BTH and extension headers. */
	pkt->l3_off = l2_len;
	pkt->ip_hdr_len = sizeof(ip);
	pkt->bth_off = l2_len + sizeof(ip) + sizeof(udp);
	bth = (struct roce_bth *)(f + pkt->bth_off);
	bth->opcode = pkt->opcode;
	roce_bth_set_flags(bth, pkt->se, pkt->migreq, pkt->padcnt);
	bth->pkey = rte_cpu_to_be_16(pkt->pkey);
	roce_bth_set_dqpn(bth, pkt->fecn, pkt->becn, pkt->dqpn);
	roce_bth_set_psn(bth, pkt->ackreq, pkt->psn);
	encode_ext(f + pkt->bth_off, info, pkt);

	pkt->payload_off = hdr_len;
	pkt->frame_len = l2_len + sizeof(ip) + udp_len;
	return hdr_len;
}

void
roce_tmpl_init(struct roce_tmpl *t, const struct roce_pkt *pkt)
{
	uint8_t full[ROCE_HDR_MAX];
	struct roce_pkt p = *pkt;
	const uint8_t *ip;
	unsigned int i;

	/* The full builder writes the fixed fields; the varying ones are
	 * patched per frame, so any values do here. */
	p.opcode = ROCE_OP_ACK;
	p.payload_len = 0;
	p.ip_id = 0;
	memset(t, 0, sizeof(*t));
	roce_build_hdr(&p, full, sizeof(full));
	memcpy(t->bytes, full, sizeof(t->bytes));
	t->l3_off = p.l3_off;
	t->bth_off = p.bth_off;
	/* Fixed words: everything but total length (2), ID (4), checksum (10). */
	ip = t->bytes + t->l3_off;
	for (i = 0; i < sizeof(struct rte_ipv4_hdr); i += 2)
		if (i != 2 && i != 4 && i != 10)
			t->ip_sum += (uint32_t)ip[i] << 8 | ip[i + 1];
	/* A17.3.3: 8 bytes of ones, IPv4 with TOS, TTL and checksum ones, UDP
	 * with checksum ones, BTH with FECN, BECN and reserved bits ones. */
	memset(t->masked, 0xff, 8);
	memcpy(t->masked + 8, ip, sizeof(t->masked) - 8);
	t->masked[8 + 1] = 0xff;
	t->masked[8 + 8] = 0xff;
	t->masked[8 + 10] = t->masked[8 + 11] = 0xff;
	t->masked[8 + 20 + 6] = t->masked[8 + 20 + 7] = 0xff;
	t->masked[8 + 28 + 4] = 0xff;
}

/* What varies per frame of a template, written at @p ip (a template's
 * IPv4 header, no options, UDP and BTH behind it): IPv4 total length and
 * ID, UDP length, BTH opcode, flags and PSN, the extension headers. */
static void
tmpl_put_varying(uint8_t *ip, const struct roce_pkt *pkt, uint32_t ip_len)
{
	uint8_t *udp = ip + sizeof(struct rte_ipv4_hdr);
	struct roce_bth *bth = (struct roce_bth *)(udp + sizeof(struct rte_udp_hdr));
	uint32_t udp_len = ip_len - sizeof(struct rte_ipv4_hdr);

	ip[2] = ip_len >> 8;
	ip[3] = ip_len;
	ip[4] = pkt->ip_id >> 8;
	ip[5] = pkt->ip_id;
	udp[4] = udp_len >> 8;
	udp[5] = udp_len;
	bth->opcode = pkt->opcode;
	roce_bth_set_flags(bth, pkt->se, pkt->migreq, pkt->padcnt);
	roce_bth_set_psn(bth, pkt->ackreq, pkt->psn);
	encode_ext((uint8_t *)bth, pkt->info, pkt);
}

int
roce_tmpl_build(const struct roce_tmpl *t, struct roce_pkt *pkt, void *hdr, uint32_t cap)
{
	const struct roce_opcode_info *info = roce_opcode_info(pkt->opcode);
	uint8_t *f = hdr, *ip;
	uint32_t hdr_len, ip_len, sum;

	if (info == NULL || (!(info->mask & ROCE_OPF_PAYLOAD) && pkt->payload_len != 0) ||
	    pkt->payload_len > UINT16_MAX)
		return -EINVAL;
	pkt->info = info;
	pkt->padcnt = (info->mask & ROCE_OPF_PAYLOAD) ? (-pkt->payload_len) & 3 : 0;
	if (pkt->padcnt != 0 && !(info->mask & ROCE_OPF_END))
		return -EINVAL;	/* C9-10, as roce_build_hdr() */
	hdr_len = t->bth_off + info->length;
	ip_len = sizeof(struct rte_ipv4_hdr) + sizeof(struct rte_udp_hdr) + info->length +
		 pkt->payload_len + pkt->padcnt + ROCE_ICRC_LEN;
	if (ip_len > UINT16_MAX)
		return -EINVAL;
	if (cap < hdr_len)
		return -ENOSPC;
	memcpy(f, t->bytes, t->bth_off + sizeof(struct roce_bth));
	ip = f + t->l3_off;
	tmpl_put_varying(ip, pkt, ip_len);
	sum = t->ip_sum + ip_len + pkt->ip_id;
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	ip[10] = ~sum >> 8;
	ip[11] = ~sum;
	pkt->l3_off = t->l3_off;
	pkt->ip_hdr_len = sizeof(struct rte_ipv4_hdr);
	pkt->bth_off = t->bth_off;
	pkt->payload_off = hdr_len;
	pkt->frame_len = t->l3_off + ip_len;
	return hdr_len;
}

int
roce_tmpl_trailer(const struct roce_crc32_ops *crc, const struct roce_tmpl *t,
		  struct roce_pkt *pkt, const struct roce_buf *payload, unsigned int nseg,
		  uint8_t trailer[ROCE_TRAILER_MAX])
{
	uint8_t buf[sizeof(t->masked) + ROCE_HDR_MAX + ROCE_ICRC_GATHER_MAX + 3];
	uint32_t len = sizeof(t->masked) + pkt->info->length - sizeof(struct roce_bth);
	uint32_t total = 0, c;
	unsigned int i;

	/* The template's masked headers with what varies per frame (IPv4
	 * total length and ID, UDP length, BTH opcode, flags and PSN) written
	 * from @p pkt, not read back from the frame: those bytes were just
	 * stored one by one, and a wider load of them waits for the stores to
	 * reach the cache (an ownership miss on a recycled header mbuf; 10 %
	 * of a READ requester's samples, docs/perf.md run F). */
	memcpy(buf, t->masked, sizeof(t->masked));
	tmpl_put_varying(buf + 8, pkt, pkt->frame_len - t->l3_off);
	memset(trailer, 0, pkt->padcnt);
	if (pkt->payload_len <= ROCE_ICRC_GATHER_MAX) {
		/* A small payload and its pad join the headers: one CRC call
		 * (each costs ~15 ns, as much as 256 bytes of CRC). */
		for (i = 0; i < nseg && total + payload[i].len <= pkt->payload_len; i++) {
			memcpy(buf + len, payload[i].data, payload[i].len);
			len += payload[i].len;
			total += payload[i].len;
		}
		if (i != nseg || total != pkt->payload_len)
			return -EINVAL;
		memset(buf + len, 0, pkt->padcnt);
		c = crc->update(0, buf, len + pkt->padcnt);
	} else {
		c = crc->update(0, buf, len);
		for (i = 0; i < nseg; i++) {
			c = crc->update(c, payload[i].data, payload[i].len);
			total += payload[i].len;
		}
		if (total != pkt->payload_len)
			return -EINVAL;
		if (pkt->padcnt != 0)
			c = crc->update(c, trailer, pkt->padcnt);
	}
	pkt->icrc = c;
	roce_icrc_store(trailer + pkt->padcnt, c);
	return pkt->padcnt + ROCE_ICRC_LEN;
}

int
roce_build_trailer(const struct roce_crc32_ops *crc, struct roce_pkt *pkt, const void *hdr,
		   const struct roce_buf *payload, unsigned int nseg,
		   uint8_t trailer[ROCE_TRAILER_MAX])
{
	struct roce_buf seg[ROCE_PARSE_MAX_SEGS];
	uint32_t total = 0;
	unsigned int i;

	if (nseg > ROCE_PARSE_MAX_SEGS - 2)
		return -EINVAL;
	seg[0] = (struct roce_buf){ .data = hdr, .len = pkt->payload_off };
	for (i = 0; i < nseg; i++) {
		seg[i + 1] = payload[i];
		total += payload[i].len;
	}
	if (total != pkt->payload_len)
		return -EINVAL;
	memset(trailer, 0, pkt->padcnt);
	seg[nseg + 1] = (struct roce_buf){ .data = trailer, .len = pkt->padcnt };

	pkt->icrc = roce_icrc_calc(crc, seg, nseg + 2, pkt->l3_off, pkt->ip_hdr_len,
				   pkt->frame_len - ROCE_ICRC_LEN);
	roce_icrc_store(trailer + pkt->padcnt, pkt->icrc);
	return pkt->padcnt + ROCE_ICRC_LEN;
}

int
roce_build_flat(const struct roce_crc32_ops *crc, struct roce_pkt *pkt, const void *payload,
		void *frame, uint32_t cap)
{
	uint8_t trailer[ROCE_TRAILER_MAX];
	struct roce_buf seg = { .data = payload, .len = pkt->payload_len };
	uint8_t *f = frame;
	int hdr_len, trailer_len;

	hdr_len = roce_build_hdr(pkt, f, cap);
	if (hdr_len < 0)
		return hdr_len;
	if (cap < pkt->frame_len)
		return -ENOSPC;
	trailer_len = roce_build_trailer(crc, pkt, f, &seg, pkt->payload_len ? 1 : 0, trailer);
	if (trailer_len < 0)
		return trailer_len;
	if (pkt->payload_len)
		memcpy(f + hdr_len, payload, pkt->payload_len);
	memcpy(f + hdr_len + pkt->payload_len, trailer, trailer_len);
	return pkt->frame_len;
}
