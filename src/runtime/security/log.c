// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Warnings and debug notes from parsing. The shared logger in src/lib is not
 * ours to depend on, so the runtime hands us a sink; until it does, warnings go
 * to stderr and debug notes only when CELLA_DEBUG is set.
 */
#include "security/security_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static cella_security_log_fn log_fn;
static void *log_data;

void cella_security_set_log(cella_security_log_fn fn, void *data)
{
	log_fn = fn;
	log_data = data;
}

void sec_log(enum cella_security_log_level level, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (log_fn) {
		log_fn(level, msg, log_data);
		return;
	}
	if (level == CELLA_SECURITY_LOG_DEBUG && getenv("CELLA_DEBUG") == NULL)
		return;
	fprintf(stderr, "cella-runtime: %s: %s\n", level == CELLA_SECURITY_LOG_WARNING ? "warning" : "debug",
		msg);
}
