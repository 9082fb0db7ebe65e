/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's wire formats (docs/ccm-protocol.md): the boot region each node
 * exposes at a pre-set address behind a pre-assigned QP and key, which the
 * partner reads and writes with RDMA before any service is up (claims 1-2,
 * 13-21 of 003_...), and the control messages the two CCMs then exchange
 * as RDMA SENDs on that QP (claims 14-19 of 000_... and 004_...).
 *
 * Everything is little-endian on the wire and checksummed (CRC-32, the
 * Ethernet polynomial). Pure code: no I/O, no clock; tested without EAL.
 */
#ifndef CCM_PROTO_H
#define CCM_PROTO_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_common.h>

#define CCM_MAX_LINKS		4
#define CCM_MAX_CLIENTS		8
#define CCM_MAX_CLIENT_PORTS	8
#define CCM_NAME_LEN		24	/* client and node names, NUL-padded */

/* Protocol versions this code speaks; a node may be configured narrower. */
#define CCM_PROTO_VERSION_MIN	1
#define CCM_PROTO_VERSION_MAX	2

/* ---- Boot region ------------------------------------------------------ */

#define CCM_BOOT_MAGIC		0x42434d43u	/* "CMCB" read little-endian */
#define CCM_BOOT_LAYOUT		1

/* How far a node's boot handshake has gone (monotonic within an incarnation). */
enum ccm_boot_stage {
	CCM_STAGE_BOOTING = 1,	/* region valid, CCM running, nothing seen yet */
	CCM_STAGE_SEEN = 2,	/* read the partner's status and wrote ours */
	CCM_STAGE_CONNECTED = 3,/* handshake complete on this side */
};

/*
 * A node's status, 64 bytes. A node publishes its own in boot.own (the
 * partner READs it) and WRITEs it into the partner's boot.from_peer.
 */
struct ccm_boot_status {
	rte_le32_t magic;
	rte_le16_t layout;
	rte_le16_t stage;		/* enum ccm_boot_stage */
	rte_le32_t cluster_id;
	rte_le16_t node_id;
	rte_le16_t version_min;		/* protocol versions spoken */
	rte_le16_t version_max;
	rte_le16_t attempt;		/* handshake attempt of this incarnation */
	rte_le32_t seq;			/* bumped at every rewrite */
	rte_le64_t incarnation;		/* new at every start of the CCM */
	rte_le64_t acked_incarnation;	/* the partner incarnation this node saw */
	uint8_t reserved1[20];
	rte_le32_t checksum;		/* CRC-32 of the 60 bytes before it */
} __rte_packed;
static_assert(sizeof(struct ccm_boot_status) == 64, "boot status is 64 bytes");

/* Reserved for RDMA-written link beats; unused in this version (link
 * keepalives are ICMP echoes carrying a ccm_note_wire). */
struct ccm_link_beat {
	rte_le64_t seq;
	rte_le64_t incarnation;
} __rte_packed;
static_assert(sizeof(struct ccm_link_beat) == 16, "link beat is 16 bytes");

/* The region at the pre-set address; the partner may read and write it. */
struct ccm_boot_region {
	struct ccm_boot_status own;		/* ours; the partner READs it */
	struct ccm_boot_status from_peer;	/* the partner WRITEs its own here */
	struct ccm_link_beat beat[CCM_MAX_LINKS];	/* reserved (see above) */
	uint8_t reserved[64];
} __rte_aligned(64);
static_assert(sizeof(struct ccm_boot_region) == 256, "boot region is 256 bytes");
#define CCM_BOOT_OWN_OFF	offsetof(struct ccm_boot_region, own)
#define CCM_BOOT_FROM_PEER_OFF	offsetof(struct ccm_boot_region, from_peer)
#define CCM_BOOT_BEAT_OFF(l)	(offsetof(struct ccm_boot_region, beat) + \
				 (l) * sizeof(struct ccm_link_beat))

/* Host-order view of a status. */
struct ccm_status {
	enum ccm_boot_stage stage;
	uint32_t cluster_id;
	uint16_t node_id;
	uint16_t version_min, version_max;
	uint16_t attempt;
	uint32_t seq;
	uint64_t incarnation;
	uint64_t acked_incarnation;
};

