/* SPDX-License-Identifier: BSD-3-Clause */
/* Helpers shared by the test suites: captured frames and sample packets. */
#ifndef TEST_UTIL_H
#define TEST_UTIL_H

#include <stdint.h>

#include "roce_pkt.h"

struct test_frame {
	uint8_t *data;
	uint32_t len;
	uint32_t number;	/* 1-based frame number in the capture */
};

struct test_capture {
	struct test_frame *frame;
	unsigned int count;
};

/*
 * Load every frame of tests/data/NAME (the directory comes from the
 * ROCE_TEST_DATA environment variable that meson sets). Aborts the test
 * with a message naming the file if it cannot be read.
 */
void test_capture_load(struct test_capture *cap, const char *name);
void test_capture_free(struct test_capture *cap);

/* Path of tests/data/NAME (NAME itself if absolute) in a static buffer. */
const char *test_data_path(const char *name);

/*
 * A packet with every field set to a distinct, recognisable value for
 * @p opcode (RETH, AETH, ... whatever the opcode carries), addressed
 * 10.77.0.11 -> 10.77.0.12 as in the captures.
 */
void test_pkt_sample(struct roce_pkt *pkt, uint8_t opcode, uint32_t payload_len);

#endif /* TEST_UTIL_H */
