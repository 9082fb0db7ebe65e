/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's counters, by name as roce_stats_get() does, and the
 * transport's under it.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "ccm_pvt.h"

static const char *const counter_names[CNT_N] = {
	[CNT_TRANSITIONS] = "transitions", [CNT_IGNORED] = "events_ignored",
	[CNT_PROBES] = "probes", [CNT_PROBE_FAILS] = "probe_fails",
	[CNT_SESSIONS_UP] = "sessions_up", [CNT_TERMINATIONS] = "terminations",
	[CNT_PEER_RESTARTS] = "peer_restarts", [CNT_REFUSED] = "refused",
	[CNT_STEP_TIMEOUTS] = "step_timeouts", [CNT_MSG_TX] = "msg_tx",
	[CNT_MSG_RX] = "msg_rx", [CNT_MSG_BAD] = "msg_bad", [CNT_MSG_STALE] = "msg_stale",
	[CNT_LINK_UP] = "link_up", [CNT_LINK_DOWN] = "link_down", [CNT_QP_MOVES] = "qp_moves",
	[CNT_WORK_POSTED] = "work_posted", [CNT_WORK_FAILED] = "work_failed",
	[CNT_EVENTS_LOST] = "events_lost", [CNT_CLIENTS_UNMATCHED] = "clients_unmatched",
};
static_assert(RTE_DIM(counter_names) == CNT_N, "a name per counter");

uint64_t
ccm_stat(const struct ccm *ccm, const char *name)
{
	unsigned int i;

	for (i = 0; i < CNT_N; i++)
		if (strcmp(name, counter_names[i]) == 0)
			return ccm->count[i];
	for (i = 0; i < CCM_PROTO_NERR; i++) {
		char n[48];

		snprintf(n, sizeof(n), "proto_%s", ccm_proto_err_str(i));
		if (strcmp(name, n) == 0)
			return ccm->proto_err[i];
	}
	return UINT64_MAX;
}

int
ccm_stats_read(const struct ccm *ccm, struct ccm_stat_entry *out, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < CNT_N && i < n; i++)
		out[i] = (struct ccm_stat_entry){ counter_names[i], ccm->count[i] };
	return CNT_N;
}


int
ccm_transport_stats_read(const struct ccm *ccm, struct roce_stats_entry *out, unsigned int n)
{
	return roce_stats_read(ccm->dev, out, n);
}

uint64_t
ccm_transport_stat(const struct ccm *ccm, const char *name)
{
	return roce_stats_get(ccm->dev, name);
}

void
ccm_transport_stats_reset(struct ccm *ccm)
{
	roce_stats_reset(ccm->dev);
}
