/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Figures and their presentation in perftest's formats, so people who know
 * ib_write_bw and ib_write_lat read them at once. Pure code.
 */
#ifndef PERF_STATS_H
#define PERF_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#define PERF_MB	1048576.0	/* perftest's MB/s are 2^20 bytes per second */

/* The clock every figure is taken with: CLOCK_MONOTONIC, nanoseconds. */
static inline uint64_t
perf_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

struct perf_bw {
	uint64_t size, iters;
	double bw_peak, bw_avg;	/* MB/s */
	double msg_rate;	/* Mpps */
};

/* The distribution's points kept for plots: the sample at each of these
 * permilles (nearest rank), perf_lat_cdf_permille[]. */
#define PERF_LAT_CDF_N	16
extern const uint16_t perf_lat_cdf_permille[PERF_LAT_CDF_N];

struct perf_lat {
	uint64_t size, iters;
	double t_min, t_max, t_typical, t_avg, t_stdev, p99, p999;	/* microseconds */
	double cdf[PERF_LAT_CDF_N];	/* microseconds, at perf_lat_cdf_permille[] */
};

/**
 * Bandwidth of @p iters messages of @p size bytes that took @p elapsed_ns
 * from the first post to the last completion; @p best_window_ns is the
 * shortest time any @p window consecutive messages took (0: no peak).
 */
void perf_bw_compute(struct perf_bw *bw, uint64_t size, uint64_t iters, uint64_t elapsed_ns,
		     uint64_t window, uint64_t best_window_ns);

/**
 * Latency figures from @p n samples in nanoseconds (sorted in place),
 * each multiplied by @p scale (0.5 for half round trips, as perftest
 * reports WRITE and SEND latency). t_typical is the median.
 * @return 0, -EINVAL with no samples.
 */
int perf_lat_compute(struct perf_lat *lat, uint64_t size, uint64_t *ns, uint64_t n, double scale);

/** perftest's table; @p gbits: Gb/s (--report_gbits), else MB/s. */
void perf_bw_header(FILE *f, bool gbits);
void perf_bw_line(FILE *f, const struct perf_bw *bw, bool gbits);
void perf_lat_header(FILE *f);
void perf_lat_line(FILE *f, const struct perf_lat *lat);
/** One JSON object per result; @p verb and @p test ("bw" or "lat") name it. */
void perf_bw_json(FILE *f, const char *verb, const struct perf_bw *bw, bool verified);
void perf_lat_json(FILE *f, const char *verb, const struct perf_lat *lat, bool verified);

#endif /* PERF_STATS_H */
