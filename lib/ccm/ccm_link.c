/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The link manager (claims 6-13 of 000_): each link's carrier and the
 * partner's keepalives drive the link table of ccm_fsm.c; ports are spread
 * over the links that work, and moved off one that fails. Runs on the
 * CCM's lcore, except the calls marked "any lcore".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ccm_pvt.h"
#include "roce_verbs.h"

enum ccm_link_state
ccm_link_state(const struct ccm *ccm, unsigned int idx)
{
	return idx < ccm->conf.nb_links ? ccm->link[idx].state : CCM_L_NO_CARRIER;
}

unsigned int
ccm_nb_links(const struct ccm *ccm)
{
	return ccm->conf.nb_links;
}

int
ccm_link_health(const struct ccm *ccm, unsigned int idx, struct ccm_link_health *out)
{
	const struct ccm_link *lk;

	if (idx >= ccm->conf.nb_links)
		return -EINVAL;
	lk = &ccm->link[idx];
	out->carrier = __atomic_load_n(&lk->carrier, __ATOMIC_RELAXED);
	out->last_beat_ns = __atomic_load_n(&lk->last_beat_ns, __ATOMIC_RELAXED);
	out->state = __atomic_load_n(&lk->state, __ATOMIC_RELAXED);
	return 0;
}

int
ccm_link_admin(struct ccm *ccm, unsigned int idx, bool up)
{
	if (idx >= ccm->conf.nb_links)
		return -EINVAL;
	__atomic_store_n(up ? &ccm->link[idx].admin_up_req : &ccm->link[idx].admin_down_req, 1,
			 __ATOMIC_RELEASE);
	return 0;
}

int
ccm_link_set_fault(struct ccm *ccm, unsigned int idx, enum roce_fault_dir dir,
		   const struct roce_fault_conf *conf)
{
	if (idx >= ccm->conf.nb_links)
		return -EINVAL;
	return roce_dev_set_fault(ccm->dev, ccm->link[idx].port, dir, conf);
}

int
ccm_link_capture(struct ccm *ccm, unsigned int idx, const char *path)
{
	if (idx >= ccm->conf.nb_links)
		return -EINVAL;
	return roce_dev_capture(ccm->dev, ccm->link[idx].port, path);
}

int
ccm_link_carrier(const struct ccm *ccm, unsigned int idx)
{
	if (idx >= ccm->conf.nb_links)
		return -EINVAL;
	return roce_dev_port_link(ccm->dev, ccm->link[idx].port);
}

int
ccm_link_mac(const struct ccm *ccm, unsigned int idx, struct rte_ether_addr *mac)
{
	if (idx >= ccm->conf.nb_links)
		return -EINVAL;
	return roce_dev_port_mac(ccm->dev, ccm->link[idx].port, mac);
}

/* The link a transport port carries; -1: none (no path yet). */
static int
link_of_port(const struct ccm *ccm, uint8_t port)
{
	unsigned int i;

	for (i = 0; i < ccm->conf.nb_links; i++)
		if (ccm->link[i].port == port)
			return i;
	return -1;
}

int
ccm_qp_info(const struct ccm *ccm, struct ccm_qp_info *out, unsigned int n)
{
	struct roce_qp_info *qp = n ? calloc(n, sizeof(*qp)) : NULL;
	unsigned int total, i;

	if (n != 0 && qp == NULL)
		return -ENOMEM;
	total = roce_dev_qp_info(ccm->dev, qp, n);
	for (i = 0; i < total && i < n; i++) {
		out[i].qp = qp[i];
		out[i].link = link_of_port(ccm, qp[i].port);
	}
	free(qp);
	return total;
}

int
ccm_links_create(struct ccm *ccm)
{
	const struct ccm_conf *conf = &ccm->conf;
	unsigned int i;

	for (i = 0; i < conf->nb_links; i++) {
		struct roce_port_conf pconf = { .port_id = conf->link[i].port_id,
						.configure = conf->link[i].configure,
						.ipv4 = conf->link[i].local_ip,
						.mac = conf->link[i].local_mac };
		int port = roce_dev_add_port(ccm->dev, &pconf);

		if (port < 0)
			return port;
		ccm->link[i].port = port;
		ccm->link[i].carrier = -1;
		if (conf->link[i].has_peer_mac)
			roce_dev_set_neighbor(ccm->dev, port, conf->link[i].peer_ip,
					      &conf->link[i].peer_mac);
	}
	return 0;
}

/* ---- Paths ----------------------------------------------------------- */

static bool
link_usable(const struct ccm *ccm, unsigned int i)
{
	return ccm->link[i].state == CCM_L_UP;
}

/* The link a port should use, the same on both nodes: links are numbered
 * alike on both sides, and so are clients' ports. */
int
ccm_link_for(const struct ccm *ccm, unsigned int spread)
{
	unsigned int up[CCM_MAX_LINKS], n = 0, i;

	for (i = 0; i < ccm->conf.nb_links; i++)
		if (link_usable(ccm, i))
			up[n++] = i;
	if (n == 0)
		return -1;
	if (ccm->conf.balance == CCM_BALANCE_ACTIVE_STANDBY)
		return up[0];
	return up[spread % n];
}

