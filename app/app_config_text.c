/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Messages and value text shared by the walker, the rules and the printer
 * (app_config_walk.h): "FILE:LINE:COLUMN: what is wrong", values quoted as
 * written, sizes, MAC and IPv4 addresses.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "app_config_walk.h"

/* "FILE:LINE:COLUMN: " (or "FILE: " without @p at) and the message into m->err. */
static int __rte_format_printf(3, 0)
vfail(struct cfg_msg *m, const struct cfg_pos *at, const char *fmt, va_list ap)
{
	int n;

	if (m->err == NULL || m->errlen == 0)
		return -EINVAL;
	if (at != NULL)
		n = snprintf(m->err, m->errlen, "%s:%u:%u: ", m->file, at->line, at->col);
	else
		n = snprintf(m->err, m->errlen, "%s: ", m->file);
	if (n >= 0 && (size_t)n < m->errlen)
		vsnprintf(m->err + n, m->errlen - n, fmt, ap);
	return -EINVAL;
}

int
cfg_fail(struct cfg_msg *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(m, NULL, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

int
cfg_fail_at(struct cfg_msg *m, struct cfg_pos at, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(m, &at, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

const char *
cfg_show_text(struct cfg_msg *m, const char *s, size_t len)
{
	char *out = m->show[m->next_show++ % RTE_DIM(m->show)];
	size_t i, o = 0;

	out[o++] = '"';
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (o + 8 >= CFG_SHOW_LEN) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (c == '"' || c == '\\')
			o += snprintf(out + o, CFG_SHOW_LEN - o, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			o += snprintf(out + o, CFG_SHOW_LEN - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

void
cfg_format_size(uint64_t v, char *out, size_t len)
{
	if (v != 0 && v % CFG_GIB == 0)
		snprintf(out, len, "%" PRIu64 "GiB", v / CFG_GIB);
	else if (v != 0 && v % CFG_MIB == 0)
		snprintf(out, len, "%" PRIu64 "MiB", v / CFG_MIB);
	else if (v != 0 && v % CFG_KIB == 0)
		snprintf(out, len, "%" PRIu64 "KiB", v / CFG_KIB);
	else
		snprintf(out, len, "%" PRIu64, v);
}

void
cfg_format_mac(const uint8_t mac[6], char *out, size_t len)
{
	snprintf(out, len, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4],
		 mac[5]);
}

void
cfg_format_ip(uint32_t ip, char *out, size_t len)
{
	snprintf(out, len, "%u.%u.%u.%u", ip >> 24, (ip >> 16) & 0xff, (ip >> 8) & 0xff, ip & 0xff);
}