/* Why a boot status or a message was refused (one counter each). */
enum ccm_proto_err {
	CCM_PROTO_OK = 0,
	CCM_PROTO_SHORT,		/* fewer bytes than the format needs */
	CCM_PROTO_BAD_MAGIC,		/* includes an all-zero (never written) region */
	CCM_PROTO_BAD_LAYOUT,		/* boot layout or header version unknown */
	CCM_PROTO_BAD_CHECKSUM,
	CCM_PROTO_WRONG_CLUSTER,
	CCM_PROTO_WRONG_NODE,		/* not the partner we are configured for */
	CCM_PROTO_BAD_TYPE,
	CCM_PROTO_BAD_LENGTH,		/* length field disagrees with the bytes or the type */
	CCM_PROTO_BAD_FIELD,		/* a value out of range (stage, counts, names) */
	CCM_PROTO_NERR,
};

const char *ccm_proto_err_str(enum ccm_proto_err err);

/** Encode @p st into @p out (magic, layout, checksum filled in). */
void ccm_status_encode(const struct ccm_status *st, struct ccm_boot_status *out);

/**
 * Validate and decode a status read from a partner.
 * @param cluster_id  ours: a status from another cluster is refused
 * @param node_id     the partner's node id we expect
 * @return CCM_PROTO_OK or the first reason it is refused.
 */
enum ccm_proto_err ccm_status_decode(const struct ccm_boot_status *in, uint32_t cluster_id,
				     uint16_t node_id, struct ccm_status *st);

/* ---- Keepalive note ---------------------------------------------------- */

/*
 * The data of every link keepalive (an ICMP echo request, RFC 792): who
 * sends it, and where its boot QP's requester starts (its incarnation and
 * boot epoch). It reaches the partner whatever state the boot QP is in, so
 * the partner's responder can follow every restart of our requester, and
 * neither side ever resets its boot QP alone out of step with the other.
 */
#define CCM_NOTE_MAGIC		0x4e4d4343u	/* "CCMN" read little-endian */

struct ccm_note_wire {
	rte_le32_t magic;
	rte_le32_t cluster_id;
	rte_le16_t node_id;
	rte_le16_t boot_epoch;
	rte_le32_t reserved;
	rte_le64_t incarnation;
} __rte_packed;
static_assert(sizeof(struct ccm_note_wire) == 24, "keepalive note is 24 bytes");

struct ccm_note {
	uint16_t node_id;
	uint16_t boot_epoch;
	uint64_t incarnation;
};

void ccm_note_encode(uint32_t cluster_id, const struct ccm_note *note, struct ccm_note_wire *out);
/** @return CCM_PROTO_OK, SHORT, BAD_MAGIC, WRONG_CLUSTER or WRONG_NODE. */
enum ccm_proto_err ccm_note_decode(const void *buf, size_t len, uint32_t cluster_id,
				   uint16_t node_id, struct ccm_note *note);

/** PSN the boot QP's requester starts from in (incarnation, epoch). */
uint32_t ccm_boot_psn(uint64_t incarnation, uint16_t epoch);

/* ---- Messages --------------------------------------------------------- */

#define CCM_MSG_MAGIC		0x4d4d4343u	/* "CCMM" read little-endian */
#define CCM_MSG_MAX		2048		/* header + payload, one SEND */

enum ccm_msg_type {
	CCM_MSG_HELLO = 1,	/* versions and links: peer connection information */
	CCM_MSG_CLIENTS = 2,	/* registered clients and what each needs */
	CCM_MSG_PORTS = 3,	/* the QPs and memory created for each client */
	CCM_MSG_READY = 4,	/* this side is ready */
	CCM_MSG_TERMINATE = 5,	/* the session ends; the receiver tears down too */
	CCM_MSG_REFUSE = 6,	/* no common protocol version */
	CCM_MSG_NTYPES,
};

const char *ccm_msg_type_str(enum ccm_msg_type type);

