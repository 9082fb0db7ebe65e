/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Loading the application's configuration (app_config.h): defaults, the
 * walk of the file against the schema (app_config_walk.c with
 * app_config_schema.c), the rules across keys and nodes
 * (app_config_check.c), the choice of node. Only then is struct app_config
 * filled, for the chosen node, so a failed load leaves it untouched. The
 * first error stops the load.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app_config_pvt.h"

/* The node called @p name, or the host's, or the first. @return its index, or -EINVAL. */
static int
choose_node(struct cfg_msg *m, const struct app_config_doc *d, const char *name)
{
	char host[256];
	unsigned int i;

	if (name == NULL) {
		if (gethostname(host, sizeof(host)) == 0) {
			host[sizeof(host) - 1] = '\0';
			for (i = 0; i < NB_NODES; i++)
				if (strcmp(d->node[i].name, host) == 0)
					return i;
		}
		return 0;
	}
	for (i = 0; i < NB_NODES; i++)
		if (strcmp(d->node[i].name, name) == 0)
			return i;
	return cfg_fail(m, "no node named %s (nodes: %s, %s)",
			cfg_show_text(m, name, strlen(name)), d->node[0].name, d->node[1].name);
}

static void
assemble(const struct app_config_doc *d, const char *file, unsigned int me,
	 struct app_config *cfg)
{
	const struct cluster_def *c = &d->cluster;
	const struct node_def *n = &d->node[me], *p = &d->node[1 - me];
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", file);
	cfg->cluster_id = (uint32_t)c->id;
	cfg->boot_qpn = (uint32_t)c->qpn;
	cfg->boot_rkey = (uint32_t)c->rkey;
	cfg->boot_addr = c->addr;
	cfg->mtu = (uint16_t)c->mtu;
	cfg->ack_timeout = (uint8_t)c->ack_timeout;
	cfg->retry_cnt = (uint8_t)c->retry_count;
	cfg->keepalive_us = c->keepalive_us;
	cfg->link_timeout_us = c->link_timeout_us;
	cfg->heartbeat_us = c->heartbeat_us;
	cfg->partner_timeout_us = c->partner_timeout_us;
	cfg->partner_fast_timeout_us = app_config_fast_timeout_us(c);
	cfg->giveback_delay_ms = c->giveback_delay_ms;
	cfg->balance = (enum cfg_balance)c->balance;
	cfg->failback = c->failback;

	memcpy(cfg->node_name, n->name, sizeof(cfg->node_name));
	cfg->node_id = (uint16_t)n->id;
	cfg->nb_links = n->nb_links;
	for (i = 0; i < n->nb_links; i++) {
		const struct link_def *ml = &n->link[i], *pl = &p->link[i];
		struct cfg_link *k = &cfg->link[i];

		memcpy(k->port, ml->port, sizeof(k->port));
		k->local_ip = ml->ip;
		k->peer_ip = pl->ip;
		k->has_local_mac = cfg_given(ml->pos[LF_MAC]);
		if (k->has_local_mac)
			memcpy(k->local_mac, ml->mac, sizeof(k->local_mac));
		k->has_peer_mac = cfg_given(pl->pos[LF_MAC]);
		if (k->has_peer_mac)
			memcpy(k->peer_mac, pl->mac, sizeof(k->peer_mac));
		memcpy(k->fault_rx, ml->fault_rx, sizeof(k->fault_rx));
		memcpy(k->fault_tx, ml->fault_tx, sizeof(k->fault_tx));
	}
	cfg->lcore_ccm = (unsigned int)n->lcore_ccm;
	cfg->lcore_failover = (unsigned int)n->lcore_failover;
	cfg->lcore_nvram = (unsigned int)n->lcore_nvram;
	cfg->nvram_enabled = node_has(n, NF_NVRAM);
	memcpy(cfg->nvram_file, n->nvram_file, sizeof(cfg->nvram_file));
	cfg->nvram_size = n->nvram_size;
	memcpy(cfg->shadow_file, n->shadow_file, sizeof(cfg->shadow_file));
	cfg->mirror = (enum cfg_mirror)n->mirror;
	cfg->failover_enabled = node_has(n, NF_FAILOVER);
	memcpy(cfg->mailbox, n->mailbox, sizeof(cfg->mailbox));

	memcpy(cfg->peer_name, p->name, sizeof(cfg->peer_name));
	cfg->peer_node_id = (uint16_t)p->id;
}

int
app_config_load(const char *path, const char *node, struct app_config *cfg, char *err,
		size_t errlen)
{
	struct app_config_doc *d;
	struct cfg_msg *m;
	int rc, me;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || cfg == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "no configuration file given");
		return -EINVAL;
	}
	d = calloc(1, sizeof(*d));
	m = calloc(1, sizeof(*m));
	if (d == NULL || m == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", path);
		free(d);
		free(m);
		return -ENOMEM;
	}
	m->file = path;
	m->err = err;
	m->errlen = errlen;
	if (strlen(path) >= CFG_PATH_LEN) {
		cfg_fail(m, "path longer than %d characters", CFG_PATH_LEN - 1);
		rc = -ENAMETOOLONG;
		goto out;
	}
	app_config_defaults(d);
	rc = cfg_walk_file(m, &app_config_schema, d, d->pos);
	if (rc == 0)
		rc = app_config_check(m, d);
	if (rc < 0)
		goto out;
	me = choose_node(m, d, node);
	if (me < 0) {
		rc = me;
		goto out;
	}
	assemble(d, path, me, cfg);
out:
	free(d);
	free(m);
	return rc;
}
