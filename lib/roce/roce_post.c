/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Work requests: posting them (what IBTA 10.8 and 11.4 let a consumer
 * post, and when) and completing them (IBTA 10.8.3: signaled or not,
 * errors always), for the requester, the responder and the flush on ERR.
 */
#include <stddef.h>
#include <string.h>

#include "roce_int.h"

/* ---- Completions ------------------------------------------------------ */

static enum ibv_wc_opcode
wc_opcode(enum ibv_wr_opcode op)
{
	switch (op) {
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		return IBV_WC_RDMA_WRITE;
	case IBV_WR_RDMA_READ:
		return IBV_WC_RDMA_READ;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
		return IBV_WC_COMP_SWAP;
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		return IBV_WC_FETCH_ADD;
	default:
		return IBV_WC_SEND;
	}
}

void
roce_qp_complete_send(struct roce_qp *qp, struct roce_send_wqe *wqe, enum ibv_wc_status status)
{
	struct ibv_wc wc;

	wqe->state = ROCE_WQE_DONE;
	if (wqe->reread) {
		wqe->reread = false;
		qp->req.rereads--;
	}
	if (wqe->rd_atomic) {
		wqe->rd_atomic = false;
		qp->req.rd_atomic--;
	}
	/* Unsignaled WRs complete silently, errors never do (IBTA 10.8.3). */
	if (status == IBV_WC_SUCCESS && !qp->sq_sig_all &&
	    !(wqe->wr.send_flags & IBV_SEND_SIGNALED))
		return;
	memset(&wc, 0, sizeof(wc));
	wc.wr_id = wqe->wr.wr_id;
	wc.status = status;
	wc.opcode = wc_opcode(wqe->wr.opcode);
	wc.byte_len = wqe->length;
	wc.qp_num = qp->qpn;
	if (roce_cq_push(qp->send_cq, &wc) != 0 && qp->state != IBV_QPS_ERR)
		roce_qp_to_error(qp);
}

void
roce_qp_complete_recv(struct roce_qp *qp, const struct roce_recv_wqe *rwqe,
		      enum ibv_wc_status status, enum ibv_wc_opcode opcode, uint32_t byte_len,
		      const struct roce_pkt *pkt)
{
	struct ibv_wc wc;

	memset(&wc, 0, sizeof(wc));
	wc.wr_id = rwqe->wr_id;
	wc.status = status;
	wc.opcode = opcode;
	wc.byte_len = byte_len;
	wc.qp_num = qp->qpn;
	wc.src_qp = qp->dest_qpn;
	if (pkt != NULL && (pkt->info->mask & ROCE_OPF_IMMDT)) {
		wc.wc_flags |= IBV_WC_WITH_IMM;
		wc.imm_data = rte_cpu_to_be_32(pkt->imm);
	} else if (pkt != NULL && (pkt->info->mask & ROCE_OPF_IETH)) {
		wc.wc_flags |= IBV_WC_WITH_INV;
		wc.invalidated_rkey = pkt->ieth_rkey;
	}
	if (roce_cq_push(qp->recv_cq, &wc) != 0 && qp->state != IBV_QPS_ERR)
		roce_qp_to_error(qp);
}

bool
roce_qp_rq_pop(struct roce_qp *qp, struct roce_recv_wqe *rwqe)
{
	if (qp->rq_head == qp->rq_tail)
		return false;
	*rwqe = qp->rq[qp->rq_tail++ & qp->rq_mask];
	return true;
}

/* ---- Posting ---------------------------------------------------------- */

static bool
opcode_supported(enum ibv_wr_opcode op)
{
	switch (op) {
	case IBV_WR_SEND:
	case IBV_WR_SEND_WITH_IMM:
	case IBV_WR_SEND_WITH_INV:
	case IBV_WR_RDMA_WRITE:
	case IBV_WR_RDMA_WRITE_WITH_IMM:
	case IBV_WR_RDMA_READ:
	case IBV_WR_ATOMIC_CMP_AND_SWP:
	case IBV_WR_ATOMIC_FETCH_AND_ADD:
		return true;
	default:
		return false;
	}
}

