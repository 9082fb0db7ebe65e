/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Counter names and the /roce/ telemetry endpoints. Telemetry callbacks
 * take no context, so devices register here. They run on the telemetry
 * thread: /roce/stats reads counters (plain 64-bit loads, a poll behind at
 * worst), /roce/qps the snapshot the owning lcore takes of its QPs.
 */
#include <stdlib.h>
#include <string.h>

#include <rte_spinlock.h>
#include <rte_telemetry.h>

#include "roce_int.h"
#include "roce_stats.h"

const char *const roce_counter_names[ROCE_CNT_NCOUNTERS] = {
	[ROCE_CNT_RX_FRAMES] = "rx_frames",
	[ROCE_CNT_RX_ROCE] = "rx_roce",
	[ROCE_CNT_RX_INVALID] = "rx_invalid",
	[ROCE_CNT_RX_FOREIGN] = "rx_foreign",
	[ROCE_CNT_RX_NOT_OUR_IP] = "rx_not_our_ip",
	[ROCE_CNT_RX_NO_QP] = "rx_no_qp",
	[ROCE_CNT_RX_QP_STATE] = "rx_qp_state",
	[ROCE_CNT_RX_WRONG_PEER] = "rx_wrong_peer",
	[ROCE_CNT_RX_BAD_PKEY] = "rx_bad_pkey",
	[ROCE_CNT_TX_FRAMES] = "tx_frames",
	[ROCE_CNT_TX_BACKLOG_DROP] = "tx_backlog_drop",
	[ROCE_CNT_TX_NO_MBUF] = "tx_no_mbuf",
	[ROCE_CNT_TX_NO_NEIGH] = "tx_no_neigh",
	[ROCE_CNT_TX_NEIGH_HOLD] = "tx_neigh_hold",
	[ROCE_CNT_TX_PAGE_SPLIT] = "tx_page_split",
	[ROCE_CNT_REQ_PKTS] = "req_pkts",
	[ROCE_CNT_REQ_RETRANSMITS] = "req_retransmits",
	[ROCE_CNT_REQ_TIMEOUTS] = "req_timeouts",
	[ROCE_CNT_REQ_RTO] = "req_rto",
	[ROCE_CNT_REQ_RTO_SPURIOUS] = "req_rto_spurious",
	[ROCE_CNT_REQ_SEQ_NAK_RCVD] = "req_seq_nak_rcvd",
	[ROCE_CNT_REQ_RNR_NAK_RCVD] = "req_rnr_nak_rcvd",
	[ROCE_CNT_REQ_ERR_NAK_RCVD] = "req_err_nak_rcvd",
	[ROCE_CNT_REQ_RETRY_EXC] = "req_retry_exceeded",
	[ROCE_CNT_REQ_RNR_RETRY_EXC] = "req_rnr_retry_exceeded",
	[ROCE_CNT_REQ_READ_GAP] = "req_read_gap",
	[ROCE_CNT_REQ_DUP_RESP] = "req_dup_resp",
	[ROCE_CNT_REQ_BAD_RESP] = "req_bad_resp",
	[ROCE_CNT_REQ_LOCAL_ERR] = "req_local_err",
	[ROCE_CNT_RNR_WAITS] = "rnr_waits",
	[ROCE_CNT_RESP_PKTS] = "resp_pkts",
	[ROCE_CNT_RESP_DUP] = "resp_dup",
	[ROCE_CNT_RESP_OUT_OF_SEQ] = "resp_out_of_seq",
	[ROCE_CNT_RESP_SEQ_NAK_SENT] = "resp_seq_nak_sent",
	[ROCE_CNT_RESP_RNR_NAK_SENT] = "resp_rnr_nak_sent",
	[ROCE_CNT_RESP_ACCESS_NAK_SENT] = "resp_access_nak_sent",
	[ROCE_CNT_RESP_INVALID_NAK_SENT] = "resp_invalid_nak_sent",
	[ROCE_CNT_RESP_ACKS_SENT] = "resp_acks_sent",
	[ROCE_CNT_RESP_ACKS_HELD] = "resp_acks_held",
	[ROCE_CNT_RESP_ACKS_UNANSWERED] = "resp_acks_unanswered",
	[ROCE_CNT_RESP_READ_RESP_SENT] = "resp_read_resp_sent",
	[ROCE_CNT_RESP_READ_REPLAY] = "resp_read_replay",
	[ROCE_CNT_RESP_ATOMIC_REPLAY] = "resp_atomic_replay",
	[ROCE_CNT_ECN_CE_RCVD] = "ecn_ce_rcvd",
	[ROCE_CNT_CNP_SENT] = "cnp_sent",
	[ROCE_CNT_CNP_RCVD] = "cnp_rcvd",
	[ROCE_CNT_CQ_OVERFLOW] = "cq_overflow",
	[ROCE_CNT_QP_TO_ERROR] = "qp_to_error",
	[ROCE_CNT_PATH_MIGRATED] = "path_migrated",
};
static_assert(RTE_DIM(roce_counter_names) == ROCE_CNT_NCOUNTERS, "a name per counter");

