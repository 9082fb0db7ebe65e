/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * rc_peer: one side of a two-process RC exchange over a real DPDK port,
 * for tests. Both sides agree in advance on everything an out-of-band
 * exchange would carry (QPN, PSNs, key, addresses), so no socket is used.
 *
 *   rc_peer [EAL args] -- --role client|server --ip A.B.C.D --peer-ip A.B.C.D
 *           [--messages N] [--capture FILE] [--timeout SECONDS]
 *
 * The client WRITEs a patterned region, READs it back, SENDs N numbered
 * messages and does N fetch-and-adds; the server receives and checks every
 * message, then the client's final SEND tells it to check the WRITE region
 * and the counter. Each exits 0 only if everything it saw was right.
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "roce_stats.h"
#include "roce_verbs.h"
#include "peer_exit.h"

#define QPN		0x11
#define CLIENT_PSN	0x00fff0	/* wraps during the run */
#define SERVER_PSN	0x123456
#define KEY		0x4200		/* both regions' rkey, agreed in advance */
#define REGION		(1u << 20)
#define WRITE_LEN	(256u * 1024)
#define MSG_LEN		3000
#define COUNTER_OFF	(REGION - 64)
#define RECV_OFF	(512u * 1024)

struct peer {
	bool client;
	uint32_t ip, peer_ip;
	unsigned int messages;
	const char *capture;
	double timeout_s;
	struct roce_dev *dev;
	struct roce_cq *cq;
	struct roce_qp *qp;
	struct roce_mr *mr;
	uint8_t *buf;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void
pattern(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seed * 31 + i * 7 + (i >> 8));
}

static int
die(const char *what)
{
	fprintf(stderr, "rc_peer: %s\n", what);
	return 1;
}

/* Poll, backing off when idle, until a completion arrives. */
static int
next_wc(struct peer *p, struct ibv_wc *wc, uint64_t deadline)
{
	unsigned int idle = 0;

	while (now_ns() < deadline) {
		int n;

		if (roce_dev_poll(p->dev, now_ns()) == 0) {
			if (++idle > 100)
				sched_yield();
		} else {
			idle = 0;
		}
		n = roce_poll_cq(p->cq, 1, wc);
		if (n == 1) {
			if (wc->status != IBV_WC_SUCCESS) {
				fprintf(stderr, "rc_peer: wr %lu: %s\n", (unsigned long)wc->wr_id,
					ibv_wc_status_str(wc->status));
				return -EIO;
			}
			return 0;
		}
	}
	return -ETIMEDOUT;
}

static int
post(struct peer *p, enum ibv_wr_opcode op, uint64_t wr_id, uint32_t off, uint32_t len,
     uint64_t remote, uint64_t add)
{
	struct ibv_sge sge = { .addr = (uintptr_t)(p->buf + off), .length = len,
			       .lkey = roce_mr_lkey(p->mr) };
	struct ibv_send_wr wr = { .wr_id = wr_id, .sg_list = &sge, .num_sge = 1, .opcode = op,
				  .send_flags = IBV_SEND_SIGNALED,
				  .imm_data = htonl((uint32_t)wr_id) }, *bad;

	if (op == IBV_WR_ATOMIC_FETCH_AND_ADD) {
		wr.wr.atomic.remote_addr = remote;
		wr.wr.atomic.rkey = KEY;
		wr.wr.atomic.compare_add = add;
	} else {
		wr.wr.rdma.remote_addr = remote;
		wr.wr.rdma.rkey = KEY;
	}
	return roce_post_send(p->qp, &wr, &bad);
}

