/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fault matrix: every verb (WRITE, WRITE with immediate, READ, SEND,
 * SEND with immediate, compare-and-swap, fetch-and-add, and a mixed
 * stream), sizes 0, 1, MTU-1, MTU, MTU+1, 64 KiB and 1 MiB, 1 and 128 WRs
 * in flight, drop / duplicate / reorder / corrupt at 1, 5 and 20 % alone
 * and all together, on A->B, B->A or both directions, over two kinds of
 * port: a net_ring pair (RoCE MTU 1024) and vhost-user <-> virtio_user
 * (RoCE MTU 4096). Each cell is checked against a model: every WR
 * completes exactly once, in order, successfully; every byte written,
 * read or sent is the one the model says; every atomic returns the value
 * the model says and the remote word ends as the model ends.
 *
 * The whole matrix is 7,920 cells. By default a sample is run (a few cells
 * of every verb, chosen by a seed that is printed); MATRIX_SEED=N picks
 * another, MATRIX_CELLS=N another size, MATRIX_ALL=1 runs everything, and
 * MATRIX_CELL=kind,verb,size,depth,fault,dir with MATRIX_SEED=the cell's seed
 * runs one cell (as printed); MATRIX_BUDGET_MB sets the bytes per cell (4).
 * Time is simulated: a run repeats exactly.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <rte_bus_vdev.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_ring.h>

#include "roce_int.h"
#include "roce_stats.h"
#include "test_eal.h"

#define REGION		(40u << 20)	/* each node's registered memory */
#define STEP_NS		2000		/* simulated time per poll round */
#define QP_TIMEOUT	10		/* 4.096 us * 2^10 = 4.2 ms local ACK timeout */

/* ---- The dimensions ----------------------------------------------------- */

enum verb { V_WRITE, V_WRITE_IMM, V_READ, V_SEND, V_SEND_IMM, V_CAS, V_FAA, V_MIXED, NVERBS };
static const char *const verb_name[NVERBS] = {
	"write", "write_imm", "read", "send", "send_imm", "cas", "faa", "mixed",
};
enum kind { K_RING, K_VHOST, NKINDS };
static const char *const kind_name[NKINDS] = { "ring", "vhost" };
static const uint32_t kind_mtu[NKINDS] = { 1024, 4096 };
#define NSIZES 7	/* 0, 1, MTU-1, MTU, MTU+1, 64 KiB, 1 MiB */
static const uint32_t depths[] = { 1, 128 };
#define NDEPTHS 2
static const double rates[] = { 0.01, 0.05, 0.20 };
#define NFAULTS 15	/* drop, dup, reorder, corrupt, all: x 3 rates */
static const char *const fault_kind[5] = { "drop", "dup", "reorder", "corrupt", "all" };
enum dir { D_A2B, D_B2A, D_BOTH, NDIRS };
static const char *const dir_name[NDIRS] = { "a2b", "b2a", "both" };

struct cell {
	enum kind kind;
	enum verb verb;
	unsigned int size_idx, depth_idx, fault, dir;
};

static uint32_t
cell_size(const struct cell *c)
{
	uint32_t mtu = kind_mtu[c->kind];
	const uint32_t sizes[NSIZES] = { 0, 1, mtu - 1, mtu, mtu + 1, 64u << 10, 1u << 20 };

	return sizes[c->size_idx];
}

static void
cell_faults(const struct cell *c, uint64_t seed, struct roce_fault_conf *f)
{
	double r = rates[c->fault % 3];
	unsigned int k = c->fault / 3;

	memset(f, 0, sizeof(*f));
	f->seed = seed;
	if (k == 0 || k == 4)
		f->drop = r;
	if (k == 1 || k == 4)
		f->dup = r;
	if (k == 2 || k == 4)
		f->reorder = r;
	if (k == 3 || k == 4)
		f->corrupt = r;
}

static void
cell_name(const struct cell *c, char *buf, size_t len)
{
	snprintf(buf, len, "%s,%s,%u,%u,%s%.0f,%s", kind_name[c->kind], verb_name[c->verb],
		 cell_size(c), depths[c->depth_idx], fault_kind[c->fault / 3],
		 rates[c->fault % 3] * 100, dir_name[c->dir]);
}

/* ---- Two nodes per kind of port ----------------------------------------- */

struct node {
	const char *name;
	uint32_t ip;
	struct roce_dev *dev;
	uint8_t port;
	struct roce_pd *pd;
	struct roce_cq *cq;
	struct roce_qp *qp;
	uint8_t *buf;
	struct roce_mr *mr;
};

struct pair {
	bool ready;
	struct node a, b;
};