static int
post_one_send(struct roce_qp *qp, const struct ibv_send_wr *wr)
{
	struct roce_send_wqe *wqe;
	uint64_t length = 0;
	int i;

	if (!opcode_supported(wr->opcode) || wr->num_sge < 0 ||
	    (uint32_t)wr->num_sge > qp->cap.max_send_sge)
		return -EINVAL;
	for (i = 0; i < wr->num_sge; i++)
		length += wr->sg_list[i].length;
	if (length > (1u << 31))
		return -EINVAL;
	/* An atomic returns 8 bytes into one local SGE (IBTA 9.4.5). */
	if ((wr->opcode == IBV_WR_ATOMIC_CMP_AND_SWP || wr->opcode == IBV_WR_ATOMIC_FETCH_AND_ADD) &&
	    (wr->num_sge != 1 || wr->sg_list[0].length != 8 ||
	     (wr->wr.atomic.remote_addr & 7) != 0))
		return -EINVAL;
	if ((wr->send_flags & IBV_SEND_INLINE) &&
	    (length > qp->cap.max_inline_data || wr->opcode == IBV_WR_RDMA_READ))
		return -EINVAL;
	if (qp->sq_head - qp->sq_tail > qp->sq_mask)
		return -ENOMEM;

	wqe = roce_sq_wqe(qp, qp->sq_head);
	memset(&wqe->length, 0, offsetof(struct roce_send_wqe, sge) -
				offsetof(struct roce_send_wqe, length));
	wqe->wr = *wr;
	wqe->wr.next = NULL;
	wqe->wr.sg_list = NULL;
	if (wr->num_sge > 0)
		memcpy(wqe->sge, wr->sg_list, wr->num_sge * sizeof(wqe->sge[0]));
	wqe->length = length;
	wqe->state = ROCE_WQE_POSTED;
	if (wr->send_flags & IBV_SEND_INLINE) {
		uint8_t *p = qp->inline_slab + (size_t)(qp->sq_head & qp->sq_mask) *
						   qp->cap.max_inline_data;

		wqe->inline_buf = p;
		for (i = 0; i < wr->num_sge; i++) {
			memcpy(p, (const void *)(uintptr_t)wr->sg_list[i].addr,
			       wr->sg_list[i].length);
			p += wr->sg_list[i].length;
		}
	}
	qp->sq_head++;
	return 0;
}

int
roce_post_send(struct roce_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr)
{
	int rc;

	if (qp->state != IBV_QPS_RTS && qp->state != IBV_QPS_ERR) {
		*bad_wr = wr;
		return -EINVAL;
	}
	for (; wr != NULL; wr = wr->next) {
		rc = post_one_send(qp, wr);
		if (rc != 0) {
			*bad_wr = wr;
			return rc;
		}
		/* In ERR a WR is accepted and flushed at once (IBTA 11.4.1.1). */
		if (qp->state == IBV_QPS_ERR) {
			roce_qp_complete_send(qp, roce_sq_wqe(qp, qp->sq_tail), IBV_WC_WR_FLUSH_ERR);
			qp->sq_cur = ++qp->sq_tail;
		}
	}
	/* An answer to what the last poll received: ping-pong mode, the
	 * ACK of that request may wait for this one (roce_resp.c). */
	if (qp->resp.req_poll == qp->dev->poll_seq && qp->resp.req_poll != 0) {
		qp->resp.answered_poll = qp->resp.req_poll;
		qp->resp.pingpong = true;
	}
	roce_qp_wake(qp);
	/* The answer an ACK waits for: both leave now, not at the next poll. */
	if (qp->resp.ack_held_poll != 0 && qp->resp.ack_held_poll == qp->dev->poll_seq)
		roce_dev_answer_now(qp);
	return 0;
}

int
roce_post_recv(struct roce_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr)
{
	struct roce_recv_wqe *rwqe;
	uint64_t length;
	int i;

	for (; wr != NULL; wr = wr->next) {
		if (qp->state == IBV_QPS_RESET || wr->num_sge < 0 ||
		    (uint32_t)wr->num_sge > qp->cap.max_recv_sge) {
			*bad_wr = wr;
			return -EINVAL;
		}
		if (qp->rq_head - qp->rq_tail > qp->rq_mask ||
		    qp->rq_head - qp->rq_tail >= RTE_MAX(qp->cap.max_recv_wr, 1u)) {
			*bad_wr = wr;
			return -ENOMEM;
		}
		rwqe = &qp->rq[qp->rq_head & qp->rq_mask];
		rwqe->wr_id = wr->wr_id;
		rwqe->num_sge = wr->num_sge;
		if (wr->num_sge > 0)	/* a WR without SGEs may have no list at all */
			memcpy(rwqe->sge, wr->sg_list, wr->num_sge * sizeof(rwqe->sge[0]));
		for (length = 0, i = 0; i < wr->num_sge; i++)
			length += wr->sg_list[i].length;
		rwqe->length = RTE_MIN(length, UINT32_MAX);
		qp->rq_head++;
		if (qp->state == IBV_QPS_ERR) {
			struct roce_recv_wqe flushed;

			roce_qp_rq_pop(qp, &flushed);
			roce_qp_complete_recv(qp, &flushed, IBV_WC_WR_FLUSH_ERR, IBV_WC_RECV, 0, NULL);
		}
	}
	return 0;
}
