/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm: one node of the HA pair. Builds the objects the configuration
 * describes, launches the lcores, runs the console or a script, and on
 * SIGINT/SIGTERM shuts down cleanly. Nothing else lives here.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_pdump.h>

#include "app.h"

static struct app *the_app;	/* for the signal handler only */

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [EAL options] -- --config FILE [options]\n"
		"One node of an HA storage pair: RoCEv2 interconnect, cluster connection\n"
		"manager, failover monitor and NVRAM shadow (docs/architecture.md).\n"
		"\n"
		"  -c, --config FILE     configuration (docs/configuration.md); required\n"
		"  -n, --node NAME       which node of the file this is (default: the host name,\n"
		"                        else the first node)\n"
		"  -i, --interactive     a console on the terminal (type `help`)\n"
		"  -s, --script FILE     run console commands from FILE, then keep running\n"
		"                        until `quit` or a signal\n"
		"  -t, --stats SECONDS   print a statistics line every SECONDS (0: never)\n"
		"  -r, --replay-out FILE at takeover, write the partner's replayed records here\n"
		"  -h, --help            this help\n"
		"\n"
		"EAL options go before `--`, e.g. --no-huge -m 256 --no-pci -l 0\n"
		"--vdev=net_memif0,role=server,socket=/tmp/l0.sock; each link of the\n"
		"configuration names its DPDK port (net_memif0, ...).\n"
		"Exit status: 0 clean shutdown, 1 run-time failure, 2 bad usage or configuration.\n",
		prog);
}

static void
on_signal(int sig)
{
	(void)sig;
	if (the_app != NULL)
		the_app->quit = true;
}

static int
poll_ccm(void *obj, uint64_t now)
{
	return ccm_poll(obj, now);
}

static int
poll_nvram(void *obj, uint64_t now)
{
	struct app *app = obj;

	(void)now;
	/* Fenced: the partner replayed our log; forget it (on this lcore,
	 * which owns the log). */
	if (__atomic_exchange_n(&app->discard_req, 0, __ATOMIC_ACQ_REL))
		nvram_shadow_discard(app->nvram);
	return nvram_shadow_poll(app->nvram);
}

static int
poll_failover(void *obj, uint64_t now)
{
	return failover_poll(obj, now);
}

static bool
nvram_resynced(void *arg)
{
	struct app *app = arg;

	return app->nvram == NULL || nvram_shadow_in_sync(app->nvram);
}

static bool
nvram_mirrored(void *arg)
{
	struct app *app = arg;

	return app->nvram == NULL || nvram_shadow_mirrored(app->nvram);
}

static bool
nvram_discarded(void *arg)
{
	struct app *app = arg;

	return app->nvram == NULL ||
	       (!__atomic_load_n(&app->discard_req, __ATOMIC_ACQUIRE) &&
		nvram_shadow_discarded(app->nvram));
}

/* The failover monitor's lease: no write acknowledged without it. */
static int
nvram_gate(void *arg, uint64_t now)
{
	struct app *app = arg;

	return app->failover == NULL ? 1 : failover_may_ack(app->failover, now);
}

