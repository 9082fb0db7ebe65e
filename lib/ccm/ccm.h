/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The Cluster Connection Manager: one CCM manages the session with one
 * partner node over one or more links (claims 1, 8-10 of 000_...).
 *
 * It starts early, before any client: its boot region (at a pre-set
 * address, behind a pre-set key and a pre-assigned QP number, the same on
 * both nodes) is answered by the transport's poll loop alone, so the
 * partner can read and write it before anything else here runs (claims
 * 1-2, 13-21 of 003_...). Then it exchanges versions and client needs,
 * creates the clients' ports (QPs) and memory, announces ready, keeps the
 * session alive, spreads ports over links and moves them off a failed
 * one, and on termination alerts the clients, waits for them, tears down
 * and initiates again (claims 14-22 of 000_...).
 *
 * Threading: ccm_poll() and everything not marked otherwise run on the
 * CCM's lcore, which owns the transport. Clients run on their own lcores:
 * the functions marked "any lcore" are safe there; they talk to the CCM
 * through rings and never take a lock the data path holds.
 */
#ifndef CCM_H
#define CCM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ccm_fsm.h"
#include "ccm_proto.h"
#include "roce_stats.h"
#include "roce_verbs.h"

struct ccm;
struct ccm_client;

enum ccm_balance {
	CCM_BALANCE_ROUND_ROBIN,	/* ports spread over every healthy link */
	CCM_BALANCE_ACTIVE_STANDBY,	/* all on the first healthy link; others stand by */
};

struct ccm_link_conf {
	uint16_t port_id;		/* DPDK port */
	bool configure;			/* configure and start it */
	uint32_t local_ip;		/* host order */
	uint32_t peer_ip;
	struct rte_ether_addr local_mac;	/* all zero: the port's own */
	bool has_peer_mac;		/* static neighbour instead of ARP */
	struct rte_ether_addr peer_mac;
};

struct ccm_conf {
	const char *name;		/* this node, in logs (<= 16 characters) */
	uint32_t cluster_id;
	uint16_t node_id;
	uint16_t peer_node_id;
	unsigned int nb_links;
	struct ccm_link_conf link[CCM_MAX_LINKS];
	/* Fixed in advance, the same on both nodes (claims 2, 14-15 of 003_). */
	uint32_t boot_qpn;		/* pre-assigned QP number */
	uint32_t boot_rkey;		/* pre-set key of the boot region */
	uint64_t boot_addr;		/* pre-set address of the boot region */
	/* Transport. */
	enum ibv_mtu mtu;
	uint8_t ack_timeout;		/* 4.096 us * 2^ack_timeout */
	uint8_t retry_cnt;
	/* Timings, nanoseconds. */
	uint64_t keepalive_ns;		/* link keepalive interval */
	uint64_t link_timeout_ns;	/* no keepalive for this long: link down */
	uint64_t probe_min_ns;		/* back-off reading a partner not up yet */
	uint64_t probe_max_ns;
	uint64_t session_check_ns;	/* read the partner's status while up */
	uint64_t step_timeout_ns;	/* one exchange step at most */
	uint64_t terminate_timeout_ns;	/* clients closing their ports at most */
	enum ccm_balance balance;
	bool failback;			/* move ports back when a link returns */
	uint16_t version_min;		/* protocol versions spoken */
	uint16_t version_max;
	uint64_t incarnation;		/* 0: chosen at start from the clock */
	uint64_t nb_mbufs;		/* transport mbufs; 0: default */
};

/** Defaults for every field but names, ids, links and the boot QP/key/address. */
void ccm_conf_defaults(struct ccm_conf *conf);

/**
 * Create the CCM: the transport device and its ports, the boot region and
 * QP. Nothing is sent until ccm_start().
 * @return NULL with rte_errno: EINVAL (configuration), ENODEV, ENOMEM.
 */
struct ccm *ccm_create(const struct ccm_conf *conf);

/** Begin session initiation (the first READ of the partner's status). */
int ccm_start(struct ccm *ccm, uint64_t now_ns);

/**
 * Make progress: the transport's poll, completions, keepalives, timers,
 * and the state machines. @return units of work done, 0 when idle.
 */
int ccm_poll(struct ccm *ccm, uint64_t now_ns);

