/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM mirror's decisions (lib/clients/nvram_mirror.c), without EAL:
 * the table's rules over every (state, event); merging (group commit) and
 * what never merges; the acknowledgement rule (in order, stale sessions,
 * a failure stops it, nothing past the head); the in-flight window; the
 * queue's overflow; the resync plan, replayed from a shadow built only
 * from the WRITEs it handed out; the ticket's answers against the time.
 *
 * A fixture stands in for the CCM: a FIFO of posted WRITEs that complete in
 * order, each copying its bytes from the log's region to a shadow region
 * when it completes (RDMA WRITE semantics on one port).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>

#include "nvram_log.h"
#include "nvram_mirror.h"

#define DIM(a)		(sizeof(a) / sizeof((a)[0]))
#define FIFO		(NVRAM_MIRROR_IN_FLIGHT * 2)
#define SESSION		7

struct fx {
	uint8_t *base, *shadow;
	size_t size;
	struct nvram_log log;
	struct nvram_mirror m;
	struct nvram_mirror_write fifo[FIFO];
	uint32_t fhead, ftail;
};

static struct fx *
fx_new(size_t size)
{
	struct fx *f = calloc(1, sizeof(*f));

	ck_assert_ptr_nonnull(f);
	f->size = size;
	f->base = calloc(1, size);
	f->shadow = calloc(1, size);
	ck_assert_ptr_nonnull(f->base);
	ck_assert_ptr_nonnull(f->shadow);
	ck_assert_int_eq(nvram_log_format(f->base, size, 0x5eed), 0);
	ck_assert_int_eq(nvram_log_open(&f->log, f->base, size), 0);
	nvram_mirror_init(&f->m);
	return f;
}

static void
fx_free(struct fx *f)
{
	free(f->base);
	free(f->shadow);
	free(f);
}

/* A record of @p len bytes; queued for the mirror like the shadow does. */
static uint64_t
fx_append(struct fx *f, uint32_t len)
{
	static uint8_t buf[1 << 22];
	struct nvram_span sp[2];
	unsigned int n;
	uint64_t seq;

	memset(buf, (int)(f->log.head_seq & 0xff), len);
	ck_assert_int_eq(nvram_log_append(&f->log, buf, len, &seq, sp, &n), 0);
	nvram_mirror_record(&f->m, sp, n, seq);
	return seq;
}

/* Post one WRITE the mirror hands out. @return false if none. */
static bool
fx_post(struct fx *f)
{
	struct nvram_mirror_write w;

	if (!nvram_mirror_next(&f->m, &w))
		return false;
	ck_assert_uint_lt(f->fhead - f->ftail, FIFO);
	ck_assert_uint_le((uint64_t)w.off + w.len, f->size);
	ck_assert_uint_le(w.len, NVRAM_MIRROR_MERGE_MAX);
	f->fifo[f->fhead++ % FIFO] = w;
	nvram_mirror_posted(&f->m);
	return true;
}

static unsigned int
fx_post_all(struct fx *f)
{
	unsigned int n = 0;

	while (fx_post(f))
		n++;
	return n;
}

/* The oldest WRITE lands (or fails) and completes. */
static enum nvm_action
fx_complete(struct fx *f, bool ok)
{
	struct nvram_mirror_write *w;

	ck_assert_uint_gt(f->fhead, f->ftail);
	w = &f->fifo[f->ftail++ % FIFO];
	if (ok)
		memcpy(f->shadow + w->off, f->base + w->off, w->len);
	return nvram_mirror_completion(&f->m, SESSION, ok, w->wr_id, f->log.head_seq);
}

/* Post and complete until nothing is left. @return WRITEs. */
static unsigned int
fx_drain(struct fx *f)
{
	unsigned int n = 0;

	for (;;) {
		fx_post_all(f);
		if (f->fhead == f->ftail)
			return n;
		while (f->fhead != f->ftail) {
			fx_complete(f, true);
			n++;
		}
	}
}

static void
fx_up(struct fx *f)
{
	ck_assert_int_eq(nvram_mirror_partner_ready(&f->m, SESSION, &f->log), NVM_A_RESYNC);
	ck_assert_int_eq(f->m.state, NVM_S_RESYNC);
}

/* ---- the table ------------------------------------------------------------ */

