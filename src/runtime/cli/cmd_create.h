/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CLI_CMD_CREATE_H
#define CELLA_RUNTIME_CLI_CMD_CREATE_H

#include <stdbool.h>

#include "cli.h"
#include "core/container.h"

/* create's options, shared with run (detach non-NULL accepts --detach). Returns 0 or an exit status. */
int cli_parse_create_opts(struct cli *cli, const struct cli_verb *verb, int argc, char **argv,
			  struct cella_create_opts *o, bool *detach);

#endif
