/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Completer: acknowledgements, NAKs, READ responses and atomic ACKs
 * (IBTA 9.7.5.2), the timers and retry counts (9.7.6), and the completion
 * of send WRs, always in the order they were posted.
 *
 * READ and atomic responses are taken per WR: a response to a later READ
 * is placed even while an earlier one waits for a lost packet, and the
 * earlier one alone is asked for again (its requester PSNs stay where
 * they are). The responder answers requests in PSN order, so a response
 * to a READ also acknowledges every request before it (9.7.5.1.4); a
 * READ or atomic covered that way whose response is missing lost it
 * (implicit NAK, 9.7.5.1.5).
 */
#include <string.h>

#include "roce_int.h"

/* The oldest unacknowledged PSN moves to @p psn: forward progress, which
 * refills the retry counts (IBTA 9.7.6.1.4) and feeds the window. */
static void
advance(struct roce_qp *qp, uint32_t psn)
{
	int32_t n = roce_psn_diff(psn, qp->comp.psn);

	if (n > 0) {
		qp->comp.psn = psn;
		if (roce_window_acked(&qp->win, psn, n, qp->dev->now_ns))
			roce_count(qp->dev, ROCE_CNT_REQ_RTO_SPURIOUS);
	}
	qp->comp.progress_ns = qp->dev->now_ns;
	qp->comp.data_ns = qp->dev->now_ns;
	qp->comp.retry_left = qp->attr.retry_cnt;
	qp->comp.rnr_retry_left = qp->attr.rnr_retry;
}

/*
 * A response that moves nothing still shows the responder at work on our
 * requests, in order: the timers (not the retry counts) start again. A
 * responder such as rxe serves a request asked again only after the
 * streams before it, duplicates for us by then, and a timer firing
 * meanwhile would only queue one more replay. Only for so long without
 * progress (ROCE_ALIVE_TIMEOUTS local ACK timeouts): a peer that answers
 * nothing new still fails the QP.
 */
static void
alive(struct roce_qp *qp)
{
	uint64_t timeout = roce_ack_timeout_ns(qp->attr.timeout);

	if (timeout == 0 || qp->dev->now_ns - qp->comp.data_ns < ROCE_ALIVE_TIMEOUTS * timeout)
		qp->comp.progress_ns = qp->dev->now_ns;
}

/* Go back to @p psn after a loss the window reacts to. */
static void
resend_after_loss(struct roce_qp *qp, uint32_t psn, bool timer)
{
	roce_window_loss(&qp->win, qp->req.max_psn, timer);
	roce_req_rewind(qp, psn);
}

static uint32_t
wqe_last_psn(const struct roce_send_wqe *wqe)
{
	return roce_psn_add(wqe->first_psn, wqe->npkts - 1);
}

/* A response of a READ or atomic is missing: ask that WR again, once per
 * missing PSN. @p lasts_due: READ responses ending the message still to
 * come from streams sent before this request (read_stream_ended). */
static void
rd_atomic_lost(struct roce_qp *qp, struct roce_send_wqe *wqe, uint8_t lasts_due)
{
	uint32_t psn = roce_wqe_resp_psn(qp, wqe);

	if (wqe->reread_armed && wqe->reread_psn == psn)
		return;
	wqe->reread_armed = true;
	wqe->reread_psn = psn;
	wqe->reread_lasts_due = lasts_due;
	roce_count(qp->dev, ROCE_CNT_REQ_READ_GAP);
	roce_window_loss(&qp->win, qp->req.max_psn, false);
	roce_req_reread(qp, wqe);
}

/*
 * The responder has everything up to @p psn (an ACK, or implied by a later
 * response). Complete, in order, the SEND and WRITE WRs that covers and
 * the READs and atomics whose responses are all in; a READ or atomic it
 * covers whose responses are not all in lost some (asked again). Then the
 * oldest unacknowledged PSN is where the oldest WR left stands.
 * @return true if anything moved forward.
 */
