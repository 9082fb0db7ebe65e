/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Console commands of the session and its links (docs/console.md).
 * What the CCM's lcore owns is read there, into a snapshot, and anything
 * that changes state runs there: both through app_call().
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "app.h"
#include "roce_fault.h"

#define STATS_MAX	256

static void
ip_str(uint32_t ip, char *buf, size_t len)
{
	snprintf(buf, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff,
		 ip & 0xff);
}

static int
parse_link(struct app *app, const char *s, unsigned int *idx)
{
	uint64_t v;

	if (app_parse_u64(s, app->cfg.nb_links - 1, &v) != 0) {
		printf("error: no link \"%s\" (links 0..%u)\n", s, app->cfg.nb_links - 1);
		return -EINVAL;
	}
	*idx = (unsigned int)v;
	return 0;
}

static int
cmd_show_session(struct app *app, int argc, char **argv)
{
	struct app_ccm_view v;
	int rc;

	(void)argc;
	(void)argv;
	rc = app_ccm_view(app, &v);
	if (rc != 0) {
		printf("error: show session: %s\n", strerror(-rc));
		return rc;
	}
	printf("node %s (id %u), partner %s (id %u)\n", app->cfg.node_name, app->cfg.node_id,
	       app->cfg.peer_name, app->cfg.peer_node_id);
	printf("  state        %s\n", ccm_state_name(v.state));
	printf("  session      #%u\n", v.session);
	printf("  version      %u\n", v.version);
	printf("  incarnation  %016" PRIx64 "\n", v.incarnation);
	printf("  sessions up  %" PRIu64 ", terminations %" PRIu64 ", partner restarts %"
	       PRIu64 "\n", v.sessions_up, v.terminations, v.peer_restarts);
	return 0;
}

static int
cmd_show_links(struct app *app, int argc, char **argv)
{
	struct app_ccm_view v;
	unsigned int l;
	int rc;

	(void)argc;
	(void)argv;
	rc = app_ccm_view(app, &v);
	if (rc != 0) {
		printf("error: show links: %s\n", strerror(-rc));
		return rc;
	}
	printf("link  port            state        carrier  local            partner\n");
	for (l = 0; l < app->cfg.nb_links && l < v.nb_links; l++) {
		const struct cfg_link *cl = &app->cfg.link[l];
		char local[16], peer[16];
		int carrier = v.link[l].carrier;

		ip_str(cl->local_ip, local, sizeof(local));
		ip_str(cl->peer_ip, peer, sizeof(peer));
		printf("%-5u %-15s %-12s %-8s %-16s %s\n", l, cl->port,
		       ccm_link_state_name(v.link[l].state),
		       carrier > 0 ? "up" : carrier == 0 ? "down" : "?", local, peer);
	}
	return 0;
}

/* Each link's port: its MAC and ethdev counters, read on the CCM's lcore. */
struct ports_snapshot {
	struct app *app;
	struct {
		uint16_t port_id;
		struct rte_ether_addr mac;
		struct rte_eth_stats st;
	} link[CCM_MAX_LINKS];
};

static int
do_snapshot_ports(void *arg)
{
	struct ports_snapshot *sn = arg;
	struct app *app = sn->app;
	unsigned int l;

	for (l = 0; l < app->cfg.nb_links && l < CCM_MAX_LINKS; l++) {
		sn->link[l].port_id = RTE_MAX_ETHPORTS;
		rte_eth_dev_get_port_by_name(app->cfg.link[l].port, &sn->link[l].port_id);
		ccm_link_mac(app->ccm, l, &sn->link[l].mac);
		rte_eth_stats_get(sn->link[l].port_id, &sn->link[l].st);
	}
	return 0;
}

