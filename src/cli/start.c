// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella start`: start instances, through cellad. */
#include "client.h"

static const char start_help[] =
	"NAME\n"
	"    cella start - start instances\n"
	"\n"
	"SYNOPSIS\n"
	"    cella start NAME...\n"
	"\n"
	"DESCRIPTION\n"
	"    Starts stopped instances; waits until each runs.\n"
	"\n"
	"OPTIONS\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses or the operation fails, 2 on a usage error.\n";

static int start_run(int argc, char **argv, cella_err_t *err)
{
	return cella_cli_state_verb(&cella_cli_verb_start, "start", argc, argv, err);
}

const struct cella_cli_verb cella_cli_verb_start = {
	.name = "start",
	.summary = "start instances",
	.help = start_help,
	.run = start_run,
};
