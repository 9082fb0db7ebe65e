/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The transport's cost per frame, without a wire: two devices in one
 * process joined by a net_ring pair (the frames are passed by pointer, as
 * a zero-copy port would), one QP each way, a stream of messages of one
 * verb and size. Prints messages/s, frames/s and goodput on this core, and
 * nanoseconds per data frame for requester and responder together.
 *
 * Meant to be run under `valgrind --tool=callgrind` as well: instructions
 * per frame do not depend on what else the machine is doing, so a change
 * to the data path can be judged in one run (docs/perf.md).
 *
 *   bench_transport [--verb write|read|send] [--size BYTES] [--mtu 1024|4096]
 *                   [--count N] [--depth N] [--qps N]
 *
 * With --qps N, N QP pairs share the link, each with --depth WRs in flight,
 * and messages go to them in turn.
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
#include <rte_malloc.h>
#include <rte_ring.h>

#include "roce_verbs.h"

#define MAX_QPS 1024

struct node {
	struct roce_dev *dev;
	struct roce_pd *pd;
	struct roce_cq *cq;
	struct roce_qp *qp[MAX_QPS];
	uint8_t *buf;
	struct roce_mr *mr;
	uint32_t ip;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void
node_create(struct node *n, const char *name, uint32_t ip, struct rte_ring *rx,
	    struct rte_ring *tx, size_t len)
{
	struct roce_dev_conf dconf = { .name = name, .nb_mbufs = 65535, .max_qp = 2048,
				       .socket_id = SOCKET_ID_ANY };
	struct roce_port_conf pconf = { .configure = true, .ipv4 = ip };
	char pname[32];
	int port_id;

