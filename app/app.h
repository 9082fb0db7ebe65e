/* SPDX-License-Identifier: BSD-3-Clause */
/* The application's objects, built by ccm_main.c from the configuration. */
#ifndef APP_H
#define APP_H

#include <stdbool.h>
#include <stdint.h>

#include "ccm.h"
#include "app_config.h"
#include "app_lcore.h"
#include "failover.h"
#include "nvram_shadow.h"

struct app {
	struct app_config cfg;
	struct ccm *ccm;
	struct nvram_shadow *nvram;	/* NULL when not configured */
	struct failover *failover;	/* NULL when not configured */
	struct app_loops *loops;
	volatile bool quit;		/* SIGINT, SIGTERM, `quit` */
	uint8_t discard_req;		/* fenced: the NVRAM lcore discards our log */
	bool took_over;			/* the partner's log was replayed */
	uint64_t replayed;		/* records replayed at takeover */
	uint64_t replay_bad;		/* records refused at takeover */
	char replay_out[CFG_PATH_LEN];	/* where replayed records go ("": nowhere) */
};

/*
 * Console (app_console.c, docs/console.md). Each module brings a table of
 * commands; a line is matched against the names word by word, the longest
 * name wins, and the remaining words are the command's arguments.
 * run() returns 0 or -errno; a script stops at the first failure.
 */
struct app_cmd {
	const char *name;		/* "show session" */
	const char *args;		/* usage of the arguments, "" for none */
	const char *help;
	int min_args, max_args;
	int (*run)(struct app *app, int argc, char **argv);
};

extern const struct app_cmd app_cmds_general[];	/* app_console.c */
extern const struct app_cmd app_cmds_session[];	/* cmd_session.c */
extern const struct app_cmd app_cmds_clients[];	/* cmd_clients.c */

/** Run @p script (a file of commands), or the interactive console on the
 * terminal (stdin not a terminal: its lines, as a script). @return 0, or
 * -errno of the command that failed a script. */
int app_console_run(struct app *app, const char *script, bool interactive);
/** Keep the main lcore's roles running for @p ms (console waits). */
void app_console_idle(struct app *app, uint64_t ms);
/** Keep them running until @p done, for at most @p ms.
 * @return 0, -ETIMEDOUT, -EINTR (quitting). */
int app_console_wait(struct app *app, uint64_t ms, bool (*done)(struct app *app, const void *arg),
		     const void *arg);
/** Parse a whole unsigned number (decimal or 0x). @return 0, -EINVAL. */
int app_parse_u64(const char *s, uint64_t max, uint64_t *out);

/* The CCM as the console and --stats show it: a snapshot taken on the
 * CCM's lcore, which owns it (app_stats.c). */
struct app_ccm_view {
	enum ccm_state state;
	uint32_t session;
	uint16_t version;
	uint64_t incarnation;
	uint64_t sessions_up, terminations, peer_restarts;
	uint64_t tx_frames, rx_frames, req_retransmits;	/* the transport's */
	unsigned int nb_links;
	struct {
		enum ccm_link_state state;
		int carrier;		/* 1 up, 0 down, < 0 not known */
	} link[CCM_MAX_LINKS];
};
/** Fill @p v on the CCM's lcore (from the main lcore). @return 0, -errno. */
int app_ccm_view(struct app *app, struct app_ccm_view *v);

/* Statistics (app_stats.c): the periodic line, and /app/node telemetry. */
void app_stats_print(struct app *app);
int app_telemetry_register(struct app *app);

/* Called on the failover lcore (app_ha.c): at takeover, replay the
 * partner's NVRAM; at giveback, stop serving its work; fenced (the partner
 * holds ours), or given back. */
void app_takeover(void *arg);
void app_giveback(void *arg);
void app_fence(void *arg, bool fenced);
void app_discard(void *arg);

#endif /* APP_H */
