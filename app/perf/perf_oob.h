/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * perftest's out-of-band exchange: what ib_write_bw and friends say to each
 * other over a kernel TCP socket before, between and after the RDMA run.
 * perftest 4.5's format and order, as recorded in oob-perftest.pcap and
 * described in the captures' README:
 *
 *   version   16 bytes, "6.06" and NULs (the peer must be 5.70 or later)
 *   page size, cache line size: 32-bit big-endian each
 *   MTU       2 bytes, the ibv_mtu enum as an ASCII digit and a NUL
 *   keys      108 bytes, "%04x:%04x:%06x:%06x:%08x:%016llx:" (lid,
 *             outstanding reads, QPN, PSN, rkey, vaddr), the GID's 16
 *             bytes as "%02x:", "%08x:" (SRQ number), a NUL
 *   report    five 8-byte steps: size, iterations (u64), peak MB/s,
 *             average MB/s, Mpps (IEEE doubles), all big-endian
 *   done      "done\0"
 *
 * No framing: every message has a fixed length. At each step the client
 * writes then reads, the server reads then writes.
 *
 * The codec is pure. The exchange reads and writes a connected socket with
 * a time limit on every step, calling a progress hook while it waits, so
 * the RDMA device keeps being polled (a passive ib_write_bw server waits
 * on the socket while the client's WRITEs arrive).
 */
#ifndef PERF_OOB_H
#define PERF_OOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PERF_OOB_VERSION	"6.06"
#define PERF_OOB_VERSION_MIN	570	/* 5.70, in hundredths */
#define PERF_OOB_VERSION_LEN	16
#define PERF_OOB_SYSDATA_LEN	4	/* each of page size and cache line size */
#define PERF_OOB_MTU_LEN	2
#define PERF_OOB_KEYS_LEN	108
#define PERF_OOB_REPORT_LEN	40
#define PERF_OOB_DONE		"done"
#define PERF_OOB_DONE_LEN	5
#define PERF_OOB_PORT		18515	/* perftest's default */

/* One side's connection data: perftest's struct pingpong_dest, on the wire. */
struct perf_dest {
	uint16_t lid;			/* 0 on RoCE */
	uint16_t out_reads;		/* RDMA READs it accepts in flight */
	uint32_t qpn;
	uint32_t psn;
	uint32_t rkey;
	uint64_t vaddr;
	uint8_t gid[16];
	uint32_t srqn;
};

/* The client's result, sent to the server after a bandwidth run. */
struct perf_report {
	uint64_t size;
	uint64_t iters;
	double bw_peak;			/* MB/s, MB = 2^20 bytes as perftest */
	double bw_avg;
	double msg_rate;		/* Mpps */
};

/* ---- Codec (pure) ---- */

/** Field by field: the struct has padding. */
bool perf_dest_equal(const struct perf_dest *a, const struct perf_dest *b);

/** Format @p d as a keys message, NUL included. */
void perf_keys_format(const struct perf_dest *d, char out[PERF_OOB_KEYS_LEN]);
/**
 * Parse a keys message strictly: lower- or upper-case hex digits exactly
 * where perftest prints them, colons between, a NUL at the end.
 * @return 0, or -EINVAL (and *why names the first fault).
 */
int perf_keys_parse(const char in[PERF_OOB_KEYS_LEN], struct perf_dest *d, const char **why);

void perf_version_format(char out[PERF_OOB_VERSION_LEN]);
/**
 * The peer's version in hundredths ("6.06" -> 606).
 * @return 0 and *hundredths, -EPROTO (not a NUL-terminated "M.mm" number)
 *   or -EPROTONOSUPPORT (older than 5.70).
 */
int perf_version_parse(const char in[PERF_OOB_VERSION_LEN], unsigned int *hundredths);

void perf_u32_format(uint32_t v, uint8_t out[4]);
uint32_t perf_u32_parse(const uint8_t in[4]);

/** @p mtu is an ibv_mtu value, 1 (256) .. 5 (4096). */
void perf_mtu_format(int mtu, char out[PERF_OOB_MTU_LEN]);
/** @return the ibv_mtu value, or -EPROTO. */
int perf_mtu_parse(const char in[PERF_OOB_MTU_LEN]);

void perf_report_format(const struct perf_report *r, uint8_t out[PERF_OOB_REPORT_LEN]);
void perf_report_parse(const uint8_t in[PERF_OOB_REPORT_LEN], struct perf_report *r);

/* ---- Exchange over a connected TCP socket ---- */

struct perf_oob {
	int fd;
	bool client;			/* writes first at each step */
	uint32_t step_timeout_ms;	/* limit on each step */
	/* Called while waiting for the socket; returns work done (0 = idle,
	 * the exchange then yields the CPU briefly). May be NULL. */
	int (*progress)(void *arg);
	void *progress_arg;
	const char *step;		/* name of the step under way, for errors */
	char step_name[24];		/* storage for numbered step names */
	char error[160];		/* what went wrong, once a call failed */
	uint64_t bytes_out, bytes_in;
};

/**
 * Connect to @p host (IPv4 literal or name) on @p port, retrying until the
 * server listens or @p timeout_ms passes. @return the socket, or -errno.
 */
int perf_oob_connect(const char *host, uint16_t port, uint32_t timeout_ms,
		     int (*progress)(void *), void *arg);
/** Listen on @p port, all addresses. @return the socket, or -errno. */
int perf_oob_listen(uint16_t port);
/** Accept one connection within @p timeout_ms (0: wait for ever). */
int perf_oob_accept(int lfd, uint32_t timeout_ms, int (*progress)(void *), void *arg);

/**
 * One step: send @p len bytes of @p mine and receive @p len into @p theirs,
 * in the role's order. @return 0, -ETIMEDOUT (the peer said nothing in
 * time), -ECONNRESET (it closed: a short read), -EIO.
 */
int perf_oob_xchg(struct perf_oob *o, const char *step, const void *mine, void *theirs,
		  size_t len);

/** One way only (ibv_rc_pingpong's exchange is not symmetric). */
int perf_oob_send(struct perf_oob *o, const char *step, const void *buf, size_t len);
int perf_oob_recv(struct perf_oob *o, const char *step, void *buf, size_t len);

/**
 * Version, page size and cache line size, MTU (@p local_mtu is ours, an
 * ibv_mtu; *path_mtu becomes the smaller of the two, as perftest).
 * @return 0, or a negative errno with o->error set.
 */
int perf_oob_hello(struct perf_oob *o, int local_mtu, int *path_mtu,
		   unsigned int *peer_version);
/** Exchange keys (step @p n, for errors). */
int perf_oob_keys(struct perf_oob *o, int n, const struct perf_dest *mine,
		  struct perf_dest *theirs);
int perf_oob_report(struct perf_oob *o, const struct perf_report *mine,
		    struct perf_report *theirs);
/** "done\0" both ways. */
int perf_oob_done(struct perf_oob *o);

#endif /* PERF_OOB_H */
