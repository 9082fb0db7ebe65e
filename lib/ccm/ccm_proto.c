/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's wire formats (docs/ccm-protocol.md): the boot status a node
 * publishes in its boot region (claims 1-2, 13-19 of 003_...) and the
 * control messages of the session (claims 14-19 of 000_... and 004_...).
 *
 * Decoders validate, in the order the header documents, and return the
 * first reason to refuse; the caller counts it. Encoders refuse what the
 * decoders would refuse, so whatever is sent can be received. Payloads
 * are read and written at the offsets defined below, one per field of the
 * tables in the document; byte order is converted only in get/put_le*().
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <isa-l/crc.h>

#include "roce_byteorder.h"
#include "ccm_proto.h"

/* ---- CRC-32 ----------------------------------------------------------- */

/* ISA-L's gzip CRC is zlib's crc32(): reflected 0xEDB88320, init and
 * final XOR ~0, and it chains (update(update(0, a), b) == crc of a|b). */
static uint32_t
crc32_update(uint32_t crc, const void *buf, size_t len)
{
	return len ? crc32_gzip_refl(crc, buf, len) : crc;
}

uint32_t
ccm_crc32(const void *buf, size_t len)
{
	return crc32_update(0, buf, len);
}

/* ---- names ------------------------------------------------------------ */

/* Counter names: one counter per refusal reason. */
static const char *const err_str[] = {
	[CCM_PROTO_OK] = "ok",
	[CCM_PROTO_SHORT] = "short",
	[CCM_PROTO_BAD_MAGIC] = "bad_magic",
	[CCM_PROTO_BAD_LAYOUT] = "bad_layout",
	[CCM_PROTO_BAD_CHECKSUM] = "bad_checksum",
	[CCM_PROTO_WRONG_CLUSTER] = "wrong_cluster",
	[CCM_PROTO_WRONG_NODE] = "wrong_node",
	[CCM_PROTO_BAD_TYPE] = "bad_type",
	[CCM_PROTO_BAD_LENGTH] = "bad_length",
	[CCM_PROTO_BAD_FIELD] = "bad_field",
};
static_assert(RTE_DIM(err_str) == CCM_PROTO_NERR, "a name per ccm_proto_err");

const char *
ccm_proto_err_str(enum ccm_proto_err err)
{
	return (unsigned int)err < RTE_DIM(err_str) && err_str[err] ? err_str[err] : "?";
}

/* ---- names on the wire ------------------------------------------------ */

/* A name is valid if a NUL ends it within CCM_NAME_LEN bytes. */
static bool
name_valid(const char *name)
{
	return memchr(name, '\0', CCM_NAME_LEN) != NULL;
}

/* Write a valid name NUL-padded: bytes after the NUL never leak out. */
static void
put_name(uint8_t *p, const char *name)
{
	size_t n = strnlen(name, CCM_NAME_LEN);

	memcpy(p, name, n);
	memset(p + n, 0, CCM_NAME_LEN - n);
}

/* Read a name; the padding after its NUL is ignored (read back as zeros). */
static bool
get_name(char *name, const uint8_t *p)
{
	const uint8_t *nul = memchr(p, '\0', CCM_NAME_LEN);

	if (nul == NULL)
		return false;
	memset(name, 0, CCM_NAME_LEN);
	memcpy(name, p, nul - p);
	return true;
}

/* ---- boot status ------------------------------------------------------ */

#define STATUS_CRC_LEN	offsetof(struct ccm_boot_status, checksum)
static_assert(STATUS_CRC_LEN == 60, "the status checksum covers the 60 bytes before it");

void
ccm_status_encode(const struct ccm_status *st, struct ccm_boot_status *out)
{
	struct ccm_boot_status s;

	memset(&s, 0, sizeof(s));
	s.magic = rte_cpu_to_le_32(CCM_BOOT_MAGIC);
	s.layout = rte_cpu_to_le_16(CCM_BOOT_LAYOUT);
	s.stage = rte_cpu_to_le_16((uint16_t)st->stage);
	s.cluster_id = rte_cpu_to_le_32(st->cluster_id);
	s.node_id = rte_cpu_to_le_16(st->node_id);
	s.version_min = rte_cpu_to_le_16(st->version_min);
	s.version_max = rte_cpu_to_le_16(st->version_max);
	s.attempt = rte_cpu_to_le_16(st->attempt);
	s.seq = rte_cpu_to_le_32(st->seq);
	s.incarnation = rte_cpu_to_le_64(st->incarnation);
	s.acked_incarnation = rte_cpu_to_le_64(st->acked_incarnation);
	s.checksum = rte_cpu_to_le_32(ccm_crc32(&s, STATUS_CRC_LEN));
	/* Built aside and copied once: @p out may be a region the partner reads. */
	memcpy(out, &s, sizeof(s));
}

