/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A scripted peer: one device under test with one RC QP on a net_ring
 * port, and the test in the role of its partner. The test writes each
 * frame the partner sends (headers and ICRC built by the wire library,
 * every field chosen by the test) into the port's receive ring, and reads
 * and parses what the device sends from its transmit ring. Time is
 * simulated. Used by the protocol suite and the responder fuzz target.
 */
#ifndef SCRIPT_PEER_H
#define SCRIPT_PEER_H

#include <stdbool.h>
#include <stdint.h>

#include "roce_int.h"

#define SP_DUT_IP	0x0a580001u	/* 10.88.0.1: the device under test */
#define SP_PEER_IP	0x0a580002u	/* 10.88.0.2: the scripted partner */
#define SP_PEER_QPN	0x51
#define SP_MAX_FRAME	(ROCE_HDR_MAX + 4096 + ROCE_TRAILER_MAX)

struct sp {
	struct roce_dev *dev;
	uint8_t port;
	struct rte_ring *rx, *tx;	/* the device's receive and transmit rings */
	struct rte_mempool *pool;	/* frames the partner sends */
	struct rte_ether_addr dut_mac, peer_mac;
	struct roce_pd *pd;
	struct roce_cq *cq;
	struct roce_qp *qp;
	enum ibv_mtu mtu;
	uint32_t dut_psn;		/* first PSN the device's requester uses */
	uint32_t peer_psn;		/* first PSN the partner uses */
	uint64_t now_ns;
	struct roce_parser parser;
};

/* A frame the device sent, parsed, with a copy of its payload. */
struct sp_frame {
	struct roce_pkt pkt;
	uint8_t payload[4096];
};

/**
 * Create the device, its port on two fresh rings, a PD, a CQ and a QP
 * (not yet connected). EAL must be up. @p name tells runs apart.
 * Aborts on failure: this is test set-up.
 */
void sp_create(struct sp *sp, const char *name);
void sp_destroy(struct sp *sp);

/** Connect the QP to the partner: RESET, INIT (with @p access), RTR, RTS. */
void sp_connect(struct sp *sp, unsigned int access, uint8_t max_rd_atomic, uint8_t timeout);
/** Back to RESET, frames in flight dropped. */
void sp_disconnect(struct sp *sp);

/**
 * The partner sends @p pkt (opcode, PSN, AckReq and extension headers set
 * by the caller; addresses, QPN and P_Key filled in here) with @p payload.
 * @return 0, or the builder's error.
 */
int sp_send(struct sp *sp, struct roce_pkt *pkt, const void *payload, uint32_t len);

/** The partner sends raw bytes as they are (the fuzz target). @return 0, -ENOMEM. */
int sp_send_raw(struct sp *sp, const void *frame, uint32_t len);

/** Advance simulated time by @p ns and poll the device once. */
void sp_poll(struct sp *sp, uint64_t ns);

/**
 * The next RoCEv2 frame the device sent (ARP and others are skipped).
 * @return true with @p f filled, false if none is waiting.
 */
bool sp_recv(struct sp *sp, struct sp_frame *f);

/** Poll up to @p rounds times until the device sends a RoCEv2 frame. */
bool sp_expect(struct sp *sp, struct sp_frame *f, unsigned int rounds);

/** Drop whatever the device sent. @return how many frames. */
unsigned int sp_flush(struct sp *sp);

#endif /* SCRIPT_PEER_H */
