/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's core: the poll loop (its phases in ccm_poll()), the session
 * table of ccm_fsm.c fed with the events the other parts post, the
 * table's actions, and the object's life cycle. Events posted while an
 * action runs wait in the queue until it is done. The CCM's lcore only,
 * except ccm_restart() and ccm_shutdown()'s request (atomic flags).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>
#include <rte_random.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>
#include <rte_spinlock.h>

#include "ccm_pvt.h"

RTE_LOG_REGISTER(ccm_logtype, ccm, INFO);

/* ---- Small helpers ---------------------------------------------------- */

enum ccm_state
ccm_state(const struct ccm *ccm)
{
	return ccm->state;
}

struct roce_dev *
ccm_dev(struct ccm *ccm)
{
	return ccm->dev;
}

uint32_t
ccm_session(const struct ccm *ccm)
{
	return ccm->session;
}

uint64_t
ccm_incarnation(const struct ccm *ccm)
{
	return ccm->incarnation;
}

uint16_t
ccm_version(const struct ccm *ccm)
{
	return ccm->version;
}

/* TERMINATE (claim 22): tell the clients, tell the partner, wait. */
static void
terminate(struct ccm *ccm, enum ccm_event cause)
{
	uint16_t reason;

	ccm->count[CNT_TERMINATIONS]++;
	switch (cause) {
	case CCM_E_PEER_RESTART:
		reason = CCM_TERM_PEER_RESTART;
		break;
	case CCM_E_QP_ERROR:
		reason = CCM_TERM_QP_ERROR;
		break;
	case CCM_E_LINKS_LOST:
		reason = CCM_TERM_LINKS_LOST;
		break;
	case CCM_E_CLIENT_JOINED:
		reason = CCM_TERM_CLIENT_JOINED;
		break;
	default:
		reason = ccm->stopping ? CCM_TERM_SHUTDOWN : CCM_TERM_ADMIN;
	}
	CCM_LOG(NOTICE, ccm, "session %u terminating (%s)", ccm->session, ccm_event_name(cause));
	ccm_clients_alert_terminating(ccm);
	if (cause != CCM_E_PEER_TERMINATE && cause != CCM_E_PEER_RESTART &&
	    roce_qp_state(ccm->boot_qp) == IBV_QPS_RTS)
		ccm_msg_send_simple(ccm, CCM_MSG_TERMINATE, reason);
	ccm->step_deadline_ns = ccm->now_ns + ccm->conf.terminate_timeout_ns;
}

static void
backoff(struct ccm *ccm)
{
	ccm->timer_ns = ccm->now_ns + ccm_backoff_ns(ccm->probe_attempt++, ccm->conf.probe_min_ns,
						     ccm->conf.probe_max_ns, rte_rand());
}

/* TEARDOWN: ports gone, messages forgotten, boot QP fresh if it failed or
 * the partner restarted, and probe again after a short wait. */
static void
teardown(struct ccm *ccm, enum ccm_event cause)
{
	ccm_client_ports_destroy(ccm);
	ccm_work_flush(ccm);
	ccm_held_forget(ccm);
	ccm->version = 0;
	ccm->step_deadline_ns = 0;
	/* A failed boot QP starts a new epoch; so does one whose partner
	 * restarted (its fresh responder follows whatever we announce). A
	 * working one is kept: the partner's side is in step with it. */
	if (roce_qp_state(ccm->boot_qp) != IBV_QPS_RTS || cause == CCM_E_PEER_RESTART)
		ccm_boot_qp_restart(ccm);
	ccm->attempt++;		/* messages of the attempt that ended are stale */
	ccm_boot_status_publish(ccm, CCM_STAGE_BOOTING);
	ccm->probe_attempt = 0;
	if (ccm->stopping) {
		ccm->state = CCM_S_IDLE;
		ccm->timer_ns = 0;
		return;
	}
	backoff(ccm);
}

/* ---- The session state machine ---------------------------------------- */

