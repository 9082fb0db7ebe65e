/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>

#include <rte_ethdev.h>

#include "perf_oob.h"
#include "perf_opts.h"


void
perf_usage(FILE *f, const char *prog)
{
	fprintf(f,
"Usage: %s [EAL options] -- [--server | --client SERVER_IPV4]\n"
"         --verb write|read|send|atomic --bw|--lat --size BYTES | --all --iters N [options]\n"
"\n"
"perftest's ib_{write,read,send,atomic}_{bw,lat} on a RoCEv2 transport over a DPDK\n"
"port, or ibv_rc_pingpong (--pingpong).\n"
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
"  --margin SECONDS         with --duration: leave this long at each end out of\n"
"                           the rate, start-up and drain (perftest's --margin)\n"
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

int
perf_parse_opts(int argc, char **argv, struct opts *o)
{
	enum { O_SERVER = 256, O_CLIENT, O_VERB, O_BW, O_LAT, O_SIZE, O_ALL, O_ITERS, O_MTU,
	       O_TXD, O_RXD, O_PORT, O_LIP, O_VERIFY, O_FAULT, O_JSON, O_DPORT, O_STATS,
	       O_CAPTURE, O_TIMEOUT, O_HELP, O_ATOMIC, O_GBITS, O_PINGPONG, O_DURATION, O_MARGIN,
	       O_BIDIR, O_QPS };
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
		{ "margin", required_argument, NULL, O_MARGIN },
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
				return bad(prog, "--qps", optarg, "1 to " RTE_STR(PERF_MAX_QPS));
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
		case O_MARGIN:
			if (parse_u64(optarg, 1, 3600, &v) != 0)
				return bad(prog, "--margin", optarg, "1 to 3600 seconds");
			o->conf.margin_ms = (uint32_t)v * 1000;
			break;
		case O_HELP:
			perf_usage(stdout, prog);
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
	if (o->conf.margin_ms != 0 && 2 * (uint64_t)o->conf.margin_ms >= o->conf.duration_ms)
		return bad(prog, "--margin", NULL, "goes with --duration, and both margins "
			   "must leave some of it");
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

