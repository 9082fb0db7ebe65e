/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: an adversarial peer against a live responder.
 *
 * One device (script_peer.h) with an RC QP in RTS holds four regions: one
 * remote read/write/atomic, one remote read only, one remote atomic only,
 * one local only, each between guard bytes. An input is a list of frames
 * the peer sends; each record holds the transport bytes (BTH onwards) and
 * the target wraps them in Ethernet/IPv4/UDP with the right addresses and
 * a valid ICRC, so they get past the parser to the transport; flags in the
 * record may aim the BTH at the QP and at the PSN it expects.
 *
 * After every input: nothing crashed (ASan, UBSan); no byte changed
 * outside what the peer may write (the read-write region, the atomic
 * word region, the receive buffers); and whenever the QP is reset, every
 * mbuf is back in its pool (nothing leaked).
 *
 * FUZZ_RESPONDER_SEEDS=DIR writes a seed corpus (one valid request of
 * each kind) to DIR and exits.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>

#include <rte_eal.h>
#include <rte_ip.h>
#include <rte_malloc.h>
#include <rte_udp.h>

#include "script_peer.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REGION		8192
#define GUARD		256
#define IOVA_RW		0x100000ull	/* remote read, write, atomic */
#define IOVA_RO		0x200000ull	/* remote read only */
#define IOVA_ATOMIC	0x300000ull	/* remote atomic only */
#define IOVA_LOCAL	0x400000ull	/* no remote access */
#define KEY_RW		0x1100
#define KEY_RO		0x1200
#define KEY_ATOMIC	0x1300
#define KEY_LOCAL	0x1400

/* Record flags (first byte). */
#define F_AIM_QP	0x01	/* BTH destination QP := the QP under test */
#define F_AIM_PSN	0x02	/* BTH PSN := the PSN the responder expects */
#define F_BAD_ICRC	0x04	/* flip the ICRC: must be dropped */
#define F_POLL		0x08	/* let time pass after this frame */

enum { R_RW, R_RO, R_ATOMIC, R_LOCAL, NREGIONS };

static struct sp S;
static uint8_t *arena;			/* guard | region | guard, four times */
static uint8_t *snapshot;
static struct roce_mr *mr[NREGIONS];
static uint8_t *recv_buf;		/* receive buffers: SENDs may write them */
static struct roce_mr *recv_mr;
static uint64_t inputs;

static void
expect(int cond, const char *what)
{
	if (!cond) {
		fprintf(stderr, "fuzz_responder: %s\n", what);
		abort();
	}
}

static uint8_t *
region(int r)
{
	return arena + GUARD + r * (REGION + 2 * GUARD);
}

#define ARENA_SIZE	(NREGIONS * (REGION + 2 * GUARD) + 2 * REGION)

static void
post_receives(void)
{
	struct ibv_sge sge = { .length = 1024, .lkey = roce_mr_lkey(recv_mr) };
	struct ibv_recv_wr wr = { .sg_list = &sge, .num_sge = 1 }, *bad;
	int i;

	for (i = 0; i < 4; i++) {
		sge.addr = (uintptr_t)(recv_buf + i * 1024);
		if (roce_post_recv(S.qp, &wr, &bad) != 0)
			break;
	}
}

static void
connect_qp(void)
{
	sp_connect(&S, IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			IBV_ACCESS_REMOTE_ATOMIC, 4, 12);
	post_receives();
}

/* Everything outside the peer's writable memory is as it was. */
static void
check_memory(void)
{
	size_t off = 0;
	int r;

	for (r = 0; r < NREGIONS; r++) {
		size_t span = REGION + 2 * GUARD;

		if (r == R_RW || r == R_ATOMIC) {
			/* Its guards only: the region itself may change. */
			expect(memcmp(arena + off, snapshot + off, GUARD) == 0,
			       "a guard before a writable region changed");
			expect(memcmp(arena + off + GUARD + REGION, snapshot + off + GUARD + REGION,
				      GUARD) == 0, "a guard after a writable region changed");
		} else {
			expect(memcmp(arena + off, snapshot + off, span) == 0,
			       "a region the peer may not write changed");
		}
		off += span;
	}
	/* Past the receive buffers (which SENDs may write). */
	expect(memcmp(arena + off + REGION, snapshot + off + REGION, REGION) == 0,
	       "memory past the receive buffers changed");
}

static void
reset_qp(void)
{
	struct ibv_wc wc[64];

	sp_disconnect(&S);
	while (roce_poll_cq(S.cq, 64, wc) > 0)
		;
	expect(rte_mempool_full(S.dev->hdr_pool), "header mbufs leaked");
	expect(rte_mempool_full(S.dev->ext_pool), "attached mbufs leaked");
	expect(S.dev->copy_pool == NULL || rte_mempool_full(S.dev->copy_pool),
	       "READ response copies leaked");
	connect_qp();
}

