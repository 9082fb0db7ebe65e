/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tcp_mirror: the kernel-TCP baseline of NVRAM mirroring (docs/perf.md).
 * It does the job of a synchronous nvram_shadow append over TCP: the
 * writer puts each record (a header with length, sequence and CRC-32, then
 * the payload) into its own log, a file mmap, sends it, and waits for the
 * mirror's acknowledgement; the mirror checks the CRC, copies the record to
 * the same offset of its shadow file (a file mmap too) and acknowledges.
 * One record in flight, as a synchronous append.
 *
 *   tcp_mirror --serve PORT --file SHADOW
 *   tcp_mirror --connect IPV4:PORT --file LOG [--records N] [--warmup N] [--size BYTES]
 *              [--json]
 *
 * The writer prints appends per second and the latency of an append
 * (median, 99th percentile) in microseconds, of the --records appends
 * after --warmup untimed ones (0 by default).
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <zlib.h>

#include "perf_stats.h"

#define LOG_BYTES	(16u << 20)
#define HDR_MAGIC	0x4e56524du	/* "NVRM" */

struct rec_hdr {
	uint32_t magic, len;
	uint64_t seq;
	uint32_t crc, pad;
};

static uint8_t *
map_file(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	void *p;

	if (fd < 0 || ftruncate(fd, LOG_BYTES) != 0) {
		perror(path);
		exit(1);
	}
	p = mmap(NULL, LOG_BYTES, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

static int
read_full(int fd, void *buf, size_t len)
{
	uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = read(fd, p, len);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int
serve(uint16_t port, const char *file)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	uint8_t *shadow = map_file(file);
	int lfd, fd, one = 1;
	uint64_t off = 0, n = 0;
	struct rec_hdr h;

	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(lfd, 1) != 0) {
		perror("tcp_mirror: listen");
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (read_full(fd, &h, sizeof(h)) == 0) {
		if (h.magic != HDR_MAGIC || h.len > LOG_BYTES / 2) {
			fprintf(stderr, "tcp_mirror: bad record header\n");
			return 1;
		}
		if (off + sizeof(h) + h.len > LOG_BYTES)
			off = 0;
		memcpy(shadow + off, &h, sizeof(h));
		if (read_full(fd, shadow + off + sizeof(h), h.len) != 0)
			return 1;
		if (crc32(0, shadow + off + sizeof(h), h.len) != h.crc) {
			fprintf(stderr, "tcp_mirror: record %lu: CRC mismatch\n", (unsigned long)h.seq);
			return 1;
		}
		off += sizeof(h) + h.len;
		if (write(fd, &h.seq, sizeof(h.seq)) != sizeof(h.seq))
			return 1;
		n++;
	}
	fprintf(stderr, "tcp_mirror: mirrored %lu records\n", (unsigned long)n);
	close(fd);
	close(lfd);
	munmap(shadow, LOG_BYTES);
	return 0;
}

static int
writer(const char *target, const char *file, uint64_t warmup, uint64_t records, uint32_t size,
       bool json)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	uint8_t *log = map_file(file), *payload;
	uint64_t *lat = calloc(records, sizeof(*lat)), off = 0, i, t0, t_all;
	char host[64], *colon;
	struct perf_lat l;
	int fd, one = 1;

	snprintf(host, sizeof(host), "%s", target);
	colon = strchr(host, ':');
	if (colon == NULL || lat == NULL)
		return 2;
	*colon = '\0';
	sin.sin_port = htons((uint16_t)atoi(colon + 1));
	inet_pton(AF_INET, host, &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	for (i = 0; connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0; i++) {
		if (i == 100) {
			perror("tcp_mirror: connect");
			return 1;
		}
		close(fd);
		fd = socket(AF_INET, SOCK_STREAM, 0);
		usleep(50000);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	payload = malloc(size);
	if (payload == NULL)
		return 1;
	t_all = perf_now_ns();
	for (i = 0; i < warmup + records; i++) {
		struct rec_hdr h = { .magic = HDR_MAGIC, .len = size, .seq = i };
		struct iovec iov[2];
		uint64_t ack;
		uint32_t j;

		for (j = 0; j < size; j++)
			payload[j] = (uint8_t)(i + j);
		t0 = perf_now_ns();
		/* The append: into the local log, then to the mirror, then wait. */
		if (off + sizeof(h) + size > LOG_BYTES)
			off = 0;
		h.crc = (uint32_t)crc32(0, payload, size);
		memcpy(log + off, &h, sizeof(h));
		memcpy(log + off + sizeof(h), payload, size);
		iov[0] = (struct iovec){ log + off, sizeof(h) };
		iov[1] = (struct iovec){ log + off + sizeof(h), size };
		if (writev(fd, iov, 2) != (ssize_t)(sizeof(h) + size) ||
		    read_full(fd, &ack, sizeof(ack)) != 0 || ack != i) {
			fprintf(stderr, "tcp_mirror: record %lu not acknowledged\n", (unsigned long)i);
			return 1;
		}
		if (i >= warmup)
			lat[i - warmup] = perf_now_ns() - t0;
		else if (i + 1 == warmup)
			t_all = perf_now_ns();	/* the timed appends start now */
		off += sizeof(h) + size;
	}
	t_all = perf_now_ns() - t_all;
	close(fd);
	perf_lat_compute(&l, size, lat, records, 1.0);
	if (json)
		printf("{\"test\": \"nvram\", \"mirror\": \"kernel-tcp\", \"bytes\": %u, \"records\": %lu, "
		       "\"appends_per_s\": %.0f, \"p50_us\": %.2f, \"p99_us\": %.2f}\n", size,
		       (unsigned long)records, records / (t_all / 1e9), l.t_typical, l.p99);
	else
		printf("kernel TCP mirror: %lu appends of %u bytes: %.0f appends/s, "
		       "p50 %.2f us, p99 %.2f us, max %.2f us\n", (unsigned long)records, size,
		       records / (t_all / 1e9), l.t_typical, l.p99, l.t_max);
	fflush(stdout);
	free(payload);
	free(lat);
	munmap(log, LOG_BYTES);
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "serve", required_argument, NULL, 's' },
		{ "connect", required_argument, NULL, 'c' },
		{ "file", required_argument, NULL, 'f' },
		{ "records", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "size", required_argument, NULL, 'z' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	const char *file = NULL, *target = NULL;
	uint64_t records = 10000, warmup = 0;
	uint32_t size = 4096;
	int port = 0, c;
	bool json = false;

	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		switch (c) {
		case 's': port = atoi(optarg); break;
		case 'c': target = optarg; break;
		case 'f': file = optarg; break;
		case 'n': records = strtoull(optarg, NULL, 10); break;
		case 'w': warmup = strtoull(optarg, NULL, 10); break;
		case 'z': size = (uint32_t)atoi(optarg); break;
		case 'j': json = true; break;
		default: return 2;
		}
	}
	if (file == NULL || (port == 0) == (target == NULL) || records == 0 || size == 0 ||
	    size > LOG_BYTES / 4) {
		fprintf(stderr, "usage: tcp_mirror --serve PORT --file SHADOW | --connect IP:PORT "
			"--file LOG [--records N] [--warmup N] [--size BYTES] [--json]\n");
		return 2;
	}
	return port != 0 ? serve((uint16_t)port, file) :
			   writer(target, file, warmup, records, size, json);
}