enum ccm_proto_err
ccm_status_decode(const struct ccm_boot_status *in, uint32_t cluster_id, uint16_t node_id,
		  struct ccm_status *st)
{
	struct ccm_boot_status s;
	uint16_t stage, vmin, vmax;

	/*
	 * Validate one snapshot: the partner may RDMA-WRITE the region while
	 * we read it. A torn copy fails the checksum and is read again later.
	 */
	memcpy(&s, in, sizeof(s));
	if (rte_le_to_cpu_32(s.magic) != CCM_BOOT_MAGIC)
		return CCM_PROTO_BAD_MAGIC;	/* also a region never written */
	if (rte_le_to_cpu_16(s.layout) != CCM_BOOT_LAYOUT)
		return CCM_PROTO_BAD_LAYOUT;
	if (rte_le_to_cpu_32(s.checksum) != ccm_crc32(&s, STATUS_CRC_LEN))
		return CCM_PROTO_BAD_CHECKSUM;
	if (rte_le_to_cpu_32(s.cluster_id) != cluster_id)
		return CCM_PROTO_WRONG_CLUSTER;
	if (rte_le_to_cpu_16(s.node_id) != node_id)
		return CCM_PROTO_WRONG_NODE;
	stage = rte_le_to_cpu_16(s.stage);
	vmin = rte_le_to_cpu_16(s.version_min);
	vmax = rte_le_to_cpu_16(s.version_max);
	if (stage < CCM_STAGE_BOOTING || stage > CCM_STAGE_CONNECTED ||
	    vmin < 1 || vmin > vmax)
		return CCM_PROTO_BAD_FIELD;

	st->stage = (enum ccm_boot_stage)stage;
	st->cluster_id = cluster_id;
	st->node_id = node_id;
	st->version_min = vmin;
	st->version_max = vmax;
	st->attempt = rte_le_to_cpu_16(s.attempt);
	st->seq = rte_le_to_cpu_32(s.seq);
	st->incarnation = rte_le_to_cpu_64(s.incarnation);
	st->acked_incarnation = rte_le_to_cpu_64(s.acked_incarnation);
	return CCM_PROTO_OK;
}

/* ---- message payloads ------------------------------------------------- */

/*
 * Payload layouts: byte offsets from the start of the payload (the byte
 * after the 32-byte header). Bytes not named here are reserved: zero on
 * encode, ignored on decode.
 */

/* HELLO: peer connection information (claim 14; version range: claim 16). */
#define HELLO_VMIN		0	/* u16 */
#define HELLO_VMAX		2	/* u16 */
#define HELLO_NAME		4	/* char[24] */
#define HELLO_NB_LINKS		28	/* u8 */
#define HELLO_LINK_IP		32	/* u32 x CCM_MAX_LINKS, slots >= nb_links zero */
#define HELLO_LEN		48
static_assert(HELLO_NAME + CCM_NAME_LEN == HELLO_NB_LINKS, "HELLO name then links");
static_assert(HELLO_LINK_IP + 4 * CCM_MAX_LINKS == HELLO_LEN, "HELLO is 48 bytes");

/* CLIENTS and PORTS both start with a count byte and 3 reserved bytes. */
#define LIST_COUNT		0	/* u8 */
#define LIST_HDR_LEN		4

/* CLIENTS entry: what a client needs (claims 17-19). */
#define CL_ID			0	/* u16 */
#define CL_NPORTS		2	/* u16, ports needed: claim 18 */
#define CL_MEM_BYTES		8	/* u64, memory requested: claim 19 */
#define CL_NAME			16	/* char[24] */
#define CL_LEN			40
static_assert(CL_NAME + CCM_NAME_LEN == CL_LEN, "CLIENTS entry is 40 bytes");

