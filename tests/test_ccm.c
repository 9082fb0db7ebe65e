/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Two CCMs in one process, joined by two links (two net_ring pairs), with
 * simulated time: session initiation in every start order, clients and
 * their ports, partner restart, version mismatch, a late client, link
 * failover under a verified stream, every link lost and back, and many
 * terminate/re-init cycles without a leak.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "ccm.h"
#include "ccm_pvt.h"	/* ccm_dev(): the transport's mbufs and QPs */
#include "roce_int.h"
#include "test_eal.h"

#define STEP_NS		10000ull		/* 10 us of simulated time per poll */
#define MS		1000000ull
#define SEC		1000000000ull
#define MIRROR_LEN	(1u << 20)

struct node {
	const char *name;
	uint16_t id;
	uint32_t ip[2];
	uint16_t port_id[2];
	struct ccm *ccm;
	struct ccm_client *client;
	uint8_t *local;			/* what the client sends from */
};

static struct node A = { .name = "A", .id = 1, .ip = { 0x0a580001, 0x0a590001 } };
static struct node B = { .name = "B", .id = 2, .ip = { 0x0a580002, 0x0a590002 } };
static struct rte_ring *rings[4];
static struct rte_mempool *rx_pool;
static uint64_t now_ns = SEC;
static uint16_t versions[2][2];	/* per node: min, max for the next create */
static bool fixed_macs;		/* next create: link l of node n has mac_of(n, l) */

static struct rte_ether_addr
mac_of(uint16_t node, unsigned int link)
{
	return (struct rte_ether_addr){ { 0x02, 0xcc, 0, 0, node, link } };
}

static void
node_create(struct node *n, const struct node *peer)
{
	struct ccm_conf conf = { 0 };
	unsigned int l;

	ccm_conf_defaults(&conf);
	conf.name = n->name;
	conf.cluster_id = 0xc1a55;
	conf.node_id = n->id;
	conf.peer_node_id = peer->id;
	conf.nb_links = 2;
	for (l = 0; l < 2; l++) {
		conf.link[l].port_id = n->port_id[l];
		conf.link[l].local_ip = n->ip[l];
		conf.link[l].peer_ip = peer->ip[l];
		if (fixed_macs)
			conf.link[l].local_mac = mac_of(n->id, l);
	}
	conf.boot_qpn = 8;
	conf.boot_rkey = 0x7700;
	conf.boot_addr = 0x10000000;
	conf.probe_min_ns = 200000;		/* quick retries in simulated time */
	conf.probe_max_ns = 50 * MS;
	conf.nb_mbufs = 2047;
	if (versions[n->id - 1][0] != 0) {
		conf.version_min = versions[n->id - 1][0];
		conf.version_max = versions[n->id - 1][1];
	}
	n->ccm = ccm_create(&conf);
	ck_assert_msg(n->ccm != NULL, "%s: ccm_create: %s", n->name, rte_strerror(rte_errno));
	n->client = NULL;
}

static void drain_rings(void);

/* The node is gone at once, as in a crash: frames on the links are lost
 * (they may point into the memory being freed). */
static void
node_destroy(struct node *n)
{
	drain_rings();
	if (n->ccm != NULL)
		ccm_destroy(n->ccm);
	n->ccm = NULL;
	n->client = NULL;
}

static void
client_add(struct node *n, const char *name)
{
	struct ccm_client_conf conf = {
		.name = name, .nports = 2, .peer_mem_bytes = MIRROR_LEN,
		.local_mem = n->local, .local_len = MIRROR_LEN,
	};

	n->client = ccm_client_register(n->ccm, &conf);
	ck_assert_msg(n->client != NULL, "%s: register %s: %s", n->name, name,
		      rte_strerror(rte_errno));
}

static void
poll_nodes(void)
{
	now_ns += STEP_NS;
	if (A.ccm != NULL)
		ccm_poll(A.ccm, now_ns);
	if (B.ccm != NULL)
		ccm_poll(B.ccm, now_ns);
}

