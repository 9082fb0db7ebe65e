/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The /ccm/ telemetry endpoints (dpdk-telemetry.py), registered by the
 * CCM as lib/roce registers /roce/. The telemetry thread never reads what
 * the CCM's lcore is changing: that lcore copies what is shown into
 * ccm->pub now and then, and on every change of session state.
 * Telemetry callbacks take no context: the CCMs live in a registry.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "ccm_pvt.h"

#define CCM_MAX_INSTANCES	16
#define PUBLISH_NS		10000000ull	/* 10 ms: fresher than anyone asks */

static struct {
	rte_spinlock_t lock;
	struct ccm *ccm[CCM_MAX_INSTANCES];
	bool registered;
} registry = { .lock = RTE_SPINLOCK_INITIALIZER };

void
ccm_telemetry_publish(struct ccm *ccm)
{
	struct ccm_published *pub = &ccm->pub;
	unsigned int i;

	if (ccm->now_ns < pub->next_ns && ccm->state == pub->state)
		return;
	pub->next_ns = ccm->now_ns + PUBLISH_NS;
	rte_spinlock_lock(&pub->lock);
	pub->state = ccm->state;
	pub->session = ccm->session;
	pub->version = ccm->version;
	pub->incarnation = ccm->incarnation;
	memcpy(pub->peer_name, ccm->peer_hello.u.hello.node_name, sizeof(pub->peer_name));
	pub->peer_name[sizeof(pub->peer_name) - 1] = '\0';
	memcpy(pub->count, ccm->count, sizeof(pub->count));
	for (i = 0; i < ccm->conf.nb_links; i++) {
		pub->link[i].state = ccm->link[i].state;
		pub->link[i].carrier = ccm->link[i].carrier;
		pub->link[i].last_beat_ns = ccm->link[i].last_beat_ns;
	}
	rte_spinlock_unlock(&pub->lock);
}

/* Each CCM the parameter names (all, without one) into @p d: fill() with
 * its copy, taken under its lock. */
static int
each_ccm(const char *params, struct rte_tel_data *d,
	 void (*fill)(const struct ccm *ccm, const struct ccm_published *pub,
		      struct rte_tel_data *c))
{
	struct ccm_published *copy = malloc(sizeof(*copy));
	unsigned int i;
	int found = 0;

	if (copy == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&registry.lock);
	for (i = 0; i < CCM_MAX_INSTANCES; i++) {
		struct ccm *ccm = registry.ccm[i];
		struct rte_tel_data *c;

		if (ccm == NULL || (params != NULL && *params != '\0' &&
				    strcmp(params, ccm->conf.name) != 0))
			continue;
		c = rte_tel_data_alloc();
		if (c == NULL)
			break;
		rte_spinlock_lock(&ccm->pub.lock);
		*copy = ccm->pub;
		rte_spinlock_unlock(&ccm->pub.lock);
		rte_tel_data_start_dict(c);
		fill(ccm, copy, c);
		rte_tel_data_add_dict_container(d, ccm->conf.name, c, 0);
		found++;
	}
	rte_spinlock_unlock(&registry.lock);
	free(copy);
	return found == 0 && params != NULL && *params != '\0' ? -EINVAL : 0;
}

static void
fill_session(const struct ccm *ccm, const struct ccm_published *pub, struct rte_tel_data *c)
{
	rte_tel_data_add_dict_string(c, "node", ccm->conf.name);
	rte_tel_data_add_dict_u64(c, "node_id", ccm->conf.node_id);
	rte_tel_data_add_dict_string(c, "partner", pub->peer_name);
	rte_tel_data_add_dict_u64(c, "partner_id", ccm->conf.peer_node_id);
	rte_tel_data_add_dict_string(c, "state", ccm_state_name(pub->state));
	rte_tel_data_add_dict_u64(c, "session", pub->session);
	rte_tel_data_add_dict_u64(c, "version", pub->version);
	rte_tel_data_add_dict_u64(c, "incarnation", pub->incarnation);
	rte_tel_data_add_dict_u64(c, "sessions_up", pub->count[CNT_SESSIONS_UP]);
	rte_tel_data_add_dict_u64(c, "terminations", pub->count[CNT_TERMINATIONS]);
	rte_tel_data_add_dict_u64(c, "peer_restarts", pub->count[CNT_PEER_RESTARTS]);
}

static void
fill_links(const struct ccm *ccm, const struct ccm_published *pub, struct rte_tel_data *c)
{
	unsigned int l;

	for (l = 0; l < ccm->conf.nb_links; l++) {
		struct rte_tel_data *lk = rte_tel_data_alloc();
		char key[16];

		if (lk == NULL)
			return;
		rte_tel_data_start_dict(lk);
		rte_tel_data_add_dict_string(lk, "state", ccm_link_state_name(pub->link[l].state));
		rte_tel_data_add_dict_string(lk, "carrier", pub->link[l].carrier > 0 ? "up" :
					     pub->link[l].carrier == 0 ? "down" : "?");
		rte_tel_data_add_dict_u64(lk, "last_beat_ns", pub->link[l].last_beat_ns);
		snprintf(key, sizeof(key), "link%u", l);
		rte_tel_data_add_dict_container(c, key, lk, 0);
	}
}

static int
telemetry_session(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	return each_ccm(params, d, fill_session);
}

static int
telemetry_links(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	return each_ccm(params, d, fill_links);
}

int
ccm_telemetry_register(struct ccm *ccm)
{
	unsigned int i;
	int rc = -ENOSPC;

	rte_spinlock_init(&ccm->pub.lock);
	ccm->pub.state = CCM_S_NSTATES;		/* published at the first poll */
	rte_spinlock_lock(&registry.lock);
	if (!registry.registered) {
		rte_telemetry_register_cmd("/ccm/session", telemetry_session,
					   "The session with the partner, by CCM. Parameters: "
					   "CCM name (optional)");
		rte_telemetry_register_cmd("/ccm/links", telemetry_links,
					   "Each link's state, by CCM. Parameters: CCM name "
					   "(optional)");
		registry.registered = true;
	}
	for (i = 0; i < CCM_MAX_INSTANCES; i++)
		if (registry.ccm[i] == NULL) {
			registry.ccm[i] = ccm;
			ccm->telemetry = true;
			rc = 0;
			break;
		}
	rte_spinlock_unlock(&registry.lock);
	return rc;
}

void
ccm_telemetry_unregister(struct ccm *ccm)
{
	unsigned int i;

	if (!ccm->telemetry)
		return;
	rte_spinlock_lock(&registry.lock);
	for (i = 0; i < CCM_MAX_INSTANCES; i++)
		if (registry.ccm[i] == ccm)
			registry.ccm[i] = NULL;
	rte_spinlock_unlock(&registry.lock);
	ccm->telemetry = false;
}
