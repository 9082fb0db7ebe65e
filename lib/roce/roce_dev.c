/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The device: its ports, pools and QPN table, and the one poll function
 * that moves everything: receive -> dispatch -> timers -> requesters ->
 * transmit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>

#include "roce_int.h"
#include "roce_intr_guard.h"
#include "roce_limits.h"
#include "roce_stats.h"

RTE_LOG_REGISTER(roce_logtype, roce, NOTICE);

#define DEFAULT_NB_MBUFS	8191
#define HDR_DATA_ROOM		(RTE_PKTMBUF_HEADROOM + 384)	/* headers + ROCE_TX_COPY_MAX */
static_assert(HDR_DATA_ROOM - RTE_PKTMBUF_HEADROOM >=
	      ROCE_HDR_MAX + ROCE_TX_COPY_MAX + ROCE_TRAILER_MAX,
	      "a small payload's frame fits one header mbuf");
#define RX_DATA_ROOM		(RTE_PKTMBUF_HEADROOM + 4096 + 512)
#define RX_POOL_MBUFS		4095
#define RX_POOL_CACHE		256
#define RX_DESC			1024
#define TX_DESC			1024


struct roce_dev *
roce_dev_create(const struct roce_dev_conf *conf)
{
	uint32_t max_qp = conf->max_qp ? conf->max_qp : ROCE_DEFAULT_MAX_QP;
	uint32_t nb_mbufs = conf->nb_mbufs ? conf->nb_mbufs : DEFAULT_NB_MBUFS;
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	struct roce_dev *dev;

	if (conf->name == NULL || strlen(conf->name) > ROCE_DEV_NAME_MAX ||
	    conf->rx_burst > ROCE_RX_BURST ||
	    !rte_is_power_of_2(max_qp) || max_qp < 4 || max_qp > (1u << 24)) {
		rte_errno = EINVAL;
		return NULL;
	}
	dev = rte_zmalloc_socket("roce_dev", sizeof(*dev), RTE_CACHE_LINE_SIZE, conf->socket_id);
	if (dev == NULL)
		goto nomem;
	snprintf(dev->name, sizeof(dev->name), "%s", conf->name);
	roce_parser_init(&dev->parser, &roce_crc32_isal, 0);
	TAILQ_INIT(&dev->live_qps);
	TAILQ_INIT(&dev->ready_qps);
	TAILQ_INIT(&dev->armed_qps);
	dev->max_qp = max_qp;
	dev->rx_burst = conf->rx_burst ? conf->rx_burst : ROCE_RX_BURST;
	dev->next_qpn = ROCE_QPN_MIN;	/* QP0 and QP1 are IBTA's special QPs */
	dev->max_mr = ROCE_MAX_MR;
	dev->qp_table = rte_zmalloc("roce_qpn", max_qp * sizeof(*dev->qp_table), 0);
	dev->mr_table = rte_zmalloc("roce_mr", ROCE_MAX_MR * sizeof(*dev->mr_table), 0);
	dev->qps_snap = rte_zmalloc("roce_qps", sizeof(*dev->qps_snap), 0);
	if (dev->qp_table == NULL || dev->mr_table == NULL || dev->qps_snap == NULL)
		goto nomem;
	rte_spinlock_init(&dev->qps_snap->lock);
	snprintf(pool_name, sizeof(pool_name), "rh_%.16s", conf->name);
	dev->hdr_pool = rte_pktmbuf_pool_create(pool_name, nb_mbufs, 256, 0, HDR_DATA_ROOM,
						conf->socket_id);
	snprintf(pool_name, sizeof(pool_name), "re_%.16s", conf->name);
	dev->ext_pool = rte_pktmbuf_pool_create(pool_name, nb_mbufs, 256,
						RTE_ALIGN(sizeof(struct rte_mbuf_ext_shared_info),
							  RTE_MBUF_PRIV_ALIGN), 0, conf->socket_id);
	if (dev->hdr_pool == NULL || dev->ext_pool == NULL)
		goto nomem;
	roce_stats_register(dev);
	return dev;

nomem:
	if (dev != NULL) {
		rte_mempool_free(dev->hdr_pool);
		rte_mempool_free(dev->ext_pool);
		rte_free(dev->qp_table);
		rte_free(dev->mr_table);
		rte_free(dev->qps_snap);
		rte_free(dev);
	}
	rte_errno = ENOMEM;
	return NULL;
}

