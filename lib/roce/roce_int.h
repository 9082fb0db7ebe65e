/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Private to lib/roce: the objects behind the opaque handles of
 * roce_verbs.h and the functions the data-path files call in each other.
 * Data path: roce_dev.c (poll) -> roce_recv.c (validate, dispatch) ->
 * roce_resp.c (responder) | roce_comp.c (completer); roce_req.c
 * (requester) -> roce_dev.c (transmit).
 */
#ifndef ROCE_INT_H
#define ROCE_INT_H

#include <sys/queue.h>

#include <pcap/pcap.h>
#include <rte_log.h>
#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "roce_neigh.h"
#include "roce_fault.h"
#include "roce_mbuf.h"
#include "roce_pkt.h"
#include "roce_psn.h"
#include "roce_verbs.h"
#include "roce_window.h"

extern int roce_logtype;
#define ROCE_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, roce_logtype, "roce: " fmt "\n", ##__VA_ARGS__)

/* ---- Counters (roce_stats.c) ------------------------------------------ */

enum roce_counter {
	/* receive */
	ROCE_CNT_RX_FRAMES,
	ROCE_CNT_RX_ROCE,		/* valid RoCEv2 frames */
	ROCE_CNT_RX_INVALID,		/* rejected by the parser (see parser counters) */
	ROCE_CNT_RX_FOREIGN,		/* neither RoCEv2 nor ARP/ICMP for us */
	ROCE_CNT_RX_NOT_OUR_IP,
	ROCE_CNT_RX_NO_QP,
	ROCE_CNT_RX_QP_STATE,		/* QP not ready for this packet */
	ROCE_CNT_RX_WRONG_PEER,		/* source is not the QP's partner */
	ROCE_CNT_RX_BAD_PKEY,
	/* transmit */
	ROCE_CNT_TX_FRAMES,
	ROCE_CNT_TX_BACKLOG_DROP,	/* staging full: frame dropped */
	ROCE_CNT_TX_NO_MBUF,
	ROCE_CNT_TX_NO_NEIGH,		/* a frame not sent: no neighbour */
	ROCE_CNT_TX_NEIGH_HOLD,		/* a QP held until its neighbour resolves */
	ROCE_CNT_TX_PAGE_SPLIT,		/* a payload cut where its hugepage ends (IOVA as PA) */
	/* requester and completer */
	ROCE_CNT_REQ_PKTS,
	ROCE_CNT_REQ_RETRANSMITS,	/* packets sent again */
	ROCE_CNT_REQ_TIMEOUTS,		/* local ACK timeouts (IBTA; use up retry_cnt) */
	ROCE_CNT_REQ_RTO,		/* retransmission timer (round trip based) */
	ROCE_CNT_REQ_RTO_SPURIOUS,	/* ... proven needless by a later ACK */
	ROCE_CNT_REQ_SEQ_NAK_RCVD,
	ROCE_CNT_REQ_RNR_NAK_RCVD,
	ROCE_CNT_REQ_ERR_NAK_RCVD,	/* invalid request / access / operational */
	ROCE_CNT_REQ_RETRY_EXC,
	ROCE_CNT_REQ_RNR_RETRY_EXC,
	ROCE_CNT_REQ_READ_GAP,		/* read response missing: read retried */
	ROCE_CNT_REQ_DUP_RESP,		/* old ACK or response ignored */
	ROCE_CNT_REQ_BAD_RESP,		/* response matching no request */
	ROCE_CNT_REQ_LOCAL_ERR,		/* bad lkey or length in a WR */
	ROCE_CNT_RNR_WAITS,
	/* responder */
	ROCE_CNT_RESP_PKTS,		/* request packets accepted */
	ROCE_CNT_RESP_DUP,		/* duplicate requests */
	ROCE_CNT_RESP_OUT_OF_SEQ,	/* ahead of the expected PSN */
	ROCE_CNT_RESP_SEQ_NAK_SENT,
	ROCE_CNT_RESP_RNR_NAK_SENT,
	ROCE_CNT_RESP_ACCESS_NAK_SENT,
	ROCE_CNT_RESP_INVALID_NAK_SENT,
	ROCE_CNT_RESP_ACKS_SENT,
	ROCE_CNT_RESP_ACKS_HELD,	/* ACKs that waited for the application's answer */
	ROCE_CNT_RESP_ACKS_UNANSWERED,	/* ... which did not come: ping-pong mode left */
	ROCE_CNT_RESP_READ_RESP_SENT,	/* READ response packets */
	ROCE_CNT_RESP_READ_REPLAY,	/* duplicate READ served again */
	ROCE_CNT_RESP_ATOMIC_REPLAY,
	/* congestion */
	ROCE_CNT_ECN_CE_RCVD,
	ROCE_CNT_CNP_SENT,
	ROCE_CNT_CNP_RCVD,
	/* completions and QPs */
	ROCE_CNT_CQ_OVERFLOW,
	ROCE_CNT_QP_TO_ERROR,
	ROCE_CNT_PATH_MIGRATED,		/* a QP followed its partner to another port */
	ROCE_CNT_NCOUNTERS,
};

