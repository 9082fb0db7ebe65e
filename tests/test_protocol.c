/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport against a scripted partner (script_peer.h): every frame
 * the partner sends is chosen by the test, so the corners of IBTA chapter
 * 9 that a well-behaved peer rarely reaches are reached on purpose:
 * duplicates of atomics and READs, READs resumed mid-message, regions
 * deregistered under a peer's WRITE or READ stream, WRITE lengths that do
 * not add up, error NAKs behind READ responses, NAKs and duplicates in one
 * burst, misaligned atomics. The responder is tested with the device as
 * responder, the completer with the device as requester.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <check.h>
#include <rte_malloc.h>

#include "roce_stats.h"
#include "roce_window.h"
#include "script_peer.h"
#include "test_eal.h"

#define MTU		1024
#define BUF_SIZE	(256u * 1024)
#define ALL_ACCESS	(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | \
			 IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC)

static struct sp S;
static uint8_t *buf;		/* the device's registered memory */
static struct roce_mr *mr;

static uint64_t
stat(const char *name)
{
	uint64_t v = roce_stats_get(S.dev, name);

	ck_assert_msg(v != UINT64_MAX, "no counter named %s", name);
	return v;
}

static void
setup(void)
{
	/* The partner is a static neighbour, whatever a test did to it. */
	roce_dev_set_neighbor(S.dev, S.port, SP_PEER_IP, &S.peer_mac);
	sp_connect(&S, ALL_ACCESS, 16, 10);
	memset(buf, 0, BUF_SIZE);
}

static void
teardown(void)
{
	sp_disconnect(&S);
}

static uint32_t
peer_psn(uint32_t i)
{
	return roce_psn_add(S.peer_psn, i);
}

static uint32_t
dut_psn(uint32_t i)
{
	return roce_psn_add(S.dut_psn, i);
}

/* The partner sends a request (addresses and keys filled in here). */
static void
request(uint8_t opcode, uint32_t psn, bool ackreq, const void *payload, uint32_t len)
{
	struct roce_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.opcode = opcode;
	pkt.psn = psn;
	pkt.ackreq = ackreq;
	ck_assert_int_eq(sp_send(&S, &pkt, payload, len), 0);
}

static void
request_reth(uint8_t opcode, uint32_t psn, bool ackreq, uint32_t rkey, uint64_t va,
	     uint32_t dma_len, const void *payload, uint32_t len)
{
	struct roce_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.opcode = opcode;
	pkt.psn = psn;
	pkt.ackreq = ackreq;
	pkt.reth.rkey = rkey;
	pkt.reth.va = va;
	pkt.reth.dma_len = dma_len;
	ck_assert_int_eq(sp_send(&S, &pkt, payload, len), 0);
}

static void
request_atomic(uint8_t opcode, uint32_t psn, uint32_t rkey, uint64_t va, uint64_t swap_add,
	       uint64_t compare)
{
	struct roce_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.opcode = opcode;
	pkt.psn = psn;
	pkt.ackreq = true;
	pkt.atmeth.rkey = rkey;
	pkt.atmeth.va = va;
	pkt.atmeth.swap_add = swap_add;
	pkt.atmeth.compare = compare;
	ck_assert_int_eq(sp_send(&S, &pkt, NULL, 0), 0);
}

/* The partner answers as a responder. */
static void
response(uint8_t opcode, uint32_t psn, uint8_t syndrome, const void *payload, uint32_t len)
{
	struct roce_pkt pkt;

	memset(&pkt, 0, sizeof(pkt));
	pkt.opcode = opcode;
	pkt.psn = psn;
	pkt.aeth.syndrome = syndrome;
	pkt.aeth.msn = 1;
	ck_assert_int_eq(sp_send(&S, &pkt, payload, len), 0);
}

static void
expect_frame(struct sp_frame *f, uint8_t opcode, uint32_t psn, const char *what)
{
	ck_assert_msg(sp_expect(&S, f, 50), "%s: expected %s psn %u, the device sent nothing",
		      what, roce_opcode_name(opcode), psn);
	ck_assert_msg(f->pkt.opcode == opcode && f->pkt.psn == psn,
		      "%s: expected %s psn %u, got %s psn %u", what, roce_opcode_name(opcode), psn,
		      roce_opcode_name(f->pkt.opcode), f->pkt.psn);
}

static void
expect_ack(uint8_t syndrome, uint32_t psn, const char *what)
{
	struct sp_frame f;

	expect_frame(&f, ROCE_OP_ACK, psn, what);
	ck_assert_msg(f.pkt.aeth.syndrome == syndrome, "%s: expected syndrome 0x%02x, got 0x%02x",
		      what, syndrome, f.pkt.aeth.syndrome);
}

static void
expect_silence(const char *what)
{
	struct sp_frame f;
	int i;

	for (i = 0; i < 20; i++)
		sp_poll(&S, 2000);
	ck_assert_msg(!sp_recv(&S, &f), "%s: expected nothing, got %s psn %u", what,
		      roce_opcode_name(f.pkt.opcode), f.pkt.psn);
}

static void
pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 131 + i * 7 + (i >> 8));
}

/* ---- Responder --------------------------------------------------------- */

/* Defect 1: the replayed atomic ACK carried the PSN after the original. */
START_TEST(atomic_duplicate_answered_at_its_psn)
{
	uint64_t *target = (uint64_t *)(buf + 64);
	struct sp_frame f;

	*target = 5;
	request_atomic(ROCE_OP_FETCH_ADD, peer_psn(0), roce_mr_rkey(mr), (uintptr_t)target, 10, 0);
	expect_frame(&f, ROCE_OP_ATOMIC_ACK, peer_psn(0), "first FETCH_ADD");
	ck_assert_uint_eq(f.pkt.atmack_orig, 5);
	/* The ACK was lost; the requester sends the same request again. */
	request_atomic(ROCE_OP_FETCH_ADD, peer_psn(0), roce_mr_rkey(mr), (uintptr_t)target, 10, 0);
	expect_frame(&f, ROCE_OP_ATOMIC_ACK, peer_psn(0), "replayed FETCH_ADD");
	ck_assert_uint_eq(f.pkt.atmack_orig, 5);
	ck_assert_msg(*target == 15, "executed twice: %lu", (unsigned long)*target);
	ck_assert_uint_eq(stat("resp_atomic_replay"), 1);
	/* And a CAS after it, at the next PSN. */
	request_atomic(ROCE_OP_COMPARE_SWAP, peer_psn(1), roce_mr_rkey(mr), (uintptr_t)target, 99,
		       15);
	expect_frame(&f, ROCE_OP_ATOMIC_ACK, peer_psn(1), "CAS");
	request_atomic(ROCE_OP_COMPARE_SWAP, peer_psn(1), roce_mr_rkey(mr), (uintptr_t)target, 99,
		       15);
	expect_frame(&f, ROCE_OP_ATOMIC_ACK, peer_psn(1), "replayed CAS");
	ck_assert_uint_eq(f.pkt.atmack_orig, 15);
	ck_assert_uint_eq(*target, 99);
}
END_TEST

/* Defect 2, responder side: a READ resumed at a PSN inside the original
 * is answered from there with MIDDLE and LAST, as rxe answers. */
