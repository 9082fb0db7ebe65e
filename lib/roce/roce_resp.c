/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Responder (IBTA 9.7.5.1): checks each request's PSN and place in its
 * message, places data with one copy into the memory region, consumes
 * receive WRs, executes READs and atomics and keeps them for duplicates,
 * and answers. Answers leave in PSN order: a coalesced ACK or a NAK waits
 * until the READ responses before it are out.
 */
#include <string.h>

#include "roce_int.h"

/* ---- Answers ---------------------------------------------------------- */

/* An ACK or NAK, now (the path is ready: roce_resp_poll() checked). */
static void
send_ack_now(struct roce_qp *qp, uint8_t syndrome, uint32_t psn)
{
	struct roce_pkt pkt;

	qp->resp.ack_held_poll = 0;
	roce_qp_pkt_init(qp, &pkt, ROCE_OP_ACK, psn);
	pkt.aeth.syndrome = syndrome;
	pkt.aeth.msn = qp->resp.msn;
	roce_qp_xmit(qp, &pkt, NULL, ROCE_CNT_RESP_ACKS_SENT);
}

/*
 * Queue an answer, sent once the READ responses before it are out. A later
 * answer replaces an earlier one, except that an ACK never replaces a NAK
 * for a later PSN: the NAK acknowledges everything before its PSN as well,
 * and only it tells the requester what is missing (IBTA 9.7.5.2.4, 9.7.5.2.8);
 * losing it would leave the gap to the requester's timer.
 */
static void
queue_ack(struct roce_qp *qp, uint8_t syndrome, uint32_t psn)
{
	if (qp->resp.ack_pending && roce_aeth_type(qp->resp.ack_syndrome) != ROCE_AETH_ACK &&
	    roce_aeth_type(syndrome) == ROCE_AETH_ACK && roce_psn_lt(psn, qp->resp.ack_psn))
		return;
	qp->resp.ack_pending = true;
	qp->resp.ack_syndrome = syndrome;
	qp->resp.ack_psn = psn;
}

/*
 * Delayed ACK, bounded by one poll (RFC 1122 4.2.3.2 for TCP, with a poll
 * for the timer). On a QP in ping-pong mode the application answers what a
 * poll received with a request of its own before the next poll; the ACK
 * then waits for the answer and leaves with it in one burst when it is
 * posted (roce_dev_answer_now), or at the next poll if none comes. The
 * peer waits for the answer anyway: one crossing of the device instead of
 * two (memif, 8 B WRITE half round trip -0.35 us, docs/perf.md run I).
 * A QP enters the mode when the application answers
 * (roce_post_send) and leaves it when a held ACK found no answer; a
 * one-way stream (the NVRAM mirror) never enters it, so its writer's ACKs
 * are never late. Only plain ACKs wait: a NAK asks for something. An
 * application that stops polling calls roce_dev_flush() first.
 */
static bool
ack_waits(struct roce_qp *qp)
{
	uint64_t held = qp->resp.ack_held_poll, poll = qp->dev->poll_seq;

	if (held == poll)
		return true;
	if (held != 0) {
		if (qp->resp.answered_poll < held) {
			qp->resp.pingpong = false;
			roce_count(qp->dev, ROCE_CNT_RESP_ACKS_UNANSWERED);
		}
		return false;
	}
	if (!qp->resp.pingpong || roce_aeth_type(qp->resp.ack_syndrome) != ROCE_AETH_ACK)
		return false;
	qp->resp.ack_held_poll = poll;
	roce_count(qp->dev, ROCE_CNT_RESP_ACKS_HELD);
	return true;
}

static void
queue_nak(struct roce_qp *qp, uint8_t syndrome, uint32_t psn, enum roce_counter c)
{
	roce_count(qp->dev, c);
	qp->resp.nak_outstanding = true;
	queue_ack(qp, syndrome, psn);
}

/*
 * A class C error (IBTA 9.9.3.1.3): the request is NAKed and the QP goes
 * to ERR. READ responses owed to earlier requests leave first, so the
 * requester sees its answers in PSN order and blames the right request;
 * nothing after the failed request is executed meanwhile.
 */
