/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target for the frame parser. Properties checked on every input:
 *  - the parser never reads outside the bytes it is given (ASan), in one
 *    segment or split into three at input-chosen points;
 *  - both splits give the same verdict and the same decoded packet;
 *  - a frame it accepts, rebuilt by the builder from the decoded fields,
 *    parses again to the same fields (build and parse agree).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "roce_pkt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
expect(int cond)
{
	if (!cond)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct roce_parser parser;
	struct roce_pkt flat, split, again;
	struct roce_buf seg[3];
	enum roce_parse_status st, st_split;
	uint8_t *copy, *frame;
	size_t a, b;
	int len;

	if (size > 65536)
		return 0;
	/* Exact-size heap copies so ASan sees any over-read. */
	copy = malloc(size ? size : 1);
	memcpy(copy, data, size);
	roce_parser_init(&parser, &roce_crc32_isal, 0);
	st = roce_parse_flat(&parser, copy, size, &flat);

	/* Split points taken from the input itself. */
	a = size ? data[0] % (size + 1) : 0;
	b = size ? a + (size > 1 ? data[size - 1] : 0) % (size - a + 1) : 0;
	seg[0] = (struct roce_buf){ .data = copy, .len = a };
	seg[1] = (struct roce_buf){ .data = copy + a, .len = b - a };
	seg[2] = (struct roce_buf){ .data = copy + b, .len = size - b };
	st_split = roce_parse(&parser, seg, 3, &split);
	expect(st == st_split);
	expect(memcmp(&flat, &split, sizeof(flat)) == 0);

	if (st == ROCE_PARSE_OK) {
		frame = malloc(flat.frame_len + 64);
		again = flat;
		len = roce_build_flat(&roce_crc32_isal, &again, copy + flat.payload_off,
				      frame, flat.frame_len + 64);
		expect(len > 0);
		/* Only IPv4 options are not rebuilt (the builder writes none). */
		if (flat.ip_hdr_len == 20)
			expect((uint32_t)len == flat.frame_len);
		expect(roce_parse_flat(&parser, frame, len, &again) == ROCE_PARSE_OK);
		expect(again.opcode == flat.opcode && again.psn == flat.psn &&
		       again.dqpn == flat.dqpn && again.payload_len == flat.payload_len &&
		       again.padcnt == flat.padcnt);
		expect(memcmp(frame + again.payload_off, copy + flat.payload_off,
			      flat.payload_len) == 0);
		free(frame);
	}
	free(copy);
	return 0;
}