START_TEST(every_pair_defined)
{
	int s, e;

	for (s = 0; s < NVM_S_NSTATES; s++)
		for (e = 0; e < NVM_E_NEVENTS; e++) {
			struct nvm_transition t = nvm_step(s, e);

			ck_assert_msg(t.action != NVM_A_INVALID && t.action < NVM_A_NACTIONS &&
				      t.next < NVM_S_NSTATES, "%s + %s: undefined",
				      nvm_state_name(s), nvm_event_name(e));
		}
	ck_assert_int_eq(nvm_step(NVM_S_NSTATES, NVM_E_POLL).action, NVM_A_INVALID);
	ck_assert_int_eq(nvm_step(NVM_S_IN_SYNC, NVM_E_NEVENTS).action, NVM_A_INVALID);
	ck_assert_str_eq(nvm_state_name(NVM_S_NSTATES), "?");
}
END_TEST

/* A session starting always resends everything: the partner may have
 * restarted with any shadow. A session ending always drops the queue. */
START_TEST(session_edges_from_every_state)
{
	int s;

	for (s = 0; s < NVM_S_NSTATES; s++) {
		struct nvm_transition up = nvm_step(s, NVM_E_PARTNER_READY);
		struct nvm_transition end = nvm_step(s, NVM_E_SESSION_END);

		ck_assert_msg(up.next == NVM_S_RESYNC && up.action == NVM_A_RESYNC,
			      "%s + PARTNER_READY: expected RESYNC / RESYNC, got %s / %s",
			      nvm_state_name(s), nvm_state_name(up.next),
			      nvm_action_name(up.action));
		ck_assert_msg(end.next == NVM_S_DEGRADED, "%s + SESSION_END -> %s",
			      nvm_state_name(s), nvm_state_name(end.next));
		ck_assert_msg(end.action == (s == NVM_S_DEGRADED ? NVM_A_NONE : NVM_A_DROP),
			      "%s + SESSION_END: action %s", nvm_state_name(s),
			      nvm_action_name(end.action));
	}
}
END_TEST

/* IN_SYNC is entered only from RESYNC, only when it caught up; BROKEN and
 * DEGRADED are left only by a session's edges; only QUEUE_FULL leads to
 * BEHIND and only a poll (or a new session) leaves it, with a resync. */
START_TEST(state_rules)
{
	int s, e;

	for (s = 0; s < NVM_S_NSTATES; s++)
		for (e = 0; e < NVM_E_NEVENTS; e++) {
			struct nvm_transition t = nvm_step(s, e);
			const char *sn = nvm_state_name(s), *en = nvm_event_name(e);

			if (t.next == NVM_S_IN_SYNC && s != NVM_S_IN_SYNC)
				ck_assert_msg(s == NVM_S_RESYNC && e == NVM_E_CAUGHT_UP,
					      "%s + %s enters IN_SYNC", sn, en);
			if ((s == NVM_S_BROKEN || s == NVM_S_DEGRADED) && t.next != s)
				ck_assert_msg(e == NVM_E_PARTNER_READY || e == NVM_E_SESSION_END,
					      "%s left on %s", sn, en);
			if (t.next == NVM_S_BEHIND && s != NVM_S_BEHIND)
				ck_assert_msg(e == NVM_E_QUEUE_FULL, "%s + %s -> BEHIND", sn, en);
			if (s == NVM_S_BEHIND && t.next != s)
				ck_assert_msg(t.action == NVM_A_RESYNC || t.action == NVM_A_DROP ||
					      e == NVM_E_WRITE_FAILED, "BEHIND + %s -> %s / %s", en,
					      nvm_state_name(t.next), nvm_action_name(t.action));
			if (e == NVM_E_WRITE_FAILED && s != NVM_S_DEGRADED)
				ck_assert_msg(t.next == NVM_S_BROKEN, "%s + WRITE_FAILED -> %s", sn,
					      nvm_state_name(t.next));
			/* A resync starts only with a session or a resync owed. */
			if (t.action == NVM_A_RESYNC)
				ck_assert_msg(e == NVM_E_PARTNER_READY ||
					      (s == NVM_S_BEHIND && e == NVM_E_POLL),
					      "%s + %s resyncs", sn, en);
		}
	ck_assert_int_eq(nvm_step(NVM_S_RESYNC, NVM_E_QUEUE_FULL).next, NVM_S_BEHIND);
	ck_assert_int_eq(nvm_step(NVM_S_IN_SYNC, NVM_E_QUEUE_FULL).next, NVM_S_BEHIND);
	ck_assert_int_eq(nvm_step(NVM_S_BEHIND, NVM_E_POLL).action, NVM_A_RESYNC);
	ck_assert_int_eq(nvm_step(NVM_S_RESYNC, NVM_E_CAUGHT_UP).next, NVM_S_IN_SYNC);
}
END_TEST

