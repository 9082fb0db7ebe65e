/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's defaults and limits, and a pure check of a struct ccm_conf
 * (ccm_conf.c): usable without EAL, so a configuration loader asks the
 * CCM instead of copying its numbers. ccm_conf_defaults() (ccm.h) fills
 * a struct ccm_conf from these.
 */
#ifndef CCM_DEFAULTS_H
#define CCM_DEFAULTS_H

#include <stdbool.h>
#include <stdint.h>

#include <infiniband/verbs.h>

#include "ccm_proto.h"
#include "roce_limits.h"

struct ccm_conf;

/* The boot QP, key and region, fixed in advance and the same on both nodes
 * (claims 2, 14-15 of 003_): suggested values; the CCM has no default. */
#define CCM_DEFAULT_BOOT_QPN		8
#define CCM_DEFAULT_BOOT_RKEY		0x7700
#define CCM_DEFAULT_BOOT_ADDR		UINT64_C(0x10000000)
/* The CCM creates its device with the transport's default QPN table. */
#define CCM_BOOT_QPN_MIN		ROCE_QPN_MIN
#define CCM_BOOT_QPN_MAX		(ROCE_DEFAULT_MAX_QP - 1)
#define CCM_BOOT_RKEY_MIN		ROCE_KEY_MIN
#define CCM_BOOT_RKEY_MAX		ROCE_KEY_MAX
/* The region must end below 2^64. */
#define CCM_BOOT_ADDR_MAX		(UINT64_MAX - sizeof(struct ccm_boot_region) + 1)

/* Transport: path MTU IBV_MTU_1024; the ACK timeout 4.096 us * 2^12 = 16.8 ms,
 * never 0 ("infinite" in IBTA: a dead link would never be noticed). */
#define CCM_DEFAULT_MTU			IBV_MTU_1024
#define CCM_DEFAULT_ACK_TIMEOUT		12
#define CCM_ACK_TIMEOUT_MIN		1
#define CCM_ACK_TIMEOUT_MAX		ROCE_ACK_TIMEOUT_MAX
#define CCM_DEFAULT_RETRY_CNT		3
#define CCM_RETRY_CNT_MAX		ROCE_RETRY_CNT_MAX

/* Timings, nanoseconds. */
#define CCM_DEFAULT_KEEPALIVE_NS	UINT64_C(1000000)	/* 1 ms */
#define CCM_DEFAULT_LINK_TIMEOUT_NS	UINT64_C(5000000)	/* 5 keepalives */
#define CCM_DEFAULT_PROBE_MIN_NS	UINT64_C(10000000)	/* 10 ms */
#define CCM_DEFAULT_PROBE_MAX_NS	UINT64_C(1000000000)	/* 1 s */
#define CCM_DEFAULT_SESSION_CHECK_NS	UINT64_C(100000000)	/* 100 ms */
#define CCM_DEFAULT_STEP_TIMEOUT_NS	UINT64_C(2000000000)	/* 2 s */
#define CCM_DEFAULT_TERMINATE_TIMEOUT_NS UINT64_C(1000000000)	/* 1 s */
/* One lost keepalive must not take a link down. */
#define CCM_LINK_TIMEOUT_MIN_KEEPALIVES	2

/** Does a link timeout of @p link_timeout outlast CCM_LINK_TIMEOUT_MIN_KEEPALIVES
 * keepalive intervals of @p keepalive (both in the same unit)? */
static inline bool
ccm_link_timeout_ok(uint64_t keepalive, uint64_t link_timeout)
{
	return link_timeout / CCM_LINK_TIMEOUT_MIN_KEEPALIVES >= keepalive;
}

/**
 * Check @p conf as ccm_create() would take it, without EAL: a name, 1 to
 * CCM_MAX_LINKS links, distinct node ids, the boot QPN, key and address in
 * the ranges above, a valid path MTU, ACK timeout and retry count, the
 * link timeout against the keepalive, a protocol version range.
 * @return 0, or -EINVAL.
 */
int ccm_conf_check(const struct ccm_conf *conf);

#endif /* CCM_DEFAULTS_H */
