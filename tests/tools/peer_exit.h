/* SPDX-License-Identifier: BSD-3-Clause */
#ifndef PEER_EXIT_H
#define PEER_EXIT_H

#include <stdio.h>
#include <unistd.h>

/*
 * How the test peers leave: without exit handlers, and without stopping
 * their ports. When the partner goes at the same moment, DPDK 22.11's
 * interrupt thread handles the partner's memif disconnect; a port stop
 * (rte_eth_dev_stop, so roce_dev_destroy too) or library destructors
 * racing with it crash the process (SIGSEGV at a NULL offset inside
 * librte_eal, seen in two-node runs under load).
 */
static inline void
peer_exit(int rc)
{
	fflush(NULL);
	_exit(rc);
}

#endif /* PEER_EXIT_H */
