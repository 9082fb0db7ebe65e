/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Queue pairs: creation, the state diagram of IBTA 10.3.1 (modify, the
 * move to ERR and its flush, connect), paths, and what the verbs API
 * reads of a QP. Posting and completing work is roce_post.c; what a QP
 * sends and when, roce_qp_tx.c.
 */
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>

#include "roce_int.h"
#include "roce_limits.h"

#define MAX_WR		16384
#define MAX_INLINE	1024

/* ---- Helpers of the public API ---------------------------------------- */

void
roce_gid_from_ipv4(union ibv_gid *gid, uint32_t ipv4)
{
	memset(gid, 0, sizeof(*gid));
	gid->raw[10] = 0xff;
	gid->raw[11] = 0xff;
	gid->raw[12] = ipv4 >> 24;
	gid->raw[13] = ipv4 >> 16;
	gid->raw[14] = ipv4 >> 8;
	gid->raw[15] = ipv4;
}

int
roce_gid_to_ipv4(const union ibv_gid *gid, uint32_t *ipv4)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (memcmp(gid->raw, prefix, sizeof(prefix)) != 0)
		return -EINVAL;
	*ipv4 = (uint32_t)gid->raw[12] << 24 | (uint32_t)gid->raw[13] << 16 |
		(uint32_t)gid->raw[14] << 8 | gid->raw[15];
	return 0;
}

uint32_t
roce_mtu_bytes(enum ibv_mtu mtu)
{
	return mtu >= IBV_MTU_256 && mtu <= IBV_MTU_4096 ? 128u << mtu : 0;
}

uint64_t
roce_rnr_timer_ns(uint8_t code)
{
	/* IBTA table 45, in units of 10 us; code 0 is the longest. */
	static const uint32_t tens_of_us[32] = {
		65536, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192,
		256, 384, 512, 768, 1024, 1536, 2048, 3072, 4096, 6144, 8192, 12288,
		16384, 24576, 32768, 49152,
	};

	return (uint64_t)tens_of_us[code & 31] * 10000;
}

uint32_t
roce_qp_num(const struct roce_qp *qp)
{
	return qp->qpn;
}

enum ibv_qp_state
roce_qp_state(const struct roce_qp *qp)
{
	return qp->state;
}

const char *
roce_qp_state_str(enum ibv_qp_state state)
{
	static const char *const name[] = {
		[IBV_QPS_RESET] = "RESET", [IBV_QPS_INIT] = "INIT", [IBV_QPS_RTR] = "RTR",
		[IBV_QPS_RTS] = "RTS", [IBV_QPS_SQD] = "SQD", [IBV_QPS_SQE] = "SQE",
		[IBV_QPS_ERR] = "ERR",
	};

	return (unsigned int)state < RTE_DIM(name) && name[state] != NULL ? name[state] : "?";
}

unsigned int
roce_dev_qp_info(const struct roce_dev *dev, struct roce_qp_info *out, unsigned int n)
{
	const struct roce_qp *qp;
	unsigned int i = 0;

	TAILQ_FOREACH(qp, &dev->live_qps, live) {
		if (i < n)
			out[i] = (struct roce_qp_info){
				.qpn = qp->qpn, .dest_qpn = qp->dest_qpn, .state = qp->state,
				.port = qp->port != NULL ? qp->port->num : 0,
				.dest_ip = qp->dest_ip, .sq_psn = qp->req.psn,
				.unacked_psn = qp->comp.psn, .rq_psn = qp->resp.psn,
				.sq_outstanding = qp->sq_head - qp->sq_tail,
				.rq_posted = qp->rq_head - qp->rq_tail,
			};
		i++;
	}
	return i;
}

/* ---- Create and destroy ----------------------------------------------- */

static int
qpn_alloc(struct roce_dev *dev, uint32_t want, uint32_t *qpn)
{
	uint32_t i, n;

	if (want != 0) {
		if (want < ROCE_QPN_MIN || want >= dev->max_qp)
			return -EINVAL;
		if (dev->qp_table[want] != NULL)
			return -EEXIST;
		*qpn = want;
		return 0;
	}
	for (i = 0; i < dev->max_qp; i++) {
		n = (dev->next_qpn + i) & (dev->max_qp - 1);
		if (n >= ROCE_QPN_MIN && dev->qp_table[n] == NULL) {
			dev->next_qpn = n + 1;
			*qpn = n;
			return 0;
		}
	}
	return -ENOSPC;
}

