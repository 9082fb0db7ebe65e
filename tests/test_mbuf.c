/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Frames as mbuf chains, under a real EAL (--no-huge): headers and
 * trailer in mbufs of their own, payload left where it is (an external
 * buffer on caller memory), chains parsed in place, no mbuf leaked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_mbuf.h>

#include "roce_mbuf.h"
#include "test_util.h"
#include "test_eal.h"

#define POOL_SIZE 511

static struct rte_mempool *pool;

/* Caller memory the payload lives in, as a registered region would. */
static uint8_t region[8192] __rte_aligned(64);
static struct rte_mbuf_ext_shared_info region_shinfo;

static void
region_free_cb(void *addr __rte_unused, void *opaque __rte_unused)
{
}

/* An mbuf whose data is region[off .. off+len), attached, not copied. */
static struct rte_mbuf *
ext_payload(uint32_t off, uint32_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(pool);

	ck_assert_ptr_nonnull(m);
	rte_mbuf_ext_refcnt_set(&region_shinfo, 1);
	region_shinfo.free_cb = region_free_cb;
	rte_pktmbuf_attach_extbuf(m, region + off, rte_mem_virt2iova(region + off), len,
				  &region_shinfo);
	rte_pktmbuf_reset_headroom(m);
	m->data_off = 0;
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

static void
assert_pool_full(void)
{
	ck_assert_msg(rte_mempool_avail_count(pool) == POOL_SIZE,
		      "mbuf leak: pool has %u of %u mbufs free",
		      rte_mempool_avail_count(pool), POOL_SIZE);
}

START_TEST(build_zero_copy_write)
{
	const uint32_t len = 1021;	/* odd: exercises pad */
	struct roce_parser parser;
	struct roce_pkt pkt, got;
	struct rte_mbuf *m, *payload;
	uint8_t flat[2048];
	unsigned int i;

	for (i = 0; i < len; i++)
		region[100 + i] = (uint8_t)(i * 7 + 3);
	test_pkt_sample(&pkt, ROCE_OP_WRITE_ONLY, len);
	payload = ext_payload(100, len);
	m = roce_mbuf_build(&roce_crc32_isal, pool, NULL, &pkt, payload);
	ck_assert_msg(m != NULL, "build failed: %s", rte_strerror(rte_errno));

	/* [headers][payload on region][pad + ICRC] */
	ck_assert_uint_eq(m->nb_segs, 3);
	ck_assert_uint_eq(m->data_len, pkt.payload_off);
	ck_assert_msg(rte_pktmbuf_mtod(m->next, uint8_t *) == region + 100,
		      "payload segment must point into caller memory, not a copy");
	ck_assert_uint_eq(m->next->next->data_len, pkt.padcnt + ROCE_ICRC_LEN);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(m), pkt.frame_len);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	ck_assert_int_eq(roce_mbuf_parse(&parser, m, &got), ROCE_PARSE_OK);
	ck_assert_uint_eq(got.payload_len, len);
	ck_assert_uint_eq(got.reth.rkey, pkt.reth.rkey);
	ck_assert_uint_eq(got.icrc, pkt.icrc);

	/* The same bytes parse the same when flat. */
	ck_assert_ptr_nonnull(rte_pktmbuf_read(m, 0, pkt.frame_len, flat));
	ck_assert_int_eq(roce_parse_flat(&parser, rte_pktmbuf_read(m, 0, pkt.frame_len, flat),
					 pkt.frame_len, &got), ROCE_PARSE_OK);
	ck_assert_int_eq(memcmp(flat + got.payload_off, region + 100, len), 0);

	rte_pktmbuf_free(m);
	assert_pool_full();
}
END_TEST

START_TEST(build_chained_payload)
{
	/* A payload already in two ordinary mbufs, headers split from it. */
	struct roce_parser parser;
	struct roce_pkt pkt, got;
	struct rte_mbuf *a = rte_pktmbuf_alloc(pool), *b = rte_pktmbuf_alloc(pool), *m;

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	memset(rte_pktmbuf_append(a, 600), 0xa5, 600);
	memset(rte_pktmbuf_append(b, 424), 0x5a, 424);
	ck_assert_int_eq(rte_pktmbuf_chain(a, b), 0);
	test_pkt_sample(&pkt, ROCE_OP_SEND_ONLY_IMM, 1024);
	m = roce_mbuf_build(&roce_crc32_isal, pool, NULL, &pkt, a);
	ck_assert_msg(m != NULL, "build failed: %s", rte_strerror(rte_errno));
	ck_assert_uint_eq(m->nb_segs, 4);

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	ck_assert_int_eq(roce_mbuf_parse(&parser, m, &got), ROCE_PARSE_OK);
	ck_assert_uint_eq(got.imm, pkt.imm);
	ck_assert_uint_eq(got.padcnt, 0);
	rte_pktmbuf_free(m);
	assert_pool_full();
}
END_TEST