/*
 * Receive buffers that another core fills are taken back oldest first.
 * A virtio port's buffers are written by the vhost backend's copy on the
 * host's (here: the partner's) core; from a per-lcore pool cache the
 * buffer refilled next is the one whose lines we have just read, and the
 * backend's every store then waits for them to leave our cache. Without a
 * cache the pool is a FIFO ring whose buffers have long been evicted:
 * READ over vhost-user +10 %; the vhost side, whose own copy fills its
 * buffers, lost 27 % of WRITE that way (docs/perf.md, run H).
 */
static unsigned int
rx_pool_cache_size(const struct rte_eth_dev_info *info)
{
	if (info->driver_name != NULL && strncmp(info->driver_name, "net_virtio", 10) == 0)
		return 0;
	return RX_POOL_CACHE;
}

static int
port_configure(struct roce_dev *dev, struct roce_port *port, const struct roce_port_conf *conf)
{
	struct rte_eth_conf eth_conf = { 0 };
	struct rte_eth_dev_info info;
	char pool_name[RTE_MEMPOOL_NAMESIZE];
	struct rte_mempool *rx_pool;
	uint32_t max_mtu;
	int rc;

	rc = rte_eth_dev_info_get(conf->port_id, &info);
	if (rc != 0)
		return rc;
	snprintf(pool_name, sizeof(pool_name), "rr_%.16s_%u", dev->name, port->num);
	rx_pool = rte_pktmbuf_pool_create(pool_name, RX_POOL_MBUFS, rx_pool_cache_size(&info), 0,
					  RX_DATA_ROOM, SOCKET_ID_ANY);
	if (rx_pool == NULL)
		return -ENOMEM;
	port->rx_pool = rx_pool;
	/* The largest MTU the device takes: some report max_mtu above what
	 * their max_rx_pktlen allows (net_memif: 1518-byte frames). */
	max_mtu = RTE_MIN((uint32_t)info.max_mtu,
			  info.max_rx_pktlen - RTE_ETHER_HDR_LEN - RTE_ETHER_CRC_LEN);
	eth_conf.rxmode.mtu = conf->mtu ? conf->mtu : 4200;
	if (eth_conf.rxmode.mtu > max_mtu) {
		ROCE_LOG(NOTICE, "%s: DPDK port %u takes MTU %u at most (asked %u)", dev->name,
			 conf->port_id, max_mtu, eth_conf.rxmode.mtu);
		eth_conf.rxmode.mtu = max_mtu;
	}
	if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
		eth_conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
	if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
		eth_conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
	rc = rte_eth_dev_configure(conf->port_id, 1, 1, &eth_conf);
	if (rc == 0)
		rc = rte_eth_rx_queue_setup(conf->port_id, 0, RX_DESC,
					    rte_eth_dev_socket_id(conf->port_id), NULL, rx_pool);
	if (rc == 0)
		rc = rte_eth_tx_queue_setup(conf->port_id, 0, TX_DESC,
					    rte_eth_dev_socket_id(conf->port_id), NULL);
	if (rc == 0)
		rc = rte_eth_dev_start(conf->port_id);
	if (rc != 0) {
		ROCE_LOG(ERR, "%s: port %u: cannot configure: %s", dev->name, conf->port_id,
			 rte_strerror(-rc));
		rte_mempool_free(rx_pool);
		port->rx_pool = NULL;
		return rc;
	}
	/* Our address may differ from the port's: accept every frame. */
	rte_eth_promiscuous_enable(conf->port_id);
	port->started_by_us = true;
	return 0;
}

/* net_memif unmaps its regions on the interrupt thread when the partner
 * goes (roce_intr_guard.c). */
static bool
needs_intr_guard(uint16_t port_id)
{
	struct rte_eth_dev_info info;

	return rte_eth_dev_info_get(port_id, &info) == 0 && info.driver_name != NULL &&
	       strcmp(info.driver_name, "net_memif") == 0;
}

