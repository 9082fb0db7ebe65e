/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Neighbours of one port (private to lib/roce). roce_neigh.c: answer ARP
 * requests for our address (RFC 826), resolve a peer's MAC with
 * rate-limited requests, accept static entries. roce_echo.c: answer ICMP
 * echo requests (RFC 792) so the port can be pinged, send requests and
 * count their replies, keep the data of each neighbour's last request.
 * Single thread: the lcore that polls the port.
 */
#ifndef ROCE_NEIGH_H
#define ROCE_NEIGH_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>

#include "roce_verbs.h"	/* ROCE_ECHO_DATA_MAX */

struct rte_mbuf;
struct rte_mempool;

#define ROCE_ARP_ENTRIES 32
#define ROCE_ARP_RETRY_NS (100ull * 1000 * 1000)	/* one request per 100 ms */

enum roce_neigh_state {
	ROCE_NEIGH_FREE,
	ROCE_NEIGH_INCOMPLETE,	/* request sent, no answer yet */
	ROCE_NEIGH_REACHABLE,	/* learnt from the wire */
	ROCE_NEIGH_STATIC,	/* configured; never replaced by the wire */
};

struct roce_neigh {
	uint32_t ipv4;
	enum roce_neigh_state state;
	struct rte_ether_addr mac;
	uint64_t last_request_ns;
	uint64_t echo_replies;		/* ICMP echo replies from it */
	uint64_t last_echo_ns;
	/* The data of the last echo request it sent us (the first
	 * ROCE_ECHO_DATA_MAX bytes): a ping may carry a small message outside
	 * any QP, such as a link keepalive's. */
	uint8_t echo_data[ROCE_ECHO_DATA_MAX];
	uint8_t echo_data_len;
	uint64_t echo_data_count;	/* requests with data received */
};

enum roce_arp_counter {
	ROCE_ARP_REQ_RCVD,	/* requests for our address */
	ROCE_ARP_REPLY_SENT,
	ROCE_ARP_REPLY_RCVD,
	ROCE_ARP_REQ_SENT,
	ROCE_ARP_ICMP_ECHO,	/* echo requests answered */
	ROCE_ARP_ICMP_REQ_SENT,	/* echo requests we sent */
	ROCE_ARP_ICMP_REPLY_RCVD,	/* echo replies for us */
	ROCE_ARP_IGNORED,	/* ARP/ICMP not for us */
	ROCE_ARP_MALFORMED,	/* truncated or inconsistent */
	ROCE_ARP_NO_MBUF,
	ROCE_ARP_TABLE_FULL,
	ROCE_ARP_LEARNT_FROM_PEER,	/* an unresolved partner heard from in RoCE */
	ROCE_ARP_NCOUNTERS,
};

extern const char *const roce_arp_counter_names[ROCE_ARP_NCOUNTERS];

struct roce_arp {
	uint32_t ipv4;			/* ours, host order */
	struct rte_ether_addr mac;	/* ours */
	struct rte_mempool *pool;	/* for replies and requests */
	struct roce_neigh neigh[ROCE_ARP_ENTRIES];
	uint64_t count[ROCE_ARP_NCOUNTERS];
};

void roce_arp_init(struct roce_arp *arp, uint32_t ipv4, const struct rte_ether_addr *mac,
		   struct rte_mempool *pool);

/**
 * A QP's partner at @p ipv4 sent us a valid RoCEv2 frame from @p mac: if
 * we have no address for it yet (none, or a request unanswered), take
 * this one. Known and static entries are never changed here. Without it
 * a responder whose ARP request or reply was lost could not answer for
 * the pace of ARP retries (ROCE_ARP_RETRY_NS), longer than a requester
 * waits before it gives up. @return true if the entry was learnt.
 */
bool roce_arp_learn_peer(struct roce_arp *arp, uint32_t ipv4, const struct rte_ether_addr *mac,
			 uint64_t now_ns);

/** A static entry. @return 0, -ENOSPC if the table is full of static entries. */
int roce_arp_set_static(struct roce_arp *arp, uint32_t ipv4, const struct rte_ether_addr *mac);

/**
 * True if @p m is ARP, or ICMP to our address, which this module owns.
 * (Called before the RoCE parser so that parser counts only IP traffic.)
 */
bool roce_arp_claims(const struct roce_arp *arp, const struct rte_mbuf *m);

/**
 * Handle a frame roce_arp_claims() accepted: learn the sender, answer.
 * Takes ownership of @p m (frees it, or reuses it for the answer).
 * @return the frame to transmit (an answer) or NULL.
 */
struct rte_mbuf *roce_arp_input(struct roce_arp *arp, struct rte_mbuf *m, uint64_t now_ns);

/**
 * Resolve @p ipv4 to a MAC.
 * @return 0 with *mac set; -EAGAIN while unresolved, with *request set to
 *   an ARP request to transmit when one is due (else NULL); -ENOMEM.
 */
int roce_arp_resolve(struct roce_arp *arp, uint32_t ipv4, uint64_t now_ns,
		     struct rte_ether_addr *mac, struct rte_mbuf **request);

/* ---- ICMP echo (roce_echo.c) ---- */

/**
 * An ICMP echo request to @p ipv4 (identifier @p id, sequence @p seq)
 * carrying @p len bytes of @p data (none: our clock, 8 bytes); its reply
 * is counted on the neighbour entry.
 * @return 0 with *frame set; -EINVAL if @p len exceeds ROCE_ECHO_DATA_MAX;
 *   -EAGAIN while the MAC is unresolved, with *frame set to an ARP request
 *   when one is due (else NULL); -ENOMEM.
 */
int roce_echo_request(struct roce_arp *arp, uint32_t ipv4, uint16_t id, uint16_t seq,
		      const void *data, uint8_t len, uint64_t now_ns, struct rte_mbuf **frame);

/**
 * The data of the last echo request @p ipv4 sent us (up to @p len bytes).
 * @return its length, 0 if none; *count (if not NULL): requests with data
 *   received from it.
 */
unsigned int roce_echo_data(const struct roce_arp *arp, uint32_t ipv4, void *data,
			    unsigned int len, uint64_t *count);

/** Echo replies received from @p ipv4 so far (0 if it is not a neighbour). */
uint64_t roce_echo_replies(const struct roce_arp *arp, uint32_t ipv4);

#endif /* ROCE_NEIGH_H */