START_TEST(build_no_payload_single_mbuf)
{
	struct roce_parser parser;
	struct roce_pkt pkt, got;
	struct rte_mbuf *m;

	test_pkt_sample(&pkt, ROCE_OP_ACK, 0);
	m = roce_mbuf_build(&roce_crc32_isal, pool, NULL, &pkt, NULL);
	ck_assert_msg(m != NULL, "build failed: %s", rte_strerror(rte_errno));
	ck_assert_uint_eq(m->nb_segs, 1);
	ck_assert_uint_eq(m->pkt_len, 14 + 20 + 8 + 12 + 4 + 4);
	roce_parser_init(&parser, &roce_crc32_isal, 0);
	ck_assert_int_eq(roce_mbuf_parse(&parser, m, &got), ROCE_PARSE_OK);
	ck_assert_uint_eq(got.aeth.msn, pkt.aeth.msn);
	rte_pktmbuf_free(m);
	assert_pool_full();
}
END_TEST

/* The copying builder: one mbuf, the same bytes as the flat builder, the
 * ICRC over the copy; pieces that do not add up, or a frame too big for
 * the mbuf, are refused without a leak. */
START_TEST(build_copy_one_segment)
{
	static const uint32_t lens[] = { 1, 8, 61, 256, 1021, 1920 };
	struct roce_parser parser;
	struct roce_tmpl tmpl;
	uint8_t flat[2048];
	unsigned int i, k;

	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (k = 0; k < RTE_DIM(lens); k++) {
		uint32_t len = lens[k], cut = len / 3;
		struct roce_buf piece[2] = {
			{ .data = region + 7, .len = cut },
			{ .data = region + 7 + cut, .len = len - cut },
		};
		struct roce_pkt pkt, ref, got;
		struct rte_mbuf *m;
		int flen;

		for (i = 0; i < len; i++)
			region[7 + i] = (uint8_t)(i * 13 + k);
		test_pkt_sample(&pkt, ROCE_OP_WRITE_ONLY, len);
		ref = pkt;
		roce_tmpl_init(&tmpl, &pkt);
		flen = roce_build_flat(&roce_crc32_isal, &ref, region + 7, flat, sizeof(flat));
		ck_assert_int_gt(flen, 0);
		m = roce_mbuf_build_copy(&roce_crc32_isal, pool, &tmpl, &pkt, piece, 2);
		ck_assert_msg(m != NULL, "len %u: %s", len, rte_strerror(rte_errno));
		ck_assert_uint_eq(m->nb_segs, 1);
		ck_assert_uint_eq(m->pkt_len, (uint32_t)flen);
		ck_assert_msg(memcmp(rte_pktmbuf_mtod(m, uint8_t *), flat, flen) == 0,
			      "len %u: the frame differs from roce_build_flat()'s", len);
		ck_assert_int_eq(roce_mbuf_parse(&parser, m, &got), ROCE_PARSE_OK);
		ck_assert_uint_eq(got.payload_len, len);
		rte_pktmbuf_free(m);

		piece[1].len++;
		ck_assert_ptr_null(roce_mbuf_build_copy(&roce_crc32_isal, pool, &tmpl, &pkt,
							piece, 2));
		ck_assert_int_eq(rte_errno, EINVAL);
	}
	/* More than the mbuf holds. */
	{
		static uint8_t big[4096];
		struct roce_buf piece = { .data = big, .len = sizeof(big) };
		struct roce_pkt pkt;

		test_pkt_sample(&pkt, ROCE_OP_WRITE_ONLY, sizeof(big));
		roce_tmpl_init(&tmpl, &pkt);
		ck_assert_ptr_null(roce_mbuf_build_copy(&roce_crc32_isal, pool, &tmpl, &pkt,
							&piece, 1));
		ck_assert_int_eq(rte_errno, E2BIG);
	}
	assert_pool_full();
}
END_TEST

