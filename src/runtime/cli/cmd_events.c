// SPDX-License-Identifier: GPL-2.0-or-later
/* events --stats <id>: one stats event (the event stream is not implemented). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "cli.h"
#include "core/container.h"
#include "oci/oci.h"
#include "rootfs/rootfs.h"
#include "security/security.h"

static int events(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"stats", no_argument, NULL, 's'}, {"interval", required_argument, NULL, 'i'}, {0}};
	cella_err_t err = NULL;
	bool stats = false;
	json_t *data = NULL, *ev;
	const char *id;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 's')
			stats = true;
		else if (c != 'i')
			return cli_usage_error(cli, &cli_verb_events, "unknown option '%s'",
					       argv[optind - 1]);
	}
	ret = cli_want_id(cli, &cli_verb_events, argc, argv, &id);
	if (ret != 0)
		return ret;
	if (!stats) {
		cella_error_make(&err, ENOTSUP, "events: only --stats is supported (no event stream)");
		return cli_fail(cli, &err);
	}
	if (cella_container_stats(cli->root, id, &data, &err) < 0)
		return cli_fail(cli, &err);
	ev = json_pack("{s:s, s:s, s:o}", "type", "stats", "id", id, "data", data);
	json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(ev);
	return 0;
}

const struct cli_verb cli_verb_events = {"events", events, "events --stats <id>"};
