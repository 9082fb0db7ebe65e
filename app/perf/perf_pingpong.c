/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "perf_pingpong.h"

void
perf_pp_format(const struct perf_dest *d, char out[PERF_PP_MSG_LEN])
{
	int n, i;

	n = snprintf(out, PERF_PP_MSG_LEN, "%04x:%06x:%06x:", d->lid, d->qpn & 0xffffff,
		     d->psn & 0xffffff);
	for (i = 0; i < 16; i++)
		n += snprintf(out + n, PERF_PP_MSG_LEN - n, "%02x", d->gid[i]);
}

static int
hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* @p width hex digits at in + *pos; then @p sep (or nothing for '\0'). */
static int
field(const char *in, size_t *pos, unsigned int width, char sep, uint32_t *v)
{
	unsigned int i;

	*v = 0;
	for (i = 0; i < width; i++) {
		int h = hex(in[*pos + i]);

		if (h < 0)
			return -EINVAL;
		*v = *v << 4 | (uint32_t)h;
	}
	*pos += width;
	if (sep != '\0') {
		if (in[*pos] != sep)
			return -EINVAL;
		(*pos)++;
	}
	return 0;
}

int
perf_pp_parse(const char in[PERF_PP_MSG_LEN], struct perf_dest *d, const char **why)
{
	uint32_t lid, qpn, psn, g;
	const char *dummy;
	size_t pos = 0;
	unsigned int i;

	if (why == NULL)
		why = &dummy;
	if (field(in, &pos, 4, ':', &lid) != 0) {
		*why = "LID";
		return -EINVAL;
	}
	if (field(in, &pos, 6, ':', &qpn) != 0) {
		*why = "QPN";
		return -EINVAL;
	}
	if (field(in, &pos, 6, ':', &psn) != 0) {
		*why = "PSN";
		return -EINVAL;
	}
	for (i = 0; i < 16; i++) {
		if (field(in, &pos, 2, '\0', &g) != 0) {
			*why = "GID";
			return -EINVAL;
		}
		d->gid[i] = (uint8_t)g;
	}
	if (pos != PERF_PP_MSG_LEN - 1 || in[pos] != '\0') {
		*why = "terminating NUL";
		return -EINVAL;
	}
	d->lid = (uint16_t)lid;
	d->qpn = qpn;
	d->psn = psn;
	return 0;
}

static int
receive_dest(struct perf_oob *o, struct perf_dest *theirs)
{
	char in[PERF_PP_MSG_LEN];
	const char *why;
	int rc;

	rc = perf_oob_recv(o, "pingpong address", in, sizeof(in));
	if (rc != 0)
		return rc;
	if (perf_pp_parse(in, theirs, &why) != 0) {
		snprintf(o->error, sizeof(o->error),
			 "pingpong address: the peer's message is malformed (%s): \"%.*s\"", why, 51,
			 in);
		return -EPROTO;
	}
	return 0;
}

int
perf_pp_exchange(struct perf_oob *o, const struct perf_dest *mine, struct perf_dest *theirs,
		 int (*connect)(void *arg, const struct perf_dest *theirs), void *arg)
{
	char out[PERF_PP_MSG_LEN], done[PERF_OOB_DONE_LEN];
	int rc;

	perf_pp_format(mine, out);
	if (o->client) {
		if ((rc = perf_oob_send(o, "pingpong address", out, sizeof(out))) != 0 ||
		    (rc = receive_dest(o, theirs)) != 0 || (rc = connect(arg, theirs)) != 0)
			return rc;
		return perf_oob_send(o, "done", PERF_OOB_DONE, PERF_OOB_DONE_LEN);
	}
	if ((rc = receive_dest(o, theirs)) != 0 || (rc = connect(arg, theirs)) != 0 ||
	    (rc = perf_oob_send(o, "pingpong address", out, sizeof(out))) != 0 ||
	    (rc = perf_oob_recv(o, "done", done, sizeof(done))) != 0)
		return rc;
	if (memcmp(done, PERF_OOB_DONE, PERF_OOB_DONE_LEN) != 0) {
		snprintf(o->error, sizeof(o->error), "done: the peer did not say \"done\"");
		return -EPROTO;
	}
	return 0;
}
