/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * ha_peer: one node of the HA pair for the zero-loss test. Each DPDK port
 * given with --vdev is one link. Both run the CCM, the NVRAM shadow and
 * the failover monitor on one thread.
 *
 *   writer:   appends numbered records in synchronous mode and prints
 *             "acked SEQ" for each the partner acknowledged, until killed
 *             (or --records N).
 *   survivor: waits for the partner to die, takes over, replays the
 *             partner's log from its shadow file, checks every record
 *             (sequence, length, content) and prints "replayed N last L".
 *
 *   ha_peer [EAL args] -- --role writer|survivor --node 1|2 --dir DIR
 *           [--records N] [--mailbox FILE] [--timeout SECONDS]
 */
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

#include "ccm.h"
#include "failover.h"
#include "nvram_shadow.h"
#include "peer_exit.h"

#define NVRAM_SIZE	(16u << 20)

struct peer {
	struct ccm *ccm;
	struct nvram_shadow *nv;
	struct failover *fo;
	bool taken_over;
	uint64_t takeover_wall_ns;	/* CLOCK_REALTIME: compared with the kill's time */
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

/* Record seq: its length and every byte follow from seq alone. */
static uint32_t
rec_len(uint64_t seq)
{
	return 16 + (uint32_t)((seq * 2654435761u) % 2032);
}

static void
rec_fill(uint8_t *p, uint64_t seq)
{
	uint32_t i, len = rec_len(seq);

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(seq * 31 + i * 7);
	memcpy(p, &seq, sizeof(seq));
}

struct replay_check {
	uint64_t next;		/* the seq expected */
	uint64_t count;
	bool bad;
};

static int
replay_cb(uint64_t seq, const void *data, uint32_t len, void *arg)
{
	struct replay_check *rc = arg;
	uint8_t want[4096];

	if (rc->next != 0 && seq != rc->next) {
		fprintf(stderr, "survivor: record %" PRIu64 " after %" PRIu64 "\n", seq,
			rc->next - 1);
		rc->bad = true;
		return 1;
	}
	rec_fill(want, seq);
	if (len != rec_len(seq) || memcmp(data, want, len) != 0) {
		fprintf(stderr, "survivor: record %" PRIu64 " corrupt\n", seq);
		rc->bad = true;
		return 1;
	}
	rc->next = seq + 1;
	rc->count++;
	return 0;
}

static void
on_takeover(void *arg)
{
	struct peer *p = arg;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	p->takeover_wall_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	p->taken_over = true;
}

/* The CCM and the monitor share the writer's thread: they must keep
 * running while a sync append waits for the partner. */
static int
poll_others(void *arg)
{
	struct peer *p = arg;
	uint64_t t = now_ns();

	return ccm_poll(p->ccm, t) + failover_poll(p->fo, t);
}

static void
poll_all(struct peer *p)
{
	uint64_t t = now_ns();
	int work = ccm_poll(p->ccm, t) + nvram_shadow_poll(p->nv) + failover_poll(p->fo, t);

	if (work == 0)
		sched_yield();
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "node", required_argument, NULL, 'n' },
		{ "dir", required_argument, NULL, 'd' },
		{ "records", required_argument, NULL, 'c' },
		{ "mailbox", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 },
	};
	const char *role = NULL, *dir = "/tmp", *mailbox = NULL;
	unsigned int node = 0, l;
	uint64_t records = UINT64_MAX, deadline;
	double timeout = 60;
	char nvfile[512], shfile[512];
	struct nvram_shadow_conf nvc = { .size = NVRAM_SIZE, .sync = true };
	struct failover_conf foc = { 0 };
	struct ccm_conf conf = { 0 };
	struct peer p = { 0 };
	int c, rc;

	rc = rte_eal_init(argc, argv);
	if (rc < 0)
		return 2;
	argc -= rc;
	argv += rc;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			role = optarg;
			break;
		case 'n':
			node = atoi(optarg);
			break;
		case 'd':
			dir = optarg;
			break;
		case 'c':
			records = strtoull(optarg, NULL, 0);
			break;
		case 'm':
			mailbox = optarg;
			break;
		case 't':
			timeout = atof(optarg);
			break;
		default:
			return 2;
		}
	}
	if (role == NULL || (node != 1 && node != 2)) {
		fprintf(stderr, "usage: ha_peer [EAL] -- --role writer|survivor --node 1|2 "
			"--dir DIR [--records N] [--mailbox FILE] [--timeout S]\n");
		return 2;
	}
	ccm_conf_defaults(&conf);
	/* A link is dead after 50 ms of silence, not 5: shared CI cores stall,
	 * and link flaps are not what this test is about. */
	conf.link_timeout_ns = 50000000;
	conf.name = node == 1 ? "ha1" : "ha2";
	conf.cluster_id = 0xa11;
	conf.node_id = node;
	conf.peer_node_id = 3 - node;
	conf.nb_links = rte_eth_dev_count_avail();
	for (l = 0; l < conf.nb_links && l < CCM_MAX_LINKS; l++) {
		conf.link[l].port_id = l;
		conf.link[l].configure = true;
		conf.link[l].local_ip = 0x0a5c0000 | l << 8 | node;
		conf.link[l].peer_ip = 0x0a5c0000 | l << 8 | (3 - node);
	}
	conf.boot_qpn = 8;
	conf.boot_rkey = 0x7700;
	conf.boot_addr = 0x10000000;
	p.ccm = ccm_create(&conf);
	if (p.ccm == NULL) {
		fprintf(stderr, "ha_peer: ccm: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	snprintf(nvfile, sizeof(nvfile), "%s/node%u.nvram", dir, node);
	snprintf(shfile, sizeof(shfile), "%s/node%u.shadow", dir, node);
	nvc.file = nvfile;
	nvc.shadow_file = shfile;
	nvc.progress = poll_others;
	nvc.progress_arg = &p;
	p.nv = nvram_shadow_create(p.ccm, &nvc);
	foc.node_id = node;
	foc.peer_node_id = 3 - node;
	foc.mailbox = mailbox;
	foc.takeover = on_takeover;
	foc.arg = &p;
	p.fo = failover_create(p.ccm, &foc);
	if (p.nv == NULL || p.fo == NULL) {
		fprintf(stderr, "ha_peer: clients: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	ccm_start(p.ccm, now_ns());
	deadline = now_ns() + timeout * 1e9;

	if (strcmp(role, "writer") == 0) {
		uint8_t rec[4096];
		uint64_t seq = 0, next = 1;

		while (now_ns() < deadline && !nvram_shadow_in_sync(p.nv))
			poll_all(&p);
		while (now_ns() < deadline && next <= records) {
			rec_fill(rec, next);
			rc = nvram_shadow_append(p.nv, rec, rec_len(next), &seq, 1000000000ull);
			if (rc < 0) {
				fprintf(stderr, "writer: append %" PRIu64 ": %d\n", next, rc);
				return 1;
			}
			/* Acknowledge to "the host" only what the partner holds. */
			if (rc == 1) {
				printf("acked %" PRIu64 "\n", seq);
				fflush(stdout);
			} else {
				fprintf(stderr, "writer: record %" PRIu64 " local only\n", seq);
			}
			next++;
			poll_all(&p);
		}
		peer_exit(0);
	}

	/* Survivor: wait for the partner's death and the takeover. */
	while (now_ns() < deadline && !p.taken_over)
		poll_all(&p);
	if (!p.taken_over) {
		fprintf(stderr, "survivor: no takeover (partner %s)\n",
			fo_state_name(failover_state(p.fo)));
		peer_exit(1);
	}
	{
		struct replay_check chk = { 0 };
		uint64_t detect = failover_takeover_ns(p.fo) - failover_last_beat_ns(p.fo);

		rc = nvram_shadow_replay_partner(p.nv, replay_cb, &chk);
		printf("replayed %" PRIu64 " last %" PRIu64 " detect_ms %.1f takeover_wall_ns %"
		       PRIu64 "\n", chk.count, chk.next ? chk.next - 1 : 0, detect / 1e6,
		       p.takeover_wall_ns);
		peer_exit(chk.bad || rc < 0 ? 1 : 0);
	}
}
