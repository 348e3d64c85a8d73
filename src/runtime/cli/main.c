// SPDX-License-Identifier: GPL-2.0-or-later
/* cella-runtime: global options (runc's), then one verb. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "cli.h"
#include "core/container.h"
#include "core/state.h"
#include "security/security.h"

static const struct cli_verb *const verbs[] = {
	&cli_verb_create, &cli_verb_start,  &cli_verb_state,	&cli_verb_kill, &cli_verb_delete,
	&cli_verb_run,	  &cli_verb_exec,   &cli_verb_list,	&cli_verb_ps,	&cli_verb_pause,
	&cli_verb_resume, &cli_verb_update, &cli_verb_features, &cli_verb_spec, &cli_verb_events,
};

static void usage(FILE *out)
{
	fprintf(out, "usage: cella-runtime [global options] <command> [options] [arguments]\n\n"
		     "An OCI runtime (runtime-spec 1.2) with runc's command line.\n\n"
		     "global options:\n"
		     "  --root DIR            state directory (default " CELLA_RUNTIME_DEFAULT_ROOT ")\n"
		     "  --log FILE            append log lines (errors included) to FILE\n"
		     "  --log-format FMT      text (default) or json\n"
		     "  --debug               log debug messages\n"
		     "  --systemd-cgroup      not supported: cgroups are managed through cgroupfs\n"
		     "  --rootless VALUE      accepted for runc compatibility (true|false|auto)\n"
		     "  --criu PATH           accepted and ignored (checkpoint/restore is not supported)\n"
		     "  -v, --version         print the version\n"
		     "  -h, --help            this help\n\ncommands:\n");
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		fprintf(out, "  %s\n", verbs[i]->usage);
}

/* Security-module warnings (unknown syscalls, capabilities this kernel lacks) go to our log. */
static void security_log(enum cella_security_log_level level, const char *msg, void *data)
{
	cli_log(data, level == CELLA_SECURITY_LOG_WARNING ? "warning" : "debug", "%s", msg);
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_SYSTEMD, OPT_ROOTLESS, OPT_CRIU };

static int parse_globals(struct cli *cli, int argc, char **argv, cella_err_t *err)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, OPT_ROOT},
		{"log", required_argument, NULL, OPT_LOG},
		{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
		{"debug", no_argument, NULL, OPT_DEBUG},
		{"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD},
		{"rootless", required_argument, NULL, OPT_ROOTLESS},
		{"criu", required_argument, NULL, OPT_CRIU},
		{"version", no_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *log_path = NULL, *format = "text";
	bool systemd = false;
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+vh", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			cli->root = optarg;
			break;
		case OPT_LOG:
			log_path = optarg;
			break;
		case OPT_LOG_FORMAT:
			format = optarg;
			break;
		case OPT_DEBUG:
			cli->debug = true;
			break;
		case OPT_SYSTEMD:
			systemd = true;
			break;
		case OPT_ROOTLESS:
			cli->rootless = strcmp(optarg, "true") == 0;
			break;
		case OPT_CRIU:
			break;
		case 'v':
			printf("cella-runtime version %s\nspec: 1.2.0\n", CELLA_VERSION);
			return 1;
		case 'h':
			usage(stdout);
			return 1;
		default:
			return cella_error_make(err, EINVAL, "unknown global option '%s' (see --help)",
						argv[optind - 1]);
		}
	}
	if (strcmp(format, "json") == 0)
		cli->log_json = true;
	else if (strcmp(format, "text") != 0)
		return cella_error_make(err, EINVAL, "--log-format: unknown format '%s' (text or json)",
					format);
	if (log_path) {
		cli->log = fopen(log_path, "ae");
		if (cli->log == NULL)
			return cella_error_sys(err, "--log: open '%s'", log_path);
	}
	if (systemd)
		return cella_error_make(
			err, ENOTSUP,
			"--systemd-cgroup: not supported (cella-runtime manages cgroups through cgroupfs; "
			"use linux.cgroupsPath as a path)");
	return 0;
}

int main(int argc, char **argv)
{
	struct cli cli = {.root = CELLA_RUNTIME_DEFAULT_ROOT, .argv = argv};
	cella_err_t err = NULL;
	const char *name;
	int ret;

	ret = parse_globals(&cli, argc, argv, &err);
	if (ret != 0) {
		ret = ret < 0 ? cli_fail(&cli, &err) : 0;
		goto out;
	}
	cella_security_set_log(security_log, &cli);
	if (optind >= argc) {
		usage(stderr);
		ret = 1;
		goto out;
	}
	name = argv[optind];
	ret = -1;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		int verb_argc = argc - optind;
		char **verb_argv = argv + optind;

		if (strcmp(verbs[i]->name, name) != 0)
			continue;
		/* exec's trailing arguments belong to the command it runs: exec parses --help itself. */
		for (int a = 1; a < verb_argc && verbs[i] != &cli_verb_exec; a++) {
			if (strcmp(verb_argv[a], "--") == 0)
				break;
			if (strcmp(verb_argv[a], "--help") == 0 || strcmp(verb_argv[a], "-h") == 0) {
				printf("usage: cella-runtime %s\n", verbs[i]->usage);
				ret = 0;
				goto out;
			}
		}
		cli_log(&cli, "debug", "%s: root %s", name, cli.root);
		optind = 1; /* each verb parses its own options from argv[0] = verb name */
		ret = verbs[i]->run(&cli, verb_argc, verb_argv);
		break;
	}
	if (ret < 0) {
		cella_error_make(&err, EINVAL, "unknown command '%s' (see --help)", name);
		cli_fail(&cli, &err);
		ret = CLI_UNKNOWN_COMMAND;
	}
out:
	cella_security_set_log(NULL, NULL);
	if (cli.log)
		fclose(cli.log);
	return ret;
}
