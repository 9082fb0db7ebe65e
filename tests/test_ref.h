/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the pure suites share. Reference code they check ours against,
 * written the slow and obvious way so that no implementation is checked
 * only against itself: CRC-32 bit by bit from the reflected IEEE 802.3
 * polynomial (as zlib and ISA-L's crc32_gzip_refl compute it), little-
 * endian fields byte by byte. And a seeded generator, so that a failure
 * of a randomised test is reproducible.
 */
#ifndef TEST_REF_H
#define TEST_REF_H

#include <stddef.h>
#include <stdint.h>

#include <check.h>

/*
 * ck_assert_msg() without the checkpoint Check writes to its pipe after
 * every passing assertion: some loops assert millions of times.
 */
#define expect(cond, ...) do {							\
	if (!(cond))								\
		ck_abort_msg(__VA_ARGS__);					\
} while (0)

/* splitmix64 */
static inline uint64_t
rng_next(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline uint32_t
rng_below(uint64_t *state, uint32_t n)
{
	return (uint32_t)(rng_next(state) % n);
}

/* Chained: ref_crc32(ref_crc32(0, a, n), b, m) is the CRC of a then b. */
static inline uint32_t
ref_crc32(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	unsigned int k;

	crc = ~crc;
	while (len-- > 0) {
		crc ^= *p++;
		for (k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

static inline void
ref_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void
ref_put32(uint8_t *p, uint32_t v)
{
	ref_put16(p, (uint16_t)v);
	ref_put16(p + 2, (uint16_t)(v >> 16));
}

static inline void
ref_put64(uint8_t *p, uint64_t v)
{
	ref_put32(p, (uint32_t)v);
	ref_put32(p + 4, (uint32_t)(v >> 32));
}

static inline uint16_t
ref_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t
ref_get32(const uint8_t *p)
{
	return ref_get16(p) | (uint32_t)ref_get16(p + 2) << 16;
}

static inline uint64_t
ref_get64(const uint8_t *p)
{
	return ref_get32(p) | (uint64_t)ref_get32(p + 4) << 32;
}

#endif /* TEST_REF_H */
