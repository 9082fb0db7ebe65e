/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor's defaults and rules, in one place: the monitor
 * (failover_create() fills what its caller left 0 with
 * failover_conf_resolve()) and a configuration loader both ask here. Pure:
 * usable without EAL (failover_conf.c).
 */
#ifndef FAILOVER_DEFAULTS_H
#define FAILOVER_DEFAULTS_H

#include <stdbool.h>
#include <stdint.h>

struct failover_conf;

/* The mailbox has one slot per node, for node ids 1 and 2. */
#define FO_NODE_ID_MIN			1
#define FO_NODE_ID_MAX			2

#define FO_DEFAULT_HEARTBEAT_NS		UINT64_C(1000000)	/* 1 ms */
/* Chosen from the soak's trade-off curve (docs/perf.md): detection within
 * about 10 ms, no false takeover in 30 minutes under a CPU hog. */
#define FO_DEFAULT_DOWN_NS		UINT64_C(8000000)	/* 8 ms */
#define FO_DEFAULT_GIVEBACK_DELAY_NS	UINT64_C(2000000000)	/* 2 s */
/* A timeout spans at least this many heartbeats: one late beat is not a
 * death, and the partner turns suspect (after half the timeout) no sooner
 * than one heartbeat. */
#define FO_TIMEOUT_MIN_HEARTBEATS	2

/** Interconnect silent this long: the partner is suspect. Half the timeout. */
static inline uint64_t
failover_default_suspect(uint64_t down)
{
	return down / 2;
}

/** With no carrier on any link: dead after half the timeout, but never
 * sooner than FO_TIMEOUT_MIN_HEARTBEATS heartbeats nor later than the
 * timeout. Any unit, the same for both. */
static inline uint64_t
failover_default_fast(uint64_t down, uint64_t heartbeat)
{
	uint64_t least = FO_TIMEOUT_MIN_HEARTBEATS * heartbeat;
	uint64_t half = down / 2 > least ? down / 2 : least;

	return half < down ? half : down;
}

/** Does @p timeout span FO_TIMEOUT_MIN_HEARTBEATS heartbeats of @p heartbeat
 * (the same unit)? */
static inline bool
failover_timeout_ok(uint64_t heartbeat, uint64_t timeout)
{
	return timeout / FO_TIMEOUT_MIN_HEARTBEATS >= heartbeat;
}

static inline bool
failover_node_id_ok(uint64_t id)
{
	return id >= FO_NODE_ID_MIN && id <= FO_NODE_ID_MAX;
}

/**
 * Fill every timing @p conf leaves 0 with its default (a fast timeout
 * longer than the timeout also takes the default). The one place the
 * monitor's defaults are applied.
 */
void failover_conf_resolve(struct failover_conf *conf);

/**
 * Check a resolved @p conf: node ids FO_NODE_ID_MIN..FO_NODE_ID_MAX and
 * distinct; the timeout and the fast timeout each at least
 * FO_TIMEOUT_MIN_HEARTBEATS heartbeats, the fast one at most the timeout,
 * the suspect time at most the timeout.
 * @return 0, or -EINVAL.
 */
int failover_conf_check(const struct failover_conf *conf);

#endif /* FAILOVER_DEFAULTS_H */
