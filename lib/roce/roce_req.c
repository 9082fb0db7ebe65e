/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Requester: turns send WRs into request packets (IBTA 9.7.4), segmented
 * by the path MTU, payload attached from registered memory without a copy.
 * Go-back-N retransmission (IBTA 9.7.7) rewinds it to a PSN; the packets
 * are rebuilt from the same memory.
 */
#include <string.h>

#include "roce_int.h"

bool
roce_wqe_is_rd_atomic(const struct roce_send_wqe *wqe)
{
	return wqe->wr.opcode == IBV_WR_RDMA_READ || wqe->wr.opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
	       wqe->wr.opcode == IBV_WR_ATOMIC_FETCH_AND_ADD;
}

/* Opcode of packet @p idx of @p n of a WR (IBTA 9.7.4.1.x). */
static uint8_t
req_opcode(const struct roce_send_wqe *wqe, uint32_t idx, uint32_t n)
{
	bool first = idx == 0, last = idx == n - 1;

	switch (wqe->wr.opcode) {
	case IBV_WR_SEND:
		return first && last ? ROCE_OP_SEND_ONLY : first ? ROCE_OP_SEND_FIRST :
		       last ? ROCE_OP_SEND_LAST : ROCE_OP_SEND_MIDDLE;
	case IBV_WR_SEND_WITH_IMM:
		return first && last ? ROCE_OP_SEND_ONLY_IMM : first ? ROCE_OP_SEND_FIRST :
		       last ? ROCE_OP_SEND_LAST_IMM : ROCE_OP_SEND_MIDDLE;
	case IBV_WR_SEND_WITH_INV:
		return first && last ? ROCE_OP_SEND_ONLY_INV : first ? ROCE_OP_SEND_FIRST :
		       last ? ROCE_OP_SEND_LAST_INV : ROCE_OP_SEND_MIDDLE;
	case IBV_WR_RDMA_WRITE:
		return first && last ? ROCE_OP_WRITE_ONLY : first ? ROCE_OP_WRITE_FIRST :
		       last ? ROCE_OP_WRITE_LAST : ROCE_OP_WRITE_MIDDLE;
	case IBV_WR_RDMA_WRITE_WITH_IMM:
		return first && last ? ROCE_OP_WRITE_ONLY_IMM : first ? ROCE_OP_WRITE_FIRST :
		       last ? ROCE_OP_WRITE_LAST_IMM : ROCE_OP_WRITE_MIDDLE;
	case IBV_WR_RDMA_READ:
		return ROCE_OP_READ_REQUEST;
	case IBV_WR_ATOMIC_CMP_AND_SWP:
		return ROCE_OP_COMPARE_SWAP;
	default:
		return ROCE_OP_FETCH_ADD;
	}
}

struct rte_mbuf *
roce_sge_mbufs(struct roce_dev *dev, const struct ibv_sge *sge, struct roce_mr *const *mr,
	       int num_sge, uint32_t offset, uint32_t len)
{
	struct rte_mbuf *head = NULL;
	int i;

	for (i = 0; i < num_sge && len > 0; i++) {
		uint32_t n;

		if (offset >= sge[i].length) {
			offset -= sge[i].length;
			continue;
		}
		n = RTE_MIN(len, sge[i].length - offset);
		if (roce_chain_append(&head, roce_mr_attach(dev, mr[i],
							    (uint8_t *)(uintptr_t)sge[i].addr + offset,
							    n)) != 0)
			return NULL;
		len -= n;
		offset = 0;
	}
	return head;
}

/* Bytes [offset, offset + len) of a WR's data as pieces in place. */
static unsigned int
wqe_slices(const struct roce_send_wqe *wqe, uint32_t offset, uint32_t len,
	   struct roce_buf piece[ROCE_MAX_SGE])
{
	unsigned int n = 0;
	int i;

	if (wqe->inline_buf != NULL) {
		piece[0] = (struct roce_buf){ .data = wqe->inline_buf + offset, .len = len };
		return 1;
	}
	for (i = 0; i < wqe->wr.num_sge && len > 0; i++) {
		uint32_t k;

		if (offset >= wqe->sge[i].length) {
			offset -= wqe->sge[i].length;
			continue;
		}
		k = RTE_MIN(len, wqe->sge[i].length - offset);
		piece[n].data = (const uint8_t *)(uintptr_t)wqe->sge[i].addr + offset;
		piece[n++].len = k;
		len -= k;
		offset = 0;
	}
	return n;
}

