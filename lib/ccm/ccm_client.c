/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's clients (claims 4-5, 10, 17-19, 23 of 000_): the registry,
 * each client's ports (QPs) and memory for the session, the work clients
 * post and the completions and immediates they get back. Clients call the
 * functions marked "any lcore" from their own lcores; those meet the CCM's
 * lcore through rings. The rest run on the CCM's lcore.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "ccm_pvt.h"
#include "roce_psn.h"

/* ---- Registry and the clients' calls (any lcore, as ccm.h marks) -------- */

struct ccm_client *
ccm_client_by_name(struct ccm *ccm, const char *name)
{
	unsigned int i;

	for (i = 0; i < ccm->nb_clients; i++)
		if (strncmp(ccm->client[i]->name, name, CCM_NAME_LEN) == 0)
			return ccm->client[i];
	return NULL;
}

struct ccm_client *
ccm_client_register(struct ccm *ccm, const struct ccm_client_conf *conf)
{
	char ring_name[RTE_RING_NAMESIZE];
	struct ccm_client *cl;

	if (conf->name == NULL || strlen(conf->name) >= CCM_NAME_LEN || conf->nports == 0 ||
	    conf->nports > CCM_MAX_CLIENT_PORTS) {
		rte_errno = EINVAL;
		return NULL;
	}
	rte_spinlock_lock(&ccm->lock);
	if (ccm->nb_clients == CCM_MAX_CLIENTS) {
		rte_spinlock_unlock(&ccm->lock);
		rte_errno = ENOSPC;
		return NULL;
	}
	if (ccm_client_by_name(ccm, conf->name) != NULL) {
		rte_spinlock_unlock(&ccm->lock);
		rte_errno = EEXIST;
		return NULL;
	}
	cl = rte_zmalloc("ccm_client", sizeof(*cl), RTE_CACHE_LINE_SIZE);
	snprintf(ring_name, sizeof(ring_name), "cc_%.8s_%.8s", ccm->conf.name, conf->name);
	if (cl != NULL)
		cl->events = rte_ring_create_elem(ring_name, sizeof(struct ccm_client_event),
						  rte_align32pow2(conf->ring_size ? conf->ring_size :
								  1024),
						  SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (cl == NULL || cl->events == NULL) {
		rte_spinlock_unlock(&ccm->lock);
		rte_free(cl);
		rte_errno = ENOMEM;
		return NULL;
	}
	cl->ccm = ccm;
	cl->id = ccm->nb_clients;
	cl->conf = *conf;
	snprintf(cl->name, sizeof(cl->name), "%s", conf->name);
	cl->conf.name = cl->name;
	ccm->client[ccm->nb_clients] = cl;
	__atomic_store_n(&ccm->nb_clients, ccm->nb_clients + 1, __ATOMIC_RELEASE);
	rte_spinlock_unlock(&ccm->lock);
	return cl;
}

unsigned int
ccm_client_events(struct ccm_client *client, struct ccm_client_event *ev, unsigned int n)
{
	return rte_ring_sc_dequeue_burst_elem(client->events, ev, sizeof(*ev), n, NULL);
}

unsigned int
ccm_client_post(struct ccm_client *client, const struct ccm_work *w, unsigned int n)
{
	struct ccm_work_item item[32];
	unsigned int i, done = 0;

	/* Each item names its client; the caller's wr_id comes back whole. */
	while (done < n) {
		unsigned int k = RTE_MIN(n - done, RTE_DIM(item)), q;

		for (i = 0; i < k; i++)
			item[i] = (struct ccm_work_item){ .work = w[done + i],
							  .client = client->id };
		q = rte_ring_mp_enqueue_burst_elem(client->ccm->work, item, sizeof(item[0]), k,
						   NULL);
		done += q;
		if (q < k)
			break;
	}
	return done;
}

void
ccm_client_close(struct ccm_client *client)
{
	__atomic_store_n(&client->closed, true, __ATOMIC_RELEASE);
}

uint64_t
ccm_client_remote_len(const struct ccm_client *client)
{
	return client->remote_len;
}

unsigned int
ccm_clients_status(const struct ccm *ccm, struct ccm_client_status *out, unsigned int n)
{
	unsigned int c, p;

	for (c = 0; c < ccm->nb_clients && c < n; c++) {
		const struct ccm_client *cl = ccm->client[c];
		struct ccm_client_status *i = &out[c];

		*i = (struct ccm_client_status){
			.name = cl->name, .nports_wanted = cl->conf.nports,
			.nports = cl->matched ? cl->nports : 0, .matched = cl->matched,
			.peer_mem_wanted = cl->conf.peer_mem_bytes,
			.remote_len = cl->remote_len, .serve_len = cl->conf.serve_len,
		};
		for (p = 0; p < i->nports && p < RTE_DIM(i->qpn); p++) {
			i->qpn[p] = cl->port[p].qp != NULL ? roce_qp_num(cl->port[p].qp) : 0;
			i->link[p] = cl->port[p].link;
		}
	}
	return ccm->nb_clients;
}

/* ---- Ports of a session ------------------------------------------------- */

static void
event_to_client(struct ccm *ccm, struct ccm_client *c, const struct ccm_client_event *ev)
{
	if (rte_ring_sp_enqueue_elem(c->events, (void *)(uintptr_t)ev, sizeof(*ev)) != 0)
		ccm->count[CNT_EVENTS_LOST]++;
}

void
ccm_client_ports_destroy(struct ccm *ccm)
{
	unsigned int c, p;

	for (c = 0; c < ccm->nb_clients; c++) {
		struct ccm_client *cl = ccm->client[c];

		for (p = 0; p < CCM_MAX_CLIENT_PORTS; p++)
			if (cl->port[p].qp != NULL) {
				roce_destroy_qp(cl->port[p].qp);
				memset(&cl->port[p], 0, sizeof(cl->port[p]));
			}
		cl->matched = false;
		cl->told_ready = false;
		cl->closed = false;
		cl->nports = 0;
	}
}

/* Memory for the partner's client: the one our client gave, or ours. */
static int
client_serve_mem(struct ccm *ccm, struct ccm_client *cl, uint64_t want)
{
	unsigned int access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			      IBV_ACCESS_REMOTE_READ;

	if (want == 0)
		return 0;
	if (cl->conf.serve_mem != NULL) {
		if (cl->conf.serve_len < want)
			return -ENOSPC;
		if (cl->serve_mr == NULL)
			cl->serve_mr = roce_reg_mr(ccm->pd, cl->conf.serve_mem, cl->conf.serve_len,
						   access);
		return cl->serve_mr != NULL ? 0 : -ENOMEM;
	}
	if (cl->serve_alloc != NULL && cl->serve_alloc_len >= want)
		return 0;
	if (cl->serve_mr != NULL && roce_dereg_mr(cl->serve_mr) != 0)
		return -EBUSY;
	rte_free(cl->serve_alloc);
	cl->serve_mr = NULL;
	cl->serve_alloc = rte_zmalloc("ccm_serve", want, 4096);
	cl->serve_alloc_len = want;
	if (cl->serve_alloc != NULL)
		cl->serve_mr = roce_reg_mr(ccm->pd, cl->serve_alloc, want, access);
	return cl->serve_mr != NULL ? 0 : -ENOMEM;
}

/* CREATE_PORTS: for every client the partner has too, its QPs (INIT) and
 * the memory the partner's client asked for; then tell the partner. */
int
ccm_client_ports_create(struct ccm *ccm)
{
	const struct ccm_clients *peer = &ccm->peer_clients.u.clients;
	struct ccm_msg msg;
	unsigned int i, p;

	memset(&msg, 0, sizeof(msg));
	msg.info.type = CCM_MSG_PORTS;
	for (i = 0; i < peer->count; i++) {
		struct ccm_client *cl = ccm_client_by_name(ccm, peer->client[i].name);
		struct ccm_client_ports *out;

		if (cl == NULL) {
			ccm->count[CNT_CLIENTS_UNMATCHED]++;
			CCM_LOG(NOTICE, ccm, "partner client %.*s has no peer here",
				CCM_NAME_LEN, peer->client[i].name);
			continue;
		}
		if (client_serve_mem(ccm, cl, peer->client[i].mem_bytes) != 0) {
			CCM_LOG(ERR, ccm, "client %s: cannot provide %lu bytes for the partner",
				cl->name, (unsigned long)peer->client[i].mem_bytes);
			continue;
		}
		cl->matched = true;
		cl->nports = RTE_MIN(cl->conf.nports, peer->client[i].nports);
		out = &msg.u.ports.client[msg.u.ports.count++];
		out->client_id = cl->id;
		memcpy(out->name, cl->name, CCM_NAME_LEN);
		out->nports = cl->nports;
		for (p = 0; p < cl->nports; p++) {
			struct roce_qp_init_attr init = {
				.send_cq = ccm->cq, .recv_cq = ccm->cq,
				.cap = { .max_send_wr = PORT_DEPTH, .max_recv_wr = IMM_RECVS,
					 .max_send_sge = 1, .max_recv_sge = 1 },
			};
			struct ibv_qp_attr attr = { .qp_state = IBV_QPS_INIT };
			struct client_port *cp = &cl->port[p];
			int l = ccm_link_for_port(ccm, cl, p);

			cp->link = l < 0 ? 0 : l;
			cp->qp = roce_create_qp(ccm->pd, &init);
			if (cp->qp == NULL) {
				cl->matched = false;
				break;
			}
			attr.port_num = ccm->link[cp->link].port;
			attr.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ;
			roce_modify_qp(cp->qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
				       IBV_QP_PORT | IBV_QP_ACCESS_FLAGS);
			cp->psn = rte_rand() & ROCE_PSN_MASK;
			out->qpn[p] = roce_qp_num(cp->qp);
			out->psn[p] = cp->psn;
		}
		if (cl->serve_mr != NULL && peer->client[i].mem_bytes != 0) {
			out->mem_iova = (uintptr_t)(cl->conf.serve_mem ? cl->conf.serve_mem :
						    cl->serve_alloc);
			out->mem_len = peer->client[i].mem_bytes;
			out->mem_rkey = roce_mr_rkey(cl->serve_mr);
		}
	}
	return ccm_msg_send(ccm, &msg);
}

static void
post_imm_recvs(struct ccm_client *cl, unsigned int p, unsigned int n)
{
	struct ibv_recv_wr wr = { .num_sge = 0 }, *bad;
	unsigned int i;

	for (i = 0; i < n; i++) {
		wr.wr_id = WR_ID(WR_CLIENT_RECV, cl->id, p, 0);
		if (roce_post_recv(cl->port[p].qp, &wr, &bad) != 0)
			break;
	}
}

/* SEND_READY: connect each port to the partner's, then say READY. */
int
ccm_client_ports_connect(struct ccm *ccm)
{
	const struct ccm_ports *peer = &ccm->peer_ports.u.ports;
	unsigned int i, p;

	for (i = 0; i < peer->count; i++) {
		const struct ccm_client_ports *in = &peer->client[i];
		struct ccm_client *cl = ccm_client_by_name(ccm, in->name);

		if (cl == NULL || !cl->matched)
			continue;
		cl->nports = RTE_MIN(cl->nports, in->nports);
		cl->remote_iova = in->mem_iova;
		cl->remote_len = in->mem_len;
		cl->remote_rkey = in->mem_rkey;
		for (p = 0; p < cl->nports; p++) {
			struct client_port *cp = &cl->port[p];
			const struct roce_qp_conn conn = {
				.port = ccm->link[cp->link].port,
				.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
				.path_mtu = ccm->conf.mtu,
				.dest_ip = ccm->conf.link[cp->link].peer_ip,
				.dest_qpn = in->qpn[p],
				.rq_psn = in->psn[p],
				.sq_psn = cp->psn,
				.max_rd_atomic = 16,
				.max_dest_rd_atomic = 16,
				.min_rnr_timer = 1,
				.timeout = ccm->conf.ack_timeout,
				.retry_cnt = 7,
				.rnr_retry = 7,
			};

			/* From INIT, where the QP took its receives. */
			if (roce_qp_connect(cp->qp, &conn) != 0)
				goto fail;
			ccm_qp_set_paths(ccm, cp->qp);
		}
	}
	ccm_msg_send_simple(ccm, CCM_MSG_READY, 0);
	return 0;
fail:
	return -EIO;
}

void
ccm_clients_alert_ready(struct ccm *ccm)
{
	unsigned int c, p;

	ccm->session++;
	ccm->count[CNT_SESSIONS_UP]++;
	CCM_LOG(NOTICE, ccm, "session %u up with node %u (protocol %u)", ccm->session,
		ccm->conf.peer_node_id, ccm->version);
	for (c = 0; c < ccm->nb_clients; c++) {
		struct ccm_client *cl = ccm->client[c];
		struct ccm_client_event ev = { .type = CCM_EV_PARTNER_READY, .session = ccm->session };

		if (!cl->matched)
			continue;
		ev.u.ready.nports = cl->nports;
		ev.u.ready.remote_len = cl->remote_len;
		ev.u.ready.local_mem = cl->conf.serve_mem ? cl->conf.serve_mem : cl->serve_alloc;
		ev.u.ready.local_len = cl->conf.serve_mem ? cl->conf.serve_len : cl->serve_alloc_len;
		cl->told_ready = true;
		event_to_client(ccm, cl, &ev);
		/* Only now can the partner's immediates be received: a client
		 * hears of its ports before any traffic on them, and until then
		 * the partner is told RNR and tries again. */
		for (p = 0; p < cl->nports; p++)
			post_imm_recvs(cl, p, IMM_RECVS);
	}
}

/* TERMINATE (claim 22): tell the clients, tell the partner, wait. */
/* TERMINATE (claim 22): the clients hear first. */
void
ccm_clients_alert_terminating(struct ccm *ccm)
{
	unsigned int c;

	for (c = 0; c < ccm->nb_clients; c++) {
		struct ccm_client *cl = ccm->client[c];
		struct ccm_client_event ev = { .type = CCM_EV_TERMINATING, .session = ccm->session };

		if (cl->told_ready)
			event_to_client(ccm, cl, &ev);
	}
}

bool
ccm_clients_all_closed(struct ccm *ccm)
{
	unsigned int c;

	for (c = 0; c < ccm->nb_clients; c++)
		if (ccm->client[c]->told_ready &&
		    !__atomic_load_n(&ccm->client[c]->closed, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

/* ---- Work and completions ------------------------------------------------- */

void
ccm_clients_adopt(struct ccm *ccm)
{
	unsigned int i;
	bool joined = false;

	/* Every round: the lock only when a client has registered since. */
	if (__atomic_load_n(&ccm->nb_clients, __ATOMIC_ACQUIRE) == ccm->nb_adopted)
		return;
	rte_spinlock_lock(&ccm->lock);
	/* Clients are only ever added, at the end: the new ones follow those
	 * adopted before. */
	for (i = ccm->nb_adopted; i < ccm->nb_clients; i++) {
		struct ccm_client *cl = ccm->client[i];

		if (cl->conf.local_mem != NULL)
			cl->local_mr = roce_reg_mr(ccm->pd, cl->conf.local_mem, cl->conf.local_len,
						   IBV_ACCESS_LOCAL_WRITE);
		/* Claim 17: client information is exchanged at session start;
		 * a client after that means starting again. */
		if (ccm->state > CCM_S_HELLO && ccm->state <= CCM_S_UP)
			joined = true;
	}
	ccm->nb_adopted = ccm->nb_clients;
	rte_spinlock_unlock(&ccm->lock);
	if (joined)
		ccm_event_post(ccm, ccm->state == CCM_S_UP ? CCM_E_CLIENT_JOINED :
							      CCM_E_STEP_TIMEOUT);
}

int
ccm_work_poll(struct ccm *ccm)
{
	struct ccm_work_item item[32];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst_elem(ccm->work, item, sizeof(item[0]), RTE_DIM(item),
					   NULL);
	for (i = 0; i < n; i++) {
		const struct ccm_work *w = &item[i].work;
		struct ccm_client *cl = item[i].client < ccm->nb_clients ?
					ccm->client[item[i].client] : NULL;
		struct ccm_client_event ev = { .type = CCM_EV_COMPLETION, .session = w->session,
					.port = w->port };
		struct ibv_send_wr wr = { .num_sge = 1, .send_flags = IBV_SEND_SIGNALED }, *bad;
		struct ibv_sge sge;
		struct client_port *cp;

		if (cl == NULL)
			continue;
		ev.u.wc.wr_id = w->wr_id;
		ev.u.wc.opcode = w->opcode;
		cp = w->port < cl->nports ? &cl->port[w->port] : NULL;
		if (ccm->state != CCM_S_UP || w->session != ccm->session || cp == NULL ||
		    cl->local_mr == NULL || cp->wr_head - cp->wr_tail >= PORT_DEPTH ||
		    w->remote_off + w->len > cl->remote_len) {
			ev.u.wc.status = IBV_WC_WR_FLUSH_ERR;
			ccm->count[CNT_WORK_FAILED]++;
			event_to_client(ccm, cl, &ev);
			continue;
		}
		sge = (struct ibv_sge){ .addr = (uintptr_t)w->local, .length = w->len,
					.lkey = roce_mr_lkey(cl->local_mr) };
		wr.wr_id = WR_ID(WR_CLIENT, cl->id, w->port, 0);
		wr.sg_list = &sge;
		wr.opcode = w->opcode;
		wr.imm_data = rte_cpu_to_be_32(w->imm);
		wr.wr.rdma.remote_addr = cl->remote_iova + w->remote_off;
		wr.wr.rdma.rkey = cl->remote_rkey;
		if (roce_post_send(cp->qp, &wr, &bad) != 0) {
			ev.u.wc.status = IBV_WC_GENERAL_ERR;
			ccm->count[CNT_WORK_FAILED]++;
			event_to_client(ccm, cl, &ev);
			continue;
		}
		cp->wr_ids[cp->wr_head % PORT_DEPTH] = w->wr_id;
		cp->opcodes[cp->wr_head % PORT_DEPTH] = w->opcode;
		cp->wr_head++;
		ccm->count[CNT_WORK_POSTED]++;
	}
	return n;
}

void
ccm_client_completion(struct ccm *ccm, const struct ibv_wc *wc)
{
	unsigned int id = WR_CLIENT_OF(wc->wr_id), p = WR_PORT_OF(wc->wr_id);
	struct ccm_client *cl = id < ccm->nb_clients ? ccm->client[id] : NULL;
	struct ccm_client_event ev = { .session = ccm->session, .port = p };
	struct client_port *cp;

	if (cl == NULL || p >= CCM_MAX_CLIENT_PORTS)
		return;
	cp = &cl->port[p];
	if (WR_KIND(wc->wr_id) == WR_CLIENT_RECV) {
		if (wc->status == IBV_WC_SUCCESS) {
			ev.type = CCM_EV_IMMEDIATE;
			ev.u.imm.imm = rte_be_to_cpu_32(wc->imm_data);
			ev.u.imm.byte_len = wc->byte_len;
			event_to_client(ccm, cl, &ev);
			post_imm_recvs(cl, p, 1);
		}
	} else if (cp->wr_tail != cp->wr_head) {
		ev.type = CCM_EV_COMPLETION;
		ev.u.wc.wr_id = cp->wr_ids[cp->wr_tail % PORT_DEPTH];
		ev.u.wc.opcode = cp->opcodes[cp->wr_tail % PORT_DEPTH];
		cp->wr_tail++;
		ev.u.wc.status = wc->status;
		ev.u.wc.byte_len = wc->byte_len;
		event_to_client(ccm, cl, &ev);
	}
	if (wc->status != IBV_WC_SUCCESS && wc->status != IBV_WC_WR_FLUSH_ERR)
		ccm_event_post(ccm, CCM_E_QP_ERROR);
}

void
ccm_work_flush(struct ccm *ccm)
{
	struct ccm_work_item item;

	while (rte_ring_sc_dequeue_elem(ccm->work, &item, sizeof(item)) == 0)
		ccm->count[CNT_WORK_FAILED]++;
}

void
ccm_clients_free(struct ccm *ccm)
{
	unsigned int c;

	for (c = 0; c < ccm->nb_clients; c++) {
		struct ccm_client *cl = ccm->client[c];

		if (cl->local_mr != NULL)
			roce_dereg_mr(cl->local_mr);
		if (cl->serve_mr != NULL)
			roce_dereg_mr(cl->serve_mr);
		rte_free(cl->serve_alloc);
		rte_ring_free(cl->events);
		rte_free(cl);
	}
	ccm->nb_clients = 0;
	ccm->nb_adopted = 0;
}