/* ---- merging ---------------------------------------------------------------- */

/* Records that touch, queued while nothing could be posted, leave as one
 * WRITE that acknowledges the last of them. */
START_TEST(touching_records_merge)
{
	struct fx *f = fx_new(1 << 20);
	struct nvram_mirror_write w;
	uint64_t first, last = 0;
	unsigned int i;

	fx_up(f);
	fx_drain(f);
	ck_assert_int_eq(f->m.state, NVM_S_IN_SYNC);
	first = f->log.head_seq;
	for (i = 0; i < 10; i++)
		last = fx_append(f, 100);
	ck_assert(nvram_mirror_next(&f->m, &w));
	ck_assert_uint_eq(w.wr_id, last);
	ck_assert_uint_eq(w.len, f->log.head_off - w.off);
	ck_assert_uint_eq(fx_post_all(f), 1);
	ck_assert_uint_eq(f->m.acked, first - 1);
	fx_complete(f, true);
	ck_assert_uint_eq(f->m.acked, last);
	fx_free(f);
}
END_TEST

/* A WRITE holds at most NVRAM_MIRROR_MERGE_MAX; a posted WRITE is never
 * grown; a header copy never merges. */
START_TEST(what_never_merges)
{
	struct fx *f = fx_new(8 << 20);
	struct nvram_mirror_write w;
	uint64_t seq;
	unsigned int n = 0;

	fx_up(f);
	fx_drain(f);
	/* 5 records of 100 KiB touch: 2 per WRITE (the third would pass 256 KiB). */
	while (n < 5) {
		fx_append(f, 100 * 1024);
		n++;
	}
	ck_assert_uint_eq(f->m.qhead - f->m.qtail, 3);
	ck_assert_uint_eq(fx_post_all(f), 3);
	/* Posted: the next record is its own WRITE though it touches. */
	seq = fx_append(f, 64);
	ck_assert_uint_eq(f->m.qhead - f->m.qtail, 1);
	ck_assert(nvram_mirror_next(&f->m, &w));
	ck_assert_uint_eq(w.wr_id, seq);
	ck_assert_uint_eq(w.len, f->log.head_off - w.off);
	fx_post_all(f);
	/* Header copies: two WRITEs, copy 0 first, the last one carries the
	 * header's sequence; a record after them is a WRITE of its own. */
	nvram_mirror_header(&f->m, 42);
	seq = fx_append(f, 64);
	ck_assert_uint_eq(f->m.qhead - f->m.qtail, 3);
	ck_assert(nvram_mirror_next(&f->m, &w));
	ck_assert_uint_eq(w.off, 0);
	ck_assert_uint_eq(w.len, NVRAM_LOG_HDR_LEN);
	ck_assert_uint_eq(w.wr_id, 0);
	fx_post(f);
	ck_assert(nvram_mirror_next(&f->m, &w));
	ck_assert_uint_eq(w.off, NVRAM_LOG_HDR_LEN);
	ck_assert_uint_eq(w.wr_id, NVRAM_MIRROR_WR_HDR | 42);
	fx_post(f);
	ck_assert(nvram_mirror_next(&f->m, &w));
	ck_assert_uint_eq(w.wr_id, seq);
	fx_drain(f);
	ck_assert_uint_eq(f->m.acked, seq);
	ck_assert_uint_eq(f->m.acked_hdr, 42);
	fx_free(f);
}
END_TEST

/* The record after a wrap marker: the marker's range acknowledges only the
 * records before it. */
