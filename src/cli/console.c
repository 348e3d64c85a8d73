// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella console NAME --show-log`: prints an instance's console log (container init output, VM serial port). */
#include "client.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

static const char console_help[] =
	"NAME\n"
	"    cella console - show an instance's console log\n"
	"\n"
	"SYNOPSIS\n"
	"    cella console NAME --show-log\n"
	"\n"
	"DESCRIPTION\n"
	"    Prints the console log: what a container's init wrote to stdout and\n"
	"    stderr, or a VM's serial port (COM1); the last MiB at most. An\n"
	"    interactive console is not supported yet, so --show-log is required.\n"
	"\n"
	"OPTIONS\n"
	"    --show-log\n"
	"        Print the console log and exit.\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad refuses, 2 on a usage error.\n";

enum { OPT_SOCKET = 256, OPT_SHOW_LOG };

static int console_run(int argc, char **argv, cella_err_t *err)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"show-log", no_argument, NULL, OPT_SHOW_LOG},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *socket_opt = NULL;
	_cleanup_free_ char *text = NULL;
	bool show_log = false;
	char path[512];
	size_t len = 0;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			socket_opt = optarg;
			break;
		case OPT_SHOW_LOG:
			show_log = true;
			break;
		case 'h':
			cella_cli_print_verb_help(&cella_cli_verb_console, stdout);
			return CELLA_EXIT_OK;
		default:
			return cella_cli_option_error(err, "console", c, argv);
		}
	}
	if (optind + 1 != argc || !cella_client_name_ok(argv[optind]))
		return cella_cli_usage_error(err, "console", "expected one instance NAME");
	if (!show_log)
		return cella_cli_usage_error(err, "console",
					     "an interactive console is not supported yet: use --show-log");
	snprintf(path, sizeof(path), "/1.0/instances/%s/console", argv[optind]);
	if (cella_client_get_text(cella_client_socket(socket_opt), path, &text, &len, err) < 0)
		return -1;
	fwrite(text, 1, len, stdout);
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_console = {
	.name = "console",
	.summary = "show an instance's console log",
	.help = console_help,
	.run = console_run,
};