static bool
ack_through(struct roce_qp *qp, uint32_t psn)
{
	uint32_t una = qp->comp.psn, i;
	bool moved = false;

	if (roce_psn_gt(psn, qp->comp.acked_psn))
		qp->comp.acked_psn = psn;
	psn = qp->comp.acked_psn;
	roce_window_answered(&qp->win, psn, qp->dev->now_ns);
	for (; qp->sq_tail != qp->sq_head; qp->sq_tail++) {
		struct roce_send_wqe *wqe = roce_sq_wqe(qp, qp->sq_tail);

		if (wqe->state == ROCE_WQE_POSTED)
			break;
		if (roce_wqe_is_rd_atomic(wqe) ? !wqe->resp_done :
						 roce_psn_lt(psn, wqe_last_psn(wqe)))
			break;
		roce_qp_complete_send(qp, wqe, IBV_WC_SUCCESS);
		una = roce_psn_add(wqe->first_psn, wqe->npkts);
		moved = true;
	}
	/* Where the oldest WR left stands: its next response, or the first
	 * of its packets not acknowledged. */
	if (qp->sq_tail != qp->sq_head &&
	    roce_sq_wqe(qp, qp->sq_tail)->state != ROCE_WQE_POSTED) {
		struct roce_send_wqe *wqe = roce_sq_wqe(qp, qp->sq_tail);
		uint32_t next = roce_wqe_is_rd_atomic(wqe) ? roce_wqe_resp_psn(qp, wqe) :
				roce_psn_ge(psn, wqe->first_psn) ? roce_psn_add(psn, 1) :
				wqe->first_psn;

		if (roce_psn_gt(next, una))
			una = next;
	} else if (roce_psn_gt(roce_psn_add(psn, 1), una)) {
		una = roce_psn_add(psn, 1);
	}
	if (roce_psn_gt(una, qp->comp.psn))
		moved = true;
	if (moved)
		advance(qp, roce_psn_gt(una, qp->comp.psn) ? una : qp->comp.psn);
	/* Implicit NAKs: covered READs and atomics with responses missing. */
	for (i = qp->sq_tail; i != qp->sq_head; i++) {
		struct roce_send_wqe *wqe = roce_sq_wqe(qp, i);

		if (wqe->state == ROCE_WQE_POSTED || roce_psn_gt(wqe->first_psn, psn))
			break;
		if (roce_wqe_is_rd_atomic(wqe) && !wqe->resp_done &&
		    roce_psn_le(roce_wqe_resp_psn(qp, wqe), psn))
			rd_atomic_lost(qp, wqe, 0);
	}
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

/* The sent WR whose PSNs hold @p psn, or sq_head if none. */
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
	return qp->sq_head;
}

static void
comp_ack(struct roce_qp *qp, const struct roce_pkt *pkt)
{
	struct roce_dev *dev = qp->dev;
	uint8_t syn = pkt->aeth.syndrome;
	uint32_t prev = roce_psn_add(pkt->psn, ROCE_PSN_MASK);	/* psn - 1 */
	uint32_t blamed;

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
			resend_after_loss(qp, qp->comp.psn, false);
			return;
		}
		/* Invalid request, access or operational error: the WR at that
		 * PSN fails, those before it are flushed, and so is the QP
		 * (IBTA 9.7.5.2.5..7). */
		roce_count(dev, ROCE_CNT_REQ_ERR_NAK_RCVD);
		blamed = wqe_at_psn(qp, pkt->psn);
		roce_qp_fail(qp, blamed != qp->sq_head ? blamed : qp->sq_tail,
			     nak_status(roce_aeth_value(syn)));
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

/*
 * The READ or atomic WR a response at @p psn answers, after taking the
 * acknowledgement the response implies for everything before that WR's
 * request. NULL (counted) if none: stale, or matching nothing we sent.
 */
static struct roce_send_wqe *
response_target(struct roce_qp *qp, const struct roce_pkt *pkt, uint32_t *idx)
{
	struct roce_send_wqe *wqe;

	*idx = wqe_at_psn(qp, pkt->psn);
	if (*idx == qp->sq_head) {
		/* Older than everything outstanding: a duplicate. */
		if (roce_psn_lt(pkt->psn, qp->comp.psn)) {
			roce_count(qp->dev, ROCE_CNT_REQ_DUP_RESP);
			alive(qp);
		} else {
			roce_count(qp->dev, ROCE_CNT_REQ_BAD_RESP);
		}
		return NULL;
	}
	wqe = roce_sq_wqe(qp, *idx);
	if (!roce_wqe_is_rd_atomic(wqe) ||
	    !!(pkt->info->mask & ROCE_OPF_READ) != (wqe->wr.opcode == IBV_WR_RDMA_READ)) {
		roce_count(qp->dev, ROCE_CNT_REQ_BAD_RESP);
		return NULL;
	}
	ack_through(qp, roce_psn_add(wqe->first_psn, ROCE_PSN_MASK));
	if (qp->state != IBV_QPS_RTS)
		return NULL;
	alive(qp);
	if (wqe->resp_done || roce_psn_lt(pkt->psn, roce_wqe_resp_psn(qp, wqe))) {
		roce_count(qp->dev, ROCE_CNT_REQ_DUP_RESP);
		return NULL;
	}
	return wqe;
}