START_TEST(resumed_read_keeps_original_shape)
{
	static const uint8_t want[4] = { ROCE_OP_READ_RESP_FIRST, ROCE_OP_READ_RESP_MIDDLE,
					 ROCE_OP_READ_RESP_MIDDLE, ROCE_OP_READ_RESP_LAST };
	uint64_t va = (uintptr_t)(buf + 4096);
	struct sp_frame f;
	uint32_t i, len = 3 * MTU + 100;

	pattern(buf + 4096, len, 3);
	request_reth(ROCE_OP_READ_REQUEST, peer_psn(0), true, roce_mr_rkey(mr), va, len, NULL, 0);
	for (i = 0; i < 4; i++) {
		expect_frame(&f, want[i], peer_psn(i), "READ");
		ck_assert_int_eq(memcmp(f.payload, buf + 4096 + i * MTU, f.pkt.payload_len), 0);
	}
	/* Resumed from the third packet: the rest, in the original's shape. */
	request_reth(ROCE_OP_READ_REQUEST, peer_psn(2), true, roce_mr_rkey(mr), va + 2 * MTU,
		     len - 2 * MTU, NULL, 0);
	expect_frame(&f, ROCE_OP_READ_RESP_MIDDLE, peer_psn(2), "resumed READ");
	ck_assert_uint_eq(f.pkt.payload_len, MTU);
	ck_assert_int_eq(memcmp(f.payload, buf + 4096 + 2 * MTU, MTU), 0);
	expect_frame(&f, ROCE_OP_READ_RESP_LAST, peer_psn(3), "resumed READ");
	ck_assert_uint_eq(f.pkt.payload_len, 100);
	/* Resumed from its start: the whole, FIRST first. */
	request_reth(ROCE_OP_READ_REQUEST, peer_psn(0), true, roce_mr_rkey(mr), va, len, NULL, 0);
	for (i = 0; i < 4; i++)
		expect_frame(&f, want[i], peer_psn(i), "READ again");
	/* A resend that does not name the rest of the original is ignored. */
	request_reth(ROCE_OP_READ_REQUEST, peer_psn(1), true, roce_mr_rkey(mr), va + 8, len - MTU,
		     NULL, 0);
	expect_silence("inconsistent resumed READ");
	ck_assert_uint_eq(stat("resp_read_replay"), 2);
	/* The QP still works: the next request is served. */
	request_reth(ROCE_OP_READ_REQUEST, peer_psn(4), true, roce_mr_rkey(mr), va, 8, NULL, 0);
	expect_frame(&f, ROCE_OP_READ_RESP_ONLY, peer_psn(4), "next READ");
}
END_TEST

/*
 * A READ asked again while a later one is still being answered is answered
 * first: responses go out in PSN order (IBTA 9.7.5.1.2), whichever
 * request's resource was restarted last.
 */
START_TEST(replayed_read_goes_before_a_later_one_in_progress)
{
	uint64_t va = (uintptr_t)(buf + 4096);
	uint32_t long_pkts = 40, next, n = 0;
	uint64_t replays = stat("resp_read_replay");
	struct sp_frame f;

	pattern(buf + 4096, long_pkts * MTU, 5);
	request_reth(ROCE_OP_READ_REQUEST, peer_psn(0), true, roce_mr_rkey(mr), va, 8, NULL, 0);
	request_reth(ROCE_OP_READ_REQUEST, peer_psn(1), true, roce_mr_rkey(mr), va,
		     long_pkts * MTU, NULL, 0);
	/* One poll: the first READ and a turn's worth of the second. */
	sp_poll(&S, 0);
	ck_assert_msg(sp_recv(&S, &f), "nothing after one poll");
	ck_assert_msg(f.pkt.opcode == ROCE_OP_READ_RESP_ONLY && f.pkt.psn == peer_psn(0),
		      "first: %s psn %u", roce_opcode_name(f.pkt.opcode), f.pkt.psn);
	for (next = 1; sp_recv(&S, &f); next++)
		ck_assert_msg(f.pkt.psn == peer_psn(next), "long READ: psn %u, want %u", f.pkt.psn,
			      peer_psn(next));
	ck_assert_msg(next > 1 && next < 1 + long_pkts,
		      "want the long READ part sent after one poll, sent up to %u", next - 1);
	/* The first READ again: its response before the rest of the second. */
	request_reth(ROCE_OP_READ_REQUEST, peer_psn(0), true, roce_mr_rkey(mr), va, 8, NULL, 0);
	expect_frame(&f, ROCE_OP_READ_RESP_ONLY, peer_psn(0), "replayed READ");
	for (; next < 1 + long_pkts; next++, n++) {
		expect_frame(&f, next == long_pkts ? ROCE_OP_READ_RESP_LAST : ROCE_OP_READ_RESP_MIDDLE,
			     peer_psn(next), "rest of the long READ");
		ck_assert_int_eq(memcmp(f.payload, buf + 4096 + (next - 1) * MTU, MTU), 0);
	}
	ck_assert_uint_gt(n, 0);
	expect_silence("after both READs");
	ck_assert_uint_eq(stat("resp_read_replay"), replays + 1);
}
END_TEST

/*
 * Requests that fill more than one receive burst of a poll are ACKed burst
 * by burst: the ACK for the first burst leaves before the second is taken,
 * so a requester whose whole send queue arrived at once can refill while
 * the rest is received (roce_dev.c, acks_early).
 */
START_TEST(acks_leave_between_full_receive_bursts)
{
	uint32_t burst = S.dev->rx_burst, i;
	uint64_t va = (uintptr_t)buf;
	uint8_t data[64];
	struct sp_frame f;

	memset(data, 0x5a, sizeof(data));
	for (i = 0; i < 2 * burst; i++)
		request_reth(ROCE_OP_WRITE_ONLY, peer_psn(i), true, roce_mr_rkey(mr), va + 64 * i,
			     sizeof(data), data, sizeof(data));
	sp_poll(&S, 0);
	ck_assert_msg(sp_recv(&S, &f), "no ACK after one poll");
	ck_assert_msg(f.pkt.opcode == ROCE_OP_ACK && f.pkt.psn == peer_psn(burst - 1),
		      "first ACK: %s psn %u, want ACK psn %u", roce_opcode_name(f.pkt.opcode),
		      f.pkt.psn, peer_psn(burst - 1));
	ck_assert_msg(sp_recv(&S, &f), "one ACK for two bursts");
	ck_assert_msg(f.pkt.opcode == ROCE_OP_ACK && f.pkt.psn == peer_psn(2 * burst - 1),
		      "second ACK: %s psn %u, want ACK psn %u", roce_opcode_name(f.pkt.opcode),
		      f.pkt.psn, peer_psn(2 * burst - 1));
	expect_silence("after both ACKs");
	ck_assert_int_eq(memcmp(buf + 64 * (2 * burst - 1), data, sizeof(data)), 0);
}
END_TEST

/* ---- Delayed ACK (roce_resp.c): ping-pong mode -------------------------- */

/* The partner WRITEs 8 bytes at slot @p i of the device's buffer. */
static void
peer_write(uint32_t i)
{
	uint64_t v = 0x1111111111111111ull * (i + 1);

	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(i), true, roce_mr_rkey(mr),
		     (uintptr_t)(buf + 8 * i), 8, &v, 8);
}