START_TEST(wrap_marker_acknowledges_the_records_before)
{
	struct fx *f = fx_new(8192);
	struct nvram_span sp[2];
	unsigned int n = 0, i;
	uint64_t seq;

	fx_up(f);
	fx_drain(f);
	/* Fill the ring, free all but the last record, append: it wraps. */
	for (;;) {
		uint8_t rec[1000] = { 0 };
		struct nvram_mirror_write w[2];

		if (nvram_log_append(&f->log, rec, sizeof(rec), &seq, sp, &n) == -ENOSPC) {
			ck_assert_int_eq(nvram_log_checkpoint(&f->log, f->log.head_seq - 2, sp), 0);
			continue;
		}
		nvram_mirror_record(&f->m, sp, n, seq);
		if (n == 1) {
			fx_drain(f);
			continue;
		}
		for (i = 0; i < 2; i++) {
			ck_assert(nvram_mirror_next(&f->m, &w[i]));
			nvram_mirror_posted(&f->m);
		}
		ck_assert_uint_eq(w[0].wr_id, seq - 1);
		ck_assert_uint_eq(w[1].wr_id, seq);
		ck_assert_uint_eq(w[1].off, NVRAM_LOG_RING_START);
		break;
	}
	fx_free(f);
}
END_TEST

/* ---- the acknowledgement rule ---------------------------------------------------- */

START_TEST(acks_in_order_and_only_this_session)
{
	struct fx *f = fx_new(1 << 20);
	uint64_t a, b;

	fx_up(f);
	fx_drain(f);
	a = fx_append(f, 64);
	fx_post_all(f);
	b = fx_append(f, 64);
	fx_post_all(f);
	/* Another session's completion: stale, acknowledges nothing. */
	ck_assert_int_eq(nvram_mirror_completion(&f->m, SESSION + 1, true, b, f->log.head_seq),
			 NVM_A_NONE);
	ck_assert_uint_eq(f->m.acked, a - 1);
	ck_assert_uint_eq(f->m.completed, f->m.posted - 2);
	fx_complete(f, true);
	ck_assert_uint_eq(f->m.acked, a);
	fx_complete(f, true);
	ck_assert_uint_eq(f->m.acked, b);
	/* Never backwards, never past the head. */
	f->m.posted += 2;
	nvram_mirror_completion(&f->m, SESSION, true, a, f->log.head_seq);
	ck_assert_uint_eq(f->m.acked, b);
	nvram_mirror_completion(&f->m, SESSION, true, f->log.head_seq, f->log.head_seq);
	ck_assert_uint_eq(f->m.acked, b);
	fx_free(f);
}
END_TEST

/* A WRITE that failed leaves a hole: a later WRITE's success must not
 * acknowledge past it. Only the session's end and a new one's resync
 * bring acknowledgements back. */
START_TEST(failure_stops_acknowledgements)
{
	struct fx *f = fx_new(1 << 20);
	uint64_t a, b;

	fx_up(f);
	fx_drain(f);
	a = fx_append(f, 64);
	fx_post_all(f);
	b = fx_append(f, 64);
	fx_post_all(f);
	ck_assert_int_eq(fx_complete(f, false), NVM_A_LOG);
	ck_assert_int_eq(f->m.state, NVM_S_BROKEN);
	fx_complete(f, true);
	ck_assert_msg(f->m.acked < a, "acked %" PRIu64 " past the failed record %" PRIu64,
		      f->m.acked, a);
	/* Nothing is sent or queued while broken. */
	fx_append(f, 64);
	ck_assert(!fx_post(f));
	ck_assert_int_eq(nvram_mirror_session_end(&f->m, SESSION + 1), NVM_A_NONE);
	ck_assert_int_eq(f->m.state, NVM_S_BROKEN);
	ck_assert_int_eq(nvram_mirror_session_end(&f->m, SESSION), NVM_A_DROP);
	ck_assert_int_eq(f->m.state, NVM_S_DEGRADED);
	ck_assert_uint_eq(f->m.session, 0);
	f->fhead = f->ftail;
	fx_up(f);
	fx_drain(f);
	ck_assert_int_eq(f->m.state, NVM_S_IN_SYNC);
	ck_assert_uint_eq(f->m.acked, f->log.head_seq - 1);
	ck_assert_uint_gt(f->m.acked, b);
	fx_free(f);
}
END_TEST

