/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm-perf: ib_write_bw, ib_read_bw, ib_send_bw, ib_write_lat, ib_read_lat
 * and ib_send_lat on our RoCEv2 transport over a DPDK port. It speaks
 * perftest 4.5's out-of-band exchange over kernel TCP, so either side may
 * be a Linux perftest on an RNIC or soft-RoCE (docs/interop.md).
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
#include "perf_pingpong.h"
#include "perf_run.h"
#include "perf_stats.h"
#include "roce_stats.h"

#define LINE "---------------------------------------------------------------------------------------\n"
#define ALL_MAX_LOG2	23	/* --all: 2 B .. 8 MiB, as perftest */
#define ALL_SIZES	ALL_MAX_LOG2
#define PLAN_MAX	128

struct opts {
	const char *server_ip;		/* NULL: we are the server */
	bool lat, all, json, stats, gbits, pingpong, duplex;
	const char *capture;
	uint64_t size;
	struct perf_conf conf;
	uint16_t tcp_port;
	uint32_t timeout_ms;
	bool tx_depth_set;
	const char *fault_spec;
};

static void
usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [EAL options] -- [--server | --client SERVER_IPV4]\n"
"         --verb write|read|send --bw|--lat --size BYTES | --all --iters N [options]\n"
"\n"
"perftest's ib_{write,read,send}_{bw,lat} on a RoCEv2 transport over a DPDK port.\n"
"The first DPDK port (or --dpdk-port) carries RoCEv2; the out-of-band exchange\n"
"runs over kernel TCP exactly as perftest 4.5, so either side may be perftest.\n"
"\n"
"  or:    %s [EAL options] -- [--server | --client SERVER_IPV4] --pingpong\n"
"         [--size BYTES] [--iters N]    (ibv_rc_pingpong's exchange and SENDs)\n"
"\n"
"Role\n"
"  --server                 wait for a client (the default)\n"
"  --client SERVER_IPV4     connect to the server's TCP address\n"
"Test\n"
"  --verb write|read|send|atomic\n"
"                           RDMA WRITE, RDMA READ, SEND or 8-byte atomics\n"
"  --atomic cas|faa         atomics: compare-and-swap or fetch-and-add (default)\n"
"  --bw | --lat             bandwidth (default) or latency\n"
"  --size BYTES             message size (default 65536 for bw, 2 for lat)\n"
"  --all                    every size from 2 B to 8 MiB, doubling\n"
"  --iters N                messages per size (default 5000 bw, 1000 lat)\n"
"  --qps N                  write, read, atomic bandwidth: over N QPs, the\n"
"                           iterations on each (perftest's -q; give both sides)\n"
"  --bidirectional          write, read, atomic bandwidth: both sides run at once,\n"
"                           and each shows the sum (perftest's -b, on both sides)\n"
"  --duration SECONDS       write, read, atomic bandwidth: run this long instead\n"
"                           (perftest's -D; the server needs no such option)\n"
"  --tx-depth N             WRs in flight (default 128 bw, 1 lat)\n"
"  --rx-depth N             receives posted for SEND (default 512)\n"
"  --mtu 256..4096          RoCE path MTU (default: what the port carries;\n"
"                           the smaller of the two sides' is used)\n"
"  --verify                 check every byte against a pattern both sides compute;\n"
"                           both sides must be ccm-perf with the same options\n"
"  --fault SPEC             fault injection on this side's port, both directions,\n"
"                           e.g. drop=0.05,dup=0.01,reorder=0.01,corrupt=0.01,seed=7\n"
"Addresses\n"
"  --local-ip A.B.C.D       the DPDK port's IPv4 address; the GID we advertise is\n"
"                           ::ffff:A.B.C.D (default: the TCP connection's local\n"
"                           address, unless that is loopback)\n"
"  --port TCP_PORT          out-of-band TCP port (default %u)\n"
"  --dpdk-port N            DPDK port to use (default 0)\n"
"Output\n"
"  --json                   results as JSON lines on stdout (the rest on stderr)\n"
"  --report_gbits           bandwidth in Gb/s (10^9 bits), as perftest's option\n"
"  --pingpong               be ibv_rc_pingpong (rdma-core) instead of perftest:\n"
"                           its 52-byte exchange, SENDs both ways, its figures\n"
"  --stats                  transport counters at the end (always with --fault)\n"
"  --capture FILE           write every frame of the port to a pcap file\n"
"  --timeout SECONDS        limit on each out-of-band step and on a run that makes\n"
"                           no progress (default 30)\n"
"  --help                   this text\n"
"\n"
"Exit status: 0 done (and verified, with --verify), 1 failed, 2 bad usage.\n",
		prog, prog, PERF_OOB_PORT);
}

