/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: the CCM's view taken on its lcore, the periodic line
 * (--stats) made from it, and the /app/node telemetry endpoint
 * (dpdk-telemetry.py); lib/ccm registers /ccm/ itself.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>
#include <rte_telemetry.h>

#include "app.h"

static struct app *telemetry_app;	/* telemetry callbacks take no context */

struct view_call {
	struct app *app;
	struct app_ccm_view *v;
};

static int
do_ccm_view(void *arg)
{
	struct view_call *c = arg;
	struct ccm *ccm = c->app->ccm;
	struct app_ccm_view *v = c->v;
	unsigned int l;

	memset(v, 0, sizeof(*v));
	v->state = ccm_state(ccm);
	v->session = ccm_session(ccm);
	v->version = ccm_version(ccm);
	v->incarnation = ccm_incarnation(ccm);
	v->sessions_up = ccm_stat(ccm, "sessions_up");
	v->terminations = ccm_stat(ccm, "terminations");
	v->peer_restarts = ccm_stat(ccm, "peer_restarts");
	v->tx_frames = ccm_transport_stat(ccm, "tx_frames");
	v->rx_frames = ccm_transport_stat(ccm, "rx_frames");
	v->req_retransmits = ccm_transport_stat(ccm, "req_retransmits");
	v->nb_links = RTE_MIN(ccm_nb_links(ccm), (unsigned int)CCM_MAX_LINKS);
	for (l = 0; l < v->nb_links; l++) {
		v->link[l].state = ccm_link_state(ccm, l);
		v->link[l].carrier = ccm_link_carrier(ccm, l);
	}
	return 0;
}

int
app_ccm_view(struct app *app, struct app_ccm_view *v)
{
	struct view_call c = { .app = app, .v = v };

	return app_call(app->loops, APP_ROLE_CCM, do_ccm_view, &c);
}

void
app_stats_print(struct app *app)
{
	struct app_ccm_view v;
	unsigned int l;

	if (app_ccm_view(app, &v) != 0)
		return;
	printf("stats: session %s #%u", ccm_state_name(v.state), v.session);
	for (l = 0; l < v.nb_links; l++)
		printf(" link%u %s", l, ccm_link_state_name(v.link[l].state));
	printf(" tx %" PRIu64 " rx %" PRIu64 " retx %" PRIu64, v.tx_frames, v.rx_frames,
	       v.req_retransmits);
	if (app->nvram != NULL)
		printf(" nvram acked %" PRIu64 " unmirrored %" PRIu64 " %s",
		       nvram_shadow_acked(app->nvram), nvram_shadow_unmirrored(app->nvram),
		       nvram_shadow_in_sync(app->nvram) ? "in-sync" : "degraded");
	if (app->failover != NULL)
		printf(" partner %s", fo_state_name(failover_state(app->failover)));
	printf("\n");
	fflush(stdout);
}

/* What the application adds to the CCM's own /ccm/ endpoints (lib/ccm):
 * the names it was configured with, its NVRAM mirror and failover monitor. */
static int
tel_node(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct app *app = telemetry_app;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "node", app->cfg.node_name);
	rte_tel_data_add_dict_string(d, "partner", app->cfg.peer_name);
	if (app->nvram != NULL) {
		rte_tel_data_add_dict_u64(d, "nvram_acked", nvram_shadow_acked(app->nvram));
		rte_tel_data_add_dict_u64(d, "nvram_unmirrored",
					  nvram_shadow_unmirrored(app->nvram));
	}
	if (app->failover != NULL)
		rte_tel_data_add_dict_string(d, "partner_state",
					     fo_state_name(failover_state(app->failover)));
	return 0;
}

int
app_telemetry_register(struct app *app)
{
	telemetry_app = app;
	rte_telemetry_register_cmd("/app/node", tel_node,
				   "This node: names, NVRAM mirror, partner as the failover "
				   "monitor sees it. Takes no parameters");
	return 0;
}
