/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor's runtime: heartbeats out (RDMA WRITE into the
 * partner, and its slot of the mailbox file), the partner's in (from our
 * memory and the mailbox), and the events they mean for failover_fsm.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "failover.h"

RTE_LOG_REGISTER(failover_logtype, failover, INFO);
#define FO_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, failover_logtype, "failover: " fmt "\n", ##__VA_ARGS__)

#define BEAT_LEN 64

struct failover {
	struct failover_conf conf;
	struct ccm *ccm;
	struct ccm_client *client;
	uint8_t *mine;			/* our beat, sent from here */
	uint8_t *theirs;		/* the partner WRITEs its beat here */
	int mailbox_fd;
	enum fo_state state;
	uint32_t session;
	uint64_t seq;
	uint64_t next_beat_ns;
	uint64_t peer_seq, peer_beat_ns;	/* interconnect */
	uint64_t mbox_seq, mbox_beat_ns;	/* mailbox */
	uint64_t peer_up_since_ns;		/* partner back, for giveback delay */
	uint64_t takeover_ns;
	bool halting;
	uint8_t admin;				/* 1 takeover, 2 giveback: from any lcore */
	bool late_sent, lost_sent;
};

enum fo_state
failover_state(const struct failover *fo)
{
	return fo->state;
}

uint64_t
failover_last_beat_ns(const struct failover *fo)
{
	return RTE_MAX(fo->peer_beat_ns, fo->mbox_beat_ns);
}

uint64_t
failover_takeover_ns(const struct failover *fo)
{
	return fo->takeover_ns;
}