extern const char *const roce_counter_names[ROCE_CNT_NCOUNTERS];

/* The device in /roce/ telemetry: roce_dev_create / roce_dev_destroy. */
int roce_stats_register(struct roce_dev *dev);
void roce_stats_unregister(struct roce_dev *dev);

/*
 * What /roce/qps shows, copied from the QPs by the lcore that owns them:
 * the telemetry thread reads this, never the QPs themselves, which the
 * lcore creates, changes and frees while it runs. The lcore refreshes it
 * in roce_dev_poll() when QPs came, went or changed state, and every
 * ROCE_QPS_SNAPSHOT_NS for their PSNs and queues. It only tries the lock:
 * while a reader copies, the refresh waits for the next poll, so telemetry
 * never delays the data path.
 */
#define ROCE_QPS_SNAPSHOT_MAX	256	/* a telemetry dict holds 256 entries */
#define ROCE_QPS_SNAPSHOT_NS	100000000ull	/* 100 ms */

struct roce_qps_snapshot {
	rte_spinlock_t lock;
	uint32_t n;			/* entries in qp[] */
	struct roce_qp_info qp[ROCE_QPS_SNAPSHOT_MAX];
};

/* Owning lcore: refresh dev->qps_snap if it is due (roce_dev_poll). */
void roce_stats_snapshot_qps(struct roce_dev *dev);

/* ---- Device and ports ------------------------------------------------- */

#define ROCE_RX_BURST		32
#define ROCE_TX_STAGE		1024	/* frames staged per port, backlog included */
#define ROCE_CNP_INTERVAL_NS	50000	/* at most one CNP per QP per 50 us */
#define ROCE_MAX_SGE		8
#define ROCE_PATH_HOLD_NS	10000000	/* no following the partner back within 10 ms */
#define ROCE_ACKREQ_INTERVAL	16	/* AckReq every N packets of a long message */
/* A QP's turn is short and frames leave in bursts of about this many:
 * the peer starts on them while the next are built (the poll sends
 * what its QPs staged when they have all had their turn). With 64 the two ends
 * of a 4 KiB WRITE stream took turns (vhost: 4.8 GB/s; 16: 6.9 GB/s). */
#define ROCE_RESP_BUDGET	16	/* READ response packets a QP sends per turn */
#define ROCE_QP_TX_BUDGET	16	/* packets a QP may send per turn */
#define ROCE_COPY_MBUFS		1023	/* READ response copies in flight per device */
/* Payloads up to this long are copied behind the headers, one segment a
 * frame: cheaper than two more mbufs to attach and chain (an 8-byte WRITE
 * and its ACK: docs/perf.md run F). Fits the header pool's data room. */
#define ROCE_TX_COPY_MAX	ROCE_ICRC_GATHER_MAX
#define ROCE_TIMER_SCAN_NS	10000	/* timers are looked at every 10 us */
#define ROCE_RX_BURSTS		4	/* receive bursts per port per poll, at most */
#define ROCE_READ_OOO_PKTS	8192	/* READ responses kept ahead of a gap (8 MiB at MTU 1024) */
#define ROCE_ALIVE_TIMEOUTS	16	/* signs of life hold the timers off this many timeouts */
#define ROCE_CAPTURE_MAX	65535	/* bytes of a frame captured (the pcap snap length) */