/**
 * Terminate the session with the partner (telling it), alerting clients,
 * then stop: no new session. Poll until ccm_state() is IDLE, or the
 * timeout; then destroy. @return 0.
 */
int ccm_shutdown(struct ccm *ccm);

/** Free everything. Clients' events rings are freed too. */
void ccm_destroy(struct ccm *ccm);

/** Administrative restart: terminate and initiate again (any lcore). */
void ccm_restart(struct ccm *ccm);

/** Take link @p idx (0-based) out of service, or back (any lcore). */
int ccm_link_admin(struct ccm *ccm, unsigned int idx, bool up);

enum ccm_state ccm_state(const struct ccm *ccm);
enum ccm_link_state ccm_link_state(const struct ccm *ccm, unsigned int idx);
unsigned int ccm_nb_links(const struct ccm *ccm);

/* What link @p idx says of the partner, for the failover monitor (any
 * lcore: a snapshot, each field read once; times on the clock given to
 * ccm_poll()). */
struct ccm_link_health {
	int carrier;			/* 1 up, 0 down, -1 not known yet */
	uint64_t last_beat_ns;		/* the partner last answered a keepalive; 0: never */
	enum ccm_link_state state;
};
/** @return 0, -EINVAL (no such link). */
int ccm_link_health(const struct ccm *ccm, unsigned int idx, struct ccm_link_health *out);

/* ---- Links and transport, for the operator (the CCM's lcore) ------------
 * Links are numbered 0..nb_links-1 as in the configuration; which transport
 * port carries each is the CCM's business. */

/** Inject faults on link @p idx (off: a zeroed @p conf).
 * @return 0, -EINVAL (no such link, bad rates). */
int ccm_link_set_fault(struct ccm *ccm, unsigned int idx, enum roce_fault_dir dir,
		       const struct roce_fault_conf *conf);
/** Write link @p idx's frames to a pcap file, or stop (@p path NULL).
 * @return 0, -EINVAL (no such link), -EIO (cannot open). */
int ccm_link_capture(struct ccm *ccm, unsigned int idx, const char *path);
/** Carrier of link @p idx as its driver says now: 1 up, 0 down, or -errno
 * (-EINVAL: no such link). */
int ccm_link_carrier(const struct ccm *ccm, unsigned int idx);
/** Our MAC address on link @p idx. @return 0, -EINVAL (no such link). */
int ccm_link_mac(const struct ccm *ccm, unsigned int idx, struct rte_ether_addr *mac);

/** The transport's counters (names as roce_stats.h); @return how many there are. */
int ccm_transport_stats_read(const struct ccm *ccm, struct roce_stats_entry *out,
			     unsigned int n);
/** One transport counter by name; UINT64_MAX if unknown. */
uint64_t ccm_transport_stat(const struct ccm *ccm, const char *name);
/** Zero the transport's counters. */
void ccm_transport_stats_reset(struct ccm *ccm);

/* A transport QP as `show qp` sees it, with the link it is on. */
struct ccm_qp_info {
	struct roce_qp_info qp;		/* qp.port: the transport's, not a link */
	int link;			/* -1: no path yet */
};
/** Snapshot of the QPs out of RESET. @return how many there are (only
 * @p n written), or -ENOMEM. */
int ccm_qp_info(const struct ccm *ccm, struct ccm_qp_info *out, unsigned int n);

/** Sessions brought up so far (the current one's number while UP). */
uint32_t ccm_session(const struct ccm *ccm);
uint64_t ccm_incarnation(const struct ccm *ccm);
/** Protocol version agreed with the partner (0 before HELLO). */
uint16_t ccm_version(const struct ccm *ccm);

/* Counters by name, as roce_stats_get(): "transitions", "msg_rx_hello", ... */
uint64_t ccm_stat(const struct ccm *ccm, const char *name);
struct ccm_stat_entry {
	const char *name;
	uint64_t value;
};
int ccm_stats_read(const struct ccm *ccm, struct ccm_stat_entry *out, unsigned int n);

/* ---- Clients (claims 4-5, 10, 23) --------------------------------------- */

