/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What fault injection (roce_fault.h) does to one direction of a port, and
 * its text form, "drop=0.05,dup=0.01,seed=7": pure code in the wire
 * library, so a configuration loader or an option parser checks a spec
 * without EAL and without linking the transport.
 */
#ifndef ROCE_FAULT_SPEC_H
#define ROCE_FAULT_SPEC_H

#include <stddef.h>
#include <stdint.h>

struct roce_fault_conf {
	double drop;		/* probability per frame, 0..1 */
	double dup;		/* frame sent twice */
	double reorder;		/* frame held back and sent after the next one */
	double corrupt;		/* one random bit of the frame inverted */
	double delay;		/* frame held for delay_ns */
	uint64_t delay_ns;
	uint64_t seed;		/* 0: a fixed default seed */
};

/**
 * Parse "drop=0.05,dup=0.01,reorder=0.01,corrupt=0.01,delay=0.01,
 * delay_us=200,seed=7" (any subset, any order; rates 0..1; also "off").
 * @return 0, or -EINVAL naming nothing: the caller reports the spec.
 */
int roce_fault_parse(const char *spec, struct roce_fault_conf *conf);

/**
 * Format @p conf back as a spec string (delay_ns in whole microseconds).
 * @return snprintf's count.
 */
int roce_fault_format(const struct roce_fault_conf *conf, char *buf, size_t len);

#endif /* ROCE_FAULT_SPEC_H */
