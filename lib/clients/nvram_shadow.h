/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM shadow, a CCM client (claims 3, 27 of 000_...): a write log
 * in a file-backed region, mirrored into the partner's memory with RDMA
 * WRITE straight from that region (no copy on the sending side), so that
 * no write acknowledged to a host is lost if this node dies.
 *
 * The decisions (what is sent, merged, acknowledged, resent; when an
 * append is answered) are nvram_mirror.c's; this is the glue: the files,
 * the CCM's client port, posting what the mirror hands out.
 *
 * Threading: everything runs on the shadow's own lcore; the CCM's lcore is
 * reached only through the CCM's client rings. The shadow never reads the
 * clock and never waits: its callers give the time and do the waiting.
 */
#ifndef NVRAM_SHADOW_H
#define NVRAM_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

#include "ccm.h"
#include "nvram_log.h"
#include "nvram_mirror.h"

struct nvram_shadow;

struct nvram_shadow_conf {
	const char *file;		/* our NVRAM: created at @p size if absent */
	const char *shadow_file;	/* the partner's log, mirrored here by it */
	uint64_t size;			/* of both files */
	bool sync;			/* a ticket waits for the partner (protocol C) */
	/* May this node acknowledge a write now (the failover monitor's lease,
	 * failover_may_ack())? 1 yes, 0 not yet, -EPERM fenced. NULL: yes.
	 * Asked on the shadow's lcore with the time its caller gave. */
	int (*gate)(void *arg, uint64_t now_ns);
	void *gate_arg;
};

/** Open (or create) both files, map them, register the "nvram" client.
 * @return NULL with rte_errno: EINVAL, EIO (files), ENOMEM. */
struct nvram_shadow *nvram_shadow_create(struct ccm *ccm, const struct nvram_shadow_conf *conf);
void nvram_shadow_destroy(struct nvram_shadow *s);

/**
 * Append a record to the local log and queue it for the mirror; returns at
 * once with a ticket (t->seq is the record's sequence). The caller then
 * polls (nvram_shadow_poll(), and whatever else its lcore runs) and asks
 * nvram_shadow_ticket() until it is decided, within @p timeout_ns of
 * @p now_ns.
 * @return 0; -EPERM fenced (nothing written); -ENOSPC (log full of records
 *   not yet mirrored); -EINVAL.
 */
int nvram_shadow_append(struct nvram_shadow *s, const void *data, uint32_t len, uint64_t now_ns,
			uint64_t timeout_ns, struct nvram_ticket *t);

/**
 * Is the append of @p t answered at @p now_ns? Sync waits until the partner
 * has the record, or the mirror is degraded (no session: the record is in
 * local NVRAM only), or the time ran out; then the record is acknowledged
 * only if the gate allows it (waited for within the same time): a fenced
 * node acknowledges nothing. t->ack_ns is when it was acknowledged.
 * @return 1 acknowledged and mirrored (the partner has it), 0 acknowledged
 *   from local NVRAM only (degraded, or async and not yet mirrored),
 *   -EPERM fenced, -ETIMEDOUT not acknowledged (the gate stayed closed:
 *   written, in doubt), -EINPROGRESS not decided yet.
 */
int nvram_shadow_ticket(struct nvram_shadow *s, struct nvram_ticket *t, uint64_t now_ns);

/** Is every record appended so far mirrored? @return 0 yes, -EINPROGRESS
 * not yet, -EAGAIN degraded (no session: it will not be soon). */
int nvram_shadow_barrier(const struct nvram_shadow *s);

/** Process the CCM's events and send what is queued (the shadow's lcore).
 * @return work done (0: idle). */
int nvram_shadow_poll(struct nvram_shadow *s);

/* The shadow's state, taken on its lcore (console, tests). */
struct nvram_shadow_status {
	enum nvm_state state;
	uint32_t session;		/* 0: none */
	uint64_t acked;			/* the partner has every record up to it */
	uint64_t unmirrored;		/* records the log holds and the partner not */
	uint64_t tail_seq, head_seq;	/* live records: tail_seq..head_seq - 1 */
	uint64_t live_bytes;
	uint64_t in_flight;		/* WRITEs posted, not completed */
	uint64_t resyncs, overflows, write_errors;
};

/** Fill @p st (the shadow's lcore only: other threads use the published
 * values below, or take this through the shadow's lcore). */
void nvram_shadow_status(const struct nvram_shadow *s, struct nvram_shadow_status *st);

/* Published by the shadow's lcore at each poll, append and answer: read on
 * any lcore or thread (failover monitor, statistics, telemetry). */
/** Highest seq the partner has acknowledged (0: none). */
uint64_t nvram_shadow_acked(const struct nvram_shadow *s);
/** Records appended but not mirrored. */
uint64_t nvram_shadow_unmirrored(const struct nvram_shadow *s);
/** True while mirroring works (session up, resync done). */
bool nvram_shadow_in_sync(const struct nvram_shadow *s);
/** Is every record this node acknowledged, and still keeps, in the
 * partner's shadow? A partner takes over only then. */
bool nvram_shadow_mirrored(const struct nvram_shadow *s);
/** Has the last discard reached the partner's shadow? */
bool nvram_shadow_discarded(const struct nvram_shadow *s);

/** We were taken over: the partner replayed our records. Forget them all
 * (a checkpoint of every record, mirrored), so that none is ever replayed
 * again; appends wait for the gate. @return 0. */
int nvram_shadow_discard(struct nvram_shadow *s);

/** The partner's log as mirrored here (read-only; the power-cut tests
 * sample it). */
const void *nvram_shadow_partner_mem(const struct nvram_shadow *s);
/** Our log (the shadow's lcore). */
const struct nvram_log *nvram_shadow_log(const struct nvram_shadow *s);

/** Free log space: records up to @p seq are no longer needed (written to
 * disk by the storage system). Mirrored too. @return 0, -EINVAL. */
int nvram_shadow_checkpoint(struct nvram_shadow *s, uint64_t seq);

/**
 * Takeover: validate the partner's log in our shadow file and hand each
 * record, in order, to @p cb. A record replayed before (same log, this
 * process) is not handed again. @return records replayed, or -EBADMSG when
 * the shadow holds no valid log (the partner never mirrored anything).
 */
int nvram_shadow_replay_partner(struct nvram_shadow *s, nvram_replay_cb cb, void *arg);

/** The same walk without taking over (console `nvram verify`): while the
 * partner writes, a snapshot. @return records, or -EBADMSG. */
int nvram_shadow_scan_partner(const struct nvram_shadow *s, nvram_replay_cb cb, void *arg);

#endif /* NVRAM_SHADOW_H */