struct roce_port {
	struct roce_dev *dev;
	uint8_t num;			/* 1-based, as ibv_qp_attr.port_num */
	uint16_t port_id;
	uint16_t queue_id;
	bool started_by_us;
	bool guarded;			/* bursts kept apart from the interrupt thread */
	uint32_t ipv4;
	struct rte_ether_addr mac;
	uint16_t ip_id;
	struct roce_arp arp;
	struct roce_fault fault[ROCE_FAULT_NDIR];
	pcap_t *cap_handle;
	pcap_dumper_t *cap_dumper;
	uint8_t *cap_buf;		/* a segmented frame made flat for the capture */
	struct rte_mempool *rx_pool;	/* when we configured the port */
	/* Frames to transmit, oldest first; what tx_burst did not take stays.
	 * The first tx_seen went through faults and capture already. */
	struct rte_mbuf *tx[ROCE_TX_STAGE];
	uint32_t tx_count;
	uint32_t tx_seen;
};

struct roce_dev {
	char name[32];
	struct roce_parser parser;
	struct rte_mempool *hdr_pool;	/* headers, trailers, control frames */
	struct rte_mempool *ext_pool;	/* empty mbufs to attach payload to */
	struct rte_mempool *copy_pool;	/* READ response frames (roce_copy_pool) */
	struct roce_port port[ROCE_MAX_PORTS];
	uint8_t nb_ports;
	uint16_t rx_burst;
	struct roce_qp **qp_table;	/* indexed by QPN: constant-time lookup */
	uint32_t max_qp;
	uint32_t next_qpn;
	struct roce_mr **mr_table;	/* indexed by key >> 8 */
	uint32_t max_mr;
	uint8_t mr_tag;			/* low byte of the next key */
	uint32_t nb_pd, nb_mr, nb_cq, nb_qp;
	TAILQ_HEAD(, roce_qp) live_qps;	/* QPs out of RESET */
	/* A poll visits only the QPs that can send now, and every
	 * ROCE_TIMER_SCAN_NS those with a timer running: a thousand idle or
	 * blocked QPs cost nothing. */
	TAILQ_HEAD(, roce_qp) ready_qps;
	TAILQ_HEAD(, roce_qp) armed_qps;
	uint64_t next_timer_scan_ns;
	uint64_t now_ns;		/* time of the current poll */
	uint64_t poll_seq;		/* polls so far, the current one included */
	/* QPNs whose responder queued an ACK in the current receive burst
	 * (roce_recv), sent before the next burst of the same poll. */
	uint32_t acks_due[ROCE_RX_BURST];
	uint16_t nb_acks_due;
	uint64_t count[ROCE_CNT_NCOUNTERS];
	/* /roce/qps reads this copy, never the lists above (roce_stats.c). */
	struct roce_qps_snapshot *qps_snap;
	bool qps_changed;		/* a QP came, went or changed state */
	uint64_t qps_snap_ns;		/* when the copy was last taken */
};

static inline void
roce_count(struct roce_dev *dev, enum roce_counter c)
{
	dev->count[c]++;
}

/* Stage a frame on @p port; counts and frees it if staging is full. */
void roce_port_xmit(struct roce_port *port, struct rte_mbuf *m);
/* Room left in the port's staging area. */
static inline uint32_t
roce_port_tx_room(const struct roce_port *port)
{
	return ROCE_TX_STAGE - port->tx_count;
}

struct roce_port *roce_dev_port(struct roce_dev *dev, uint8_t num);
/* A ping-pong QP's answer and the ACK held for it, sent now (roce_post_send). */
void roce_dev_answer_now(struct roce_qp *qp);

/* ---- Memory ----------------------------------------------------------- */

struct roce_pd {
	struct roce_dev *dev;
	uint32_t users;			/* MRs and QPs */
};

struct roce_mr {
	struct roce_pd *pd;
	uint8_t *addr;
	uint64_t iova;			/* the address the peer names */
	size_t length;
	unsigned int access;
	uint32_t key;			/* lkey == rkey */
	bool extmem;			/* we registered it with rte_extmem_register */
	bool dpdk_mem;			/* inside DPDK's own memory */
	/* Frames in flight that point into this region (roce_mr_attach):
	 * counted by the lcore that polls the device, which frees them. */
	uint32_t frames_out;
	/* IOVA as PA: the memory segment (hugepage) the last frame attached
	 * lay in, so that a frame costs no lookup, let alone a page-map read. */
	const uint8_t *seg_va;
	size_t seg_len;
	rte_iova_t seg_iova;
};