int
roce_dev_add_port(struct roce_dev *dev, const struct roce_port_conf *conf)
{
	struct roce_port *port;
	int rc;

	if (dev->nb_ports == ROCE_MAX_PORTS)
		return -ENOSPC;
	if (!rte_eth_dev_is_valid_port(conf->port_id))
		return -ENODEV;
	if (conf->ipv4 == 0)
		return -EINVAL;
	port = &dev->port[dev->nb_ports];
	memset(port, 0, sizeof(*port));
	port->dev = dev;
	port->num = dev->nb_ports + 1;
	port->port_id = conf->port_id;
	port->queue_id = conf->configure ? 0 : conf->queue_id;
	port->ipv4 = conf->ipv4;
	port->guarded = needs_intr_guard(conf->port_id);
	if (conf->configure) {
		rc = port_configure(dev, port, conf);
		if (rc != 0)
			return rc;
	}
	if (rte_is_zero_ether_addr(&conf->mac))
		rte_eth_macaddr_get(conf->port_id, &port->mac);
	else
		port->mac = conf->mac;
	/* Some virtual ports (net_ring) have no address: a zero source MAC is
	 * invalid on the wire, so take a random locally administered one. */
	if (!rte_is_valid_assigned_ether_addr(&port->mac)) {
		rte_eth_random_addr(port->mac.addr_bytes);
		ROCE_LOG(NOTICE, "%s: DPDK port %u has no MAC address; using "
			 RTE_ETHER_ADDR_PRT_FMT, dev->name, conf->port_id,
			 RTE_ETHER_ADDR_BYTES(&port->mac));
	}
	roce_arp_init(&port->arp, port->ipv4, &port->mac, dev->hdr_pool);
	dev->nb_ports++;
	ROCE_LOG(INFO, "%s: port %u is DPDK port %u, " RTE_ETHER_ADDR_PRT_FMT, dev->name,
		 port->num, port->port_id, RTE_ETHER_ADDR_BYTES(&port->mac));
	return port->num;
}

struct roce_port *
roce_dev_port(struct roce_dev *dev, uint8_t num)
{
	return num >= 1 && num <= dev->nb_ports ? &dev->port[num - 1] : NULL;
}

int
roce_dev_port_mac(const struct roce_dev *dev, uint8_t num, struct rte_ether_addr *mac)
{
	if (num < 1 || num > dev->nb_ports)
		return -EINVAL;
	*mac = dev->port[num - 1].mac;
	return 0;
}

int
roce_dev_port_link(const struct roce_dev *dev, uint8_t num)
{
	struct rte_eth_link link;
	int rc;

	if (num < 1 || num > dev->nb_ports)
		return -EINVAL;
	rc = rte_eth_link_get_nowait(dev->port[num - 1].port_id, &link);
	if (rc != 0)
		return rc;
	return link.link_status == RTE_ETH_LINK_UP;
}

int
roce_dev_port_ping(struct roce_dev *dev, uint8_t num, uint32_t ipv4, uint16_t seq,
		   const void *data, uint8_t len)
{
	struct roce_port *port = roce_dev_port(dev, num);
	struct rte_mbuf *m = NULL;
	int rc;

	if (port == NULL)
		return -EINVAL;
	rc = roce_echo_request(&port->arp, ipv4, num, seq, data, len, dev->now_ns, &m);
	if (m != NULL)
		roce_port_xmit(port, m);
	return rc;
}

uint64_t
roce_dev_port_pongs(const struct roce_dev *dev, uint8_t num, uint32_t ipv4)
{
	if (num < 1 || num > dev->nb_ports)
		return 0;
	return roce_echo_replies(&dev->port[num - 1].arp, ipv4);
}

unsigned int
roce_dev_port_echo_data(const struct roce_dev *dev, uint8_t num, uint32_t ipv4, void *data,
			unsigned int len, uint64_t *count)
{
	if (num < 1 || num > dev->nb_ports) {
		if (count != NULL)
			*count = 0;
		return 0;
	}
	return roce_echo_data(&dev->port[num - 1].arp, ipv4, data, len, count);
}