enum ccm_event_type {
	CCM_EV_PARTNER_READY = 1,	/* session up: the ports are connected */
	CCM_EV_TERMINATING,		/* the session ends: stop, then ccm_client_close() */
	CCM_EV_COMPLETION,		/* a work request completed */
	CCM_EV_IMMEDIATE,		/* the partner wrote to us with immediate data */
};

/* What a client receives on its ring. */
struct ccm_client_event {
	uint16_t type;			/* enum ccm_event_type */
	uint16_t port;
	uint32_t session;		/* events of an older session are stale */
	union {
		struct {
			uint16_t nports;
			uint64_t remote_len;	/* memory the partner holds for us */
			void *local_mem;	/* memory we hold for the partner's client */
			uint64_t local_len;
		} ready;
		struct {
			uint64_t wr_id;
			uint32_t status;	/* enum ibv_wc_status */
			uint32_t opcode;	/* enum ibv_wr_opcode posted */
			uint32_t byte_len;
		} wc;
		struct {
			uint32_t imm;		/* host order */
			uint32_t byte_len;
		} imm;
	} u;
};

struct ccm_client_conf {
	const char *name;		/* matched with the partner's client of that name */
	uint16_t nports;		/* QPs it needs (claim 18) */
	uint64_t peer_mem_bytes;	/* memory it wants in the partner (claim 19) */
	/* Memory this node holds for the partner's client of the same name
	 * (a file mmap for a mirror, say); NULL: allocated at its size. */
	void *serve_mem;
	size_t serve_len;
	/* Memory this client sends from and reads into (registered once). */
	void *local_mem;
	size_t local_len;
	unsigned int ring_size;		/* events; 0: 1024 */
	/* Port i stays on link i while that link is up (a heartbeat on every
	 * link); on a link down it moves like any other, and comes back. */
	bool port_per_link;
};

/**
 * Register a client (any lcore). A client registering after the session's
 * client exchange makes the CCM renegotiate the session.
 * @return the client, or NULL with rte_errno: EINVAL, ENOSPC (too many),
 *   EEXIST (name taken), ENOMEM.
 */
struct ccm_client *ccm_client_register(struct ccm *ccm, const struct ccm_client_conf *conf);

/** Take up to @p n events (the client's lcore). @return how many. */
unsigned int ccm_client_events(struct ccm_client *client, struct ccm_client_event *ev, unsigned int n);

/* Work on one of the client's ports, done by the CCM's lcore. */
struct ccm_work {
	uint64_t wr_id;			/* returned whole in the completion event */
	uint32_t session;		/* from PARTNER_READY; stale work is failed */
	uint16_t port;
	uint16_t opcode;		/* IBV_WR_RDMA_WRITE[_WITH_IMM], IBV_WR_RDMA_READ */
	const void *local;		/* inside local_mem */
	uint32_t len;
	uint32_t imm;			/* host order, for WRITE with immediate */
	uint64_t remote_off;		/* into the memory the partner holds for us */
};

/**
 * Queue @p n work requests for the CCM's lcore (any lcore). Each completes
 * with a CCM_EV_COMPLETION event, in order per port.
 * @return how many were queued (0..n): fewer when the queue is full.
 */
unsigned int ccm_client_post(struct ccm_client *client, const struct ccm_work *w, unsigned int n);

/** After CCM_EV_TERMINATING: the client is done with its ports (any lcore). */
void ccm_client_close(struct ccm_client *client);

/** The client's memory the partner holds (valid while the session is up). */
uint64_t ccm_client_remote_len(const struct ccm_client *client);

/* A client as `show clients` sees it. */
struct ccm_client_status {
	const char *name;
	uint16_t nports_wanted;
	uint16_t nports;		/* this session's, 0 when not matched */
	bool matched;			/* the partner has a client of this name */
	uint64_t peer_mem_wanted;
	uint64_t remote_len;		/* what the partner granted this session */
	uint64_t serve_len;		/* what we hold for the partner's client */
	uint32_t qpn[4];		/* the first ports' QPs */
	uint8_t link[4];		/* and the link each is on */
};

/** Snapshot of the registered clients (the CCM's lcore).
 * @return how many are registered (only @p n written). */
unsigned int ccm_clients_status(const struct ccm *ccm, struct ccm_client_status *out,
				unsigned int n);

#endif /* CCM_H */