/* No more than NVRAM_MIRROR_IN_FLIGHT WRITEs await completion. */
START_TEST(in_flight_window)
{
	struct fx *f = fx_new(1 << 20);
	unsigned int i;

	fx_up(f);
	fx_drain(f);
	for (i = 0; i < NVRAM_MIRROR_IN_FLIGHT + 10; i++) {
		fx_append(f, 64);
		fx_post_all(f);
	}
	ck_assert_uint_eq(f->m.posted - f->m.completed, NVRAM_MIRROR_IN_FLIGHT);
	ck_assert_uint_eq(f->m.qhead - f->m.qtail, 1);	/* the last 10 merged */
	fx_complete(f, true);
	ck_assert(fx_post(f));
	ck_assert(!fx_post(f));
	fx_drain(f);
	ck_assert_uint_eq(f->m.acked, f->log.head_seq - 1);
	fx_free(f);
}
END_TEST

/* The queue full: nothing after the hole is ever handed out; the poll
 * resends the whole log, and the shadow then replays every record. */
START_TEST(overflow_resyncs_everything)
{
	struct fx *f = fx_new(4 << 20);
	struct nvram_log shadow;
	uint64_t last = 0;
	unsigned int i;

	fx_up(f);
	fx_drain(f);
	/* Header ranges do not merge: fill the queue with them, then append. */
	for (i = 0; i < NVRAM_MIRROR_QUEUE / 2; i++)
		nvram_mirror_header(&f->m, 1);
	ck_assert_int_eq(f->m.state, NVM_S_IN_SYNC);
	last = fx_append(f, 64);
	ck_assert_int_eq(f->m.state, NVM_S_BEHIND);
	ck_assert_uint_eq(f->m.overflows, 1);
	ck_assert_uint_eq(f->m.qhead - f->m.qtail, NVRAM_MIRROR_QUEUE);
	fx_append(f, 64);
	ck_assert_uint_eq(f->m.qhead - f->m.qtail, NVRAM_MIRROR_QUEUE);
	/* What was queued before still goes out, and acknowledges nothing new. */
	fx_post(f);
	fx_complete(f, true);
	ck_assert_uint_lt(f->m.acked, last);
	ck_assert_int_eq(nvram_mirror_event(&f->m, NVM_E_POLL, &f->log), NVM_A_RESYNC);
	ck_assert_int_eq(f->m.state, NVM_S_RESYNC);
	ck_assert_uint_eq(f->m.qhead, f->m.qtail);
	fx_drain(f);
	ck_assert_int_eq(f->m.state, NVM_S_IN_SYNC);
	ck_assert_int_eq(nvram_log_open(&shadow, f->shadow, f->size), 0);
	ck_assert_uint_eq(shadow.head_seq, f->log.head_seq);
	ck_assert_uint_eq(f->m.acked, f->log.head_seq - 1);
	fx_free(f);
}
END_TEST

/* ---- the resync plan -------------------------------------------------------------- */

/* Header first, then the live log in order in WRITEs of at most 256 KiB
 * (more of them than the window: handed out as completions come), only the
 * last acknowledging the head; what is appended meanwhile after it. The
 * shadow, built only from those WRITEs, opens with the same records. */
