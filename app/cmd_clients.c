/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Console commands of the CCM's clients: the NVRAM shadow and the
 * failover monitor (docs/console.md). Appends run on the shadow's lcore,
 * through app_call(), like a storage system's write path would: the
 * shadow answers each with a ticket, and the wait for it is the loop here.
 * The shadow's state is read only on its lcore (a status taken there).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "app.h"
#include "idle_backoff.h"
#include "perf_stats.h"

#define APPEND_MAX	65536		/* bytes per record from the console */
#define APPEND_TIMEOUT_NS 1000000000ull	/* sync append: wait for the partner */

static int
need_nvram(struct app *app)
{
	if (app->nvram != NULL)
		return 0;
	printf("error: NVRAM is not configured on this node (nvram: in %s)\n", app->cfg.path);
	return -ENODEV;
}

static int
need_failover(struct app *app)
{
	if (app->failover != NULL)
		return 0;
	printf("error: failover is not configured on this node (failover: in %s)\n",
	       app->cfg.path);
	return -ENODEV;
}

struct status_job {
	struct app *app;
	struct nvram_shadow_status st;
};

/* The shadow's state, taken on its lcore. */
static int
do_status(void *arg)
{
	struct status_job *j = arg;

	nvram_shadow_status(j->app->nvram, &j->st);
	return 0;
}

/* The takeover's figures, written on the failover lcore, read there. */
struct took_over {
	struct app *app;
	bool took_over;
	uint64_t replayed;
};

static int
do_took_over(void *arg)
{
	struct took_over *t = arg;

	t->took_over = t->app->took_over;
	t->replayed = t->app->replayed;
	return 0;
}

/* The mirror's state in words: in sync, or why not. */
static const char *
mirror_words(enum nvm_state s)
{
	switch (s) {
	case NVM_S_IN_SYNC:
		return "in sync";
	case NVM_S_RESYNC:
		return "degraded: resync under way";
	case NVM_S_BEHIND:
		return "degraded: fell behind, resync owed";
	case NVM_S_BROKEN:
		return "degraded: a WRITE failed, the session ends";
	default:
		return "degraded: no session with the partner";
	}
}

static int
cmd_show_nvram(struct app *app, int argc, char **argv)
{
	struct took_over to = { .app = app };
	struct status_job j = { .app = app };

	(void)argc;
	(void)argv;
	if (need_nvram(app) != 0)
		return -ENODEV;
	app_call(app->loops, APP_ROLE_NVRAM, do_status, &j);
	if (app->failover != NULL)
		app_call(app->loops, APP_ROLE_FAILOVER, do_took_over, &to);
	printf("NVRAM %s (%" PRIu64 " bytes), shadow of %s in %s, %s mirror\n",
	       app->cfg.nvram_file, app->cfg.nvram_size, app->cfg.peer_name,
	       app->cfg.shadow_file, app->cfg.mirror == CFG_MIRROR_SYNC ? "sync" : "async");
	printf("  mirror      %s\n", mirror_words(j.st.state));
	if (j.st.head_seq > j.st.tail_seq)
		printf("  records     %" PRIu64 "..%" PRIu64 " live, %" PRIu64 " bytes\n",
		       j.st.tail_seq, j.st.head_seq - 1, j.st.live_bytes);
	else
		printf("  records     none live (next %" PRIu64 ")\n", j.st.head_seq);
	printf("  acked       %" PRIu64 " (partner has every record up to it)\n", j.st.acked);
	printf("  unmirrored  %" PRIu64 "\n", j.st.unmirrored);
	printf("  resyncs     %" PRIu64 " (queue overflows %" PRIu64 ", failed WRITEs %" PRIu64
	       "); %" PRIu64 " WRITE(s) in flight\n", j.st.resyncs, j.st.overflows,
	       j.st.write_errors, j.st.in_flight);
	if (to.took_over)
		printf("  took over   %" PRIu64 " record(s) of %s replayed\n", to.replayed,
		       app->cfg.peer_name);
	return 0;
}

#define APPEND_SAMPLES_MAX 1000000	/* latencies kept for percentiles */

struct append_job {
	struct app *app;
	uint64_t count, size;
	uint64_t mirrored, local_only, last_seq;
	uint64_t elapsed_ns;
	uint64_t *lat_ns;		/* each append's time, the first ones */
	uint64_t nb_lat;
	int rc;
};

