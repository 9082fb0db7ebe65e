/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ICRC throughput. Part 1: what each CRC-32 implementation costs per
 * RDMA_WRITE_ONLY frame (64 B, 1 KiB, 4 KiB payload) when the ICRC is
 * taken over the zero-copy layout, headers | payload. Part 2 (receive
 * path, exploratory): verifying the ICRC and copying the payload out,
 * in either order or interleaved chunk by chunk.
 *
 * The machines we measure on are noisy 2-vCPU guests whose speed swings
 * invisibly (docs/perf.md): every figure is the median of several timed
 * runs with its min..max, the cases of one table alternate within each
 * run, and ratios are taken run by run against a baseline timed in the
 * same run. Every case is checked before it is timed (and its results
 * while it is timed): a wrong ICRC or a wrong copy exits with status 1.
 */
#include <errno.h>
#include <getopt.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cpuflags.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_net_crc.h>
#include <rte_udp.h>
#include <rte_version.h>

#include <isa-l.h>	/* ISAL_*_VERSION */

#ifdef HAVE_ZLIB
#include <zlib.h>
#endif

#include "roce_icrc.h"
#include "roce_opcode.h"
#include "roce_pkt.h"
#include "roce_wire.h"
#include "test_util.h"

#define BENCH_MAX_RUNS	101
#define ICRC_ONES_LEN	8	/* the CRC starts over 8 bytes of 0xff, A17.3.3 */
#define CACHE_LINE	64

static const uint32_t payload_sizes[] = { 64, 1024, 4096 };
/* Interleave chunks: small enough to stay in L1 between CRC and copy. */
static const uint32_t rx_chunks[] = { 256, 512, 1024 };

struct bench_opts {
	double seconds;		/* minimum length of one timed run of one case */
	unsigned int runs;
	size_t cold_bytes;	/* frames in the cold-cache receive pool */
	bool json;
	bool smoke;
	bool dpdk;
};

/* ---- Timing ----------------------------------------------------------- */

/*
 * One thing to time. run() handles one packet and returns the XOR of the
 * ICRC it computed with the one the frame carries, so 0 means correct;
 * the returns are OR-ed while timing, which also keeps the work live.
 */
struct bench_case {
	const char *name;
	uint32_t (*run)(void *ctx);
	void *ctx;
	void (*prepare)(void *ctx);	/* before each batch, if set */
	uint64_t batch;			/* calls between two clock reads */
	double ns[BENCH_MAX_RUNS];	/* per timed run: ns per call */
};

