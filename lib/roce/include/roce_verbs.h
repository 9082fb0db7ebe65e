/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A reliable-connected RoCEv2 transport on a DPDK port, with the verbs
 * vocabulary of rdma-core: the work requests, completions, QP attributes,
 * states, access flags and statuses are <infiniband/verbs.h>'s own types.
 *
 * Threading: a device and everything created on it (PDs, MRs, CQs, QPs)
 * belong to the one lcore that calls roce_dev_poll(). Every function here
 * must be called from that lcore. Other threads read counters
 * (roce_stats.h) and telemetry, which shows a copy of the QPs the lcore
 * takes in its poll, never the QPs themselves.
 *
 * Errors: functions return 0 or a negative errno; constructors return NULL
 * and set rte_errno.
 */
#ifndef ROCE_VERBS_H
#define ROCE_VERBS_H

#include <stdbool.h>
#include <stdint.h>

#include <infiniband/verbs.h>
#include <rte_ether.h>

#include "roce_fault.h"

struct roce_dev;
struct roce_pd;
struct roce_mr;
struct roce_cq;
struct roce_qp;

/* ---- Device and its ports --------------------------------------------- */

/*
 * A device is what an RNIC is to verbs: one QPN space, one set of keys,
 * CQs and QPs, and one or more ports. Each port is a DPDK port (a link)
 * with its own IPv4 and MAC address; a QP sends through the port its
 * attributes name (ibv_qp_attr.port_num, 1-based), and moving it to
 * another port is how a link failure is survived.
 */
struct roce_dev_conf {
	const char *name;		/* for logs and telemetry; at most 16 characters */
	uint32_t max_qp;		/* QPN table size, power of 2; 0 = 1024 */
	uint32_t nb_mbufs;		/* transmit mbufs; 0 = 8191 */
	int socket_id;			/* NUMA socket for pools; SOCKET_ID_ANY */
	uint16_t rx_burst;		/* frames received per port per poll; 0 = 32.
					 * 1 answers every AckReq with its own ACK,
					 * as Linux does; more coalesces ACKs */
};

struct roce_port_conf {
	uint16_t port_id;		/* DPDK port */
	uint16_t queue_id;		/* rx and tx queue this device uses */
	bool configure;			/* configure and start the port (1 rx + 1 tx queue) */
	uint16_t mtu;			/* L3 MTU set when configuring; 0 = 4200 */
	uint32_t ipv4;			/* our address on this link, host order */
	struct rte_ether_addr mac;	/* all zero: the port's own MAC */
};

#define ROCE_MAX_PORTS 8
#define ROCE_DEV_NAME_MAX 16
/* Bytes of echo request data a port keeps per neighbour. */
#define ROCE_ECHO_DATA_MAX 32

/**
 * Create a device.
 * @return NULL with rte_errno: EINVAL (bad configuration), ENOMEM.
 */
struct roce_dev *roce_dev_create(const struct roce_dev_conf *conf);

/**
 * Add a port (a link) to the device.
 * @return the port number (1..ROCE_MAX_PORTS), or -EINVAL, -ENODEV (no
 *   such DPDK port), -ENOSPC (too many ports), or the port's own error.
 */
int roce_dev_add_port(struct roce_dev *dev, const struct roce_port_conf *conf);

/**
 * Drop every frame staged for transmit or held by fault injection, on
 * every port: before deregistering memory they may point into, when the
 * links are dead and they will never leave.
 */
void roce_dev_discard_tx(struct roce_dev *dev);

/** Free the device and stop ports it configured. @return 0, or -EBUSY while
 * QPs, CQs, MRs or PDs remain. */
int roce_dev_destroy(struct roce_dev *dev);

/**
 * Make progress: receive a burst on every port, validate and dispatch it
 * (responder, completer, ARP/ICMP), run timers, let requesters send, flush
 * transmit.
 * @param now_ns  a monotonic clock in nanoseconds; the device reads no clock
 * @return units of work done (packets in and out, timers fired); 0 = idle
 *
 * The ACK of a request received by one poll may wait for the
 * application's answer and leave with it when it is posted (a QP in
 * ping-pong mode: its application posts after each request it receives),
 * or at the next poll if none comes. An application that stops polling
 * calls roce_dev_flush() first.
 */
int roce_dev_poll(struct roce_dev *dev, uint64_t now_ns);

/**
 * Send now what waits for the next poll: the ACKs held for an answer, and
 * frames staged. For an application about to stop polling.
 * @return frames handed to the ports
 */
int roce_dev_flush(struct roce_dev *dev);

/**
 * Carrier of @p port as its DPDK driver reports it, without waiting.
 * @return 1 up, 0 down, -EINVAL for a bad port, or the driver's error.
 */
