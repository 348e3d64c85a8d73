// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella exec NAME -- CMD...`: runs a command in a running container, prints its output, exits with its status. */
#include "client.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

static const char exec_help[] =
	"NAME\n"
	"    cella exec - run a command in a running container\n"
	"\n"
	"SYNOPSIS\n"
	"    cella exec [--env NAME=VALUE]... NAME -- COMMAND [ARG...]\n"
	"\n"
	"DESCRIPTION\n"
	"    Runs COMMAND inside the container NAME (its namespaces and cgroup),\n"
	"    waits for it, prints what it wrote to stdout and stderr (recorded by\n"
	"    cellad) and exits with its exit status. No terminal, no input.\n"
	"\n"
	"OPTIONS\n"
	"    --env NAME=VALUE\n"
	"        Adds a variable to the command's environment (repeatable).\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    The command's exit status; 1 when cellad refuses or the exec fails, 2 on a usage error.\n";

enum { OPT_SOCKET = 256, OPT_ENV };

/* Copies a recorded output log (its URL from the operation) to out. */
static int copy_log(const char *socket, json_t *url, FILE *out, cella_err_t *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;

	if (!json_is_string(url))
		return 0;
	if (cella_client_get_text(socket, json_string_value(url), &text, &len, err) < 0)
		return -1;
	fwrite(text, 1, len, out);
	fflush(out);
	return 0;
}

static int exec_run(int argc, char **argv, cella_err_t *err)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"env", required_argument, NULL, OPT_ENV},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *socket_opt = NULL, *socket, *name;
	json_t *env = json_object(), *cmd, *body, *op = NULL, *meta, *output;
	char path[512];
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			socket_opt = optarg;
			break;
		case OPT_ENV: {
			const char *eq = strchr(optarg, '=');

			if (eq == NULL || eq == optarg) {
				json_decref(env);
				return cella_cli_usage_error(err, "exec",
							     "--env: expected NAME=VALUE, got '%s'", optarg);
			}
			json_object_set_new(env, strndupa(optarg, (size_t)(eq - optarg)),
					    json_string(eq + 1));
			break;
		}
		case 'h':
			json_decref(env);
			cella_cli_print_verb_help(&cella_cli_verb_exec, stdout);
			return CELLA_EXIT_OK;
		default:
			json_decref(env);
			return cella_cli_option_error(err, "exec", c, argv);
		}
	}
	if (optind >= argc || !cella_client_name_ok(argv[optind])) {
		json_decref(env);
		return cella_cli_usage_error(err, "exec", "expected an instance NAME, then -- COMMAND");
	}
	name = argv[optind++];
	if (optind < argc && strcmp(argv[optind], "--") == 0)
		optind++;
	if (optind >= argc) {
		json_decref(env);
		return cella_cli_usage_error(err, "exec", "expected a COMMAND after the instance name");
	}
	cmd = json_array();
	for (int i = optind; i < argc; i++)
		json_array_append_new(cmd, json_string(argv[i]));
	body = json_pack("{s:o, s:o, s:b, s:b}", "command", cmd, "environment", env, "wait-for-websocket", 0,
			 "record-output", 1);
	socket = cella_client_socket(socket_opt);
	snprintf(path, sizeof(path), "/1.0/instances/%s/exec", name);
	ret = cella_client_async(socket, "POST", path, body, &op, err);
	json_decref(body);
	if (ret < 0)
		return -1;
	meta = json_object_get(op, "metadata");
	output = json_object_get(meta, "output");
	if (copy_log(socket, json_object_get(output, "1"), stdout, err) < 0 ||
	    copy_log(socket, json_object_get(output, "2"), stderr, err) < 0) {
		json_decref(op);
		return -1;
	}
	ret = (int)json_integer_value(json_object_get(meta, "return"));
	json_decref(op);
	return ret;
}

const struct cella_cli_verb cella_cli_verb_exec = {
	.name = "exec",
	.summary = "run a command in a running container",
	.help = exec_help,
	.run = exec_run,
};
