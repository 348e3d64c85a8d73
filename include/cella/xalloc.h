/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_XALLOC_H
#define CELLA_XALLOC_H

/*
 * Allocation that cannot fail: on out-of-memory the process aborts. Used for
 * small bookkeeping allocations where there is no sane way to continue; sizes
 * that come from untrusted input must be checked before they get here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline void cella_xalloc_die(const char *what, size_t n)
{
	fprintf(stderr, "cella: out of memory (%s of %zu bytes)\n", what, n);
	abort();
}

static inline void *xmalloc(size_t n)
{
	/* malloc(0) may return NULL on success; ask for one byte so NULL always means OOM. */
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		cella_xalloc_die("malloc", n);
	return p;
}

static inline void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (p == NULL) {
		/* nmemb * size may be what overflowed: show both. */
		fprintf(stderr, "cella: out of memory (calloc of %zu x %zu bytes)\n", nmemb, size);
		abort();
	}
	return p;
}

static inline void *xrealloc(void *ptr, size_t n)
{
	/* realloc(p, 0) may free p and return NULL: never ask for zero bytes. */
	void *p = realloc(ptr, n ? n : 1);

	if (p == NULL)
		cella_xalloc_die("realloc", n);
	return p;
}

static inline char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (p == NULL)
		cella_xalloc_die("strdup", strlen(s) + 1);
	return p;
}

static inline char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		cella_xalloc_die("strndup", n + 1);
	return p;
}

static inline __attribute__((format(printf, 1, 0))) char *xvasprintf(const char *fmt, va_list ap)
{
	char *s = NULL;

	if (vasprintf(&s, fmt, ap) < 0)
		cella_xalloc_die("vasprintf", 0);
	return s;
}

static inline __attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

#endif
