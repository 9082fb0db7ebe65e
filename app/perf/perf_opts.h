/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm-perf's command line: its options, their checks and its --help.
 * The options follow perftest's where perftest has them (docs/interop.md).
 */
#ifndef PERF_OPTS_H
#define PERF_OPTS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "perf_run.h"

#define ALL_MAX_LOG2	23	/* --all: 2 B .. 8 MiB, as perftest */
#define ALL_SIZES	ALL_MAX_LOG2

struct opts {
	const char *server_ip;		/* NULL: we are the server */
	bool lat, all, json, stats, gbits, pingpong, duplex;
	const char *capture;
	uint64_t size;
	struct perf_conf conf;
	uint16_t tcp_port;
	uint32_t timeout_ms;
	bool tx_depth_set;
	const char *fault_spec;
};

void perf_usage(FILE *f, const char *prog);

/**
 * Parse ccm-perf's options (after EAL's) into @p o.
 * @return 0, or 2 after printing what is wrong (the exit status of bad usage).
 */
int perf_parse_opts(int argc, char **argv, struct opts *o);

#endif /* PERF_OPTS_H */