/* The device's application answers: an 8-byte WRITE to the partner. */
static void
dut_answer(uint32_t i)
{
	struct ibv_sge sge = { .addr = (uintptr_t)(buf + 4096), .length = 8,
			       .lkey = roce_mr_lkey(mr) };
	struct ibv_send_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE }, *bad;

	wr.wr.rdma.remote_addr = 0x10000 + 8 * i;
	wr.wr.rdma.rkey = 0x4242;
	ck_assert_int_eq(roce_post_send(S.qp, &wr, &bad), 0);
}

/* What the device sent since the last check: @p n frames, checked
 * against @p op and @p psn, after one poll if @p poll. */
static void
sends(bool poll, unsigned int n, const uint8_t *op, const uint32_t *psn, const char *what)
{
	struct sp_frame f;
	unsigned int i;

	if (poll)
		sp_poll(&S, 1000);
	for (i = 0; i < n; i++) {
		ck_assert_msg(sp_recv(&S, &f), "%s: frame %u of %u missing", what, i + 1, n);
		ck_assert_msg(f.pkt.opcode == op[i] && f.pkt.psn == psn[i],
			      "%s: frame %u is %s psn %u, want %s psn %u", what, i + 1,
			      roce_opcode_name(f.pkt.opcode), f.pkt.psn, roce_opcode_name(op[i]),
			      psn[i]);
		if (f.pkt.opcode == ROCE_OP_WRITE_ONLY)	/* the partner ACKs it */
			response(ROCE_OP_ACK, f.pkt.psn, ROCE_AETH_ACK_NO_CREDIT, NULL, 0);
	}
	ck_assert_msg(!sp_recv(&S, &f), "%s: sent more: %s psn %u", what,
		      roce_opcode_name(f.pkt.opcode), f.pkt.psn);
}

/* The QP enters ping-pong mode: a request, its ACK at once, an answer. */
static void
enter_ping_pong(void)
{
	peer_write(0);
	sends(true, 1, (uint8_t[]){ ROCE_OP_ACK }, (uint32_t[]){ peer_psn(0) },
	      "first request");
	dut_answer(0);
	sends(true, 1, (uint8_t[]){ ROCE_OP_WRITE_ONLY }, (uint32_t[]){ dut_psn(0) },
	      "first answer");
}

/*
 * An application that answers each request before the next poll: the ACK
 * of a request waits for the answer and leaves with it, in one burst, when
 * it is posted (no poll in between); the data is placed at once all the
 * same.
 */
START_TEST(ack_waits_for_the_answer_in_ping_pong_mode)
{
	uint64_t held = stat("resp_acks_held"), v = 0x2222222222222222ull;
	uint32_t i;

	enter_ping_pong();
	for (i = 1; i <= 3; i++) {
		peer_write(i);
		sends(true, 0, NULL, NULL, "request in ping-pong mode");
		ck_assert_msg(memcmp(buf + 8 * i, &v, 8) == 0, "request %u not placed", i);
		v += 0x1111111111111111ull;
		dut_answer(i);
		sends(false, 2, (uint8_t[]){ ROCE_OP_ACK, ROCE_OP_WRITE_ONLY },
		      (uint32_t[]){ peer_psn(i), dut_psn(i) }, "ACK and answer, at the post");
	}
	ck_assert_uint_eq(stat("resp_acks_held"), held + 3);
	expect_silence("after the ping-pong");
}
END_TEST

/*
 * No answer: the held ACK leaves at the next poll, and the QP leaves
 * ping-pong mode, so the next request is ACKed at once. A one-way stream
 * never waits.
 */
START_TEST(ack_waits_one_poll_at_most)
{
	uint64_t unanswered = stat("resp_acks_unanswered");

	enter_ping_pong();
	peer_write(1);
	sends(true, 0, NULL, NULL, "request in ping-pong mode");
	sends(true, 1, (uint8_t[]){ ROCE_OP_ACK }, (uint32_t[]){ peer_psn(1) },
	      "no answer: the next poll");
	ck_assert_uint_eq(stat("resp_acks_unanswered"), unanswered + 1);
	peer_write(2);
	sends(true, 1, (uint8_t[]){ ROCE_OP_ACK }, (uint32_t[]){ peer_psn(2) },
	      "ping-pong mode left");
	peer_write(3);
	sends(true, 1, (uint8_t[]){ ROCE_OP_ACK }, (uint32_t[]){ peer_psn(3) },
	      "one-way");
}
END_TEST

/* An application about to stop polling sends the held ACK itself. */
START_TEST(flush_sends_the_held_ack)
{
	struct sp_frame f;

	enter_ping_pong();
	peer_write(1);
	sends(true, 0, NULL, NULL, "request in ping-pong mode");
	ck_assert_int_eq(roce_dev_flush(S.dev), 1);
	ck_assert_msg(sp_recv(&S, &f) && f.pkt.opcode == ROCE_OP_ACK && f.pkt.psn == peer_psn(1),
		      "roce_dev_flush() did not send the held ACK");
	expect_silence("after the flush");
}
END_TEST

/* Only plain ACKs wait: a NAK asks for something. */
START_TEST(nak_never_waits)
{
	uint8_t data[8] = { 0 };
	struct sp_frame f;

	enter_ping_pong();
	/* A SEND with no receive WR posted: an RNR NAK, queued like an ACK
	 * (sequence NAKs have their own path, never held). */
	request(ROCE_OP_SEND_ONLY, peer_psn(1), true, data, sizeof(data));
	sp_poll(&S, 1000);
	ck_assert_msg(sp_recv(&S, &f) && f.pkt.opcode == ROCE_OP_ACK &&
		      roce_aeth_type(f.pkt.aeth.syndrome) == ROCE_AETH_RNR_NAK &&
		      f.pkt.psn == peer_psn(1), "no RNR NAK after one poll in ping-pong mode");
}
END_TEST

/* Defect 3: the responder kept the region across a WRITE's packets. */
START_TEST(dereg_during_write_gets_access_nak)
{
	uint8_t *mem = rte_zmalloc("sp_dereg", 4 * MTU, 64);
	uint8_t data[MTU];
	struct roce_mr *victim = roce_reg_mr(S.pd, mem, 4 * MTU, ALL_ACCESS);
	uint32_t rkey = roce_mr_rkey(victim);
	uint8_t before[4 * MTU];

	pattern(data, MTU, 9);
	request_reth(ROCE_OP_WRITE_FIRST, peer_psn(0), false, rkey, (uintptr_t)mem, 3 * MTU,
		     data, MTU);
	sp_poll(&S, 2000);
	ck_assert_int_eq(memcmp(mem, data, MTU), 0);
	/* The application deregisters the region in the middle of the peer's
	 * WRITE: nothing references it, so it may. */
	ck_assert_int_eq(roce_dereg_mr(victim), 0);
	memcpy(before, mem, sizeof(before));
	request(ROCE_OP_WRITE_MIDDLE, peer_psn(1), false, data, MTU);
	expect_ack(ROCE_AETH_NAK | ROCE_NAK_REM_ACCESS_ERR, peer_psn(1), "WRITE after dereg");
	ck_assert_msg(memcmp(mem, before, sizeof(before)) == 0,
		      "a deregistered region was written");
	ck_assert_int_eq(roce_qp_state(S.qp), IBV_QPS_ERR);
	rte_free(mem);
}
END_TEST

