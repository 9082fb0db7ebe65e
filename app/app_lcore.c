/* SPDX-License-Identifier: BSD-3-Clause */
/* Lcore loops and cross-lcore calls (app_lcore.h). */
#include <errno.h>
#include <string.h>
#include <time.h>

#include <rte_errno.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>

#include "app_lcore.h"
#include "idle_backoff.h"

const char *const app_role_names[APP_ROLE_N] = {
	[APP_ROLE_CCM] = "ccm", [APP_ROLE_FAILOVER] = "failover", [APP_ROLE_NVRAM] = "nvram",
};

struct call {
	int (*fn)(void *arg);
	void *arg;
	int rc;
	uint8_t state;		/* 0 free, 1 posted, 2 done */
};

struct loop {
	unsigned int lcore;
	bool used;
	app_poll_fn poll[APP_ROLE_N];
	void *obj[APP_ROLE_N];
	unsigned int nroles;
	struct call call;	/* one at a time, from the main lcore */
	struct idle_backoff idle;
};

struct app_loops {
	struct loop loop[RTE_MAX_LCORE];
	unsigned int role_lcore[APP_ROLE_N];
	bool role_set[APP_ROLE_N];
	volatile bool stop;
};

uint64_t
app_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

struct app_loops *
app_loops_create(void)
{
	struct app_loops *loops = rte_zmalloc("app_loops", sizeof(*loops), 0);

	if (loops == NULL)
		rte_errno = ENOMEM;
	return loops;
}

void
app_loops_free(struct app_loops *loops)
{
	rte_free(loops);
}

int
app_loops_assign(struct app_loops *loops, enum app_role role, unsigned int lcore,
		 app_poll_fn poll, void *obj)
{
	struct loop *l;

	if (role >= APP_ROLE_N || lcore >= RTE_MAX_LCORE || !rte_lcore_is_enabled(lcore))
		return -EINVAL;
	l = &loops->loop[lcore];
	l->lcore = lcore;
	l->used = true;
	l->poll[role] = poll;
	l->obj[role] = obj;
	l->nroles++;
	loops->role_lcore[role] = lcore;
	loops->role_set[role] = true;
	return 0;
}

/* One round: every role once, then a call if one is posted. */
static int
round_once(struct loop *l)
{
	uint64_t now = app_now_ns();
	int work = 0, r;

	for (r = 0; r < APP_ROLE_N; r++)
		if (l->poll[r] != NULL)
			work += l->poll[r](l->obj[r], now);
	if (__atomic_load_n(&l->call.state, __ATOMIC_ACQUIRE) == 1) {
		l->call.rc = l->call.fn(l->call.arg);
		__atomic_store_n(&l->call.state, 2, __ATOMIC_RELEASE);
		work++;
	}
	return work;
}

/* Poll-mode, but sharing the cores: spin, then yield, then nap. */
static void
back_off(struct loop *l, bool idle)
{
	idle_backoff(&l->idle, idle, idle ? app_now_ns() : 0);
}

static int
worker(void *arg)
{
	struct app_loops *loops = arg;
	struct loop *l = &loops->loop[rte_lcore_id()];

	while (!loops->stop)
		back_off(l, round_once(l) == 0);
	return 0;
}

int
app_loops_launch(struct app_loops *loops)
{
	unsigned int lcore;
	int rc;

	RTE_LCORE_FOREACH_WORKER(lcore) {
		if (!loops->loop[lcore].used)
			continue;
		rc = rte_eal_remote_launch(worker, loops, lcore);
		if (rc != 0)
			return rc;
	}
	return 0;
}

int
app_loops_run_main(struct app_loops *loops)
{
	return round_once(&loops->loop[rte_get_main_lcore()]);
}

int
app_loops_poll_others(struct app_loops *loops, enum app_role skip, uint64_t now_ns)
{
	struct loop *l = &loops->loop[rte_lcore_id()];
	int work = 0, r;

	for (r = 0; r < APP_ROLE_N; r++)
		if (r != (int)skip && l->poll[r] != NULL)
			work += l->poll[r](l->obj[r], now_ns);
	return work;
}

void
app_loops_idle(struct app_loops *loops, bool idle)
{
	back_off(&loops->loop[rte_get_main_lcore()], idle);
}

void
app_loops_stop(struct app_loops *loops)
{
	loops->stop = true;
	rte_eal_mp_wait_lcore();
}

int
app_call(struct app_loops *loops, enum app_role role, int (*fn)(void *arg), void *arg)
{
	struct loop *l;

	if (role >= APP_ROLE_N || !loops->role_set[role])
		return -ENODEV;
	l = &loops->loop[loops->role_lcore[role]];
	if (l->lcore == rte_lcore_id())
		return fn(arg);
	l->call.fn = fn;
	l->call.arg = arg;
	__atomic_store_n(&l->call.state, 1, __ATOMIC_RELEASE);
	while (__atomic_load_n(&l->call.state, __ATOMIC_ACQUIRE) != 2)
		app_loops_idle(loops, app_loops_run_main(loops) == 0);
	__atomic_store_n(&l->call.state, 0, __ATOMIC_RELEASE);
	return l->call.rc;
}
