/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The console: testpmd-style commands, typed at the terminal (DPDK's
 * cmdline for line editing and history) or read from a script. While it
 * waits for input the main lcore keeps running its roles, so a node with
 * a single lcore stays alive at the prompt.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmdline.h>
#include <cmdline_parse.h>
#include <cmdline_parse_string.h>
#include <cmdline_rdline.h>
#include <cmdline_socket.h>

#include "app.h"

#define CONSOLE_MAX_WORDS	16
#define CONSOLE_LINE_LEN	512

static const struct app_cmd *const cmd_tables[] = {
	app_cmds_general, app_cmds_session, app_cmds_clients,
};

int
app_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] == '-' || s[0] == '\0')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

void
app_console_idle(struct app *app, uint64_t ms)
{
	uint64_t until = app_now_ns() + ms * 1000000ull;

	while (!app->quit && app_now_ns() < until)
		app_loops_idle(app->loops, app_loops_run_main(app->loops) == 0);
}

int
app_console_wait(struct app *app, uint64_t ms, bool (*done)(struct app *app, const void *arg),
		 const void *arg)
{
	uint64_t deadline = app_now_ns() + ms * 1000000ull;

	while (!done(app, arg)) {
		if (app->quit)
			return -EINTR;
		if (app_now_ns() >= deadline)
			return -ETIMEDOUT;
		app_console_idle(app, 1);
	}
	return 0;
}

/* How many leading words of @p words spell @p name (0: not all of them). */
static int
name_match(const char *name, char **words, int nwords)
{
	char buf[64];
	char *save = NULL, *w;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", name);
	for (w = strtok_r(buf, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save)) {
		if (n >= nwords || strcmp(w, words[n]) != 0)
			return 0;
		n++;
	}
	return n;
}

static const struct app_cmd *
lookup(char **words, int nwords, int *name_words)
{
	const struct app_cmd *best = NULL;
	unsigned int t;

	*name_words = 0;
	for (t = 0; t < RTE_DIM(cmd_tables); t++) {
		const struct app_cmd *c;

		for (c = cmd_tables[t]; c->name != NULL; c++) {
			int n = name_match(c->name, words, nwords);

			if (n > *name_words) {
				*name_words = n;
				best = c;
			}
		}
	}
	return best;
}

/* Run one line. @return 0, or -errno (unknown command, bad arguments,
 * or the command's own failure). */
static int
console_exec(struct app *app, const char *line)
{
	char buf[CONSOLE_LINE_LEN], *words[CONSOLE_MAX_WORDS];
	char *save = NULL, *w, *hash;
	const struct app_cmd *c;
	int nwords = 0, n, rc;

	snprintf(buf, sizeof(buf), "%s", line);
	hash = strchr(buf, '#');
	if (hash != NULL)
		*hash = '\0';
	for (w = strtok_r(buf, " \t\r\n", &save); w != NULL; w = strtok_r(NULL, " \t\r\n", &save)) {
		if (nwords == CONSOLE_MAX_WORDS) {
			printf("error: more than %d words\n", CONSOLE_MAX_WORDS);
			return -E2BIG;
		}
		words[nwords++] = w;
	}
	if (nwords == 0)
		return 0;
	c = lookup(words, nwords, &n);
	if (c == NULL) {
		printf("error: unknown command \"%s\" (try `help`)\n", words[0]);
		return -ENOENT;
	}
	if (nwords - n < c->min_args || nwords - n > c->max_args) {
		printf("error: usage: %s%s%s\n", c->name, c->args[0] != '\0' ? " " : "", c->args);
		return -EINVAL;
	}
	rc = c->run(app, nwords - n, words + n);
	fflush(stdout);
	return rc;
}

/* ---- general commands ---------------------------------------------------- */

static int
cmd_help(struct app *app, int argc, char **argv)
{
	unsigned int t;

	(void)app;
	for (t = 0; t < RTE_DIM(cmd_tables); t++) {
		const struct app_cmd *c;

		for (c = cmd_tables[t]; c->name != NULL; c++) {
			char usage[96];

			if (argc == 1 && strncmp(c->name, argv[0], strlen(argv[0])) != 0)
				continue;
			snprintf(usage, sizeof(usage), "%s%s%s", c->name,
				 c->args[0] != '\0' ? " " : "", c->args);
			printf("  %-34s %s\n", usage, c->help);
		}
	}
	return 0;
}

