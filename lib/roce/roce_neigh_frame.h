/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Between roce_neigh.c (the table, ARP, dispatch) and roce_echo.c (ICMP
 * echo): the received frame's headers as roce_arp_input() copied them,
 * and the helpers both use. Private to those two files.
 */
#ifndef ROCE_NEIGH_FRAME_H
#define ROCE_NEIGH_FRAME_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_arp.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>

#include "roce_neigh.h"

#define ETH_HLEN ((uint32_t)sizeof(struct rte_ether_hdr))
#define VLAN_HLEN ((uint32_t)sizeof(struct rte_vlan_hdr))
#define ARP_LEN ((uint32_t)sizeof(struct rte_arp_hdr))
#define IPV4_HLEN_MIN ((uint32_t)sizeof(struct rte_ipv4_hdr))
#define IPV4_HLEN_MAX (RTE_IPV4_HDR_IHL_MASK * RTE_IPV4_IHL_MULTIPLIER)
#define ICMP_HLEN ((uint32_t)sizeof(struct rte_icmp_hdr))
/* The most we look at: Ethernet, one tag, IPv4 with options, ICMP. */
#define HDR_MAX (ETH_HLEN + VLAN_HLEN + IPV4_HLEN_MAX + ICMP_HLEN)
/* Shortest frame on the wire, without the FCS (IEEE 802.3). */
#define FRAME_MIN (RTE_ETHER_MIN_LEN - RTE_ETHER_CRC_LEN)
#define TTL_DEFAULT 64	/* RFC 1700 */

/* A received frame's first bytes, copied out of its segments. */
struct roce_neigh_frame {
	uint8_t hdr[HDR_MAX] __rte_aligned(8);
	uint32_t len;		/* bytes valid in hdr */
	uint32_t l3_off;	/* after Ethernet and the tag, if any */
	bool tagged;
	rte_be16_t tci;		/* the tag, when tagged */
	uint16_t ether_type;	/* of the payload, host order */
};

/* The entry for @p ipv4, NULL if none (the table is the caller's to change). */
struct roce_neigh *roce_neigh_find(const struct roce_arp *arp, uint32_t ipv4);

/* Count @p m under @p reason and free it. @return NULL (no answer). */
struct rte_mbuf *roce_neigh_drop(struct roce_arp *arp, struct rte_mbuf *m,
				 enum roce_arp_counter reason);

/* An IPv4 frame roce_arp_input() took apart as far as Ethernet: an echo
 * request is answered (the returned frame), a reply counted. */
struct rte_mbuf *roce_echo_input(struct roce_arp *arp, struct rte_mbuf *m,
				 struct roce_neigh_frame *f, uint64_t now_ns);

#endif /* ROCE_NEIGH_FRAME_H */