/* Poll until both are UP (true), or @p max_ns of simulated time pass. */
static bool
until_up(uint64_t max_ns)
{
	uint64_t end = now_ns + max_ns;

	while (now_ns < end) {
		poll_nodes();
		if (ccm_state(A.ccm) == CCM_S_UP && ccm_state(B.ccm) == CCM_S_UP)
			return true;
	}
	return false;
}

static void
run_for(uint64_t ns)
{
	uint64_t end = now_ns + ns;

	while (now_ns < end)
		poll_nodes();
}

#define ASSERT_UP(max) \
	ck_assert_msg(until_up(max), "not up: A %s, B %s", ccm_state_name(ccm_state(A.ccm)), \
		      ccm_state_name(ccm_state(B.ccm)))

/* Empty the links between tests: nothing stale from the last one. */
static void
drain_rings(void)
{
	void *m;
	unsigned int i;

	for (i = 0; i < RTE_DIM(rings); i++)
		while (rte_ring_dequeue(rings[i], &m) == 0)
			rte_pktmbuf_free(m);
}

static void
teardown_nodes(void)
{
	node_destroy(&A);
	node_destroy(&B);
	drain_rings();
	memset(versions, 0, sizeof(versions));
	fixed_macs = false;
}

/* Wait for a client event of @p type; other events are skipped. */
static bool
wait_event(struct node *n, uint16_t type, struct ccm_client_event *out, uint64_t max_ns)
{
	uint64_t end = now_ns + max_ns;
	struct ccm_client_event ev;

	while (now_ns < end) {
		poll_nodes();
		while (ccm_client_events(n->client, &ev, 1) == 1)
			if (ev.type == type) {
				if (out != NULL)
					*out = ev;
				return true;
			}
	}
	return false;
}

/* ---- Start orders ----------------------------------------------------- */

START_TEST(a_then_b)
{
	node_create(&A, &B);
	ccm_start(A.ccm, now_ns);
	run_for(500 * MS);	/* the partner is not there: probes back off */
	ck_assert_int_eq(ccm_state(A.ccm), CCM_S_PROBE);
	ck_assert_msg(ccm_stat(A.ccm, "probe_fails") >= 3, "A did not retry: %lu",
		      (unsigned long)ccm_stat(A.ccm, "probe_fails"));
	/* Backing off, not flooding: far fewer probes than polls. */
	ck_assert_msg(ccm_stat(A.ccm, "probes") < 40, "A probed %lu times in 500 ms",
		      (unsigned long)ccm_stat(A.ccm, "probes"));
	node_create(&B, &A);
	ccm_start(B.ccm, now_ns);
	ASSERT_UP(5 * SEC);
	ck_assert_uint_eq(ccm_version(A.ccm), CCM_PROTO_VERSION_MAX);
	ck_assert_uint_eq(ccm_session(A.ccm), 1);
	ck_assert_uint_eq(ccm_session(B.ccm), 1);
	teardown_nodes();
}
END_TEST

START_TEST(b_then_a)
{
	node_create(&B, &A);
	ccm_start(B.ccm, now_ns);
	run_for(100 * MS);
	node_create(&A, &B);
	ccm_start(A.ccm, now_ns);
	ASSERT_UP(5 * SEC);
	teardown_nodes();
}
END_TEST

START_TEST(simultaneous)
{
	node_create(&A, &B);
	node_create(&B, &A);
	ccm_start(A.ccm, now_ns);
	ccm_start(B.ccm, now_ns);
	ASSERT_UP(5 * SEC);
	/* The partner's boot region was reachable before its own start, too. */
	teardown_nodes();
}
END_TEST

START_TEST(partner_created_but_not_started)
{
	/* B's CCM exists (its boot region answers) but has not started: A's
	 * handshake reaches it, and completes once B starts too. */
	node_create(&A, &B);
	node_create(&B, &A);
	ccm_start(A.ccm, now_ns);
	run_for(100 * MS);
	ck_assert_int_ne(ccm_state(A.ccm), CCM_S_UP);
	ccm_start(B.ccm, now_ns);
	ASSERT_UP(5 * SEC);
	teardown_nodes();
}
END_TEST

/* ---- Clients ---------------------------------------------------------- */

