/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CLI_H
#define CELLA_RUNTIME_CLI_H

/* cella-runtime: runc's command line over the runtime library; one file per verb. */
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <cella/error.h>

/* Exit statuses that runc gives and clients test for (besides 1, any error). */
enum {
	CLI_UNKNOWN_COMMAND = 3, /* runc (urfave/cli): "No help topic for ..." */
	CLI_EXEC_FAILED = 255,	 /* runc exec: the process could not be started */
};

struct cli {
	const char *root;
	FILE *log; /* --log, or NULL */
	bool log_json, debug, rootless;
	char **argv; /* the whole command line, for the sealed re-exec */
};

struct cli_verb {
	const char *name;
	int (*run)(struct cli *cli, int argc, char **argv);
	const char *usage; /* "create [options] <id>\n  --bundle ..." */
};

/* Prints and logs err ("cella-runtime: msg"), releases it, returns the exit status (1). */
int cli_fail(struct cli *cli, cella_err_t *err);
/* Logs a line to --log (and stderr at level error/warning). level: "error", "warning", "info", "debug". */
void cli_log(struct cli *cli, const char *level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Usage error for a verb: message plus its usage, status 1. */
int cli_usage_error(struct cli *cli, const struct cli_verb *verb, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* "--preserve-fds 3": a decimal in [min, max], errors naming the option. */
int cli_parse_long(const char *option, const char *text, long min, long max, long *out, cella_err_t *err);
/* Takes exactly one <id> argument after options (argv[optind]). */
int cli_want_id(struct cli *cli, const struct cli_verb *verb, int argc, char **argv, const char **id);
/* A verb without options: just <id>. Returns 0 or an exit status. */
int cli_want_only_id(struct cli *cli, const struct cli_verb *verb, int argc, char **argv, const char **id);
/* --format table|json (and -q when quiet is non-NULL). Returns 0 or an exit status. */
int cli_parse_format(struct cli *cli, const struct cli_verb *verb, int argc, char **argv, bool *json,
		     bool *quiet);
/* Forwards catchable signals to pid until it exits; returns its status (128+sig when killed). */
int cli_wait_forwarding(pid_t pid);
/* CVE-2019-5736: re-exec from a sealed memfd before touching a container (create, run, exec). */
int cli_seal_self(struct cli *cli);

extern const struct cli_verb cli_verb_create, cli_verb_start, cli_verb_state, cli_verb_kill, cli_verb_delete,
	cli_verb_run, cli_verb_exec, cli_verb_list, cli_verb_ps, cli_verb_pause, cli_verb_resume,
	cli_verb_update, cli_verb_features, cli_verb_spec, cli_verb_events;

#endif
