/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pcaptool: small capture surgery for tests.
 *   pcaptool split IN.pcap DIR           one file per frame (a fuzz corpus)
 *   pcaptool flip IN.pcap OUT.pcap FRAME OFFSET BIT
 *                                        copy, with one bit of one frame inverted
 *   pcaptool setbyte IN.pcap OUT.pcap FRAME OFFSET VALUE [fix-ip-csum]
 *                                        copy, with one byte of one frame set
 * FRAME is 1-based as in roce-dump; OFFSET counts from the Ethernet header.
 */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

static int
die(const char *fmt, const char *arg)
{
	fprintf(stderr, "pcaptool: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\n");
	return 2;
}

static unsigned long
num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (*s == '\0' || *end != '\0') {
		fprintf(stderr, "pcaptool: not a number: %s\n", s);
		exit(2);
	}
	return v;
}

static int
split(const char *in, const char *dir)
{
	char errbuf[PCAP_ERRBUF_SIZE], path[4096], base[1024];
	struct pcap_pkthdr *h;
	const u_char *data;
	unsigned int n = 0;
	pcap_t *pc = pcap_open_offline(in, errbuf);

	if (pc == NULL)
		return die("%s", errbuf);
	snprintf(base, sizeof(base), "%s", in);
	while (pcap_next_ex(pc, &h, &data) == 1) {
		FILE *f;

		snprintf(path, sizeof(path), "%s/%s-%04u", dir, basename(base), ++n);
		f = fopen(path, "wb");
		if (f == NULL || fwrite(data, 1, h->caplen, f) != h->caplen || fclose(f) != 0)
			return die("cannot write %s", path);
	}
	pcap_close(pc);
	return 0;
}

/* Recompute the IPv4 header checksum of an untagged frame. */
static void
fix_ip_csum(u_char *f, unsigned int len)
{
	unsigned int ihl, i;
	uint32_t sum = 0;

	if (len < 34)
		return;
	ihl = (f[14] & 0xf) * 4;
	if (len < 14 + ihl)
		return;
	f[24] = f[25] = 0;
	for (i = 0; i < ihl; i += 2)
		sum += (uint32_t)f[14 + i] << 8 | f[15 + i];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	f[24] = sum >> 8;
	f[25] = sum & 0xff;
}

static int
edit(const char *in, const char *out, unsigned long frame, unsigned long off, bool flip,
     unsigned long value, bool fix_csum)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_dumper_t *d;
	unsigned long n = 0;
	bool done = false;
	pcap_t *pc = pcap_open_offline_with_tstamp_precision(in, PCAP_TSTAMP_PRECISION_NANO,
							       errbuf);

	if (pc == NULL)
		return die("%s", errbuf);
	d = pcap_dump_open(pc, out);
	if (d == NULL)
		return die("%s", pcap_geterr(pc));
	while (pcap_next_ex(pc, &h, &data) == 1) {
		u_char copy[65536];

		memcpy(copy, data, h->caplen);
		if (++n == frame) {
			if (off >= h->caplen)
				return die("offset beyond the frame in %s", in);
			if (flip)
				copy[off] ^= (u_char)(1u << (value & 7));
			else
				copy[off] = (u_char)value;
			if (fix_csum)
				fix_ip_csum(copy, h->caplen);
			done = true;
		}
		pcap_dump((u_char *)d, h, copy);
	}
	pcap_dump_close(d);
	pcap_close(pc);
	return done ? 0 : die("no such frame in %s", in);
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "split") == 0)
		return split(argv[2], argv[3]);
	if (argc == 7 && strcmp(argv[1], "flip") == 0)
		return edit(argv[2], argv[3], num(argv[4]), num(argv[5]), true, num(argv[6]),
			    false);
	if ((argc == 7 || argc == 8) && strcmp(argv[1], "setbyte") == 0)
		return edit(argv[2], argv[3], num(argv[4]), num(argv[5]), false, num(argv[6]),
			    argc == 8 && strcmp(argv[7], "fix-ip-csum") == 0);
	fprintf(stderr,
		"usage: pcaptool split IN.pcap DIR\n"
		"       pcaptool flip IN.pcap OUT.pcap FRAME OFFSET BIT\n"
		"       pcaptool setbyte IN.pcap OUT.pcap FRAME OFFSET VALUE [fix-ip-csum]\n");
	return 2;
}