static int
cmd_quit(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	app->quit = true;
	return 0;
}

static int
cmd_sleep(struct app *app, int argc, char **argv)
{
	uint64_t ms;

	(void)argc;
	if (app_parse_u64(argv[0], 3600000, &ms) != 0) {
		printf("error: sleep wants milliseconds, not \"%s\"\n", argv[0]);
		return -EINVAL;
	}
	app_console_idle(app, ms);
	return 0;
}

static int
cmd_echo(struct app *app, int argc, char **argv)
{
	int i;

	(void)app;
	for (i = 0; i < argc; i++)
		printf("%s%s", i > 0 ? " " : "", argv[i]);
	printf("\n");
	return 0;
}

static void
print_line(void *arg, const char *line)
{
	(void)arg;
	printf("%s\n", line);
}

static int
cmd_show_config(struct app *app, int argc, char **argv)
{
	(void)argc;
	(void)argv;
	app_config_print(&app->cfg, print_line, NULL);
	return 0;
}

const struct app_cmd app_cmds_general[] = {
	{ "help", "[PREFIX]", "list the commands (those starting with PREFIX)", 0, 1, cmd_help },
	{ "quit", "", "shut down cleanly (the partner takes over at once)", 0, 0, cmd_quit },
	{ "sleep", "MS", "keep running for MS milliseconds", 1, 1, cmd_sleep },
	{ "echo", "TEXT...", "print TEXT (marks in a script's output)", 0, 15, cmd_echo },
	{ "show config", "", "the configuration in use", 0, 0, cmd_show_config },
	{ NULL, NULL, NULL, 0, 0, NULL },
};

/* ---- script and terminal --------------------------------------------------- */

static int
run_stream(struct app *app, FILE *in, const char *name)
{
	char line[CONSOLE_LINE_LEN];
	unsigned int lineno = 0;
	int rc;

	while (!app->quit && fgets(line, sizeof(line), in) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(in)) {
			printf("%s:%u: line longer than %d characters\n", name, lineno,
			       CONSOLE_LINE_LEN - 2);
			return -E2BIG;
		}
		/* "! COMMAND": the command must fail (a script shows a refusal and
		 * goes on); if it succeeds, that is the failure. */
		if (line[strspn(line, " \t")] == '!') {
			rc = console_exec(app, line + strspn(line, " \t") + 1);
			if (rc == 0 && !app->quit) {
				printf("error: expected this command to fail\n");
				rc = -EPROTO;
			} else {
				rc = 0;
			}
		} else {
			rc = console_exec(app, line);
		}
		if (rc != 0 && !app->quit) {	/* a wait cut short by quitting is no failure */
			printf("%s:%u: command failed: %s", name, lineno, line);
			if (strchr(line, '\n') == NULL)
				printf("\n");
			fflush(stdout);
			return rc;
		}
	}
	return 0;
}

/*
 * At the terminal, DPDK's cmdline gives editing, history, `?` help and tab
 * completion of command names. Its instances are built from our tables:
 * one fixed-string token per word of the name, then one token taking the
 * rest of the line as arguments; the parsed line goes to console_exec().
 */
#define NAME_WORDS_MAX	4
#define ARGS_OFFSET	(NAME_WORDS_MAX * STR_TOKEN_SIZE)

struct console_inst {
	struct app *app;
	const struct app_cmd *cmd;
	bool has_args;
	cmdline_parse_token_string_t tok[NAME_WORDS_MAX + 1];
	char words[64];
};

static void
console_parsed(void *parsed, struct cmdline *cl, void *data)
{
	const struct console_inst *ci = data;
	char line[CONSOLE_LINE_LEN];

	snprintf(line, sizeof(line), "%s %s", ci->cmd->name,
		 ci->has_args ? (const char *)parsed + ARGS_OFFSET : "");
	console_exec(ci->app, line);
	if (ci->app->quit)
		cmdline_quit(cl);
}

