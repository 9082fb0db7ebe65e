/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * roce-pcapgen: a pcap of a valid RoCEv2 RDMA WRITE stream, for Pktgen-DPDK's
 * pcap replay (`-s P:file.pcap`) against a running ccm node or ccm-perf
 * server. Every frame has a correct ICRC and IPv4 checksum; PSNs run on
 * from --psn, messages go to consecutive addresses from --va, wrapping
 * within --span, and each message's last packet asks for an ACK.
 *
 *   roce-pcapgen --dst-qpn N --rkey K --va ADDR --psn P -o FILE
 *       [--src-qpn N] [--size BYTES] [--count MESSAGES] [--mtu 256..4096]
 *       [--span BYTES] [--src-ip A.B.C.D] [--dst-ip A.B.C.D]
 *       [--src-mac M] [--dst-mac M] [--immediate]
 *
 * Replayed more than once, the stream repeats its PSNs: the responder
 * treats the second pass as duplicates (acknowledged, not placed) and
 * counts them (resp_dup) — a replay measures the receive path's rate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include "roce_pkt.h"

static int
parse_mac(const char *s, struct rte_ether_addr *mac)
{
	unsigned int b[6], i;

	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]) != 6)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		if (b[i] > 0xff)
			return -EINVAL;
		mac->addr_bytes[i] = (uint8_t)b[i];
	}
	return 0;
}

static int
parse_ip(const char *s, uint32_t *ip)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*ip = ntohl(a.s_addr);
	return 0;
}

