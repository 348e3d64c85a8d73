// SPDX-License-Identifier: GPL-2.0-or-later
/* The error object: a message with an errno and an exit status. */
#include <cella/error.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *format_message(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		return NULL;
	return s;
}

static int error_fill(cella_err_t *err, int errno_value, const char *fmt, va_list ap)
{
	struct cella_error *e;

	if (err == NULL)
		return errno_value ? -errno_value : -1;
	e = calloc(1, sizeof(*e));
	if (e == NULL)
		abort(); /* out of memory while reporting an error: nothing sane left */
	e->errno_value = errno_value;
	e->msg = format_message(fmt, ap);
	if (e->msg == NULL)
		abort();
	if (*err != NULL)
		cella_error_release(err); /* a newer error replaces an unreported one */
	*err = e;
	return errno_value ? -errno_value : -1;
}

/* Parenthesised: the name is also a macro (error.h). */
int(cella_error_make)(cella_err_t *err, int errno_value, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = error_fill(err, errno_value, fmt, ap);
	va_end(ap);
	return ret;
}

/* Parenthesised: the name is also a macro (error.h). */
int(cella_error_sys)(cella_err_t *err, const char *fmt, ...)
{
	int saved = errno ? errno : EIO;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = error_fill(err, saved, fmt, ap);
	va_end(ap);
	errno = saved;
	return ret;
}

/* Parenthesised: the name is also a macro (error.h). */
int(cella_error_wrap)(cella_err_t *err, const char *fmt, ...)
{
	char *prefix, *joined = NULL;
	va_list ap;

	if (err == NULL || *err == NULL)
		return -1;
	va_start(ap, fmt);
	prefix = format_message(fmt, ap);
	va_end(ap);
	if (prefix == NULL || asprintf(&joined, "%s: %s", prefix, (*err)->msg) < 0)
		abort();
	free(prefix);
	free((*err)->msg);
	(*err)->msg = joined;
	return (*err)->errno_value ? -(*err)->errno_value : -1;
}

const char *cella_error_string(const cella_err_t err)
{
	static __thread char buf[4096];

	if (err == NULL)
		return "no error";
	if (err->errno_value == 0)
		return err->msg;
	snprintf(buf, sizeof(buf), "%s: %s", err->msg, strerror(err->errno_value));
	return buf;
}

void cella_error_set_status(cella_err_t err, int status)
{
	if (err)
		err->status = status;
}

int cella_error_status(const cella_err_t err)
{
	if (err == NULL)
		return 0;
	return err->status ? err->status : 1;
}

void cella_error_release(cella_err_t *err)
{
	if (err == NULL || *err == NULL)
		return;
	free((*err)->msg);
	free(*err);
	*err = NULL;
}

int cella_error_report(const char *prog, cella_err_t *err)
{
	int status = cella_error_status(err ? *err : NULL);

	fprintf(stderr, "%s: %s\n", prog, cella_error_string(err ? *err : NULL));
	cella_error_release(err);
	return status;
}
