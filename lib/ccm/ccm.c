/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM runtime: feeds the tables of ccm_fsm.c with what the transport,
 * the timers and the partner's messages say, and carries out the actions
 * they answer with. Everything here runs on the CCM's lcore except the
 * client functions marked "any lcore", which meet it through rings.
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

#include "ccm.h"
#include "roce_verbs.h"
#include "roce_psn.h"

RTE_LOG_REGISTER(ccm_logtype, ccm, INFO);
#define CCM_LOG(level, ccm, fmt, ...) \
	rte_log(RTE_LOG_ ## level, ccm_logtype, "ccm %s: " fmt "\n", (ccm)->conf.name, \
		##__VA_ARGS__)

/* ---- Counters --------------------------------------------------------- */

enum ccm_counter {
	CNT_TRANSITIONS,
	CNT_IGNORED,		/* events that meant nothing in their state */
	CNT_PROBES,		/* READs of the partner's status */
	CNT_PROBE_FAILS,
	CNT_SESSIONS_UP,
	CNT_TERMINATIONS,
	CNT_PEER_RESTARTS,
	CNT_REFUSED,
	CNT_STEP_TIMEOUTS,
	CNT_MSG_TX,
	CNT_MSG_RX,
	CNT_MSG_BAD,		/* refused: see the proto_* counters */
	CNT_MSG_STALE,		/* from an older incarnation of the partner */
	CNT_LINK_UP,
	CNT_LINK_DOWN,
	CNT_QP_MOVES,		/* ports moved to another link */
	CNT_WORK_POSTED,
	CNT_WORK_FAILED,	/* refused by the transport or stale */
	CNT_EVENTS_LOST,	/* a client's ring was full */
	CNT_CLIENTS_UNMATCHED,	/* a client the partner does not have */
	CNT_N,
};

static const char *const counter_names[CNT_N] = {
	[CNT_TRANSITIONS] = "transitions", [CNT_IGNORED] = "events_ignored",
	[CNT_PROBES] = "probes", [CNT_PROBE_FAILS] = "probe_fails",
	[CNT_SESSIONS_UP] = "sessions_up", [CNT_TERMINATIONS] = "terminations",
	[CNT_PEER_RESTARTS] = "peer_restarts", [CNT_REFUSED] = "refused",
	[CNT_STEP_TIMEOUTS] = "step_timeouts", [CNT_MSG_TX] = "msg_tx",
	[CNT_MSG_RX] = "msg_rx", [CNT_MSG_BAD] = "msg_bad", [CNT_MSG_STALE] = "msg_stale",
	[CNT_LINK_UP] = "link_up", [CNT_LINK_DOWN] = "link_down", [CNT_QP_MOVES] = "qp_moves",
	[CNT_WORK_POSTED] = "work_posted", [CNT_WORK_FAILED] = "work_failed",
	[CNT_EVENTS_LOST] = "events_lost", [CNT_CLIENTS_UNMATCHED] = "clients_unmatched",
};
static_assert(RTE_DIM(counter_names) == CNT_N, "a name per counter");

/* ---- Objects ---------------------------------------------------------- */

#define SEND_SLOTS	8
#define RECV_SLOTS	16
#define CLIENT_WORK_RING 4096
#define PORT_DEPTH	256		/* work requests in flight per client port */
#define IMM_RECVS	64		/* receive WRs kept posted per port for immediates */

/* wr_id: what a completion is about. */
enum wr_kind {
	WR_BOOT_READ = 1,
	WR_BOOT_WRITE,
	WR_MSG_SEND,
	WR_MSG_RECV,
	WR_CLIENT,
	WR_CLIENT_RECV,
};
#define WR_ID(kind, client, port, idx) \
	((uint64_t)(kind) << 56 | (uint64_t)(client) << 48 | (uint64_t)(port) << 40 | (idx))
#define WR_KIND(id)	((id) >> 56)
#define WR_CLIENT_OF(id) (((id) >> 48) & 0xff)
#define WR_PORT_OF(id)	(((id) >> 40) & 0xff)
#define WR_IDX(id)	((id) & 0xffffffffffull)

/* Registered scratch memory: where READs land and messages live. */
struct ccm_scratch {
	struct ccm_boot_status read_buf;
	struct ccm_boot_status write_buf;
	uint8_t send[SEND_SLOTS][CCM_MSG_MAX];
	uint8_t recv[RECV_SLOTS][CCM_MSG_MAX];
};

struct client_port {
	struct roce_qp *qp;
	uint8_t link;			/* index into ccm->link */
	uint32_t psn;
	uint64_t wr_ids[PORT_DEPTH];	/* the client's, in posting order */
	uint32_t wr_head, wr_tail;
	uint16_t opcodes[PORT_DEPTH];
};

struct ccm_client {
	struct ccm *ccm;
	uint16_t id;
	char name[CCM_NAME_LEN];
	struct ccm_client_conf conf;
	struct rte_ring *events;
	bool added;			/* seen by the CCM's lcore */
	struct roce_mr *local_mr;
	struct roce_mr *serve_mr;
	void *serve_alloc;		/* what we allocated, if the client gave none */
	size_t serve_alloc_len;
	/* this session */
	bool matched;			/* the partner has a client of this name */
	uint16_t nports;
	struct client_port port[CCM_MAX_CLIENT_PORTS];
	uint64_t remote_iova, remote_len;
	uint32_t remote_rkey;
	bool told_ready;
	volatile bool closed;		/* written by the client's lcore */
};

struct ccm_link {
	uint8_t port;			/* transport port number */
	enum ccm_link_state state;
	uint8_t admin_down_req, admin_up_req;	/* set from any lcore, atomically */
	int carrier;
	uint64_t pongs;
	uint64_t last_beat_ns;
	uint64_t next_ping_ns;
	uint16_t ping_seq;
};

struct ccm {
	struct ccm_conf conf;
	struct roce_dev *dev;
	struct roce_pd *pd;
	struct roce_cq *cq;
	struct ccm_boot_region *boot;
	struct roce_mr *boot_mr;
	struct ccm_scratch *scratch;
	struct roce_mr *scratch_mr;
	struct roce_qp *boot_qp;
	uint8_t boot_link;
	enum ccm_state state;
	uint64_t now_ns;
	uint64_t incarnation;
	uint64_t peer_incarnation;	/* 0 until the first READ succeeds */
	uint64_t acked_incarnation;	/* the partner incarnation we acknowledge */
	uint16_t attempt;		/* our handshake attempts, this incarnation */
	uint16_t boot_epoch;		/* restarts of our boot QP's requester */
	struct ccm_note peer_note;	/* partner's boot requester our responder follows */
	bool peer_note_known;
	bool boot_qp_ready;		/* brought up once: its responder has a PSN */
	uint16_t peer_attempt;		/* the partner's current one */
	uint32_t own_seq;
	uint16_t version;
	unsigned int probe_attempt;
	uint64_t timer_ns;		/* TIMER due, 0: none */
	uint64_t step_deadline_ns;	/* STEP_TIMEOUT due, 0: none */
	uint64_t next_check_ns;		/* session keepalive READ while UP */
	bool check_in_flight;
	bool read_in_flight;		/* a READ of the partner's status is out */
	uint32_t send_busy;		/* bitmap of send slots in use */
	uint32_t session;
	bool stopping;			/* ccm_shutdown: do not initiate again */
	uint8_t restart_req;		/* ccm_restart from any lcore, atomically */
	struct ccm_link link[CCM_MAX_LINKS];
	/* the partner's messages of this session, kept until their state */
	bool have_hello, have_clients, have_ports, have_ready, have_refuse;
	struct ccm_msg peer_hello, peer_clients, peer_ports;
	/* clients */
	rte_spinlock_t lock;		/* registration only, never on the data path */
	struct ccm_client *client[CCM_MAX_CLIENTS];
	unsigned int nb_clients;
	struct rte_ring *work;		/* ccm_work from clients: MP, SC */
	uint64_t count[CNT_N];
	uint64_t proto_err[CCM_PROTO_NERR];
	uint64_t transitions[CCM_S_NSTATES][CCM_E_NEVENTS];
};

static void session_event(struct ccm *ccm, enum ccm_event e);
static bool past_probe(const struct ccm *ccm);

/* ---- Small helpers ---------------------------------------------------- */

enum ccm_state
ccm_state(const struct ccm *ccm)
{
	return ccm->state;
}

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

uint64_t
ccm_stat(const struct ccm *ccm, const char *name)
{
	unsigned int i;

	for (i = 0; i < CNT_N; i++)
		if (strcmp(name, counter_names[i]) == 0)
			return ccm->count[i];
	for (i = 0; i < CCM_PROTO_NERR; i++) {
		char n[48];

		snprintf(n, sizeof(n), "proto_%s", ccm_proto_err_str(i));
		if (strcmp(name, n) == 0)
			return ccm->proto_err[i];
	}
	return UINT64_MAX;
}

int
ccm_stats_read(const struct ccm *ccm, struct ccm_stat_entry *out, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < CNT_N && i < n; i++)
		out[i] = (struct ccm_stat_entry){ counter_names[i], ccm->count[i] };
	return CNT_N;
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

void
ccm_conf_defaults(struct ccm_conf *conf)
{
	conf->mtu = IBV_MTU_1024;
	conf->ack_timeout = 12;			/* 16.8 ms */
	conf->retry_cnt = 3;
	conf->keepalive_ns = 1000000;		/* 1 ms */
	conf->link_timeout_ns = 5000000;	/* 5 keepalives */
	conf->probe_min_ns = 10000000;		/* 10 ms */
	conf->probe_max_ns = 1000000000;	/* 1 s */
	conf->session_check_ns = 100000000;	/* 100 ms */
	conf->step_timeout_ns = 2000000000ull;	/* 2 s */
	conf->terminate_timeout_ns = 1000000000;	/* 1 s */
	conf->balance = CCM_BALANCE_ROUND_ROBIN;
	conf->failback = true;
	conf->version_min = CCM_PROTO_VERSION_MIN;
	conf->version_max = CCM_PROTO_VERSION_MAX;
}

static void
event_to_client(struct ccm *ccm, struct ccm_client *c, const struct ccm_client_event *ev)
{
	if (rte_ring_sp_enqueue_elem(c->events, (void *)(uintptr_t)ev, sizeof(*ev)) != 0)
		ccm->count[CNT_EVENTS_LOST]++;
}

/* ---- Links and paths -------------------------------------------------- */

static bool
link_usable(const struct ccm *ccm, unsigned int i)
{
	return ccm->link[i].state == CCM_L_UP;
}

/* The link a port should use, the same on both nodes: links are numbered
 * alike on both sides, and so are clients' ports. */
static int
link_for(const struct ccm *ccm, unsigned int spread)
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

static void
qp_set_paths(struct ccm *ccm, struct roce_qp *qp)
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
static int
link_for_port(const struct ccm *ccm, const struct ccm_client *cl, unsigned int p)
{
	if (cl->conf.port_per_link && p < ccm->conf.nb_links && link_usable(ccm, p))
		return p;
	return link_for(ccm, cl->id * CCM_MAX_CLIENT_PORTS + p);
}

/* Every port where the policy says, on the links that work now. */
static void
rebalance(struct ccm *ccm)
{
	unsigned int c, p;
	int l;

	l = link_for(ccm, 0);
	if (l < 0)
		return;
	ccm->boot_link = l;
	qp_move(ccm, ccm->boot_qp, l);
	for (c = 0; c < ccm->nb_clients; c++) {
		struct ccm_client *cl = ccm->client[c];

		for (p = 0; cl->matched && p < cl->nports; p++) {
			l = link_for_port(ccm, cl, p);
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
			session_event(ccm, CCM_E_LINKS_LOST);
		else
			rebalance(ccm);
		break;
	default:
		break;
	}
}

/*
 * The partner's keepalive note on link @p i: where its boot requester
 * starts. A change means it restarted that requester (or itself): our
 * responder follows, so the two boot QPs never fall out of step.
 */
static void
peer_note_poll(struct ccm *ccm, unsigned int i)
{
	uint8_t buf[ROCE_ARP_NOTE_MAX];
	struct ccm_note note;
	unsigned int len;

	len = roce_dev_port_peer_note(ccm->dev, ccm->link[i].port, ccm->conf.link[i].peer_ip,
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
	roce_qp_resync_responder(ccm->boot_qp, ccm_boot_psn(note.incarnation, note.boot_epoch));
	if (ccm->peer_incarnation != 0 && note.incarnation != ccm->peer_incarnation &&
	    past_probe(ccm)) {
		ccm->count[CNT_PEER_RESTARTS]++;
		ccm->peer_incarnation = note.incarnation;
		session_event(ccm, CCM_E_PEER_RESTART);
	}
}

/* Carrier, keepalives out, keepalives in, admin requests. */
static int
links_poll(struct ccm *ccm)
{
	unsigned int i;
	int work = 0;

	for (i = 0; i < ccm->conf.nb_links; i++) {
		struct ccm_link *lk = &ccm->link[i];
		uint64_t pongs;

		if (__atomic_exchange_n(&lk->admin_down_req, 0, __ATOMIC_ACQ_REL))
			link_event(ccm, i, CCM_LE_ADMIN_DOWN);
		if (__atomic_exchange_n(&lk->admin_up_req, 0, __ATOMIC_ACQ_REL)) {
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
			struct ccm_note me = { .node_id = ccm->conf.node_id,
					       .boot_epoch = ccm->boot_epoch,
					       .incarnation = ccm->incarnation };
			struct ccm_note_wire w;

			ccm_note_encode(ccm->conf.cluster_id, &me, &w);
			roce_dev_port_ping(ccm->dev, lk->port, ccm->conf.link[i].peer_ip,
					   lk->ping_seq++, &w, sizeof(w));
		}
		peer_note_poll(ccm, i);
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

/* ---- Boot QP, boot region, messages ----------------------------------- */

static void
own_status_publish(struct ccm *ccm, enum ccm_boot_stage stage)
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
static int
boot_qp_reset(struct ccm *ccm)
{
	struct ibv_qp_attr attr;
	int l = link_for(ccm, 0);
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
	attr.qp_state = IBV_QPS_INIT;
	attr.port_num = ccm->link[l].port;
	attr.qp_access_flags = IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_WRITE;
	if (roce_modify_qp(ccm->boot_qp, &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT |
			   IBV_QP_ACCESS_FLAGS) != 0)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTR;
	attr.path_mtu = ccm->conf.mtu;
	attr.dest_qp_num = ccm->conf.boot_qpn;
	attr.rq_psn = rq_psn;
	attr.max_dest_rd_atomic = 4;
	attr.min_rnr_timer = 1;
	roce_gid_from_ipv4(&attr.ah_attr.grh.dgid, ccm->conf.link[l].peer_ip);
	attr.ah_attr.port_num = ccm->link[l].port;
	if (roce_modify_qp(ccm->boot_qp, &attr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
			   IBV_QP_DEST_QPN | IBV_QP_RQ_PSN | IBV_QP_MAX_DEST_RD_ATOMIC |
			   IBV_QP_MIN_RNR_TIMER) != 0)
		return -EINVAL;
	memset(&attr, 0, sizeof(attr));
	attr.qp_state = IBV_QPS_RTS;
	attr.sq_psn = ccm_boot_psn(ccm->incarnation, ccm->boot_epoch);
	attr.timeout = ccm->conf.ack_timeout;
	attr.retry_cnt = ccm->conf.retry_cnt;
	attr.rnr_retry = 7;		/* the partner's receives come when they come */
	attr.max_rd_atomic = 4;
	if (roce_modify_qp(ccm->boot_qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN | IBV_QP_TIMEOUT |
			   IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC) != 0)
		return -EINVAL;
	qp_set_paths(ccm, ccm->boot_qp);
	ccm->boot_qp_ready = true;
	ccm->send_busy = 0;
	ccm->check_in_flight = false;
	ccm->read_in_flight = false;
	post_recv_slots(ccm);
	return 0;
}

static int
boot_read(struct ccm *ccm)
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
static int
boot_write(struct ccm *ccm)
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

static int
send_msg(struct ccm *ccm, struct ccm_msg *msg)
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

static void
send_simple(struct ccm *ccm, enum ccm_msg_type type, uint16_t arg)
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
	if (send_msg(ccm, &msg) != 0)
		CCM_LOG(WARNING, ccm, "cannot send %s", ccm_msg_type_str(type));
}

/* ---- Clients' ports --------------------------------------------------- */

static struct ccm_client *
client_by_name(struct ccm *ccm, const char *name)
{
	unsigned int i;

	for (i = 0; i < ccm->nb_clients; i++)
		if (strncmp(ccm->client[i]->name, name, CCM_NAME_LEN) == 0)
			return ccm->client[i];
	return NULL;
}

static void
client_ports_destroy(struct ccm *ccm)
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
static void
create_ports(struct ccm *ccm)
{
	const struct ccm_clients *peer = &ccm->peer_clients.u.clients;
	struct ccm_msg msg;
	unsigned int i, p;

	memset(&msg, 0, sizeof(msg));
	msg.info.type = CCM_MSG_PORTS;
	for (i = 0; i < peer->count; i++) {
		struct ccm_client *cl = client_by_name(ccm, peer->client[i].name);
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
			int l = link_for_port(ccm, cl, p);

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
	if (send_msg(ccm, &msg) != 0)
		session_event(ccm, CCM_E_QP_ERROR);
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
static void
connect_ports(struct ccm *ccm)
{
	const struct ccm_ports *peer = &ccm->peer_ports.u.ports;
	unsigned int i, p;

	for (i = 0; i < peer->count; i++) {
		const struct ccm_client_ports *in = &peer->client[i];
		struct ccm_client *cl = client_by_name(ccm, in->name);

		if (cl == NULL || !cl->matched)
			continue;
		cl->nports = RTE_MIN(cl->nports, in->nports);
		cl->remote_iova = in->mem_iova;
		cl->remote_len = in->mem_len;
		cl->remote_rkey = in->mem_rkey;
		for (p = 0; p < cl->nports; p++) {
			struct client_port *cp = &cl->port[p];
			struct ibv_qp_attr attr;

			memset(&attr, 0, sizeof(attr));
			attr.qp_state = IBV_QPS_RTR;
			attr.path_mtu = ccm->conf.mtu;
			attr.dest_qp_num = in->qpn[p];
			attr.rq_psn = in->psn[p];
			attr.max_dest_rd_atomic = 16;
			attr.min_rnr_timer = 1;
			roce_gid_from_ipv4(&attr.ah_attr.grh.dgid, ccm->conf.link[cp->link].peer_ip);
			attr.ah_attr.port_num = ccm->link[cp->link].port;
			if (roce_modify_qp(cp->qp, &attr, IBV_QP_STATE | IBV_QP_AV | IBV_QP_PATH_MTU |
					   IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
					   IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER) != 0)
				goto fail;
			memset(&attr, 0, sizeof(attr));
			attr.qp_state = IBV_QPS_RTS;
			attr.sq_psn = cp->psn;
			attr.timeout = ccm->conf.ack_timeout;
			attr.retry_cnt = 7;
			attr.rnr_retry = 7;
			attr.max_rd_atomic = 16;
			if (roce_modify_qp(cp->qp, &attr, IBV_QP_STATE | IBV_QP_SQ_PSN |
					   IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT | IBV_QP_RNR_RETRY |
					   IBV_QP_MAX_QP_RD_ATOMIC) != 0)
				goto fail;
			qp_set_paths(ccm, cp->qp);
		}
	}
	send_simple(ccm, CCM_MSG_READY, 0);
	return;
fail:
	session_event(ccm, CCM_E_QP_ERROR);
}

static void
alert_ready(struct ccm *ccm)
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
static void
terminate(struct ccm *ccm, enum ccm_event cause)
{
	unsigned int c;
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
	for (c = 0; c < ccm->nb_clients; c++) {
		struct ccm_client *cl = ccm->client[c];
		struct ccm_client_event ev = { .type = CCM_EV_TERMINATING, .session = ccm->session };

		if (cl->told_ready)
			event_to_client(ccm, cl, &ev);
	}
	if (cause != CCM_E_PEER_TERMINATE && cause != CCM_E_PEER_RESTART &&
	    roce_qp_state(ccm->boot_qp) == IBV_QPS_RTS)
		send_simple(ccm, CCM_MSG_TERMINATE, reason);
	ccm->step_deadline_ns = ccm->now_ns + ccm->conf.terminate_timeout_ns;
}

/* How long one READ of the partner may take: every transport retry. */
static uint64_t
probe_timeout(const struct ccm *ccm)
{
	return roce_ack_timeout_ns(ccm->conf.ack_timeout) * (ccm->conf.retry_cnt + 2) +
	       ccm->conf.link_timeout_ns;
}

/* The boot QP failed: start it again, in a new epoch the partner's
 * responder will follow from our next keepalive. */
static void
boot_qp_restart(struct ccm *ccm)
{
	ccm->boot_epoch++;
	boot_qp_reset(ccm);
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
	struct ccm_work w;

	client_ports_destroy(ccm);
	while (rte_ring_sc_dequeue_elem(ccm->work, &w, sizeof(w)) == 0)
		ccm->count[CNT_WORK_FAILED]++;
	ccm->have_hello = ccm->have_clients = ccm->have_ports = ccm->have_ready = false;
	ccm->have_refuse = false;
	ccm->version = 0;
	ccm->step_deadline_ns = 0;
	/* A failed boot QP starts a new epoch; so does one whose partner
	 * restarted (its fresh responder follows whatever we announce). A
	 * working one is kept: the partner's side is in step with it. */
	if (roce_qp_state(ccm->boot_qp) != IBV_QPS_RTS || cause == CCM_E_PEER_RESTART)
		boot_qp_restart(ccm);
	ccm->attempt++;		/* messages of the attempt that ended are stale */
	own_status_publish(ccm, CCM_STAGE_BOOTING);
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
hello_send(struct ccm *ccm)
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
	if (send_msg(ccm, &msg) != 0)
		session_event(ccm, CCM_E_QP_ERROR);
}

static void
clients_send(struct ccm *ccm)
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
	if (send_msg(ccm, &msg) != 0)
		session_event(ccm, CCM_E_QP_ERROR);
}

static void
do_action(struct ccm *ccm, enum ccm_action a, enum ccm_event cause)
{
	switch (a) {
	case CCM_A_READ_PEER:
		ccm->timer_ns = 0;
		/* The first READ may never even leave (no ARP answer): bound
		 * it. Re-reads in CONFIRM keep the deadline REREAD set. */
		if (ccm->state == CCM_S_PROBE)
			ccm->step_deadline_ns = ccm->now_ns + probe_timeout(ccm);
		if (boot_read(ccm) != 0)
			session_event(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_BACKOFF:
		/* A failed QP starts afresh (PSN 0, as a restarted partner's
		 * does); a working one is kept: resetting one side alone would
		 * put the two out of step. */
		ccm->count[CNT_PROBE_FAILS]++;
		ccm->step_deadline_ns = 0;
		if (roce_qp_state(ccm->boot_qp) != IBV_QPS_RTS)
			boot_qp_restart(ccm);
		backoff(ccm);
		break;
	case CCM_A_WRITE_STATUS:
		own_status_publish(ccm, CCM_STAGE_SEEN);
		if (boot_write(ccm) != 0)
			session_event(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_REREAD:
		/* Give the partner time to see our status and acknowledge it. */
		ccm->timer_ns = ccm->now_ns + ccm->conf.keepalive_ns;
		if (ccm->step_deadline_ns == 0)
			ccm->step_deadline_ns = ccm->now_ns + ccm->conf.step_timeout_ns;
		break;
	case CCM_A_WRITE_COMMIT:
		own_status_publish(ccm, CCM_STAGE_CONNECTED);
		if (boot_write(ccm) != 0)
			session_event(ccm, CCM_E_QP_ERROR);
		break;
	case CCM_A_SEND_HELLO:
		ccm->timer_ns = 0;
		ccm->step_deadline_ns = ccm->now_ns + ccm->conf.step_timeout_ns;
		hello_send(ccm);
		break;
	case CCM_A_SEND_CLIENTS:
		clients_send(ccm);
		break;
	case CCM_A_CREATE_PORTS:
		create_ports(ccm);
		break;
	case CCM_A_SEND_READY:
		connect_ports(ccm);
		break;
	case CCM_A_SESSION_UP:
		ccm->step_deadline_ns = 0;
		ccm->next_check_ns = ccm->now_ns + ccm->conf.session_check_ns;
		alert_ready(ccm);
		break;
	case CCM_A_REFUSE:
		ccm->count[CNT_REFUSED]++;
		CCM_LOG(ERR, ccm, "partner node %u speaks protocol %u..%u, we speak %u..%u: "
			"refused; trying again later", ccm->conf.peer_node_id,
			ccm->peer_hello.u.hello.version_min, ccm->peer_hello.u.hello.version_max,
			ccm->conf.version_min, ccm->conf.version_max);
		send_simple(ccm, CCM_MSG_REFUSE, 0);
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

/* A message that arrived before its state: its event, when the state comes. */
static void
deferred_events(struct ccm *ccm)
{
	enum ccm_state before;

	do {
		before = ccm->state;
		if ((ccm->state == CCM_S_HELLO || ccm->state == CCM_S_CLIENTS) &&
		    ccm->have_refuse) {
			ccm->have_refuse = false;
			session_event(ccm, CCM_E_HELLO_BAD);
		} else if (ccm->state == CCM_S_HELLO && ccm->have_hello) {
			const struct ccm_hello *h = &ccm->peer_hello.u.hello;

			ccm->version = ccm_version_negotiate(ccm->conf.version_min,
							     ccm->conf.version_max,
							     h->version_min, h->version_max);
			session_event(ccm, ccm->version ? CCM_E_HELLO_OK : CCM_E_HELLO_BAD);
		} else if (ccm->state == CCM_S_CLIENTS && ccm->have_clients) {
			session_event(ccm, CCM_E_CLIENTS);
		} else if (ccm->state == CCM_S_PORTS && ccm->have_ports) {
			session_event(ccm, CCM_E_PORTS);
		} else if (ccm->state == CCM_S_READY_WAIT && ccm->have_ready) {
			session_event(ccm, CCM_E_READY);
		}
	} while (ccm->state != before);
}

static void
session_event(struct ccm *ccm, enum ccm_event e)
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

/* ---- Completions and messages ----------------------------------------- */

/* A partner attempt we did not know: forget its older messages. */
static void
peer_attempt_changed(struct ccm *ccm, uint16_t attempt)
{
	ccm->peer_attempt = attempt;
	ccm->have_hello = ccm->have_clients = ccm->have_ports = ccm->have_ready = false;
	ccm->have_refuse = false;
}

/* Past the first READ: the partner's incarnation is known and must hold. */
static bool
past_probe(const struct ccm *ccm)
{
	return ccm->state > CCM_S_PROBE && ccm->state != CCM_S_REFUSED;
}

static void
status_read_done(struct ccm *ccm, const struct ibv_wc *wc)
{
	struct ccm_status st;
	enum ccm_proto_err err;

	if (wc->status != IBV_WC_SUCCESS) {
		session_event(ccm, ccm->state == CCM_S_UP ? CCM_E_QP_ERROR : CCM_E_READ_FAIL);
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
			session_event(ccm, CCM_E_READ_FAIL);
		return;
	}
	if (ccm->peer_incarnation != 0 && st.incarnation != ccm->peer_incarnation &&
	    past_probe(ccm)) {
		ccm->count[CNT_PEER_RESTARTS]++;
		ccm->peer_incarnation = st.incarnation;
		session_event(ccm, CCM_E_PEER_RESTART);
		return;
	}
	ccm->peer_incarnation = st.incarnation;
	if (st.attempt != ccm->peer_attempt && ccm->state <= CCM_S_CONFIRM)
		peer_attempt_changed(ccm, st.attempt);
	switch (ccm->state) {
	case CCM_S_PROBE:
		ccm->step_deadline_ns = 0;
		session_event(ccm, CCM_E_READ_OK);
		break;
	case CCM_S_CONFIRM:
		session_event(ccm, st.acked_incarnation == ccm->incarnation ? CCM_E_ACKED :
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
		ccm->have_hello = true;
		break;
	case CCM_MSG_CLIENTS:
		ccm->peer_clients = msg;
		ccm->have_clients = true;
		break;
	case CCM_MSG_PORTS:
		ccm->peer_ports = msg;
		ccm->have_ports = true;
		break;
	case CCM_MSG_READY:
		ccm->have_ready = true;
		break;
	case CCM_MSG_TERMINATE:
		session_event(ccm, CCM_E_PEER_TERMINATE);
		break;
	case CCM_MSG_REFUSE:
		ccm->peer_hello.u.hello.version_min = msg.u.refuse.version_min;
		ccm->peer_hello.u.hello.version_max = msg.u.refuse.version_max;
		ccm->have_refuse = true;
		break;
	default:
		break;
	}
}

static void
client_completion(struct ccm *ccm, const struct ibv_wc *wc)
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
		session_event(ccm, CCM_E_QP_ERROR);
}

static int
completions_poll(struct ccm *ccm)
{
	struct ibv_wc wc[32];
	int n, i;

	n = roce_poll_cq(ccm->cq, RTE_DIM(wc), wc);
	for (i = 0; i < n; i++) {
		switch (WR_KIND(wc[i].wr_id)) {
		case WR_BOOT_READ:
			ccm->read_in_flight = false;
			status_read_done(ccm, &wc[i]);
			break;
		case WR_BOOT_WRITE:
			session_event(ccm, wc[i].status == IBV_WC_SUCCESS ? CCM_E_WRITE_OK :
									   CCM_E_WRITE_FAIL);
			break;
		case WR_MSG_SEND:
			ccm->send_busy &= ~(1u << WR_IDX(wc[i].wr_id));
			if (wc[i].status != IBV_WC_SUCCESS && wc[i].status != IBV_WC_WR_FLUSH_ERR)
				session_event(ccm, CCM_E_QP_ERROR);
			break;
		case WR_MSG_RECV:
			if (wc[i].status == IBV_WC_SUCCESS) {
				unsigned int slot = WR_IDX(wc[i].wr_id);

				msg_received(ccm, ccm->scratch->recv[slot], wc[i].byte_len);
				/* Give the slot back, unless the QP was reset meanwhile. */
				if (roce_qp_state(ccm->boot_qp) == IBV_QPS_RTS) {
					struct ibv_sge sge = {
						.addr = (uintptr_t)ccm->scratch->recv[slot],
						.length = CCM_MSG_MAX,
						.lkey = roce_mr_lkey(ccm->scratch_mr) };
					struct ibv_recv_wr wr = { .wr_id = wc[i].wr_id,
								  .sg_list = &sge, .num_sge = 1 },
							   *bad;

					roce_post_recv(ccm->boot_qp, &wr, &bad);
				}
			}
			break;
		case WR_CLIENT:
		case WR_CLIENT_RECV:
			client_completion(ccm, &wc[i]);
			break;
		default:
			break;
		}
	}
	return n;
}

/* The partner wrote its status into our region: acknowledge it there,
 * where its second READ will find it, and notice if it restarted. */
static void
from_peer_poll(struct ccm *ccm)
{
	struct ccm_status st;

	if (ccm_status_decode(&ccm->boot->from_peer, ccm->conf.cluster_id,
			      ccm->conf.peer_node_id, &st) != CCM_PROTO_OK)
		return;
	if (st.incarnation == ccm->acked_incarnation && st.attempt != ccm->peer_attempt) {
		/*
		 * Same partner, a new attempt: what it sent before is stale.
		 * A session that was up ends. Before that, only the follower
		 * (the higher node id) starts over with the leader: if both
		 * followed each other, their restarts would chase each other
		 * for ever. A leader whose follower started over waits for its
		 * step timeout instead.
		 */
		peer_attempt_changed(ccm, st.attempt);
		if (ccm->state == CCM_S_UP ||
		    (ccm->state >= CCM_S_HELLO && ccm->state < CCM_S_UP &&
		     ccm->conf.node_id > ccm->conf.peer_node_id)) {
			CCM_LOG(INFO, ccm, "partner began its handshake again (attempt %u)",
				st.attempt);
			session_event(ccm, CCM_E_PEER_TERMINATE);
		}
		return;
	}
	if (st.incarnation != ccm->acked_incarnation) {
		ccm->acked_incarnation = st.incarnation;
		peer_attempt_changed(ccm, st.attempt);
		own_status_publish(ccm, own_stage(ccm));
		if (!past_probe(ccm)) {
			/* A partner further along than we are: its messages may
			 * come before our own READ has named it. */
			ccm->peer_incarnation = st.incarnation;
		} else if (st.incarnation != ccm->peer_incarnation) {
			ccm->count[CNT_PEER_RESTARTS]++;
			ccm->peer_incarnation = st.incarnation;
			session_event(ccm, CCM_E_PEER_RESTART);
		}
	}
}

/* ---- Clients ---------------------------------------------------------- */

static void
clients_adopt(struct ccm *ccm)
{
	unsigned int i;
	bool joined = false;

	rte_spinlock_lock(&ccm->lock);
	for (i = 0; i < ccm->nb_clients; i++) {
		struct ccm_client *cl = ccm->client[i];

		if (cl->added)
			continue;
		cl->added = true;
		if (cl->conf.local_mem != NULL)
			cl->local_mr = roce_reg_mr(ccm->pd, cl->conf.local_mem, cl->conf.local_len,
						   IBV_ACCESS_LOCAL_WRITE);
		/* Claim 17: client information is exchanged at session start;
		 * a client after that means starting again. */
		if (ccm->state > CCM_S_HELLO && ccm->state <= CCM_S_UP)
			joined = true;
	}
	rte_spinlock_unlock(&ccm->lock);
	if (joined)
		session_event(ccm, ccm->state == CCM_S_UP ? CCM_E_CLIENT_JOINED :
							     CCM_E_STEP_TIMEOUT);
}

static int
work_poll(struct ccm *ccm)
{
	struct ccm_work w[32];
	unsigned int n, i;

	n = rte_ring_sc_dequeue_burst_elem(ccm->work, w, sizeof(w[0]), RTE_DIM(w), NULL);
	for (i = 0; i < n; i++) {
		unsigned int id = w[i].wr_id >> 56;
		struct ccm_client *cl = id < ccm->nb_clients ? ccm->client[id] : NULL;
		struct ccm_client_event ev = { .type = CCM_EV_COMPLETION, .session = w[i].session,
					.port = w[i].port };
		struct ibv_send_wr wr = { .num_sge = 1, .send_flags = IBV_SEND_SIGNALED }, *bad;
		struct ibv_sge sge;
		struct client_port *cp;

		if (cl == NULL)
			continue;
		w[i].wr_id &= (1ull << 56) - 1;
		ev.u.wc.wr_id = w[i].wr_id;
		ev.u.wc.opcode = w[i].opcode;
		cp = w[i].port < cl->nports ? &cl->port[w[i].port] : NULL;
		if (ccm->state != CCM_S_UP || w[i].session != ccm->session || cp == NULL ||
		    cl->local_mr == NULL || cp->wr_head - cp->wr_tail >= PORT_DEPTH ||
		    w[i].remote_off + w[i].len > cl->remote_len) {
			ev.u.wc.status = IBV_WC_WR_FLUSH_ERR;
			ccm->count[CNT_WORK_FAILED]++;
			event_to_client(ccm, cl, &ev);
			continue;
		}
		sge = (struct ibv_sge){ .addr = (uintptr_t)w[i].local, .length = w[i].len,
					.lkey = roce_mr_lkey(cl->local_mr) };
		wr.wr_id = WR_ID(WR_CLIENT, cl->id, w[i].port, 0);
		wr.sg_list = &sge;
		wr.opcode = w[i].opcode;
		wr.imm_data = rte_cpu_to_be_32(w[i].imm);
		wr.wr.rdma.remote_addr = cl->remote_iova + w[i].remote_off;
		wr.wr.rdma.rkey = cl->remote_rkey;
		if (roce_post_send(cp->qp, &wr, &bad) != 0) {
			ev.u.wc.status = IBV_WC_GENERAL_ERR;
			ccm->count[CNT_WORK_FAILED]++;
			event_to_client(ccm, cl, &ev);
			continue;
		}
		cp->wr_ids[cp->wr_head % PORT_DEPTH] = w[i].wr_id;
		cp->opcodes[cp->wr_head % PORT_DEPTH] = w[i].opcode;
		cp->wr_head++;
		ccm->count[CNT_WORK_POSTED]++;
	}
	return n;
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
	if (client_by_name(ccm, conf->name) != NULL) {
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
	ccm->client[ccm->nb_clients++] = cl;
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
	struct ccm_work tagged[32];
	unsigned int i, done = 0;

	/* The client's id rides in the top byte of wr_id on the way in. */
	while (done < n) {
		unsigned int k = RTE_MIN(n - done, RTE_DIM(tagged)), q;

		for (i = 0; i < k; i++) {
			tagged[i] = w[done + i];
			tagged[i].wr_id = (tagged[i].wr_id & ((1ull << 56) - 1)) |
					  (uint64_t)client->id << 56;
		}
		q = rte_ring_mp_enqueue_burst_elem(client->ccm->work, tagged, sizeof(tagged[0]), k,
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

static void
clients_closed_poll(struct ccm *ccm)
{
	unsigned int c;

	for (c = 0; c < ccm->nb_clients; c++)
		if (ccm->client[c]->told_ready &&
		    !__atomic_load_n(&ccm->client[c]->closed, __ATOMIC_ACQUIRE))
			return;
	session_event(ccm, CCM_E_CLIENTS_CLOSED);
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
	unsigned int i;

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
	ccm->incarnation = conf->incarnation ? conf->incarnation :
			   (monotonic_ns() ^ (rte_rand() << 20)) | 1;
	ccm->dev = roce_dev_create(&dconf);
	if (ccm->dev == NULL)
		goto fail;
	for (i = 0; i < conf->nb_links; i++) {
		struct roce_port_conf pconf = { .port_id = conf->link[i].port_id,
						.configure = conf->link[i].configure,
						.ipv4 = conf->link[i].local_ip,
						.mac = conf->link[i].local_mac };
		int port = roce_dev_add_port(ccm->dev, &pconf);

		if (port < 0) {
			rte_errno = -port;
			goto fail;
		}
		ccm->link[i].port = port;
		ccm->link[i].carrier = -1;
		if (conf->link[i].has_peer_mac)
			roce_dev_set_neighbor(ccm->dev, port, conf->link[i].peer_ip,
					      &conf->link[i].peer_mac);
	}
	ccm->pd = roce_alloc_pd(ccm->dev);
	ccm->cq = roce_create_cq(ccm->dev, 4096);
	ccm->boot = rte_zmalloc("ccm_boot", sizeof(*ccm->boot), 4096);
	ccm->scratch = rte_zmalloc("ccm_scratch", sizeof(*ccm->scratch), 4096);
	snprintf(ring_name, sizeof(ring_name), "cw_%.16s", conf->name);
	ccm->work = rte_ring_create_elem(ring_name, sizeof(struct ccm_work), CLIENT_WORK_RING,
					 SOCKET_ID_ANY, RING_F_SC_DEQ);
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
	own_status_publish(ccm, CCM_STAGE_BOOTING);
	/* Answerable from now on, before ccm_start(): the partner may be
	 * further along than we are. */
	if (boot_qp_reset(ccm) != 0)
		goto fail;
	CCM_LOG(INFO, ccm, "node %u, incarnation %016lx, boot QP %u at 0x%lx key 0x%x, %u link(s)",
		conf->node_id, (unsigned long)ccm->incarnation, conf->boot_qpn,
		(unsigned long)conf->boot_addr, conf->boot_rkey, conf->nb_links);
	return ccm;

nomem:
	rte_errno = ENOMEM;
fail:
	i = rte_errno;
	ccm_destroy(ccm);
	rte_errno = i;
	return NULL;
}

int
ccm_start(struct ccm *ccm, uint64_t now_ns)
{
	ccm->now_ns = now_ns;
	session_event(ccm, CCM_E_START);
	return 0;
}

void
ccm_restart(struct ccm *ccm)
{
	__atomic_store_n(&ccm->restart_req, 1, __ATOMIC_RELEASE);
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
	from_peer_poll(ccm);
	work += completions_poll(ccm);
	work += links_poll(ccm);
	clients_adopt(ccm);
	if (__atomic_exchange_n(&ccm->restart_req, 0, __ATOMIC_ACQ_REL)) {
		if (ccm->state == CCM_S_IDLE && !ccm->stopping)
			session_event(ccm, CCM_E_START);
		else if (ccm->state != CCM_S_IDLE)
			session_event(ccm, CCM_E_ADMIN_RESTART);
	}
	if (ccm->timer_ns != 0 && now_ns >= ccm->timer_ns) {
		ccm->timer_ns = 0;
		session_event(ccm, CCM_E_TIMER);
	}
	if (ccm->step_deadline_ns != 0 && now_ns >= ccm->step_deadline_ns) {
		ccm->step_deadline_ns = 0;
		ccm->count[CNT_STEP_TIMEOUTS]++;
		session_event(ccm, CCM_E_STEP_TIMEOUT);
	}
	if (ccm->state == CCM_S_TERMINATING)
		clients_closed_poll(ccm);
	/* Keeping the session alive: the partner's status, read now and
	 * then, shows it is there and still the same incarnation. */
	if (ccm->state == CCM_S_UP && !ccm->check_in_flight && now_ns >= ccm->next_check_ns) {
		ccm->next_check_ns = now_ns + ccm->conf.session_check_ns;
		ccm->check_in_flight = boot_read(ccm) == 0;
	}
	if (ccm->state == CCM_S_UP)
		work += work_poll(ccm);
	deferred_events(ccm);
	return work;
}

void
ccm_destroy(struct ccm *ccm)
{
	unsigned int c;

	if (ccm == NULL)
		return;
	if (ccm->dev != NULL) {
		client_ports_destroy(ccm);
		if (ccm->boot_qp != NULL)
			roce_destroy_qp(ccm->boot_qp);
		/* Frames not yet sent point into the regions freed below. */
		roce_dev_discard_tx(ccm->dev);
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
