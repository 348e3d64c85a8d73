// SPDX-License-Identifier: GPL-2.0-or-later
/* kill [--all] <id> [SIGNAL]: SIGNAL as KILL, SIGKILL or 9; default SIGTERM. */
#include <getopt.h>
#include <signal.h>

#include "cli.h"
#include "core/container.h"
#include "core/ids.h"

static int run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{"all", no_argument, NULL, 'a'}, {0}};
	cella_err_t err = NULL;
	bool all = false;
	int c, sig = SIGTERM;

	while ((c = getopt_long(argc, argv, "a", opts, NULL)) != -1) {
		if (c != 'a')
			return cli_usage_error(cli, &cli_verb_kill, "unknown option '%s'", argv[optind - 1]);
		all = true;
	}
	if (optind >= argc)
		return cli_usage_error(cli, &cli_verb_kill, "missing container id");
	if (argc - optind > 2)
		return cli_usage_error(cli, &cli_verb_kill, "unexpected argument '%s'", argv[optind + 2]);
	if (argc - optind == 2 && (sig = cella_signal_parse(argv[optind + 1], &err)) < 0)
		return cli_fail(cli, &err);
	return cella_container_kill(cli->root, argv[optind], sig, all, &err) < 0 ? cli_fail(cli, &err) : 0;
}

const struct cli_verb cli_verb_kill = {"kill", run, "kill [--all] <id> [SIGNAL]"};
