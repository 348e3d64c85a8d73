// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella restart`: restart instances, through cellad. */
#include "client.h"

static const char restart_help[] =
	"NAME\n"
	"    cella restart - restart instances\n"
	"\n"
	"SYNOPSIS\n"
	"    cella restart [--force] [--timeout SECONDS] NAME...\n"
	"\n"
	"DESCRIPTION\n"
	"    Stops (as cella stop) and starts instances again.\n"
	"\n"
	"OPTIONS\n"
	"    -f, --force\n"
	"        SIGKILL at once, without asking the init to stop.\n"
	"    --timeout SECONDS\n"
	"        How long the init has to stop after SIGTERM (-1: an hour).\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses or the operation fails, 2 on a usage error.\n";

static int restart_run(int argc, char **argv, cella_err_t *err)
{
	return cella_cli_state_verb(&cella_cli_verb_restart, "restart", argc, argv, err);
}

const struct cella_cli_verb cella_cli_verb_restart = {
	.name = "restart",
	.summary = "restart instances",
	.help = restart_help,
	.run = restart_run,
};
