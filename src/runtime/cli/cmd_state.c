// SPDX-License-Identifier: GPL-2.0-or-later
/* state <id>: runc's state JSON. */
#include <jansson.h>
#include <stdio.h>

#include "cli.h"
#include "core/container.h"

static int state(struct cli *cli, int argc, char **argv)
{
	cella_err_t err = NULL;
	json_t *doc = NULL;
	const char *id = NULL;
	int ret = cli_want_only_id(cli, &cli_verb_state, argc, argv, &id);

	if (ret != 0)
		return ret;
	if (cella_container_state(cli->root, id, &doc, &err) < 0)
		return cli_fail(cli, &err);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(doc);
	return 0;
}

const struct cli_verb cli_verb_state = {"state", state, "state <id>"};
