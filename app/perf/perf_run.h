/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm-perf's RDMA side: one RC QP on one DPDK port, a region split into a
 * send half and a receive half (the receive half is what the keys message
 * advertises, as perftest does), and the bandwidth and latency loops of
 * ib_{write,read,send}_{bw,lat} on our transport.
 */
#ifndef PERF_RUN_H
#define PERF_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "idle_backoff.h"
#include "perf_oob.h"
#include "perf_stats.h"
#include "perf_sync.h"
#include "roce_verbs.h"

#define PERF_MAX_QPS	1024

struct perf_conf {
	enum perf_verb verb;
	unsigned int num_qps;		/* -q: bandwidth over this many QPs (0 = 1) */
	bool server;
	bool lat;			/* latency test, else bandwidth */
	bool duplex;			/* both sides run (-b) */
	uint64_t max_size;		/* the largest message of the run */
	uint64_t iters;
	uint32_t duration_ms;		/* bandwidth client: run this long, not iters */
	uint32_t margin_ms;		/* of it, left out of the rate at each end */
	uint32_t tx_depth;
	uint32_t rx_depth;
	bool verify;
	bool cmp_swap;			/* atomics: compare-and-swap, else fetch-and-add */
	int mtu;			/* ibv_mtu asked for; 0: the port's active MTU */
	uint16_t port_id;		/* DPDK port */
	uint32_t local_ip;		/* host order */
	bool fault_on;
	struct roce_fault_conf fault;	/* both directions of the port */
	uint32_t stall_ms;		/* no progress for this long fails the run */
	uint32_t psn;			/* our first PSN */
	/* Pre-assigned QPN, rkey and remote address of the receive half
	 * (0: allocate), to stand in for a recorded peer. */
	uint32_t qpn, rkey;
	uint64_t vaddr;
};

struct perf_ctx {
	struct perf_conf conf;
	struct roce_dev *dev;
	uint8_t port;
	struct roce_pd *pd;
	struct roce_mr *mr;
	struct roce_cq *cq;
	struct roce_qp *qp;		/* QP 0 */
	struct roce_qp *qps[PERF_MAX_QPS];	/* every QP; qps[0] == qp */
	unsigned int num_qps;
	uint8_t *buf;
	uint64_t half;			/* bytes in each half */
	int active_mtu;			/* the port's, an ibv_mtu */
	struct perf_dest my, rem;	/* QP 0's */
	struct perf_dest more_my[PERF_MAX_QPS], more_rem[PERF_MAX_QPS];	/* QP 1.. */
	uint64_t verified_bytes;
	bool qp_init;			/* the QP is in INIT (receives may be posted) */
	struct idle_backoff idle;	/* how the loops wait for the peer */
	char error[200];
};

/** Set up the device, port, region, CQ and QP; fill in ctx->my. @return 0 or -errno. */
int perf_ctx_init(struct perf_ctx *ctx, const struct perf_conf *conf);
/** Move the QPs to INIT, so receives can be posted before connecting. */
int perf_ctx_qp_init(struct perf_ctx *ctx);
/** Move QP 0 to RTS towards @p rem with @p path_mtu (ibv_mtu). */
int perf_ctx_connect(struct perf_ctx *ctx, const struct perf_dest *rem, int path_mtu);
/** Move every QP to RTS towards perf_rem() of each. */
int perf_ctx_connect_all(struct perf_ctx *ctx, int path_mtu);

/** QP @p i's keys, ours and the peer's. */
static inline struct perf_dest *
perf_my(struct perf_ctx *ctx, unsigned int i)
{
	return i == 0 ? &ctx->my : &ctx->more_my[i];
}

static inline struct perf_dest *
perf_rem(struct perf_ctx *ctx, unsigned int i)
{
	return i == 0 ? &ctx->rem : &ctx->more_rem[i];
}
void perf_ctx_fini(struct perf_ctx *ctx);

/** One poll of the device: the OOB exchange's progress hook. */
int perf_progress(void *ctx);

/**
 * Before a size's run: the server of a READ test writes the pattern its
 * client will read; the server of a SEND test posts its receives.
 */
int perf_prepare(struct perf_ctx *ctx, uint64_t size);

/** The client's bandwidth run (WRITE, READ, SEND), or the SEND server's. */
int perf_bw_run(struct perf_ctx *ctx, uint64_t size, struct perf_bw *bw);

/**
 * The WRITE server's check, once the client's report says what it wrote:
 * every slot holds the last message written there. @return 0, -EILSEQ.
 */
int perf_verify_written(struct perf_ctx *ctx, uint64_t size, uint64_t iters);

/** A latency run (both roles for WRITE and SEND, the client for READ). */
int perf_lat_run(struct perf_ctx *ctx, uint64_t size, struct perf_lat *lat);

/** Byte @p j of message @p i: both sides compute it (--verify). */
static inline uint8_t
perf_pattern(uint64_t i, uint64_t j)
{
	return (uint8_t)(i * 151u + (i >> 8) * 29u + j * 7u + (j >> 8) * 13u + 0x5a);
}

#endif /* PERF_RUN_H */