/* The MR behind rkey @p key if it covers [va, va + len) of the addresses
 * the peer uses (its iova), with @p access; else NULL. */
struct roce_mr *roce_mr_check(struct roce_dev *dev, struct roce_pd *pd, uint32_t key,
			      uint64_t va, uint64_t len, unsigned int access);
/* The same for an SGE: lkey and a local virtual address. */
struct roce_mr *roce_mr_check_local(struct roce_dev *dev, struct roce_pd *pd, uint32_t lkey,
				    const void *addr, uint64_t len, unsigned int access);

/* Local address of @p va inside @p mr (checked by roce_mr_check). */
static inline uint8_t *
roce_mr_ptr(const struct roce_mr *mr, uint64_t va)
{
	return mr->addr + (va - mr->iova);
}

/* Append @p m to the chain at *@p head (NULL for none yet). When @p m is NULL
 * or the chain would be too long, both are freed, *head is NULL: -ENOMEM. */
static inline int
roce_chain_append(struct rte_mbuf **head, struct rte_mbuf *m)
{
	if (m == NULL || (*head != NULL && rte_pktmbuf_chain(*head, m) != 0)) {
		rte_pktmbuf_free(m);
		rte_pktmbuf_free(*head);
		*head = NULL;
		return -ENOMEM;
	}
	if (*head == NULL)
		*head = m;
	return 0;
}

/* An mbuf whose data is [ptr, ptr + len) of @p mr, not copied; a chain of
 * them where IOVA-as-PA memory is not contiguous (a hugepage boundary). */
struct rte_mbuf *roce_mr_attach(struct roce_dev *dev, struct roce_mr *mr, uint8_t *ptr,
				uint16_t len);
/* Frames that carry a copy of up to 4096 bytes of payload (READ
 * responses), in one mbuf each: the pool, made on first use (NULL, and
 * rte_errno, if it cannot be). */
#define ROCE_COPY_FRAME_MAX	(ROCE_HDR_MAX + 4096 + ROCE_TRAILER_MAX)
struct rte_mempool *roce_copy_pool(struct roce_dev *dev);

/* ---- Completion queue ------------------------------------------------- */

struct roce_cq {
	struct roce_dev *dev;
	uint32_t mask;
	uint32_t head, tail;		/* free-running; tail - head = used */
	uint32_t users;
	struct ibv_wc *wc;
};

/* @return 0, or -ENOSPC when the CQ is full (the caller fails the QP). */
int roce_cq_push(struct roce_cq *cq, const struct ibv_wc *wc);

/* ---- Queue pair ------------------------------------------------------- */

enum roce_wqe_state {
	ROCE_WQE_POSTED,		/* not started */
	ROCE_WQE_SENDING,		/* some packets sent */
	ROCE_WQE_PENDING,		/* all sent, awaiting ACK or response */
	ROCE_WQE_DONE,
};

struct roce_send_wqe {
	struct ibv_send_wr wr;		/* next and sg_list not used */
	/* From here to sge: cleared when posted (the arrays are written up
	 * to wr.num_sge, and a whole-WQE memset cost 5 % of a sender). */
	uint32_t length;		/* bytes in all SGEs */
	uint8_t *inline_buf;		/* IBV_SEND_INLINE: the copied data */
	enum roce_wqe_state state;
	uint32_t first_psn;
	uint32_t npkts;			/* PSNs the message uses */
	bool rd_atomic;			/* READ or atomic: counted in flight */
	/* READ and atomic: responses arrive per WR, in PSN order within it,
	 * and later WRs' responses are kept while an earlier one has a gap. */
	uint32_t resp_bytes;		/* READ data placed so far, in order */
	bool resp_done;			/* every response is in */
	uint32_t read_req_psn;		/* PSN of the last READ request sent */
	bool reread;			/* ask again from resp_bytes, alone */
	bool reread_armed;		/* asked again at reread_psn: once per gap */
	uint8_t reread_lasts_due;	/* LASTs of earlier streams still to come */
	uint32_t reread_psn;
	struct ibv_sge sge[ROCE_MAX_SGE];
	struct roce_mr *sge_mr[ROCE_MAX_SGE];	/* resolved when started */
};