/* A record names its node and sequence, then a pattern derived from them:
 * `nvram verify` on the partner (or a replay) can recompute it. */
static void
fill_record(uint8_t *buf, uint32_t len, const char *node, uint64_t n)
{
	uint32_t i, h, done;

	h = RTE_MIN((uint32_t)snprintf((char *)buf, len, "%s#%" PRIu64 ";", node, n), len);
	for (i = h; i < len && i < h + 26; i++)
		buf[i] = (uint8_t)('a' + (n + i) % 26);
	/* The pattern repeats every 26 bytes: copy what is written, doubling
	 * (a division per byte cost a 4 KiB append about 3 of its 16 us). */
	for (done = i - h; h + done < len; done *= 2)
		memcpy(buf + h + done, buf + h, RTE_MIN(done, len - h - done));
}

/* One round while an NVRAM call waits: the shadow, and the roles sharing
 * its lcore (the CCM, say), at the round's one clock read (a read costs
 * 27 ns here, a round about 500). @return work. */
static int
nvram_round(struct app *app, uint64_t now)
{
	return nvram_shadow_poll(app->nvram) +
	       app_loops_poll_others(app->loops, APP_ROLE_NVRAM, now);
}

/* The write path: append, then wait for the ticket's answer. */
static int
append_wait(struct app *app, const void *buf, uint32_t len, struct nvram_ticket *t)
{
	int rc = nvram_shadow_append(app->nvram, buf, len, app_now_ns(), APPEND_TIMEOUT_NS, t);
	struct idle_backoff idle = { 0 };

	while (rc == 0) {
		uint64_t now = app_now_ns();
		int work = nvram_round(app, now);

		rc = nvram_shadow_ticket(app->nvram, t, now);
		if (rc != -EINPROGRESS)
			return rc;
		rc = 0;
		idle_backoff(&idle, work == 0, now);
	}
	return rc;
}

static int
do_append(void *arg)
{
	static uint8_t buf[APPEND_MAX];
	struct append_job *j = arg;
	uint64_t i, t0 = app_now_ns();

	for (i = 0; i < j->count; i++) {
		const struct nvram_log *log = nvram_shadow_log(j->app->nvram);
		struct nvram_ticket tk;
		uint64_t t;
		int rc;

		fill_record(buf, (uint32_t)j->size, j->app->cfg.node_name, log->head_seq);
		t = app_now_ns();	/* the append's time: the host's data is ready */
		rc = append_wait(j->app, buf, (uint32_t)j->size, &tk);
		if (j->lat_ns != NULL && j->nb_lat < APPEND_SAMPLES_MAX)
			j->lat_ns[j->nb_lat++] = app_now_ns() - t;
		if (rc < 0) {
			j->rc = rc;
			break;
		}
		j->last_seq = tk.seq;
		if (rc == 1)
			j->mirrored++;
		else
			j->local_only++;
	}
	j->elapsed_ns = app_now_ns() - t0;
	return j->rc;
}

static int
cmd_nvram_append(struct app *app, int argc, char **argv)
{
	struct append_job j = { .app = app, .size = 64 };
	int rc;

	if (need_nvram(app) != 0)
		return -ENODEV;
	if (app_parse_u64(argv[0], 10000000, &j.count) != 0 ||
	    (argc == 2 && (app_parse_u64(argv[1], APPEND_MAX, &j.size) != 0 || j.size == 0))) {
		printf("error: nvram append COUNT [SIZE]: SIZE 1..%d bytes\n", APPEND_MAX);
		return -EINVAL;
	}
	j.lat_ns = malloc(RTE_MIN(j.count, (uint64_t)APPEND_SAMPLES_MAX) * sizeof(*j.lat_ns));
	rc = app_call(app->loops, APP_ROLE_NVRAM, do_append, &j);
	printf("appended %" PRIu64 " record(s) of %" PRIu64 " bytes: %" PRIu64
	       " mirrored, %" PRIu64 " in local NVRAM only; last seq %" PRIu64 "; %.1f us each\n",
	       j.mirrored + j.local_only, j.size, j.mirrored, j.local_only, j.last_seq,
	       j.mirrored + j.local_only > 0 ?
	       j.elapsed_ns / 1e3 / (double)(j.mirrored + j.local_only) : 0.0);
	if (j.nb_lat > 0 && j.elapsed_ns > 0) {
		struct perf_lat lat;

		perf_lat_compute(&lat, j.size, j.lat_ns, j.nb_lat, 1.0);
		printf("  %.0f appends/s; latency p50 %.2f us, p99 %.2f us, max %.2f us\n",
		       (double)(j.mirrored + j.local_only) / (j.elapsed_ns / 1e9), lat.t_typical,
		       lat.p99, lat.t_max);
	}
	free(j.lat_ns);
	if (rc == -EPERM)
		printf("error: fenced: %s holds this node's work; nothing is acknowledged until "
		       "it gives it back\n", app->cfg.peer_name);
	else if (rc == -ETIMEDOUT)
		printf("error: not acknowledged: %s has not confirmed this node lately (its "
		       "lease ran out); the record is written, in doubt\n", app->cfg.peer_name);
	else if (rc == -ENOSPC)
		printf("error: the log is full of records not yet mirrored or checkpointed "
		       "(nvram checkpoint SEQ)\n");
	else if (rc < 0)
		printf("error: append: %s\n", strerror(-rc));
	return rc;
}

