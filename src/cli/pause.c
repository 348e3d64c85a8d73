// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella pause`: freeze instances, through cellad. */
#include "client.h"

static const char pause_help[] =
	"NAME\n"
	"    cella pause - freeze instances\n"
	"\n"
	"SYNOPSIS\n"
	"    cella pause NAME...\n"
	"\n"
	"DESCRIPTION\n"
	"    Freezes every process of running instances (cgroup freezer).\n"
	"\n"
	"OPTIONS\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses or the operation fails, 2 on a usage error.\n";

static int pause_run(int argc, char **argv, cella_err_t *err)
{
	return cella_cli_state_verb(&cella_cli_verb_pause, "pause", argc, argv, err);
}

const struct cella_cli_verb cella_cli_verb_pause = {
	.name = "pause",
	.summary = "freeze instances",
	.help = pause_help,
	.run = pause_run,
};