/* Defect 3: and across a READ response stream. */
START_TEST(dereg_during_read_stream_gets_access_nak)
{
	uint32_t len = 200 * MTU, sent = 0;
	uint8_t *mem = rte_zmalloc("sp_dereg", len, 64);
	struct roce_mr *victim = roce_reg_mr(S.pd, mem, len, ALL_ACCESS);
	struct sp_frame f;

	request_reth(ROCE_OP_READ_REQUEST, peer_psn(0), true, roce_mr_rkey(victim),
		     (uintptr_t)mem, len, NULL, 0);
	sp_poll(&S, 2000);	/* one poll: one budget of responses */
	while (sp_recv(&S, &f)) {
		ck_assert_uint_eq(f.pkt.psn, peer_psn(sent));
		sent++;
	}
	ck_assert_msg(sent > 0 && sent < 200, "%u responses in one poll", sent);
	/* The responses left and were freed: the region may go now. */
	ck_assert_int_eq(roce_dereg_mr(victim), 0);
	expect_ack(ROCE_AETH_NAK | ROCE_NAK_REM_ACCESS_ERR, peer_psn(sent),
		   "READ stream after dereg");
	expect_silence("after the NAK");
	ck_assert_int_eq(roce_qp_state(S.qp), IBV_QPS_ERR);
	rte_free(mem);
}
END_TEST

/* Defect 4: the bytes of a WRITE must add up to its DMA length. */
START_TEST(write_length_must_match_dma_length)
{
	uint8_t data[MTU];
	uint64_t va = (uintptr_t)buf;
	struct ibv_recv_wr rwr = { .wr_id = 5 }, *bad;
	struct ibv_wc wc[4];
	int n;

	pattern(data, MTU, 4);
	switch (_i) {
	case 0:	/* the last packet ends short of the DMA length */
		ck_assert_int_eq(roce_post_recv(S.qp, &rwr, &bad), 0);
		request_reth(ROCE_OP_WRITE_FIRST, peer_psn(0), false, roce_mr_rkey(mr), va,
			     3 * MTU, data, MTU);
		request(ROCE_OP_WRITE_LAST_IMM, peer_psn(1), true, data, 512);
		expect_ack(ROCE_AETH_NAK | ROCE_NAK_INVALID_REQ, peer_psn(1), "short WRITE");
		/* Never a completion with the wrong byte_len: the receive WR
		 * is flushed, not completed. */
		n = roce_poll_cq(S.cq, 4, wc);
		ck_assert_int_eq(n, 1);
		ck_assert_int_eq(wc[0].status, IBV_WC_WR_FLUSH_ERR);
		break;
	case 1:	/* an ONLY packet shorter than its DMA length */
		request_reth(ROCE_OP_WRITE_ONLY, peer_psn(0), true, roce_mr_rkey(mr), va, 100,
			     data, 64);
		expect_ack(ROCE_AETH_NAK | ROCE_NAK_INVALID_REQ, peer_psn(0), "short ONLY");
		break;
	case 2:	/* a DMA length over 2^31 */
		request_reth(ROCE_OP_WRITE_FIRST, peer_psn(0), false, roce_mr_rkey(mr), va,
			     (1u << 31) + 4, data, MTU);
		expect_ack(ROCE_AETH_NAK | ROCE_NAK_INVALID_REQ, peer_psn(0), "2 GiB WRITE");
		break;
	}
	ck_assert_int_eq(roce_qp_state(S.qp), IBV_QPS_ERR);
}
END_TEST

/* Defect 4: a region of 4 GiB or more; offsets must not wrap at 2^32. */
START_TEST(write_into_huge_region_refuses_wrapping_length)
{
	size_t len = (5ull << 30);
	uint8_t *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct roce_mr *big;
	uint8_t data[MTU];

	ck_assert(mem != MAP_FAILED);
	big = roce_reg_mr(S.pd, mem, len, ALL_ACCESS);
	ck_assert(big != NULL);
	pattern(data, MTU, 5);
	/* 2^32 - 512 bytes: the last packets would end past 2^32. */
	request_reth(ROCE_OP_WRITE_FIRST, peer_psn(0), false, roce_mr_rkey(big),
		     (uintptr_t)mem + (1ull << 30), 0xfffffe00u, data, MTU);
	expect_ack(ROCE_AETH_NAK | ROCE_NAK_INVALID_REQ, peer_psn(0), "4 GiB WRITE");
	ck_assert_int_eq(roce_dereg_mr(big), 0);
	munmap(mem, len);
}
END_TEST

/* Defect 5: an error NAK waits for the READ responses before it. */
START_TEST(error_nak_follows_earlier_read_responses)
{
	uint64_t va = (uintptr_t)buf;
	uint8_t data[64] = { 0 };
	struct sp_frame f;
	uint32_t i;

	request_reth(ROCE_OP_READ_REQUEST, peer_psn(0), true, roce_mr_rkey(mr), va, 4 * MTU,
		     NULL, 0);
	/* In the same burst: a WRITE with a key that does not exist. */
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(4), true, roce_mr_rkey(mr) ^ 0x100, va, 64,
		     data, 64);
	/* And a request after it, which must not be executed. */
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(5), true, roce_mr_rkey(mr), va + 8192, 64,
		     data, 64);
	memset(buf + 8192, 0x5a, 64);
	for (i = 0; i < 4; i++)
		expect_frame(&f, i == 0 ? ROCE_OP_READ_RESP_FIRST : i == 3 ?
			     ROCE_OP_READ_RESP_LAST : ROCE_OP_READ_RESP_MIDDLE, peer_psn(i),
			     "READ before the bad WRITE");
	expect_ack(ROCE_AETH_NAK | ROCE_NAK_REM_ACCESS_ERR, peer_psn(4), "bad WRITE");
	expect_silence("after the error NAK");
	ck_assert_int_eq(buf[8192], 0x5a);
	ck_assert_int_eq(roce_qp_state(S.qp), IBV_QPS_ERR);
}
END_TEST

/* Defect 6: a queued sequence or RNR NAK is not replaced by the ACK of a
 * duplicate in the same burst; duplicates are acknowledged without AckReq. */
START_TEST(duplicate_does_not_replace_nak)
{
	uint8_t data[64] = { 1 };
	uint64_t va = (uintptr_t)buf;

	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(0), true, roce_mr_rkey(mr), va, 64, data, 64);
	expect_ack(ROCE_AETH_ACK_NO_CREDIT, peer_psn(0), "first WRITE");
	/* A duplicate without AckReq is acknowledged all the same. */
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(0), false, roce_mr_rkey(mr), va, 64, data, 64);
	expect_ack(ROCE_AETH_ACK_NO_CREDIT, peer_psn(0), "duplicate without AckReq");
	/* One burst: a gap (psn 2 ahead of 1), then a duplicate of psn 0. */
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(2), true, roce_mr_rkey(mr), va, 64, data, 64);
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(0), true, roce_mr_rkey(mr), va, 64, data, 64);
	expect_ack(ROCE_AETH_NAK | ROCE_NAK_PSN_SEQ_ERR, peer_psn(1), "gap then duplicate");
	expect_silence("one answer for the burst");
	/* Fill the gap; then a SEND with no receive WR (RNR), and a duplicate. */
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(1), true, roce_mr_rkey(mr), va, 64, data, 64);
	expect_ack(ROCE_AETH_ACK_NO_CREDIT, peer_psn(1), "gap filled");
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(2), true, roce_mr_rkey(mr), va, 64, data, 64);
	expect_ack(ROCE_AETH_ACK_NO_CREDIT, peer_psn(2), "next");
	request(ROCE_OP_SEND_ONLY, peer_psn(3), true, data, 64);
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(2), true, roce_mr_rkey(mr), va, 64, data, 64);
	expect_ack(ROCE_AETH_RNR_NAK | 1, peer_psn(3), "RNR then duplicate");
	expect_silence("one answer for the RNR burst");
}
END_TEST

