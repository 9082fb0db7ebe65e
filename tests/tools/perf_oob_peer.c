/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perf_oob_peer: the other end of ccm-perf's out-of-band exchange, for
 * tests.
 *
 * Replay: plays one side of a perftest conversation recorded in a capture
 * (oob-perftest.pcap: Linux perftest 4.5 on soft-RoCE), sending that side's
 * recorded bytes exactly and checking ccm-perf's against the other side's:
 * every message byte for byte, except the per-run fields of the keys
 * (QPN, PSN, rkey, vaddr), which must be well formed and the same at every
 * sync. It also stands in for the recorded peer on the RoCE port, with the
 * recorded QPN, PSN, rkey, address and GID, so the run only completes if
 * ccm-perf parsed those keys right.
 *
 *   perf_oob_peer [EAL args] -- --pcap FILE --conversation N
 *       --play server|client [--connect IPV4] [--port TCP_PORT]
 *       [--test VERB-bw|VERB-lat --size BYTES --iters N --run-after-keys K]
 *
 * The recording is ib_write_bw unless --test names another (write, read,
 * send, atomic; bw or lat); the side played runs its RDMA loop after the
 * K-th keys hand shake (3 for ib_write_bw, as perftest), if it has one.
 *
 * Malformed input (no EAL): a server (or with --connect, a client) that
 * goes wrong in one way:
 *
 *   perf_oob_peer --bad old-version|garbage-version|short|garbage-keys|
 *       bad-mtu|close-early|silent [--connect IPV4] [--port TCP_PORT]
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <pcap/pcap.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "peer_exit.h"
#include "perf_oob.h"
#include "perf_run.h"
#include "roce_stats.h"

#define MAX_SEGS 128

struct seg {
	uint8_t data[256];
	uint32_t len;
};

/* One recorded TCP conversation: what each side sent, segment by segment. */
struct conversation {
	struct seg client[MAX_SEGS], server[MAX_SEGS];
	unsigned int n_client, n_server;
};

static int
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "perf_oob_peer: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	peer_exit(1);
	return 1;
}

/* Conversation @p want (1-based) of @p path: the n-th SYN starts the n-th. */
static int
load(const char *path, unsigned int want, struct conversation *c)
{
	char err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const uint8_t *p;
	unsigned int conv = 0;
	uint16_t client_port = 0;
	pcap_t *pc;

	memset(c, 0, sizeof(*c));
	pc = pcap_open_offline(path, err);
	if (pc == NULL)
		return die("%s", err);
	while (pcap_next_ex(pc, &h, &p) == 1) {
		uint32_t ihl, thl, ip_len, len;
		uint16_t sport, dport;
		uint8_t flags;
		struct seg *s;

		if (h->caplen < 14 + 20 || p[12] != 0x08 || p[13] != 0x00 || p[23] != 6)
			continue;
		ihl = (p[14] & 0xf) * 4u;
		ip_len = (uint32_t)p[16] << 8 | p[17];
		if (h->caplen < 14 + ihl + 20)
			continue;
		sport = (uint16_t)(p[14 + ihl] << 8 | p[15 + ihl]);
		dport = (uint16_t)(p[16 + ihl] << 8 | p[17 + ihl]);
		thl = (p[14 + ihl + 12] >> 4) * 4u;
		flags = p[14 + ihl + 13];
		if ((flags & 0x12) == 0x02) {		/* SYN without ACK: a new conversation */
			conv++;
			client_port = sport;
			continue;
		}
		len = ip_len - ihl - thl;
		if (conv != want || len == 0 || len > sizeof(s->data))
			continue;
		if (sport == client_port && c->n_client < MAX_SEGS)
			s = &c->client[c->n_client++];
		else if (dport == client_port && c->n_server < MAX_SEGS)
			s = &c->server[c->n_server++];
		else
			continue;
		memcpy(s->data, p + 14 + ihl + thl, len);
		s->len = len;
	}
	pcap_close(pc);
	if (c->n_client == 0 || c->n_client != c->n_server)
		return die("%s: no conversation of matching steps there", path);
	return 0;
}

