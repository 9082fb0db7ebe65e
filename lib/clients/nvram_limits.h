/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the NVRAM shadow accepts as the size of its two files, for a
 * configuration loader to ask without EAL; nvram_shadow_create() asks the
 * same. Pure.
 */
#ifndef NVRAM_LIMITS_H
#define NVRAM_LIMITS_H

#include <stdbool.h>
#include <stdint.h>

#include "nvram_log.h"

/* Both files are mapped whole pages: their size is a multiple of 4 KiB. */
#define NVRAM_SIZE_ALIGN	4096

static inline bool
nvram_size_ok(uint64_t size)
{
	return size >= NVRAM_LOG_MIN && size % NVRAM_SIZE_ALIGN == 0;
}

#endif /* NVRAM_LIMITS_H */
