/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ha_peer: one node of the HA tests. Each pair (a partner) is a CCM with
 * its own links (DPDK ports given with --vdev, in order), NVRAM shadow and
 * failover monitor, polled on its own lcore; a node may have several
 * (claim 9 of 000_...). Times printed are CLOCK_MONOTONIC nanoseconds,
 * comparable between the processes of one machine.
 *
 *   writer:   appends records of its own work (sync mirror) and prints
 *             "acked SEQ T" for each it acknowledged, until killed.
 *   survivor: waits for the partner's death, takes over, replays the
 *             partner's log from its shadow, checks every record, prints
 *             "replayed N last L detect_ms D takeover_wall_ns W".
 *             --sample K: meanwhile, K times, its shadow as a power cut
 *             would leave it ("sample ..." lines, ha_sigkill_test.sh).
 *   node:     both sides of the fencing and several-partner tests and the
 *             soak: appends its own work every --interval-us and, once it
 *             holds its partner's, the partner's too; prints every
 *             acknowledgement "ack PAIR WORK N SEQ T" and every change
 *             "event PAIR WHAT T ..."; SIGUSR1 cuts (and heals) the
 *             interconnect, SIGUSR2 the mailbox; SIGTERM ends the run with
 *             "stats PAIR ..." lines.
 *
 *   ha_peer [EAL args] -- --role writer|survivor|node --node 1|2 --dir DIR
 *           [--pair LABEL:PORT+PORT...]... [--mailbox FILE] [--records N]
 *           [--timeout S] [--interval-us U] [--heartbeat-us U]
 *           [--partner-timeout-us U] [--fast-timeout-us U] [--giveback-ms M]
 *           [--nvram-size BYTES] [--sample K]
 *
 * Without --pair: one pair of every port, files DIR/nodeN.nvram and
 * DIR/nodeN.shadow, the mailbox given. With --pair: files
 * DIR/nodeN-LABEL.{nvram,shadow} and the mailbox DIR/mailbox-LABEL.
 */
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "ccm.h"
#include "failover.h"
#include "ha_records.h"
#include "nvram_shadow.h"
#include "peer_exit.h"

#define MAX_PAIRS	2
#define US		1000ull
#define MS		1000000ull

struct opts {
	const char *role, *dir, *mailbox;
	unsigned int node;
	uint64_t records, interval_ns, heartbeat_ns, down_ns, fast_ns, giveback_ns;
	uint64_t nvram_size;
	unsigned int samples;
	double timeout;
};

struct pair {
	unsigned int idx, lcore;
	char label[16];
	char name[24];			/* the CCM's: it keeps the pointer */
	bool named;			/* given with --pair (file names) */
	uint16_t ports[CCM_MAX_LINKS];
	unsigned int nports;
	struct ccm *ccm;
	struct nvram_shadow *nv;
	struct failover *fo;
	const struct opts *o;
	uint8_t own, partner;		/* work ids: our node id, the partner's */
	uint64_t own_n, partner_n;	/* the last record of each work appended */
	uint64_t acks[2];		/* acknowledged: own, partner's */
	uint64_t takeover_wall_ns;
	bool taken_over, cut, mbox_cut;
	bool was_fenced, was_holding;
	enum fo_state was_state;
	uint32_t was_session;
	uint64_t replayed, replay_last, replay_bad;
	struct failover_stats st;	/* taken when told to stop */
	bool st_taken;
};

static struct pair pairs[MAX_PAIRS];
static unsigned int nb_pairs;
static volatile sig_atomic_t stop, ic_cut, mbox_cut;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		ic_cut = !ic_cut;
	else if (sig == SIGUSR2)
		mbox_cut = !mbox_cut;
	else
		stop = 1;
}

/* ---- replay ------------------------------------------------------------ */

struct replay_check {
	uint64_t next[256];	/* per work: the number expected next (0: any) */
	uint64_t count, last_seq;
	bool bad;
};