/* A gap, then the missing packet in the same burst: the NAK names what is
 * still missing when it leaves. */
START_TEST(nak_names_psn_expected_when_sent)
{
	uint8_t data[64] = { 2 };
	uint64_t va = (uintptr_t)buf;

	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(1), true, roce_mr_rkey(mr), va, 64, data, 64);
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(0), false, roce_mr_rkey(mr), va, 64, data, 64);
	/* psn 1 was discarded before psn 0 came: resend from 1. */
	expect_ack(ROCE_AETH_NAK | ROCE_NAK_PSN_SEQ_ERR, peer_psn(1), "reordered pair");
	expect_silence("one NAK");
	/* psn 1 again (the resend), then 2: in order, one ACK for both. */
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(1), false, roce_mr_rkey(mr), va, 64, data, 64);
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(2), true, roce_mr_rkey(mr), va, 64, data, 64);
	expect_ack(ROCE_AETH_ACK_NO_CREDIT, peer_psn(2), "resend and next");
	/* 4 is discarded, 3 comes, then 4 again: the gap closed within the
	 * burst, and nothing is missing; no NAK, one ACK. */
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(4), false, roce_mr_rkey(mr), va, 64, data, 64);
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(3), false, roce_mr_rkey(mr), va, 64, data, 64);
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(4), true, roce_mr_rkey(mr), va, 64, data, 64);
	expect_ack(ROCE_AETH_ACK_NO_CREDIT, peer_psn(4), "gap closed in the burst");
	expect_silence("no NAK for a closed gap");
}
END_TEST

/* Defect 7: atomics need an aligned host address, not only an aligned
 * iova; operations the QP does not allow are invalid requests. */
START_TEST(atomic_needs_aligned_host_address)
{
	struct roce_mr *odd = roce_reg_mr_fixed(S.pd, buf + 4, 64, 0x10000, ALL_ACCESS, 0x7700);
	uint64_t before[9];

	ck_assert(odd != NULL);
	memcpy(before, buf, sizeof(before));
	request_atomic(ROCE_OP_FETCH_ADD, peer_psn(0), 0x7700, 0x10000, 1, 0);
	expect_ack(ROCE_AETH_NAK | ROCE_NAK_INVALID_REQ, peer_psn(0), "misaligned host address");
	ck_assert_int_eq(memcmp(before, buf, sizeof(before)), 0);
	ck_assert_int_eq(roce_dereg_mr(odd), 0);
}
END_TEST

START_TEST(operation_disabled_on_qp_is_invalid_request)
{
	static const unsigned int access[3] = {
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
	};

	sp_disconnect(&S);
	sp_connect(&S, access[_i], 16, 10);
	if (_i == 0)		/* zero-length WRITE: no key, but still a WRITE */
		request_reth(ROCE_OP_WRITE_ONLY, peer_psn(0), true, 0, 0, 0, NULL, 0);
	else if (_i == 1)
		request_reth(ROCE_OP_READ_REQUEST, peer_psn(0), true, roce_mr_rkey(mr),
			     (uintptr_t)buf, 8, NULL, 0);
	else
		request_atomic(ROCE_OP_FETCH_ADD, peer_psn(0), roce_mr_rkey(mr), (uintptr_t)buf,
			       1, 0);
	expect_ack(ROCE_AETH_NAK | ROCE_NAK_INVALID_REQ, peer_psn(0), "disabled operation");
}
END_TEST

/*
 * A responder whose ARP reply from the partner was lost: the partner's own
 * valid request tells where it is, and the answer goes at once, not after
 * the next ARP request (100 ms, longer than a requester waits).
 */
START_TEST(responder_learns_partner_from_its_request)
{
	struct roce_arp *arp = &S.dev->port[0].arp;
	uint8_t data[64] = { 3 };
	struct sp_frame f;
	unsigned int i;

	/* Forget the partner: an ARP request goes out and is never answered. */
	for (i = 0; i < ROCE_ARP_ENTRIES; i++)
		if (arp->neigh[i].ipv4 == SP_PEER_IP)
			arp->neigh[i].state = ROCE_NEIGH_FREE;
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(0), true, roce_mr_rkey(mr), (uintptr_t)buf, 64,
		     data, 64);
	/* The ACK waits: an ARP request goes out, no reply comes. */
	for (i = 0; i < 20; i++) {
		sp_poll(&S, 2000);
		ck_assert_msg(!sp_recv(&S, &f), "an answer to a partner not resolved");
	}
	ck_assert_int_eq(memcmp(buf, data, 64), 0);
	/* The requester's timer sends it again: now the responder knows. */
	request_reth(ROCE_OP_WRITE_ONLY, peer_psn(0), true, roce_mr_rkey(mr), (uintptr_t)buf, 64,
		     data, 64);
	expect_ack(ROCE_AETH_ACK_NO_CREDIT, peer_psn(0), "ACK to a partner ARP never answered");
	ck_assert_uint_eq(arp->count[ROCE_ARP_LEARNT_FROM_PEER], 1);
}
END_TEST

/* ---- Completer ---------------------------------------------------------- */

static void
post_read(uint64_t wr_id, uint32_t local_off, uint64_t remote_va, uint32_t len)
{
	struct ibv_sge sge = { .addr = (uintptr_t)(buf + local_off), .length = len,
			       .lkey = roce_mr_lkey(mr) };
	struct ibv_send_wr wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_READ, .send_flags = IBV_SEND_SIGNALED },
			   *bad;

	wr.wr.rdma.remote_addr = remote_va;
	wr.wr.rdma.rkey = 0x4242;
	ck_assert_int_eq(roce_post_send(S.qp, &wr, &bad), 0);
}

static int
poll_wc(struct ibv_wc *wc, int want)
{
	int got = 0, i;

	for (i = 0; i < 100 && got < want; i++) {
		got += roce_poll_cq(S.cq, want - got, wc + got);
		if (got < want)
			sp_poll(&S, 2000);
	}
	return got;
}

/* Defect 2, completer side: after lost READ responses, the resumed READ
 * may be answered with MIDDLE or with FIRST at the resume PSN; stale
 * responses of the first stream are dropped, never fatal. */
