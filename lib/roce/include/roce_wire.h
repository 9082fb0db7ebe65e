/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RoCEv2 wire format: the InfiniBand transport headers that follow
 * Ethernet / IPv4 / UDP (destination port 4791), IBTA Vol. 1 ch. 9 and
 * Annex A17. Ethernet, IPv4 and UDP reuse DPDK's own rte_*_hdr structs.
 *
 * Every struct here is the exact wire layout (packed, big-endian typed).
 * Sub-byte and 24-bit fields are read and written only through the
 * accessors below: byte order is converted here and nowhere else.
 */
#ifndef ROCE_WIRE_H
#define ROCE_WIRE_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#define ROCE_UDP_PORT 4791	/* IANA, Annex A17.2.2 */
#define ROCE_ICRC_LEN 4
#define ROCE_BTH_TVER 0		/* transport header version, C9-3 */
#define ROCE_DEFAULT_PKEY 0xffff

/* Base Transport Header, IBTA 9.2 (12 bytes). */
struct roce_bth {
	uint8_t opcode;
	uint8_t se_m_pad_tver;	/* SE:1 MigReq:1 PadCnt:2 TVer:4 */
	rte_be16_t pkey;
	rte_be32_t fb_dqpn;	/* FECN:1 BECN:1 resv:6 DestQP:24 (byte 4 masked in ICRC) */
	rte_be32_t a_psn;	/* AckReq:1 resv:7 PSN:24 */
} __rte_packed;
static_assert(sizeof(struct roce_bth) == 12, "BTH is 12 bytes");

/* RDMA Extended Transport Header, IBTA 9.3.3 (16 bytes). */
struct roce_reth {
	rte_be64_t va;
	rte_be32_t rkey;
	rte_be32_t dma_len;
} __rte_packed;
static_assert(sizeof(struct roce_reth) == 16, "RETH is 16 bytes");

/* ACK Extended Transport Header, IBTA 9.3.5 (4 bytes). */
struct roce_aeth {
	rte_be32_t syn_msn;	/* Syndrome:8 MSN:24 */
} __rte_packed;
static_assert(sizeof(struct roce_aeth) == 4, "AETH is 4 bytes");

/* Immediate data, IBTA 9.3.7 (4 bytes), carried opaque. */
struct roce_immdt {
	rte_be32_t imm;
} __rte_packed;
static_assert(sizeof(struct roce_immdt) == 4, "ImmDt is 4 bytes");

/* Invalidate Extended Transport Header, IBTA 9.3.8 (4 bytes). */
struct roce_ieth {
	rte_be32_t rkey;
} __rte_packed;
static_assert(sizeof(struct roce_ieth) == 4, "IETH is 4 bytes");

/* Atomic Extended Transport Header, IBTA 9.3.4 (28 bytes). */
struct roce_atmeth {
	rte_be64_t va;
	rte_be32_t rkey;
	rte_be64_t swap_add;
	rte_be64_t compare;
} __rte_packed;
static_assert(sizeof(struct roce_atmeth) == 28, "AtomicETH is 28 bytes");

/* Atomic ACK Extended Transport Header, IBTA 9.3.6 (8 bytes). */
struct roce_atmack {
	rte_be64_t orig;
} __rte_packed;
static_assert(sizeof(struct roce_atmack) == 8, "AtomicAckETH is 8 bytes");

/* CNP payload after the BTH: 16 reserved bytes, Annex A17.9.3. */
#define ROCE_CNP_RSVD_LEN 16

/* ---- BTH accessors ---------------------------------------------------- */

#define ROCE_BTH_SE	0x80
#define ROCE_BTH_MIG	0x40
#define ROCE_BTH_PAD	0x30
#define ROCE_BTH_TVER_MASK 0x0f
#define ROCE_BTH_FECN	0x80000000u
#define ROCE_BTH_BECN	0x40000000u
#define ROCE_BTH_ACKREQ	0x80000000u
#define ROCE_24BIT_MASK	0x00ffffffu

