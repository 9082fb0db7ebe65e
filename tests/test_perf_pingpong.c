/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ibv_rc_pingpong's out-of-band codec (app/perf/perf_pingpong.c) against
 * the bytes rdma-core 44's ibv_rc_pingpong sent (rc_pingpong.pcap: the
 * client 10.77.0.12, then the server 10.77.0.11, then the client's
 * "done"), every malformed field, and the exchange in both roles over a
 * socket pair. No EAL.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>

#include "perf_pingpong.h"

static const char client_msg[PERF_PP_MSG_LEN] =
	"0000:000011:7cbca6:00000000000000000000ffff0a4d000c";
static const char server_msg[PERF_PP_MSG_LEN] =
	"0000:000011:74ebff:00000000000000000000ffff0a4d000b";

START_TEST(recorded)
{
	struct perf_dest d = { 0 };
	char out[PERF_PP_MSG_LEN];
	const char *why = NULL;

	ck_assert_int_eq(perf_pp_parse(client_msg, &d, &why), 0);
	ck_assert_uint_eq(d.qpn, 0x11);
	ck_assert_uint_eq(d.psn, 0x7cbca6);
	ck_assert_uint_eq(d.gid[10], 0xff);
	ck_assert_uint_eq(d.gid[15], 0x0c);
	perf_pp_format(&d, out);
	ck_assert_msg(memcmp(out, client_msg, PERF_PP_MSG_LEN) == 0, "formatted \"%s\"", out);
	ck_assert_int_eq(perf_pp_parse(server_msg, &d, NULL), 0);
	ck_assert_uint_eq(d.psn, 0x74ebff);
	perf_pp_format(&d, out);
	ck_assert(memcmp(out, server_msg, PERF_PP_MSG_LEN) == 0);
}
END_TEST

START_TEST(malformed)
{
	static const struct {
		int at;
		char c;
		const char *why;
	} bad[] = { { 2, 'x', "LID" }, { 4, '-', "LID" }, { 7, 'g', "QPN" }, { 11, ';', "QPN" },
		    { 15, 'z', "PSN" }, { 18, ' ', "PSN" }, { 30, 'Q', "GID" },
		    { 50, ':', "GID" }, { 51, 'x', "terminating NUL" } };
	struct perf_dest d;
	char in[PERF_PP_MSG_LEN];
	const char *why;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(in, client_msg, sizeof(in));
		in[bad[i].at] = bad[i].c;
		why = NULL;
		ck_assert_msg(perf_pp_parse(in, &d, &why) == -EINVAL, "byte %d '%c' accepted",
			      bad[i].at, bad[i].c);
		ck_assert_msg(why != NULL && strcmp(why, bad[i].why) == 0,
			      "byte %d: blamed %s, expected %s", bad[i].at, why, bad[i].why);
	}
}
END_TEST

static int connected;

static int
note_connect(void *arg, const struct perf_dest *theirs)
{
	(void)arg;
	(void)theirs;
	connected++;
	return 0;
}

/* Both roles over a socket pair: the client's address, the server's once
 * it connected, the client's "done"; each learns the other's. */
START_TEST(exchange_both_roles)
{
	struct perf_dest a = { .qpn = 0x11, .psn = 0x123456, .gid = { [10] = 0xff, [11] = 0xff, 1, 2, 3, 4 } };
	struct perf_dest b = { .qpn = 0x22, .psn = 0xabcdef, .gid = { [10] = 0xff, [11] = 0xff, 5, 6, 7, 8 } };
	struct perf_dest got;
	int sv[2], status;
	pid_t pid;

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = fork();
	if (pid == 0) {
		struct perf_oob o = { .fd = sv[1], .client = false, .step_timeout_ms = 5000 };
		struct perf_dest theirs = { 0 };

		close(sv[0]);
		_exit(perf_pp_exchange(&o, &b, &theirs, note_connect, NULL) == 0 &&
		      perf_dest_equal(&theirs, &a) && connected == 1 ? 0 : 1);
	}
	close(sv[1]);
	{
		struct perf_oob o = { .fd = sv[0], .client = true, .step_timeout_ms = 5000 };

		memset(&got, 0, sizeof(got));
		ck_assert_int_eq(perf_pp_exchange(&o, &a, &got, note_connect, NULL), 0);
		ck_assert_uint_eq(o.bytes_out, PERF_PP_MSG_LEN + PERF_OOB_DONE_LEN);
		ck_assert_uint_eq(o.bytes_in, PERF_PP_MSG_LEN);
	}
	ck_assert(perf_dest_equal(&got, &b));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the server side failed");
	close(sv[0]);
}
END_TEST

/* A server whose client closes after its address: a named error, no hang. */
START_TEST(exchange_client_vanishes)
{
	struct perf_dest a = { .qpn = 1, .gid = { [10] = 0xff, [11] = 0xff, 1, 2, 3, 4 } };
	struct perf_oob o = { .client = false, .step_timeout_ms = 2000 };
	struct perf_dest theirs;
	int sv[2];

	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	o.fd = sv[0];
	ck_assert_int_eq(write(sv[1], client_msg, PERF_PP_MSG_LEN), PERF_PP_MSG_LEN);
	close(sv[1]);
	ck_assert_int_eq(perf_pp_exchange(&o, &a, &theirs, note_connect, NULL), -ECONNRESET);
	ck_assert_msg(strstr(o.error, "closed the connection") != NULL, "error: %s", o.error);
	close(sv[0]);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("perf_pingpong");
	TCase *tc = tcase_create("codec");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, recorded);
	tcase_add_test(tc, malformed);
	tcase_add_test(tc, exchange_both_roles);
	tcase_add_test(tc, exchange_client_vanishes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