int
roce_dev_set_neighbor(struct roce_dev *dev, uint8_t num, uint32_t ipv4,
		      const struct rte_ether_addr *mac)
{
	struct roce_port *port = roce_dev_port(dev, num);

	if (port == NULL)
		return -EINVAL;
	return roce_arp_set_static(&port->arp, ipv4, mac);
}

int
roce_dev_set_fault(struct roce_dev *dev, uint8_t num, enum roce_fault_dir dir,
		   const struct roce_fault_conf *conf)
{
	struct roce_port *port = roce_dev_port(dev, num);

	if (port == NULL || dir >= ROCE_FAULT_NDIR)
		return -EINVAL;
	return roce_fault_init(&port->fault[dir], conf, dev->hdr_pool);
}

static void
capture_close(struct roce_port *port)
{
	if (port->cap_dumper != NULL)
		pcap_dump_close(port->cap_dumper);
	if (port->cap_handle != NULL)
		pcap_close(port->cap_handle);
	port->cap_dumper = NULL;
	port->cap_handle = NULL;
	free(port->cap_buf);
	port->cap_buf = NULL;
}

int
roce_dev_capture(struct roce_dev *dev, uint8_t num, const char *path)
{
	struct roce_port *port = roce_dev_port(dev, num);

	if (port == NULL)
		return -EINVAL;
	capture_close(port);
	if (path == NULL)
		return 0;
	port->cap_handle = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, ROCE_CAPTURE_MAX,
								 PCAP_TSTAMP_PRECISION_NANO);
	port->cap_buf = malloc(ROCE_CAPTURE_MAX);
	if (port->cap_handle == NULL || port->cap_buf == NULL) {
		capture_close(port);
		return -ENOMEM;
	}
	port->cap_dumper = pcap_dump_open(port->cap_handle, path);
	if (port->cap_dumper == NULL) {
		ROCE_LOG(ERR, "%s: capture %s: %s", dev->name, path, pcap_geterr(port->cap_handle));
		capture_close(port);
		return -EIO;
	}
	pcap_dump_flush(port->cap_dumper);	/* the file header, at once */
	return 0;
}

/* Capture is I/O for a person to read: wall-clock timestamps are right.
 * A segmented frame is gathered into the port's own buffer: ports may be
 * polled by different lcores. */
static void
capture_frames(struct roce_port *port, struct rte_mbuf **m, uint32_t n)
{
	struct pcap_pkthdr h;
	struct timespec ts;
	uint32_t i;

	clock_gettime(CLOCK_REALTIME, &ts);
	h.ts.tv_sec = ts.tv_sec;
	h.ts.tv_usec = ts.tv_nsec;	/* nanosecond precision dumper */
	for (i = 0; i < n; i++) {
		uint32_t len = RTE_MIN(m[i]->pkt_len, (uint32_t)ROCE_CAPTURE_MAX);
		const void *data = rte_pktmbuf_read(m[i], 0, len, port->cap_buf);

		h.caplen = h.len = len;
		pcap_dump((u_char *)port->cap_dumper, &h, data);
	}
	pcap_dump_flush(port->cap_dumper);
}

void
roce_port_xmit(struct roce_port *port, struct rte_mbuf *m)
{
	if (port->tx_count == ROCE_TX_STAGE) {
		roce_count(port->dev, ROCE_CNT_TX_BACKLOG_DROP);
		rte_pktmbuf_free(m);
		return;
	}
	port->tx[port->tx_count++] = m;
}

/* Frames staged since the last flush went through faults and capture; the
 * backlog (what tx_burst refused) did already. */
