// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `cella exec NAME -- CMD...`: runs a command in a running container and exits with its status. On a
 * terminal (or -t) the command gets one too and this one is attached to it (exec_tty.c); otherwise (or
 * -T) cellad records its output and it is printed afterwards.
 */
#include "client.h"
#include "exec_tty.h"

#include <getopt.h>
#include <stdbool.h>
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
	"    cella exec [-t|-T] [--env NAME=VALUE]... NAME -- COMMAND [ARG...]\n"
	"\n"
	"DESCRIPTION\n"
	"    Runs COMMAND inside the container NAME (its namespaces and cgroup) and\n"
	"    exits with its exit status.\n"
	"\n"
	"    When stdin and stdout are both terminals (or with -t) the command is\n"
	"    interactive, as with `incus exec`: it runs on a terminal of its own in\n"
	"    the container, this terminal is put in raw mode (every key, Ctrl-C\n"
	"    included, goes to the command) and restored when cella exits, input\n"
	"    and output are relayed as they come, and the window size follows\n"
	"    this terminal's; TERM is passed on unless --env sets it. Closing\n"
	"    the connection hangs the command up. When stdin is no terminal, its\n"
	"    end is sent as the command's end of file (^D).\n"
	"\n"
	"    Otherwise (or with -T) the command has no terminal and no input\n"
	"    (/dev/null): cellad records what it writes to stdout and stderr, and\n"
	"    cella prints both once it has ended.\n"
	"\n"
	"OPTIONS\n"
	"    -t, --force-interactive\n"
	"        Interactive even when stdin or stdout is not a terminal (the\n"
	"        local terminal, if any, is still put in raw mode).\n"
	"    -T, --force-noninteractive\n"
	"        Recorded output, no terminal, even from a terminal.\n"
	"    --env NAME=VALUE\n"
	"        Adds a variable to the command's environment (repeatable).\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    The command's exit status (128+N when signal N killed it, 129 when it\n"
	"    was hung up); 1 when cellad refuses or the exec fails, 2 on a usage\n"
	"    error.\n"
	"\n"
	"EXAMPLES\n"
	"    cella exec web -- sh\n"
	"        A shell in web.\n"
	"    cella exec -T web -- cat /etc/os-release > os-release\n"
	"        Output to a file, no terminal involved.\n";

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
		{"force-interactive", no_argument, NULL, 't'},
		{"force-noninteractive", no_argument, NULL, 'T'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool force_tty = false, force_notty = false;
	const char *socket_opt = NULL, *socket, *name;
	json_t *env = json_object(), *cmd, *body, *op = NULL, *meta, *output;
	char path[512];
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:htT", longopts, NULL)) != -1) {
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
		case 't':
			force_tty = true;
			break;
		case 'T':
			force_notty = true;
			break;
		case 'h':
			json_decref(env);
			cella_cli_print_verb_help(&cella_cli_verb_exec, stdout);
			return CELLA_EXIT_OK;
		default:
			json_decref(env);
			return cella_cli_option_error(err, "exec", c, argv);
		}
	}
	if (force_tty && force_notty) {
		json_decref(env);
		return cella_cli_usage_error(err, "exec", "-t and -T: choose one");
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
	socket = cella_client_socket(socket_opt);
	if (force_tty || (!force_notty && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))) {
		ret = cella_cli_exec_tty(socket, name, cmd, env, err);
		json_decref(cmd);
		json_decref(env);
		return ret;
	}
	body = json_pack("{s:o, s:o, s:b, s:b}", "command", cmd, "environment", env, "wait-for-websocket", 0,
			 "record-output", 1);
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