/* Independent of ccm-perf's parser: sscanf, as perftest itself reads keys. */
static int
keys_scan(const uint8_t *k, struct perf_dest *d)
{
	unsigned int lid, reads, qpn, psn, rkey, g[16], srqn, i;
	unsigned long long va;
	int n = 0;

	if (sscanf((const char *)k, "%x:%x:%x:%x:%x:%llx:%n", &lid, &reads, &qpn, &psn, &rkey,
		   &va, &n) != 6 || n != 50)
		return -1;
	for (i = 0; i < 16; i++)
		if (sscanf((const char *)k + 50 + 3 * i, "%2x:", &g[i]) != 1)
			return -1;
	if (sscanf((const char *)k + 98, "%8x:", &srqn) != 1 || k[107] != '\0')
		return -1;
	d->lid = (uint16_t)lid;
	d->out_reads = (uint16_t)reads;
	d->qpn = qpn;
	d->psn = psn;
	d->rkey = rkey;
	d->vaddr = va;
	for (i = 0; i < 16; i++)
		d->gid[i] = (uint8_t)g[i];
	d->srqn = srqn;
	return 0;
}

static int failures;

static void
mismatch(unsigned int step, const char *what, const uint8_t *got, const uint8_t *want,
	 uint32_t len)
{
	uint32_t i;

	fprintf(stderr, "perf_oob_peer: step %u (%s): ccm-perf sent", step, what);
	for (i = 0; i < len && i < 24; i++)
		fprintf(stderr, " %02x", got[i]);
	fprintf(stderr, "\n                recorded perftest sent");
	for (i = 0; i < len && i < 24; i++)
		fprintf(stderr, " %02x", want[i]);
	fprintf(stderr, "\n");
	failures++;
}

/*
 * A keys message from ccm-perf against perftest's: the same layout, the
 * same lid, outstanding reads, GID and SRQ number; QPN, PSN, rkey and
 * vaddr are hex digits of the recorded widths.
 */
static void
check_keys(unsigned int step, const uint8_t *got, const uint8_t *want)
{
	unsigned int i;

	for (i = 0; i < PERF_OOB_KEYS_LEN; i++) {
		bool per_run = (i >= 10 && i < 50);	/* QPN..vaddr */
		bool want_hex = want[i] != ':' && want[i] != '\0';

		if ((per_run && want_hex) ? !isxdigit(got[i]) : got[i] != want[i]) {
			fprintf(stderr, "perf_oob_peer: keys byte %u: '%c' where perftest has '%c'\n",
				i, got[i] ? got[i] : '0', want[i] ? want[i] : '0');
			mismatch(step, "keys", got, want, PERF_OOB_KEYS_LEN);
			return;
		}
	}
}