static int
cmd_show_ports(struct app *app, int argc, char **argv)
{
	struct ports_snapshot sn = { .app = app };
	unsigned int l;
	int rc;

	(void)argc;
	(void)argv;
	rc = app_call(app->loops, APP_ROLE_CCM, do_snapshot_ports, &sn);
	if (rc != 0) {
		printf("error: show ports: %s\n", strerror(-rc));
		return rc;
	}
	for (l = 0; l < app->cfg.nb_links && l < CCM_MAX_LINKS; l++) {
		const struct rte_eth_stats *st = &sn.link[l].st;

		printf("link %u: %s (DPDK port %u) mac " RTE_ETHER_ADDR_PRT_FMT "\n", l,
		       app->cfg.link[l].port, sn.link[l].port_id,
		       RTE_ETHER_ADDR_BYTES(&sn.link[l].mac));
		printf("  rx %" PRIu64 " pkts %" PRIu64 " bytes, missed %" PRIu64 ", errors %"
		       PRIu64 "\n", st->ipackets, st->ibytes, st->imissed, st->ierrors);
		printf("  tx %" PRIu64 " pkts %" PRIu64 " bytes, errors %" PRIu64 "\n",
		       st->opackets, st->obytes, st->oerrors);
	}
	return 0;
}

/* The CCM's and the transport's counters, read on the CCM's lcore. */
struct stats_snapshot {
	struct app *app;
	struct ccm_stat_entry cs[STATS_MAX];
	struct roce_stats_entry rs[STATS_MAX];
	int ncs, nrs;
};

static int
do_snapshot_stats(void *arg)
{
	struct stats_snapshot *sn = arg;

	sn->ncs = RTE_MIN(ccm_stats_read(sn->app->ccm, sn->cs, STATS_MAX), STATS_MAX);
	sn->nrs = RTE_MIN(ccm_transport_stats_read(sn->app->ccm, sn->rs, STATS_MAX), STATS_MAX);
	return 0;
}

static int
cmd_show_stats(struct app *app, int argc, char **argv)
{
	bool all = argc == 1 && strcmp(argv[0], "all") == 0;
	struct stats_snapshot *sn;
	int i, rc;

	if (argc == 1 && !all) {
		printf("error: usage: show stats [all]\n");
		return -EINVAL;
	}
	sn = calloc(1, sizeof(*sn));
	if (sn == NULL)
		return -ENOMEM;
	sn->app = app;
	rc = app_call(app->loops, APP_ROLE_CCM, do_snapshot_stats, sn);
	if (rc != 0) {
		printf("error: show stats: %s\n", strerror(-rc));
		free(sn);
		return rc;
	}
	/* Zero counters are noise unless asked for. */
	for (i = 0; i < sn->ncs; i++)
		if (all || sn->cs[i].value != 0)
			printf("  ccm.%-32s %" PRIu64 "\n", sn->cs[i].name, sn->cs[i].value);
	for (i = 0; i < sn->nrs; i++)
		if (all || sn->rs[i].value != 0)
			printf("  roce.%-31s %" PRIu64 "\n", sn->rs[i].name, sn->rs[i].value);
	free(sn);
	return 0;
}

static int
cmd_stats(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	app_stats_print(app);
	return 0;
}

/* QPs and clients live on the CCM's lcore: snapshot them there. */
#define SHOW_MAX 64

struct snapshot {
	struct app *app;
	struct ccm_qp_info qp[SHOW_MAX];
	struct ccm_client_status client[8];
	unsigned int n;
};

static int
do_snapshot_qps(void *arg)
{
	struct snapshot *sn = arg;

	int n = ccm_qp_info(sn->app->ccm, sn->qp, SHOW_MAX);

	if (n < 0)
		return n;
	sn->n = n;
	return 0;
}

static int
cmd_show_qp(struct app *app, int argc, char **argv)
{
	struct snapshot *sn;
	uint64_t want = 0;
	unsigned int i, shown = 0;
	int rc;

	if (argc == 1 && app_parse_u64(argv[0], 0xffffff, &want) != 0) {
		printf("error: show qp [QPN], not \"%s\"\n", argv[0]);
		return -EINVAL;
	}
	sn = calloc(1, sizeof(*sn));
	if (sn == NULL)
		return -ENOMEM;
	sn->app = app;
	rc = app_call(app->loops, APP_ROLE_CCM, do_snapshot_qps, sn);
	if (rc != 0) {
		printf("error: show qp: %s\n", strerror(-rc));
		free(sn);
		return rc;
	}
	printf("qpn     state link  dest qpn  dest ip          sq psn   unacked  rq psn   "
	       "sq out  rq posted\n");
	for (i = 0; i < RTE_MIN(sn->n, (unsigned int)SHOW_MAX); i++) {
		const struct roce_qp_info *q = &sn->qp[i].qp;
		char ip[16];

		if (argc == 1 && q->qpn != want)
			continue;
		ip_str(q->dest_ip, ip, sizeof(ip));
		printf("%-7u %-5s %-5d %-9u %-16s %-8u %-8u %-8u %-7u %u\n", q->qpn,
		       roce_qp_state_str(q->state),
		       sn->qp[i].link, q->dest_qpn, ip, q->sq_psn, q->unacked_psn, q->rq_psn,
		       q->sq_outstanding, q->rq_posted);
		shown++;
	}
	free(sn);
	if (argc == 1 && shown == 0) {
		printf("error: no QP %" PRIu64 " out of RESET\n", want);
		return -ENOENT;
	}
	return 0;
}