/* Build the CCM and its clients from the configuration. */
static int
build(struct app *app)
{
	const struct app_config *cfg = &app->cfg;
	struct ccm_conf conf = { 0 };
	unsigned int l;

	ccm_conf_defaults(&conf);
	conf.name = cfg->node_name;
	conf.cluster_id = cfg->cluster_id;
	conf.node_id = cfg->node_id;
	conf.peer_node_id = cfg->peer_node_id;
	conf.nb_links = cfg->nb_links;
	for (l = 0; l < cfg->nb_links; l++) {
		uint16_t port;

		if (rte_eth_dev_get_port_by_name(cfg->link[l].port, &port) != 0) {
			fprintf(stderr, "ccm: %s: link %u: no DPDK port named %s (give it with "
				"--vdev, or check the name)\n", cfg->path, l, cfg->link[l].port);
			return -ENODEV;
		}
		conf.link[l].port_id = port;
		conf.link[l].configure = true;
		conf.link[l].local_ip = cfg->link[l].local_ip;
		conf.link[l].peer_ip = cfg->link[l].peer_ip;
		if (cfg->link[l].has_local_mac)
			memcpy(conf.link[l].local_mac.addr_bytes, cfg->link[l].local_mac, 6);
		conf.link[l].has_peer_mac = cfg->link[l].has_peer_mac;
		memcpy(conf.link[l].peer_mac.addr_bytes, cfg->link[l].peer_mac, 6);
	}
	conf.boot_qpn = cfg->boot_qpn;
	conf.boot_rkey = cfg->boot_rkey;
	conf.boot_addr = cfg->boot_addr;
	conf.mtu = cfg->mtu == 256 ? IBV_MTU_256 : cfg->mtu == 512 ? IBV_MTU_512 :
		   cfg->mtu == 2048 ? IBV_MTU_2048 : cfg->mtu == 4096 ? IBV_MTU_4096 :
		   IBV_MTU_1024;
	conf.ack_timeout = cfg->ack_timeout;
	conf.retry_cnt = cfg->retry_cnt;
	conf.keepalive_ns = cfg->keepalive_us * 1000;
	conf.link_timeout_ns = cfg->link_timeout_us * 1000;
	conf.balance = cfg->balance == CFG_BALANCE_ACTIVE_STANDBY ? CCM_BALANCE_ACTIVE_STANDBY :
								    CCM_BALANCE_ROUND_ROBIN;
	conf.failback = cfg->failback;
	app->ccm = ccm_create(&conf);
	if (app->ccm == NULL) {
		fprintf(stderr, "ccm: cannot start the connection manager: %s\n",
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	for (l = 0; l < cfg->nb_links; l++) {
		static const char *const dir_name[] = { "fault_rx", "fault_tx" };
		const char *spec[] = { cfg->link[l].fault_rx, cfg->link[l].fault_tx };
		unsigned int d;

		for (d = 0; d < 2; d++) {
			struct roce_fault_conf f;

			if (spec[d][0] == '\0')
				continue;
			if (roce_fault_parse(spec[d], &f) != 0 ||
			    ccm_link_set_fault(app->ccm, l, d == 0 ? ROCE_FAULT_RX : ROCE_FAULT_TX,
					       &f) != 0) {
				fprintf(stderr, "ccm: %s: link %u: %s: bad fault spec \"%s\" "
					"(e.g. drop=0.01,dup=0.001,seed=7)\n", cfg->path, l,
					dir_name[d], spec[d]);
				return -EINVAL;
			}
		}
	}
	if (cfg->nvram_enabled) {
		struct nvram_shadow_conf nc = { .file = cfg->nvram_file,
						.shadow_file = cfg->shadow_file,
						.size = cfg->nvram_size,
						.sync = cfg->mirror == CFG_MIRROR_SYNC,
						.gate = nvram_gate, .gate_arg = app };

		app->nvram = nvram_shadow_create(app->ccm, &nc);
		if (app->nvram == NULL) {
			fprintf(stderr, "ccm: NVRAM %s: %s\n", cfg->nvram_file,
				rte_strerror(rte_errno));
			return -EIO;
		}
	}
	if (cfg->failover_enabled) {
		struct failover_conf fc = {
			.node_id = cfg->node_id, .peer_node_id = cfg->peer_node_id,
			.mailbox = cfg->mailbox, .heartbeat_ns = cfg->heartbeat_us * 1000,
			.down_ns = cfg->partner_timeout_us * 1000,
			.fast_ns = cfg->partner_fast_timeout_us * 1000,
			/* 0 there means "the default": 1 ns is "at once". */
			.giveback_delay_ns = cfg->giveback_delay_ms != 0 ?
					     cfg->giveback_delay_ms * 1000000 : 1,
			.takeover = app_takeover, .giveback = app_giveback,
			.fence = app_fence, .discard = app_discard, .resynced = nvram_resynced,
			.mirrored = nvram_mirrored, .discarded = nvram_discarded, .arg = app,
		};

		app->failover = failover_create(app->ccm, &fc);
		if (app->failover == NULL) {
			fprintf(stderr, "ccm: failover monitor: %s\n", rte_strerror(rte_errno));
			return -EIO;
		}
	}
	return 0;
}

static int
assign_roles(struct app *app)
{
	const struct app_config *cfg = &app->cfg;
	int rc;

	rc = app_loops_assign(app->loops, APP_ROLE_CCM, cfg->lcore_ccm, poll_ccm, app->ccm);
	if (rc == 0 && app->failover != NULL)
		rc = app_loops_assign(app->loops, APP_ROLE_FAILOVER, cfg->lcore_failover,
				      poll_failover, app->failover);
	if (rc == 0 && app->nvram != NULL)
		rc = app_loops_assign(app->loops, APP_ROLE_NVRAM, cfg->lcore_nvram, poll_nvram,
				      app);
	if (rc != 0)
		fprintf(stderr, "ccm: %s: an lcore given for a role is not enabled (EAL -l)\n",
			cfg->path);
	return rc;
}

static int
do_halt(void *arg)
{
	struct app *app = arg;

	failover_halt(app->failover, app_now_ns());
	return 0;
}

/* Clean shutdown: the partner is told (it takes over now), NVRAM is synced,
 * the session ends, then the ports stop. */
static void
shutdown_app(struct app *app)
{
	uint64_t deadline;

	if (app->failover != NULL)
		app_call(app->loops, APP_ROLE_FAILOVER, do_halt, app);
	ccm_shutdown(app->ccm);
	deadline = app_now_ns() + 1000000000ull;
	while (app_now_ns() < deadline && ccm_state(app->ccm) != CCM_S_IDLE)
		app_loops_idle(app->loops, app_loops_run_main(app->loops) == 0);
	app_loops_stop(app->loops);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "node", required_argument, NULL, 'n' },
		{ "interactive", no_argument, NULL, 'i' },
		{ "script", required_argument, NULL, 's' },
		{ "stats", required_argument, NULL, 't' },
		{ "replay-out", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *config = NULL, *node = NULL, *script = NULL;
	bool interactive = false;
	double stats = 0;
	int eal_argc, c, rc;
	static struct app app_storage;	/* lives as long as the process */
	struct app *app = &app_storage;
	char err[512];
	char *end;

	/* Our options follow "--"; read them (and the configuration) before
	 * EAL touches any device. */
	for (eal_argc = 1; eal_argc < argc && strcmp(argv[eal_argc], "--") != 0; eal_argc++)
		if (strcmp(argv[eal_argc], "--help") == 0 || strcmp(argv[eal_argc], "-h") == 0) {
			usage(stdout, argv[0]);
			return 0;
		}
	optind = eal_argc < argc ? eal_argc + 1 : argc;
	while ((c = getopt_long(argc, argv, "c:n:is:t:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'n':
			node = optarg;
			break;
		case 'i':
			interactive = true;
			break;
		case 's':
			script = optarg;
			break;
		case 't':
			stats = strtod(optarg, &end);
			if (*end != '\0' || stats < 0) {
				fprintf(stderr, "ccm: --stats wants seconds, not \"%s\"\n", optarg);
				return 2;
			}
			break;
		case 'r':
			snprintf(app->replay_out, sizeof(app->replay_out), "%s", optarg);
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "ccm: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr, argv[0]);
		return 2;
	}
	if (config == NULL) {
		fprintf(stderr, "ccm: --config FILE is required\n");
		usage(stderr, argv[0]);
		return 2;
	}
	if (interactive && script != NULL) {
		fprintf(stderr, "ccm: --interactive and --script exclude each other\n");
		return 2;
	}
	rc = app_config_load(config, node, &app->cfg, err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "%s\n", err);
		return 2;
	}

	rc = rte_eal_init(eal_argc, argv);
	if (rc < 0) {
		fprintf(stderr, "ccm: EAL: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	the_app = app;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	app->loops = app_loops_create();
	if (app->loops == NULL || build(app) != 0 || assign_roles(app) != 0)
		return 1;
	app_telemetry_register(app);
	/* dpdk-dumpcap (a secondary process) can record our ports; it needs a
	 * primary with hugepages. `set capture` works without. */
	if (rte_pdump_init() != 0)
		fprintf(stderr, "ccm: packet capture for dpdk-dumpcap unavailable: %s\n",
			rte_strerror(rte_errno));
	printf("ccm: node %s (id %u), partner %s (id %u), %u link(s); incarnation %016lx\n",
	       app->cfg.node_name, app->cfg.node_id, app->cfg.peer_name, app->cfg.peer_node_id,
	       app->cfg.nb_links, (unsigned long)ccm_incarnation(app->ccm));
	fflush(stdout);
	ccm_start(app->ccm, app_now_ns());
	rc = app_loops_launch(app->loops);
	if (rc != 0) {
		fprintf(stderr, "ccm: cannot launch lcores: %s\n", rte_strerror(-rc));
		return 1;
	}

	rc = 0;
	if (interactive || script != NULL)
		rc = app_console_run(app, script, interactive);
	if (rc == 0 && !app->quit) {
		uint64_t next = app_now_ns() + (uint64_t)(stats * 1e9);

		while (!app->quit) {
			app_loops_idle(app->loops, app_loops_run_main(app->loops) == 0);
			if (stats > 0 && app_now_ns() >= next) {
				next += (uint64_t)(stats * 1e9);
				app_stats_print(app);
			}
		}
	}
	printf("ccm: shutting down\n");
	shutdown_app(app);
	if (app->nvram != NULL)
		nvram_shadow_destroy(app->nvram);
	if (app->failover != NULL)
		failover_destroy(app->failover);
	ccm_destroy(app->ccm);
	app_loops_free(app->loops);
	/* The ports are closed; memif finishes its clean-up in DPDK's
	 * interrupt thread, which must not race the exit handlers. */
	rte_delay_us_sleep(20000);
	rte_eal_cleanup();
	return rc < 0 ? 1 : 0;
}
