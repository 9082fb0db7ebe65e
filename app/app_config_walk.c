/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The YAML schema walker (app_config_walk.h): the only file that sees
 * libyaml. Read the file, let libyaml build the document tree (one
 * document), then walk it against the tables. Every message names
 * FILE:LINE:COLUMN of the offending YAML node (libyaml's marks, made
 * 1-based): the key for an unknown or duplicate key, the value for a bad
 * value, the mapping for a missing key.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <yaml.h>

#include "app_config_walk.h"

#define CONF_FILE_MAX	(1u << 20)	/* a configuration is a page or two */

struct walk {
	struct cfg_msg *m;
	yaml_document_t *doc;
};

static struct cfg_pos
pos_of(const yaml_node_t *v)
{
	return (struct cfg_pos){ .line = v->start_mark.line + 1,
				 .col = v->start_mark.column + 1 };
}

static const char *
show(struct walk *w, const yaml_node_t *v)
{
	return cfg_show_text(w->m, (const char *)v->data.scalar.value, v->data.scalar.length);
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
found(struct walk *w, const yaml_node_t *v)
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
			return show(w, v);
		snprintf(w->m->found, sizeof(w->m->found), "the quoted string %s", show(w, v));
		return w->m->found;
	default:
		return "nothing";
	}
}

/* "a.b" from "a" and "b"; "b" from "" and "b". */
static void
path_join(char *out, const char *path, const char *key)
{
	snprintf(out, CFG_PATH_TEXT_LEN, "%s%s%s", path, path[0] != '\0' ? "." : "", key);
}