void
ccm_qp_set_paths(struct ccm *ccm, struct roce_qp *qp)
{
	uint32_t ips[CCM_MAX_LINKS];
	unsigned int i;

	for (i = 0; i < ccm->conf.nb_links; i++)
		ips[i] = ccm->conf.link[i].peer_ip;
	roce_qp_set_peer_paths(qp, ips, ccm->conf.nb_links);
}

/* Put an RTS QP on link @p l (claims 6-7, 12-13: balance, fail over). */
static void
qp_move(struct ccm *ccm, struct roce_qp *qp, unsigned int l)
{
	struct ibv_qp_attr attr;

	if (qp == NULL || roce_qp_state(qp) != IBV_QPS_RTS)
		return;
	roce_query_qp(qp, &attr);
	if (attr.port_num == ccm->link[l].port)
		return;
	attr.port_num = ccm->link[l].port;
	roce_gid_from_ipv4(&attr.ah_attr.grh.dgid, ccm->conf.link[l].peer_ip);
	if (roce_modify_qp(qp, &attr, IBV_QP_PORT | IBV_QP_AV) == 0)
		ccm->count[CNT_QP_MOVES]++;
}

/* Where port @p p of client @p cl goes: its own link, if it asked for
 * one and that link works; else where the policy says. */
int
ccm_link_for_port(const struct ccm *ccm, const struct ccm_client *cl, unsigned int p)
{
	if (cl->conf.port_per_link && p < ccm->conf.nb_links && link_usable(ccm, p))
		return p;
	return ccm_link_for(ccm, cl->id * CCM_MAX_CLIENT_PORTS + p);
}

/* Every port where the policy says, on the links that work now. */
static void
rebalance(struct ccm *ccm)
{
	unsigned int c, p;
	int l;

	l = ccm_link_for(ccm, 0);
	if (l < 0)
		return;
	ccm->boot_link = l;
	qp_move(ccm, ccm->boot_qp, l);
	for (c = 0; c < ccm->nb_clients; c++) {
		struct ccm_client *cl = ccm->client[c];

		for (p = 0; cl->matched && p < cl->nports; p++) {
			l = ccm_link_for_port(ccm, cl, p);
			if (l >= 0) {
				qp_move(ccm, cl->port[p].qp, l);
				cl->port[p].link = l;
			}
		}
	}
}

static void
link_event(struct ccm *ccm, unsigned int i, enum ccm_link_event e)
{
	struct ccm_link *lk = &ccm->link[i];
	struct ccm_link_transition t = ccm_link_step(lk->state, e);
	unsigned int n;

	if (t.next != lk->state)
		CCM_LOG(INFO, ccm, "link %u: %s -> %s (%s)", i, ccm_link_state_name(lk->state),
			ccm_link_state_name(t.next), ccm_link_event_name(e));
	lk->state = t.next;
	switch (t.action) {
	case CCM_LA_UP:
		ccm->count[CNT_LINK_UP]++;
		if (ccm->conf.failback || ccm->conf.balance == CCM_BALANCE_ROUND_ROBIN)
			rebalance(ccm);
		break;
	case CCM_LA_DOWN:
		ccm->count[CNT_LINK_DOWN]++;
		for (n = 0; n < ccm->conf.nb_links && !link_usable(ccm, n); n++)
			;
		if (n == ccm->conf.nb_links)
			ccm_event_post(ccm, CCM_E_LINKS_LOST);
		else
			rebalance(ccm);
		break;
	default:
		break;
	}
}

/* Carrier, keepalives out, keepalives in, admin requests. */
int
ccm_links_poll(struct ccm *ccm)
{
	unsigned int i;
	int work = 0;

	for (i = 0; i < ccm->conf.nb_links; i++) {
		struct ccm_link *lk = &ccm->link[i];
		uint64_t pongs;

		if (ccm_take_request(&lk->admin_down_req))
			link_event(ccm, i, CCM_LE_ADMIN_DOWN);
		if (ccm_take_request(&lk->admin_up_req)) {
			link_event(ccm, i, CCM_LE_ADMIN_UP);
			lk->carrier = -1;	/* look at it afresh */
		}
		if (ccm->now_ns < lk->next_ping_ns)
			continue;
		lk->next_ping_ns = ccm->now_ns + ccm->conf.keepalive_ns;
		int carrier = roce_dev_port_link(ccm->dev, lk->port);

		if (carrier != lk->carrier) {
			lk->carrier = carrier;
			link_event(ccm, i, carrier == 1 ? CCM_LE_CARRIER_UP : CCM_LE_CARRIER_DOWN);
		}
		if (lk->state != CCM_L_ADMIN_DOWN) {
			struct ccm_note_wire w;

			ccm_boot_note(ccm, &w);
			roce_dev_port_ping(ccm->dev, lk->port, ccm->conf.link[i].peer_ip,
					   lk->ping_seq++, &w, sizeof(w));
		}
		ccm_boot_peer_note_poll(ccm, i);
		pongs = roce_dev_port_pongs(ccm->dev, lk->port, ccm->conf.link[i].peer_ip);
		if (pongs != lk->pongs) {
			lk->pongs = pongs;
			lk->last_beat_ns = ccm->now_ns;
			link_event(ccm, i, CCM_LE_BEAT);
		} else if (ccm->now_ns - lk->last_beat_ns > ccm->conf.link_timeout_ns) {
			link_event(ccm, i, CCM_LE_BEAT_TIMEOUT);
		}
		work++;
	}
	return work;
}
