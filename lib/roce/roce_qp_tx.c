/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What a QP sends: whether it has something to send now (the device's
 * ready and armed lists, so a poll visits only QPs with work or timers),
 * and its path (neighbour resolved, header template built). The one way
 * requester and responder build, stage and count a frame, roce_qp_xmit(),
 * is inline in roce_int.h: it is on every frame's path.
 */
#include <string.h>

#include "roce_int.h"
#include "roce_neigh_frame.h"

void
roce_qp_arm(struct roce_qp *qp)
{
	bool want = qp->on_live_list && qp->state == IBV_QPS_RTS &&
		    (qp->comp.psn != qp->req.max_psn || qp->req.rnr_until_ns > qp->dev->now_ns);

	if (want && !qp->on_armed_list) {
		TAILQ_INSERT_TAIL(&qp->dev->armed_qps, qp, armed);
		qp->on_armed_list = true;
	} else if (!want && qp->on_armed_list) {
		TAILQ_REMOVE(&qp->dev->armed_qps, qp, armed);
		qp->on_armed_list = false;
	}
}

void
roce_qp_wake(struct roce_qp *qp)
{
	if (!qp->on_ready_list && qp->on_live_list) {
		TAILQ_INSERT_TAIL(&qp->dev->ready_qps, qp, ready);
		qp->on_ready_list = true;
	}
	roce_qp_arm(qp);
}

bool
roce_qp_wants_tx(const struct roce_qp *qp)
{
	if (roce_resp_has_answers(qp))
		return true;
	if (qp->state != IBV_QPS_RTS || qp->dev->now_ns < qp->req.rnr_until_ns)
		return false;
	return qp->req.rereads != 0 ||
	       (qp->sq_cur != qp->sq_head &&
		roce_psn_diff(qp->req.psn, qp->comp.psn) < (int32_t)roce_window_size(&qp->win));
}

/* Every field of a frame this QP sends but the frame's own (opcode, PSN,
 * flags, lengths, extension headers). */
void
roce_qp_pkt_fill(struct roce_qp *qp, struct roce_pkt *pkt, const struct rte_ether_addr *dst_mac)
{
	struct roce_port *port = qp->port;

	memset(pkt, 0, sizeof(*pkt));
	pkt->eth_dst = *dst_mac;
	pkt->eth_src = port->mac;
	pkt->ip_src = port->ipv4;
	pkt->ip_dst = qp->dest_ip;
	pkt->ip_tos = qp->tos;
	pkt->ip_ttl = qp->ttl;
	pkt->ip_df = true;
	pkt->udp_sport = qp->sport;
	pkt->pkey = ROCE_DEFAULT_PKEY;
	pkt->dqpn = qp->dest_qpn;
}

bool
roce_qp_path_ready(struct roce_qp *qp)
{
	struct roce_port *port = qp->port;
	struct rte_mbuf *arp_req = NULL;
	const struct roce_neigh *e = qp->tmpl_neigh;
	struct rte_ether_addr mac;
	int rc;

	/* The neighbour the template was built for, still answering at the
	 * same address: no search of the table (one per turn took 7 % of a
	 * sender with 256 QPs, docs/perf.md run H). */
	if (qp->tmpl_valid && e != NULL && e->ipv4 == qp->dest_ip &&
	    (e->state == ROCE_NEIGH_REACHABLE || e->state == ROCE_NEIGH_STATIC) &&
	    rte_is_same_ether_addr(&e->mac, &qp->tmpl_mac)) {
		qp->path_held = false;
		return true;
	}
	rc = roce_arp_resolve(&port->arp, qp->dest_ip, qp->dev->now_ns, &mac, &arp_req);
	if (arp_req != NULL)
		roce_port_xmit(port, arp_req);
	if (rc == 0) {
		qp->path_held = false;
		/* The headers this QP's frames share, built again when the
		 * path or the neighbour's address changed. */
		if (!qp->tmpl_valid || !rte_is_same_ether_addr(&mac, &qp->tmpl_mac)) {
			struct roce_pkt pkt;

			roce_qp_pkt_fill(qp, &pkt, &mac);
			roce_tmpl_init(&qp->tmpl, &pkt);
			qp->tmpl_mac = mac;
			qp->tmpl_valid = true;
		}
		qp->tmpl_neigh = roce_neigh_find(&port->arp, qp->dest_ip);
		return true;
	}
	if (!qp->path_held) {
		qp->path_held = true;
		roce_count(qp->dev, ROCE_CNT_TX_NEIGH_HOLD);
	}
	return false;
}
