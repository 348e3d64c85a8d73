// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella delete NAME...`: remove stopped instances (--force stops them first). */
#include "client.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char delete_help[] =
	"NAME\n"
	"    cella delete - delete instances\n"
	"\n"
	"SYNOPSIS\n"
	"    cella delete [--force] NAME...\n"
	"\n"
	"DESCRIPTION\n"
	"    Deletes stopped instances with their writable layer. A running\n"
	"    instance is refused unless --force, which kills it first.\n"
	"\n"
	"OPTIONS\n"
	"    -f, --force\n"
	"        Stop (SIGKILL) a running instance first.\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses or the operation fails, 2 on a usage error.\n";

enum { OPT_SOCKET = 256 };

static int delete_one(const char *socket_path, const char *name, bool force, cella_err_t *err)
{
	char path[256], state[300];
	int ret;

	if (!cella_client_name_ok(name))
		return cella_cli_usage_error(err, "delete", "invalid instance name '%s'", name);
	snprintf(path, sizeof(path), "/1.0/instances/%s", name);
	snprintf(state, sizeof(state), "%s/state", path);
	if (force) {
		json_t *inst = NULL;
		const char *status;

		if (cella_client_sync(socket_path, "GET", path, NULL, &inst, err) < 0)
			return -1;
		status = json_string_value(json_object_get(inst, "status"));
		if (status && strcmp(status, "Stopped") != 0) {
			json_t *body = json_pack("{s:s, s:b}", "action", "stop", "force", 1);
			ret = cella_client_async(socket_path, "PUT", state, body, NULL, err);
			json_decref(body);
			if (ret < 0) {
				json_decref(inst);
				return ret;
			}
		}
		json_decref(inst);
	}
	return cella_client_async(socket_path, "DELETE", path, NULL, NULL, err);
}

static int delete_run(int argc, char **argv, cella_err_t *err)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *socket_opt = NULL;
	bool force = false;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":fh", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			force = true;
			break;
		case OPT_SOCKET:
			socket_opt = optarg;
			break;
		case 'h':
			cella_cli_print_verb_help(&cella_cli_verb_delete, stdout);
			return CELLA_EXIT_OK;
		default:
			return cella_cli_option_error(err, "delete", c, argv);
		}
	}
	if (optind >= argc)
		return cella_cli_usage_error(err, "delete", "no instance named");
	for (int i = optind; i < argc; i++)
		if (delete_one(cella_client_socket(socket_opt), argv[i], force, err) < 0)
			return -1;
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_delete = {
	.name = "delete",
	.summary = "delete instances",
	.help = delete_help,
	.run = delete_run,
};
