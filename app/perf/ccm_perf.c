/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm-perf: perftest's ib_{write,read,send,atomic}_{bw,lat} and
 * ibv_rc_pingpong on our RoCEv2 transport over a DPDK port. It speaks
 * perftest 4.5's out-of-band exchange over kernel TCP, in perftest's order
 * for each test (perf_sync.c), so either side may be a Linux perftest on an
 * RNIC or soft-RoCE (docs/interop.md). Options: perf_opts.c.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "perf_oob.h"
#include "perf_opts.h"
#include "perf_pingpong.h"
#include "perf_run.h"
#include "perf_stats.h"
#include "roce_stats.h"

#define LINE "---------------------------------------------------------------------------------------\n"
#define PLAN_MAX	(8 * PERF_MAX_QPS + 64)	/* steps: a few keys per QP */

static const char *
verb_name(enum perf_verb v)
{
	return v == PERF_WRITE ? "write" : v == PERF_READ ? "read" : v == PERF_SEND ? "send" :
	       "atomic";
}

static const char *
test_title(const struct opts *o)
{
	static const char *const t[4][2] = {
		{ "RDMA_Write BW Test", "RDMA_Write Latency Test" },
		{ "RDMA_Read BW Test", "RDMA_Read Latency Test" },
		{ "Send BW Test", "Send Latency Test" },
		{ "Atomic BW Test", "Atomic Latency Test" },
	};
	return t[o->conf.verb][o->lat];
}

static void
print_dest(FILE *f, const char *who, const struct perf_dest *d)
{
	char ip[INET_ADDRSTRLEN] = "?";

	inet_ntop(AF_INET, d->gid + 12, ip, sizeof(ip));
	fprintf(f, " %s address: LID 0x%04x QPN 0x%06x PSN 0x%06x RKey 0x%08x VAddr 0x%016llx\n"
		" GID: ::ffff:%s\n", who, d->lid, d->qpn, d->psn, d->rkey,
		(unsigned long long)d->vaddr, ip);
}

struct run {
	struct opts *o;
	struct perf_ctx ctx;
	struct perf_oob oob;
	FILE *out;			/* human output: stdout, or stderr with --json */
	int keys_n;			/* keys hand shakes so far */
	bool keys_seen[PERF_MAX_QPS];	/* QPs whose keys the peer told */
	int quiet_after;		/* after this many, nobody runs any more */
	int path_mtu;
	unsigned int peer_version;
	struct perf_bw last_bw;		/* this side's figures of its last size */
	bool ran;			/* an RDMA run has begun */
};

static struct perf_sync_test
sync_test(const struct opts *o, bool server)
{
	return (struct perf_sync_test){ .verb = o->conf.verb, .lat = o->lat, .server = server,
					.duplex = o->duplex,
					.num_qps = o->conf.num_qps ? o->conf.num_qps : 1,
					.n_sizes = o->all ? ALL_SIZES : 1 };
}

/* Keys hand shakes before the last RUN of @p steps. */
static int
keys_before_last_run(const struct perf_step *steps, int n)
{
	int i, keys = 0, at = 0;

	for (i = 0; i < n; i++) {
		if (steps[i].op == PERF_STEP_KEYS)
			keys++;
		else if (steps[i].op == PERF_STEP_RUN)
			at = keys;
	}
	return at;
}

/* A hand shake: QP @p qp's keys both ways. The first for a QP tells us
 * the peer's; later ones must repeat it. */
