/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM mirror's table and rules (nvram_mirror.h).
 *
 * The whole design rests on one fact: WRITEs on one port complete in
 * order. So ranges are sent in the order the log wrote them, and a
 * completion acknowledges every record up to the one its WRITE carries.
 * Two things would break that, and the table keeps both out:
 * - a range never sent while a later one is (the queue full): the state
 *   becomes BEHIND, nothing more is queued, and the next poll resends the
 *   whole live log (RESYNC);
 * - a WRITE that failed while later ones succeed: BROKEN acknowledges
 *   nothing more until the session ends (the CCM ends it on any QP error).
 * In sync means the resync's last WRITE completed: the shadow holds the
 * header and every live record, whatever it held before.
 */
#include <assert.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "nvram_mirror.h"

#define DIM(a)		(sizeof(a) / sizeof((a)[0]))
#define NO_MERGE	UINT64_MAX	/* a range's last_seq: header, resync chunk */

/* Rows give every event a default, then override the ones that matter. */
#ifdef __clang__
#pragma clang diagnostic ignored "-Winitializer-overrides"
#else
#pragma GCC diagnostic ignored "-Woverride-init"
#endif

static_assert(NVM_S_NSTATES <= UINT8_MAX + 1, "a state fits nvm_transition.next");
static_assert(NVM_A_NACTIONS <= UINT8_MAX + 1, "an action fits nvm_transition.action");

#define T(s, a) { .next = NVM_S_ ## s, .action = NVM_A_ ## a }
#define ROW(s, ...) [NVM_S_ ## s] = { [0 ... NVM_E_NEVENTS - 1] = T(s, NONE), __VA_ARGS__ }
/* Whatever the state, a session starting resends everything (the partner
 * may have restarted), and a session ending drops what was queued. */
#define SESSION_EDGES \
	[NVM_E_PARTNER_READY] = T(RESYNC, RESYNC), \
	[NVM_E_SESSION_END] = T(DEGRADED, DROP)

static const struct nvm_transition table[NVM_S_NSTATES][NVM_E_NEVENTS] = {
	/* No session: appends are in local NVRAM only, nothing is queued. */
	ROW(DEGRADED,
	    [NVM_E_PARTNER_READY] = T(RESYNC, RESYNC)),
	/* The header, then the live log, then what was appended meanwhile. */
	ROW(RESYNC,
	    SESSION_EDGES,
	    [NVM_E_CAUGHT_UP] = T(IN_SYNC, LOG),
	    [NVM_E_QUEUE_FULL] = T(BEHIND, LOG),
	    [NVM_E_WRITE_FAILED] = T(BROKEN, LOG)),
	ROW(IN_SYNC,
	    SESSION_EDGES,
	    [NVM_E_QUEUE_FULL] = T(BEHIND, LOG),
	    [NVM_E_WRITE_FAILED] = T(BROKEN, LOG)),
	/* Ranges were dropped: what was queued before still acknowledges
	 * (it is contiguous), then the poll starts the resync. It waits for
	 * the poll because the range was dropped inside an append (a record
	 * may have a second range to queue). */
	ROW(BEHIND,
	    SESSION_EDGES,
	    [NVM_E_POLL] = T(RESYNC, RESYNC),
	    [NVM_E_WRITE_FAILED] = T(BROKEN, LOG)),
	/* Only a new session helps: the CCM ends this one on a QP error. */
	ROW(BROKEN,
	    SESSION_EDGES),
};

static const char *const state_names[NVM_S_NSTATES] = {
	[NVM_S_DEGRADED] = "DEGRADED", [NVM_S_RESYNC] = "RESYNC", [NVM_S_IN_SYNC] = "IN_SYNC",
	[NVM_S_BEHIND] = "BEHIND", [NVM_S_BROKEN] = "BROKEN",
};
static_assert(DIM(state_names) == NVM_S_NSTATES, "a name per state");

