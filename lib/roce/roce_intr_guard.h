/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Bursts on ports whose driver disconnects on EAL's interrupt thread
 * (net_memif) never overlap that thread's callbacks (roce_intr_guard.c).
 */
#ifndef ROCE_INTR_GUARD_H
#define ROCE_INTR_GUARD_H

#include <stdbool.h>
#include <stdint.h>

/** Before a burst (any lcore): false while the interrupt thread runs
 * callbacks; then skip the burst. true: call roce_intr_guard_exit() after. */
bool roce_intr_guard_enter(void);
/** The same, waiting for the round to end (port stop and close). */
void roce_intr_guard_enter_wait(void);
void roce_intr_guard_exit(void);
/** Rounds of interrupt callbacks seen so far. */
uint64_t roce_intr_guard_rounds(void);

#endif /* ROCE_INTR_GUARD_H */