struct barrier_job {
	struct app *app;
	uint64_t seq;
	uint64_t ms;
	struct nvram_shadow_status st;	/* when it ended */
};

static int
do_barrier(void *arg)
{
	struct barrier_job *j = arg;
	uint64_t now, deadline = app_now_ns() + j->ms * 1000000ull;
	struct idle_backoff idle = { 0 };
	int rc;

	while ((rc = nvram_shadow_barrier(j->app->nvram)) == -EINPROGRESS) {
		now = app_now_ns();
		if (now >= deadline) {
			rc = -EAGAIN;
			break;
		}
		idle_backoff(&idle, nvram_round(j->app, now) == 0, now);
	}
	nvram_shadow_status(j->app->nvram, &j->st);
	return rc;
}

static int
cmd_nvram_barrier(struct app *app, int argc, char **argv)
{
	struct barrier_job j = { .app = app, .ms = 5000 };
	int rc;

	if (need_nvram(app) != 0)
		return -ENODEV;
	if (argc == 1 && app_parse_u64(argv[0], 3600000, &j.ms) != 0) {
		printf("error: nvram barrier [MS], not \"%s\"\n", argv[0]);
		return -EINVAL;
	}
	rc = app_call(app->loops, APP_ROLE_NVRAM, do_barrier, &j);
	if (rc != 0)
		printf("error: %" PRIu64 " record(s) not mirrored after %" PRIu64 " ms (%s)\n",
		       j.st.unmirrored, j.ms, mirror_words(j.st.state));
	else
		printf("mirrored: the partner has every record up to %" PRIu64 "\n", j.st.acked);
	return rc;
}

static int
do_checkpoint(void *arg)
{
	struct barrier_job *j = arg;

	return nvram_shadow_checkpoint(j->app->nvram, j->seq);
}

static int
cmd_nvram_checkpoint(struct app *app, int argc, char **argv)
{
	struct barrier_job j = { .app = app };
	int rc;

	(void)argc;
	if (need_nvram(app) != 0)
		return -ENODEV;
	if (app_parse_u64(argv[0], UINT64_MAX, &j.seq) != 0) {
		printf("error: nvram checkpoint SEQ, not \"%s\"\n", argv[0]);
		return -EINVAL;
	}
	rc = app_call(app->loops, APP_ROLE_NVRAM, do_checkpoint, &j);
	if (rc != 0)
		printf("error: no live record %" PRIu64 " to checkpoint\n", j.seq);
	return rc;
}

struct verify {
	const char *node;
	uint64_t count, pattern_ok, first, last;
};

/* Records `nvram append` wrote can be recomputed; others only CRC-checked. */
static int
verify_record(uint64_t seq, const void *data, uint32_t len, void *arg)
{
	static uint8_t want[APPEND_MAX];
	struct verify *v = arg;

	if (v->count++ == 0)
		v->first = seq;
	v->last = seq;
	if (len <= APPEND_MAX) {
		fill_record(want, len, v->node, seq);
		v->pattern_ok += memcmp(want, data, len) == 0;
	}
	return 0;
}

static void
verify_report(const char *what, int rc, const struct verify *v)
{
	if (rc < 0) {
		printf("%s: no valid log\n", what);
		return;
	}
	printf("%s: %" PRIu64 " record(s) valid (sequence, CRC)", what, v->count);
	if (v->count > 0)
		printf(", %" PRIu64 "..%" PRIu64 ", %" PRIu64 " with the console's pattern",
		       v->first, v->last, v->pattern_ok);
	printf("\n");
}

