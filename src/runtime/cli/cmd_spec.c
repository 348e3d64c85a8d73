// SPDX-License-Identifier: GPL-2.0-or-later
/* spec [--rootless] [--bundle DIR]: writes a default config.json, never over an existing one. */
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

static int spec(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{"rootless", no_argument, NULL, 'r'}, {"bundle", required_argument, NULL, 'b'}, {0}};
	const char *bundle = ".";
	_cleanup_free_ char *path = NULL, *text = NULL;
	_cleanup_close_ int fd = -1;
	cella_err_t err = NULL;
	bool rootless = false;
	json_t *doc;
	size_t len;
	int c;

	while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
		if (c == 'r')
			rootless = true;
		else if (c == 'b')
			bundle = optarg;
		else
			return cli_usage_error(cli, &cli_verb_spec, "unknown option '%s'", argv[optind - 1]);
	}
	if (optind != argc)
		return cli_usage_error(cli, &cli_verb_spec, "unexpected argument '%s'", argv[optind]);
	doc = cella_oci_default_spec(rootless);
	text = doc ? json_dumps(doc, JSON_INDENT(8) | JSON_PRESERVE_ORDER) : NULL;
	json_decref(doc);
	if (text == NULL || asprintf(&path, "%s/config.json", bundle) < 0) {
		cella_error_make(&err, ENOMEM, "spec: out of memory");
		return cli_fail(cli, &err);
	}
	/* O_EXCL: never overwrite an existing config.json (runc refuses too). */
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			cella_error_make(&err, EEXIST, "File %s exists. Remove it first", path);
		else
			cella_error_sys(&err, "spec: create '%s'", path);
		return cli_fail(cli, &err);
	}
	len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len || write(fd, "\n", 1) != 1) {
		cella_error_sys(&err, "spec: write '%s'", path);
		unlink(path);
		return cli_fail(cli, &err);
	}
	return 0;
}

const struct cli_verb cli_verb_spec = {"spec", spec, "spec [--rootless] [--bundle DIR]"};
