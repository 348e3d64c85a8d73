// SPDX-License-Identifier: GPL-2.0-or-later
/* delete [--force] <id> */
#include <getopt.h>

#include "cli.h"
#include "core/container.h"

static int run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'}, {0}};
	cella_err_t err = NULL;
	bool force = false;
	const char *id;
	int c, ret;

	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		if (c != 'f')
			return cli_usage_error(cli, &cli_verb_delete, "unknown option '%s'",
					       argv[optind - 1]);
		force = true;
	}
	ret = cli_want_id(cli, &cli_verb_delete, argc, argv, &id);
	if (ret != 0)
		return ret;
	return cella_container_delete(cli->root, id, force, &err) < 0 ? cli_fail(cli, &err) : 0;
}

const struct cli_verb cli_verb_delete = {"delete", run, "delete [--force] <id>"};