struct roce_recv_wqe {
	uint64_t wr_id;
	struct ibv_sge sge[ROCE_MAX_SGE];
	int num_sge;
	uint32_t length;
};

/* A READ or atomic the responder executed, kept for duplicates (C9-148).
 * The PSN range and addresses are the original request's, so that a
 * duplicate naming any PSN inside it is found and answered from there. */
struct roce_rd_atomic_res {
	bool valid;
	bool atomic;
	uint32_t first_psn;
	uint32_t npkts;
	/* READ: the region by key, looked up again for every packet sent */
	uint32_t rkey;
	uint64_t va;
	uint32_t length;
	uint32_t next_psn;		/* next response packet to send */
	bool sending;
	/* atomic: the original value returned */
	uint64_t orig;
};

enum roce_resp_msg {
	ROCE_RESP_IDLE,
	ROCE_RESP_IN_SEND,
	ROCE_RESP_IN_WRITE,
};

struct roce_qp {
	struct roce_dev *dev;
	struct roce_pd *pd;
	struct roce_cq *send_cq, *recv_cq;
	TAILQ_ENTRY(roce_qp) live;
	bool on_live_list;		/* from RTR until RESET, ERR or destroy */
	TAILQ_ENTRY(roce_qp) ready;
	bool on_ready_list;		/* something to send or answer now */
	TAILQ_ENTRY(roce_qp) armed;
	bool on_armed_list;		/* PSNs in flight, or an RNR wait: timers run */
	uint32_t qpn;
	enum ibv_qp_state state;
	struct ibv_qp_cap cap;
	bool sq_sig_all;
	struct ibv_qp_attr attr;	/* as last modified */

	/* path */
	struct roce_port *port;
	uint32_t dest_ip;
	uint32_t dest_qpn;
	uint32_t mtu;
	uint16_t sport;
	uint8_t tos, ttl;
	uint64_t last_cnp_ns;
	uint32_t peer_ip[ROCE_MAX_PORTS];	/* partner's address per port, 0: none */
	bool path_held;				/* waiting for the neighbour's MAC */
	bool tmpl_valid;			/* tmpl matches path and neighbour */
	struct rte_ether_addr tmpl_mac;
	const struct roce_neigh *tmpl_neigh;	/* the entry tmpl_mac came from */
	struct roce_tmpl tmpl;			/* headers of every frame it sends */
	uint64_t path_changed_ns;		/* last move to another port, 0: never */

	/* send queue: indices free-running, masked by sq_mask */
	struct roce_send_wqe *sq;
	uint8_t *inline_slab;
	uint32_t sq_mask;
	uint32_t sq_head;		/* next to post */
	uint32_t sq_cur;		/* next to send packets of */
	uint32_t sq_tail;		/* oldest not completed */

	/* requester */
	struct {
		uint32_t psn;		/* next PSN to send */
		uint32_t max_psn;	/* highest PSN + 1 ever sent */
		uint32_t rd_atomic;	/* READs/atomics outstanding */
		uint32_t rereads;	/* WRs with reread set */
		uint64_t rnr_until_ns;	/* RNR wait: send nothing before */
		uint32_t ackreq_count;
	} req;

	/* completer */
	struct {
		uint32_t psn;		/* oldest PSN not acknowledged */
		uint32_t acked_psn;	/* the responder has everything up to here */
		uint64_t progress_ns;	/* last forward progress or sign of life: timer base */
		uint64_t data_ns;	/* last forward progress */
		uint8_t retry_left;
		uint8_t rnr_retry_left;
		uint64_t rto_base_ns;	/* the retransmission timer last fired */
		/* READ responses ahead of a gap, kept for one READ at a time
		 * (a responder such as rxe streams the rest of a message before
		 * it serves the request that asks again). */
		struct {
			bool used;
			uint32_t wqe_idx;	/* the READ it belongs to */
			uint32_t base;		/* bit 0: this PSN */
			uint32_t high;		/* highest bit set */
			uint64_t bits[ROCE_READ_OOO_PKTS / 64];
		} ooo;
	} comp;
	struct roce_window win;		/* PSNs in flight, round trip */

	/* receive queue */
	struct roce_recv_wqe *rq;
	uint32_t rq_mask;
	uint32_t rq_head, rq_tail;