	snprintf(pname, sizeof(pname), "net_ring_%s", name);
	port_id = rte_eth_from_rings(pname, &rx, 1, &tx, 1, SOCKET_ID_ANY);
	n->ip = ip;
	n->dev = roce_dev_create(&dconf);
	pconf.port_id = port_id;
	if (port_id < 0 || n->dev == NULL || roce_dev_add_port(n->dev, &pconf) != 1) {
		fprintf(stderr, "%s: %s\n", name, rte_strerror(rte_errno));
		exit(1);
	}
	n->pd = roce_alloc_pd(n->dev);
	n->cq = roce_create_cq(n->dev, 65536);
	n->buf = rte_zmalloc("bench", len, 4096);
	n->mr = roce_reg_mr(n->pd, n->buf, len, IBV_ACCESS_LOCAL_WRITE |
			    IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			    ROCE_ACCESS_READ_ZERO_COPY);
	if (n->pd == NULL || n->cq == NULL || n->mr == NULL) {
		fprintf(stderr, "%s: set-up failed\n", name);
		exit(1);
	}
}

static struct roce_qp *
qp_create(struct node *n, uint32_t depth)
{
	struct roce_qp_init_attr init = {
		.send_cq = n->cq, .recv_cq = n->cq,
		.cap = { .max_send_wr = depth, .max_recv_wr = depth, .max_send_sge = 1,
			 .max_recv_sge = 1 },
	};
	struct roce_qp *qp = roce_create_qp(n->pd, &init);

	if (qp == NULL) {
		fprintf(stderr, "create_qp: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	return qp;
}

static void
qp_up(struct roce_qp *qp, struct roce_qp *peer_qp, uint32_t peer_ip, enum ibv_mtu mtu)
{
	struct roce_qp_conn conn = {
		.port = 1,
		.access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ,
		.path_mtu = mtu, .dest_ip = peer_ip, .dest_qpn = roce_qp_num(peer_qp),
		.max_rd_atomic = 16, .max_dest_rd_atomic = 16,
		.min_rnr_timer = 1, .timeout = 14, .retry_cnt = 7, .rnr_retry = 7,
	};

	if (roce_qp_connect(qp, &conn) != 0) {
		fprintf(stderr, "QP bring-up failed\n");
		exit(1);
	}
}

/*
 * The measured part (callgrind --toggle-collect=stream): post, poll both
 * devices, take completions, until every message is done.
 */
static void
post_one(struct node *a, struct node *b, enum ibv_wr_opcode op, uint32_t size, uint32_t slot,
	 uint32_t depth, uint32_t q, uint32_t i)
{
	uint32_t s = q * depth + i % depth;
	struct ibv_sge sge = { .addr = (uintptr_t)(a->buf + (size_t)s * slot), .length = size,
			       .lkey = roce_mr_lkey(a->mr) };
	struct ibv_send_wr wr = { .wr_id = q, .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .send_flags = IBV_SEND_SIGNALED }, *bad;

	wr.wr.rdma.remote_addr = (uintptr_t)(b->buf + (size_t)s * slot);
	wr.wr.rdma.rkey = roce_mr_rkey(b->mr);
	if (op == IBV_WR_SEND) {
		struct ibv_sge rs = { .addr = (uintptr_t)(b->buf + (size_t)s * slot),
				      .length = slot, .lkey = roce_mr_lkey(b->mr) };
		struct ibv_recv_wr rw = { .sg_list = &rs, .num_sge = 1 }, *rb;

		roce_post_recv(b->qp[q], &rw, &rb);
	}
	if (roce_post_send(a->qp[q], &wr, &bad) != 0) {
		fprintf(stderr, "post_send failed\n");
		exit(1);
	}
}

/*
 * The measured part (callgrind --toggle-collect=stream): every QP starts
 * with depth messages; each completion posts the next one on its QP;
 * both devices are polled until every message is done.
 */
static __rte_noinline void
stream(struct node *a, struct node *b, enum ibv_wr_opcode op, uint32_t size, uint32_t slot,
       uint32_t count, uint32_t depth, uint32_t nqp)
{
	static uint32_t sent[MAX_QPS];
	uint32_t posted = 0, done = 0, recvd = 0, q, d;
	uint64_t sim = 1000000;
	struct ibv_wc wc[64];
	int k, n;

	for (d = 0; d < depth; d++)
		for (q = 0; q < nqp && posted < count; q++, posted++)
			post_one(a, b, op, size, slot, depth, q, sent[q]++);
	while (done < count || (op == IBV_WR_SEND && recvd < count)) {
		sim += 1000;
		roce_dev_poll(a->dev, sim);
		roce_dev_poll(b->dev, sim);
		n = roce_poll_cq(a->cq, 64, wc);
		for (k = 0; k < n; k++) {
			if (wc[k].status != IBV_WC_SUCCESS) {
				fprintf(stderr, "WR on QP %lu: %s\n", (unsigned long)wc[k].wr_id,
					ibv_wc_status_str(wc[k].status));
				exit(1);
			}
			done++;
			if (posted < count) {
				q = wc[k].wr_id;
				post_one(a, b, op, size, slot, depth, q, sent[q]++);
				posted++;
			}
		}
		recvd += roce_poll_cq(b->cq, 64, wc);
	}
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "verb", required_argument, NULL, 'v' }, { "size", required_argument, NULL, 's' },
		{ "mtu", required_argument, NULL, 'm' }, { "count", required_argument, NULL, 'n' },
		{ "depth", required_argument, NULL, 'd' }, { "qps", required_argument, NULL, 'q' },
		{ NULL, 0, NULL, 0 },
	};
	static char prefix[64];
	char *eal_argv[] = { argv[0], "--no-huge", "-m", "512", "--no-pci", "--no-shconf",
			     prefix, "--log-level=lib.eal:error", "--log-level=roce:error",
			     NULL };
	enum ibv_wr_opcode op = IBV_WR_RDMA_WRITE;
	uint32_t size = 4096, count = 100000, depth = 128, nqp = 1, q;
	enum ibv_mtu mtu = IBV_MTU_4096;
	struct node a = { 0 }, b = { 0 };
	struct rte_ring *ab, *ba;
	uint64_t start, elapsed;
	uint32_t frames_per_msg, slot;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'v':
			op = strcmp(optarg, "read") == 0 ? IBV_WR_RDMA_READ :
			     strcmp(optarg, "send") == 0 ? IBV_WR_SEND : IBV_WR_RDMA_WRITE;
			break;
		case 's': size = atoi(optarg); break;
		case 'm': mtu = atoi(optarg) == 1024 ? IBV_MTU_1024 : IBV_MTU_4096; break;
		case 'n': count = atoi(optarg); break;
		case 'd': depth = atoi(optarg); break;
		case 'q': nqp = RTE_MIN(RTE_MAX(atoi(optarg), 1), MAX_QPS); break;
		default:
			fprintf(stderr, "usage: bench_transport [--verb write|read|send] [--size B] "
				"[--mtu 1024|4096] [--count N] [--depth N]\n");
			return 2;
		}
	}
	snprintf(prefix, sizeof(prefix), "--file-prefix=bench-transport-%d", (int)getpid());
	if (rte_eal_init(RTE_DIM(eal_argv) - 1, eal_argv) < 0)
		return 1;
	ab = rte_ring_create("bt_ab", 16384, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	ba = rte_ring_create("bt_ba", 16384, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	slot = RTE_ALIGN_CEIL(size ? size : 1, 64);
	node_create(&a, "btA", 0x0a600001, ba, ab, (size_t)slot * depth * nqp);
	node_create(&b, "btB", 0x0a600002, ab, ba, (size_t)slot * depth * nqp);
	for (q = 0; q < nqp; q++) {
		a.qp[q] = qp_create(&a, depth);
		b.qp[q] = qp_create(&b, depth);
		qp_up(a.qp[q], b.qp[q], b.ip, mtu);
		qp_up(b.qp[q], a.qp[q], a.ip, mtu);
	}
	frames_per_msg = RTE_MAX((size + (128u << mtu) - 1) / (128u << mtu), 1u);

	start = now_ns();
	stream(&a, &b, op, size, slot, count, depth, nqp);
	elapsed = now_ns() - start;
	printf("%s %u B, MTU %u, %u QP(s), %u in flight each: %u messages, %.0f messages/s, %.2f M data frames/s, "
	       "%.0f MB/s, %.1f ns per data frame (both ends, one core)\n",
	       op == IBV_WR_RDMA_READ ? "READ" : op == IBV_WR_SEND ? "SEND" : "WRITE", size,
	       128u << mtu, nqp, depth, count, count / (elapsed / 1e9),
	       (double)count * frames_per_msg / (elapsed / 1e3), (double)count * size / elapsed * 1e9 /
	       1048576, (double)elapsed / ((double)count * frames_per_msg));
	return 0;
}