static int
hand_shake(struct run *r, unsigned int qp)
{
	struct perf_dest *rem = perf_rem(&r->ctx, qp), before = *rem;
	bool first = !r->keys_seen[qp];
	int rc;

	rc = perf_oob_keys(&r->oob, ++r->keys_n, perf_my(&r->ctx, qp), rem);
	r->keys_seen[qp] = true;
	if (rc == 0 && !first && !perf_dest_equal(&before, rem)) {
		snprintf(r->oob.error, sizeof(r->oob.error),
			 "keys #%d: the peer's keys changed mid-run", r->keys_n);
		return -EPROTO;
	}
	/*
	 * Once neither side runs any more, nobody needs our port: stop
	 * polling it. A net_memif peer that exits tears its side down from
	 * DPDK's interrupt thread, and a receive burst racing that can crash
	 * (tests/tools/peer_exit.h).
	 */
	if (rc == 0 && r->keys_n > r->quiet_after)
		r->oob.progress = NULL;
	return rc;
}

/* @p gbits: convert MB/s to Gb/s; a peer's report is in its own unit
 * already (perftest sends what it prints). */
static void
show_bw(struct run *r, const struct perf_bw *bw, bool gbits)
{
	if (r->o->json)
		perf_bw_json(stdout, verb_name(r->o->conf.verb), bw, r->o->conf.verify);
	else
		perf_bw_line(stdout, bw, gbits);
	fflush(stdout);
}

static void
print_banner(struct run *r)
{
	struct opts *o = r->o;
	struct perf_ctx *ctx = &r->ctx;

	fprintf(r->out, LINE "                    %s\n"
		" Connection type : RC\t\tUsing DPDK port : %u\n"
		" Mtu             : %u[B]\t\tPeer perftest   : %u.%02u\n"
		" TX depth        : %u\t\tVerify          : %s\n"
		" Fault injection : %s\n" LINE,
		test_title(o), o->conf.port_id, roce_mtu_bytes((enum ibv_mtu)r->path_mtu),
		r->peer_version / 100, r->peer_version % 100, o->conf.tx_depth,
		o->conf.verify ? "ON" : "OFF", o->fault_spec ? o->fault_spec : "OFF");
	print_dest(r->out, "local", &ctx->my);
	print_dest(r->out, "remote", &ctx->rem);
	fprintf(r->out, LINE);
	if (!o->json && !o->pingpong) {
		if (o->lat)
			perf_lat_header(stdout);
		else
			perf_bw_header(stdout, o->gbits);
	}
	fflush(r->out);
}

/* This side's RDMA loop for one size. */
static int
run_size(struct run *r, uint64_t size)
{
	struct opts *o = r->o;
	struct perf_lat lat;
	int rc;

	if (o->lat) {
		if ((rc = perf_lat_run(&r->ctx, size, &lat)) != 0)
			return rc;
		if (o->json)
			perf_lat_json(stdout, verb_name(o->conf.verb), &lat, o->conf.verify);
		else
			perf_lat_line(stdout, &lat);
		fflush(stdout);
		return 0;
	}
	if ((rc = perf_bw_run(&r->ctx, size, &r->last_bw)) != 0)
		return rc;
	if (!o->duplex)		/* -b: the sum, once the reports are in */
		show_bw(r, &r->last_bw, r->o->gbits);
	return 0;
}

/* The report: the client sends its figures; a server that did not run
 * shows them (perftest's server sends whatever its stack holds). */