static int
port_flush(struct roce_port *port)
{
	struct roce_fault *f = &port->fault[ROCE_FAULT_TX];
	uint32_t fresh = port->tx_seen;
	uint16_t sent;

	if (f->active && port->tx_count >= fresh) {
		uint32_t room = ROCE_TX_STAGE - fresh;

		port->tx_count = fresh + roce_fault_apply(f, port->tx + fresh,
							  port->tx_count - fresh,
							  RTE_MIN(room, (uint32_t)UINT16_MAX),
							  port->dev->now_ns);
	}
	if (port->cap_dumper != NULL && port->tx_count > fresh)
		capture_frames(port, port->tx + fresh, port->tx_count - fresh);
	if (port->tx_count == 0)
		return 0;
	if (port->guarded && !roce_intr_guard_enter())
		return 0;
	sent = rte_eth_tx_burst(port->port_id, port->queue_id, port->tx,
				RTE_MIN(port->tx_count, (uint32_t)UINT16_MAX));
	if (port->guarded)
		roce_intr_guard_exit();
	port->dev->count[ROCE_CNT_TX_FRAMES] += sent;
	if (sent < port->tx_count)
		memmove(port->tx, port->tx + sent, (port->tx_count - sent) * sizeof(port->tx[0]));
	port->tx_count -= sent;
	port->tx_seen = port->tx_count;
	return sent;
}

/* Every port's staged frames: a QP's frames leave by its path, which may
 * be any link. @return frames sent. */
static int
ports_flush(struct roce_dev *dev)
{
	int sent = 0;
	uint8_t i;

	for (i = 0; i < dev->nb_ports; i++)
		sent += port_flush(&dev->port[i]);
	return sent;
}

static int
port_rx(struct roce_port *port)
{
	struct rte_mbuf *pkts[2 * ROCE_RX_BURST];
	struct roce_fault *f = &port->fault[ROCE_FAULT_RX];
	uint16_t n, i;

	if (port->guarded && !roce_intr_guard_enter())
		return 0;
	n = rte_eth_rx_burst(port->port_id, port->queue_id, pkts, port->dev->rx_burst);
	if (port->guarded)
		roce_intr_guard_exit();
	if (f->active)
		n = roce_fault_apply(f, pkts, n, RTE_DIM(pkts), port->dev->now_ns);
	if (n == 0)
		return 0;
	if (port->cap_dumper != NULL)
		capture_frames(port, pkts, n);
	port->dev->count[ROCE_CNT_RX_FRAMES] += n;
	for (i = 0; i < n; i++)
		roce_recv(port, pkts[i]);
	return n;
}

/*
 * Between two full receive bursts of one poll, the ACKs the first one
 * asked for leave at once. A poll takes up to ROCE_RX_BURSTS bursts before
 * the QPs' turns; a requester whose 128 WRs the bursts held waited for all
 * of them to be received before it could refill, and the two ends took
 * turns (vhost WRITE +8 %, docs/perf.md run H).
 */
static void
acks_early(struct roce_dev *dev)
{
	uint16_t i, sent = 0;

	for (i = 0; i < dev->nb_acks_due; i++) {
		struct roce_qp *qp = dev->qp_table[dev->acks_due[i]];

		if (qp != NULL)
			sent += roce_resp_flush_ack(qp);
	}
	dev->nb_acks_due = 0;
	if (sent != 0)
		ports_flush(dev);
}

int
roce_dev_poll(struct roce_dev *dev, uint64_t now_ns)
{
	struct roce_qp *qp, *next;
	int work = 0;
	uint8_t i;

	dev->now_ns = now_ns;
	dev->poll_seq++;
	/* Up to ROCE_RX_BURSTS full bursts per port: with many QPs busy, one
	 * burst per poll would leave the ring to fill between visits. */
	for (i = 0; i < dev->nb_ports; i++) {
		int k, n;

		for (k = 0; k < ROCE_RX_BURSTS; k++) {
			dev->nb_acks_due = 0;
			n = port_rx(&dev->port[i]);
			work += n;
			/* A burst of 1 answers every AckReq, as Linux does: keep it. */
			if (n < dev->rx_burst || dev->rx_burst == 1)
				break;
			acks_early(dev);
		}
	}
	/* Timers of QPs with PSNs in flight, every ROCE_TIMER_SCAN_NS: one
	 * that fired, or an RNR wait that ended, makes the QP ready. A QP may
	 * leave a list (to ERR) while it is served. */
	if (now_ns >= dev->next_timer_scan_ns) {
		dev->next_timer_scan_ns = now_ns + ROCE_TIMER_SCAN_NS;
		for (qp = TAILQ_FIRST(&dev->armed_qps); qp != NULL; qp = next) {
			next = TAILQ_NEXT(qp, armed);
			work += roce_comp_timer(qp);
			if (roce_qp_wants_tx(qp))
				roce_qp_wake(qp);
			else
				roce_qp_arm(qp);
		}
	}
	/* QPs that can send, each starting in turn (the first moves to the
	 * end), so none is always first to the transmit room. */
	qp = TAILQ_FIRST(&dev->ready_qps);
	if (qp != NULL && TAILQ_NEXT(qp, ready) != NULL) {
		TAILQ_REMOVE(&dev->ready_qps, qp, ready);
		TAILQ_INSERT_TAIL(&dev->ready_qps, qp, ready);
	}
	for (qp = TAILQ_FIRST(&dev->ready_qps); qp != NULL; qp = next) {
		next = TAILQ_NEXT(qp, ready);
		if (roce_resp_has_answers(qp))
			work += roce_resp_poll(qp);
		work += roce_req_poll(qp);
		if (qp->on_ready_list && !roce_qp_wants_tx(qp)) {
			TAILQ_REMOVE(&dev->ready_qps, qp, ready);
			qp->on_ready_list = false;
		}
		roce_qp_arm(qp);
	}
	work += ports_flush(dev);
	if (dev->qps_changed || now_ns - dev->qps_snap_ns >= ROCE_QPS_SNAPSHOT_NS)
		roce_stats_snapshot_qps(dev);
	return work;
}

