/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM shadow: records go into the local log (the one copy of the
 * data), then the byte ranges the log wrote are sent, unchanged, to the
 * same offsets of the partner's mirror with RDMA WRITE from the mapped
 * file itself. Ranges that touch are merged into one WRITE (group commit);
 * WRITEs on one port complete in order, so each completion acknowledges
 * every record up to the one it carries.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_random.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "nvram_shadow.h"

RTE_LOG_REGISTER(nvram_logtype, nvram, INFO);
#define NV_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, nvram_logtype, "nvram: " fmt "\n", ##__VA_ARGS__)

#define QUEUE		1024		/* ranges waiting for the mirror */
#define MERGE_MAX	(256u * 1024)	/* one WRITE at most */
#define HDR_SEQ		UINT64_MAX	/* a header range acknowledges no record */
#define WR_HDR		(1ull << 55)	/* wr_id of a header's last copy: its sequence (the CCM
					 * keeps the low 56 bits of a wr_id) */

struct span_q {
	uint32_t off, len;
	uint64_t last_seq;		/* every record up to it is in ranges so far */
	uint64_t wr_id;			/* what its completion acknowledges */
};

struct nvram_shadow {
	struct ccm *ccm;
	struct ccm_client *client;
	int fd, shadow_fd;
	uint8_t *map, *shadow;
	uint64_t size;
	bool sync;
	int (*progress)(void *arg);
	void *progress_arg;
	int (*gate)(void *arg, uint64_t now_ns);
	void *gate_arg;
	struct nvram_log log;
	uint32_t session;		/* 0: none */
	bool in_sync;
	uint64_t acked;
	uint64_t resync_target;		/* in sync once acked reaches it */
	struct span_q q[QUEUE];
	uint32_t qhead, qtail;		/* free-running */
	bool overflow;			/* ranges were not queued: resync owed */
	uint64_t last_queued_seq;
	uint64_t host_acked;		/* the newest record we acknowledged */
	uint64_t last_ack_ns;
	uint64_t acked_hdr;		/* header sequence the partner has */
	uint64_t discard_hdr;		/* header sequence of the last discard */
	uint8_t mirrored, discarded;	/* for other lcores */
	uint32_t replayed_log_id;	/* the partner's log we replayed, and up to */
	uint64_t replayed_to;
};

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static uint8_t *
map_file(const char *path, uint64_t size, int *fd_out)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDWR | O_CREAT, 0644);

	if (fd < 0) {
		NV_LOG(ERR, "%s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) != 0 || (st.st_size != 0 && (uint64_t)st.st_size != size)) {
		NV_LOG(ERR, "%s: holds %ld bytes, configured for %lu", path, (long)st.st_size,
		       (unsigned long)size);
		close(fd);
		return NULL;
	}
	if (st.st_size == 0 && ftruncate(fd, size) != 0) {
		NV_LOG(ERR, "%s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		NV_LOG(ERR, "%s: mmap: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	*fd_out = fd;
	return p;
}

/* A fresh log's identity: its records are refused under any other
 * (stale records of an older log in the partner's mirror). */
static uint32_t
new_log_id(void)
{
	uint32_t id;

	do
		id = (uint32_t)rte_rand();
	while (id == 0);
	return id;
}

struct nvram_shadow *
nvram_shadow_create(struct ccm *ccm, const struct nvram_shadow_conf *conf)
{
	struct ccm_client_conf cc = { .name = "nvram", .nports = 1 };
	struct nvram_shadow *s;

	if (conf->file == NULL || conf->shadow_file == NULL || conf->size < NVRAM_LOG_MIN ||
	    conf->size % 4096 != 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	s = rte_zmalloc("nvram_shadow", sizeof(*s), RTE_CACHE_LINE_SIZE);
	if (s == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	s->ccm = ccm;
	s->size = conf->size;
	s->sync = conf->sync;
	s->progress = conf->progress;
	s->progress_arg = conf->progress_arg;
	s->gate = conf->gate;
	s->gate_arg = conf->gate_arg;
	s->mirrored = s->discarded = 1;
	s->fd = s->shadow_fd = -1;
	s->map = map_file(conf->file, conf->size, &s->fd);
	s->shadow = map_file(conf->shadow_file, conf->size, &s->shadow_fd);
	if (s->map == NULL || s->shadow == NULL) {
		rte_errno = EIO;
		goto fail;
	}
	/* After a crash the log is whatever the file holds: reopen it. */
	if (nvram_log_open(&s->log, s->map, s->size) != 0) {
		NV_LOG(NOTICE, "%s: no valid log, formatting %lu bytes", conf->file,
		       (unsigned long)conf->size);
		if (nvram_log_format(s->map, s->size, new_log_id()) != 0 ||
		    nvram_log_open(&s->log, s->map, s->size) != 0) {
			rte_errno = EIO;
			goto fail;
		}
	} else {
		NV_LOG(NOTICE, "%s: log reopened, records %lu..%lu", conf->file,
		       (unsigned long)s->log.tail_seq, (unsigned long)s->log.head_seq - 1);
	}
	s->last_queued_seq = s->log.head_seq - 1;
	/* The partner mirrors its whole region into our shadow file; ours
	 * goes into its, sent from our file itself. */
	cc.peer_mem_bytes = s->size;
	cc.serve_mem = s->shadow;
	cc.serve_len = s->size;
	cc.local_mem = s->map;
	cc.local_len = s->size;
	s->client = ccm_client_register(ccm, &cc);
	if (s->client == NULL)
		goto fail;
	return s;
fail:
	nvram_shadow_destroy(s);
	return NULL;
}

void
nvram_shadow_destroy(struct nvram_shadow *s)
{
	if (s == NULL)
		return;
	if (s->map != NULL)
		munmap(s->map, s->size);
	if (s->shadow != NULL)
		munmap(s->shadow, s->size);
	if (s->fd >= 0)
		close(s->fd);
	if (s->shadow_fd >= 0)
		close(s->shadow_fd);
	rte_free(s);
}

/* The flags the failover monitor reads from its lcore. */
static void
publish(struct nvram_shadow *s)
{
	bool mirrored = s->host_acked < s->log.tail_seq || s->host_acked <= s->acked;

	__atomic_store_n(&s->mirrored, mirrored, __ATOMIC_RELEASE);
	__atomic_store_n(&s->discarded, s->acked_hdr >= s->discard_hdr, __ATOMIC_RELEASE);
}

static void
enqueue(struct nvram_shadow *s, uint32_t off, uint32_t len, uint64_t last_seq)
{
	struct span_q *prev = s->qhead != s->qtail ? &s->q[(s->qhead - 1) % QUEUE] : NULL;

	/* Group commit: a range that continues the last one joins it. */
	if (prev != NULL && prev->off + prev->len == off && prev->len + len <= MERGE_MAX &&
	    last_seq != HDR_SEQ && prev->last_seq != HDR_SEQ) {
		prev->len += len;
		prev->last_seq = last_seq;
		return;
	}
	if (s->overflow)
		return;
	if (s->qhead - s->qtail == QUEUE) {
		/* Full: the mirror is far behind. Nothing more is queued (a
		 * later range must never acknowledge past a missing one): a
		 * resync of the whole log will bring it back. */
		s->in_sync = false;
		s->overflow = true;
		return;
	}
	s->q[s->qhead++ % QUEUE] = (struct span_q){ off, len, last_seq,
						    last_seq == HDR_SEQ ? 0 : last_seq };
}

/* Both header copies, each its own WRITE (header ranges are never
 * merged): one torn on the way spoils that copy only. The last one's
 * completion says the partner has this header. */
static void
enqueue_header(struct nvram_shadow *s)
{
	struct nvram_span hdr[NVRAM_LOG_HDR_COPIES];
	unsigned int i;

	nvram_log_hdr_spans(hdr);
	for (i = 0; i < NVRAM_LOG_HDR_COPIES; i++)
		enqueue(s, hdr[i].off, hdr[i].len, HDR_SEQ);
	if (!s->overflow && s->qhead != s->qtail)
		s->q[(s->qhead - 1) % QUEUE].wr_id = WR_HDR | s->log.hdr_seq;
}

/* Send what is queued, while the session is up. */
static int
flush(struct nvram_shadow *s)
{
	int sent = 0;

	while (s->session != 0 && s->qtail != s->qhead) {
		struct span_q *q = &s->q[s->qtail % QUEUE];
		struct ccm_work w = {
			/* A range with no record's end acknowledges nothing. */
			.wr_id = q->wr_id,
			.session = s->session, .port = 0, .opcode = IBV_WR_RDMA_WRITE,
			.local = s->map + q->off, .len = q->len, .remote_off = q->off,
		};

		/* Straight from the mapped file: the NVRAM is the send buffer. */
		if (ccm_client_post(s->client, &w, 1) != 1)
			break;
		s->qtail++;
		sent++;
	}
	return sent;
}

/* The partner is back: send it the whole live log and the header. */
static void
resync(struct nvram_shadow *s)
{
	struct nvram_span sp[2];
	int n, i;

	s->qtail = s->qhead;	/* all that was queued is in what follows */
	s->overflow = false;
	/* The header first: a mirror torn after it replays from its tail the
	 * records it had, or more (nvram_log.c: Mirror, Tail). */
	enqueue_header(s);
	n = nvram_log_spans_from(&s->log, s->log.tail_seq, sp);
	for (i = 0; i < n; i++) {
		uint32_t off = sp[i].off, left = sp[i].len;

		while (left > 0) {
			uint32_t len = RTE_MIN(left, MERGE_MAX);

			enqueue(s, off, len, i == n - 1 && len == left ? s->log.head_seq - 1 :
					     HDR_SEQ);
			off += len;
			left -= len;
		}
	}
	s->resync_target = s->log.head_seq - 1;
	s->last_queued_seq = s->log.head_seq - 1;
	NV_LOG(INFO, "resync: records %lu..%lu to the partner", (unsigned long)s->log.tail_seq,
	       (unsigned long)s->resync_target);
}

int
nvram_shadow_poll(struct nvram_shadow *s)
{
	struct ccm_client_event ev[32];
	unsigned int n, i;
	int work;

	if (s->overflow && s->session != 0)
		resync(s);
	n = ccm_client_events(s->client, ev, RTE_DIM(ev));
	for (i = 0; i < n; i++) {
		switch (ev[i].type) {
		case CCM_EV_PARTNER_READY:
			s->session = ev[i].session;
			s->in_sync = false;
			resync(s);
			break;
		case CCM_EV_TERMINATING:
			if (ev[i].session == s->session) {
				NV_LOG(NOTICE, "mirror degraded: session %u ends", s->session);
				s->session = 0;
				s->in_sync = false;
				s->qtail = s->qhead;
			}
			ccm_client_close(s->client);
			break;
		case CCM_EV_COMPLETION:
			if (ev[i].session != s->session || s->session == 0)
				break;
			if (ev[i].u.wc.status != IBV_WC_SUCCESS) {
				s->in_sync = false;
				break;
			}
			/* In order per port: everything up to it is mirrored. */
			if (ev[i].u.wc.wr_id & WR_HDR)
				s->acked_hdr = RTE_MAX(s->acked_hdr, ev[i].u.wc.wr_id & ~WR_HDR);
			else if (ev[i].u.wc.wr_id > s->acked && ev[i].u.wc.wr_id < s->log.head_seq)
				s->acked = ev[i].u.wc.wr_id;
			if (!s->in_sync && s->acked >= s->resync_target) {
				s->in_sync = true;
				NV_LOG(INFO, "mirror in sync at record %lu", (unsigned long)s->acked);
			}
			break;
		default:
			break;
		}
	}
	work = n + flush(s);
	if (n > 0)
		publish(s);
	return work;
}

static int
append_once(struct nvram_shadow *s, const void *data, uint32_t len, uint64_t *seq)
{
	struct nvram_span sp[2];
	unsigned int n, i;
	int rc;

	rc = nvram_log_append(&s->log, data, len, seq, sp, &n);
	if (rc != 0)
		return rc;
	for (i = 0; i < n; i++)
		enqueue(s, sp[i].off, sp[i].len, i == n - 1 ? *seq : *seq - 1);
	s->last_queued_seq = *seq;
	return 0;
}

/* One round of waiting for the partner: our events, and whatever else
 * this lcore runs. */
static int
wait_round(struct nvram_shadow *s)
{
	int work = nvram_shadow_poll(s);

	if (s->progress != NULL)
		work += s->progress(s->progress_arg);
	return work;
}

/* The gate, waited for until @p deadline: 1, or 0 (time ran out), -EPERM. */
static int
gate_wait(struct nvram_shadow *s, uint64_t deadline)
{
	uint64_t t;
	int g;

	if (s->gate == NULL) {
		s->last_ack_ns = now_ns();
		return 1;
	}
	for (;;) {
		t = now_ns();
		g = s->gate(s->gate_arg, t);
		if (g != 0) {
			if (g == 1)
				s->last_ack_ns = t;
			return g;
		}
		if (t >= deadline)
			return 0;
		if (wait_round(s) == 0)
			sched_yield();
	}
}

int
nvram_shadow_append(struct nvram_shadow *s, const void *data, uint32_t len, uint64_t *seq,
		    uint64_t timeout_ns)
{
	uint64_t deadline = now_ns() + timeout_ns;
	int rc, mirrored = 1;

	/* Fenced: the partner holds our work; nothing is written. */
	if (s->gate != NULL && s->gate(s->gate_arg, now_ns()) < 0)
		return -EPERM;
	rc = append_once(s, data, len, seq);
	if (rc == -ENOSPC && s->acked >= s->log.tail_seq) {
		/* Room taken by records the partner already has. (A storage
		 * system checkpoints once it wrote them to disk.) */
		nvram_shadow_checkpoint(s, s->acked);
		rc = append_once(s, data, len, seq);
	}
	if (rc != 0)
		return rc;
	if (!s->sync) {
		nvram_shadow_poll(s);
	} else {
		/* Protocol C: answer only once the partner holds it too. */
		while (s->acked < *seq) {
			if ((!s->in_sync && s->session == 0) || now_ns() >= deadline)
				break;	/* degraded: local NVRAM only */
			if (wait_round(s) == 0)
				sched_yield();
		}
	}
	mirrored = s->acked >= *seq;
	/* Acknowledged only under the lease (or holding the partner's work):
	 * a node that paused past it learns first whether it was taken over. */
	rc = gate_wait(s, deadline);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return -ETIMEDOUT;
	s->host_acked = *seq;
	publish(s);
	return mirrored;
}

int
nvram_shadow_barrier(struct nvram_shadow *s, uint64_t timeout_ns)
{
	uint64_t deadline = now_ns() + timeout_ns;

	while (s->acked + 1 < s->log.head_seq) {
		if (s->session == 0 || now_ns() >= deadline)
			return -EAGAIN;
		if (wait_round(s) == 0)
			sched_yield();
	}
	return 0;
}

int
nvram_shadow_checkpoint(struct nvram_shadow *s, uint64_t seq)
{
	struct nvram_span sp[NVRAM_LOG_HDR_COPIES];
	int rc = nvram_log_checkpoint(&s->log, seq, sp);

	if (rc == 0) {
		enqueue_header(s);
		publish(s);
	}
	return rc;
}

int
nvram_shadow_discard(struct nvram_shadow *s)
{
	uint64_t head = s->log.head_seq, tail = s->log.tail_seq;

	if (head > tail && nvram_shadow_checkpoint(s, head - 1) != 0)
		return -EBADMSG;
	s->discard_hdr = s->log.hdr_seq;
	/* Nothing of ours is left to acknowledge, mirrored or not. */
	s->host_acked = RTE_MIN(s->host_acked, head - 1);
	publish(s);
	if (head > tail)
		NV_LOG(NOTICE, "discarded records %lu..%lu: the partner took them over",
		       (unsigned long)tail, (unsigned long)head - 1);
	return 0;
}

uint64_t
nvram_shadow_last_ack_ns(const struct nvram_shadow *s)
{
	return s->last_ack_ns;
}

bool
nvram_shadow_mirrored(const struct nvram_shadow *s)
{
	return __atomic_load_n(&s->mirrored, __ATOMIC_ACQUIRE);
}

bool
nvram_shadow_discarded(const struct nvram_shadow *s)
{
	return __atomic_load_n(&s->discarded, __ATOMIC_ACQUIRE);
}

const void *
nvram_shadow_partner_mem(const struct nvram_shadow *s)
{
	return s->shadow;
}

uint64_t
nvram_shadow_acked(const struct nvram_shadow *s)
{
	return s->acked;
}

bool
nvram_shadow_in_sync(const struct nvram_shadow *s)
{
	return s->in_sync;
}

uint64_t
nvram_shadow_unmirrored(const struct nvram_shadow *s)
{
	return s->log.head_seq - 1 > s->acked ? s->log.head_seq - 1 - s->acked : 0;
}

const struct nvram_log *
nvram_shadow_log(const struct nvram_shadow *s)
{
	return &s->log;
}

int
nvram_shadow_scan_partner(const struct nvram_shadow *s, nvram_replay_cb cb, void *arg)
{
	struct nvram_log partner;

	/* Opening validates every record (sequence, checksum) on the way. */
	if (nvram_log_open(&partner, s->shadow, s->size) != 0)
		return -EBADMSG;
	return nvram_log_replay(&partner, partner.tail_seq, cb, arg);
}

struct replay_guard {
	nvram_replay_cb cb;
	void *arg;
	uint64_t last;
};

static int
replay_note(uint64_t seq, const void *data, uint32_t len, void *arg)
{
	struct replay_guard *g = arg;

	g->last = seq;
	return g->cb(seq, data, len, g->arg);
}

int
nvram_shadow_replay_partner(struct nvram_shadow *s, nvram_replay_cb cb, void *arg)
{
	struct replay_guard g = { .cb = cb, .arg = arg };
	struct nvram_log partner;
	uint64_t from;
	int n;

	/* The partner is gone: what its last WRITEs left is all there is. */
	if (nvram_log_open(&partner, s->shadow, s->size) != 0) {
		NV_LOG(ERR, "takeover: the partner's shadow holds no valid log");
		return -EBADMSG;
	}
	/* Records of this log replayed at an earlier takeover were applied
	 * then: never twice (its log keeps them until it hears of it). */
	from = partner.tail_seq;
	if (partner.log_id == s->replayed_log_id)
		from = RTE_MAX(from, s->replayed_to + 1);
	n = nvram_log_replay(&partner, from, replay_note, &g);
	if (n > 0) {
		s->replayed_log_id = partner.log_id;
		s->replayed_to = g.last;
	}
	if (n >= 0)
		NV_LOG(NOTICE, "takeover: replayed %d record(s) of the partner's log (%lu..%lu)",
		       n, (unsigned long)from, (unsigned long)partner.head_seq - 1);
	else
		NV_LOG(ERR, "takeover: the partner's shadow: %d", n);
	return n;
}
