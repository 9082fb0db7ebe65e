/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault injection on one direction of a port: drop, duplicate, reorder,
 * corrupt and delay frames with configured probabilities from a seeded
 * generator, so a run is repeatable. Off unless configured. Used by tests,
 * ccm-perf --fault and the console's `set fault`.
 *
 * Frames the sender transmits may reference its registered memory
 * (zero-copy): corruption and duplication work on copies, never on that
 * memory.
 */
#ifndef ROCE_FAULT_H
#define ROCE_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "roce_fault_spec.h"

struct rte_mbuf;
struct rte_mempool;

enum roce_fault_dir {
	ROCE_FAULT_RX,
	ROCE_FAULT_TX,
	ROCE_FAULT_NDIR,
};

enum roce_fault_counter {
	ROCE_FAULT_SEEN,
	ROCE_FAULT_DROPPED,
	ROCE_FAULT_DUPLICATED,
	ROCE_FAULT_REORDERED,
	ROCE_FAULT_CORRUPTED,
	ROCE_FAULT_DELAYED,
	ROCE_FAULT_NO_MBUF,	/* a copy could not be made: the fault was skipped */
	ROCE_FAULT_NCOUNTERS,
};

/* "dropped", ... */
extern const char *const roce_fault_counter_names[ROCE_FAULT_NCOUNTERS];

#define ROCE_FAULT_MAX_HELD 256	/* delayed or reordered frames held at once */
/* A frame held for reorder goes out after this long even if no frame follows. */
#define ROCE_FAULT_REORDER_MAX_NS 1000000

struct roce_fault {
	struct roce_fault_conf conf;
	bool active;
	uint64_t rng[2];			/* xorshift128+ state */
	struct rte_mempool *copy_pool;
	struct rte_mbuf *reorder_held;		/* waits for the next frame */
	uint64_t reorder_held_ns;		/* when it was held */
	struct {
		struct rte_mbuf *m;
		uint64_t release_ns;
	} delayed[ROCE_FAULT_MAX_HELD];		/* FIFO: all share one delay */
	uint32_t delayed_head, delayed_count;
	uint64_t count[ROCE_FAULT_NCOUNTERS];
};

/**
 * Set up (or reconfigure) @p f, which must be zeroed before its first
 * call. Frames already held are kept and released as before; counters
 * keep counting. @p copy_pool provides copies for corruption and
 * duplication.
 * @return 0, -EINVAL if a rate is outside 0..1 or copy_pool is NULL while
 *   dup or corrupt is set.
 */
int roce_fault_init(struct roce_fault *f, const struct roce_fault_conf *conf,
		    struct rte_mempool *copy_pool);

/**
 * Apply faults to @p pkts[0..n) in place and append frames whose delay
 * has passed. Dropped frames are freed; held frames stay inside @p f.
 * @param cap  room in @p pkts (>= n)
 * @return the number of frames now in @p pkts to pass on (<= cap); frames
 *   that did not fit stay held for the next call.
 */
uint16_t roce_fault_apply(struct roce_fault *f, struct rte_mbuf **pkts, uint16_t n, uint16_t cap,
			  uint64_t now_ns);

/** Free every held frame. */
void roce_fault_flush(struct roce_fault *f);

#endif /* ROCE_FAULT_H */