static int
do_snapshot_clients(void *arg)
{
	struct snapshot *sn = arg;

	sn->n = ccm_clients_status(sn->app->ccm, sn->client, RTE_DIM(sn->client));
	return 0;
}

static int
cmd_show_clients(struct app *app, int argc, char **argv)
{
	struct snapshot *sn;
	unsigned int i, p;

	(void)argc;
	(void)argv;
	sn = calloc(1, sizeof(*sn));
	if (sn == NULL)
		return -ENOMEM;
	sn->app = app;
	app_call(app->loops, APP_ROLE_CCM, do_snapshot_clients, sn);
	for (i = 0; i < RTE_MIN(sn->n, RTE_DIM(sn->client)); i++) {
		const struct ccm_client_status *c = &sn->client[i];

		printf("%-10s %s, ports %u of %u, memory in the partner %" PRIu64 " of %" PRIu64
		       " bytes, holding %" PRIu64 " for it\n", c->name,
		       c->matched ? "matched" : "not matched", c->nports, c->nports_wanted,
		       c->remote_len, c->peer_mem_wanted, c->serve_len);
		for (p = 0; p < c->nports && p < RTE_DIM(c->qpn); p++)
			printf("           port %u: QP %u on link %u\n", p, c->qpn[p], c->link[p]);
	}
	free(sn);
	return 0;
}

/* ---- state changes, on the CCM's lcore ----------------------------------- */

struct link_change {
	struct app *app;
	unsigned int idx;
	bool up;
	enum roce_fault_dir dir;
	struct roce_fault_conf fault;
	const char *path;
};

static int
do_link_admin(void *arg)
{
	struct link_change *c = arg;

	return ccm_link_admin(c->app->ccm, c->idx, c->up);
}

static int
cmd_set_link(struct app *app, int argc, char **argv)
{
	struct link_change c = { .app = app };
	int rc;

	(void)argc;
	if (parse_link(app, argv[0], &c.idx) != 0)
		return -EINVAL;
	if (strcmp(argv[1], "up") != 0 && strcmp(argv[1], "down") != 0) {
		printf("error: set link N up|down, not \"%s\"\n", argv[1]);
		return -EINVAL;
	}
	c.up = strcmp(argv[1], "up") == 0;
	rc = app_call(app->loops, APP_ROLE_CCM, do_link_admin, &c);
	if (rc != 0)
		printf("error: link %u: %s\n", c.idx, strerror(-rc));
	else
		printf("link %u administratively %s\n", c.idx, c.up ? "up" : "down");
	return rc;
}

static int
do_set_fault(void *arg)
{
	struct link_change *c = arg;

	return ccm_link_set_fault(c->app->ccm, c->idx, c->dir, &c->fault);
}

static int
cmd_set_fault(struct app *app, int argc, char **argv)
{
	struct link_change c = { .app = app };
	int rc;

	(void)argc;
	if (parse_link(app, argv[0], &c.idx) != 0)
		return -EINVAL;
	if (strcmp(argv[1], "rx") != 0 && strcmp(argv[1], "tx") != 0) {
		printf("error: set fault N rx|tx SPEC|off, not \"%s\"\n", argv[1]);
		return -EINVAL;
	}
	c.dir = strcmp(argv[1], "rx") == 0 ? ROCE_FAULT_RX : ROCE_FAULT_TX;
	if (strcmp(argv[2], "off") == 0)
		memset(&c.fault, 0, sizeof(c.fault));
	else if (roce_fault_parse(argv[2], &c.fault) != 0) {
		printf("error: bad fault spec \"%s\" (e.g. drop=0.01,dup=0.001,seed=7)\n",
		       argv[2]);
		return -EINVAL;
	}
	rc = app_call(app->loops, APP_ROLE_CCM, do_set_fault, &c);
	if (rc != 0)
		printf("error: fault on link %u: %s\n", c.idx, strerror(-rc));
	return rc;
}

