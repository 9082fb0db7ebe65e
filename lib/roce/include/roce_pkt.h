/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A RoCEv2 frame, parsed: every header field in host order, plus where
 * the payload lies in the frame. The parser fills it from wire bytes; the
 * builder writes wire bytes from it. Both walk the opcode table.
 */
#ifndef ROCE_PKT_H
#define ROCE_PKT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "roce_icrc.h"
#include "roce_opcode.h"
#include "roce_wire.h"

struct roce_pkt {
	const struct roce_opcode_info *info;	/* NULL until parsed/built */

	/* Ethernet (with at most one 802.1Q tag) */
	struct rte_ether_addr eth_dst;
	struct rte_ether_addr eth_src;
	bool has_vlan;
	uint16_t vlan_tci;
	/* IPv4, addresses in host order */
	uint32_t ip_src;
	uint32_t ip_dst;
	uint8_t ip_tos;		/* DSCP and ECN; ECN CE = 3 */
	uint8_t ip_ttl;
	uint16_t ip_id;
	bool ip_df;
	/* UDP */
	uint16_t udp_sport;
	/* BTH */
	uint8_t opcode;
	bool se;
	bool migreq;
	uint8_t padcnt;		/* computed by the builder */
	uint16_t pkey;
	bool fecn;
	bool becn;
	uint32_t dqpn;
	bool ackreq;
	uint32_t psn;
	/* Extension headers: valid where info->mask has the header's bit. */
	struct {
		uint64_t va;
		uint32_t rkey;
		uint32_t dma_len;
	} reth;
	struct {
		uint8_t syndrome;
		uint32_t msn;
	} aeth;
	struct {
		uint64_t va;
		uint32_t rkey;
		uint64_t swap_add;
		uint64_t compare;
	} atmeth;
	uint64_t atmack_orig;
	uint32_t imm;		/* host order, opaque to the transport */
	uint32_t ieth_rkey;

	/* Layout, in bytes from the start of the frame. */
	uint16_t l3_off;
	uint16_t ip_hdr_len;
	uint16_t bth_off;
	uint32_t payload_off;
	uint32_t payload_len;	/* without pad and ICRC */
	uint32_t frame_len;	/* up to the ICRC's end; Ethernet padding excluded */
	uint32_t icrc;		/* as received (parse) or computed (build) */
};

/* ---- Parsing ---------------------------------------------------------- */

/*
 * Why a frame was rejected. Roughly in the order the parser checks; where
 * the order matters it is said. NOT_IPV4 and NOT_ROCE are "foreign": not
 * RoCEv2 at all, and only given for frames whose IPv4 header is intact.
 */
enum roce_parse_status {
	ROCE_PARSE_OK = 0,
	ROCE_PARSE_TOO_SHORT,		/* ends before a header it claims */
	ROCE_PARSE_TOO_MANY_SEGS,	/* more segments than the parser walks */
	ROCE_PARSE_NOT_IPV4,		/* EtherType is not IPv4: not ours */
	ROCE_PARSE_BAD_IP_HDR,		/* version, IHL or total length */
	ROCE_PARSE_NOT_ROCE,		/* not UDP to port 4791: not ours */
	ROCE_PARSE_IP_FRAGMENT,		/* RoCEv2 is never fragmented (A17.4.4) */
	ROCE_PARSE_BAD_UDP_LEN,
	ROCE_PARSE_BAD_BTH_VERSION,
	ROCE_PARSE_UNKNOWN_OPCODE,
	ROCE_PARSE_BAD_LENGTH,		/* payload length does not fit the opcode */
	ROCE_PARSE_BAD_PAD,
	ROCE_PARSE_BAD_IP_CSUM,		/* last header check: the layout is known */
	ROCE_PARSE_BAD_ICRC,
	ROCE_PARSE_NSTATUS,
};

/* "bad ICRC", ... ; "?" for an out-of-range value. */
const char *roce_parse_status_str(enum roce_parse_status status);

/* Counter names for telemetry and dumps: "rx_bad_icrc", ... */
const char *roce_parse_status_counter(enum roce_parse_status status);

/* True for frames that are simply not RoCEv2 (other EtherTypes, other UDP
 * ports, TCP...): the caller hands them elsewhere rather than flag them. */
static inline bool
roce_parse_status_is_foreign(enum roce_parse_status status)
{
	return status == ROCE_PARSE_NOT_IPV4 || status == ROCE_PARSE_NOT_ROCE;
}

#define ROCE_PARSE_MAX_SEGS 64

/* Parser flags. */
#define ROCE_PARSE_F_NO_ICRC	(1u << 0)	/* caller checks the ICRC itself */

/*
 * A parser: its CRC implementation and one counter per status. Single
 * thread: each lcore that parses owns one.
 */
struct roce_parser {
	const struct roce_crc32_ops *crc;
	uint32_t flags;
	uint64_t count[ROCE_PARSE_NSTATUS];
};

void roce_parser_init(struct roce_parser *parser, const struct roce_crc32_ops *crc,
		      uint32_t flags);

/**
 * Validate a frame held in @p seg[0..nseg) and fill @p pkt.
 *
 * Reads only the bytes the segments hold; any byte string is safe input.
 * Counts the outcome in parser->count[].
 *
 * @return ROCE_PARSE_OK, or the first reason the frame is rejected; on
 *   rejection @p pkt holds whatever was decoded before the failing check
 *   (for BAD_IP_CSUM and BAD_ICRC, everything: pkt->frame_len is set).
 */