/* A READ or atomic got its last response: complete what is in order. */
static void
rd_atomic_done(struct roce_qp *qp, struct roce_send_wqe *wqe)
{
	wqe->resp_done = true;
	wqe->reread_armed = false;
	ack_through(qp, qp->comp.acked_psn);
}

/* Bytes the READ response at @p psn carries. */
static uint32_t
read_chunk(const struct roce_qp *qp, const struct roce_send_wqe *wqe, uint32_t psn)
{
	uint32_t off = roce_psn_diff(psn, wqe->first_psn) * qp->mtu;

	return RTE_MIN(qp->mtu, wqe->length - off);
}

/*
 * A READ response ahead of the expected PSN: kept (placed, marked) when
 * this READ owns the reassembly window or can take it, so the rest of a
 * stream after one lost packet is not lost too. @return true if it was
 * new data.
 */
static bool
read_keep_ahead(struct roce_qp *qp, uint32_t idx, struct roce_send_wqe *wqe,
		const struct roce_pkt *pkt, const struct rte_mbuf *m)
{
	int32_t off;

	if (qp->comp.ooo.used && qp->comp.ooo.wqe_idx != idx)
		return false;
	if (!qp->comp.ooo.used) {
		memset(&qp->comp.ooo, 0, sizeof(qp->comp.ooo));
		qp->comp.ooo.used = true;
		qp->comp.ooo.wqe_idx = idx;
		qp->comp.ooo.base = roce_wqe_resp_psn(qp, wqe);
	}
	off = roce_psn_diff(pkt->psn, qp->comp.ooo.base);
	if (off < 0 || off >= ROCE_READ_OOO_PKTS ||
	    (qp->comp.ooo.bits[off / 64] & (1ull << (off % 64))))
		return false;
	if (place_response(qp, wqe, m, pkt, roce_psn_diff(pkt->psn, wqe->first_psn) * qp->mtu,
			   pkt->payload_len) != 0)
		return false;
	qp->comp.ooo.bits[off / 64] |= 1ull << (off % 64);
	if ((uint32_t)off > qp->comp.ooo.high)
		qp->comp.ooo.high = off;
	return true;
}

/* Is the response at @p psn of the WR at @p idx kept ahead of its gap? */
static bool
ooo_kept(const struct roce_qp *qp, uint32_t idx, uint32_t psn)
{
	int32_t off = roce_psn_diff(psn, qp->comp.ooo.base);

	return qp->comp.ooo.used && qp->comp.ooo.wqe_idx == idx && off >= 0 &&
	       (uint32_t)off <= qp->comp.ooo.high &&
	       (qp->comp.ooo.bits[off / 64] & (1ull << (off % 64)));
}

/*
 * A response ending the message arrived while its gap is still open. If
 * it ends the stream our request for the gap started (every stream sent
 * before that request has ended), the responder answered and the gap's
 * packet was lost again: ask again now, not after a timer (the timer
 * waits at least ROCE_REREAD_RTO_MIN_NS here, see roce_comp_timer()).
 */
static void
read_stream_ended(struct roce_send_wqe *wqe)
{
	if (!wqe->reread_armed)
		return;
	if (wqe->reread_lasts_due > 0)
		wqe->reread_lasts_due--;
	else
		wqe->reread_armed = false;
}

/* The expected response came: take the ones kept after it, in order. */
static void
read_catch_up(struct roce_qp *qp, uint32_t idx, struct roce_send_wqe *wqe)
{
	if (!qp->comp.ooo.used || qp->comp.ooo.wqe_idx != idx)
		return;
	while (wqe->resp_bytes < wqe->length && ooo_kept(qp, idx, roce_wqe_resp_psn(qp, wqe)))
		wqe->resp_bytes += read_chunk(qp, wqe, roce_wqe_resp_psn(qp, wqe));
	if (wqe->resp_bytes == wqe->length ||
	    roce_psn_diff(roce_wqe_resp_psn(qp, wqe), qp->comp.ooo.base) >
	    (int32_t)qp->comp.ooo.high)
		qp->comp.ooo.used = false;
}