struct roce_qp *
roce_create_qp(struct roce_pd *pd, const struct roce_qp_init_attr *attr)
{
	struct roce_dev *dev = pd->dev;
	const struct ibv_qp_cap *cap = &attr->cap;
	uint32_t sq_size, rq_size, qpn;
	struct roce_qp *qp;
	int rc;

	if (attr->send_cq == NULL || attr->recv_cq == NULL || attr->send_cq->dev != dev ||
	    attr->recv_cq->dev != dev || cap->max_send_wr == 0 || cap->max_send_wr > MAX_WR ||
	    cap->max_recv_wr > MAX_WR || cap->max_send_sge > ROCE_MAX_SGE ||
	    cap->max_recv_sge > ROCE_MAX_SGE || cap->max_inline_data > MAX_INLINE) {
		rte_errno = EINVAL;
		return NULL;
	}
	rc = qpn_alloc(dev, attr->qp_num, &qpn);
	if (rc != 0) {
		rte_errno = -rc;
		return NULL;
	}
	sq_size = rte_align32pow2(cap->max_send_wr);
	rq_size = rte_align32pow2(RTE_MAX(cap->max_recv_wr, 1u));
	qp = rte_zmalloc("roce_qp", sizeof(*qp), RTE_CACHE_LINE_SIZE);
	if (qp == NULL)
		goto nomem;
	qp->sq = rte_zmalloc("roce_sq", sq_size * sizeof(*qp->sq), RTE_CACHE_LINE_SIZE);
	qp->rq = rte_zmalloc("roce_rq", rq_size * sizeof(*qp->rq), RTE_CACHE_LINE_SIZE);
	if (qp->sq == NULL || qp->rq == NULL)
		goto nomem;
	if (cap->max_inline_data != 0) {
		qp->inline_slab = rte_malloc("roce_inline", (size_t)sq_size * cap->max_inline_data, 0);
		if (qp->inline_slab == NULL)
			goto nomem;
	}
	qp->dev = dev;
	qp->pd = pd;
	qp->send_cq = attr->send_cq;
	qp->recv_cq = attr->recv_cq;
	qp->qpn = qpn;
	qp->state = IBV_QPS_RESET;
	qp->cap = *cap;
	qp->sq_sig_all = attr->sq_sig_all;
	qp->sq_mask = sq_size - 1;
	qp->rq_mask = rq_size - 1;
	qp->mtu = 1024;
	qp->ttl = 64;
	roce_window_init(&qp->win);
	pd->users++;
	qp->send_cq->users++;
	qp->recv_cq->users++;
	dev->qp_table[qpn] = qp;
	dev->nb_qp++;
	return qp;

nomem:
	if (qp != NULL) {
		rte_free(qp->sq);
		rte_free(qp->rq);
		rte_free(qp->inline_slab);
		rte_free(qp);
	}
	rte_errno = ENOMEM;
	return NULL;
}

/* Off the list the poll loop serves (QPs join it on entering RTR). */
static void
qp_unlive(struct roce_qp *qp)
{
	if (qp->on_ready_list) {
		TAILQ_REMOVE(&qp->dev->ready_qps, qp, ready);
		qp->on_ready_list = false;
	}
	if (qp->on_armed_list) {
		TAILQ_REMOVE(&qp->dev->armed_qps, qp, armed);
		qp->on_armed_list = false;
	}
	if (qp->on_live_list) {
		TAILQ_REMOVE(&qp->dev->live_qps, qp, live);
		qp->on_live_list = false;
		qp->dev->qps_changed = true;
	}
}

