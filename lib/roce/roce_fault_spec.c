/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Fault spec strings (roce_fault_spec.h): a table of keys, each a rate
 * (0..1), microseconds or an integer; parsing is strict (each key once, no
 * sign, no space, no overflow) and formatting gives the shortest text that
 * parses back to the same values.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>

#include "roce_fault_spec.h"

enum key_kind {
	KEY_RATE,	/* double 0..1 */
	KEY_USEC,	/* integer microseconds, stored in nanoseconds */
	KEY_INT,	/* integer */
};

static const struct fault_key {
	const char *name;
	enum key_kind kind;
	size_t off;	/* of the field in struct roce_fault_conf */
} fault_keys[] = {
	{ "drop", KEY_RATE, offsetof(struct roce_fault_conf, drop) },
	{ "dup", KEY_RATE, offsetof(struct roce_fault_conf, dup) },
	{ "reorder", KEY_RATE, offsetof(struct roce_fault_conf, reorder) },
	{ "corrupt", KEY_RATE, offsetof(struct roce_fault_conf, corrupt) },
	{ "delay", KEY_RATE, offsetof(struct roce_fault_conf, delay) },
	{ "delay_us", KEY_USEC, offsetof(struct roce_fault_conf, delay_ns) },
	{ "seed", KEY_INT, offsetof(struct roce_fault_conf, seed) },
};

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* A decimal rate in 0..1: digits, '.', an exponent; no sign, no space. */
static int
parse_rate(const char *s, size_t len, double *v)
{
	char *end;
	size_t i;

	if (len == 0 || !(is_digit(s[0]) || s[0] == '.'))
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!is_digit(s[i]) && s[i] != '.' && s[i] != 'e' && s[i] != 'E' &&
		    s[i] != '+' && s[i] != '-')
			return -EINVAL;
	/* Stops at the ',' or NUL after the value at the latest. */
	*v = strtod(s, &end);
	if (end != s + len || !(*v >= 0.0 && *v <= 1.0))
		return -EINVAL;
	return 0;
}

/* Decimal digits only, no overflow. */
static int
parse_u64(const char *s, size_t len, uint64_t *v)
{
	size_t i;

	if (len == 0)
		return -EINVAL;
	*v = 0;
	for (i = 0; i < len; i++) {
		unsigned int d = (unsigned int)(s[i] - '0');

		if (!is_digit(s[i]) || *v > (UINT64_MAX - d) / 10)
			return -EINVAL;
		*v = *v * 10 + d;
	}
	return 0;
}

static int
parse_item(const char *item, size_t len, struct roce_fault_conf *conf, unsigned int *seen)
{
	const char *eq = memchr(item, '=', len);
	const char *val;
	size_t klen, vlen, k;
	uint64_t u;
	void *field;

	if (eq == NULL)
		return -EINVAL;
	klen = (size_t)(eq - item);
	val = eq + 1;
	vlen = len - klen - 1;
	for (k = 0; k < RTE_DIM(fault_keys); k++)
		if (strlen(fault_keys[k].name) == klen &&
		    memcmp(fault_keys[k].name, item, klen) == 0)
			break;
	if (k == RTE_DIM(fault_keys) || (*seen & (1u << k)))
		return -EINVAL;
	*seen |= 1u << k;

	field = (char *)conf + fault_keys[k].off;
	switch (fault_keys[k].kind) {
	case KEY_RATE:
		return parse_rate(val, vlen, field);
	case KEY_USEC:
		if (parse_u64(val, vlen, &u) < 0 || u > UINT64_MAX / 1000)
			return -EINVAL;
		*(uint64_t *)field = u * 1000;
		return 0;
	case KEY_INT:
		return parse_u64(val, vlen, field);
	}
	return -EINVAL;
}

int
roce_fault_parse(const char *spec, struct roce_fault_conf *conf)
{
	struct roce_fault_conf c = { 0 };
	unsigned int seen = 0;
	const char *p = spec;

	if (spec == NULL || conf == NULL)
		return -EINVAL;
	if (spec[0] != '\0' && strcmp(spec, "off") != 0) {
		for (;;) {
			const char *comma = strchr(p, ',');
			size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);

			if (parse_item(p, len, &c, &seen) < 0)
				return -EINVAL;
			if (comma == NULL)
				break;
			p = comma + 1;
		}
	}
	*conf = c;
	return 0;
}

/* snprintf at buf + *off that keeps counting once the buffer is full. */
static void __rte_format_printf(4, 5)
append(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	if (*off < len)
		r = vsnprintf(buf + *off, len - *off, fmt, ap);
	else
		r = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (r > 0)
		*off += (size_t)r;
}

/* The shortest "%g" text that strtod reads back as exactly @p v. */
static void
format_rate(double v, char *s, size_t len)
{
	int prec;

	for (prec = 1; prec < 17; prec++) {
		snprintf(s, len, "%.*g", prec, v);
		if (strtod(s, NULL) == v)
			return;
	}
	snprintf(s, len, "%.17g", v);
}

int
roce_fault_format(const struct roce_fault_conf *conf, char *buf, size_t len)
{
	size_t off = 0, k;

	if (buf != NULL && len > 0)
		buf[0] = '\0';
	for (k = 0; k < RTE_DIM(fault_keys); k++) {
		const void *field = (const char *)conf + fault_keys[k].off;
		const char *sep = off > 0 ? "," : "";
		char num[32];
		uint64_t u;

		switch (fault_keys[k].kind) {
		case KEY_RATE:
			if (*(const double *)field == 0)
				continue;
			format_rate(*(const double *)field, num, sizeof(num));
			append(buf, len, &off, "%s%s=%s", sep, fault_keys[k].name, num);
			break;
		case KEY_USEC:
		case KEY_INT:
			u = *(const uint64_t *)field;
			if (fault_keys[k].kind == KEY_USEC)
				u /= 1000;
			if (u == 0)
				continue;
			append(buf, len, &off, "%s%s=%" PRIu64, sep, fault_keys[k].name, u);
			break;
		}
	}
	if (off == 0)
		append(buf, len, &off, "off");
	return off > INT_MAX ? INT_MAX : (int)off;
}
