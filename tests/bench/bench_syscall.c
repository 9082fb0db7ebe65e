/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_syscall: what a poll loop pays to give its core away on this
 * machine: sched_yield(), a bare system call, and a clock read (vDSO), in
 * nanoseconds per call, median of 5 runs. Behind the idle policy of
 * app/perf/idle_backoff.h (docs/perf.md, run E).
 *
 *   bench_syscall [--calls N]
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/syscall.h>

#define RUNS 5

static double
now_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
yield(void)
{
	sched_yield();
}

static void
bare_syscall(void)
{
	syscall(SYS_getppid);
}

static void
clock_read(void)
{
	(void)now_ns();
}

int
main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} cases[] = {
		{ "sched_yield", yield },
		{ "getppid (bare syscall)", bare_syscall },
		{ "clock_gettime (vDSO)", clock_read },
	};
	long calls = 200000;
	unsigned int c, r;
	long i;

	if (argc == 3 && strcmp(argv[1], "--calls") == 0)
		calls = atol(argv[2]);
	if (calls <= 0) {
		fprintf(stderr, "usage: bench_syscall [--calls N]\n");
		return 2;
	}
	for (c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		double ns[RUNS];

		for (r = 0; r < RUNS; r++) {
			double t0 = now_ns();

			for (i = 0; i < calls; i++)
				cases[c].fn();
			ns[r] = (now_ns() - t0) / (double)calls;
		}
		qsort(ns, RUNS, sizeof(ns[0]), cmp_double);
		printf("%-24s %7.0f ns per call (%.0f..%.0f)\n", cases[c].name, ns[RUNS / 2], ns[0],
		       ns[RUNS - 1]);
	}
	return 0;
}