int
roce_destroy_qp(struct roce_qp *qp)
{
	struct roce_dev *dev = qp->dev;

	qp_unlive(qp);
	dev->qp_table[qp->qpn] = NULL;
	dev->nb_qp--;
	qp->pd->users--;
	qp->send_cq->users--;
	qp->recv_cq->users--;
	rte_free(qp->resp.res);
	rte_free(qp->inline_slab);
	rte_free(qp->sq);
	rte_free(qp->rq);
	rte_free(qp);
	return 0;
}

/* ---- To ERR ----------------------------------------------------------- */

/*
 * IBTA 10.3.1 / 11.4: entering ERR completes every outstanding WR, in
 * order, signaled or not: the one at @p wqe_idx with @p status (what went
 * wrong), every other with a flush error.
 */
void
roce_qp_fail(struct roce_qp *qp, uint32_t wqe_idx, enum ibv_wc_status status)
{
	struct roce_recv_wqe rwqe;

	if (qp->state == IBV_QPS_ERR)
		return;
	ROCE_LOG(DEBUG, "%s: QP %u -> ERR (%s)", qp->dev->name, qp->qpn,
		 ibv_wc_status_str(status));
	roce_count(qp->dev, ROCE_CNT_QP_TO_ERROR);
	qp_unlive(qp);
	qp->state = IBV_QPS_ERR;
	for (; qp->sq_tail != qp->sq_head; qp->sq_tail++)
		roce_qp_complete_send(qp, roce_sq_wqe(qp, qp->sq_tail),
				      qp->sq_tail == wqe_idx ? status : IBV_WC_WR_FLUSH_ERR);
	qp->sq_cur = qp->sq_tail;
	qp->comp.ooo.used = false;
	if (qp->resp.have_rwqe) {
		qp->resp.have_rwqe = false;
		roce_qp_complete_recv(qp, &qp->resp.cur_rwqe, IBV_WC_WR_FLUSH_ERR, IBV_WC_RECV, 0,
				      NULL);
	}
	while (roce_qp_rq_pop(qp, &rwqe))
		roce_qp_complete_recv(qp, &rwqe, IBV_WC_WR_FLUSH_ERR, IBV_WC_RECV, 0, NULL);
	qp->resp.msg = ROCE_RESP_IDLE;
	qp->resp.ack_pending = false;
	qp->resp.ack_held_poll = 0;
	qp->resp.seq_nak_due = false;
	qp->resp.fatal_pending = false;
	if (qp->resp.res != NULL)
		memset(qp->resp.res, 0, qp->resp.nb_res * sizeof(*qp->resp.res));
	qp->resp.nb_sending = 0;
}

void
roce_qp_to_error(struct roce_qp *qp)
{
	roce_qp_fail(qp, qp->sq_head, IBV_WC_WR_FLUSH_ERR);
}

/* ---- Modify ----------------------------------------------------------- */

#define INIT_MASK	(IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS)
#define RTR_MASK	(IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | \
			 IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER)
#define RTS_MASK	(IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | \
			 IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC)

/* Required attributes of each legal transition; -1: not legal. */
static int
transition_mask(enum ibv_qp_state from, enum ibv_qp_state to)
{
	if (to == IBV_QPS_RESET || to == IBV_QPS_ERR)
		return IBV_QP_STATE;
	switch (from) {
	case IBV_QPS_RESET:
		return to == IBV_QPS_INIT ? INIT_MASK : -1;
	case IBV_QPS_INIT:
		return to == IBV_QPS_INIT ? 0 : to == IBV_QPS_RTR ? RTR_MASK : -1;
	case IBV_QPS_RTR:
		return to == IBV_QPS_RTS ? RTS_MASK : -1;
	case IBV_QPS_RTS:
		return to == IBV_QPS_RTS ? 0 : -1;
	default:
		return -1;
	}
}

