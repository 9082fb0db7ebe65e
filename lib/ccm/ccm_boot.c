/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The boot region and the pre-assigned boot QP (claims 1-2, 13-21 of
 * 003_): our status published in the region, the partner's READ and
 * WRITE of it, the keepalive notes that keep the two boot QPs in step,
 * and the CCM's messages (HELLO, CLIENTS, PORTS, READY, TERMINATE,
 * REFUSE) sent and received on that QP. What they mean for the session
 * is posted to ccm.c as events. The CCM's lcore only.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ccm_pvt.h"
#include "roce_verbs.h"

/* ---- Our status -------------------------------------------------------- */

void
ccm_boot_status_publish(struct ccm *ccm, enum ccm_boot_stage stage)
{
	struct ccm_status st = {
		.stage = stage, .cluster_id = ccm->conf.cluster_id, .node_id = ccm->conf.node_id,
		.version_min = ccm->conf.version_min, .version_max = ccm->conf.version_max,
		.attempt = ccm->attempt, .seq = ++ccm->own_seq, .incarnation = ccm->incarnation,
		.acked_incarnation = ccm->acked_incarnation,
	};

	/* The partner may READ it at any moment: it checks the checksum, and
	 * reads again if it caught a half-written status. */
	ccm_status_encode(&st, &ccm->boot->own);
}

static enum ccm_boot_stage
own_stage(const struct ccm *ccm)
{
	return (enum ccm_boot_stage)rte_le_to_cpu_16(ccm->boot->own.stage);
}

void
ccm_held_forget(struct ccm *ccm)
{
	ccm->held = 0;
}

/* A partner attempt we did not know: forget its older messages. */
static void
peer_attempt_changed(struct ccm *ccm, uint16_t attempt)
{
	ccm->peer_attempt = attempt;
	ccm_held_forget(ccm);
}

/* Whatever told us (ccm_peer_incarnation_check()): the partner restarted. */
static void
peer_restarted(struct ccm *ccm, uint64_t incarnation)
{
	ccm->count[CNT_PEER_RESTARTS]++;
	ccm->peer_incarnation = incarnation;
	ccm_event_post(ccm, CCM_E_PEER_RESTART);
}

/* ---- The boot QP ------------------------------------------------------- */

static void
post_recv_slots(struct ccm *ccm)
{
	unsigned int i;

	for (i = 0; i < RECV_SLOTS; i++) {
		struct ibv_sge sge = { .addr = (uintptr_t)ccm->scratch->recv[i],
				       .length = CCM_MSG_MAX, .lkey = roce_mr_lkey(ccm->scratch_mr) };
		struct ibv_recv_wr wr = { .wr_id = WR_ID(WR_MSG_RECV, 0, 0, i), .sg_list = &sge,
					  .num_sge = 1 }, *bad;

		roce_post_recv(ccm->boot_qp, &wr, &bad);
	}
}

/* RESET -> RTS with the pre-assigned QPN: the partner needs nothing from
 * us to reach it (claims 14-15 of 003_). Our requester starts where our
 * keepalives say (incarnation, epoch); our responder where the partner's
 * say. */
int
ccm_boot_qp_reset(struct ccm *ccm)
{
	struct ibv_qp_attr attr;
	struct roce_qp_conn conn;
	int l = ccm_link_for(ccm, 0);
	uint32_t rq_psn;

	/* Our responder goes on where the partner's requester is: only our
	 * requester starts a new epoch. The first time, it starts where the
	 * partner's keepalives say, if they said anything yet. */
	if (ccm->boot_qp_ready) {
		roce_query_qp(ccm->boot_qp, &attr);
		rq_psn = attr.rq_psn;
	} else {
		rq_psn = ccm->peer_note_known ? ccm_boot_psn(ccm->peer_note.incarnation,
							     ccm->peer_note.boot_epoch) : 0;
	}

	if (l < 0)
		l = 0;
	ccm->boot_link = l;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RESET;
	roce_modify_qp(ccm->boot_qp, &attr, IBV_QP_STATE);
	conn = (struct roce_qp_conn){
		.port = ccm->link[l].port,
		.access = IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE,
		.path_mtu = ccm->conf.mtu,
		.dest_ip = ccm->conf.link[l].peer_ip,
		.dest_qpn = ccm->conf.boot_qpn,
		.rq_psn = rq_psn,
		.sq_psn = ccm_boot_psn(ccm->incarnation, ccm->boot_epoch),
		.max_rd_atomic = 4,
		.max_dest_rd_atomic = 4,
		.min_rnr_timer = 1,
		.timeout = ccm->conf.ack_timeout,
		.retry_cnt = ccm->conf.retry_cnt,
		.rnr_retry = 7,		/* the partner's receives come when they come */
	};
	if (roce_qp_connect(ccm->boot_qp, &conn) != 0)
		return -EINVAL;
	ccm_qp_set_paths(ccm, ccm->boot_qp);
	ccm->boot_qp_ready = true;
	ccm->send_busy = 0;
	ccm->check_in_flight = false;
	ccm->read_in_flight = false;
	post_recv_slots(ccm);
	return 0;
}