static void
both_with_client(void)
{
	node_create(&A, &B);
	node_create(&B, &A);
	client_add(&A, "mirror");
	client_add(&B, "mirror");
	ccm_start(A.ccm, now_ns);
	ccm_start(B.ccm, now_ns);
	ASSERT_UP(5 * SEC);
}

START_TEST(clients_get_ports_and_memory)
{
	struct ccm_client_event ra, rb, ev;
	struct ccm_work w = { .wr_id = 42, .port = 1, .opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
			      .len = 4096, .imm = 0xabc, .remote_off = 8192 };

	both_with_client();
	ck_assert(wait_event(&A, CCM_EV_PARTNER_READY, &ra, SEC));
	ck_assert(wait_event(&B, CCM_EV_PARTNER_READY, &rb, SEC));
	/* Claims 18-19: the ports asked for, the memory asked for. */
	ck_assert_uint_eq(ra.u.ready.nports, 2);
	ck_assert_uint_eq(ra.u.ready.remote_len, MIRROR_LEN);
	ck_assert_uint_ge(rb.u.ready.local_len, MIRROR_LEN);
	ck_assert_ptr_nonnull(rb.u.ready.local_mem);
	/* A writes into the memory B holds for it, zero-copy from A's local. */
	memset(A.local, 0x5a, 4096);
	w.local = A.local;
	w.session = ra.session;
	ck_assert_uint_eq(ccm_client_post(A.client, &w, 1), 1);
	ck_assert(wait_event(&A, CCM_EV_COMPLETION, &ev, SEC));
	ck_assert_uint_eq(ev.u.wc.wr_id, 42);
	ck_assert_uint_eq(ev.u.wc.status, IBV_WC_SUCCESS);
	ck_assert(wait_event(&B, CCM_EV_IMMEDIATE, &ev, SEC));
	ck_assert_uint_eq(ev.u.imm.imm, 0xabc);
	ck_assert_uint_eq(ev.port, 1);
	ck_assert_int_eq(memcmp((uint8_t *)rb.u.ready.local_mem + 8192, A.local, 4096), 0);
	/* Out of the memory the partner holds: refused, not sent. */
	w.remote_off = MIRROR_LEN - 100;
	ck_assert_uint_eq(ccm_client_post(A.client, &w, 1), 1);
	ck_assert(wait_event(&A, CCM_EV_COMPLETION, &ev, SEC));
	ck_assert_uint_eq(ev.u.wc.status, IBV_WC_WR_FLUSH_ERR);
	teardown_nodes();
}
END_TEST

START_TEST(work_ids_come_back_whole)
{
	/* Every bit of a client's wr_id is its own: the CCM names the client
	 * beside the work, not inside the id. */
	static const uint64_t ids[] = { 0xff00000000000001ull, 0x0100000000000002ull,
					UINT64_MAX };
	struct ccm_client_event ra, ev;
	unsigned int i;

	both_with_client();
	ck_assert(wait_event(&A, CCM_EV_PARTNER_READY, &ra, SEC));
	ck_assert(wait_event(&B, CCM_EV_PARTNER_READY, &ev, SEC));
	for (i = 0; i < RTE_DIM(ids); i++) {
		struct ccm_work w = { .wr_id = ids[i], .session = ra.session, .port = 0,
				      .opcode = IBV_WR_RDMA_WRITE, .local = A.local, .len = 64,
				      .remote_off = 64 * i };

		ck_assert_uint_eq(ccm_client_post(A.client, &w, 1), 1);
		ck_assert_msg(wait_event(&A, CCM_EV_COMPLETION, &ev, SEC),
			      "work %u: no completion", i);
		ck_assert_msg(ev.u.wc.wr_id == ids[i] && ev.u.wc.status == IBV_WC_SUCCESS,
			      "work %u: expected wr_id %016lx, success; got %016lx, status %u", i,
			      (unsigned long)ids[i], (unsigned long)ev.u.wc.wr_id, ev.u.wc.status);
	}
	teardown_nodes();
}
END_TEST