START_TEST(completer_takes_either_shape_of_resumed_read)
{
	uint8_t remote[4 * MTU];
	struct sp_frame f;
	struct ibv_wc wc;
	uint64_t va = 0x100000;

	pattern(remote, sizeof(remote), 6);
	post_read(1, 0, va, 4 * MTU);
	expect_frame(&f, ROCE_OP_READ_REQUEST, dut_psn(0), "READ");
	ck_assert_uint_eq(f.pkt.reth.dma_len, 4 * MTU);
	response(ROCE_OP_READ_RESP_FIRST, dut_psn(0), ROCE_AETH_ACK_NO_CREDIT, remote, MTU);
	/* psn 1 is lost; 2 arrives: the requester asks again from 1. */
	response(ROCE_OP_READ_RESP_MIDDLE, dut_psn(2), 0, remote + 2 * MTU, MTU);
	expect_frame(&f, ROCE_OP_READ_REQUEST, dut_psn(1), "resumed READ");
	ck_assert_uint_eq(f.pkt.reth.va, va + MTU);
	ck_assert_uint_eq(f.pkt.reth.dma_len, 3 * MTU);
	/* The first stream's LAST arrives late: not what is expected, dropped. */
	response(ROCE_OP_READ_RESP_LAST, dut_psn(3), ROCE_AETH_ACK_NO_CREDIT, remote + 3 * MTU,
		 MTU);
	if (_i == 0)	/* answered as rxe does: MIDDLE at the resume PSN */
		response(ROCE_OP_READ_RESP_MIDDLE, dut_psn(1), 0, remote + MTU, MTU);
	else		/* or as a new request: FIRST */
		response(ROCE_OP_READ_RESP_FIRST, dut_psn(1), ROCE_AETH_ACK_NO_CREDIT,
			 remote + MTU, MTU);
	/* A stale duplicate of psn 1 from the first stream: dropped. */
	response(ROCE_OP_READ_RESP_MIDDLE, dut_psn(1), 0, remote + MTU, MTU);
	/* A FIRST at a PSN no request started at: stale, dropped. */
	response(ROCE_OP_READ_RESP_FIRST, dut_psn(2), ROCE_AETH_ACK_NO_CREDIT, remote + 2 * MTU,
		 MTU);
	response(ROCE_OP_READ_RESP_MIDDLE, dut_psn(2), 0, remote + 2 * MTU, MTU);
	response(ROCE_OP_READ_RESP_LAST, dut_psn(3), ROCE_AETH_ACK_NO_CREDIT, remote + 3 * MTU,
		 MTU);
	ck_assert_int_eq(poll_wc(&wc, 1), 1);
	ck_assert_msg(wc.status == IBV_WC_SUCCESS && wc.wr_id == 1, "READ: %s",
		      ibv_wc_status_str(wc.status));
	ck_assert_int_eq(memcmp(buf, remote, sizeof(remote)), 0);
	ck_assert_int_eq(roce_qp_state(S.qp), IBV_QPS_RTS);
}
END_TEST

/*
 * A responder such as rxe streams the rest of a READ after a lost packet
 * and serves the request that asks again only afterwards: the responses
 * after the gap are kept, and the one packet missing is all that is
 * needed from the replay.
 */
START_TEST(read_keeps_responses_after_a_gap)
{
	uint8_t remote[8 * MTU];
	struct sp_frame f;
	struct ibv_wc wc;
	uint32_t i, requests = 1;

	pattern(remote, sizeof(remote), 7);
	post_read(1, 0, 0x100000, sizeof(remote));
	expect_frame(&f, ROCE_OP_READ_REQUEST, dut_psn(0), "READ");
	response(ROCE_OP_READ_RESP_FIRST, dut_psn(0), ROCE_AETH_ACK_NO_CREDIT, remote, MTU);
	/* psn 1 is lost; the stream goes on to its end. */
	for (i = 2; i < 8; i++)
		response(i == 7 ? ROCE_OP_READ_RESP_LAST : ROCE_OP_READ_RESP_MIDDLE, dut_psn(i),
			 ROCE_AETH_ACK_NO_CREDIT, remote + i * MTU, MTU);
	for (i = 0; i < 50; i++) {
		sp_poll(&S, 2000);
		while (sp_recv(&S, &f)) {
			ck_assert_uint_eq(f.pkt.opcode, ROCE_OP_READ_REQUEST);
			ck_assert_uint_eq(f.pkt.psn, dut_psn(1));
			requests++;
		}
	}
	ck_assert_msg(requests == 2, "%u READ requests, expected the first and one more",
		      requests);
	/* The replay: psn 1 is all that was missing. */
	response(ROCE_OP_READ_RESP_MIDDLE, dut_psn(1), 0, remote + MTU, MTU);
	ck_assert_int_eq(poll_wc(&wc, 1), 1);
	ck_assert_msg(wc.status == IBV_WC_SUCCESS, "READ: %s", ibv_wc_status_str(wc.status));
	ck_assert_int_eq(memcmp(buf, remote, sizeof(remote)), 0);
	/* The rest of the replay comes too: duplicates, dropped. */
	for (i = 2; i < 8; i++)
		response(i == 7 ? ROCE_OP_READ_RESP_LAST : ROCE_OP_READ_RESP_MIDDLE, dut_psn(i),
			 ROCE_AETH_ACK_NO_CREDIT, remote + i * MTU, MTU);
	expect_silence("after the replay");
	ck_assert_int_eq(roce_qp_state(S.qp), IBV_QPS_RTS);
}
END_TEST

/*
 * After a timer the window is ROCE_WINDOW_MIN PSNs, fewer than the AckReq
 * interval: the packet that fills it asks for an ACK. Otherwise a responder
 * that holds its ACKs until asked (ours, a coalescing RNIC) leaves the
 * sender waiting for the next timer, once per round trip.
 */
START_TEST(packet_filling_the_window_asks_for_an_ack)
{
	struct ibv_sge sge = { .addr = (uintptr_t)buf, .length = 40 * MTU,
			       .lkey = roce_mr_lkey(mr) };
	struct ibv_send_wr wr = { .wr_id = 1, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE, .send_flags = IBV_SEND_SIGNALED },
			   *bad;
	uint64_t rtos = stat("req_rto");
	struct sp_frame f, resent[4];
	unsigned int sent = 0, t;

	wr.wr.rdma.remote_addr = 0x100000;
	wr.wr.rdma.rkey = 0x4242;
	ck_assert_int_eq(roce_post_send(S.qp, &wr, &bad), 0);
	/* The first flight, never acknowledged; then the timer and what it
	 * sends again. */
	for (t = 0; t < 100 && (stat("req_rto") == rtos || t % 10 != 0); t++) {
		sp_poll(&S, 20000);
		while (sp_recv(&S, &f)) {
			if (sent >= 40 && sent < 40 + RTE_DIM(resent))
				resent[sent - 40] = f;
			sent++;
		}
	}
	ck_assert_msg(stat("req_rto") == rtos + 1, "%lu retransmission timers in 2 ms",
		      (unsigned long)(stat("req_rto") - rtos));
	ck_assert_msg(sent == 40 + ROCE_WINDOW_MIN, "%u frames, expected 40 and %u again", sent,
		      ROCE_WINDOW_MIN);
	ck_assert(resent[0].pkt.opcode == ROCE_OP_WRITE_FIRST && resent[0].pkt.psn == dut_psn(0));
	ck_assert(resent[1].pkt.opcode == ROCE_OP_WRITE_MIDDLE && resent[1].pkt.psn == dut_psn(1));
	ck_assert_msg(resent[1].pkt.ackreq, "the packet filling a window of %u PSNs asks for no ACK",
		      ROCE_WINDOW_MIN);
}
END_TEST