static struct pair pairs[NKINDS];
static uint64_t now_ns = 1000000;

static void
node_create(struct node *n, const char *name, uint32_t ip, uint16_t port_id)
{
	struct roce_dev_conf dconf = { .name = name, .nb_mbufs = 8191,
				       .socket_id = SOCKET_ID_ANY };
	struct roce_port_conf pconf = { .configure = true, .ipv4 = ip, .port_id = port_id };
	int rc;

	n->name = name;
	n->ip = ip;
	n->dev = roce_dev_create(&dconf);
	if (n->dev == NULL) {
		fprintf(stderr, "%s: device: %s\n", name, rte_strerror(rte_errno));
		exit(1);
	}
	rc = roce_dev_add_port(n->dev, &pconf);
	if (rc <= 0) {
		fprintf(stderr, "%s: port: %s\n", name, rte_strerror(-rc));
		exit(1);
	}
	n->port = rc;
	n->pd = roce_alloc_pd(n->dev);
	n->cq = roce_create_cq(n->dev, 4096);
	n->buf = rte_zmalloc("matrix_buf", REGION, 4096);
	n->mr = n->buf ? roce_reg_mr(n->pd, n->buf, REGION, IBV_ACCESS_LOCAL_WRITE |
				     IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
				     IBV_ACCESS_REMOTE_ATOMIC) : NULL;
	if (n->pd == NULL || n->cq == NULL || n->mr == NULL) {
		fprintf(stderr, "%s: set-up failed\n", name);
		exit(1);
	}
}

