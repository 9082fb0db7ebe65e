/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The records the HA test peers write: each names the work it belongs to
 * (a node's own, or its partner's taken over) and a number; its length and
 * every byte follow from those, so whoever replays it can check it whole.
 */
#ifndef HA_RECORDS_H
#define HA_RECORDS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define HA_REC_MAX	2048

/* Record @p n of work @p work: 16..2047 bytes. */
static inline uint32_t
ha_rec_len(uint8_t work, uint64_t n)
{
	return 16 + (uint32_t)((n * 2654435761u + work * 40503u) % 2032);
}

static inline void
ha_rec_fill(uint8_t *p, uint8_t work, uint64_t n)
{
	uint32_t i, len = ha_rec_len(work, n);

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(n * 31 + i * 7 + work * 101);
	memcpy(p, &n, sizeof(n));
	p[8] = work;
}

/* The record's work and number, if it is one of ours, whole. */
static inline bool
ha_rec_check(const uint8_t *p, uint32_t len, uint8_t *work, uint64_t *n)
{
	uint8_t want[HA_REC_MAX];

	if (len < 16 || len >= HA_REC_MAX)
		return false;
	memcpy(n, p, sizeof(*n));
	*work = p[8];
	if (len != ha_rec_len(*work, *n))
		return false;
	ha_rec_fill(want, *work, *n);
	return memcmp(p, want, len) == 0;
}

#endif /* HA_RECORDS_H */
