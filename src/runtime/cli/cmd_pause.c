// SPDX-License-Identifier: GPL-2.0-or-later
/* pause <id> and resume <id>: the cgroup freezer (one file: the two halves of one operation). */
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "core/container.h"

static int pause_or_resume(struct cli *cli, const struct cli_verb *verb, int argc, char **argv, bool pause)
{
	cella_err_t err = NULL;
	const char *id = NULL;
	int ret = cli_want_only_id(cli, verb, argc, argv, &id);

	if (ret != 0)
		return ret;
	return cella_container_pause(cli->root, id, pause, &err) < 0 ? cli_fail(cli, &err) : 0;
}

static int do_pause(struct cli *cli, int argc, char **argv)
{
	return pause_or_resume(cli, &cli_verb_pause, argc, argv, true);
}

static int do_resume(struct cli *cli, int argc, char **argv)
{
	return pause_or_resume(cli, &cli_verb_resume, argc, argv, false);
}

const struct cli_verb cli_verb_pause = {"pause", do_pause, "pause <id>"};
const struct cli_verb cli_verb_resume = {"resume", do_resume, "resume <id>"};
