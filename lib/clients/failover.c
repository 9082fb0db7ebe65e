/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor's runtime: the partner's heartbeats in (from our
 * memory, a slot per link, and the mailbox), the link keepalives and
 * carrier from the CCM; the verdict (failover_judge.c) and the table
 * (failover_fsm.c) decide, and this node's lease and fence follow from
 * what the partner's beats say of us. Our beats out: failover_beat.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "failover_defaults.h"
#include "failover_pvt.h"

RTE_LOG_REGISTER(failover_logtype, failover, INFO);

enum fo_state
failover_state(const struct failover *fo)
{
	return __atomic_load_n(&fo->state, __ATOMIC_RELAXED);
}

uint64_t
failover_last_beat_ns(const struct failover *fo)
{
	return RTE_MAX(fo->beat_wall, fo->mailbox_wall);
}

/* Anything from the partner, on any path. */
static uint64_t
failover_last_heard(const struct failover *fo)
{
	return RTE_MAX(RTE_MAX(fo->beat_wall, fo->keepalive_wall), fo->mailbox_wall);
}

uint64_t
failover_takeover_ns(const struct failover *fo)
{
	return fo->takeover_ns;
}

int
failover_may_ack(const struct failover *fo, uint64_t now)
{
	if (__atomic_load_n(&fo->fenced, __ATOMIC_ACQUIRE))
		return -EPERM;
	/* Holding the partner's work, we are the one that serves: it is dead
	 * to us, or halted, and fences itself if it wakes. */
	if (__atomic_load_n(&fo->holds, __ATOMIC_ACQUIRE))
		return 1;
	return now < __atomic_load_n(&fo->lease_until, __ATOMIC_ACQUIRE) ? 1 : 0;
}

bool
failover_holds_partner(const struct failover *fo)
{
	return __atomic_load_n(&fo->holds, __ATOMIC_ACQUIRE);
}

bool
failover_mailbox_mapped(const struct failover *fo)
{
	return fo->mailbox_map != NULL;
}

bool
failover_fenced(const struct failover *fo)
{
	return __atomic_load_n(&fo->fenced, __ATOMIC_ACQUIRE);
}

void
failover_stats(const struct failover *fo, struct failover_stats *st)
{
	*st = fo->st;
	st->verdict = fo->verdict;
	st->max_beat_gap_ns = __atomic_load_n(&fo->beat_gap_max, __ATOMIC_RELAXED);
	st->max_beat_write_ns = __atomic_load_n(&fo->beat_write_max, __ATOMIC_RELAXED);
}

