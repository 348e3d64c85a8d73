// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella logs NAME [FILE]`: an instance's console log and its other log files. */
#include "client.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

static const char logs_help[] =
	"NAME\n"
	"    cella logs - show an instance's console log or one of its log files\n"
	"\n"
	"SYNOPSIS\n"
	"    cella logs INSTANCE [FILE]\n"
	"    cella logs --list INSTANCE\n"
	"\n"
	"DESCRIPTION\n"
	"    Without FILE, prints the instance's console log: a container's init\n"
	"    output, a VM's serial console. With FILE, prints that log file, one\n"
	"    of those --list names: console.log, vmm.log (VMs) and the output of\n"
	"    'cella exec' (exec_ID.stdout, exec_ID.stderr). cellad serves the last\n"
	"    MiB of each file.\n"
	"\n"
	"OPTIONS\n"
	"    -l, --list\n"
	"        List the instance's log files instead, one name per line.\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses (no such instance or file), 2 on a usage error.\n";

enum { OPT_SOCKET = 256 };

/* Log file names cellad serves: [a-z0-9._-], not starting with '.'. */
static bool log_name_ok(const char *name)
{
	size_t len = strlen(name);

	return len > 0 && len <= 128 && name[0] != '.' &&
	       strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789._-") == len;
}

static int list_logs(const char *sock, const char *name, cella_err_t *err)
{
	json_t *urls = NULL, *u;
	char path[300];
	size_t i;

	snprintf(path, sizeof(path), "/1.0/instances/%s/logs", name);
	if (cella_client_sync(sock, "GET", path, NULL, &urls, err) < 0)
		return -1;
	json_array_foreach (urls, i, u) {
		const char *url = json_string_value(u), *slash = url ? strrchr(url, '/') : NULL;

		if (slash)
			puts(slash + 1);
	}
	json_decref(urls);
	return CELLA_EXIT_OK;
}

static int logs_run(int argc, char **argv, cella_err_t *err)
{
	static const struct option longopts[] = {
		{"list", no_argument, NULL, 'l'},
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *socket_opt = NULL, *name, *file;
	_cleanup_free_ char *text = NULL;
	bool list = false;
	char path[512];
	size_t len = 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":lh", longopts, NULL)) != -1) {
		switch (c) {
		case 'l':
			list = true;
			break;
		case OPT_SOCKET:
			socket_opt = optarg;
			break;
		case 'h':
			cella_cli_print_verb_help(&cella_cli_verb_logs, stdout);
			return CELLA_EXIT_OK;
		default:
			return cella_cli_option_error(err, "logs", c, argv);
		}
	}
	if (argc - optind < 1 || argc - optind > (list ? 1 : 2))
		return cella_cli_usage_error(
			err, "logs", list ? "--list: expected one INSTANCE" : "expected INSTANCE [FILE]");
	name = argv[optind];
	file = argc - optind == 2 ? argv[optind + 1] : NULL;
	if (!cella_client_name_ok(name))
		return cella_cli_usage_error(err, "logs", "invalid instance name '%s'", name);
	if (file && !log_name_ok(file))
		return cella_cli_usage_error(
			err, "logs", "invalid log file name '%s' (a name from 'cella logs --list %s')", file,
			name);
	if (list)
		return list_logs(cella_client_socket(socket_opt), name, err);
	if (file)
		snprintf(path, sizeof(path), "/1.0/instances/%s/logs/%s", name, file);
	else
		snprintf(path, sizeof(path), "/1.0/instances/%s/console", name);
	if (cella_client_get_text(cella_client_socket(socket_opt), path, &text, &len, err) < 0)
		return -1;
	fwrite(text, 1, len, stdout);
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_logs = {
	.name = "logs",
	.summary = "show an instance's console log or its log files",
	.help = logs_help,
	.run = logs_run,
};
