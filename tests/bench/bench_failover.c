/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Link failover time, on real time: two CCMs in one process joined by two
 * net_ring links stream records from A's client to B's; link 0 is then cut
 * silently in both directions (every frame dropped: no carrier change to
 * help). Measured from the cut: when A takes link 0 out of service
 * (detection), and when the first record written after the cut reaches B
 * over link 1 (traffic resumed). Repeated; medians and the worst.
 *
 *   bench_failover [--runs N] [--smoke] [--keepalive-us U] [--link-timeout-us U]
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "ccm.h"

#define REC	1024
#define SLOTS	64

struct side {
	struct ccm *ccm;
	struct ccm_client *client;
	uint8_t *local;
	uint16_t port[2];
};

static struct rte_mempool *rx_pool;
static struct rte_ring *rings[4];
static uint64_t keepalive_us = 1000, link_timeout_us = 5000;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint16_t
ring_port(const char *name, struct rte_ring *rx, struct rte_ring *tx)
{
	struct rte_eth_conf conf = { 0 };
	int port = rte_eth_from_rings(name, &rx, 1, &tx, 1, SOCKET_ID_ANY);

	if (port < 0 || rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, NULL, rx_pool) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(port) != 0) {
		fprintf(stderr, "bench_failover: ring port %s\n", name);
		exit(1);
	}
	return port;
}

static void
side_create(struct side *s, const char *name, uint16_t id)
{
	struct ccm_client_conf cc = { .name = "bench", .nports = 1, .peer_mem_bytes = SLOTS * REC,
				      .local_len = SLOTS * REC };
	struct ccm_conf conf = { 0 };
	unsigned int l;

	ccm_conf_defaults(&conf);
	conf.name = name;
	conf.cluster_id = 0xbe;
	conf.node_id = id;
	conf.peer_node_id = 3 - id;
	conf.nb_links = 2;
	conf.keepalive_ns = keepalive_us * 1000;
	conf.link_timeout_ns = link_timeout_us * 1000;
	conf.balance = CCM_BALANCE_ACTIVE_STANDBY;	/* all on link 0 until it fails */
	conf.failback = false;
	for (l = 0; l < 2; l++) {
		conf.link[l].port_id = s->port[l];
		conf.link[l].local_ip = 0x0a5b0000 | l << 8 | id;
		conf.link[l].peer_ip = 0x0a5b0000 | l << 8 | (3 - id);
	}
	conf.boot_qpn = 8;
	conf.boot_rkey = 0x7700;
	conf.boot_addr = 0x10000000;
	s->ccm = ccm_create(&conf);
	s->local = rte_zmalloc("bench_local", SLOTS * REC, 4096);
	cc.local_mem = s->local;
	if (s->ccm == NULL || s->local == NULL ||
	    (s->client = ccm_client_register(s->ccm, &cc)) == NULL) {
		fprintf(stderr, "bench_failover: %s: %s\n", name, rte_strerror(rte_errno));
		exit(1);
	}
}

static void
poll_both(struct side *a, struct side *b)
{
	uint64_t t = now_ns();

	ccm_poll(a->ccm, t);
	ccm_poll(b->ccm, t);
}

static int
cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;

	return a < b ? -1 : a > b;
}

