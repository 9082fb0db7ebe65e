/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM mirror's decisions (claims 3, 27 of 000_...): which byte ranges
 * of our log go to the partner's shadow and in which order, which of them
 * merge into one WRITE, what each WRITE's completion acknowledges, when the
 * whole log must be sent again (a resync) and when an append may be
 * answered. The mirror's state is a table: state x event -> (next, action).
 *
 * Pure: no I/O, no clock, no EAL. The shadow (nvram_shadow.c) feeds it the
 * CCM's events and the time, and posts the WRITEs it hands out.
 */
#ifndef NVRAM_MIRROR_H
#define NVRAM_MIRROR_H

#include <stdbool.h>
#include <stdint.h>

#include "nvram_log.h"

#define NVRAM_MIRROR_QUEUE	1024		/* ranges waiting to be posted */
#define NVRAM_MIRROR_MERGE_MAX	(256u * 1024)	/* one WRITE at most */
/* WRITEs posted and not yet completed, at most: below the CCM's depth of a
 * client port (256, lib/ccm), which fails work beyond it, and below its
 * event ring (1024), which drops completions beyond it. */
#define NVRAM_MIRROR_IN_FLIGHT	128
/* wr_id of a header's last copy: the header's sequence number with this
 * bit (above any record's sequence). A record's WRITE carries the last
 * record it completes; 0 acknowledges nothing. */
#define NVRAM_MIRROR_WR_HDR	(1ull << 55)

enum nvm_state {
	NVM_S_DEGRADED,		/* no session: records stay in local NVRAM only */
	NVM_S_RESYNC,		/* session up: header and whole live log on their way */
	NVM_S_IN_SYNC,		/* every range is mirrored as the log writes it */
	NVM_S_BEHIND,		/* the queue overflowed: ranges dropped, a resync owed */
	NVM_S_BROKEN,		/* a WRITE failed: nothing acknowledged until the session ends */
	NVM_S_NSTATES,
};

enum nvm_event {
	NVM_E_PARTNER_READY,	/* a session is up (a new one, or the same renegotiated) */
	NVM_E_SESSION_END,	/* our session terminates */
	NVM_E_CAUGHT_UP,	/* the resync's last WRITE completed */
	NVM_E_QUEUE_FULL,	/* a range found no room in the queue */
	NVM_E_WRITE_FAILED,	/* a completion of our session with an error */
	NVM_E_POLL,		/* the shadow's poll: a resync owed starts */
	NVM_E_NEVENTS,
};

enum nvm_action {
	NVM_A_INVALID,
	NVM_A_NONE,
	NVM_A_RESYNC,		/* drop the queue; send the header, then the whole live log */
	NVM_A_DROP,		/* the session is gone: drop the queue, forget what is in flight */
	NVM_A_LOG,		/* a change worth a log line, nothing else */
	NVM_A_NACTIONS,
};

struct nvm_transition {
	uint8_t next;
	uint8_t action;
};

struct nvm_transition nvm_step(enum nvm_state s, enum nvm_event e);
const char *nvm_state_name(enum nvm_state s);
const char *nvm_event_name(enum nvm_event e);
const char *nvm_action_name(enum nvm_action a);

/* One WRITE: the same bytes at the same offset of both regions. */
struct nvram_mirror_write {
	uint32_t off, len;
	uint64_t last_seq;	/* records up to it are in the ranges so far (merging);
				 * UINT64_MAX: a range that never merges */
	uint64_t wr_id;		/* what its completion acknowledges */
};

/* A resync: the header copies, then the live log in WRITEs of at most
 * NVRAM_MIRROR_MERGE_MAX, handed out one by one (a log of any size fits). */
struct nvram_mirror_plan {
	struct nvram_span span[NVRAM_LOG_HDR_COPIES + 2];
	unsigned int n, i;	/* spans; the one being sent */
	uint32_t done;		/* bytes of span i handed out */
	uint64_t hdr_seq;	/* the header it sends */
	uint64_t last_seq;	/* the last record it sends (0: none) */
	uint64_t end;		/* ordinal of its last WRITE once handed out, else 0 */
};

struct nvram_mirror {
	uint8_t state;			/* enum nvm_state */
	uint32_t session;		/* 0: none */
	/* The partner's shadow holds every record up to acked and the header
	 * of sequence acked_hdr. Kept across sessions: the shadow is a file
	 * that outlives the partner's process. */
	uint64_t acked;
	uint64_t acked_hdr;
	/* WRITEs of this session: handed out, and completed (in order per
	 * port, so completion k is the k-th WRITE). */
	uint64_t posted, completed;
	struct nvram_mirror_plan plan;	/* while RESYNC: what is left to send */
	struct nvram_mirror_write q[NVRAM_MIRROR_QUEUE];
	uint32_t qhead, qtail;		/* free-running */
	uint64_t resyncs, overflows, write_errors;
};

/** An empty mirror: DEGRADED, nothing acknowledged. */
void nvram_mirror_init(struct nvram_mirror *m);

