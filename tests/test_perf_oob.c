/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ccm-perf's pure parts: perftest's out-of-band codec against the bytes
 * Linux perftest 4.5 sent (oob-perftest.pcap, first conversation: the
 * ib_write_bw -s 4096 -n 16 run), every malformed input, the exchange over
 * a socket pair with its time limits, and the latency and bandwidth
 * figures. No EAL.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "perf_oob.h"
#include "perf_stats.h"

/* oob-perftest.pcap, conversation 1: the client's (10.77.0.12) and the
 * server's (10.77.0.11) keys messages, NUL included. */
static const char client_keys[PERF_OOB_KEYS_LEN] =
	"0000:0001:000011:959e2e:00000229:000055dfe4daf000:"
	"00:00:00:00:00:00:00:00:00:00:ff:ff:0a:4d:00:0c:00000000:";
static const char server_keys[PERF_OOB_KEYS_LEN] =
	"0000:0001:000011:a6ef26:0000025d:0000564c7d5eb000:"
	"00:00:00:00:00:00:00:00:00:00:ff:ff:0a:4d:00:0b:00000000:";
/* The same conversation: the client's report, five 8-byte messages. */
static const uint8_t client_report[PERF_OOB_REPORT_LEN] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10,
	0x40, 0x13, 0x63, 0x96, 0x5e, 0x2e, 0xb0, 0xc2,
	0x40, 0x0f, 0x45, 0x46, 0x78, 0x5e, 0xa9, 0x0a,
	0x3f, 0x50, 0x65, 0x11, 0xdb, 0xfc, 0x37, 0xa9,
};

START_TEST(keys_recorded)
{
	static const uint8_t gid[16] = { [10] = 0xff, [11] = 0xff, 10, 77, 0, 12 };
	char out[PERF_OOB_KEYS_LEN];
	struct perf_dest d;

	ck_assert_uint_eq(sizeof(client_keys), PERF_OOB_KEYS_LEN);
	ck_assert_int_eq(perf_keys_parse(client_keys, &d, NULL), 0);
	ck_assert_uint_eq(d.lid, 0);
	ck_assert_uint_eq(d.out_reads, 1);
	ck_assert_uint_eq(d.qpn, 0x11);
	ck_assert_uint_eq(d.psn, 0x959e2e);
	ck_assert_uint_eq(d.rkey, 0x229);
	ck_assert_uint_eq(d.vaddr, 0x55dfe4daf000ull);
	ck_assert_mem_eq(d.gid, gid, 16);
	ck_assert_uint_eq(d.srqn, 0);
	perf_keys_format(&d, out);
	ck_assert_mem_eq(out, client_keys, PERF_OOB_KEYS_LEN);

	ck_assert_int_eq(perf_keys_parse(server_keys, &d, NULL), 0);
	ck_assert_uint_eq(d.psn, 0xa6ef26);
	ck_assert_uint_eq(d.rkey, 0x25d);
	ck_assert_uint_eq(d.vaddr, 0x564c7d5eb000ull);
	ck_assert_uint_eq(d.gid[15], 11);
	perf_keys_format(&d, out);
	ck_assert_mem_eq(out, server_keys, PERF_OOB_KEYS_LEN);
}
END_TEST

START_TEST(keys_extremes)
{
	struct perf_dest d = { .lid = 0xffff, .out_reads = 16, .qpn = 0xffffff, .psn = 0xabcdef,
			       .rkey = 0xffffffff, .vaddr = ~0ull, .srqn = 0xffffffff }, e;
	char out[PERF_OOB_KEYS_LEN];
	unsigned int i;

	for (i = 0; i < 16; i++)
		d.gid[i] = (uint8_t)(0xf0 + i);
	perf_keys_format(&d, out);
	ck_assert_int_eq(out[PERF_OOB_KEYS_LEN - 1], '\0');
	ck_assert_int_eq(perf_keys_parse(out, &e, NULL), 0);
	ck_assert(perf_dest_equal(&d, &e));
	e.gid[7] ^= 1;
	ck_assert(!perf_dest_equal(&d, &e));
	/* Upper-case hex is hex too. */
	memcpy(out, client_keys, sizeof(out));
	memcpy(out + 33, "000055DFE4DAF000", 16);
	ck_assert_int_eq(perf_keys_parse(out, &e, NULL), 0);
	ck_assert_uint_eq(e.vaddr, 0x55dfe4daf000ull);
}
END_TEST

