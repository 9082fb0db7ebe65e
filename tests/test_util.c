/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "test_util.h"

const char *
test_data_path(const char *name)
{
	static char path[4096];
	const char *dir = getenv("ROCE_TEST_DATA");

	if (name[0] == '/')	/* a file the test wrote itself */
		snprintf(path, sizeof(path), "%s", name);
	else
		snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : "tests/data", name);
	return path;
}

void
test_capture_load(struct test_capture *cap, const char *name)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	const char *path = test_data_path(name);
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int alloc = 0;
	pcap_t *pc;

	memset(cap, 0, sizeof(*cap));
	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "cannot open capture %s: %s\n", path, errbuf);
		abort();
	}
	while (pcap_next_ex(pc, &h, &data) == 1) {
		struct test_frame *f;

		if (cap->count == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			cap->frame = realloc(cap->frame, alloc * sizeof(*cap->frame));
			if (cap->frame == NULL)
				abort();
		}
		f = &cap->frame[cap->count++];
		f->len = h->caplen;
		f->number = cap->count;
		f->data = malloc(h->caplen);
		if (f->data == NULL)
			abort();
		memcpy(f->data, data, h->caplen);
	}
	pcap_close(pc);
}

void
test_capture_free(struct test_capture *cap)
{
	unsigned int i;

	for (i = 0; i < cap->count; i++)
		free(cap->frame[i].data);
	free(cap->frame);
	memset(cap, 0, sizeof(*cap));
}

void
test_pkt_sample(struct roce_pkt *pkt, uint8_t opcode, uint32_t payload_len)
{
	static const struct rte_ether_addr src = { { 0x02, 0x00, 0x00, 0x4d, 0x00, 0x0b } };
	static const struct rte_ether_addr dst = { { 0x02, 0x00, 0x00, 0x4d, 0x00, 0x0c } };

	memset(pkt, 0, sizeof(*pkt));
	pkt->eth_src = src;
	pkt->eth_dst = dst;
	pkt->ip_src = 0x0a4d000b;	/* 10.77.0.11 */
	pkt->ip_dst = 0x0a4d000c;	/* 10.77.0.12 */
	pkt->ip_tos = 0;
	pkt->ip_ttl = 64;
	pkt->ip_id = 0x1234;
	pkt->ip_df = true;
	pkt->udp_sport = roce_udp_sport(0x11, 0x12);
	pkt->opcode = opcode;
	pkt->se = true;
	pkt->migreq = false;
	pkt->pkey = ROCE_DEFAULT_PKEY;
	pkt->dqpn = 0xabcdef;
	pkt->ackreq = true;
	pkt->psn = 0xfffffe;
	pkt->reth.va = 0x0123456789abcdefull;
	pkt->reth.rkey = 0xdeadbeef;
	pkt->reth.dma_len = 0x10000;
	pkt->aeth.syndrome = ROCE_AETH_ACK_NO_CREDIT;
	pkt->aeth.msn = 0x00c0ffee & 0xffffff;
	pkt->atmeth.va = 0xfedcba9876543210ull;
	pkt->atmeth.rkey = 0x0badf00d;
	pkt->atmeth.swap_add = 0x1111222233334444ull;
	pkt->atmeth.compare = 0x5555666677778888ull;
	pkt->atmack_orig = 0x99990000aaaabbbbull;
	pkt->imm = 0xcafef00d;
	pkt->ieth_rkey = 0x76543210;
	pkt->payload_len = payload_len;
}
