/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Completer: acknowledgements, NAKs, READ responses and atomic ACKs
 * (IBTA 9.7.5.2), the local ACK timeout and retry counts (9.7.6), and the
 * completion of send WRs, always in the order they were posted.
 */
#include <string.h>

#include "roce_int.h"

static void
progress(struct roce_qp *qp)
{
	qp->comp.progress_ns = qp->dev->now_ns;
	qp->comp.retry_left = qp->attr.retry_cnt;
	qp->comp.rnr_retry_left = qp->attr.rnr_retry;
}

/* The next response PSN a READ or atomic at the head expects. */
static uint32_t
rd_atomic_expected(const struct roce_qp *qp, const struct roce_send_wqe *wqe)
{
	return roce_psn_add(wqe->first_psn, wqe->resp_bytes / qp->mtu);
}

/* A response is missing: ask again, once per missing PSN. */
static void
rd_atomic_retry(struct roce_qp *qp, uint32_t psn)
{
	if (qp->comp.read_retry_armed && qp->comp.read_retry_psn == psn)
		return;
	qp->comp.read_retry_armed = true;
	qp->comp.read_retry_psn = psn;
	roce_count(qp->dev, ROCE_CNT_REQ_READ_GAP);
	roce_req_rewind(qp, psn);
}

/*
 * Everything up to and including @p psn reached the responder: complete
 * SEND and WRITE WRs it covers. A READ or atomic it covers whose response
 * has not arrived lost that response (IBTA 9.7.5.1.5, implicit NAK): it
 * is asked for again and completion stops there.
 * @return true if anything moved forward.
 */
static bool
ack_through(struct roce_qp *qp, uint32_t psn)
{
	uint32_t next = roce_psn_add(psn, 1);
	bool moved = false;

	while (qp->sq_tail != qp->sq_head) {
		struct roce_send_wqe *wqe = roce_sq_wqe(qp, qp->sq_tail);
		uint32_t last;

		if (wqe->state == ROCE_WQE_POSTED)
			break;
		last = roce_psn_add(wqe->first_psn, wqe->npkts - 1);
		if (roce_wqe_is_rd_atomic(wqe)) {
			if (roce_psn_ge(psn, rd_atomic_expected(qp, wqe))) {
				next = rd_atomic_expected(qp, wqe);
				rd_atomic_retry(qp, next);
			} else if (roce_psn_lt(psn, wqe->first_psn)) {
				next = roce_psn_add(psn, 1);
			} else {
				next = rd_atomic_expected(qp, wqe);
			}
			break;
		}
		if (roce_psn_lt(psn, last))
			break;
		roce_qp_complete_send(qp, wqe, IBV_WC_SUCCESS);
		qp->sq_tail++;
		moved = true;
	}
	if (roce_psn_gt(next, qp->comp.psn)) {
		qp->comp.psn = next;
		moved = true;
	}
	if (moved)
		progress(qp);
	roce_req_catch_up(qp);
	return moved;
}

static enum ibv_wc_status
nak_status(uint8_t code)
{
	switch (code) {
	case ROCE_NAK_INVALID_REQ:
		return IBV_WC_REM_INV_REQ_ERR;
	case ROCE_NAK_REM_ACCESS_ERR:
		return IBV_WC_REM_ACCESS_ERR;
	case ROCE_NAK_INVALID_RD_REQ:
		return IBV_WC_REM_INV_RD_REQ_ERR;
	default:
		return IBV_WC_REM_OP_ERR;
	}
}

/* The sent WR whose PSNs hold @p psn: the one a NAK blames. The oldest
 * outstanding one if none does (it is the one that cannot complete). */
static uint32_t
wqe_at_psn(struct roce_qp *qp, uint32_t psn)
{
	uint32_t i;

	for (i = qp->sq_tail; i != qp->sq_head; i++) {
		const struct roce_send_wqe *wqe = roce_sq_wqe(qp, i);

		if (wqe->state == ROCE_WQE_POSTED)
			break;
		if (roce_psn_ge(psn, wqe->first_psn) &&
		    roce_psn_lt(psn, roce_psn_add(wqe->first_psn, wqe->npkts)))
			return i;
	}
	return qp->sq_tail;
}

