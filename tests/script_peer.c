/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ring.h>

#include "script_peer.h"

static void
die(const char *what)
{
	fprintf(stderr, "script_peer: %s: %s\n", what, rte_strerror(rte_errno));
	abort();
}

void
sp_create(struct sp *sp, const char *name)
{
	struct roce_dev_conf dconf = { .name = name, .nb_mbufs = 4095,
				       .socket_id = SOCKET_ID_ANY };
	struct roce_port_conf pconf = { .configure = true, .ipv4 = SP_DUT_IP };
	struct rte_ether_addr peer_mac = { .addr_bytes = { 0x02, 0, 0, 0x58, 0, 0x02 } };
	struct roce_qp_init_attr init = { .cap = { .max_send_wr = 256, .max_recv_wr = 256,
						   .max_send_sge = 4, .max_recv_sge = 4 } };
	char ring_name[RTE_RING_NAMESIZE];
	int port_id;

	memset(sp, 0, sizeof(*sp));
	snprintf(ring_name, sizeof(ring_name), "sp_rx_%s", name);
	sp->rx = rte_ring_create(ring_name, 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(ring_name, sizeof(ring_name), "sp_tx_%s", name);
	sp->tx = rte_ring_create(ring_name, 4096, SOCKET_ID_ANY, RING_F_SP_ENQ | RING_F_SC_DEQ);
	snprintf(ring_name, sizeof(ring_name), "sp_pool_%s", name);
	sp->pool = rte_pktmbuf_pool_create(ring_name, 2047, 0, 0,
					   RTE_PKTMBUF_HEADROOM + SP_MAX_FRAME, SOCKET_ID_ANY);
	if (sp->rx == NULL || sp->tx == NULL || sp->pool == NULL)
		die("rings and pool");
	snprintf(ring_name, sizeof(ring_name), "net_ring_sp_%s", name);
	port_id = rte_eth_from_rings(ring_name, &sp->rx, 1, &sp->tx, 1, SOCKET_ID_ANY);
	if (port_id < 0)
		die("rte_eth_from_rings");
	sp->dev = roce_dev_create(&dconf);
	if (sp->dev == NULL)
		die("roce_dev_create");
	pconf.port_id = port_id;
	if (roce_dev_add_port(sp->dev, &pconf) != 1)
		die("roce_dev_add_port");
	sp->port = 1;
	roce_dev_port_mac(sp->dev, sp->port, &sp->dut_mac);
	sp->peer_mac = peer_mac;
	/* No ARP in the script: the partner is a static neighbour. */
	roce_dev_set_neighbor(sp->dev, sp->port, SP_PEER_IP, &sp->peer_mac);
	sp->pd = roce_alloc_pd(sp->dev);
	sp->cq = roce_create_cq(sp->dev, 1024);
	init.send_cq = init.recv_cq = sp->cq;
	sp->qp = sp->pd != NULL && sp->cq != NULL ? roce_create_qp(sp->pd, &init) : NULL;
	if (sp->qp == NULL)
		die("pd, cq, qp");
	sp->mtu = IBV_MTU_1024;
	sp->dut_psn = 1000;
	sp->peer_psn = 0x800000 - 3;	/* the partner's PSNs wrap during a test */
	sp->now_ns = 1000000;
	roce_parser_init(&sp->parser, &roce_crc32_isal, 0);
}

void
sp_connect(struct sp *sp, unsigned int access, uint8_t max_rd_atomic, uint8_t timeout)
{
	struct roce_qp_conn conn = {
		.port = sp->port, .access = access, .path_mtu = sp->mtu,
		.dest_ip = SP_PEER_IP, .dest_qpn = SP_PEER_QPN,
		.rq_psn = sp->peer_psn, .sq_psn = sp->dut_psn,
		.max_rd_atomic = max_rd_atomic, .max_dest_rd_atomic = max_rd_atomic,
		.min_rnr_timer = 1, .timeout = timeout, .retry_cnt = 7, .rnr_retry = 7,
	};

	if (roce_qp_connect(sp->qp, &conn) != 0)
		die(roce_qp_state(sp->qp) == IBV_QPS_RESET ? "INIT" :
		    roce_qp_state(sp->qp) == IBV_QPS_INIT ? "RTR" : "RTS");
}

void
sp_disconnect(struct sp *sp)
{
	struct ibv_qp_attr attr = { .qp_state = IBV_QPS_RESET };
	struct ibv_wc wc[32];

	roce_modify_qp(sp->qp, &attr, IBV_QP_STATE);
	roce_dev_discard_tx(sp->dev);
	sp_flush(sp);
	while (roce_poll_cq(sp->cq, 32, wc) > 0)
		;
}

void
sp_destroy(struct sp *sp)
{
	sp_disconnect(sp);
	roce_destroy_qp(sp->qp);
	roce_destroy_cq(sp->cq);
	roce_dealloc_pd(sp->pd);
	roce_dev_destroy(sp->dev);
	rte_mempool_free(sp->pool);
}

int
sp_send(struct sp *sp, struct roce_pkt *pkt, const void *payload, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(sp->pool);
	int n;

	if (m == NULL)
		return -ENOMEM;
	pkt->eth_dst = sp->dut_mac;
	pkt->eth_src = sp->peer_mac;
	pkt->ip_src = SP_PEER_IP;
	pkt->ip_dst = SP_DUT_IP;
	pkt->ip_ttl = 64;
	pkt->ip_df = true;
	pkt->udp_sport = 0xc000;
	pkt->pkey = ROCE_DEFAULT_PKEY;
	pkt->dqpn = roce_qp_num(sp->qp);
	pkt->psn &= ROCE_PSN_MASK;
	pkt->payload_len = len;
	n = roce_build_flat(&roce_crc32_isal, pkt, payload, rte_pktmbuf_mtod(m, void *),
			    rte_pktmbuf_tailroom(m));
	if (n < 0) {
		rte_pktmbuf_free(m);
		return n;
	}
	rte_pktmbuf_append(m, n);
	if (rte_ring_enqueue(sp->rx, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOBUFS;
	}
	return 0;
}

int
sp_send_raw(struct sp *sp, const void *frame, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(sp->pool);
	char *p;

	if (m == NULL)
		return -ENOMEM;
	p = rte_pktmbuf_append(m, len);
	if (p == NULL || rte_ring_enqueue(sp->rx, m) != 0) {
		rte_pktmbuf_free(m);
		return -ENOMEM;
	}
	memcpy(p, frame, len);
	return 0;
}

void
sp_poll(struct sp *sp, uint64_t ns)
{
	sp->now_ns += ns;
	roce_dev_poll(sp->dev, sp->now_ns);
}

bool
sp_recv(struct sp *sp, struct sp_frame *f)
{
	struct rte_mbuf *m;

	while (rte_ring_dequeue(sp->tx, (void **)&m) == 0) {
		enum roce_parse_status st = roce_mbuf_parse(&sp->parser, m, &f->pkt);

		if (st == ROCE_PARSE_OK) {
			uint32_t n = RTE_MIN(f->pkt.payload_len, (uint32_t)sizeof(f->payload));
			const uint8_t *p = rte_pktmbuf_read(m, f->pkt.payload_off, n, f->payload);

			if (p != f->payload)
				memcpy(f->payload, p, n);
			rte_pktmbuf_free(m);
			return true;
		}
		rte_pktmbuf_free(m);
	}
	return false;
}

bool
sp_expect(struct sp *sp, struct sp_frame *f, unsigned int rounds)
{
	unsigned int i;

	for (i = 0; i < rounds; i++) {
		if (sp_recv(sp, f))
			return true;
		sp_poll(sp, 2000);
	}
	return sp_recv(sp, f);
}

unsigned int
sp_flush(struct sp *sp)
{
	struct rte_mbuf *m;
	unsigned int n = 0;

	while (rte_ring_dequeue(sp->tx, (void **)&m) == 0) {
		rte_pktmbuf_free(m);
		n++;
	}
	return n;
}
