/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RC opcode table, IBTA Vol. 1 9.2 table 34 and 9.3 (header layout per
 * opcode), plus the RoCEv2 CNP of Annex A17.9.3.
 */
#include "roce_opcode.h"
#include "roce_wire.h"

#define BTH_LEN		sizeof(struct roce_bth)
#define RETH_LEN	sizeof(struct roce_reth)
#define AETH_LEN	sizeof(struct roce_aeth)
#define IMMDT_LEN	sizeof(struct roce_immdt)
#define IETH_LEN	sizeof(struct roce_ieth)
#define ATMETH_LEN	sizeof(struct roce_atmeth)
#define ATMACK_LEN	sizeof(struct roce_atmack)

const uint8_t roce_hdr_size[ROCE_HDR_NTYPES] = {
	[ROCE_HDR_BTH] = BTH_LEN,
	[ROCE_HDR_RETH] = RETH_LEN,
	[ROCE_HDR_AETH] = AETH_LEN,
	[ROCE_HDR_ATMETH] = ATMETH_LEN,
	[ROCE_HDR_ATMACK] = ATMACK_LEN,
	[ROCE_HDR_IMMDT] = IMMDT_LEN,
	[ROCE_HDR_IETH] = IETH_LEN,
	[ROCE_HDR_CNP] = ROCE_CNP_RSVD_LEN,
	[ROCE_HDR_PAYLOAD] = 0,
};

/* Header-shape shorthands: the mask and offsets shared by several opcodes. */
#define SHAPE_BTH_PAYLOAD \
	.length = BTH_LEN, \
	.offset = { [ROCE_HDR_PAYLOAD] = BTH_LEN }
#define SHAPE_BTH_X_PAYLOAD(x, xlen) \
	.length = BTH_LEN + (xlen), \
	.offset = { [x] = BTH_LEN, [ROCE_HDR_PAYLOAD] = BTH_LEN + (xlen) }

#define SEND_REQ	(ROCE_OPF_BTH | ROCE_OPF_PAYLOAD | ROCE_OPF_REQ | ROCE_OPF_SEND)
#define WRITE_REQ	(ROCE_OPF_BTH | ROCE_OPF_PAYLOAD | ROCE_OPF_REQ | ROCE_OPF_WRITE)
#define READ_RESP	(ROCE_OPF_BTH | ROCE_OPF_PAYLOAD | ROCE_OPF_RESP | ROCE_OPF_READ)