/* Every byte replaced by something that does not belong there. */
START_TEST(keys_malformed)
{
	char in[PERF_OOB_KEYS_LEN];
	struct perf_dest d;
	const char *why;
	unsigned int i;

	for (i = 0; i < PERF_OOB_KEYS_LEN; i++) {
		memcpy(in, client_keys, sizeof(in));
		in[i] = client_keys[i] == ':' ? '0' : client_keys[i] == '\0' ? ':' : 'g';
		why = NULL;
		ck_assert_msg(perf_keys_parse(in, &d, &why) == -EINVAL, "byte %u", i);
		ck_assert_ptr_nonnull(why);
		memcpy(in, client_keys, sizeof(in));
		in[i] = '\0';
		ck_assert_msg(perf_keys_parse(in, &d, NULL) == -EINVAL || i == 107, "NUL at %u", i);
	}
	memset(in, 0xff, sizeof(in));
	ck_assert_int_eq(perf_keys_parse(in, &d, NULL), -EINVAL);
	memcpy(in, client_keys, sizeof(in));
	in[5] = 'x';
	ck_assert_int_eq(perf_keys_parse(in, &d, &why), -EINVAL);
	ck_assert_str_eq(why, "outstanding reads");
}
END_TEST

START_TEST(version)
{
	static const struct {
		const char *s;
		int rc;
		unsigned int v;
	} c[] = {
		{ "6.06", 0, 606 }, { "5.70", 0, 570 }, { "5.7", 0, 570 }, { "10.1", 0, 1010 },
		{ "5.69", -EPROTONOSUPPORT, 569 }, { "4.5", -EPROTONOSUPPORT, 450 },
		{ "", -EPROTO, 0 }, { "hello", -EPROTO, 0 }, { "6.", -EPROTO, 0 },
		{ ".06", -EPROTO, 0 }, { "6.06x", -EPROTO, 0 }, { "-6.06", -EPROTO, 0 },
	};
	char in[PERF_OOB_VERSION_LEN];
	unsigned int i, v;

	perf_version_format(in);
	ck_assert_mem_eq(in, "6.06\0\0\0\0\0\0\0\0\0\0\0\0", PERF_OOB_VERSION_LEN);
	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		memset(in, 0, sizeof(in));
		memcpy(in, c[i].s, strlen(c[i].s));
		v = 0;
		ck_assert_msg(perf_version_parse(in, &v) == c[i].rc, "\"%s\"", c[i].s);
		if (c[i].rc != -EPROTO)
			ck_assert_uint_eq(v, c[i].v);
	}
	/* Sixteen digits, no NUL: not a string. */
	memset(in, '6', sizeof(in));
	ck_assert_int_eq(perf_version_parse(in, &v), -EPROTO);
	memcpy(in, "6.0666666666666", 15);
	in[15] = '6';
	ck_assert_int_eq(perf_version_parse(in, &v), -EPROTO);
}
END_TEST

START_TEST(mtu_and_sysdata)
{
	char m[PERF_OOB_MTU_LEN];
	uint8_t u[4];
	int i;

	perf_mtu_format(3, m);
	ck_assert_mem_eq(m, "3", 2);	/* oob-perftest.pcap: "3\0" for 1024 */
	for (i = 1; i <= 5; i++) {
		perf_mtu_format(i, m);
		ck_assert_int_eq(perf_mtu_parse(m), i);
	}
	ck_assert_int_eq(perf_mtu_parse("0"), -EPROTO);
	ck_assert_int_eq(perf_mtu_parse("6"), -EPROTO);
	ck_assert_int_eq(perf_mtu_parse("33"), -EPROTO);
	ck_assert_int_eq(perf_mtu_parse("a"), -EPROTO);
	perf_u32_format(4096, u);
	ck_assert_mem_eq(u, "\x00\x00\x10\x00", 4);
	perf_u32_format(64, u);
	ck_assert_mem_eq(u, "\x00\x00\x00\x40", 4);
	ck_assert_uint_eq(perf_u32_parse(u), 64);
}
END_TEST

START_TEST(report_recorded)
{
	uint8_t out[PERF_OOB_REPORT_LEN];
	struct perf_report r;

	perf_report_parse(client_report, &r);
	ck_assert_uint_eq(r.size, 4096);
	ck_assert_uint_eq(r.iters, 16);
	/* 4.85 MB/s peak, 3.91 average, 0.001 Mpps: soft-RoCE, 16 messages. */
	ck_assert_double_eq_tol(r.bw_peak, 4.847, 0.001);
	ck_assert_double_eq_tol(r.bw_avg, 3.909, 0.001);
	ck_assert_double_eq_tol(r.msg_rate, 0.001, 0.0001);
	perf_report_format(&r, out);
	ck_assert_mem_eq(out, client_report, sizeof(out));
}
END_TEST