/* 32 bytes before every payload. */
struct ccm_msg_hdr {
	rte_le32_t magic;
	rte_le16_t version;		/* protocol version this message is in */
	rte_le16_t type;		/* enum ccm_msg_type */
	rte_le32_t cluster_id;
	rte_le16_t node_id;		/* sender */
	rte_le16_t attempt;		/* sender's handshake attempt: older ones are stale */
	rte_le64_t incarnation;		/* sender's */
	rte_le32_t length;		/* payload bytes after the header */
	rte_le32_t checksum;		/* CRC-32 of header (this field 0) and payload */
} __rte_packed;
static_assert(sizeof(struct ccm_msg_hdr) == 32, "message header is 32 bytes");

/* Host-order header of a decoded message. */
struct ccm_msg_info {
	enum ccm_msg_type type;
	uint16_t version;
	uint32_t cluster_id;
	uint16_t node_id;
	uint16_t attempt;
	uint64_t incarnation;
};

struct ccm_hello {
	uint16_t version_min, version_max;
	char node_name[CCM_NAME_LEN];	/* NUL-terminated within CCM_NAME_LEN */
	uint8_t nb_links;
	uint32_t link_ip[CCM_MAX_LINKS];	/* sender's address on each link */
};

struct ccm_client_info {
	uint16_t client_id;		/* position in the sender's registry */
	uint16_t nports;		/* QPs it needs (claim 18) */
	uint64_t mem_bytes;		/* memory it wants in the partner (claim 19) */
	char name[CCM_NAME_LEN];	/* clients are matched by name */
};

struct ccm_clients {
	uint8_t count;
	struct ccm_client_info client[CCM_MAX_CLIENTS];
};

struct ccm_client_ports {
	uint16_t client_id;		/* in the sender's registry */
	char name[CCM_NAME_LEN];
	uint16_t nports;
	uint32_t qpn[CCM_MAX_CLIENT_PORTS];
	uint32_t psn[CCM_MAX_CLIENT_PORTS];
	/* memory the sender registered for the receiver's client of this name */
	uint64_t mem_iova;
	uint64_t mem_len;
	uint32_t mem_rkey;
};

struct ccm_ports {
	uint8_t count;
	struct ccm_client_ports client[CCM_MAX_CLIENTS];
};

enum ccm_terminate_reason {
	CCM_TERM_ADMIN = 1,
	CCM_TERM_PEER_RESTART = 2,
	CCM_TERM_QP_ERROR = 3,
	CCM_TERM_LINKS_LOST = 4,
	CCM_TERM_CLIENT_JOINED = 5,	/* a client registered late: renegotiate */
	CCM_TERM_SHUTDOWN = 6,
};

/* A decoded message: the header and the body its type carries. */
struct ccm_msg {
	struct ccm_msg_info info;
	union {
		struct ccm_hello hello;
		struct ccm_clients clients;
		struct ccm_ports ports;
		struct {
			uint16_t reason;	/* enum ccm_terminate_reason */
		} terminate;
		struct {
			uint16_t version_min, version_max;	/* what the refuser speaks */
		} refuse;
	} u;
};

/**
 * Encode @p msg (msg->info.type selects the body) into @p buf.
 * @return bytes written, or -ENOSPC if @p cap is too small, -EINVAL for a
 *   body that cannot be encoded (counts over the limits, unknown type).
 */
int ccm_msg_encode(const struct ccm_msg *msg, void *buf, size_t cap);

/**
 * Validate and decode @p len bytes received. Any byte string is safe input.
 * @param cluster_id, peer_node_id  what the sender must be
 * @return CCM_PROTO_OK, or the first reason the message is refused.
 */
enum ccm_proto_err ccm_msg_decode(const void *buf, size_t len, uint32_t cluster_id,
				  uint16_t peer_node_id, struct ccm_msg *msg);

/**
 * Highest protocol version both ranges contain, or 0 if they do not meet.
 */
uint16_t ccm_version_negotiate(uint16_t my_min, uint16_t my_max, uint16_t peer_min,
			       uint16_t peer_max);

/* CRC-32 (Ethernet polynomial, zlib convention) used by both formats. */
uint32_t ccm_crc32(const void *buf, size_t len);

#endif /* CCM_PROTO_H */