START_TEST(resync_plan)
{
	struct fx *f = fx_new(48 << 20);
	struct nvram_span sp[2];
	struct nvram_log shadow;
	struct nvram_mirror_write w;
	uint64_t expect_off, seq, during;
	unsigned int i, n, writes = 0;
	int nsp;

	/* 41 MiB live, the ring wrapped: records of 1 MiB after a checkpoint
	 * that keeps the tenth. */
	for (i = 0; i < 10; i++)
		fx_append(f, 1 << 20);
	ck_assert_int_eq(nvram_log_checkpoint(&f->log, 9, sp), 0);
	for (i = 0; i < 40; i++)
		fx_append(f, 1 << 20);
	ck_assert_uint_eq(f->m.qhead, f->m.qtail);	/* degraded: nothing queued */
	nsp = nvram_log_spans_from(&f->log, f->log.tail_seq, sp);
	ck_assert_int_eq(nsp, 2);
	seq = f->log.head_seq - 1;
	/* A shadow that already claims everything: in sync still waits. */
	f->m.acked = seq;
	fx_up(f);
	during = fx_append(f, 64);
	/* Header copies. */
	for (i = 0; i < NVRAM_LOG_HDR_COPIES; i++) {
		ck_assert(nvram_mirror_next(&f->m, &w));
		ck_assert_uint_eq(w.off, i * NVRAM_LOG_HDR_LEN);
		ck_assert_uint_eq(w.wr_id, i == 1 ? (NVRAM_MIRROR_WR_HDR | f->log.hdr_seq) : 0);
		fx_post(f);
		writes++;
	}
	/* The log, in order, window by window. */
	expect_off = sp[0].off;
	for (n = 0; n < (unsigned int)nsp;) {
		if (!nvram_mirror_next(&f->m, &w)) {
			ck_assert_uint_eq(f->m.posted - f->m.completed, NVRAM_MIRROR_IN_FLIGHT);
			fx_complete(f, true);
			ck_assert_int_eq(f->m.state, NVM_S_RESYNC);
			continue;
		}
		ck_assert_uint_eq(w.off, expect_off);
		expect_off += w.len;
		if (expect_off == sp[n].off + sp[n].len) {
			n++;
			if (n < (unsigned int)nsp)
				expect_off = sp[n].off;
		}
		ck_assert_uint_eq(w.wr_id, n == (unsigned int)nsp ? seq : 0);
		fx_post(f);
		writes++;
	}
	ck_assert_uint_gt(writes, NVRAM_MIRROR_IN_FLIGHT);
	/* Then the record appended during the resync. */
	if (f->m.posted - f->m.completed == NVRAM_MIRROR_IN_FLIGHT)
		fx_complete(f, true);
	ck_assert(nvram_mirror_next(&f->m, &w));
	ck_assert_uint_eq(w.wr_id, during);
	fx_post(f);
	/* In sync exactly when the plan's last WRITE completes. */
	while (f->ftail + 2 < f->fhead) {
		fx_complete(f, true);
		ck_assert_int_eq(f->m.state, NVM_S_RESYNC);
	}
	ck_assert_int_eq(fx_complete(f, true), NVM_A_LOG);
	ck_assert_int_eq(f->m.state, NVM_S_IN_SYNC);
	ck_assert_uint_eq(f->m.acked, seq);
	fx_complete(f, true);
	ck_assert_uint_eq(f->m.acked, during);
	ck_assert_uint_eq(f->m.resyncs, 1);
	ck_assert_int_eq(nvram_log_open(&shadow, f->shadow, f->size), 0);
	ck_assert_uint_eq(shadow.tail_seq, f->log.tail_seq);
	ck_assert_uint_eq(shadow.head_seq, f->log.head_seq);
	nsp = nvram_log_spans_from(&f->log, f->log.tail_seq, sp);
	for (i = 0; i < (unsigned int)nsp; i++)
		ck_assert_msg(memcmp(f->shadow + sp[i].off, f->base + sp[i].off, sp[i].len) == 0,
			      "live span %u (%u bytes at %u) differs in the shadow", i, sp[i].len,
			      sp[i].off);
	fx_free(f);
}
END_TEST

/* An empty log (all checkpointed): the header alone, then in sync. */
START_TEST(resync_of_an_empty_log)
{
	struct fx *f = fx_new(1 << 20);
	struct nvram_span sp[2];
	struct nvram_log shadow;

	fx_append(f, 64);
	fx_append(f, 64);
	ck_assert_int_eq(nvram_log_checkpoint(&f->log, 2, sp), 0);
	fx_up(f);
	ck_assert_uint_eq(fx_post_all(f), NVRAM_LOG_HDR_COPIES);
	fx_complete(f, true);
	ck_assert_int_eq(f->m.state, NVM_S_RESYNC);
	fx_complete(f, true);
	ck_assert_int_eq(f->m.state, NVM_S_IN_SYNC);
	ck_assert_uint_eq(f->m.acked_hdr, f->log.hdr_seq);
	ck_assert_int_eq(nvram_log_open(&shadow, f->shadow, f->size), 0);
	ck_assert_uint_eq(shadow.tail_seq, 3);
	ck_assert_uint_eq(shadow.head_seq, 3);
	fx_free(f);
}
END_TEST

