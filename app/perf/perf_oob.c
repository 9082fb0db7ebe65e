/* SPDX-License-Identifier: BSD-3-Clause */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "idle_backoff.h"
#include "perf_oob.h"
#include "perf_stats.h"

/* ---- Codec ---- */

bool
perf_dest_equal(const struct perf_dest *a, const struct perf_dest *b)
{
	return a->lid == b->lid && a->out_reads == b->out_reads && a->qpn == b->qpn &&
	       a->psn == b->psn && a->rkey == b->rkey && a->vaddr == b->vaddr &&
	       memcmp(a->gid, b->gid, sizeof(a->gid)) == 0 && a->srqn == b->srqn;
}

void
perf_keys_format(const struct perf_dest *d, char out[PERF_OOB_KEYS_LEN])
{
	int n, i;

	n = snprintf(out, PERF_OOB_KEYS_LEN, "%04x:%04x:%06x:%06x:%08x:%016llx:", d->lid,
		     d->out_reads, d->qpn & 0xffffff, d->psn & 0xffffff, d->rkey,
		     (unsigned long long)d->vaddr);
	for (i = 0; i < 16; i++)
		n += snprintf(out + n, PERF_OOB_KEYS_LEN - n, "%02x:", d->gid[i]);
	snprintf(out + n, PERF_OOB_KEYS_LEN - n, "%08x:", d->srqn);
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* @p width hex digits at *pos, then a colon. */
static int
hex_field(const char *in, size_t *pos, unsigned int width, uint64_t *v)
{
	unsigned int i;
	int h;

	*v = 0;
	for (i = 0; i < width; i++) {
		h = hex_digit(in[*pos + i]);
		if (h < 0)
			return -EINVAL;
		*v = *v << 4 | (uint64_t)h;
	}
	if (in[*pos + width] != ':')
		return -EINVAL;
	*pos += width + 1;
	return 0;
}

int
perf_keys_parse(const char in[PERF_OOB_KEYS_LEN], struct perf_dest *d, const char **why)
{
	static const struct {
		const char *name;
		unsigned int width;
	} field[] = {
		{ "lid", 4 }, { "outstanding reads", 4 }, { "QPN", 6 },
		{ "PSN", 6 }, { "rkey", 8 }, { "vaddr", 16 },
	};
	uint64_t v[6], g;
	size_t pos = 0;
	const char *dummy;
	unsigned int i;

	if (why == NULL)
		why = &dummy;
	for (i = 0; i < 6; i++) {
		if (hex_field(in, &pos, field[i].width, &v[i]) != 0) {
			*why = field[i].name;
			return -EINVAL;
		}
	}
	for (i = 0; i < 16; i++) {
		if (hex_field(in, &pos, 2, &g) != 0) {
			*why = "GID";
			return -EINVAL;
		}
		d->gid[i] = (uint8_t)g;
	}
	if (hex_field(in, &pos, 8, &g) != 0) {
		*why = "SRQ number";
		return -EINVAL;
	}
	if (pos != PERF_OOB_KEYS_LEN - 1 || in[pos] != '\0') {
		*why = "terminating NUL";
		return -EINVAL;
	}
	d->lid = (uint16_t)v[0];
	d->out_reads = (uint16_t)v[1];
	d->qpn = (uint32_t)v[2];
	d->psn = (uint32_t)v[3];
	d->rkey = (uint32_t)v[4];
	d->vaddr = v[5];
	d->srqn = (uint32_t)g;
	return 0;
}

void
perf_version_format(char out[PERF_OOB_VERSION_LEN])
{
	memset(out, 0, PERF_OOB_VERSION_LEN);
	memcpy(out, PERF_OOB_VERSION, sizeof(PERF_OOB_VERSION) - 1);
}

int
perf_version_parse(const char in[PERF_OOB_VERSION_LEN], unsigned int *hundredths)
{
	unsigned int major = 0, minor = 0, digits = 0, i = 0;

	/* "M.mm" as perftest prints it; atof() would take garbage as 0. */
	while (i < PERF_OOB_VERSION_LEN && in[i] >= '0' && in[i] <= '9' && i < 3)
		major = major * 10 + (unsigned int)(in[i++] - '0');
	if (i == 0 || i >= PERF_OOB_VERSION_LEN || in[i] != '.')
		return -EPROTO;
	for (i++; i < PERF_OOB_VERSION_LEN && in[i] >= '0' && in[i] <= '9'; i++) {
		if (digits < 2)
			minor = minor * 10 + (unsigned int)(in[i] - '0');
		digits++;
	}
	if (digits == 0 || i >= PERF_OOB_VERSION_LEN || in[i] != '\0')
		return -EPROTO;
	if (digits == 1)
		minor *= 10;
	*hundredths = major * 100 + minor;
	return *hundredths < PERF_OOB_VERSION_MIN ? -EPROTONOSUPPORT : 0;
}

void
perf_u32_format(uint32_t v, uint8_t out[4])
{
	out[0] = v >> 24;
	out[1] = v >> 16;
	out[2] = v >> 8;
	out[3] = v;
}

uint32_t
perf_u32_parse(const uint8_t in[4])
{
	return (uint32_t)in[0] << 24 | (uint32_t)in[1] << 16 | (uint32_t)in[2] << 8 | in[3];
}

void
perf_mtu_format(int mtu, char out[PERF_OOB_MTU_LEN])
{
	out[0] = (char)('0' + mtu);
	out[1] = '\0';
}

int
perf_mtu_parse(const char in[PERF_OOB_MTU_LEN])
{
	if (in[0] < '1' || in[0] > '5' || in[1] != '\0')
		return -EPROTO;
	return in[0] - '0';
}

static void
u64_format(uint64_t v, uint8_t *out)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		out[i] = (uint8_t)v;
}

