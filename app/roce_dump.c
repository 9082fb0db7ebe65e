/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * roce-dump: decode RoCEv2 frames in pcap files, one line per frame, and
 * validate them exactly as the transport's receive path does. No EAL.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "roce_pkt.h"

struct dump_opts {
	bool check;
	bool quiet;
};

struct dump_totals {
	uint64_t frames;
	uint64_t roce_ok;
	uint64_t roce_bad;
	uint64_t foreign;
};

static void
usage(FILE *out, const char *prog)
{
	fprintf(out,
		"Usage: %s [--check] [--quiet] FILE.pcap...\n"
		"Decode the RoCEv2 frames (UDP port 4791 over IPv4) in each capture, one line\n"
		"per frame, and validate them: headers, lengths, pad count and ICRC.\n"
		"\n"
		"  -c, --check   exit 1 if any RoCEv2 frame fails validation\n"
		"  -q, --quiet   print only the summary of each file\n"
		"  -h, --help    show this help\n"
		"\n"
		"Frames that are not RoCEv2 (TCP, ARP, other UDP ports) are listed as such and\n"
		"never count as failures. Exit status: 0 success, 1 validation failed (--check),\n"
		"2 usage error or unreadable file.\n",
		prog);
}

static const char *
ipv4_str(uint32_t addr, char *buf, size_t len)
{
	struct in_addr a = { .s_addr = htonl(addr) };

	return inet_ntop(AF_INET, &a, buf, len);
}

/* The extension headers the opcode carries, as "key=value" fields. */
static void
print_ext(const struct roce_pkt *pkt)
{
	uint32_t mask = pkt->info->mask;

	if (mask & ROCE_OPF_RETH)
		printf(" va=0x%" PRIx64 " rkey=0x%08x dlen=%u", pkt->reth.va, pkt->reth.rkey,
		       pkt->reth.dma_len);
	if (mask & ROCE_OPF_AETH) {
		static const char *const kind[4] = { "ACK", "RNR_NAK", "rsvd", "NAK" };

		printf(" aeth=%s:0x%02x msn=%u", kind[roce_aeth_type(pkt->aeth.syndrome) >> 5],
		       roce_aeth_value(pkt->aeth.syndrome), pkt->aeth.msn);
	}
	if (mask & ROCE_OPF_ATMETH)
		printf(" va=0x%" PRIx64 " rkey=0x%08x swap_add=0x%" PRIx64 " compare=0x%" PRIx64,
		       pkt->atmeth.va, pkt->atmeth.rkey, pkt->atmeth.swap_add, pkt->atmeth.compare);
	if (mask & ROCE_OPF_ATMACK)
		printf(" orig=0x%" PRIx64, pkt->atmack_orig);
	if (mask & ROCE_OPF_IMMDT)
		printf(" imm=0x%08x", pkt->imm);
	if (mask & ROCE_OPF_IETH)
		printf(" inv_rkey=0x%08x", pkt->ieth_rkey);
}

