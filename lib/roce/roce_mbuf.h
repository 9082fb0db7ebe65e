/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RoCEv2 frames as mbuf chains: parse a received chain in place, and
 * build a chain of [headers][payload segments...][pad + ICRC] where the
 * payload segments are the caller's (for example external buffers on
 * registered memory) and are never copied.
 */
#ifndef ROCE_MBUF_H
#define ROCE_MBUF_H

#include <rte_mbuf.h>

#include "roce_pkt.h"

/**
 * Parse the frame held in mbuf chain @p m (not modified, not freed).
 * @return as roce_parse(); ROCE_PARSE_TOO_MANY_SEGS for chains longer
 *   than ROCE_PARSE_MAX_SEGS.
 */
enum roce_parse_status roce_mbuf_parse(struct roce_parser *parser, const struct rte_mbuf *m,
				       struct roce_pkt *pkt);

/**
 * Build a frame for @p pkt in front of @p payload.
 *
 * @param hdr_pool  pool for the header mbuf and, when there is a payload,
 *   a small trailer mbuf (pad + ICRC) chained after it
 * @param tmpl      the sender's header template (roce_tmpl_build()), or
 *   NULL to build every header field from @p pkt (roce_build_hdr())
 * @param payload   chain holding exactly pkt->payload_len bytes, or NULL
 *   when the opcode carries none; on success it becomes part of the
 *   returned chain; on failure it is left to the caller
 * @return the frame, or NULL with rte_errno set: EINVAL (bad packet or
 *   payload length), ENOMEM (pool empty), E2BIG (too many segments)
 */
struct rte_mbuf *roce_mbuf_build(const struct roce_crc32_ops *crc, struct rte_mempool *hdr_pool,
				 const struct roce_tmpl *tmpl, struct roce_pkt *pkt,
				 struct rte_mbuf *payload);

/**
 * Build a frame for @p pkt in one mbuf from @p pool, with a copy of the
 * @p nseg pieces of @p payload (together pkt->payload_len bytes): for
 * small payloads, where one copy costs less than attaching and chaining
 * two more mbufs (and the peer's device copies one segment, not three).
 * @return the frame, or NULL with rte_errno set: EINVAL (bad packet or
 *   payload length), ENOMEM (pool empty), E2BIG (it does not fit an mbuf)
 */
struct rte_mbuf *roce_mbuf_build_copy(const struct roce_crc32_ops *crc,
				      struct rte_mempool *pool, const struct roce_tmpl *tmpl,
				      struct roce_pkt *pkt, const struct roce_buf *payload,
				      unsigned int nseg);

#endif /* ROCE_MBUF_H */