uint64_t
roce_stats_get(const struct roce_dev *dev, const char *name)
{
	unsigned int i;

	for (i = 0; i < ROCE_CNT_NCOUNTERS; i++)
		if (strcmp(roce_counter_names[i], name) == 0)
			return dev->count[i];
	for (i = 0; i < ROCE_PARSE_NSTATUS; i++)
		if (strcmp(roce_parse_status_counter(i), name) == 0)
			return dev->parser.count[i];
	return UINT64_MAX;
}

int
roce_stats_read(const struct roce_dev *dev, struct roce_stats_entry *out, unsigned int n)
{
	unsigned int i, k = 0;

	for (i = 0; i < ROCE_CNT_NCOUNTERS; i++, k++)
		if (k < n)
			out[k] = (struct roce_stats_entry){ roce_counter_names[i], dev->count[i] };
	for (i = 0; i < ROCE_PARSE_NSTATUS; i++, k++)
		if (k < n)
			out[k] = (struct roce_stats_entry){ roce_parse_status_counter(i),
							    dev->parser.count[i] };
	return k;
}

void
roce_stats_reset(struct roce_dev *dev)
{
	memset(dev->count, 0, sizeof(dev->count));
	memset(dev->parser.count, 0, sizeof(dev->parser.count));
}

/* ---- Telemetry -------------------------------------------------------- */

#define ROCE_MAX_DEVS 16

static struct {
	rte_spinlock_t lock;
	struct roce_dev *dev[ROCE_MAX_DEVS];
	bool registered;
} telemetry = { .lock = RTE_SPINLOCK_INITIALIZER };

static int
telemetry_stats(const char *cmd __rte_unused, const char *params, struct rte_tel_data *d)
{
	unsigned int i, j;
	int found = 0;

	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&telemetry.lock);
	for (i = 0; i < ROCE_MAX_DEVS; i++) {
		struct roce_dev *dev = telemetry.dev[i];
		struct rte_tel_data *c;

		if (dev == NULL || (params != NULL && *params != '\0' &&
				    strcmp(params, dev->name) != 0))
			continue;
		c = rte_tel_data_alloc();
		if (c == NULL)
			break;
		rte_tel_data_start_dict(c);
		for (j = 0; j < ROCE_CNT_NCOUNTERS; j++)
			rte_tel_data_add_dict_u64(c, roce_counter_names[j], dev->count[j]);
		for (j = 0; j < ROCE_PARSE_NSTATUS; j++)
			rte_tel_data_add_dict_u64(c, roce_parse_status_counter(j),
						  dev->parser.count[j]);
		rte_tel_data_add_dict_container(d, dev->name, c, 0);
		found++;
	}
	rte_spinlock_unlock(&telemetry.lock);
	return found == 0 && params != NULL && *params != '\0' ? -EINVAL : 0;
}

/*
 * The owning lcore copies its live QPs for /roce/qps. A snapshot rather
 * than a walk of the live list from the telemetry thread, which would race
 * with the lcore creating and freeing QPs; refreshed by the lcore rather
 * than on request, because a request would make telemetry wait for an
 * lcore that may be busy, stalled or (in tests) the very thread asking.
 * The lcore never waits: a reader holding the lock defers the refresh to
 * the next poll.
 */