START_TEST(client_registering_late_renegotiates)
{
	struct ccm_client_event ev;

	node_create(&A, &B);
	node_create(&B, &A);
	ccm_start(A.ccm, now_ns);
	ccm_start(B.ccm, now_ns);
	ASSERT_UP(5 * SEC);
	ck_assert_uint_eq(ccm_session(A.ccm), 1);
	client_add(&A, "late");
	client_add(&B, "late");
	/* Client information belongs to session start (claim 17): a new
	 * session comes up, with the clients in it. */
	ck_assert(wait_event(&A, CCM_EV_PARTNER_READY, &ev, 5 * SEC));
	ck_assert_uint_ge(ev.session, 2);
	ck_assert(wait_event(&B, CCM_EV_PARTNER_READY, NULL, 5 * SEC));
	teardown_nodes();
}
END_TEST

/* ---- Restarts, versions ---------------------------------------------- */

START_TEST(partner_restart_mid_session)
{
	struct ccm_client_event ev;
	uint64_t inc;

	both_with_client();
	ck_assert(wait_event(&A, CCM_EV_PARTNER_READY, NULL, SEC));
	inc = ccm_incarnation(B.ccm);
	/* B dies without a word and comes back, a new incarnation. */
	node_destroy(&B);
	run_for(20 * MS);
	node_create(&B, &A);
	ck_assert_uint_ne(ccm_incarnation(B.ccm), inc);
	client_add(&B, "mirror");
	ccm_start(B.ccm, now_ns);
	/* Claim 22: A's client is told, closes, and a new session follows. */
	ck_assert_msg(wait_event(&A, CCM_EV_TERMINATING, &ev, 5 * SEC),
		      "A's client never heard of the termination (A %s)",
		      ccm_state_name(ccm_state(A.ccm)));
	ccm_client_close(A.client);
	ck_assert(wait_event(&A, CCM_EV_PARTNER_READY, &ev, 5 * SEC));
	ck_assert_uint_eq(ev.session, 2);
	ck_assert_uint_ge(ccm_stat(A.ccm, "peer_restarts") + ccm_stat(A.ccm, "terminations"), 1);
	teardown_nodes();
}
END_TEST

START_TEST(partner_restart_mid_handshake)
{
	node_create(&A, &B);
	node_create(&B, &A);
	ccm_start(A.ccm, now_ns);
	ccm_start(B.ccm, now_ns);
	while (ccm_state(A.ccm) < CCM_S_CONFIRM && now_ns < 10 * SEC + SEC)
		poll_nodes();
	ck_assert_int_ge(ccm_state(A.ccm), CCM_S_CONFIRM);
	node_destroy(&B);
	node_create(&B, &A);
	ccm_start(B.ccm, now_ns);
	ASSERT_UP(10 * SEC);
	ck_assert_uint_eq(ccm_session(B.ccm), 1);
	teardown_nodes();
}
END_TEST

START_TEST(version_mismatch_refused)
{
	versions[0][0] = versions[0][1] = 1;	/* A speaks 1 only */
	versions[1][0] = versions[1][1] = 2;	/* B speaks 2 only */
	node_create(&A, &B);
	node_create(&B, &A);
	ccm_start(A.ccm, now_ns);
	ccm_start(B.ccm, now_ns);
	ck_assert(!until_up(2 * SEC));
	ck_assert_msg(ccm_stat(A.ccm, "refused") >= 1 && ccm_stat(B.ccm, "refused") >= 1,
		      "refusals: A %lu, B %lu", (unsigned long)ccm_stat(A.ccm, "refused"),
		      (unsigned long)ccm_stat(B.ccm, "refused"));
	/* Tried again later, refused again: never a crash, never up. */
	run_for(SEC);
	ck_assert_uint_ge(ccm_stat(A.ccm, "refused"), 2);
	ck_assert_uint_eq(ccm_session(A.ccm), 0);
	teardown_nodes();
}
END_TEST

START_TEST(compatible_versions_meet_at_highest_common)
{
	versions[0][0] = 1;
	versions[0][1] = 2;
	versions[1][0] = versions[1][1] = 1;
	node_create(&A, &B);
	node_create(&B, &A);
	ccm_start(A.ccm, now_ns);
	ccm_start(B.ccm, now_ns);
	ASSERT_UP(5 * SEC);
	ck_assert_uint_eq(ccm_version(A.ccm), 1);
	ck_assert_uint_eq(ccm_version(B.ccm), 1);
	teardown_nodes();
}
END_TEST

