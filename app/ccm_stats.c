/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Statistics: the periodic line (--stats) and the /ccm/ telemetry
 * endpoints (dpdk-telemetry.py). Reads only: counters and states are
 * plain loads of values other lcores write.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <rte_telemetry.h>

#include "ccm_app.h"

static struct app *telemetry_app;	/* telemetry callbacks take no context */

void
app_stats_print(struct app *app)
{
	unsigned int l;

	printf("stats: session %s #%u", ccm_state_name(ccm_state(app->ccm)),
	       ccm_session(app->ccm));
	for (l = 0; l < app->cfg.nb_links; l++)
		printf(" link%u %s", l, ccm_link_state_name(ccm_link_state(app->ccm, l)));
	printf(" tx %" PRIu64 " rx %" PRIu64 " retx %" PRIu64,
	       ccm_transport_stat(app->ccm, "tx_frames"), ccm_transport_stat(app->ccm, "rx_frames"),
	       ccm_transport_stat(app->ccm, "req_retransmits"));
	if (app->nvram != NULL)
		printf(" nvram acked %" PRIu64 " unmirrored %" PRIu64 " %s",
		       nvram_shadow_acked(app->nvram), nvram_shadow_unmirrored(app->nvram),
		       nvram_shadow_in_sync(app->nvram) ? "in-sync" : "degraded");
	if (app->failover != NULL)
		printf(" partner %s", fo_state_name(failover_state(app->failover)));
	printf("\n");
	fflush(stdout);
}

static int
tel_session(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct app *app = telemetry_app;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "node", app->cfg.node_name);
	rte_tel_data_add_dict_string(d, "partner", app->cfg.peer_name);
	rte_tel_data_add_dict_string(d, "state", ccm_state_name(ccm_state(app->ccm)));
	rte_tel_data_add_dict_u64(d, "session", ccm_session(app->ccm));
	rte_tel_data_add_dict_u64(d, "version", ccm_version(app->ccm));
	rte_tel_data_add_dict_u64(d, "incarnation", ccm_incarnation(app->ccm));
	rte_tel_data_add_dict_u64(d, "sessions_up", ccm_stat(app->ccm, "sessions_up"));
	rte_tel_data_add_dict_u64(d, "terminations", ccm_stat(app->ccm, "terminations"));
	rte_tel_data_add_dict_u64(d, "peer_restarts", ccm_stat(app->ccm, "peer_restarts"));
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

static int
tel_links(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct app *app = telemetry_app;
	unsigned int l;

	(void)cmd;
	(void)params;
	rte_tel_data_start_dict(d);
	for (l = 0; l < app->cfg.nb_links; l++) {
		struct rte_tel_data *lk = rte_tel_data_alloc();
		char key[16];

		if (lk == NULL)
			return -ENOMEM;
		rte_tel_data_start_dict(lk);
		rte_tel_data_add_dict_string(lk, "port", app->cfg.link[l].port);
		rte_tel_data_add_dict_string(lk, "state",
					     ccm_link_state_name(ccm_link_state(app->ccm, l)));
		snprintf(key, sizeof(key), "link%u", l);
		rte_tel_data_add_dict_container(d, key, lk, 0);
	}
	return 0;
}

int
app_telemetry_register(struct app *app)
{
	telemetry_app = app;
	rte_telemetry_register_cmd("/ccm/session", tel_session,
				   "The session with the partner. Takes no parameters");
	rte_telemetry_register_cmd("/ccm/links", tel_links,
				   "Each link's state. Takes no parameters");
	return 0;
}