/** Feed event @p e: look it up in the table, carry out the action (@p log:
 * the live log a resync sends). @return the action taken. */
enum nvm_action nvram_mirror_event(struct nvram_mirror *m, enum nvm_event e,
				   const struct nvram_log *log);

/** PARTNER_READY of @p session: WRITEs of the session before are forgotten. */
enum nvm_action nvram_mirror_partner_ready(struct nvram_mirror *m, uint32_t session,
					   const struct nvram_log *log);
/** TERMINATING of @p session (another session's is stale: ignored). */
enum nvm_action nvram_mirror_session_end(struct nvram_mirror *m, uint32_t session);

/**
 * A completion. The acknowledgement rule: WRITEs on one port complete in
 * order, so a WRITE's success says the partner has every range sent before
 * it: everything up to the record (or header) it carries. Completions of
 * another session are stale and ignored; a failure acknowledges nothing
 * more until the session ends (a later WRITE's success would skip the hole).
 * @p head_seq: the log's next sequence (no record past it is acknowledged).
 * @return the action taken (NVM_A_NONE if the state stays).
 */
enum nvm_action nvram_mirror_completion(struct nvram_mirror *m, uint32_t session, bool ok,
					uint64_t wr_id, uint64_t head_seq);

/** The log appended record @p seq in @p spans[0..n) (nvram_log_append()):
 * queue them, merging a range into the one before when they touch (group
 * commit). Nothing is queued while no WRITE can be sent or before a resync
 * owed (it sends the whole log). */
void nvram_mirror_record(struct nvram_mirror *m, const struct nvram_span *spans, unsigned int n,
			 uint64_t seq);
/** The log rewrote its header, sequence @p hdr_seq (a checkpoint): queue
 * both copies, each its own WRITE, copy 0 first (nvram_log.h: Header). */
void nvram_mirror_header(struct nvram_mirror *m, uint64_t hdr_seq);

/** The next WRITE to post, if the state sends and the in-flight window has
 * room. @return true with *w set. */
bool nvram_mirror_next(const struct nvram_mirror *m, struct nvram_mirror_write *w);
/** The WRITE nvram_mirror_next() gave was posted. */
void nvram_mirror_posted(struct nvram_mirror *m);

/** The shadow is complete: the partner may replay it (takeover, giveback). */
static inline bool
nvram_mirror_in_sync(const struct nvram_mirror *m)
{
	return m->state == NVM_S_IN_SYNC;
}

/** Is every record this node acknowledged (up to @p host_acked) and still
 * keeps (from @p tail_seq) in the partner's shadow? */
bool nvram_mirror_covers(const struct nvram_mirror *m, uint64_t host_acked, uint64_t tail_seq);
/** Records the log holds that the shadow does not. */
uint64_t nvram_mirror_unmirrored(const struct nvram_mirror *m, const struct nvram_log *log);
/** A full log may free the records the partner holds: the last of them,
 * 0 if none (a storage system checkpoints once they are on disk). */
uint64_t nvram_mirror_reclaimable(const struct nvram_mirror *m, const struct nvram_log *log);

/*
 * An append's ticket: the append returns at once; the caller asks until
 * the ticket is decided. First the mirror: sync waits until the partner
 * has the record, or the mirror is DEGRADED (no session: local NVRAM
 * only), or the deadline; async does not wait. Then the gate (the failover
 * monitor's lease, failover_may_ack()): 1 acknowledges, a negative value
 * (fenced) refuses, 0 waits until the deadline.
 */
enum nvram_ticket_phase {
	NVRAM_TICKET_MIRROR,
	NVRAM_TICKET_GATE,
	NVRAM_TICKET_DONE,
};

struct nvram_ticket {
	uint64_t seq;		/* the record */
	uint64_t deadline_ns;
	uint64_t ack_ns;	/* when it was acknowledged (the gate's time) */
	int rc;			/* -EINPROGRESS until decided */
	uint8_t phase;		/* enum nvram_ticket_phase */
	bool sync;
	bool mirrored;		/* the partner had it when the mirror's part ended */
};

/** A ticket for record @p seq appended at @p now_ns. */
void nvram_ticket_start(struct nvram_ticket *t, uint64_t seq, bool sync, uint64_t now_ns,
			uint64_t timeout_ns);
/** The mirror's part at @p now_ns. @return true once the gate decides. */
bool nvram_ticket_mirror(struct nvram_ticket *t, const struct nvram_mirror *m, uint64_t now_ns);
/**
 * The gate's answer @p gate at @p now_ns (only once nvram_ticket_mirror()
 * said so). @return 1 acknowledged and in the partner's shadow, 0
 * acknowledged from local NVRAM only, -EPERM fenced, -ETIMEDOUT the gate
 * stayed closed (written, in doubt), -EINPROGRESS not yet decided.
 */
int nvram_ticket_gate(struct nvram_ticket *t, int gate, uint64_t now_ns);

#endif /* NVRAM_MIRROR_H */
