/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Device counters: every drop and every protocol event, by name. Readable
 * from any thread (plain 64-bit loads; values may be a poll behind), and
 * through DPDK telemetry as /roce/stats and /roce/qps.
 */
#ifndef ROCE_STATS_H
#define ROCE_STATS_H

#include <stdint.h>

struct roce_dev;

struct roce_stats_entry {
	const char *name;
	uint64_t value;
};

/**
 * Copy up to @p n counters (transport counters, then the parser's one per
 * rejection reason) into @p out.
 * @return the number of counters there are (may exceed @p n).
 */
int roce_stats_read(const struct roce_dev *dev, struct roce_stats_entry *out, unsigned int n);

/** One counter by name ("req_retransmits", "rx_bad_icrc"); UINT64_MAX if unknown. */
uint64_t roce_stats_get(const struct roce_dev *dev, const char *name);

/** Zero every counter (owning lcore only). */
void roce_stats_reset(struct roce_dev *dev);

#endif /* ROCE_STATS_H */