enum roce_parse_status roce_parse(struct roce_parser *parser, const struct roce_buf *seg,
				  unsigned int nseg, struct roce_pkt *pkt);

static inline enum roce_parse_status
roce_parse_flat(struct roce_parser *parser, const void *frame, uint32_t len,
		struct roce_pkt *pkt)
{
	struct roce_buf seg = { .data = frame, .len = len };

	return roce_parse(parser, &seg, 1, pkt);
}

/* ---- Building --------------------------------------------------------- */

/* Longest header block: Ethernet + VLAN + IPv4 (no options) + UDP + BTH +
 * the largest extension set (AtomicETH). */
#define ROCE_HDR_MAX (14 + 4 + 20 + 8 + 12 + 28)
/* Pad (0..3) + ICRC. */
#define ROCE_TRAILER_MAX (3 + ROCE_ICRC_LEN)
/* Payloads up to this long are CRCed together with the headers. */
#define ROCE_ICRC_GATHER_MAX 256

/**
 * Write Ethernet through the last extension header of @p pkt into @p hdr.
 *
 * Input: addresses, BTH fields, the extension headers the opcode carries,
 * and pkt->payload_len. Output in @p pkt: padcnt, layout fields and info.
 * The IPv4 checksum is computed; UDP checksum is 0 (A17.4.3, as Linux).
 *
 * @return header length, or -EINVAL (unknown opcode, payload on an opcode
 *   that carries none, payload too large, a payload that is not a multiple
 *   of 4 on a first or middle packet), -ENOSPC (@p cap too small).
 */
int roce_build_hdr(struct roce_pkt *pkt, void *hdr, uint32_t cap);

/**
 * Pad bytes and ICRC for a frame whose headers roce_build_hdr() wrote to
 * @p hdr and whose payload is @p payload[0..nseg) (pkt->payload_len bytes
 * in all). Writes pad zeros then the ICRC into @p trailer and stores the
 * ICRC in pkt->icrc.
 *
 * @return trailer length (4..7), or -EINVAL if the payload segments do not
 *   add up to pkt->payload_len or there are too many of them.
 */
int roce_build_trailer(const struct roce_crc32_ops *crc, struct roce_pkt *pkt,
		       const void *hdr, const struct roce_buf *payload, unsigned int nseg,
		       uint8_t trailer[ROCE_TRAILER_MAX]);

/* ---- Header templates: the data path's builder ------------------------- */

/* Ethernet (+ 802.1Q) + IPv4 + UDP + BTH. */
#define ROCE_TMPL_MAX (14 + 4 + 20 + 8 + 12)

/*
 * The headers every frame of one QP shares, written once: Ethernet, IPv4
 * without length, ID and checksum (the fixed words' sum is kept), UDP
 * without length, BTH without opcode, flags and PSN. roce_tmpl_build()
 * then writes a frame's headers exactly as roce_build_hdr() would (tested
 * byte for byte), copying the template and patching what varies.
 */
struct roce_tmpl {
	uint8_t bytes[ROCE_TMPL_MAX];
	uint16_t l3_off;	/* IPv4 header */
	uint16_t bth_off;
	uint32_t ip_sum;	/* one's complement sum of the fixed IPv4 words */
	/* What the ICRC covers of IPv4, UDP and BTH, with the variant fields
	 * masked (A17.3.3) and the 0xFF prefix before it. */
	uint8_t masked[8 + 20 + 8 + 12];
};

/**
 * Make a template from @p pkt's addresses (Ethernet, VLAN, IPv4, TOS, TTL,
 * DF, UDP source port) and BTH fields (P_Key, FECN, BECN, destination QP).
 */
void roce_tmpl_init(struct roce_tmpl *t, const struct roce_pkt *pkt);

/**
 * roce_build_hdr() from a template: reads only the frame's own fields of
 * @p pkt (opcode, SE, MigReq, AckReq, PSN, IP ID, payload_len and the
 * extension headers the opcode carries) and fills the same outputs.
 * @return header length, or the errors of roce_build_hdr().
 */
int roce_tmpl_build(const struct roce_tmpl *t, struct roce_pkt *pkt, void *hdr, uint32_t cap);

/**
 * roce_build_trailer() for a frame roce_tmpl_build() built for @p pkt: the
 * ICRC from the template's masked headers, patched from @p pkt (the frame
 * itself is not read), in one CRC call with the
 * extension headers and, up to ROCE_ICRC_GATHER_MAX bytes, the payload
 * and pad; a longer payload and its pad in calls of their own.
 * @return trailer length (4..7), or -EINVAL as roce_build_trailer().
 */
int roce_tmpl_trailer(const struct roce_crc32_ops *crc, const struct roce_tmpl *t,
		      struct roce_pkt *pkt, const struct roce_buf *payload, unsigned int nseg,
		      uint8_t trailer[ROCE_TRAILER_MAX]);

/**
 * A whole frame in one buffer: headers, a copy of @p payload, pad, ICRC.
 * For tests, tools and control messages, not the zero-copy data path.
 *
 * @return frame length, or the errors of the two functions above.
 */
int roce_build_flat(const struct roce_crc32_ops *crc, struct roce_pkt *pkt,
		    const void *payload, void *frame, uint32_t cap);

#endif /* ROCE_PKT_H */
