/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_lcore.h>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "roce_mbuf.h"

/* How many mbufs ahead of the one taken, and how many of their first data
 * lines, are claimed for writing (docs/perf.md, run H). */
#define PREFETCH_AHEAD_MBUFS	4
#define PREFETCH_HDR_LINES	2	/* Ethernet .. RETH, 70 bytes at most */

#if defined(__x86_64__)
/* The baseline x86-64 target has no PREFETCHW; CPUs without it are told
 * apart at start-up rather than trusted to decode it as a NOP. */
static bool cpu_has_prefetchw;

static void __attribute__((constructor))
mbuf_cpu_probe(void)
{
	unsigned int a, b, c, d;

	/* CPUID 8000_0001h ECX bit 8: PREFETCHW (PRFCHW). */
	if (__get_cpuid(0x80000001, &a, &b, &c, &d))
		cpu_has_prefetchw = (c >> 8) & 1;
}

static inline void
prefetch_for_write(const void *p)
{
	if (cpu_has_prefetchw)
		__asm__ volatile("prefetchw %0" : : "m"(*(const char *)p));
}
#else
static inline void
prefetch_for_write(const void *p)
{
	__builtin_prefetch(p, 1, 3);
}
#endif

/*
 * Claim for writing the first data lines of the next mbufs this lcore's
 * cache of @p mp will hand out. The cache returns the mbuf freed last;
 * over vhost-user the other core's device copy read its lines a moment
 * ago, and the first store into them waited for their ownership: a
 * quarter of the WRITE sender's samples sat behind the header template's
 * store. Claimed a few frames early, the ownership moves while earlier
 * frames are built. Peeking at the cache's stack is only a hint: the
 * mbufs are taken the usual way.
 */
static inline void
pool_claim_next(struct rte_mempool *mp, unsigned int lines)
{
	struct rte_mempool_cache *cache = rte_mempool_default_cache(mp, rte_lcore_id());
	uint32_t data_off = sizeof(struct rte_mbuf) + rte_pktmbuf_priv_size(mp) +
			    RTE_PKTMBUF_HEADROOM;
	unsigned int i, l;

	if (cache == NULL)
		return;
	for (i = 1; i <= PREFETCH_AHEAD_MBUFS && i <= cache->len; i++) {
		const char *data = (const char *)cache->objs[cache->len - i] + data_off;

		for (l = 0; l < lines; l++)
			prefetch_for_write(data + l * RTE_CACHE_LINE_SIZE);
	}
}

/* The chain as roce_buf pieces; returns the count, or -1 if too long. */
static int
mbuf_segs(const struct rte_mbuf *m, struct roce_buf seg[ROCE_PARSE_MAX_SEGS])
{
	int n = 0;

	for (; m != NULL; m = m->next) {
		if (n == ROCE_PARSE_MAX_SEGS)
			return -1;
		seg[n].data = rte_pktmbuf_mtod(m, const void *);
		seg[n].len = rte_pktmbuf_data_len(m);
		n++;
	}
	return n;
}

enum roce_parse_status
roce_mbuf_parse(struct roce_parser *parser, const struct rte_mbuf *m, struct roce_pkt *pkt)
{
	struct roce_buf seg[ROCE_PARSE_MAX_SEGS];
	int n = mbuf_segs(m, seg);

	if (n < 0) {
		parser->count[ROCE_PARSE_TOO_MANY_SEGS]++;
		return ROCE_PARSE_TOO_MANY_SEGS;
	}
	return roce_parse(parser, seg, n, pkt);
}

