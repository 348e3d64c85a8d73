// SPDX-License-Identifier: GPL-2.0-or-later
/* Error reporting and logging (runc's text and JSON log lines), argument helpers, signal forwarding. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/container.h"

static void log_line(struct cli *cli, const char *level, const char *msg)
{
	struct timespec ts;
	struct tm tm;
	char when[64];

	if (cli->log == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + strlen(when), sizeof(when) - strlen(when), ".%09ldZ", ts.tv_nsec);
	if (cli->log_json) {
		/* containerd and podman parse these lines: {"level":..,"msg":..,"time":..} */
		json_t *line = json_pack("{s:s, s:s, s:s}", "level", level, "msg", msg, "time", when);
		char *text = line ? json_dumps(line, JSON_COMPACT) : NULL;

		if (text)
			fprintf(cli->log, "%s\n", text);
		free(text);
		json_decref(line);
	} else {
		fprintf(cli->log, "time=\"%s\" level=%s msg=\"%s\"\n", when, level, msg);
	}
	fflush(cli->log);
}

void cli_log(struct cli *cli, const char *level, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	if (strcmp(level, "debug") == 0 && !cli->debug)
		return;
	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (msg == NULL)
		return;
	log_line(cli, level, msg);
	/* Errors and warnings always reach stderr too: a caller without --log must still see them. */
	if (strcmp(level, "error") == 0 || strcmp(level, "warning") == 0 || cli->log == NULL)
		fprintf(stderr, "cella-runtime: %s%s\n", strcmp(level, "warning") == 0 ? "warning: " : "",
			msg);
}

int cli_fail(struct cli *cli, cella_err_t *err)
{
	int status = cella_error_status(err ? *err : NULL);

	cli_log(cli, "error", "%s", cella_error_string(err ? *err : NULL));
	cella_error_release(err);
	return status;
}

int cli_usage_error(struct cli *cli, const struct cli_verb *verb, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	cli_log(cli, "error", "%s: %s", verb->name, msg ? msg : "invalid arguments");
	fprintf(stderr, "usage: cella-runtime %s\n", verb->usage);
	return 1;
}

int cli_parse_long(const char *option, const char *text, long min, long max, long *out, cella_err_t *err)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	if (errno || end == text || *end || v < min || v > max)
		return cella_error_make(err, EINVAL, "%s: invalid value '%s' (expected %ld..%ld)", option,
					text, min, max);
	*out = v;
	return 0;
}

int cli_want_id(struct cli *cli, const struct cli_verb *verb, int argc, char **argv, const char **id)
{
	if (optind >= argc)
		return cli_usage_error(cli, verb, "missing container id");
	if (optind + 1 != argc)
		return cli_usage_error(cli, verb, "unexpected argument '%s'", argv[optind + 1]);
	*id = argv[optind];
	return 0;
}

static volatile pid_t forward_to = -1;

static void forward_signal(int sig)
{
	if (forward_to > 0)
		kill(forward_to, sig);
}

int cli_wait_forwarding(pid_t pid)
{
	struct sigaction sa = {.sa_handler = forward_signal};

	forward_to = pid;
	sigemptyset(&sa.sa_mask);
	for (int sig = 1; sig < NSIG; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || sig == SIGCHLD || sig == SIGSEGV || sig == SIGBUS ||
		    sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || (sig > 31 && sig < SIGRTMIN))
			continue;
		sigaction(sig, &sa, NULL);
	}
	return cella_wait_status(pid);
}

int cli_seal_self(struct cli *cli)
{
	cella_err_t err = NULL;

	if (cella_ensure_sealed_self(cli->argv, &err) < 0)
		return cli_fail(cli, &err);
	return 0;
}

int cli_want_only_id(struct cli *cli, const struct cli_verb *verb, int argc, char **argv, const char **id)
{
	static const struct option opts[] = {{0}};

	if (getopt_long(argc, argv, "", opts, NULL) != -1)
		return cli_usage_error(cli, verb, "unknown option '%s'", argv[optind - 1]);
	return cli_want_id(cli, verb, argc, argv, id);
}

int cli_parse_format(struct cli *cli, const struct cli_verb *verb, int argc, char **argv, bool *json,
		     bool *quiet)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'}, {"quiet", no_argument, NULL, 'q'}, {0}};
	int c;

	while ((c = getopt_long(argc, argv, quiet ? "f:q" : "f:", opts, NULL)) != -1) {
		if (c == 'q' && quiet) {
			*quiet = true;
		} else if (c == 'f' && (strcmp(optarg, "json") == 0 || strcmp(optarg, "table") == 0)) {
			*json = strcmp(optarg, "json") == 0;
		} else if (c == 'f') {
			return cli_usage_error(cli, verb, "--format: unknown format '%s' (table or json)",
					       optarg);
		} else {
			return cli_usage_error(cli, verb, "unknown option '%s'", argv[optind - 1]);
		}
	}
	return 0;
}
