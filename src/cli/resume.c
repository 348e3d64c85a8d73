// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella resume`: thaw paused instances, through cellad. */
#include "client.h"

static const char resume_help[] =
	"NAME\n"
	"    cella resume - thaw paused instances\n"
	"\n"
	"SYNOPSIS\n"
	"    cella resume NAME...\n"
	"\n"
	"DESCRIPTION\n"
	"    Thaws instances frozen by cella pause.\n"
	"\n"
	"OPTIONS\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses or the operation fails, 2 on a usage error.\n";

static int resume_run(int argc, char **argv, cella_err_t *err)
{
	return cella_cli_state_verb(&cella_cli_verb_resume, "resume", argc, argv, err);
}

const struct cella_cli_verb cella_cli_verb_resume = {
	.name = "resume",
	.summary = "thaw paused instances",
	.help = resume_help,
	.run = resume_run,
};
