// SPDX-License-Identifier: GPL-2.0-or-later
/* ps [--format table|json] <id>: the container's processes (json: an array of pids). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include <cella/cleanup.h>

#include "cli.h"
#include "core/container.h"

static void print_cmdline(pid_t pid)
{
	char path[64], buf[256];
	_cleanup_fclose_ FILE *f = NULL;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	f = fopen(path, "re");
	n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	for (size_t i = 0; i + 1 < n; i++)
		if (buf[i] == '\0')
			buf[i] = ' ';
	buf[n] = '\0';
	printf("%-8d %s\n", (int)pid, buf);
}

static int ps(struct cli *cli, int argc, char **argv)
{
	cella_err_t err = NULL;
	_cleanup_free_ pid_t *pids = NULL;
	bool json = false;
	const char *id;
	size_t n;
	int ret = cli_parse_format(cli, &cli_verb_ps, argc, argv, &json, NULL);

	if (ret != 0)
		return ret;
	if (optind >= argc)
		return cli_usage_error(cli, &cli_verb_ps, "missing container id");
	id = argv[optind]; /* runc passes further arguments to ps(1); we print our own table */
	if (cella_container_pids(cli->root, id, &pids, &n, &err) < 0)
		return cli_fail(cli, &err);
	if (json) {
		json_t *arr = json_array();

		for (size_t i = 0; i < n; i++)
			json_array_append_new(arr, json_integer(pids[i]));
		json_dumpf(arr, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(arr);
		return 0;
	}
	printf("%-8s %s\n", "PID", "CMD");
	for (size_t i = 0; i < n; i++)
		print_cmdline(pids[i]);
	return 0;
}

const struct cli_verb cli_verb_ps = {"ps", ps, "ps [--format table|json] <id>"};