static const char *const event_names[NVM_E_NEVENTS] = {
	[NVM_E_PARTNER_READY] = "PARTNER_READY", [NVM_E_SESSION_END] = "SESSION_END",
	[NVM_E_CAUGHT_UP] = "CAUGHT_UP", [NVM_E_QUEUE_FULL] = "QUEUE_FULL",
	[NVM_E_WRITE_FAILED] = "WRITE_FAILED", [NVM_E_POLL] = "POLL",
};
static_assert(DIM(event_names) == NVM_E_NEVENTS, "a name per event");

static const char *const action_names[NVM_A_NACTIONS] = {
	[NVM_A_INVALID] = "INVALID", [NVM_A_NONE] = "NONE", [NVM_A_RESYNC] = "RESYNC",
	[NVM_A_DROP] = "DROP", [NVM_A_LOG] = "LOG",
};
static_assert(DIM(action_names) == NVM_A_NACTIONS, "a name per action");

struct nvm_transition
nvm_step(enum nvm_state s, enum nvm_event e)
{
	if ((unsigned int)s >= NVM_S_NSTATES || (unsigned int)e >= NVM_E_NEVENTS)
		return (struct nvm_transition){ .next = (uint8_t)s, .action = NVM_A_INVALID };
	return table[s][e];
}

const char *
nvm_state_name(enum nvm_state s)
{
	return (unsigned int)s < NVM_S_NSTATES ? state_names[s] : "?";
}

const char *
nvm_event_name(enum nvm_event e)
{
	return (unsigned int)e < NVM_E_NEVENTS ? event_names[e] : "?";
}

const char *
nvm_action_name(enum nvm_action a)
{
	return (unsigned int)a < NVM_A_NACTIONS ? action_names[a] : "?";
}

void
nvram_mirror_init(struct nvram_mirror *m)
{
	memset(m, 0, sizeof(*m));
	m->state = NVM_S_DEGRADED;
}

static void
drop_queue(struct nvram_mirror *m)
{
	m->qtail = m->qhead;
	m->plan.i = m->plan.n = 0;
}

/* The resync plan: both header copies first (a mirror torn after them
 * replays from its tail the records it had, or more: nvram_log.c, Mirror),
 * then the live log from the tail, ring order. The queue is dropped: all
 * it held is in what follows. */
static void
plan_resync(struct nvram_mirror *m, const struct nvram_log *log)
{
	struct nvram_mirror_plan *p = &m->plan;
	int n;

	drop_queue(m);
	memset(p, 0, sizeof(*p));
	nvram_log_hdr_spans(p->span);
	p->n = NVRAM_LOG_HDR_COPIES;
	p->hdr_seq = log->hdr_seq;
	n = nvram_log_spans_from(log, log->tail_seq, p->span + p->n);
	if (n > 0) {
		p->n += (unsigned int)n;
		p->last_seq = log->head_seq - 1;
	}
	m->resyncs++;
}

enum nvm_action
nvram_mirror_event(struct nvram_mirror *m, enum nvm_event e, const struct nvram_log *log)
{
	struct nvm_transition t = nvm_step(m->state, e);

	m->state = t.next;
	switch (t.action) {
	case NVM_A_RESYNC:
		plan_resync(m, log);
		break;
	case NVM_A_DROP:
		drop_queue(m);
		m->session = 0;
		m->posted = m->completed = 0;
		break;
	default:
		break;
	}
	return t.action;
}

enum nvm_action
nvram_mirror_partner_ready(struct nvram_mirror *m, uint32_t session, const struct nvram_log *log)
{
	/* What was in flight belongs to the session before: its completions
	 * carry that session and are ignored. */
	m->session = session;
	m->posted = m->completed = 0;
	return nvram_mirror_event(m, NVM_E_PARTNER_READY, log);
}

enum nvm_action
nvram_mirror_session_end(struct nvram_mirror *m, uint32_t session)
{
	if (session != m->session || m->session == 0)
		return NVM_A_NONE;
	return nvram_mirror_event(m, NVM_E_SESSION_END, NULL);
}