	/* responder */
	struct {
		uint32_t psn;		/* expected PSN */
		uint32_t msn;
		bool nak_outstanding;	/* one NAK per gap (C9-112..) */
		bool seq_nak_due;	/* a sequence NAK waits to be sent ... */
		uint32_t ooo_max;	/* ... for packets discarded up to here */
		enum roce_resp_msg msg;
		struct roce_recv_wqe cur_rwqe;	/* SEND in progress */
		bool have_rwqe;
		uint32_t offset;	/* bytes placed in the current message */
		/* WRITE in progress: the key is checked again for every packet,
		 * so a region deregistered meanwhile is never written. */
		uint32_t write_rkey;
		uint64_t write_va;
		uint32_t write_len;
		bool ack_pending;	/* ACK or NAK due once earlier responses are out */
		uint8_t ack_syndrome;
		uint32_t ack_psn;
		/* Ping-pong mode (roce_resp.c, Delayed ACK): polls, by
		 * dev->poll_seq, that received a request, after which the
		 * application posted one of its own, and past whose end the
		 * pending ACK waited (0: none). */
		bool pingpong;
		uint64_t req_poll;
		uint64_t answered_poll;
		uint64_t ack_held_poll;
		/* A class C error (IBTA 9.9.3.1.3): NAK due once the READ
		 * responses owed to earlier requests are out, then ERR. */
		bool fatal_pending;
		uint8_t fatal_syndrome;
		uint32_t fatal_psn;
		struct roce_rd_atomic_res *res;	/* max_dest_rd_atomic entries */
		uint32_t nb_sending;	/* of them, with responses due */
		uint32_t send_first;	/* the earliest of those, if any */
		uint32_t nb_res;
		uint32_t res_next;	/* ring position of the next one */
	} resp;
};

static inline struct roce_send_wqe *
roce_sq_wqe(struct roce_qp *qp, uint32_t idx)
{
	return &qp->sq[idx & qp->sq_mask];
}

/* qp_tx.c */
/* Keep the QP on the timer list while PSNs are in flight or an RNR wait
 * runs, off it otherwise. */
void roce_qp_arm(struct roce_qp *qp);
/* The QP may have work for the next poll: on the ready list (and timers
 * brought up to date). Called wherever work may appear: a post, a frame
 * received for it, a timer that fired, a move to another path. */
void roce_qp_wake(struct roce_qp *qp);
/* Anything for the requester or responder to send now? */
bool roce_qp_wants_tx(const struct roce_qp *qp);
/* Every field of a frame this QP sends but the frame's own. */
void roce_qp_pkt_fill(struct roce_qp *qp, struct roce_pkt *pkt,
		      const struct rte_ether_addr *dst_mac);
/* The fields a frame brings to the QP's header template (qp->tmpl, made
 * by roce_qp_path_ready(), which must have said yes this poll). */
static inline void
roce_qp_pkt_init(struct roce_qp *qp, struct roce_pkt *pkt, uint8_t opcode, uint32_t psn)
{
	pkt->opcode = opcode;
	pkt->psn = psn & ROCE_PSN_MASK;
	pkt->se = false;
	pkt->migreq = false;
	pkt->ackreq = false;
	pkt->payload_len = 0;
	pkt->ip_id = qp->port->ip_id++;
}
/* May the QP send now? False while its neighbour's MAC is unknown (an ARP
 * request is sent when due): the QP is held, nothing is built to be lost. */
bool roce_qp_path_ready(struct roce_qp *qp);
/* Stage frame @p m on the QP's port and count it under @p c; NULL (no
 * mbuf) is counted as tx_no_mbuf and gives -ENOMEM. */
static inline int
roce_qp_stage(struct roce_qp *qp, struct rte_mbuf *m, enum roce_counter c)
{
	if (m == NULL) {
		roce_count(qp->dev, ROCE_CNT_TX_NO_MBUF);
		return -ENOMEM;
	}
	roce_port_xmit(qp->port, m);
	roce_count(qp->dev, c);
	return 0;
}

/* Build @p pkt on the QP's header template in front of @p payload (NULL:
 * none; taken over either way), stage it on the QP's port and count it
 * under @p c: with roce_qp_xmit_copy(), the one way requester and
 * responder send. @return 0, or -ENOMEM (no mbuf: counted as tx_no_mbuf,
 * nothing staged). Inline: it is on every data frame's path, and a call
 * costs 1 % of the instructions. */
