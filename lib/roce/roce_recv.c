/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Receive: validate, then dispatch (IBTA 9.6, C9-4..C9-9 on what a
 * responder or requester may accept). ARP and ICMP go to roce_neigh.c;
 * RoCEv2 frames to the QP's responder (requests) or completer (responses).
 * Every frame dropped here is counted by its reason.
 */
#include "roce_int.h"

void
roce_copy_payload(const struct rte_mbuf *m, const struct roce_pkt *pkt, uint32_t skip,
		  uint8_t *dst, uint32_t len)
{
	uint32_t off = pkt->payload_off + skip;

	/* One copy into the memory region: the only copy of received data. */
	for (; m != NULL && len > 0; m = m->next) {
		uint32_t n;

		if (off >= m->data_len) {
			off -= m->data_len;
			continue;
		}
		n = RTE_MIN(len, (uint32_t)m->data_len - off);
		memcpy(dst, rte_pktmbuf_mtod_offset(m, const uint8_t *, off), n);
		dst += n;
		len -= n;
		off = 0;
	}
}

void
roce_recv(struct roce_port *port, struct rte_mbuf *m)
{
	struct roce_dev *dev = port->dev;
	enum roce_parse_status st;
	struct roce_pkt pkt;
	struct roce_qp *qp;
	uint32_t mask;

	if (roce_arp_claims(&port->arp, m)) {
		struct rte_mbuf *answer = roce_arp_input(&port->arp, m, dev->now_ns);

		if (answer != NULL)
			roce_port_xmit(port, answer);
		return;
	}
	st = roce_mbuf_parse(&dev->parser, m, &pkt);
	if (st != ROCE_PARSE_OK) {
		roce_count(dev, roce_parse_status_is_foreign(st) ? ROCE_CNT_RX_FOREIGN :
								   ROCE_CNT_RX_INVALID);
		goto drop;
	}
	roce_count(dev, ROCE_CNT_RX_ROCE);
	if (pkt.ip_dst != port->ipv4) {
		roce_count(dev, ROCE_CNT_RX_NOT_OUR_IP);
		goto drop;
	}
	/* IBTA 9.6.1.1: the P_Key must match; we use the default partition. */
	if ((pkt.pkey & 0x7fff) != (ROCE_DEFAULT_PKEY & 0x7fff)) {
		roce_count(dev, ROCE_CNT_RX_BAD_PKEY);
		goto drop;
	}
	if ((pkt.ip_tos & 3) == 3)
		roce_count(dev, ROCE_CNT_ECN_CE_RCVD);
	mask = pkt.info->mask;
	qp = pkt.dqpn < dev->max_qp ? dev->qp_table[pkt.dqpn] : NULL;
	if (mask & ROCE_OPF_CONG) {
		/* A17.9.3: a CNP tells this QP's requester to slow down; rate
		 * control is not implemented, the signal is counted. */
		roce_count(dev, ROCE_CNT_CNP_RCVD);
		goto drop;
	}
	if (qp == NULL) {
		roce_count(dev, ROCE_CNT_RX_NO_QP);
		goto drop;
	}
	/* An RC QP accepts only its connected partner (IBTA 9.6.1.5): its
	 * address on the QP's path, or its address on another of our ports. */
	if (pkt.ip_src != qp->dest_ip) {
		if (qp->peer_ip[port->num - 1] != pkt.ip_src) {
			roce_count(dev, ROCE_CNT_RX_WRONG_PEER);
			goto drop;
		}
		/* A request there means the partner's requester moved to that
		 * link: follow it. Frames still in flight on the old path arrive
		 * after a move; they are taken, but followed only once the hold
		 * time has passed, so the QP does not flip back to a dead link. */
		if ((mask & ROCE_OPF_REQ) && (qp->state == IBV_QPS_RTR || qp->state == IBV_QPS_RTS) &&
		    (qp->path_changed_ns == 0 ||
		     dev->now_ns - qp->path_changed_ns >= ROCE_PATH_HOLD_NS))
			roce_qp_migrate(qp, port, pkt.ip_src);
	}
	/* A QP held for want of its partner's MAC (an ARP reply lost): the
	 * partner's own valid frame tells where it is, so answers need not
	 * wait for the next ARP request. */
	if (qp->path_held && pkt.ip_src == qp->dest_ip)
		roce_arp_learn_peer(&port->arp, pkt.ip_src, &pkt.eth_src, dev->now_ns);
	if (mask & ROCE_OPF_REQ) {
		/* Requests are accepted in RTR and RTS (IBTA 10.3.1). */
		if (qp->state != IBV_QPS_RTR && qp->state != IBV_QPS_RTS) {
			roce_count(dev, ROCE_CNT_RX_QP_STATE);
			goto drop;
		}
		roce_resp_rx(qp, &pkt, m);
		if (qp->resp.ack_pending) {
			qp->resp.req_poll = dev->poll_seq;
			if (dev->nb_acks_due < RTE_DIM(dev->acks_due) &&
			    (dev->nb_acks_due == 0 ||
			     dev->acks_due[dev->nb_acks_due - 1] != qp->qpn))
				dev->acks_due[dev->nb_acks_due++] = qp->qpn;
		}
		roce_qp_wake(qp);
	} else {
		if (qp->state != IBV_QPS_RTS) {
			roce_count(dev, ROCE_CNT_RX_QP_STATE);
			goto drop;
		}
		roce_comp_rx(qp, &pkt, m);
		roce_qp_wake(qp);
	}
	if ((pkt.ip_tos & 3) == 3)
		roce_send_cnp(qp);
drop:
	rte_pktmbuf_free(m);
}
