// SPDX-License-Identifier: GPL-2.0-or-later
/* What start, stop, restart, pause and resume share: PUT /1.0/instances/NAME/state, then wait. */
#include "client.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { OPT_SOCKET = 256, OPT_TIMEOUT };

int cella_cli_state_verb(const struct cella_cli_verb *verb, const char *action, int argc, char **argv,
			 cella_err_t *err)
{
	static const struct option longopts[] = {
		{"socket", required_argument, NULL, OPT_SOCKET},
		{"force", no_argument, NULL, 'f'},
		{"timeout", required_argument, NULL, OPT_TIMEOUT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	bool stops = strcmp(action, "stop") == 0 || strcmp(action, "restart") == 0;
	const char *socket_opt = NULL;
	long timeout = -2;
	bool force = false;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, stops ? ":fh" : ":h", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_SOCKET:
			socket_opt = optarg;
			break;
		case 'f':
			force = true;
			break;
		case OPT_TIMEOUT: {
			char *end;

			errno = 0;
			timeout = strtol(optarg, &end, 10);
			if (!stops || errno || end == optarg || *end || timeout < -1 || timeout > 3600)
				return stops ? cella_cli_usage_error(
						       err, verb->name,
						       "--timeout: expected seconds from -1 to 3600, "
						       "got '%s'",
						       optarg)
					     : cella_cli_usage_error(err, verb->name,
								     "unknown option '--timeout'");
			break;
		}
		case 'h':
			cella_cli_print_verb_help(verb, stdout);
			return CELLA_EXIT_OK;
		default:
			return cella_cli_option_error(err, verb->name, c, argv);
		}
	}
	if (!stops && force)
		return cella_cli_usage_error(err, verb->name, "unknown option '--force'");
	if (optind >= argc)
		return cella_cli_usage_error(err, verb->name, "no instance named");
	for (int i = optind; i < argc; i++) {
		char path[512];
		json_t *body = json_pack("{s:s, s:b}", "action", action, "force", force);
		int ret;

		if (!cella_client_name_ok(argv[i])) {
			json_decref(body);
			return cella_cli_usage_error(err, verb->name, "invalid instance name '%s'", argv[i]);
		}
		if (timeout != -2)
			json_object_set_new(body, "timeout", json_integer(timeout));
		snprintf(path, sizeof(path), "/1.0/instances/%s/state", argv[i]);
		ret = cella_client_async(cella_client_socket(socket_opt), "PUT", path, body, NULL, err);
		json_decref(body);
		if (ret < 0)
			return ret;
	}
	return CELLA_EXIT_OK;
}