static void
ring_pair(struct pair *p)
{
	struct rte_ring *ab = rte_ring_create("mx_ab", 4096, SOCKET_ID_ANY,
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
	struct rte_ring *ba = rte_ring_create("mx_ba", 4096, SOCKET_ID_ANY,
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
	int pa, pb;

	pa = rte_eth_from_rings("net_ring_mxa", &ba, 1, &ab, 1, SOCKET_ID_ANY);
	pb = rte_eth_from_rings("net_ring_mxb", &ab, 1, &ba, 1, SOCKET_ID_ANY);
	if (pa < 0 || pb < 0) {
		fprintf(stderr, "ring pair: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	node_create(&p->a, "ringA", 0x0a590001, pa);
	node_create(&p->b, "ringB", 0x0a590002, pb);
	p->ready = true;
}

/*
 * vhost-user <-> virtio_user in one process: the vhost port is created and
 * started first, then virtio_user connects to its socket (hot-plug).
 */
static void
vhost_pair(struct pair *p)
{
	char sock[64], args[128];
	uint16_t pv, pu;
	struct rte_eth_link link;
	int i;

	snprintf(sock, sizeof(sock), "/tmp/ccm-matrix-%d.sock", getpid());
	unlink(sock);
	snprintf(args, sizeof(args), "iface=%s,queues=1", sock);
	if (rte_vdev_init("net_vhost_mx", args) != 0 ||
	    rte_eth_dev_get_port_by_name("net_vhost_mx", &pv) != 0) {
		fprintf(stderr, "vhost: cannot create net_vhost (%s): skipping that kind\n",
			rte_strerror(rte_errno));
		return;
	}
	node_create(&p->a, "vhostA", 0x0a5a0001, pv);
	snprintf(args, sizeof(args), "path=%s,queues=1", sock);
	if (rte_vdev_init("net_virtio_user_mx", args) != 0 ||
	    rte_eth_dev_get_port_by_name("net_virtio_user_mx", &pu) != 0) {
		fprintf(stderr, "virtio_user: %s\n", rte_strerror(rte_errno));
		exit(1);
	}
	node_create(&p->b, "vhostB", 0x0a5a0002, pu);
	for (i = 0; i < 500; i++) {
		if (rte_eth_link_get_nowait(pv, &link) == 0 && link.link_status)
			break;
		usleep(10000);
	}
	if (!link.link_status) {
		fprintf(stderr, "vhost: link never came up\n");
		exit(1);
	}
	p->ready = true;
	unlink(sock);
}

static void
poll_pair(struct pair *p)
{
	now_ns += STEP_NS;
	roce_dev_poll(p->a.dev, now_ns);
	roce_dev_poll(p->b.dev, now_ns);
}

static void
qp_create(struct node *n)
{
	struct roce_qp_init_attr init = {
		.send_cq = n->cq, .recv_cq = n->cq,
		.cap = { .max_send_wr = 256, .max_recv_wr = 512, .max_send_sge = 2,
			 .max_recv_sge = 2 },
	};

	n->qp = roce_create_qp(n->pd, &init);
	ck_assert_msg(n->qp != NULL, "create_qp: %s", rte_strerror(rte_errno));
}

/* RESET -> INIT -> RTR -> RTS (roce_qp_connect: ibv_modify_qp()'s three steps). */
static void
qp_up(struct node *n, const struct node *peer, uint32_t mtu, uint32_t my_psn, uint32_t peer_psn)
{
	struct roce_qp_conn conn = {
		.port = n->port,
		.access = IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE |
			  IBV_ACCESS_REMOTE_READ | IBV_ACCESS_REMOTE_ATOMIC,
		.path_mtu = mtu == 4096 ? IBV_MTU_4096 : IBV_MTU_1024,
		.dest_ip = peer->ip, .dest_qpn = roce_qp_num(peer->qp),
		.rq_psn = peer_psn, .sq_psn = my_psn,
		.max_rd_atomic = 16, .max_dest_rd_atomic = 16,
		.min_rnr_timer = 1, .timeout = QP_TIMEOUT, .retry_cnt = 7, .rnr_retry = 7,
	};
	int rc = roce_qp_connect(n->qp, &conn);

	ck_assert_msg(rc == 0, "QP %u: connect: %d, stopped in %s", roce_qp_num(n->qp), rc,
		      roce_qp_state_str(roce_qp_state(n->qp)));
}

/* ---- The model --------------------------------------------------------- */

static uint64_t
mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void
pattern(uint8_t *p, uint32_t len, uint64_t seed)
{
	uint64_t x = mix64(seed);
	uint32_t i;

	for (i = 0; i < len; i++) {
		if ((i & 7) == 0)
			x = mix64(x);
		p[i] = (uint8_t)(x >> ((i & 7) * 8));
	}
}

struct msg {
	enum verb verb;		/* never V_MIXED */
	uint32_t len;
	uint64_t expect;	/* atomics: the value returned */
};

struct run {
	const struct cell *c;
	uint64_t seed;
	struct node *a, *b;
	uint32_t n, depth, slot;	/* messages, WRs in flight, slot bytes */
	struct msg *msg;
	uint64_t word;			/* the model of B's atomic word */
	uint32_t posted, completed, received;
	uint32_t recv_expected;		/* messages that consume a receive WR */
	uint32_t *recv_seq;		/* message of each receive, in order */
	char name[96];
};

/* Where things are: A sends from [0, 16 MiB), B receives there; A reads
 * into [16, 32 MiB) from B's [16, 32 MiB); atomics return into A's last
 * MiB, B's word is at the start of its last MiB. */
#define SRC_OFF(r, i)	((uint64_t)((i) % (r)->depth) * (r)->slot)
#define READ_OFF(r, i)	((16ull << 20) + (uint64_t)((i) % (r)->depth) * (r)->slot)
#define ATOM_OFF(r, i)	((uint64_t)REGION - (1u << 20) + ((i) % (r)->depth) * 8ull)
#define WORD_OFF	((uint64_t)REGION - (1u << 20) + 65536)

static bool
verb_uses_recv(enum verb v)
{
	return v == V_WRITE_IMM || v == V_SEND || v == V_SEND_IMM;
}

static void
plan(struct run *r, uint32_t budget)
{
	uint32_t size = cell_size(r->c), i, nrecv = 0;
	uint64_t rng = r->seed;

	r->n = size == 0 ? 200 : budget / size;
	r->n = RTE_MAX(RTE_MIN(r->n, 200u), 8u);
	r->depth = RTE_MIN(depths[r->c->depth_idx], r->n);
	r->slot = RTE_ALIGN_CEIL(RTE_MAX(size, 8u), 64);
	while ((uint64_t)r->slot * r->depth > (16u << 20))
		r->depth /= 2;
	r->msg = calloc(r->n, sizeof(*r->msg));
	r->recv_seq = calloc(r->n, sizeof(*r->recv_seq));
	r->word = mix64(r->seed) & 0xffffffffffull;
	for (i = 0; i < r->n; i++) {
		struct msg *m = &r->msg[i];

		m->verb = r->c->verb;
		if (m->verb == V_MIXED) {
			rng = mix64(rng);
			m->verb = (enum verb)(rng % V_MIXED);
		}
		m->len = m->verb == V_CAS || m->verb == V_FAA ? 8 : size;
		/* Atomics run in posting order at B: the model is sequential. */
		if (m->verb == V_CAS) {
			m->expect = r->word;
			r->word = mix64(r->seed ^ i);
		} else if (m->verb == V_FAA) {
			m->expect = r->word;
			r->word += 2 * i + 1;
		}
		if (verb_uses_recv(m->verb))
			r->recv_seq[nrecv++] = i;
	}
	r->recv_expected = nrecv;
}

static void
post(struct run *r)
{
	uint32_t i = r->posted;
	const struct msg *m = &r->msg[i];
	struct ibv_sge sge = { .length = m->len, .lkey = roce_mr_lkey(r->a->mr) };
	struct ibv_send_wr wr = { .wr_id = i, .sg_list = &sge, .num_sge = 1,
				  .send_flags = IBV_SEND_SIGNALED,
				  .imm_data = rte_cpu_to_be_32(i) }, *bad;
	int rc;

	switch (m->verb) {
	case V_READ:
		/* B holds the bytes; A's landing slot is cleared. */
		pattern(r->b->buf + READ_OFF(r, i), m->len, r->seed + i);
		memset(r->a->buf + READ_OFF(r, i), 0, m->len);
		sge.addr = (uintptr_t)(r->a->buf + READ_OFF(r, i));
		wr.opcode = IBV_WR_RDMA_READ;
		wr.wr.rdma.remote_addr = (uintptr_t)(r->b->buf + READ_OFF(r, i));
		wr.wr.rdma.rkey = roce_mr_rkey(r->b->mr);
		break;
	case V_CAS:
	case V_FAA:
		sge.addr = (uintptr_t)(r->a->buf + ATOM_OFF(r, i));
		wr.opcode = m->verb == V_CAS ? IBV_WR_ATOMIC_CMP_AND_SWP :
					       IBV_WR_ATOMIC_FETCH_AND_ADD;
		wr.wr.atomic.remote_addr = (uintptr_t)(r->b->buf + WORD_OFF);
		wr.wr.atomic.rkey = roce_mr_rkey(r->b->mr);
		wr.wr.atomic.compare_add = m->verb == V_CAS ? m->expect : 2 * i + 1;
		wr.wr.atomic.swap = mix64(r->seed ^ i);
		break;
	default:
		pattern(r->a->buf + SRC_OFF(r, i), m->len, r->seed + i);
		memset(r->b->buf + SRC_OFF(r, i), 0, m->len);
		sge.addr = (uintptr_t)(r->a->buf + SRC_OFF(r, i));
		wr.opcode = m->verb == V_WRITE ? IBV_WR_RDMA_WRITE :
			    m->verb == V_WRITE_IMM ? IBV_WR_RDMA_WRITE_WITH_IMM :
			    m->verb == V_SEND ? IBV_WR_SEND : IBV_WR_SEND_WITH_IMM;
		wr.wr.rdma.remote_addr = (uintptr_t)(r->b->buf + SRC_OFF(r, i));
		wr.wr.rdma.rkey = roce_mr_rkey(r->b->mr);
		break;
	}
	if (verb_uses_recv(m->verb)) {
		/* A SEND lands in the same slot as a WRITE would. */
		struct ibv_sge rsge = { .addr = (uintptr_t)(r->b->buf + SRC_OFF(r, i)),
					.length = r->slot, .lkey = roce_mr_lkey(r->b->mr) };
		struct ibv_recv_wr rwr = { .wr_id = i, .sg_list = &rsge, .num_sge = 1 }, *rbad;

		ck_assert_int_eq(roce_post_recv(r->b->qp, &rwr, &rbad), 0);
	}
	rc = roce_post_send(r->a->qp, &wr, &bad);
	ck_assert_msg(rc == 0, "%s: post_send %u: %d", r->name, i, rc);
	r->posted++;
}

static void
dump_counters(const struct run *r)
{
	static const char *const names[] = {
		"req_pkts", "req_retransmits", "req_timeouts", "req_rto", "req_seq_nak_rcvd",
		"req_rnr_nak_rcvd", "req_err_nak_rcvd", "req_read_gap", "req_dup_resp",
		"req_bad_resp", "req_retry_exceeded", "resp_pkts", "resp_dup", "resp_out_of_seq",
		"resp_seq_nak_sent", "resp_access_nak_sent", "resp_invalid_nak_sent",
		"resp_read_resp_sent", "resp_read_replay", "resp_atomic_replay", "rx_bad_icrc",
		"qp_to_error",
	};
	unsigned int i;

	for (i = 0; i < RTE_DIM(names); i++)
		fprintf(stderr, "  %-22s A %8lu  B %8lu\n", names[i],
			(unsigned long)roce_stats_get(r->a->dev, names[i]),
			(unsigned long)roce_stats_get(r->b->dev, names[i]));
}

/* The sender's completion of message @p i: its own checks. */
static void
sender_done(struct run *r, const struct ibv_wc *wc)
{
	uint32_t i = r->completed;
	const struct msg *m = &r->msg[i];
	uint8_t *expect;

	if (wc->status != IBV_WC_SUCCESS && getenv("MATRIX_VERBOSE"))
		dump_counters(r);
	ck_assert_msg(wc->status == IBV_WC_SUCCESS && wc->wr_id == i,
		      "%s: sender: expected completion %u, got %lu %s", r->name, i,
		      (unsigned long)wc->wr_id, ibv_wc_status_str(wc->status));
	switch (m->verb) {
	case V_CAS:
	case V_FAA: {
		uint64_t got;

		memcpy(&got, r->a->buf + ATOM_OFF(r, i), 8);
		ck_assert_msg(got == m->expect, "%s: atomic %u returned %#lx, model %#lx",
			      r->name, i, (unsigned long)got, (unsigned long)m->expect);
		break;
	}
	case V_READ:
		expect = malloc(m->len + 1);
		pattern(expect, m->len, r->seed + i);
		ck_assert_msg(memcmp(r->a->buf + READ_OFF(r, i), expect, m->len) == 0,
			      "%s: READ %u: data differs", r->name, i);
		free(expect);
		break;
	case V_WRITE:
		/* The ACK means the bytes are in place. */
		expect = malloc(m->len + 1);
		pattern(expect, m->len, r->seed + i);
		ck_assert_msg(memcmp(r->b->buf + SRC_OFF(r, i), expect, m->len) == 0,
			      "%s: WRITE %u: data differs", r->name, i);
		free(expect);
		break;
	default:
		break;	/* checked by the receiver */
	}
	r->completed++;
}

static void
receiver_done(struct run *r, const struct ibv_wc *wc)
{
	uint32_t i = r->recv_seq[r->received];
	const struct msg *m = &r->msg[i];
	uint8_t *expect;

	ck_assert_msg(wc->status == IBV_WC_SUCCESS && wc->wr_id == i,
		      "%s: receiver: expected message %u, got %lu %s", r->name, i,
		      (unsigned long)wc->wr_id, ibv_wc_status_str(wc->status));
	ck_assert_msg(wc->byte_len == m->len, "%s: message %u: %u bytes, expected %u", r->name,
		      i, wc->byte_len, m->len);
	if (m->verb != V_SEND)
		ck_assert_msg((wc->wc_flags & IBV_WC_WITH_IMM) &&
			      rte_be_to_cpu_32(wc->imm_data) == i,
			      "%s: message %u: immediate missing or wrong", r->name, i);
	expect = malloc(m->len + 1);
	pattern(expect, m->len, r->seed + i);
	ck_assert_msg(memcmp(r->b->buf + SRC_OFF(r, i), expect, m->len) == 0,
		      "%s: message %u (%s): data differs", r->name, i, verb_name[m->verb]);
	free(expect);
	r->received++;
}

static void
set_faults(struct run *r, const struct roce_fault_conf *f)
{
	struct roce_fault_conf off = { 0 }, fb = *f;

	fb.seed = f->seed ^ 0x5555;
	ck_assert_int_eq(roce_dev_set_fault(r->a->dev, r->a->port, ROCE_FAULT_TX,
					    r->c->dir != D_B2A ? f : &off), 0);
	ck_assert_int_eq(roce_dev_set_fault(r->b->dev, r->b->port, ROCE_FAULT_TX,
					    r->c->dir != D_A2B ? &fb : &off), 0);
}

static uint64_t
fault_count(const struct node *n, unsigned int first, unsigned int last)
{
	const struct roce_fault *f = &n->dev->port[n->port - 1].fault[ROCE_FAULT_TX];
	uint64_t sum = 0;
	unsigned int k;

	for (k = first; k <= last; k++)
		sum += f->count[k];
	return sum;
}

static bool
holds_frames(const struct node *n)
{
	const struct roce_port *port = &n->dev->port[n->port - 1];
	int d;

	if (port->tx_count != 0)
		return true;
	for (d = 0; d < ROCE_FAULT_NDIR; d++)
		if (port->fault[d].delayed_count != 0 || port->fault[d].reorder_held != NULL)
			return true;
	return false;
}

/* Totals over the whole run, for the long mode's summary. */
static struct {
	uint64_t cells, data_pkts, sent_pkts, sim_ns;
} totals;

static void
run_cell(const struct cell *c, uint64_t seed, uint32_t budget)
{
	struct pair *p = &pairs[c->kind];
	struct roce_fault_conf f, off = { 0 };
	struct run r = { .c = c, .seed = seed, .a = &p->a, .b = &p->b };
	uint64_t start_ns = now_ns, deadline, inj, seen;
	uint64_t tx0 = roce_stats_get(p->a.dev, "tx_frames") + roce_stats_get(p->b.dev, "tx_frames");
	struct ibv_wc wc[64];
	uint32_t data_pkts = 0, i;
	int k, n;

	cell_name(c, r.name, sizeof(r.name));
	snprintf(r.name + strlen(r.name), sizeof(r.name) - strlen(r.name), " seed %lu",
		 (unsigned long)seed);
	plan(&r, budget);
	memcpy(p->b.buf + WORD_OFF, &(uint64_t){ mix64(seed) & 0xffffffffffull }, 8);
	qp_create(&p->a);
	qp_create(&p->b);
	qp_up(&p->a, &p->b, kind_mtu[c->kind], seed & 0xffffff, (seed >> 24) & 0xffffff);
	qp_up(&p->b, &p->a, kind_mtu[c->kind], (seed >> 24) & 0xffffff, seed & 0xffffff);
	cell_faults(c, seed, &f);
	set_faults(&r, &f);

	deadline = now_ns + 300ull * 1000000000;
	while ((r.completed < r.n || r.received < r.recv_expected) && now_ns < deadline) {
		while (r.posted < r.n && r.posted - r.completed < r.depth)
			post(&r);
		poll_pair(p);
		n = roce_poll_cq(p->a.cq, 64, wc);
		for (k = 0; k < n; k++)
			sender_done(&r, &wc[k]);
		n = roce_poll_cq(p->b.cq, 64, wc);
		for (k = 0; k < n; k++)
			receiver_done(&r, &wc[k]);
	}
	if (r.completed != r.n || r.received != r.recv_expected) {
		const struct roce_qp *qa = p->a.qp, *qb = p->b.qp;
		uint32_t w;

		fprintf(stderr, "%s stuck: A req psn %u max %u comp psn %u acked %u cwnd %u "
			"rereads %u sq %u/%u/%u rnr_until %lu progress %lu now %lu; B resp psn %u "
			"msg %d nak_out %d seq_nak_due %d ack_pending %d\n", r.name,
			qa->req.psn, qa->req.max_psn, qa->comp.psn, qa->comp.acked_psn,
			roce_window_size(&qa->win), qa->req.rereads, qa->sq_tail, qa->sq_cur,
			qa->sq_head, (unsigned long)qa->req.rnr_until_ns,
			(unsigned long)qa->comp.progress_ns, (unsigned long)now_ns, qb->resp.psn,
			qb->resp.msg, qb->resp.nak_outstanding, qb->resp.seq_nak_due,
			qb->resp.ack_pending);
		for (w = qa->sq_tail; w != qa->sq_head; w++) {
			const struct roce_send_wqe *e = &qa->sq[w & qa->sq_mask];

			fprintf(stderr, "  wqe %u: state %d first %u npkts %u resp %u done %d\n", w,
				e->state, e->first_psn, e->npkts, e->resp_bytes, e->resp_done);
		}
		dump_counters(&r);
	}
	ck_assert_msg(r.completed == r.n && r.received == r.recv_expected,
		      "%s: after 300 s simulated: %u of %u completed, %u of %u received "
		      "(A: %s, B: %s)", r.name, r.completed, r.n, r.received, r.recv_expected,
		      roce_qp_state(p->a.qp) == IBV_QPS_ERR ? "ERR" : "ok",
		      roce_qp_state(p->b.qp) == IBV_QPS_ERR ? "ERR" : "ok");
	{
		uint64_t word;

		memcpy(&word, p->b.buf + WORD_OFF, 8);
		ck_assert_msg(word == r.word, "%s: remote word %#lx, model %#lx", r.name,
			      (unsigned long)word, (unsigned long)r.word);
	}
	/* The faults really happened: when 20 or more were expected. */
	inj = fault_count(&p->a, ROCE_FAULT_DROPPED, ROCE_FAULT_DELAYED) +
	      fault_count(&p->b, ROCE_FAULT_DROPPED, ROCE_FAULT_DELAYED);
	seen = fault_count(&p->a, ROCE_FAULT_SEEN, ROCE_FAULT_SEEN) +
	       fault_count(&p->b, ROCE_FAULT_SEEN, ROCE_FAULT_SEEN);
	ck_assert_msg(inj > 0 || seen * rates[c->fault % 3] < 20,
		      "%s: no fault was injected in %lu frames", r.name, (unsigned long)seen);
	for (i = 0; i < r.n; i++)
		data_pkts += RTE_MAX((r.msg[i].len + kind_mtu[c->kind] - 1) / kind_mtu[c->kind], 1u);
	totals.cells++;
	totals.data_pkts += data_pkts;
	totals.sent_pkts += roce_stats_get(p->a.dev, "tx_frames") +
			    roce_stats_get(p->b.dev, "tx_frames") - tx0;
	totals.sim_ns += now_ns - start_ns;

	/* Faults off; nothing more may complete: exactly once. */
	set_faults(&r, &off);
	for (i = 0; i < 20000; i++) {
		poll_pair(p);
		if (i > 500 && !holds_frames(&p->a) && !holds_frames(&p->b))
			break;
	}
	ck_assert_msg(roce_poll_cq(p->a.cq, 64, wc) == 0, "%s: a completion too many", r.name);
	ck_assert_msg(roce_poll_cq(p->b.cq, 64, wc) == 0, "%s: a receive too many", r.name);
	roce_destroy_qp(p->a.qp);
	roce_destroy_qp(p->b.qp);
	roce_dev_discard_tx(p->a.dev);
	roce_dev_discard_tx(p->b.dev);
	/* virtio frees what it sent only when it sends more (and has no
	 * tx_done_cleanup): pings push the last frames out of its ring. */
	for (i = 0; i < 4096 && (p->a.mr->frames_out != 0 || p->b.mr->frames_out != 0); i++) {
		roce_dev_port_ping(p->a.dev, p->a.port, p->b.ip, i, NULL, 0);
		roce_dev_port_ping(p->b.dev, p->b.port, p->a.ip, i, NULL, 0);
		poll_pair(p);
	}
	ck_assert_msg(p->a.mr->frames_out == 0 && p->b.mr->frames_out == 0,
		      "%s: frames still reference the regions", r.name);
	free(r.msg);
	free(r.recv_seq);
}

/* ---- Which cells ------------------------------------------------------- */

static bool
cell_valid(const struct cell *c)
{
	/* Atomics have one size (8 bytes), run with the size index 0 cell. */
	if ((c->verb == V_CAS || c->verb == V_FAA) && c->size_idx != 0)
		return false;
	return pairs[c->kind].ready;
}

static void
cell_from_index(unsigned int idx, struct cell *c)
{
	c->dir = idx % NDIRS;
	idx /= NDIRS;
	c->fault = idx % NFAULTS;
	idx /= NFAULTS;
	c->depth_idx = idx % NDEPTHS;
	idx /= NDEPTHS;
	c->size_idx = idx % NSIZES;
	idx /= NSIZES;
	c->verb = idx % NVERBS;
	idx /= NVERBS;
	c->kind = idx % NKINDS;
}

#define NCELLS (NDIRS * NFAULTS * NDEPTHS * NSIZES * NVERBS * NKINDS)

static uint64_t matrix_seed;
static unsigned int sample_per_verb;
static uint32_t budget_bytes;	/* bytes per cell (MATRIX_BUDGET_MB, default 4) */

/* A sample: for each kind and verb, cells drawn from the seed. Every
 * drawn cell is run: exactly once, in order, byte for byte. */
START_TEST(sampled_cells)
{
	uint64_t rng = matrix_seed;
	unsigned int kind = _i, v, k, tries;
	char name[96];

	for (v = 0; v < NVERBS; v++) {
		for (k = 0; k < sample_per_verb; k++) {
			struct cell c;

			for (tries = 0; tries < 1000; tries++) {
				rng = mix64(rng);
				cell_from_index(rng % NCELLS, &c);
				c.kind = kind;
				c.verb = v;
				if (cell_valid(&c))
					break;
			}
			if (!cell_valid(&c))
				continue;
			cell_name(&c, name, sizeof(name));
			if (getenv("MATRIX_VERBOSE"))
				fprintf(stderr, "cell %s seed %lu\n", name, (unsigned long)rng);
			run_cell(&c, rng, budget_bytes);
		}
	}
}
END_TEST

START_TEST(every_cell)
{
	unsigned int idx;
	char name[96];

	for (idx = 0; idx < NCELLS; idx++) {
		struct cell c;

		cell_from_index(idx, &c);
		if (!cell_valid(&c))
			continue;
		cell_name(&c, name, sizeof(name));
		fprintf(stderr, "cell %u: %s\n", idx, name);
		run_cell(&c, mix64(matrix_seed + idx), budget_bytes);
	}
}
END_TEST

static int
parse_index(const char *s, const char *const *names, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* MATRIX_CELL=kind,verb,size,depth,faultRATE,dir (as printed) SEED */
START_TEST(one_cell)
{
	char spec[128], *tok[6], *save = NULL, *s;
	struct cell c = { 0 };
	unsigned int i, size, depth;
	double rate;
	int k;

	snprintf(spec, sizeof(spec), "%s", getenv("MATRIX_CELL"));
	for (i = 0, s = spec; i < 6; i++, s = NULL)
		ck_assert_msg((tok[i] = strtok_r(s, ", ", &save)) != NULL, "MATRIX_CELL: 6 fields");
	ck_assert((k = parse_index(tok[0], kind_name, NKINDS)) >= 0);
	c.kind = k;
	ck_assert((k = parse_index(tok[1], verb_name, NVERBS)) >= 0);
	c.verb = k;
	size = atoi(tok[2]);
	for (i = 0; i < NSIZES; i++) {
		c.size_idx = i;
		if (cell_size(&c) == size)
			break;
	}
	depth = atoi(tok[3]);
	c.depth_idx = depth == 1 ? 0 : 1;
	for (i = 0; i < 5; i++)
		if (strncmp(tok[4], fault_kind[i], strlen(fault_kind[i])) == 0)
			break;
	rate = atof(tok[4] + strlen(fault_kind[i < 5 ? i : 0])) / 100;
	c.fault = i * 3 + (rate > 0.1 ? 2 : rate > 0.02 ? 1 : 0);
	ck_assert((k = parse_index(tok[5], dir_name, NDIRS)) >= 0);
	c.dir = k;
	run_cell(&c, matrix_seed, budget_bytes);
}
END_TEST

static void
node_destroy(struct node *n)
{
	roce_dereg_mr(n->mr);
	rte_free(n->buf);
	roce_destroy_cq(n->cq);
	roce_dealloc_pd(n->pd);
	if (roce_dev_destroy(n->dev) != 0)
		fprintf(stderr, "%s: device still busy at exit\n", n->name);
}

/* Everything torn down, the virtual devices removed: what is left at
 * exit is a leak (LeakSanitizer says so). */
static void
pairs_destroy(void)
{
	unsigned int k;

	/* virtio_user (b) before the vhost port it talks to (a): stopping
	 * it sends on the vhost-user socket. */
	signal(SIGPIPE, SIG_IGN);
	for (k = 0; k < NKINDS; k++) {
		if (!pairs[k].ready)
			continue;
		node_destroy(&pairs[k].b);
		node_destroy(&pairs[k].a);
	}
	if (pairs[K_VHOST].ready) {
		rte_vdev_uninit("net_virtio_user_mx");
		rte_vdev_uninit("net_vhost_mx");
	}
}

int
main(int argc, char **argv)
{
	Suite *s = suite_create("matrix");
	TCase *tc = tcase_create("cells");
	const char *env;
	int failed;

	(void)argc;
	if (test_eal_init(argv[0], "matrix", 900) != 0)
		return 1;
	if (getenv("MATRIX_VERBOSE"))
		rte_log_set_level_pattern("roce", RTE_LOG_DEBUG);
	ring_pair(&pairs[K_RING]);
	vhost_pair(&pairs[K_VHOST]);
	env = getenv("MATRIX_SEED");
	matrix_seed = env ? strtoull(env, NULL, 0) : (uint64_t)time(NULL);
	env = getenv("MATRIX_BUDGET_MB");
	budget_bytes = (env ? (uint32_t)atoi(env) : 4u) << 20;
	env = getenv("MATRIX_CELLS");
	sample_per_verb = env ? (unsigned int)atoi(env) : 3;
	printf("matrix seed %lu (MATRIX_SEED=%lu repeats this run)\n",
	       (unsigned long)matrix_seed, (unsigned long)matrix_seed);
	tcase_set_timeout(tc, 3600 * 24);
	if (getenv("MATRIX_CELL"))
		tcase_add_test(tc, one_cell);
	else if (getenv("MATRIX_ALL"))
		tcase_add_test(tc, every_cell);
	else
		tcase_add_loop_test(tc, sampled_cells, 0, NKINDS);
	suite_add_tcase(s, tc);
	failed = test_run_nofork(s);
	pairs_destroy();
	rte_eal_cleanup();
	printf("%lu cells, %lu data packets, %lu frames sent (%.2f per data packet), "
	       "%.3f s simulated\n", (unsigned long)totals.cells, (unsigned long)totals.data_pkts,
	       (unsigned long)totals.sent_pkts,
	       totals.data_pkts ? (double)totals.sent_pkts / totals.data_pkts : 0.0,
	       totals.sim_ns / 1e9);
	return failed ? 1 : 0;
}