static void
comp_ack(struct roce_qp *qp, const struct roce_pkt *pkt)
{
	struct roce_dev *dev = qp->dev;
	uint8_t syn = pkt->aeth.syndrome;
	uint32_t prev = roce_psn_add(pkt->psn, ROCE_PSN_MASK);	/* psn - 1 */

	switch (roce_aeth_type(syn)) {
	case ROCE_AETH_ACK:
		if (!ack_through(qp, pkt->psn))
			roce_count(dev, ROCE_CNT_REQ_DUP_RESP);
		return;
	case ROCE_AETH_RNR_NAK:
		/* IBTA 9.7.5.2.8: wait the responder's timer, then resend. */
		roce_count(dev, ROCE_CNT_REQ_RNR_NAK_RCVD);
		ack_through(qp, prev);
		if (qp->comp.rnr_retry_left == 0) {
			roce_count(dev, ROCE_CNT_REQ_RNR_RETRY_EXC);
			roce_qp_fail(qp, qp->sq_tail, IBV_WC_RNR_RETRY_EXC_ERR);
			return;
		}
		if (qp->attr.rnr_retry != 7)	/* 7 means retry forever */
			qp->comp.rnr_retry_left--;
		roce_count(dev, ROCE_CNT_RNR_WAITS);
		qp->req.rnr_until_ns = dev->now_ns + roce_rnr_timer_ns(roce_aeth_value(syn));
		/* The ACK timer restarts when the wait is over. */
		qp->comp.progress_ns = qp->req.rnr_until_ns;
		roce_req_rewind(qp, pkt->psn);
		return;
	case ROCE_AETH_NAK:
		ack_through(qp, prev);
		if (roce_aeth_value(syn) == ROCE_NAK_PSN_SEQ_ERR) {
			/* IBTA 9.7.5.2.4: go back to the PSN the responder expects. */
			roce_count(dev, ROCE_CNT_REQ_SEQ_NAK_RCVD);
			if (qp->comp.retry_left == 0) {
				roce_count(dev, ROCE_CNT_REQ_RETRY_EXC);
				roce_qp_fail(qp, qp->sq_tail, IBV_WC_RETRY_EXC_ERR);
				return;
			}
			qp->comp.retry_left--;
			roce_req_rewind(qp, qp->comp.psn);
			return;
		}
		/* Invalid request, access or operational error: the WR at that
		 * PSN fails and so does the QP (IBTA 9.7.5.2.5..7). */
		roce_count(dev, ROCE_CNT_REQ_ERR_NAK_RCVD);
		roce_qp_fail(qp, wqe_at_psn(qp, pkt->psn), nak_status(roce_aeth_value(syn)));
		return;
	default:
		roce_count(dev, ROCE_CNT_REQ_BAD_RESP);
	}
}

/* Copy @p len bytes of a response into the WR's local SGEs at @p offset.
 * The regions are looked up again: one deregistered while the READ was
 * outstanding is not written. @return 0, or -EFAULT. */
static int
place_response(struct roce_qp *qp, struct roce_send_wqe *wqe, const struct rte_mbuf *m,
	       const struct roce_pkt *pkt, uint32_t offset, uint32_t len)
{
	uint32_t skip = 0;
	int i;

	for (i = 0; i < wqe->wr.num_sge && len > 0; i++) {
		uint8_t *dst;
		uint32_t n;

		if (offset >= wqe->sge[i].length) {
			offset -= wqe->sge[i].length;
			continue;
		}
		n = RTE_MIN(len, wqe->sge[i].length - offset);
		dst = (uint8_t *)(uintptr_t)wqe->sge[i].addr + offset;
		if (roce_mr_check_local(qp->dev, qp->pd, wqe->sge[i].lkey, dst, n,
					IBV_ACCESS_LOCAL_WRITE) == NULL)
			return -EFAULT;
		roce_copy_payload(m, pkt, skip, dst, n);
		skip += n;
		len -= n;
		offset = 0;
	}
	return 0;
}