static int
replay_cb(uint64_t seq, const void *data, uint32_t len, void *arg)
{
	struct replay_check *rc = arg;
	uint8_t work;
	uint64_t n;

	/* A record not acknowledged is written again (the host retries): the
	 * same number twice is fine, a gap is not. */
	if (!ha_rec_check(data, len, &work, &n) ||
	    (rc->next[work] != 0 && n != rc->next[work] && n + 1 != rc->next[work])) {
		fprintf(stderr, "replay: record %" PRIu64 " (len %u) corrupt or out of order\n",
			seq, len);
		rc->bad = true;
		return 1;
	}
	rc->next[work] = n + 1;
	rc->count++;
	rc->last_seq = seq;
	return 0;
}

/* ---- the objects of a pair ------------------------------------------------ */

static int
poll_pair(struct pair *p)
{
	uint64_t t = now_ns();

	return ccm_poll(p->ccm, t) + nvram_shadow_poll(p->nv) + failover_poll(p->fo, t);
}

/* The monitor's figures as they were when told to stop: what the partner
 * does after (it stops too) is not part of the run. */
static void
stats_snapshot(struct pair *p)
{
	if (stop && !p->st_taken) {
		failover_stats(p->fo, &p->st);
		p->st_taken = true;
	}
}

static int
gate(void *arg, uint64_t now)
{
	return failover_may_ack(((struct pair *)arg)->fo, now);
}

static bool
resynced(void *arg)
{
	return nvram_shadow_in_sync(((struct pair *)arg)->nv);
}

static bool
mirrored(void *arg)
{
	return nvram_shadow_mirrored(((struct pair *)arg)->nv);
}

static bool
discarded(void *arg)
{
	return nvram_shadow_discarded(((struct pair *)arg)->nv);
}

static void
on_takeover(void *arg)
{
	struct pair *p = arg;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	p->takeover_wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	p->taken_over = true;
	if (strcmp(p->o->role, "node") == 0) {
		struct replay_check chk = { .bad = false };
		int n = nvram_shadow_replay_partner(p->nv, replay_cb, &chk);

		p->replayed += chk.count;
		p->replay_bad += chk.bad || n < 0;
		if (chk.count > 0)
			p->replay_last = chk.last_seq;
		/* Its work goes on here: from the number it had reached. */
		if (chk.next[p->partner] > p->partner_n + 1)
			p->partner_n = chk.next[p->partner] - 1;
		printf("event %s takeover %" PRIu64 " replayed %" PRIu64 " last %" PRIu64
		       " bad %d\n", p->label, now_ns(), chk.count, chk.last_seq, chk.bad || n < 0);
		fflush(stdout);
	}
}

static void
on_giveback(void *arg)
{
	struct pair *p = arg;

	printf("event %s giveback %" PRIu64 "\n", p->label, now_ns());
	fflush(stdout);
}

static void
on_fence(void *arg, bool fenced)
{
	struct pair *p = arg;

	printf("event %s %s %" PRIu64 "\n", p->label, fenced ? "fenced" : "unfenced", now_ns());
	fflush(stdout);
}

/* The partner replayed our log: none of it may be replayed again. */
static void
on_discard(void *arg)
{
	nvram_shadow_discard(((struct pair *)arg)->nv);
}

