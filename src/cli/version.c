// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella version`: the release, as text or JSON. */
#include "cli.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>

static const char version_help[] =
	"NAME\n"
	"    cella version - print the version of cella\n"
	"\n"
	"SYNOPSIS\n"
	"    cella version [--format text|json]\n"
	"\n"
	"DESCRIPTION\n"
	"    Prints the release of the cella tools, as \"cella 0.1.0\" or, with\n"
	"    --format json, as a JSON object {\"name\": \"cella\", \"version\": \"0.1.0\"}.\n"
	"\n"
	"OPTIONS\n"
	"    -f, --format text|json\n"
	"        Output format (default: text).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when the output cannot be written, 2 on a usage error.\n";

static int version_run(int argc, char **argv, cella_err_t *err)
{
	static const struct option longopts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	enum cella_cli_format format = CELLA_CLI_FORMAT_TEXT;
	int c, ret;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'f':
			ret = cella_cli_parse_format("version", optarg, &format, err);
			if (ret < 0)
				return ret;
			break;
		case 'h':
			cella_cli_print_verb_help(&cella_cli_verb_version, stdout);
			return CELLA_EXIT_OK;
		default:
			return cella_cli_option_error(err, "version", c, argv);
		}
	}
	ret = cella_cli_no_arguments(err, "version", argc, argv);
	if (ret < 0)
		return ret;

	if (format == CELLA_CLI_FORMAT_JSON) {
		json_t *j = json_pack("{s:s, s:s}", "name", "cella", "version", CELLA_VERSION);

		if (j == NULL)
			return cella_error_make(err, 0, "version: cannot encode JSON");
		ret = json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		json_decref(j);
		if (ret < 0)
			return cella_error_sys(err, "version: write output");
		putchar('\n');
	} else {
		printf("cella %s\n", CELLA_VERSION);
	}
	return CELLA_EXIT_OK;
}

const struct cella_cli_verb cella_cli_verb_version = {
	.name = "version",
	.summary = "print the version of cella",
	.help = version_help,
	.run = version_run,
};
