/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport's limits that a configuration must respect before any
 * device exists: QP numbers, memory keys, path attributes. Pure constants,
 * usable without EAL (a configuration loader checks against them). The
 * transport itself takes them from here (roce_dev.c, roce_qp.c).
 */
#ifndef ROCE_LIMITS_H
#define ROCE_LIMITS_H

/* QPNs 0 and 1 are IBTA's special QPs (SMI, GSI): never an RC QP's number. */
#define ROCE_QPN_MIN		2
/* The QPN table of a device created with roce_dev_conf.max_qp = 0. */
#define ROCE_DEFAULT_MAX_QP	1024
/* Memory regions per device: a key is (index << 8 | tag), index 1 .. ROCE_MAX_MR - 1
 * (index 0 is never used, so that key 0 is never valid). */
#define ROCE_MAX_MR		4096
#define ROCE_KEY_INDEX_SHIFT	8
#define ROCE_KEY_MIN		(1u << ROCE_KEY_INDEX_SHIFT)
#define ROCE_KEY_MAX		((ROCE_MAX_MR << ROCE_KEY_INDEX_SHIFT) - 1)

/* IBTA's QP attributes: Local ACK Timeout is 5 bits (4.096 us * 2^n; 0 is
 * "infinite"), Retry Count 3 bits. */
#define ROCE_ACK_TIMEOUT_MAX	31
#define ROCE_RETRY_CNT_MAX	7
/* READs and atomics outstanding at once, either way (max_rd_atomic,
 * max_dest_rd_atomic): as many as rxe and most RNICs announce. */
#define ROCE_MAX_RD_ATOMIC	128

#endif /* ROCE_LIMITS_H */