int roce_dev_port_link(const struct roce_dev *dev, uint8_t port);

/**
 * Send an ICMP echo request (a ping, RFC 792) to @p ipv4 through @p port,
 * carrying @p len bytes of @p data (0: 8 bytes of our clock). Its reply,
 * counted by roce_dev_port_pongs(), shows the link works both ways; a
 * port of ours at @p ipv4 keeps the data (roce_dev_port_echo_data()), so a
 * ping can carry a small message outside any QP, such as a keepalive's.
 * Resolves the MAC first if needed.
 * @return 0 when the request is staged, -EAGAIN while the address is being
 *   resolved, -EINVAL for a bad port or @p len over ROCE_ECHO_DATA_MAX,
 *   -ENOMEM.
 */
int roce_dev_port_ping(struct roce_dev *dev, uint8_t port, uint32_t ipv4, uint16_t seq,
		       const void *data, uint8_t len);

/** Echo replies received on @p port from @p ipv4 so far. */
uint64_t roce_dev_port_pongs(const struct roce_dev *dev, uint8_t port, uint32_t ipv4);

/**
 * The data of the last ICMP echo request @p ipv4 sent us on @p port (its
 * first ROCE_ECHO_DATA_MAX bytes), up to @p len bytes into @p data.
 * @return its length, 0 if none; *count (if not NULL): requests with data
 *   received from @p ipv4.
 */
unsigned int roce_dev_port_echo_data(const struct roce_dev *dev, uint8_t port, uint32_t ipv4,
				     void *data, unsigned int len, uint64_t *count);

/** Static neighbour on @p port: @p mac for @p ipv4, never resolved. */
int roce_dev_set_neighbor(struct roce_dev *dev, uint8_t port, uint32_t ipv4,
			  const struct rte_ether_addr *mac);

/** Our MAC address on @p port. @return 0, -EINVAL for a bad port. */
int roce_dev_port_mac(const struct roce_dev *dev, uint8_t port, struct rte_ether_addr *mac);

/** Fault injection on @p port (off until called). @return 0, -EINVAL on bad rates. */
int roce_dev_set_fault(struct roce_dev *dev, uint8_t port, enum roce_fault_dir dir,
		       const struct roce_fault_conf *conf);

/**
 * Write every frame @p port receives and sends to @p path (pcap), or stop
 * with NULL. @return 0, -EIO if the file cannot be opened.
 */
int roce_dev_capture(struct roce_dev *dev, uint8_t port, const char *path);

/* ---- Protection domain and memory regions ------------------------------ */

struct roce_pd *roce_alloc_pd(struct roce_dev *dev);
/** @return 0, -EBUSY while MRs or QPs use it. */
int roce_dealloc_pd(struct roce_pd *pd);

/**
 * Register [addr, addr + length) with IBV_ACCESS_* rights. Memory outside
 * DPDK's heap (a file mmap, say) is also registered with DPDK
 * (rte_extmem_register) when page-aligned, so a real NIC can reach it.
 * @return the MR, or NULL with rte_errno: EINVAL (zero length, remote
 *   write or atomic without local write), ENOMEM (no free key).
 */
struct roce_mr *roce_reg_mr(struct roce_pd *pd, void *addr, size_t length, unsigned int access);

/**
 * As roce_reg_mr(), with the remote address the peer uses (@p iova, as
 * ibv_reg_mr_iova()) and a key fixed by the caller (@p key != 0), for
 * regions whose key both sides know in advance (a region read before any
 * exchange, say).
 * @return NULL with rte_errno EEXIST if the key is taken.
 */
struct roce_mr *roce_reg_mr_fixed(struct roce_pd *pd, void *addr, size_t length, uint64_t iova,
				  unsigned int access, uint32_t key);

/**
 * Access flag beside IBV_ACCESS_*: the region does not change while a peer
 * READs it, so READ responses are sent straight from it. Without it each
 * response packet's payload is copied first and the ICRC computed over the
 * copy, as an RNIC computes it over what it read: a local store landing
 * after the ICRC was computed would otherwise make a frame the peer drops
 * (bad ICRC), and a region stored to continuously could never be read.
 */
#define ROCE_ACCESS_READ_ZERO_COPY	(1u << 30)

/** @return 0, or -EBUSY while transmitted frames still reference it. */
int roce_dereg_mr(struct roce_mr *mr);

uint32_t roce_mr_lkey(const struct roce_mr *mr);
uint32_t roce_mr_rkey(const struct roce_mr *mr);

/* ---- Completion queue ------------------------------------------------- */

