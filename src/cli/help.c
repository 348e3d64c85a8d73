// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella help [VERB]`: the overview, or a verb's page. */
#include "cli.h"

#include <string.h>

static const char help_help[] = "NAME\n"
				"    cella help - show help for cella or one of its commands\n"
				"\n"
				"SYNOPSIS\n"
				"    cella help [COMMAND]\n"
				"\n"
				"DESCRIPTION\n"
				"    Without an argument, prints the overview of cella's commands and\n"
				"    global options (as 'cella --help'). With COMMAND, prints that\n"
				"    command's page (as 'cella COMMAND --help').\n"
				"\n"
				"OPTIONS\n"
				"    -h, --help\n"
				"        Show this page.\n"
				"\n"
				"EXIT STATUS\n"
				"    0 on success, 2 when COMMAND is not a cella command.\n";

static int help_run(int argc, char **argv, cella_err_t *err)
{
	const struct cella_cli_verb *verb;

	/* No getopt here: "help --help" is the only option, and "help check" must not be reordered. */
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		cella_cli_print_verb_help(&cella_cli_verb_help, stdout);
		return CELLA_EXIT_OK;
	}
	if (argc > 2)
		return cella_cli_usage_error(err, "help", "unexpected argument '%s'", argv[2]);
	if (argc < 2) {
		cella_cli_print_main_help(stdout);
		return CELLA_EXIT_OK;
	}
	if (argv[1][0] == '-')
		return cella_cli_usage_error(err, "help", "unknown option '%s'", argv[1]);
	verb = cella_cli_find_verb(argv[1]);
	if (verb == NULL)
		return cella_cli_usage_error(err, "help", "unknown command '%s'", argv[1]);
	cella_cli_print_verb_help(verb, stdout);
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_help = {
	.name = "help",
	.summary = "show help for cella or one of its commands",
	.help = help_help,
	.run = help_run,
};