/* ---- Links ------------------------------------------------------------ */

/*
 * A streams numbered 4 KiB records into the memory B holds for it, with
 * immediate data carrying the number; B checks each arrives once, in
 * order, intact. @p midway runs when a quarter has been sent.
 */
static void
stream_records(unsigned int nrec, void (*midway)(void), void (*late)(void))
{
	struct ccm_client_event ra, rb, ev;
	unsigned int sent = 0, done = 0, got = 0;
	uint64_t end = now_ns + 30 * SEC;

	both_with_client();
	ck_assert(wait_event(&A, CCM_EV_PARTNER_READY, &ra, SEC));
	ck_assert(wait_event(&B, CCM_EV_PARTNER_READY, &rb, SEC));
	/* Both links in service on both nodes before anything fails. */
	while (now_ns < end && (ccm_link_state(A.ccm, 0) != CCM_L_UP ||
				ccm_link_state(A.ccm, 1) != CCM_L_UP ||
				ccm_link_state(B.ccm, 0) != CCM_L_UP ||
				ccm_link_state(B.ccm, 1) != CCM_L_UP))
		poll_nodes();
	while ((done < nrec || got < nrec) && now_ns < end) {
		while (sent < nrec && sent - done < 64) {
			uint32_t slot = sent % 128;
			struct ccm_work w = { .wr_id = sent, .session = ra.session,
					      .port = sent % 2, .len = 4096, .imm = sent,
					      .opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
					      .local = A.local + slot * 4096,
					      .remote_off = slot * 4096 };

			memset(A.local + slot * 4096, (uint8_t)sent, 4096);
			*(uint32_t *)(A.local + slot * 4096) = sent;
			if (ccm_client_post(A.client, &w, 1) != 1)
				break;
			sent++;
		}
		if (midway != NULL && sent >= nrec / 4) {
			midway();
			midway = NULL;
		}
		if (late != NULL && sent >= 3 * nrec / 4) {
			late();
			late = NULL;
		}
		poll_nodes();
		while (ccm_client_events(A.client, &ev, 1) == 1)
			if (ev.type == CCM_EV_COMPLETION) {
				ck_assert_msg(ev.u.wc.status == IBV_WC_SUCCESS,
					      "record %lu: %s", (unsigned long)ev.u.wc.wr_id,
					      ibv_wc_status_str(ev.u.wc.status));
				done++;
			}
		while (ccm_client_events(B.client, &ev, 1) == 1) {
			const uint8_t *rec;

			if (ev.type != CCM_EV_IMMEDIATE)
				continue;
			/* Per port, in order; the two ports interleave. */
			rec = (uint8_t *)rb.u.ready.local_mem + (ev.u.imm.imm % 128) * 4096;
			ck_assert_msg(*(const uint32_t *)rec == ev.u.imm.imm,
				      "record %u: slot holds %u", ev.u.imm.imm,
				      *(const uint32_t *)rec);
			ck_assert_msg(rec[100] == (uint8_t)ev.u.imm.imm, "record %u corrupt",
				      ev.u.imm.imm);
			got++;
		}
	}
	ck_assert_msg(done == nrec && got == nrec, "%u of %u completed, %u of %u received",
		      done, nrec, got, nrec);
	/* Nothing twice. */
	run_for(50 * MS);
	while (ccm_client_events(B.client, &ev, 1) == 1)
		ck_assert_msg(ev.type != CCM_EV_IMMEDIATE, "record %u arrived twice",
			      ev.u.imm.imm);
}

static void
silence_link0(void)
{
	struct roce_fault_conf dead = { .drop = 1.0, .seed = 3 };

	ccm_link_set_fault(A.ccm, 0, ROCE_FAULT_TX, &dead);
	ccm_link_set_fault(B.ccm, 0, ROCE_FAULT_TX, &dead);
}

static void
heal_link0(void)
{
	struct roce_fault_conf off = { 0 };

	ccm_link_set_fault(A.ccm, 0, ROCE_FAULT_TX, &off);
	ccm_link_set_fault(B.ccm, 0, ROCE_FAULT_TX, &off);
}

