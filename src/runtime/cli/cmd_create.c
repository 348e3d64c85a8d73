// SPDX-License-Identifier: GPL-2.0-or-later
/* create <id> --bundle DIR [--pid-file F] [--console-socket S] [--preserve-fds N] [--no-pivot] [--no-new-keyring] */
#include <getopt.h>
#include <stdlib.h>

#include "cli.h"
#include "cmd_create.h"
#include "core/container.h"

enum { OPT_PID_FILE = 256, OPT_CONSOLE, OPT_PRESERVE, OPT_NO_PIVOT, OPT_NO_KEYRING };

int cli_parse_create_opts(struct cli *cli, const struct cli_verb *verb, int argc, char **argv,
			  struct cella_create_opts *o, bool *detach)
{
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"pid-file", required_argument, NULL, OPT_PID_FILE},
		{"console-socket", required_argument, NULL, OPT_CONSOLE},
		{"preserve-fds", required_argument, NULL, OPT_PRESERVE},
		{"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
		{"no-new-keyring", no_argument, NULL, OPT_NO_KEYRING},
		{"detach", no_argument, NULL, 'd'},
		{"keep", no_argument, NULL, 'k'},
		{"no-subreaper", no_argument, NULL, 'S'},
		{0},
	};
	cella_err_t err = NULL;
	long n;
	int c;

	o->root = cli->root;
	o->bundle = ".";
	while ((c = getopt_long(argc, argv, "b:d", opts, NULL)) != -1) {
		switch (c) {
		case 'b':
			o->bundle = optarg;
			break;
		case OPT_PID_FILE:
			o->pid_file = optarg;
			break;
		case OPT_CONSOLE:
			o->console_socket = optarg;
			break;
		case OPT_PRESERVE:
			if (cli_parse_long("--preserve-fds", optarg, 0, 4096, &n, &err) < 0)
				return cli_fail(cli, &err);
			o->preserve_fds = (int)n;
			break;
		case OPT_NO_PIVOT:
			o->no_pivot = true;
			break;
		case OPT_NO_KEYRING:
			o->no_new_keyring = true;
			break;
		case 'd':
			if (detach == NULL)
				return cli_usage_error(cli, verb, "unknown option '%s'", argv[optind - 1]);
			*detach = true;
			break;
		case 'k':
		case 'S':
			break; /* run --keep / --no-subreaper: accepted */
		default:
			return cli_usage_error(cli, verb, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return cli_want_id(cli, verb, argc, argv, &o->id);
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct cella_create_opts o = {0};
	cella_err_t err = NULL;
	int ret;

	ret = cli_parse_create_opts(cli, &cli_verb_create, argc, argv, &o, NULL);
	if (ret != 0)
		return ret;
	ret = cli_seal_self(cli);
	if (ret != 0)
		return ret;
	if (cella_container_create(&o, NULL, &err) < 0)
		return cli_fail(cli, &err);
	return 0;
}

const struct cli_verb cli_verb_create = {
	"create",
	run,
	"create [--bundle DIR] [--pid-file F] [--console-socket S] [--preserve-fds N] [--no-pivot] "
	"[--no-new-keyring] <id>",
};