struct failover *
failover_create(struct ccm *ccm, const struct failover_conf *conf)
{
	struct ccm_client_conf cc = { .name = "failover", .peer_mem_bytes = SLOTS * BEAT_LEN,
				      .port_per_link = true };
	struct failover_conf resolved = *conf;
	struct failover *fo;

	failover_conf_resolve(&resolved);
	if (failover_conf_check(&resolved) != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	fo = rte_zmalloc("failover", sizeof(*fo), RTE_CACHE_LINE_SIZE);
	if (fo == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	fo->conf = resolved;
	fo->ccm = ccm;
	fo->mailbox_fd = -1;
	fo->timing = (struct fo_timing){ .suspect_ns = fo->conf.suspect_ns,
					 .down_ns = fo->conf.down_ns,
					 .fast_ns = fo->conf.fast_ns };
	fo->lease_ns = fo_lease_ns(&fo->timing, fo->conf.heartbeat_ns);
	/* Gaps between our polls count up to this (the soak's figures and the
	 * defaults in docs/perf.md assume 4 ms). */
	fo->watch_gap_ns = RTE_MIN(WATCH_GAP_NS, fo->conf.suspect_ns);
	if (fo->lease_ns == 0) {
		FO_LOG(ERR, "timeouts %" PRIu64 "/%" PRIu64 " us leave no lease beyond a %"
		       PRIu64 " us heartbeat", fo->conf.fast_ns / 1000, fo->conf.down_ns / 1000,
		       fo->conf.heartbeat_ns / 1000);
		rte_errno = EINVAL;
		goto fail;
	}
	fo->mine = rte_zmalloc("fo_beat", BEAT_LEN + SLOTS * BEAT_LEN, 64);
	if (fo->mine == NULL)
		goto nomem;
	fo->theirs = fo->mine + BEAT_LEN;
	fo->sig.has_mailbox = conf->mailbox != NULL && conf->mailbox[0] != '\0';
	fo->sig.partner_mirrored = true;	/* nothing acknowledged yet */
	if (fo->sig.has_mailbox) {
		int rc = fo_mailbox_open(fo, conf->mailbox);

		if (rc != 0) {
			FO_LOG(ERR, "mailbox %s: %s", conf->mailbox, strerror(-rc));
			rte_errno = EIO;
			goto fail;
		}
	} else {
		/* Deliberate, for a pair without shared storage: heartbeat
		 * silence alone then means takeover (docs/clients.md). */
		FO_LOG(WARNING, "no mailbox: interconnect silence alone triggers takeover, "
		       "so a cut interconnect risks split brain");
	}
	cc.nports = RTE_MAX(1u, RTE_MIN(ccm_nb_links(ccm), (unsigned int)SLOTS));
	cc.serve_mem = fo->theirs;
	cc.serve_len = SLOTS * BEAT_LEN;
	cc.local_mem = fo->mine;
	cc.local_len = BEAT_LEN;
	fo->client = ccm_client_register(ccm, &cc);
	if (fo->client == NULL)
		goto fail;
	fo->tmpl.flags = FO_BEAT_MIRRORED;	/* nothing acknowledged yet */
	if (fo->sig.has_mailbox)
		fo_beat_thread_start(fo);
	return fo;
nomem:
	rte_errno = ENOMEM;
fail:
	failover_destroy(fo);
	return NULL;
}

void
failover_destroy(struct failover *fo)
{
	if (fo == NULL)
		return;
	fo_beat_thread_stop(fo);
	fo_mailbox_close(fo);
	rte_free(fo->mine);
	rte_free(fo);
}

void
failover_admin(struct failover *fo, bool takeover)
{
	__atomic_store_n(&fo->admin, takeover ? 1 : 2, __ATOMIC_RELEASE);
}

void
failover_mailbox_cut(struct failover *fo, bool cut)
{
	__atomic_store_n(&fo->mailbox_cut, cut, __ATOMIC_RELEASE);
}

static void
set_fenced(struct failover *fo, bool fenced, uint64_t now)
{
	if (fo->fenced == fenced)
		return;
	__atomic_store_n(&fo->fenced, fenced, __ATOMIC_RELEASE);
	fo->discard_done = false;
	if (fenced) {
		fo->st.fenced++;
		fo_lease_drop(&fo->lease);
		__atomic_store_n(&fo->lease_until, 0, __ATOMIC_RELEASE);
		FO_LOG(NOTICE, "node %u holds our work: fenced, serving nothing until it gives back",
		       fo->conf.peer_node_id);
	} else {
		FO_LOG(NOTICE, "node %u no longer holds our work (%s): serving again",
		       fo->conf.peer_node_id, fo->holds ? "we took it over" : "given back");
	}
	if (fo->conf.fence != NULL)
		fo->conf.fence(fo->conf.arg, fenced);
	/* Tell the partner at once. */
	fo->urgent = true;
	fo_beat_out(fo, now);
}

static void event(struct failover *fo, enum fo_event e, uint64_t now);

/* The partner's lease has run out: it acknowledges nothing more, and every
 * record it acknowledged is in our shadow. Serve its work. */
static void
takeover_start(struct failover *fo, uint64_t now)
{
	fo->takeover_due_ns = 0;
	fo->takeover_ns = now;
	fo->st.takeovers++;
	FO_LOG(NOTICE, "taking over from node %u, %.1f ms after it was last heard",
	       fo->conf.peer_node_id, (now - failover_last_beat_ns(fo)) / 1e6);
	__atomic_store_n(&fo->holds, 1, __ATOMIC_RELEASE);
	fo->peer_up_since_ns = 0;	/* its giveback delay counts from now on */
	set_fenced(fo, false, now);	/* we serve everything now */
	if (fo->conf.takeover != NULL)
		fo->conf.takeover(fo->conf.arg);
	event(fo, FO_E_TAKEOVER_DONE, now);
}

static void
event(struct failover *fo, enum fo_event e, uint64_t now)
{
	struct fo_transition t = fo_step(fo->state, e);

	if (t.next != fo->state)
		FO_LOG(NOTICE, "partner %s -> %s (%s)", fo_state_name(fo->state),
		       fo_state_name(t.next), fo_event_name(e));
	__atomic_store_n(&fo->state, t.next, __ATOMIC_RELEASE);
	switch (t.action) {
	case FO_A_TAKEOVER:
		fo->admin_held = e == FO_E_ADMIN_TAKEOVER;
		/* The partner must know before we serve its work (if it only
		 * paused, this is what fences it), and the lease our last echo
		 * gave it must be over. Every beat we echoed arrived before we
		 * last heard the partner, or (the heartbeat thread's reads of
		 * the mailbox, which stop echoing once they see the state just
		 * published) before now: a silent partner's lease ran out
		 * already; a live one's (halting notice, operator) runs out
		 * within a lease. */
		fo->urgent = true;
		fo_beat_out(fo, now);
		fo->takeover_due_ns = (e == FO_E_MAILBOX_SILENT ? failover_last_heard(fo) :
				       fo_clock_now()) + fo->lease_ns;
		if (now >= fo->takeover_due_ns)
			takeover_start(fo, now);
		break;
	case FO_A_GIVEBACK:
		fo->st.givebacks++;
		fo->admin_held = false;
		__atomic_store_n(&fo->holds, 0, __ATOMIC_RELEASE);
		if (fo->conf.giveback != NULL)
			fo->conf.giveback(fo->conf.arg);
		fo->urgent = true;
		fo_beat_out(fo, now);
		break;
	default:
		break;
	}
}

void
failover_halt(struct failover *fo, uint64_t now)
{
	/* Announce it now, not at the next beat: the session may be gone by
	 * then, and the mailbox write is what the partner is sure to read. */
	fo->halting = true;
	fo->urgent = true;
	fo_beat_out(fo, now);
}

/*
 * A beat from the partner on one path. @return true if the path brought
 * news (another beat than it had); *first: the path's first beat since we
 * started (a mailbox slot may be that old).
 */
static bool
beat_in(struct failover *fo, const uint8_t *raw, struct path *p, struct fo_beat *b, bool *first)
{
	if (fo_beat_decode(raw, b) != 0 || b->node_id != fo->conf.peer_node_id)
		return false;
	if (p->seen && b->incarnation == p->incarnation && b->seq == p->seq)
		return false;
	*first = !p->seen;
	p->seen = true;
	p->incarnation = b->incarnation;
	p->seq = b->seq;
	return true;
}

/* What the partner's newest beat says of itself and of us. */
static void
view_in(struct failover *fo, const struct fo_beat *b, bool first, uint64_t now)
{
	bool newer = !fo->view.seen || b->incarnation != fo->view.incarnation ||
		     b->seq > fo->view.seq;

	if (!newer)
		return;
	fo->view = (struct path){ .incarnation = b->incarnation, .seq = b->seq, .seen = true };
	fo->view_state = b->state;
	fo->view_flags = b->flags;
	fo->sig.partner_mirrored = (b->flags & FO_BEAT_MIRRORED) != 0;
	/* A halting notice counts only as news: a slot still saying so from
	 * the partner's last shutdown must not make us take over. */
	if ((b->flags & FO_BEAT_HALTING) && !first) {
		if (fo->sig.partner_mirrored)
			event(fo, FO_E_HALTING, now);
		else if (!fo->refusal_said)
			FO_LOG(WARNING, "node %u halts, but records it acknowledged are not in our "
			       "shadow: not taking over", fo->conf.peer_node_id);
	}
	if (fo_state_holds_work(b->state)) {
		/* Both holding each other's work: only a pair without a
		 * mailbox cut in two gets here; say so, keep serving. */
		if (fo_state_holds_work(fo->state) && !(b->flags & FO_BEAT_HALTING)) {
			FO_LOG(ERR, "node %u and this node each hold the other's work (split brain)",
			       fo->conf.peer_node_id);
			return;
		}
		set_fenced(fo, true, now);
		/* Our log is discarded only once the partner replayed it (it says
		 * TAKEN_OVER after its replay; in DOWN it may still wait for our
		 * lease to run out, and the discard would reach its shadow first). */
		if (b->state != FO_S_DOWN && !fo->discard_done) {
			fo->discard_done = true;
			if (fo->conf.discard != NULL)
				fo->conf.discard(fo->conf.arg);
		}
		return;
	}
	set_fenced(fo, false, now);
	if (b->peer_incarnation == ccm_incarnation(fo->ccm)) {
		fo_lease_echo(&fo->lease, b->peer_seq, fo->lease_ns);
		__atomic_store_n(&fo->lease_until, fo->lease.until_ns, __ATOMIC_RELEASE);
	}
}

/*
 * The partner's mailbox beat: 1 read, 0 not due yet, -1 unreadable. The
 * partner writes it once a heartbeat, so four reads a heartbeat see each
 * beat soon; off tmpfs a read is a system call, which costs the lcore more
 * than a whole NVRAM round trip on this kind of machine.
 */
static int
mailbox_read(struct failover *fo, uint64_t now, uint8_t mbox[BEAT_LEN])
{
	if (now < fo->mailbox_next_ns)
		return 0;
	fo->mailbox_next_ns = now + fo->conf.heartbeat_ns / 4;
	return fo_mailbox_read(fo, mbox) ? 1 : -1;
}

static int
signals_in(struct failover *fo, uint64_t now)
{
	struct ccm_link_health h;
	struct fo_beat b;
	bool first, ic = false, any_carrier = false;
	unsigned int i, n = ccm_nb_links(fo->ccm);
	uint8_t mbox[BEAT_LEN];
	int rd, work = 0;

	/* The partner's heartbeats, written into our memory: local reads.
	 * Most rounds find a slot as it was, and a decode is a CRC: only a
	 * changed slot is decoded, from a copy (the partner's next WRITE may
	 * land meanwhile; a torn copy fails the CRC and differs next round). */
	for (i = 0; i < SLOTS; i++) {
		const uint8_t *raw = fo->theirs + i * BEAT_LEN;

		if (memcmp(raw, fo->slot_raw[i], BEAT_LEN) == 0)
			continue;
		memcpy(fo->slot_raw[i], raw, BEAT_LEN);
		if (beat_in(fo, fo->slot_raw[i], &fo->slot[i], &b, &first)) {
			ic = true;
			view_in(fo, &b, first, now);
		}
	}
	if (ic) {
		fo->sig.beat_ns = fo->wnow;
		fo->beat_wall = now;
		fo->st.beats_in++;
		work++;
	}
	rd = mailbox_read(fo, now, mbox);
	if (rd > 0) {
		if (!fo->sig.mailbox_readable)
			fo->sig.mailbox_since_ns = fo->wnow;
		fo->sig.mailbox_readable = true;
		if (beat_in(fo, mbox, &fo->mbox, &b, &first)) {
			/* The first read may be a slot left long ago: what it
			 * says of us counts, not that it is new. */
			if (!first) {
				fo->sig.mailbox_ns = fo->wnow;
				fo->mailbox_wall = now;
				fo->st.mailbox_in++;
			}
			view_in(fo, &b, first, now);
			work++;
		}
	} else if (rd < 0) {
		fo->sig.mailbox_readable = false;
	}
	/* Link keepalives answered, and carrier, from the CCM. */
	for (i = 0; i < n; i++) {
		if (ccm_link_health(fo->ccm, i, &h) != 0)
			continue;
		if (h.last_beat_ns > fo->keepalive_wall) {
			fo->keepalive_wall = h.last_beat_ns;
			fo->sig.keepalive_ns = fo->wnow;
		}
		any_carrier |= h.carrier != 0;
	}
	fo->sig.carrier_lost = n > 0 && !any_carrier;
	if (ic) {
		if (fo->peer_up_since_ns == 0)
			fo->peer_up_since_ns = now;
		event(fo, FO_E_BEAT, now);
	}
	return work;
}

/* Silence episodes while the partner is up, for the soak's figures. */
static void
silence_stats(struct failover *fo, uint64_t now)
{
	uint64_t all = fo_silence_ns(&fo->sig, now), ms;
	uint64_t ic = now - RTE_MAX(RTE_MAX(fo->sig.beat_ns, fo->sig.keepalive_ns),
				    fo->sig.since_ns);

	if (fo->state != FO_S_UP && fo->state != FO_S_SUSPECT)
		return;
	fo->st.max_ic_silence_ns = RTE_MAX(fo->st.max_ic_silence_ns, ic);
	fo->st.max_silence_ns = RTE_MAX(fo->st.max_silence_ns, all);
	if (all > fo->episode_ns) {
		fo->episode_ns = all;
		return;
	}
	/* Heard again: the episode ended at its longest. */
	if (fo->episode_ns >= fo->conf.heartbeat_ns) {
		ms = fo->episode_ns / MS;
		fo->st.silence_ms[RTE_MIN(ms, (uint64_t)FO_SILENCE_BUCKETS - 1)]++;
	}
	fo->episode_ns = all;
}

static void
judge(struct failover *fo, uint64_t now)
{
	enum fo_verdict v = fo_judge(&fo->sig, &fo->timing, fo->wnow);

	if (v != fo->verdict && fo->state != FO_S_UNKNOWN)
		FO_LOG(INFO, "node %u: %s -> %s", fo->conf.peer_node_id,
		       fo_verdict_name(fo->verdict), fo_verdict_name(v));
	fo->verdict = v;
	if (v == FO_V_ALIVE) {
		fo->late_sent = fo->lost_sent = fo->refusal_said = false;
		return;
	}
	if (!fo->late_sent) {
		fo->late_sent = true;
		fo->st.late++;
		event(fo, FO_E_BEAT_LATE, now);
	}
	if (v == FO_V_LATE)
		return;
	if (!fo->lost_sent) {
		/* Lost, not merely late: its giveback delay starts again. */
		fo->lost_sent = true;
		fo->peer_up_since_ns = 0;
		fo->st.cut += v == FO_V_CUT;
		event(fo, FO_E_BEAT_LOST, now);
	}
	switch (v) {
	case FO_V_CUT:
		event(fo, FO_E_MAILBOX_ALIVE, now);
		break;
	case FO_V_DEAD:
		event(fo, FO_E_MAILBOX_SILENT, now);
		break;
	default:	/* DEAD_UNMIRRORED */
		if (!fo->refusal_said && fo->state == FO_S_SUSPECT) {
			fo->refusal_said = true;
			fo->st.refused++;
			FO_LOG(WARNING, "node %u is silent on every path, but records it "
			       "acknowledged are not in our shadow: not taking over (they are in "
			       "its own NVRAM; `takeover` forces it)", fo->conf.peer_node_id);
		}
		break;
	}
}

int
failover_poll(struct failover *fo, uint64_t now)
{
	struct ccm_client_event ev[16];
	unsigned int n, i;
	uint8_t admin;
	int work = 0;

	if (fo->last_poll_ns != 0) {
		uint64_t gap = now - fo->last_poll_ns;

		fo->st.max_poll_gap_ns = RTE_MAX(fo->st.max_poll_gap_ns, gap);
		if (gap > fo->watch_gap_ns)
			fo->stalled_ns += gap - fo->watch_gap_ns;
	}
	fo->wnow = now - fo->stalled_ns;
	if (fo->sig.since_ns == 0)
		fo->sig.since_ns = fo->wnow;
	fo->last_poll_ns = now;
	fo->st.polls++;
	n = ccm_client_events(fo->client, ev, RTE_DIM(ev));
	for (i = 0; i < n; i++) {
		if (ev[i].type == CCM_EV_PARTNER_READY) {
			fo->session = ev[i].session;
			fo->nports = ev[i].u.ready.nports;
		} else if (ev[i].type == CCM_EV_TERMINATING) {
			fo->session = 0;
			ccm_client_close(fo->client);
		}
	}
	work += n;
	if (now >= fo->next_beat_ns) {
		fo_beat_out(fo, now);
		work++;
	}
	work += signals_in(fo, now);
	silence_stats(fo, fo->wnow);
	judge(fo, now);
	if (fo->takeover_due_ns != 0 && now >= fo->takeover_due_ns)
		takeover_start(fo, now);
	if (!fo->fenced && !fo->holds && fo->lease.until_ns != 0 &&
	    !fo_lease_valid(&fo->lease, now)) {
		fo->st.lease_lapses++;
		fo_lease_drop(&fo->lease);
	}
	/* A partner back for long enough, and fenced with its log discarded
	 * (it serves nothing), gets its work back, NVRAM first; unless the
	 * operator took it over: then the operator gives it back. */
	if (fo->state == FO_S_TAKEN_OVER && !fo->admin_held && fo->peer_up_since_ns != 0 &&
	    now - fo->peer_up_since_ns >= fo->conf.giveback_delay_ns &&
	    (fo->view_flags & FO_BEAT_FENCED))
		event(fo, FO_E_GIVEBACK_DUE, now);
	if (fo->state == FO_S_GIVING_BACK &&
	    (fo->conf.resynced == NULL || fo->conf.resynced(fo->conf.arg)))
		event(fo, FO_E_RESYNCED, now);
	/* A plain load first: the locked exchange only when a command came. */
	admin = __atomic_load_n(&fo->admin, __ATOMIC_RELAXED) == 0 ? 0 :
		__atomic_exchange_n(&fo->admin, 0, __ATOMIC_ACQ_REL);
	if (admin != 0)
		event(fo, admin == 1 ? FO_E_ADMIN_TAKEOVER : FO_E_ADMIN_GIVEBACK, now);
	return work;
}