static uint64_t
u64_parse(const uint8_t *in)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | in[i];
	return v;
}

static uint64_t
double_bits(double d)
{
	uint64_t v;

	memcpy(&v, &d, sizeof(v));
	return v;
}

static double
bits_double(uint64_t v)
{
	double d;

	memcpy(&d, &v, sizeof(d));
	return d;
}

void
perf_report_format(const struct perf_report *r, uint8_t out[PERF_OOB_REPORT_LEN])
{
	u64_format(r->size, out);
	u64_format(r->iters, out + 8);
	u64_format(double_bits(r->bw_peak), out + 16);
	u64_format(double_bits(r->bw_avg), out + 24);
	u64_format(double_bits(r->msg_rate), out + 32);
}

void
perf_report_parse(const uint8_t in[PERF_OOB_REPORT_LEN], struct perf_report *r)
{
	r->size = u64_parse(in);
	r->iters = u64_parse(in + 8);
	r->bw_peak = bits_double(u64_parse(in + 16));
	r->bw_avg = bits_double(u64_parse(in + 24));
	r->msg_rate = bits_double(u64_parse(in + 32));
}

/* ---- Sockets ---- */

static uint64_t
mono_ms(void)
{
	return perf_now_ns() / 1000000;
}

/* Device polls in a row while the device is busy, and the time between two
 * looks at the socket: a poll() system call (about a microsecond on our
 * guests) per device poll would cap a passive server's rate. */
#define PROGRESS_BATCH	256
#define SOCKET_LOOK_NS	100000ull

/*
 * Wait up to @p deadline_ms for @p events on @p fd, running @p progress
 * in between: with a hook, look at the socket without blocking every
 * SOCKET_LOOK_NS, run the hook while it finds work, and back off
 * (idle_backoff.h) when it does not; without, block in poll().
 * @return 1 ready, 0 timed out, -errno.
 */
static int
wait_fd(int fd, short events, uint64_t deadline_ms, int (*progress)(void *), void *arg)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	struct idle_backoff idle = { 0 };
	uint64_t now, next_look = 0;
	unsigned int n;
	int rc;

	for (;;) {
		now = perf_now_ns();
		if (deadline_ms != 0 && now / 1000000 >= deadline_ms)
			return 0;
		if (progress == NULL) {
			rc = poll(&pfd, 1, deadline_ms == 0 ? -1 : (int)(deadline_ms - now / 1000000));
		} else {
			rc = 0;
			if (now >= next_look) {
				rc = poll(&pfd, 1, 0);
				next_look = now + SOCKET_LOOK_NS;
			}
			if (rc == 0) {
				for (n = 0; n < PROGRESS_BATCH && progress(arg) > 0; n++)
					;
				idle_backoff(&idle, n == 0, now);
			}
		}
		if (rc < 0 && errno != EINTR)
			return -errno;
		if (rc > 0)
			return 1;
	}
}