static cmdline_parse_inst_t *
inst_new(struct app *app, const struct app_cmd *cmd, bool has_args)
{
	cmdline_parse_inst_t *inst;
	struct console_inst *ci;
	char *save = NULL, *w;
	unsigned int n = 0;

	inst = calloc(1, sizeof(*inst) + (NAME_WORDS_MAX + 2) * sizeof(inst->tokens[0]));
	ci = calloc(1, sizeof(*ci));
	if (inst == NULL || ci == NULL) {
		free(inst);
		free(ci);
		return NULL;
	}
	ci->app = app;
	ci->cmd = cmd;
	ci->has_args = has_args;
	snprintf(ci->words, sizeof(ci->words), "%s", cmd->name);
	for (w = strtok_r(ci->words, " ", &save); w != NULL && n < NAME_WORDS_MAX;
	     w = strtok_r(NULL, " ", &save), n++) {
		ci->tok[n].hdr.ops = &cmdline_token_string_ops;
		ci->tok[n].hdr.offset = n * STR_TOKEN_SIZE;
		ci->tok[n].string_data.str = w;
		inst->tokens[n] = &ci->tok[n].hdr;
	}
	if (has_args) {
		ci->tok[n].hdr.ops = &cmdline_token_string_ops;
		ci->tok[n].hdr.offset = ARGS_OFFSET;
		ci->tok[n].string_data.str = TOKEN_STRING_MULTI;
		inst->tokens[n] = &ci->tok[n].hdr;
		n++;
	}
	inst->tokens[n] = NULL;
	inst->f = console_parsed;
	inst->data = ci;
	inst->help_str = cmd->help;
	return inst;
}

static void
ctx_free(cmdline_parse_ctx_t *ctx)
{
	unsigned int i;

	for (i = 0; ctx != NULL && ctx[i] != NULL; i++) {
		free(ctx[i]->data);
		free(ctx[i]);
	}
	free(ctx);
}

/* Two instances for a command whose arguments are optional. */
static cmdline_parse_ctx_t *
ctx_build(struct app *app)
{
	cmdline_parse_ctx_t *ctx;
	unsigned int t, n = 0, max = 1;
	const struct app_cmd *c;

	for (t = 0; t < RTE_DIM(cmd_tables); t++)
		for (c = cmd_tables[t]; c->name != NULL; c++)
			max += 2;
	ctx = calloc(max, sizeof(*ctx));
	if (ctx == NULL)
		return NULL;
	for (t = 0; t < RTE_DIM(cmd_tables); t++)
		for (c = cmd_tables[t]; c->name != NULL; c++) {
			if (c->min_args == 0 && (ctx[n++] = inst_new(app, c, false)) == NULL)
				goto fail;
			if (c->max_args > 0 && (ctx[n++] = inst_new(app, c, true)) == NULL)
				goto fail;
		}
	return ctx;
fail:
	ctx_free(ctx);
	return NULL;
}

static int
run_terminal(struct app *app)
{
	cmdline_parse_ctx_t *ctx = ctx_build(app);
	struct cmdline *cl;

	cl = ctx != NULL ? cmdline_stdin_new(ctx, "ccm> ") : NULL;
	if (cl == NULL) {
		printf("error: cannot start the console on this terminal\n");
		ctx_free(ctx);
		return -EIO;
	}
	while (!app->quit) {
		int rc = cmdline_poll(cl);

		if (rc < 0 || rc == RDLINE_EXITED)
			break;
		app_loops_idle(app->loops, app_loops_run_main(app->loops) == 0);
	}
	cmdline_stdin_exit(cl);
	ctx_free(ctx);
	app->quit = true;	/* end of input (Ctrl-D) ends the node too */
	return 0;
}

int
app_console_run(struct app *app, const char *script, bool interactive)
{
	FILE *in;
	int rc;

	if (interactive && isatty(STDIN_FILENO))
		return run_terminal(app);
	if (interactive) {
		/* Piped commands: like a script, and the end of input ends the
		 * node, as at the terminal. */
		rc = run_stream(app, stdin, "stdin");
		app->quit = true;
		return rc;
	}
	in = fopen(script, "r");
	if (in == NULL) {
		printf("error: script %s: %s\n", script, strerror(errno));
		return -errno;
	}
	rc = run_stream(app, in, script);
	fclose(in);
	return rc;
}
