/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM write log (nvram_log.h): the NVRAM shadowing process's log
 * (claim 3 of 000_...). The rules below complete the header's summary;
 * the walk, the space check and the tests' model all follow them.
 *
 * Ring. [ring_start, ring_end): ring_start is after the header's two
 *   copies, 128;
 *   ring_end is the region size rounded down to 8, at most 2^32 - 8 (the
 *   offsets are 32-bit). Records start 8-aligned and never straddle
 *   ring_end. The largest payload is a quarter of the ring.
 *
 * Wrap. A record that does not fit between the head and ring_end goes at
 *   ring_start. If a record header (24 bytes) still fits before ring_end,
 *   a wrap marker is written at the head first: payload length 0, flags 1,
 *   and the seq of the record that follows it at ring_start. A marker
 *   consumes no seq; it is a part of the record after it. If fewer than 24
 *   bytes remain, nothing is written: a walk that reaches within 24 bytes
 *   of ring_end continues at ring_start (the implicit wrap), and so does
 *   the head.
 *
 * Validity. At an offset, the record with the expected seq is valid if its
 *   magic is "NVRC", its seq is the expected one, its flags are exactly 1
 *   with length 0 (a marker) or exactly 0 with length 1..max (data), it
 *   ends before the walk's limit, its CRC (the header's log id first)
 *   matches and its pad is zero. Flags and pad are outside the CRC, but
 *   fully determined by the length: a record accepted is, byte for byte,
 *   the one written.
 *
 * Walk. From (tail_off, tail_seq), one record per step, a marker and its
 *   record in one step. Before the wrap a record may end at ring_end, after
 *   it only at tail_off: records never run into the tail, and a walk wraps
 *   once. A step is all or nothing: a marker whose record is not there
 *   leaves the head at the marker. So open() stops where the next append
 *   would start, and the head is never stored.
 *
 * Seq. Records a walk accepts carry consecutive seqs; every other record
 *   of this log in the ring was written earlier, with a smaller seq, so
 *   stale records of an earlier lap end the walk.
 *
 * Log id. After a format seqs start at 1 again, and a record of the log
 *   before could sit exactly where this log's next one goes, with its seq.
 *   Format zeroes the ring it is given, but a mirror gets only the header
 *   and the live records; so every record's CRC covers the log id, new at
 *   each format, and another log's record fails it like a corrupt one.
 *
 * Space. Empty (head_seq == tail_seq): head == tail. Otherwise the live
 *   bytes run from tail to head, through ring_end when head <= tail. An
 *   append fails with -ENOSPC if the record, or the marker, would cover a
 *   live byte; filling the ring up to the tail exactly is allowed (head ==
 *   tail, full: the tail record's seq ends the walk).
 *
 * Tail. A checkpoint moves the tail to the next live record's own offset,
 *   past its marker, or, if none is left, to ring_start with the head, as
 *   format leaves it. The header is rewritten in place, copy 0 then
 *   copy 1: a crash at any byte of that leaves one copy whole, with the
 *   tail before the checkpoint (whose records are all still there: space
 *   is reused only after the checkpoint) or after it. The records of an
 *   append are written before any header that counts them, so a crash in
 *   an append loses only that record; a resync copies bytes that the
 *   mirror reads by the same rules (header copies first, each its own
 *   WRITE, then the records).
 *
 * Mirror. A mirror starts with the formatted region's header; the ring
 *   need not follow (the log id refuses what older logs left). Spans must
 *   reach it in the order returned, across appends too (one ordered
 *   channel): a later record that lands before an earlier one is whole
 *   could be taken, after a takeover, for a record the partner appends.
 *   A checkpoint's header spans go after the spans of the records it
 *   keeps, copy 0 first. spans_from(seq) starts where the mirror's walk reaches record
 *   seq: at its marker, if it has one.
 *
 * One writer: none of these functions may run concurrently with an
 * append or a checkpoint on the same region.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <isa-l/crc.h>
#include <rte_byteorder.h>
#include <rte_common.h>

#include "nvram_log.h"

#define LOG_MAGIC	0x474c564eu	/* "NVLG" */
#define LOG_LAYOUT	3		/* 2: the log id; 3: two header copies */
#define LOG_CRC_LEN	60		/* header bytes the CRC covers */
#define REC_MAGIC	0x4352564eu	/* "NVRC" */
#define REC_CRC_LEN	16		/* record header bytes the CRC covers */
#define REC_F_WRAP	1u		/* wrap marker: continue at ring_start */
#define RING_START	NVRAM_LOG_RING_START
#define RING_END_MAX	(UINT32_MAX & ~(uint32_t)(NVRAM_REC_ALIGN - 1))

/* On-disk layouts, little-endian; read and written through memcpy(). */
struct log_hdr {
	rte_le32_t magic;
	rte_le16_t layout;
	rte_le16_t copy;		/* 0 or 1: where this copy belongs */
	rte_le64_t size;		/* region */
	rte_le32_t ring_start;
	rte_le32_t ring_end;
	rte_le64_t tail_seq;
	rte_le32_t tail_off;
	rte_le32_t log_id;		/* nonzero; in every record's CRC */
	rte_le64_t hdr_seq;		/* nonzero; +1 per header write */
	uint8_t reserved[12];
	rte_le32_t crc;			/* of the 60 bytes before it */
} __rte_packed;
static_assert(sizeof(struct log_hdr) == NVRAM_LOG_HDR_LEN, "log header size");
static_assert(offsetof(struct log_hdr, hdr_seq) == 40, "header sequence offset");
static_assert(offsetof(struct log_hdr, crc) == LOG_CRC_LEN, "log header CRC offset");

struct rec_hdr {
	rte_le32_t magic;
	rte_le32_t len;			/* payload */
	rte_le64_t seq;
	rte_le32_t crc;			/* of the log id, the 16 bytes before, the payload */
	rte_le32_t flags;
} __rte_packed;
static_assert(sizeof(struct rec_hdr) == NVRAM_REC_HDR_LEN, "record header size");
static_assert(offsetof(struct rec_hdr, crc) == REC_CRC_LEN, "record CRC offset");

/* ---- geometry --------------------------------------------------------- */

/* ISA-L's gzip CRC is zlib's crc32(), and it chains. */
static uint32_t
crc32_update(uint32_t crc, const void *buf, size_t len)
{
	return len ? crc32_gzip_refl(crc, buf, len) : crc;
}

/* A record's CRC starts with its log's id: another log's record fails it.
 * Computed once per walk or append, not per record. */
static uint32_t
rec_crc_seed(uint32_t log_id)
{
	rte_le32_t id = rte_cpu_to_le_32(log_id);

	return crc32_update(0, &id, sizeof(id));
}

static uint32_t
ring_end_for(size_t size)
{
	uint64_t end = RTE_MIN((uint64_t)size, (uint64_t)RING_END_MAX);

	return (uint32_t)end & ~(uint32_t)(NVRAM_REC_ALIGN - 1);
}

static uint32_t
ring_end(const struct nvram_log *log)
{
	return ring_end_for(log->size);
}

static uint32_t
max_payload(uint32_t end)
{
	return (end - RING_START) / 4;
}

/* Bytes a record of @p len payload bytes takes (len <= max_payload()). */
static uint32_t
rec_size(uint32_t len)
{
	return NVRAM_REC_HDR_LEN + RTE_ALIGN_CEIL(len, NVRAM_REC_ALIGN);
}

/* Where the next record goes after one that ends at @p end. */
static uint32_t
next_off(uint32_t end, uint32_t ring_end)
{
	return ring_end - end < NVRAM_REC_HDR_LEN ? RING_START : end;
}

static uint64_t
live_bytes(const struct nvram_log *log)
{
	if (log->head_seq == log->tail_seq)
		return 0;
	if (log->head_off > log->tail_off)
		return log->head_off - log->tail_off;
	return (uint64_t)(ring_end(log) - log->tail_off) + (log->head_off - RING_START);
}

/* ---- header ----------------------------------------------------------- */

/* Both copies, copy 0 first: a write torn anywhere spoils one copy only,
 * and the other holds the state before or after it. */
static void
hdr_write(uint8_t *base, size_t size, uint32_t log_id, uint64_t hdr_seq, uint64_t tail_seq,
	  uint32_t tail_off)
{
	struct log_hdr h;
	unsigned int c;

	for (c = 0; c < NVRAM_LOG_HDR_COPIES; c++) {
		memset(&h, 0, sizeof(h));
		h.magic = rte_cpu_to_le_32(LOG_MAGIC);
		h.layout = rte_cpu_to_le_16(LOG_LAYOUT);
		h.copy = rte_cpu_to_le_16(c);
		h.size = rte_cpu_to_le_64(size);
		h.ring_start = rte_cpu_to_le_32(RING_START);
		h.ring_end = rte_cpu_to_le_32(ring_end_for(size));
		h.tail_seq = rte_cpu_to_le_64(tail_seq);
		h.tail_off = rte_cpu_to_le_32(tail_off);
		h.log_id = rte_cpu_to_le_32(log_id);
		h.hdr_seq = rte_cpu_to_le_64(hdr_seq);
		h.crc = rte_cpu_to_le_32(crc32_update(0, &h, LOG_CRC_LEN));
		memcpy(base + c * NVRAM_LOG_HDR_LEN, &h, sizeof(h));
	}
}

/* Copy @p c of a header formatted for a region of @p size bytes, intact,
 * with a tail inside the ring where a record can start: its fields into
 * @p l. */
static bool
hdr_copy_read(const uint8_t *base, size_t size, unsigned int c, struct nvram_log *l)
{
	static const uint8_t zero[sizeof(((struct log_hdr *)0)->reserved)];
	uint32_t end = ring_end_for(size);
	struct log_hdr h;
	uint32_t off;

	memcpy(&h, base + c * NVRAM_LOG_HDR_LEN, sizeof(h));
	if (rte_le_to_cpu_32(h.magic) != LOG_MAGIC ||
	    rte_le_to_cpu_32(h.crc) != crc32_update(0, &h, LOG_CRC_LEN))
		return false;
	if (rte_le_to_cpu_16(h.layout) != LOG_LAYOUT || rte_le_to_cpu_16(h.copy) != c ||
	    memcmp(h.reserved, zero, sizeof(zero)) != 0)
		return false;
	if (rte_le_to_cpu_64(h.size) != size || rte_le_to_cpu_32(h.ring_start) != RING_START ||
	    rte_le_to_cpu_32(h.ring_end) != end)
		return false;
	off = rte_le_to_cpu_32(h.tail_off);
	if (off < RING_START || off > end || end - off < NVRAM_REC_HDR_LEN ||
	    off % NVRAM_REC_ALIGN != 0 || h.tail_seq == 0 || h.log_id == 0 || h.hdr_seq == 0)
		return false;
	l->tail_seq = rte_le_to_cpu_64(h.tail_seq);
	l->tail_off = off;
	l->log_id = rte_le_to_cpu_32(h.log_id);
	l->hdr_seq = rte_le_to_cpu_64(h.hdr_seq);
	return true;
}

/* The header: copy 0 if it is intact (it is always written first), else
 * copy 1. */
static bool
hdr_read(const uint8_t *base, size_t size, struct nvram_log *l)
{
	if (base == NULL || size < NVRAM_LOG_MIN)
		return false;
	return hdr_copy_read(base, size, 0, l) || hdr_copy_read(base, size, 1, l);
}

/* ---- records ---------------------------------------------------------- */

/* Write a record (@p len 0: a wrap marker): pad, payload, then header. */
static void
rec_write(uint8_t *base, uint32_t crc_seed, uint32_t off, uint64_t seq, const void *data,
	  uint32_t len)
{
	uint8_t *p = base + off;
	struct rec_hdr h;
	uint32_t crc;

	memset(p + NVRAM_REC_HDR_LEN + len, 0, rec_size(len) - NVRAM_REC_HDR_LEN - len);
	if (len)
		memcpy(p + NVRAM_REC_HDR_LEN, data, len);
	h.magic = rte_cpu_to_le_32(REC_MAGIC);
	h.len = rte_cpu_to_le_32(len);
	h.seq = rte_cpu_to_le_64(seq);
	h.flags = rte_cpu_to_le_32(len ? 0 : REC_F_WRAP);
	crc = crc32_update(crc_seed, &h, REC_CRC_LEN);
	h.crc = rte_cpu_to_le_32(crc32_update(crc, data, len));
	memcpy(p, &h, sizeof(h));
}

/* The CRC (from this log's @p crc_seed) and the zero pad of a record whose
 * header checked out. */
static bool
rec_body_valid(const uint8_t *p, uint32_t crc_seed, uint32_t len, uint32_t crc)
{
	uint32_t pad = rec_size(len) - NVRAM_REC_HDR_LEN - len, i;

	if (crc32_update(crc32_update(crc_seed, p, REC_CRC_LEN), p + NVRAM_REC_HDR_LEN, len) != crc)
		return false;
	for (i = 0; i < pad; i++)
		if (p[NVRAM_REC_HDR_LEN + len + i] != 0)
			return false;
	return true;
}

/*
 * Is the record with @p seq valid at @p off, ending at @p limit at the
 * latest? The header's checks first, then, if @p whole, the CRC (from
 * @p crc_seed) and pad. *len: 0 for a wrap marker.
 */
static bool
rec_valid(const struct nvram_log *log, uint32_t off, uint64_t seq, uint32_t limit, bool whole,
	  uint32_t crc_seed, uint32_t *len)
{
	const uint8_t *p = log->base + off;
	struct rec_hdr h;
	uint32_t l;

	if ((uint64_t)off + NVRAM_REC_HDR_LEN > limit)
		return false;
	memcpy(&h, p, sizeof(h));
	if (rte_le_to_cpu_32(h.magic) != REC_MAGIC || rte_le_to_cpu_64(h.seq) != seq)
		return false;
	l = rte_le_to_cpu_32(h.len);
	if (rte_le_to_cpu_32(h.flags) != (l ? 0 : REC_F_WRAP) || l > max_payload(ring_end(log)) ||
	    (uint64_t)off + rec_size(l) > limit)
		return false;
	if (whole && !rec_body_valid(p, crc_seed, l, rte_le_to_cpu_32(h.crc)))
		return false;
	*len = l;
	return true;
}

/* ---- the walk --------------------------------------------------------- */

struct walk {
	uint32_t off;		/* where the next step starts */
	uint64_t seq;		/* the seq it expects */
	bool wrapped;		/* past ring_end since the tail */
	uint32_t crc_seed;	/* rec_crc_seed() of the log's id */
};

/* One data record found by a step. */
struct step {
	uint32_t off;		/* the record */
	uint32_t len;		/* its payload */
	uint32_t wrap_end;	/* the ring wrapped in this step after this offset; 0: not */
};

static void
walk_init(struct walk *w, const struct nvram_log *log)
{
	w->off = log->tail_off;
	w->seq = log->tail_seq;
	w->wrapped = false;
	w->crc_seed = rec_crc_seed(log->log_id);
}

/*
 * The next record, following a marker or an implicit wrap. All or nothing:
 * on false, *w is unchanged. Only @p whole checks the CRCs: the walks
 * that hand out no payload (checkpoint, spans_from) need only the
 * headers, and a checkpoint on a large log stays cheap.
 */
static bool
walk_step(const struct nvram_log *log, struct walk *w, bool whole, struct step *s)
{
	uint32_t end = ring_end(log), off = w->off, len;
	bool wrapped = w->wrapped;
	uint32_t rec_end;

	s->wrap_end = 0;
	if (!rec_valid(log, off, w->seq, wrapped ? log->tail_off : end, whole, w->crc_seed, &len))
		return false;
	if (len == 0) {
		/* A marker: its record, with the same seq, is at ring_start. */
		if (wrapped)
			return false;
		s->wrap_end = off + NVRAM_REC_HDR_LEN;
		wrapped = true;
		off = RING_START;
		if (!rec_valid(log, off, w->seq, log->tail_off, whole, w->crc_seed, &len) ||
		    len == 0)
			return false;
	}
	s->off = off;
	s->len = len;
	rec_end = off + rec_size(len);
	w->off = next_off(rec_end, end);
	if (w->off != rec_end) {
		/* The implicit wrap; never after the wrap (the tail is before it). */
		s->wrap_end = rec_end;
		wrapped = true;
	}
	w->wrapped = wrapped;
	w->seq++;
	return true;
}

/* ---- the interface ---------------------------------------------------- */

int
nvram_log_format(void *base, size_t size, uint32_t log_id)
{
	uint32_t end = ring_end_for(size);

	if (base == NULL || size < NVRAM_LOG_MIN || log_id == 0)
		return -EINVAL;
	memset((uint8_t *)base + RING_START, 0, end - RING_START);
	hdr_write(base, size, log_id, 1, 1, RING_START);
	return 0;
}

int
nvram_log_open(struct nvram_log *log, void *base, size_t size)
{
	struct nvram_log l = { .base = base, .size = size };
	struct step s;
	struct walk w;

	if (!hdr_read(base, size, &l))
		return -EBADMSG;
	/* The walk needs only the tail; it ends, as each step increases the
	 * offset or wraps, once, and never passes the tail. */
	walk_init(&w, &l);
	while (walk_step(&l, &w, true, &s))
		;
	l.head_seq = w.seq;
	l.head_off = w.off;
	l.live_bytes = live_bytes(&l);
	*log = l;
	return 0;
}

int
nvram_log_append(struct nvram_log *log, const void *data, uint32_t len, uint64_t *seq,
		 struct nvram_span spans[2], unsigned int *nspans)
{
	uint32_t end = ring_end(log), at = log->head_off, need, crc_seed;
	bool empty = log->head_seq == log->tail_seq;
	unsigned int n = 0;

	if (len == 0 || len > max_payload(end))
		return -EINVAL;
	need = rec_size(len);
	crc_seed = rec_crc_seed(log->log_id);
	if (!empty && log->head_off <= log->tail_off) {
		/* Wrapped: free from head to tail. */
		if ((uint64_t)at + need > log->tail_off)
			return -ENOSPC;
	} else if ((uint64_t)at + need > end) {
		/* Free from head to ring_end, then from ring_start to tail (the
		 * head is normalised: a marker fits before ring_end). */
		if (RING_START + need > log->tail_off)
			return -ENOSPC;
		rec_write(log->base, crc_seed, at, log->head_seq, NULL, 0);
		spans[n++] = (struct nvram_span){ .off = at, .len = NVRAM_REC_HDR_LEN };
		at = RING_START;
	}
	rec_write(log->base, crc_seed, at, log->head_seq, data, len);
	spans[n++] = (struct nvram_span){ .off = at, .len = need };
	*nspans = n;
	*seq = log->head_seq++;
	log->head_off = next_off(at + need, end);
	log->live_bytes = live_bytes(log);
	return 0;
}

int
nvram_log_checkpoint(struct nvram_log *log, uint64_t upto_seq,
		     struct nvram_span spans[NVRAM_LOG_HDR_COPIES])
{
	uint32_t tail_off = RING_START;
	struct step s;
	struct walk w;

	if (upto_seq < log->tail_seq || upto_seq >= log->head_seq)
		return -EINVAL;
	/* Find record upto_seq + 1 through the headers of those before it;
	 * nothing changes unless they are intact. */
	walk_init(&w, log);
	while (w.seq <= upto_seq)
		if (!walk_step(log, &w, false, &s))
			return -EBADMSG;
	if (w.seq < log->head_seq) {
		if (!walk_step(log, &w, false, &s))
			return -EBADMSG;
		tail_off = s.off;
	} else {
		log->head_off = RING_START;
	}
	log->tail_seq = upto_seq + 1;
	log->tail_off = tail_off;
	log->live_bytes = live_bytes(log);
	log->hdr_seq++;
	hdr_write(log->base, log->size, log->log_id, log->hdr_seq, log->tail_seq, log->tail_off);
	nvram_log_hdr_spans(spans);
	return 0;
}

void
nvram_log_hdr_spans(struct nvram_span spans[NVRAM_LOG_HDR_COPIES])
{
	unsigned int c;

	for (c = 0; c < NVRAM_LOG_HDR_COPIES; c++)
		spans[c] = (struct nvram_span){ .off = c * NVRAM_LOG_HDR_LEN,
						.len = NVRAM_LOG_HDR_LEN };
}

int
nvram_log_replay(const struct nvram_log *log, uint64_t from_seq, nvram_replay_cb cb, void *arg)
{
	struct nvram_log hdr;
	struct step s;
	struct walk w;
	uint64_t seq;
	int n = 0, rc;

	/* Formatted again since open(): none of our records is this log's. */
	if (!hdr_read(log->base, log->size, &hdr) || hdr.log_id != log->log_id)
		return -EBADMSG;
	walk_init(&w, log);
	while (w.seq < log->head_seq) {
		seq = w.seq;
		/* Damaged since open(): stop before handing it out. */
		if (!walk_step(log, &w, seq >= from_seq, &s))
			return -EBADMSG;
		if (seq < from_seq)
			continue;
		rc = cb(seq, log->base + s.off + NVRAM_REC_HDR_LEN, s.len, arg);
		if (rc != 0)
			return rc;
		n++;
	}
	return n;
}

int
nvram_log_spans_from(const struct nvram_log *log, uint64_t seq, struct nvram_span spans[2])
{
	uint32_t start = 0, wrap_end = 0;
	bool started = false;
	struct step s;
	struct walk w;

	if (seq < log->tail_seq || seq > log->head_seq)
		return -EINVAL;
	if (seq == log->head_seq)
		return 0;
	/* From where the mirror's walk reaches record seq (its marker, if it
	 * has one) to the head; the ring wraps at most once on the way. */
	walk_init(&w, log);
	while (w.seq < log->head_seq) {
		if (w.seq == seq) {
			start = w.off;
			started = true;
		}
		if (!walk_step(log, &w, false, &s))
			return -EBADMSG;
		if (started && s.wrap_end != 0)
			wrap_end = s.wrap_end;
	}
	if (wrap_end == 0) {
		spans[0] = (struct nvram_span){ .off = start, .len = log->head_off - start };
		return 1;
	}
	spans[0] = (struct nvram_span){ .off = start, .len = wrap_end - start };
	if (log->head_off == RING_START)
		return 1;
	spans[1] = (struct nvram_span){ .off = RING_START, .len = log->head_off - RING_START };
	return 2;
}