START_TEST(links_by_index_not_by_port)
{
	/* The application names links 0..n-1; which transport port carries
	 * each is the CCM's: every call by link index reaches that link. */
	struct roce_fault_conf off = { 0 };
	struct ccm_client_status cs;
	struct ccm_qp_info q[16];
	struct ccm_client_event ev;
	struct rte_ether_addr mac, want;
	unsigned int l, p, i;
	int n;

	fixed_macs = true;
	both_with_client();
	ck_assert(wait_event(&A, CCM_EV_PARTNER_READY, &ev, SEC));
	for (l = 0; l < 2; l++) {
		ck_assert_int_eq(ccm_link_mac(A.ccm, l, &mac), 0);
		want = mac_of(A.id, l);
		ck_assert_msg(rte_is_same_ether_addr(&mac, &want), "link %u: MAC "
			      RTE_ETHER_ADDR_PRT_FMT ", its port's is " RTE_ETHER_ADDR_PRT_FMT, l,
			      RTE_ETHER_ADDR_BYTES(&mac), RTE_ETHER_ADDR_BYTES(&want));
		ck_assert_int_eq(ccm_link_carrier(A.ccm, l), 1);
	}
	/* Each client port's QP is reported on the link the CCM put it on. */
	ck_assert_uint_eq(ccm_clients_status(A.ccm, &cs, 1), 1);
	n = ccm_qp_info(A.ccm, q, RTE_DIM(q));
	ck_assert_int_ge(n, 3);
	for (p = 0; p < cs.nports; p++) {
		for (i = 0; i < (unsigned int)n && q[i].qp.qpn != cs.qpn[p]; i++)
			;
		ck_assert_msg(i < (unsigned int)n, "port %u: QP %u not listed", p, cs.qpn[p]);
		ck_assert_msg(q[i].link == cs.link[p], "port %u: QP %u on link %d, expected %u", p,
			      cs.qpn[p], q[i].link, cs.link[p]);
	}
	ck_assert_msg(cs.link[0] != cs.link[1], "round robin: both ports on link %u",
		      cs.link[0]);
	/* No link 2. */
	ck_assert_int_eq(ccm_link_set_fault(A.ccm, 2, ROCE_FAULT_TX, &off), -EINVAL);
	ck_assert_int_eq(ccm_link_capture(A.ccm, 2, NULL), -EINVAL);
	ck_assert_int_eq(ccm_link_carrier(A.ccm, 2), -EINVAL);
	ck_assert_int_eq(ccm_link_mac(A.ccm, 2, &mac), -EINVAL);
	teardown_nodes();
}
END_TEST

START_TEST(silent_link_loss_fails_over_without_loss)
{
	uint64_t moves;

	stream_records(2000, silence_link0, NULL);
	ck_assert_int_eq(ccm_link_state(A.ccm, 0), CCM_L_SILENT);
	ck_assert_int_eq(ccm_link_state(A.ccm, 1), CCM_L_UP);
	ck_assert_uint_ge(ccm_stat(A.ccm, "link_down"), 1);
	ck_assert_int_eq(ccm_state(A.ccm), CCM_S_UP);	/* the session survived */
	moves = ccm_stat(A.ccm, "qp_moves");
	ck_assert_uint_ge(moves, 1);
	/* The link comes back: used again (failback). */
	heal_link0();
	run_for(100 * MS);
	ck_assert_int_eq(ccm_link_state(A.ccm, 0), CCM_L_UP);
	ck_assert_uint_gt(ccm_stat(A.ccm, "qp_moves"), moves);
	teardown_nodes();
}
END_TEST

static void
carrier_down_link1(void)
{
	rte_eth_dev_set_link_down(A.port_id[1]);
	rte_eth_dev_set_link_down(B.port_id[1]);
	/* net_ring still carries frames with its link down: the CCM must
	 * act on the carrier alone. Give it a few keepalive periods. */
	run_for(5 * MS);
}