struct verify_job {
	struct app *app;
	struct verify own, partner;
	int own_rc, partner_rc;
};

static int
do_verify(void *arg)
{
	struct verify_job *j = arg;
	const struct nvram_log *log = nvram_shadow_log(j->app->nvram);

	j->own_rc = nvram_log_replay(log, log->tail_seq, verify_record, &j->own);
	j->partner_rc = nvram_shadow_scan_partner(j->app->nvram, verify_record, &j->partner);
	return 0;
}

static int
cmd_nvram_verify(struct app *app, int argc, char **argv)
{
	struct verify_job j = { .app = app, .own.node = app->cfg.node_name,
				.partner.node = app->cfg.peer_name };

	(void)argc;
	(void)argv;
	if (need_nvram(app) != 0)
		return -ENODEV;
	app_call(app->loops, APP_ROLE_NVRAM, do_verify, &j);
	verify_report("own log", j.own_rc, &j.own);
	verify_report("partner's shadow", j.partner_rc, &j.partner);
	return j.own_rc < 0 ? -EBADMSG : 0;
}

/* The value the shadow publishes (any thread): polled, not called for. */
static bool
nvram_in_sync(struct app *app, const void *arg)
{
	(void)arg;
	return nvram_shadow_in_sync(app->nvram);
}

static int
cmd_wait_nvram(struct app *app, int argc, char **argv)
{
	uint64_t ms = 10000;
	int rc;

	if (need_nvram(app) != 0)
		return -ENODEV;
	if (argc == 1 && app_parse_u64(argv[0], 3600000, &ms) != 0) {
		printf("error: wait nvram in-sync [MS], not \"%s\"\n", argv[0]);
		return -EINVAL;
	}
	rc = app_console_wait(app, ms, nvram_in_sync, NULL);
	if (rc == -ETIMEDOUT)
		printf("error: NVRAM mirror not in sync after %" PRIu64 " ms\n", ms);
	else if (rc == 0)
		printf("NVRAM mirror in sync\n");
	return rc;
}

static int
cmd_show_failover(struct app *app, int argc, char **argv)
{
	struct took_over to = { .app = app };
	uint64_t last, now = app_now_ns();

	(void)argc;
	(void)argv;
	if (need_failover(app) != 0)
		return -ENODEV;
	app_call(app->loops, APP_ROLE_FAILOVER, do_took_over, &to);
	last = failover_last_beat_ns(app->failover);
	printf("partner %s: %s\n", app->cfg.peer_name,
	       fo_state_name(failover_state(app->failover)));
	if (failover_fenced(app->failover))
		printf("  this node      fenced: %s holds its work; serves nothing\n",
		       app->cfg.peer_name);
	else if (failover_holds_partner(app->failover))
		printf("  this node      serves its own work and %s's\n", app->cfg.peer_name);
	else
		printf("  this node      serves its own work (%s)\n",
		       failover_may_ack(app->failover, now) == 1 ? "lease held" :
		       "waiting for the partner to confirm it");
	if (last != 0)
		printf("  last heartbeat  %.1f ms ago\n", (now - last) / 1e6);
	else
		printf("  last heartbeat  never\n");
	printf("  heartbeat every %" PRIu64 " us, partner down after %" PRIu64 " us (%" PRIu64
	       " us with no carrier), mailbox %s%s\n", app->cfg.heartbeat_us,
	       app->cfg.partner_timeout_us, app->cfg.partner_fast_timeout_us,
	       app->cfg.mailbox[0] != '\0' ? app->cfg.mailbox : "none",
	       app->cfg.mailbox[0] == '\0' ? "" :
	       failover_mailbox_mapped(app->failover) ? " (mapped)" : " (system calls)");
	if (failover_takeover_ns(app->failover) != 0)
		printf("  took over       %.1f s ago, %" PRIu64 " record(s) replayed\n",
		       (now - failover_takeover_ns(app->failover)) / 1e9, to.replayed);
	return 0;
}

static int
cmd_admin(struct app *app, bool takeover)
{
	if (need_failover(app) != 0)
		return -ENODEV;
	failover_admin(app->failover, takeover);
	printf("%s requested\n", takeover ? "takeover" : "giveback");
	return 0;
}