static int
expected(struct walk *w, const char *path, const yaml_node_t *v, const char *what)
{
	return cfg_fail_at(w->m, pos_of(v), "%s: expected %s, found %s", path, what,
			   found(w, v));
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
format_bound(const struct cfg_field *f, uint64_t v, char *out, size_t len)
{
	if (f->kind == CFG_SIZE)
		cfg_format_size(v, out, len);
	else if (f->hex && v > 9)
		snprintf(out, len, "0x%" PRIx64, v);
	else
		snprintf(out, len, "%" PRIu64, v);
}

static int
out_of_range(struct walk *w, const char *path, const yaml_node_t *v, const struct cfg_field *f)
{
	char lo[32], hi[32];

	format_bound(f, f->min, lo, sizeof(lo));
	format_bound(f, f->max, hi, sizeof(hi));
	return cfg_fail_at(w->m, pos_of(v), "%s: %s is out of range (%s..%s)", path,
			   (const char *)v->data.scalar.value, lo, hi);
}

static int
not_a_choice(struct walk *w, const char *path, const yaml_node_t *v, const struct cfg_field *f)
{
	char list[128];
	unsigned int i;
	int n = 0;

	list[0] = '\0';
	for (i = 0; i < f->nb_choices && n >= 0 && (size_t)n < sizeof(list); i++)
		n += snprintf(list + n, sizeof(list) - n, "%s%" PRIu64, i == 0 ? "" : ", ",
			      f->choices[i]);
	return cfg_fail_at(w->m, pos_of(v), "%s: %s is not one of %s", path,
			   (const char *)v->data.scalar.value, list);
}

/* A number: a plain scalar, CFG_SIZE with its suffix. */
static int
value_number(struct walk *w, const char *path, const yaml_node_t *v, const struct cfg_field *f,
	     uint64_t *out)
{
	const char *s = (const char *)v->data.scalar.value;
	size_t len = v->data.scalar.length, used;
	const char *what = f->kind == CFG_SIZE ?
			   "a size (bytes, or a number with KiB, MiB or GiB)" : "a number";
	uint64_t x, unit = 1;
	bool overflow;
	unsigned int i;
	char align[32];

	if (v->type != YAML_SCALAR_NODE || is_null(v) || is_quoted(v))
		return expected(w, path, v, what);
	used = scan_uint(s, len, &x, &overflow);
	if (used == 0) {
		if (len > 1 && s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return cfg_fail_at(w->m, pos_of(v),
					   "%s: %s has a leading zero (YAML 1.1 reads it as octal)",
					   path, show(w, v));
		return expected(w, path, v, what);
	}
	if (used < len && f->kind == CFG_SIZE) {
		static const struct {
			const char *suffix;
			uint64_t unit;
		} units[] = { { "KiB", CFG_KIB }, { "MiB", CFG_MIB }, { "GiB", CFG_GIB } };

		for (i = 0; i < RTE_DIM(units); i++)
			if (strcmp(s + used, units[i].suffix) == 0)
				unit = units[i].unit;
		if (unit == 1)
			return cfg_fail_at(w->m, pos_of(v),
					   "%s: %s has an unknown size suffix %s (expected KiB, MiB or GiB)",
					   path, show(w, v),
					   cfg_show_text(w->m, s + used, len - used));
		if (x > UINT64_MAX / unit)
			overflow = true;
		x *= unit;
	} else if (used < len) {
		return expected(w, path, v, what);
	}
	if (f->nb_choices > 0) {
		for (i = 0; i < f->nb_choices && !overflow; i++)
			if (x == f->choices[i])
				break;
		if (overflow || i == f->nb_choices)
			return not_a_choice(w, path, v, f);
	} else if (overflow || x < f->min || x > f->max) {
		return out_of_range(w, path, v, f);
	} else if (f->align > 1 && x % f->align != 0) {
		cfg_format_size(f->align, align, sizeof(align));
		return cfg_fail_at(w->m, pos_of(v), "%s: %s is not a multiple of %s", path, s,
				   align);
	}
	*out = x;
	return 0;
}

/* The text of a string value: any scalar but null, no NUL or other control characters. */
static const char *
text_of(struct walk *w, const char *path, const yaml_node_t *v, const char *what)
{
	const char *s = (const char *)v->data.scalar.value;
	size_t i;

	if (v->type != YAML_SCALAR_NODE || is_null(v)) {
		expected(w, path, v, what);
		return NULL;
	}
	for (i = 0; i < v->data.scalar.length; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			cfg_fail_at(w->m, pos_of(v), "%s: %s contains a control character", path,
				    show(w, v));
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

static int
value_enum(struct walk *w, const char *path, const yaml_node_t *v, const struct cfg_field *f,
	   unsigned int *out)
{
	const char *s = text_of(w, path, v, "a string");
	unsigned int i;
	char buf[64];
	int n = 0;

	if (s == NULL)
		return -EINVAL;
	for (i = 0; i < f->nb_names; i++)
		if (strcmp(s, f->names[i]) == 0) {
			*out = i;
			return 0;
		}
	for (i = 0; i < f->nb_names && n >= 0 && (size_t)n < sizeof(buf); i++)
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", i == 0 ? "" : ", ", f->names[i]);
	return cfg_fail_at(w->m, pos_of(v), "%s: %s is not one of %s", path, show(w, v), buf);
}

static int
value_string(struct walk *w, const char *path, const yaml_node_t *v, const struct cfg_field *f,
	     char *dst)
{
	const char *s = text_of(w, path, v, f->what != NULL ? f->what : "a string");

	if (s == NULL)
		return -EINVAL;
	if (strlen(s) < f->min)
		return cfg_fail_at(w->m, pos_of(v), "%s: must not be empty", path);
	if (strlen(s) >= f->size)
		return cfg_fail_at(w->m, pos_of(v), "%s: %s is longer than %zu characters", path,
				   show(w, v), f->size - 1);
	if (f->valid != NULL && !f->valid(s))
		return cfg_fail_at(w->m, pos_of(v), "%s: %s is not %s", path, show(w, v),
				   f->invalid);
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int
value_ipv4(struct walk *w, const char *path, const yaml_node_t *v, uint32_t *out)
{
	const char *s = text_of(w, path, v, "an IPv4 address");
	struct in_addr a;
	uint32_t ip;

	if (s == NULL)
		return -EINVAL;
	if (inet_pton(AF_INET, s, &a) != 1)
		return cfg_fail_at(w->m, pos_of(v), "%s: %s is not an IPv4 address", path,
				   show(w, v));
	ip = ntohl(a.s_addr);
	/* 0/8 "this network", 127/8 loopback; 224/4 multicast, 240/4 reserved */
	if ((ip >> 24) == 0 || (ip >> 24) == 127 || (ip >> 24) >= 224)
		return cfg_fail_at(w->m, pos_of(v),
				   "%s: %s is not a unicast address a port can use", path,
				   show(w, v));
	*out = ip;
	return 0;
}

static int
value_mac(struct walk *w, const char *path, const yaml_node_t *v, uint8_t *out)
{
	const char *s = text_of(w, path, v, "a MAC address");
	uint8_t mac[6];

	if (s == NULL)
		return -EINVAL;
	if (parse_mac(s, strlen(s), mac) < 0)
		return cfg_fail_at(w->m, pos_of(v),
				   "%s: %s is not a MAC address (xx:xx:xx:xx:xx:xx)", path,
				   show(w, v));
	if ((mac[0] & 1) != 0 || memcmp(mac, "\0\0\0\0\0\0", 6) == 0)
		return cfg_fail_at(w->m, pos_of(v), "%s: %s is not a unicast MAC address", path,
				   show(w, v));
	memcpy(out, mac, sizeof(mac));
	return 0;
}

/* ---- Mappings and lists -------------------------------------------------- */

static int walk_map(struct walk *w, const char *path, yaml_node_t *map,
		    const struct cfg_schema *s, void *obj, struct cfg_pos *pos);

static int
walk_list(struct walk *w, const char *path, yaml_node_t *v, const struct cfg_field *f, void *obj)
{
	char *items = (char *)obj + f->off, sub[CFG_PATH_TEXT_LEN], range[32];
	yaml_node_item_t *it;
	unsigned int i, count;

	if (v->type != YAML_SEQUENCE_NODE)
		return expected(w, path, v, f->what);
	it = v->data.sequence.items.start;
	count = v->data.sequence.items.top - it;
	if (f->min == f->max)
		snprintf(range, sizeof(range), "exactly %" PRIu64, f->min);
	else
		snprintf(range, sizeof(range), "%" PRIu64 " to %" PRIu64, f->min, f->max);
	if (count > f->max)
		return cfg_fail_at(w->m, pos_of(yaml_document_get_node(w->doc, it[f->max])),
				   "%s: expected %s %s, found %u", path, range, f->items, count);
	if (count < f->min && count == 0 && f->min != f->max)
		return cfg_fail_at(w->m, pos_of(v), "%s: expected %s %s, found none", path, range,
				   f->items);
	if (count < f->min)
		return cfg_fail_at(w->m, pos_of(v), "%s: expected %s %s, found %u", path, range,
				   f->items, count);
	for (i = 0; i < count; i++) {
		yaml_node_t *n = yaml_document_get_node(w->doc, it[i]);
		char *item = items + i * f->stride;

		snprintf(sub, sizeof(sub), "%s[%u]", path, i);
		*(struct cfg_pos *)(void *)(item + f->at_off) = pos_of(n);
		if (walk_map(w, sub, n, f->sub, item, (struct cfg_pos *)(void *)(item + f->pos_off)) < 0)
			return -EINVAL;
	}
	*(unsigned int *)(void *)((char *)obj + f->count_off) = count;
	return 0;
}

static int
parse_value(struct walk *w, const char *path, const struct cfg_field *f, yaml_node_t *v,
	    void *obj, struct cfg_pos *pos)
{
	char *dst = (char *)obj + f->off;
	const char *s = (const char *)v->data.scalar.value;

	switch (f->kind) {
	case CFG_SECTION:
		return walk_map(w, path, v, f->sub, obj, pos);
	case CFG_OBJECT:
		return walk_map(w, path, v, f->sub, dst,
				(struct cfg_pos *)(void *)(dst + f->pos_off));
	case CFG_LIST:
		return walk_list(w, path, v, f, obj);
	case CFG_UINT:
	case CFG_SIZE:
		return value_number(w, path, v, f, (uint64_t *)(void *)dst);
	case CFG_BOOL:
		if (v->type != YAML_SCALAR_NODE || is_quoted(v) ||
		    (strcmp(s, "true") != 0 && strcmp(s, "false") != 0))
			return expected(w, path, v, "true or false");
		*(bool *)dst = strcmp(s, "true") == 0;
		return 0;
	case CFG_ENUM:
		return value_enum(w, path, v, f, (unsigned int *)(void *)dst);
	case CFG_NAME:
		s = text_of(w, path, v, "a node name");
		if (s == NULL)
			return -EINVAL;
		if (!is_name(s, f->size - 1))
			return cfg_fail_at(w->m, pos_of(v),
					   "%s: %s is not a node name (1 to %zu characters of a-z, 0-9, _ and -)",
					   path, show(w, v), f->size - 1);
		memcpy(dst, s, strlen(s) + 1);
		return 0;
	case CFG_STRING:
		return value_string(w, path, v, f, dst);
	case CFG_IPV4:
		return value_ipv4(w, path, v, (uint32_t *)(void *)dst);
	case CFG_MAC:
		return value_mac(w, path, v, (uint8_t *)dst);
	}
	return -EINVAL;
}

static bool
key_is(const yaml_node_t *k, const char *name)
{
	return k->data.scalar.length == strlen(name) &&
	       memcmp(k->data.scalar.value, name, k->data.scalar.length) == 0;
}

static int
unknown_key(struct walk *w, const char *path, const yaml_node_t *k, const struct cfg_schema *s)
{
	char keys[160];
	unsigned int i;
	int n = 0;

	for (i = 0; i < s->nb_fields && n >= 0 && (size_t)n < sizeof(keys); i++)
		n += snprintf(keys + n, sizeof(keys) - n, "%s%s", i == 0 ? "" : ", ",
			      s->field[i].key);
	if (path[0] == '\0')
		return cfg_fail_at(w->m, pos_of(k),
				   "unknown key %s at the top level (expected one of: %s)",
				   show(w, k), keys);
	return cfg_fail_at(w->m, pos_of(k), "%s: unknown key %s (expected one of: %s)", path,
			   show(w, k), keys);
}

static int
duplicate_key(struct walk *w, const char *path, yaml_node_t *map, const yaml_node_pair_t *dup,
	      const struct cfg_field *f)
{
	const yaml_node_pair_t *p;
	struct cfg_pos first = { 0, 0 };

	for (p = map->data.mapping.pairs.start; p < dup; p++) {
		const yaml_node_t *k = yaml_document_get_node(w->doc, p->key);

		if (k->type == YAML_SCALAR_NODE && key_is(k, f->key)) {
			first = pos_of(k);
			break;
		}
	}
	return cfg_fail_at(w->m, pos_of(yaml_document_get_node(w->doc, dup->key)),
			   "%s%sduplicate key \"%s\" (first at line %u, column %u)", path,
			   path[0] != '\0' ? ": " : "", f->key, first.line, first.col);
}

/*
 * Check @p map against @p s in document order: each key known and given
 * once, each value of its kind; then every required key present. Values
 * go into @p obj, their positions into @p pos.
 */
static int
walk_map(struct walk *w, const char *path, yaml_node_t *map, const struct cfg_schema *s,
	 void *obj, struct cfg_pos *pos)
{
	yaml_node_pair_t *p;
	char sub[CFG_PATH_TEXT_LEN];
	unsigned int i;

	if (map->type != YAML_MAPPING_NODE) {
		if (path[0] == '\0')
			return cfg_fail_at(w->m, pos_of(map),
					   "expected a mapping at the top level, found %s",
					   found(w, map));
		return expected(w, path, map, "a mapping");
	}
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(w->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(w->doc, p->value);
		const struct cfg_field *f = NULL;

		if (k->type != YAML_SCALAR_NODE)
			return cfg_fail_at(w->m, pos_of(k), "%s%sexpected a key, found %s", path,
					   path[0] != '\0' ? ": " : "", found(w, k));
		for (i = 0; i < s->nb_fields && f == NULL; i++)
			if (key_is(k, s->field[i].key))
				f = &s->field[i];
		if (f == NULL)
			return unknown_key(w, path, k, s);
		if (cfg_given(pos[f->idx]))
			return duplicate_key(w, path, map, p, f);
		pos[f->idx] = pos_of(v);
		path_join(sub, path, f->key);
		if (parse_value(w, sub, f, v, obj, pos) < 0)
			return -EINVAL;
	}
	for (i = 0; i < s->nb_fields; i++)
		if (s->field[i].required && !cfg_given(pos[s->field[i].idx]))
			return cfg_fail_at(w->m, pos_of(map), "missing required key \"%s\" %s%s",
					   s->field[i].key,
					   path[0] != '\0' ? "in " : "at the top level", path);
	return 0;
}

/* ---- The file and the document ------------------------------------------- */

/* Read all of the file (at most CONF_FILE_MAX bytes). @return 0 or a negative errno. */
static int
read_file(struct cfg_msg *m, char **buf, size_t *len)
{
	FILE *f = fopen(m->file, "r");
	size_t n = 0, cap = 4096, r;
	char *b = NULL, *nb;
	int rc = 0;

	if (f == NULL) {
		rc = -errno;
		cfg_fail(m, "cannot open: %s", strerror(-rc));
		return rc;
	}
	for (;;) {
		if (n == cap || b == NULL) {
			cap = b == NULL ? cap : cap * 2;
			nb = realloc(b, cap);
			if (nb == NULL) {
				rc = -ENOMEM;
				cfg_fail(m, "out of memory");
				break;
			}
			b = nb;
		}
		r = fread(b + n, 1, cap - n, f);
		n += r;
		if (n > CONF_FILE_MAX) {
			rc = -EFBIG;
			cfg_fail(m, "larger than %u bytes: not a configuration file", CONF_FILE_MAX);
			break;
		}
		if (r == 0) {
			if (ferror(f)) {
				rc = -(errno != 0 ? errno : EIO);
				cfg_fail(m, "cannot read: %s", strerror(-rc));
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
static struct cfg_pos
pos_of_offset(const char *buf, size_t len, size_t off)
{
	struct cfg_pos p = { 1, 1 };
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
syntax_error(struct cfg_msg *m, const yaml_parser_t *p, const char *buf, size_t len)
{
	struct cfg_pos at;

	if (p->error == YAML_MEMORY_ERROR) {
		cfg_fail(m, "out of memory");
		return -ENOMEM;
	}
	if (p->error == YAML_READER_ERROR) {
		at = pos_of_offset(buf, len, p->problem_offset);
		return cfg_fail_at(m, at, "YAML syntax error: %s", p->problem);
	}
	at = (struct cfg_pos){ p->problem_mark.line + 1, p->problem_mark.column + 1 };
	if (p->context != NULL)
		return cfg_fail_at(m, at, "YAML syntax error: %s (%s at line %zu, column %zu)",
				   p->problem != NULL ? p->problem : "?", p->context,
				   p->context_mark.line + 1, p->context_mark.column + 1);
	return cfg_fail_at(m, at, "YAML syntax error: %s", p->problem != NULL ? p->problem : "?");
}

/* Parse the document in @p buf and walk it. */
static int
walk_document(struct cfg_msg *m, const char *buf, size_t len, const struct cfg_schema *top,
	      void *obj, struct cfg_pos *pos)
{
	yaml_parser_t parser;
	yaml_document_t doc, extra;
	yaml_node_t *root, *next;
	struct walk w = { .m = m, .doc = &doc };
	int rc;

	if (!yaml_parser_initialize(&parser)) {
		cfg_fail(m, "out of memory");
		return -ENOMEM;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = syntax_error(m, &parser, buf, len);
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		rc = cfg_fail(m, "empty file (no YAML document)");
		goto out_doc;
	}
	/* One document only: a second would be ignored silently. */
	if (!yaml_parser_load(&parser, &extra)) {
		rc = syntax_error(m, &parser, buf, len);
		goto out_doc;
	}
	next = yaml_document_get_root_node(&extra);
	if (next != NULL)
		rc = cfg_fail_at(m, pos_of(next), "a second YAML document (the file holds one)");
	yaml_document_delete(&extra);
	if (next != NULL)
		goto out_doc;
	rc = walk_map(&w, "", root, top, obj, pos);
out_doc:
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	return rc;
}

int
cfg_walk_file(struct cfg_msg *m, const struct cfg_schema *top, void *obj, struct cfg_pos *pos)
{
	char *buf = NULL;
	size_t len = 0;
	int rc;

	rc = read_file(m, &buf, &len);
	if (rc == 0)
		rc = walk_document(m, buf, len, top, obj, pos);
	free(buf);
	return rc;
}