static int
pair_create(struct pair *p, const struct opts *o)
{
	struct nvram_shadow_conf nvc = { .size = o->nvram_size, .sync = true,
					 .gate = gate, .gate_arg = p };
	struct failover_conf foc = {
		.node_id = o->node, .peer_node_id = 3 - o->node,
		.heartbeat_ns = o->heartbeat_ns, .down_ns = o->down_ns, .fast_ns = o->fast_ns,
		.giveback_delay_ns = o->giveback_ns, .takeover = on_takeover,
		.giveback = on_giveback, .fence = on_fence, .discard = on_discard,
		.resynced = resynced,
		.mirrored = mirrored, .discarded = discarded, .arg = p,
	};
	char nvfile[512], shfile[512], mbox[512];
	struct ccm_conf conf = { 0 };
	unsigned int l;

	p->o = o;
	p->own = o->node;
	p->partner = 3 - o->node;
	ccm_conf_defaults(&conf);
	/* A link is dead after 200 ms of silence, not 5, and a QP after 7
	 * retries of 134 ms, not 17: the processes share two loaded vCPUs
	 * (stalls of 100 ms are seen), and link flaps and QP errors are not
	 * what these tests are about. The failover monitor has its own
	 * timings (its signals do not wait for a link to be declared dead). */
	conf.link_timeout_ns = 200 * MS;
	conf.ack_timeout = 15;
	snprintf(p->name, sizeof(p->name), "ha%u%s", o->node, p->label);
	conf.name = p->name;
	conf.cluster_id = 0xa1100 + (uint8_t)p->label[0];
	conf.node_id = o->node;
	conf.peer_node_id = 3 - o->node;
	conf.nb_links = p->nports;
	for (l = 0; l < p->nports; l++) {
		conf.link[l].port_id = p->ports[l];
		conf.link[l].configure = true;
		conf.link[l].local_ip = 0x0a5c0000 | l << 8 | o->node;
		conf.link[l].peer_ip = 0x0a5c0000 | l << 8 | (3 - o->node);
	}
	conf.boot_qpn = 8;
	conf.boot_rkey = 0x7700;
	conf.boot_addr = 0x10000000;
	p->ccm = ccm_create(&conf);
	if (p->ccm == NULL) {
		fprintf(stderr, "ha_peer: ccm %s: %s\n", p->name, rte_strerror(rte_errno));
		return -1;
	}
	if (!p->named) {
		snprintf(nvfile, sizeof(nvfile), "%s/node%u.nvram", o->dir, o->node);
		snprintf(shfile, sizeof(shfile), "%s/node%u.shadow", o->dir, o->node);
		snprintf(mbox, sizeof(mbox), "%s", o->mailbox ? o->mailbox : "");
	} else {
		snprintf(nvfile, sizeof(nvfile), "%s/node%u-%s.nvram", o->dir, o->node, p->label);
		snprintf(shfile, sizeof(shfile), "%s/node%u-%s.shadow", o->dir, o->node, p->label);
		snprintf(mbox, sizeof(mbox), "%s/mailbox-%s", o->dir, p->label);
	}
	nvc.file = nvfile;
	nvc.shadow_file = shfile;
	foc.mailbox = mbox;
	p->nv = nvram_shadow_create(p->ccm, &nvc);
	p->fo = failover_create(p->ccm, &foc);
	if (p->nv == NULL || p->fo == NULL) {
		fprintf(stderr, "ha_peer: clients of %s: %s\n", p->name, rte_strerror(rte_errno));
		return -1;
	}
	/* Our work continues from the records our log holds. */
	p->own_n = 0;
	return 0;
}

/* SIGUSR1: every frame of every link dropped both ways (the carrier
 * stays: only silence tells). SIGUSR2: the mailbox unreachable. */
static void
apply_cuts(struct pair *p)
{
	struct roce_fault_conf dead = { .drop = 1.0, .seed = 1 }, off = { 0 };
	bool want = ic_cut;
	unsigned int l;

	if (p->mbox_cut != (bool)mbox_cut) {
		p->mbox_cut = mbox_cut;
		failover_mailbox_cut(p->fo, p->mbox_cut);
		printf("event %s mailbox-%s %" PRIu64 "\n", p->label, p->mbox_cut ? "cut" : "healed",
		       now_ns());
		fflush(stdout);
	}
	if (want == p->cut)
		return;
	p->cut = want;
	for (l = 0; l < p->nports; l++) {
		ccm_link_set_fault(p->ccm, l, ROCE_FAULT_RX, want ? &dead : &off);
		ccm_link_set_fault(p->ccm, l, ROCE_FAULT_TX, want ? &dead : &off);
	}
	printf("event %s %s %" PRIu64 "\n", p->label, want ? "cut" : "healed", now_ns());
	fflush(stdout);
}

/* An append, answered: the shadow returns a ticket at once; this loop
 * asks it until it is decided, and the pair's objects (the CCM, the
 * shadow, the monitor: one lcore) go on meanwhile, and so do the cuts the
 * signals ask for (a sync append may wait its whole 200 ms; the tests
 * expect a signal's cut at once). */