/* Check every attribute before changing anything. */
static int
modify_check(struct roce_qp *qp, const struct ibv_qp_attr *attr, int mask)
{
	uint32_t ip;

	if ((mask & IBV_QP_PORT) && roce_dev_port(qp->dev, attr->port_num) == NULL)
		return -EINVAL;
	if ((mask & IBV_QP_AV) && (roce_gid_to_ipv4(&attr->ah_attr.grh.dgid, &ip) != 0 ||
				   (attr->ah_attr.port_num != 0 &&
				    roce_dev_port(qp->dev, attr->ah_attr.port_num) == NULL)))
		return -EINVAL;
	if ((mask & IBV_QP_PATH_MTU) && roce_mtu_bytes(attr->path_mtu) == 0)
		return -EINVAL;
	if ((mask & IBV_QP_MAX_DEST_RD_ATOMIC) && attr->max_dest_rd_atomic > ROCE_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IBV_QP_MAX_QP_RD_ATOMIC) && attr->max_rd_atomic > ROCE_MAX_RD_ATOMIC)
		return -EINVAL;
	if ((mask & IBV_QP_RETRY_CNT) && attr->retry_cnt > ROCE_RETRY_CNT_MAX)
		return -EINVAL;
	if ((mask & IBV_QP_RNR_RETRY) && attr->rnr_retry > ROCE_RETRY_CNT_MAX)
		return -EINVAL;
	if ((mask & IBV_QP_MIN_RNR_TIMER) && attr->min_rnr_timer > 31)
		return -EINVAL;
	if ((mask & IBV_QP_TIMEOUT) && attr->timeout > ROCE_ACK_TIMEOUT_MAX)
		return -EINVAL;
	return 0;
}

static void
qp_reset(struct roce_qp *qp)
{
	qp->sq_head = qp->sq_cur = qp->sq_tail = 0;
	qp->rq_head = qp->rq_tail = 0;
	memset(&qp->req, 0, sizeof(qp->req));
	memset(&qp->comp, 0, sizeof(qp->comp));
	roce_window_init(&qp->win);
	rte_free(qp->resp.res);
	memset(&qp->resp, 0, sizeof(qp->resp));
}

