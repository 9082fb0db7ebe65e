/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Takeover (claims 2-3 of 000_...): the partner is down; its NVRAM log,
 * mirrored into our shadow file, is replayed record by record, in order,
 * into --replay-out (a storage system would apply them to its disks).
 * Fencing: the partner took over our work; we serve nothing until it gives
 * it back, and our own log, which it replayed, is discarded.
 */
#include <inttypes.h>
#include <stdio.h>

#include "app.h"

struct replay_out {
	struct app *app;
	FILE *out;
};

static int
replay_record(uint64_t seq, const void *data, uint32_t len, void *arg)
{
	struct replay_out *r = arg;

	if (r->out != NULL) {
		/* One line per record: sequence, length, then the bytes in hex
		 * (the demo's records are short text). */
		const uint8_t *p = data;
		uint32_t i;

		fprintf(r->out, "%" PRIu64 " %u ", seq, len);
		for (i = 0; i < len; i++)
			fprintf(r->out, "%02x", p[i]);
		fputc('\n', r->out);
	}
	r->app->replayed++;
	return 0;
}

void
app_takeover(void *arg)
{
	struct app *app = arg;
	struct replay_out r = { .app = app };
	int n;

	if (app->nvram == NULL) {
		printf("ccm: takeover: no NVRAM configured, nothing to replay\n");
		app->took_over = true;
		return;
	}
	if (app->replay_out[0] != '\0')
		r.out = fopen(app->replay_out, "w");
	n = nvram_shadow_replay_partner(app->nvram, replay_record, &r);
	if (r.out != NULL)
		fclose(r.out);
	if (n < 0)
		printf("ccm: takeover: the partner's shadow holds no valid log\n");
	else
		printf("ccm: takeover: replayed %d record(s) of node %u's NVRAM log\n", n,
		       app->cfg.peer_node_id);
	fflush(stdout);
	app->took_over = true;
}

/* Called on the failover lcore once the partner is back, its mirror of our
 * log resynchronised, and the giveback delay passed. */
void
app_giveback(void *arg)
{
	struct app *app = arg;

	printf("ccm: giveback: node %u serves its own work again\n", app->cfg.peer_node_id);
	fflush(stdout);
	app->took_over = false;
}

/* Called on the failover lcore: the partner says it holds our work (it
 * took over while we were stopped or cut off), or gave it back. */
void
app_fence(void *arg, bool fenced)
{
	struct app *app = arg;

	if (fenced) {
		printf("ccm: fenced: node %u holds this node's work; nothing is acknowledged "
		       "until it gives it back\n", app->cfg.peer_node_id);
	} else {
		printf("ccm: node %u gave this node's work back: serving again\n",
		       app->cfg.peer_node_id);
	}
	fflush(stdout);
}

/* Called on the failover lcore: the partner replayed our log; the NVRAM
 * lcore forgets it (none of it may ever be replayed again). */
void
app_discard(void *arg)
{
	struct app *app = arg;

	__atomic_store_n(&app->discard_req, 1, __ATOMIC_RELEASE);
}