static void
do_action(struct ccm *ccm, enum ccm_action a, enum ccm_event cause)
{
	switch (a) {
	case CCM_A_READ_PEER:
		ccm->timer_ns = 0;
		/* The first READ may never even leave (no ARP answer): bound
		 * it. Re-reads in CONFIRM keep the deadline REREAD set. */
		if (ccm->state == CCM_S_PROBE)
			ccm->step_deadline_ns = ccm->now_ns + ccm_boot_probe_timeout(ccm);
		if (ccm_boot_read(ccm) != 0)
			ccm_event_post(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_BACKOFF:
		/* A failed QP starts afresh (PSN 0, as a restarted partner's
		 * does); a working one is kept: resetting one side alone would
		 * put the two out of step. */
		ccm->count[CNT_PROBE_FAILS]++;
		ccm->step_deadline_ns = 0;
		if (roce_qp_state(ccm->boot_qp) != IBV_QPS_RTS)
			ccm_boot_qp_restart(ccm);
		backoff(ccm);
		break;
	case CCM_A_WRITE_STATUS:
		ccm_boot_status_publish(ccm, CCM_STAGE_SEEN);
		if (ccm_boot_write(ccm) != 0)
			ccm_event_post(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_REREAD:
		/* Give the partner time to see our status and acknowledge it. */
		ccm->timer_ns = ccm->now_ns + ccm->conf.keepalive_ns;
		if (ccm->step_deadline_ns == 0)
			ccm->step_deadline_ns = ccm->now_ns + ccm->conf.step_timeout_ns;
		break;
	case CCM_A_WRITE_COMMIT:
		ccm_boot_status_publish(ccm, CCM_STAGE_CONNECTED);
		if (ccm_boot_write(ccm) != 0)
			ccm_event_post(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_SEND_HELLO:
		ccm->timer_ns = 0;
		ccm->step_deadline_ns = ccm->now_ns + ccm->conf.step_timeout_ns;
		if (ccm_hello_send(ccm) != 0)
			ccm_event_post(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_SEND_CLIENTS:
		if (ccm_clients_send(ccm) != 0)
			ccm_event_post(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_CREATE_PORTS:
		if (ccm_client_ports_create(ccm) != 0)
			ccm_event_post(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_SEND_READY:
		if (ccm_client_ports_connect(ccm) != 0)
			ccm_event_post(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_SESSION_UP:
		ccm->step_deadline_ns = 0;
		ccm->next_check_ns = ccm->now_ns + ccm->conf.session_check_ns;
		ccm_clients_alert_ready(ccm);
		break;
	case CCM_A_REFUSE:
		ccm->count[CNT_REFUSED]++;
		CCM_LOG(ERR, ccm, "partner node %u speaks protocol %u..%u, we speak %u..%u: "
			"refused; trying again later", ccm->conf.peer_node_id,
			ccm->peer_hello.u.hello.version_min, ccm->peer_hello.u.hello.version_max,
			ccm->conf.version_min, ccm->conf.version_max);
		ccm_msg_send_simple(ccm, CCM_MSG_REFUSE, 0);
		ccm->step_deadline_ns = 0;
		ccm->timer_ns = ccm->now_ns + ccm->conf.probe_max_ns;
		break;
	case CCM_A_TERMINATE:
		terminate(ccm, cause);
		break;
	case CCM_A_TEARDOWN:
		teardown(ccm, cause);
		break;
	default:
		break;
	}
}

/* One event through the table, and its action. */
static void
session_step(struct ccm *ccm, enum ccm_event e)
{
	struct ccm_transition t = ccm_session_step(ccm->state, e);
	enum ccm_state from = ccm->state;

	ccm->transitions[from][e]++;
	if (t.action == CCM_A_NONE && t.next == from) {
		ccm->count[CNT_IGNORED]++;
		CCM_LOG(DEBUG, ccm, "%s: %s ignored", ccm_state_name(from), ccm_event_name(e));
		return;
	}
	ccm->count[CNT_TRANSITIONS]++;
	CCM_LOG(DEBUG, ccm, "%s + %s -> %s / %s", ccm_state_name(from), ccm_event_name(e),
		ccm_state_name(t.next), ccm_action_name(t.action));
	ccm->state = t.next;
	if (from != CCM_S_UP && t.next != from && t.next >= CCM_S_HELLO)
		ccm->step_deadline_ns = ccm->now_ns + ccm->conf.step_timeout_ns;
	do_action(ccm, t.action, e);
}

void
ccm_event_post(struct ccm *ccm, enum ccm_event e)
{
	struct ccm_event_queue *q = &ccm->events;

	if (q->tail - q->head == EVENT_QUEUE) {
		/* An action posts one event at most: this is a bug, said loudly. */
		CCM_LOG(ERR, ccm, "%s: event queue full, %s dropped", ccm_state_name(ccm->state),
			ccm_event_name(e));
		return;
	}
	q->ev[q->tail++ % EVENT_QUEUE] = e;
	if (q->running)
		return;
	q->running = true;
	while (q->head != q->tail)
		session_step(ccm, q->ev[q->head++ % EVENT_QUEUE]);
	q->running = false;
}

/* Messages that came before their state: each raises its event once the
 * state that reads it comes (ccm_held_message_step() says which). */
static void
held_messages_run(struct ccm *ccm)
{
	for (;;) {
		const struct ccm_hello *h = &ccm->peer_hello.u.hello;
		struct ccm_held_step step = ccm_held_message_step(ccm->state, ccm->held,
								  ccm->conf.version_min,
								  ccm->conf.version_max,
								  h->version_min, h->version_max);

		if (step.event == CCM_E_NEVENTS)
			return;
		ccm->held &= ~step.consume;
		if (step.consume & CCM_HELD_HELLO)
			ccm->version = step.version;
		ccm_event_post(ccm, step.event);
	}
}

/* ---- Polling ------------------------------------------------------------ */

static int
completions_poll(struct ccm *ccm)
{
	struct ibv_wc wc[32];
	int n, i;

	n = roce_poll_cq(ccm->cq, RTE_DIM(wc), wc);
	for (i = 0; i < n; i++) {
		if (WR_KIND(wc[i].wr_id) == WR_CLIENT || WR_KIND(wc[i].wr_id) == WR_CLIENT_RECV)
			ccm_client_completion(ccm, &wc[i]);
		else
			ccm_boot_completion(ccm, &wc[i]);
	}
	return n;
}

/* ---- Life cycle ------------------------------------------------------- */

static uint64_t
monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct ccm *
ccm_create(const struct ccm_conf *conf)
{
	struct roce_dev_conf dconf = { .name = conf->name, .socket_id = SOCKET_ID_ANY,
				       .nb_mbufs = conf->nb_mbufs };
	struct roce_qp_init_attr init = { .qp_num = conf->boot_qpn,
					  .cap = { .max_send_wr = 32, .max_recv_wr = RECV_SLOTS,
						   .max_send_sge = 1, .max_recv_sge = 1 } };
	char ring_name[RTE_RING_NAMESIZE];
	struct ccm *ccm;
	int rc;

	if (conf->name == NULL || conf->nb_links == 0 || conf->nb_links > CCM_MAX_LINKS ||
	    conf->boot_qpn < 2 || conf->boot_rkey == 0 || conf->node_id == conf->peer_node_id ||
	    conf->version_min == 0 || conf->version_min > conf->version_max) {
		rte_errno = EINVAL;
		return NULL;
	}
	ccm = rte_zmalloc("ccm", sizeof(*ccm), RTE_CACHE_LINE_SIZE);
	if (ccm == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	ccm->conf = *conf;
	rte_spinlock_init(&ccm->lock);
	rc = ccm_telemetry_register(ccm);
	if (rc != 0) {
		rte_errno = -rc;
		goto fail;
	}
	ccm->incarnation = conf->incarnation ? conf->incarnation :
			   (monotonic_ns() ^ (rte_rand() << 20)) | 1;
	ccm->dev = roce_dev_create(&dconf);
	if (ccm->dev == NULL)
		goto fail;
	rc = ccm_links_create(ccm);
	if (rc != 0) {
		rte_errno = -rc;
		goto fail;
	}
	ccm->pd = roce_alloc_pd(ccm->dev);
	ccm->cq = roce_create_cq(ccm->dev, 4096);
	ccm->boot = rte_zmalloc("ccm_boot", sizeof(*ccm->boot), 4096);
	ccm->scratch = rte_zmalloc("ccm_scratch", sizeof(*ccm->scratch), 4096);
	snprintf(ring_name, sizeof(ring_name), "cw_%.16s", conf->name);
	ccm->work = rte_ring_create_elem(ring_name, sizeof(struct ccm_work_item),
					 CLIENT_WORK_RING, SOCKET_ID_ANY, RING_F_SC_DEQ);
	if (ccm->pd == NULL || ccm->cq == NULL || ccm->boot == NULL || ccm->scratch == NULL ||
	    ccm->work == NULL)
		goto nomem;
	/* The boot region at the pre-set address and key (claim 19 of 003_). */
	ccm->boot_mr = roce_reg_mr_fixed(ccm->pd, ccm->boot, sizeof(*ccm->boot), conf->boot_addr,
					 IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_READ |
					 IBV_ACCESS_REMOTE_WRITE, conf->boot_rkey);
	ccm->scratch_mr = roce_reg_mr(ccm->pd, ccm->scratch, sizeof(*ccm->scratch),
				      IBV_ACCESS_LOCAL_WRITE);
	init.send_cq = init.recv_cq = ccm->cq;
	ccm->boot_qp = roce_create_qp(ccm->pd, &init);
	if (ccm->boot_mr == NULL || ccm->scratch_mr == NULL || ccm->boot_qp == NULL)
		goto fail;
	ccm_boot_status_publish(ccm, CCM_STAGE_BOOTING);
	/* Answerable from now on, before ccm_start(): the partner may be
	 * further along than we are. */
	if (ccm_boot_qp_reset(ccm) != 0)
		goto fail;
	CCM_LOG(INFO, ccm, "node %u, incarnation %016lx, boot QP %u at 0x%lx key 0x%x, %u link(s)",
		conf->node_id, (unsigned long)ccm->incarnation, conf->boot_qpn,
		(unsigned long)conf->boot_addr, conf->boot_rkey, conf->nb_links);
	return ccm;

nomem:
	rte_errno = ENOMEM;
fail:
	rc = rte_errno;
	ccm_destroy(ccm);
	rte_errno = rc;
	return NULL;
}

int
ccm_start(struct ccm *ccm, uint64_t now_ns)
{
	ccm->now_ns = now_ns;
	ccm_event_post(ccm, CCM_E_START);
	return 0;
}

void
ccm_restart(struct ccm *ccm)
{
	__atomic_store_n(&ccm->restart_req, 1, __ATOMIC_RELEASE);
}

int
ccm_shutdown(struct ccm *ccm)
{
	ccm->stopping = true;
	ccm_restart(ccm);
	return 0;
}

int
ccm_poll(struct ccm *ccm, uint64_t now_ns)
{
	int work;

	ccm->now_ns = now_ns;
	work = roce_dev_poll(ccm->dev, now_ns);
	/* The partner's status writes first: a message that followed one on
	 * the QP must be judged by what it wrote. */
	ccm_boot_from_peer_poll(ccm);
	work += completions_poll(ccm);
	work += ccm_links_poll(ccm);
	ccm_clients_adopt(ccm);
	if (ccm_take_request(&ccm->restart_req)) {
		if (ccm->state == CCM_S_IDLE && !ccm->stopping)
			ccm_event_post(ccm, CCM_E_START);
		else if (ccm->state != CCM_S_IDLE)
			ccm_event_post(ccm, CCM_E_ADMIN_RESTART);
	}
	if (ccm->timer_ns != 0 && now_ns >= ccm->timer_ns) {
		ccm->timer_ns = 0;
		ccm_event_post(ccm, CCM_E_TIMER);
	}
	if (ccm->step_deadline_ns != 0 && now_ns >= ccm->step_deadline_ns) {
		ccm->step_deadline_ns = 0;
		ccm->count[CNT_STEP_TIMEOUTS]++;
		ccm_event_post(ccm, CCM_E_STEP_TIMEOUT);
	}
	if (ccm->state == CCM_S_TERMINATING && ccm_clients_all_closed(ccm))
		ccm_event_post(ccm, CCM_E_CLIENTS_CLOSED);
	/* Keeping the session alive: the partner's status, read now and
	 * then, shows it is there and still the same incarnation. */
	if (ccm->state == CCM_S_UP && !ccm->check_in_flight && now_ns >= ccm->next_check_ns) {
		ccm->next_check_ns = now_ns + ccm->conf.session_check_ns;
		ccm->check_in_flight = ccm_boot_read(ccm) == 0;
	}
	if (ccm->state == CCM_S_UP)
		work += ccm_work_poll(ccm);
	held_messages_run(ccm);
	ccm_telemetry_publish(ccm);
	return work;
}

void
ccm_destroy(struct ccm *ccm)
{
	if (ccm == NULL)
		return;
	ccm_telemetry_unregister(ccm);
	if (ccm->dev != NULL) {
		/* No poll comes after this one: an ACK held for an answer
		 * (roce_dev_poll()) leaves now, best effort. */
		roce_dev_flush(ccm->dev);
		ccm_client_ports_destroy(ccm);
		if (ccm->boot_qp != NULL)
			roce_destroy_qp(ccm->boot_qp);
		/* Frames not yet sent point into the regions freed below. */
		roce_dev_discard_tx(ccm->dev);
		ccm_clients_free(ccm);
		if (ccm->boot_mr != NULL)
			roce_dereg_mr(ccm->boot_mr);
		if (ccm->scratch_mr != NULL)
			roce_dereg_mr(ccm->scratch_mr);
		if (ccm->cq != NULL)
			roce_destroy_cq(ccm->cq);
		if (ccm->pd != NULL)
			roce_dealloc_pd(ccm->pd);
		if (roce_dev_destroy(ccm->dev) != 0)
			CCM_LOG(ERR, ccm, "transport device still busy at destroy");
	}
	rte_ring_free(ccm->work);
	rte_free(ccm->boot);
	rte_free(ccm->scratch);
	rte_free(ccm);
}