static int
append_wait(struct pair *p, const void *rec, uint32_t len, uint64_t timeout_ns,
	    struct nvram_ticket *t)
{
	int rc = nvram_shadow_append(p->nv, rec, len, now_ns(), timeout_ns, t);

	if (rc != 0)
		return rc;
	while ((rc = nvram_shadow_ticket(p->nv, t, now_ns())) == -EINPROGRESS) {
		apply_cuts(p);
		stats_snapshot(p);
		if (poll_pair(p) == 0)
			sched_yield();
	}
	return rc;
}

/* ---- node ------------------------------------------------------------------ */

static void
node_events(struct pair *p)
{
	bool fenced = failover_fenced(p->fo), holding = failover_holds_partner(p->fo);
	enum fo_state st = failover_state(p->fo);

	if (st != p->was_state) {
		printf("event %s partner %s %" PRIu64 "\n", p->label, fo_state_name(st), now_ns());
		fflush(stdout);
	}
	if (ccm_session(p->ccm) != p->was_session) {
		p->was_session = ccm_session(p->ccm);
		printf("event %s session %u %" PRIu64 "\n", p->label, p->was_session, now_ns());
		fflush(stdout);
	}
	p->was_state = st;
	p->was_fenced = fenced;
	p->was_holding = holding;
}

/* One record of @p work; print its acknowledgement. */
static void
node_append(struct pair *p, uint8_t work)
{
	uint8_t rec[HA_REC_MAX];
	uint64_t *n = work == p->own ? &p->own_n : &p->partner_n, seq, t;
	struct nvram_ticket tk;
	int rc;

	ha_rec_fill(rec, work, *n + 1);
	rc = append_wait(p, rec, ha_rec_len(work, *n + 1), 200 * MS, &tk);
	if (rc == -EPERM || rc == -ETIMEDOUT)
		return;		/* not acknowledged: tried again later */
	if (rc < 0) {
		fprintf(stderr, "node %s: append: %s\n", p->label, strerror(-rc));
		return;
	}
	/* The gate is our own work's lease; the partner's work is ours to
	 * acknowledge only while we still hold it (a giveback may have come
	 * while the append waited). Same thread: nothing changes in between. */
	seq = tk.seq;
	t = tk.ack_ns;
	if (work != p->own) {
		if (!failover_holds_partner(p->fo))
			return;
		t = now_ns();
	}
	(*n)++;
	p->acks[work != p->own]++;
	printf("ack %s %u %" PRIu64 " %" PRIu64 " %" PRIu64 " %s\n", p->label, work, *n, seq, t,
	       rc == 1 ? "mirrored" : "local");
	fflush(stdout);
}

static void
node_stats(struct pair *p)
{
	bool no_mailbox = !p->named && (p->o->mailbox == NULL || p->o->mailbox[0] == '\0');
	struct failover_stats st;
	unsigned int i;

	stats_snapshot(p);
	st = p->st;
	printf("stats %s acks %" PRIu64 " partner_acks %" PRIu64 " polls %" PRIu64
	       " max_poll_gap_ms %.2f max_beat_gap_ms %.2f max_beat_write_ms %.2f"
	       " max_silence_ms %.2f max_ic_silence_ms %.2f late %" PRIu64
	       " cut %" PRIu64 " takeovers %" PRIu64 " refused %" PRIu64 " givebacks %" PRIu64
	       " fenced %" PRIu64 " lease_lapses %" PRIu64 " session %u mailbox %s hist", p->label,
	       p->acks[0], p->acks[1], st.polls, st.max_poll_gap_ns / 1e6,
	       st.max_beat_gap_ns / 1e6, st.max_beat_write_ns / 1e6, st.max_silence_ns / 1e6,
	       st.max_ic_silence_ns / 1e6, st.late, st.cut, st.takeovers, st.refused,
	       st.givebacks, st.fenced, st.lease_lapses, ccm_session(p->ccm),
	       no_mailbox ? "none" : failover_mailbox_mapped(p->fo) ? "mapped" : "calls");
	for (i = 0; i < FO_SILENCE_BUCKETS; i++)
		if (st.silence_ms[i] != 0)
			printf(" %u:%" PRIu64, i, st.silence_ms[i]);
	printf("\n");
	fflush(stdout);
}