static inline bool roce_bth_se(const struct roce_bth *b) { return b->se_m_pad_tver & ROCE_BTH_SE; }
static inline bool roce_bth_migreq(const struct roce_bth *b) { return b->se_m_pad_tver & ROCE_BTH_MIG; }
static inline uint8_t roce_bth_padcnt(const struct roce_bth *b) { return (b->se_m_pad_tver & ROCE_BTH_PAD) >> 4; }
static inline uint8_t roce_bth_tver(const struct roce_bth *b) { return b->se_m_pad_tver & ROCE_BTH_TVER_MASK; }
static inline uint16_t roce_bth_pkey(const struct roce_bth *b) { return rte_be_to_cpu_16(b->pkey); }
static inline bool roce_bth_fecn(const struct roce_bth *b) { return rte_be_to_cpu_32(b->fb_dqpn) & ROCE_BTH_FECN; }
static inline bool roce_bth_becn(const struct roce_bth *b) { return rte_be_to_cpu_32(b->fb_dqpn) & ROCE_BTH_BECN; }
static inline uint32_t roce_bth_dqpn(const struct roce_bth *b) { return rte_be_to_cpu_32(b->fb_dqpn) & ROCE_24BIT_MASK; }
static inline bool roce_bth_ackreq(const struct roce_bth *b) { return rte_be_to_cpu_32(b->a_psn) & ROCE_BTH_ACKREQ; }
static inline uint32_t roce_bth_psn(const struct roce_bth *b) { return rte_be_to_cpu_32(b->a_psn) & ROCE_24BIT_MASK; }

static inline void
roce_bth_set_flags(struct roce_bth *b, bool se, bool migreq, uint8_t padcnt)
{
	b->se_m_pad_tver = (se ? ROCE_BTH_SE : 0) | (migreq ? ROCE_BTH_MIG : 0) |
			   ((padcnt & 3) << 4) | ROCE_BTH_TVER;
}

static inline void
roce_bth_set_dqpn(struct roce_bth *b, bool fecn, bool becn, uint32_t dqpn)
{
	b->fb_dqpn = rte_cpu_to_be_32((fecn ? ROCE_BTH_FECN : 0) | (becn ? ROCE_BTH_BECN : 0) |
				      (dqpn & ROCE_24BIT_MASK));
}

static inline void
roce_bth_set_psn(struct roce_bth *b, bool ackreq, uint32_t psn)
{
	b->a_psn = rte_cpu_to_be_32((ackreq ? ROCE_BTH_ACKREQ : 0) | (psn & ROCE_24BIT_MASK));
}

/* ---- AETH accessors and syndromes (IBTA 9.7.5.1, table 45) ------------- */

static inline uint8_t roce_aeth_syndrome(const struct roce_aeth *a) { return rte_be_to_cpu_32(a->syn_msn) >> 24; }
static inline uint32_t roce_aeth_msn(const struct roce_aeth *a) { return rte_be_to_cpu_32(a->syn_msn) & ROCE_24BIT_MASK; }

static inline void
roce_aeth_set(struct roce_aeth *a, uint8_t syndrome, uint32_t msn)
{
	a->syn_msn = rte_cpu_to_be_32(((uint32_t)syndrome << 24) | (msn & ROCE_24BIT_MASK));
}

/* Syndrome bits 6:5 select the kind; bits 4:0 carry its value. */
#define ROCE_AETH_TYPE_MASK	0x60
#define ROCE_AETH_VALUE_MASK	0x1f
#define ROCE_AETH_ACK		0x00	/* value: credit count, 0x1f = invalid */
#define ROCE_AETH_RNR_NAK	0x20	/* value: RNR timer code */
#define ROCE_AETH_NAK		0x60	/* value: NAK code below */

#define ROCE_AETH_ACK_NO_CREDIT	(ROCE_AETH_ACK | 0x1f)	/* what rxe sends */

enum roce_nak_code {
	ROCE_NAK_PSN_SEQ_ERR = 0,
	ROCE_NAK_INVALID_REQ = 1,
	ROCE_NAK_REM_ACCESS_ERR = 2,
	ROCE_NAK_REM_OP_ERR = 3,
	ROCE_NAK_INVALID_RD_REQ = 4,
};

static inline uint8_t roce_aeth_type(uint8_t syndrome) { return syndrome & ROCE_AETH_TYPE_MASK; }
static inline uint8_t roce_aeth_value(uint8_t syndrome) { return syndrome & ROCE_AETH_VALUE_MASK; }

/*
 * UDP source port of a QP pair, as Linux computes it for RoCEv2
 * (rdma_calc_flow_label() then rdma_flow_label_to_udp_sport()): a 20-bit
 * flow label from the product of both QPNs, folded into 14 bits and put in
 * 0xC000..0xFFFF so ECMP spreads flows while each QP pair keeps one path.
 * Verified against soft-RoCE captures: QPN 0x11 <-> 0x11 uses 0xC121.
 */
static inline uint16_t
roce_udp_sport(uint32_t lqpn, uint32_t rqpn)
{
	uint64_t v = (uint64_t)lqpn * rqpn;
	uint32_t fl;

	v ^= v >> 20;
	v ^= v >> 40;
	fl = (uint32_t)(v & 0xfffff);
	return (uint16_t)(((fl & 0x3fff) ^ ((fl & 0xfc000) >> 14)) | 0xc000);
}

#endif /* ROCE_WIRE_H */