int
perf_oob_connect(const char *host, uint16_t port, uint32_t timeout_ms,
		 int (*progress)(void *), void *arg)
{
	struct addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };
	uint64_t deadline = mono_ms() + timeout_ms;
	struct addrinfo *res;
	char service[8];
	int fd, rc, one = 1;

	snprintf(service, sizeof(service), "%u", port);
	rc = getaddrinfo(host, service, &hints, &res);
	if (rc != 0)
		return -EHOSTUNREACH;
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			rc = -errno;
			break;
		}
		if (connect(fd, res->ai_addr, res->ai_addrlen) == 0) {
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			rc = fd;
			break;
		}
		rc = -errno;
		close(fd);
		/* The server may not be listening yet: try again until the limit. */
		if ((rc != -ECONNREFUSED && rc != -ETIMEDOUT && rc != -ENETUNREACH) ||
		    mono_ms() >= deadline)
			break;
		for (uint64_t until = mono_ms() + 100; mono_ms() < until;) {
			if (progress == NULL || progress(arg) == 0) {
				struct timespec ts = { 0, 1000000 };

				nanosleep(&ts, NULL);
			}
		}
	}
	freeaddrinfo(res);
	return rc;
}

int
perf_oob_listen(uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_ANY) };
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0 || listen(fd, 1) != 0) {
		int rc = -errno;

		close(fd);
		return rc;
	}
	return fd;
}

