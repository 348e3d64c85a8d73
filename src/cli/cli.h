/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_CLI_H
#define CELLA_CLI_H

/*
 * The `cella` command line: one file per verb, each defining a
 * struct cella_cli_verb that main.c lists in its verb table. To add a verb:
 * write src/cli/<verb>.c defining `const struct cella_cli_verb cella_cli_verb_<verb>`,
 * declare it below, add it to the table in main.c and to meson.build.
 */
#include <stdio.h>

#include <cella/error.h>

/* Exit statuses shared by every verb. */
#define CELLA_EXIT_OK	 0
#define CELLA_EXIT_FAIL	 1
#define CELLA_EXIT_USAGE 2

struct cella_cli_verb {
	const char *name;
	const char *summary; /* one line, for `cella --help` */
	const char *help;    /* the full page printed by `cella help VERB` and `cella VERB --help` */
	/*
	 * argv[0] is the verb's name. Returns an exit status (>= 0), or a
	 * negative value with *err set (its status, 2 for usage errors, is used).
	 */
	int (*run)(int argc, char **argv, cella_err_t *err);
};

extern const struct cella_cli_verb cella_cli_verb_check;
extern const struct cella_cli_verb cella_cli_verb_help;
extern const struct cella_cli_verb cella_cli_verb_version;

/* From main.c: the verb table. */
const struct cella_cli_verb *cella_cli_find_verb(const char *name);
void cella_cli_print_main_help(FILE *out);
void cella_cli_print_verb_help(const struct cella_cli_verb *verb, FILE *out);

/* From options.c: helpers for verbs' option parsing. */
enum cella_cli_format {
	CELLA_CLI_FORMAT_TEXT = 0,
	CELLA_CLI_FORMAT_JSON,
};

/* Parses --format's value; the error names the verb and the option. */
int cella_cli_parse_format(const char *verb, const char *value, enum cella_cli_format *out, cella_err_t *err);
/* Makes a usage error (exit status 2): "VERB: message (see 'cella VERB --help')". */
int cella_cli_usage_error(cella_err_t *err, const char *verb, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Turns getopt_long's '?' or ':' (opterr = 0, optstring starting with ':') into a usage error. */
int cella_cli_option_error(cella_err_t *err, const char *verb, int c, char **argv);
/*
 * The options of the verbs that take only --format, --socket and --help: parses them (getopt_long, optind
 * left at the first operand). Returns 0 to go on, 1 when --help was printed (the verb exits 0), or a
 * negative value with *err set.
 */
int cella_cli_format_options(int argc, char **argv, const struct cella_cli_verb *verb,
			     enum cella_cli_format *format, const char **socket_opt, cella_err_t *err);
/* Fails when positional arguments remain after the options. */
int cella_cli_no_arguments(cella_err_t *err, const char *verb, int argc, char **argv);

#endif
