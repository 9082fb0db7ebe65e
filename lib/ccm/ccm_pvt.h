/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's insides, shared by its parts and nothing else:
 *   ccm.c          the poll loop, the event queue and the session table's actions,
 *                  the object's life cycle
 *   ccm_link.c     links: carrier, keepalives, health, ports spread over links
 *   ccm_boot.c     the boot region and QP, the status READ/WRITE, the messages
 *   ccm_client.c   the client registry, clients' ports, work and completions
 *   ccm_counters.c counters, the CCM's and the transport's
 *   ccm_telemetry.c /ccm/session and /ccm/links, from a copy the CCM's lcore makes
 * Everything here runs on the CCM's lcore unless marked otherwise.
 *
 * Parts never call into the session table: they post events
 * (ccm_event_post()), which ccm.c runs one at a time.
 */
#ifndef CCM_PVT_H
#define CCM_PVT_H

#include <rte_log.h>
#include <rte_spinlock.h>

#include "ccm.h"
#include "ccm_rules.h"

extern int ccm_logtype;
#define CCM_LOG(level, ccm, fmt, ...) \
	rte_log(RTE_LOG_ ## level, ccm_logtype, "ccm %s: " fmt "\n", (ccm)->conf.name, \
		##__VA_ARGS__)

/* ---- Counters (names in ccm_counters.c) -------------------------------- */

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

/* ---- Objects ---------------------------------------------------------- */

#define SEND_SLOTS	8
#define RECV_SLOTS	16
#define CLIENT_WORK_RING 4096
#define PORT_DEPTH	256		/* work requests in flight per client port */
#define IMM_RECVS	64		/* receive WRs kept posted per port for immediates */
#define EVENT_QUEUE	8		/* an action posts one event at most */

/* wr_id of the CCM's own work requests: what a completion is about. */
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

/* A client's work on its way to the CCM's lcore: the client named
 * explicitly, the caller's wr_id untouched. */
struct ccm_work_item {
	struct ccm_work work;
	uint16_t client;		/* ccm_client.id */
	uint16_t pad[3];
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

/* Session events waiting for the action that runs now (ccm_event_post()). */
struct ccm_event_queue {
	uint8_t ev[EVENT_QUEUE];	/* enum ccm_event */
	unsigned int head, tail;
	bool running;			/* an event's action is running */
};

/* What telemetry reads: copied from the CCM's lcore now and then (and on
 * every change of state), read by the telemetry thread under the lock. */
struct ccm_published {
	rte_spinlock_t lock;
	enum ccm_state state;
	uint32_t session;
	uint16_t version;
	uint64_t incarnation;
	char peer_name[CCM_NAME_LEN];	/* from its HELLO; "" before */
	uint64_t count[CNT_N];
	struct {
		enum ccm_link_state state;
		int carrier;
		uint64_t last_beat_ns;
	} link[CCM_MAX_LINKS];
	uint64_t next_ns;		/* when the CCM's lcore copies again */
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
	/* Session events posted, run in order once the running action is
	 * done: the table is never re-entered from its own actions. */
	struct ccm_event_queue events;
	/* The partner's messages of this attempt, held until their state
	 * (enum ccm_held_msg bits; ccm_held_message_step() says when). */
	unsigned int held;
	struct ccm_msg peer_hello, peer_clients, peer_ports;
	/* clients */
	rte_spinlock_t lock;		/* registration only, never on the data path */
	struct ccm_client *client[CCM_MAX_CLIENTS];
	unsigned int nb_clients;	/* stored with release under the lock */
	unsigned int nb_adopted;	/* of them, seen by the CCM's lcore */
	struct rte_ring *work;		/* ccm_work_item from clients: MP, SC */
	uint64_t count[CNT_N];
	uint64_t proto_err[CCM_PROTO_NERR];
	uint64_t transitions[CCM_S_NSTATES][CCM_E_NEVENTS];
	struct ccm_published pub;
	bool telemetry;			/* in the telemetry registry */
};

/* ---- ccm.c ------------------------------------------------------------ */

/** The transport device under the CCM: for the tests that count its mbufs
 * and QPs (tests/test_ccm.c, tests/tools/ccm_peer.c), nothing else; the
 * application and the other tests use the link calls of ccm.h. */
struct roce_dev *ccm_dev(struct ccm *ccm);

/** Post a session event: run at once if the table is not running an
 * action, else after that action (and the events posted before). */
void ccm_event_post(struct ccm *ccm, enum ccm_event e);

/* ---- ccm_link.c ------------------------------------------------------- */

/** Add the links' transport ports to the device (ccm_create). @return 0, -errno. */
int ccm_links_create(struct ccm *ccm);
/** The link for a port numbered @p spread, the same on both nodes; -1: none up. */
int ccm_link_for(const struct ccm *ccm, unsigned int spread);
/** The link for port @p p of client @p cl; -1: none up. */
int ccm_link_for_port(const struct ccm *ccm, const struct ccm_client *cl, unsigned int p);
/** Tell a QP every link's partner address (its alternative paths). */
void ccm_qp_set_paths(struct ccm *ccm, struct roce_qp *qp);
/** Carrier, keepalives out and in, admin requests. @return work done. */
int ccm_links_poll(struct ccm *ccm);

/* ---- ccm_boot.c ------------------------------------------------------- */

void ccm_boot_status_publish(struct ccm *ccm, enum ccm_boot_stage stage);
/** Boot QP RESET -> RTS with the pre-assigned QPN. @return 0, -EINVAL. */
int ccm_boot_qp_reset(struct ccm *ccm);
/** The boot QP failed: again, in a new epoch. */
void ccm_boot_qp_restart(struct ccm *ccm);
/** READ the partner's status. @return 0, -errno. */
int ccm_boot_read(struct ccm *ccm);
/** WRITE our status into the partner's region. @return 0, -errno. */
int ccm_boot_write(struct ccm *ccm);
/** How long one READ of the partner may take. */
uint64_t ccm_boot_probe_timeout(const struct ccm *ccm);
/** What our keepalives say of our boot requester. */
void ccm_boot_note(const struct ccm *ccm, struct ccm_note_wire *w);
/** The partner's keepalive note on link @p i: follow its boot requester. */
void ccm_boot_peer_note_poll(struct ccm *ccm, unsigned int i);
/** The partner wrote its status into our region. */
void ccm_boot_from_peer_poll(struct ccm *ccm);
/** A completion of the boot QP (READ, WRITE, message send or receive). */
void ccm_boot_completion(struct ccm *ccm, const struct ibv_wc *wc);
/** Forget the partner's messages (a new attempt of either side). */
void ccm_held_forget(struct ccm *ccm);
/** Send a message on the boot QP. @return 0, -ENOBUFS, -EIO, or the codec's error. */
int ccm_msg_send(struct ccm *ccm, struct ccm_msg *msg);
/** A message without a body (READY, TERMINATE, REFUSE); failures logged. */
void ccm_msg_send_simple(struct ccm *ccm, enum ccm_msg_type type, uint16_t arg);
/** HELLO, CLIENTS: @return 0, or -errno (the session event is the caller's). */
int ccm_hello_send(struct ccm *ccm);
int ccm_clients_send(struct ccm *ccm);

/* ---- ccm_telemetry.c -------------------------------------------------- */

/** Join the /ccm/ telemetry registry (ccm_create). @return 0, -ENOSPC. */
int ccm_telemetry_register(struct ccm *ccm);
void ccm_telemetry_unregister(struct ccm *ccm);
/** Copy what telemetry shows, if it is time or the state changed. */
void ccm_telemetry_publish(struct ccm *ccm);

/* ---- ccm_client.c ----------------------------------------------------- */

struct ccm_client *ccm_client_by_name(struct ccm *ccm, const char *name);
/** CREATE_PORTS: QPs and memory for each client the partner has; PORTS sent.
 * @return 0, -errno when PORTS could not be sent. */
int ccm_client_ports_create(struct ccm *ccm);
/** SEND_READY: connect the ports, send READY. @return 0, -errno (a QP failed). */
int ccm_client_ports_connect(struct ccm *ccm);
void ccm_client_ports_destroy(struct ccm *ccm);
/** SESSION_UP: each matched client told its ports are ready. */
void ccm_clients_alert_ready(struct ccm *ccm);
/** TERMINATE: each client told ready is told the session ends. */
void ccm_clients_alert_terminating(struct ccm *ccm);
/** Every client told ready has closed its ports. */
bool ccm_clients_all_closed(struct ccm *ccm);
/** Clients registered since the last poll (one joining a session past its
 * client exchange restarts it). */
void ccm_clients_adopt(struct ccm *ccm);

/* A request flag set from another lcore: true once when it was set.
 * Polled every round: a plain load first, the locked exchange only when
 * it is set (docs/perf.md, run J). */
static inline bool
ccm_take_request(uint8_t *flag)
{
	return __atomic_load_n(flag, __ATOMIC_RELAXED) != 0 &&
	       __atomic_exchange_n(flag, 0, __ATOMIC_ACQ_REL) != 0;
}

/** A completion on a client's port. */
void ccm_client_completion(struct ccm *ccm, const struct ibv_wc *wc);
/** Clients' work onto their ports (session UP). @return work done. */
int ccm_work_poll(struct ccm *ccm);
/** Work left when the session ends: failed. */
void ccm_work_flush(struct ccm *ccm);
/** Clients' memory and rings freed (ccm_destroy). */
void ccm_clients_free(struct ccm *ccm);

#endif /* CCM_PVT_H */
