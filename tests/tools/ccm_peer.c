/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm_peer: one node of a two-process CCM test. Each DPDK port given with
 * --vdev is one link, in order. Node 1 streams numbered records into the
 * memory node 2 holds for it (RDMA WRITE with immediate through the
 * client's ports); node 2 checks each arrives once and intact. Both exit
 * 0 only when every record made it.
 *
 *   ccm_peer [EAL args] -- --node 1|2 [--records N] [--timeout SECONDS]
 *            [--version-max V] [--start-delay-ms MS] [--expect-refusal]
 *            [--cycles N] [--restarts K]
 *
 * --cycles N: instead of streaming, node 1 terminates the session and
 * initiates it again N times (claim 22); both nodes then check that their
 * QPs, mbufs and DPDK heap are back where they were in the second session
 * (the first cycle may allocate once what the others reuse). --restarts K:
 * node 1 stays while its partner process is killed and started again K
 * times (the test script does it); after each new session its resources
 * must be back where they were in the second.
 *
 * Link i joins 10.90.i.1 (node 1) and 10.90.i.2 (node 2).
 */
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "ccm.h"
#include "ccm_pvt.h"	/* ccm_dev(): the transport's mbufs and QPs */
#include "peer_exit.h"
#include "roce_int.h"

#define REC_LEN		1024
#define SLOTS		256
#define MEM_LEN		(SLOTS * REC_LEN)

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* What a session leaves behind when it ends: nothing. */
struct footprint {
	uint32_t qps;
	unsigned int hdr_free, ext_free;
	size_t heap;
};

static void
footprint(struct ccm *ccm, struct footprint *f)
{
	struct rte_malloc_socket_stats st;
	struct roce_dev *dev = ccm_dev(ccm);

	rte_malloc_get_socket_stats(0, &st);
	*f = (struct footprint){ .qps = dev->nb_qp, .hdr_free = rte_mempool_avail_count(dev->hdr_pool),
				 .ext_free = rte_mempool_avail_count(dev->ext_pool),
				 .heap = st.heap_allocsz_bytes };
}

/* The same as @p base, up to the header mbufs a quiet moment has in
 * flight (keepalives, acks). @return 0, or 1 with a line on stderr. */
static int
footprint_check(unsigned int node, const char *when, const struct footprint *base,
		const struct footprint *now)
{
	if (now->qps == base->qps && now->ext_free == base->ext_free && now->heap == base->heap &&
	    now->hdr_free + 16 >= base->hdr_free)
		return 0;
	fprintf(stderr, "node %u: %s: QPs %u (second session %u), header mbufs free %u (%u), "
		"payload mbufs free %u (%u), DPDK heap %zu bytes (%zu)\n", node, when, now->qps,
		base->qps, now->hdr_free, base->hdr_free, now->ext_free, base->ext_free, now->heap,
		base->heap);
	return 1;
}

/* Poll, yielding when idle (two processes share two cores). */
static void
poll_once(struct ccm *ccm)
{
	if (ccm_poll(ccm, now_ns()) == 0)
		sched_yield();
}

/* Poll, and be the client claim 22 wants: a session that ends is
 * answered by closing its ports. */
static void
poll_client(struct ccm *ccm, struct ccm_client *client)
{
	struct ccm_client_event ev;

	poll_once(ccm);
	while (ccm_client_events(client, &ev, 1) == 1)
		if (ev.type == CCM_EV_TERMINATING)
			ccm_client_close(client);
}

static void
record_fill(uint8_t *p, uint32_t seq)
{
	uint32_t i;

	for (i = 0; i < REC_LEN; i++)
		p[i] = (uint8_t)(seq * 13 + i);
	memcpy(p, &seq, sizeof(seq));
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "node", required_argument, NULL, 'n' },
		{ "records", required_argument, NULL, 'r' },
		{ "timeout", required_argument, NULL, 't' },
		{ "version-max", required_argument, NULL, 'v' },
		{ "start-delay-ms", required_argument, NULL, 'd' },
		{ "expect-refusal", no_argument, NULL, 'x' },
		{ "cycles", required_argument, NULL, 'C' },
		{ "restarts", required_argument, NULL, 'R' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned int node = 0, records = 5000, version_max = 0, delay_ms = 0, cycles = 0;
	unsigned int restarts = 0;
	unsigned int sent = 0, done = 0, got = 0, l;
	bool expect_refusal = false;
	double timeout = 30;
	struct ccm_client_conf cconf = { .name = "stream", .nports = 2, .peer_mem_bytes = MEM_LEN,
					 .local_len = MEM_LEN };
	struct ccm_client_event ev, ready = { 0 };
	struct ccm_client *client;
	struct ccm_conf conf = { 0 };
	struct ccm *ccm;
	uint8_t *seen;
	uint64_t deadline;
	int c, rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "ccm_peer: EAL: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= rc;
	argv += rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			node = atoi(optarg);
			break;
		case 'r':
			records = atoi(optarg);
			break;
		case 't':
			timeout = atof(optarg);
			break;
		case 'v':
			version_max = atoi(optarg);
			break;
		case 'd':
			delay_ms = atoi(optarg);
			break;
		case 'x':
			expect_refusal = true;
			break;
		case 'C':
			cycles = atoi(optarg);
			break;
		case 'R':
			restarts = atoi(optarg);
			break;
		default:
			return 2;
		}
	}
	if (node != 1 && node != 2) {
		fprintf(stderr, "usage: ccm_peer [EAL args] -- --node 1|2 [--records N] "
			"[--timeout S] [--version-max V] [--start-delay-ms MS] [--expect-refusal]\n");
		return 2;
	}
	ccm_conf_defaults(&conf);
	/* A link is dead after 50 ms of silence, not 5: the processes share
	 * two loaded vCPUs (stalls of tens of ms), and link failover is not
	 * what these tests are about (tests/test_ccm.c, bench_failover). */
	conf.link_timeout_ns = 50000000;
	conf.name = node == 1 ? "node1" : "node2";
	conf.cluster_id = 0x5eed;
	conf.node_id = node;
	conf.peer_node_id = 3 - node;
	conf.nb_links = rte_eth_dev_count_avail();
	if (conf.nb_links == 0 || conf.nb_links > CCM_MAX_LINKS) {
		fprintf(stderr, "ccm_peer: give 1 to %d ports with --vdev\n", CCM_MAX_LINKS);
		return 2;
	}
	for (l = 0; l < conf.nb_links; l++) {
		conf.link[l].port_id = l;
		conf.link[l].configure = true;
		conf.link[l].local_ip = 0x0a5a0000 | l << 8 | node;
		conf.link[l].peer_ip = 0x0a5a0000 | l << 8 | (3 - node);
	}
	conf.boot_qpn = 8;
	conf.boot_rkey = 0x7700;
	conf.boot_addr = 0x10000000;
	if (version_max != 0)
		conf.version_min = conf.version_max = version_max;
	ccm = ccm_create(&conf);
	if (ccm == NULL) {
		fprintf(stderr, "ccm_peer: ccm_create: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	cconf.local_mem = rte_zmalloc("local", MEM_LEN, 4096);
	seen = calloc(records, 1);
	client = ccm_client_register(ccm, &cconf);
	if (client == NULL || cconf.local_mem == NULL || seen == NULL)
		return 1;
	/* The ports are started: a memif client may connect now. */
	fprintf(stderr, "node %u: ready\n", node);
	/* The CCM starts late: its ports and boot region exist, as on a node
	 * whose CCM has not yet been reached in its boot. */
	usleep(delay_ms * 1000);
	ccm_start(ccm, now_ns());
	deadline = now_ns() + timeout * 1e9;

	if (expect_refusal) {
		while (now_ns() < deadline && ccm_stat(ccm, "refused") == 0)
			poll_once(ccm);
		/* Stay a while, so the partner hears the refusal too. */
		for (deadline = now_ns() + 2000000000ull; now_ns() < deadline;)
			poll_once(ccm);
		rc = ccm_stat(ccm, "refused") > 0 && ccm_session(ccm) == 0 ? 0 : 1;
		fprintf(stderr, "node %u: %s (refused %lu)\n", node, rc ? "FAILED" : "refused",
			(unsigned long)ccm_stat(ccm, "refused"));
		goto out;
	}
	if (cycles > 0 || restarts > 0) {
		/* Sessions, one after another; the footprint of each compared
		 * with the first's, each in a quiet moment once up. */
		struct footprint base = { 0 }, now;
		unsigned int want = (cycles ? cycles : restarts) + 1, bad = 0, seen = 0;
		uint64_t settle;
		uint32_t s;

		while (now_ns() < deadline) {
			while (now_ns() < deadline && ccm_state(ccm) != CCM_S_UP)
				poll_client(ccm, client);
			for (settle = now_ns() + 20000000ull; now_ns() < settle;)
				poll_client(ccm, client);
			if (ccm_state(ccm) != CCM_S_UP)
				continue;	/* it ended again meanwhile */
			s = ccm_session(ccm);
			footprint(ccm, &now);
			/* The second session is the reference: the first cycle may
			 * allocate once what every later one reuses (64 heap bytes
			 * on a memif client); a leak grows with every cycle. */
			if (seen == 1)
				base = now;
			else if (seen > 1 && (s >= want || s % 100 == 0 || restarts))
				bad += footprint_check(node, s >= want ? "last session" : "a session",
						       &base, &now);
			seen++;
			if (s >= want)
				break;
			/* Node 1 ends this one and begins the next; the other waits
			 * for it (sessions counted by number: one may come and go
			 * while we settle). */
			if (node == 1 && cycles)
				ccm_restart(ccm);
			while (now_ns() < deadline && ccm_session(ccm) == s)
				poll_client(ccm, client);
		}
		seen = ccm_session(ccm);
		rc = seen == want && bad == 0 ? 0 : 1;
		fprintf(stderr, "node %u: %s, %u of %u sessions, session %u, %s footprint: "
			"%u QPs, %u+%u mbufs free, %zu heap bytes\n", node, rc ? "FAILED" : "ok",
			seen, want, ccm_session(ccm), bad ? "CHANGED" : "same", base.qps,
			base.hdr_free, base.ext_free, base.heap);
		/* The partner sees our last session up before we go. */
		for (settle = now_ns() + 300000000ull; now_ns() < settle;)
			poll_client(ccm, client);
		goto out;
	}
	/* Wait for the partner, then stream (node 1) or check (node 2). */
	while (now_ns() < deadline && ready.type != CCM_EV_PARTNER_READY) {
		poll_once(ccm);
		while (ccm_client_events(client, &ev, 1) == 1)
			if (ev.type == CCM_EV_PARTNER_READY)
				ready = ev;
	}
	while (now_ns() < deadline && (node == 1 ? done < records : got < records)) {
		while (node == 1 && sent < records && sent - done < 64) {
			uint8_t *p = (uint8_t *)cconf.local_mem + (sent % SLOTS) * REC_LEN;
			struct ccm_work w = { .wr_id = sent, .session = ready.session,
					      .port = sent % 2, .opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
					      .local = p, .len = REC_LEN, .imm = sent,
					      .remote_off = (sent % SLOTS) * REC_LEN };

			record_fill(p, sent);
			if (ccm_client_post(client, &w, 1) != 1)
				break;
			sent++;
		}
		poll_once(ccm);
		while (ccm_client_events(client, &ev, 1) == 1) {
			if (ev.type == CCM_EV_COMPLETION) {
				if (ev.u.wc.status != IBV_WC_SUCCESS) {
					fprintf(stderr, "node 1: record %lu: %s\n",
						(unsigned long)ev.u.wc.wr_id,
						ibv_wc_status_str(ev.u.wc.status));
					goto fail;
				}
				done++;
			} else if (ev.type == CCM_EV_IMMEDIATE) {
				uint8_t want[REC_LEN];
				const uint8_t *rec = (const uint8_t *)ready.u.ready.local_mem +
						     (ev.u.imm.imm % SLOTS) * REC_LEN;

				record_fill(want, ev.u.imm.imm);
				if (ev.u.imm.imm >= records || seen[ev.u.imm.imm] ||
				    memcmp(rec, want, REC_LEN) != 0) {
					fprintf(stderr, "node 2: record %u duplicated or wrong\n",
						ev.u.imm.imm);
					goto fail;
				}
				seen[ev.u.imm.imm] = 1;
				got++;
			}
		}
	}
	rc = (node == 1 ? done : got) == records ? 0 : 1;
	/* Let the last acknowledgements go before leaving. */
	for (deadline = now_ns() + 200000000ull; now_ns() < deadline;)
		poll_once(ccm);
	fprintf(stderr, "node %u: %s, %u of %u records, session %u, links up %d/%d\n", node,
		rc ? "FAILED" : "ok", node == 1 ? done : got, records, ccm_session(ccm),
		ccm_link_state(ccm, 0) == CCM_L_UP, ccm_link_state(ccm, 1) == CCM_L_UP);
	goto out;
fail:
	rc = 1;
out:
	/* No ccm_destroy(): stopping a net_memif port races the partner's
	 * disconnect in DPDK's interrupt thread (peer_exit.h). Tear-down is
	 * tested in one process (tests/test_ccm.c, 1,000 cycles). */
	free(seen);
	peer_exit(rc);
}
