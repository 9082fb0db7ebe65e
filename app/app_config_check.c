/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rules that span keys and nodes (docs/configuration.md, "Rules across
 * keys and nodes"), checked once the walk has read every key. A message
 * points at the key that breaks the rule: the later one of two, or the
 * section when the key was not given.
 */
#include <assert.h>
#include <inttypes.h>
#include <stdint.h>
#include <string.h>

#include <rte_common.h>

#include "app_config_pvt.h"
#include "ccm_defaults.h"
#include "failover_defaults.h"

/* The rules are the libraries'; the messages name them in words. */
static_assert(CCM_LINK_TIMEOUT_MIN_KEEPALIVES == 2, "the message says \"twice keepalive_us\"");
static_assert(FO_TIMEOUT_MIN_HEARTBEATS == 2, "the message says \"twice heartbeat_us\"");
static_assert(FO_NODE_ID_MIN == 1 && FO_NODE_ID_MAX == 2, "the message says \"1 or 2\"");

/* Where to point at a rule between two keys: the second if given, else the first. */
static struct cfg_pos
either(const struct cfg_pos *pos, unsigned int second, unsigned int first)
{
	return cfg_given(pos[second]) ? pos[second] : pos[first];
}

static int
check_cluster(struct cfg_msg *m, const struct cluster_def *c)
{
	if (!ccm_link_timeout_ok(c->keepalive_us, c->link_timeout_us))
		return cfg_fail_at(m, either(c->pos, CF_LINK_TIMEOUT, CF_KEEPALIVE),
				   "cluster.timings: link_timeout_us (%" PRIu64
				   ") must be at least twice keepalive_us (%" PRIu64 ")",
				   c->link_timeout_us, c->keepalive_us);
	if (!failover_timeout_ok(c->heartbeat_us, c->partner_timeout_us))
		return cfg_fail_at(m, either(c->pos, CF_PARTNER_TIMEOUT, CF_HEARTBEAT),
				   "cluster.timings: partner_timeout_us (%" PRIu64
				   ") must be at least twice heartbeat_us (%" PRIu64 ")",
				   c->partner_timeout_us, c->heartbeat_us);
	if (cfg_given(c->pos[CF_PARTNER_FAST_TIMEOUT]) &&
	    (!failover_timeout_ok(c->heartbeat_us, c->partner_fast_timeout_us) ||
	     c->partner_fast_timeout_us > c->partner_timeout_us))
		return cfg_fail_at(m, c->pos[CF_PARTNER_FAST_TIMEOUT],
				   "cluster.timings: partner_fast_timeout_us (%" PRIu64
				   ") must be at least twice heartbeat_us (%" PRIu64
				   ") and at most partner_timeout_us (%" PRIu64 ")",
				   c->partner_fast_timeout_us, c->heartbeat_us,
				   c->partner_timeout_us);
	return 0;
}

uint64_t
app_config_fast_timeout_us(const struct cluster_def *c)
{
	if (cfg_given(c->pos[CF_PARTNER_FAST_TIMEOUT]))
		return c->partner_fast_timeout_us;
	return failover_default_fast(c->partner_timeout_us, c->heartbeat_us);
}

/* Within one node: ports distinct, the log and the shadow distinct. */
static int
check_node(struct cfg_msg *m, const struct app_config_doc *d, unsigned int ni)
{
	const struct node_def *n = &d->node[ni];
	unsigned int i, j;

	for (i = 0; i < n->nb_links; i++)
		for (j = 0; j < i; j++)
			if (strcmp(n->link[i].port, n->link[j].port) == 0)
				return cfg_fail_at(m, n->link[i].pos[LF_PORT],
						   "nodes[%u].links[%u].port: \"%s\" is already the port of nodes[%u].links[%u]",
						   ni, i, n->link[i].port, ni, j);
	if (node_has(n, NF_NVRAM) && strcmp(n->nvram_file, n->shadow_file) == 0)
		return cfg_fail_at(m, n->pos[NF_NV_SHADOW],
				   "nodes[%u].nvram.shadow: \"%s\" is also the log file", ni,
				   n->shadow_file);
	if (node_has(n, NF_NVRAM) && n->mailbox[0] != '\0' &&
	    (strcmp(n->mailbox, n->nvram_file) == 0 || strcmp(n->mailbox, n->shadow_file) == 0))
		return cfg_fail_at(m, n->pos[NF_FO_MAILBOX],
				   "nodes[%u].failover.mailbox: \"%s\" is also an nvram file", ni,
				   n->mailbox);
	return 0;
}

/* Link @p x of the file, counting CFG_MAX_LINKS per node; NULL past a node's last. */
static const struct link_def *
link_at(const struct app_config_doc *d, unsigned int x)
{
	const struct node_def *n = &d->node[x / CFG_MAX_LINKS];

	return x % CFG_MAX_LINKS < n->nb_links ? &n->link[x % CFG_MAX_LINKS] : NULL;
}

/* Every IP address in the file once, and every MAC address given. */
static int
check_addresses(struct cfg_msg *m, const struct app_config_doc *d)
{
	const unsigned int n = CFG_MAX_LINKS;
	const struct link_def *p, *q;
	unsigned int x, y;
	char s[32];

	for (x = 0; x < NB_NODES * n; x++)
		for (y = 0; y < x && (p = link_at(d, x)) != NULL; y++) {
			q = link_at(d, y);
			if (q == NULL)
				continue;
			if (p->ip == q->ip) {
				cfg_format_ip(p->ip, s, sizeof(s));
				return cfg_fail_at(m, p->pos[LF_IP],
						   "nodes[%u].links[%u].ip: %s is already the address of nodes[%u].links[%u]",
						   x / n, x % n, s, y / n, y % n);
			}
			if (cfg_given(p->pos[LF_MAC]) && cfg_given(q->pos[LF_MAC]) &&
			    memcmp(p->mac, q->mac, sizeof(p->mac)) == 0) {
				cfg_format_mac(p->mac, s, sizeof(s));
				return cfg_fail_at(m, p->pos[LF_MAC],
						   "nodes[%u].links[%u].mac: %s is already the address of nodes[%u].links[%u]",
						   x / n, x % n, s, y / n, y % n);
			}
		}
	return 0;
}

/* A section both nodes need if either has it. */
static int
check_both(struct cfg_msg *m, const struct app_config_doc *d, enum node_field f,
	   const char *what, const char *why)
{
	const struct node_def *n = d->node;
	unsigned int without;

	if (node_has(&n[0], f) == node_has(&n[1], f))
		return 0;
	without = node_has(&n[0], f) ? 1 : 0;
	return cfg_fail_at(m, n[without].at, "nodes[%u]: no %s, but nodes[%u] has one (%s)",
			   without, what, 1 - without, why);
}

static int
check_nodes(struct cfg_msg *m, const struct app_config_doc *d)
{
	const struct node_def *a = &d->node[0], *b = &d->node[1];
	char x[32], y[32];
	unsigned int ni;
	int rc;

	if (strcmp(a->name, b->name) == 0)
		return cfg_fail_at(m, b->pos[NF_NAME],
				   "nodes[1].name: \"%s\" is already the name of nodes[0]", b->name);
	if (a->id == b->id)
		return cfg_fail_at(m, b->pos[NF_ID],
				   "nodes[1].id: %" PRIu64 " is already the id of nodes[0]", b->id);
	if (a->nb_links != b->nb_links)
		return cfg_fail_at(m, b->pos[NF_LINKS],
				   "nodes[1].links: %u link%s, but nodes[0] has %u (link i of one node joins link i of the other)",
				   b->nb_links, b->nb_links == 1 ? "" : "s", a->nb_links);
	for (ni = 0; ni < NB_NODES; ni++) {
		rc = check_node(m, d, ni);
		if (rc < 0)
			return rc;
	}
	rc = check_addresses(m, d);
	if (rc < 0)
		return rc;
	rc = check_both(m, d, NF_NVRAM, "nvram section",
			"each node mirrors its log into the other's shadow");
	if (rc < 0)
		return rc;
	if (node_has(a, NF_NVRAM) && a->nvram_size != b->nvram_size) {
		cfg_format_size(b->nvram_size, x, sizeof(x));
		cfg_format_size(a->nvram_size, y, sizeof(y));
		return cfg_fail_at(m, either(b->pos, NF_NV_SIZE, NF_NVRAM),
				   "nodes[1].nvram.size: %s, but nodes[0] has %s (the shadow mirrors the partner's log byte for byte)",
				   x, y);
	}
	rc = check_both(m, d, NF_FAILOVER, "failover section",
			"the failover monitors watch each other");
	if (rc < 0)
		return rc;
	if ((a->mailbox[0] != '\0') != (b->mailbox[0] != '\0')) {
		ni = a->mailbox[0] != '\0' ? 1 : 0;
		return cfg_fail_at(m, either(d->node[ni].pos, NF_FO_MAILBOX, NF_FAILOVER),
				   "nodes[%u].failover: no mailbox, but nodes[%u] has one (it proves a node alive only if both write it)",
				   ni, 1 - ni);
	}
	if (node_has(a, NF_FAILOVER))
		for (ni = 0; ni < NB_NODES; ni++)
			if (!failover_node_id_ok(d->node[ni].id))
				return cfg_fail_at(m, d->node[ni].pos[NF_ID],
						   "nodes[%u].id: %" PRIu64 " is not 1 or 2 (with a failover section the node ids are 1 and 2: one mailbox slot each)",
						   ni, d->node[ni].id);
	return 0;
}

int
app_config_check(struct cfg_msg *m, const struct app_config_doc *d)
{
	int rc = check_cluster(m, &d->cluster);

	return rc < 0 ? rc : check_nodes(m, d);
}
