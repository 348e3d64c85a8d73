// SPDX-License-Identifier: GPL-2.0-or-later
/* Option-parsing helpers shared by the verbs, so every verb reports mistakes alike. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cella/xalloc.h>

int cella_cli_usage_error(cella_err_t *err, const char *verb, const char *fmt, ...)
{
	char *msg;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (verb)
		ret = cella_error_make(err, 0, "%s: %s (see 'cella %s --help')", verb, msg, verb);
	else
		ret = cella_error_make(err, 0, "%s (see 'cella --help')", msg);
	free(msg);
	cella_error_set_status(err ? *err : NULL, CELLA_EXIT_USAGE);
	return ret;
}

int cella_cli_parse_format(const char *verb, const char *value, enum cella_cli_format *out, cella_err_t *err)
{
	if (strcmp(value, "text") == 0) {
		*out = CELLA_CLI_FORMAT_TEXT;
		return 0;
	}
	if (strcmp(value, "json") == 0) {
		*out = CELLA_CLI_FORMAT_JSON;
		return 0;
	}
	return cella_cli_usage_error(
		err, verb, "invalid value '%s' for option '--format' (expected text or json)", value);
}

int cella_cli_option_error(cella_err_t *err, const char *verb, int c, char **argv)
{
	/* After getopt_long returns, argv[optind - 1] is the word it was looking at. */
	const char *word = optind > 0 ? argv[optind - 1] : "?";

	if (c == ':')
		return cella_cli_usage_error(err, verb, "option '%s' requires an argument", word);
	/* A known long option used wrongly ("--help=x") leaves optopt set to its short form. */
	if (strncmp(word, "--", 2) == 0)
		return cella_cli_usage_error(
			err, verb, optopt ? "invalid use of option '%s'" : "unknown option '%s'", word);
	if (optopt != 0)
		return cella_cli_usage_error(err, verb, "unknown option '-%c'", optopt);
	return cella_cli_usage_error(err, verb, "unknown option '%s'", word);
}

int cella_cli_no_arguments(cella_err_t *err, const char *verb, int argc, char **argv)
{
	if (optind < argc)
		return cella_cli_usage_error(err, verb, "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cella_cli_format_options(int argc, char **argv, const struct cella_cli_verb *verb,
			     enum cella_cli_format *format, const char **socket_opt, cella_err_t *err)
{
	enum { OPT_SOCKET = 256 };
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	int c;

	*format = CELLA_CLI_FORMAT_TEXT;
	*socket_opt = NULL;
	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (cella_cli_parse_format(verb->name, optarg, format, err) < 0)
				return -1;
			break;
		case OPT_SOCKET:
			*socket_opt = optarg;
			break;
		case 'h':
			cella_cli_print_verb_help(verb, stdout);
			return 1;
		default:
			return cella_cli_option_error(err, verb->name, c, argv);
		}
	}
	return 0;
}
