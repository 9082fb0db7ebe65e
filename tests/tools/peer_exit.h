/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PEER_EXIT_H
#define PEER_EXIT_H

#include <stdio.h>
#include <unistd.h>

/*
 * How the test peers leave: without exit handlers. When the partner goes
 * at the same moment, DPDK's interrupt thread may still be running memif's
 * deferred clean-up, and library destructors racing with it crash the
 * process (seen as SIGSEGV in two-node runs).
 */
static inline void
peer_exit(int rc)
{
	fflush(NULL);
	_exit(rc);
}

#endif /* PEER_EXIT_H */