int
roce_modify_qp(struct roce_qp *qp, struct ibv_qp_attr *attr, int mask)
{
	enum ibv_qp_state from = qp->state;
	enum ibv_qp_state to = (mask & IBV_QP_STATE) ? attr->qp_state : from;
	struct roce_dev *dev = qp->dev;
	bool path_change = false;
	int need, rc;
	uint32_t ip;

	if (from == IBV_QPS_ERR && to != IBV_QPS_RESET && to != IBV_QPS_ERR)
		return -EINVAL;
	need = transition_mask(from, to);
	if (need < 0 || (mask & need) != need) {
		ROCE_LOG(DEBUG, "%s: QP %u: modify %d -> %d: illegal or missing attributes "
			 "(mask 0x%x, need 0x%x)", dev->name, qp->qpn, from, to, mask, need);
		return -EINVAL;
	}
	rc = modify_check(qp, attr, mask);
	if (rc != 0)
		return rc;

	if (to == IBV_QPS_RESET) {
		qp_unlive(qp);
		qp->state = IBV_QPS_RESET;
		qp_reset(qp);
		return 0;
	}
	if (to == IBV_QPS_ERR) {
		roce_qp_to_error(qp);
		return 0;
	}

	if (mask & IBV_QP_MAX_DEST_RD_ATOMIC) {
		struct roce_rd_atomic_res *res = rte_zmalloc("roce_res",
			RTE_MAX(attr->max_dest_rd_atomic, 1) * sizeof(*res), 0);

		if (res == NULL)
			return -ENOMEM;
		rte_free(qp->resp.res);
		qp->resp.res = res;
		qp->resp.nb_sending = 0;
		qp->resp.nb_res = attr->max_dest_rd_atomic;
		qp->resp.res_next = 0;
		qp->attr.max_dest_rd_atomic = attr->max_dest_rd_atomic;
	}
	if (mask & IBV_QP_PORT) {
		path_change |= qp->port != NULL && qp->port->num != attr->port_num;
		qp->port = roce_dev_port(dev, attr->port_num);
		qp->attr.port_num = attr->port_num;
	}
	if (mask & IBV_QP_PKEY_INDEX)
		qp->attr.pkey_index = attr->pkey_index;
	if (mask & IBV_QP_ACCESS_FLAGS)
		qp->attr.qp_access_flags = attr->qp_access_flags;
	if (mask & IBV_QP_AV) {
		roce_gid_to_ipv4(&attr->ah_attr.grh.dgid, &ip);
		path_change |= qp->dest_ip != 0 && qp->dest_ip != ip;
		qp->dest_ip = ip;
		qp->tos = attr->ah_attr.grh.traffic_class;
		qp->ttl = attr->ah_attr.grh.hop_limit ? attr->ah_attr.grh.hop_limit : 64;
		if (attr->ah_attr.port_num != 0 && !(mask & IBV_QP_PORT)) {
			path_change |= qp->port != NULL && qp->port->num != attr->ah_attr.port_num;
			qp->port = roce_dev_port(dev, attr->ah_attr.port_num);
			qp->attr.port_num = attr->ah_attr.port_num;
		}
		qp->attr.ah_attr = attr->ah_attr;
	}
	if (mask & IBV_QP_PATH_MTU) {
		qp->mtu = roce_mtu_bytes(attr->path_mtu);
		qp->attr.path_mtu = attr->path_mtu;
	}
	if (mask & IBV_QP_DEST_QPN) {
		qp->dest_qpn = attr->dest_qp_num & ROCE_PSN_MASK;
		qp->attr.dest_qp_num = qp->dest_qpn;
	}
	if (mask & IBV_QP_RQ_PSN)
		qp->resp.psn = attr->rq_psn & ROCE_PSN_MASK;
	if (mask & IBV_QP_MIN_RNR_TIMER)
		qp->attr.min_rnr_timer = attr->min_rnr_timer;
	if (mask & IBV_QP_SQ_PSN) {
		qp->req.psn = qp->req.max_psn = qp->comp.psn = attr->sq_psn & ROCE_PSN_MASK;
		qp->comp.acked_psn = roce_psn_add(qp->comp.psn, ROCE_PSN_MASK);
		qp->attr.sq_psn = qp->req.psn;
	}
	if (mask & IBV_QP_TIMEOUT)
		qp->attr.timeout = attr->timeout;
	if (mask & IBV_QP_RETRY_CNT)
		qp->attr.retry_cnt = qp->comp.retry_left = attr->retry_cnt;
	if (mask & IBV_QP_RNR_RETRY)
		qp->attr.rnr_retry = qp->comp.rnr_retry_left = attr->rnr_retry;
	if (mask & IBV_QP_MAX_QP_RD_ATOMIC)
		/* 0 would make every READ wait forever: treat it as 1. */
		qp->attr.max_rd_atomic = RTE_MAX(attr->max_rd_atomic, 1);

	if (from == IBV_QPS_INIT && to == IBV_QPS_RTR) {
		qp->sport = roce_udp_sport(qp->qpn, qp->dest_qpn);
		TAILQ_INSERT_TAIL(&dev->live_qps, qp, live);
		qp->on_live_list = true;
	}
	roce_qp_wake(qp);
	if (to == IBV_QPS_RTS)
		qp->comp.progress_ns = qp->comp.data_ns = dev->now_ns;
	qp->state = to;
	qp->attr.qp_state = to;
	dev->qps_changed = true;	/* for the telemetry snapshot */
	qp->tmpl_valid = false;		/* addresses or path may have changed */
	/* A new path in RTS: resend everything not yet acknowledged on it. */
	if (path_change)
		qp->path_changed_ns = dev->now_ns ? dev->now_ns : 1;
	if (path_change && from == IBV_QPS_RTS) {
		ROCE_LOG(INFO, "%s: QP %u moves to port %u, resending from PSN %u", dev->name,
			 qp->qpn, qp->port->num, qp->comp.psn);
		roce_req_rewind(qp, qp->comp.psn);
	}
	return 0;
}

