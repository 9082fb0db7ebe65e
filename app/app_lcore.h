/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Lcore loops: each lcore runs the roles the configuration gave it (CCM
 * with the transport, failover monitor, NVRAM shadow), one poll each per
 * round, backing off when a round finds no work (yield, then short
 * sleeps) so two nodes and a test runner share two cores.
 *
 * Objects belong to the lcore of their role; other threads (the console)
 * reach them with app_call(), which runs a function on that lcore.
 */
#ifndef APP_LCORE_H
#define APP_LCORE_H

#include <stdbool.h>
#include <stdint.h>

enum app_role {
	APP_ROLE_CCM,
	APP_ROLE_FAILOVER,
	APP_ROLE_NVRAM,
	APP_ROLE_N,
};

extern const char *const app_role_names[APP_ROLE_N];

/* A role's poll: returns work done (0: idle). */
typedef int (*app_poll_fn)(void *obj, uint64_t now_ns);

struct app_loops;

/** @return NULL with rte_errno (ENOMEM). */
struct app_loops *app_loops_create(void);
void app_loops_free(struct app_loops *loops);

/** Run role @p role's @p poll(@p obj) on @p lcore. Before app_loops_launch(). */
int app_loops_assign(struct app_loops *loops, enum app_role role, unsigned int lcore,
		     app_poll_fn poll, void *obj);

/** Launch every worker lcore that has roles. The main lcore's roles run in
 * app_loops_run_main(). @return 0 or -errno. */
int app_loops_launch(struct app_loops *loops);

/** One round of the main lcore's roles and pending calls. @return work. */
int app_loops_run_main(struct app_loops *loops);

/** Back off after an idle round of the main lcore (what workers do). */
void app_loops_idle(struct app_loops *loops, bool idle);

/** Stop the workers and wait for them. */
void app_loops_stop(struct app_loops *loops);

/**
 * Run @p fn(@p arg) on the lcore of @p role and wait for it (the main lcore
 * keeps polling its roles meanwhile). Called from the main lcore.
 * @return what fn returned.
 */
int app_call(struct app_loops *loops, enum app_role role, int (*fn)(void *arg), void *arg);

/** One round of the roles on the calling lcore except @p skip, at time
 * @p now_ns (app_now_ns()): for a role that waits inside a call (a sync
 * NVRAM append), so its lcore-mates keep running. @return work. */
int app_loops_poll_others(struct app_loops *loops, enum app_role skip, uint64_t now_ns);

uint64_t app_now_ns(void);

#endif /* APP_LCORE_H */
