// SPDX-License-Identifier: GPL-2.0-or-later
/* start <id>: lets the init exec the user process, then runs poststart hooks. */
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "core/container.h"

static int start(struct cli *cli, int argc, char **argv)
{
	cella_err_t err = NULL;
	const char *id = NULL;
	int ret = cli_want_only_id(cli, &cli_verb_start, argc, argv, &id);

	if (ret != 0)
		return ret;
	return cella_container_start(cli->root, id, &err) < 0 ? cli_fail(cli, &err) : 0;
}

const struct cli_verb cli_verb_start = {"start", start, "start <id>"};
