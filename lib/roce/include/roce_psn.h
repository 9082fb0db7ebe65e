/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Packet Sequence Number arithmetic. PSNs are 24-bit and wrap; two PSNs
 * are compared by their signed distance modulo 2^24, valid while they are
 * less than 2^23 apart (IBTA 9.7.1: the window is half the PSN space).
 */
#ifndef ROCE_PSN_H
#define ROCE_PSN_H

#include <stdbool.h>
#include <stdint.h>

#define ROCE_PSN_MASK	0x00ffffffu
#define ROCE_PSN_HALF	0x00800000u

static inline uint32_t
roce_psn_add(uint32_t psn, uint32_t n)
{
	return (psn + n) & ROCE_PSN_MASK;
}

/* Signed distance a - b in [-2^23, 2^23): exactly half the space apart
 * counts as behind, in both directions (as Linux rxe's psn_compare). */
static inline int32_t
roce_psn_diff(uint32_t a, uint32_t b)
{
	/* Shift the 24-bit difference into the top of an int32 and back. */
	return (int32_t)(((a - b) & ROCE_PSN_MASK) << 8) >> 8;
}

static inline bool roce_psn_lt(uint32_t a, uint32_t b) { return roce_psn_diff(a, b) < 0; }
static inline bool roce_psn_le(uint32_t a, uint32_t b) { return roce_psn_diff(a, b) <= 0; }
static inline bool roce_psn_gt(uint32_t a, uint32_t b) { return roce_psn_diff(a, b) > 0; }
static inline bool roce_psn_ge(uint32_t a, uint32_t b) { return roce_psn_diff(a, b) >= 0; }

#endif /* ROCE_PSN_H */