/* One record: flags, length, then @p pkt's transport bytes (no ICRC). */
static size_t
seed_record(uint8_t *out, uint8_t flags, struct roce_pkt *pkt, const void *payload,
	    uint32_t len)
{
	uint8_t frame[SP_MAX_FRAME];
	int n;
	uint32_t t;

	pkt->dqpn = roce_qp_num(S.qp);
	pkt->pkey = ROCE_DEFAULT_PKEY;
	pkt->payload_len = len;
	n = roce_build_flat(&roce_crc32_isal, pkt, payload, frame, sizeof(frame));
	expect(n > 0, "seed frame");
	t = n - 4 - pkt->bth_off;
	out[0] = flags;
	out[1] = t >> 8;
	out[2] = t;
	memcpy(out + 3, frame + pkt->bth_off, t);
	return t + 3;
}

/* A seed corpus: one valid request of each kind, aimed at the QP and at
 * the PSN it expects, at each region. @return exit status. */
static int
write_seeds(const char *dir)
{
	static const struct {
		uint8_t opcode;
		uint64_t va;
		uint32_t key, len;
	} seeds[] = {
		{ ROCE_OP_WRITE_ONLY, IOVA_RW + 64, KEY_RW, 100 },
		{ ROCE_OP_WRITE_ONLY, IOVA_RO + 64, KEY_RO, 100 },
		{ ROCE_OP_WRITE_ONLY_IMM, IOVA_RW, KEY_RW, 32 },
		{ ROCE_OP_WRITE_FIRST, IOVA_RW, KEY_RW, 1024 },
		{ ROCE_OP_READ_REQUEST, IOVA_RO, KEY_RO, 3000 },
		{ ROCE_OP_READ_REQUEST, IOVA_LOCAL, KEY_LOCAL, 64 },
		{ ROCE_OP_COMPARE_SWAP, IOVA_ATOMIC + 8, KEY_ATOMIC, 0 },
		{ ROCE_OP_FETCH_ADD, IOVA_RW + 16, KEY_RW, 0 },
		{ ROCE_OP_FETCH_ADD, IOVA_RO, KEY_RO, 0 },
		{ ROCE_OP_SEND_ONLY, 0, 0, 200 },
		{ ROCE_OP_SEND_FIRST, 0, 0, 1024 },
	};
	uint8_t payload[1024], buf[8192];
	unsigned int i;

	memset(payload, 0xa5, sizeof(payload));
	for (i = 0; i < RTE_DIM(seeds); i++) {
		struct roce_pkt pkt;
		char path[512];
		size_t n = 0;
		FILE *f;

		memset(&pkt, 0, sizeof(pkt));
		pkt.opcode = seeds[i].opcode;
		pkt.ackreq = true;
		pkt.reth.va = pkt.atmeth.va = seeds[i].va;
		pkt.reth.rkey = pkt.atmeth.rkey = seeds[i].key;
		pkt.reth.dma_len = seeds[i].len;
		pkt.atmeth.swap_add = 5;
		if (pkt.opcode == ROCE_OP_WRITE_FIRST || pkt.opcode == ROCE_OP_SEND_FIRST) {
			/* FIRST, then LAST at the next PSN (not aimed: the PSN follows). */
			pkt.reth.dma_len = 1024 + 16;
			n = seed_record(buf, F_AIM_QP | F_AIM_PSN, &pkt, payload, 1024);
			memset(&pkt, 0, sizeof(pkt));
			pkt.opcode = seeds[i].opcode == ROCE_OP_WRITE_FIRST ? ROCE_OP_WRITE_LAST :
									    ROCE_OP_SEND_LAST;
			pkt.ackreq = true;
			pkt.psn = S.qp->resp.psn + 1;
			n += seed_record(buf + n, F_AIM_QP | F_POLL, &pkt, payload, 16);
		} else {
			uint32_t len = (pkt.opcode == ROCE_OP_READ_REQUEST ||
					pkt.opcode == ROCE_OP_COMPARE_SWAP ||
					pkt.opcode == ROCE_OP_FETCH_ADD) ? 0 : seeds[i].len;

			n = seed_record(buf, F_AIM_QP | F_AIM_PSN | F_POLL, &pkt, payload, len);
		}
		snprintf(path, sizeof(path), "%s/seed-%02u", dir, i);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(buf, 1, n, f) != n) {
			perror(path);
			return 1;
		}
		fclose(f);
	}
	return 0;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char prefix[64];
	char *eal_argv[] = { (*argv)[0], "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
			     prefix, "--log-level=lib.eal:error", "--log-level=roce:error", NULL };
	static const unsigned int access[NREGIONS] = {
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			IBV_ACCESS_REMOTE_ATOMIC,
		IBV_ACCESS_REMOTE_READ,
		IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_ATOMIC,
		IBV_ACCESS_LOCAL_WRITE,
	};
	static const uint64_t iova[NREGIONS] = { IOVA_RW, IOVA_RO, IOVA_ATOMIC, IOVA_LOCAL };
	static const uint32_t key[NREGIONS] = { KEY_RW, KEY_RO, KEY_ATOMIC, KEY_LOCAL };
	int r;

	(void)argc;
	snprintf(prefix, sizeof(prefix), "--file-prefix=fuzz-resp-%d", getpid());
	expect(rte_eal_init(RTE_DIM(eal_argv) - 1, eal_argv) >= 0, "rte_eal_init");
	sp_create(&S, "fuzz");
	arena = rte_zmalloc("fuzz_arena", ARENA_SIZE, 4096);
	snapshot = malloc(ARENA_SIZE);
	expect(arena != NULL && snapshot != NULL, "memory");
	for (r = 0; r < NREGIONS; r++) {
		size_t i;

		for (i = 0; i < REGION + 2 * GUARD; i++)
			region(r)[(ssize_t)i - GUARD] = (uint8_t)(r * 37 + i * 13);
		mr[r] = roce_reg_mr_fixed(S.pd, region(r), REGION, iova[r], access[r], key[r]);
		expect(mr[r] != NULL, "region");
	}
	recv_buf = arena + NREGIONS * (REGION + 2 * GUARD);
	recv_mr = roce_reg_mr(S.pd, recv_buf, REGION, IBV_ACCESS_LOCAL_WRITE);
	expect(recv_mr != NULL, "receive buffers");
	memcpy(snapshot, arena, ARENA_SIZE);
	connect_qp();
	if (getenv("FUZZ_RESPONDER_SEEDS"))
		exit(write_seeds(getenv("FUZZ_RESPONDER_SEEDS")));
	return 0;
}