static int
node_loop(void *arg)
{
	struct pair *p = arg;
	uint64_t deadline = now_ns() + (uint64_t)(p->o->timeout * 1e9), next = 0, t;

	while (!stop && now_ns() < deadline) {
		apply_cuts(p);
		stats_snapshot(p);
		t = now_ns();
		if (t >= next) {
			next = t + p->o->interval_ns;
			node_append(p, p->own);
			if (failover_holds_partner(p->fo))
				node_append(p, p->partner);
		}
		node_events(p);
		if (poll_pair(p) == 0)
			sched_yield();
	}
	return 0;
}

/* ---- writer and survivor (the SIGKILL test) ----------------------------------- */

static int
writer(struct pair *p)
{
	uint8_t rec[HA_REC_MAX];
	uint64_t deadline = now_ns() + (uint64_t)(p->o->timeout * 1e9);
	struct nvram_ticket tk;
	int rc;

	while (now_ns() < deadline && !nvram_shadow_in_sync(p->nv))
		if (poll_pair(p) == 0)
			sched_yield();
	while (now_ns() < deadline && p->own_n < p->o->records) {
		ha_rec_fill(rec, p->own, p->own_n + 1);
		rc = append_wait(p, rec, ha_rec_len(p->own, p->own_n + 1), 1000 * MS, &tk);
		if (rc == -ETIMEDOUT || rc == -EPERM) {
			fprintf(stderr, "writer: record %" PRIu64 " not acknowledged (%s)\n",
				p->own_n + 1, strerror(-rc));
			continue;	/* the same record again */
		}
		if (rc < 0) {
			fprintf(stderr, "writer: append %" PRIu64 ": %d\n", p->own_n + 1, rc);
			return 1;
		}
		p->own_n++;
		/* Acknowledge to "the host" only what the partner holds. */
		if (rc == 1)
			printf("acked %" PRIu64 " %" PRIu64 "\n", tk.seq, tk.ack_ns);
		else
			fprintf(stderr, "writer: record %" PRIu64 " local only\n", tk.seq);
		fflush(stdout);
		if (poll_pair(p) == 0)
			sched_yield();
	}
	return 0;
}

/*
 * A power cut of this node, as far as the partner's log goes: its shadow
 * frozen at an instant between two polls (RDMA WRITEs land only inside
 * ccm_poll()), and torn inside the WRITEs of the next poll at 8-byte
 * granularity, in address order. Each state is opened and replayed; the
 * line says how far the worst one reaches and how many held no log yet
 * (the resync's header copies not landed), for ha_sigkill_test.sh to hold
 * against what the writer had acknowledged before the instant.
 */
static void
power_cut_sample(struct pair *p, uint8_t *before, uint8_t *after, uint8_t *torn)
{
	const uint8_t *shadow = nvram_shadow_partner_mem(p->nv);
	size_t size = p->o->nvram_size, words = size / 8, i, k, ndiff = 0, cut;
	uint64_t t0, min_head = UINT64_MAX, max_head = 0;
	unsigned int v, variants = 8, bad = 0, nolog = 0;
	struct nvram_log log;

	t0 = now_ns();
	memcpy(before, shadow, size);
	poll_pair(p);
	memcpy(after, shadow, size);
	for (i = 0; i < words; i++)
		ndiff += memcmp(before + 8 * i, after + 8 * i, 8) != 0;
	for (v = 0; v <= variants; v++) {
		struct replay_check chk = { .bad = false };

		/* v 0: the instant itself; then cuts inside the next poll. */
		cut = v == 0 ? 0 : v == variants ? ndiff : (size_t)(rand() % (ndiff + 1));
		memcpy(torn, before, size);
		for (i = 0, k = 0; i < words && k < cut; i++)
			if (memcmp(before + 8 * i, after + 8 * i, 8) != 0) {
				memcpy(torn + 8 * i, after + 8 * i, 8);
				k++;
			}
		if (nvram_log_open(&log, torn, size) != 0) {
			nolog++;
			continue;
		}
		if (nvram_log_replay(&log, log.tail_seq, replay_cb, &chk) < 0 || chk.bad) {
			bad++;
			continue;
		}
		min_head = RTE_MIN(min_head, log.head_seq - 1);
		max_head = RTE_MAX(max_head, log.head_seq - 1);
	}
	printf("sample %" PRIu64 " words %zu last %" PRIu64 " to %" PRIu64 " bad %u nolog %u\n",
	       t0, ndiff, min_head == UINT64_MAX ? 0 : min_head, max_head, bad, nolog);
	fflush(stdout);
}