/* A new session forgets the WRITEs of the one before: their completions
 * are stale, and in sync needs the new plan. */
START_TEST(new_session_forgets_the_old)
{
	struct fx *f = fx_new(1 << 20);

	fx_append(f, 64);
	fx_up(f);
	fx_post_all(f);
	ck_assert_int_eq(nvram_mirror_session_end(&f->m, SESSION), NVM_A_DROP);
	ck_assert_uint_eq(f->m.posted, 0);
	ck_assert(!fx_post(f));
	ck_assert_int_eq(nvram_mirror_completion(&f->m, SESSION, true, 1, f->log.head_seq),
			 NVM_A_NONE);
	ck_assert_uint_eq(f->m.acked, 0);
	f->fhead = f->ftail;
	fx_up(f);
	ck_assert_uint_eq(fx_drain(f), NVRAM_LOG_HDR_COPIES + 1);
	ck_assert_int_eq(f->m.state, NVM_S_IN_SYNC);
	ck_assert_uint_eq(f->m.acked, 1);
	ck_assert_uint_eq(f->m.resyncs, 2);
	fx_free(f);
}
END_TEST

/* ---- rules over the log ------------------------------------------------------------ */

START_TEST(covers_unmirrored_reclaimable)
{
	struct fx *f = fx_new(1 << 20);
	struct nvram_span sp[2];

	fx_append(f, 64);
	fx_append(f, 64);
	fx_append(f, 64);
	ck_assert(nvram_mirror_covers(&f->m, 0, f->log.tail_seq));
	ck_assert(!nvram_mirror_covers(&f->m, 1, f->log.tail_seq));
	ck_assert_uint_eq(nvram_mirror_unmirrored(&f->m, &f->log), 3);
	ck_assert_uint_eq(nvram_mirror_reclaimable(&f->m, &f->log), 0);
	fx_up(f);
	fx_drain(f);
	fx_append(f, 64);
	ck_assert(nvram_mirror_covers(&f->m, 3, f->log.tail_seq));
	ck_assert(!nvram_mirror_covers(&f->m, 4, f->log.tail_seq));
	ck_assert_uint_eq(nvram_mirror_unmirrored(&f->m, &f->log), 1);
	ck_assert_uint_eq(nvram_mirror_reclaimable(&f->m, &f->log), 3);
	/* Checkpointed records are not ours to lose any more. */
	ck_assert_int_eq(nvram_log_checkpoint(&f->log, 4, sp), 0);
	ck_assert(nvram_mirror_covers(&f->m, 4, f->log.tail_seq));
	ck_assert_uint_eq(nvram_mirror_reclaimable(&f->m, &f->log), 0);
	fx_free(f);
}
END_TEST

/* ---- tickets ----------------------------------------------------------------------- */

#define MS 1000000ull

START_TEST(sync_ticket_waits_for_the_partner)
{
	struct fx *f = fx_new(1 << 20);
	struct nvram_ticket t;
	uint64_t seq;

	fx_up(f);
	fx_drain(f);
	seq = fx_append(f, 64);
	nvram_ticket_start(&t, seq, true, 1000 * MS, 200 * MS);
	ck_assert(!nvram_ticket_mirror(&t, &f->m, 1000 * MS));
	ck_assert_int_eq(nvram_ticket_gate(&t, 1, 1000 * MS), -EINPROGRESS);
	fx_post_all(f);
	ck_assert(!nvram_ticket_mirror(&t, &f->m, 1100 * MS));
	fx_complete(f, true);
	ck_assert(nvram_ticket_mirror(&t, &f->m, 1101 * MS));
	ck_assert(t.mirrored);
	ck_assert_int_eq(nvram_ticket_gate(&t, 1, 1102 * MS), 1);
	ck_assert_uint_eq(t.ack_ns, 1102 * MS);
	/* Decided: asked again, the same answer. */
	ck_assert_int_eq(nvram_ticket_gate(&t, -EPERM, 1103 * MS), 1);
	fx_free(f);
}
END_TEST