static int
parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *v)
{
	char *end;
	unsigned long long x;

	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || x < min || x > max)
		return -EINVAL;
	*v = x;
	return 0;
}

static int
bad(const char *prog, const char *opt, const char *val, const char *want)
{
	fprintf(stderr, "%s: %s%s%s: %s (see --help)\n", prog, opt, val ? " " : "", val ? val : "",
		want);
	return 2;
}

static int
parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_SERVER = 256, O_CLIENT, O_VERB, O_BW, O_LAT, O_SIZE, O_ALL, O_ITERS, O_MTU,
	       O_TXD, O_RXD, O_PORT, O_LIP, O_VERIFY, O_FAULT, O_JSON, O_DPORT, O_STATS,
	       O_CAPTURE, O_TIMEOUT, O_HELP, O_ATOMIC, O_GBITS, O_PINGPONG, O_DURATION, O_BIDIR, O_QPS };
	static const struct option lo[] = {
		{ "server", no_argument, NULL, O_SERVER },
		{ "client", required_argument, NULL, O_CLIENT },
		{ "verb", required_argument, NULL, O_VERB },
		{ "bw", no_argument, NULL, O_BW },
		{ "lat", no_argument, NULL, O_LAT },
		{ "size", required_argument, NULL, O_SIZE },
		{ "all", no_argument, NULL, O_ALL },
		{ "iters", required_argument, NULL, O_ITERS },
		{ "mtu", required_argument, NULL, O_MTU },
		{ "tx-depth", required_argument, NULL, O_TXD },
		{ "rx-depth", required_argument, NULL, O_RXD },
		{ "port", required_argument, NULL, O_PORT },
		{ "local-ip", required_argument, NULL, O_LIP },
		{ "verify", no_argument, NULL, O_VERIFY },
		{ "fault", required_argument, NULL, O_FAULT },
		{ "json", no_argument, NULL, O_JSON },
		{ "dpdk-port", required_argument, NULL, O_DPORT },
		{ "stats", no_argument, NULL, O_STATS },
		{ "capture", required_argument, NULL, O_CAPTURE },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "help", no_argument, NULL, O_HELP },
		{ "atomic", required_argument, NULL, O_ATOMIC },
		{ "report_gbits", no_argument, NULL, O_GBITS },
		{ "report-gbits", no_argument, NULL, O_GBITS },
		{ "pingpong", no_argument, NULL, O_PINGPONG },
		{ "duration", required_argument, NULL, O_DURATION },
		{ "bidirectional", no_argument, NULL, O_BIDIR },
		{ "qps", required_argument, NULL, O_QPS },
		{ NULL, 0, NULL, 0 },
	};
	const char *prog = argv[0];
	bool verb_set = false, iters_set = false;
	struct in_addr a;
	uint64_t v;
	int c;

	o->conf.tx_depth = 128;
	o->conf.rx_depth = 512;
	o->tcp_port = PERF_OOB_PORT;
	o->timeout_ms = 30000;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case O_SERVER:
			o->server_ip = NULL;
			break;
		case O_CLIENT:
			o->server_ip = optarg;
			break;
		case O_VERB:
			if (strcmp(optarg, "write") == 0)
				o->conf.verb = PERF_WRITE;
			else if (strcmp(optarg, "read") == 0)
				o->conf.verb = PERF_READ;
			else if (strcmp(optarg, "send") == 0)
				o->conf.verb = PERF_SEND;
			else if (strcmp(optarg, "atomic") == 0)
				o->conf.verb = PERF_ATOMIC;
			else
				return bad(prog, "--verb", optarg, "write, read, send or atomic");
			verb_set = true;
			break;
		case O_BW:
			o->lat = false;
			break;
		case O_LAT:
			o->lat = true;
			break;
		case O_SIZE:
			if (parse_u64(optarg, 1, 1u << ALL_MAX_LOG2, &o->size) != 0)
				return bad(prog, "--size", optarg, "1 to 8388608 bytes");
			break;
		case O_ALL:
			o->all = true;
			break;
		case O_ITERS:
			if (parse_u64(optarg, 1, 100000000, &o->conf.iters) != 0)
				return bad(prog, "--iters", optarg, "1 to 100000000");
			iters_set = true;
			break;
		case O_MTU:
			if (parse_u64(optarg, 256, 4096, &v) != 0 || (v & (v - 1)) != 0)
				return bad(prog, "--mtu", optarg, "256, 512, 1024, 2048 or 4096");
			o->conf.mtu = __builtin_ctzll(v) - 7;	/* 256 -> IBV_MTU_256 (1) */
			break;
		case O_TXD:
			if (parse_u64(optarg, 1, 4096, &v) != 0)
				return bad(prog, "--tx-depth", optarg, "1 to 4096");
			o->conf.tx_depth = (uint32_t)v;
			o->tx_depth_set = true;
			break;
		case O_RXD:
			if (parse_u64(optarg, 1, 4096, &v) != 0)
				return bad(prog, "--rx-depth", optarg, "1 to 4096");
			o->conf.rx_depth = (uint32_t)v;
			break;
		case O_PORT:
			if (parse_u64(optarg, 1, 65535, &v) != 0)
				return bad(prog, "--port", optarg, "a TCP port, 1 to 65535");
			o->tcp_port = (uint16_t)v;
			break;
		case O_LIP:
			if (inet_pton(AF_INET, optarg, &a) != 1 || a.s_addr == 0)
				return bad(prog, "--local-ip", optarg, "an IPv4 address A.B.C.D");
			o->conf.local_ip = ntohl(a.s_addr);
			break;
		case O_VERIFY:
			o->conf.verify = true;
			break;
		case O_FAULT:
			if (roce_fault_parse(optarg, &o->conf.fault) != 0)
				return bad(prog, "--fault", optarg, "drop=R,dup=R,reorder=R,corrupt=R,"
					   "delay=R,delay_us=N,seed=N with rates 0..1, or off");
			o->conf.fault_on = true;
			o->fault_spec = optarg;
			break;
		case O_JSON:
			o->json = true;
			break;
		case O_DPORT:
			if (parse_u64(optarg, 0, RTE_MAX_ETHPORTS - 1, &v) != 0)
				return bad(prog, "--dpdk-port", optarg, "a DPDK port number");
			o->conf.port_id = (uint16_t)v;
			break;
		case O_STATS:
			o->stats = true;
			break;
		case O_CAPTURE:
			o->capture = optarg;
			break;
		case O_TIMEOUT:
			if (parse_u64(optarg, 1, 86400, &v) != 0)
				return bad(prog, "--timeout", optarg, "1 to 86400 seconds");
			o->timeout_ms = (uint32_t)v * 1000;
			break;
		case O_ATOMIC:
			if (strcmp(optarg, "cas") == 0 || strcmp(optarg, "CMP_AND_SWAP") == 0)
				o->conf.cmp_swap = true;
			else if (strcmp(optarg, "faa") == 0 || strcmp(optarg, "FETCH_AND_ADD") == 0)
				o->conf.cmp_swap = false;
			else
				return bad(prog, "--atomic", optarg, "cas or faa");
			break;
		case O_GBITS:
			o->gbits = true;
			break;
		case O_PINGPONG:
			o->pingpong = true;
			break;
		case O_QPS:
			if (parse_u64(optarg, 1, PERF_MAX_QPS, &v) != 0)
				return bad(prog, "--qps", optarg, "1 to 16");
			o->conf.num_qps = (unsigned int)v;
			break;
		case O_BIDIR:
			o->duplex = true;
			break;
		case O_DURATION:
			if (parse_u64(optarg, 1, 3600, &v) != 0)
				return bad(prog, "--duration", optarg, "1 to 3600 seconds");
			o->conf.duration_ms = (uint32_t)v * 1000;
			break;
		case O_HELP:
			usage(stdout, prog);
			exit(0);
		default:
			fprintf(stderr, "%s: see --help\n", prog);
			return 2;
		}
	}
	if (optind < argc)
		return bad(prog, argv[optind], NULL, "unexpected argument");
	if (o->pingpong) {
		/* ibv_rc_pingpong: SENDs back and forth, 4096 B x 1000 by default. */
		if (verb_set && o->conf.verb != PERF_SEND)
			return bad(prog, "--pingpong", NULL, "sends: leave out --verb or give send");
		if (o->all)
			return bad(prog, "--pingpong", NULL, "runs one size: leave out --all");
		o->conf.verb = PERF_SEND;
		o->lat = verb_set = true;
		if (o->size == 0)
			o->size = 4096;
	}
	if (!verb_set)
		return bad(prog, "--verb", NULL, "is required: write, read, send or atomic");
	if (o->duplex && (o->lat || o->conf.verb == PERF_SEND || o->conf.verify || o->pingpong))
		return bad(prog, "--bidirectional", NULL, "runs write, read and atomic bandwidth "
			   "tests without --verify");
	o->conf.duplex = o->duplex;
	if (o->conf.num_qps > 1 && (o->lat || o->conf.verb == PERF_SEND || o->conf.verify ||
				    o->pingpong))
		return bad(prog, "--qps", NULL, "spreads write, read and atomic bandwidth tests "
			   "without --verify");
	if (o->conf.duration_ms != 0 && (o->lat || o->conf.verb == PERF_SEND || o->all ||
					 o->conf.verify || o->pingpong))
		return bad(prog, "--duration", NULL, "times write, read and atomic bandwidth "
			   "tests of one size without --verify");
	if (o->conf.verb == PERF_ATOMIC && o->all)
		return bad(prog, "--all", NULL, "atomics are 8 bytes each (as perftest)");
	if (o->conf.verb == PERF_ATOMIC && o->size != 0 && o->size != 8)
		return bad(prog, "--size", NULL, "atomics are 8 bytes each (as perftest)");
	if (o->conf.verb == PERF_ATOMIC)
		o->size = 8;
	if (o->all && o->size != 0)
		return bad(prog, "--size", NULL, "and --all exclude each other");
	if (o->size == 0)
		o->size = o->lat ? 2 : 65536;
	if (o->lat && o->conf.verb == PERF_WRITE && o->size < 2 && o->conf.verify)
		return bad(prog, "--size", "1", "--lat --verb write --verify needs 2 bytes or more");
	if (!iters_set)
		o->conf.iters = o->lat ? 1000 : 5000;
	if (o->lat && o->conf.iters < 2)
		return bad(prog, "--iters", "1", "a latency test needs 2 or more");
	if (o->lat && !o->tx_depth_set)
		o->conf.tx_depth = 1;
	o->conf.server = o->server_ip == NULL;
	o->conf.lat = o->lat;
	o->conf.max_size = o->all ? 1u << ALL_MAX_LOG2 : o->size;
	o->conf.stall_ms = o->timeout_ms;
	return 0;
}

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
	uint32_t keys_seen;		/* QPs whose keys the peer told */
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
	bool first = !(r->keys_seen & 1u << qp);
	int rc;

	rc = perf_oob_keys(&r->oob, ++r->keys_n, perf_my(&r->ctx, qp), rem);
	r->keys_seen |= 1u << qp;
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
	struct perf_step steps[PLAN_MAX], peer_steps[PLAN_MAX];
	bool runs = perf_sync_runs(&me);
	int n, n_peer, i, rc = 0;

	n = perf_sync_plan(&me, steps, PLAN_MAX);
	n_peer = perf_sync_plan(&peer, peer_steps, PLAN_MAX);
	if (n < 0 || n_peer < 0) {
		snprintf(r->ctx.error, sizeof(r->ctx.error), "no perftest order for this test");
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
			usage(stdout, argv[0]);
			return 0;
		}
	}
	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "ccm-perf: EAL initialisation failed: %s\n",
			rte_strerror(rte_errno));
		return 2;
	}
	rc = parse_opts(argc - rc, argv + rc, &o);
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