static void
fatal_nak(struct roce_qp *qp, enum roce_nak_code code, uint32_t psn, enum roce_counter c)
{
	roce_count(qp->dev, c);
	ROCE_LOG(DEBUG, "%s: QP %u: NAK %s at PSN %u (expected %u)", qp->dev->name, qp->qpn,
		 roce_counter_names[c], psn, qp->resp.psn);
	if (qp->resp.fatal_pending && roce_psn_le(qp->resp.fatal_psn, psn))
		return;
	qp->resp.fatal_pending = true;
	qp->resp.fatal_syndrome = ROCE_AETH_NAK | code;
	qp->resp.fatal_psn = psn;
	qp->resp.ack_pending = false;	/* the NAK acknowledges what came before */
	qp->resp.seq_nak_due = false;
}

void
roce_send_cnp(struct roce_qp *qp)
{
	struct roce_dev *dev = qp->dev;
	struct roce_pkt pkt;
	struct rte_mbuf *m;

	/* A17.9.2: at most one CNP per QP per interval. */
	if (qp->last_cnp_ns != 0 && dev->now_ns - qp->last_cnp_ns < ROCE_CNP_INTERVAL_NS)
		return;
	if (!roce_qp_path_ready(qp))
		return;
	/* Rare, and with BECN set: built in full, not from the template. */
	roce_qp_pkt_fill(qp, &pkt, &qp->tmpl_mac);
	pkt.opcode = ROCE_OP_CNP;
	pkt.ip_id = qp->port->ip_id++;
	pkt.becn = true;
	m = roce_mbuf_build(&roce_crc32_isal, dev->hdr_pool, NULL, &pkt, NULL);
	if (m == NULL)
		return;
	qp->last_cnp_ns = dev->now_ns ? dev->now_ns : 1;
	roce_port_xmit(qp->port, m);
	roce_count(dev, ROCE_CNT_CNP_SENT);
}

/* ---- READ and atomic resources, kept for duplicates (IBTA 9.7.5.1.3) ---- */

/* Ring distance of resource @p i from the oldest one (res_next). */
static inline uint32_t
res_age_rank(const struct roce_qp *qp, uint32_t i)
{
	return (i + qp->resp.nb_res - qp->resp.res_next) % qp->resp.nb_res;
}

/*
 * Responses of @p res are due (or no longer): counted, so a poll knows
 * without a look at every resource, and the earliest kept. Resources are
 * taken in ring order for requests in PSN order, and a replay restarts one
 * inside its own PSN range, so the earliest due in ring order from the
 * oldest is also the one with the lowest PSN: the response that goes next.
 */
static void
res_sending(struct roce_qp *qp, struct roce_rd_atomic_res *res, bool on)
{
	uint32_t i = res - qp->resp.res;

	if (res->sending == on)
		return;
	res->sending = on;
	if (on) {
		if (qp->resp.nb_sending++ == 0 ||
		    res_age_rank(qp, i) < res_age_rank(qp, qp->resp.send_first))
			qp->resp.send_first = i;
		return;
	}
	if (--qp->resp.nb_sending == 0 || i != qp->resp.send_first)
		return;
	do
		i = (i + 1) % qp->resp.nb_res;
	while (!qp->resp.res[i].sending);
	qp->resp.send_first = i;
}

static struct roce_rd_atomic_res *
res_alloc(struct roce_qp *qp)
{
	struct roce_rd_atomic_res *res = &qp->resp.res[qp->resp.res_next];

	qp->resp.res_next = (qp->resp.res_next + 1) % qp->resp.nb_res;
	res_sending(qp, res, false);
	memset(res, 0, sizeof(*res));
	return res;
}

/* The resource whose PSN range holds @p psn, if still kept. */
static struct roce_rd_atomic_res *
res_find(struct roce_qp *qp, uint32_t psn)
{
	uint32_t i;

	for (i = 0; i < qp->resp.nb_res; i++) {
		struct roce_rd_atomic_res *res = &qp->resp.res[i];

		if (res->valid && roce_psn_ge(psn, res->first_psn) &&
		    roce_psn_lt(psn, roce_psn_add(res->first_psn, res->npkts)))
			return res;
	}
	return NULL;
}