enum nvm_action
nvram_mirror_completion(struct nvram_mirror *m, uint32_t session, bool ok, uint64_t wr_id,
			uint64_t head_seq)
{
	if (session != m->session || m->session == 0 || m->completed == m->posted)
		return NVM_A_NONE;
	m->completed++;
	if (!ok) {
		m->write_errors++;
		return nvram_mirror_event(m, NVM_E_WRITE_FAILED, NULL);
	}
	if (m->state == NVM_S_BROKEN)
		return NVM_A_NONE;
	if (wr_id & NVRAM_MIRROR_WR_HDR) {
		uint64_t hdr = wr_id & ~NVRAM_MIRROR_WR_HDR;

		if (hdr > m->acked_hdr)
			m->acked_hdr = hdr;
	} else if (wr_id > m->acked && wr_id < head_seq) {
		m->acked = wr_id;
	}
	if (m->state == NVM_S_RESYNC && m->plan.end != 0 && m->completed >= m->plan.end)
		return nvram_mirror_event(m, NVM_E_CAUGHT_UP, NULL);
	return NVM_A_NONE;
}

/* Does the state queue ranges? Not without a session, nor before a resync
 * owed or a session's end: those drop the queue anyway. */
static bool
queues(const struct nvram_mirror *m)
{
	return m->state == NVM_S_RESYNC || m->state == NVM_S_IN_SYNC;
}

static void
enqueue(struct nvram_mirror *m, uint32_t off, uint32_t len, uint64_t last_seq, uint64_t wr_id)
{
	struct nvram_mirror_write *prev =
		m->qhead != m->qtail ? &m->q[(m->qhead - 1) % NVRAM_MIRROR_QUEUE] : NULL;

	if (!queues(m))
		return;
	/* Group commit: a range that continues the last one, not yet posted,
	 * joins it; its WRITE then acknowledges both. */
	if (prev != NULL && last_seq != NO_MERGE && prev->last_seq != NO_MERGE &&
	    prev->off + prev->len == off && prev->len + len <= NVRAM_MIRROR_MERGE_MAX) {
		prev->len += len;
		prev->last_seq = last_seq;
		prev->wr_id = wr_id;
		return;
	}
	if (m->qhead - m->qtail == NVRAM_MIRROR_QUEUE) {
		/* A later range must never be sent past a missing one. */
		m->overflows++;
		nvram_mirror_event(m, NVM_E_QUEUE_FULL, NULL);
		return;
	}
	m->q[m->qhead++ % NVRAM_MIRROR_QUEUE] = (struct nvram_mirror_write){
		.off = off, .len = len, .last_seq = last_seq, .wr_id = wr_id };
}

void
nvram_mirror_record(struct nvram_mirror *m, const struct nvram_span *spans, unsigned int n,
		    uint64_t seq)
{
	unsigned int i;

	/* A wrap marker before the record completes only the records before. */
	for (i = 0; i < n; i++) {
		uint64_t last = i == n - 1 ? seq : seq - 1;

		enqueue(m, spans[i].off, spans[i].len, last, last);
	}
}

void
nvram_mirror_header(struct nvram_mirror *m, uint64_t hdr_seq)
{
	struct nvram_span hdr[NVRAM_LOG_HDR_COPIES];
	unsigned int i;

	/* Each copy its own WRITE: one torn on the way spoils that copy only.
	 * The last one's completion says the partner has this header. */
	nvram_log_hdr_spans(hdr);
	for (i = 0; i < NVRAM_LOG_HDR_COPIES; i++)
		enqueue(m, hdr[i].off, hdr[i].len, NO_MERGE,
			i == NVRAM_LOG_HDR_COPIES - 1 ? NVRAM_MIRROR_WR_HDR | hdr_seq : 0);
}

/* The plan's next WRITE: a header copy, or a chunk of the live log. */
static void
plan_next(const struct nvram_mirror_plan *p, struct nvram_mirror_write *w)
{
	const struct nvram_span *sp = &p->span[p->i];
	uint32_t left = sp->len - p->done;
	bool last;

	w->off = sp->off + p->done;
	w->len = left < NVRAM_MIRROR_MERGE_MAX ? left : NVRAM_MIRROR_MERGE_MAX;
	w->last_seq = NO_MERGE;
	last = p->i == p->n - 1 && w->len == left;
	if (p->i == NVRAM_LOG_HDR_COPIES - 1)
		w->wr_id = NVRAM_MIRROR_WR_HDR | p->hdr_seq;
	else if (last && p->last_seq != 0)
		w->wr_id = p->last_seq;
	else
		w->wr_id = 0;
}