/** @param cqe capacity, rounded up to a power of 2. */
struct roce_cq *roce_create_cq(struct roce_dev *dev, uint32_t cqe);
/** @return 0, -EBUSY while a QP uses it. */
int roce_destroy_cq(struct roce_cq *cq);

/**
 * Take up to @p n completions.
 * @return the number taken (0..n).
 */
int roce_poll_cq(struct roce_cq *cq, int n, struct ibv_wc *wc);

/* ---- Queue pair ------------------------------------------------------- */

struct roce_qp_init_attr {
	struct roce_cq *send_cq;
	struct roce_cq *recv_cq;
	struct ibv_qp_cap cap;		/* max_send_wr, max_recv_wr, max_*_sge, max_inline_data */
	bool sq_sig_all;		/* every send WR completes, signaled or not */
	uint32_t qp_num;		/* 0: allocate; else this QPN (pre-assigned) */
};

/**
 * Create an RC QP in RESET.
 * @return NULL with rte_errno: EINVAL, EEXIST (QPN taken), ENOSPC (table
 *   full), ENOMEM.
 */
struct roce_qp *roce_create_qp(struct roce_pd *pd, const struct roce_qp_init_attr *attr);

/**
 * Modify a QP (IBTA 10.3.1 state diagram: RESET -> INIT -> RTR -> RTS;
 * any -> ERR, any -> RESET). Attributes as ibv_modify_qp(); for RoCEv2 the
 * destination address is attr->ah_attr.grh.dgid, an IPv4-mapped GID.
 *   INIT: IBV_QP_STATE | IBV_QP_PKEY_INDEX | IBV_QP_PORT | IBV_QP_ACCESS_FLAGS
 *   RTR:  + IBV_QP_AV | IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
 *         IBV_QP_MAX_DEST_RD_ATOMIC | IBV_QP_MIN_RNR_TIMER
 *   RTS:  + IBV_QP_SQ_PSN | IBV_QP_TIMEOUT | IBV_QP_RETRY_CNT |
 *         IBV_QP_RNR_RETRY | IBV_QP_MAX_QP_RD_ATOMIC
 * Moving to ERR completes every outstanding WR with IBV_WC_WR_FLUSH_ERR.
 * In RTS, IBV_QP_PORT and/or IBV_QP_AV move the QP to another link: it
 * keeps its state and resends from its oldest unacknowledged PSN there.
 * @return 0, -EINVAL (illegal transition, missing or bad attribute).
 */
int roce_modify_qp(struct roce_qp *qp, struct ibv_qp_attr *attr, int attr_mask);

/* What roce_qp_connect() needs to bring an RC QP up to its partner. */
struct roce_qp_conn {
	uint8_t port;			/* ours, 1-based, as ibv_qp_attr.port_num */
	unsigned int access;		/* IBV_ACCESS_REMOTE_*: what the partner may do */
	enum ibv_mtu path_mtu;
	uint32_t dest_ip;		/* the partner's IPv4 address, host order */
	uint32_t dest_qpn;
	uint32_t rq_psn;		/* first PSN expected from the partner */
	uint32_t sq_psn;		/* our first PSN */
	uint8_t max_rd_atomic;		/* our READs and atomics outstanding at once */
	uint8_t max_dest_rd_atomic;	/* the partner's READs and atomics kept at once */
	uint8_t min_rnr_timer;		/* RNR NAK timer code we send (IBTA table 45) */
	uint8_t timeout;		/* local ACK timeout, 4.096 us * 2^timeout; 0: never */
	uint8_t retry_cnt;		/* 0..7 */
	uint8_t rnr_retry;		/* 0..7; 7: forever */
};

/**
 * Bring an RC QP from RESET or INIT to RTS, the three roce_modify_qp()
 * steps an application makes after the out-of-band exchange: INIT (port,
 * access), RTR (path, partner's QPN and first PSN, responder resources),
 * RTS (our first PSN, timers, retries). The destination GID is the
 * IPv4-mapped one (GID index 1 on Linux), hop limit 64.
 * @return 0; -EINVAL if the QP is in neither RESET nor INIT or an attribute
 *   is out of range, -ENOMEM. On error the QP stays in the last state it
 *   reached (roce_qp_state() says which step failed).
 */
int roce_qp_connect(struct roce_qp *qp, const struct roce_qp_conn *conn);

/** Current attributes and state. */
int roce_query_qp(const struct roce_qp *qp, struct ibv_qp_attr *attr);