/* Lengths are at most 2^31 bytes (IBTA 9.7.4.1.4; as rxe, longer is an
 * invalid request), so offsets inside a message never wrap. */
#define MAX_DMA_LEN	(1u << 31)

static void
res_set_read(struct roce_qp *qp, struct roce_rd_atomic_res *res, const struct roce_pkt *pkt)
{
	res->valid = true;
	res->atomic = false;
	res->first_psn = pkt->psn;
	res->npkts = RTE_MAX((pkt->reth.dma_len + qp->mtu - 1) / qp->mtu, 1u);
	res->rkey = pkt->reth.rkey;
	res->va = pkt->reth.va;
	res->length = pkt->reth.dma_len;
	res->next_psn = pkt->psn;
	res_sending(qp, res, true);
}

/* ---- Requests --------------------------------------------------------- */

/*
 * An operation the QP does not allow at all (its access flags) is an
 * invalid request, whatever the key or length: IBTA 9.7.5.1.3 checks the
 * QP before the R_Key, and rxe answers so.
 */
static bool
qp_allows(const struct roce_qp *qp, unsigned int access)
{
	return (qp->attr.qp_access_flags & access) == access;
}

static void
resp_read(struct roce_qp *qp, const struct roce_pkt *pkt)
{
	struct roce_rd_atomic_res *res;

	if (qp->resp.nb_res == 0 || !qp_allows(qp, IBV_ACCESS_REMOTE_READ) ||
	    pkt->reth.dma_len > MAX_DMA_LEN) {
		fatal_nak(qp, ROCE_NAK_INVALID_REQ, pkt->psn, ROCE_CNT_RESP_INVALID_NAK_SENT);
		return;
	}
	/* Zero length: no R_Key to check (IBTA 9.7.5.1.3). The region is
	 * looked up again for every response packet. */
	if (pkt->reth.dma_len != 0 &&
	    roce_mr_check(qp->dev, qp->pd, pkt->reth.rkey, pkt->reth.va, pkt->reth.dma_len,
			  IBV_ACCESS_REMOTE_READ) == NULL) {
		fatal_nak(qp, ROCE_NAK_REM_ACCESS_ERR, pkt->psn, ROCE_CNT_RESP_ACCESS_NAK_SENT);
		return;
	}
	res = res_alloc(qp);
	res_set_read(qp, res, pkt);
	qp->resp.psn = roce_psn_add(pkt->psn, res->npkts);
	qp->resp.msn = roce_psn_add(qp->resp.msn, 1);
}

