/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The application's YAML configuration (docs/configuration.md).
 *
 * Load in three steps: read the file and let libyaml build its document
 * tree; walk the tree against the schema tables below (unknown keys,
 * duplicates, types, ranges, required keys, in document order); then check
 * the rules that span keys and nodes. Only then is struct ccm_app_config
 * filled, for the chosen node, so a failed load leaves it untouched. The
 * first error stops the load; its message names FILE:LINE:COLUMN of the
 * offending YAML node (libyaml's marks, made 1-based).
 *
 * libyaml types stay in this file.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <yaml.h>

#include "ccm_config.h"
#include "roce_fault.h"

#define CONF_FILE_MAX	(1u << 20)	/* a configuration is a page or two */
#define NB_NODES	2
#define PATH_TEXT_LEN	64		/* "nodes[1].links[3].fault_rx" */
#define SHOW_LEN	72		/* a value quoted in a message */

#define KIB		(UINT64_C(1) << 10)
#define MIB		(UINT64_C(1) << 20)
#define GIB		(UINT64_C(1) << 30)

/*
 * The transport's limits on the boot QP and key (lib/roce/roce_dev.c,
 * DEFAULT_MAX_QP and MAX_MR; the CCM creates its device with the
 * defaults): QPNs 2..1023 (0 and 1 are IBTA's special QPs), and keys
 * whose index (key >> 8) is 1..4095.
 */
#define BOOT_QPN_MIN	2
#define BOOT_QPN_MAX	1023
#define BOOT_RKEY_MIN	0x100
#define BOOT_RKEY_MAX	0xfffff
#define BOOT_REGION_LEN	256		/* struct ccm_boot_region */

/* The failover monitor's mailbox has a slot for node ids 1 and 2 (lib/clients/failover.c). */
#define FAILOVER_ID_MAX	2
/* NVRAM files are mapped whole pages (lib/clients/nvram_shadow.c). */
#define NVRAM_ALIGN	4096

/* ---- What the walk produces ---------------------------------------------- */

/* Where a value was written: 1-based; line 0 = absent. */
struct pos {
	unsigned int line;
	unsigned int col;
};

/* Fields of each object, in schema order: the index into its pos[]. */
enum top_field { TF_CLUSTER, TF_NODES, TF_N };

enum cluster_field {
	CF_ID,
	CF_BOOT, CF_QPN, CF_RKEY, CF_ADDR,
	CF_TRANSPORT, CF_MTU, CF_ACK_TIMEOUT, CF_RETRY_COUNT,
	CF_TIMINGS, CF_KEEPALIVE, CF_LINK_TIMEOUT, CF_HEARTBEAT, CF_PARTNER_TIMEOUT,
	CF_PARTNER_FAST_TIMEOUT, CF_GIVEBACK_DELAY,
	CF_BALANCE, CF_FAILBACK,
	CF_N,
};

enum node_field {
	NF_NAME, NF_ID, NF_LINKS,
	NF_LCORES, NF_LC_CCM, NF_LC_FAILOVER, NF_LC_NVRAM,
	NF_NVRAM, NF_NV_FILE, NF_NV_SHADOW, NF_NV_SIZE, NF_NV_MIRROR,
	NF_FAILOVER, NF_FO_MAILBOX,
	NF_N,
};

enum link_field { LF_PORT, LF_IP, LF_MAC, LF_FAULT_RX, LF_FAULT_TX, LF_N };

/* Numbers are parsed into uint64_t and narrowed once their range is checked. */
struct cluster_def {
	struct pos pos[CF_N];
	uint64_t id;
	uint64_t qpn, rkey, addr;
	uint64_t mtu, ack_timeout, retry_count;
	uint64_t keepalive_us, link_timeout_us, heartbeat_us, partner_timeout_us;
	uint64_t partner_fast_timeout_us;	/* 0: not given (half the timeout) */
	uint64_t giveback_delay_ms;
	unsigned int balance;		/* enum cfg_balance */
	bool failback;
};

struct link_def {
	struct pos pos[LF_N];
	char port[CFG_PORT_LEN];
	uint32_t ip;			/* host order */
	uint8_t mac[6];
	char fault_rx[CFG_FAULT_LEN];
	char fault_tx[CFG_FAULT_LEN];
};

struct node_def {
	struct pos pos[NF_N];
	struct pos at;			/* the node's mapping */
	char name[CFG_NAME_LEN];
	uint64_t id;
	unsigned int nb_links;
	struct link_def link[CFG_MAX_LINKS];
	uint64_t lcore_ccm, lcore_failover, lcore_nvram;
	char nvram_file[CFG_PATH_LEN];
	char shadow_file[CFG_PATH_LEN];
	uint64_t nvram_size;
	unsigned int mirror;		/* enum cfg_mirror */
	char mailbox[CFG_PATH_LEN];
};

struct loader {
	const char *file;		/* as given: the start of every message */
	char *err;
	size_t errlen;
	yaml_document_t *doc;
	char show[2][SHOW_LEN];		/* values quoted for a message */
	unsigned int next_show;
	char found[SHOW_LEN + 32];	/* "the quoted string ..." */
	struct pos pos[TF_N];
	struct cluster_def cluster;
	struct node_def node[NB_NODES];
};

/* ---- Messages ------------------------------------------------------------ */

/* "FILE:LINE:COLUMN: " (or "FILE: " without @p at) and the message into l->err. */
static int __rte_format_printf(3, 0)
vfail(struct loader *l, const struct pos *at, const char *fmt, va_list ap)
{
	int n;

	if (l->err == NULL || l->errlen == 0)
		return -EINVAL;
	if (at != NULL)
		n = snprintf(l->err, l->errlen, "%s:%u:%u: ", l->file, at->line, at->col);
	else
		n = snprintf(l->err, l->errlen, "%s: ", l->file);
	if (n >= 0 && (size_t)n < l->errlen)
		vsnprintf(l->err + n, l->errlen - n, fmt, ap);
	return -EINVAL;
}

/* @return -EINVAL */
static int __rte_format_printf(2, 3)
fail(struct loader *l, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(l, NULL, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* @return -EINVAL */
static int __rte_format_printf(3, 4)
fail_at(struct loader *l, struct pos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(l, &at, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static struct pos
pos_of(const yaml_node_t *v)
{
	return (struct pos){ .line = v->start_mark.line + 1, .col = v->start_mark.column + 1 };
}

/* @p len bytes of text in double quotes, escaped, cut short if long. */
static const char *
show_text(struct loader *l, const char *s, size_t len)
{
	char *out = l->show[l->next_show++ % RTE_DIM(l->show)];
	size_t i, o = 0;

	out[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 8 >= SHOW_LEN) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\')
			o += snprintf(out + o, SHOW_LEN - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += snprintf(out + o, SHOW_LEN - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

static const char *
show(struct loader *l, const yaml_node_t *v)
{
	return show_text(l, (const char *)v->data.scalar.value, v->data.scalar.length);
}

static bool
is_null(const yaml_node_t *v)
{
	const char *s = (const char *)v->data.scalar.value;

	if (v->type != YAML_SCALAR_NODE || v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return v->data.scalar.length == 0 || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 ||
	       strcmp(s, "Null") == 0 || strcmp(s, "NULL") == 0;
}

static bool
is_quoted(const yaml_node_t *v)
{
	return v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE;
}

/* What was found instead of what a key expects, for "expected X, found Y". */
static const char *
found(struct loader *l, const yaml_node_t *v)
{
	switch (v->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	case YAML_SCALAR_NODE:
		if (is_null(v))
			return "nothing";
		if (!is_quoted(v))
			return show(l, v);
		snprintf(l->found, sizeof(l->found), "the quoted string %s", show(l, v));
		return l->found;
	default:
		return "nothing";
	}
}

/* "a.b" from "a" and "b"; "b" from "" and "b". */
static void
path_join(char *out, const char *path, const char *key)
{
	snprintf(out, PATH_TEXT_LEN, "%s%s%s", path, path[0] != '\0' ? "." : "", key);
}

/* ---- Scalars ------------------------------------------------------------- */

/*
 * Decimal (no sign, no leading zeros: YAML 1.1 reads those as octal) or
 * 0x hex, at the start of @p s. @return the characters used, 0 if none;
 * *overflow set when the number does not fit in 64 bits.
 */
static size_t
scan_uint(const char *s, size_t len, uint64_t *v, bool *overflow)
{
	unsigned int base = 10, d;
	size_t i = 0, start;
	uint64_t x = 0;

	*overflow = false;
	if (len > 2 && s[0] == '0' && s[1] == 'x') {
		base = 16;
		i = 2;
	}
	start = i;
	for (; i < len; i++) {
		char c = s[i];

		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (base == 16 && c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (base == 16 && c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			break;
		if (x > (UINT64_MAX - d) / base)
			*overflow = true;
		x = x * base + d;
	}
	if (i == start)
		return 0;
	if (base == 10 && s[0] == '0' && i > 1)
		return 0;
	*v = x;
	return i;
}

/* "16MiB", "64KiB", "1GiB", or bytes. */
static void
format_size(uint64_t v, char *out, size_t len)
{
	if (v != 0 && v % GIB == 0)
		snprintf(out, len, "%" PRIu64 "GiB", v / GIB);
	else if (v != 0 && v % MIB == 0)
		snprintf(out, len, "%" PRIu64 "MiB", v / MIB);
	else if (v != 0 && v % KIB == 0)
		snprintf(out, len, "%" PRIu64 "KiB", v / KIB);
	else
		snprintf(out, len, "%" PRIu64, v);
}

static int
parse_mac(const char *s, size_t len, uint8_t mac[6])
{
	unsigned int i, hi, lo;

	if (len != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++) {
		const char *p = s + 3 * i;

		if (i < 5 && p[2] != ':')
			return -EINVAL;
		if (!isxdigit((unsigned char)p[0]) || !isxdigit((unsigned char)p[1]))
			return -EINVAL;
		hi = isdigit((unsigned char)p[0]) ? p[0] - '0' : (tolower(p[0]) - 'a' + 10);
		lo = isdigit((unsigned char)p[1]) ? p[1] - '0' : (tolower(p[1]) - 'a' + 10);
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static void
format_mac(const uint8_t mac[6], char *out, size_t len)
{
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

static void
format_ip(uint32_t ip, char *out, size_t len)
{
	snprintf(out, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}

/* ---- Schema -------------------------------------------------------------- */

struct loader;
struct field;

/* What a key's value is, and where the walk stores it in the object. */
enum kind {
	K_SECTION,	/* a mapping of the keys in ->sub, stored in the same object */
	K_UINT,		/* decimal or 0x hex, min..max: uint64_t */
	K_MTU,		/* a K_UINT that is an IB path MTU: uint64_t */
	K_SIZE,		/* a K_UINT with an optional KiB/MiB/GiB suffix, in 4KiB: uint64_t */
	K_BOOL,		/* true or false: bool */
	K_ENUM,		/* one of ->names: unsigned int, the index */
	K_NAME,		/* a node name, [a-z0-9_-]{1,16}: char[size] */
	K_STRING,	/* min..size-1 bytes, no control characters: char[size] */
	K_IPV4,		/* dotted quad, unicast: uint32_t, host order */
	K_MAC,		/* xx:xx:xx:xx:xx:xx, unicast: uint8_t[6] */
	K_FAULT,	/* a roce_fault_parse() spec: char[size] */
	K_CUSTOM,	/* ->parse does it */
};

typedef int (*custom_parse_t)(struct loader *l, const char *path, yaml_node_t *v, void *obj);

struct field {
	const char *key;
	enum kind kind;
	unsigned int idx;		/* in the object's pos[] */
	bool required;
	bool hex;			/* show the range in hex */
	size_t off;			/* of the value in the object */
	size_t size;			/* of a string buffer */
	uint64_t min, max;		/* numbers; a string's least length */
	const char *const *names;	/* K_ENUM, in enum order */
	unsigned int nb_names;
	const struct schema *sub;	/* K_SECTION */
	custom_parse_t parse;		/* K_CUSTOM */
};

struct schema {
	const struct field *field;
	unsigned int nb_fields;
};

#define SCHEMA(f) { .field = (f), .nb_fields = RTE_DIM(f) }
#define UINT(k, i, type, m, lo, hi) \
	{ .key = (k), .kind = K_UINT, .idx = (i), .off = offsetof(type, m), \
	  .min = (lo), .max = (hi) }
#define UINT_HEX(k, i, type, m, lo, hi) \
	{ .key = (k), .kind = K_UINT, .idx = (i), .hex = true, .off = offsetof(type, m), \
	  .min = (lo), .max = (hi) }
#define STRING(k, i, type, m, least) \
	{ .key = (k), .kind = K_STRING, .idx = (i), .required = (least) > 0, \
	  .off = offsetof(type, m), .size = sizeof(((type *)0)->m), .min = (least) }
#define SECTION(k, i, s) { .key = (k), .kind = K_SECTION, .idx = (i), .sub = &(s) }

static const char *const balance_names[] = {
	[CFG_BALANCE_ROUND_ROBIN] = "round-robin",
	[CFG_BALANCE_ACTIVE_STANDBY] = "active-standby",
};
static const char *const mirror_names[] = {
	[CFG_MIRROR_SYNC] = "sync",
	[CFG_MIRROR_ASYNC] = "async",
};
static const uint16_t mtus[] = { 256, 512, 1024, 2048, 4096 };

/* cluster: */
static const struct field boot_fields[] = {
	UINT("qpn", CF_QPN, struct cluster_def, qpn, BOOT_QPN_MIN, BOOT_QPN_MAX),
	UINT_HEX("rkey", CF_RKEY, struct cluster_def, rkey, BOOT_RKEY_MIN, BOOT_RKEY_MAX),
	UINT_HEX("address", CF_ADDR, struct cluster_def, addr, 0, UINT64_MAX - BOOT_REGION_LEN + 1),
};
static const struct schema boot_schema = SCHEMA(boot_fields);

static const struct field transport_fields[] = {
	{ .key = "mtu", .kind = K_MTU, .idx = CF_MTU, .off = offsetof(struct cluster_def, mtu) },
	UINT("ack_timeout", CF_ACK_TIMEOUT, struct cluster_def, ack_timeout, 1, 31),
	UINT("retry_count", CF_RETRY_COUNT, struct cluster_def, retry_count, 0, 7),
};
static const struct schema transport_schema = SCHEMA(transport_fields);

static const struct field timings_fields[] = {
	UINT("keepalive_us", CF_KEEPALIVE, struct cluster_def, keepalive_us, 10, 1000000),
	UINT("link_timeout_us", CF_LINK_TIMEOUT, struct cluster_def, link_timeout_us, 20,
	     60000000),
	UINT("heartbeat_us", CF_HEARTBEAT, struct cluster_def, heartbeat_us, 10, 10000000),
	UINT("partner_timeout_us", CF_PARTNER_TIMEOUT, struct cluster_def, partner_timeout_us, 20,
	     600000000),
	UINT("partner_fast_timeout_us", CF_PARTNER_FAST_TIMEOUT, struct cluster_def,
	     partner_fast_timeout_us, 20, 600000000),
	UINT("giveback_delay_ms", CF_GIVEBACK_DELAY, struct cluster_def, giveback_delay_ms, 0,
	     3600000),
};
static const struct schema timings_schema = SCHEMA(timings_fields);

static const struct field cluster_fields[] = {
	{ .key = "id", .kind = K_UINT, .idx = CF_ID, .required = true, .hex = true,
	  .off = offsetof(struct cluster_def, id), .min = 1, .max = UINT32_MAX },
	SECTION("boot", CF_BOOT, boot_schema),
	SECTION("transport", CF_TRANSPORT, transport_schema),
	SECTION("timings", CF_TIMINGS, timings_schema),
	{ .key = "balance", .kind = K_ENUM, .idx = CF_BALANCE,
	  .off = offsetof(struct cluster_def, balance), .names = balance_names,
	  .nb_names = RTE_DIM(balance_names) },
	{ .key = "failback", .kind = K_BOOL, .idx = CF_FAILBACK,
	  .off = offsetof(struct cluster_def, failback) },
};
static const struct schema cluster_schema = SCHEMA(cluster_fields);

/* nodes[i].links[j]: */
static const struct field link_fields[] = {
	STRING("port", LF_PORT, struct link_def, port, 1),
	{ .key = "ip", .kind = K_IPV4, .idx = LF_IP, .required = true,
	  .off = offsetof(struct link_def, ip) },
	{ .key = "mac", .kind = K_MAC, .idx = LF_MAC, .off = offsetof(struct link_def, mac) },
	{ .key = "fault_rx", .kind = K_FAULT, .idx = LF_FAULT_RX,
	  .off = offsetof(struct link_def, fault_rx), .size = CFG_FAULT_LEN },
	{ .key = "fault_tx", .kind = K_FAULT, .idx = LF_FAULT_TX,
	  .off = offsetof(struct link_def, fault_tx), .size = CFG_FAULT_LEN },
};
static const struct schema link_schema = SCHEMA(link_fields);

/* nodes[i]: */
static const struct field lcores_fields[] = {
	UINT("ccm", NF_LC_CCM, struct node_def, lcore_ccm, 0, RTE_MAX_LCORE - 1),
	UINT("failover", NF_LC_FAILOVER, struct node_def, lcore_failover, 0, RTE_MAX_LCORE - 1),
	UINT("nvram", NF_LC_NVRAM, struct node_def, lcore_nvram, 0, RTE_MAX_LCORE - 1),
};
static const struct schema lcores_schema = SCHEMA(lcores_fields);

static const struct field nvram_fields[] = {
	STRING("file", NF_NV_FILE, struct node_def, nvram_file, 1),
	STRING("shadow", NF_NV_SHADOW, struct node_def, shadow_file, 1),
	{ .key = "size", .kind = K_SIZE, .idx = NF_NV_SIZE,
	  .off = offsetof(struct node_def, nvram_size), .min = 64 * KIB, .max = GIB },
	{ .key = "mirror", .kind = K_ENUM, .idx = NF_NV_MIRROR,
	  .off = offsetof(struct node_def, mirror), .names = mirror_names,
	  .nb_names = RTE_DIM(mirror_names) },
};
static const struct schema nvram_schema = SCHEMA(nvram_fields);

static const struct field failover_fields[] = {
	STRING("mailbox", NF_FO_MAILBOX, struct node_def, mailbox, 0),
};
static const struct schema failover_schema = SCHEMA(failover_fields);

static int parse_links(struct loader *l, const char *path, yaml_node_t *v, void *obj);

static const struct field node_fields[] = {
	{ .key = "name", .kind = K_NAME, .idx = NF_NAME, .required = true,
	  .off = offsetof(struct node_def, name), .size = CFG_NAME_LEN },
	{ .key = "id", .kind = K_UINT, .idx = NF_ID, .required = true,
	  .off = offsetof(struct node_def, id), .min = 1, .max = UINT16_MAX },
	{ .key = "links", .kind = K_CUSTOM, .idx = NF_LINKS, .required = true,
	  .parse = parse_links },
	SECTION("lcores", NF_LCORES, lcores_schema),
	SECTION("nvram", NF_NVRAM, nvram_schema),
	SECTION("failover", NF_FAILOVER, failover_schema),
};
static const struct schema node_schema = SCHEMA(node_fields);

/* The top level: */
static int parse_cluster(struct loader *l, const char *path, yaml_node_t *v, void *obj);
static int parse_nodes(struct loader *l, const char *path, yaml_node_t *v, void *obj);

static const struct field top_fields[] = {
	{ .key = "cluster", .kind = K_CUSTOM, .idx = TF_CLUSTER, .required = true,
	  .parse = parse_cluster },
	{ .key = "nodes", .kind = K_CUSTOM, .idx = TF_NODES, .required = true,
	  .parse = parse_nodes },
};
static const struct schema top_schema = SCHEMA(top_fields);

/* ---- Values -------------------------------------------------------------- */

static int
expected(struct loader *l, const char *path, const yaml_node_t *v, const char *what)
{
	return fail_at(l, pos_of(v), "%s: expected %s, found %s", path, what, found(l, v));
}

static void
format_bound(const struct field *f, uint64_t v, char *out, size_t len)
{
	if (f->kind == K_SIZE)
		format_size(v, out, len);
	else if (f->hex && v > 9)
		snprintf(out, len, "0x%" PRIx64, v);
	else
		snprintf(out, len, "%" PRIu64, v);
}

static int
out_of_range(struct loader *l, const char *path, const yaml_node_t *v, const struct field *f)
{
	char lo[32], hi[32];

	format_bound(f, f->min, lo, sizeof(lo));
	format_bound(f, f->max, hi, sizeof(hi));
	return fail_at(l, pos_of(v), "%s: %s is out of range (%s..%s)", path,
		       (const char *)v->data.scalar.value, lo, hi);
}

/* A number: a plain scalar, K_SIZE with its suffix. */
static int
value_number(struct loader *l, const char *path, const yaml_node_t *v, const struct field *f,
	     uint64_t *out)
{
	const char *s = (const char *)v->data.scalar.value;
	size_t len = v->data.scalar.length, used;
	const char *what = f->kind == K_SIZE ?
			   "a size (bytes, or a number with KiB, MiB or GiB)" : "a number";
	uint64_t x, unit = 1;
	bool overflow;
	unsigned int i;

	if (v->type != YAML_SCALAR_NODE || is_null(v) || is_quoted(v))
		return expected(l, path, v, what);
	used = scan_uint(s, len, &x, &overflow);
	if (used == 0) {
		if (len > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return fail_at(l, pos_of(v),
				       "%s: %s has a leading zero (YAML 1.1 reads it as octal)",
				       path, show(l, v));
		return expected(l, path, v, what);
	}
	if (used < len && f->kind == K_SIZE) {
		static const struct {
			const char *suffix;
			uint64_t unit;
		} units[] = { { "KiB", KIB }, { "MiB", MIB }, { "GiB", GIB } };

		for (i = 0; i < RTE_DIM(units); i++)
			if (strcmp(s + used, units[i].suffix) == 0)
				unit = units[i].unit;
		if (unit == 1)
			return fail_at(l, pos_of(v),
				       "%s: %s has an unknown size suffix %s (expected KiB, MiB or GiB)",
				       path, show(l, v), show_text(l, s + used, len - used));
		if (x > UINT64_MAX / unit)
			overflow = true;
		x *= unit;
	} else if (used < len) {
		return expected(l, path, v, what);
	}
	if (f->kind == K_MTU) {
		for (i = 0; i < RTE_DIM(mtus) && !overflow; i++)
			if (x == mtus[i])
				break;
		if (overflow || i == RTE_DIM(mtus))
			return fail_at(l, pos_of(v),
				       "%s: %s is not one of 256, 512, 1024, 2048, 4096", path, s);
	} else if (overflow || x < f->min || x > f->max) {
		return out_of_range(l, path, v, f);
	} else if (f->kind == K_SIZE && x % NVRAM_ALIGN != 0) {
		return fail_at(l, pos_of(v), "%s: %s is not a multiple of 4KiB", path, s);
	}
	*out = x;
	return 0;
}

/* The text of a string value: any scalar but null, no NUL or other control characters. */
static const char *
text_of(struct loader *l, const char *path, const yaml_node_t *v, const char *what)
{
	const char *s = (const char *)v->data.scalar.value;
	size_t i;

	if (v->type != YAML_SCALAR_NODE || is_null(v)) {
		expected(l, path, v, what);
		return NULL;
	}
	for (i = 0; i < v->data.scalar.length; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			fail_at(l, pos_of(v), "%s: %s contains a control character", path,
				show(l, v));
			return NULL;
		}
	return s;
}

static bool
is_name(const char *s, size_t max)
{
	size_t i, len = strlen(s);

	if (len == 0 || len > max)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_' ||
		      s[i] == '-'))
			return false;
	return true;
}

static int walk_map(struct loader *l, const char *path, yaml_node_t *map, const struct schema *s,
		    void *obj, struct pos *pos);

static int
parse_value(struct loader *l, const char *path, const struct field *f, yaml_node_t *v, void *obj,
	    struct pos *pos)
{
	char *dst = (char *)obj + f->off;
	const char *s = (const char *)v->data.scalar.value;
	struct roce_fault_conf fault;
	uint8_t mac[6];
	struct in_addr a;
	char buf[64];
	uint32_t ip;
	unsigned int i;
	int rc;

	switch (f->kind) {
	case K_SECTION:
		return walk_map(l, path, v, f->sub, obj, pos);
	case K_CUSTOM:
		return f->parse(l, path, v, obj);
	case K_UINT:
	case K_MTU:
	case K_SIZE:
		return value_number(l, path, v, f, (uint64_t *)(void *)dst);
	case K_BOOL:
		if (v->type != YAML_SCALAR_NODE || is_quoted(v) ||
		    (strcmp(s, "true") != 0 && strcmp(s, "false") != 0))
			return expected(l, path, v, "true or false");
		*(bool *)dst = strcmp(s, "true") == 0;
		return 0;
	case K_ENUM:
		s = text_of(l, path, v, "a string");
		if (s == NULL)
			return -EINVAL;
		for (i = 0; i < f->nb_names; i++)
			if (strcmp(s, f->names[i]) == 0) {
				*(unsigned int *)(void *)dst = i;
				return 0;
			}
		rc = 0;
		for (i = 0; i < f->nb_names && rc >= 0 && (size_t)rc < sizeof(buf); i++)
			rc += snprintf(buf + rc, sizeof(buf) - rc, "%s%s", i == 0 ? "" : ", ",
				       f->names[i]);
		return fail_at(l, pos_of(v), "%s: %s is not one of %s", path, show(l, v), buf);
	case K_NAME:
		s = text_of(l, path, v, "a node name");
		if (s == NULL)
			return -EINVAL;
		if (!is_name(s, f->size - 1))
			return fail_at(l, pos_of(v),
				       "%s: %s is not a node name (1 to %zu characters of a-z, 0-9, _ and -)",
				       path, show(l, v), f->size - 1);
		memcpy(dst, s, strlen(s) + 1);
		return 0;
	case K_STRING:
	case K_FAULT:
		s = text_of(l, path, v, f->kind == K_FAULT ? "a fault spec" : "a string");
		if (s == NULL)
			return -EINVAL;
		if (strlen(s) < f->min)
			return fail_at(l, pos_of(v), "%s: must not be empty", path);
		if (strlen(s) >= f->size)
			return fail_at(l, pos_of(v), "%s: %s is longer than %zu characters", path,
				       show(l, v), f->size - 1);
		if (f->kind == K_FAULT && roce_fault_parse(s, &fault) < 0)
			return fail_at(l, pos_of(v),
				       "%s: %s is not a fault spec (comma-separated drop=, dup=, reorder=, corrupt=, delay= rates 0..1, delay_us=, seed=; or off)",
				       path, show(l, v));
		memcpy(dst, s, strlen(s) + 1);
		return 0;
	case K_IPV4:
		s = text_of(l, path, v, "an IPv4 address");
		if (s == NULL)
			return -EINVAL;
		if (inet_pton(AF_INET, s, &a) != 1)
			return fail_at(l, pos_of(v), "%s: %s is not an IPv4 address", path,
				       show(l, v));
		ip = ntohl(a.s_addr);
		/* 0/8 "this network", 127/8 loopback; 224/4 multicast, 240/4 reserved */
		if ((ip >> 24) == 0 || (ip >> 24) == 127 || (ip >> 24) >= 224)
			return fail_at(l, pos_of(v),
				       "%s: %s is not a unicast address a port can use", path,
				       show(l, v));
		*(uint32_t *)(void *)dst = ip;
		return 0;
	case K_MAC:
		s = text_of(l, path, v, "a MAC address");
		if (s == NULL)
			return -EINVAL;
		if (parse_mac(s, strlen(s), mac) < 0)
			return fail_at(l, pos_of(v),
				       "%s: %s is not a MAC address (xx:xx:xx:xx:xx:xx)", path,
				       show(l, v));
		if ((mac[0] & 1) != 0 || memcmp(mac, "\0\0\0\0\0\0", 6) == 0)
			return fail_at(l, pos_of(v), "%s: %s is not a unicast MAC address", path,
				       show(l, v));
		memcpy(dst, mac, sizeof(mac));
		return 0;
	}
	return -EINVAL;
}

/* ---- Mappings and lists -------------------------------------------------- */

static bool
key_is(const yaml_node_t *k, const char *name)
{
	return k->data.scalar.length == strlen(name) &&
	       memcmp(k->data.scalar.value, name, k->data.scalar.length) == 0;
}

static int
unknown_key(struct loader *l, const char *path, const yaml_node_t *k, const struct schema *s)
{
	char keys[160];
	unsigned int i;
	int n = 0;

	for (i = 0; i < s->nb_fields && n >= 0 && (size_t)n < sizeof(keys); i++)
		n += snprintf(keys + n, sizeof(keys) - n, "%s%s", i == 0 ? "" : ", ",
			      s->field[i].key);
	if (path[0] == '\0')
		return fail_at(l, pos_of(k),
			       "unknown key %s at the top level (expected one of: %s)", show(l, k),
			       keys);
	return fail_at(l, pos_of(k), "%s: unknown key %s (expected one of: %s)", path, show(l, k),
		       keys);
}

static int
duplicate_key(struct loader *l, const char *path, yaml_node_t *map, const yaml_node_pair_t *dup,
	      const struct field *f)
{
	const yaml_node_pair_t *p;
	struct pos first = { 0, 0 };

	for (p = map->data.mapping.pairs.start; p < dup; p++) {
		const yaml_node_t *k = yaml_document_get_node(l->doc, p->key);

		if (k->type == YAML_SCALAR_NODE && key_is(k, f->key)) {
			first = pos_of(k);
			break;
		}
	}
	return fail_at(l, pos_of(yaml_document_get_node(l->doc, dup->key)),
		       "%s%sduplicate key \"%s\" (first at line %u, column %u)", path,
		       path[0] != '\0' ? ": " : "", f->key, first.line, first.col);
}

/*
 * Check @p map against @p s in document order: each key known and given
 * once, each value of its kind; then every required key present. Values
 * go into @p obj, their positions into @p pos.
 */
static int
walk_map(struct loader *l, const char *path, yaml_node_t *map, const struct schema *s, void *obj,
	 struct pos *pos)
{
	yaml_node_pair_t *p;
	char sub[PATH_TEXT_LEN];
	unsigned int i;

	if (map->type != YAML_MAPPING_NODE) {
		if (path[0] == '\0')
			return fail_at(l, pos_of(map),
				       "expected a mapping at the top level, found %s", found(l, map));
		return expected(l, path, map, "a mapping");
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		const struct field *f = NULL;

		if (k->type != YAML_SCALAR_NODE)
			return fail_at(l, pos_of(k), "%s%sexpected a key, found %s", path,
				       path[0] != '\0' ? ": " : "", found(l, k));
		for (i = 0; i < s->nb_fields && f == NULL; i++)
			if (key_is(k, s->field[i].key))
				f = &s->field[i];
		if (f == NULL)
			return unknown_key(l, path, k, s);
		if (pos[f->idx].line != 0)
			return duplicate_key(l, path, map, p, f);
		pos[f->idx] = pos_of(v);
		path_join(sub, path, f->key);
		if (parse_value(l, sub, f, v, obj, pos) < 0)
			return -EINVAL;
	}
	for (i = 0; i < s->nb_fields; i++)
		if (s->field[i].required && pos[s->field[i].idx].line == 0)
			return fail_at(l, pos_of(map), "missing required key \"%s\" %s%s",
				       s->field[i].key,
				       path[0] != '\0' ? "in " : "at the top level", path);
	return 0;
}

static int
parse_cluster(struct loader *l, const char *path, yaml_node_t *v, void *obj)
{
	RTE_SET_USED(obj);
	return walk_map(l, path, v, &cluster_schema, &l->cluster, l->cluster.pos);
}

static int
parse_links(struct loader *l, const char *path, yaml_node_t *v, void *obj)
{
	struct node_def *n = obj;
	char sub[PATH_TEXT_LEN];
	yaml_node_item_t *it;
	unsigned int i, count;

	if (v->type != YAML_SEQUENCE_NODE)
		return expected(l, path, v, "a list");
	it = v->data.sequence.items.start;
	count = v->data.sequence.items.top - it;
	if (count == 0)
		return fail_at(l, pos_of(v), "%s: expected 1 to %d links, found none", path,
			       CFG_MAX_LINKS);
	if (count > CFG_MAX_LINKS)
		return fail_at(l, pos_of(yaml_document_get_node(l->doc, it[CFG_MAX_LINKS])),
			       "%s: expected 1 to %d links, found %u", path, CFG_MAX_LINKS, count);
	for (i = 0; i < count; i++) {
		snprintf(sub, sizeof(sub), "%s[%u]", path, i);
		if (walk_map(l, sub, yaml_document_get_node(l->doc, it[i]), &link_schema,
			     &n->link[i], n->link[i].pos) < 0)
			return -EINVAL;
	}
	n->nb_links = count;
	return 0;
}

static int
parse_nodes(struct loader *l, const char *path, yaml_node_t *v, void *obj)
{
	char sub[PATH_TEXT_LEN];
	yaml_node_item_t *it;
	unsigned int i, count;

	RTE_SET_USED(obj);
	if (v->type != YAML_SEQUENCE_NODE)
		return expected(l, path, v, "a list of two nodes");
	it = v->data.sequence.items.start;
	count = v->data.sequence.items.top - it;
	if (count > NB_NODES)
		return fail_at(l, pos_of(yaml_document_get_node(l->doc, it[NB_NODES])),
			       "%s: expected exactly %d nodes, found %u", path, NB_NODES, count);
	if (count < NB_NODES)
		return fail_at(l, pos_of(v), "%s: expected exactly %d nodes, found %u", path,
			       NB_NODES, count);
	for (i = 0; i < count; i++) {
		yaml_node_t *n = yaml_document_get_node(l->doc, it[i]);

		snprintf(sub, sizeof(sub), "%s[%u]", path, i);
		l->node[i].at = pos_of(n);
		if (walk_map(l, sub, n, &node_schema, &l->node[i], l->node[i].pos) < 0)
			return -EINVAL;
	}
	return 0;
}

/* ---- Rules across keys and nodes ----------------------------------------- */

/* Where to point at a rule between two keys: the second if given, else the first. */
static struct pos
either(const struct pos *pos, unsigned int second, unsigned int first)
{
	return pos[second].line != 0 ? pos[second] : pos[first];
}

static int
check_cluster(struct loader *l)
{
	const struct cluster_def *c = &l->cluster;

	if (c->link_timeout_us < 2 * c->keepalive_us)
		return fail_at(l, either(c->pos, CF_LINK_TIMEOUT, CF_KEEPALIVE),
			       "cluster.timings: link_timeout_us (%" PRIu64
			       ") must be at least twice keepalive_us (%" PRIu64 ")",
			       c->link_timeout_us, c->keepalive_us);
	if (c->partner_timeout_us < 2 * c->heartbeat_us)
		return fail_at(l, either(c->pos, CF_PARTNER_TIMEOUT, CF_HEARTBEAT),
			       "cluster.timings: partner_timeout_us (%" PRIu64
			       ") must be at least twice heartbeat_us (%" PRIu64 ")",
			       c->partner_timeout_us, c->heartbeat_us);
	if (c->pos[CF_PARTNER_FAST_TIMEOUT].line != 0 &&
	    (c->partner_fast_timeout_us < 2 * c->heartbeat_us ||
	     c->partner_fast_timeout_us > c->partner_timeout_us))
		return fail_at(l, c->pos[CF_PARTNER_FAST_TIMEOUT],
			       "cluster.timings: partner_fast_timeout_us (%" PRIu64
			       ") must be at least twice heartbeat_us (%" PRIu64
			       ") and at most partner_timeout_us (%" PRIu64 ")",
			       c->partner_fast_timeout_us, c->heartbeat_us, c->partner_timeout_us);
	return 0;
}

/* Not given: half the timeout, but never below two heartbeats. */
static uint64_t
fast_timeout_us(const struct cluster_def *c)
{
	if (c->partner_fast_timeout_us != 0)
		return c->partner_fast_timeout_us;
	return RTE_MIN(c->partner_timeout_us,
		       RTE_MAX(c->partner_timeout_us / 2, 2 * c->heartbeat_us));
}

static bool
has(const struct node_def *n, enum node_field f)
{
	return n->pos[f].line != 0;
}

/* Within one node: ports distinct, the log and the shadow distinct. */
static int
check_node(struct loader *l, unsigned int ni)
{
	const struct node_def *n = &l->node[ni];
	unsigned int i, j;

	for (i = 0; i < n->nb_links; i++)
		for (j = 0; j < i; j++)
			if (strcmp(n->link[i].port, n->link[j].port) == 0)
				return fail_at(l, n->link[i].pos[LF_PORT],
					       "nodes[%u].links[%u].port: \"%s\" is already the port of nodes[%u].links[%u]",
					       ni, i, n->link[i].port, ni, j);
	if (has(n, NF_NVRAM) && strcmp(n->nvram_file, n->shadow_file) == 0)
		return fail_at(l, n->pos[NF_NV_SHADOW],
			       "nodes[%u].nvram.shadow: \"%s\" is also the log file", ni,
			       n->shadow_file);
	if (has(n, NF_NVRAM) && n->mailbox[0] != '\0' &&
	    (strcmp(n->mailbox, n->nvram_file) == 0 || strcmp(n->mailbox, n->shadow_file) == 0))
		return fail_at(l, n->pos[NF_FO_MAILBOX],
			       "nodes[%u].failover.mailbox: \"%s\" is also an nvram file", ni,
			       n->mailbox);
	return 0;
}

/* Link @p x of the file, counting CFG_MAX_LINKS per node; NULL past a node's last. */
static const struct link_def *
link_at(const struct loader *l, unsigned int x)
{
	const struct node_def *n = &l->node[x / CFG_MAX_LINKS];

	return x % CFG_MAX_LINKS < n->nb_links ? &n->link[x % CFG_MAX_LINKS] : NULL;
}

/* Every IP address in the file once, and every MAC address given. */
static int
check_addresses(struct loader *l)
{
	const unsigned int m = CFG_MAX_LINKS;
	const struct link_def *p, *q;
	unsigned int x, y;
	char s[32];

	for (x = 0; x < NB_NODES * m; x++)
		for (y = 0; y < x && (p = link_at(l, x)) != NULL; y++) {
			q = link_at(l, y);
			if (q == NULL)
				continue;
			if (p->ip == q->ip) {
				format_ip(p->ip, s, sizeof(s));
				return fail_at(l, p->pos[LF_IP],
					       "nodes[%u].links[%u].ip: %s is already the address of nodes[%u].links[%u]",
					       x / m, x % m, s, y / m, y % m);
			}
			if (p->pos[LF_MAC].line != 0 && q->pos[LF_MAC].line != 0 &&
			    memcmp(p->mac, q->mac, sizeof(p->mac)) == 0) {
				format_mac(p->mac, s, sizeof(s));
				return fail_at(l, p->pos[LF_MAC],
					       "nodes[%u].links[%u].mac: %s is already the address of nodes[%u].links[%u]",
					       x / m, x % m, s, y / m, y % m);
			}
		}
	return 0;
}

/* A section both nodes need if either has it. */
static int
check_both(struct loader *l, enum node_field f, const char *what, const char *why)
{
	const struct node_def *n = l->node;
	unsigned int without;

	if (has(&n[0], f) == has(&n[1], f))
		return 0;
	without = has(&n[0], f) ? 1 : 0;
	return fail_at(l, n[without].at, "nodes[%u]: no %s, but nodes[%u] has one (%s)", without,
		       what, 1 - without, why);
}

static int
check_nodes(struct loader *l)
{
	const struct node_def *a = &l->node[0], *b = &l->node[1];
	char x[32], y[32];
	unsigned int ni;
	int rc;

	if (strcmp(a->name, b->name) == 0)
		return fail_at(l, b->pos[NF_NAME],
			       "nodes[1].name: \"%s\" is already the name of nodes[0]", b->name);
	if (a->id == b->id)
		return fail_at(l, b->pos[NF_ID],
			       "nodes[1].id: %" PRIu64 " is already the id of nodes[0]", b->id);
	if (a->nb_links != b->nb_links)
		return fail_at(l, b->pos[NF_LINKS],
			       "nodes[1].links: %u link%s, but nodes[0] has %u (link i of one node joins link i of the other)",
			       b->nb_links, b->nb_links == 1 ? "" : "s", a->nb_links);
	for (ni = 0; ni < NB_NODES; ni++) {
		rc = check_node(l, ni);
		if (rc < 0)
			return rc;
	}
	rc = check_addresses(l);
	if (rc < 0)
		return rc;
	rc = check_both(l, NF_NVRAM, "nvram section",
			"each node mirrors its log into the other's shadow");
	if (rc < 0)
		return rc;
	if (has(a, NF_NVRAM) && a->nvram_size != b->nvram_size) {
		format_size(b->nvram_size, x, sizeof(x));
		format_size(a->nvram_size, y, sizeof(y));
		return fail_at(l, either(b->pos, NF_NV_SIZE, NF_NVRAM),
			       "nodes[1].nvram.size: %s, but nodes[0] has %s (the shadow mirrors the partner's log byte for byte)",
			       x, y);
	}
	rc = check_both(l, NF_FAILOVER, "failover section",
			"the failover monitors watch each other");
	if (rc < 0)
		return rc;
	if ((a->mailbox[0] != '\0') != (b->mailbox[0] != '\0')) {
		ni = a->mailbox[0] != '\0' ? 1 : 0;
		return fail_at(l, either(l->node[ni].pos, NF_FO_MAILBOX, NF_FAILOVER),
			       "nodes[%u].failover: no mailbox, but nodes[%u] has one (it proves a node alive only if both write it)",
			       ni, 1 - ni);
	}
	if (has(a, NF_FAILOVER))
		for (ni = 0; ni < NB_NODES; ni++)
			if (l->node[ni].id > FAILOVER_ID_MAX)
				return fail_at(l, l->node[ni].pos[NF_ID],
					       "nodes[%u].id: %" PRIu64 " is not 1 or 2 (with a failover section the node ids are 1 and 2: one mailbox slot each)",
					       ni, l->node[ni].id);
	return 0;
}

/* ---- Loading ------------------------------------------------------------- */

static void
defaults(struct loader *l)
{
	struct cluster_def *c = &l->cluster;
	unsigned int i;

	c->qpn = 8;
	c->rkey = 0x7700;
	c->addr = 0x10000000;
	c->mtu = 1024;
	c->ack_timeout = 12;
	c->retry_count = 3;
	c->keepalive_us = 1000;
	c->link_timeout_us = 5000;
	c->heartbeat_us = 1000;
	c->partner_timeout_us = 8000;
	c->giveback_delay_ms = 2000;
	c->balance = CFG_BALANCE_ROUND_ROBIN;
	c->failback = true;
	for (i = 0; i < NB_NODES; i++) {
		l->node[i].nvram_size = 16 * MIB;
		l->node[i].mirror = CFG_MIRROR_SYNC;
	}
}

/* Read all of @p path (at most CONF_FILE_MAX bytes). @return 0 or a negative errno. */
static int
read_file(struct loader *l, char **buf, size_t *len)
{
	FILE *f = fopen(l->file, "r");
	size_t n = 0, cap = 4096, r;
	char *b = NULL, *nb;
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		fail(l, "cannot open: %s", strerror(-rc));
		return rc;
	}
	for (;;) {
		if (n == cap || b == NULL) {
			cap = b == NULL ? cap : cap * 2;
			nb = realloc(b, cap);
			if (nb == NULL) {
				rc = -ENOMEM;
				fail(l, "out of memory");
				break;
			}
			b = nb;
		}
		r = fread(b + n, 1, cap - n, f);
		n += r;
		if (n > CONF_FILE_MAX) {
			rc = -EFBIG;
			fail(l, "larger than %u bytes: not a configuration file", CONF_FILE_MAX);
			break;
		}
		if (r == 0) {
			if (ferror(f)) {
				rc = -(errno != 0 ? errno : EIO);
				fail(l, "cannot read: %s", strerror(-rc));
			}
			break;
		}
	}
	fclose(f);
	if (rc < 0) {
		free(b);
		return rc;
	}
	*buf = b;
	*len = n;
	return 0;
}

/* The line and column of byte @p off of @p buf (reader errors carry no mark). */
static struct pos
pos_of_offset(const char *buf, size_t len, size_t off)
{
	struct pos p = { 1, 1 };
	size_t i;

	for (i = 0; i < off && i < len; i++) {
		if (buf[i] == '\n') {
			p.line++;
			p.col = 1;
		} else if (((unsigned char)buf[i] & 0xc0) != 0x80) {
			p.col++;	/* libyaml counts characters, not bytes */
		}
	}
	return p;
}

static int
syntax_error(struct loader *l, const yaml_parser_t *p, const char *buf, size_t len)
{
	struct pos at;

	if (p->error == YAML_MEMORY_ERROR) {
		fail(l, "out of memory");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		at = pos_of_offset(buf, len, p->problem_offset);
		return fail_at(l, at, "YAML syntax error: %s", p->problem);
	}
	at = (struct pos){ p->problem_mark.line + 1, p->problem_mark.column + 1 };
	if (p->context != NULL)
		return fail_at(l, at, "YAML syntax error: %s (%s at line %zu, column %zu)",
			       p->problem != NULL ? p->problem : "?", p->context,
			       p->context_mark.line + 1, p->context_mark.column + 1);
	return fail_at(l, at, "YAML syntax error: %s", p->problem != NULL ? p->problem : "?");
}

/* The node called @p name, or the host's, or the first. @return its index, or -EINVAL. */
static int
choose_node(struct loader *l, const char *name)
{
	char host[256];
	unsigned int i;

	if (name == NULL) {
		if (gethostname(host, sizeof(host)) == 0) {
			host[sizeof(host) - 1] = '\0';
			for (i = 0; i < NB_NODES; i++)
				if (strcmp(l->node[i].name, host) == 0)
					return i;
		}
		return 0;
	}
	for (i = 0; i < NB_NODES; i++)
		if (strcmp(l->node[i].name, name) == 0)
			return i;
	return fail(l, "no node named %s (nodes: %s, %s)", show_text(l, name, strlen(name)),
		    l->node[0].name, l->node[1].name);
}

static void
assemble(const struct loader *l, unsigned int me, struct ccm_app_config *cfg)
{
	const struct cluster_def *c = &l->cluster;
	const struct node_def *n = &l->node[me], *p = &l->node[1 - me];
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	snprintf(cfg->path, sizeof(cfg->path), "%s", l->file);
	cfg->cluster_id = (uint32_t)c->id;
	cfg->boot_qpn = (uint32_t)c->qpn;
	cfg->boot_rkey = (uint32_t)c->rkey;
	cfg->boot_addr = c->addr;
	cfg->mtu = (uint16_t)c->mtu;
	cfg->ack_timeout = (uint8_t)c->ack_timeout;
	cfg->retry_cnt = (uint8_t)c->retry_count;
	cfg->keepalive_us = c->keepalive_us;
	cfg->link_timeout_us = c->link_timeout_us;
	cfg->heartbeat_us = c->heartbeat_us;
	cfg->partner_timeout_us = c->partner_timeout_us;
	cfg->partner_fast_timeout_us = fast_timeout_us(c);
	cfg->giveback_delay_ms = c->giveback_delay_ms;
	cfg->balance = (enum cfg_balance)c->balance;
	cfg->failback = c->failback;

	memcpy(cfg->node_name, n->name, sizeof(cfg->node_name));
	cfg->node_id = (uint16_t)n->id;
	cfg->nb_links = n->nb_links;
	for (i = 0; i < n->nb_links; i++) {
		const struct link_def *ml = &n->link[i], *pl = &p->link[i];
		struct cfg_link *k = &cfg->link[i];

		memcpy(k->port, ml->port, sizeof(k->port));
		k->local_ip = ml->ip;
		k->peer_ip = pl->ip;
		k->has_local_mac = ml->pos[LF_MAC].line != 0;
		if (k->has_local_mac)
			memcpy(k->local_mac, ml->mac, sizeof(k->local_mac));
		k->has_peer_mac = pl->pos[LF_MAC].line != 0;
		if (k->has_peer_mac)
			memcpy(k->peer_mac, pl->mac, sizeof(k->peer_mac));
		memcpy(k->fault_rx, ml->fault_rx, sizeof(k->fault_rx));
		memcpy(k->fault_tx, ml->fault_tx, sizeof(k->fault_tx));
	}
	cfg->lcore_ccm = (unsigned int)n->lcore_ccm;
	cfg->lcore_failover = (unsigned int)n->lcore_failover;
	cfg->lcore_nvram = (unsigned int)n->lcore_nvram;
	cfg->nvram_enabled = has(n, NF_NVRAM);
	memcpy(cfg->nvram_file, n->nvram_file, sizeof(cfg->nvram_file));
	cfg->nvram_size = n->nvram_size;
	memcpy(cfg->shadow_file, n->shadow_file, sizeof(cfg->shadow_file));
	cfg->mirror = (enum cfg_mirror)n->mirror;
	cfg->failover_enabled = has(n, NF_FAILOVER);
	memcpy(cfg->mailbox, n->mailbox, sizeof(cfg->mailbox));

	memcpy(cfg->peer_name, p->name, sizeof(cfg->peer_name));
	cfg->peer_node_id = (uint16_t)p->id;
}

/* Parse the document in @p buf into @p l: the schema, then the rules. */
static int
load_document(struct loader *l, const char *buf, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root, *next;
	int rc;

	if (!yaml_parser_initialize(&parser)) {
		fail(l, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(l, &parser, buf, len);
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		rc = fail(l, "empty file (no YAML document)");
		goto out_doc;
	}
	/* One document only: a second would be ignored silently. */
	if (!yaml_parser_load(&parser, &extra)) {
		rc = syntax_error(l, &parser, buf, len);
		goto out_doc;
	}
	next = yaml_document_get_root_node(&extra);
	if (next != NULL)
		rc = fail_at(l, pos_of(next), "a second YAML document (the file holds one)");
	yaml_document_delete(&extra);
	if (next != NULL)
		goto out_doc;

	l->doc = &doc;
	rc = walk_map(l, "", root, &top_schema, l, l->pos);
	if (rc == 0)
		rc = check_cluster(l);
	if (rc == 0)
		rc = check_nodes(l);
	l->doc = NULL;
out_doc:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int
ccm_config_load(const char *path, const char *node, struct ccm_app_config *cfg, char *err,
		size_t errlen)
{
	struct loader *l;
	char *buf = NULL;
	size_t len = 0;
	int rc, me;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || cfg == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "no configuration file given");
		return -EINVAL;
	}
	l = calloc(1, sizeof(*l));
	if (l == NULL) {
		if (err != NULL && errlen > 0)
			snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	l->file = path;
	l->err = err;
	l->errlen = errlen;
	if (strlen(path) >= CFG_PATH_LEN) {
		fail(l, "path longer than %d characters", CFG_PATH_LEN - 1);
		rc = -ENAMETOOLONG;
		goto out;
	}
	defaults(l);
	rc = read_file(l, &buf, &len);
	if (rc < 0)
		goto out;
	rc = load_document(l, buf, len);
	if (rc < 0)
		goto out;
	me = choose_node(l, node);
	if (me < 0) {
		rc = me;
		goto out;
	}
	assemble(l, me, cfg);
out:
	free(buf);
	free(l);
	return rc;
}

/* ---- Printing ------------------------------------------------------------ */

struct printer {
	void (*out)(void *arg, const char *line);
	void *arg;
};

static void __rte_format_printf(2, 3)
line(const struct printer *p, const char *fmt, ...)
{
	char buf[3 * CFG_PATH_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p->out(p->arg, buf);
}

/* @p s as a YAML scalar: plain when that reads back the same, else quoted. */
static const char *
yaml_str(const char *s, char *out, size_t len)
{
	size_t i, o = 0;
	bool plain = s[0] != '\0' && s[0] != '-' && s[0] != '~';

	for (i = 0; s[i] != '\0' && plain; i++)
		plain = isalnum((unsigned char)s[i]) || strchr("_-./+@", s[i]) != NULL;
	if (plain) {
		snprintf(out, len, "%s", s);
		return out;
	}
	out[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 3 < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			out[o++] = '\\';
		out[o++] = s[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

void
ccm_config_print(const struct ccm_app_config *cfg, void (*out)(void *arg, const char *line),
		 void *arg)
{
	const struct printer p = { .out = out, .arg = arg };
	char a[2 * CFG_PATH_LEN + 4], b[2 * CFG_PATH_LEN + 4], x[32];
	unsigned int i;

	if (cfg == NULL || out == NULL)
		return;
	line(&p, "# %s, node %s", yaml_str(cfg->path, a, sizeof(a)), cfg->node_name);
	line(&p, "cluster:");
	line(&p, "  id: 0x%" PRIx32, cfg->cluster_id);
	line(&p, "  boot: { qpn: %" PRIu32 ", rkey: 0x%" PRIx32 ", address: 0x%" PRIx64 " }",
	     cfg->boot_qpn, cfg->boot_rkey, cfg->boot_addr);
	line(&p, "  transport: { mtu: %u, ack_timeout: %u, retry_count: %u }", cfg->mtu,
	     cfg->ack_timeout, cfg->retry_cnt);
	line(&p, "  timings:");
	line(&p, "    keepalive_us: %" PRIu64, cfg->keepalive_us);
	line(&p, "    link_timeout_us: %" PRIu64, cfg->link_timeout_us);
	line(&p, "    heartbeat_us: %" PRIu64, cfg->heartbeat_us);
	line(&p, "    partner_timeout_us: %" PRIu64, cfg->partner_timeout_us);
	line(&p, "    partner_fast_timeout_us: %" PRIu64, cfg->partner_fast_timeout_us);
	line(&p, "    giveback_delay_ms: %" PRIu64, cfg->giveback_delay_ms);
	line(&p, "  balance: %s", (unsigned int)cfg->balance < RTE_DIM(balance_names) ?
	     balance_names[cfg->balance] : "?");
	line(&p, "  failback: %s", cfg->failback ? "true" : "false");
	line(&p, "node:");
	line(&p, "  name: %s", cfg->node_name);
	line(&p, "  id: %u", cfg->node_id);
	line(&p, "  links:");
	for (i = 0; i < cfg->nb_links && i < CFG_MAX_LINKS; i++) {
		const struct cfg_link *k = &cfg->link[i];

		line(&p, "    - port: %s", yaml_str(k->port, a, sizeof(a)));
		format_ip(k->local_ip, x, sizeof(x));
		line(&p, "      ip: %s", x);
		if (k->has_local_mac) {
			format_mac(k->local_mac, x, sizeof(x));
			line(&p, "      mac: %s", x);
		} else {
			line(&p, "      mac: ~            # the port's own");
		}
		line(&p, "      fault_rx: \"%s\"", k->fault_rx);
		line(&p, "      fault_tx: \"%s\"", k->fault_tx);
		format_ip(k->peer_ip, x, sizeof(x));
		line(&p, "      peer_ip: %s", x);
		if (k->has_peer_mac) {
			format_mac(k->peer_mac, x, sizeof(x));
			line(&p, "      peer_mac: %s", x);
		} else {
			line(&p, "      peer_mac: ~       # ARP");
		}
	}
	line(&p, "  lcores: { ccm: %u, failover: %u, nvram: %u }", cfg->lcore_ccm,
	     cfg->lcore_failover, cfg->lcore_nvram);
	if (cfg->nvram_enabled) {
		format_size(cfg->nvram_size, x, sizeof(x));
		line(&p, "  nvram: { file: %s, shadow: %s, size: %s, mirror: %s }",
		     yaml_str(cfg->nvram_file, a, sizeof(a)),
		     yaml_str(cfg->shadow_file, b, sizeof(b)), x, (unsigned int)cfg->mirror < RTE_DIM(mirror_names) ?
		     mirror_names[cfg->mirror] : "?");
	} else {
		line(&p, "  nvram: ~              # none");
	}
	if (cfg->failover_enabled)
		line(&p, "  failover: { mailbox: %s }", yaml_str(cfg->mailbox, a, sizeof(a)));
	else
		line(&p, "  failover: ~           # none");
	line(&p, "partner:");
	line(&p, "  name: %s", cfg->peer_name);
	line(&p, "  id: %u", cfg->peer_node_id);
}
