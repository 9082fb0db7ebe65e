/* SPDX-License-Identifier: BSD-3-Clause */
#include <stdio.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "test_eal.h"

int
test_eal_init(const char *argv0, const char *name, unsigned int memory_mb)
{
	/* Static: EAL may keep pointers into its arguments. */
	static char arg0[256], memory[16], prefix[64];
	static char *argv[] = { arg0, "--no-huge", "-m", memory, "--no-pci", "--no-shconf",
				prefix, "--log-level=lib.eal:error", NULL };

	snprintf(arg0, sizeof(arg0), "%s", argv0);
	snprintf(memory, sizeof(memory), "%u", memory_mb);
	snprintf(prefix, sizeof(prefix), "--file-prefix=test-%s-%d", name, getpid());
	if (rte_eal_init(RTE_DIM(argv) - 1, argv) < 0) {
		fprintf(stderr, "rte_eal_init: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

int
test_run_nofork(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed;
}