static int
usage(int rc)
{
	fprintf(rc ? stderr : stdout,
		"usage: roce-pcapgen --dst-qpn N --rkey K --va ADDR --psn P -o FILE\n"
		"         [--src-qpn N (17)] [--size BYTES (4096)] [--count MESSAGES (1000)]\n"
		"         [--mtu 256..4096 (1024)] [--span BYTES (size)] [--immediate]\n"
		"         [--src-ip A.B.C.D (10.66.0.2)] [--dst-ip A.B.C.D (10.66.0.1)]\n"
		"         [--src-mac M (02:00:00:00:00:02)] [--dst-mac M (02:00:00:00:00:01)]\n");
	return rc;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "dst-qpn", required_argument, NULL, 'q' }, { "src-qpn", required_argument, NULL, 'Q' },
		{ "rkey", required_argument, NULL, 'k' }, { "va", required_argument, NULL, 'v' },
		{ "psn", required_argument, NULL, 'p' }, { "size", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' }, { "mtu", required_argument, NULL, 'm' },
		{ "span", required_argument, NULL, 'S' }, { "src-ip", required_argument, NULL, 'i' },
		{ "dst-ip", required_argument, NULL, 'I' }, { "src-mac", required_argument, NULL, 'a' },
		{ "dst-mac", required_argument, NULL, 'A' }, { "immediate", no_argument, NULL, 'M' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	struct rte_ether_addr src_mac = { { 2, 0, 0, 0, 0, 2 } }, dst_mac = { { 2, 0, 0, 0, 0, 1 } };
	uint32_t src_ip = 0x0a420002, dst_ip = 0x0a420001, dqpn = 0, sqpn = 17, rkey = 0;
	uint32_t psn = 0, mtu = 1024, size = 4096;
	uint64_t va = 0, span = 0, count = 1000, m, frames = 0;
	bool have_qpn = false, have_rkey = false, have_va = false, have_psn = false, imm = false;
	const char *out = NULL;
	static uint8_t payload[1 << 23], frame[4096 + 256];
	pcap_dumper_t *dump;
	pcap_t *pc;
	int c;

	while ((c = getopt_long(argc, argv, "o:h", lo, NULL)) != -1) {
		char *end = NULL;
		unsigned long long v = 0;

		if (optarg != NULL && strchr("qQkvpsnmS", c) != NULL)
			v = strtoull(optarg, &end, 0);
		if (end != NULL && *end != '\0') {
			fprintf(stderr, "roce-pcapgen: bad number '%s'\n", optarg);
			return 2;
		}
		switch (c) {
		case 'q': dqpn = (uint32_t)v; have_qpn = v <= 0xffffff; break;
		case 'Q': sqpn = (uint32_t)v; break;
		case 'k': rkey = (uint32_t)v; have_rkey = true; break;
		case 'v': va = v; have_va = true; break;
		case 'p': psn = (uint32_t)v & 0xffffff; have_psn = v <= 0xffffff; break;
		case 's': size = (uint32_t)v; break;
		case 'n': count = v; break;
		case 'm': mtu = (uint32_t)v; break;
		case 'S': span = v; break;
		case 'M': imm = true; break;
		case 'i': if (parse_ip(optarg, &src_ip)) return usage(2); break;
		case 'I': if (parse_ip(optarg, &dst_ip)) return usage(2); break;
		case 'a': if (parse_mac(optarg, &src_mac)) return usage(2); break;
		case 'A': if (parse_mac(optarg, &dst_mac)) return usage(2); break;
		case 'o': out = optarg; break;
		case 'h': return usage(0);
		default: return usage(2);
		}
	}
	if (!have_qpn || !have_rkey || !have_va || !have_psn || out == NULL) {
		fprintf(stderr, "roce-pcapgen: --dst-qpn, --rkey, --va, --psn and -o are required\n");
		return usage(2);
	}
	if ((mtu & (mtu - 1)) || mtu < 256 || mtu > 4096 || size == 0 ||
	    size > sizeof(payload) || count == 0) {
		fprintf(stderr, "roce-pcapgen: --mtu 256..4096 (a power of 2), --size 1..%zu, "
			"--count 1 or more\n", sizeof(payload));
		return 2;
	}
	if (span < size)
		span = size;
	for (m = 0; m < size; m++)
		payload[m] = (uint8_t)(m * 7 + 1);
	pc = pcap_open_dead(DLT_EN10MB, 65535);
	dump = pcap_dump_open(pc, out);
	if (dump == NULL) {
		fprintf(stderr, "roce-pcapgen: %s\n", pcap_geterr(pc));
		return 1;
	}
	for (m = 0; m < count; m++) {
		uint32_t off = 0, npkts = (size + mtu - 1) / mtu, k;
		uint64_t msg_va = va + (m * size) % (span - span % size);

		for (k = 0; k < npkts; k++, off += mtu) {
			struct roce_pkt pkt = {
				.eth_dst = dst_mac, .eth_src = src_mac, .ip_src = src_ip,
				.ip_dst = dst_ip, .ip_ttl = 64, .ip_df = true,
				.udp_sport = roce_udp_sport(sqpn, dqpn), .pkey = 0xffff,
				.dqpn = dqpn, .psn = psn, .imm = (uint32_t)m,
			};
			struct pcap_pkthdr h = { 0 };
			bool last = k + 1 == npkts;
			int len;

			if (npkts == 1)
				pkt.opcode = imm ? ROCE_OP_WRITE_ONLY_IMM : ROCE_OP_WRITE_ONLY;
			else if (k == 0)
				pkt.opcode = ROCE_OP_WRITE_FIRST;
			else if (!last)
				pkt.opcode = ROCE_OP_WRITE_MIDDLE;
			else
				pkt.opcode = imm ? ROCE_OP_WRITE_LAST_IMM : ROCE_OP_WRITE_LAST;
			pkt.reth.va = msg_va;
			pkt.reth.rkey = rkey;
			pkt.reth.dma_len = size;
			pkt.ackreq = last;
			pkt.payload_len = last ? size - off : mtu;
			len = roce_build_flat(&roce_crc32_isal, &pkt, payload + off, frame,
					      sizeof(frame));
			if (len < 0) {
				fprintf(stderr, "roce-pcapgen: cannot build a frame: %s\n",
					strerror(-len));
				return 1;
			}
			/* Ethernet minimum: zero padding after the ICRC. */
			if (len < 60) {
				memset(frame + len, 0, 60 - (size_t)len);
				len = 60;
			}
			h.caplen = h.len = (uint32_t)len;
			h.ts.tv_usec = (long)(frames % 1000000);
			pcap_dump((u_char *)dump, &h, frame);
			psn = (psn + 1) & 0xffffff;
			frames++;
		}
	}
	pcap_dump_close(dump);
	pcap_close(pc);
	printf("%s: %lu frames, %lu WRITE messages of %u bytes to QP 0x%06x rkey 0x%08x "
	       "va 0x%lx; next PSN 0x%06x\n", out, (unsigned long)frames, (unsigned long)count,
	       size, dqpn, rkey, (unsigned long)va, psn);
	return 0;
}