struct rte_mbuf *
roce_mbuf_build(const struct roce_crc32_ops *crc, struct rte_mempool *hdr_pool,
		const struct roce_tmpl *tmpl, struct roce_pkt *pkt, struct rte_mbuf *payload)
{
	struct roce_buf seg[ROCE_PARSE_MAX_SEGS];
	uint8_t trailer[ROCE_TRAILER_MAX];
	struct rte_mbuf *head, *tail = NULL;
	int nseg = 0, hdr_len, trailer_len;
	char *p;

	if (payload != NULL) {
		nseg = mbuf_segs(payload, seg);
		if (nseg < 0 || nseg + 2 > RTE_MBUF_MAX_NB_SEGS) {
			rte_errno = E2BIG;
			return NULL;
		}
		if (rte_pktmbuf_pkt_len(payload) != pkt->payload_len) {
			rte_errno = EINVAL;
			return NULL;
		}
	} else if (pkt->payload_len != 0) {
		rte_errno = EINVAL;
		return NULL;
	}

	head = rte_pktmbuf_alloc(hdr_pool);
	if (head == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	pool_claim_next(hdr_pool, PREFETCH_HDR_LINES);
	hdr_len = tmpl != NULL ?
		roce_tmpl_build(tmpl, pkt, rte_pktmbuf_mtod(head, void *), rte_pktmbuf_tailroom(head)) :
		roce_build_hdr(pkt, rte_pktmbuf_mtod(head, void *), rte_pktmbuf_tailroom(head));
	if (hdr_len < 0)
		goto fail;
	trailer_len = tmpl != NULL ?
		roce_tmpl_trailer(crc, tmpl, pkt, seg, nseg, trailer) :
		roce_build_trailer(crc, pkt, rte_pktmbuf_mtod(head, void *), seg, nseg, trailer);
	if (trailer_len < 0) {
		hdr_len = trailer_len;
		goto fail;
	}
	rte_pktmbuf_append(head, hdr_len);

	if (payload == NULL) {
		/* No payload: the trailer fits behind the headers. */
		p = rte_pktmbuf_append(head, trailer_len);
		if (p == NULL) {
			hdr_len = -ENOSPC;
			goto fail;
		}
		memcpy(p, trailer, trailer_len);
		return head;
	}

	/* Payload memory is the caller's and may be read-only to us: the
	 * trailer gets its own segment after it. */
	tail = rte_pktmbuf_alloc(hdr_pool);
	if (tail == NULL) {
		rte_pktmbuf_free(head);
		rte_errno = ENOMEM;
		return NULL;
	}
	memcpy(rte_pktmbuf_append(tail, trailer_len), trailer, trailer_len);
	/* Both fit: the segment count was checked above. */
	RTE_VERIFY(rte_pktmbuf_chain(payload, tail) == 0);
	RTE_VERIFY(rte_pktmbuf_chain(head, payload) == 0);
	return head;

fail:
	rte_pktmbuf_free(head);
	rte_errno = -hdr_len;
	return NULL;
}

struct rte_mbuf *
roce_mbuf_build_copy(const struct roce_crc32_ops *crc, struct rte_mempool *pool,
		     const struct roce_tmpl *tmpl, struct roce_pkt *pkt,
		     const struct roce_buf *payload, unsigned int nseg)
{
	uint8_t trailer[ROCE_TRAILER_MAX];
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);
	struct roce_buf copy;
	uint32_t total = 0;
	unsigned int i;
	int len;
	uint8_t *f;

	if (m == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	pool_claim_next(pool, PREFETCH_HDR_LINES);
	for (i = 0; i < nseg; i++)
		total += payload[i].len;
	f = rte_pktmbuf_mtod(m, uint8_t *);
	len = total != pkt->payload_len ? -EINVAL :
	      roce_tmpl_build(tmpl, pkt, f, rte_pktmbuf_tailroom(m));
	if (len >= 0 && pkt->frame_len > rte_pktmbuf_tailroom(m))
		len = -E2BIG;
	if (len < 0)
		goto fail;
	/* The ICRC covers the copy, not the source: memory that changes while
	 * it is read still goes out as a frame the peer accepts. */
	copy = (struct roce_buf){ .data = f + len, .len = total };
	for (f += len, i = 0; i < nseg; f += payload[i].len, i++)
		memcpy(f, payload[i].data, payload[i].len);
	len = roce_tmpl_trailer(crc, tmpl, pkt, &copy, total != 0 ? 1 : 0, trailer);
	if (len < 0)
		goto fail;
	memcpy(f, trailer, len);
	rte_pktmbuf_append(m, pkt->frame_len);
	return m;
fail:
	rte_pktmbuf_free(m);
	rte_errno = -len;
	return NULL;
}