void
roce_stats_snapshot_qps(struct roce_dev *dev)
{
	struct roce_qps_snapshot *snap = dev->qps_snap;
	unsigned int n;

	if (!rte_spinlock_trylock(&snap->lock))
		return;
	n = roce_dev_qp_info(dev, snap->qp, ROCE_QPS_SNAPSHOT_MAX);
	snap->n = RTE_MIN(n, (unsigned int)ROCE_QPS_SNAPSHOT_MAX);
	rte_spinlock_unlock(&snap->lock);
	dev->qps_changed = false;
	dev->qps_snap_ns = dev->now_ns;
}

static int
telemetry_qps(const char *cmd __rte_unused, const char *params __rte_unused,
	      struct rte_tel_data *d)
{
	struct roce_qp_info *qp;
	unsigned int i, k, n;
	char key[48];

	qp = malloc(ROCE_QPS_SNAPSHOT_MAX * sizeof(*qp));
	if (qp == NULL)
		return -ENOMEM;
	rte_tel_data_start_dict(d);
	rte_spinlock_lock(&telemetry.lock);
	for (i = 0; i < ROCE_MAX_DEVS; i++) {
		struct roce_dev *dev = telemetry.dev[i];

		if (dev == NULL)
			continue;
		/* Copy out, then format: the lcore's refresh waits meanwhile. */
		rte_spinlock_lock(&dev->qps_snap->lock);
		n = dev->qps_snap->n;
		memcpy(qp, dev->qps_snap->qp, n * sizeof(*qp));
		rte_spinlock_unlock(&dev->qps_snap->lock);
		for (k = 0; k < n; k++) {
			struct rte_tel_data *q = rte_tel_data_alloc();

			if (q == NULL)
				break;
			rte_tel_data_start_dict(q);
			rte_tel_data_add_dict_string(q, "state", roce_qp_state_str(qp[k].state));
			rte_tel_data_add_dict_u64(q, "port", qp[k].port);
			rte_tel_data_add_dict_u64(q, "dest_qpn", qp[k].dest_qpn);
			rte_tel_data_add_dict_u64(q, "sq_psn", qp[k].sq_psn);
			rte_tel_data_add_dict_u64(q, "unacked_psn", qp[k].unacked_psn);
			rte_tel_data_add_dict_u64(q, "rq_psn", qp[k].rq_psn);
			rte_tel_data_add_dict_u64(q, "sq_outstanding", qp[k].sq_outstanding);
			rte_tel_data_add_dict_u64(q, "rq_posted", qp[k].rq_posted);
			snprintf(key, sizeof(key), "%s/%u", dev->name, qp[k].qpn);
			if (rte_tel_data_add_dict_container(d, key, q, 0) != 0) {
				rte_tel_data_free(q);	/* the reply is full */
				break;
			}
		}
	}
	rte_spinlock_unlock(&telemetry.lock);
	free(qp);
	return 0;
}

int
roce_stats_register(struct roce_dev *dev)
{
	unsigned int i;
	int rc = -ENOSPC;

	rte_spinlock_lock(&telemetry.lock);
	if (!telemetry.registered) {
		rte_telemetry_register_cmd("/roce/stats", telemetry_stats,
					   "RoCE device counters. Parameters: device name (optional)");
		rte_telemetry_register_cmd("/roce/qps", telemetry_qps,
					   "RoCE queue pairs out of RESET. Takes no parameters");
		telemetry.registered = true;
	}
	for (i = 0; i < ROCE_MAX_DEVS; i++)
		if (telemetry.dev[i] == NULL) {
			telemetry.dev[i] = dev;
			rc = 0;
			break;
		}
	rte_spinlock_unlock(&telemetry.lock);
	return rc;
}

void
roce_stats_unregister(struct roce_dev *dev)
{
	unsigned int i;

	rte_spinlock_lock(&telemetry.lock);
	for (i = 0; i < ROCE_MAX_DEVS; i++)
		if (telemetry.dev[i] == dev)
			telemetry.dev[i] = NULL;
	rte_spinlock_unlock(&telemetry.lock);
}
