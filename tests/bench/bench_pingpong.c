/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * bench_pingpong: the raw round trip of a DPDK port pair, the baseline of
 * ccm-perf's latency (docs/perf.md). Two processes: "pong" sends every
 * frame it receives straight back; "ping" sends one frame of --size bytes,
 * waits for it, and so on, timing each round trip. Both wait the way
 * ccm-perf does (idle_backoff.h: spin, then yield, then nap), so the ratio
 * measures our stack, not a different polling policy.
 *
 *   bench_pingpong [EAL] -- --role ping|pong [--size 64] [--iters 10000]
 *                  [--timeout SECONDS] [--json]
 *
 * ping prints perftest's latency table (t_typical is the median), with
 * half round trips as ib_write_lat does.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "idle_backoff.h"
#include "perf_stats.h"

#define BURST 32

static int
port_init(uint16_t port, struct rte_mempool *mp)
{
	struct rte_eth_conf conf = { 0 };
	int rc;

	rc = rte_eth_dev_configure(port, 1, 1, &conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), NULL, mp);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(port, 0, 512, rte_eth_dev_socket_id(port), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(port);
	if (rc == 0)
		rte_eth_promiscuous_enable(port);
	return rc;
}

static void
wait_link(uint16_t port)
{
	struct rte_eth_link link;

	for (int i = 0; i < 100; i++) {
		if (rte_eth_link_get_nowait(port, &link) == 0 && link.link_status)
			return;
		usleep(100000);
	}
}

static void
fill(struct rte_mbuf *m, uint32_t size, uint64_t seq)
{
	uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

	memset(p, 0, size);
	memset(p, 0xff, 6);		/* broadcast: any port takes it */
	p[6] = 0x02;			/* locally administered source */
	p[12] = 0x88;			/* local experimental ethertype 0x88b5 */
	p[13] = 0xb5;
	memcpy(p + 14, &seq, sizeof(seq));
	m->data_len = m->pkt_len = size;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "size", required_argument, NULL, 's' },
		{ "iters", required_argument, NULL, 'n' },
		{ "timeout", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	uint32_t size = 64;
	uint64_t iters = 10000, i, *rtt, deadline;
	double timeout = 60;
	bool ping = false, json = false, role_set = false;
	struct rte_mbuf *burst[BURST];
	struct rte_mempool *mp;
	struct perf_lat lat;
	int c, rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "bench_pingpong: EAL: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= rc;
	argv += rc;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 'r':
			ping = strcmp(optarg, "ping") == 0;
			role_set = ping || strcmp(optarg, "pong") == 0;
			break;
		case 's':
			size = (uint32_t)atoi(optarg);
			break;
		case 'n':
			iters = strtoull(optarg, NULL, 10);
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'j':
			json = true;
			break;
		default:
			return 2;
		}
	}
	if (!role_set || size < 60 || size > 1500 || iters < 2 || rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "usage: bench_pingpong [EAL: one port] -- --role ping|pong "
			"[--size 60..1500] [--iters N>=2] [--timeout S] [--json]\n");
		return 2;
	}
	mp = rte_pktmbuf_pool_create("pingpong", 4095, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				     SOCKET_ID_ANY);
	if (mp == NULL || port_init(0, mp) != 0) {
		fprintf(stderr, "bench_pingpong: cannot set up DPDK port 0\n");
		return 1;
	}
	wait_link(0);
	deadline = perf_now_ns() + (uint64_t)(timeout * 1e9);
	if (!ping) {
		/* Send back whatever comes, until a minute of silence or the limit. */
		struct idle_backoff idle = { 0 };
		uint64_t last = perf_now_ns();

		while (perf_now_ns() < deadline && perf_now_ns() - last < 5000000000ull) {
			uint16_t n = rte_eth_rx_burst(0, 0, burst, BURST), sent = 0;

			idle_backoff(&idle, n == 0, perf_now_ns());
			if (n == 0)
				continue;
			last = perf_now_ns();
			while (sent < n)
				sent += rte_eth_tx_burst(0, 0, burst + sent, n - sent);
		}
		fflush(NULL);
		_exit(0);
	}
	rtt = calloc(iters, sizeof(*rtt));
	if (rtt == NULL)
		return 1;
	/* A few rounds first: the pong side may not be polling yet. */
	struct idle_backoff idle = { 0 };

	for (i = 0; i < iters + 100 && perf_now_ns() < deadline; i++) {
		struct rte_mbuf *m = rte_pktmbuf_alloc(mp);
		uint64_t t0, seq = i, got = ~0ull, resend;
		uint16_t n, k;

		if (m == NULL)
			return 1;
		fill(m, size, seq);
		t0 = perf_now_ns();
		resend = t0 + 100000000ull;	/* lost (link still coming up): again */
		while (rte_eth_tx_burst(0, 0, &m, 1) == 0)
			;
		while (got != seq && perf_now_ns() < deadline) {
			n = rte_eth_rx_burst(0, 0, burst, BURST);
			for (k = 0; k < n; k++) {
				memcpy(&got, rte_pktmbuf_mtod_offset(burst[k], uint8_t *, 14),
				       sizeof(got));
				rte_pktmbuf_free(burst[k]);
			}
			if (n == 0) {
				if (perf_now_ns() > resend) {
					m = rte_pktmbuf_alloc(mp);
					fill(m, size, seq);
					rte_eth_tx_burst(0, 0, &m, 1);
					resend = perf_now_ns() + 100000000ull;
				}
			}
			idle_backoff(&idle, n == 0, perf_now_ns());
		}
		if (i >= 100)
			rtt[i - 100] = perf_now_ns() - t0;
	}
	if (i < iters + 100) {
		fprintf(stderr, "bench_pingpong: timed out after %lu round trips\n",
			(unsigned long)i);
		return 1;
	}
	perf_lat_compute(&lat, size, rtt, iters, 0.5);
	if (json) {
		perf_lat_json(stdout, "raw", &lat, false);
	} else {
		perf_lat_header(stdout);
		perf_lat_line(stdout, &lat);
	}
	fflush(NULL);
	_exit(0);
}