static bool
sends(const struct nvram_mirror *m)
{
	return m->state == NVM_S_RESYNC || m->state == NVM_S_IN_SYNC ||
	       m->state == NVM_S_BEHIND;
}

bool
nvram_mirror_next(const struct nvram_mirror *m, struct nvram_mirror_write *w)
{
	if (!sends(m) || m->session == 0 || m->posted - m->completed >= NVRAM_MIRROR_IN_FLIGHT)
		return false;
	if (m->plan.i < m->plan.n) {
		plan_next(&m->plan, w);
		return true;
	}
	if (m->qtail == m->qhead)
		return false;
	*w = m->q[m->qtail % NVRAM_MIRROR_QUEUE];
	return true;
}

void
nvram_mirror_posted(struct nvram_mirror *m)
{
	struct nvram_mirror_plan *p = &m->plan;

	m->posted++;
	if (p->i < p->n) {
		struct nvram_mirror_write w;

		plan_next(p, &w);
		p->done += w.len;
		if (p->done == p->span[p->i].len) {
			p->i++;
			p->done = 0;
		}
		if (p->i == p->n)
			p->end = m->posted;
		return;
	}
	if (m->qtail != m->qhead)
		m->qtail++;
}

bool
nvram_mirror_covers(const struct nvram_mirror *m, uint64_t host_acked, uint64_t tail_seq)
{
	/* Records before the tail are checkpointed: not ours to lose. */
	return host_acked < tail_seq || host_acked <= m->acked;
}

uint64_t
nvram_mirror_unmirrored(const struct nvram_mirror *m, const struct nvram_log *log)
{
	return log->head_seq - 1 > m->acked ? log->head_seq - 1 - m->acked : 0;
}

uint64_t
nvram_mirror_reclaimable(const struct nvram_mirror *m, const struct nvram_log *log)
{
	return log->head_seq > log->tail_seq && m->acked >= log->tail_seq ?
	       (m->acked < log->head_seq ? m->acked : log->head_seq - 1) : 0;
}

void
nvram_ticket_start(struct nvram_ticket *t, uint64_t seq, bool sync, uint64_t now_ns,
		   uint64_t timeout_ns)
{
	*t = (struct nvram_ticket){ .seq = seq, .deadline_ns = now_ns + timeout_ns,
				    .rc = -EINPROGRESS, .phase = NVRAM_TICKET_MIRROR,
				    .sync = sync };
}

bool
nvram_ticket_mirror(struct nvram_ticket *t, const struct nvram_mirror *m, uint64_t now_ns)
{
	if (t->phase != NVRAM_TICKET_MIRROR)
		return t->phase == NVRAM_TICKET_GATE;
	/* Protocol C: answer only once the partner holds it too; without a
	 * session it will not soon: local NVRAM only. */
	if (t->sync && m->acked < t->seq && m->state != NVM_S_DEGRADED && now_ns < t->deadline_ns)
		return false;
	t->mirrored = m->acked >= t->seq;
	t->phase = NVRAM_TICKET_GATE;
	return true;
}

int
nvram_ticket_gate(struct nvram_ticket *t, int gate, uint64_t now_ns)
{
	if (t->phase != NVRAM_TICKET_GATE)
		return t->rc;
	/* Acknowledged only under the lease (or holding the partner's work):
	 * a node that paused past it learns first whether it was taken over.
	 * The gate is asked at least once, even past the deadline. */
	if (gate > 0) {
		t->ack_ns = now_ns;
		t->rc = t->mirrored ? 1 : 0;
	} else if (gate < 0) {
		t->rc = gate;
	} else if (now_ns >= t->deadline_ns) {
		t->rc = -ETIMEDOUT;
	} else {
		return -EINPROGRESS;
	}
	t->phase = NVRAM_TICKET_DONE;
	return t->rc;
}