/* PORTS entry: the QPs and memory created for a client, then its ports. */
#define PC_ID			0	/* u16 */
#define PC_NPORTS		2	/* u16 */
#define PC_NAME			4	/* char[24] */
#define PC_MEM_RKEY		28	/* u32 */
#define PC_MEM_IOVA		36	/* u64 */
#define PC_MEM_LEN		44	/* u64 */
#define PC_LEN			52	/* then nports x port */
#define PORT_QPN		0	/* u32, 24 bits used */
#define PORT_PSN		4	/* u32, 24 bits used */
#define PORT_LEN		8
static_assert(PC_NAME + CCM_NAME_LEN == PC_MEM_RKEY, "PORTS name then rkey");
static_assert(PC_MEM_LEN + 8 == PC_LEN, "PORTS entry is 52 bytes before its ports");

#define QP_24BIT_MAX		0xffffffu	/* QPN and PSN are 24-bit in the BTH */

/* TERMINATE and REFUSE. */
#define TERM_REASON		0	/* u16 */
#define TERM_LEN		4
#define REFUSE_VMIN		0	/* u16 */
#define REFUSE_VMAX		2	/* u16 */
#define REFUSE_LEN		4

#define CLIENTS_MAX_LEN		(LIST_HDR_LEN + CCM_MAX_CLIENTS * CL_LEN)
#define PORTS_MAX_LEN		(LIST_HDR_LEN + CCM_MAX_CLIENTS * \
				 (PC_LEN + CCM_MAX_CLIENT_PORTS * PORT_LEN))
static_assert(sizeof(struct ccm_msg_hdr) + PORTS_MAX_LEN <= CCM_MSG_MAX,
	      "the largest PORTS fits in one message");
static_assert(CLIENTS_MAX_LEN <= PORTS_MAX_LEN && HELLO_LEN <= PORTS_MAX_LEN,
	      "PORTS is the largest message");

static size_t
ports_entry_len(uint16_t nports)
{
	return PC_LEN + (size_t)nports * PORT_LEN;
}

/* HELLO */

static int
hello_check(const struct ccm_msg *msg)
{
	const struct ccm_hello *h = &msg->u.hello;

	if (h->nb_links > CCM_MAX_LINKS || !name_valid(h->node_name))
		return -EINVAL;
	return 0;
}

static size_t
hello_size(const struct ccm_msg *msg __rte_unused)
{
	return HELLO_LEN;
}

static void
hello_put(const struct ccm_msg *msg, uint8_t *p)
{
	const struct ccm_hello *h = &msg->u.hello;
	unsigned int i;

	roce_put_le16(p + HELLO_VMIN, h->version_min);
	roce_put_le16(p + HELLO_VMAX, h->version_max);
	put_name(p + HELLO_NAME, h->node_name);
	p[HELLO_NB_LINKS] = h->nb_links;
	for (i = 0; i < h->nb_links; i++)
		roce_put_le32(p + HELLO_LINK_IP + 4 * i, h->link_ip[i]);
}

static enum ccm_proto_err
hello_get(const uint8_t *p, size_t len, struct ccm_msg *msg)
{
	struct ccm_hello *h = &msg->u.hello;
	unsigned int i;

	if (len != HELLO_LEN)
		return CCM_PROTO_BAD_LENGTH;
	h->version_min = roce_get_le16(p + HELLO_VMIN);
	h->version_max = roce_get_le16(p + HELLO_VMAX);
	h->nb_links = p[HELLO_NB_LINKS];
	if (h->nb_links > CCM_MAX_LINKS || !get_name(h->node_name, p + HELLO_NAME))
		return CCM_PROTO_BAD_FIELD;
	for (i = 0; i < h->nb_links; i++)
		h->link_ip[i] = roce_get_le32(p + HELLO_LINK_IP + 4 * i);
	return CCM_PROTO_OK;
}

/* CLIENTS */

static int
clients_check(const struct ccm_msg *msg)
{
	const struct ccm_clients *c = &msg->u.clients;
	unsigned int i;

	if (c->count > CCM_MAX_CLIENTS)
		return -EINVAL;
	for (i = 0; i < c->count; i++)
		if (c->client[i].nports > CCM_MAX_CLIENT_PORTS || !name_valid(c->client[i].name))
			return -EINVAL;
	return 0;
}

static size_t
clients_size(const struct ccm_msg *msg)
{
	return LIST_HDR_LEN + (size_t)msg->u.clients.count * CL_LEN;
}