/* Ethernet + IPv4 + UDP around @p bth (BTH onwards, no ICRC), ICRC added. */
static uint32_t
wrap(uint8_t *frame, const uint8_t *bth, uint32_t len, uint8_t flags)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)frame;
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	struct rte_udp_hdr *udp = (struct rte_udp_hdr *)(ip + 1);
	uint8_t *p = (uint8_t *)(udp + 1);
	uint32_t total = (uint32_t)(p - frame) + len, icrc;
	struct roce_buf seg = { .data = frame, .len = total };

	eth->dst_addr = S.dut_mac;
	eth->src_addr = S.peer_mac;
	eth->ether_type = RTE_BE16(RTE_ETHER_TYPE_IPV4);
	memset(ip, 0, sizeof(*ip));
	ip->version_ihl = RTE_IPV4_VHL_DEF;
	ip->total_length = rte_cpu_to_be_16(sizeof(*ip) + sizeof(*udp) + len + 4);
	ip->fragment_offset = RTE_BE16(RTE_IPV4_HDR_DF_FLAG);
	ip->time_to_live = 64;
	ip->next_proto_id = IPPROTO_UDP;
	ip->src_addr = rte_cpu_to_be_32(SP_PEER_IP);
	ip->dst_addr = rte_cpu_to_be_32(SP_DUT_IP);
	ip->hdr_checksum = rte_ipv4_cksum(ip);
	udp->src_port = RTE_BE16(0xc000);
	udp->dst_port = RTE_BE16(4791);
	udp->dgram_len = rte_cpu_to_be_16(sizeof(*udp) + len + 4);
	udp->dgram_cksum = 0;
	memcpy(p, bth, len);
	if (flags & F_AIM_QP) {
		uint32_t qpn = roce_qp_num(S.qp);

		p[5] = qpn >> 16;
		p[6] = qpn >> 8;
		p[7] = qpn;
	}
	if (flags & F_AIM_PSN) {
		uint32_t psn = S.qp->resp.psn;

		p[9] = psn >> 16;
		p[10] = psn >> 8;
		p[11] = psn;
	}
	icrc = roce_icrc_calc(&roce_crc32_isal, &seg, 1, sizeof(*eth), sizeof(*ip), total);
	roce_icrc_store(frame + total, (flags & F_BAD_ICRC) ? ~icrc : icrc);
	return total + 4;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[SP_MAX_FRAME + 64];
	struct sp_frame f;
	size_t pos = 0;
	int frames = 0, i;

	inputs++;
	while (pos + 3 <= size && frames < 32) {
		uint8_t flags = data[pos];
		uint32_t len = (uint32_t)data[pos + 1] << 8 | data[pos + 2];
		uint32_t n;

		pos += 3;
		if (len > size - pos)
			len = size - pos;
		if (len < 12 || len > 4096 + 64)
			break;
		n = wrap(frame, data + pos, len, flags);
		pos += len;
		if (n != 0 && sp_send_raw(&S, frame, n) == 0)
			frames++;
		if (flags & F_POLL)
			sp_poll(&S, 50000);
	}
	/* Let the responder answer and its timers run, then take what it sent. */
	for (i = 0; i < 8; i++) {
		sp_poll(&S, 2000);
		while (sp_recv(&S, &f))
			;
	}
	sp_flush(&S);
	check_memory();
	if (roce_qp_state(S.qp) != IBV_QPS_RTS || inputs % 1000 == 0)
		reset_qp();
	else if (S.qp->rq_head - S.qp->rq_tail < 4)
		post_receives();
	return 0;
}