/* Resolve the WR's lkeys once, when it starts (IBTA 10.6.3.2). */
static int
wqe_start(struct roce_qp *qp, struct roce_send_wqe *wqe)
{
	unsigned int access = roce_wqe_is_rd_atomic(wqe) ? IBV_ACCESS_LOCAL_WRITE : 0;
	int i;

	if (wqe->inline_buf == NULL)
		for (i = 0; i < wqe->wr.num_sge; i++) {
			wqe->sge_mr[i] = roce_mr_check_local(qp->dev, qp->pd, wqe->sge[i].lkey,
							     (void *)(uintptr_t)wqe->sge[i].addr,
							     wqe->sge[i].length, access);
			if (wqe->sge_mr[i] == NULL && wqe->sge[i].length != 0) {
				roce_count(qp->dev, ROCE_CNT_REQ_LOCAL_ERR);
				return -EFAULT;
			}
		}
	wqe->first_psn = qp->req.psn;
	if (wqe->wr.opcode == IBV_WR_ATOMIC_CMP_AND_SWP ||
	    wqe->wr.opcode == IBV_WR_ATOMIC_FETCH_AND_ADD)
		wqe->npkts = 1;
	else
		wqe->npkts = RTE_MAX((wqe->length + qp->mtu - 1) / qp->mtu, 1u);
	wqe->state = ROCE_WQE_SENDING;
	return 0;
}

uint32_t
roce_wqe_resp_psn(const struct roce_qp *qp, const struct roce_send_wqe *wqe)
{
	if (wqe->resp_done)
		return roce_psn_add(wqe->first_psn, wqe->npkts);
	return roce_psn_add(wqe->first_psn, wqe->resp_bytes / qp->mtu);
}

void
roce_req_reread(struct roce_qp *qp, struct roce_send_wqe *wqe)
{
	if (!wqe->reread) {
		wqe->reread = true;
		qp->req.rereads++;
	}
}