static void
clients_put(const struct ccm_msg *msg, uint8_t *p)
{
	const struct ccm_clients *c = &msg->u.clients;
	unsigned int i;

	p[LIST_COUNT] = c->count;
	for (i = 0; i < c->count; i++) {
		const struct ccm_client_info *ci = &c->client[i];
		uint8_t *e = p + LIST_HDR_LEN + i * CL_LEN;

		roce_put_le16(e + CL_ID, ci->client_id);
		roce_put_le16(e + CL_NPORTS, ci->nports);
		roce_put_le64(e + CL_MEM_BYTES, ci->mem_bytes);
		put_name(e + CL_NAME, ci->name);
	}
}

static enum ccm_proto_err
clients_get(const uint8_t *p, size_t len, struct ccm_msg *msg)
{
	struct ccm_clients *c = &msg->u.clients;
	unsigned int i;

	if (len < LIST_HDR_LEN || len != LIST_HDR_LEN + (size_t)p[LIST_COUNT] * CL_LEN)
		return CCM_PROTO_BAD_LENGTH;
	c->count = p[LIST_COUNT];
	if (c->count > CCM_MAX_CLIENTS)
		return CCM_PROTO_BAD_FIELD;
	for (i = 0; i < c->count; i++) {
		struct ccm_client_info *ci = &c->client[i];
		const uint8_t *e = p + LIST_HDR_LEN + i * CL_LEN;

		ci->client_id = roce_get_le16(e + CL_ID);
		ci->nports = roce_get_le16(e + CL_NPORTS);
		ci->mem_bytes = roce_get_le64(e + CL_MEM_BYTES);
		if (ci->nports > CCM_MAX_CLIENT_PORTS || !get_name(ci->name, e + CL_NAME))
			return CCM_PROTO_BAD_FIELD;
	}
	return CCM_PROTO_OK;
}

/* PORTS */

static int
ports_check(const struct ccm_msg *msg)
{
	const struct ccm_ports *pt = &msg->u.ports;
	unsigned int i, j;

	if (pt->count > CCM_MAX_CLIENTS)
		return -EINVAL;
	for (i = 0; i < pt->count; i++) {
		const struct ccm_client_ports *cp = &pt->client[i];

		if (cp->nports > CCM_MAX_CLIENT_PORTS || !name_valid(cp->name))
			return -EINVAL;
		for (j = 0; j < cp->nports; j++)
			if (cp->qpn[j] > QP_24BIT_MAX || cp->psn[j] > QP_24BIT_MAX)
				return -EINVAL;
	}
	return 0;
}

static size_t
ports_size(const struct ccm_msg *msg)
{
	const struct ccm_ports *pt = &msg->u.ports;
	size_t len = LIST_HDR_LEN;
	unsigned int i;

	for (i = 0; i < pt->count; i++)
		len += ports_entry_len(pt->client[i].nports);
	return len;
}

static void
ports_put(const struct ccm_msg *msg, uint8_t *p)
{
	const struct ccm_ports *pt = &msg->u.ports;
	uint8_t *e = p + LIST_HDR_LEN;
	unsigned int i, j;

	p[LIST_COUNT] = pt->count;
	for (i = 0; i < pt->count; i++) {
		const struct ccm_client_ports *cp = &pt->client[i];

		roce_put_le16(e + PC_ID, cp->client_id);
		roce_put_le16(e + PC_NPORTS, cp->nports);
		put_name(e + PC_NAME, cp->name);
		roce_put_le32(e + PC_MEM_RKEY, cp->mem_rkey);
		roce_put_le64(e + PC_MEM_IOVA, cp->mem_iova);
		roce_put_le64(e + PC_MEM_LEN, cp->mem_len);
		for (j = 0; j < cp->nports; j++) {
			uint8_t *port = e + PC_LEN + j * PORT_LEN;

			roce_put_le32(port + PORT_QPN, cp->qpn[j]);
			roce_put_le32(port + PORT_PSN, cp->psn[j]);
		}
		e += ports_entry_len(cp->nports);
	}
}