/*
 * Is a READ response's shape one a correct responder sends at its PSN?
 * LAST or ONLY exactly at the last PSN, one MTU before it; FIRST or ONLY
 * at the first. A resumed READ may be answered with FIRST or with MIDDLE
 * at the PSN it resumed from (rxe sends MIDDLE, IBTA 9.7.5.1.3).
 * @return 0 yes; 1 a FIRST elsewhere, answering an earlier resume whose
 *   stream is stale (dropped, never fatal); -1 no.
 */
static int
read_shape(const struct roce_qp *qp, const struct roce_send_wqe *wqe, const struct roce_pkt *pkt)
{
	uint32_t mask = pkt->info->mask;
	bool first = pkt->psn == wqe->first_psn, final = pkt->psn == wqe_last_psn(wqe);

	if (!!(mask & ROCE_OPF_END) != final || pkt->payload_len != read_chunk(qp, wqe, pkt->psn) ||
	    (first && !(mask & ROCE_OPF_START)))
		return -1;
	if ((mask & ROCE_OPF_START) && !first && pkt->psn != wqe->read_req_psn)
		return 1;
	return 0;
}

static void
comp_read_resp(struct roce_qp *qp, const struct roce_pkt *pkt, const struct rte_mbuf *m)
{
	struct roce_dev *dev = qp->dev;
	uint32_t idx;
	struct roce_send_wqe *wqe = response_target(qp, pkt, &idx);
	int shape;

	if (wqe == NULL)
		return;
	shape = read_shape(qp, wqe, pkt);
	if (shape < 0) {
		ROCE_LOG(DEBUG, "%s: QP %u: bad READ response %s psn %u len %u", dev->name,
			 qp->qpn, pkt->info->name, pkt->psn, pkt->payload_len);
		roce_count(dev, ROCE_CNT_REQ_BAD_RESP);
		roce_qp_fail(qp, idx, IBV_WC_BAD_RESP_ERR);
		return;
	}
	if (shape > 0) {
		roce_count(dev, ROCE_CNT_REQ_DUP_RESP);
		return;
	}
	if (pkt->psn != roce_wqe_resp_psn(qp, wqe)) {
		/* One before it was lost: ask again from there; what is ahead
		 * is kept, and new data is progress. */
		bool last = pkt->psn == wqe_last_psn(wqe);

		if (read_keep_ahead(qp, idx, wqe, pkt, m))
			advance(qp, qp->comp.psn);
		if (last)
			read_stream_ended(wqe);
		rd_atomic_lost(qp, wqe, last || ooo_kept(qp, idx, wqe_last_psn(wqe)) ? 0 : 1);
		return;
	}
	if (place_response(qp, wqe, m, pkt, wqe->resp_bytes, pkt->payload_len) != 0) {
		roce_count(dev, ROCE_CNT_REQ_LOCAL_ERR);
		roce_qp_fail(qp, idx, IBV_WC_LOC_PROT_ERR);
		return;
	}
	wqe->resp_bytes += pkt->payload_len;
	read_catch_up(qp, idx, wqe);
	wqe->reread_armed = false;
	roce_window_answered(&qp->win, pkt->psn, dev->now_ns);
	if (wqe->resp_bytes == wqe->length && (wqe->length != 0 || pkt->psn == wqe_last_psn(wqe))) {
		if (qp->comp.ooo.used && qp->comp.ooo.wqe_idx == idx)
			qp->comp.ooo.used = false;
		if (idx == qp->sq_tail)
			advance(qp, roce_psn_add(wqe_last_psn(wqe), 1));
		rd_atomic_done(qp, wqe);
	} else if (idx == qp->sq_tail) {
		advance(qp, roce_wqe_resp_psn(qp, wqe));
	}
}