/* Local ACK timeout of the QP under test (sp_connect(..., 10)). */
#define TIMEOUT_NS	roce_ack_timeout_ns(10)

static unsigned int
count_requests(uint64_t ns, uint32_t psn)
{
	unsigned int n = 0;
	struct sp_frame f;
	uint64_t t;

	for (t = 0; t < ns; t += 2000) {
		sp_poll(&S, 2000);
		while (sp_recv(&S, &f)) {
			ck_assert_uint_eq(f.pkt.opcode, ROCE_OP_READ_REQUEST);
			ck_assert_uint_eq(f.pkt.psn, psn);
			n++;
		}
	}
	return n;
}

/*
 * A READ already asked for again, the responder silent: rxe would be
 * streaming, or paused (a slow peer), and would replay the whole rest for
 * each more request. The retransmission timer waits ROCE_REREAD_RTO_MIN_NS
 * (at most half the local ACK timeout) then, not a few hundred
 * microseconds.
 */
START_TEST(read_asked_again_is_not_asked_every_rto)
{
	uint8_t remote[8 * MTU];
	struct sp_frame f;
	unsigned int n;

	pattern(remote, sizeof(remote), 8);
	post_read(1, 0, 0x100000, sizeof(remote));
	expect_frame(&f, ROCE_OP_READ_REQUEST, dut_psn(0), "READ");
	response(ROCE_OP_READ_RESP_FIRST, dut_psn(0), ROCE_AETH_ACK_NO_CREDIT, remote, MTU);
	response(ROCE_OP_READ_RESP_MIDDLE, dut_psn(2), 0, remote + 2 * MTU, MTU);
	ck_assert_uint_eq(count_requests(100000, dut_psn(1)), 1);	/* the gap: asked once */
	n = count_requests(RTE_MIN(ROCE_REREAD_RTO_MIN_NS, TIMEOUT_NS / 2) - 200000, dut_psn(1));
	ck_assert_msg(n == 0, "%u more requests before the reread timer", n);
	n = count_requests(TIMEOUT_NS, dut_psn(1));
	ck_assert_msg(n >= 1 && n <= 3, "%u requests in one more timeout", n);
}
END_TEST

/*
 * The packet a READ was asked again for is lost again: the replay's end
 * (its LAST, with the gap still open) says so, and the READ is asked again
 * at once, not after the retransmission timer (ROCE_REREAD_RTO_MIN_NS).
 * The end of the stream that was still coming when the gap was seen says
 * nothing: it is not a replay.
 */
START_TEST(read_gap_lost_again_is_asked_again_when_replay_ends)
{
	uint64_t rtos = stat("req_rto");
	uint8_t remote[8 * MTU];
	struct sp_frame f;
	struct ibv_wc wc;
	uint32_t i;

	pattern(remote, sizeof(remote), 10);
	post_read(1, 0, 0x100000, sizeof(remote));
	expect_frame(&f, ROCE_OP_READ_REQUEST, dut_psn(0), "READ");
	response(ROCE_OP_READ_RESP_FIRST, dut_psn(0), ROCE_AETH_ACK_NO_CREDIT, remote, MTU);
	/* psn 1 is lost; psn 2 shows the gap, mid-stream. */
	response(ROCE_OP_READ_RESP_MIDDLE, dut_psn(2), 0, remote + 2 * MTU, MTU);
	ck_assert_uint_eq(count_requests(100000, dut_psn(1)), 1);
	/* The original stream's end: no news of the request for psn 1. */
	for (i = 3; i < 8; i++)
		response(i == 7 ? ROCE_OP_READ_RESP_LAST : ROCE_OP_READ_RESP_MIDDLE, dut_psn(i),
			 ROCE_AETH_ACK_NO_CREDIT, remote + i * MTU, MTU);
	ck_assert_uint_eq(count_requests(100000, dut_psn(1)), 0);
	/* The replay from psn 1, which is lost again: asked again at once. */
	for (i = 2; i < 8; i++)
		response(i == 7 ? ROCE_OP_READ_RESP_LAST : ROCE_OP_READ_RESP_MIDDLE, dut_psn(i),
			 ROCE_AETH_ACK_NO_CREDIT, remote + i * MTU, MTU);
	ck_assert_uint_eq(count_requests(100000, dut_psn(1)), 1);
	/* The second replay arrives whole. */
	for (i = 1; i < 8; i++)
		response(i == 7 ? ROCE_OP_READ_RESP_LAST : ROCE_OP_READ_RESP_MIDDLE, dut_psn(i),
			 ROCE_AETH_ACK_NO_CREDIT, remote + i * MTU, MTU);
	ck_assert_int_eq(poll_wc(&wc, 1), 1);
	ck_assert_msg(wc.status == IBV_WC_SUCCESS, "READ: %s", ibv_wc_status_str(wc.status));
	ck_assert_int_eq(memcmp(buf, remote, sizeof(remote)), 0);
	ck_assert_uint_eq(stat("req_rto"), rtos);
}
END_TEST

/*
 * Responses that move nothing (duplicates of an earlier stream) still show
 * the responder at work: the timers wait, for a while. Past
 * ROCE_ALIVE_TIMEOUTS local ACK timeouts without progress the QP fails.
 */
START_TEST(stale_responses_hold_timers_only_for_a_while)
{
	uint64_t timeouts = stat("req_timeouts"), rtos;
	uint8_t remote[2 * MTU];
	struct ibv_wc wc;
	struct sp_frame f;
	uint64_t t;

	pattern(remote, sizeof(remote), 9);
	post_read(1, 0, 0x100000, MTU);
	expect_frame(&f, ROCE_OP_READ_REQUEST, dut_psn(0), "first READ");
	response(ROCE_OP_READ_RESP_ONLY, dut_psn(0), ROCE_AETH_ACK_NO_CREDIT, remote, MTU);
	ck_assert_int_eq(poll_wc(&wc, 1), 1);
	post_read(2, 0, 0x100000, MTU);
	expect_frame(&f, ROCE_OP_READ_REQUEST, dut_psn(1), "second READ");
	/* The responder replays the first READ, again and again: no timer
	 * asks for the second meanwhile. */
	rtos = stat("req_rto");
	for (t = 0; t < 3 * TIMEOUT_NS; t += 100000) {
		response(ROCE_OP_READ_RESP_ONLY, dut_psn(0), ROCE_AETH_ACK_NO_CREDIT, remote, MTU);
		sp_poll(&S, 100000);
		ck_assert_msg(sp_flush(&S) == 0, "asked again while the responder streams");
	}
	ck_assert_uint_eq(stat("req_timeouts"), timeouts);
	ck_assert_uint_eq(stat("req_rto"), rtos);
	ck_assert_int_eq(roce_qp_state(S.qp), IBV_QPS_RTS);
	/* ... for longer than ROCE_ALIVE_TIMEOUTS timeouts and 7 more: failed. */
	for (t = 0; t < (ROCE_ALIVE_TIMEOUTS + 10) * TIMEOUT_NS &&
		    roce_qp_state(S.qp) == IBV_QPS_RTS; t += 100000) {
		response(ROCE_OP_READ_RESP_ONLY, dut_psn(0), ROCE_AETH_ACK_NO_CREDIT, remote, MTU);
		sp_poll(&S, 100000);
		sp_flush(&S);
	}
	ck_assert_int_eq(poll_wc(&wc, 1), 1);
	ck_assert_int_eq(wc.status, IBV_WC_RETRY_EXC_ERR);
}
END_TEST

