// SPDX-License-Identifier: GPL-2.0-or-later
/* list [--format table|json] [-q]: every container under --root. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include <cella/cleanup.h>

#include "cli.h"
#include "core/container.h"

static int list(struct cli *cli, int argc, char **argv)
{
	cella_err_t err = NULL;
	bool json = false, quiet = false;
	json_t *all = NULL, *one;
	size_t i;
	int ret = cli_parse_format(cli, &cli_verb_list, argc, argv, &json, &quiet);

	if (ret != 0)
		return ret;
	if (optind != argc)
		return cli_usage_error(cli, &cli_verb_list, "unexpected argument '%s'", argv[optind]);
	if (cella_container_list(cli->root, &all, &err) < 0) {
		json_decref(all);
		return cli_fail(cli, &err);
	}
	if (json) {
		json_dumpf(all, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	} else {
		if (!quiet)
			printf("%-20s %-8s %-10s %-40s %-31s %s\n", "ID", "PID", "STATUS", "BUNDLE",
			       "CREATED", "OWNER");
		json_array_foreach (all, i, one) {
			const char *id = json_string_value(json_object_get(one, "id"));

			if (quiet)
				printf("%s\n", id);
			else
				printf("%-20s %-8lld %-10s %-40s %-31s %s\n", id,
				       (long long)json_integer_value(json_object_get(one, "pid")),
				       json_string_value(json_object_get(one, "status")),
				       json_string_value(json_object_get(one, "bundle")),
				       json_string_value(json_object_get(one, "created")),
				       json_string_value(json_object_get(one, "owner")));
		}
	}
	json_decref(all);
	return 0;
}

const struct cli_verb cli_verb_list = {"list", list, "list [--format table|json] [-q]"};
