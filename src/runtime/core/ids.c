// SPDX-License-Identifier: GPL-2.0-or-later
/* Container id validation and signal-name parsing. */
#include "core/ids.h"

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int cella_container_id_validate(const char *id, cella_err_t *err)
{
	size_t len;

	if (id == NULL || *id == '\0')
		return cella_error_make(err, 0, "container id cannot be empty");
	len = strlen(id);
	if (len > 1024)
		return cella_error_make(err, 0, "invalid container id '%.32s...': longer than 1024 bytes",
					id);
	/* The id names a directory under --root: "." and ".." would escape it. */
	if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return cella_error_make(err, 0, "invalid container id '%s'", id);
	for (const char *p = id; *p; p++) {
		unsigned char c = (unsigned char)*p;

		if (!(isalnum(c) || c == '_' || c == '+' || c == '-' || c == '.'))
			return cella_error_make(
				err, EINVAL,
				"invalid container id '%s': only letters, digits and _+-. are allowed", id);
	}
	return 0;
}

static const struct {
	const char *name;
	int sig;
} signal_names[] = {
	{"HUP", SIGHUP},   {"INT", SIGINT},	  {"QUIT", SIGQUIT}, {"ILL", SIGILL},	  {"TRAP", SIGTRAP},
	{"ABRT", SIGABRT}, {"IOT", SIGIOT},	  {"BUS", SIGBUS},   {"FPE", SIGFPE},	  {"KILL", SIGKILL},
	{"USR1", SIGUSR1}, {"SEGV", SIGSEGV},	  {"USR2", SIGUSR2}, {"PIPE", SIGPIPE},	  {"ALRM", SIGALRM},
	{"TERM", SIGTERM}, {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},	  {"STOP", SIGSTOP},
	{"TSTP", SIGTSTP}, {"TTIN", SIGTTIN},	  {"TTOU", SIGTTOU}, {"URG", SIGURG},	  {"XCPU", SIGXCPU},
	{"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
	{"POLL", SIGPOLL}, {"PWR", SIGPWR},	  {"SYS", SIGSYS},
};

/* "RTMIN", "RTMIN+3", "RTMAX-2" */
static int parse_realtime(const char *name)
{
	const char *rest;
	int base;
	char *end;
	long off = 0;

	if (strncasecmp(name, "RTMIN", 5) == 0)
		base = SIGRTMIN;
	else if (strncasecmp(name, "RTMAX", 5) == 0)
		base = SIGRTMAX;
	else
		return -1;
	rest = name + 5;
	if (*rest) {
		if ((base == SIGRTMIN && *rest != '+') || (base == SIGRTMAX && *rest != '-'))
			return -1;
		errno = 0;
		off = strtol(rest + 1, &end, 10);
		if (errno || *end || end == rest + 1 || off < 0 || off > SIGRTMAX - SIGRTMIN)
			return -1;
	}
	return base == SIGRTMIN ? base + (int)off : base - (int)off;
}

int cella_signal_parse(const char *text, cella_err_t *err)
{
	const char *name = text;
	int rt;

	if (text == NULL || *text == '\0')
		return cella_error_make(err, 0, "signal cannot be empty");
	if (isdigit((unsigned char)*text)) {
		char *end;
		long n;

		errno = 0;
		n = strtol(text, &end, 10);
		if (errno || *end || n <= 0 || n > SIGRTMAX)
			return cella_error_make(err, 0, "invalid signal '%s'", text);
		return (int)n;
	}
	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++)
		if (strcasecmp(name, signal_names[i].name) == 0)
			return signal_names[i].sig;
	rt = parse_realtime(name);
	if (rt > 0)
		return rt;
	return cella_error_make(err, 0, "invalid signal '%s'", text);
}
