// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella console NAME [--show-log]`: attaches to a VM's serial console, or prints an instance's console log. */
#include "client.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "stream_attach.h"

static const char console_help[] =
	"NAME\n"
	"    cella console - attach to an instance's console, or show its log\n"
	"\n"
	"SYNOPSIS\n"
	"    cella console NAME\n"
	"    cella console NAME --show-log\n"
	"\n"
	"DESCRIPTION\n"
	"    Without --show-log, attaches this terminal to a virtual machine's\n"
	"    serial console (COM1): what the guest writes appears here, what you\n"
	"    type goes to the guest, as on a serial line (output from before the\n"
	"    attach is in the log). Press Ctrl-a q to detach; the VM runs on. The\n"
	"    attach also ends when the VM stops. One client at a time: a second\n"
	"    one is told the console is in use. A container's console is its log:\n"
	"    use --show-log, or cella exec -t NAME -- sh for a shell.\n"
	"\n"
	"    With --show-log, prints the console log: what a container's init\n"
	"    wrote to stdout and stderr, or a VM's serial port; the last MiB at most.\n"
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
	"    0 on success (detached, or the VM stopped), 1 when cellad refuses, 2 on a\n"
	"    usage error.\n";

/* POST .../console, then the stream until Ctrl-a q or the VM's end. */
static int attach(const char *socket, const char *name, cella_err_t *err)
{
	json_t *reply = NULL, *op = NULL;
	char path[512];
	int status, ret;

	snprintf(path, sizeof(path), "/1.0/instances/%s/console", name);
	if (cella_client_request(socket, "POST", path, NULL, "{\"type\":\"console\"}", NULL, NULL, &status,
				 &reply, err) < 0)
		return -1;
	if (status != 202) {
		ret = cella_error_make(
			err, 0, "%s", json_string_value(json_object_get(reply, "error")) ?: "cellad refused");
		json_decref(reply);
		return ret;
	}
	if (isatty(STDIN_FILENO))
		fprintf(stderr, "To detach from the console, press: <ctrl>+a q\r\n");
	ret = cella_cli_stream_attach(socket, reply, true, &op, err);
	json_decref(reply);
	json_decref(op);
	return ret < 0 ? -1 : CELLA_EXIT_OK;
}

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
		return attach(cella_client_socket(socket_opt), argv[optind], err);
	snprintf(path, sizeof(path), "/1.0/instances/%s/console", argv[optind]);
	if (cella_client_get_text(cella_client_socket(socket_opt), path, &text, &len, err) < 0)
		return -1;
	fwrite(text, 1, len, stdout);
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_console = {
	.name = "console",
	.summary = "attach to an instance's console, or show its log",
	.help = console_help,
	.run = console_run,
};