/* One trial: returns detection and resumption times in ns, or 0 on failure. */
static int
trial(uint64_t *detect_ns, uint64_t *resume_ns)
{
	struct side a = { .port = { 0, 2 } }, b = { .port = { 1, 3 } };
	struct roce_fault_conf dead = { .drop = 1.0, .seed = 1 }, off = { 0 };
	struct ccm_client_event ev, ra = { 0 };
	uint64_t t0 = 0, deadline, sent = 0, cut_seq = UINT64_MAX;
	int rc = -1;

	side_create(&a, "benchA", 1);
	side_create(&b, "benchB", 2);
	ccm_start(a.ccm, now_ns());
	ccm_start(b.ccm, now_ns());
	deadline = now_ns() + 10000000000ull;
	while (now_ns() < deadline && (ra.type != CCM_EV_PARTNER_READY ||
				       ccm_link_state(a.ccm, 0) != CCM_L_UP ||
				       ccm_link_state(a.ccm, 1) != CCM_L_UP)) {
		poll_both(&a, &b);
		while (ccm_client_events(a.client, &ev, 1) == 1)
			if (ev.type == CCM_EV_PARTNER_READY)
				ra = ev;
	}
	if (ra.type != CCM_EV_PARTNER_READY)
		goto out;
	/* Stream, cut link 0 after 20 ms, watch. */
	deadline = now_ns() + 5000000000ull;
	*detect_ns = *resume_ns = 0;
	while (now_ns() < deadline && *resume_ns == 0) {
		struct ccm_work w = { .wr_id = sent, .session = ra.session, .port = 0,
				      .opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
				      .local = a.local + (sent % SLOTS) * REC, .len = REC,
				      .imm = (uint32_t)sent, .remote_off = (sent % SLOTS) * REC };

		if (ccm_client_post(a.client, &w, 1) == 1)
			sent++;
		if (t0 == 0 && sent >= 200) {
			ccm_link_set_fault(a.ccm, 0, ROCE_FAULT_TX, &dead);
			ccm_link_set_fault(b.ccm, 0, ROCE_FAULT_TX, &dead);
			t0 = now_ns();
			cut_seq = sent;		/* records from here on were sent after the cut */
		}
		poll_both(&a, &b);
		if (t0 != 0 && *detect_ns == 0 && ccm_link_state(a.ccm, 0) != CCM_L_UP)
			*detect_ns = now_ns() - t0;
		while (ccm_client_events(a.client, &ev, 1) == 1)
			;
		while (ccm_client_events(b.client, &ev, 1) == 1)
			if (ev.type == CCM_EV_IMMEDIATE && ev.u.imm.imm >= cut_seq &&
			    *resume_ns == 0)
				*resume_ns = now_ns() - t0;
	}
	rc = *detect_ns != 0 && *resume_ns != 0 ? 0 : -1;
out:
	ccm_link_set_fault(a.ccm, 0, ROCE_FAULT_TX, &off);
	ccm_link_set_fault(b.ccm, 0, ROCE_FAULT_TX, &off);
	for (unsigned int i = 0; i < 4; i++) {
		void *m = NULL;

		while (rte_ring_dequeue(rings[i], &m) == 0)
			rte_pktmbuf_free(m);
	}
	ccm_destroy(a.ccm);
	ccm_destroy(b.ccm);
	rte_free(a.local);
	rte_free(b.local);
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "runs", required_argument, NULL, 'r' },
		{ "smoke", no_argument, NULL, 's' },
		{ "keepalive-us", required_argument, NULL, 'k' },
		{ "link-timeout-us", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char *eal[] = { argv[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			"--file-prefix=bench-failover", "--log-level=lib.eal:error",
			"--log-level=ccm:warning", "--log-level=roce:warning", NULL };
	unsigned int runs = 20, ok = 0, i;
	uint64_t *det, *res;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			runs = atoi(optarg);
			break;
		case 's':
			runs = 2;
			break;
		case 'k':
			keepalive_us = atoi(optarg);
			break;
		case 't':
			link_timeout_us = atoi(optarg);
			break;
		default:
			printf("usage: bench_failover [--runs N] [--smoke] [--keepalive-us U] "
			       "[--link-timeout-us U]\n");
			return c == 'h' ? 0 : 2;
		}
	}
	if (rte_eal_init(RTE_DIM(eal) - 1, eal) < 0)
		return 1;
	rx_pool = rte_pktmbuf_pool_create("bf_rx", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	for (i = 0; i < 4; i++) {
		char n[16];

		snprintf(n, sizeof(n), "bf%u", i);
		rings[i] = rte_ring_create(n, 4096, SOCKET_ID_ANY, 0);
	}
	/* link 0: ports 0 (A) and 1 (B); link 1: ports 2 and 3 */
	ring_port("bfA0", rings[1], rings[0]);
	ring_port("bfB0", rings[0], rings[1]);
	ring_port("bfA1", rings[3], rings[2]);
	ring_port("bfB1", rings[2], rings[3]);
	det = calloc(runs, sizeof(*det));
	res = calloc(runs, sizeof(*res));
	if (det == NULL || res == NULL)
		return 1;
	for (i = 0; i < runs; i++)
		if (trial(&det[ok], &res[ok]) == 0)
			ok++;
	if (ok == 0) {
		fprintf(stderr, "bench_failover: no trial completed\n");
		free(det);
		free(res);
		return 1;
	}
	qsort(det, ok, sizeof(*det), cmp_u64);
	qsort(res, ok, sizeof(*res), cmp_u64);
	printf("link failover, keepalive %lu us, link timeout %lu us, %u of %u trials\n",
	       (unsigned long)keepalive_us, (unsigned long)link_timeout_us, ok, runs);
	printf("  detected:  median %.2f ms, min %.2f, max %.2f\n", det[ok / 2] / 1e6,
	       det[0] / 1e6, det[ok - 1] / 1e6);
	printf("  resumed:   median %.2f ms, min %.2f, max %.2f\n", res[ok / 2] / 1e6,
	       res[0] / 1e6, res[ok - 1] / 1e6);
	free(det);
	free(res);
	return ok == runs ? 0 : 1;
}
