/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM shadow: records go into the local log (the one copy of the
 * data), then the byte ranges the log wrote are sent, unchanged, to the
 * same offsets of the partner's mirror with RDMA WRITE from the mapped
 * file itself. What to send and what a completion acknowledges is the
 * mirror's (nvram_mirror.c); this file moves bytes and events.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_random.h>
#include <rte_log.h>
#include <rte_malloc.h>

#include "nvram_limits.h"
#include "nvram_shadow.h"

RTE_LOG_REGISTER(nvram_logtype, nvram, INFO);
#define NV_LOG(level, fmt, ...) \
	rte_log(RTE_LOG_ ## level, nvram_logtype, "nvram: " fmt "\n", ##__VA_ARGS__)

/* What other lcores read, published by the shadow's lcore. */
struct published {
	uint64_t acked, unmirrored;
	uint8_t in_sync, mirrored, discarded;
};

struct nvram_shadow {
	struct ccm *ccm;
	struct ccm_client *client;
	int fd, shadow_fd;
	uint8_t *map, *shadow;
	uint64_t size;
	bool sync;
	int (*gate)(void *arg, uint64_t now_ns);
	void *gate_arg;
	struct nvram_log log;
	struct nvram_mirror mirror;
	uint64_t host_acked;		/* the newest record we acknowledged */
	uint64_t discard_hdr;		/* header sequence of the last discard */
	struct published pub;
	uint32_t replayed_log_id;	/* the partner's log we replayed, and up to */
	uint64_t replayed_to;
};

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
	/* NVRAM is resident: fault every page in, writable, now rather than
	 * once per page on the write path (the median 4 KiB append of a fresh
	 * log took 32 us with the faults, 18.5 without). Contents are
	 * untouched; best effort. */
	if (madvise(p, size, MADV_POPULATE_WRITE) != 0)
		NV_LOG(DEBUG, "%s: prefault: %s", path, strerror(errno));
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

	if (conf->file == NULL || conf->shadow_file == NULL || !nvram_size_ok(conf->size)) {
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
	s->gate = conf->gate;
	s->gate_arg = conf->gate_arg;
	nvram_mirror_init(&s->mirror);
	s->pub.mirrored = s->pub.discarded = 1;
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

/* What other lcores read (nvram_shadow.h), as of now. */
static void
publish(struct nvram_shadow *s)
{
	struct published *p = &s->pub;
	const struct nvram_mirror *m = &s->mirror;

	__atomic_store_n(&p->acked, m->acked, __ATOMIC_RELAXED);
	__atomic_store_n(&p->unmirrored, nvram_mirror_unmirrored(m, &s->log), __ATOMIC_RELAXED);
	__atomic_store_n(&p->in_sync, nvram_mirror_in_sync(m), __ATOMIC_RELEASE);
	__atomic_store_n(&p->mirrored, nvram_mirror_covers(m, s->host_acked, s->log.tail_seq),
			 __ATOMIC_RELEASE);
	__atomic_store_n(&p->discarded, m->acked_hdr >= s->discard_hdr, __ATOMIC_RELEASE);
}

/* A change of the mirror's state, in the log. */
static void
note(struct nvram_shadow *s, enum nvm_action a, uint8_t was)
{
	const struct nvram_mirror *m = &s->mirror;

	if (a == NVM_A_RESYNC) {
		NV_LOG(INFO, "resync: records %lu..%lu to the partner",
		       (unsigned long)s->log.tail_seq, (unsigned long)s->log.head_seq - 1);
		return;
	}
	if (a == NVM_A_NONE || a == NVM_A_INVALID || m->state == was)
		return;
	if (m->state == NVM_S_IN_SYNC)
		NV_LOG(INFO, "mirror in sync at record %lu", (unsigned long)m->acked);
	else
		NV_LOG(NOTICE, "mirror %s -> %s", nvm_state_name(was), nvm_state_name(m->state));
}

/* Post what the mirror hands out, while the CCM takes it. */
static int
flush(struct nvram_shadow *s)
{
	struct nvram_mirror_write mw;
	int sent = 0;

	while (nvram_mirror_next(&s->mirror, &mw)) {
		struct ccm_work w = {
			.wr_id = mw.wr_id, .session = s->mirror.session, .port = 0,
			.opcode = IBV_WR_RDMA_WRITE, .local = s->map + mw.off, .len = mw.len,
			.remote_off = mw.off,
		};

		/* Straight from the mapped file: the NVRAM is the send buffer. */
		if (ccm_client_post(s->client, &w, 1) != 1)
			break;
		nvram_mirror_posted(&s->mirror);
		sent++;
	}
	return sent;
}

int
nvram_shadow_poll(struct nvram_shadow *s)
{
	struct nvram_mirror *m = &s->mirror;
	struct ccm_client_event ev[32];
	unsigned int n, i;
	uint8_t was = m->state;
	int work;

	/* A resync owed (the queue overflowed in an append) starts here. */
	note(s, nvram_mirror_event(m, NVM_E_POLL, &s->log), was);
	n = ccm_client_events(s->client, ev, RTE_DIM(ev));
	for (i = 0; i < n; i++) {
		was = m->state;
		switch (ev[i].type) {
		case CCM_EV_PARTNER_READY:
			note(s, nvram_mirror_partner_ready(m, ev[i].session, &s->log), was);
			break;
		case CCM_EV_TERMINATING:
			if (ev[i].session == m->session)
				NV_LOG(NOTICE, "mirror degraded: session %u ends", m->session);
			nvram_mirror_session_end(m, ev[i].session);
			ccm_client_close(s->client);
			break;
		case CCM_EV_COMPLETION:
			note(s, nvram_mirror_completion(m, ev[i].session,
							ev[i].u.wc.status == IBV_WC_SUCCESS,
							ev[i].u.wc.wr_id, s->log.head_seq), was);
			break;
		default:
			break;
		}
	}
	work = n + flush(s);
	if (work > 0 || m->state != was)
		publish(s);
	return work;
}

int
nvram_shadow_append(struct nvram_shadow *s, const void *data, uint32_t len, uint64_t now_ns,
		    uint64_t timeout_ns, struct nvram_ticket *t)
{
	struct nvram_span sp[2];
	unsigned int n;
	uint64_t seq, room;
	int rc;

	/* Fenced: the partner holds our work; nothing is written. */
	if (s->gate != NULL && s->gate(s->gate_arg, now_ns) < 0)
		return -EPERM;
	rc = nvram_log_append(&s->log, data, len, &seq, sp, &n);
	room = nvram_mirror_reclaimable(&s->mirror, &s->log);
	if (rc == -ENOSPC && room != 0) {
		/* Room taken by records the partner already has. */
		nvram_shadow_checkpoint(s, room);
		rc = nvram_log_append(&s->log, data, len, &seq, sp, &n);
	}
	if (rc != 0)
		return rc;
	nvram_mirror_record(&s->mirror, sp, n, seq);
	nvram_ticket_start(t, seq, s->sync, now_ns, timeout_ns);
	flush(s);
	publish(s);
	return 0;
}

int
nvram_shadow_ticket(struct nvram_shadow *s, struct nvram_ticket *t, uint64_t now_ns)
{
	int rc;

	if (t->phase == NVRAM_TICKET_DONE)
		return t->rc;
	if (!nvram_ticket_mirror(t, &s->mirror, now_ns))
		return -EINPROGRESS;
	rc = nvram_ticket_gate(t, s->gate != NULL ? s->gate(s->gate_arg, now_ns) : 1, now_ns);
	if (rc >= 0) {
		if (t->seq > s->host_acked)
			s->host_acked = t->seq;
		publish(s);
	}
	return rc;
}

int
nvram_shadow_barrier(const struct nvram_shadow *s)
{
	if (nvram_mirror_unmirrored(&s->mirror, &s->log) == 0)
		return 0;
	return s->mirror.session == 0 ? -EAGAIN : -EINPROGRESS;
}

int
nvram_shadow_checkpoint(struct nvram_shadow *s, uint64_t seq)
{
	struct nvram_span sp[NVRAM_LOG_HDR_COPIES];
	int rc = nvram_log_checkpoint(&s->log, seq, sp);

	if (rc == 0) {
		nvram_mirror_header(&s->mirror, s->log.hdr_seq);
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

void
nvram_shadow_status(const struct nvram_shadow *s, struct nvram_shadow_status *st)
{
	const struct nvram_mirror *m = &s->mirror;

	*st = (struct nvram_shadow_status){
		.state = m->state, .session = m->session, .acked = m->acked,
		.unmirrored = nvram_mirror_unmirrored(m, &s->log),
		.tail_seq = s->log.tail_seq, .head_seq = s->log.head_seq,
		.live_bytes = s->log.live_bytes, .in_flight = m->posted - m->completed,
		.resyncs = m->resyncs, .overflows = m->overflows, .write_errors = m->write_errors,
	};
}

uint64_t
nvram_shadow_acked(const struct nvram_shadow *s)
{
	return __atomic_load_n(&s->pub.acked, __ATOMIC_RELAXED);
}

uint64_t
nvram_shadow_unmirrored(const struct nvram_shadow *s)
{
	return __atomic_load_n(&s->pub.unmirrored, __ATOMIC_RELAXED);
}

bool
nvram_shadow_in_sync(const struct nvram_shadow *s)
{
	return __atomic_load_n(&s->pub.in_sync, __ATOMIC_ACQUIRE);
}

bool
nvram_shadow_mirrored(const struct nvram_shadow *s)
{
	return __atomic_load_n(&s->pub.mirrored, __ATOMIC_ACQUIRE);
}

bool
nvram_shadow_discarded(const struct nvram_shadow *s)
{
	return __atomic_load_n(&s->pub.discarded, __ATOMIC_ACQUIRE);
}

const void *
nvram_shadow_partner_mem(const struct nvram_shadow *s)
{
	return s->shadow;
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