struct failover *
failover_create(struct ccm *ccm, const struct failover_conf *conf)
{
	struct ccm_client_conf cc = { .name = "failover", .nports = 1,
				      .peer_mem_bytes = BEAT_LEN };
	struct failover *fo;

	if (conf->node_id == 0 || conf->node_id > 2 || conf->peer_node_id == 0 ||
	    conf->peer_node_id > 2 || conf->node_id == conf->peer_node_id) {
		rte_errno = EINVAL;	/* the mailbox has a slot for nodes 1 and 2 */
		return NULL;
	}
	fo = rte_zmalloc("failover", sizeof(*fo), RTE_CACHE_LINE_SIZE);
	if (fo == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	fo->conf = *conf;
	fo->ccm = ccm;
	fo->mailbox_fd = -1;
	if (fo->conf.heartbeat_ns == 0)
		fo->conf.heartbeat_ns = 5000000;
	if (fo->conf.suspect_ns == 0)
		fo->conf.suspect_ns = 4 * fo->conf.heartbeat_ns;
	if (fo->conf.down_ns == 0)
		fo->conf.down_ns = 8 * fo->conf.heartbeat_ns;
	if (fo->conf.giveback_delay_ns == 0)
		fo->conf.giveback_delay_ns = 2000000000ull;
	fo->mine = rte_zmalloc("fo_beat", 2 * BEAT_LEN, 64);
	if (fo->mine == NULL)
		goto nomem;
	fo->theirs = fo->mine + BEAT_LEN;
	if (conf->mailbox != NULL && conf->mailbox[0] != '\0') {
		fo->mailbox_fd = open(conf->mailbox, O_RDWR | O_CREAT, 0644);
		if (fo->mailbox_fd < 0 || ftruncate(fo->mailbox_fd, FO_MAILBOX_LEN) != 0) {
			FO_LOG(ERR, "mailbox %s: %s", conf->mailbox, strerror(errno));
			rte_errno = EIO;
			goto fail;
		}
	} else {
		/* Deliberate, for a pair without shared storage: heartbeat
		 * silence alone then means takeover (docs/architecture.md). */
		FO_LOG(WARNING, "no mailbox: interconnect silence alone triggers takeover, "
		       "so a cut interconnect risks split brain");
	}
	cc.serve_mem = fo->theirs;
	cc.serve_len = BEAT_LEN;
	cc.local_mem = fo->mine;
	cc.local_len = BEAT_LEN;
	fo->client = ccm_client_register(ccm, &cc);
	if (fo->client == NULL)
		goto fail;
	return fo;
nomem:
	rte_errno = ENOMEM;
fail:
	failover_destroy(fo);
	return NULL;
}

void
failover_destroy(struct failover *fo)
{
	if (fo == NULL)
		return;
	if (fo->mailbox_fd >= 0)
		close(fo->mailbox_fd);
	rte_free(fo->mine);
	rte_free(fo);
}


void
failover_admin(struct failover *fo, bool takeover)
{
	__atomic_store_n(&fo->admin, takeover ? 1 : 2, __ATOMIC_RELEASE);
}

static void
event(struct failover *fo, enum fo_event e, uint64_t now)
{
	struct fo_transition t = fo_step(fo->state, e);

	if (t.next != fo->state)
		FO_LOG(NOTICE, "partner %s -> %s (%s)", fo_state_name(fo->state),
		       fo_state_name(t.next), fo_event_name(e));
	fo->state = t.next;
	switch (t.action) {
	case FO_A_TAKEOVER:
		fo->takeover_ns = now;
		FO_LOG(NOTICE, "taking over from node %u, %.1f ms after its last heartbeat",
		       fo->conf.peer_node_id, (now - failover_last_beat_ns(fo)) / 1e6);
		if (fo->conf.takeover != NULL)
			fo->conf.takeover(fo->conf.arg);
		event(fo, FO_E_TAKEOVER_DONE, now);
		break;
	case FO_A_GIVEBACK:
		if (fo->conf.giveback != NULL)
			fo->conf.giveback(fo->conf.arg);
		break;
	default:
		break;
	}
}

static void
beat_out(struct failover *fo, uint64_t now)
{
	struct fo_beat b = { .seq = ++fo->seq, .time_ns = now, .node_id = fo->conf.node_id,
			     .state = fo->state, .incarnation = ccm_incarnation(fo->ccm),
			     .halting = __atomic_load_n(&fo->halting, __ATOMIC_ACQUIRE) };

	/* Encoded in place, zero copy: a WRITE of the previous beat still in
	 * flight may carry a mix, which the partner's CRC check refuses (one
	 * late beat, not a wrong one). */
	fo_beat_encode(&b, fo->mine);
	if (fo->session != 0) {
		struct ccm_work w = { .wr_id = fo->seq, .session = fo->session, .port = 0,
				      .opcode = IBV_WR_RDMA_WRITE, .local = fo->mine,
				      .len = BEAT_LEN, .remote_off = 0 };

		ccm_client_post(fo->client, &w, 1);
	}
	/* The mailbox: the second path, through storage both nodes reach. */
	if (fo->mailbox_fd >= 0 &&
	    pwrite(fo->mailbox_fd, fo->mine, BEAT_LEN, (off_t)fo->conf.node_id * BEAT_LEN) !=
	    BEAT_LEN)
		FO_LOG(WARNING, "mailbox write: %s", strerror(errno));
}

void
failover_halt(struct failover *fo, uint64_t now)
{
	/* Announce it now, not at the next beat: the session may be gone by
	 * then, and the mailbox write is what the partner is sure to read. */
	__atomic_store_n(&fo->halting, true, __ATOMIC_RELEASE);
	beat_out(fo, now);
	fo->next_beat_ns = now + fo->conf.heartbeat_ns;
}

/* A newer beat from the partner, by either path. */
static bool
beat_in(struct failover *fo, const uint8_t *raw, uint64_t *seen_seq, uint64_t *seen_ns,
	uint64_t now, bool *halting)
{
	struct fo_beat b;

	if (fo_beat_decode(raw, &b) != 0 || b.node_id != fo->conf.peer_node_id)
		return false;
	if (b.seq == *seen_seq)
		return false;
	/* A halting notice counts only as news: a slot still saying so from
	 * the partner's last shutdown must not make us take over. */
	*halting = b.halting && *seen_seq != 0;
	*seen_seq = b.seq;
	*seen_ns = now;
	return true;
}

int
failover_poll(struct failover *fo, uint64_t now)
{
	struct ccm_client_event ev[16];
	uint8_t mbox[BEAT_LEN];
	unsigned int n, i;
	bool halting = false, mbox_halting = false;
	uint8_t admin;
	int work = 0;

	n = ccm_client_events(fo->client, ev, RTE_DIM(ev));
	for (i = 0; i < n; i++) {
		if (ev[i].type == CCM_EV_PARTNER_READY) {
			fo->session = ev[i].session;
		} else if (ev[i].type == CCM_EV_TERMINATING) {
			fo->session = 0;
			ccm_client_close(fo->client);
		}
	}
	work += n;
	if (now >= fo->next_beat_ns) {
		fo->next_beat_ns = now + fo->conf.heartbeat_ns;
		beat_out(fo, now);
		work++;
	}
	/* The partner's heartbeat, written into our memory: a local read. */
	if (beat_in(fo, fo->theirs, &fo->peer_seq, &fo->peer_beat_ns, now, &halting)) {
		fo->late_sent = fo->lost_sent = false;
		if (fo->peer_up_since_ns == 0)
			fo->peer_up_since_ns = now;
		event(fo, FO_E_BEAT, now);
	}
	if (fo->mailbox_fd >= 0 &&
	    pread(fo->mailbox_fd, mbox, BEAT_LEN, (off_t)fo->conf.peer_node_id * BEAT_LEN) ==
	    BEAT_LEN)
		beat_in(fo, mbox, &fo->mbox_seq, &fo->mbox_beat_ns, now, &mbox_halting);
	if (halting || mbox_halting)
		event(fo, FO_E_HALTING, now);
	/* Silence on the interconnect: late, then lost; then the mailbox says
	 * whether the partner is dead or only cut off. */
	if (fo->peer_beat_ns != 0 || fo->state != FO_S_UNKNOWN) {
		uint64_t since = now - fo->peer_beat_ns;

		if (since > fo->conf.suspect_ns && !fo->late_sent) {
			fo->late_sent = true;
			fo->peer_up_since_ns = 0;
			event(fo, FO_E_BEAT_LATE, now);
		}
		if (since > fo->conf.down_ns) {
			if (!fo->lost_sent) {
				fo->lost_sent = true;
				event(fo, FO_E_BEAT_LOST, now);
			}
			if (fo->mailbox_fd < 0 || now - fo->mbox_beat_ns > fo->conf.down_ns)
				event(fo, FO_E_MAILBOX_SILENT, now);
			else
				event(fo, FO_E_MAILBOX_ALIVE, now);
		}
	}
	/* A partner back for long enough gets its work back, NVRAM first. */
	if (fo->state == FO_S_TAKEN_OVER && fo->peer_up_since_ns != 0 &&
	    now - fo->peer_up_since_ns >= fo->conf.giveback_delay_ns)
		event(fo, FO_E_GIVEBACK_DUE, now);
	if (fo->state == FO_S_GIVING_BACK &&
	    (fo->conf.resynced == NULL || fo->conf.resynced(fo->conf.arg)))
		event(fo, FO_E_RESYNCED, now);
	admin = __atomic_exchange_n(&fo->admin, 0, __ATOMIC_ACQ_REL);
	if (admin != 0)
		event(fo, admin == 1 ? FO_E_ADMIN_TAKEOVER : FO_E_ADMIN_GIVEBACK, now);
	return work;
}