static int
report(struct run *r, bool runs)
{
	struct perf_report mine = { 0 }, theirs;
	struct perf_bw bw = { 0 };
	int rc;

	if (runs) {
		/* In the unit this side prints, as perftest's report. */
		double k = r->o->gbits ? PERF_MB * 8 / 1e9 : 1.0;

		mine.size = r->last_bw.size;
		mine.iters = r->last_bw.iters;
		mine.bw_peak = r->last_bw.bw_peak * k;
		mine.bw_avg = r->last_bw.bw_avg * k;
		mine.msg_rate = r->last_bw.msg_rate;
	}
	if ((rc = perf_oob_report(&r->oob, &mine, &theirs)) != 0)
		return rc;
	if (r->o->duplex) {
		/* perftest -b: both directions' figures added, in our unit. */
		double k = r->o->gbits ? PERF_MB * 8 / 1e9 : 1.0;

		bw.size = mine.size;
		bw.iters = mine.iters;
		bw.bw_peak = (mine.bw_peak + theirs.bw_peak) / k;
		bw.bw_avg = (mine.bw_avg + theirs.bw_avg) / k;
		bw.msg_rate = mine.msg_rate + theirs.msg_rate;
		show_bw(r, &bw, r->o->gbits);
		return 0;
	}
	if (runs)
		return 0;
	bw.size = theirs.size;
	bw.iters = theirs.iters;
	bw.bw_peak = theirs.bw_peak;
	bw.bw_avg = theirs.bw_avg;
	bw.msg_rate = theirs.msg_rate;
	show_bw(r, &bw, false);
	if (r->o->conf.verify && r->o->conf.verb == PERF_WRITE)
		return perf_verify_written(&r->ctx, theirs.size, theirs.iters);
	return 0;
}

/*
 * The whole conversation after the hello, in perftest's order for this
 * test and role (perf_sync.c). A step that fails leaves its reason in
 * r->oob.error (the exchange) or r->ctx.error (the transport).
 */
static int
run_plan(struct run *r)
{
	struct opts *o = r->o;
	struct perf_sync_test me = sync_test(o, o->conf.server), peer = sync_test(o, !o->conf.server);
	struct perf_step *steps = calloc(2 * PLAN_MAX, sizeof(*steps)), *peer_steps;
	bool runs = perf_sync_runs(&me);
	int n, n_peer, i, rc = 0;

	if (steps == NULL) {
		snprintf(r->ctx.error, sizeof(r->ctx.error), "out of memory");
		return -ENOMEM;
	}
	peer_steps = steps + PLAN_MAX;
	n = perf_sync_plan(&me, steps, PLAN_MAX);
	n_peer = perf_sync_plan(&peer, peer_steps, PLAN_MAX);
	if (n < 0 || n_peer < 0) {
		snprintf(r->ctx.error, sizeof(r->ctx.error), "no perftest order for this test");
		free(steps);
		return -EINVAL;
	}
	r->quiet_after = RTE_MAX(keys_before_last_run(steps, n),
				 keys_before_last_run(peer_steps, n_peer));
	if (!runs && !perf_sync_runs(&peer))
		r->quiet_after = 0;
	for (i = 0; i < n && rc == 0; i++) {
		uint64_t size = o->all ? 2ull << steps[i].arg : o->size;

		switch (steps[i].op) {
		case PERF_STEP_KEYS:
			rc = hand_shake(r, steps[i].arg);
			break;
		case PERF_STEP_CONNECT:
			rc = perf_ctx_connect_all(&r->ctx, r->path_mtu);
			if (rc == 0)
				print_banner(r);
			break;
		case PERF_STEP_PREPARE:
			rc = perf_prepare(&r->ctx, o->lat || runs ? size : 0);
			break;
		case PERF_STEP_RUN:
			r->ran = true;
			rc = run_size(r, size);
			break;
		case PERF_STEP_REPORT:
			rc = report(r, runs);
			break;
		case PERF_STEP_DONE:
			rc = perf_oob_done(&r->oob);
			break;
		case PERF_STEP_CLOSE:
			break;
		}
	}
	free(steps);
	return rc;
}

static int
pp_connect(void *arg, const struct perf_dest *theirs)
{
	struct run *r = arg;

	return perf_ctx_connect(&r->ctx, theirs, r->path_mtu);
}

/*
 * ibv_rc_pingpong: receives first (its server posts them before it
 * answers), its exchange, then SENDs back and forth and its two lines.
 */
