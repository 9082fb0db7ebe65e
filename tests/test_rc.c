/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The RC transport end to end: two devices in one process, joined back to
 * back by a pair of net_ring ports, with simulated time. Every opcode,
 * sizes from 0 B to 1 MiB over every MTU, PSN wrap, RNR, access errors,
 * retry exhaustion, destroy with work outstanding, and exactly-once
 * in-order delivery under loss, duplication, reordering and corruption.
 * Every test ends with both devices' mbuf pools full again.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <check.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "roce_int.h"
#include "roce_stats.h"
#include "test_eal.h"

#define BUF_SIZE	(4u << 20)	/* each node's registered buffer */
#define QP_TIMEOUT	8		/* 4.096 us * 2^8 = 1 ms local ACK timeout */
#define STEP_NS		2000		/* simulated time per poll round */

struct node {
	const char *name;
	uint32_t ip, ip2;		/* link 1 and link 2 */
	struct roce_dev *dev;
	uint8_t port, port2;
	struct roce_pd *pd;
	struct roce_cq *cq;
	struct roce_qp *qp;
	uint8_t *buf;
	struct roce_mr *mr;
};

static struct node A = { .name = "A", .ip = 0x0a4d000b, .ip2 = 0x0a4e000b };
static struct node B = { .name = "B", .ip = 0x0a4d000c, .ip2 = 0x0a4e000c };
static uint64_t now_ns = 1000000;

static void
poll_both(void)
{
	now_ns += STEP_NS;
	roce_dev_poll(A.dev, now_ns);
	roce_dev_poll(B.dev, now_ns);
}

static bool
node_holds_frames(const struct node *n)
{
	int d, p;

	for (p = 0; p < n->dev->nb_ports; p++) {
		const struct roce_port *port = &n->dev->port[p];

		if (port->tx_count != 0)
			return true;
		for (d = 0; d < ROCE_FAULT_NDIR; d++)
			if (port->fault[d].delayed_count != 0 ||
			    port->fault[d].reorder_held != NULL)
				return true;
	}
	return false;
}

/* Poll until no frame is staged, held by a fault or on the wire, and the
 * requesters' timers have had time to settle (at most 100 ms simulated). */
static void
drain(void)
{
	int i;

	for (i = 0; i < 50000; i++) {
		poll_both();
		if (i >= 200 && !node_holds_frames(&A) && !node_holds_frames(&B))
			break;
	}
	poll_both();
}

static uint64_t
stat(const struct node *n, const char *name)
{
	uint64_t v = roce_stats_get(n->dev, name);

	ck_assert_msg(v != UINT64_MAX, "no counter named %s", name);
	return v;
}

struct qp_opts {
	enum ibv_mtu mtu;
	uint32_t psn_a, psn_b;
	uint8_t retry_cnt, rnr_retry, min_rnr_timer, timeout;
	unsigned int access;
	uint32_t max_inline;	/* 0: INLINE_DEFAULT */
};

#define INLINE_DEFAULT 256	/* inline bytes a test QP takes (a slab per WR) */

static const struct qp_opts default_opts = {
	.mtu = IBV_MTU_1024, .psn_a = 100, .psn_b = 5000, .retry_cnt = 7, .rnr_retry = 7,
	.min_rnr_timer = 1, .timeout = QP_TIMEOUT,
	.access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
		  IBV_ACCESS_REMOTE_ATOMIC,
};

static void
qp_create(struct node *n, uint32_t max_inline)
{
	struct roce_qp_init_attr init = {
		.send_cq = n->cq, .recv_cq = n->cq,
		.cap = { .max_send_wr = 512, .max_recv_wr = 512, .max_send_sge = 4,
			 .max_recv_sge = 4, .max_inline_data = max_inline },
	};

	n->qp = roce_create_qp(n->pd, &init);
	ck_assert_msg(n->qp != NULL, "create_qp: %s", rte_strerror(rte_errno));
}

/* RESET -> INIT -> RTR -> RTS (roce_qp_connect: ibv_modify_qp()'s three steps). */
static void
qp_bring_up(struct node *n, const struct node *peer, const struct qp_opts *o, uint32_t my_psn,
	    uint32_t peer_psn)
{
	struct roce_qp_conn conn = {
		.port = n->port, .access = o->access, .path_mtu = o->mtu,
		.dest_ip = peer->ip, .dest_qpn = roce_qp_num(peer->qp),
		.rq_psn = peer_psn, .sq_psn = my_psn,
		.max_rd_atomic = 16, .max_dest_rd_atomic = 16,
		.min_rnr_timer = o->min_rnr_timer, .timeout = o->timeout,
		.retry_cnt = o->retry_cnt, .rnr_retry = o->rnr_retry,
	};
	int rc = roce_qp_connect(n->qp, &conn);

	ck_assert_msg(rc == 0, "QP %u: connect: %d, stopped in %s", roce_qp_num(n->qp), rc,
		      roce_qp_state_str(roce_qp_state(n->qp)));
}

static void
connect_pair(const struct qp_opts *o)
{
	qp_create(&A, o->max_inline ? o->max_inline : INLINE_DEFAULT);
	qp_create(&B, o->max_inline ? o->max_inline : INLINE_DEFAULT);
	qp_bring_up(&A, &B, o, o->psn_a, o->psn_b);
	qp_bring_up(&B, &A, o, o->psn_b, o->psn_a);
}

static void
disconnect_pair(void)
{
	struct ibv_wc wc[64];

	drain();
	roce_destroy_qp(A.qp);
	roce_destroy_qp(B.qp);
	A.qp = B.qp = NULL;
	drain();
	while (roce_poll_cq(A.cq, 64, wc) > 0)
		;
	while (roce_poll_cq(B.cq, 64, wc) > 0)
		;
}

static void
assert_pools_full(void)
{
	const struct node *n[] = { &A, &B };
	unsigned int i;

	for (i = 0; i < RTE_DIM(n); i++) {
		ck_assert_msg(rte_mempool_full(n[i]->dev->hdr_pool),
			      "%s: header pool has %u of %u mbufs", n[i]->name,
			      rte_mempool_avail_count(n[i]->dev->hdr_pool),
			      n[i]->dev->hdr_pool->size);
		ck_assert_msg(rte_mempool_full(n[i]->dev->ext_pool),
			      "%s: attach pool has %u of %u mbufs", n[i]->name,
			      rte_mempool_avail_count(n[i]->dev->ext_pool),
			      n[i]->dev->ext_pool->size);
		ck_assert_msg(n[i]->dev->copy_pool == NULL || rte_mempool_full(n[i]->dev->copy_pool),
			      "%s: READ copy pool has %u of %u mbufs", n[i]->name,
			      rte_mempool_avail_count(n[i]->dev->copy_pool),
			      n[i]->dev->copy_pool->size);
		ck_assert_msg(n[i]->mr->frames_out == 0,
			      "%s: %u frames still reference the region", n[i]->name,
			      n[i]->mr->frames_out);
	}
}

static void
fill_pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	uint32_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = (uint8_t)x;
	}
}

/* Poll until @p n completions arrive on @p node's CQ or time runs out. */
/* With RC_DEBUG set, a test that waits in vain shows every non-zero counter. */
static void
dump_stats(void)
{
	const struct node *ns[] = { &A, &B };
	struct roce_stats_entry e[128];
	int k, i, c;

	for (k = 0; k < 2; k++) {
		c = roce_stats_read(ns[k]->dev, e, RTE_DIM(e));
		for (i = 0; i < c && i < (int)RTE_DIM(e); i++)
			if (e[i].value != 0)
				fprintf(stderr, "%s %s=%lu\n", ns[k]->name, e[i].name,
					(unsigned long)e[i].value);
		for (i = 0; i < ROCE_ARP_NCOUNTERS; i++)
			if (ns[k]->dev->port[0].arp.count[i] != 0)
				fprintf(stderr, "%s %s=%lu\n", ns[k]->name, roce_arp_counter_names[i],
					(unsigned long)ns[k]->dev->port[0].arp.count[i]);
	}
}