static int
cmd_takeover(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_admin(app, true);
}

static int
cmd_giveback(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return cmd_admin(app, false);
}

static bool
partner_in_state(struct app *app, const void *state)
{
	return failover_state(app->failover) == *(const enum fo_state *)state;
}

static int
cmd_wait_partner(struct app *app, int argc, char **argv)
{
	uint64_t ms = 10000;
	enum fo_state want;
	int rc;

	if (need_failover(app) != 0)
		return -ENODEV;
	for (want = 0; want < FO_S_NSTATES; want++)
		if (strcmp(argv[0], fo_state_name(want)) == 0)
			break;
	if (want == FO_S_NSTATES) {
		printf("error: no failover state \"%s\" (see `show failover`)\n", argv[0]);
		return -EINVAL;
	}
	if (argc == 2 && app_parse_u64(argv[1], 3600000, &ms) != 0) {
		printf("error: wait partner STATE [MS], not \"%s\"\n", argv[1]);
		return -EINVAL;
	}
	rc = app_console_wait(app, ms, partner_in_state, &want);
	if (rc == -ETIMEDOUT)
		printf("error: partner not %s after %" PRIu64 " ms (it is %s)\n", argv[0], ms,
		       fo_state_name(failover_state(app->failover)));
	else if (rc == 0)
		printf("partner %s\n", argv[0]);
	return rc;
}

static bool
node_in(struct app *app, const void *arg)
{
	bool fenced = *(const bool *)arg;

	return failover_fenced(app->failover) == fenced &&
	       (fenced || failover_may_ack(app->failover, app_now_ns()) == 1);
}

/* wait fenced | serving: this node's own state (the partner holds our work,
 * or we may acknowledge writes again). */
static int
wait_node(struct app *app, int argc, char **argv, bool fenced)
{
	const char *what = fenced ? "fenced" : "serving";
	uint64_t ms = 10000;
	int rc;

	if (need_failover(app) != 0)
		return -ENODEV;
	if (argc == 1 && app_parse_u64(argv[0], 3600000, &ms) != 0) {
		printf("error: wait %s [MS], not \"%s\"\n", what, argv[0]);
		return -EINVAL;
	}
	rc = app_console_wait(app, ms, node_in, &fenced);
	if (rc == -ETIMEDOUT)
		printf("error: this node not %s after %" PRIu64 " ms\n", what, ms);
	else if (rc == 0)
		printf("this node %s\n", what);
	return rc;
}

static int
cmd_wait_fenced(struct app *app, int argc, char **argv)
{
	return wait_node(app, argc, argv, true);
}

static int
cmd_wait_serving(struct app *app, int argc, char **argv)
{
	return wait_node(app, argc, argv, false);
}

const struct app_cmd app_cmds_clients[] = {
	{ "show nvram", "", "the NVRAM log and its mirror", 0, 0, cmd_show_nvram },
	{ "nvram append", "COUNT [SIZE]", "append COUNT records of SIZE bytes (64)", 1, 2,
	  cmd_nvram_append },
	{ "nvram barrier", "[MS]", "wait until the partner has every record", 0, 1,
	  cmd_nvram_barrier },
	{ "nvram checkpoint", "SEQ", "free the log up to SEQ (on disk now)", 1, 1,
	  cmd_nvram_checkpoint },
	{ "nvram verify", "", "check our log and the partner's shadow record by record", 0, 0,
	  cmd_nvram_verify },
	{ "wait nvram in-sync", "[MS]", "wait until the mirror is in sync", 0, 1,
	  cmd_wait_nvram },
	{ "show failover", "", "the partner's state as the monitor sees it", 0, 0,
	  cmd_show_failover },
	{ "takeover", "", "take over the partner's work now (operator)", 0, 0, cmd_takeover },
	{ "giveback", "", "give the partner its work back now (operator)", 0, 0, cmd_giveback },
	{ "wait partner", "STATE [MS]", "wait until the monitor sees the partner in STATE", 1, 2,
	  cmd_wait_partner },
	{ "wait fenced", "[MS]", "wait until this node is fenced (the partner holds its work)",
	  0, 1, cmd_wait_fenced },
	{ "wait serving", "[MS]", "wait until this node may acknowledge writes again", 0, 1,
	  cmd_wait_serving },
	{ NULL, NULL, NULL, 0, 0, NULL },
};
