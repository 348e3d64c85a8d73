/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_ERROR_H
#define CELLA_ERROR_H

#include <stdarg.h>
#include <stdio.h>

/*
 * The error object threaded through every fallible call, after crun's
 * libcrun_error_t. A function that fails fills *err and returns a negative
 * status; callers add context with cella_error_wrap() as the error travels up,
 * so the final message reads "outer: inner: strerror".
 */
struct cella_error {
	int errno_value; /* 0 when the failure has no errno */
	int status;	 /* exit status a CLI should use, 0 = default (1) */
	char *msg;
};
typedef struct cella_error *cella_err_t;

/* Makes *err from a printf-style message. Returns -1 (or -errno_value). */
int cella_error_make(cella_err_t *err, int errno_value, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Like cella_error_make(errno, ...): for failed system calls. */
int cella_error_sys(cella_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prefixes context to an existing error ("context: old message"). */
int cella_error_wrap(cella_err_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* The full message, errno text included; never NULL. */
const char *cella_error_string(const cella_err_t err);
/* Sets the exit status a command-line front end should use for this error. */
void cella_error_set_status(cella_err_t err, int status);
int cella_error_status(const cella_err_t err);
/*
 * The three constructors above always return a negative value. Saying so in a
 * form the static analyzers see (they analyse one file at a time, without
 * error.c) keeps clang-tidy from exploring impossible "failed but returned
 * >= 0" paths in every caller and reporting garbage values on them. The macros
 * keep the call syntax; the functions are still there by address.
 */
static inline int cella_error_negative(int ret)
{
	return ret < 0 ? ret : -1;
}
#define cella_error_make(...) cella_error_negative(cella_error_make(__VA_ARGS__))
#define cella_error_sys(...)  cella_error_negative(cella_error_sys(__VA_ARGS__))
#define cella_error_wrap(...) cella_error_negative(cella_error_wrap(__VA_ARGS__))

/* Frees the error and sets *err to NULL. Safe on NULL. */
void cella_error_release(cella_err_t *err);
/* Prints "prog: message" to stderr and releases the error. Returns the exit status. */
int cella_error_report(const char *prog, cella_err_t *err);

#endif