static int
do_capture(void *arg)
{
	struct link_change *c = arg;

	return ccm_link_capture(c->app->ccm, c->idx, c->path);
}

static int
cmd_set_capture(struct app *app, int argc, char **argv)
{
	struct link_change c = { .app = app };
	int rc;

	(void)argc;
	if (parse_link(app, argv[0], &c.idx) != 0)
		return -EINVAL;
	c.path = strcmp(argv[1], "off") == 0 ? NULL : argv[1];
	rc = app_call(app->loops, APP_ROLE_CCM, do_capture, &c);
	if (rc != 0)
		printf("error: capture on link %u to %s: %s\n", c.idx, argv[1], strerror(-rc));
	return rc;
}

static int
do_restart(void *arg)
{
	ccm_restart(((struct app *)arg)->ccm);
	return 0;
}

static int
cmd_session_restart(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return app_call(app->loops, APP_ROLE_CCM, do_restart, app);
}

static int
do_clear_stats(void *arg)
{
	ccm_transport_stats_reset(((struct app *)arg)->ccm);
	return 0;
}

static int
cmd_clear_stats(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return app_call(app->loops, APP_ROLE_CCM, do_clear_stats, app);
}

/* Scripts and tests wait for a state rather than guess a time. */
static bool
session_up(struct app *app, const void *arg)
{
	(void)arg;
	return ccm_state(app->ccm) == CCM_S_UP;
}

static int
cmd_wait_session(struct app *app, int argc, char **argv)
{
	uint64_t ms = 10000;
	int rc;

	if (argc == 1 && app_parse_u64(argv[0], 3600000, &ms) != 0) {
		printf("error: wait session up [MS], not \"%s\"\n", argv[0]);
		return -EINVAL;
	}
	rc = app_console_wait(app, ms, session_up, NULL);
	if (rc == -ETIMEDOUT)
		printf("error: session not up after %" PRIu64 " ms (state %s)\n", ms,
		       ccm_state_name(ccm_state(app->ccm)));
	else if (rc == 0)
		printf("session #%u up\n", ccm_session(app->ccm));
	return rc;
}

const struct app_cmd app_cmds_session[] = {
	{ "show session", "", "session state, number, version, incarnation", 0, 0,
	  cmd_show_session },
	{ "show links", "", "each link: CCM state, carrier, addresses", 0, 0, cmd_show_links },
	{ "show ports", "", "each link's DPDK port: MAC and ethdev counters", 0, 0,
	  cmd_show_ports },
	{ "show stats", "[all]", "CCM and transport counters (non-zero, or all)", 0, 1,
	  cmd_show_stats },
	{ "show qp", "[QPN]", "the transport's QPs: state, link, PSNs, work queued", 0, 1,
	  cmd_show_qp },
	{ "show clients", "", "the CCM's clients: ports, QPs, links, memory", 0, 0,
	  cmd_show_clients },
	{ "stats", "", "the one-line summary (as --stats prints)", 0, 0, cmd_stats },
	{ "clear stats", "", "zero the transport counters", 0, 0, cmd_clear_stats },
	{ "set link", "N up|down", "take link N out of service, or back", 2, 2, cmd_set_link },
	{ "set fault", "N rx|tx SPEC|off", "inject faults on link N (drop=,dup=,reorder=,"
	  "corrupt=,delay=,delay_us=,seed=)", 3, 3, cmd_set_fault },
	{ "set capture", "N FILE|off", "write link N's frames to a pcap FILE", 2, 2,
	  cmd_set_capture },
	{ "session restart", "", "terminate the session and initiate again", 0, 0,
	  cmd_session_restart },
	{ "wait session up", "[MS]", "wait until the session is up (default 10000 ms)", 0, 1,
	  cmd_wait_session },
	{ NULL, NULL, NULL, 0, 0, NULL },
};