struct bench_stat {
	double med;
	double min;
	double max;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Make the compiler assume *p is read: keeps a copy nobody looks at. */
static inline void
bench_clobber(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static uint32_t
bench_batch(const struct bench_case *c, uint64_t n)
{
	uint32_t bad = 0;

	if (c->prepare != NULL)
		c->prepare(c->ctx);
	while (n-- > 0)
		bad |= c->run(c->ctx);
	return bad;
}

/*
 * Legacy-SSE code, such as DPDK 22.11's CRC (DPDK is built for
 * -march=corei7), runs 1.4-3x slower on the AMD EPYC we measure on while
 * the upper halves of the vector registers are dirty, and ISA-L 2.30's CRC
 * returns with them dirty from buffers of 256 B or more (measured; a
 * vzeroupper cures it). So each batch starts from a state chosen on
 * purpose, not from whatever the case timed before it left behind.
 */
static bool have_avx;

static void
vec_state_clean(void *ctx)
{
	RTE_SET_USED(ctx);
#ifdef RTE_ARCH_X86
	if (have_avx)
		__asm__ volatile("vzeroupper");
#endif
}

/*
 * Double the batch until one takes 1/50 of a timed run (20 us at least),
 * so reading the clock costs nothing measurable; this warms the caches and
 * branch predictors on the way.
 */
static int
bench_calibrate(struct bench_case *c, double seconds)
{
	uint64_t target = RTE_MAX((uint64_t)(seconds * 1e9 / 50), (uint64_t)20000);
	uint64_t n = 1, t;

	for (;;) {
		t = now_ns();
		if (bench_batch(c, n) != 0)
			return -EIO;
		t = now_ns() - t;
		if (t >= target || n >= (UINT64_C(1) << 32))
			break;
		n *= 2;
	}
	c->batch = n;
	return 0;
}

static int
bench_sample(const struct bench_case *c, double seconds, double *ns)
{
	uint64_t want = (uint64_t)(seconds * 1e9), calls = 0, t0, t;
	uint32_t bad = 0;

	t0 = now_ns();
	do {
		bad |= bench_batch(c, c->batch);
		calls += c->batch;
		t = now_ns() - t0;
	} while (t < want);
	if (bad != 0)
		return -EIO;
	*ns = (double)t / (double)calls;
	return 0;
}

/*
 * Calibrate every case, run one discarded warm-up round, then opts->runs
 * timed rounds. Within a round the cases alternate (forwards, then
 * backwards in the next round) so a swing of the machine's speed hits
 * them all alike, and a ratio taken within one round cancels it.
 */
static int
bench_rounds(struct bench_case *cs, unsigned int n, const struct bench_opts *opts)
{
	unsigned int r, i, k;
	double junk;

	for (i = 0; i < n; i++)
		if (bench_calibrate(&cs[i], opts->seconds) < 0)
			goto bad;
	for (i = 0; i < n; i++)
		if (bench_sample(&cs[i], opts->seconds / 4, &junk) < 0)
			goto bad;
	for (r = 0; r < opts->runs; r++) {
		for (k = 0; k < n; k++) {
			i = (r & 1) ? n - 1 - k : k;
			if (bench_sample(&cs[i], opts->seconds, &cs[i].ns[r]) < 0)
				goto bad;
		}
	}
	return 0;
bad:
	fprintf(stderr, "bench_icrc: %s: wrong ICRC while timing\n", cs[i].name);
	return -EIO;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(const double *v, unsigned int n)
{
	double s[BENCH_MAX_RUNS];

	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	return (n & 1) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static void
bench_stats(const struct bench_case *c, unsigned int runs, struct bench_stat *st)
{
	unsigned int r;

	st->med = median(c->ns, runs);
	st->min = st->max = c->ns[0];
	for (r = 1; r < runs; r++) {
		st->min = RTE_MIN(st->min, c->ns[r]);
		st->max = RTE_MAX(st->max, c->ns[r]);
	}
}

/* Median over the rounds of c's time divided by base's time in that round. */
static double
bench_ratio(const struct bench_case *c, const struct bench_case *base, unsigned int runs)
{
	double q[BENCH_MAX_RUNS];
	unsigned int r;

	for (r = 0; r < runs; r++)
		q[r] = c->ns[r] / base->ns[r];
	return median(q, runs);
}

/* ---- Frames ----------------------------------------------------------- */

static void *
bench_alloc(size_t len)
{
	void *p = aligned_alloc(CACHE_LINE, RTE_ALIGN_CEIL(RTE_MAX(len, (size_t)1), CACHE_LINE));

	if (p == NULL)
		fprintf(stderr, "bench_icrc: out of memory (%zu bytes)\n", len);
	return p;
}

/* Bytes that look random enough that no CRC can shortcut them. */
static void
fill_payload(uint8_t *p, uint32_t len, uint32_t seed)
{
	uint32_t x = seed * 2654435761u + 1;
	uint32_t i;

	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		p[i] = x >> 24;
	}
}

/*
 * An RDMA_WRITE_ONLY frame in @p buf. The reference table computes its
 * ICRC, so the fast implementations are checked against a value they had
 * no part in.
 */
static int
frame_build(struct roce_pkt *pkt, uint8_t *buf, uint32_t cap, const uint8_t *payload,
	    uint32_t len, uint32_t psn)
{
	int ret;

	test_pkt_sample(pkt, ROCE_OP_WRITE_ONLY, len);
	pkt->psn = psn & ROCE_24BIT_MASK;
	pkt->reth.dma_len = len;
	ret = roce_build_flat(&roce_crc32_table, pkt, payload, buf, cap);
	if (ret < 0) {
		fprintf(stderr, "bench_icrc: roce_build_flat(%u B payload): %s\n", len,
			strerror(-ret));
		return ret;
	}
	return 0;
}

static uint32_t
frame_cap(uint32_t payload_len)
{
	return RTE_ALIGN_CEIL(ROCE_HDR_MAX + payload_len + ROCE_TRAILER_MAX, CACHE_LINE);
}

/* Layout shared by every frame of one payload size. */
struct frame_layout {
	uint32_t l3_off;
	uint32_t ip_hdr_len;
	uint32_t payload_off;
	uint32_t payload_len;
	uint32_t padcnt;
	uint32_t icrc_off;
};

static void
layout_from_pkt(struct frame_layout *l, const struct roce_pkt *pkt)
{
	l->l3_off = pkt->l3_off;
	l->ip_hdr_len = pkt->ip_hdr_len;
	l->payload_off = pkt->payload_off;
	l->payload_len = pkt->payload_len;
	l->padcnt = pkt->padcnt;
	l->icrc_off = pkt->frame_len - ROCE_ICRC_LEN;
}

/* Frame bytes the ICRC covers: IPv4 header to pad (the 0xff prefix aside). */
static uint32_t
layout_covered(const struct frame_layout *l)
{
	return l->icrc_off - l->l3_off;
}

/*
 * The fields the ICRC sees as ones, IBTA A17.3.3 (C17-5..C17-7), in a
 * copy of the headers starting at the IPv4 header. Written here from the
 * spec, not taken from roce_icrc.c: the DPDK case agreeing with the frame
 * is then an independent check of the masking.
 */
static void
icrc_mask_copy(uint8_t *h, uint32_t ip_hdr_len)
{
	uint8_t *udp = h + ip_hdr_len, *bth = udp + sizeof(struct rte_udp_hdr);

	h[offsetof(struct rte_ipv4_hdr, type_of_service)] = 0xff;
	h[offsetof(struct rte_ipv4_hdr, time_to_live)] = 0xff;
	memset(h + offsetof(struct rte_ipv4_hdr, hdr_checksum), 0xff, 2);
	memset(udp + offsetof(struct rte_udp_hdr, dgram_cksum), 0xff, 2);
	bth[offsetof(struct roce_bth, fb_dqpn)] = 0xff;	/* FECN, BECN, reserved */
}

/* ---- Part 1: CRC implementations over headers | payload --------------- */

#ifdef HAVE_ZLIB
static uint32_t
crc32_zlib_update(uint32_t crc, const void *buf, size_t len)
{
	return crc32_z(crc, buf, len);
}

static const struct roce_crc32_ops crc32_zlib = {
	.name = "zlib",
	.update = crc32_zlib_update,
};
#endif

/* One frame in the zero-copy layout: headers, then the payload elsewhere. */
struct seg_frame {
	struct frame_layout l;
	uint8_t *frame;		/* the whole frame, as roce_build_flat() wrote it */
	uint8_t *payload;	/* the payload in its own buffer, as on the send path */
	struct roce_buf seg[3];	/* headers | payload | pad */
	unsigned int nseg;
	uint32_t icrc;		/* the ICRC the frame carries */
};

struct icrc_ctx {
	const struct seg_frame *f;
	const struct roce_crc32_ops *crc;	/* for roce_icrc_calc() */
	uint8_t *flat;		/* 8 x 0xff, then a copy of the covered bytes */
};

/* Copy frame bytes [l3_off, icrc_off) out of the segments into @p dst. */
static void
gather_covered(const struct seg_frame *f, uint8_t *dst)
{
	uint32_t pos = 0, start, end;
	unsigned int i;

	for (i = 0; i < f->nseg; pos += f->seg[i].len, i++) {
		start = RTE_MAX(pos, f->l.l3_off);
		end = RTE_MIN(pos + f->seg[i].len, f->l.icrc_off);
		if (start < end) {
			memcpy(dst, (const uint8_t *)f->seg[i].data + (start - pos), end - start);
			dst += end - start;
		}
	}
}

static uint32_t
icrc_run_calc(void *arg)
{
	const struct icrc_ctx *c = arg;
	const struct seg_frame *f = c->f;

	return roce_icrc_calc(c->crc, f->seg, f->nseg, f->l.l3_off, f->l.ip_hdr_len,
			      f->l.icrc_off) ^ f->icrc;
}

/* Baseline: just the copy of the covered bytes that the DPDK case pays. */
static uint32_t
icrc_run_memcpy(void *arg)
{
	const struct icrc_ctx *c = arg;

	gather_covered(c->f, c->flat + ICRC_ONES_LEN);
	bench_clobber(c->flat);
	return 0;
}

/*
 * rte_net_crc_calc() takes no seed in 22.11, so it cannot chain over
 * segments nor skip over masked fields: gather a masked contiguous copy
 * behind the 0xff prefix and CRC that. The copy is part of the cost.
 */
static uint32_t
icrc_run_dpdk(void *arg)
{
	const struct icrc_ctx *c = arg;
	const struct seg_frame *f = c->f;

	gather_covered(f, c->flat + ICRC_ONES_LEN);
	icrc_mask_copy(c->flat + ICRC_ONES_LEN, f->l.ip_hdr_len);
	return rte_net_crc_calc(c->flat, ICRC_ONES_LEN + layout_covered(&f->l),
				RTE_NET_CRC32_ETH) ^ f->icrc;
}

/* As on a data path that uses both: the ISA-L ICRC of the same frame first. */
static void
icrc_prepare_after_isal(void *arg)
{
	const struct icrc_ctx *c = arg;
	const struct seg_frame *f = c->f;
	volatile uint32_t sink;

	sink = roce_icrc_calc(&roce_crc32_isal, f->seg, f->nseg, f->l.l3_off, f->l.ip_hdr_len,
			      f->l.icrc_off);
	RTE_SET_USED(sink);
}

static int
seg_frame_init(struct seg_frame *f, uint32_t payload_len)
{
	uint32_t cap = frame_cap(payload_len);
	struct roce_pkt pkt;
	int ret;

	memset(f, 0, sizeof(*f));
	f->frame = bench_alloc(cap);
	f->payload = bench_alloc(payload_len);
	if (f->frame == NULL || f->payload == NULL)
		return -ENOMEM;
	fill_payload(f->payload, payload_len, payload_len);
	ret = frame_build(&pkt, f->frame, cap, f->payload, payload_len, 0);
	if (ret < 0)
		return ret;
	layout_from_pkt(&f->l, &pkt);
	f->icrc = roce_icrc_load(f->frame + f->l.icrc_off);
	f->seg[0] = (struct roce_buf){ .data = f->frame, .len = f->l.payload_off };
	f->seg[1] = (struct roce_buf){ .data = f->payload, .len = payload_len };
	f->nseg = 2;
	if (f->l.padcnt != 0)
		f->seg[f->nseg++] = (struct roce_buf){
			.data = f->frame + f->l.payload_off + payload_len, .len = f->l.padcnt };
	return 0;
}

/* ---- Part 2: receive path, ICRC check and payload copy ---------------- */

/*
 * npkt distinct frames (payload and PSN differ) and as many payload
 * destinations. One frame: hot cache. A pool several times the LLC:
 * every frame and destination comes from DRAM, as a freshly received
 * frame and a user buffer would.
 */
struct rx_pool {
	struct frame_layout l;
	uint8_t *frames;
	uint8_t *dst;
	uint32_t npkt;
	uint32_t stride;
	uint32_t dst_stride;
};

struct rx_ctx {
	const struct rx_pool *p;
	uint32_t chunk;		/* interleave only */
	uint32_t idx;
};

static inline const uint8_t *
rx_next(struct rx_ctx *c, uint8_t **dst)
{
	const struct rx_pool *p = c->p;
	uint32_t i = c->idx;

	c->idx = i + 1 == p->npkt ? 0 : i + 1;
	*dst = p->dst + (size_t)i * p->dst_stride;
	return p->frames + (size_t)i * p->stride;
}

/* ICRC of a received frame (one segment, as one mbuf) against its own. */
static inline uint32_t
rx_icrc(const struct rx_pool *p, const uint8_t *fr)
{
	struct roce_buf seg = { .data = fr, .len = p->l.icrc_off + ROCE_ICRC_LEN };

	return roce_icrc_calc(&roce_crc32_isal, &seg, 1, p->l.l3_off, p->l.ip_hdr_len,
			      p->l.icrc_off) ^ roce_icrc_load(fr + p->l.icrc_off);
}

static uint32_t
rx_run_copy(void *arg)
{
	struct rx_ctx *c = arg;
	uint8_t *dst;
	const uint8_t *fr = rx_next(c, &dst);

	memcpy(dst, fr + c->p->l.payload_off, c->p->l.payload_len);
	bench_clobber(dst);
	return 0;
}

static uint32_t
rx_run_icrc(void *arg)
{
	struct rx_ctx *c = arg;
	uint8_t *dst;
	const uint8_t *fr = rx_next(c, &dst);

	return rx_icrc(c->p, fr);
}

static uint32_t
rx_run_copy_icrc(void *arg)
{
	struct rx_ctx *c = arg;
	uint8_t *dst;
	const uint8_t *fr = rx_next(c, &dst);

	memcpy(dst, fr + c->p->l.payload_off, c->p->l.payload_len);
	bench_clobber(dst);
	return rx_icrc(c->p, fr);
}

static uint32_t
rx_run_icrc_copy(void *arg)
{
	struct rx_ctx *c = arg;
	uint8_t *dst;
	const uint8_t *fr = rx_next(c, &dst);
	uint32_t bad = rx_icrc(c->p, fr);

	memcpy(dst, fr + c->p->l.payload_off, c->p->l.payload_len);
	bench_clobber(dst);
	return bad;
}

/*
 * The masked headers through the library (the CRC covers [l3_off,
 * payload_off) and chains on), then each payload chunk is CRCed and copied
 * at once, while it is still in L1, so the payload is read from memory
 * once instead of twice.
 */
static uint32_t
rx_run_interleave(void *arg)
{
	struct rx_ctx *c = arg;
	const struct frame_layout *l = &c->p->l;
	uint8_t *dst;
	const uint8_t *fr = rx_next(c, &dst);
	const uint8_t *src = fr + l->payload_off;
	struct roce_buf hdr = { .data = fr, .len = l->payload_off };
	uint32_t crc, off, n;

	crc = roce_icrc_calc(&roce_crc32_isal, &hdr, 1, l->l3_off, l->ip_hdr_len, l->payload_off);
	for (off = 0; off < l->payload_len; off += n) {
		n = RTE_MIN(c->chunk, l->payload_len - off);
		crc = roce_crc32_isal.update(crc, src + off, n);
		memcpy(dst + off, src + off, n);
	}
	if (l->padcnt != 0)
		crc = roce_crc32_isal.update(crc, src + l->payload_len, l->padcnt);
	bench_clobber(dst);
	return crc ^ roce_icrc_load(fr + l->icrc_off);
}

static void
rx_pool_free(struct rx_pool *p)
{
	free(p->frames);
	free(p->dst);
	memset(p, 0, sizeof(*p));
}

static int
rx_pool_init(struct rx_pool *p, uint32_t payload_len, size_t bytes)
{
	struct roce_pkt pkt;
	uint8_t *payload;
	uint32_t i;
	int ret = 0;

	memset(p, 0, sizeof(*p));
	p->stride = frame_cap(payload_len);
	p->dst_stride = RTE_ALIGN_CEIL(payload_len, CACHE_LINE);
	p->npkt = RTE_MAX(bytes / p->stride, (size_t)1);
	p->frames = bench_alloc((size_t)p->npkt * p->stride);
	p->dst = bench_alloc((size_t)p->npkt * p->dst_stride);
	payload = bench_alloc(payload_len);
	if (p->frames == NULL || p->dst == NULL || payload == NULL) {
		ret = -ENOMEM;
		goto out;
	}
	for (i = 0; i < p->npkt; i++) {
		fill_payload(payload, payload_len, i + 1);
		ret = frame_build(&pkt, p->frames + (size_t)i * p->stride, p->stride, payload,
				  payload_len, i);
		if (ret < 0)
			goto out;
	}
	layout_from_pkt(&p->l, &pkt);
out:
	free(payload);
	if (ret < 0)
		rx_pool_free(p);
	return ret;
}

/*
 * Before timing: one call per frame into zeroed destinations; every ICRC
 * must match and every destination must hold its frame's payload.
 */
static int
rx_check(struct bench_case *c, bool copies)
{
	struct rx_ctx *ctx = c->ctx;
	const struct rx_pool *p = ctx->p;
	uint32_t i, bad;

	memset(p->dst, 0, (size_t)p->npkt * p->dst_stride);
	ctx->idx = 0;
	for (i = 0; i < p->npkt; i++) {
		bad = c->run(ctx);
		if (bad != 0) {
			fprintf(stderr, "bench_icrc: rx %s, %u B payload, frame %u: ICRC differs "
				"from the frame's in bits 0x%08x\n", c->name, p->l.payload_len, i, bad);
			return -EIO;
		}
	}
	for (i = 0; copies && i < p->npkt; i++) {
		if (memcmp(p->dst + (size_t)i * p->dst_stride,
			   p->frames + (size_t)i * p->stride + p->l.payload_off,
			   p->l.payload_len) != 0) {
			fprintf(stderr, "bench_icrc: rx %s, %u B payload, frame %u: destination "
				"differs from the payload\n", c->name, p->l.payload_len, i);
			return -EIO;
		}
	}
	return 0;
}

/* ---- Output ----------------------------------------------------------- */

struct machine {
	char date[32];
	char cpu[128];
	char load[64];		/* /proc/loadavg's three averages, at start */
	long nproc;
};

static void
machine_probe(struct machine *m)
{
	char line[256], *v;
	time_t t = time(NULL);
	FILE *fp;

	strftime(m->date, sizeof(m->date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&t));
	m->nproc = sysconf(_SC_NPROCESSORS_ONLN);
	snprintf(m->cpu, sizeof(m->cpu), "unknown");
	snprintf(m->load, sizeof(m->load), "unknown");
	fp = fopen("/proc/loadavg", "r");
	if (fp != NULL) {
		double l1, l5, l15;

		if (fscanf(fp, "%lf %lf %lf", &l1, &l5, &l15) == 3)
			snprintf(m->load, sizeof(m->load), "%.2f %.2f %.2f", l1, l5, l15);
		fclose(fp);
	}
	fp = fopen("/proc/cpuinfo", "r");
	if (fp == NULL)
		return;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (strncmp(line, "model name", 10) != 0 || (v = strchr(line, ':')) == NULL)
			continue;
		v += strspn(v + 1, " \t") + 1;
		v[strcspn(v, "\n")] = '\0';
		snprintf(m->cpu, sizeof(m->cpu), "%s", v);
		break;
	}
	fclose(fp);
}

static void
json_str(const char *s)
{
	putchar('"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", (unsigned char)*s);
		else
			putchar(*s);
	}
	putchar('"');
}

static const char *
bench_zlib_version(void)
{
#ifdef HAVE_ZLIB
	return zlibVersion();
#else
	return "not built";
#endif
}

static void
print_header(const struct machine *m, const struct bench_opts *opts)
{
	if (opts->json) {
		printf("{\"benchmark\": \"icrc\", \"date\": \"%s\", \"machine\": {\"nproc\": %ld, "
		       "\"cpu\": ", m->date, m->nproc);
		json_str(m->cpu);
		printf(", \"load_avg\": \"%s\"}, \"versions\": {\"dpdk\": ", m->load);
		json_str(rte_version());
		printf(", \"isal\": \"%d.%d.%d\", \"zlib\": ", ISAL_MAJOR_VERSION,
		       ISAL_MINOR_VERSION, ISAL_PATCH_VERSION);
		json_str(bench_zlib_version());
		printf("},\n \"method\": {\"runs\": %u, \"seconds\": %g, \"statistic\": "
		       "\"median\", \"spread\": \"min..max\", \"cold_pool_bytes\": %zu, "
		       "\"smoke\": %s},\n", opts->runs, opts->seconds, opts->cold_bytes,
		       opts->smoke ? "true" : "false");
		return;
	}
	printf("bench_icrc: RoCEv2 ICRC throughput, RDMA_WRITE_ONLY frames\n");
	printf("%s, %ld CPUs online, %s, load average %s\n%s, ISA-L %d.%d.%d, zlib %s\n",
	       m->date, m->nproc, m->cpu, m->load, rte_version(), ISAL_MAJOR_VERSION,
	       ISAL_MINOR_VERSION, ISAL_PATCH_VERSION, bench_zlib_version());
	printf("ns/pkt: median of %u timed runs of >= %g s each, min..max beside it; the\n"
	       "cases of a table alternate within each run; ratios are medians of per-run\n"
	       "ratios. GB/s = 1e9 bytes/s. Every ICRC was checked against the frame's.%s\n",
	       opts->runs, opts->seconds, opts->smoke ? "\nSMOKE RUN: figures are meaningless." : "");
}

static void
print_ns(const struct bench_stat *st)
{
	char spread[48];

	snprintf(spread, sizeof(spread), "%.1f..%.1f", st->min, st->max);
	printf(" %9.1f  %-17s", st->med, spread);
}

static bool json_first;

static void
json_sep(void)
{
	printf(json_first ? "\n  " : ",\n  ");
	json_first = false;
}

static void
json_ns(const struct bench_stat *st)
{
	printf("\"ns_per_pkt\": {\"median\": %.2f, \"min\": %.2f, \"max\": %.2f}", st->med,
	       st->min, st->max);
}

/* ---- The two parts ---------------------------------------------------- */

enum {
	ICRC_MEMCPY,	/* baseline: copy of the covered bytes */
	ICRC_TABLE,	/* baseline: the reference */
	ICRC_ISAL,
	ICRC_ZLIB,
	ICRC_DPDK,
	ICRC_DPDK_ISAL,	/* the same, right after ISA-L ran */
	ICRC_NCASES,
};

static int
part_icrc(uint32_t payload_len, const struct bench_opts *opts)
{
	struct icrc_ctx ctx[ICRC_NCASES];
	struct bench_case cs[ICRC_NCASES];
	struct bench_case *base_table = NULL, *base_copy = NULL;
	bool pclmul = rte_cpu_get_flag_enabled(RTE_CPUFLAG_PCLMULQDQ);
	struct seg_frame f;
	struct bench_stat st;
	unsigned int n = 0, i;
	uint32_t covered, bad;
	int ret;

	ret = seg_frame_init(&f, payload_len);
	if (ret < 0)
		goto out;
	covered = layout_covered(&f.l);
	memset(cs, 0, sizeof(cs));
	for (i = 0; i < ICRC_NCASES; i++) {
		ctx[n] = (struct icrc_ctx){ .f = &f, .flat = NULL };
		cs[n] = (struct bench_case){ .ctx = &ctx[n], .run = icrc_run_calc,
					     .prepare = vec_state_clean };
		switch (i) {
		case ICRC_MEMCPY:
			cs[n].name = "memcpy (baseline)";
			cs[n].run = icrc_run_memcpy;
			base_copy = &cs[n];
			break;
		case ICRC_TABLE:
			cs[n].name = roce_crc32_table.name;
			ctx[n].crc = &roce_crc32_table;
			base_table = &cs[n];
			break;
		case ICRC_ISAL:
			cs[n].name = roce_crc32_isal.name;
			ctx[n].crc = &roce_crc32_isal;
			break;
		case ICRC_ZLIB:
#ifdef HAVE_ZLIB
			cs[n].name = crc32_zlib.name;
			ctx[n].crc = &crc32_zlib;
			break;
#else
			continue;
#endif
		case ICRC_DPDK:
			if (!opts->dpdk)
				continue;
			cs[n].name = pclmul ? "dpdk-sse42 copy+crc" : "dpdk-scalar copy+crc";
			cs[n].run = icrc_run_dpdk;
			break;
		case ICRC_DPDK_ISAL:
			if (!opts->dpdk)
				continue;
			cs[n].name = pclmul ? "dpdk-sse42 after isa-l" : "dpdk-scalar after isa-l";
			cs[n].run = icrc_run_dpdk;
			cs[n].prepare = icrc_prepare_after_isal;
			break;
		}
		if (cs[n].run != icrc_run_calc) {
			ctx[n].flat = bench_alloc(ICRC_ONES_LEN + covered);
			if (ctx[n].flat == NULL) {
				ret = -ENOMEM;
				goto out;
			}
			memset(ctx[n].flat, 0xff, ICRC_ONES_LEN);
		}
		n++;
	}

	/* Checked before timing: the same ICRC as the frame carries. */
	for (i = 0; i < n; i++) {
		bad = cs[i].run(cs[i].ctx);
		if (bad != 0) {
			fprintf(stderr, "bench_icrc: %s, %u B payload: ICRC 0x%08x, the frame "
				"carries 0x%08x\n", cs[i].name, payload_len, f.icrc ^ bad, f.icrc);
			ret = -EIO;
			goto out;
		}
	}
	if (memcmp(ctx[0].flat + ICRC_ONES_LEN, f.frame + f.l.l3_off, covered) != 0) {
		fprintf(stderr, "bench_icrc: memcpy baseline copied the wrong bytes\n");
		ret = -EIO;
		goto out;
	}

	ret = bench_rounds(cs, n, opts);
	if (ret < 0)
		goto out;

	if (!opts->json)
		printf("\nICRC, headers | payload in 2 segments, hot cache: %u B payload, "
		       "%u B covered\n%-22s %9s  %-17s %8s %8s %8s %8s\n", payload_len, covered,
		       "implementation", "ns/pkt", "min..max", "pay GB/s", "cov GB/s",
		       "vs table", "vs memcpy");
	for (i = 0; i < n; i++) {
		double speedup = bench_ratio(base_table, &cs[i], opts->runs);
		double cost = bench_ratio(&cs[i], base_copy, opts->runs);

		bench_stats(&cs[i], opts->runs, &st);
		if (opts->json) {
			json_sep();
			printf("{\"payload\": %u, \"covered\": %u, \"impl\": ", payload_len, covered);
			json_str(cs[i].name);
			printf(", ");
			json_ns(&st);
			printf(", \"payload_gbps\": %.3f, \"covered_gbps\": %.3f, "
			       "\"speedup_vs_table\": %.3f, \"time_vs_memcpy\": %.3f}",
			       payload_len / st.med, covered / st.med, speedup, cost);
			continue;
		}
		printf("%-22s", cs[i].name);
		print_ns(&st);
		printf(" %8.2f %8.2f %7.2fx %7.2fx\n", payload_len / st.med, covered / st.med,
		       speedup, cost);
	}
out:
	for (i = 0; i < n; i++)
		free(ctx[i].flat);
	free(f.frame);
	free(f.payload);
	return ret;
}

struct rx_variant {
	const char *name;
	uint32_t (*run)(void *ctx);
	uint32_t chunk;
	bool copies;
};

static int
part_rx(uint32_t payload_len, bool cold, const struct bench_opts *opts)
{
	static const struct rx_variant fixed[] = {
		{ "memcpy only", rx_run_copy, 0, true },
		{ "icrc only", rx_run_icrc, 0, false },
		{ "copy, then icrc", rx_run_copy_icrc, 0, true },	/* the baseline */
		{ "icrc, then copy", rx_run_icrc_copy, 0, true },
	};
	enum { RX_BASE = 2 };
	struct rx_variant v[RTE_DIM(fixed) + RTE_DIM(rx_chunks)];
	struct bench_case cs[RTE_DIM(v)];
	struct rx_ctx ctx[RTE_DIM(v)];
	static char names[RTE_DIM(rx_chunks)][32];
	struct bench_stat st;
	struct rx_pool p;
	unsigned int n = 0, i;
	int ret;

	for (i = 0; i < RTE_DIM(fixed); i++)
		v[n++] = fixed[i];
	for (i = 0; i < RTE_DIM(rx_chunks); i++) {
		if (rx_chunks[i] >= payload_len)
			continue;	/* one chunk: that is "icrc, then copy" */
		snprintf(names[i], sizeof(names[i]), "interleave %u B", rx_chunks[i]);
		v[n++] = (struct rx_variant){ names[i], rx_run_interleave, rx_chunks[i], true };
	}

	ret = rx_pool_init(&p, payload_len, cold ? opts->cold_bytes : 0);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++) {
		ctx[i] = (struct rx_ctx){ .p = &p, .chunk = v[i].chunk };
		cs[i] = (struct bench_case){ .name = v[i].name, .run = v[i].run, .ctx = &ctx[i] };
		ret = rx_check(&cs[i], v[i].copies);
		if (ret < 0)
			goto out;
	}
	ret = bench_rounds(cs, n, opts);
	if (ret < 0)
		goto out;

	if (!opts->json)
		printf("\nReceive: check ICRC (isa-l) + copy payload out, %s: %u B payload, "
		       "%u frames\n%-22s %9s  %-17s %8s %13s\n", cold ? "cold" : "hot",
		       payload_len, p.npkt, "variant", "ns/pkt", "min..max", "pay GB/s",
		       "vs copy,icrc");
	for (i = 0; i < n; i++) {
		double rel = bench_ratio(&cs[i], &cs[RX_BASE], opts->runs);

		bench_stats(&cs[i], opts->runs, &st);
		if (opts->json) {
			json_sep();
			printf("{\"payload\": %u, \"cache\": \"%s\", \"frames\": %u, \"variant\": ",
			       payload_len, cold ? "cold" : "hot", p.npkt);
			json_str(cs[i].name);
			printf(", ");
			json_ns(&st);
			printf(", \"payload_gbps\": %.3f, \"time_vs_copy_then_icrc\": %.3f}",
			       payload_len / st.med, rel);
			continue;
		}
		printf("%-22s", cs[i].name);
		print_ns(&st);
		printf(" %8.2f %12.2fx\n", payload_len / st.med, rel);
	}
out:
	rx_pool_free(&p);
	return ret;
}

/* ---- DPDK ------------------------------------------------------------- */

static char dpdk_run_dir[4096];

/*
 * In 22.11 rte_net_crc links and runs without EAL, but it then silently
 * uses its byte table: rte_net_crc_set_alg() only picks SSE4.2/PCLMULQDQ
 * when the EAL's max SIMD bitwidth allows it, and that is 0 until
 * rte_eal_init() has run (measured: 0.55 vs 7.5 GB/s on 4 KiB). So start
 * a minimal EAL, and give the thread its CPU affinity back so the other
 * cases run as they would without it.
 */
static int
dpdk_init(void)
{
	static char a_prog[] = "bench_icrc", a_nohuge[] = "--no-huge", a_nopci[] = "--no-pci",
		a_m[] = "-m", a_64[] = "64", a_log[] = "--log-level=error",
		a_shconf[] = "--no-shconf", a_telem[] = "--no-telemetry";
	char prefix[64];
	char *argv[] = { a_prog, a_nohuge, a_nopci, a_m, a_64, prefix, a_log, a_shconf, a_telem };
	cpu_set_t cpus;
	bool have_cpus;

	snprintf(prefix, sizeof(prefix), "--file-prefix=bench-icrc-%d", (int)getpid());
	have_cpus = sched_getaffinity(0, sizeof(cpus), &cpus) == 0;
	if (rte_eal_init(RTE_DIM(argv), argv) < 0) {
		fprintf(stderr, "bench_icrc: rte_eal_init: %s (try --no-dpdk)\n",
			rte_strerror(rte_errno));
		return -rte_errno;
	}
	snprintf(dpdk_run_dir, sizeof(dpdk_run_dir), "%s", rte_eal_get_runtime_dir());
	if (have_cpus)
		sched_setaffinity(0, sizeof(cpus), &cpus);
	rte_net_crc_set_alg(RTE_NET_CRC_SSE42);
	return 0;
}

static void
dpdk_fini(void)
{
	rte_eal_cleanup();
	/* --no-shconf leaves the run directory empty, but still there. */
	if (dpdk_run_dir[0] != '\0')
		rmdir(dpdk_run_dir);
}

/* ---- Main ------------------------------------------------------------- */

static void
usage(FILE *out)
{
	fprintf(out,
		"Usage: bench_icrc [--seconds S] [--runs N] [--cold-mib M] [--no-dpdk] [--json]\n"
		"                  [--smoke]\n"
		"Time the RoCEv2 ICRC of RDMA_WRITE_ONLY frames (64 B, 1 KiB, 4 KiB payload):\n"
		"roce_icrc_calc() with isa-l, the reference table and zlib (if built), and\n"
		"DPDK rte_net_crc_calc() on a masked contiguous copy (the copy is counted);\n"
		"then, on the receive path, ICRC check plus payload copy in either order or\n"
		"interleaved in chunks, hot and cold cache. Each figure is checked first.\n"
		"\n"
		"  --seconds S   minimum length of one timed run of one case (default 0.2)\n"
		"  --runs N      timed runs per case, 1..%d; the median is reported with its\n"
		"                min..max (default 5)\n"
		"  --cold-mib M  MiB of distinct frames for the cold-cache receive runs; make\n"
		"                it several times the last-level cache (default 128)\n"
		"  --no-dpdk     leave out rte_net_crc, and with it rte_eal_init()\n"
		"  --json        one JSON object on stdout instead of tables\n"
		"  --smoke       a tiny run (1 ms runs, 1 run, 1 MiB pool) that only shows\n"
		"                everything still works and still agrees\n"
		"  -h, --help    this text\n"
		"\n"
		"Exit status: 0 when every case agreed with the frames, 1 otherwise.\n",
		BENCH_MAX_RUNS);
}

static int
parse_opts(int argc, char **argv, struct bench_opts *opts)
{
	static const struct option longopts[] = {
		{ "seconds", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'r' },
		{ "cold-mib", required_argument, NULL, 'c' },
		{ "no-dpdk", no_argument, NULL, 'D' },
		{ "json", no_argument, NULL, 'j' },
		{ "smoke", no_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool set_seconds = false, set_runs = false, set_cold = false;
	unsigned long ul;
	char *end;
	int c;

	*opts = (struct bench_opts){ .seconds = 0.2, .runs = 5, .cold_bytes = 128u << 20,
				     .dpdk = true };
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			opts->seconds = strtod(optarg, &end);
			if (*end != '\0' || end == optarg || !(opts->seconds >= 0) ||
			    opts->seconds > 60) {
				fprintf(stderr, "bench_icrc: --seconds wants 0..60, not '%s'\n",
					optarg);
				return -EINVAL;
			}
			set_seconds = true;
			break;
		case 'r':
			ul = strtoul(optarg, &end, 10);
			if (*end != '\0' || end == optarg || ul < 1 || ul > BENCH_MAX_RUNS) {
				fprintf(stderr, "bench_icrc: --runs wants 1..%d, not '%s'\n",
					BENCH_MAX_RUNS, optarg);
				return -EINVAL;
			}
			opts->runs = ul;
			set_runs = true;
			break;
		case 'c':
			ul = strtoul(optarg, &end, 10);
			if (*end != '\0' || end == optarg || ul > 16384) {
				fprintf(stderr, "bench_icrc: --cold-mib wants 0..16384, not '%s'\n",
					optarg);
				return -EINVAL;
			}
			opts->cold_bytes = (size_t)ul << 20;
			set_cold = true;
			break;
		case 'D':
			opts->dpdk = false;
			break;
		case 'j':
			opts->json = true;
			break;
		case 'S':
			opts->smoke = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bench_icrc: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return -EINVAL;
	}
	/* Smoke: every check and code path, none of the waiting; explicit options win. */
	if (opts->smoke) {
		if (!set_seconds)
			opts->seconds = 0.001;
		if (!set_runs)
			opts->runs = 1;
		if (!set_cold)
			opts->cold_bytes = 1u << 20;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	struct bench_opts opts;
	struct machine m;
	unsigned int i;
	int ret = 0;

	if (parse_opts(argc, argv, &opts) < 0)
		return 1;
	have_avx = rte_cpu_get_flag_enabled(RTE_CPUFLAG_AVX);
	if (opts.dpdk && dpdk_init() < 0)
		return 1;
	machine_probe(&m);
	print_header(&m, &opts);

	if (opts.json) {
		printf(" \"icrc\": [");
		json_first = true;
	}
	for (i = 0; i < RTE_DIM(payload_sizes) && ret == 0; i++)
		ret = part_icrc(payload_sizes[i], &opts);
	if (opts.json && ret == 0) {
		printf("\n ],\n \"rx\": [");
		json_first = true;
	}
	for (i = 0; i < 2 * RTE_DIM(payload_sizes) && ret == 0; i++)
		ret = part_rx(payload_sizes[i / 2], i & 1, &opts);
	if (opts.json && ret == 0)
		printf("\n ]}\n");
	if (!opts.json && ret == 0)
		printf("\nmemcpy (baseline): the covered bytes gathered from the segments, the copy\n"
		       "dpdk-* pays: rte_net_crc_calc() has no seed in DPDK 22.11, so it can only\n"
		       "CRC a contiguous masked copy of the covered region, and the copy is timed.\n"
		       "Each ICRC batch starts after a vzeroupper, except \"after isa-l\": the ISA-L\n"
		       "ICRC of the same frame first, as on a data path that uses both; from 256 B\n"
		       "on it leaves the vector registers' upper halves dirty, which slows SSE code.\n"
		       "vs table: speed-up over the reference; vs memcpy, vs copy,icrc: time ratio.\n");

	if (opts.dpdk)
		dpdk_fini();
	fflush(stdout);
	return ret < 0 ? 1 : 0;
}
