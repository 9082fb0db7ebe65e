/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The mailbox: the failover monitor's second heartbeat path, a small file
 * both nodes reach, a 64-byte slot per node id.
 *
 * On a memory file system (tmpfs, where docs/configuration.md puts it) the
 * file is mapped and a beat read or written is a 64-byte copy. With
 * pread/pwrite, the heartbeat thread made two system calls a heartbeat and
 * the monitor's lcore four, at 9-18 us each in this kind of guest
 * (docs/perf.md, runs I and K). Anywhere else the kernel may write-protect
 * mapped pages during writeback and stall the heartbeat thread on a fault,
 * so other file systems keep the system calls. Either way a beat may be
 * read torn, half old, half new; its CRC refuses it and a later read sees
 * it whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "failover_pvt.h"

/* Open, and not cut by fault injection (failover_mailbox_cut()). */
static bool
mailbox_usable(const struct failover *fo)
{
	return fo->mailbox_fd >= 0 && !__atomic_load_n(&fo->mailbox_cut, __ATOMIC_ACQUIRE);
}

static bool
on_memory_fs(int fd)
{
	struct statfs sfs;

	return fstatfs(fd, &sfs) == 0 &&
	       (sfs.f_type == TMPFS_MAGIC || sfs.f_type == RAMFS_MAGIC);
}

int
fo_mailbox_open(struct failover *fo, const char *path)
{
	void *map;

	fo->mailbox_fd = open(path, O_RDWR | O_CREAT, 0644);
	if (fo->mailbox_fd < 0 || ftruncate(fo->mailbox_fd, FO_MAILBOX_LEN) != 0)
		return -errno;
	if (!on_memory_fs(fo->mailbox_fd)) {
		FO_LOG(INFO, "mailbox %s: not on tmpfs, read and written with system calls",
		       path);
		return 0;
	}
	map = mmap(NULL, FO_MAILBOX_LEN, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fo->mailbox_fd, 0);
	if (map == MAP_FAILED) {
		FO_LOG(NOTICE, "mailbox %s: cannot map (%s), read and written with system calls",
		       path, strerror(errno));
		return 0;
	}
	fo->mailbox_map = map;
	return 0;
}

void
fo_mailbox_close(struct failover *fo)
{
	if (fo->mailbox_map != NULL)
		munmap(fo->mailbox_map, FO_MAILBOX_LEN);
	fo->mailbox_map = NULL;
	if (fo->mailbox_fd >= 0)
		close(fo->mailbox_fd);
	fo->mailbox_fd = -1;
}

bool
fo_mailbox_read(struct failover *fo, uint8_t beat[BEAT_LEN])
{
	off_t off = (off_t)fo->conf.peer_node_id * BEAT_LEN;

	if (!mailbox_usable(fo))
		return false;
	if (fo->mailbox_map != NULL) {
		/* The partner's process stores into the same page. */
		memcpy(beat, (const uint8_t *)fo->mailbox_map + off, BEAT_LEN);
		return true;
	}
	return pread(fo->mailbox_fd, beat, BEAT_LEN, off) == BEAT_LEN;
}

void
fo_mailbox_write(struct failover *fo, const uint8_t beat[BEAT_LEN])
{
	off_t off = (off_t)fo->conf.node_id * BEAT_LEN;

	if (!mailbox_usable(fo))
		return;
	if (fo->mailbox_map != NULL) {
		memcpy((uint8_t *)fo->mailbox_map + off, beat, BEAT_LEN);
		return;
	}
	if (pwrite(fo->mailbox_fd, beat, BEAT_LEN, off) != BEAT_LEN)
		FO_LOG(WARNING, "mailbox write: %s", strerror(errno));
}