static void
comp_atomic_ack(struct roce_qp *qp, const struct roce_pkt *pkt)
{
	uint32_t idx;
	struct roce_send_wqe *wqe = response_target(qp, pkt, &idx);

	if (wqe == NULL)
		return;
	/* The original value lands in local memory in host order, in the one
	 * 8-byte SGE post_send allowed, still registered for local write. */
	if (wqe->wr.num_sge != 1 || wqe->sge[0].length != sizeof(uint64_t) ||
	    roce_mr_check_local(qp->dev, qp->pd, wqe->sge[0].lkey,
				(void *)(uintptr_t)wqe->sge[0].addr, sizeof(uint64_t),
				IBV_ACCESS_LOCAL_WRITE) == NULL) {
		roce_count(qp->dev, ROCE_CNT_REQ_LOCAL_ERR);
		roce_qp_fail(qp, idx, IBV_WC_LOC_PROT_ERR);
		return;
	}
	memcpy((void *)(uintptr_t)wqe->sge[0].addr, &pkt->atmack_orig, sizeof(uint64_t));
	wqe->resp_bytes = sizeof(uint64_t);
	rd_atomic_done(qp, wqe);
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
		if (mask & (ROCE_OPF_READ | ROCE_OPF_ATOMIC))
			alive(qp);
		return;
	}
	if (mask & ROCE_OPF_ACK)
		comp_ack(qp, pkt);
	else if (mask & ROCE_OPF_READ)
		comp_read_resp(qp, pkt, m);
	else if (mask & ROCE_OPF_ATOMIC)
		comp_atomic_ack(qp, pkt);
}

/*
 * Two timers run from the last forward progress. The retransmission timer
 * (from the measured round trip, roce_window.h) resends a lost tail or a
 * lost ACK after a few round trips and uses no retry. The local ACK
 * timeout of IBTA 9.7.6.1.3 (4.096 us * 2^timeout) does the same and uses
 * up retry_cnt: at most retry_cnt times in a row, then the QP fails.
 */
int
roce_comp_timer(struct roce_qp *qp)
{
	struct roce_dev *dev = qp->dev;
	uint64_t timeout = roce_ack_timeout_ns(qp->attr.timeout), rto, base;
	uint32_t cwnd;

	if (qp->state != IBV_QPS_RTS || qp->comp.psn == qp->req.max_psn)
		return 0;
	if (dev->now_ns < qp->comp.progress_ns)
		return 0;	/* an RNR wait is not over */
	if (timeout != 0 && dev->now_ns - qp->comp.progress_ns >= timeout) {
		roce_count(dev, ROCE_CNT_REQ_TIMEOUTS);
		if (qp->comp.retry_left == 0) {
			roce_count(dev, ROCE_CNT_REQ_RETRY_EXC);
			roce_qp_fail(qp, qp->sq_tail, IBV_WC_RETRY_EXC_ERR);
			return 1;
		}
		qp->comp.retry_left--;
		qp->comp.progress_ns = dev->now_ns;
		resend_after_loss(qp, qp->comp.psn, true);
		return 1;
	}
	rto = roce_window_rto_ns(&qp->win, timeout);
	/* The oldest WR is a READ already asked for again at the PSN it
	 * waits for, with more than one packet to come: a responder such as
	 * rxe serves that only after what it streams now (a slow one pauses),
	 * and each more copy costs a whole replay. Wait for it at least
	 * ROCE_REREAD_RTO_MIN_NS (at most half the local ACK timeout): a lost
	 * request for a gap costs that, not a timeout. */
	if (rto != 0 && qp->sq_tail != qp->sq_head) {
		const struct roce_send_wqe *wqe = roce_sq_wqe(qp, qp->sq_tail);

		if (wqe->state != ROCE_WQE_POSTED && wqe->wr.opcode == IBV_WR_RDMA_READ &&
		    wqe->reread_armed && wqe->reread_psn == roce_wqe_resp_psn(qp, wqe) &&
		    roce_psn_lt(wqe->reread_psn, wqe_last_psn(wqe)))
			rto = RTE_MAX(rto, RTE_MIN(ROCE_REREAD_RTO_MIN_NS, timeout / 2));
	}
	base = RTE_MAX(qp->comp.progress_ns, qp->comp.rto_base_ns);
	if (rto == 0 || dev->now_ns - base < rto)
		return 0;
	roce_count(dev, ROCE_CNT_REQ_RTO);
	roce_window_rto_fired(&qp->win);
	qp->comp.rto_base_ns = dev->now_ns;
	cwnd = qp->win.cwnd;
	resend_after_loss(qp, qp->comp.psn, true);
	if (qp->sq_tail != qp->sq_head && !roce_wqe_is_rd_atomic(roce_sq_wqe(qp, qp->sq_tail)))
		roce_window_timer_undoable(&qp->win, qp->comp.psn, cwnd);
	return 1;
}
