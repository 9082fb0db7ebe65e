/* SPDX-License-Identifier: BSD-3-Clause */
/* What the EAL suites share: one EAL per process, and Check without fork. */
#ifndef TEST_EAL_H
#define TEST_EAL_H

#include <check.h>

/**
 * rte_eal_init() for a suite: --no-huge with @p memory_mb, no PCI, no
 * shared config, a file prefix of its own (test-NAME-PID), EAL logs at
 * error. @return 0, or -1 after saying why on stderr.
 */
int test_eal_init(const char *argv0, const char *name, unsigned int memory_mb);

/** Run @p s in this process (the tests share its EAL, so no fork).
 * @return the number of failed tests. */
int test_run_nofork(Suite *s);

#endif /* TEST_EAL_H */
