/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_LOG_H
#define CELLA_LOG_H

/*
 * Process-wide logging. Lines go to stderr (the default) or to a file opened
 * O_APPEND, either as human text or as JSON lines in runc's format
 * ({"level":"info","msg":"...","time":"RFC3339"}) so that tools driving runc
 * (containerd, podman) can read our logs. Every line is emitted with a single
 * write(), so lines from concurrent threads and processes never interleave.
 * Logging preserves errno.
 */
#include <stdbool.h>

#include <cella/error.h>

enum cella_log_level {
	CELLA_LOG_ERROR = 0,
	CELLA_LOG_WARNING,
	CELLA_LOG_INFO,
	CELLA_LOG_DEBUG,
};

enum cella_log_format {
	CELLA_LOG_TEXT = 0,
	CELLA_LOG_JSON,
};

/*
 * Sets the destination (path, or NULL for stderr), the format and the most
 * verbose level written. May be called again to change them; a previously
 * opened log file is closed. On failure the previous settings stay.
 */
int cella_log_init(const char *path, enum cella_log_format format, enum cella_log_level level,
		   cella_err_t *err);
/* Closes a log file opened by cella_log_init() and returns to stderr/text/info. */
void cella_log_close(void);
/* The fd lines are written to (2 when logging to stderr). */
int cella_log_fd(void);
/* Whether a message at level would be written. */
bool cella_log_enabled(enum cella_log_level level);

void cella_log(enum cella_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Logs the message of an error object at error level (does not release it). */
void cella_log_error_obj(const cella_err_t err);

#define cella_log_errorf(...) cella_log(CELLA_LOG_ERROR, __VA_ARGS__)
#define cella_warn(...)	      cella_log(CELLA_LOG_WARNING, __VA_ARGS__)
#define cella_info(...)	      cella_log(CELLA_LOG_INFO, __VA_ARGS__)
#define cella_debug(...)      cella_log(CELLA_LOG_DEBUG, __VA_ARGS__)

/* "error", "warning", "info", "debug". */
const char *cella_log_level_name(enum cella_log_level level);
/* Parses a level name ("warn" is accepted too); the error quotes the bad value. */
int cella_log_parse_level(const char *str, enum cella_log_level *out, cella_err_t *err);
/* Parses "text" or "json". */
int cella_log_parse_format(const char *str, enum cella_log_format *out, cella_err_t *err);

#endif
