/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The NVRAM write log: records in a ring inside one region, a file mapped
 * into memory so it survives a crash of the process. The partner holds a
 * byte-for-byte mirror of the region (the shadow, claim 3 of 000_...):
 * every byte range this module writes is also written, unchanged, at the
 * same offset of the mirror, so the mirror is a log this module can open
 * and replay after a takeover.
 *
 * Pure: no I/O, no clock. The caller maps the memory and moves the bytes.
 */
#ifndef NVRAM_LOG_H
#define NVRAM_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NVRAM_LOG_HDR_LEN	64	/* one copy of the header */
#define NVRAM_LOG_HDR_COPIES	2	/* at offsets 0 and 64 */
#define NVRAM_LOG_RING_START	(NVRAM_LOG_HDR_COPIES * NVRAM_LOG_HDR_LEN)
#define NVRAM_REC_HDR_LEN	24	/* before each record's payload */
#define NVRAM_REC_ALIGN		8	/* records start 8-byte aligned */
#define NVRAM_LOG_MIN		4096	/* smallest region */

/*
 * Header: two copies of 64 bytes at offsets 0 and 64 (little-endian,
 *   CRC-32 over the first 60 of each): magic "NVLG", layout 3, the copy's
 *   index (0, 1), region size, ring start (128), ring end, tail_seq and
 *   tail_off: the oldest record kept (after the last checkpoint); log id
 *   (u32, nonzero); the header's sequence number (u64, +1 per header
 *   write); zeros; checksum. Every header write rewrites copy 0, then
 *   copy 1, with the same content: a write torn at any byte leaves one
 *   copy intact, holding the state before (copy 0 torn) or after (copy 1
 *   torn). Open takes copy 0 when it is valid, else copy 1.
 * Record: magic "NVRC", payload length, seq (u64), CRC-32 of the log id
 *   (4 bytes, as in the header), the record header's first 16 bytes and the
 *   payload, flags (1: a wrap marker: the ring continues at its start),
 *   payload, zero pad to 8 bytes.
 * Each format takes a new log id, so a record an older log left in the
 * ring (a mirror never gets the zeroed ring) fails its CRC after a reformat.
 * The head is not in the header: it is found by walking the records from
 * the tail while each is valid and its seq is the previous one's plus 1.
 * So an append is one contiguous write (the record), never a header update.
 */

struct nvram_log {
	uint8_t *base;		/* the region */
	size_t size;
	uint32_t log_id;	/* the header's; every record's CRC covers it */
	uint64_t hdr_seq;	/* the header's sequence number */
	uint64_t tail_seq;	/* oldest record kept */
	uint32_t tail_off;
	uint64_t head_seq;	/* next seq to append */
	uint32_t head_off;	/* where the next record goes */
	uint64_t live_bytes;	/* bytes between tail and head */
};

/**
 * Lay out an empty log in [base, base + size). @p log_id: random, nonzero,
 * and new at each format (the records of the log before must not pass for
 * this one's). @return 0; -EINVAL (NULL, too small, @p log_id 0).
 */
int nvram_log_format(void *base, size_t size, uint32_t log_id);

/**
 * Open the log in a region (ours after a restart, or the partner's mirror
 * after a takeover): validate the header, walk the records to the head.
 * @return 0; -EBADMSG if the region is NULL or smaller than NVRAM_LOG_MIN,
 *   or the header is invalid (never formatted, torn).
 */
int nvram_log_open(struct nvram_log *log, void *base, size_t size);

/* A byte range of the region the caller must also copy to the mirror. */
struct nvram_span {
	uint32_t off;
	uint32_t len;
};

/**
 * Append a record of @p len bytes. Writes it into the region and reports
 * the byte ranges written (one, or two if a wrap marker was needed), in
 * the order they must reach the mirror.
 * @return 0 with *seq and spans[0..*nspans) set; -ENOSPC when the live
 *   records leave no room (checkpoint first); -EINVAL (len 0 or larger
 *   than a quarter of the ring).
 */
int nvram_log_append(struct nvram_log *log, const void *data, uint32_t len, uint64_t *seq,
		     struct nvram_span spans[2], unsigned int *nspans);

/**
 * Forget records up to and including @p upto_seq: their space is free
 * again. Rewrites both header copies; spans[] are their byte ranges, in the
 * order they must reach the mirror (each its own WRITE: a WRITE torn
 * anywhere then spoils one copy only).
 * @return 0; -EINVAL if @p upto_seq is not a live record's seq; -EBADMSG if
 *   a live record's header was damaged since open() (nothing changes).
 */
int nvram_log_checkpoint(struct nvram_log *log, uint64_t upto_seq,
			 struct nvram_span spans[NVRAM_LOG_HDR_COPIES]);

/** The header copies' byte ranges, in the order a resync sends them. */
void nvram_log_hdr_spans(struct nvram_span spans[NVRAM_LOG_HDR_COPIES]);

/* Called with each record in order; returning non-zero stops the replay. */
typedef int (*nvram_replay_cb)(uint64_t seq, const void *data, uint32_t len, void *arg);

/**
 * Hand every live record from @p from_seq on, in order, to @p cb.
 * @return records handed, or what cb returned, or -EBADMSG: the header is
 *   invalid or another log's (formatted again since open()), or a live
 *   record was damaged since open() (after handing out the ones before it).
 */
int nvram_log_replay(const struct nvram_log *log, uint64_t from_seq, nvram_replay_cb cb,
		     void *arg);

/** Byte ranges holding records seq..head_seq-1, for a resync to the mirror:
 * at most 2 (the ring may wrap). @return the number of spans; -EINVAL (seq
 * not in tail_seq..head_seq); -EBADMSG if a live record's header was
 * damaged since open(). */
int nvram_log_spans_from(const struct nvram_log *log, uint64_t seq, struct nvram_span spans[2]);

#endif /* NVRAM_LOG_H */
