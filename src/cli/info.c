// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella info NAME`: one instance's state, resources and snapshots, as `incus info`. */
#include "client.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char info_help[] =
	"NAME\n"
	"    cella info - show an instance's state, resources and snapshots\n"
	"\n"
	"SYNOPSIS\n"
	"    cella info [--format text|json] INSTANCE\n"
	"\n"
	"DESCRIPTION\n"
	"    Prints the instance's name, type, status, image, creation time, last\n"
	"    error and configuration; while it runs (or is frozen) its resources:\n"
	"    CPU time used, memory in use and the number of processes; and its\n"
	"    snapshots (containers only) with their creation times.\n"
	"    With --format json, one object {\"instance\", \"state\", \"snapshots\"}\n"
	"    holding cellad's objects.\n"
	"\n"
	"OPTIONS\n"
	"    -f, --format text|json\n"
	"        Output format (default: text).\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses (e.g. no such instance), 2 on a usage error.\n";

static const char *str(json_t *obj, const char *key, const char *fallback)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && s[0] ? s : fallback;
}

static void print_resources(json_t *stats)
{
	json_t *cpu = json_object_get(json_object_get(json_object_get(stats, "cpu"), "usage"), "total");
	json_t *mem = json_object_get(json_object_get(json_object_get(stats, "memory"), "usage"), "usage");
	json_t *pids = json_object_get(json_object_get(stats, "pids"), "current");
	char size[32];

	if (!json_is_object(stats))
		return;
	puts("Resources:");
	if (json_is_integer(pids))
		printf("  Processes: %lld\n", (long long)json_integer_value(pids));
	if (json_is_integer(cpu))
		printf("  CPU usage: %.2f seconds\n", (double)json_integer_value(cpu) / 1e9);
	if (json_is_integer(mem)) {
		cella_format_bytes(size, sizeof(size), (unsigned long long)json_integer_value(mem));
		printf("  Memory usage: %s\n", size);
	}
}

static void print_text(json_t *inst, json_t *state, json_t *snaps)
{
	json_t *config = json_object_get(inst, "config"), *v, *s;
	const char *key;
	size_t i;

	printf("Name: %s\n", str(inst, "name", "?"));
	printf("Type: %s\n", str(inst, "type", "?"));
	printf("Status: %s\n", str(inst, "status", "?"));
	printf("Image: %.12s\n", str(inst, "image", "-"));
	printf("Created: %s\n", str(inst, "created_at", "?"));
	if (str(inst, "last_error", NULL))
		printf("Last error: %s\n", str(inst, "last_error", ""));
	if (json_object_size(config)) {
		puts("Config:");
		json_object_foreach (config, key, v) {
			char *text = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);

			printf("  %s: %s\n", key, text ? text : json_string_value(v));
			free(text);
		}
	}
	print_resources(json_object_get(state, "stats"));
	if (json_is_array(snaps)) {
		printf("Snapshots:%s\n", json_array_size(snaps) ? "" : " none");
		json_array_foreach (snaps, i, s) {
			printf("  %s (created %s)\n", str(s, "name", "?"), str(s, "created_at", "?"));
		}
	}
}

static int info_run(int argc, char **argv, cella_err_t *err)
{
	enum cella_cli_format format = CELLA_CLI_FORMAT_TEXT;
	const char *socket_opt = NULL, *name, *sock;
	json_t *inst = NULL, *state = NULL, *snaps = NULL;
	char path[320];
	int c;

	c = cella_cli_format_options(argc, argv, &cella_cli_verb_info, &format, &socket_opt, err);
	if (c != 0)
		return c < 0 ? -1 : CELLA_EXIT_OK;
	if (argc - optind != 1)
		return cella_cli_usage_error(err, "info", "expected one INSTANCE");
	name = argv[optind];
	if (!cella_client_name_ok(name))
		return cella_cli_usage_error(err, "info", "invalid instance name '%s'", name);
	sock = cella_client_socket(socket_opt);
	snprintf(path, sizeof(path), "/1.0/instances/%s", name);
	if (cella_client_sync(sock, "GET", path, NULL, &inst, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/1.0/instances/%s/state", name);
	if (cella_client_sync(sock, "GET", path, NULL, &state, err) < 0) {
		json_decref(inst);
		return -1;
	}
	/* VMs have no snapshots yet: cellad refuses the list for them. */
	if (strcmp(str(inst, "type", ""), "container") == 0) {
		snprintf(path, sizeof(path), "/1.0/instances/%s/snapshots?recursion=1", name);
		if (cella_client_sync(sock, "GET", path, NULL, &snaps, err) < 0) {
			json_decref(inst);
			json_decref(state);
			return -1;
		}
	}
	if (format == CELLA_CLI_FORMAT_JSON) {
		json_t *all =
			json_pack("{s:O, s:O, s:O}", "instance", inst, "state", state ? state : json_null(),
				  "snapshots", snaps ? snaps : json_null());

		json_dumpf(all, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(all);
	} else {
		print_text(inst, state, snaps);
	}
	json_decref(inst);
	json_decref(state);
	json_decref(snaps);
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_info = {
	.name = "info",
	.summary = "show an instance's state, resources and snapshots",
	.help = info_help,
	.run = info_run,
};