static inline int
roce_qp_xmit(struct roce_qp *qp, struct roce_pkt *pkt, struct rte_mbuf *payload,
	     enum roce_counter c)
{
	struct rte_mbuf *m = roce_mbuf_build(&roce_crc32_isal, qp->dev->hdr_pool, &qp->tmpl,
					     pkt, payload);

	if (m == NULL)
		rte_pktmbuf_free(payload);
	return roce_qp_stage(qp, m, c);
}

/* roce_qp_xmit() for a payload copied into the frame: one segment, from
 * the header pool up to ROCE_TX_COPY_MAX bytes, else the copy pool. */
static inline int
roce_qp_xmit_copy(struct roce_qp *qp, struct roce_pkt *pkt, const struct roce_buf *payload,
		  unsigned int nseg, enum roce_counter c)
{
	struct roce_dev *dev = qp->dev;
	struct rte_mempool *pool = pkt->payload_len <= ROCE_TX_COPY_MAX ? dev->hdr_pool :
				   roce_copy_pool(dev);

	return roce_qp_stage(qp, pool == NULL ? NULL :
			     roce_mbuf_build_copy(&roce_crc32_isal, pool, &qp->tmpl, pkt,
						  payload, nseg), c);
}

/* qp.c */
void roce_qp_to_error(struct roce_qp *qp);
void roce_qp_fail(struct roce_qp *qp, uint32_t wqe_idx, enum ibv_wc_status status);
void roce_qp_migrate(struct roce_qp *qp, struct roce_port *port, uint32_t peer_ip);

/* post.c */
void roce_qp_complete_send(struct roce_qp *qp, struct roce_send_wqe *wqe,
			   enum ibv_wc_status status);
bool roce_qp_rq_pop(struct roce_qp *qp, struct roce_recv_wqe *rwqe);
void roce_qp_complete_recv(struct roce_qp *qp, const struct roce_recv_wqe *rwqe,
			   enum ibv_wc_status status, enum ibv_wc_opcode opcode, uint32_t byte_len,
			   const struct roce_pkt *pkt);

/* recv.c */
void roce_recv(struct roce_port *port, struct rte_mbuf *m);

/* resp.c */
/* ACKs, NAKs or READ and atomic responses are due. */
static inline bool
roce_resp_has_answers(const struct roce_qp *qp)
{
	return qp->resp.ack_pending || qp->resp.seq_nak_due || qp->resp.fatal_pending ||
	       qp->resp.nb_sending != 0;
}
void roce_resp_rx(struct roce_qp *qp, struct roce_pkt *pkt, struct rte_mbuf *m);
int roce_resp_poll(struct roce_qp *qp);	/* ACKs due, READ responses */
int roce_resp_flush_ack(struct roce_qp *qp);	/* the coalesced ACK alone, if it may go */
void roce_send_cnp(struct roce_qp *qp);

/* comp.c */
void roce_comp_rx(struct roce_qp *qp, struct roce_pkt *pkt, struct rte_mbuf *m);
int roce_comp_timer(struct roce_qp *qp);

/* req.c */
int roce_req_poll(struct roce_qp *qp);
void roce_req_rewind(struct roce_qp *qp, uint32_t psn);
/* Ask for the rest of READ or atomic WR @p wqe again, on its own. */
void roce_req_reread(struct roce_qp *qp, struct roce_send_wqe *wqe);
/* PSN where the responses of a READ or atomic WR continue. */
uint32_t roce_wqe_resp_psn(const struct roce_qp *qp, const struct roce_send_wqe *wqe);
void roce_req_catch_up(struct roce_qp *qp);
bool roce_wqe_is_rd_atomic(const struct roce_send_wqe *wqe);
/* Payload of [offset, offset + len) of a WR's SGEs, zero-copy. */
struct rte_mbuf *roce_sge_mbufs(struct roce_dev *dev, const struct ibv_sge *sge,
				struct roce_mr *const *mr, int num_sge, uint32_t offset,
				uint32_t len);

/* Copy a received payload into local memory. */
void roce_copy_payload(const struct rte_mbuf *m, const struct roce_pkt *pkt, uint32_t skip,
		       uint8_t *dst, uint32_t len);

#endif /* ROCE_INT_H */