/**
 * The partner's address on each of our ports: @p ipv4[i] for port i + 1
 * (0: none), @p n entries. A request or response for this QP arriving from
 * the partner's address on another of our ports moves the QP's path to that
 * port, as a path migration would: the partner moved to another link first,
 * and this QP follows, resending what is unacknowledged on the new path.
 * @return 0, -EINVAL if @p n exceeds the device's ports.
 */
int roce_qp_set_peer_paths(struct roce_qp *qp, const uint32_t *ipv4, unsigned int n);

/**
 * Restart the responder half of an RTR or RTS QP: it expects @p rq_psn
 * next and forgets the message in progress (a receive WR it had begun to
 * fill goes back to the head of the receive queue, unused), the ACK or
 * NAK it owed, and the READ and atomic results kept for duplicates. The
 * requester half and its work stay as they are. Outside IBTA, where only
 * RESET restarts a QP, and both halves at once: this is for a partner
 * that restarted its requester alone, at @p rq_psn, and said so by other
 * means (echo request data, say), so that neither side loses its work.
 * @return 0, -EINVAL if the QP is not in RTR or RTS.
 */
int roce_qp_restart_responder(struct roce_qp *qp, uint32_t rq_psn);

/** Destroy; outstanding WRs are dropped without completions. */
int roce_destroy_qp(struct roce_qp *qp);

uint32_t roce_qp_num(const struct roce_qp *qp);
enum ibv_qp_state roce_qp_state(const struct roce_qp *qp);
/** "RESET", "INIT", "RTR", "RTS", "SQD", "SQE", "ERR"; "?" for anything else. */
const char *roce_qp_state_str(enum ibv_qp_state state);

/* A QP as `show qp` and telemetry see it. */
struct roce_qp_info {
	uint32_t qpn, dest_qpn;
	enum ibv_qp_state state;
	uint8_t port;			/* 0: no path yet */
	uint32_t dest_ip;		/* host order */
	uint32_t sq_psn;		/* next PSN to send */
	uint32_t unacked_psn;		/* oldest PSN not acknowledged */
	uint32_t rq_psn;		/* next PSN expected */
	uint32_t sq_outstanding;	/* WRs posted, not completed */
	uint32_t rq_posted;
};

/** Snapshot of the QPs out of RESET (the device's lcore).
 * @return how many there are (may exceed @p n; only @p n are written). */
unsigned int roce_dev_qp_info(const struct roce_dev *dev, struct roce_qp_info *out,
			      unsigned int n);

/**
 * Post send WRs: IBV_WR_SEND[_WITH_IMM|_WITH_INV], IBV_WR_RDMA_WRITE[_WITH_IMM],
 * IBV_WR_RDMA_READ, IBV_WR_ATOMIC_CMP_AND_SWP, IBV_WR_ATOMIC_FETCH_AND_ADD.
 * Flags: IBV_SEND_SIGNALED, IBV_SEND_SOLICITED, IBV_SEND_FENCE,
 * IBV_SEND_INLINE (copied now, up to cap.max_inline_data).
 * Payload is sent straight from the registered memory the SGEs name; it
 * must not change until the WR completes.
 * @return 0; -EINVAL (QP not in RTS, bad opcode, too many SGEs, inline too
 *   long), -ENOMEM (send queue full). *bad_wr names the first WR not posted.
 */
int roce_post_send(struct roce_qp *qp, struct ibv_send_wr *wr, struct ibv_send_wr **bad_wr);

/** Post receive WRs. @return 0; -EINVAL (QP in RESET, too many SGEs), -ENOMEM (queue full). */
int roce_post_recv(struct roce_qp *qp, struct ibv_recv_wr *wr, struct ibv_recv_wr **bad_wr);

/* ---- Helpers ---------------------------------------------------------- */

/** IPv4-mapped GID ::ffff:a.b.c.d (host-order address), GID index 1 on Linux. */
void roce_gid_from_ipv4(union ibv_gid *gid, uint32_t ipv4);
/** @return 0 and the address, or -EINVAL if @p gid is not IPv4-mapped. */
int roce_gid_to_ipv4(const union ibv_gid *gid, uint32_t *ipv4);

/** Bytes of an ibv_mtu value (IBV_MTU_256 -> 256), 0 if invalid. */
uint32_t roce_mtu_bytes(enum ibv_mtu mtu);

/** Local ACK timeout of IBTA 9.7.6.1.3: 4.096 us * 2^timeout; 0 = never. */
static inline uint64_t
roce_ack_timeout_ns(uint8_t timeout)
{
	return timeout == 0 ? 0 : (4096ull << (timeout > 31 ? 31 : timeout));
}

/** RNR NAK timer code (IBTA table 45) in nanoseconds. */
uint64_t roce_rnr_timer_ns(uint8_t code);

#endif /* ROCE_VERBS_H */