/* A response that no correct responder sends still fails the QP. */
START_TEST(completer_refuses_misshapen_read_response)
{
	uint8_t remote[2 * MTU] = { 0 };
	struct sp_frame f;
	struct ibv_wc wc;

	post_read(1, 0, 0x100000, 2 * MTU);
	expect_frame(&f, ROCE_OP_READ_REQUEST, dut_psn(0), "READ");
	/* LAST at the first of two PSNs. */
	response(ROCE_OP_READ_RESP_LAST, dut_psn(0), ROCE_AETH_ACK_NO_CREDIT, remote, MTU);
	ck_assert_int_eq(poll_wc(&wc, 1), 1);
	ck_assert_int_eq(wc.status, IBV_WC_BAD_RESP_ERR);
}
END_TEST

/* Defect 5, completer side: an error NAK blames the WR at its PSN. */
START_TEST(error_nak_blames_its_own_wr)
{
	uint8_t data[64] = { 0 };
	struct ibv_sge sge = { .addr = (uintptr_t)buf, .length = 64, .lkey = roce_mr_lkey(mr) };
	struct ibv_send_wr wr = { .wr_id = 2, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE, .send_flags = IBV_SEND_SIGNALED },
			   *bad;
	struct ibv_wc wc[2];
	struct sp_frame f;

	(void)data;
	post_read(1, 1024, 0x100000, 2 * MTU);	/* PSNs 0 and 1 */
	wr.wr.rdma.remote_addr = 0x200000;
	wr.wr.rdma.rkey = 0x4242;
	ck_assert_int_eq(roce_post_send(S.qp, &wr, &bad), 0);	/* PSN 2 */
	expect_frame(&f, ROCE_OP_READ_REQUEST, dut_psn(0), "READ");
	expect_frame(&f, ROCE_OP_WRITE_ONLY, dut_psn(2), "WRITE");
	/* The WRITE's NAK overtakes the READ responses. */
	response(ROCE_OP_ACK, dut_psn(2), ROCE_AETH_NAK | ROCE_NAK_REM_ACCESS_ERR, NULL, 0);
	ck_assert_int_eq(poll_wc(wc, 2), 2);
	ck_assert_msg(wc[0].wr_id == 1 && wc[0].status == IBV_WC_WR_FLUSH_ERR,
		      "READ: expected flushed, got %s", ibv_wc_status_str(wc[0].status));
	ck_assert_msg(wc[1].wr_id == 2 && wc[1].status == IBV_WC_REM_ACCESS_ERR,
		      "WRITE: expected remote access error, got %s",
		      ibv_wc_status_str(wc[1].status));
}
END_TEST

/* Defect 7: an atomic's local SGE is one of 8 bytes. */
START_TEST(atomic_needs_one_8_byte_sge)
{
	struct ibv_sge sge[2] = {
		{ .addr = (uintptr_t)buf, .length = 4, .lkey = roce_mr_lkey(mr) },
		{ .addr = (uintptr_t)(buf + 64), .length = 4, .lkey = roce_mr_lkey(mr) },
	};
	struct ibv_send_wr wr = { .wr_id = 1, .sg_list = sge, .num_sge = 2,
				  .opcode = IBV_WR_ATOMIC_FETCH_AND_ADD }, *bad;

	wr.wr.atomic.remote_addr = 0x1000;
	wr.wr.atomic.rkey = 0x4242;
	ck_assert_int_eq(roce_post_send(S.qp, &wr, &bad), -EINVAL);
	wr.num_sge = 1;
	sge[0].length = 16;
	ck_assert_int_eq(roce_post_send(S.qp, &wr, &bad), -EINVAL);
	sge[0].length = 8;
	ck_assert_int_eq(roce_post_send(S.qp, &wr, &bad), 0);
}
END_TEST

static Suite *
protocol_suite(void)
{
	Suite *s = suite_create("protocol");
	TCase *resp = tcase_create("responder");
	TCase *comp = tcase_create("completer");

	tcase_add_checked_fixture(resp, setup, teardown);
	tcase_add_checked_fixture(comp, setup, teardown);
	tcase_add_test(resp, atomic_duplicate_answered_at_its_psn);
	tcase_add_test(resp, resumed_read_keeps_original_shape);
	tcase_add_test(resp, replayed_read_goes_before_a_later_one_in_progress);
	tcase_add_test(resp, acks_leave_between_full_receive_bursts);
	tcase_add_test(resp, ack_waits_for_the_answer_in_ping_pong_mode);
	tcase_add_test(resp, ack_waits_one_poll_at_most);
	tcase_add_test(resp, flush_sends_the_held_ack);
	tcase_add_test(resp, nak_never_waits);
	tcase_add_test(resp, dereg_during_write_gets_access_nak);
	tcase_add_test(resp, dereg_during_read_stream_gets_access_nak);
	tcase_add_loop_test(resp, write_length_must_match_dma_length, 0, 3);
	tcase_add_test(resp, write_into_huge_region_refuses_wrapping_length);
	tcase_add_test(resp, error_nak_follows_earlier_read_responses);
	tcase_add_test(resp, duplicate_does_not_replace_nak);
	tcase_add_test(resp, nak_names_psn_expected_when_sent);
	tcase_add_test(resp, responder_learns_partner_from_its_request);
	tcase_add_test(resp, atomic_needs_aligned_host_address);
	tcase_add_loop_test(resp, operation_disabled_on_qp_is_invalid_request, 0, 3);
	tcase_add_loop_test(comp, completer_takes_either_shape_of_resumed_read, 0, 2);
	tcase_add_test(comp, completer_refuses_misshapen_read_response);
	tcase_add_test(comp, read_keeps_responses_after_a_gap);
	tcase_add_test(comp, read_asked_again_is_not_asked_every_rto);
	tcase_add_test(comp, read_gap_lost_again_is_asked_again_when_replay_ends);
	tcase_add_test(comp, packet_filling_the_window_asks_for_an_ack);
	tcase_add_test(comp, stale_responses_hold_timers_only_for_a_while);
	tcase_add_test(comp, error_nak_blames_its_own_wr);
	tcase_add_test(comp, atomic_needs_one_8_byte_sge);
	suite_add_tcase(s, resp);
	suite_add_tcase(s, comp);
	return s;
}

int
main(int argc, char **argv)
{
	int failed;

	(void)argc;
	if (test_eal_init(argv[0], "protocol", 256) != 0)
		return 1;
	sp_create(&S, "proto");
	buf = rte_zmalloc("proto_buf", BUF_SIZE, 4096);
	mr = roce_reg_mr(S.pd, buf, BUF_SIZE, ALL_ACCESS);
	if (buf == NULL || mr == NULL)
		return 1;
	failed = test_run_nofork(protocol_suite());
	return failed ? 1 : 0;
}
