/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM shadow, a CCM client (claims 3, 27 of 000_...): a write log
 * in a file-backed region, mirrored into the partner's memory with RDMA
 * WRITE straight from that region (no copy on the sending side), so that
 * no write acknowledged to a host is lost if this node dies.
 *
 * Threading: everything runs on the shadow's own lcore; the CCM's lcore is
 * reached only through the CCM's client rings.
 */
#ifndef NVRAM_SHADOW_H
#define NVRAM_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "ccm.h"
#include "nvram_log.h"

struct nvram_shadow;

struct nvram_shadow_conf {
	const char *file;		/* our NVRAM: created at @p size if absent */
	const char *shadow_file;	/* the partner's log, mirrored here by it */
	uint64_t size;			/* of both files */
	bool sync;			/* append waits for the partner (protocol C) */
	/* While append or barrier waits: the other roles of this lcore (the
	 * CCM, if it shares the lcore, must keep running). @return work. */
	int (*progress)(void *arg);
	void *progress_arg;
};

/** Open (or create) both files, map them, register the "nvram" client.
 * @return NULL with rte_errno: EINVAL, EIO (files), ENOMEM. */
struct nvram_shadow *nvram_shadow_create(struct ccm *ccm, const struct nvram_shadow_conf *conf);
void nvram_shadow_destroy(struct nvram_shadow *s);

/**
 * Append a record to the local log and queue it for the mirror.
 * In sync mode, returns only once the partner has it, or when the mirror
 * is degraded (partner absent: the record is in local NVRAM only) or
 * @p timeout_ns passes.
 * @return 1 mirrored (acknowledged by the partner), 0 in local NVRAM only
 *   (degraded, or async and not yet acknowledged), -ENOSPC (log full of
 *   records not yet mirrored), -EINVAL.
 */
int nvram_shadow_append(struct nvram_shadow *s, const void *data, uint32_t len, uint64_t *seq,
			uint64_t timeout_ns);

/** Wait until every record appended so far is mirrored. @return 0, -EAGAIN
 * if degraded or the time ran out. */
int nvram_shadow_barrier(struct nvram_shadow *s, uint64_t timeout_ns);

/** Process the CCM's events and send what is queued (the shadow's lcore). */
int nvram_shadow_poll(struct nvram_shadow *s);

/** Highest seq the partner has acknowledged (0: none). */
uint64_t nvram_shadow_acked(const struct nvram_shadow *s);
/** True while mirroring works (session up, resync done). */
bool nvram_shadow_in_sync(const struct nvram_shadow *s);
/** Records appended but not mirrored. */
uint64_t nvram_shadow_unmirrored(const struct nvram_shadow *s);
const struct nvram_log *nvram_shadow_log(const struct nvram_shadow *s);

/** Free log space: records up to @p seq are no longer needed (written to
 * disk by the storage system). Mirrored too. @return 0, -EINVAL. */
int nvram_shadow_checkpoint(struct nvram_shadow *s, uint64_t seq);

/**
 * Takeover: validate the partner's log in our shadow file and hand each
 * record, in order, to @p cb. @return records replayed, or -EBADMSG when
 * the shadow holds no valid log (the partner never mirrored anything).
 */
int nvram_shadow_replay_partner(struct nvram_shadow *s, nvram_replay_cb cb, void *arg);

/** The same walk without taking over (console `nvram verify`): while the
 * partner writes, a snapshot. @return records, or -EBADMSG. */
int nvram_shadow_scan_partner(const struct nvram_shadow *s, nvram_replay_cb cb, void *arg);

#endif /* NVRAM_SHADOW_H */