static enum ccm_proto_err
ports_get(const uint8_t *p, size_t len, struct ccm_msg *msg)
{
	struct ccm_ports *pt = &msg->u.ports;
	size_t off = LIST_HDR_LEN;
	unsigned int i, j, count;

	/* Sizes first: the entries, whatever their counts, fill the payload. */
	if (len < LIST_HDR_LEN)
		return CCM_PROTO_BAD_LENGTH;
	count = p[LIST_COUNT];
	for (i = 0; i < count; i++) {
		size_t need;

		if (len - off < PC_LEN)
			return CCM_PROTO_BAD_LENGTH;
		need = ports_entry_len(roce_get_le16(p + off + PC_NPORTS));
		if (len - off < need)
			return CCM_PROTO_BAD_LENGTH;
		off += need;
	}
	if (off != len)
		return CCM_PROTO_BAD_LENGTH;

	/* Then the values. */
	if (count > CCM_MAX_CLIENTS)
		return CCM_PROTO_BAD_FIELD;
	pt->count = count;
	off = LIST_HDR_LEN;
	for (i = 0; i < count; i++) {
		struct ccm_client_ports *cp = &pt->client[i];
		const uint8_t *e = p + off;

		cp->client_id = roce_get_le16(e + PC_ID);
		cp->nports = roce_get_le16(e + PC_NPORTS);
		if (cp->nports > CCM_MAX_CLIENT_PORTS || !get_name(cp->name, e + PC_NAME))
			return CCM_PROTO_BAD_FIELD;
		cp->mem_rkey = roce_get_le32(e + PC_MEM_RKEY);
		cp->mem_iova = roce_get_le64(e + PC_MEM_IOVA);
		cp->mem_len = roce_get_le64(e + PC_MEM_LEN);
		for (j = 0; j < cp->nports; j++) {
			const uint8_t *port = e + PC_LEN + j * PORT_LEN;

			cp->qpn[j] = roce_get_le32(port + PORT_QPN);
			cp->psn[j] = roce_get_le32(port + PORT_PSN);
			if (cp->qpn[j] > QP_24BIT_MAX || cp->psn[j] > QP_24BIT_MAX)
				return CCM_PROTO_BAD_FIELD;
		}
		off += ports_entry_len(cp->nports);
	}
	return CCM_PROTO_OK;
}

/* READY */

static size_t
ready_size(const struct ccm_msg *msg __rte_unused)
{
	return 0;
}

static enum ccm_proto_err
ready_get(const uint8_t *p __rte_unused, size_t len, struct ccm_msg *msg __rte_unused)
{
	return len == 0 ? CCM_PROTO_OK : CCM_PROTO_BAD_LENGTH;
}

/* TERMINATE */

static bool
term_reason_valid(uint16_t reason)
{
	return reason >= CCM_TERM_ADMIN && reason <= CCM_TERM_SHUTDOWN;
}

static int
terminate_check(const struct ccm_msg *msg)
{
	return term_reason_valid(msg->u.terminate.reason) ? 0 : -EINVAL;
}

static size_t
terminate_size(const struct ccm_msg *msg __rte_unused)
{
	return TERM_LEN;
}

static void
terminate_put(const struct ccm_msg *msg, uint8_t *p)
{
	roce_put_le16(p + TERM_REASON, msg->u.terminate.reason);
}

static enum ccm_proto_err
terminate_get(const uint8_t *p, size_t len, struct ccm_msg *msg)
{
	if (len != TERM_LEN)
		return CCM_PROTO_BAD_LENGTH;
	msg->u.terminate.reason = roce_get_le16(p + TERM_REASON);
	return term_reason_valid(msg->u.terminate.reason) ? CCM_PROTO_OK : CCM_PROTO_BAD_FIELD;
}

/* REFUSE */

static int
refuse_check(const struct ccm_msg *msg)
{
	return msg->u.refuse.version_min <= msg->u.refuse.version_max ? 0 : -EINVAL;
}

static size_t
refuse_size(const struct ccm_msg *msg __rte_unused)
{
	return REFUSE_LEN;
}

static void
refuse_put(const struct ccm_msg *msg, uint8_t *p)
{
	roce_put_le16(p + REFUSE_VMIN, msg->u.refuse.version_min);
	roce_put_le16(p + REFUSE_VMAX, msg->u.refuse.version_max);
}

static enum ccm_proto_err
refuse_get(const uint8_t *p, size_t len, struct ccm_msg *msg)
{
	if (len != REFUSE_LEN)
		return CCM_PROTO_BAD_LENGTH;
	msg->u.refuse.version_min = roce_get_le16(p + REFUSE_VMIN);
	msg->u.refuse.version_max = roce_get_le16(p + REFUSE_VMAX);
	if (msg->u.refuse.version_min > msg->u.refuse.version_max)
		return CCM_PROTO_BAD_FIELD;
	return CCM_PROTO_OK;
}

