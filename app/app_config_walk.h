/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A strict YAML schema walker, knowing nothing of this application: read a
 * file, let libyaml build its document tree, and check each mapping against
 * a table of keys (unknown keys, duplicates, types, ranges, required keys, in
 * document order), storing each value at its offset in a caller's struct
 * and the value's FILE:LINE:COLUMN beside it. The first error stops the walk.
 *
 * libyaml types never leave app_config_walk.c; the schema (app_config_schema.c),
 * the rules across keys (app_config_check.c) and the printer see only the
 * tables, the positions and the messages below (app_config_text.c).
 */
#ifndef APP_CONFIG_WALK_H
#define APP_CONFIG_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_common.h>

#define CFG_SHOW_LEN		72	/* a value quoted in a message */
#define CFG_PATH_TEXT_LEN	64	/* "nodes[1].links[3].fault_rx" */

#define CFG_KIB			(UINT64_C(1) << 10)
#define CFG_MIB			(UINT64_C(1) << 20)
#define CFG_GIB			(UINT64_C(1) << 30)

/* Where a value was written: 1-based; line 0 = absent. */
struct cfg_pos {
	unsigned int line;
	unsigned int col;
};

static inline bool
cfg_given(struct cfg_pos p)
{
	return p.line != 0;
}

/* ---- Messages ------------------------------------------------------------ */

/* The caller's error buffer and the file every message starts with. */
struct cfg_msg {
	const char *file;		/* as given */
	char *err;			/* NULL or errlen 0: no message */
	size_t errlen;
	char show[2][CFG_SHOW_LEN];	/* values quoted for a message */
	unsigned int next_show;
	char found[CFG_SHOW_LEN + 32];	/* "the quoted string ..." */
};

/** "FILE: " and the message into @p m->err. @return -EINVAL */
int cfg_fail(struct cfg_msg *m, const char *fmt, ...) __rte_format_printf(2, 3);

/** "FILE:LINE:COLUMN: " and the message into @p m->err. @return -EINVAL */
int cfg_fail_at(struct cfg_msg *m, struct cfg_pos at, const char *fmt, ...)
	__rte_format_printf(3, 4);

/** @p len bytes of @p s in double quotes, escaped, cut short if long (two
 * rotating buffers in @p m). */
const char *cfg_show_text(struct cfg_msg *m, const char *s, size_t len);

/** "16MiB", "64KiB", "1GiB", or bytes. */
void cfg_format_size(uint64_t v, char *out, size_t len);
void cfg_format_mac(const uint8_t mac[6], char *out, size_t len);
/** @p ip in host order. */
void cfg_format_ip(uint32_t ip, char *out, size_t len);

/* ---- Schema -------------------------------------------------------------- */

struct cfg_schema;

/* What a key's value is, and where the walk stores it. */
enum cfg_kind {
	CFG_SECTION,	/* a mapping of ->sub's keys, into the same object and pos[] */
	CFG_OBJECT,	/* a mapping of ->sub's keys, into the object at ->off,
			 * whose pos[] is at ->pos_off inside it */
	CFG_LIST,	/* ->min..->max mappings of ->sub's keys: objects of ->stride
			 * bytes from ->off, each with its pos[] at ->pos_off and
			 * its own position at ->at_off; the count (unsigned int)
			 * at ->count_off */
	CFG_UINT,	/* decimal or 0x hex, min..max or one of ->choices: uint64_t */
	CFG_SIZE,	/* a CFG_UINT with an optional KiB/MiB/GiB suffix, a
			 * multiple of ->align: uint64_t */
	CFG_BOOL,	/* true or false: bool */
	CFG_ENUM,	/* one of ->names: unsigned int, the index */
	CFG_NAME,	/* [a-z0-9_-]{1,size-1}: char[size] */
	CFG_STRING,	/* min..size-1 bytes, no control characters, ->valid() if
			 * set: char[size] */
	CFG_IPV4,	/* dotted quad, unicast: uint32_t, host order */
	CFG_MAC,	/* xx:xx:xx:xx:xx:xx, unicast: uint8_t[6] */
};

struct cfg_field {
	const char *key;
	enum cfg_kind kind;
	unsigned int idx;		/* in the object's pos[] */
	bool required;
	bool hex;			/* show the range in hex */
	size_t off;			/* of the value in the object */
	size_t size;			/* of a string buffer */
	uint64_t min, max;		/* numbers, list lengths; a string's least length */
	const uint64_t *choices;	/* CFG_UINT: the only values allowed */
	unsigned int nb_choices;
	uint64_t align;			/* CFG_SIZE */
	const char *const *names;	/* CFG_ENUM, in enum order */
	unsigned int nb_names;
	const struct cfg_schema *sub;	/* CFG_SECTION, CFG_OBJECT, CFG_LIST */
	size_t pos_off;			/* CFG_OBJECT, CFG_LIST */
	size_t stride, at_off, count_off; /* CFG_LIST */
	const char *what;		/* CFG_LIST: "a list"; CFG_STRING: "a string" */
	const char *items;		/* CFG_LIST: "links" */
	bool (*valid)(const char *s);	/* CFG_STRING */
	const char *invalid;		/* CFG_STRING: "%s is not " this */
};

struct cfg_schema {
	const struct cfg_field *field;
	unsigned int nb_fields;
};

#define CFG_SCHEMA(f) { .field = (f), .nb_fields = RTE_DIM(f) }

/* ---- Walking ------------------------------------------------------------- */

/**
 * Read @p m->file (at most 1 MiB), parse its one YAML document and walk it
 * against @p top: values into @p obj, their positions into @p pos. Keys not
 * given keep what @p obj held (the defaults).
 * @return 0; -EINVAL with the message in @p m (syntax, unknown key, wrong
 *   type, out of range, missing key); or the file's trouble, named in @p m:
 *   -ENOENT, -EACCES, -EISDIR, -EFBIG (over 1 MiB), -ENOMEM.
 */
int cfg_walk_file(struct cfg_msg *m, const struct cfg_schema *top, void *obj,
		  struct cfg_pos *pos);

#endif /* APP_CONFIG_WALK_H */
