/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdbool.h>
#include <string.h>

#include <isa-l/crc.h>

#include "roce_icrc.h"
#include "roce_wire.h"

/* ---- CRC-32 implementations ------------------------------------------- */

/* ISA-L picks its AVX-512 kernel at run time and leaves the upper halves
 * of the vector registers dirty: SSE code after it (a PMD's copy, DPDK's
 * own CRC) then pays a state transition per instruction block (docs/perf.md,
 * ICRC finding 4). vzeroupper is cheap, but faults on a CPU without AVX. */
static bool cpu_has_avx;

static void __attribute__((constructor))
icrc_cpu_probe(void)
{
#if defined(__x86_64__)
	cpu_has_avx = __builtin_cpu_supports("avx");
#endif
}

static uint32_t
crc32_isal_update(uint32_t crc, const void *buf, size_t len)
{
	crc = crc32_gzip_refl(crc, buf, len);
#if defined(__x86_64__)
	if (cpu_has_avx)
		__asm__ volatile("vzeroupper" ::: "memory");
#endif
	return crc;
}

const struct roce_crc32_ops roce_crc32_isal = {
	.name = "isa-l",
	.update = crc32_isal_update,
};

/* Reflected polynomial of CRC-32 (IEEE 802.3), x^32 + x^26 + ... + 1. */
#define CRC32_POLY_REFLECTED 0xedb88320u

/* Built at compile time from the polynomial so the reference owes nothing
 * to any library it is used to check. */
#define T1(c)  (((c) & 1) ? ((c) >> 1) ^ CRC32_POLY_REFLECTED : (c) >> 1)
#define T8(c)  T1(T1(T1(T1(T1(T1(T1(T1((uint32_t)(c)))))))))
#define R4(i)  T8(i), T8((i) + 1), T8((i) + 2), T8((i) + 3)
#define R16(i) R4(i), R4((i) + 4), R4((i) + 8), R4((i) + 12)
#define R64(i) R16(i), R16((i) + 16), R16((i) + 32), R16((i) + 48)
static const uint32_t crc32_table[256] = {
	R64(0), R64(64), R64(128), R64(192),
};

static uint32_t
crc32_table_update(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	crc = ~crc;
	while (len-- > 0)
		crc = crc32_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

const struct roce_crc32_ops roce_crc32_table = {
	.name = "table",
	.update = crc32_table_update,
};

/* ---- ICRC ------------------------------------------------------------- */

/* Offsets of the masked fields, from the start of each header. */
#define IPV4_TOS_OFF	1
#define IPV4_TTL_OFF	8
#define IPV4_CSUM_OFF	10
#define UDP_CSUM_OFF	6
#define BTH_FB_OFF	4
#define ICRC_PREFIX	8	/* bytes of 0xFF standing for the LRH (A17.3.3) */
#define ICRC_GATHER_MORE 64	/* bytes after the masked headers taken into one call */

/* Set the variant fields of the gathered IPv4 + UDP + BTH headers to ones. */
static void
icrc_mask(uint8_t *h, uint32_t len, uint32_t ip_hdr_len)
{
	static const uint32_t ip_off[] = { IPV4_TOS_OFF, IPV4_TTL_OFF, IPV4_CSUM_OFF,
					   IPV4_CSUM_OFF + 1 };
	const uint32_t l4_off[] = { ip_hdr_len + UDP_CSUM_OFF, ip_hdr_len + UDP_CSUM_OFF + 1,
				    ip_hdr_len + 8 + BTH_FB_OFF };
	unsigned int i;

	for (i = 0; i < RTE_DIM(ip_off); i++)
		if (ip_off[i] < len)
			h[ip_off[i]] = 0xff;
	for (i = 0; i < RTE_DIM(l4_off); i++)
		if (l4_off[i] < len)
			h[l4_off[i]] = 0xff;
}

uint32_t
roce_icrc_calc(const struct roce_crc32_ops *ops, const struct roce_buf *seg,
	       unsigned int nseg, uint32_t l3_off, uint32_t ip_hdr_len, uint32_t icrc_off)
{
	/* The 0xFF prefix and the masked headers, CRCed in one call: each
	 * call costs ~15 ns, a third of a small frame's time. What follows
	 * them in the same segment joins them when short (the extension
	 * headers of a header mbuf, a small payload). */
	uint8_t buf[ICRC_PREFIX + ROCE_ICRC_MASKED_MAX + ICRC_GATHER_MORE];
	uint8_t *masked = buf + ICRC_PREFIX;
	uint32_t masked_len = ip_hdr_len + 8 + sizeof(struct roce_bth);
	uint32_t pos = 0, got = 0;	/* frame offset of seg[i]; bytes in masked[] */
	uint32_t crc;
	unsigned int i;

	if (masked_len > ROCE_ICRC_MASKED_MAX)
		masked_len = ROCE_ICRC_MASKED_MAX;
	if (icrc_off < l3_off + masked_len)
		masked_len = icrc_off > l3_off ? icrc_off - l3_off : 0;

	memset(buf, 0xff, ICRC_PREFIX);
	if (nseg > 0 && seg[0].len >= icrc_off && masked_len != 0) {
		/* Everything covered in the first segment (small frames, header
		 * mbufs that hold the frame): no walk over the pieces. */
		const uint8_t *p = (const uint8_t *)seg[0].data + l3_off;
		uint32_t n = icrc_off - l3_off;
		uint32_t take = RTE_MIN(n, masked_len + ICRC_GATHER_MORE);

		memcpy(masked, p, take);
		icrc_mask(masked, masked_len, ip_hdr_len);
		crc = ops->update(0, buf, ICRC_PREFIX + take);
		return n > take ? ops->update(crc, p + take, n - take) : crc;
	}
	crc = 0;
	for (i = 0; i < nseg; pos += seg[i].len, i++) {
		const uint8_t *p = seg[i].data;
		uint32_t start = pos, end = pos + seg[i].len;

		if (end <= l3_off || seg[i].len == 0)
			continue;
		if (start >= icrc_off)
			break;
		start = RTE_MAX(start, l3_off);
		end = RTE_MIN(end, icrc_off);

		/* The masked headers may straddle segments: gather them first. */
		if (got < masked_len) {
			uint32_t n = RTE_MIN(masked_len - got, end - start);

			memcpy(masked + got, p + (start - pos), n);
			got += n;
			start += n;
			if (got == masked_len) {
				uint32_t more = end - start;

				icrc_mask(masked, got, ip_hdr_len);
				if (more > ICRC_GATHER_MORE)
					more = 0;
				memcpy(masked + got, p + (start - pos), more);
				start += more;
				crc = ops->update(crc, buf, ICRC_PREFIX + got + more);
			}
		}
		if (start < end)
			crc = ops->update(crc, p + (start - pos), end - start);
	}
	if (got < masked_len) {	/* the segments ended inside the headers */
		icrc_mask(masked, got, ip_hdr_len);
		crc = ops->update(crc, buf, ICRC_PREFIX + got);
	}
	return crc;
}