START_TEST(parse_headers_split_across_segments)
{
	/* A receive path may hand us headers split anywhere. */
	struct roce_parser parser;
	struct roce_pkt pkt, got;
	uint8_t frame[256];
	int flen, cut;

	test_pkt_sample(&pkt, ROCE_OP_COMPARE_SWAP, 0);
	flen = roce_build_flat(&roce_crc32_isal, &pkt, NULL, frame, sizeof(frame));
	ck_assert_int_gt(flen, 0);
	roce_parser_init(&parser, &roce_crc32_isal, 0);
	for (cut = 1; cut < flen; cut++) {
		struct rte_mbuf *a = rte_pktmbuf_alloc(pool), *b = rte_pktmbuf_alloc(pool);

		memcpy(rte_pktmbuf_append(a, cut), frame, cut);
		memcpy(rte_pktmbuf_append(b, flen - cut), frame + cut, flen - cut);
		ck_assert_int_eq(rte_pktmbuf_chain(a, b), 0);
		ck_assert_msg(roce_mbuf_parse(&parser, a, &got) == ROCE_PARSE_OK,
			      "split at %d: %s", cut,
			      roce_parse_status_str(roce_mbuf_parse(&parser, a, &got)));
		ck_assert_uint_eq(got.atmeth.compare, pkt.atmeth.compare);
		rte_pktmbuf_free(a);
	}
	assert_pool_full();
}
END_TEST

START_TEST(build_errors_leave_payload_to_caller)
{
	struct roce_pkt pkt;
	struct rte_mbuf *payload = rte_pktmbuf_alloc(pool), *spare[POOL_SIZE];
	unsigned int n;

	memset(rte_pktmbuf_append(payload, 64), 1, 64);

	/* Length disagrees with the chain. */
	test_pkt_sample(&pkt, ROCE_OP_WRITE_ONLY, 65);
	ck_assert_ptr_null(roce_mbuf_build(&roce_crc32_isal, pool, NULL, &pkt, payload));
	ck_assert_int_eq(rte_errno, EINVAL);

	/* Unknown opcode. */
	test_pkt_sample(&pkt, 0x15, 64);
	ck_assert_ptr_null(roce_mbuf_build(&roce_crc32_isal, pool, NULL, &pkt, payload));
	ck_assert_int_eq(rte_errno, EINVAL);

	/* Payload on an opcode that carries none. */
	test_pkt_sample(&pkt, ROCE_OP_ACK, 64);
	ck_assert_ptr_null(roce_mbuf_build(&roce_crc32_isal, pool, NULL, &pkt, payload));
	ck_assert_int_eq(rte_errno, EINVAL);

	/* Pool exhausted. */
	for (n = 0; n < POOL_SIZE; n++) {
		spare[n] = rte_pktmbuf_alloc(pool);
		if (spare[n] == NULL)
			break;
	}
	test_pkt_sample(&pkt, ROCE_OP_WRITE_ONLY, 64);
	ck_assert_ptr_null(roce_mbuf_build(&roce_crc32_isal, pool, NULL, &pkt, payload));
	ck_assert_int_eq(rte_errno, ENOMEM);
	while (n-- > 0)
		rte_pktmbuf_free(spare[n]);

	/* The payload is untouched and still the caller's. */
	ck_assert_uint_eq(payload->nb_segs, 1);
	ck_assert_uint_eq(rte_pktmbuf_pkt_len(payload), 64);
	rte_pktmbuf_free(payload);
	assert_pool_full();
}
END_TEST

static Suite *
mbuf_suite(void)
{
	Suite *s = suite_create("mbuf");
	TCase *tc = tcase_create("chains");
	TCase *neg = tcase_create("negative");

	tcase_add_test(tc, build_zero_copy_write);
	tcase_add_test(tc, build_chained_payload);
	tcase_add_test(tc, build_no_payload_single_mbuf);
	tcase_add_test(tc, build_copy_one_segment);
	tcase_add_test(tc, parse_headers_split_across_segments);
	tcase_add_test(neg, build_errors_leave_payload_to_caller);
	suite_add_tcase(s, tc);
	suite_add_tcase(s, neg);
	return s;
}

int
main(int argc, char **argv)
{
	int failed;

	(void)argc;
	if (test_eal_init(argv[0], "mbuf", 64) != 0)
		return 1;
	pool = rte_pktmbuf_pool_create("test_mbuf", POOL_SIZE, 0, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
	if (pool == NULL) {
		fprintf(stderr, "pool: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	failed = test_run_nofork(mbuf_suite());
	rte_mempool_free(pool);
	rte_eal_cleanup();
	return failed ? 1 : 0;
}
