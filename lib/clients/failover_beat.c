/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor's beats out: the template the monitor publishes
 * (its view of the partner, our flags, the echo), the beat encoded from it
 * and sent on every link, and the heartbeat thread that writes it into the
 * mailbox on time, at real-time priority where the system allows.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <time.h>

#include <rte_lcore.h>
#include <rte_pause.h>

#include "failover_pvt.h"

uint64_t
fo_clock_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* A beat with the next number, from the template, into @p out. Any
 * thread: the number is taken atomically, the lease ring takes each entry
 * whole. */
static void
beat_make(struct failover *fo, const struct beat_tmpl *t, uint64_t now, uint8_t out[BEAT_LEN])
{
	struct fo_beat b = { .seq = __atomic_add_fetch(&fo->seq, 1, __ATOMIC_RELAXED),
			     .time_ns = now, .node_id = fo->conf.node_id,
			     .incarnation = ccm_incarnation(fo->ccm) };

	b.state = t->state;
	b.flags = t->flags;
	b.peer_seq = t->peer_seq;
	b.peer_incarnation = t->peer_incarnation;
	fo_beat_encode(&b, out);
	fo_lease_sent(&fo->lease, b.seq, now);
}

/* What our beats say now (the monitor's lcore). */
static void
tmpl_publish(struct failover *fo)
{
	struct beat_tmpl t = { .state = fo->state, .peer_seq = fo->view.seq,
			       .peer_incarnation = fo->view.incarnation };

	if (fo->halting)
		t.flags |= FO_BEAT_HALTING;
	if (fo->conf.mirrored == NULL || fo->conf.mirrored(fo->conf.arg))
		t.flags |= FO_BEAT_MIRRORED;
	if (fo->fenced && fo->discard_done &&
	    (fo->conf.discarded == NULL || fo->conf.discarded(fo->conf.arg)))
		t.flags |= FO_BEAT_FENCED;
	if (t.state == fo->tmpl.state && t.flags == fo->tmpl.flags &&
	    t.peer_seq == fo->tmpl.peer_seq && t.peer_incarnation == fo->tmpl.peer_incarnation)
		return;
	/* A sequence count around the copy (one writer: this lcore). */
	__atomic_store_n(&fo->tmpl_version, fo->tmpl_version + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	__atomic_store_n(&fo->tmpl.state, t.state, __ATOMIC_RELAXED);
	__atomic_store_n(&fo->tmpl.flags, t.flags, __ATOMIC_RELAXED);
	__atomic_store_n(&fo->tmpl.peer_seq, t.peer_seq, __ATOMIC_RELAXED);
	__atomic_store_n(&fo->tmpl.peer_incarnation, t.peer_incarnation, __ATOMIC_RELAXED);
	__atomic_store_n(&fo->tmpl_version, fo->tmpl_version + 1, __ATOMIC_RELEASE);
}

/* The template, whole, for the heartbeat thread. It never waits long on
 * the lcore (which may be preempted mid-copy, and on the same CPU): after
 * a few tries it uses the last whole copy, one beat behind. */
static void
tmpl_read(struct failover *fo, struct beat_tmpl *t)
{
	unsigned int tries;
	uint32_t v1, v2;

	for (tries = 0; tries < 64; tries++) {
		v1 = __atomic_load_n(&fo->tmpl_version, __ATOMIC_ACQUIRE);
		if (v1 & 1) {
			rte_pause();
			continue;
		}
		t->state = __atomic_load_n(&fo->tmpl.state, __ATOMIC_RELAXED);
		t->flags = __atomic_load_n(&fo->tmpl.flags, __ATOMIC_RELAXED);
		t->peer_seq = __atomic_load_n(&fo->tmpl.peer_seq, __ATOMIC_RELAXED);
		t->peer_incarnation = __atomic_load_n(&fo->tmpl.peer_incarnation,
						      __ATOMIC_RELAXED);
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		v2 = __atomic_load_n(&fo->tmpl_version, __ATOMIC_RELAXED);
		if (v1 == v2) {
			fo->tmpl_seen = *t;
			return;
		}
	}
	*t = fo->tmpl_seen;
}

/*
 * The template for the heartbeat thread's next beat, echoing the freshest
 * beat of the partner it read in the mailbox itself: the partner's lease
 * does not lapse because our lcores are starved. It reads the mailbox
 * first, then the template: if the template says we hold the partner's
 * work (just published by the monitor), the beat says so and renews
 * nothing (the monitor counts on that, see FO_A_TAKEOVER).
 */
static void
thread_echo(struct failover *fo, struct beat_tmpl *t)
{
	uint8_t raw[BEAT_LEN];
	struct fo_beat b;
	bool fresh = false;

	if (fo_mailbox_read(fo, raw) && fo_beat_decode(raw, &b) == 0 &&
	    b.node_id == fo->conf.peer_node_id)
		fresh = true;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	tmpl_read(fo, t);
	if (!fresh || fo_state_holds_work(t->state))
		return;
	if (b.incarnation != t->peer_incarnation || b.seq > t->peer_seq) {
		t->peer_seq = b.seq;
		t->peer_incarnation = b.incarnation;
	}
}

/*
 * The heartbeat thread: our beat into the mailbox every heartbeat, at
 * real-time priority where the system allows. A CPU hog can starve the
 * lcores for tens of ms; it cannot starve this, so a partner that goes
 * silent on every path is dead or stopped, not busy.
 */
static uint32_t
beat_thread_main(void *arg)
{
	struct failover *fo = arg;
	uint8_t beat[BEAT_LEN];
	struct beat_tmpl t;
	struct timespec ts;
	uint64_t next, now, done, last = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	next = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
	while (!__atomic_load_n(&fo->beat_thread_stop, __ATOMIC_ACQUIRE)) {
		next += fo->conf.heartbeat_ns;
		ts.tv_sec = next / 1000000000ull;
		ts.tv_nsec = next % 1000000000ull;
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
		if (now > next + fo->conf.heartbeat_ns)
			next = now;	/* late (stopped): no burst to catch up */
		thread_echo(fo, &t);
		beat_make(fo, &t, now, beat);
		fo_mailbox_write(fo, beat);
		/* Its own record: how late it ever was, how long a write took. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		done = (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
		if (last != 0 && now - last > fo->beat_gap_max)
			__atomic_store_n(&fo->beat_gap_max, now - last, __ATOMIC_RELAXED);
		if (done - now > fo->beat_write_max)
			__atomic_store_n(&fo->beat_write_max, done - now, __ATOMIC_RELAXED);
		last = now;
	}
	return 0;
}

static void *
beat_thread_start_routine(void *arg)
{
	return (void *)(uintptr_t)beat_thread_main(arg);
}

void
fo_beat_thread_start(struct failover *fo)
{
	struct sched_param sp = { .sched_priority = 1 };
	int rc;

	rc = rte_ctrl_thread_create(&fo->beat_thread, "fo-beat", NULL,
				    beat_thread_start_routine, fo);
	if (rc != 0) {
		FO_LOG(WARNING, "no heartbeat thread (%s): the mailbox beats from the lcore",
		       strerror(rc));
		return;
	}
	fo->beat_thread_up = true;
	rc = pthread_setschedparam(fo->beat_thread, SCHED_FIFO, &sp);
	if (rc != 0)
		FO_LOG(NOTICE, "heartbeat thread at normal priority (SCHED_FIFO: %s)",
		       strerror(rc));
}

void
fo_beat_out(struct failover *fo, uint64_t now)
{
	unsigned int p;

	tmpl_publish(fo);
	/* Encoded in place, zero copy: a WRITE of the previous beat still in
	 * flight may carry a mix, which the partner's CRC check refuses (one
	 * late beat, not a wrong one). */
	beat_make(fo, &fo->tmpl, now, fo->mine);
	fo->st.beats_out++;
	for (p = 0; fo->session != 0 && p < fo->nports; p++) {
		struct ccm_work w = { .wr_id = fo->seq, .session = fo->session, .port = p,
				      .opcode = IBV_WR_RDMA_WRITE, .local = fo->mine,
				      .len = BEAT_LEN, .remote_off = p * BEAT_LEN };

		ccm_client_post(fo->client, &w, 1);
	}
	/* The mailbox: the second path, through storage both nodes reach.
	 * Written here too when something changed that the partner must hear
	 * at once (a takeover, a fence, halting). */
	if (!fo->beat_thread_up || fo->urgent)
		fo_mailbox_write(fo, fo->mine);
	fo->urgent = false;
	fo->next_beat_ns = now + fo->conf.heartbeat_ns;
}

void
fo_beat_thread_stop(struct failover *fo)
{
	if (!fo->beat_thread_up)
		return;
	__atomic_store_n(&fo->beat_thread_stop, 1, __ATOMIC_RELEASE);
	pthread_join(fo->beat_thread, NULL);
	fo->beat_thread_up = false;
}