static int
replay(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "pcap", required_argument, NULL, 'p' },
		{ "conversation", required_argument, NULL, 'n' },
		{ "play", required_argument, NULL, 'r' },
		{ "connect", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'P' },
		{ "test", required_argument, NULL, 't' },
		{ "size", required_argument, NULL, 's' },
		{ "iters", required_argument, NULL, 'i' },
		{ "run-after-keys", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	enum perf_verb verb = PERF_WRITE;
	bool lat = false;
	unsigned int run_after = 3;
	uint64_t size = 0, iters = 0;
	static struct conversation conv;
	const char *pcap = NULL, *connect_to = "127.0.0.1";
	unsigned int n = 1, step, keys_seen = 0, report_step = 0;
	bool play_server = true;
	uint16_t port = PERF_OOB_PORT;
	struct perf_dest theirs_first = { 0 }, theirs, recorded;
	struct perf_conf pc = { 0 };
	static struct perf_ctx ctx;
	struct perf_report rep;
	struct perf_oob oob;
	uint8_t rep_bytes[PERF_OOB_REPORT_LEN];
	int c, fd, rc;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'p': pcap = optarg; break;
		case 'n': n = (unsigned int)atoi(optarg); break;
		case 'r': play_server = strcmp(optarg, "server") == 0; break;
		case 'c': connect_to = optarg; break;
		case 'P': port = (uint16_t)atoi(optarg); break;
		case 't':
			verb = strncmp(optarg, "read", 4) == 0 ? PERF_READ :
			       strncmp(optarg, "send", 4) == 0 ? PERF_SEND :
			       strncmp(optarg, "atomic", 6) == 0 ? PERF_ATOMIC : PERF_WRITE;
			lat = strstr(optarg, "-lat") != NULL;
			break;
		case 's': size = strtoull(optarg, NULL, 0); break;
		case 'i': iters = strtoull(optarg, NULL, 0); break;
		case 'k': run_after = (unsigned int)atoi(optarg); break;
		default: return die("%s", "bad option");
		}
	}
	if (pcap == NULL)
		return die("%s", "--pcap is required");
	load(pcap, n, &conv);

	/* We are the recorded side: its keys (the fifth message) are ours. */
	{
		const struct seg *mine = play_server ? &conv.server[4] : &conv.client[4];
		const struct seg *cl = conv.client;
		union ibv_gid gid;
		uint32_t ip;

		if (mine->len != PERF_OOB_KEYS_LEN || keys_scan(mine->data, &recorded) != 0)
			return die("%s: the fifth message is not a keys message", pcap);
		memcpy(gid.raw, recorded.gid, 16);
		if (roce_gid_to_ipv4(&gid, &ip) != 0)
			return die("%s", "recorded GID is not IPv4-mapped");
		/* The client's report: five 8-byte messages after its fourth keys;
		 * latency tests and ib_send_bw have none. */
		for (step = 0; step < conv.n_client; step++)
			if (cl[step].len == 8 && report_step == 0)
				report_step = step;
		if (report_step != 0) {
			for (step = 0; step < 5; step++)
				memcpy(rep_bytes + 8 * step, cl[report_step + step].data, 8);
			perf_report_parse(rep_bytes, &rep);
			printf("recorded report: %lu %lu %.2f %.2f %.6f\n", (unsigned long)rep.size,
			       (unsigned long)rep.iters, rep.bw_peak, rep.bw_avg, rep.msg_rate);
		} else if (size == 0 || iters == 0) {
			return die("%s", "no report in the recording: give --size and --iters");
		}
		if (size == 0 || iters == 0) {
			size = rep.size;
			iters = rep.iters;
		}
		pc.verb = verb;
		pc.lat = lat;
		pc.server = play_server;
		pc.max_size = size;
		pc.iters = iters;
		pc.tx_depth = lat ? 1 : 128;
		pc.rx_depth = 16;
		pc.local_ip = ip;
		pc.stall_ms = 20000;
		pc.psn = recorded.psn;
		pc.qpn = recorded.qpn;
		pc.rkey = recorded.rkey;
		pc.vaddr = recorded.vaddr;
	}
	if (perf_ctx_init(&ctx, &pc) != 0)
		return die("%s", ctx.error);
	if (play_server) {
		int lfd = perf_oob_listen(port);

		if (lfd < 0)
			return die("%s", "cannot listen");
		printf("listening\n");
		fflush(stdout);
		fd = perf_oob_accept(lfd, 30000, perf_progress, &ctx);
	} else {
		fd = perf_oob_connect(connect_to, port, 30000, perf_progress, &ctx);
	}
	if (fd < 0)
		return die("%s", "no connection");
	oob = (struct perf_oob){ .fd = fd, .client = !play_server, .step_timeout_ms = 20000,
				 .progress = perf_progress, .progress_arg = &ctx };

	for (step = 0; step < conv.n_client; step++) {
		const struct seg *mine = play_server ? &conv.server[step] : &conv.client[step];
		const struct seg *want = play_server ? &conv.client[step] : &conv.server[step];
		uint8_t got[256];

		if (mine->len != want->len)
			return die("%s", "recorded step lengths differ");
		rc = perf_oob_xchg(&oob, "replay", mine->data, got, mine->len);
		if (rc != 0)
			return die("%s", oob.error);
		if (want->len == PERF_OOB_KEYS_LEN) {
			check_keys(step, got, want->data);
			if (keys_scan(got, &theirs) != 0) {
				mismatch(step, "keys (sscanf)", got, want->data, want->len);
			} else if (keys_seen++ == 0) {
				theirs_first = theirs;
				if (perf_ctx_connect(&ctx, &theirs, IBV_MTU_1024) != 0)
					return die("%s", ctx.error);
			} else if (!perf_dest_equal(&theirs, &theirs_first)) {
				mismatch(step, "keys changed", got, want->data, want->len);
			}
			/* The hand shake after the run: our port is not needed
			 * any more (ccm_perf.c, hand_shake()). */
			if (keys_seen == run_after + 1)
				oob.progress = NULL;
			/* Receives first, for a SEND test, before the sync that
			 * lets the peer send. */
			if (verb == PERF_SEND && keys_seen == run_after - 1 &&
			    perf_prepare(&ctx, size) != 0)
				return die("%s", ctx.error);
			if (keys_seen == run_after && (verb == PERF_SEND || (lat && verb == PERF_WRITE) ||
						       !play_server)) {
				struct perf_bw bw;
				struct perf_lat lt;

				if ((lat ? perf_lat_run(&ctx, size, &lt) :
					   perf_bw_run(&ctx, size, &bw)) != 0) {
					struct roce_stats_entry e[96];
					int k, nc = roce_stats_read(ctx.dev, e, 96);

					for (k = 0; k < nc && k < 96; k++)
						if (e[k].value)
							fprintf(stderr, " %s=%lu", e[k].name,
								(unsigned long)e[k].value);
					return die("%s", ctx.error);
				}
				printf("ran %lu x %lu bytes\n", (unsigned long)iters,
				       (unsigned long)size);
			}
		} else if (report_step != 0 && want->len == 8 && step >= report_step &&
			   step < report_step + 5 && play_server) {
			/* ccm-perf's report: size and iterations as recorded (the test
			 * runs the recorded ones), rates its own but sane numbers. */
			if (step < report_step + 2) {
				if (memcmp(got, want->data, 8) != 0)
					mismatch(step, "report size/iterations", got, want->data, 8);
			} else {
				uint8_t buf[PERF_OOB_REPORT_LEN] = { 0 };
				struct perf_report r;

				memcpy(buf + 16, got, 8);
				perf_report_parse(buf, &r);
				if (!isfinite(r.bw_peak) || r.bw_peak <= 0)
					mismatch(step, "report rate is not a positive number", got,
						 want->data, 8);
			}
		} else if (want->len != 8 || !play_server) {
			/* version, page size, cache line, MTU, done; and the
			 * server's report, which perftest leaves uninitialised. */
			if (!(want->len == 8 && !play_server) && memcmp(got, want->data, want->len))
				mismatch(step, "message", got, want->data, want->len);
		}
	}
	printf("replayed %u steps, %lu bytes each way, %d mismatches\n", step,
	       (unsigned long)oob.bytes_out, failures);
	close(fd);
	peer_exit(failures == 0 && oob.bytes_out == oob.bytes_in ? 0 : 1);
	return 0;
}