const struct roce_opcode_info roce_opcode_table[256] = {
	[ROCE_OP_SEND_FIRST] = {
		.name = "SEND_FIRST",
		.mask = SEND_REQ | ROCE_OPF_RWR | ROCE_OPF_START,
		SHAPE_BTH_PAYLOAD,
	},
	[ROCE_OP_SEND_MIDDLE] = {
		.name = "SEND_MIDDLE",
		.mask = SEND_REQ | ROCE_OPF_MIDDLE,
		SHAPE_BTH_PAYLOAD,
	},
	[ROCE_OP_SEND_LAST] = {
		.name = "SEND_LAST",
		.mask = SEND_REQ | ROCE_OPF_COMP | ROCE_OPF_END,
		SHAPE_BTH_PAYLOAD,
	},
	[ROCE_OP_SEND_LAST_IMM] = {
		.name = "SEND_LAST_WITH_IMMEDIATE",
		.mask = SEND_REQ | ROCE_OPF_IMMDT | ROCE_OPF_COMP | ROCE_OPF_END,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_IMMDT, IMMDT_LEN),
	},
	[ROCE_OP_SEND_ONLY] = {
		.name = "SEND_ONLY",
		.mask = SEND_REQ | ROCE_OPF_RWR | ROCE_OPF_COMP | ROCE_OPF_ONLY,
		SHAPE_BTH_PAYLOAD,
	},
	[ROCE_OP_SEND_ONLY_IMM] = {
		.name = "SEND_ONLY_WITH_IMMEDIATE",
		.mask = SEND_REQ | ROCE_OPF_IMMDT | ROCE_OPF_RWR | ROCE_OPF_COMP | ROCE_OPF_ONLY,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_IMMDT, IMMDT_LEN),
	},
	[ROCE_OP_SEND_LAST_INV] = {
		.name = "SEND_LAST_WITH_INVALIDATE",
		.mask = SEND_REQ | ROCE_OPF_IETH | ROCE_OPF_COMP | ROCE_OPF_END,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_IETH, IETH_LEN),
	},
	[ROCE_OP_SEND_ONLY_INV] = {
		.name = "SEND_ONLY_WITH_INVALIDATE",
		.mask = SEND_REQ | ROCE_OPF_IETH | ROCE_OPF_RWR | ROCE_OPF_COMP | ROCE_OPF_ONLY,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_IETH, IETH_LEN),
	},
	[ROCE_OP_WRITE_FIRST] = {
		.name = "RDMA_WRITE_FIRST",
		.mask = WRITE_REQ | ROCE_OPF_RETH | ROCE_OPF_START,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_RETH, RETH_LEN),
	},
	[ROCE_OP_WRITE_MIDDLE] = {
		.name = "RDMA_WRITE_MIDDLE",
		.mask = WRITE_REQ | ROCE_OPF_MIDDLE,
		SHAPE_BTH_PAYLOAD,
	},
	[ROCE_OP_WRITE_LAST] = {
		.name = "RDMA_WRITE_LAST",
		.mask = WRITE_REQ | ROCE_OPF_END,
		SHAPE_BTH_PAYLOAD,
	},
	[ROCE_OP_WRITE_LAST_IMM] = {
		.name = "RDMA_WRITE_LAST_WITH_IMMEDIATE",
		.mask = WRITE_REQ | ROCE_OPF_IMMDT | ROCE_OPF_RWR | ROCE_OPF_COMP | ROCE_OPF_END,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_IMMDT, IMMDT_LEN),
	},
	[ROCE_OP_WRITE_ONLY] = {
		.name = "RDMA_WRITE_ONLY",
		.mask = WRITE_REQ | ROCE_OPF_RETH | ROCE_OPF_ONLY,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_RETH, RETH_LEN),
	},
	[ROCE_OP_WRITE_ONLY_IMM] = {
		.name = "RDMA_WRITE_ONLY_WITH_IMMEDIATE",
		.mask = WRITE_REQ | ROCE_OPF_RETH | ROCE_OPF_IMMDT | ROCE_OPF_RWR |
			ROCE_OPF_COMP | ROCE_OPF_ONLY,
		.length = BTH_LEN + RETH_LEN + IMMDT_LEN,
		.offset = {
			[ROCE_HDR_RETH] = BTH_LEN,
			[ROCE_HDR_IMMDT] = BTH_LEN + RETH_LEN,
			[ROCE_HDR_PAYLOAD] = BTH_LEN + RETH_LEN + IMMDT_LEN,
		},
	},
	[ROCE_OP_READ_REQUEST] = {
		.name = "RDMA_READ_REQUEST",
		.mask = ROCE_OPF_BTH | ROCE_OPF_RETH | ROCE_OPF_REQ | ROCE_OPF_READ | ROCE_OPF_ONLY,
		.length = BTH_LEN + RETH_LEN,
		.offset = { [ROCE_HDR_RETH] = BTH_LEN },
	},
	[ROCE_OP_READ_RESP_FIRST] = {
		.name = "RDMA_READ_RESPONSE_FIRST",
		.mask = READ_RESP | ROCE_OPF_AETH | ROCE_OPF_START,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_AETH, AETH_LEN),
	},
	[ROCE_OP_READ_RESP_MIDDLE] = {
		.name = "RDMA_READ_RESPONSE_MIDDLE",
		.mask = READ_RESP | ROCE_OPF_MIDDLE,
		SHAPE_BTH_PAYLOAD,
	},
	[ROCE_OP_READ_RESP_LAST] = {
		.name = "RDMA_READ_RESPONSE_LAST",
		.mask = READ_RESP | ROCE_OPF_AETH | ROCE_OPF_END,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_AETH, AETH_LEN),
	},
	[ROCE_OP_READ_RESP_ONLY] = {
		.name = "RDMA_READ_RESPONSE_ONLY",
		.mask = READ_RESP | ROCE_OPF_AETH | ROCE_OPF_ONLY,
		SHAPE_BTH_X_PAYLOAD(ROCE_HDR_AETH, AETH_LEN),
	},
	[ROCE_OP_ACK] = {
		.name = "ACKNOWLEDGE",
		.mask = ROCE_OPF_BTH | ROCE_OPF_AETH | ROCE_OPF_RESP | ROCE_OPF_ACK | ROCE_OPF_ONLY,
		.length = BTH_LEN + AETH_LEN,
		.offset = { [ROCE_HDR_AETH] = BTH_LEN },
	},
	[ROCE_OP_ATOMIC_ACK] = {
		.name = "ATOMIC_ACKNOWLEDGE",
		.mask = ROCE_OPF_BTH | ROCE_OPF_AETH | ROCE_OPF_ATMACK | ROCE_OPF_RESP |
			ROCE_OPF_ATOMIC | ROCE_OPF_ONLY,
		.length = BTH_LEN + AETH_LEN + ATMACK_LEN,
		.offset = {
			[ROCE_HDR_AETH] = BTH_LEN,
			[ROCE_HDR_ATMACK] = BTH_LEN + AETH_LEN,
		},
	},
	[ROCE_OP_COMPARE_SWAP] = {
		.name = "COMPARE_SWAP",
		.mask = ROCE_OPF_BTH | ROCE_OPF_ATMETH | ROCE_OPF_REQ | ROCE_OPF_ATOMIC | ROCE_OPF_ONLY,
		.length = BTH_LEN + ATMETH_LEN,
		.offset = { [ROCE_HDR_ATMETH] = BTH_LEN },
	},
	[ROCE_OP_FETCH_ADD] = {
		.name = "FETCH_ADD",
		.mask = ROCE_OPF_BTH | ROCE_OPF_ATMETH | ROCE_OPF_REQ | ROCE_OPF_ATOMIC | ROCE_OPF_ONLY,
		.length = BTH_LEN + ATMETH_LEN,
		.offset = { [ROCE_HDR_ATMETH] = BTH_LEN },
	},
	[ROCE_OP_CNP] = {
		.name = "CNP",
		.mask = ROCE_OPF_BTH | ROCE_OPF_CNP | ROCE_OPF_CONG,
		.length = BTH_LEN + ROCE_CNP_RSVD_LEN,
		.offset = { [ROCE_HDR_CNP] = BTH_LEN },
	},
};

const char *
roce_opcode_name(uint8_t opcode)
{
	const struct roce_opcode_info *info = roce_opcode_info(opcode);

	return info != NULL ? info->name : "UNKNOWN";
}
