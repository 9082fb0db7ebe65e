/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * RoCEv2 Invariant CRC, IBTA Annex A17.3.3 (C17-5..C17-7): CRC-32 (the
 * Ethernet polynomial) over 8 bytes of 0xFF, then the IPv4 header with
 * TOS, TTL and header checksum set to ones, the UDP header with its
 * checksum set to ones, the BTH with byte 4 (FECN, BECN, reserved) set to
 * ones, and the rest of the packet up to the ICRC, pad included. The
 * result is stored least-significant byte first.
 */
#ifndef ROCE_ICRC_H
#define ROCE_ICRC_H

#include <stddef.h>
#include <stdint.h>

/* One contiguous piece of a frame; a frame is an array of them. */
struct roce_buf {
	const void *data;
	uint32_t len;
};

/*
 * A CRC-32 implementation, zlib convention: start from 0, chain with
 * crc = update(crc, buf, len). Chosen once, at start-up.
 */
struct roce_crc32_ops {
	const char *name;
	uint32_t (*update)(uint32_t crc, const void *buf, size_t len);
};

/* ISA-L crc32_gzip_refl: the fast one, used on the data path. */
extern const struct roce_crc32_ops roce_crc32_isal;
/* Byte-at-a-time table, written from the polynomial: the reference. */
extern const struct roce_crc32_ops roce_crc32_table;

/* Bytes of a frame, from the IPv4 header on, that the ICRC masks. */
#define ROCE_ICRC_MASKED_MAX (60 + 8 + 12)

/**
 * ICRC of one RoCEv2 frame held in @p seg[0..nseg).
 *
 * @param l3_off      offset of the IPv4 header in the frame
 * @param ip_hdr_len  IPv4 header length (IHL * 4), 20..60
 * @param icrc_off    offset of the ICRC field: the CRC covers [l3_off, icrc_off)
 * @return the CRC value; store it with roce_icrc_store(). Never reads
 *   past the segments: bytes missing from them are simply not covered,
 *   so the caller checks lengths first (the parser does).
 */
uint32_t roce_icrc_calc(const struct roce_crc32_ops *ops, const struct roce_buf *seg,
			unsigned int nseg, uint32_t l3_off, uint32_t ip_hdr_len,
			uint32_t icrc_off);

static inline void
roce_icrc_store(uint8_t *dst, uint32_t icrc)
{
	dst[0] = icrc & 0xff;
	dst[1] = (icrc >> 8) & 0xff;
	dst[2] = (icrc >> 16) & 0xff;
	dst[3] = icrc >> 24;
}

static inline uint32_t
roce_icrc_load(const uint8_t *src)
{
	return (uint32_t)src[0] | (uint32_t)src[1] << 8 | (uint32_t)src[2] << 16 |
	       (uint32_t)src[3] << 24;
}

#endif /* ROCE_ICRC_H */