static void
print_frame(uint64_t n, const struct roce_pkt *pkt, enum roce_parse_status st,
	    const uint8_t *frame, uint32_t caplen, uint32_t wirelen)
{
	struct roce_buf seg = { .data = frame, .len = caplen };
	bool icrc_ok;

	char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];

	printf("%6" PRIu64 " ", n);
	if (st == ROCE_PARSE_NOT_IPV4 || (st == ROCE_PARSE_TOO_SHORT && pkt->l3_off == 0)) {
		printf("non-RoCE (%s)\n", st == ROCE_PARSE_NOT_IPV4 ? "not IPv4" : "runt frame");
		return;
	}
	printf("%s > %s ", ipv4_str(pkt->ip_src, src, sizeof(src)),
	       ipv4_str(pkt->ip_dst, dst, sizeof(dst)));
	if (roce_parse_status_is_foreign(st)) {
		printf("non-RoCE (%s)\n", roce_parse_status_str(st));
		return;
	}
	if (pkt->info == NULL) {	/* rejected before the opcode was known */
		printf("RoCEv2 REJECTED: %s", roce_parse_status_str(st));
		if (caplen < wirelen)
			printf(" (captured %u of %u bytes)", caplen, wirelen);
		printf("\n");
		return;
	}
	printf("%s qp=0x%06x psn=%u%s%s", pkt->info->name, pkt->dqpn, pkt->psn,
	       pkt->ackreq ? " ackreq" : "", pkt->se ? " se" : "");
	if (pkt->fecn || pkt->becn || (pkt->ip_tos & 3) == 3)
		printf("%s%s%s", pkt->fecn ? " fecn" : "", pkt->becn ? " becn" : "",
		       (pkt->ip_tos & 3) == 3 ? " ecn=CE" : "");
	print_ext(pkt);
	printf(" len=%u", pkt->payload_len);
	if (pkt->frame_len == 0) {	/* rejected before the layout was known */
		printf(" REJECTED: %s\n", roce_parse_status_str(st));
		return;
	}
	/* The ICRC verdict stands on its own, whatever else was wrong. */
	icrc_ok = roce_icrc_calc(&roce_crc32_isal, &seg, 1, pkt->l3_off, pkt->ip_hdr_len,
				 pkt->frame_len - ROCE_ICRC_LEN) == pkt->icrc;
	printf(" icrc=%s", icrc_ok ? "ok" : "BAD");
	if (st != ROCE_PARSE_OK && st != ROCE_PARSE_BAD_ICRC)
		printf(" REJECTED: %s", roce_parse_status_str(st));
	printf("\n");
}

/* Returns 0, or -1 if the file cannot be read. */
static int
dump_file(const char *path, const struct dump_opts *opts, struct dump_totals *tot)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct roce_parser parser;
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *pc;
	int rc, i;

	pc = pcap_open_offline(path, errbuf);
	if (pc == NULL) {
		fprintf(stderr, "roce-dump: %s: %s\n", path, errbuf);
		return -1;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "roce-dump: %s: link type %s, only Ethernet captures are decoded\n",
			path, pcap_datalink_val_to_name(pcap_datalink(pc)));
		pcap_close(pc);
		return -1;
	}
	roce_parser_init(&parser, &roce_crc32_isal, 0);
	if (!opts->quiet)
		printf("== %s\n", path);
	while ((rc = pcap_next_ex(pc, &h, &data)) == 1) {
		struct roce_pkt pkt;
		enum roce_parse_status st = roce_parse_flat(&parser, data, h->caplen, &pkt);

		tot->frames++;
		if (st == ROCE_PARSE_OK)
			tot->roce_ok++;
		else if (roce_parse_status_is_foreign(st))
			tot->foreign++;
		else
			tot->roce_bad++;
		if (!opts->quiet)
			print_frame(tot->frames, &pkt, st, data, h->caplen, h->len);
	}
	if (rc == -1) {
		fprintf(stderr, "roce-dump: %s: %s\n", path, pcap_geterr(pc));
		pcap_close(pc);
		return -1;
	}
	pcap_close(pc);

	printf("%s: %" PRIu64 " frames: %" PRIu64 " RoCEv2 valid, %" PRIu64
	       " RoCEv2 rejected, %" PRIu64 " not RoCEv2\n",
	       path, tot->frames, tot->roce_ok, tot->roce_bad, tot->foreign);
	for (i = 0; i < ROCE_PARSE_NSTATUS; i++)
		if (parser.count[i] != 0)
			printf("  %-22s %" PRIu64 "\n", roce_parse_status_counter(i),
			       parser.count[i]);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "check", no_argument, NULL, 'c' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct dump_opts opts = { 0 };
	bool failed = false, unreadable = false;
	int c, i;

	while ((c = getopt_long(argc, argv, "cqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			opts.check = true;
			break;
		case 'q':
			opts.quiet = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			return 0;
		default:
			usage(stderr, argv[0]);
			return 2;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "roce-dump: no capture file given\n");
		usage(stderr, argv[0]);
		return 2;
	}
	for (i = optind; i < argc; i++) {
		struct dump_totals tot = { 0 };

		if (dump_file(argv[i], &opts, &tot) < 0)
			unreadable = true;
		else if (tot.roce_bad != 0)
			failed = true;
	}
	if (unreadable)
		return 2;
	if (opts.check && failed) {
		fprintf(stderr, "roce-dump: --check: RoCEv2 frames failed validation\n");
		return 1;
	}
	return 0;
}