static int
survivor(struct pair *p)
{
	uint64_t deadline = now_ns() + (uint64_t)(p->o->timeout * 1e9), next_sample = 0;
	uint8_t *before = NULL, *after = NULL, *torn = NULL;
	struct replay_check chk = { .bad = false };
	unsigned int samples = 0;
	uint64_t detect;
	int rc;

	if (p->o->samples > 0) {
		before = malloc(p->o->nvram_size);
		after = malloc(p->o->nvram_size);
		torn = malloc(p->o->nvram_size);
		if (before == NULL || after == NULL || torn == NULL)
			return 1;
		srand((unsigned int)now_ns());
	}
	while (now_ns() < deadline && !p->taken_over) {
		if (samples < p->o->samples && failover_state(p->fo) == FO_S_UP &&
		    now_ns() >= next_sample) {
			power_cut_sample(p, before, after, torn);
			samples++;
			next_sample = now_ns() + (5 + rand() % 40) * MS;
		}
		if (poll_pair(p) == 0)
			sched_yield();
	}
	free(before);
	free(after);
	free(torn);
	if (!p->taken_over) {
		fprintf(stderr, "survivor: no takeover (partner %s)\n",
			fo_state_name(failover_state(p->fo)));
		return 1;
	}
	detect = failover_takeover_ns(p->fo) - failover_last_beat_ns(p->fo);
	rc = nvram_shadow_replay_partner(p->nv, replay_cb, &chk);
	printf("replayed %" PRIu64 " last %" PRIu64 " detect_ms %.1f takeover_wall_ns %" PRIu64
	       " takeover_ns %" PRIu64 "\n", chk.count, chk.last_seq, detect / 1e6,
	       p->takeover_wall_ns, failover_takeover_ns(p->fo));
	return chk.bad || rc < 0 ? 1 : 0;
}

/* ---- options ----------------------------------------------------------------- */

static int
parse_pair(const char *arg, struct pair *p)
{
	const char *colon = strchr(arg, ':');
	char *end;

	if (colon == NULL || colon == arg || (size_t)(colon - arg) >= sizeof(p->label))
		return -1;
	memcpy(p->label, arg, colon - arg);
	p->label[colon - arg] = '\0';
	p->named = true;
	for (arg = colon + 1; *arg != '\0' && p->nports < CCM_MAX_LINKS; arg = end) {
		p->ports[p->nports++] = (uint16_t)strtoul(arg, &end, 10);
		if (end == arg || (*end != '+' && *end != '\0'))
			return -1;
		if (*end == '+')
			end++;
	}
	return p->nports > 0 ? 0 : -1;
}

static void
usage(void)
{
	fprintf(stderr, "usage: ha_peer [EAL] -- --role writer|survivor|node --node 1|2 "
		"--dir DIR [--pair LABEL:PORT+PORT]... [--mailbox FILE] [--records N] "
		"[--timeout S] [--interval-us U] [--heartbeat-us U] [--partner-timeout-us U] "
		"[--fast-timeout-us U] [--giveback-ms M] [--nvram-size BYTES] [--sample K]\n");
}