static void
resp_atomic(struct roce_qp *qp, const struct roce_pkt *pkt)
{
	struct roce_rd_atomic_res *res;
	struct roce_mr *mr;
	uint64_t *target;

	/* Atomics need an 8-byte aligned address (IBTA 9.4.5). */
	if (qp->resp.nb_res == 0 || !qp_allows(qp, IBV_ACCESS_REMOTE_ATOMIC) ||
	    (pkt->atmeth.va & 7) != 0) {
		fatal_nak(qp, ROCE_NAK_INVALID_REQ, pkt->psn, ROCE_CNT_RESP_INVALID_NAK_SENT);
		return;
	}
	mr = roce_mr_check(qp->dev, qp->pd, pkt->atmeth.rkey, pkt->atmeth.va, 8,
			   IBV_ACCESS_REMOTE_ATOMIC);
	if (mr == NULL) {
		fatal_nak(qp, ROCE_NAK_REM_ACCESS_ERR, pkt->psn, ROCE_CNT_RESP_ACCESS_NAK_SENT);
		return;
	}
	/* The iova is aligned; the host address behind it must be too, or
	 * the operation is not atomic (a region registered at an iova of
	 * another alignment). */
	target = (uint64_t *)roce_mr_ptr(mr, pkt->atmeth.va);
	if (((uintptr_t)target & 7) != 0) {
		fatal_nak(qp, ROCE_NAK_INVALID_REQ, pkt->psn, ROCE_CNT_RESP_INVALID_NAK_SENT);
		return;
	}
	res = res_alloc(qp);
	res->valid = true;
	res->atomic = true;
	res->first_psn = pkt->psn;
	res->npkts = 1;
	res->next_psn = pkt->psn;
	res_sending(qp, res, true);
	/* Atomic with respect to this responder; host memory order. */
	if (pkt->opcode == ROCE_OP_COMPARE_SWAP) {
		uint64_t expected = pkt->atmeth.compare;

		__atomic_compare_exchange_n(target, &expected, pkt->atmeth.swap_add, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
		res->orig = expected;
	} else {
		res->orig = __atomic_fetch_add(target, pkt->atmeth.swap_add, __ATOMIC_SEQ_CST);
	}
	qp->resp.psn = roce_psn_add(pkt->psn, 1);
	qp->resp.msn = roce_psn_add(qp->resp.msn, 1);
}

/* Scatter @p len payload bytes into the receive WR at @p offset. */
static int
place_recv(struct roce_qp *qp, const struct roce_recv_wqe *rwqe, const struct rte_mbuf *m,
	   const struct roce_pkt *pkt, uint32_t offset, uint32_t len)
{
	uint32_t skip = 0;
	int i;

	for (i = 0; i < rwqe->num_sge && len > 0; i++) {
		const struct ibv_sge *sge = &rwqe->sge[i];
		uint32_t n;

		if (offset >= sge->length) {
			offset -= sge->length;
			continue;
		}
		n = RTE_MIN(len, sge->length - offset);
		if (roce_mr_check_local(qp->dev, qp->pd, sge->lkey,
					(void *)(uintptr_t)(sge->addr + offset), n,
					IBV_ACCESS_LOCAL_WRITE) == NULL)
			return -EFAULT;
		roce_copy_payload(m, pkt, skip, (uint8_t *)(uintptr_t)sge->addr + offset, n);
		skip += n;
		len -= n;
		offset = 0;
	}
	return 0;
}

/* The end of a message: count it, complete it, answer if asked. */
static void
message_done(struct roce_qp *qp)
{
	qp->resp.msn = roce_psn_add(qp->resp.msn, 1);
	qp->resp.msg = ROCE_RESP_IDLE;
}

static void
resp_send(struct roce_qp *qp, const struct roce_pkt *pkt, const struct rte_mbuf *m)
{
	uint32_t mask = pkt->info->mask;

	if (mask & ROCE_OPF_START) {
		/* No receive WR posted: RNR NAK (IBTA 9.7.5.1.6). */
		if (!roce_qp_rq_pop(qp, &qp->resp.cur_rwqe)) {
			queue_nak(qp, ROCE_AETH_RNR_NAK | qp->attr.min_rnr_timer, pkt->psn,
				  ROCE_CNT_RESP_RNR_NAK_SENT);
			return;
		}
		qp->resp.have_rwqe = true;
		qp->resp.offset = 0;
		qp->resp.msg = ROCE_RESP_IN_SEND;
	}
	if ((uint64_t)qp->resp.offset + pkt->payload_len > qp->resp.cur_rwqe.length) {
		/* The receive buffer is too small: a local length error here,
		 * an invalid request for the sender (IBTA 9.7.5.1.5). */
		qp->resp.have_rwqe = false;
		roce_qp_complete_recv(qp, &qp->resp.cur_rwqe, IBV_WC_LOC_LEN_ERR, IBV_WC_RECV,
				      qp->resp.offset, pkt);
		fatal_nak(qp, ROCE_NAK_INVALID_REQ, pkt->psn, ROCE_CNT_RESP_INVALID_NAK_SENT);
		return;
	}
	if (place_recv(qp, &qp->resp.cur_rwqe, m, pkt, qp->resp.offset, pkt->payload_len) != 0) {
		qp->resp.have_rwqe = false;
		roce_qp_complete_recv(qp, &qp->resp.cur_rwqe, IBV_WC_LOC_PROT_ERR, IBV_WC_RECV,
				      qp->resp.offset, pkt);
		fatal_nak(qp, ROCE_NAK_REM_OP_ERR, pkt->psn, ROCE_CNT_RESP_INVALID_NAK_SENT);
		return;
	}
	qp->resp.offset += pkt->payload_len;
	qp->resp.psn = roce_psn_add(pkt->psn, 1);
	if (mask & ROCE_OPF_END) {
		qp->resp.have_rwqe = false;
		roce_qp_complete_recv(qp, &qp->resp.cur_rwqe, IBV_WC_SUCCESS, IBV_WC_RECV,
				      qp->resp.offset, pkt);
		message_done(qp);
	}
	if (pkt->ackreq)
		queue_ack(qp, ROCE_AETH_ACK_NO_CREDIT, pkt->psn);
}

static void
resp_write(struct roce_qp *qp, const struct roce_pkt *pkt, const struct rte_mbuf *m)
{
	uint32_t mask = pkt->info->mask;
	uint64_t end = (uint64_t)qp->resp.offset + pkt->payload_len;
	struct roce_recv_wqe rwqe;
	struct roce_mr *mr = NULL;

	if (mask & ROCE_OPF_START) {
		if (!qp_allows(qp, IBV_ACCESS_REMOTE_WRITE) || pkt->reth.dma_len > MAX_DMA_LEN) {
			fatal_nak(qp, ROCE_NAK_INVALID_REQ, pkt->psn,
				  ROCE_CNT_RESP_INVALID_NAK_SENT);
			return;
		}
		/* A zero-length WRITE has no R_Key to check (IBTA 9.7.5.1.3). */
		if (pkt->reth.dma_len != 0 &&
		    roce_mr_check(qp->dev, qp->pd, pkt->reth.rkey, pkt->reth.va,
				  pkt->reth.dma_len, IBV_ACCESS_REMOTE_WRITE) == NULL) {
			fatal_nak(qp, ROCE_NAK_REM_ACCESS_ERR, pkt->psn,
				  ROCE_CNT_RESP_ACCESS_NAK_SENT);
			return;
		}
		qp->resp.write_rkey = pkt->reth.rkey;
		qp->resp.write_va = pkt->reth.va;
		qp->resp.write_len = pkt->reth.dma_len;
		qp->resp.offset = 0;
		qp->resp.msg = ROCE_RESP_IN_WRITE;
		end = pkt->payload_len;
	}
	/* The message carries exactly the RETH's DMA length: no packet past
	 * it, and the last one ends there (IBTA 9.7.5.1.2, C9-91). */
	if (end > qp->resp.write_len || ((mask & ROCE_OPF_END) && end != qp->resp.write_len)) {
		fatal_nak(qp, ROCE_NAK_INVALID_REQ, pkt->psn, ROCE_CNT_RESP_INVALID_NAK_SENT);
		return;
	}
	/* The region is looked up again for every packet: one deregistered
	 * since the first packet is never written (remote access error). */
	if (pkt->payload_len != 0) {
		mr = roce_mr_check(qp->dev, qp->pd, qp->resp.write_rkey,
				   qp->resp.write_va + qp->resp.offset, pkt->payload_len,
				   IBV_ACCESS_REMOTE_WRITE);
		if (mr == NULL) {
			fatal_nak(qp, ROCE_NAK_REM_ACCESS_ERR, pkt->psn,
				  ROCE_CNT_RESP_ACCESS_NAK_SENT);
			return;
		}
	}
	/* WRITE with immediate consumes a receive WR at its last packet. With
	 * none, RNR NAK: the packet is not taken, so an ONLY packet leaves no
	 * message in progress, or its retry would look like a new message in
	 * the middle of one (IBTA 9.7.5.1.2) and be refused. */
	if ((mask & ROCE_OPF_RWR) && !roce_qp_rq_pop(qp, &rwqe)) {
		if (mask & ROCE_OPF_START)
			qp->resp.msg = ROCE_RESP_IDLE;
		queue_nak(qp, ROCE_AETH_RNR_NAK | qp->attr.min_rnr_timer, pkt->psn,
			  ROCE_CNT_RESP_RNR_NAK_SENT);
		return;
	}
	if (mr != NULL)
		roce_copy_payload(m, pkt, 0, roce_mr_ptr(mr, qp->resp.write_va + qp->resp.offset),
				  pkt->payload_len);
	qp->resp.offset = end;
	qp->resp.psn = roce_psn_add(pkt->psn, 1);
	if (mask & ROCE_OPF_END) {
		if (mask & ROCE_OPF_RWR)
			roce_qp_complete_recv(qp, &rwqe, IBV_WC_SUCCESS,
					      IBV_WC_RECV_RDMA_WITH_IMM, qp->resp.write_len, pkt);
		message_done(qp);
	}
	if (pkt->ackreq)
		queue_ack(qp, ROCE_AETH_ACK_NO_CREDIT, pkt->psn);
}

/*
 * A request we already executed (IBTA 9.7.5.1.2): SEND and WRITE are
 * acknowledged again, not redone, with or without AckReq (as rxe: the
 * requester resends because it lost an ACK); an atomic gets its saved
 * result at its own PSN, never a second execution; a READ is served again
 * from the PSN the duplicate names, which may be inside the original
 * request (a requester resuming after lost responses, 9.7.4.1.3).
 */
static void
resp_duplicate(struct roce_qp *qp, const struct roce_pkt *pkt)
{
	uint32_t mask = pkt->info->mask;
	struct roce_rd_atomic_res *res;
	uint64_t off;

	roce_count(qp->dev, ROCE_CNT_RESP_DUP);
	if (mask & (ROCE_OPF_SEND | ROCE_OPF_WRITE)) {
		queue_ack(qp, ROCE_AETH_ACK_NO_CREDIT, roce_psn_add(qp->resp.psn, ROCE_PSN_MASK));
		return;
	}
	res = res_find(qp, pkt->psn);
	if (res == NULL)
		return;		/* too old to answer: the requester times out */
	if (mask & ROCE_OPF_ATOMIC) {
		if (res->atomic && res->first_psn == pkt->psn) {
			res->next_psn = res->first_psn;
			res_sending(qp, res, true);
			roce_count(qp->dev, ROCE_CNT_RESP_ATOMIC_REPLAY);
		}
		return;
	}
	/* The resent request names the rest of the original one. Responses
	 * keep the original's shape: from inside it they are MIDDLE and LAST,
	 * as rxe answers, and what rxe's completer expects mid-message. */
	off = (uint64_t)roce_psn_diff(pkt->psn, res->first_psn) * qp->mtu;
	if (res->atomic || pkt->reth.rkey != res->rkey || pkt->reth.va != res->va + off ||
	    (uint64_t)pkt->reth.dma_len + off != res->length)
		return;
	res->next_psn = pkt->psn;
	res_sending(qp, res, true);
	roce_count(qp->dev, ROCE_CNT_RESP_READ_REPLAY);
}

void
roce_resp_rx(struct roce_qp *qp, struct roce_pkt *pkt, struct rte_mbuf *m)
{
	int32_t diff = roce_psn_diff(pkt->psn, qp->resp.psn);
	uint32_t mask = pkt->info->mask;

	/* Nothing after a failed request is executed (IBTA 9.9.3.1.3). */
	if (qp->resp.fatal_pending) {
		roce_count(qp->dev, ROCE_CNT_RX_QP_STATE);
		return;
	}
	if (diff > 0) {
		/* A gap: the packet is discarded, and one sequence NAK goes out
		 * until the gap closes (IBTA 9.7.5.1.1). It names the PSN
		 * expected when it leaves, which packets later in this burst may
		 * have moved on. */
		roce_count(qp->dev, ROCE_CNT_RESP_OUT_OF_SEQ);
		if (qp->resp.seq_nak_due) {
			if (roce_psn_gt(pkt->psn, qp->resp.ooo_max))
				qp->resp.ooo_max = pkt->psn;
		} else if (!qp->resp.nak_outstanding) {
			qp->resp.seq_nak_due = true;
			qp->resp.nak_outstanding = true;
			qp->resp.ooo_max = pkt->psn;
		}
		return;
	}
	if (diff < 0) {
		resp_duplicate(qp, pkt);
		return;
	}
	qp->resp.nak_outstanding = false;
	/* The opcode must fit the message in progress (IBTA 9.7.5.1.2). */
	if ((qp->resp.msg == ROCE_RESP_IDLE && !(mask & ROCE_OPF_START)) ||
	    (qp->resp.msg == ROCE_RESP_IN_SEND && (!(mask & ROCE_OPF_SEND) || (mask & ROCE_OPF_START))) ||
	    (qp->resp.msg == ROCE_RESP_IN_WRITE && (!(mask & ROCE_OPF_WRITE) || (mask & ROCE_OPF_START))) ||
	    /* first and middle packets carry exactly one MTU */
	    ((mask & ROCE_OPF_PAYLOAD) && !(mask & ROCE_OPF_END) && pkt->payload_len != qp->mtu) ||
	    pkt->payload_len > qp->mtu) {
		fatal_nak(qp, ROCE_NAK_INVALID_REQ, pkt->psn, ROCE_CNT_RESP_INVALID_NAK_SENT);
		return;
	}
	roce_count(qp->dev, ROCE_CNT_RESP_PKTS);
	if (mask & ROCE_OPF_SEND)
		resp_send(qp, pkt, m);
	else if (mask & ROCE_OPF_WRITE)
		resp_write(qp, pkt, m);
	else if (mask & ROCE_OPF_READ)
		resp_read(qp, pkt);
	else if (mask & ROCE_OPF_ATOMIC)
		resp_atomic(qp, pkt);
}

/* ---- Responses -------------------------------------------------------- */

/* The resource with responses to send and the lowest PSN. */
static struct roce_rd_atomic_res *
res_next_to_send(struct roce_qp *qp)
{
	return qp->resp.nb_sending != 0 ? &qp->resp.res[qp->resp.send_first] : NULL;
}

static int
send_response(struct roce_qp *qp, struct roce_rd_atomic_res *res)
{
	struct roce_dev *dev = qp->dev;
	uint32_t idx = roce_psn_diff(res->next_psn, res->first_psn);
	bool first = idx == 0, last = idx == res->npkts - 1;
	struct rte_mbuf *payload = NULL;
	struct roce_buf piece = { .len = 0 };
	struct roce_pkt pkt;
	uint64_t va = res->va + (uint64_t)idx * qp->mtu;
	uint32_t len = 0;
	uint8_t opcode;

	if (res->atomic)
		opcode = ROCE_OP_ATOMIC_ACK;
	else
		opcode = first && last ? ROCE_OP_READ_RESP_ONLY : first ? ROCE_OP_READ_RESP_FIRST :
			 last ? ROCE_OP_READ_RESP_LAST : ROCE_OP_READ_RESP_MIDDLE;
	if (!res->atomic)
		len = RTE_MIN(qp->mtu, res->length - idx * qp->mtu);
	if (len != 0) {
		/* The region by its key, again for every packet: one
		 * deregistered mid-stream is never read (remote access error). */
		struct roce_mr *mr = roce_mr_check(dev, qp->pd, res->rkey, va, len,
						   IBV_ACCESS_REMOTE_READ);

		if (mr == NULL) {
			res_sending(qp, res, false);
			fatal_nak(qp, ROCE_NAK_REM_ACCESS_ERR, res->next_psn,
				  ROCE_CNT_RESP_ACCESS_NAK_SENT);
			return 0;
		}
		roce_qp_pkt_init(qp, &pkt, opcode, res->next_psn);
		/* The ICRC is computed over the payload as it is now: copied into
		 * the frame, unless the region is declared stable while read. */
		if (mr->access & ROCE_ACCESS_READ_ZERO_COPY) {
			payload = roce_mr_attach(dev, mr, roce_mr_ptr(mr, va), len);
			if (payload == NULL) {
				roce_count(dev, ROCE_CNT_TX_NO_MBUF);
				return -ENOMEM;
			}
		} else {
			piece = (struct roce_buf){ .data = roce_mr_ptr(mr, va), .len = len };
		}
	} else {
		roce_qp_pkt_init(qp, &pkt, opcode, res->next_psn);
	}
	pkt.aeth.syndrome = ROCE_AETH_ACK_NO_CREDIT;
	pkt.aeth.msn = qp->resp.msn;
	pkt.atmack_orig = res->orig;
	pkt.payload_len = len;
	if ((piece.len != 0 ?
	     roce_qp_xmit_copy(qp, &pkt, &piece, 1, ROCE_CNT_RESP_READ_RESP_SENT) :
	     roce_qp_xmit(qp, &pkt, payload, ROCE_CNT_RESP_READ_RESP_SENT)) != 0)
		return -ENOMEM;
	res->next_psn = roce_psn_add(res->next_psn, 1);
	if (res->atomic || last)
		res_sending(qp, res, false);
	return 0;
}

int
roce_resp_poll(struct roce_qp *qp)
{
	struct roce_rd_atomic_res *res;
	int sent = 0;

	if (qp->state != IBV_QPS_RTR && qp->state != IBV_QPS_RTS)
		return 0;
	/* Nothing to send, or nowhere to send it yet: answers wait. */
	if (!roce_resp_has_answers(qp) || !roce_qp_path_ready(qp))
		return 0;
	while (sent < ROCE_RESP_BUDGET && roce_port_tx_room(qp->port) >= 8 &&
	       (res = res_next_to_send(qp)) != NULL) {
		/* Nothing at or after a failed request's PSN goes out. */
		if (qp->resp.fatal_pending && roce_psn_ge(res->next_psn, qp->resp.fatal_psn)) {
			res_sending(qp, res, false);
			continue;
		}
		if (send_response(qp, res) != 0)
			return sent;
		sent++;
	}
	/* An ACK or NAK for a later PSN must not overtake READ responses. */
	if (res_next_to_send(qp) != NULL)
		return sent;
	if (qp->resp.fatal_pending) {
		qp->resp.fatal_pending = false;
		send_ack_now(qp, qp->resp.fatal_syndrome, qp->resp.fatal_psn);
		roce_qp_to_error(qp);
		return sent + 1;
	}
	if (qp->resp.seq_nak_due) {
		qp->resp.seq_nak_due = false;
		/* Still missing something discarded: ask for it from the PSN
		 * expected now. The NAK acknowledges everything before it, so an
		 * ACK waiting for an earlier PSN goes with it. */
		if (roce_psn_le(qp->resp.psn, qp->resp.ooo_max)) {
			roce_count(qp->dev, ROCE_CNT_RESP_SEQ_NAK_SENT);
			qp->resp.nak_outstanding = true;
			send_ack_now(qp, ROCE_AETH_NAK | ROCE_NAK_PSN_SEQ_ERR, qp->resp.psn);
			sent++;
			if (qp->resp.ack_pending &&
			    roce_aeth_type(qp->resp.ack_syndrome) == ROCE_AETH_ACK)
				qp->resp.ack_pending = false;
		}
	}
	if (qp->resp.ack_pending && !ack_waits(qp)) {
		qp->resp.ack_pending = false;
		send_ack_now(qp, qp->resp.ack_syndrome, qp->resp.ack_psn);
		sent++;
	}
	return sent;
}

/* The pending ACK or NAK alone, between receive bursts (roce_dev.c): only
 * when nothing must leave before it, as at the end of roce_resp_poll(). */
int
roce_resp_flush_ack(struct roce_qp *qp)
{
	if (!qp->resp.ack_pending || qp->resp.nb_sending != 0 || qp->resp.fatal_pending ||
	    qp->resp.seq_nak_due || (qp->state != IBV_QPS_RTR && qp->state != IBV_QPS_RTS) ||
	    roce_port_tx_room(qp->port) < 8 || !roce_qp_path_ready(qp))
		return 0;
	qp->resp.ack_pending = false;
	send_ack_now(qp, qp->resp.ack_syndrome, qp->resp.ack_psn);
	return 1;
}