static int
run_pingpong(struct run *r)
{
	struct opts *o = r->o;
	struct perf_lat lat;
	uint64_t t0, usec;
	double secs;
	int rc;

	/* rc_pingpong's -m defaults to 1024 and neither side tells its own. */
	r->path_mtu = o->conf.mtu != 0 ? o->conf.mtu : RTE_MIN(r->ctx.active_mtu, IBV_MTU_1024);
	if ((rc = perf_ctx_qp_init(&r->ctx)) != 0 || (rc = perf_prepare(&r->ctx, o->size)) != 0)
		return rc;
	if ((rc = perf_pp_exchange(&r->oob, &r->ctx.my, &r->ctx.rem, pp_connect, r)) != 0)
		return rc;
	r->peer_version = 0;
	print_banner(r);
	t0 = perf_now_ns();
	if ((rc = perf_lat_run(&r->ctx, o->size, &lat)) != 0)
		return rc;
	usec = (perf_now_ns() - t0) / 1000;
	secs = (double)usec / 1e6;
	printf("%llu bytes in %.2f seconds = %.2f Mbit/sec\n",
	       (unsigned long long)(o->size * o->conf.iters * 2), secs,
	       (double)(o->size * o->conf.iters * 2) * 8.0 / (double)(usec ? usec : 1));
	printf("%llu iters in %.2f seconds = %.2f usec/iter\n",
	       (unsigned long long)o->conf.iters, secs, (double)usec / (double)o->conf.iters);
	fflush(stdout);
	return 0;
}

static void
print_stats(FILE *f, const struct perf_ctx *ctx)
{
	struct roce_stats_entry e[128];
	int n, i;

	n = roce_stats_read(ctx->dev, e, RTE_DIM(e));
	fprintf(f, " transport counters (non-zero):");
	for (i = 0; i < n && i < (int)RTE_DIM(e); i++)
		if (e[i].value != 0)
			fprintf(f, " %s=%lu", e[i].name, (unsigned long)e[i].value);
	fprintf(f, "\n");
}

static int
local_address(int fd, uint32_t *ip)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) != 0)
		return -errno;
	*ip = ntohl(sin.sin_addr.s_addr);
	return (*ip >> 24) == 127 ? -EADDRNOTAVAIL : 0;
}

