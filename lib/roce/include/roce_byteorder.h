/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loads and stores of big- and little-endian integers at any address:
 * wire headers and message codecs are not aligned. One copy each, which
 * the compiler turns into a plain load or store where the CPU allows.
 */
#ifndef ROCE_BYTEORDER_H
#define ROCE_BYTEORDER_H

#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>

/* ---- big-endian ---- */

static inline uint16_t
roce_get_be16(const void *p)
{
	rte_be16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_16(v);
}

static inline void
roce_put_be16(void *p, uint16_t x)
{
	rte_be16_t v = rte_cpu_to_be_16(x);

	memcpy(p, &v, sizeof(v));
}

static inline uint32_t
roce_get_be32(const void *p)
{
	rte_be32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_32(v);
}

static inline void
roce_put_be32(void *p, uint32_t x)
{
	rte_be32_t v = rte_cpu_to_be_32(x);

	memcpy(p, &v, sizeof(v));
}

static inline uint64_t
roce_get_be64(const void *p)
{
	rte_be64_t v;

	memcpy(&v, p, sizeof(v));
	return rte_be_to_cpu_64(v);
}

static inline void
roce_put_be64(void *p, uint64_t x)
{
	rte_be64_t v = rte_cpu_to_be_64(x);

	memcpy(p, &v, sizeof(v));
}

/* ---- little-endian ---- */

static inline uint16_t
roce_get_le16(const void *p)
{
	rte_le16_t v;

	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_16(v);
}

static inline void
roce_put_le16(void *p, uint16_t x)
{
	rte_le16_t v = rte_cpu_to_le_16(x);

	memcpy(p, &v, sizeof(v));
}

static inline uint32_t
roce_get_le32(const void *p)
{
	rte_le32_t v;

	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_32(v);
}

static inline void
roce_put_le32(void *p, uint32_t x)
{
	rte_le32_t v = rte_cpu_to_le_32(x);

	memcpy(p, &v, sizeof(v));
}

static inline uint64_t
roce_get_le64(const void *p)
{
	rte_le64_t v;

	memcpy(&v, p, sizeof(v));
	return rte_le_to_cpu_64(v);
}

static inline void
roce_put_le64(void *p, uint64_t x)
{
	rte_le64_t v = rte_cpu_to_le_64(x);

	memcpy(p, &v, sizeof(v));
}

#endif /* ROCE_BYTEORDER_H */
