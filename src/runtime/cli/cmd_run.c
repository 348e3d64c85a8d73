// SPDX-License-Identifier: GPL-2.0-or-later
/* run [--detach] <id>: create + start; in the foreground, wait (forwarding signals), delete, exit with its status. */
#include "cli.h"
#include "cmd_create.h"
#include "core/container.h"

static int run(struct cli *cli, int argc, char **argv)
{
	struct cella_create_opts o = {0};
	cella_err_t err = NULL;
	bool detach = false;
	pid_t pid;
	int ret, status;

	ret = cli_parse_create_opts(cli, &cli_verb_run, argc, argv, &o, &detach);
	if (ret != 0)
		return ret;
	ret = cli_seal_self(cli);
	if (ret != 0)
		return ret;
	if (cella_container_create(&o, &pid, &err) < 0)
		return cli_fail(cli, &err);
	if (cella_container_start(o.root, o.id, &err) < 0) {
		ret = cli_fail(cli, &err);
		if (cella_container_delete(o.root, o.id, true, &err) < 0)
			cli_fail(cli, &err);
		return ret;
	}
	if (detach)
		return 0;
	/* The init is our child: its status is the container's. */
	status = cli_wait_forwarding(pid);
	if (cella_container_delete(o.root, o.id, true, &err) < 0)
		cli_fail(cli, &err);
	return status;
}

const struct cli_verb cli_verb_run = {
	"run",
	run,
	"run [--detach] [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] [--no-pivot] "
	"[--no-new-keyring] <id>",
};
