/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire compatibility with Linux soft-RoCE. For each capture in tests/data
 * (perftest between two Linux rxe hosts, see tests/data/README.md), the
 * requester's frames are replayed through a net_pcap port into our
 * responder, set up as the Linux responder was: same address, QP numbers,
 * PSNs, keys and virtual addresses, and for READ and atomics the same
 * memory contents. Our answers, written by the same port, must be the
 * answers Linux gave: the same opcodes, PSNs, destination QPs, AETH
 * syndromes and MSNs, payload bytes and atomic results, in the same order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <pcap/pcap.h>
#include <rte_bus_vdev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "roce_int.h"
#include "test_util.h"
#include "test_eal.h"

#define REQUESTER_IP	0x0a4d000c	/* 10.77.0.12 */
#define RESPONDER_IP	0x0a4d000b	/* 10.77.0.11 */
#define MAX_QPS		4
#define MAX_REGIONS	8
#define MTU		IBV_MTU_1024	/* RoCE MTU of every capture */

struct region {
	uint32_t rkey;
	uint64_t lo, hi;		/* iova range the requests touch */
	uint8_t *mem;
	struct roce_mr *mr;
};

struct replay {
	struct test_capture cap;
	struct roce_pkt *pkt;		/* parsed, per frame */
	bool *roce;			/* frame parsed as valid RoCEv2 */
	struct rte_ether_addr req_mac, resp_mac;
	uint32_t qpn[MAX_QPS], peer_qpn[MAX_QPS], first_psn[MAX_QPS];
	unsigned int nqp;
	struct region region[MAX_REGIONS];
	unsigned int nregion;
};

static uint64_t now_ns = 1000000;
static unsigned int replay_id;

static bool
is_request(const struct replay *r, unsigned int i)
{
	return r->roce[i] && r->pkt[i].ip_src == REQUESTER_IP && (r->pkt[i].info->mask & ROCE_OPF_REQ);
}

static bool
is_answer(const struct roce_pkt *p)
{
	return p->ip_src == RESPONDER_IP && (p->info->mask & ROCE_OPF_RESP);
}

static struct region *
region_for(struct replay *r, uint32_t rkey)
{
	unsigned int i;

	for (i = 0; i < r->nregion; i++)
		if (r->region[i].rkey == rkey)
			return &r->region[i];
	ck_assert_uint_lt(r->nregion, MAX_REGIONS);
	r->region[r->nregion] = (struct region){ .rkey = rkey, .lo = UINT64_MAX };
	return &r->region[r->nregion++];
}

static void
region_touch(struct replay *r, uint32_t rkey, uint64_t va, uint64_t len)
{
	struct region *reg = region_for(r, rkey);

	reg->lo = RTE_MIN(reg->lo, va);
	reg->hi = RTE_MAX(reg->hi, va + RTE_MAX(len, 1u));
}

/* Learn from the capture what the Linux responder had set up. */
static void
study(struct replay *r, const char *name)
{
	struct roce_parser parser;
	unsigned int i, q, nresp_qp = 0;

	test_capture_load(&r->cap, name);
	r->pkt = calloc(r->cap.count, sizeof(*r->pkt));
	r->roce = calloc(r->cap.count, sizeof(*r->roce));
	ck_assert(r->pkt != NULL && r->roce != NULL);
	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (i = 0; i < r->cap.count; i++) {
		struct roce_pkt *p = &r->pkt[i];

		r->roce[i] = roce_parse_flat(&parser, r->cap.frame[i].data, r->cap.frame[i].len,
					     p) == ROCE_PARSE_OK;
		if (!r->roce[i])
			continue;
		if (is_request(r, i)) {
			r->req_mac = p->eth_src;
			r->resp_mac = p->eth_dst;
			for (q = 0; q < r->nqp && r->qpn[q] != p->dqpn; q++)
				;
			if (q == r->nqp) {
				ck_assert_uint_lt(r->nqp, MAX_QPS);
				r->qpn[r->nqp] = p->dqpn;
				r->first_psn[r->nqp++] = p->psn;
			}
			if (p->info->mask & ROCE_OPF_RETH)
				region_touch(r, p->reth.rkey, p->reth.va, p->reth.dma_len);
			if (p->info->mask & ROCE_OPF_ATMETH)
				region_touch(r, p->atmeth.rkey, p->atmeth.va, 8);
		} else if (is_answer(p)) {
			/* Answers go to the requester's QPs, in the same order. */
			for (q = 0; q < nresp_qp && r->peer_qpn[q] != p->dqpn; q++)
				;
			if (q == nresp_qp && nresp_qp < MAX_QPS)
				r->peer_qpn[nresp_qp++] = p->dqpn;
		}
	}
	ck_assert_msg(r->nqp > 0 && nresp_qp == r->nqp, "%s: %u requester QPs, %u answered",
		      name, r->nqp, nresp_qp);
}