int
ccm_boot_read(struct ccm *ccm)
{
	int rc;

	struct ibv_sge sge = { .addr = (uintptr_t)&ccm->scratch->read_buf,
			       .length = sizeof(struct ccm_boot_status),
			       .lkey = roce_mr_lkey(ccm->scratch_mr) };
	struct ibv_send_wr wr = { .wr_id = WR_ID(WR_BOOT_READ, 0, 0, 0), .sg_list = &sge,
				  .num_sge = 1, .opcode = IBV_WR_RDMA_READ,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;

	/* One at a time: a READ that has not answered yet (the partner's MAC
	 * unresolved, say) answers later, or fails and the QP with it. */
	if (ccm->read_in_flight)
		return 0;
	memset(&ccm->scratch->read_buf, 0, sizeof(ccm->scratch->read_buf));
	wr.wr.rdma.remote_addr = ccm->conf.boot_addr + CCM_BOOT_OWN_OFF;
	wr.wr.rdma.rkey = ccm->conf.boot_rkey;
	ccm->count[CNT_PROBES]++;
	rc = roce_post_send(ccm->boot_qp, &wr, &bad);
	ccm->read_in_flight = rc == 0;
	return rc;
}

/* Our status into the partner's from_peer. */
int
ccm_boot_write(struct ccm *ccm)
{
	struct ibv_sge sge = { .addr = (uintptr_t)&ccm->scratch->write_buf,
			       .length = sizeof(struct ccm_boot_status),
			       .lkey = roce_mr_lkey(ccm->scratch_mr) };
	struct ibv_send_wr wr = { .wr_id = WR_ID(WR_BOOT_WRITE, 0, 0, 0), .sg_list = &sge,
				  .num_sge = 1, .opcode = IBV_WR_RDMA_WRITE,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;

	ccm->scratch->write_buf = ccm->boot->own;
	wr.wr.rdma.remote_addr = ccm->conf.boot_addr + CCM_BOOT_FROM_PEER_OFF;
	wr.wr.rdma.rkey = ccm->conf.boot_rkey;
	return roce_post_send(ccm->boot_qp, &wr, &bad);
}

/* How long one READ of the partner may take: every transport retry. */
uint64_t
ccm_boot_probe_timeout(const struct ccm *ccm)
{
	return roce_ack_timeout_ns(ccm->conf.ack_timeout) * (ccm->conf.retry_cnt + 2) +
	       ccm->conf.link_timeout_ns;
}

/* The boot QP failed: start it again, in a new epoch the partner's
 * responder will follow from our next keepalive. */
void
ccm_boot_qp_restart(struct ccm *ccm)
{
	ccm->boot_epoch++;
	ccm_boot_qp_reset(ccm);
}

/* ---- Keepalive notes ---------------------------------------------------- */

void
ccm_boot_note(const struct ccm *ccm, struct ccm_note_wire *w)
{
	struct ccm_note me = { .node_id = ccm->conf.node_id, .boot_epoch = ccm->boot_epoch,
			       .incarnation = ccm->incarnation };

	ccm_note_encode(ccm->conf.cluster_id, &me, w);
}

/*
 * The partner's keepalive note on link @p i: where its boot requester
 * starts. A change means it restarted that requester (or itself): our
 * responder follows, so the two boot QPs never fall out of step.
 */
void
ccm_boot_peer_note_poll(struct ccm *ccm, unsigned int i)
{
	uint8_t buf[ROCE_ECHO_DATA_MAX];
	struct ccm_note note;
	unsigned int len;

	len = roce_dev_port_echo_data(ccm->dev, ccm->link[i].port, ccm->conf.link[i].peer_ip,
				      buf, sizeof(buf), NULL);
	if (len == 0 || ccm_note_decode(buf, len, ccm->conf.cluster_id, ccm->conf.peer_node_id,
					&note) != CCM_PROTO_OK)
		return;
	if (ccm->peer_note_known && note.incarnation == ccm->peer_note.incarnation &&
	    note.boot_epoch == ccm->peer_note.boot_epoch)
		return;
	/* An older epoch of the same incarnation is a late keepalive. */
	if (ccm->peer_note_known && note.incarnation == ccm->peer_note.incarnation &&
	    (int16_t)(note.boot_epoch - ccm->peer_note.boot_epoch) < 0)
		return;
	CCM_LOG(DEBUG, ccm, "partner boot requester: incarnation %016lx epoch %u",
		(unsigned long)note.incarnation, note.boot_epoch);
	ccm->peer_note = note;
	ccm->peer_note_known = true;
	roce_qp_restart_responder(ccm->boot_qp, ccm_boot_psn(note.incarnation, note.boot_epoch));
	if (ccm_peer_incarnation_check(ccm->state, ccm->peer_incarnation, note.incarnation) ==
	    CCM_PEER_RESTARTED)
		peer_restarted(ccm, note.incarnation);
}

/* ---- Messages ------------------------------------------------------------ */

int
ccm_msg_send(struct ccm *ccm, struct ccm_msg *msg)
{
	struct ibv_send_wr wr = { .num_sge = 1, .opcode = IBV_WR_SEND,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;
	struct ibv_sge sge;
	unsigned int slot;
	int len;

	for (slot = 0; slot < SEND_SLOTS && (ccm->send_busy & (1u << slot)); slot++)
		;
	if (slot == SEND_SLOTS)
		return -ENOBUFS;
	/* HELLO and REFUSE go in the first version's format, which every
	 * partner reads; the rest in the version agreed. */
	msg->info.version = (msg->info.type == CCM_MSG_HELLO || msg->info.type == CCM_MSG_REFUSE ||
			     ccm->version == 0) ? CCM_PROTO_VERSION_MIN : ccm->version;
	msg->info.cluster_id = ccm->conf.cluster_id;
	msg->info.node_id = ccm->conf.node_id;
	msg->info.incarnation = ccm->incarnation;
	msg->info.attempt = ccm->attempt;
	len = ccm_msg_encode(msg, ccm->scratch->send[slot], CCM_MSG_MAX);
	if (len < 0)
		return len;
	sge = (struct ibv_sge){ .addr = (uintptr_t)ccm->scratch->send[slot], .length = len,
				.lkey = roce_mr_lkey(ccm->scratch_mr) };
	wr.wr_id = WR_ID(WR_MSG_SEND, 0, 0, slot);
	wr.sg_list = &sge;
	if (roce_post_send(ccm->boot_qp, &wr, &bad) != 0)
		return -EIO;
	ccm->send_busy |= 1u << slot;
	ccm->count[CNT_MSG_TX]++;
	CCM_LOG(DEBUG, ccm, "sent %s", ccm_msg_type_str(msg->info.type));
	return 0;
}

void
ccm_msg_send_simple(struct ccm *ccm, enum ccm_msg_type type, uint16_t arg)
{
	struct ccm_msg msg;

	memset(&msg, 0, sizeof(msg));
	msg.info.type = type;
	if (type == CCM_MSG_TERMINATE)
		msg.u.terminate.reason = arg;
	else if (type == CCM_MSG_REFUSE) {
		msg.u.refuse.version_min = ccm->conf.version_min;
		msg.u.refuse.version_max = ccm->conf.version_max;
	}
	if (ccm_msg_send(ccm, &msg) != 0)
		CCM_LOG(WARNING, ccm, "cannot send %s", ccm_msg_type_str(type));
}

int
ccm_hello_send(struct ccm *ccm)
{
	struct ccm_msg msg;
	unsigned int i;

	memset(&msg, 0, sizeof(msg));
	msg.info.type = CCM_MSG_HELLO;
	msg.u.hello.version_min = ccm->conf.version_min;
	msg.u.hello.version_max = ccm->conf.version_max;
	snprintf(msg.u.hello.node_name, CCM_NAME_LEN, "%s", ccm->conf.name);
	msg.u.hello.nb_links = ccm->conf.nb_links;
	for (i = 0; i < ccm->conf.nb_links; i++)
		msg.u.hello.link_ip[i] = ccm->conf.link[i].local_ip;
	return ccm_msg_send(ccm, &msg);
}

int
ccm_clients_send(struct ccm *ccm)
{
	struct ccm_msg msg;
	unsigned int i;

	memset(&msg, 0, sizeof(msg));
	msg.info.type = CCM_MSG_CLIENTS;
	/* Claim 17: collected from every registered client. */
	for (i = 0; i < ccm->nb_clients; i++) {
		struct ccm_client_info *ci = &msg.u.clients.client[msg.u.clients.count++];

		ci->client_id = ccm->client[i]->id;
		ci->nports = ccm->client[i]->conf.nports;
		ci->mem_bytes = ccm->client[i]->conf.peer_mem_bytes;
		memcpy(ci->name, ccm->client[i]->name, CCM_NAME_LEN);
	}
	return ccm_msg_send(ccm, &msg);
}

/* ---- What the partner says ---------------------------------------------- */

static void
status_read_done(struct ccm *ccm, const struct ibv_wc *wc)
{
	struct ccm_status st;
	enum ccm_proto_err err;

	if (wc->status != IBV_WC_SUCCESS) {
		ccm_event_post(ccm, ccm->state == CCM_S_UP ? CCM_E_QP_ERROR : CCM_E_READ_FAIL);
		return;
	}
	err = ccm_status_decode(&ccm->scratch->read_buf, ccm->conf.cluster_id,
				ccm->conf.peer_node_id, &st);
	if (err != CCM_PROTO_OK) {
		/* Not written yet (a partner still booting), or caught half
		 * rewritten: read again later. */
		ccm->proto_err[err]++;
		if (ccm->state == CCM_S_UP)
			ccm->check_in_flight = false;
		else
			ccm_event_post(ccm, CCM_E_READ_FAIL);
		return;
	}
	if (ccm_peer_incarnation_check(ccm->state, ccm->peer_incarnation, st.incarnation) ==
	    CCM_PEER_RESTARTED) {
		peer_restarted(ccm, st.incarnation);
		return;
	}
	ccm->peer_incarnation = st.incarnation;
	if (st.attempt != ccm->peer_attempt && ccm->state <= CCM_S_CONFIRM)
		peer_attempt_changed(ccm, st.attempt);
	switch (ccm->state) {
	case CCM_S_PROBE:
		ccm->step_deadline_ns = 0;
		ccm_event_post(ccm, CCM_E_READ_OK);
		break;
	case CCM_S_CONFIRM:
		ccm_event_post(ccm, st.acked_incarnation == ccm->incarnation ? CCM_E_ACKED :
									      CCM_E_NOT_ACKED);
		break;
	case CCM_S_UP:
		ccm->check_in_flight = false;
		break;
	default:
		break;
	}
}

static void
msg_received(struct ccm *ccm, const uint8_t *buf, uint32_t len)
{
	struct ccm_msg msg;
	enum ccm_proto_err err;

	err = ccm_msg_decode(buf, len, ccm->conf.cluster_id, ccm->conf.peer_node_id, &msg);
	if (err != CCM_PROTO_OK) {
		ccm->proto_err[err]++;
		ccm->count[CNT_MSG_BAD]++;
		CCM_LOG(DEBUG, ccm, "message refused: %s", ccm_proto_err_str(err));
		return;
	}
	ccm->count[CNT_MSG_RX]++;
	CCM_LOG(DEBUG, ccm, "received %s", ccm_msg_type_str(msg.info.type));
	if ((ccm->peer_incarnation != 0 && msg.info.incarnation != ccm->peer_incarnation) ||
	    msg.info.attempt != ccm->peer_attempt) {
		ccm->count[CNT_MSG_STALE]++;
		return;
	}
	switch (msg.info.type) {
	case CCM_MSG_HELLO:
		ccm->peer_hello = msg;
		ccm->held |= CCM_HELD_HELLO;
		break;
	case CCM_MSG_CLIENTS:
		ccm->peer_clients = msg;
		ccm->held |= CCM_HELD_CLIENTS;
		break;
	case CCM_MSG_PORTS:
		ccm->peer_ports = msg;
		ccm->held |= CCM_HELD_PORTS;
		break;
	case CCM_MSG_READY:
		ccm->held |= CCM_HELD_READY;
		break;
	case CCM_MSG_TERMINATE:
		ccm_event_post(ccm, CCM_E_PEER_TERMINATE);
		break;
	case CCM_MSG_REFUSE:
		ccm->peer_hello.u.hello.version_min = msg.u.refuse.version_min;
		ccm->peer_hello.u.hello.version_max = msg.u.refuse.version_max;
		ccm->held |= CCM_HELD_REFUSE;
		break;
	default:
		break;
	}
}

/* The partner wrote its status into our region: acknowledge it there,
 * where its second READ will find it, and notice if it restarted. */
void
ccm_boot_from_peer_poll(struct ccm *ccm)
{
	struct ccm_status st;

	if (ccm_status_decode(&ccm->boot->from_peer, ccm->conf.cluster_id,
			      ccm->conf.peer_node_id, &st) != CCM_PROTO_OK)
		return;
	if (st.incarnation == ccm->acked_incarnation && st.attempt != ccm->peer_attempt) {
		/* Same partner, a new attempt: what it sent before is stale;
		 * whether ours ends too is the leader/follower rule. */
		peer_attempt_changed(ccm, st.attempt);
		if (ccm_peer_new_attempt_ends_ours(ccm->state, ccm->conf.node_id,
						   ccm->conf.peer_node_id)) {
			CCM_LOG(INFO, ccm, "partner began its handshake again (attempt %u)",
				st.attempt);
			ccm_event_post(ccm, CCM_E_PEER_TERMINATE);
		}
		return;
	}
	if (st.incarnation != ccm->acked_incarnation) {
		ccm->acked_incarnation = st.incarnation;
		peer_attempt_changed(ccm, st.attempt);
		ccm_boot_status_publish(ccm, own_stage(ccm));
		switch (ccm_peer_incarnation_check(ccm->state, ccm->peer_incarnation,
						   st.incarnation)) {
		case CCM_PEER_LEARN:
			/* A partner further along than we are: its messages may
			 * come before our own READ has named it. */
			ccm->peer_incarnation = st.incarnation;
			break;
		case CCM_PEER_RESTARTED:
			peer_restarted(ccm, st.incarnation);
			break;
		default:
			break;
		}
	}
}

/* A completion of the boot QP: a READ or WRITE of the partner's status, or
 * a message sent or received. */
void
ccm_boot_completion(struct ccm *ccm, const struct ibv_wc *wc)
{
	switch (WR_KIND(wc->wr_id)) {
	case WR_BOOT_READ:
		ccm->read_in_flight = false;
		status_read_done(ccm, wc);
		break;
	case WR_BOOT_WRITE:
		ccm_event_post(ccm, wc->status == IBV_WC_SUCCESS ? CCM_E_WRITE_OK :
								   CCM_E_WRITE_FAIL);
		break;
	case WR_MSG_SEND:
		ccm->send_busy &= ~(1u << WR_IDX(wc->wr_id));
		if (wc->status != IBV_WC_SUCCESS && wc->status != IBV_WC_WR_FLUSH_ERR)
			ccm_event_post(ccm, CCM_E_QP_ERROR);
		break;
	case WR_MSG_RECV:
		if (wc->status == IBV_WC_SUCCESS) {
			unsigned int slot = WR_IDX(wc->wr_id);

			msg_received(ccm, ccm->scratch->recv[slot], wc->byte_len);
			/* Give the slot back, unless the QP was reset meanwhile. */
			if (roce_qp_state(ccm->boot_qp) == IBV_QPS_RTS) {
				struct ibv_sge sge = { .addr = (uintptr_t)ccm->scratch->recv[slot],
						       .length = CCM_MSG_MAX,
						       .lkey = roce_mr_lkey(ccm->scratch_mr) };
				struct ibv_recv_wr wr = { .wr_id = wc->wr_id, .sg_list = &sge,
							  .num_sge = 1 }, *bad;

				roce_post_recv(ccm->boot_qp, &wr, &bad);
			}
		}
		break;
	default:
		break;
	}
}