int
main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "node", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ "pair", required_argument, NULL, 'p' },
		{ "records", required_argument, NULL, 'c' },
		{ "mailbox", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "interval-us", required_argument, NULL, 'i' },
		{ "heartbeat-us", required_argument, NULL, 'h' },
		{ "partner-timeout-us", required_argument, NULL, 'o' },
		{ "fast-timeout-us", required_argument, NULL, 'f' },
		{ "giveback-ms", required_argument, NULL, 'g' },
		{ "nvram-size", required_argument, NULL, 's' },
		{ "sample", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o = { .dir = "/tmp", .records = UINT64_MAX, .timeout = 60,
			  .nvram_size = 16u << 20, .interval_ns = 1 * MS,
			  .giveback_ns = 300 * MS };
	unsigned int i, lcore;
	int c, rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		return 2;
	argc -= rc;
	argv += rc;
	while ((c = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (c) {
		case 'r': o.role = optarg; break;
		case 'n': o.node = atoi(optarg); break;
		case 'd': o.dir = optarg; break;
		case 'p':
			if (nb_pairs == MAX_PAIRS || parse_pair(optarg, &pairs[nb_pairs]) != 0) {
				usage();
				return 2;
			}
			nb_pairs++;
			break;
		case 'c': o.records = strtoull(optarg, NULL, 0); break;
		case 'm': o.mailbox = optarg; break;
		case 't': o.timeout = atof(optarg); break;
		case 'i': o.interval_ns = strtoull(optarg, NULL, 0) * US; break;
		case 'h': o.heartbeat_ns = strtoull(optarg, NULL, 0) * US; break;
		case 'o': o.down_ns = strtoull(optarg, NULL, 0) * US; break;
		case 'f': o.fast_ns = strtoull(optarg, NULL, 0) * US; break;
		case 'g': o.giveback_ns = strtoull(optarg, NULL, 0) * MS; break;
		case 's': o.nvram_size = strtoull(optarg, NULL, 0); break;
		case 'S': o.samples = atoi(optarg); break;
		default:
			usage();
			return 2;
		}
	}
	if (o.role == NULL || (o.node != 1 && o.node != 2) ||
	    (strcmp(o.role, "node") != 0 && strcmp(o.role, "writer") != 0 &&
	     strcmp(o.role, "survivor") != 0)) {
		usage();
		return 2;
	}
	if (nb_pairs == 0) {
		snprintf(pairs[0].label, sizeof(pairs[0].label), "0");
		pairs[0].nports = RTE_MIN(rte_eth_dev_count_avail(), (unsigned int)CCM_MAX_LINKS);
		for (i = 0; i < pairs[0].nports; i++)
			pairs[0].ports[i] = i;
		nb_pairs = 1;
	}
	signal(SIGUSR1, on_signal);
	signal(SIGUSR2, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	for (i = 0; i < nb_pairs; i++) {
		pairs[i].idx = i;
		if (pair_create(&pairs[i], &o) != 0)
			peer_exit(1);
		ccm_start(pairs[i].ccm, now_ns());
	}
	/* The ports are started: a memif client may connect now (one that
	 * connects earlier, while the server only listens, is refused). */
	printf("ready %" PRIu64 "\n", now_ns());
	fflush(stdout);
	if (strcmp(o.role, "writer") == 0)
		peer_exit(writer(&pairs[0]));
	if (strcmp(o.role, "survivor") == 0)
		peer_exit(survivor(&pairs[0]));
	/* node: a pair per lcore, the first on this one. */
	lcore = rte_lcore_id();
	for (i = 1; i < nb_pairs; i++) {
		lcore = rte_get_next_lcore(lcore, 1, 0);
		if (lcore >= RTE_MAX_LCORE ||
		    rte_eal_remote_launch(node_loop, &pairs[i], lcore) != 0) {
			fprintf(stderr, "ha_peer: %u pairs need %u lcores (EAL -l)\n", nb_pairs,
				nb_pairs);
			peer_exit(2);
		}
	}
	node_loop(&pairs[0]);
	stop = 1;
	rte_eal_mp_wait_lcore();
	for (i = 0; i < nb_pairs; i++)
		node_stats(&pairs[i]);
	peer_exit(0);
}
