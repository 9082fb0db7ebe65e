/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ibv_rc_pingpong's out-of-band exchange (rdma-core 44,
 * libibverbs/examples/rc_pingpong.c; oob-rc-pingpong.pcap): over TCP port
 * 18515 the client sends one 52-byte message "%04x:%06x:%06x:%s" and a NUL
 * (LID, QPN, PSN, the GID as 32 hex digits of its raw bytes), the server
 * answers with its own once its QP is connected, and the client ends with
 * "done\0". Then SENDs go back and forth, the client first. Pure codec.
 */
#ifndef PERF_PINGPONG_H
#define PERF_PINGPONG_H

#include "perf_oob.h"

#define PERF_PP_MSG_LEN	52

void perf_pp_format(const struct perf_dest *d, char out[PERF_PP_MSG_LEN]);
/**
 * Strict: hex digits where ibv_rc_pingpong prints them, colons between,
 * a NUL at the end. Fills lid, qpn, psn and gid of @p d.
 * @return 0, or -EINVAL (*why names the field).
 */
int perf_pp_parse(const char in[PERF_PP_MSG_LEN], struct perf_dest *d, const char **why);

/** The whole exchange in the role of @p o; @p connect moves our QP to RTS
 *  (the server does so before it answers, as rc_pingpong). */
int perf_pp_exchange(struct perf_oob *o, const struct perf_dest *mine, struct perf_dest *theirs,
		     int (*connect)(void *arg, const struct perf_dest *theirs), void *arg);

#endif /* PERF_PINGPONG_H */