static int
run_client(struct peer *p, uint64_t deadline)
{
	struct ibv_wc wc;
	unsigned int i;

	pattern(p->buf, WRITE_LEN, 1);
	if (post(p, IBV_WR_RDMA_WRITE, 1, 0, WRITE_LEN, 0, 0) || next_wc(p, &wc, deadline))
		return die("WRITE failed");
	if (post(p, IBV_WR_RDMA_READ, 2, WRITE_LEN, WRITE_LEN, 0, 0) ||
	    next_wc(p, &wc, deadline))
		return die("READ failed");
	if (memcmp(p->buf, p->buf + WRITE_LEN, WRITE_LEN) != 0)
		return die("READ returned other bytes than were written");
	for (i = 0; i < p->messages; i++) {
		pattern(p->buf + RECV_OFF, MSG_LEN, 100 + i);
		/* The server may not have posted yet: RNR retries cover it. */
		if (post(p, IBV_WR_SEND_WITH_IMM, 100 + i, RECV_OFF, MSG_LEN, 0, 0) ||
		    next_wc(p, &wc, deadline))
			return die("SEND failed");
		if (post(p, IBV_WR_ATOMIC_FETCH_AND_ADD, 1000 + i, COUNTER_OFF, 8, COUNTER_OFF, 1) ||
		    next_wc(p, &wc, deadline))
			return die("fetch-and-add failed");
		if (*(uint64_t *)(p->buf + COUNTER_OFF) != i)
			return die("fetch-and-add returned a wrong value");
	}
	/* Done: tell the server to check. */
	if (post(p, IBV_WR_SEND_WITH_IMM, 9999, RECV_OFF, 0, 0, 0) || next_wc(p, &wc, deadline))
		return die("final SEND failed");
	return 0;
}

static int
run_server(struct peer *p, uint64_t deadline)
{
	uint8_t expect[MSG_LEN];
	struct ibv_wc wc;
	unsigned int i;

	*(uint64_t *)(p->buf + COUNTER_OFF) = 0;
	for (i = 0; i <= p->messages; i++) {
		struct ibv_sge sge = { .addr = (uintptr_t)(p->buf + RECV_OFF), .length = MSG_LEN,
				       .lkey = roce_mr_lkey(p->mr) };
		struct ibv_recv_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1 }, *bad;

		if (roce_post_recv(p->qp, &wr, &bad) != 0)
			return die("post_recv failed");
		if (next_wc(p, &wc, deadline) != 0)
			return die("receive failed or timed out");
		if (ntohl(wc.imm_data) == 9999)
			break;
		pattern(expect, MSG_LEN, 100 + i);
		if (wc.byte_len != MSG_LEN || ntohl(wc.imm_data) != 100 + i ||
		    memcmp(p->buf + RECV_OFF, expect, MSG_LEN) != 0)
			return die("a message arrived wrong");
	}
	if (i != p->messages)
		return die("messages missing");
	pattern(p->buf + WRITE_LEN, WRITE_LEN, 1);
	if (memcmp(p->buf, p->buf + WRITE_LEN, WRITE_LEN) != 0)
		return die("the WRITE region holds other bytes");
	if (*(uint64_t *)(p->buf + COUNTER_OFF) != p->messages)
		return die("the counter is wrong");
	/* Let the last ACK leave before the port goes away. */
	for (i = 0; i < 1000; i++)
		roce_dev_poll(p->dev, now_ns());
	return 0;
}

