/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "perf_stats.h"

void
perf_bw_compute(struct perf_bw *bw, uint64_t size, uint64_t iters, uint64_t elapsed_ns,
		uint64_t window, uint64_t best_window_ns)
{
	double secs = elapsed_ns > 0 ? (double)elapsed_ns / 1e9 : 1e-9;

	bw->size = size;
	bw->iters = iters;
	bw->bw_avg = (double)size * (double)iters / secs / PERF_MB;
	bw->msg_rate = (double)iters / secs / 1e6;
	bw->bw_peak = bw->bw_avg;
	if (window > 0 && best_window_ns > 0) {
		double peak = (double)size * (double)window / ((double)best_window_ns / 1e9) / PERF_MB;

		if (peak > bw->bw_peak)
			bw->bw_peak = peak;
	}
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of sorted samples; @p permille 990 is the 99th
 * (integer arithmetic: 99.9 / 100 * 1000 is not 999 in doubles). */
static uint64_t
percentile(const uint64_t *ns, uint64_t n, uint64_t permille)
{
	uint64_t rank = (n * permille + 999) / 1000;

	return ns[rank == 0 ? 0 : rank - 1];
}

const uint16_t perf_lat_cdf_permille[PERF_LAT_CDF_N] = {
	1, 10, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 950, 990, 999, 1000,
};

int
perf_lat_compute(struct perf_lat *lat, uint64_t size, uint64_t *ns, uint64_t n, double scale)
{
	double sum = 0, var = 0, us;
	uint64_t i;

	if (n == 0)
		return -EINVAL;
	qsort(ns, n, sizeof(*ns), cmp_u64);
	for (i = 0; i < n; i++)
		sum += (double)ns[i];
	lat->size = size;
	lat->iters = n;
	lat->t_avg = sum / (double)n * scale / 1000.0;
	for (i = 0; i < n; i++) {
		us = (double)ns[i] * scale / 1000.0 - lat->t_avg;
		var += us * us;
	}
	lat->t_stdev = sqrt(var / (double)n);
	lat->t_min = (double)ns[0] * scale / 1000.0;
	lat->t_max = (double)ns[n - 1] * scale / 1000.0;
	lat->t_typical = (double)ns[n / 2] * scale / 1000.0;
	lat->p99 = (double)percentile(ns, n, 990) * scale / 1000.0;
	lat->p999 = (double)percentile(ns, n, 999) * scale / 1000.0;
	for (i = 0; i < PERF_LAT_CDF_N; i++)
		lat->cdf[i] = (double)percentile(ns, n, perf_lat_cdf_permille[i]) * scale / 1000.0;
	return 0;
}

void
perf_bw_header(FILE *f, bool gbits)
{
	fprintf(f, " #bytes     #iterations    BW peak[%s]    BW average[%s]   MsgRate[Mpps]\n",
		gbits ? "Gb/sec" : "MB/sec", gbits ? "Gb/sec" : "MB/sec");
}

void
perf_bw_line(FILE *f, const struct perf_bw *bw, bool gbits)
{
	/* perftest's --report_gbits: 10^9 bits, where its MB is 2^20 bytes. */
	double k = gbits ? PERF_MB * 8 / 1e9 : 1.0;

	fprintf(f, " %-7lu    %-10lu       %-7.2f            %-7.2f\t\t   %-7.6f\n",
		(unsigned long)bw->size, (unsigned long)bw->iters, bw->bw_peak * k, bw->bw_avg * k,
		bw->msg_rate);
}

void
perf_lat_header(FILE *f)
{
	fprintf(f, " #bytes #iterations    t_min[usec]    t_max[usec]  t_typical[usec]    "
		"t_avg[usec]    t_stdev[usec]   99%% percentile[usec]   99.9%% percentile[usec] \n");
}

void
perf_lat_line(FILE *f, const struct perf_lat *lat)
{
	fprintf(f, " %-7lu %-10lu      %-7.2f        %-7.2f      %-7.2f  \t       %-7.2f     "
		"\t%-7.2f\t\t%-7.2f  \t\t%-7.2f\t\n",
		(unsigned long)lat->size, (unsigned long)lat->iters, lat->t_min, lat->t_max,
		lat->t_typical, lat->t_avg, lat->t_stdev, lat->p99, lat->p999);
}

void
perf_bw_json(FILE *f, const char *verb, const struct perf_bw *bw, bool verified)
{
	fprintf(f, "{\"test\": \"bw\", \"verb\": \"%s\", \"bytes\": %lu, \"iterations\": %lu, "
		"\"bw_peak_mb_s\": %.2f, \"bw_avg_mb_s\": %.2f, \"msg_rate_mpps\": %.6f, "
		"\"verified\": %s}\n",
		verb, (unsigned long)bw->size, (unsigned long)bw->iters, bw->bw_peak, bw->bw_avg,
		bw->msg_rate, verified ? "true" : "false");
}

void
perf_lat_json(FILE *f, const char *verb, const struct perf_lat *lat, bool verified)
{
	unsigned int i;

	fprintf(f, "{\"test\": \"lat\", \"verb\": \"%s\", \"bytes\": %lu, \"iterations\": %lu, "
		"\"t_min_us\": %.2f, \"t_max_us\": %.2f, \"t_typical_us\": %.2f, \"t_avg_us\": %.2f, "
		"\"t_stdev_us\": %.2f, \"p99_us\": %.2f, \"p99_9_us\": %.2f, \"verified\": %s, "
		"\"cdf_us\": {",
		verb, (unsigned long)lat->size, (unsigned long)lat->iters, lat->t_min, lat->t_max,
		lat->t_typical, lat->t_avg, lat->t_stdev, lat->p99, lat->p999,
		verified ? "true" : "false");
	for (i = 0; i < PERF_LAT_CDF_N; i++)
		fprintf(f, "%s\"%.3f\": %.2f", i ? ", " : "", perf_lat_cdf_permille[i] / 1000.0,
			lat->cdf[i]);
	fprintf(f, "}}\n");
}