/* ---- the message type table ------------------------------------------- */

struct msg_type {
	const char *name;
	/* 0, or -EINVAL for a body the decoder would refuse (NULL: always 0) */
	int (*check)(const struct ccm_msg *msg);
	/* payload bytes of a checked body */
	size_t (*size)(const struct ccm_msg *msg);
	/* write a checked body into a zeroed payload (NULL: nothing to write) */
	void (*put)(const struct ccm_msg *msg, uint8_t *p);
	/* validate @p len payload bytes: BAD_LENGTH first, then BAD_FIELD */
	enum ccm_proto_err (*get)(const uint8_t *p, size_t len, struct ccm_msg *msg);
};

static const struct msg_type msg_types[] = {
	[CCM_MSG_HELLO] = {
		.name = "HELLO",
		.check = hello_check, .size = hello_size,
		.put = hello_put, .get = hello_get,
	},
	[CCM_MSG_CLIENTS] = {
		.name = "CLIENTS",
		.check = clients_check, .size = clients_size,
		.put = clients_put, .get = clients_get,
	},
	[CCM_MSG_PORTS] = {
		.name = "PORTS",
		.check = ports_check, .size = ports_size,
		.put = ports_put, .get = ports_get,
	},
	[CCM_MSG_READY] = {
		.name = "READY",
		.size = ready_size, .get = ready_get,
	},
	[CCM_MSG_TERMINATE] = {
		.name = "TERMINATE",
		.check = terminate_check, .size = terminate_size,
		.put = terminate_put, .get = terminate_get,
	},
	[CCM_MSG_REFUSE] = {
		.name = "REFUSE",
		.check = refuse_check, .size = refuse_size,
		.put = refuse_put, .get = refuse_get,
	},
};
static_assert(RTE_DIM(msg_types) == CCM_MSG_NTYPES, "an entry per message type");

/* The table entry of a known type, or NULL. */
static const struct msg_type *
msg_type_get(unsigned int type)
{
	return type < RTE_DIM(msg_types) && msg_types[type].get ? &msg_types[type] : NULL;
}

const char *
ccm_msg_type_str(enum ccm_msg_type type)
{
	const struct msg_type *t = msg_type_get((unsigned int)type);

	return t ? t->name : "?";
}

/* ---- messages --------------------------------------------------------- */

#define HDR_LEN		sizeof(struct ccm_msg_hdr)
#define HDR_CSUM_OFF	offsetof(struct ccm_msg_hdr, checksum)

static bool
version_known(unsigned int version)
{
	return version >= CCM_PROTO_VERSION_MIN && version <= CCM_PROTO_VERSION_MAX;
}

int
ccm_msg_encode(const struct ccm_msg *msg, void *buf, size_t cap)
{
	const struct msg_type *t = msg_type_get((unsigned int)msg->info.type);
	uint8_t *p = buf;
	struct ccm_msg_hdr h;
	size_t len;

	if (t == NULL || !version_known(msg->info.version))
		return -EINVAL;
	if (t->check && t->check(msg) != 0)
		return -EINVAL;
	len = HDR_LEN + t->size(msg);
	if (cap < len)
		return -ENOSPC;

	memset(&h, 0, sizeof(h));
	h.magic = rte_cpu_to_le_32(CCM_MSG_MAGIC);
	h.version = rte_cpu_to_le_16(msg->info.version);
	h.type = rte_cpu_to_le_16((uint16_t)msg->info.type);
	h.cluster_id = rte_cpu_to_le_32(msg->info.cluster_id);
	h.node_id = rte_cpu_to_le_16(msg->info.node_id);
	h.attempt = rte_cpu_to_le_16(msg->info.attempt);
	h.incarnation = rte_cpu_to_le_64(msg->info.incarnation);
	h.length = rte_cpu_to_le_32((uint32_t)(len - HDR_LEN));
	memcpy(p, &h, HDR_LEN);			/* checksum field still 0 */
	memset(p + HDR_LEN, 0, len - HDR_LEN);	/* reserved bytes */
	if (t->put)
		t->put(msg, p + HDR_LEN);
	roce_put_le32(p + HDR_CSUM_OFF, ccm_crc32(p, len));
	return (int)len;
}

enum ccm_proto_err
ccm_msg_decode(const void *buf, size_t len, uint32_t cluster_id, uint16_t peer_node_id,
	       struct ccm_msg *msg)
{
	const uint8_t *p = buf;
	const struct msg_type *t;
	struct ccm_msg_hdr h;
	uint32_t crc;
	uint16_t type;

