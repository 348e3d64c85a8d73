// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella snapshot create|list|restore|delete INSTANCE [SNAPSHOT]`: snapshots of a container's writable layer. */
#include "client.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char snapshot_help[] =
	"NAME\n"
	"    cella snapshot - snapshots of a container's writable layer\n"
	"\n"
	"SYNOPSIS\n"
	"    cella snapshot create INSTANCE SNAPSHOT\n"
	"    cella snapshot list [--format text|json] INSTANCE\n"
	"    cella snapshot restore INSTANCE SNAPSHOT\n"
	"    cella snapshot delete INSTANCE SNAPSHOT\n"
	"\n"
	"DESCRIPTION\n"
	"    create copies the container's writable (overlay upper) layer; a running\n"
	"    container is frozen for the copy. restore replaces the layer of a stopped\n"
	"    container with the snapshot's, in one atomic swap. Snapshot names are 1-63\n"
	"    of A-Z a-z 0-9 _ . -, not starting with '.' or '-'.\n"
	"\n"
	"OPTIONS\n"
	"    --format text|json\n"
	"        list: a table (default) or the JSON objects.\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses or the operation fails, 2 on a usage error.\n";

enum { OPT_SOCKET = 256, OPT_FORMAT };

static int list(const char *socket_path, const char *instance, enum cella_cli_format format, cella_err_t *err)
{
	char path[300];
	json_t *snaps = NULL, *s;
	size_t i;

	snprintf(path, sizeof(path), "/1.0/instances/%s/snapshots?recursion=1", instance);
	if (cella_client_sync(socket_path, "GET", path, NULL, &snaps, err) < 0)
		return -1;
	if (format == CELLA_CLI_FORMAT_JSON) {
		json_dumpf(snaps, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("%-32s %s\n", "NAME", "CREATED");
		json_array_foreach (snaps, i, s) {
			printf("%-32s %s\n", json_string_value(json_object_get(s, "name")) ?: "?",
			       json_string_value(json_object_get(s, "created_at")) ?: "?");
		}
	}
	json_decref(snaps);
	return CELLA_EXIT_OK;
}

static int action(const char *socket_path, const char *cmd, const char *instance, const char *snap,
		  cella_err_t *err)
{
	char path[300];
	json_t *body = NULL;
	const char *method;
	int ret;

	if (!cella_client_name_ok(snap))
		return cella_cli_usage_error(err, "snapshot", "invalid snapshot name '%s'", snap);
	if (strcmp(cmd, "create") == 0) {
		method = "POST";
		snprintf(path, sizeof(path), "/1.0/instances/%s/snapshots", instance);
		body = json_pack("{s:s}", "name", snap);
	} else if (strcmp(cmd, "restore") == 0) {
		method = "PUT";
		snprintf(path, sizeof(path), "/1.0/instances/%s", instance);
		body = json_pack("{s:s}", "restore", snap);
	} else {
		method = "DELETE";
		snprintf(path, sizeof(path), "/1.0/instances/%s/snapshots/%s", instance, snap);
	}
	if (strcmp(cmd, "create") == 0) {
		struct cella_progress progress;

		cella_client_progress_init(&progress, "Creating snapshot");
		ret = cella_client_async_progress(socket_path, method, path, body, NULL, &progress, err);
	} else {
		ret = cella_client_async(socket_path, method, path, body, NULL, err);
	}
	json_decref(body);
	return ret < 0 ? ret : CELLA_EXIT_OK;
}

static int snapshot_run(int argc, char **argv, cella_err_t *err)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, OPT_FORMAT},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum cella_cli_format format = CELLA_CLI_FORMAT_TEXT;
	const char *socket_opt = NULL, *cmd;
	int c, n;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_FORMAT:
			if (cella_cli_parse_format("snapshot", optarg, &format, err) < 0)
				return -1;
			break;
		case OPT_SOCKET:
			socket_opt = optarg;
			break;
		case 'h':
			cella_cli_print_verb_help(&cella_cli_verb_snapshot, stdout);
			return CELLA_EXIT_OK;
		default:
			return cella_cli_option_error(err, "snapshot", c, argv);
		}
	}
	if (optind >= argc)
		return cella_cli_usage_error(err, "snapshot", "expected create, list, restore or delete");
	cmd = argv[optind];
	n = argc - optind - 1;
	if (strcmp(cmd, "list") == 0) {
		if (n != 1)
			return cella_cli_usage_error(err, "snapshot", "list: expected one instance name");
	} else if (strcmp(cmd, "create") == 0 || strcmp(cmd, "restore") == 0 || strcmp(cmd, "delete") == 0) {
		if (n != 2)
			return cella_cli_usage_error(err, "snapshot", "%s: expected INSTANCE SNAPSHOT", cmd);
	} else {
		return cella_cli_usage_error(err, "snapshot",
					     "unknown subcommand '%s' (create, list, restore, delete)", cmd);
	}
	if (!cella_client_name_ok(argv[optind + 1]))
		return cella_cli_usage_error(err, "snapshot", "invalid instance name '%s'", argv[optind + 1]);
	if (n == 1)
		return list(cella_client_socket(socket_opt), argv[optind + 1], format, err);
	return action(cella_client_socket(socket_opt), cmd, argv[optind + 1], argv[optind + 2], err);
}

const struct cella_cli_verb cella_cli_verb_snapshot = {
	.name = "snapshot",
	.summary = "create, list, restore and delete container snapshots",
	.help = snapshot_help,
	.run = snapshot_run,
};
