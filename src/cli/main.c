// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella`: global options, the verb table, dispatch and exit status. */
#include "cli.h"
#include "client.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include <cella/log.h>

/* The verbs, alphabetical (the order `cella --help` lists them in). */
static const struct cella_cli_verb *const verbs[] = {
	&cella_cli_verb_check,	&cella_cli_verb_config,	 &cella_cli_verb_console, &cella_cli_verb_delete,
	&cella_cli_verb_exec,	&cella_cli_verb_help,	 &cella_cli_verb_image,	  &cella_cli_verb_info,
	&cella_cli_verb_launch, &cella_cli_verb_list,	 &cella_cli_verb_logs,	  &cella_cli_verb_network,
	&cella_cli_verb_pause,	&cella_cli_verb_restart, &cella_cli_verb_resume,  &cella_cli_verb_snapshot,
	&cella_cli_verb_start,	&cella_cli_verb_stop,	 &cella_cli_verb_version,
};

static const char main_help_head[] =
	"NAME\n"
	"    cella - run and manage virtual servers: KVM virtual machines and containers\n"
	"\n"
	"SYNOPSIS\n"
	"    cella [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGUMENTS]\n"
	"\n"
	"DESCRIPTION\n"
	"    cella manages virtual servers on one host, run as full or\n"
	"    paravirtualized KVM virtual machines or as containers. Each COMMAND\n"
	"    has its own options; see 'cella help COMMAND'.\n"
	"\n"
	"COMMANDS\n";

static const char main_help_tail[] =
	"\n"
	"GLOBAL OPTIONS\n"
	"    --log FILE\n"
	"        Append log lines to FILE instead of standard error.\n"
	"    --log-format text|json\n"
	"        Log line format (default: text); json writes runc-style lines\n"
	"        {\"level\":...,\"msg\":...,\"time\":...}.\n"
	"    --log-level error|warning|info|debug\n"
	"        Most verbose level logged (default: warning).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"    -v, --version\n"
	"        Print the version (as 'cella version').\n"
	"\n"
	"EXIT STATUS\n"
	"    0   success\n"
	"    1   the command failed (the reason is printed on standard error)\n"
	"    2   usage error: unknown command or option, invalid option value\n"
	"\n"
	"Run 'cella help COMMAND' or 'cella COMMAND --help' for a command's page.\n";

const struct cella_cli_verb *cella_cli_find_verb(const char *name)
{
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i]->name, name) == 0)
			return verbs[i];
	}
	return NULL;
}

void cella_cli_print_main_help(FILE *out)
{
	fputs(main_help_head, out);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(out, "    %-10s %s\n", verbs[i]->name, verbs[i]->summary);
	fputs(main_help_tail, out);
}

void cella_cli_print_verb_help(const struct cella_cli_verb *verb, FILE *out)
{
	fputs(verb->help, out);
}

enum { OPT_LOG = 256, OPT_LOG_FORMAT, OPT_LOG_LEVEL };

/* Parses the options before COMMAND; returns 1 when one of them already did the whole job. */
static int parse_global_options(int argc, char **argv, cella_err_t *err)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"version", no_argument, NULL, 'v'},
		{"log", required_argument, NULL, OPT_LOG},
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
		{"log-level", required_argument, NULL, OPT_LOG_LEVEL},
		{NULL, 0, NULL, 0},
	};
	enum cella_log_format log_format = CELLA_LOG_TEXT;
	enum cella_log_level log_level = CELLA_LOG_WARNING;
	const char *log_path = NULL;
	int c, ret;

	opterr = 0;
	/* "+": stop at the first non-option, the command; its options are its own. */
	while ((c = getopt_long(argc, argv, "+:hv", longopts, NULL)) != -1) {
		switch (c) {
		case 'h':
			cella_cli_print_main_help(stdout);
			return 1;
		case 'v':
			printf("cella %s\n", CELLA_VERSION);
			return 1;
		case OPT_LOG:
			log_path = optarg;
			break;
		case OPT_LOG_FORMAT:
			if (cella_log_parse_format(optarg, &log_format, err) < 0)
				return cella_cli_usage_error(err, NULL, "--log-format: %s",
							     cella_error_string(*err));
			break;
		case OPT_LOG_LEVEL:
			if (cella_log_parse_level(optarg, &log_level, err) < 0)
				return cella_cli_usage_error(err, NULL, "--log-level: %s",
							     cella_error_string(*err));
			break;
		default:
			return cella_cli_option_error(err, NULL, c, argv);
		}
	}
	ret = cella_log_init(log_path, log_format, log_level, err);
	if (ret < 0)
		return cella_error_wrap(err, "--log");
	return 0;
}

static int run(int argc, char **argv, cella_err_t *err)
{
	const struct cella_cli_verb *verb;
	int ret;

	ret = parse_global_options(argc, argv, err);
	if (ret != 0)
		return ret < 0 ? ret : CELLA_EXIT_OK;
	if (optind >= argc) {
		fputs("usage: cella [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGUMENTS]\n", stderr);
		return cella_cli_usage_error(err, NULL, "no command given");
	}
	verb = cella_cli_find_verb(argv[optind]);
	if (verb == NULL)
		return cella_cli_usage_error(err, NULL, "unknown command '%s'", argv[optind]);
	cella_debug("running '%s'", verb->name);
	return verb->run(argc - optind, argv + optind, err);
}

int main(int argc, char **argv)
{
	cella_err_t err = NULL;
	int status;

	status = run(argc, argv, &err);
	if (status < 0)
		status = cella_error_report("cella", &err);
	/* Output that never reached its reader (full disk, closed pipe) is a failure, not a success. */
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "cella: write standard output: %s\n", strerror(errno ? errno : EIO));
		if (status == CELLA_EXIT_OK)
			status = CELLA_EXIT_FAIL;
	}
	cella_log_close();
	return status;
}