static void
carrier_up_link1(void)
{
	rte_eth_dev_set_link_up(A.port_id[1]);
	rte_eth_dev_set_link_up(B.port_id[1]);
}

START_TEST(carrier_loss_fails_over_and_back)
{
	stream_records(2000, carrier_down_link1, carrier_up_link1);
	ck_assert_uint_ge(ccm_stat(A.ccm, "link_down"), 1);
	ck_assert_uint_ge(ccm_stat(A.ccm, "link_up"), 3);	/* both, then link 1 again */
	ck_assert_int_eq(ccm_state(A.ccm), CCM_S_UP);
	run_for(50 * MS);
	ck_assert_int_eq(ccm_link_state(A.ccm, 1), CCM_L_UP);
	teardown_nodes();
}
END_TEST

START_TEST(every_link_lost_then_back)
{
	struct ccm_client_event ev;

	both_with_client();
	ck_assert(wait_event(&A, CCM_EV_PARTNER_READY, NULL, SEC));
	ck_assert(wait_event(&B, CCM_EV_PARTNER_READY, NULL, SEC));
	silence_link0();
	carrier_down_link1();
	/* Claim 22's fourth trigger: every link lost terminates the session. */
	ck_assert(wait_event(&A, CCM_EV_TERMINATING, &ev, SEC));
	ccm_client_close(A.client);
	ck_assert(wait_event(&B, CCM_EV_TERMINATING, &ev, SEC));
	ccm_client_close(B.client);
	run_for(300 * MS);
	ck_assert_int_ne(ccm_state(A.ccm), CCM_S_UP);
	heal_link0();
	carrier_up_link1();
	ck_assert(wait_event(&A, CCM_EV_PARTNER_READY, &ev, 10 * SEC));
	ck_assert_uint_eq(ev.session, 2);
	teardown_nodes();
}
END_TEST

/* ---- Many cycles ------------------------------------------------------ */

START_TEST(terminate_reinit_cycles_leak_nothing)
{
	const unsigned int cycles = 1000;
	struct rte_malloc_socket_stats before, after;
	unsigned int hdr_a, ext_a, qps_a, i;
	struct roce_dev *dev;

	node_create(&A, &B);
	node_create(&B, &A);
	ccm_start(A.ccm, now_ns);
	ccm_start(B.ccm, now_ns);
	ASSERT_UP(5 * SEC);
	run_for(10 * MS);
	dev = ccm_dev(A.ccm);
	hdr_a = rte_mempool_avail_count(dev->hdr_pool);
	ext_a = rte_mempool_avail_count(dev->ext_pool);
	qps_a = dev->nb_qp;
	rte_malloc_get_socket_stats(SOCKET_ID_ANY == -1 ? 0 : 0, &before);
	for (i = 0; i < cycles; i++) {
		ccm_restart(i % 2 ? A.ccm : B.ccm);
		poll_nodes();
		ck_assert_msg(until_up(5 * SEC), "cycle %u: not up again (A %s, B %s)", i,
			      ccm_state_name(ccm_state(A.ccm)), ccm_state_name(ccm_state(B.ccm)));
	}
	ck_assert_uint_ge(ccm_session(A.ccm), cycles + 1);
	run_for(10 * MS);
	rte_malloc_get_socket_stats(0, &after);
	ck_assert_uint_eq(dev->nb_qp, qps_a);
	/* mbufs: what is in flight in a quiet moment, no more. */
	ck_assert_msg(rte_mempool_avail_count(dev->hdr_pool) + 16 >= hdr_a,
		      "header mbufs: %u before, %u after", hdr_a,
		      rte_mempool_avail_count(dev->hdr_pool));
	ck_assert_uint_eq(rte_mempool_avail_count(dev->ext_pool), ext_a);
	ck_assert_msg(after.heap_allocsz_bytes == before.heap_allocsz_bytes,
		      "DPDK heap: %zu bytes allocated before, %zu after",
		      before.heap_allocsz_bytes, after.heap_allocsz_bytes);
	teardown_nodes();
}
END_TEST

/* ---- Set-up ----------------------------------------------------------- */