/* ---- The exchange over a socket pair ---- */

static int progress_calls;

static int
count_progress(void *arg)
{
	(void)arg;
	progress_calls++;
	return 0;
}

/* The child plays a server with MTU @p mtu and exits 0 on success. */
static pid_t
child_server(int fd, int mtu)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct perf_oob o = { .fd = fd, .client = false, .step_timeout_ms = 5000 };
		struct perf_dest mine = { .qpn = 0x22, .psn = 7, .rkey = 9, .vaddr = 0x2000,
					  .gid = { [10] = 0xff, [11] = 0xff, 1, 2, 3, 4 } }, theirs;
		struct perf_report rm = { .size = 1 }, rt;
		unsigned int v;
		int path;

		_exit(perf_oob_hello(&o, mtu, &path, &v) == 0 && path == 3 && v == 606 &&
		      perf_oob_keys(&o, 1, &mine, &theirs) == 0 && theirs.qpn == 0x11 &&
		      perf_oob_report(&o, &rm, &rt) == 0 && rt.size == 4096 &&
		      perf_oob_done(&o) == 0 ? 0 : 1);
	}
	return pid;
}

START_TEST(exchange_roles)
{
	struct perf_dest mine, theirs;
	struct perf_report rm, rt;
	unsigned int v;
	int sv[2], path, status;
	struct perf_oob o = { .client = true, .step_timeout_ms = 5000,
			      .progress = count_progress };
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = child_server(sv[1], 5);
	close(sv[1]);
	o.fd = sv[0];
	perf_keys_parse(client_keys, &mine, NULL);
	perf_report_parse(client_report, &rm);
	/* Our 1024 against its 4096: both use the smaller. */
	ck_assert_int_eq(perf_oob_hello(&o, 3, &path, &v), 0);
	ck_assert_int_eq(path, 3);
	ck_assert_uint_eq(v, 606);
	ck_assert_int_eq(perf_oob_keys(&o, 1, &mine, &theirs), 0);
	ck_assert_uint_eq(theirs.qpn, 0x22);
	ck_assert_uint_eq(theirs.gid[15], 4);
	ck_assert_int_eq(perf_oob_report(&o, &rm, &rt), 0);
	ck_assert_uint_eq(rt.size, 1);
	ck_assert_int_eq(perf_oob_done(&o), 0);
	/* 16 + 4 + 4 + 2 + 108 + 40 + 5 bytes each way. */
	ck_assert_uint_eq(o.bytes_out, 179);
	ck_assert_uint_eq(o.bytes_in, 179);
	ck_assert_int_gt(progress_calls, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the server side failed");
	close(sv[0]);
}
END_TEST

START_TEST(exchange_silent_peer_times_out)
{
	struct perf_oob o = { .client = true, .step_timeout_ms = 200,
			      .progress = count_progress };
	unsigned int v;
	uint64_t t0;
	int sv[2], path;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	o.fd = sv[0];
	t0 = (perf_now_ns() / 1000000);
	ck_assert_int_eq(perf_oob_hello(&o, 3, &path, &v), -ETIMEDOUT);
	ck_assert_uint_ge((perf_now_ns() / 1000000) - t0, 200);
	ck_assert_uint_lt((perf_now_ns() / 1000000) - t0, 5000);
	ck_assert_ptr_nonnull(strstr(o.error, "version"));
	ck_assert_ptr_nonnull(strstr(o.error, "timed out"));
	close(sv[0]);
	close(sv[1]);
}
END_TEST

START_TEST(exchange_peer_closes)
{
	struct perf_oob o = { .client = false, .step_timeout_ms = 5000 };
	struct perf_dest mine = { 0 }, theirs;
	char part[40];
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	o.fd = sv[0];
	memcpy(part, client_keys, sizeof(part));
	ck_assert_int_eq(write(sv[1], part, sizeof(part)), (ssize_t)sizeof(part));
	close(sv[1]);
	ck_assert_int_eq(perf_oob_keys(&o, 2, &mine, &theirs), -ECONNRESET);
	ck_assert_ptr_nonnull(strstr(o.error, "keys #2"));
	ck_assert_ptr_nonnull(strstr(o.error, "after 40 of 108 bytes"));
	close(sv[0]);
}
END_TEST

START_TEST(exchange_rejects_old_and_garbage)
{
	static const char *const versions[] = { "5.60", "garbage" };
	unsigned int i, v;
	int sv[2], path;

	for (i = 0; i < 2; i++) {
		struct perf_oob o = { .client = false, .step_timeout_ms = 5000 };
		char ver[PERF_OOB_VERSION_LEN] = { 0 };

		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
		o.fd = sv[0];
		memcpy(ver, versions[i], strlen(versions[i]));
		ck_assert_int_eq(write(sv[1], ver, sizeof(ver)), (ssize_t)sizeof(ver));
		ck_assert_int_eq(perf_oob_hello(&o, 3, &path, &v),
				 i == 0 ? -EPROTONOSUPPORT : -EPROTO);
		ck_assert_ptr_nonnull(strstr(o.error, i == 0 ? "5.60" : "not a perftest version"));
		close(sv[0]);
		close(sv[1]);
	}
}
END_TEST

/* ---- Figures ---- */

START_TEST(latency_figures)
{
	uint64_t ns[1000];
	struct perf_lat lat;
	unsigned int i;

	/* 1..1000 us, shuffled: nearest-rank percentiles are exact. */
	for (i = 0; i < 1000; i++)
		ns[i] = (uint64_t)((i * 617) % 1000 + 1) * 1000;
	ck_assert_int_eq(perf_lat_compute(&lat, 8, ns, 1000, 1.0), 0);
	ck_assert_double_eq_tol(lat.t_min, 1.0, 1e-9);
	ck_assert_double_eq_tol(lat.t_max, 1000.0, 1e-9);
	ck_assert_double_eq_tol(lat.t_typical, 501.0, 1e-9);
	ck_assert_double_eq_tol(lat.t_avg, 500.5, 1e-9);
	ck_assert_double_eq_tol(lat.t_stdev, sqrt((1000.0 * 1000.0 - 1) / 12.0), 1e-6);
	ck_assert_double_eq_tol(lat.p99, 990.0, 1e-9);
	ck_assert_double_eq_tol(lat.p999, 999.0, 1e-9);
	/* The plotted distribution: the sample at each permille. */
	for (i = 0; i < PERF_LAT_CDF_N; i++)
		ck_assert_double_eq_tol(lat.cdf[i], perf_lat_cdf_permille[i], 1e-9);
	ck_assert_double_eq_tol(lat.cdf[PERF_LAT_CDF_N - 1], lat.t_max, 1e-9);
	/* Half round trips. */
	ns[0] = 10000;
	ck_assert_int_eq(perf_lat_compute(&lat, 8, ns, 1, 0.5), 0);
	ck_assert_double_eq_tol(lat.t_min, 5.0, 1e-9);
	ck_assert_double_eq_tol(lat.p999, 5.0, 1e-9);
	ck_assert_int_eq(perf_lat_compute(&lat, 8, ns, 0, 1.0), -EINVAL);
}
END_TEST

START_TEST(bandwidth_figures)
{
	struct perf_bw bw;

	/* 1000 x 1 MiB in one second: 1000 MB/s, 0.001 Mpps. */
	perf_bw_compute(&bw, 1 << 20, 1000, 1000000000ull, 0, 0);
	ck_assert_double_eq_tol(bw.bw_avg, 1000.0, 1e-9);
	ck_assert_double_eq_tol(bw.bw_peak, 1000.0, 1e-9);
	ck_assert_double_eq_tol(bw.msg_rate, 0.001, 1e-12);
	/* The best 100 took 50 ms: a 2000 MB/s peak. */
	perf_bw_compute(&bw, 1 << 20, 1000, 1000000000ull, 100, 50000000ull);
	ck_assert_double_eq_tol(bw.bw_peak, 2000.0, 1e-9);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("perf_oob");
	TCase *codec = tcase_create("codec"), *xchg = tcase_create("exchange"),
	      *fig = tcase_create("figures");
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	tcase_add_test(codec, keys_recorded);
	tcase_add_test(codec, keys_extremes);
	tcase_add_test(codec, keys_malformed);
	tcase_add_test(codec, version);
	tcase_add_test(codec, mtu_and_sysdata);
	tcase_add_test(codec, report_recorded);
	tcase_add_test(xchg, exchange_roles);
	tcase_add_test(xchg, exchange_silent_peer_times_out);
	tcase_add_test(xchg, exchange_peer_closes);
	tcase_add_test(xchg, exchange_rejects_old_and_garbage);
	tcase_add_test(fig, latency_figures);
	tcase_add_test(fig, bandwidth_figures);
	suite_add_tcase(s, codec);
	suite_add_tcase(s, xchg);
	suite_add_tcase(s, fig);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