static int
wait_wc(struct node *n, struct ibv_wc *wc, int want, uint64_t max_ns)
{
	uint64_t end = now_ns + max_ns;
	int got = 0;

	while (got < want && now_ns < end) {
		poll_both();
		got += roce_poll_cq(n->cq, want - got, wc + got);
	}
	if (got < want && getenv("RC_DEBUG"))
		dump_stats();
	return got;
}

static void
expect_wc(const struct ibv_wc *wc, uint64_t wr_id, enum ibv_wc_status status,
	  enum ibv_wc_opcode opcode)
{
	ck_assert_msg(wc->wr_id == wr_id && wc->status == status && wc->opcode == opcode,
		      "completion: expected wr_id %lu %s opcode %d, got wr_id %lu %s opcode %d",
		      (unsigned long)wr_id, ibv_wc_status_str(status), opcode,
		      (unsigned long)wc->wr_id, ibv_wc_status_str(wc->status), wc->opcode);
}

static void
post_recv(struct node *n, uint64_t wr_id, uint32_t offset, uint32_t len)
{
	struct ibv_sge sge = { .addr = (uintptr_t)(n->buf + offset), .length = len,
			       .lkey = roce_mr_lkey(n->mr) };
	struct ibv_recv_wr wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1 }, *bad;

	ck_assert_int_eq(roce_post_recv(n->qp, &wr, &bad), 0);
}

static int
post_send(struct node *n, uint64_t wr_id, enum ibv_wr_opcode op, uint32_t offset, uint32_t len,
	  uint64_t remote_offset, unsigned int flags)
{
	struct ibv_sge sge = { .addr = (uintptr_t)(n->buf + offset), .length = len,
			       .lkey = roce_mr_lkey(n->mr) };
	struct ibv_send_wr wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .send_flags = flags }, *bad;
	const struct node *peer = n == &A ? &B : &A;

	wr.wr.rdma.remote_addr = (uintptr_t)(peer->buf + remote_offset);
	wr.wr.rdma.rkey = roce_mr_rkey(peer->mr);
	return roce_post_send(n->qp, &wr, &bad);
}

/* ---- Every opcode ------------------------------------------------------ */