/* Build and stage packet @p idx of @p wqe, at @p psn. */
static int
send_packet(struct roce_qp *qp, struct roce_send_wqe *wqe, uint32_t idx, uint32_t psn)
{
	struct roce_dev *dev = qp->dev;
	const struct ibv_send_wr *wr = &wqe->wr;
	uint8_t opcode = req_opcode(wqe, idx, wqe->npkts);
	const struct roce_opcode_info *info = roce_opcode_info(opcode);
	uint32_t offset = idx * qp->mtu, len = 0;
	struct rte_mbuf *payload = NULL;
	struct roce_pkt pkt;
	int rc;

	roce_qp_pkt_init(qp, &pkt, opcode, psn);
	if (info->mask & ROCE_OPF_PAYLOAD)
		len = RTE_MIN(qp->mtu, wqe->length - offset);
	pkt.payload_len = len;
	pkt.se = (info->mask & ROCE_OPF_END) && (wr->send_flags & IBV_SEND_SOLICITED);
	/* AckReq on the last packet of a message, now and then within a long
	 * one, and on the packet that fills the window, so the sender learns
	 * of progress (IBTA 9.7.4.1.4): a responder may hold its ACK until
	 * asked, and a window smaller than the interval (after a loss) would
	 * then wait for the retransmission timer. */
	pkt.ackreq = (info->mask & ROCE_OPF_END) ||
		     ++qp->req.ackreq_count % ROCE_ACKREQ_INTERVAL == 0 ||
		     roce_psn_diff(roce_psn_add(psn, 1), qp->comp.psn) >=
		     (int32_t)roce_window_size(&qp->win);
	if (info->mask & ROCE_OPF_RETH) {
		pkt.reth.va = wr->wr.rdma.remote_addr + offset;
		pkt.reth.rkey = wr->wr.rdma.rkey;
		/* A resumed READ asks for what is left (IBTA 9.7.4.1.3). */
		pkt.reth.dma_len = wr->opcode == IBV_WR_RDMA_READ ? wqe->length - offset :
								    wqe->length;
	}
	if (info->mask & ROCE_OPF_ATMETH) {
		pkt.atmeth.va = wr->wr.atomic.remote_addr;
		pkt.atmeth.rkey = wr->wr.atomic.rkey;
		pkt.atmeth.swap_add = wr->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ?
				      wr->wr.atomic.swap : wr->wr.atomic.compare_add;
		pkt.atmeth.compare = wr->opcode == IBV_WR_ATOMIC_CMP_AND_SWP ?
				     wr->wr.atomic.compare_add : 0;
	}
	if (info->mask & ROCE_OPF_IMMDT)
		pkt.imm = rte_be_to_cpu_32(wr->imm_data);
	if (info->mask & ROCE_OPF_IETH)
		pkt.ieth_rkey = wr->invalidate_rkey;

	if (len == 0) {
		rc = roce_qp_xmit(qp, &pkt, NULL, ROCE_CNT_REQ_PKTS);
	} else if (len <= ROCE_TX_COPY_MAX || wqe->inline_buf != NULL) {
		/* Small payloads, and inline data (its own copy already, at most
		 * 1 KiB), are copied behind the headers. */
		struct roce_buf piece[ROCE_MAX_SGE];
		unsigned int n = wqe_slices(wqe, offset, len, piece);

		rc = roce_qp_xmit_copy(qp, &pkt, piece, n, ROCE_CNT_REQ_PKTS);
	} else {
		/* Registered memory, attached. */
		payload = roce_sge_mbufs(dev, wqe->sge, wqe->sge_mr, wr->num_sge, offset, len);
		if (payload == NULL) {
			roce_count(dev, ROCE_CNT_TX_NO_MBUF);
			return -ENOMEM;
		}
		rc = roce_qp_xmit(qp, &pkt, payload, ROCE_CNT_REQ_PKTS);
	}
	if (rc != 0)
		return -ENOMEM;
	if (roce_psn_lt(psn, qp->req.max_psn))
		roce_count(dev, ROCE_CNT_REQ_RETRANSMITS);
	roce_window_sent(&qp->win, psn, !roce_psn_lt(psn, qp->req.max_psn), pkt.ackreq,
			 dev->now_ns);
	if (info->mask & ROCE_OPF_READ)
		wqe->read_req_psn = psn;
	return 0;
}

/* May @p wqe start now? Fences and the READ/atomic limit can hold it. */
static bool
wqe_may_start(const struct roce_qp *qp, const struct roce_send_wqe *wqe)
{
	/* IBTA 10.8.3.3: a fenced WR waits for earlier READs and atomics. */
	if ((wqe->wr.send_flags & IBV_SEND_FENCE) && qp->req.rd_atomic > 0)
		return false;
	if (roce_wqe_is_rd_atomic(wqe) && qp->req.rd_atomic >= qp->attr.max_rd_atomic)
		return false;
	return true;
}

/* READs and atomics asked for again on their own (roce_req_reread):
 * one request each, from where their responses stand. */
static int
send_rereads(struct roce_qp *qp)
{
	int sent = 0;
	uint32_t i;

	for (i = qp->sq_tail; i != qp->sq_cur && qp->req.rereads > 0; i++) {
		struct roce_send_wqe *wqe = roce_sq_wqe(qp, i);
		uint32_t psn;

		if (!wqe->reread)
			continue;
		psn = roce_wqe_resp_psn(qp, wqe);
		/* Everything may have come in since it was asked for. */
		if (!wqe->resp_done &&
		    send_packet(qp, wqe, roce_psn_diff(psn, wqe->first_psn), psn) != 0)
			break;
		wqe->reread = false;
		qp->req.rereads--;
		sent++;
	}
	return sent;
}