int
roce_qp_connect(struct roce_qp *qp, const struct roce_qp_conn *c)
{
	struct ibv_qp_attr attr;
	int rc;

	if (qp->state != IBV_QPS_RESET && qp->state != IBV_QPS_INIT)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_INIT;
	attr.port_num = c->port;
	attr.qp_access_flags = c->access;
	rc = roce_modify_qp(qp, &attr, INIT_MASK);
	if (rc != 0)
		return rc;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTR;
	attr.path_mtu = c->path_mtu;
	attr.dest_qp_num = c->dest_qpn;
	attr.rq_psn = c->rq_psn;
	attr.max_dest_rd_atomic = c->max_dest_rd_atomic;
	attr.min_rnr_timer = c->min_rnr_timer;
	attr.ah_attr.is_global = 1;
	attr.ah_attr.grh.sgid_index = 1;
	attr.ah_attr.grh.hop_limit = 64;
	attr.ah_attr.port_num = c->port;
	roce_gid_from_ipv4(&attr.ah_attr.grh.dgid, c->dest_ip);
	rc = roce_modify_qp(qp, &attr, RTR_MASK);
	if (rc != 0)
		return rc;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTS;
	attr.sq_psn = c->sq_psn;
	attr.timeout = c->timeout;
	attr.retry_cnt = c->retry_cnt;
	attr.rnr_retry = c->rnr_retry;
	attr.max_rd_atomic = c->max_rd_atomic;
	return roce_modify_qp(qp, &attr, RTS_MASK);
}

int
roce_qp_set_peer_paths(struct roce_qp *qp, const uint32_t *ipv4, unsigned int n)
{
	unsigned int i;

	if (n > qp->dev->nb_ports)
		return -EINVAL;
	for (i = 0; i < ROCE_MAX_PORTS; i++)
		qp->peer_ip[i] = i < n ? ipv4[i] : 0;
	return 0;
}

/* Follow the partner to @p port: same QP state, new path, and everything
 * not yet acknowledged is sent again there. */
void
roce_qp_migrate(struct roce_qp *qp, struct roce_port *port, uint32_t peer_ip)
{
	ROCE_LOG(INFO, "%s: QP %u follows its partner to port %u (%u.%u.%u.%u)", qp->dev->name,
		 qp->qpn, port->num, peer_ip >> 24, (peer_ip >> 16) & 0xff, (peer_ip >> 8) & 0xff,
		 peer_ip & 0xff);
	roce_count(qp->dev, ROCE_CNT_PATH_MIGRATED);
	qp->path_changed_ns = qp->dev->now_ns ? qp->dev->now_ns : 1;
	qp->port = port;
	qp->dest_ip = peer_ip;
	qp->tmpl_valid = false;
	qp->attr.port_num = port->num;
	qp->attr.ah_attr.port_num = port->num;
	roce_gid_from_ipv4(&qp->attr.ah_attr.grh.dgid, peer_ip);
	if (qp->state == IBV_QPS_RTS)
		roce_req_rewind(qp, qp->comp.psn);
	roce_qp_wake(qp);
}

int
roce_qp_restart_responder(struct roce_qp *qp, uint32_t rq_psn)
{
	if (qp->state != IBV_QPS_RTS && qp->state != IBV_QPS_RTR)
		return -EINVAL;
	/* A receive WR half filled by a message that will never end goes
	 * back to the head of the queue, unused. */
	if (qp->resp.have_rwqe) {
		qp->rq[--qp->rq_tail & qp->rq_mask] = qp->resp.cur_rwqe;
		qp->resp.have_rwqe = false;
	}
	qp->resp.psn = rq_psn & ROCE_PSN_MASK;
	qp->resp.msn = 0;
	qp->resp.nak_outstanding = false;
	qp->resp.msg = ROCE_RESP_IDLE;
	qp->resp.ack_pending = false;
	qp->resp.ack_held_poll = 0;
	qp->resp.seq_nak_due = false;
	qp->resp.fatal_pending = false;
	if (qp->resp.res != NULL)
		memset(qp->resp.res, 0, qp->resp.nb_res * sizeof(*qp->resp.res));
	qp->resp.nb_sending = 0;
	roce_qp_wake(qp);
	return 0;
}

int
roce_query_qp(const struct roce_qp *qp, struct ibv_qp_attr *attr)
{
	*attr = qp->attr;
	attr->qp_state = attr->cur_qp_state = qp->state;
	attr->sq_psn = qp->req.psn;
	attr->rq_psn = qp->resp.psn;
	attr->cap = qp->cap;
	return 0;
}