START_TEST(sync_ticket_degraded_or_late)
{
	struct fx *f = fx_new(1 << 20);
	struct nvram_ticket t;
	uint64_t seq;

	/* No session: local NVRAM only, at once. */
	seq = fx_append(f, 64);
	nvram_ticket_start(&t, seq, true, 0, 200 * MS);
	ck_assert(nvram_ticket_mirror(&t, &f->m, 0));
	ck_assert(!t.mirrored);
	ck_assert_int_eq(nvram_ticket_gate(&t, 1, 0), 0);
	/* A session, but no completion: until the deadline, not a moment less. */
	fx_up(f);
	seq = fx_append(f, 64);
	nvram_ticket_start(&t, seq, true, 0, 200 * MS);
	ck_assert(!nvram_ticket_mirror(&t, &f->m, 200 * MS - 1));
	ck_assert(nvram_ticket_mirror(&t, &f->m, 200 * MS));
	ck_assert(!t.mirrored);
	/* The gate is asked even past the deadline. */
	ck_assert_int_eq(nvram_ticket_gate(&t, 1, 300 * MS), 0);
	fx_free(f);
}
END_TEST

START_TEST(ticket_gate)
{
	struct fx *f = fx_new(1 << 20);
	struct nvram_ticket t;
	uint64_t seq = fx_append(f, 64);

	/* Async: the mirror's part is over at once. */
	nvram_ticket_start(&t, seq, false, 0, 100 * MS);
	ck_assert(nvram_ticket_mirror(&t, &f->m, 0));
	/* Closed gate: waits within the time, then in doubt. */
	ck_assert_int_eq(nvram_ticket_gate(&t, 0, 50 * MS), -EINPROGRESS);
	ck_assert_int_eq(nvram_ticket_gate(&t, 0, 100 * MS), -ETIMEDOUT);
	ck_assert_uint_eq(t.ack_ns, 0);
	/* Fenced: refused whatever the time. */
	nvram_ticket_start(&t, seq, false, 0, 100 * MS);
	ck_assert(nvram_ticket_mirror(&t, &f->m, 0));
	ck_assert_int_eq(nvram_ticket_gate(&t, 0, 10 * MS), -EINPROGRESS);
	ck_assert_int_eq(nvram_ticket_gate(&t, -EPERM, 20 * MS), -EPERM);
	ck_assert_int_eq(nvram_ticket_gate(&t, 1, 30 * MS), -EPERM);
	/* Opened in time. */
	nvram_ticket_start(&t, seq, false, 0, 100 * MS);
	ck_assert(nvram_ticket_mirror(&t, &f->m, 0));
	ck_assert_int_eq(nvram_ticket_gate(&t, 0, 10 * MS), -EINPROGRESS);
	ck_assert_int_eq(nvram_ticket_gate(&t, 1, 99 * MS), 0);
	ck_assert_uint_eq(t.ack_ns, 99 * MS);
	fx_free(f);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("nvram_mirror");
	TCase *table = tcase_create("table");
	TCase *merge = tcase_create("merging");
	TCase *ack = tcase_create("acknowledgement");
	TCase *resync = tcase_create("resync");
	TCase *ticket = tcase_create("ticket");
	SRunner *sr;
	int failed;

	tcase_add_test(table, every_pair_defined);
	tcase_add_test(table, session_edges_from_every_state);
	tcase_add_test(table, state_rules);
	tcase_add_test(merge, touching_records_merge);
	tcase_add_test(merge, what_never_merges);
	tcase_add_test(merge, wrap_marker_acknowledges_the_records_before);
	tcase_add_test(ack, acks_in_order_and_only_this_session);
	tcase_add_test(ack, failure_stops_acknowledgements);
	tcase_add_test(ack, in_flight_window);
	tcase_add_test(ack, overflow_resyncs_everything);
	tcase_add_test(ack, covers_unmirrored_reclaimable);
	tcase_add_test(resync, resync_plan);
	tcase_add_test(resync, resync_of_an_empty_log);
	tcase_add_test(resync, new_session_forgets_the_old);
	tcase_add_test(ticket, sync_ticket_waits_for_the_partner);
	tcase_add_test(ticket, sync_ticket_degraded_or_late);
	tcase_add_test(ticket, ticket_gate);
	suite_add_tcase(s, table);
	suite_add_tcase(s, merge);
	suite_add_tcase(s, ack);
	suite_add_tcase(s, resync);
	suite_add_tcase(s, ticket);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