/* ---- Malformed input ---- */

static void
send_bytes(int fd, const void *p, size_t len)
{
	if (write(fd, p, len) != (ssize_t)len)
		die("%s", "write failed");
}

static void
recv_bytes(int fd, size_t len)
{
	uint8_t buf[256];
	size_t got = 0;
	ssize_t n;

	while (got < len) {
		n = read(fd, buf, len - got > sizeof(buf) ? sizeof(buf) : len - got);
		if (n <= 0)
			die("%s", "ccm-perf closed before the bad step");
		got += (size_t)n;
	}
}

/* One well-formed step in our role: read theirs, then send ours (server). */
static void
good_step(int fd, bool client, const void *mine, size_t len)
{
	if (client) {
		send_bytes(fd, mine, len);
		recv_bytes(fd, len);
	} else {
		recv_bytes(fd, len);
		send_bytes(fd, mine, len);
	}
}

static int
bad_peer(const char *mode, const char *connect_to, uint16_t port)
{
	char version[PERF_OOB_VERSION_LEN] = { 0 }, keys[PERF_OOB_KEYS_LEN];
	uint8_t page[4] = { 0, 0, 0x10, 0 }, line[4] = { 0, 0, 0, 0x40 };
	struct perf_dest d = { .qpn = 0x11, .psn = 1, .rkey = 2, .vaddr = 0x1000,
			       .gid = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 9 } };
	bool client = connect_to != NULL;
	int fd;

	if (client) {
		fd = perf_oob_connect(connect_to, port, 30000, NULL, NULL);
	} else {
		int lfd = perf_oob_listen(port);

		if (lfd < 0)
			return die("%s", "cannot listen");
		printf("listening\n");
		fflush(stdout);
		fd = perf_oob_accept(lfd, 30000, NULL, NULL);
	}
	if (fd < 0)
		return die("%s", "no connection");
	perf_version_format(version);
	if (strcmp(mode, "old-version") == 0) {
		memcpy(version, "5.60", 4);
		good_step(fd, client, version, sizeof(version));
	} else if (strcmp(mode, "garbage-version") == 0) {
		memcpy(version, "hello, world!!!!", 16);
		good_step(fd, client, version, sizeof(version));
	} else if (strcmp(mode, "short") == 0) {
		/* Ten bytes of sixteen, then gone. */
		if (!client)
			recv_bytes(fd, sizeof(version));
		send_bytes(fd, version, 10);
		close(fd);
		peer_exit(0);
	} else if (strcmp(mode, "silent") == 0) {
		sleep(60);
	} else {
		good_step(fd, client, version, sizeof(version));
		good_step(fd, client, page, 4);
		good_step(fd, client, line, 4);
		if (strcmp(mode, "bad-mtu") == 0) {
			good_step(fd, client, "9", 2);
		} else {
			good_step(fd, client, "3", 2);
			if (strcmp(mode, "garbage-keys") == 0) {
				perf_keys_format(&d, keys);
				keys[12] = 'z';		/* in the QPN */
				good_step(fd, client, keys, sizeof(keys));
			} else if (strcmp(mode, "close-early") == 0) {
				close(fd);
				peer_exit(0);
			} else {
				return die("unknown --bad mode %s", mode);
			}
		}
	}
	/* Stay until ccm-perf gives up, so it is its time limit or parser that
	 * ends the run, not our closing. */
	{
		char buf[64];

		while (read(fd, buf, sizeof(buf)) > 0)
			;
	}
	close(fd);
	peer_exit(0);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *connect_to = NULL;
	uint16_t port = PERF_OOB_PORT;
	int i, rc;

	if (argc > 2 && strcmp(argv[1], "--bad") == 0) {
		for (i = 3; i + 1 < argc; i += 2) {
			if (strcmp(argv[i], "--connect") == 0)
				connect_to = argv[i + 1];
			else if (strcmp(argv[i], "--port") == 0)
				port = (uint16_t)atoi(argv[i + 1]);
		}
		return bad_peer(argv[2], connect_to, port);
	}
	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		return die("EAL: %s", rte_strerror(rte_errno));
	return replay(argc - rc, argv + rc);
}
