// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella list`: the instances cellad manages. */
#include "client.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char list_help[] =
	"NAME\n"
	"    cella list - list instances\n"
	"\n"
	"SYNOPSIS\n"
	"    cella list [--format text|json]\n"
	"\n"
	"DESCRIPTION\n"
	"    Prints one line per instance: NAME, STATUS (Running, Stopped, Frozen,\n"
	"    Creating), TYPE and the first 12 digits of its image's fingerprint;\n"
	"    with --format json, cellad's instance objects.\n"
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
	"    0 on success, 1 when cellad cannot be reached, 2 on a usage error.\n";

static int list_run(int argc, char **argv, cella_err_t *err)
{
	enum cella_cli_format format = CELLA_CLI_FORMAT_TEXT;
	const char *socket_opt = NULL;
	json_t *list = NULL, *inst;
	size_t i;
	int c;

	c = cella_cli_format_options(argc, argv, &cella_cli_verb_list, &format, &socket_opt, err);
	if (c != 0)
		return c < 0 ? -1 : CELLA_EXIT_OK;
	if (cella_cli_no_arguments(err, "list", argc, argv) < 0)
		return -1;
	if (cella_client_sync(cella_client_socket(socket_opt), "GET", "/1.0/instances?recursion=1", NULL,
			      &list, err) < 0)
		return -1;
	if (format == CELLA_CLI_FORMAT_JSON) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
	} else {
		printf("%-24s %-9s %-10s %s\n", "NAME", "STATUS", "TYPE", "IMAGE");
		json_array_foreach (list, i, inst) {
			const char *image = json_string_value(json_object_get(inst, "image"));

			printf("%-24s %-9s %-10s %.12s\n", json_string_value(json_object_get(inst, "name")),
			       json_string_value(json_object_get(inst, "status")),
			       json_string_value(json_object_get(inst, "type")), image ? image : "-");
		}
	}
	json_decref(list);
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_list = {
	.name = "list",
	.summary = "list instances",
	.help = list_help,
	.run = list_run,
};
