// SPDX-License-Identifier: GPL-2.0-or-later
/* Progress lines for long operations: a bar on a terminal, one plain line elsewhere. */
#include "progress.h"

#include <string.h>

#define DEFAULT_WIDTH 30

void cella_format_bytes(char *buf, size_t len, unsigned long long bytes)
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB"};
	double v = (double)bytes / 1024;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(buf, len, "%llu B", bytes);
		return;
	}
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, "%.1f %s", v, units[u]);
}

void cella_progress_init(struct cella_progress *p, FILE *out, bool tty, const char *what)
{
	*p = (struct cella_progress){.out = out, .tty = tty, .width = DEFAULT_WIDTH, .what = what};
}

void cella_progress_format(char *buf, size_t len, const char *what, json_t *progress, int width)
{
	const char *stage = json_string_value(json_object_get(progress, "stage"));
	json_t *pct = json_object_get(progress, "percent");
	long long percent = json_is_integer(pct) ? json_integer_value(pct) : -1;
	unsigned long long entries =
		(unsigned long long)json_integer_value(json_object_get(progress, "entries"));
	char size[32] = "";
	size_t used;

	if (json_integer_value(json_object_get(progress, "bytes")) > 0)
		cella_format_bytes(
			size, sizeof(size),
			(unsigned long long)json_integer_value(json_object_get(progress, "bytes")));
	if (len == 0)
		return;
	if (percent < 0) {
		/* No total known: what has been done so far. */
		if (entries)
			snprintf(buf, len, "%s: %s %llu files%s%s", what, stage ? stage : "working", entries,
				 size[0] ? ", " : "", size);
		else
			snprintf(buf, len, "%s: %s%s%s", what, stage ? stage : "working", size[0] ? " " : "",
				 size);
		return;
	}
	if (percent > 100)
		percent = 100;
	if (width < 1)
		width = 1;
	snprintf(buf, len, "%s [", what);
	used = strlen(buf);
	for (int i = 0; i < width && used + 1 < len; i++)
		buf[used++] = i < (int)(percent * width / 100) ? '#' : '.';
	buf[used] = '\0';
	snprintf(buf + used, len - used, "] %3lld%%%s%s%s%s", percent, stage ? " " : "", stage ? stage : "",
		 size[0] ? " " : "", size);
}

void cella_progress_update(struct cella_progress *p, json_t *operation)
{
	json_t *progress = json_object_get(json_object_get(operation, "metadata"), "progress");
	char line[256];

	if (!p->tty)
		return;
	if (!json_is_object(progress))
		progress = NULL;
	cella_progress_format(line, sizeof(line), p->what, progress, p->width);
	/* "\r" back to the start, "\033[K" clears what a longer earlier line left. */
	fprintf(p->out, "\r%s\033[K", line);
	fflush(p->out);
	p->drawn = true;
}

void cella_progress_done(struct cella_progress *p, const char *result)
{
	if (p->drawn)
		fputs("\r\033[K", p->out);
	p->drawn = false;
	fprintf(p->out, "%s: %s\n", p->what, result);
	fflush(p->out);
}
