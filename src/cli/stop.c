// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella stop`: stop instances, through cellad. */
#include "client.h"

static const char stop_help[] =
	"NAME\n"
	"    cella stop - stop instances\n"
	"\n"
	"SYNOPSIS\n"
	"    cella stop [--force] [--timeout SECONDS] NAME...\n"
	"\n"
	"DESCRIPTION\n"
	"    Stops running instances: the init gets SIGTERM, then, after\n"
	"    --timeout seconds (default 30), everything left gets SIGKILL.\n"
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

static int stop_run(int argc, char **argv, cella_err_t *err)
{
	return cella_cli_state_verb(&cella_cli_verb_stop, "stop", argc, argv, err);
}

const struct cella_cli_verb cella_cli_verb_stop = {
	.name = "stop",
	.summary = "stop instances",
	.help = stop_help,
	.run = stop_run,
};
