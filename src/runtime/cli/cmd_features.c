// SPDX-License-Identifier: GPL-2.0-or-later
/* features: the runtime-spec features document, merged from every module's lists. */
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

static int features(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {{0}};
	json_t *seccomp, *caps, *mounts, *doc;

	if (getopt_long(argc, argv, "", opts, NULL) != -1)
		return cli_usage_error(cli, &cli_verb_features, "unknown option '%s'", argv[optind - 1]);
	if (optind != argc)
		return cli_usage_error(cli, &cli_verb_features, "unexpected argument '%s'", argv[optind]);
	seccomp = cella_seccomp_features();
	caps = cella_caps_known();
	mounts = cella_rootfs_mount_options_known();
	doc = cella_oci_features(seccomp, caps, mounts);
	json_decref(seccomp);
	json_decref(caps);
	json_decref(mounts);
	if (doc == NULL) {
		cella_err_t err = NULL;

		cella_error_make(&err, ENOMEM, "features: out of memory");
		return cli_fail(cli, &err);
	}
	json_dumpf(doc, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(doc);
	return 0;
}

const struct cli_verb cli_verb_features = {"features", features, "features"};