	if (len < HDR_LEN)
		return CCM_PROTO_SHORT;
	memcpy(&h, p, HDR_LEN);
	if (rte_le_to_cpu_32(h.magic) != CCM_MSG_MAGIC)
		return CCM_PROTO_BAD_MAGIC;
	if (!version_known(rte_le_to_cpu_16(h.version)))
		return CCM_PROTO_BAD_LAYOUT;
	if (rte_le_to_cpu_32(h.length) != len - HDR_LEN)
		return CCM_PROTO_BAD_LENGTH;
	crc = rte_le_to_cpu_32(h.checksum);
	h.checksum = 0;
	if (crc32_update(ccm_crc32(&h, HDR_LEN), p + HDR_LEN, len - HDR_LEN) != crc)
		return CCM_PROTO_BAD_CHECKSUM;
	if (rte_le_to_cpu_32(h.cluster_id) != cluster_id)
		return CCM_PROTO_WRONG_CLUSTER;
	if (rte_le_to_cpu_16(h.node_id) != peer_node_id)
		return CCM_PROTO_WRONG_NODE;
	type = rte_le_to_cpu_16(h.type);
	t = msg_type_get(type);
	if (t == NULL)
		return CCM_PROTO_BAD_TYPE;

	memset(msg, 0, sizeof(*msg));
	msg->info.type = (enum ccm_msg_type)type;
	msg->info.version = rte_le_to_cpu_16(h.version);
	msg->info.cluster_id = cluster_id;
	msg->info.node_id = peer_node_id;
	msg->info.attempt = rte_le_to_cpu_16(h.attempt);
	msg->info.incarnation = rte_le_to_cpu_64(h.incarnation);
	return t->get(p + HDR_LEN, len - HDR_LEN, msg);
}

/* ---- version negotiation (claim 16 of 000_..., claim 4 of 003_...) ----- */

uint16_t
ccm_version_negotiate(uint16_t my_min, uint16_t my_max, uint16_t peer_min, uint16_t peer_max)
{
	uint16_t lo = RTE_MAX(my_min, peer_min), hi = RTE_MIN(my_max, peer_max);

	if (my_min > my_max || peer_min > peer_max || lo > hi)
		return 0;
	return hi;
}

/* ---- keepalive note --------------------------------------------------- */

void
ccm_note_encode(uint32_t cluster_id, const struct ccm_note *note, struct ccm_note_wire *out)
{
	memset(out, 0, sizeof(*out));
	out->magic = rte_cpu_to_le_32(CCM_NOTE_MAGIC);
	out->cluster_id = rte_cpu_to_le_32(cluster_id);
	out->node_id = rte_cpu_to_le_16(note->node_id);
	out->boot_epoch = rte_cpu_to_le_16(note->boot_epoch);
	out->incarnation = rte_cpu_to_le_64(note->incarnation);
}

enum ccm_proto_err
ccm_note_decode(const void *buf, size_t len, uint32_t cluster_id, uint16_t node_id,
		struct ccm_note *note)
{
	struct ccm_note_wire w;

	if (len < sizeof(w))
		return CCM_PROTO_SHORT;
	memcpy(&w, buf, sizeof(w));
	if (rte_le_to_cpu_32(w.magic) != CCM_NOTE_MAGIC)
		return CCM_PROTO_BAD_MAGIC;
	if (rte_le_to_cpu_32(w.cluster_id) != cluster_id)
		return CCM_PROTO_WRONG_CLUSTER;
	if (rte_le_to_cpu_16(w.node_id) != node_id)
		return CCM_PROTO_WRONG_NODE;
	note->node_id = node_id;
	note->boot_epoch = rte_le_to_cpu_16(w.boot_epoch);
	note->incarnation = rte_le_to_cpu_64(w.incarnation);
	return CCM_PROTO_OK;
}

uint32_t
ccm_boot_psn(uint64_t incarnation, uint16_t epoch)
{
	uint8_t b[10];

	/* Spread over the PSN space, so a new epoch's PSNs are nowhere near
	 * the last one's: its requests are never taken for duplicates. */
	memcpy(b, &incarnation, 8);
	memcpy(b + 8, &epoch, 2);
	return ccm_crc32(b, sizeof(b)) & 0xffffff;
}