int
roce_req_poll(struct roce_qp *qp)
{
	struct roce_dev *dev = qp->dev;
	int sent = 0;

	if (qp->state != IBV_QPS_RTS || dev->now_ns < qp->req.rnr_until_ns ||
	    (qp->sq_cur == qp->sq_head && qp->req.rereads == 0) || !roce_qp_path_ready(qp))
		return 0;
	if (qp->req.rereads > 0)
		sent = send_rereads(qp);
	while (sent < ROCE_QP_TX_BUDGET && qp->sq_cur != qp->sq_head) {
		struct roce_send_wqe *wqe = roce_sq_wqe(qp, qp->sq_cur);
		bool idle = qp->comp.psn == qp->req.max_psn;
		uint32_t idx, psn_used;

		/* The window counts PSNs from the oldest unacknowledged, resends
		 * included: a go-back-N resend is never larger than it. */
		if (roce_psn_diff(qp->req.psn, qp->comp.psn) >=
		    (int32_t)roce_window_size(&qp->win) || roce_port_tx_room(qp->port) < 8)
			break;
		if (wqe->state == ROCE_WQE_POSTED) {
			if (!wqe_may_start(qp, wqe))
				break;
			if (wqe_start(qp, wqe) != 0) {
				/* A local protection error fails the WR and the QP. */
				roce_qp_fail(qp, qp->sq_cur, IBV_WC_LOC_PROT_ERR);
				return sent + 1;
			}
		}
		idx = roce_psn_diff(qp->req.psn, wqe->first_psn);
		if (roce_wqe_is_rd_atomic(wqe)) {
			/* Going back over a READ or atomic: ask only for what has
			 * not arrived, nothing if all of it has. */
			uint32_t have = roce_psn_diff(roce_wqe_resp_psn(qp, wqe), wqe->first_psn);

			if (have > idx)
				idx = have;
			if (wqe->reread) {
				wqe->reread = false;
				qp->req.rereads--;
			}
			if (idx < wqe->npkts &&
			    send_packet(qp, wqe, idx, roce_psn_add(wqe->first_psn, idx)) != 0)
				break;
			/* One request stands for every response PSN. */
			psn_used = wqe->npkts - idx;
			if (!wqe->rd_atomic) {
				wqe->rd_atomic = true;
				qp->req.rd_atomic++;
			}
			qp->req.psn = roce_psn_add(wqe->first_psn, idx);
		} else {
			if (send_packet(qp, wqe, idx, qp->req.psn) != 0)
				break;
			psn_used = 1;
		}
		qp->req.psn = roce_psn_add(qp->req.psn, psn_used);
		if (roce_psn_gt(qp->req.psn, qp->req.max_psn))
			qp->req.max_psn = qp->req.psn;
		if (idle)	/* the ACK timer starts with the first packet out */
			qp->comp.progress_ns = qp->comp.data_ns = dev->now_ns;
		if (idx + psn_used >= wqe->npkts) {
			wqe->state = ROCE_WQE_PENDING;
			qp->sq_cur++;
		}
		sent++;
	}
	return sent;
}

/* Go back N: send again from @p psn, which the responder expects. */
void
roce_req_rewind(struct roce_qp *qp, uint32_t psn)
{
	uint32_t i;

	/* Never before what is acknowledged: a stale NAK asks for nothing. */
	if (roce_psn_lt(psn, qp->comp.psn))
		psn = qp->comp.psn;
	for (i = qp->sq_tail; i != qp->sq_head; i++) {
		struct roce_send_wqe *wqe = roce_sq_wqe(qp, i);

		if (wqe->state == ROCE_WQE_POSTED)
			break;
		if (roce_psn_ge(psn, wqe->first_psn) &&
		    roce_psn_lt(psn, roce_psn_add(wqe->first_psn, wqe->npkts))) {
			qp->sq_cur = i;
			qp->req.psn = psn;
			wqe->state = ROCE_WQE_SENDING;
			return;
		}
	}
	/* Nothing sent at or after psn: carry on from where we are. */
}

/* After acknowledgements, never resend what the responder already has. */
void
roce_req_catch_up(struct roce_qp *qp)
{
	if ((int32_t)(qp->sq_cur - qp->sq_tail) < 0)
		qp->sq_cur = qp->sq_tail;
	if (roce_psn_lt(qp->req.psn, qp->comp.psn)) {
		qp->req.psn = qp->comp.psn;
		roce_req_rewind(qp, qp->comp.psn);
		if (roce_psn_lt(qp->req.psn, qp->comp.psn))
			qp->req.psn = qp->comp.psn;
	}
}
