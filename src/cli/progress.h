/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_CLI_PROGRESS_H
#define CELLA_CLI_PROGRESS_H

/*
 * Progress of a long operation (launch, image import and publish, snapshot)
 * on standard error: on a terminal, one line redrawn in place ("\r") from the
 * operation's metadata.progress; elsewhere (a pipe, a log, CI) nothing while
 * it runs and one plain line at the end, so logs hold no control characters.
 */
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

struct cella_progress {
	FILE *out;
	bool tty;	  /* redraw a bar; otherwise only the final line */
	int width;	  /* the bar's cells between '[' and ']' */
	const char *what; /* "Publishing image", shown before the bar and in the final line */
	bool drawn;	  /* a bar is on the line (to be cleared) */
};

/* out is usually stderr; tty whether it is a terminal (isatty). */
void cella_progress_init(struct cella_progress *p, FILE *out, bool tty, const char *what);
/*
 * The bar line for a progress object {"stage", "percent" (-1 or absent: unknown), "bytes",
 * "entries"} into buf: "WHAT [#####.....]  50% unpack 1.2 MiB" or, without a percentage,
 * "WHAT: pack 120 files, 1.2 MiB" (pure: unit-tested).
 */
void cella_progress_format(char *buf, size_t len, const char *what, json_t *progress, int width);
/* Redraws the bar from an operation object (its metadata.progress); no-op when not a terminal. */
void cella_progress_update(struct cella_progress *p, json_t *operation);
/* Ends the display: clears the bar and prints "WHAT: RESULT" (a plain line either way). */
void cella_progress_done(struct cella_progress *p, const char *result);

/* "1.5 MiB", "512 B": human sizes for the bar and `cella info`. */
void cella_format_bytes(char *buf, size_t len, unsigned long long bytes);

#endif