/* READ data and atomic starting values: what Linux's memory held. */
static void
seed_memory(struct replay *r)
{
	unsigned int i, j;

	for (i = 0; i < r->nregion; i++) {
		struct region *reg = &r->region[i];

		reg->mem = rte_zmalloc("replay_region", reg->hi - reg->lo, 64);
		ck_assert_ptr_nonnull(reg->mem);
	}
	for (i = 0; i < r->cap.count; i++) {
		const struct roce_pkt *req = &r->pkt[i];
		bool seeded = false;

		if (!is_request(r, i) || !(req->info->mask & (ROCE_OPF_READ | ROCE_OPF_ATOMIC)))
			continue;
		for (j = i + 1; j < r->cap.count && !seeded; j++) {
			const struct roce_pkt *ans = &r->pkt[j];
			uint32_t idx = roce_psn_diff(ans->psn, req->psn);

			if (!r->roce[j] || !is_answer(ans) ||
			    !(ans->info->mask & (ROCE_OPF_READ | ROCE_OPF_ATOMIC)))
				continue;
			if (req->info->mask & ROCE_OPF_ATOMIC) {
				struct region *reg = region_for(r, req->atmeth.rkey);
				uint64_t *v = (uint64_t *)(reg->mem + (req->atmeth.va - reg->lo));

				/* Only the first touch of an address sets it. */
				if (ans->psn == req->psn && *v == 0)
					*v = ans->atmack_orig;
				seeded = ans->psn == req->psn;
			} else if (idx < 4096 && ans->payload_len > 0) {
				struct region *reg = region_for(r, req->reth.rkey);

				memcpy(reg->mem + (req->reth.va - reg->lo) + idx * 1024,
				       r->cap.frame[j].data + ans->payload_off, ans->payload_len);
				seeded = ans->info->mask & ROCE_OPF_END;
			}
		}
	}
}

static const char *
write_requests(const struct replay *r, char *path, size_t len)
{
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 65535);
	pcap_dumper_t *d;
	unsigned int i;

	snprintf(path, len, "/tmp/test-replay-%d-%u-in.pcap", getpid(), replay_id);
	d = pcap_dump_open(dead, path);
	ck_assert_ptr_nonnull(d);
	for (i = 0; i < r->cap.count; i++) {
		struct pcap_pkthdr h = { .caplen = r->cap.frame[i].len, .len = r->cap.frame[i].len };

		if (is_request(r, i))
			pcap_dump((u_char *)d, &h, r->cap.frame[i].data);
	}
	pcap_dump_close(d);
	pcap_close(dead);
	return path;
}

static void
describe(char *buf, size_t len, const struct roce_pkt *p)
{
	snprintf(buf, len, "%s qp 0x%x psn %u aeth 0x%02x msn %u len %u", p->info->name, p->dqpn,
		 p->psn, (p->info->mask & ROCE_OPF_AETH) ? p->aeth.syndrome : 0,
		 (p->info->mask & ROCE_OPF_AETH) ? p->aeth.msn : 0, p->payload_len);
}

