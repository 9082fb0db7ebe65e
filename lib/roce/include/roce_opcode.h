/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The one opcode table (IBTA 9.2 table 34, RC; Annex A17.9.3, CNP).
 * Parsing, building and later the transport's dispatch read the table:
 * they test mask bits, they do not switch on opcodes.
 */
#ifndef ROCE_OPCODE_H
#define ROCE_OPCODE_H

#include <stddef.h>
#include <stdint.h>

/* Extension headers in their wire order after the BTH. */
enum roce_hdr_type {
	ROCE_HDR_BTH,
	ROCE_HDR_RETH,
	ROCE_HDR_AETH,
	ROCE_HDR_ATMETH,
	ROCE_HDR_ATMACK,
	ROCE_HDR_IMMDT,
	ROCE_HDR_IETH,
	ROCE_HDR_CNP,		/* 16 reserved bytes */
	ROCE_HDR_PAYLOAD,
	ROCE_HDR_NTYPES,
};

/* Mask bits: which headers an opcode carries ... */
#define ROCE_OPF_BTH		(1u << ROCE_HDR_BTH)
#define ROCE_OPF_RETH		(1u << ROCE_HDR_RETH)
#define ROCE_OPF_AETH		(1u << ROCE_HDR_AETH)
#define ROCE_OPF_ATMETH		(1u << ROCE_HDR_ATMETH)
#define ROCE_OPF_ATMACK		(1u << ROCE_HDR_ATMACK)
#define ROCE_OPF_IMMDT		(1u << ROCE_HDR_IMMDT)
#define ROCE_OPF_IETH		(1u << ROCE_HDR_IETH)
#define ROCE_OPF_CNP		(1u << ROCE_HDR_CNP)
#define ROCE_OPF_PAYLOAD	(1u << ROCE_HDR_PAYLOAD)
/* ... and the role it plays. */
#define ROCE_OPF_REQ		(1u << 12)	/* requester -> responder */
#define ROCE_OPF_RESP		(1u << 13)	/* responder -> requester */
#define ROCE_OPF_SEND		(1u << 14)
#define ROCE_OPF_WRITE		(1u << 15)
#define ROCE_OPF_READ		(1u << 16)	/* READ request or response */
#define ROCE_OPF_ATOMIC		(1u << 17)	/* atomic request or atomic ACK */
#define ROCE_OPF_ACK		(1u << 18)	/* plain ACK/NAK */
#define ROCE_OPF_RWR		(1u << 19)	/* consumes a receive WR */
#define ROCE_OPF_COMP		(1u << 20)	/* completes a message at the responder */
#define ROCE_OPF_START		(1u << 21)	/* first (or only) packet of a message */
#define ROCE_OPF_MIDDLE		(1u << 22)
#define ROCE_OPF_END		(1u << 23)	/* last (or only) packet of a message */
#define ROCE_OPF_CONG		(1u << 24)	/* congestion notification */

#define ROCE_OPF_ONLY		(ROCE_OPF_START | ROCE_OPF_END)

/* Opcode values (RC transport, bits 7:5 = 000). */
enum roce_opcode {
	ROCE_OP_SEND_FIRST = 0x00,
	ROCE_OP_SEND_MIDDLE = 0x01,
	ROCE_OP_SEND_LAST = 0x02,
	ROCE_OP_SEND_LAST_IMM = 0x03,
	ROCE_OP_SEND_ONLY = 0x04,
	ROCE_OP_SEND_ONLY_IMM = 0x05,
	ROCE_OP_WRITE_FIRST = 0x06,
	ROCE_OP_WRITE_MIDDLE = 0x07,
	ROCE_OP_WRITE_LAST = 0x08,
	ROCE_OP_WRITE_LAST_IMM = 0x09,
	ROCE_OP_WRITE_ONLY = 0x0a,
	ROCE_OP_WRITE_ONLY_IMM = 0x0b,
	ROCE_OP_READ_REQUEST = 0x0c,
	ROCE_OP_READ_RESP_FIRST = 0x0d,
	ROCE_OP_READ_RESP_MIDDLE = 0x0e,
	ROCE_OP_READ_RESP_LAST = 0x0f,
	ROCE_OP_READ_RESP_ONLY = 0x10,
	ROCE_OP_ACK = 0x11,
	ROCE_OP_ATOMIC_ACK = 0x12,
	ROCE_OP_COMPARE_SWAP = 0x13,
	ROCE_OP_FETCH_ADD = 0x14,
	ROCE_OP_SEND_LAST_INV = 0x16,
	ROCE_OP_SEND_ONLY_INV = 0x17,
	ROCE_OP_CNP = 0x81,
};

struct roce_opcode_info {
	const char *name;	/* NULL: not an opcode we accept */
	uint32_t mask;		/* ROCE_OPF_* */
	uint8_t length;		/* BTH + extension headers, bytes */
	uint8_t offset[ROCE_HDR_NTYPES]; /* from the BTH; valid where mask has the bit */
};

extern const struct roce_opcode_info roce_opcode_table[256];

/* Wire size of each header type (payload: 0). */
extern const uint8_t roce_hdr_size[ROCE_HDR_NTYPES];

static inline const struct roce_opcode_info *
roce_opcode_info(uint8_t opcode)
{
	const struct roce_opcode_info *info = &roce_opcode_table[opcode];

	return info->name != NULL ? info : NULL;
}

/* "RDMA_WRITE_ONLY", or "UNKNOWN" for opcodes not in the table. */
const char *roce_opcode_name(uint8_t opcode);

#endif /* ROCE_OPCODE_H */