START_TEST(send_with_imm_and_recv)
{
	struct ibv_wc wc[2];
	struct ibv_sge sge = { .addr = (uintptr_t)A.buf, .length = 100, .lkey = roce_mr_lkey(A.mr) };
	struct ibv_send_wr wr = { .wr_id = 7, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_SEND_WITH_IMM, .send_flags = IBV_SEND_SIGNALED,
				  .imm_data = rte_cpu_to_be_32(0xfeedbeef) }, *bad;

	connect_pair(&default_opts);
	fill_pattern(A.buf, 100, 1);
	memset(B.buf, 0, 100);
	post_recv(&B, 70, 0, 4096);
	ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 7, IBV_WC_SUCCESS, IBV_WC_SEND);
	ck_assert_int_eq(wait_wc(&B, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 70, IBV_WC_SUCCESS, IBV_WC_RECV);
	ck_assert_uint_eq(wc[0].byte_len, 100);
	ck_assert(wc[0].wc_flags & IBV_WC_WITH_IMM);
	ck_assert_uint_eq(rte_be_to_cpu_32(wc[0].imm_data), 0xfeedbeef);
	ck_assert_uint_eq(wc[0].src_qp, roce_qp_num(A.qp));
	ck_assert_int_eq(memcmp(A.buf, B.buf, 100), 0);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(write_read_atomics)
{
	struct ibv_wc wc[4];
	uint64_t *remote = (uint64_t *)(B.buf + 8192), *local = (uint64_t *)(A.buf + 16384);
	struct ibv_sge sge = { .addr = (uintptr_t)local, .length = 8, .lkey = roce_mr_lkey(A.mr) };
	struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1, .send_flags = IBV_SEND_SIGNALED },
			   *bad;

	connect_pair(&default_opts);
	/* WRITE then READ back the same bytes into another place. */
	fill_pattern(A.buf, 3000, 2);
	memset(B.buf, 0, 3000);
	ck_assert_int_eq(post_send(&A, 1, IBV_WR_RDMA_WRITE, 0, 3000, 0, IBV_SEND_SIGNALED), 0);
	ck_assert_int_eq(post_send(&A, 2, IBV_WR_RDMA_READ, 4096, 3000, 0, IBV_SEND_SIGNALED), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 2, 50000000), 2);
	expect_wc(&wc[0], 1, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE);
	expect_wc(&wc[1], 2, IBV_WC_SUCCESS, IBV_WC_RDMA_READ);
	ck_assert_int_eq(memcmp(A.buf, B.buf, 3000), 0);
	ck_assert_int_eq(memcmp(A.buf, A.buf + 4096, 3000), 0);

	/* Compare-and-swap that matches, one that does not, fetch-and-add. */
	*remote = 40;
	wr.wr_id = 3;
	wr.opcode = IBV_WR_ATOMIC_CMP_AND_SWP;
	wr.wr.atomic.remote_addr = (uintptr_t)remote;
	wr.wr.atomic.rkey = roce_mr_rkey(B.mr);
	wr.wr.atomic.compare_add = 40;
	wr.wr.atomic.swap = 41;
	ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 3, IBV_WC_SUCCESS, IBV_WC_COMP_SWAP);
	ck_assert_uint_eq(*local, 40);
	ck_assert_uint_eq(*remote, 41);
	wr.wr.atomic.compare_add = 7;	/* no match: memory unchanged */
	wr.wr.atomic.swap = 99;
	ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);
	ck_assert_uint_eq(*local, 41);
	ck_assert_uint_eq(*remote, 41);
	wr.wr_id = 4;
	wr.opcode = IBV_WR_ATOMIC_FETCH_AND_ADD;
	wr.wr.atomic.compare_add = 1000;
	ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 4, IBV_WC_SUCCESS, IBV_WC_FETCH_ADD);
	ck_assert_uint_eq(*local, 41);
	ck_assert_uint_eq(*remote, 1041);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(write_imm_send_inv_inline_and_sges)
{
	struct ibv_wc wc[4];
	struct ibv_sge sge[3] = {
		{ .addr = (uintptr_t)A.buf, .length = 1000, .lkey = roce_mr_lkey(A.mr) },
		{ .addr = (uintptr_t)(A.buf + 5000), .length = 1, .lkey = roce_mr_lkey(A.mr) },
		{ .addr = (uintptr_t)(A.buf + 9000), .length = 2047, .lkey = roce_mr_lkey(A.mr) },
	};
	struct ibv_send_wr wr = { .wr_id = 11, .sg_list = sge, .num_sge = 3,
				  .opcode = IBV_WR_RDMA_WRITE_WITH_IMM,
				  .send_flags = IBV_SEND_SIGNALED,
				  .imm_data = rte_cpu_to_be_32(42) }, *bad;
	struct qp_opts opts = default_opts;
	uint8_t expect[3048];

	opts.max_inline = 1024;	/* the library's most: past the 256-byte copy path */
	connect_pair(&opts);
	fill_pattern(A.buf, 12000, 3);
	memcpy(expect, A.buf, 1000);
	memcpy(expect + 1000, A.buf + 5000, 1);
	memcpy(expect + 1001, A.buf + 9000, 2047);
	memset(B.buf, 0, 8192);
	wr.wr.rdma.remote_addr = (uintptr_t)(B.buf + 100);
	wr.wr.rdma.rkey = roce_mr_rkey(B.mr);
	post_recv(&B, 80, 0, 0);	/* WRITE with immediate needs a receive WR, no buffer */
	ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	ck_assert_int_eq(wait_wc(&B, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 80, IBV_WC_SUCCESS, IBV_WC_RECV_RDMA_WITH_IMM);
	ck_assert_uint_eq(rte_be_to_cpu_32(wc[0].imm_data), 42);
	ck_assert_uint_eq(wc[0].byte_len, 3048);
	ck_assert_int_eq(memcmp(B.buf + 100, expect, 3048), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 11, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE);

	/* SEND with invalidate, from inline data the caller may reuse at once. */
	wr.wr_id = 12;
	wr.opcode = IBV_WR_SEND_WITH_INV;
	wr.invalidate_rkey = 0x1234;
	wr.num_sge = 1;
	sge[0].length = 200;
	wr.send_flags = IBV_SEND_SIGNALED | IBV_SEND_INLINE;
	post_recv(&B, 81, 4096, 4096);
	ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	memcpy(expect, A.buf, 200);
	memset(A.buf, 0xee, 200);	/* inline: already copied */
	ck_assert_int_eq(wait_wc(&B, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 81, IBV_WC_SUCCESS, IBV_WC_RECV);
	ck_assert(wc[0].wc_flags & IBV_WC_WITH_INV);
	ck_assert_uint_eq(wc[0].invalidated_rkey, 0x1234);
	ck_assert_int_eq(memcmp(B.buf + 4096, expect, 200), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);

	/* Inline past the small-payload copy (256 B): 1000 bytes, one frame
	 * built from the QP's own copy, two SGEs gathered at post. */
	wr.wr_id = 13;
	wr.opcode = IBV_WR_RDMA_WRITE;
	wr.num_sge = 2;
	sge[0].length = 600;
	sge[1] = (struct ibv_sge){ .addr = (uintptr_t)(A.buf + 7000), .length = 400,
				   .lkey = roce_mr_lkey(A.mr) };
	wr.wr.rdma.remote_addr = (uintptr_t)(B.buf + 6000);
	fill_pattern(A.buf, 8000, 9);
	memcpy(expect, A.buf, 600);
	memcpy(expect + 600, A.buf + 7000, 400);
	ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	memset(A.buf, 0xee, 8000);	/* inline: already copied */
	ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 13, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE);
	ck_assert_int_eq(memcmp(B.buf + 6000, expect, 1000), 0);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

/* ---- Sizes, MTUs, PSN wrap --------------------------------------------- */

static void
transfer_and_verify(enum ibv_wr_opcode op, uint32_t len, uint32_t seed)
{
	struct ibv_wc wc[2];

	fill_pattern(A.buf, len, seed);
	memset(B.buf, 0, len + 16);
	if (op == IBV_WR_RDMA_READ) {
		/* READ pulls B's bytes into A. */
		fill_pattern(B.buf, len, seed);
		memset(A.buf, 0, len + 16);
	}
	if (op == IBV_WR_SEND)
		post_recv(&B, 500, 0, len);
	ck_assert_int_eq(post_send(&A, 99, op, 0, len, 0, IBV_SEND_SIGNALED), 0);
	ck_assert_msg(wait_wc(&A, wc, 1, 2000000000ull) == 1, "no completion: op %d len %u", op,
		      len);
	ck_assert_msg(wc[0].status == IBV_WC_SUCCESS, "op %d len %u: %s", op, len,
		      ibv_wc_status_str(wc[0].status));
	if (op == IBV_WR_SEND) {
		ck_assert_int_eq(wait_wc(&B, wc, 1, 50000000), 1);
		ck_assert_uint_eq(wc[0].byte_len, len);
	}
	ck_assert_msg(memcmp(A.buf, B.buf, len) == 0, "op %d len %u: data differs", op, len);
	ck_assert_msg(B.buf[len] == 0 && (op != IBV_WR_RDMA_READ || A.buf[len] == 0),
		      "op %d len %u: wrote past the end", op, len);
}

START_TEST(sizes_across_mtus)
{
	static const uint32_t sizes[] = { 0, 1, 3, 255, 256, 257, 1023, 1024, 1025, 4095,
					  4096, 4097, 65536, 1u << 20 };
	static const enum ibv_wr_opcode ops[] = { IBV_WR_RDMA_WRITE, IBV_WR_RDMA_READ, IBV_WR_SEND };
	struct qp_opts o = default_opts;
	unsigned int s, k;

	o.mtu = IBV_MTU_256 + _i;	/* one MTU per loop iteration */
	connect_pair(&o);
	for (k = 0; k < RTE_DIM(ops); k++)
		for (s = 0; s < RTE_DIM(sizes); s++)
			transfer_and_verify(ops[k], sizes[s], s * 7 + k);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(psn_wraps_around)
{
	struct qp_opts o = default_opts;

	o.psn_a = 0xfffff0;	/* 64 packets cross 0xffffff -> 0 */
	o.psn_b = 0xffffff;
	connect_pair(&o);
	transfer_and_verify(IBV_WR_RDMA_WRITE, 65536, 5);
	transfer_and_verify(IBV_WR_RDMA_READ, 65536, 6);
	transfer_and_verify(IBV_WR_SEND, 65536, 7);
	ck_assert_msg(roce_psn_lt(A.qp->req.psn, 0x100), "requester PSN %u did not wrap",
		      A.qp->req.psn);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

/* ---- Receiver not ready, access errors, retries ------------------------ */

START_TEST(rnr_then_recv_posted)
{
	struct ibv_wc wc[2];
	uint64_t naks = stat(&B, "resp_rnr_nak_sent"), waits = stat(&A, "rnr_waits");

	connect_pair(&default_opts);
	fill_pattern(A.buf, 64, 9);
	ck_assert_int_eq(post_send(&A, 5, IBV_WR_SEND, 0, 64, 0, IBV_SEND_SIGNALED), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 2000000), 0);	/* nothing to receive into */
	ck_assert_msg(stat(&B, "resp_rnr_nak_sent") > naks, "no RNR NAK sent");
	ck_assert_msg(stat(&A, "rnr_waits") > waits, "requester did not wait");
	post_recv(&B, 6, 0, 64);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 5, IBV_WC_SUCCESS, IBV_WC_SEND);
	ck_assert_int_eq(wait_wc(&B, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 6, IBV_WC_SUCCESS, IBV_WC_RECV);
	ck_assert_int_eq(memcmp(A.buf, B.buf, 64), 0);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

/*
 * WRITE with immediate to a QP with no receive posted: RNR NAK, then, once
 * a receive is posted, the retry must be taken as the message it is. An
 * RNR on a single-packet (ONLY) write used to leave the responder "inside"
 * a WRITE, so the retry drew an invalid-request NAK (seen in two-node CCM
 * runs under load). 64 B is one ONLY packet; 3000 B is FIRST, MIDDLE, LAST
 * with the RNR on the LAST.
 */
START_TEST(rnr_write_imm_then_recv_posted)
{
	static const uint32_t sizes[] = { 64, 3000 };
	uint32_t len = sizes[_i];
	uint64_t naks = stat(&B, "resp_rnr_nak_sent"), bad = stat(&B, "resp_invalid_nak_sent");
	struct ibv_wc wc[2];

	connect_pair(&default_opts);
	fill_pattern(A.buf, len, 11);
	memset(B.buf + 8192, 0, len);
	ck_assert_int_eq(post_send(&A, 8, IBV_WR_RDMA_WRITE_WITH_IMM, 0, len, 8192,
				   IBV_SEND_SIGNALED), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 2000000), 0);	/* no receive for the immediate */
	ck_assert_msg(stat(&B, "resp_rnr_nak_sent") > naks, "no RNR NAK sent");
	post_recv(&B, 9, 0, 0);
	ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 8, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE);
	ck_assert_int_eq(wait_wc(&B, wc, 1, 50000000), 1);
	expect_wc(&wc[0], 9, IBV_WC_SUCCESS, IBV_WC_RECV_RDMA_WITH_IMM);
	ck_assert_uint_eq(wc[0].byte_len, len);
	ck_assert_int_eq(memcmp(A.buf, B.buf + 8192, len), 0);
	ck_assert_uint_eq(stat(&B, "resp_invalid_nak_sent"), bad);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(rnr_retry_exhausted)
{
	struct qp_opts o = default_opts;
	struct ibv_wc wc[3];

	o.rnr_retry = 2;
	connect_pair(&o);
	ck_assert_int_eq(post_send(&A, 1, IBV_WR_SEND, 0, 64, 0, IBV_SEND_SIGNALED), 0);
	ck_assert_int_eq(post_send(&A, 2, IBV_WR_RDMA_WRITE, 0, 64, 0, 0), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 2, 100000000), 2);
	expect_wc(&wc[0], 1, IBV_WC_RNR_RETRY_EXC_ERR, IBV_WC_SEND);
	/* The unsignaled WR behind it is flushed, and that is reported. */
	expect_wc(&wc[1], 2, IBV_WC_WR_FLUSH_ERR, IBV_WC_RDMA_WRITE);
	ck_assert_int_eq(roce_qp_state(A.qp), IBV_QPS_ERR);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(remote_access_errors)
{
	struct ibv_sge sge = { .addr = (uintptr_t)A.buf, .length = 64, .lkey = roce_mr_lkey(A.mr) };
	struct ibv_send_wr wr = { .wr_id = 1, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE, .send_flags = IBV_SEND_SIGNALED },
			   *bad;
	uint64_t access_naks = stat(&B, "resp_access_nak_sent");
	uint64_t invalid_naks = stat(&B, "resp_invalid_nak_sent");
	struct ibv_wc wc[2];
	int variant;

	for (variant = 0; variant < 4; variant++) {
		/* A bad key or range is a remote access error; an operation the
		 * QP does not allow at all is an invalid request, whatever its
		 * length (IBTA 9.7.5.1.3; as Linux rxe). */
		enum ibv_wc_status want = variant < 2 ? IBV_WC_REM_ACCESS_ERR :
							IBV_WC_REM_INV_REQ_ERR;

		connect_pair(&default_opts);
		wr.wr.rdma.rkey = roce_mr_rkey(B.mr);
		wr.wr.rdma.remote_addr = (uintptr_t)B.buf;
		sge.length = 64;
		if (variant == 0)
			wr.wr.rdma.rkey ^= 0x100;	/* a key that does not exist */
		else if (variant == 1)
			wr.wr.rdma.remote_addr = (uintptr_t)(B.buf + BUF_SIZE - 32); /* past the end */
		else if (variant == 2)
			wr.opcode = IBV_WR_RDMA_READ;	/* B's QP allows no remote read */
		else
			sge.length = 0;		/* nor remote write, even of nothing */
		if (variant >= 2)
			/* Take the right away on B's side: only RTS->RTS attributes. */
			B.qp->attr.qp_access_flags = IBV_ACCESS_LOCAL_WRITE;
		ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
		ck_assert_int_eq(wait_wc(&A, wc, 1, 50000000), 1);
		ck_assert_msg(wc[0].status == want, "variant %d: expected %s, got %s", variant,
			      ibv_wc_status_str(want), ibv_wc_status_str(wc[0].status));
		ck_assert_int_eq(roce_qp_state(A.qp), IBV_QPS_ERR);
		ck_assert_int_eq(roce_qp_state(B.qp), IBV_QPS_ERR);
		disconnect_pair();
		wr.opcode = IBV_WR_RDMA_WRITE;
	}
	ck_assert_uint_eq(stat(&B, "resp_access_nak_sent") - access_naks, 2);
	ck_assert_uint_eq(stat(&B, "resp_invalid_nak_sent") - invalid_naks, 2);
	assert_pools_full();
}
END_TEST

START_TEST(local_protection_error)
{
	struct ibv_sge sge = { .addr = (uintptr_t)A.buf, .length = 64, .lkey = 0xdead00 };
	struct ibv_send_wr wr = { .wr_id = 9, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_SEND }, *bad;
	struct ibv_wc wc[2];

	connect_pair(&default_opts);
	ck_assert_int_eq(post_send(&A, 8, IBV_WR_RDMA_WRITE, 0, 64, 0, 0), 0);
	ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 2, 50000000), 2);
	/* In order: the WRITE before it is flushed, the bad one reports why. */
	expect_wc(&wc[0], 8, IBV_WC_WR_FLUSH_ERR, IBV_WC_RDMA_WRITE);
	expect_wc(&wc[1], 9, IBV_WC_LOC_PROT_ERR, IBV_WC_SEND);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(retry_exhausted_when_peer_silent)
{
	struct roce_fault_conf drop_all = { .drop = 1.0, .seed = 1 };
	struct roce_fault_conf off = { 0 };
	struct qp_opts o = default_opts;
	uint64_t timeouts = stat(&A, "req_timeouts");
	struct ibv_wc wc[4];

	o.retry_cnt = 3;
	connect_pair(&o);
	ck_assert_int_eq(roce_dev_set_fault(B.dev, B.port, ROCE_FAULT_RX, &drop_all), 0);
	ck_assert_int_eq(post_send(&A, 1, IBV_WR_RDMA_WRITE, 0, 4096, 0, IBV_SEND_SIGNALED), 0);
	ck_assert_int_eq(post_send(&A, 2, IBV_WR_RDMA_WRITE, 0, 64, 0, IBV_SEND_SIGNALED), 0);
	ck_assert_int_eq(post_send(&A, 3, IBV_WR_SEND, 0, 64, 0, IBV_SEND_SIGNALED), 0);
	ck_assert_int_eq(wait_wc(&A, wc, 3, 500000000), 3);
	expect_wc(&wc[0], 1, IBV_WC_RETRY_EXC_ERR, IBV_WC_RDMA_WRITE);
	expect_wc(&wc[1], 2, IBV_WC_WR_FLUSH_ERR, IBV_WC_RDMA_WRITE);
	expect_wc(&wc[2], 3, IBV_WC_WR_FLUSH_ERR, IBV_WC_SEND);
	/* retry_cnt 3: the first send and three resends, then the error. */
	ck_assert_uint_eq(stat(&A, "req_timeouts") - timeouts, 4);
	ck_assert_int_eq(roce_dev_set_fault(B.dev, B.port, ROCE_FAULT_RX, &off), 0);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(destroy_with_work_outstanding)
{
	int i;

	connect_pair(&default_opts);
	for (i = 0; i < 64; i++)
		post_recv(&B, i, 0, 4096);
	for (i = 0; i < 64; i++)
		ck_assert_int_eq(post_send(&A, i, i % 2 ? IBV_WR_SEND : IBV_WR_RDMA_WRITE,
					   0, 65536 * (i % 2 ? 0 : 1) + 100, 0, 0), 0);
	for (i = 0; i < 5; i++)
		poll_both();	/* frames in flight, on the ring, in queues */
	disconnect_pair();
	assert_pools_full();
}
END_TEST

/* ---- Scale, congestion, memory from outside DPDK ------------------------ */

START_TEST(many_qps)
{
	enum { NQP = 256 };
	static struct roce_qp *qa[NQP], *qb[NQP];
	struct roce_qp *save_a = A.qp, *save_b = B.qp;
	struct ibv_wc wc[64];
	int i, got_a = 0, got_b = 0;
	uint64_t end;

	/* 256 connected pairs; each sends one SEND to its partner. */
	for (i = 0; i < NQP; i++) {
		qp_create(&A, INLINE_DEFAULT);
		qa[i] = A.qp;
		qp_create(&B, INLINE_DEFAULT);
		qb[i] = B.qp;
	}
	for (i = 0; i < NQP; i++) {
		A.qp = qa[i];
		B.qp = qb[i];
		qp_bring_up(&A, &B, &default_opts, i * 1000, 0xfff000 + i);
		qp_bring_up(&B, &A, &default_opts, 0xfff000 + i, i * 1000);
		post_recv(&B, 1000 + i, i * 64, 64);
		*(uint32_t *)(A.buf + i * 64) = i;
		ck_assert_int_eq(post_send(&A, i, IBV_WR_SEND, i * 64, 64, 0, IBV_SEND_SIGNALED), 0);
	}
	end = now_ns + 1000000000ull;
	while ((got_a < NQP || got_b < NQP) && now_ns < end) {
		int n, k;

		poll_both();
		n = roce_poll_cq(A.cq, 64, wc);
		for (k = 0; k < n; k++)
			ck_assert_int_eq(wc[k].status, IBV_WC_SUCCESS);
		got_a += n;
		n = roce_poll_cq(B.cq, 64, wc);
		for (k = 0; k < n; k++) {
			uint32_t q = wc[k].wr_id - 1000;

			ck_assert_int_eq(wc[k].status, IBV_WC_SUCCESS);
			/* Delivered to the right QP: its own number came back. */
			ck_assert_uint_eq(wc[k].qp_num, roce_qp_num(qb[q]));
			ck_assert_uint_eq(*(uint32_t *)(B.buf + q * 64), q);
		}
		got_b += n;
	}
	ck_assert_msg(got_a == NQP && got_b == NQP, "%d sends and %d receives completed of %d",
		      got_a, got_b, NQP);
	drain();
	for (i = 0; i < NQP; i++) {
		roce_destroy_qp(qa[i]);
		roce_destroy_qp(qb[i]);
	}
	A.qp = save_a;
	B.qp = save_b;
	assert_pools_full();
}
END_TEST

/* roce_qp_connect() refuses what it cannot do and stops where it failed:
 * a QP already up, an MTU that is none, a retry count over 7. */
START_TEST(connect_refuses_and_stops_where_it_failed)
{
	struct roce_qp_conn conn = {
		.port = A.port, .access = default_opts.access, .path_mtu = IBV_MTU_1024,
		.dest_ip = B.ip, .dest_qpn = 77, .max_rd_atomic = 1, .max_dest_rd_atomic = 1,
		.timeout = QP_TIMEOUT, .retry_cnt = 7, .rnr_retry = 7,
	};
	struct ibv_qp_attr reset = { .qp_state = IBV_QPS_RESET };
	int rc;

	qp_create(&A, INLINE_DEFAULT);
	rc = roce_qp_connect(A.qp, &conn);
	ck_assert_msg(rc == 0 && roce_qp_state(A.qp) == IBV_QPS_RTS,
		      "expected 0 and RTS, got %d and %s", rc,
		      roce_qp_state_str(roce_qp_state(A.qp)));
	rc = roce_qp_connect(A.qp, &conn);
	ck_assert_msg(rc == -EINVAL && roce_qp_state(A.qp) == IBV_QPS_RTS,
		      "connect in RTS: expected -EINVAL and RTS, got %d and %s", rc,
		      roce_qp_state_str(roce_qp_state(A.qp)));
	ck_assert_int_eq(roce_modify_qp(A.qp, &reset, IBV_QP_STATE), 0);
	conn.path_mtu = 0;
	rc = roce_qp_connect(A.qp, &conn);
	ck_assert_msg(rc == -EINVAL && roce_qp_state(A.qp) == IBV_QPS_INIT,
		      "MTU 0: expected -EINVAL in INIT, got %d in %s", rc,
		      roce_qp_state_str(roce_qp_state(A.qp)));
	conn.path_mtu = IBV_MTU_1024;	/* from INIT, as an application that posted receives */
	conn.retry_cnt = 8;
	rc = roce_qp_connect(A.qp, &conn);
	ck_assert_msg(rc == -EINVAL && roce_qp_state(A.qp) == IBV_QPS_RTR,
		      "retry_cnt 8: expected -EINVAL in RTR, got %d in %s", rc,
		      roce_qp_state_str(roce_qp_state(A.qp)));
	ck_assert_str_eq(roce_qp_state_str(IBV_QPS_ERR), "ERR");
	ck_assert_str_eq(roce_qp_state_str((enum ibv_qp_state)99), "?");
	roce_destroy_qp(A.qp);
	A.qp = NULL;
	assert_pools_full();
}
END_TEST

START_TEST(ecn_ce_gets_a_cnp)
{
	struct qp_opts o = default_opts;
	uint64_t ce = stat(&B, "ecn_ce_rcvd"), sent = stat(&B, "cnp_sent");
	uint64_t rcvd = stat(&A, "cnp_rcvd");
	struct ibv_qp_attr attr;
	int i;

	connect_pair(&o);
	/* Mark A's traffic CE, as a congested switch would (A17.9.1). */
	roce_query_qp(A.qp, &attr);
	attr.ah_attr.grh.traffic_class = 0x03;
	ck_assert_int_eq(roce_modify_qp(A.qp, &attr, IBV_QP_AV), 0);
	for (i = 0; i < 20; i++)
		transfer_and_verify(IBV_WR_RDMA_WRITE, 8192, i);
	ck_assert_msg(stat(&B, "ecn_ce_rcvd") - ce >= 20 * 8, "CE marks not seen: %lu",
		      (unsigned long)(stat(&B, "ecn_ce_rcvd") - ce));
	ck_assert_msg(stat(&B, "cnp_sent") > sent, "no CNP sent");
	ck_assert_uint_eq(stat(&A, "cnp_rcvd") - rcvd, stat(&B, "cnp_sent") - sent);
	/* Rate-limited: far fewer CNPs than marked packets. */
	ck_assert_msg(stat(&B, "cnp_sent") - sent < (stat(&B, "ecn_ce_rcvd") - ce) / 2,
		      "%lu CNPs for %lu marked packets", (unsigned long)(stat(&B, "cnp_sent") - sent),
		      (unsigned long)(stat(&B, "ecn_ce_rcvd") - ce));
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(file_backed_region)
{
	/* NVRAM lives in a file mmap, outside DPDK's heap: it is registered
	 * with DPDK too, and sent from without a copy. */
	char path[] = "/tmp/test-rc-nvram-XXXXXX";
	const size_t len = 1 << 20;
	int fd = mkstemp(path);
	struct roce_mr *mr;
	uint8_t *map;
	struct ibv_sge sge;
	struct ibv_send_wr wr = { .wr_id = 77, .sg_list = &sge, .num_sge = 1,
				  .opcode = IBV_WR_RDMA_WRITE, .send_flags = IBV_SEND_SIGNALED },
			   *bad;
	struct ibv_wc wc;

	ck_assert_int_ge(fd, 0);
	unlink(path);
	ck_assert_int_eq(ftruncate(fd, len), 0);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	mr = roce_reg_mr(A.pd, map, len, IBV_ACCESS_LOCAL_WRITE);
	ck_assert_ptr_nonnull(mr);
	ck_assert_msg(mr->extmem, "file-backed memory not registered with rte_extmem_register");
	connect_pair(&default_opts);
	fill_pattern(map, 300000, 77);
	sge = (struct ibv_sge){ .addr = (uintptr_t)map, .length = 300000, .lkey = roce_mr_lkey(mr) };
	wr.wr.rdma.remote_addr = (uintptr_t)B.buf;
	wr.wr.rdma.rkey = roce_mr_rkey(B.mr);
	ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	ck_assert_int_eq(wait_wc(&A, &wc, 1, 100000000), 1);
	expect_wc(&wc, 77, IBV_WC_SUCCESS, IBV_WC_RDMA_WRITE);
	ck_assert_int_eq(memcmp(map, B.buf, 300000), 0);
	disconnect_pair();
	ck_assert_int_eq(roce_dereg_mr(mr), 0);
	munmap(map, len);
	close(fd);
	assert_pools_full();
}
END_TEST

START_TEST(dereg_busy_while_frames_reference_region)
{
	struct roce_fault_conf hold = { .delay = 1.0, .delay_ns = 5000000, .seed = 3 };
	struct roce_fault_conf off = { 0 };
	struct roce_mr *mr;

	connect_pair(&default_opts);
	mr = roce_reg_mr(A.pd, A.buf + (2u << 20), 65536, IBV_ACCESS_LOCAL_WRITE);
	ck_assert_ptr_nonnull(mr);
	/* Frames held on the wire still point into the region. */
	ck_assert_int_eq(roce_dev_set_fault(A.dev, A.port, ROCE_FAULT_TX, &hold), 0);
	{
		struct ibv_sge sge = { .addr = (uintptr_t)(A.buf + (2u << 20)), .length = 65536,
				       .lkey = roce_mr_lkey(mr) };
		struct ibv_send_wr wr = { .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_RDMA_WRITE }, *bad;

		wr.wr.rdma.remote_addr = (uintptr_t)B.buf;
		wr.wr.rdma.rkey = roce_mr_rkey(B.mr);
		ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	}
	poll_both();
	ck_assert_int_eq(roce_dereg_mr(mr), -EBUSY);
	ck_assert_int_eq(roce_dev_set_fault(A.dev, A.port, ROCE_FAULT_TX, &off), 0);
	disconnect_pair();
	ck_assert_int_eq(roce_dereg_mr(mr), 0);
	assert_pools_full();
}
END_TEST

/*
 * A READ of memory its owner keeps storing to (a status word, a counter):
 * every response packet carries one version of the bytes, never a mix,
 * and its ICRC covers what it carries, as an RNIC's does. By default the
 * responder copies, so the READ completes however often the owner
 * stores; a region declared stable (ROCE_ACCESS_READ_ZERO_COPY) is sent
 * from in place, and a store after a frame's ICRC was computed costs that
 * frame (the peer drops it: bad ICRC) but never delivers wrong bytes.
 */
START_TEST(read_of_memory_being_stored_to)
{
	const uint32_t len = 64 * 1024, mtu = 1024;
	uint8_t *src = B.buf + (3u << 20), *dst = A.buf + (3u << 20);
	struct roce_mr *stable = NULL, *src_mr = B.mr;
	uint64_t bad_icrc = stat(&A, "rx_bad_icrc");
	struct ibv_wc wc[2];
	uint32_t version = 1, i, k;
	int got = 0, rounds;

	connect_pair(&default_opts);
	if (_i == 1) {
		stable = roce_reg_mr(B.pd, src, len, IBV_ACCESS_REMOTE_READ |
				     ROCE_ACCESS_READ_ZERO_COPY);
		ck_assert_ptr_nonnull(stable);
		src_mr = stable;
	}
	memset(src, version, len);
	memset(dst, 0, len);
	{
		struct ibv_sge sge = { .addr = (uintptr_t)dst, .length = len,
				       .lkey = roce_mr_lkey(A.mr) };
		struct ibv_send_wr wr = { .wr_id = 1, .sg_list = &sge, .num_sge = 1,
					  .opcode = IBV_WR_RDMA_READ,
					  .send_flags = IBV_SEND_SIGNALED }, *bad;

		wr.wr.rdma.remote_addr = (uintptr_t)src;
		wr.wr.rdma.rkey = roce_mr_rkey(src_mr);
		ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
	}
	/* The owner stores a new version after every poll, for 2000 polls
	 * (4 ms simulated): longer than the READ needs without stores. */
	for (rounds = 0; rounds < 2000 && got == 0; rounds++) {
		poll_both();
		memset(src, ++version, len);
		got = roce_poll_cq(A.cq, 1, wc);
	}
	if (_i == 0) {
		ck_assert_msg(got == 1, "the READ did not complete while its source changed");
		ck_assert_uint_eq(stat(&A, "rx_bad_icrc"), bad_icrc);
	} else {
		/* In place: frames in flight during a store are dropped. */
		ck_assert_uint_gt(stat(&A, "rx_bad_icrc"), bad_icrc);
		if (got == 0)
			got = wait_wc(&A, wc, 1, 500000000);
		ck_assert_int_eq(got, 1);
	}
	ck_assert_int_eq(wc[0].status, IBV_WC_SUCCESS);
	/* One version per packet. */
	for (i = 0; i < len; i += mtu)
		for (k = 1; k < mtu; k++)
			ck_assert_msg(dst[i + k] == dst[i], "packet at %u mixes versions %u and %u", i,
				      dst[i], dst[i + k]);
	disconnect_pair();
	if (stable != NULL)
		ck_assert_int_eq(roce_dereg_mr(stable), 0);
	assert_pools_full();
}
END_TEST

/* ---- Link failover ----------------------------------------------------- */

static void stream(const struct roce_fault_conf *fault, unsigned int nmsg, void (*midway)(void));

static void
fail_link1_and_move_a(void)
{
	struct roce_fault_conf dead = { .drop = 1.0, .seed = 5 };
	struct ibv_qp_attr attr;

	/* Link 1 goes silent both ways; A's CCM moves A's QP to link 2. */
	ck_assert_int_eq(roce_dev_set_fault(A.dev, A.port, ROCE_FAULT_TX, &dead), 0);
	ck_assert_int_eq(roce_dev_set_fault(B.dev, B.port, ROCE_FAULT_TX, &dead), 0);
	roce_query_qp(A.qp, &attr);
	attr.port_num = A.port2;
	roce_gid_from_ipv4(&attr.ah_attr.grh.dgid, B.ip2);
	ck_assert_int_eq(roce_modify_qp(A.qp, &attr, IBV_QP_PORT | IBV_QP_AV), 0);
}

START_TEST(qp_follows_partner_to_other_link)
{
	struct roce_fault_conf none = { 0 };
	uint32_t a_paths[2] = { B.ip, B.ip2 }, b_paths[2] = { A.ip, A.ip2 };
	uint64_t migrated = stat(&B, "path_migrated");
	struct ibv_qp_attr attr;

	connect_pair(&default_opts);
	ck_assert_int_eq(roce_qp_set_peer_paths(A.qp, a_paths, 2), 0);
	ck_assert_int_eq(roce_qp_set_peer_paths(B.qp, b_paths, 2), 0);
	/* A stream of verified messages; a quarter of the way, link 1 dies. */
	stream(&none, 400, fail_link1_and_move_a);
	ck_assert_uint_eq(stat(&B, "path_migrated") - migrated, 1);
	roce_query_qp(B.qp, &attr);
	ck_assert_uint_eq(attr.port_num, B.port2);
	ck_assert_int_eq(roce_dev_set_fault(A.dev, A.port, ROCE_FAULT_TX, &none), 0);
	ck_assert_int_eq(roce_dev_set_fault(B.dev, B.port, ROCE_FAULT_TX, &none), 0);
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(foreign_address_is_not_a_path)
{
	uint32_t b_paths[1] = { A.ip };	/* nothing on port 2 */
	uint64_t wrong = stat(&B, "rx_wrong_peer");
	struct ibv_qp_attr attr;
	struct ibv_wc wc;

	connect_pair(&default_opts);
	ck_assert_int_eq(roce_qp_set_peer_paths(B.qp, b_paths, 1), 0);
	roce_query_qp(A.qp, &attr);
	attr.port_num = A.port2;
	roce_gid_from_ipv4(&attr.ah_attr.grh.dgid, B.ip2);
	ck_assert_int_eq(roce_modify_qp(A.qp, &attr, IBV_QP_PORT | IBV_QP_AV), 0);
	ck_assert_int_eq(post_send(&A, 1, IBV_WR_RDMA_WRITE, 0, 64, 0, IBV_SEND_SIGNALED), 0);
	ck_assert_int_eq(wait_wc(&A, &wc, 1, 2000000), 0);
	ck_assert_msg(stat(&B, "rx_wrong_peer") > wrong, "B took frames from an unknown path");
	disconnect_pair();
	assert_pools_full();
}
END_TEST

START_TEST(link_state_reported)
{
	uint16_t port_id = A.dev->port[A.port2 - 1].port_id;

	ck_assert_int_eq(roce_dev_port_link(A.dev, A.port2), 1);
	ck_assert_int_eq(rte_eth_dev_set_link_down(port_id), 0);
	ck_assert_int_eq(roce_dev_port_link(A.dev, A.port2), 0);
	ck_assert_int_eq(rte_eth_dev_set_link_up(port_id), 0);
	ck_assert_int_eq(roce_dev_port_link(A.dev, A.port2), 1);
	ck_assert_int_eq(roce_dev_port_link(A.dev, 7), -EINVAL);
}
END_TEST

/* ---- Telemetry --------------------------------------------------------- */

/* Ask the EAL's telemetry socket, as dpdk-telemetry.py does. */
static void
telemetry_query(const char *cmd, char *reply, size_t len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	ssize_t n;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/dpdk_telemetry.v2",
		 rte_eal_get_runtime_dir());
	fd = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_msg(connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0,
		      "cannot connect to %s", sun.sun_path);
	n = read(fd, reply, len - 1);	/* the greeting */
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(write(fd, cmd, strlen(cmd)), (ssize_t)strlen(cmd));
	n = read(fd, reply, len - 1);
	ck_assert_int_gt(n, 0);
	reply[n] = '\0';
	close(fd);
}

START_TEST(telemetry_reports_counters_and_qps)
{
	static char reply[65536];
	char want[96];

	connect_pair(&default_opts);
	transfer_and_verify(IBV_WR_RDMA_WRITE, 10000, 1);
	telemetry_query("/roce/stats,A", reply, sizeof(reply));
	snprintf(want, sizeof(want), "\"req_pkts\":%lu", (unsigned long)stat(&A, "req_pkts"));
	ck_assert_msg(strstr(reply, want) != NULL, "expected %s in %.300s", want, reply);
	snprintf(want, sizeof(want), "\"rx_bad_icrc\":%lu", (unsigned long)stat(&A, "rx_bad_icrc"));
	ck_assert_msg(strstr(reply, want) != NULL, "expected %s in %.300s", want, reply);
	ck_assert_msg(strstr(reply, "\"B\"") == NULL, "asked for A, got B too");
	telemetry_query("/roce/stats,nosuchdev", reply, sizeof(reply));
	ck_assert_msg(strstr(reply, "req_pkts") == NULL, "unknown device answered: %.200s", reply);
	telemetry_query("/roce/qps", reply, sizeof(reply));
	snprintf(want, sizeof(want), "\"A/%u\":{\"state\":\"RTS\"", roce_qp_num(A.qp));
	ck_assert_msg(strstr(reply, want) != NULL, "expected %s in %.300s", want, reply);
	disconnect_pair();
}
END_TEST

/* The entry of QP @p qpn of device @p dev in a /roce/qps reply, cut at its
 * closing brace into @p out; false if it is not there. */
static bool
telemetry_qp_entry(const char *reply, const char *dev, uint32_t qpn, char *out, size_t len)
{
	char key[48];
	const char *p, *end;

	snprintf(key, sizeof(key), "\"%s/%u\":{", dev, qpn);
	p = strstr(reply, key);
	if (p == NULL)
		return false;
	end = strchr(p, '}');
	snprintf(out, len, "%.*s", end != NULL ? (int)(end - p + 1) : (int)strlen(p), p);
	return true;
}

/* /roce/qps shows what the owning lcore copied in its polls: a QP's PSNs
 * within 100 ms, a QP destroyed gone after the next poll. */
START_TEST(telemetry_qps_follow_the_lcore)
{
	static char reply[65536];
	struct ibv_qp_attr attr;
	char entry[512], want[48];
	uint64_t end;
	uint32_t qpn;

	connect_pair(&default_opts);
	qpn = roce_qp_num(A.qp);
	poll_both();
	telemetry_query("/roce/qps", reply, sizeof(reply));
	ck_assert_msg(telemetry_qp_entry(reply, "A", qpn, entry, sizeof(entry)) &&
		      strstr(entry, "\"state\":\"RTS\"") != NULL,
		      "expected QP A/%u in RTS in %.300s", qpn, reply);
	transfer_and_verify(IBV_WR_RDMA_WRITE, 10000, 2);
	ck_assert_int_eq(roce_query_qp(A.qp, &attr), 0);
	end = now_ns + ROCE_QPS_SNAPSHOT_NS;
	while (now_ns <= end)
		poll_both();
	telemetry_query("/roce/qps", reply, sizeof(reply));
	snprintf(want, sizeof(want), "\"sq_psn\":%u", attr.sq_psn);
	ck_assert_msg(telemetry_qp_entry(reply, "A", qpn, entry, sizeof(entry)) &&
		      strstr(entry, want) != NULL, "expected %s for A/%u, saw %s", want, qpn,
		      entry);
	disconnect_pair();	/* destroys both QPs, then polls */
	telemetry_query("/roce/qps", reply, sizeof(reply));
	ck_assert_msg(!telemetry_qp_entry(reply, "A", qpn, entry, sizeof(entry)),
		      "QP A/%u destroyed, still shown: %s", qpn, entry);
	assert_pools_full();
}
END_TEST

/* ---- Exactly once, in order, under faults ------------------------------ */

/*
 * On the connected pair, a stream of numbered messages, alternating SEND
 * and WRITE with immediate, each a different size and pattern, through faults on both
 * directions of both ports. The receiver sees each message once, in
 * order, byte for byte; the sender sees each completion once.
 */
static void
stream_under_faults(const struct roce_fault_conf *fault, unsigned int nmsg)
{
	connect_pair(&default_opts);
	stream(fault, nmsg, NULL);
	disconnect_pair();
	assert_pools_full();
}

static void
stream(const struct roce_fault_conf *fault, unsigned int nmsg, void (*midway)(void))
{
	struct roce_fault_conf off = { 0 };
	uint32_t sent = 0, acked = 0, received = 0;
	struct ibv_wc wc[32];
	uint64_t deadline;
	uint8_t expect[8192];

	uint64_t retransmits = stat(&A, "req_retransmits");
	uint64_t bad_icrc = stat(&A, "rx_bad_icrc") + stat(&B, "rx_bad_icrc");

	/* The pair is connected by the caller. */
	ck_assert_int_eq(roce_dev_set_fault(A.dev, A.port, ROCE_FAULT_TX, fault), 0);
	ck_assert_int_eq(roce_dev_set_fault(B.dev, B.port, ROCE_FAULT_TX, fault), 0);
	deadline = now_ns + 60ull * 1000000000;
	while ((acked < nmsg || received < nmsg) && now_ns < deadline) {
		int n, i;

		if (midway != NULL && sent >= nmsg / 4) {
			midway();
			midway = NULL;
		}
		/* Keep up to 32 messages in flight; each has its own slot. */
		while (sent < nmsg && sent - acked < 32) {
			uint32_t slot = sent % 32, len = 1 + (sent * 997) % 6000;
			uint8_t *src = A.buf + slot * 8192;
			struct ibv_sge sge = { .addr = (uintptr_t)src, .length = len,
					       .lkey = roce_mr_lkey(A.mr) };
			struct ibv_send_wr wr = { .wr_id = sent, .sg_list = &sge, .num_sge = 1,
						  .send_flags = IBV_SEND_SIGNALED,
						  .imm_data = rte_cpu_to_be_32(sent) }, *bad;

			fill_pattern(src, len, sent);
			wr.opcode = sent % 2 ? IBV_WR_SEND_WITH_IMM : IBV_WR_RDMA_WRITE_WITH_IMM;
			wr.wr.rdma.remote_addr = (uintptr_t)(B.buf + (1u << 20) + slot * 8192);
			wr.wr.rdma.rkey = roce_mr_rkey(B.mr);
			post_recv(&B, sent, slot * 8192, 8192);
			ck_assert_int_eq(roce_post_send(A.qp, &wr, &bad), 0);
			sent++;
		}
		poll_both();
		n = roce_poll_cq(A.cq, 32, wc);
		for (i = 0; i < n; i++) {
			if (wc[i].status != IBV_WC_SUCCESS && getenv("RC_DEBUG"))
				dump_stats();
			ck_assert_msg(wc[i].status == IBV_WC_SUCCESS && wc[i].wr_id == acked,
				      "sender: expected completion %u, got %lu %s", acked,
				      (unsigned long)wc[i].wr_id, ibv_wc_status_str(wc[i].status));
			acked++;
		}
		n = roce_poll_cq(B.cq, 32, wc);
		for (i = 0; i < n; i++) {
			uint32_t seq = rte_be_to_cpu_32(wc[i].imm_data);
			uint32_t slot = seq % 32, len = 1 + (seq * 997) % 6000;
			const uint8_t *got = seq % 2 ? B.buf + slot * 8192 :
						      B.buf + (1u << 20) + slot * 8192;

			ck_assert_msg(wc[i].status == IBV_WC_SUCCESS,
				      "receiver: message %u: %s", received,
				      ibv_wc_status_str(wc[i].status));
			ck_assert_msg(seq == received, "receiver: expected message %u, got %u",
				      received, seq);
			ck_assert_msg(wc[i].byte_len == len, "message %u: %u bytes, expected %u",
				      seq, wc[i].byte_len, len);
			fill_pattern(expect, len, seq);
			ck_assert_msg(memcmp(got, expect, len) == 0, "message %u: data differs", seq);
			received++;
		}
	}
	ck_assert_msg(acked == nmsg && received == nmsg,
		      "after 60 s simulated: %u of %u completed, %u received", acked, nmsg,
		      received);
	/* The faults really happened, and the transport really recovered. */
	{
		const struct roce_fault *fa = &A.dev->port[0].fault[ROCE_FAULT_TX];
		const struct roce_fault *fb = &B.dev->port[0].fault[ROCE_FAULT_TX];
		uint64_t injected = 0;
		unsigned int c;

		for (c = ROCE_FAULT_DROPPED; c <= ROCE_FAULT_DELAYED; c++)
			injected += fa->count[c] + fb->count[c];
		if (getenv("RC_DEBUG"))
			fprintf(stderr, "faults: seen %lu+%lu injected %lu, retransmits %lu, "
				"seq naks %lu, timeouts %lu, dups %lu, rx_bad_icrc %lu\n",
				(unsigned long)fa->count[ROCE_FAULT_SEEN],
				(unsigned long)fb->count[ROCE_FAULT_SEEN], (unsigned long)injected,
				(unsigned long)stat(&A, "req_retransmits"),
				(unsigned long)stat(&B, "resp_seq_nak_sent"),
				(unsigned long)stat(&A, "req_timeouts"),
				(unsigned long)stat(&B, "resp_dup"),
				(unsigned long)(stat(&A, "rx_bad_icrc") + stat(&B, "rx_bad_icrc")));
		ck_assert_msg(injected > 0 || fault->seed == 0, "no fault was injected");
		if (fault->drop > 0 || fault->corrupt > 0)
			ck_assert_msg(stat(&A, "req_retransmits") > retransmits,
				      "frames were lost but nothing was sent again");
		if (fault->corrupt > 0)
			ck_assert_msg(stat(&A, "rx_bad_icrc") + stat(&B, "rx_bad_icrc") > bad_icrc,
				      "corrupted frames were not caught by the ICRC");
	}
	ck_assert_int_eq(roce_dev_set_fault(A.dev, A.port, ROCE_FAULT_TX, &off), 0);
	ck_assert_int_eq(roce_dev_set_fault(B.dev, B.port, ROCE_FAULT_TX, &off), 0);
	drain();
	ck_assert_int_eq(roce_poll_cq(A.cq, 32, wc), 0);	/* nothing twice */
	ck_assert_int_eq(roce_poll_cq(B.cq, 32, wc), 0);
}

static const double fault_rates[] = { 0.01, 0.05, 0.20 };

START_TEST(exactly_once_under_loss)
{
	struct roce_fault_conf f = { .drop = fault_rates[_i], .seed = 11 + _i };

	stream_under_faults(&f, 400);
}
END_TEST

START_TEST(exactly_once_under_duplication)
{
	struct roce_fault_conf f = { .dup = fault_rates[_i], .seed = 21 + _i };

	stream_under_faults(&f, 400);
}
END_TEST

START_TEST(exactly_once_under_reordering)
{
	struct roce_fault_conf f = { .reorder = fault_rates[_i], .seed = 31 + _i };

	stream_under_faults(&f, 400);
}
END_TEST

START_TEST(exactly_once_under_corruption)
{
	struct roce_fault_conf f = { .corrupt = fault_rates[_i], .seed = 41 + _i };

	stream_under_faults(&f, 400);
}
END_TEST

START_TEST(exactly_once_under_everything)
{
	struct roce_fault_conf f = { .drop = 0.05, .dup = 0.05, .reorder = 0.05,
				     .corrupt = 0.05, .delay = 0.05, .delay_ns = 300000,
				     .seed = 51 };

	stream_under_faults(&f, 400);
}
END_TEST

/* ---- Set-up ----------------------------------------------------------- */

static int
ring_port(const char *node, int link, struct rte_ring *rx, struct rte_ring *tx)
{
	char name[32];
	int port_id;

	snprintf(name, sizeof(name), "net_ring_%s%d", node, link);
	port_id = rte_eth_from_rings(name, &rx, 1, &tx, 1, SOCKET_ID_ANY);
	if (port_id < 0) {
		fprintf(stderr, "rte_eth_from_rings: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	return port_id;
}

static void
node_create(struct node *n, struct rte_ring *rx, struct rte_ring *tx, struct rte_ring *rx2,
	    struct rte_ring *tx2)
{
	struct roce_dev_conf dconf = { .name = n->name, .nb_mbufs = 4095,
				       .socket_id = SOCKET_ID_ANY };
	struct roce_port_conf pconf = { .configure = true, .ipv4 = n->ip };
	n->dev = roce_dev_create(&dconf);
	pconf.port_id = ring_port(n->name, 1, rx, tx);
	if (n->dev == NULL || (n->port = roce_dev_add_port(n->dev, &pconf)) <= 0) {
		fprintf(stderr, "%s: device: %s\n", n->name, rte_strerror(rte_errno));
		exit(1);
	}
	pconf.port_id = ring_port(n->name, 2, rx2, tx2);
	pconf.ipv4 = n->ip2;
	n->port2 = roce_dev_add_port(n->dev, &pconf);
	if (n->port2 <= 0) {
		fprintf(stderr, "%s: second port failed\n", n->name);
		exit(1);
	}
	n->pd = roce_alloc_pd(n->dev);
	n->cq = roce_create_cq(n->dev, 4096);
	n->buf = rte_zmalloc("test_buf", BUF_SIZE, 4096);
	n->mr = roce_reg_mr(n->pd, n->buf, BUF_SIZE, IBV_ACCESS_LOCAL_WRITE |
			    IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			    IBV_ACCESS_REMOTE_ATOMIC);
	if (n->pd == NULL || n->cq == NULL || n->buf == NULL || n->mr == NULL) {
		fprintf(stderr, "%s: set-up failed\n", n->name);
		exit(1);
	}
}

static Suite *
rc_suite(void)
{
	Suite *s = suite_create("rc");
	TCase *ops = tcase_create("opcodes");
	TCase *sizes = tcase_create("sizes");
	TCase *errors = tcase_create("errors");
	TCase *faults = tcase_create("faults");

	tcase_set_timeout(sizes, 600);
	tcase_set_timeout(faults, 600);
	tcase_add_test(ops, send_with_imm_and_recv);
	tcase_add_test(ops, write_read_atomics);
	tcase_add_test(ops, write_imm_send_inv_inline_and_sges);
	tcase_add_loop_test(sizes, sizes_across_mtus, 0, 5);	/* MTU 256..4096 */
	tcase_add_test(sizes, psn_wraps_around);
	tcase_add_test(errors, rnr_then_recv_posted);
	tcase_add_loop_test(errors, rnr_write_imm_then_recv_posted, 0, 2);
	tcase_add_test(errors, rnr_retry_exhausted);
	tcase_add_test(errors, remote_access_errors);
	tcase_add_test(errors, local_protection_error);
	tcase_add_test(errors, retry_exhausted_when_peer_silent);
	tcase_add_test(errors, destroy_with_work_outstanding);
	tcase_add_test(ops, many_qps);
	tcase_add_test(errors, connect_refuses_and_stops_where_it_failed);
	tcase_add_test(ops, ecn_ce_gets_a_cnp);
	tcase_add_test(ops, file_backed_region);
	tcase_add_test(ops, telemetry_reports_counters_and_qps);
	tcase_add_test(ops, telemetry_qps_follow_the_lcore);
	tcase_add_test(faults, qp_follows_partner_to_other_link);
	tcase_add_test(errors, foreign_address_is_not_a_path);
	tcase_add_test(ops, link_state_reported);
	tcase_add_test(errors, dereg_busy_while_frames_reference_region);
	tcase_add_loop_test(ops, read_of_memory_being_stored_to, 0, 2);
	tcase_add_loop_test(faults, exactly_once_under_loss, 0, 3);
	tcase_add_loop_test(faults, exactly_once_under_duplication, 0, 3);
	tcase_add_loop_test(faults, exactly_once_under_reordering, 0, 3);
	tcase_add_loop_test(faults, exactly_once_under_corruption, 0, 3);
	tcase_add_test(faults, exactly_once_under_everything);
	suite_add_tcase(s, ops);
	suite_add_tcase(s, sizes);
	suite_add_tcase(s, errors);
	suite_add_tcase(s, faults);
	return s;
}

int
main(int argc, char **argv)
{
	struct rte_ring *ab, *ba, *ab2, *ba2;
	int failed;

	(void)argc;
	if (test_eal_init(argv[0], "rc", 512) != 0)
		return 1;
	ab = rte_ring_create("ring_ab", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	ba = rte_ring_create("ring_ba", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	ab2 = rte_ring_create("ring_ab2", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	ba2 = rte_ring_create("ring_ba2", 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (ab == NULL || ba == NULL || ab2 == NULL || ba2 == NULL)
		return 1;
	node_create(&A, ba, ab, ba2, ab2);
	node_create(&B, ab, ba, ab2, ba2);
	failed = test_run_nofork(rc_suite());
	return failed ? 1 : 0;
}