static void
replay_capture(const char *name, unsigned int recv_wrs)
{
	struct replay r = { 0 };
	char in[128], out[128], args[384], vdev[32], a[128], b[128];
	struct roce_dev_conf dconf = { .name = "replay", .rx_burst = 1,
				       .socket_id = SOCKET_ID_ANY };
	struct roce_port_conf pconf = { .configure = true, .ipv4 = RESPONDER_IP };
	struct roce_qp *qp[MAX_QPS];
	struct test_capture ours;
	struct roce_parser parser;
	struct roce_dev *dev;
	struct roce_pd *pd;
	struct roce_cq *cq;
	uint8_t *recv_buf = NULL;
	struct roce_mr *recv_mr = NULL;
	unsigned int i, q, k, nreq = 0, nans = 0, matched = 0;
	uint16_t port_id;
	int port;

	replay_id++;
	study(&r, name);
	seed_memory(&r);
	write_requests(&r, in, sizeof(in));
	snprintf(out, sizeof(out), "/tmp/test-replay-%d-%u-out.pcap", getpid(), replay_id);
	snprintf(vdev, sizeof(vdev), "net_pcap_replay%u", replay_id);
	snprintf(args, sizeof(args), "rx_pcap=%s,tx_pcap=%s", in, out);
	ck_assert_msg(rte_vdev_init(vdev, args) == 0, "net_pcap: %s", rte_strerror(rte_errno));
	ck_assert_int_eq(rte_eth_dev_get_port_by_name(vdev, &port_id), 0);

	dev = roce_dev_create(&dconf);
	ck_assert_ptr_nonnull(dev);
	pconf.port_id = port_id;
	pconf.mac = r.resp_mac;
	port = roce_dev_add_port(dev, &pconf);
	ck_assert_int_gt(port, 0);
	ck_assert_int_eq(roce_dev_set_neighbor(dev, port, REQUESTER_IP, &r.req_mac), 0);
	pd = roce_alloc_pd(dev);
	cq = roce_create_cq(dev, 8192);
	for (i = 0; i < r.nregion; i++) {
		struct region *reg = &r.region[i];

		reg->mr = roce_reg_mr_fixed(pd, reg->mem, reg->hi - reg->lo, reg->lo,
					    IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
					    IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC,
					    reg->rkey);
		ck_assert_msg(reg->mr != NULL, "%s: region with key 0x%x: %s", name, reg->rkey,
			      rte_strerror(rte_errno));
	}
	if (recv_wrs) {
		recv_buf = rte_zmalloc("replay_recv", 4096, 64);
		recv_mr = roce_reg_mr(pd, recv_buf, 4096, IBV_ACCESS_LOCAL_WRITE);
	}
	for (q = 0; q < r.nqp; q++) {
		struct roce_qp_init_attr init = {
			.send_cq = cq, .recv_cq = cq, .qp_num = r.qpn[q],
			.cap = { .max_send_wr = 16, .max_recv_wr = 4096, .max_send_sge = 1,
				 .max_recv_sge = 1 },
		};
		struct ibv_qp_attr attr = { 0 };

		qp[q] = roce_create_qp(pd, &init);
		ck_assert_msg(qp[q] != NULL, "QP 0x%x: %s", r.qpn[q], rte_strerror(rte_errno));
		attr.qp_state = IBV_QPS_INIT;
		attr.port_num = port;
		attr.qp_access_flags = IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
				       IBV_ACCESS_REMOTE_ATOMIC | IBV_ACCESS_LOCAL_WRITE;
		ck_assert_int_eq(roce_modify_qp(qp[q], &attr, IBV_QP_STATE | IBV_QP_PKEY_INDEX |
						IBV_QP_PORT | IBV_QP_ACCESS_FLAGS), 0);
		attr.qp_state = IBV_QPS_RTR;
		attr.path_mtu = MTU;
		attr.dest_qp_num = r.peer_qpn[q];
		attr.rq_psn = r.first_psn[q];
		attr.max_dest_rd_atomic = 16;
		attr.min_rnr_timer = 12;	/* 0.64 ms, what rnr.pcap shows */
		roce_gid_from_ipv4(&attr.ah_attr.grh.dgid, REQUESTER_IP);
		ck_assert_int_eq(roce_modify_qp(qp[q], &attr, IBV_QP_STATE | IBV_QP_AV |
						IBV_QP_PATH_MTU | IBV_QP_DEST_QPN | IBV_QP_RQ_PSN |
						IBV_QP_MAX_DEST_RD_ATOMIC |
						IBV_QP_MIN_RNR_TIMER), 0);
		for (k = 0; k < recv_wrs; k++) {
			struct ibv_sge sge = { .addr = (uintptr_t)recv_buf, .length = 4096,
					       .lkey = roce_mr_lkey(recv_mr) };
			struct ibv_recv_wr wr = { .wr_id = k, .sg_list = &sge, .num_sge = 1 }, *bad;

			ck_assert_int_eq(roce_post_recv(qp[q], &wr, &bad), 0);
		}
	}
	for (i = 0; i < r.cap.count; i++)
		nreq += is_request(&r, i);
	/* One frame in per poll, then let every answer out. */
	for (i = 0; i < nreq + 64; i++) {
		now_ns += 1000;
		roce_dev_poll(dev, now_ns);
	}

	for (q = 0; q < r.nqp; q++)
		roce_destroy_qp(qp[q]);
	for (i = 0; i < r.nregion; i++)
		ck_assert_int_eq(roce_dereg_mr(r.region[i].mr), 0);
	if (recv_mr != NULL)
		roce_dereg_mr(recv_mr);
	roce_destroy_cq(cq);
	roce_dealloc_pd(pd);
	ck_assert_int_eq(roce_dev_destroy(dev), 0);	/* closes the port: out is flushed */
	rte_vdev_uninit(vdev);

	/* Compare our answers with Linux's, one by one. */
	test_capture_load(&ours, out);
	roce_parser_init(&parser, &roce_crc32_table, 0);
	k = 0;
	for (i = 0; i < r.cap.count; i++) {
		const struct roce_pkt *want = &r.pkt[i];
		struct roce_pkt got;

		if (!r.roce[i] || !is_answer(want))
			continue;
		nans++;
		/* Skip what is not RoCEv2 in ours (there should be nothing). */
		while (k < ours.count && roce_parse_flat(&parser, ours.frame[k].data,
							 ours.frame[k].len, &got) != ROCE_PARSE_OK)
			k++;
		describe(a, sizeof(a), want);
		ck_assert_msg(k < ours.count, "%s: Linux answer %u (frame %u: %s): we sent none",
			      name, nans, r.cap.frame[i].number, a);
		describe(b, sizeof(b), &got);
		ck_assert_msg(got.opcode == want->opcode && got.psn == want->psn &&
			      got.dqpn == want->dqpn && got.payload_len == want->payload_len &&
			      (!(want->info->mask & ROCE_OPF_AETH) ||
			       (got.aeth.syndrome == want->aeth.syndrome &&
				got.aeth.msn == want->aeth.msn)) &&
			      (!(want->info->mask & ROCE_OPF_ATMACK) ||
			       got.atmack_orig == want->atmack_orig),
			      "%s: answer %u: Linux sent (frame %u) %s; we sent %s", name, nans,
			      r.cap.frame[i].number, a, b);
		ck_assert_msg(memcmp(ours.frame[k].data + got.payload_off,
				     r.cap.frame[i].data + want->payload_off, got.payload_len) == 0,
			      "%s: answer %u (%s): payload differs", name, nans, a);
		ck_assert_msg(got.ip_src == RESPONDER_IP && got.ip_dst == REQUESTER_IP &&
			      got.udp_sport == want->udp_sport,
			      "%s: answer %u: addresses or UDP source port differ", name, nans);
		matched++;
		k++;
	}
	while (k < ours.count && roce_parse_flat(&parser, ours.frame[k].data, ours.frame[k].len,
						 &r.pkt[0]) != ROCE_PARSE_OK)
		k++;
	ck_assert_msg(k == ours.count, "%s: we sent %u more RoCEv2 frames than Linux", name,
		      ours.count - k);
	ck_assert_msg(matched > 0 && matched == nans, "%s: %u of %u answers matched", name,
		      matched, nans);
	fprintf(stderr, "%s: %u requests replayed, %u answers identical\n", name, nreq, matched);
	test_capture_free(&ours);
	for (i = 0; i < r.nregion; i++)
		rte_free(r.region[i].mem);
	rte_free(recv_buf);
	test_capture_free(&r.cap);
	free(r.pkt);
	free(r.roce);
	unlink(in);
	unlink(out);
}