static int
setup(struct peer *p)
{
	struct roce_dev_conf dconf = { .name = p->client ? "client" : "server",
				       .socket_id = SOCKET_ID_ANY };
	struct roce_port_conf pconf = { .port_id = 0, .configure = true, .ipv4 = p->ip };
	struct roce_qp_init_attr init = { .qp_num = QPN,
					  .cap = { .max_send_wr = 64, .max_recv_wr = 64,
						   .max_send_sge = 1, .max_recv_sge = 1 } };
	struct roce_qp_conn conn;
	struct roce_pd *pd;
	int port;

	if (rte_eth_dev_count_avail() < 1)
		return die("no DPDK port: give one with --vdev");
	p->dev = roce_dev_create(&dconf);
	if (p->dev == NULL)
		return die("cannot create the device");
	port = roce_dev_add_port(p->dev, &pconf);
	if (port < 0)
		return die("cannot use DPDK port 0");
	if (p->capture != NULL && roce_dev_capture(p->dev, port, p->capture) != 0)
		return die("cannot open the capture file");
	pd = roce_alloc_pd(p->dev);
	p->cq = roce_create_cq(p->dev, 256);
	p->buf = rte_zmalloc("rc_peer", REGION, 4096);
	if (pd == NULL || p->cq == NULL || p->buf == NULL)
		return die("out of memory");
	/* Remote addresses are offsets: the region's iova is 0 on both sides. */
	p->mr = roce_reg_mr_fixed(pd, p->buf, REGION, 0, IBV_ACCESS_LOCAL_WRITE |
				  IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
				  IBV_ACCESS_REMOTE_ATOMIC, KEY);
	init.send_cq = init.recv_cq = p->cq;
	p->qp = roce_create_qp(pd, &init);
	if (p->mr == NULL || p->qp == NULL)
		return die("cannot create the region or the QP");
	conn = (struct roce_qp_conn){
		.port = port,
		.access = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			  IBV_ACCESS_REMOTE_ATOMIC,
		.path_mtu = IBV_MTU_1024,
		.dest_ip = p->peer_ip,
		.dest_qpn = QPN,
		.rq_psn = p->client ? SERVER_PSN : CLIENT_PSN,
		.sq_psn = p->client ? CLIENT_PSN : SERVER_PSN,
		.max_rd_atomic = 4,
		.max_dest_rd_atomic = 4,
		.min_rnr_timer = 1,
		.timeout = 14,	/* 67 ms */
		.retry_cnt = 7,
		.rnr_retry = 7,
	};
	if (roce_qp_connect(p->qp, &conn) != 0)
		return die("cannot bring the QP up");
	return 0;
}

static void
usage(void)
{
	fprintf(stderr, "usage: rc_peer [EAL args] -- --role client|server --ip A.B.C.D "
		"--peer-ip A.B.C.D [--messages N] [--capture FILE] [--timeout SECONDS]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "ip", required_argument, NULL, 'i' },
		{ "peer-ip", required_argument, NULL, 'p' },
		{ "messages", required_argument, NULL, 'n' },
		{ "capture", required_argument, NULL, 'c' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	struct peer p = { .messages = 100, .timeout_s = 30 };
	struct in_addr a;
	bool role = false;
	int c, rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0) {
		fprintf(stderr, "rc_peer: EAL: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= rc;
	argv += rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			p.client = strcmp(optarg, "client") == 0;
			role = p.client || strcmp(optarg, "server") == 0;
			break;
		case 'i':
		case 'p':
			if (inet_pton(AF_INET, optarg, &a) != 1) {
				usage();
				return 2;
			}
			*(c == 'i' ? &p.ip : &p.peer_ip) = ntohl(a.s_addr);
			break;
		case 'n':
			p.messages = atoi(optarg);
			break;
		case 'c':
			p.capture = optarg;
			break;
		case 't':
			p.timeout_s = atof(optarg);
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!role || p.ip == 0 || p.peer_ip == 0) {
		usage();
		return 2;
	}
	rc = setup(&p);
	if (rc == 0)
		rc = p.client ? run_client(&p, now_ns() + p.timeout_s * 1e9) :
				run_server(&p, now_ns() + p.timeout_s * 1e9);
	if (p.dev != NULL)
		fprintf(stderr, "rc_peer %s: %s; retransmits %lu, rnr waits %lu, rx invalid %lu\n",
			p.client ? "client" : "server", rc == 0 ? "ok" : "FAILED",
			(unsigned long)roce_stats_get(p.dev, "req_retransmits"),
			(unsigned long)roce_stats_get(p.dev, "rnr_waits"),
			(unsigned long)roce_stats_get(p.dev, "rx_invalid"));
	if (p.dev != NULL)
		roce_dev_capture(p.dev, 1, NULL);	/* close the capture file */
	peer_exit(rc);
}