/* The READ or atomic at the head of the queue, after completing what the
 * response implicitly acknowledges (IBTA 9.7.5.1.4). NULL if none. */
static struct roce_send_wqe *
response_target(struct roce_qp *qp, uint32_t psn)
{
	struct roce_send_wqe *wqe;

	ack_through(qp, roce_psn_add(psn, ROCE_PSN_MASK));
	if (qp->sq_tail == qp->sq_head)
		return NULL;
	wqe = roce_sq_wqe(qp, qp->sq_tail);
	if (wqe->state == ROCE_WQE_POSTED || !roce_wqe_is_rd_atomic(wqe))
		return NULL;
	return wqe;
}

static void
comp_read_resp(struct roce_qp *qp, const struct roce_pkt *pkt, const struct rte_mbuf *m)
{
	struct roce_dev *dev = qp->dev;
	struct roce_send_wqe *wqe = response_target(qp, pkt->psn);
	uint32_t expected, last, mask = pkt->info->mask, want, offset;
	bool first, final;

	if (wqe == NULL || wqe->wr.opcode != IBV_WR_RDMA_READ) {
		roce_count(dev, ROCE_CNT_REQ_BAD_RESP);
		return;
	}
	expected = rd_atomic_expected(qp, wqe);
	if (roce_psn_lt(pkt->psn, expected)) {
		roce_count(dev, ROCE_CNT_REQ_DUP_RESP);
		return;
	}
	if (pkt->psn != expected) {	/* a response was lost */
		rd_atomic_retry(qp, expected);
		return;
	}
	/*
	 * The data of a PSN is fixed by its place in the message, so any
	 * response at the expected PSN is taken if its shape fits: LAST or ONLY
	 * exactly at the last PSN, one MTU before it. A resumed READ may be
	 * answered with FIRST or with MIDDLE at the PSN it resumed from (rxe
	 * sends MIDDLE, IBTA 9.7.5.1.3); a FIRST anywhere else answers an
	 * earlier resume whose stream is stale: dropped, never fatal.
	 */
	last = roce_psn_add(wqe->first_psn, wqe->npkts - 1);
	first = pkt->psn == wqe->first_psn;
	final = pkt->psn == last;
	offset = wqe->resp_bytes;
	want = RTE_MIN(qp->mtu, wqe->length - offset);
	if (!!(mask & ROCE_OPF_END) != final || pkt->payload_len != want ||
	    (first && !(mask & ROCE_OPF_START))) {
		ROCE_LOG(DEBUG, "%s: QP %u: bad READ response %s psn %u len %u", dev->name,
			 qp->qpn, pkt->info->name, pkt->psn, pkt->payload_len);
		roce_count(dev, ROCE_CNT_REQ_BAD_RESP);
		roce_qp_fail(qp, qp->sq_tail, IBV_WC_BAD_RESP_ERR);
		return;
	}
	if ((mask & ROCE_OPF_START) && !first && pkt->psn != wqe->read_req_psn) {
		roce_count(dev, ROCE_CNT_REQ_DUP_RESP);
		return;
	}
	if (place_response(qp, wqe, m, pkt, offset, want) != 0) {
		roce_count(dev, ROCE_CNT_REQ_LOCAL_ERR);
		roce_qp_fail(qp, qp->sq_tail, IBV_WC_LOC_PROT_ERR);
		return;
	}
	wqe->resp_bytes += want;
	qp->comp.psn = roce_psn_add(pkt->psn, 1);
	qp->comp.read_retry_armed = false;
	progress(qp);
	if (final) {
		roce_qp_complete_send(qp, wqe, IBV_WC_SUCCESS);
		qp->sq_tail++;
	}
	roce_req_catch_up(qp);
}