/*
 * A ping-pong QP's answer, just posted (roce_post_send), leaves at once
 * with the ACK held for it, in one burst: the poll it would wait for
 * otherwise costs the exchange about 0.1 us (docs/perf.md run I).
 */
void
roce_dev_answer_now(struct roce_qp *qp)
{
	roce_resp_flush_ack(qp);
	roce_req_poll(qp);
	roce_qp_arm(qp);
	ports_flush(qp->dev);
}

int
roce_dev_flush(struct roce_dev *dev)
{
	struct roce_qp *qp, *next;

	for (qp = TAILQ_FIRST(&dev->ready_qps); qp != NULL; qp = next) {
		next = TAILQ_NEXT(qp, ready);
		if (qp->resp.ack_held_poll != 0)
			roce_resp_flush_ack(qp);
	}
	return ports_flush(dev);
}

void
roce_dev_discard_tx(struct roce_dev *dev)
{
	uint8_t i;
	uint32_t k;

	for (i = 0; i < dev->nb_ports; i++) {
		struct roce_port *port = &dev->port[i];

		for (k = 0; k < ROCE_FAULT_NDIR; k++)
			roce_fault_flush(&port->fault[k]);
		for (k = 0; k < port->tx_count; k++)
			rte_pktmbuf_free(port->tx[k]);
		port->tx_count = port->tx_seen = 0;
		/* Frames the driver sent but has not freed yet (virtio frees
		 * them lazily) may point into registered memory too. Drivers
		 * that cannot say so (-ENOTSUP) free them as they go. */
		rte_eth_tx_done_cleanup(port->port_id, port->queue_id, 0);
	}
}

int
roce_dev_destroy(struct roce_dev *dev)
{
	uint8_t i;

	if (dev == NULL)
		return 0;
	if (dev->nb_qp || dev->nb_cq || dev->nb_mr || dev->nb_pd)
		return -EBUSY;
	roce_stats_unregister(dev);
	roce_dev_discard_tx(dev);
	for (i = 0; i < dev->nb_ports; i++) {
		struct roce_port *port = &dev->port[i];

		capture_close(port);
		if (port->started_by_us) {
			/* memif's stop disconnects too: not while the interrupt
			 * thread does. */
			if (port->guarded)
				roce_intr_guard_enter_wait();
			rte_eth_dev_stop(port->port_id);
			rte_eth_dev_close(port->port_id);
			if (port->guarded)
				roce_intr_guard_exit();
			rte_mempool_free(port->rx_pool);
		}
	}
	rte_mempool_free(dev->hdr_pool);
	rte_mempool_free(dev->ext_pool);
	rte_mempool_free(dev->copy_pool);
	rte_free(dev->qp_table);
	rte_free(dev->mr_table);
	rte_free(dev->qps_snap);
	rte_free(dev);
	return 0;
}