static uint16_t
ring_port(const char *name, struct rte_ring *rx, struct rte_ring *tx)
{
	struct rte_eth_conf conf = { 0 };
	int port = rte_eth_from_rings(name, &rx, 1, &tx, 1, SOCKET_ID_ANY);

	if (port < 0 || rte_eth_dev_configure(port, 1, 1, &conf) != 0 ||
	    rte_eth_rx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, NULL, rx_pool) != 0 ||
	    rte_eth_tx_queue_setup(port, 0, 1024, SOCKET_ID_ANY, NULL) != 0 ||
	    rte_eth_dev_start(port) != 0) {
		fprintf(stderr, "ring port %s failed\n", name);
		exit(1);
	}
	return port;
}

int
main(int argc, char **argv)
{
	Suite *s = suite_create("ccm");
	TCase *start = tcase_create("start");
	TCase *clients = tcase_create("clients");
	TCase *restart = tcase_create("restart");
	TCase *links = tcase_create("links");
	TCase *cycles = tcase_create("cycles");
	int failed;
	unsigned int i;

	(void)argc;
	if (test_eal_init(argv[0], "ccm", 512) != 0)
		return 1;
	rte_log_set_level_pattern("roce", RTE_LOG_WARNING);
	/* CCM_TEST_DEBUG: every transition, every message. */
	rte_log_set_level_pattern("ccm", getenv("CCM_TEST_DEBUG") != NULL ? RTE_LOG_DEBUG :
								      RTE_LOG_WARNING);
	rx_pool = rte_pktmbuf_pool_create("ring_rx", 1023, 0, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
					  SOCKET_ID_ANY);
	for (i = 0; i < RTE_DIM(rings); i++) {
		char name[16];

		snprintf(name, sizeof(name), "link%u", i);
		rings[i] = rte_ring_create(name, 4096, SOCKET_ID_ANY, 0);
	}
	/* Link l: A -> B on rings[2l], B -> A on rings[2l + 1]. */
	A.port_id[0] = ring_port("ringA0", rings[1], rings[0]);
	B.port_id[0] = ring_port("ringB0", rings[0], rings[1]);
	A.port_id[1] = ring_port("ringA1", rings[3], rings[2]);
	B.port_id[1] = ring_port("ringB1", rings[2], rings[3]);
	A.local = rte_zmalloc("A_local", MIRROR_LEN, 4096);
	B.local = rte_zmalloc("B_local", MIRROR_LEN, 4096);

	/* A failed test leaves its nodes: clean up before the next. */
	tcase_add_checked_fixture(start, teardown_nodes, NULL);
	tcase_add_checked_fixture(clients, teardown_nodes, NULL);
	tcase_add_checked_fixture(restart, teardown_nodes, NULL);
	tcase_add_checked_fixture(links, teardown_nodes, NULL);
	tcase_add_checked_fixture(cycles, teardown_nodes, NULL);
	tcase_set_timeout(cycles, 900);
	tcase_set_timeout(links, 300);
	tcase_add_test(start, a_then_b);
	tcase_add_test(start, b_then_a);
	tcase_add_test(start, simultaneous);
	tcase_add_test(start, partner_created_but_not_started);
	tcase_add_test(clients, clients_get_ports_and_memory);
	tcase_add_test(clients, work_ids_come_back_whole);
	tcase_add_test(clients, client_registering_late_renegotiates);
	tcase_add_test(restart, partner_restart_mid_session);
	tcase_add_test(restart, partner_restart_mid_handshake);
	tcase_add_test(restart, version_mismatch_refused);
	tcase_add_test(restart, compatible_versions_meet_at_highest_common);
	tcase_add_test(links, links_by_index_not_by_port);
	tcase_add_test(links, silent_link_loss_fails_over_without_loss);
	tcase_add_test(links, carrier_loss_fails_over_and_back);
	tcase_add_test(links, every_link_lost_then_back);
	tcase_add_test(cycles, terminate_reinit_cycles_leak_nothing);
	suite_add_tcase(s, start);
	suite_add_tcase(s, clients);
	suite_add_tcase(s, restart);
	suite_add_tcase(s, links);
	suite_add_tcase(s, cycles);
	failed = test_run_nofork(s);
	return failed ? 1 : 0;
}