START_TEST(replay_write)
{
	replay_capture("write.pcap", 0);
}
END_TEST

START_TEST(replay_read)
{
	replay_capture("read.pcap", 0);
}
END_TEST

START_TEST(replay_send)
{
	replay_capture("send.pcap", 4096);
}
END_TEST

START_TEST(replay_atomic)
{
	replay_capture("atomic.pcap", 0);
}
END_TEST

START_TEST(replay_write_lat)
{
	replay_capture("write_lat.pcap", 0);
}
END_TEST

START_TEST(replay_nak)
{
	/* The requester lost 4 % of its frames: our responder must see the
	 * same gaps, send the same sequence NAKs, and re-ACK the same
	 * duplicates as Linux did. */
	replay_capture("nak.pcap", 0);
}
END_TEST

int
main(int argc, char **argv)
{
	Suite *s = suite_create("replay");
	TCase *tc = tcase_create("linux_rxe");
	int failed;

	(void)argc;
	if (test_eal_init(argv[0], "replay", 256) != 0)
		return 1;
	tcase_add_test(tc, replay_write);
	tcase_add_test(tc, replay_read);
	tcase_add_test(tc, replay_send);
	tcase_add_test(tc, replay_atomic);
	tcase_add_test(tc, replay_write_lat);
	tcase_add_test(tc, replay_nak);
	suite_add_tcase(s, tc);
	failed = test_run_nofork(s);
	return failed ? 1 : 0;
}