static void
comp_atomic_ack(struct roce_qp *qp, const struct roce_pkt *pkt)
{
	struct roce_send_wqe *wqe = response_target(qp, pkt->psn);

	if (wqe == NULL || wqe->wr.opcode == IBV_WR_RDMA_READ || pkt->psn != wqe->first_psn) {
		roce_count(qp->dev, wqe != NULL && roce_psn_lt(pkt->psn, wqe->first_psn) ?
			   ROCE_CNT_REQ_DUP_RESP : ROCE_CNT_REQ_BAD_RESP);
		return;
	}
	/* The original value lands in local memory in host order, in the one
	 * 8-byte SGE post_send allowed, still registered for local write. */
	if (wqe->wr.num_sge != 1 || wqe->sge[0].length != sizeof(uint64_t) ||
	    roce_mr_check_local(qp->dev, qp->pd, wqe->sge[0].lkey,
				(void *)(uintptr_t)wqe->sge[0].addr, sizeof(uint64_t),
				IBV_ACCESS_LOCAL_WRITE) == NULL) {
		roce_count(qp->dev, ROCE_CNT_REQ_LOCAL_ERR);
		roce_qp_fail(qp, qp->sq_tail, IBV_WC_LOC_PROT_ERR);
		return;
	}
	memcpy((void *)(uintptr_t)wqe->sge[0].addr, &pkt->atmack_orig, sizeof(uint64_t));
	wqe->resp_bytes = sizeof(uint64_t);
	qp->comp.psn = roce_psn_add(pkt->psn, 1);
	qp->comp.read_retry_armed = false;
	progress(qp);
	roce_qp_complete_send(qp, wqe, IBV_WC_SUCCESS);
	qp->sq_tail++;
	roce_req_catch_up(qp);
}

void
roce_comp_rx(struct roce_qp *qp, struct roce_pkt *pkt, struct rte_mbuf *m)
{
	uint32_t mask = pkt->info->mask;

	/* A response answers a PSN we sent: comp.psn <= psn < max_psn. NAKs
	 * may name comp.psn itself; older ones are stale. */
	if (roce_psn_ge(pkt->psn, qp->req.max_psn)) {
		roce_count(qp->dev, ROCE_CNT_REQ_BAD_RESP);
		return;
	}
	if (roce_psn_lt(pkt->psn, roce_psn_add(qp->comp.psn, ROCE_PSN_MASK))) {
		roce_count(qp->dev, ROCE_CNT_REQ_DUP_RESP);
		return;
	}
	if (mask & ROCE_OPF_ACK)
		comp_ack(qp, pkt);
	else if (mask & ROCE_OPF_READ)
		comp_read_resp(qp, pkt, m);
	else if (mask & ROCE_OPF_ATOMIC)
		comp_atomic_ack(qp, pkt);
}

/* IBTA 9.7.6.1.3: no progress for 4.096 us * 2^timeout: resend from the
 * oldest unacknowledged PSN, at most retry_cnt times in a row. */
int
roce_comp_timer(struct roce_qp *qp)
{
	struct roce_dev *dev = qp->dev;
	uint64_t timeout = roce_ack_timeout_ns(qp->attr.timeout);

	if (qp->state != IBV_QPS_RTS || qp->comp.psn == qp->req.max_psn || timeout == 0)
		return 0;
	if (dev->now_ns < qp->comp.progress_ns || dev->now_ns - qp->comp.progress_ns < timeout)
		return 0;
	roce_count(dev, ROCE_CNT_REQ_TIMEOUTS);
	if (qp->comp.retry_left == 0) {
		roce_count(dev, ROCE_CNT_REQ_RETRY_EXC);
		roce_qp_fail(qp, qp->sq_tail, IBV_WC_RETRY_EXC_ERR);
		return 1;
	}
	qp->comp.retry_left--;
	qp->comp.progress_ns = dev->now_ns;
	qp->comp.read_retry_armed = false;
	roce_req_rewind(qp, qp->comp.psn);
	return 1;
}