int
perf_oob_accept(int lfd, uint32_t timeout_ms, int (*progress)(void *), void *arg)
{
	int rc, fd, one = 1;

	rc = wait_fd(lfd, POLLIN, timeout_ms ? mono_ms() + timeout_ms : 0, progress, arg);
	if (rc <= 0)
		return rc == 0 ? -ETIMEDOUT : rc;
	fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

static int
oob_fail(struct perf_oob *o, int rc, const char *what)
{
	snprintf(o->error, sizeof(o->error), "%s: %s", o->step, what);
	return rc;
}

static int
write_all(struct perf_oob *o, const void *buf, size_t len, uint64_t deadline)
{
	const uint8_t *p = buf;
	ssize_t n;
	int rc;

	while (len > 0) {
		rc = wait_fd(o->fd, POLLOUT, deadline, o->progress, o->progress_arg);
		if (rc == 0)
			return oob_fail(o, -ETIMEDOUT, "timed out sending to the peer");
		if (rc < 0)
			return oob_fail(o, rc, strerror(-rc));
		n = send(o->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0)
			return oob_fail(o, errno == EPIPE ? -ECONNRESET : -errno,
					"the peer closed the connection");
		p += n;
		len -= (size_t)n;
		o->bytes_out += (uint64_t)n;
	}
	return 0;
}

static int
read_all(struct perf_oob *o, void *buf, size_t len, uint64_t deadline)
{
	uint8_t *p = buf;
	size_t got = 0;
	ssize_t n;
	int rc;

	while (got < len) {
		rc = wait_fd(o->fd, POLLIN, deadline, o->progress, o->progress_arg);
		if (rc == 0) {
			snprintf(o->error, sizeof(o->error),
				 "%s: timed out after %u ms waiting for the peer (%zu of %zu bytes)",
				 o->step, o->step_timeout_ms, got, len);
			return -ETIMEDOUT;
		}
		if (rc < 0)
			return oob_fail(o, rc, strerror(-rc));
		n = recv(o->fd, p + got, len - got, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0) {
			snprintf(o->error, sizeof(o->error),
				 "%s: the peer closed the connection after %zu of %zu bytes", o->step,
				 got, len);
			return -ECONNRESET;
		}
		got += (size_t)n;
		o->bytes_in += (uint64_t)n;
	}
	return 0;
}

int
perf_oob_xchg(struct perf_oob *o, const char *step, const void *mine, void *theirs, size_t len)
{
	uint64_t deadline = mono_ms() + o->step_timeout_ms;
	int rc;

	o->step = step;
	if (o->client) {
		rc = write_all(o, mine, len, deadline);
		return rc != 0 ? rc : read_all(o, theirs, len, deadline);
	}
	rc = read_all(o, theirs, len, deadline);
	return rc != 0 ? rc : write_all(o, mine, len, deadline);
}

int
perf_oob_send(struct perf_oob *o, const char *step, const void *buf, size_t len)
{
	o->step = step;
	return write_all(o, buf, len, mono_ms() + o->step_timeout_ms);
}

int
perf_oob_recv(struct perf_oob *o, const char *step, void *buf, size_t len)
{
	o->step = step;
	return read_all(o, buf, len, mono_ms() + o->step_timeout_ms);
}

int
perf_oob_hello(struct perf_oob *o, int local_mtu, int *path_mtu, unsigned int *peer_version)
{
	char mine[PERF_OOB_VERSION_LEN], theirs[PERF_OOB_VERSION_LEN];
	uint8_t u_mine[4], u_theirs[4];
	char m_mine[PERF_OOB_MTU_LEN], m_theirs[PERF_OOB_MTU_LEN];
	int rc, peer_mtu;

	perf_version_format(mine);
	rc = perf_oob_xchg(o, "version", mine, theirs, sizeof(mine));
	if (rc != 0)
		return rc;
	rc = perf_version_parse(theirs, peer_version);
	if (rc == -EPROTO)
		return oob_fail(o, rc, "the peer's version is not a perftest version string");
	if (rc != 0) {
		snprintf(o->error, sizeof(o->error),
			 "version: the peer runs perftest %u.%02u; 5.70 or later is needed",
			 *peer_version / 100, *peer_version % 100);
		return rc;
	}
	/* perftest takes the larger of each; we only need them to arrive. */
	perf_u32_format(4096, u_mine);
	rc = perf_oob_xchg(o, "page size", u_mine, u_theirs, 4);
	if (rc != 0)
		return rc;
	perf_u32_format(64, u_mine);
	rc = perf_oob_xchg(o, "cache line size", u_mine, u_theirs, 4);
	if (rc != 0)
		return rc;
	perf_mtu_format(local_mtu, m_mine);
	rc = perf_oob_xchg(o, "MTU", m_mine, m_theirs, sizeof(m_mine));
	if (rc != 0)
		return rc;
	peer_mtu = perf_mtu_parse(m_theirs);
	if (peer_mtu < 0)
		return oob_fail(o, -EPROTO, "the peer's MTU is not an ibv_mtu digit");
	*path_mtu = peer_mtu < local_mtu ? peer_mtu : local_mtu;
	return 0;
}

int
perf_oob_keys(struct perf_oob *o, int n, const struct perf_dest *mine, struct perf_dest *theirs)
{
	char out[PERF_OOB_KEYS_LEN], in[PERF_OOB_KEYS_LEN];
	const char *why;
	int rc;

	snprintf(o->step_name, sizeof(o->step_name), "keys #%d", n);
	perf_keys_format(mine, out);
	rc = perf_oob_xchg(o, o->step_name, out, in, sizeof(in));
	if (rc != 0)
		return rc;
	if (perf_keys_parse(in, theirs, &why) != 0) {
		snprintf(o->error, sizeof(o->error), "%s: the peer's keys are malformed (%s): \"%.*s\"",
			 o->step, why, 60, in);
		return -EPROTO;
	}
	return 0;
}

int
perf_oob_report(struct perf_oob *o, const struct perf_report *mine, struct perf_report *theirs)
{
	uint8_t out[PERF_OOB_REPORT_LEN], in[PERF_OOB_REPORT_LEN];
	int rc;

	static const char *const field[] = { "report (size)", "report (iterations)",
					     "report (peak)", "report (average)",
					     "report (message rate)" };
	unsigned int i;

	/* Five steps of 8 bytes, not one of 40: perftest's xchg_bw_reports()
	 * waits for each field's answer before sending the next. */
	perf_report_format(mine, out);
	for (i = 0; i < 5; i++) {
		rc = perf_oob_xchg(o, field[i], out + 8 * i, in + 8 * i, 8);
		if (rc != 0)
			return rc;
	}
	perf_report_parse(in, theirs);
	return 0;
}

int
perf_oob_done(struct perf_oob *o)
{
	char in[PERF_OOB_DONE_LEN];
	int rc;

	rc = perf_oob_xchg(o, "done", PERF_OOB_DONE, in, PERF_OOB_DONE_LEN);
	if (rc == 0 && memcmp(in, PERF_OOB_DONE, PERF_OOB_DONE_LEN) != 0)
		return oob_fail(o, -EPROTO, "the peer did not say \"done\"");
	return rc;
}