static int
perf_main(struct opts *o)
{
	struct run r = { .o = o };
	struct perf_ctx *ctx = &r.ctx;
	int fd, lfd = -1, rc;

	r.out = o->json ? stderr : stdout;
	o->conf.psn = (uint32_t)(perf_now_ns() ^ (uint64_t)getpid() << 8);
	/* The port first, when its address is known: a net_memif server must
	 * be started before its client connects (the client tries once), and
	 * the peer learns of us only once we listen or connect. */
	if (o->conf.local_ip != 0 && (rc = perf_ctx_init(ctx, &o->conf)) != 0) {
		fprintf(stderr, "ccm-perf: %s\n", ctx->error);
		perf_ctx_fini(ctx);
		return 1;
	}
	if (o->conf.server) {
		lfd = perf_oob_listen(o->tcp_port);
		if (lfd < 0) {
			fprintf(stderr, "ccm-perf: cannot listen on TCP port %u: %s\n", o->tcp_port,
				strerror(-lfd));
			perf_ctx_fini(ctx);
			return 1;
		}
		fprintf(r.out, "\n************************************\n"
			"* Waiting for client to connect... *\n"
			"************************************\n");
		fflush(r.out);
		fd = perf_oob_accept(lfd, o->timeout_ms, ctx->dev ? perf_progress : NULL, ctx);
		close(lfd);
		if (fd < 0) {
			fprintf(stderr, "ccm-perf: no client connected on TCP port %u within %u s\n",
				o->tcp_port, o->timeout_ms / 1000);
			perf_ctx_fini(ctx);
			return 1;
		}
	} else {
		fd = perf_oob_connect(o->server_ip, o->tcp_port, o->timeout_ms,
				      ctx->dev ? perf_progress : NULL, ctx);
		if (fd < 0) {
			fprintf(stderr, "ccm-perf: cannot connect to %s port %u: %s\n", o->server_ip,
				o->tcp_port, strerror(-fd));
			perf_ctx_fini(ctx);
			return 1;
		}
	}
	if (ctx->dev == NULL) {
		if (local_address(fd, &o->conf.local_ip) != 0) {
			fprintf(stderr, "ccm-perf: give --local-ip: the out-of-band connection is "
				"local, so it does not tell the DPDK port's address\n");
			close(fd);
			return 2;
		}
		rc = perf_ctx_init(ctx, &o->conf);
		if (rc != 0) {
			fprintf(stderr, "ccm-perf: %s\n", ctx->error);
			close(fd);
			perf_ctx_fini(ctx);
			return 1;
		}
	}
	if (o->capture != NULL && roce_dev_capture(ctx->dev, ctx->port, o->capture) != 0)
		fprintf(stderr, "ccm-perf: cannot write %s; going on without a capture\n", o->capture);

	r.oob = (struct perf_oob){ .fd = fd, .client = !o->conf.server,
				   .step_timeout_ms = o->timeout_ms, .progress = perf_progress,
				   .progress_arg = ctx };
	r.oob.error[0] = ctx->error[0] = '\0';
	if (o->pingpong) {
		rc = run_pingpong(&r);
	} else {
		rc = perf_oob_hello(&r.oob, ctx->active_mtu, &r.path_mtu, &r.peer_version);
		if (rc == 0)
			rc = run_plan(&r);
	}
	if (rc != 0) {
		if (r.oob.error[0] != '\0')
			fprintf(stderr, "ccm-perf: out-of-band exchange failed at %s%s\n", r.oob.error,
				rc == -ECONNRESET && r.keys_n >= 1 && !r.ran ?
				"; it gave up while connecting its QP: check that it reaches "
				"--local-ip (ARP) and uses an IPv4 GID index" : "");
		else
			fprintf(stderr, "ccm-perf: %s\n", ctx->error);
		rc = 1;
		goto out;
	}
	fprintf(r.out, LINE);
	if (o->conf.verify && ctx->verified_bytes > 0)
		fprintf(r.out, " verify: %lu bytes checked on this side, all as expected\n",
			(unsigned long)ctx->verified_bytes);
	else if (o->conf.verify)
		fprintf(r.out, " verify: the peer checks what this side sent (it fails the run "
			"on a mismatch)\n");
out:
	if (o->stats || o->conf.fault_on)
		print_stats(r.out, ctx);
	close(fd);
	if (o->capture != NULL)
		roce_dev_capture(ctx->dev, ctx->port, NULL);	/* complete the file */
	/* The process ends here: no perf_ctx_fini(). Stopping a net_memif
	 * port while the peer exits races DPDK 22.11's interrupt thread
	 * (tests/tools/peer_exit.h). */
	return rc;
}

int
main(int argc, char **argv)
{
	struct opts o = { 0 };
	int rc, i;

	/* --help needs no EAL. */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			perf_usage(stdout, argv[0]);
			return 0;
		}
	}
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "ccm-perf: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 2;
	}
	rc = perf_parse_opts(argc - rc, argv + rc, &o);
	if (rc == 0 && rte_eth_dev_count_avail() == 0) {
		fprintf(stderr, "ccm-perf: no DPDK port: give one with --vdev (for example "
			"net_memif0,role=server,socket=/tmp/perf.sock)\n");
		rc = 2;
	}
	if (rc == 0 && !rte_eth_dev_is_valid_port(o.conf.port_id)) {
		fprintf(stderr, "ccm-perf: --dpdk-port %u: no such port\n", o.conf.port_id);
		rc = 2;
	}
	if (rc == 0)
		rc = perf_main(&o);
	fflush(NULL);
	/* No EAL clean-up: a memif partner leaving at the same moment races
	 * DPDK's interrupt thread (see tests/tools/peer_exit.h). */
	_exit(rc);
}
