// SPDX-License-Identifier: GPL-2.0-or-later
/* The progress display: the bar's text, redraws only on a terminal, one plain final line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "progress.h"

static void expect_format(const char *progress_json, int width, const char *want)
{
	json_t *progress = progress_json ? json_loads(progress_json, 0, NULL) : NULL;
	char line[256];

	cella_progress_format(line, sizeof(line), "Importing image", progress, width);
	if (strcmp(line, want) != 0)
		fail_msg("%s: got '%s', want '%s'", progress_json ? progress_json : "(none)", line, want);
	json_decref(progress);
}

static void test_format_percent(void **state)
{
	(void)state;
	expect_format("{\"stage\": \"unpack\", \"percent\": 0}", 10,
		      "Importing image [..........]   0% unpack");
	expect_format("{\"stage\": \"unpack\", \"percent\": 50, \"bytes\": 1572864}", 10,
		      "Importing image [#####.....]  50% unpack 1.5 MiB");
	expect_format("{\"stage\": \"unpack\", \"percent\": 100}", 4, "Importing image [####] 100% unpack");
	/* A daemon's out-of-range value is clamped, never drawn past the bar. */
	expect_format("{\"stage\": \"hash\", \"percent\": 250}", 4, "Importing image [####] 100% hash");
	expect_format("{\"percent\": 25}", 4, "Importing image [#...]  25%");
}

static void test_format_unknown_total(void **state)
{
	(void)state;
	expect_format("{\"stage\": \"pack\", \"percent\": -1, \"bytes\": 2048, \"entries\": 120}", 10,
		      "Importing image: pack 120 files, 2.0 KiB");
	expect_format("{\"stage\": \"pack\", \"bytes\": 100}", 10, "Importing image: pack 100 B");
	expect_format(NULL, 10, "Importing image: working");
}

static void test_format_small_buffer(void **state)
{
	json_t *p = json_loads("{\"stage\": \"unpack\", \"percent\": 50}", 0, NULL);
	char line[12];

	(void)state;
	memset(line, 'x', sizeof(line));
	cella_progress_format(line, sizeof(line), "Importing image", p, 30);
	assert_int_equal(strlen(line), sizeof(line) - 1);
	json_decref(p);
}

/* Runs updates and the end on a memory stream; returns what was written (malloc'd). */
static char *render(bool tty, const char *result)
{
	json_t *op = json_loads("{\"metadata\": {\"progress\": {\"stage\": \"unpack\", \"percent\": 40}}}", 0,
				NULL);
	struct cella_progress p;
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	cella_progress_init(&p, f, tty, "Publishing image");
	p.width = 5;
	cella_progress_update(&p, op);
	cella_progress_update(&p, op);
	cella_progress_done(&p, result);
	fclose(f);
	json_decref(op);
	return buf;
}

static void test_not_a_terminal(void **state)
{
	char *out = render(false, "done");

	(void)state;
	/* Logs and pipes get one plain line: no bar, no carriage return, no escape sequence. */
	assert_string_equal(out, "Publishing image: done\n");
	free(out);
}

static void test_terminal(void **state)
{
	char *out = render(true, "failed");
	const char *bar = "\rPublishing image [##...]  40% unpack\033[K";
	char want[256];

	(void)state;
	snprintf(want, sizeof(want), "%s%s\r\033[KPublishing image: failed\n", bar, bar);
	assert_string_equal(out, want);
	free(out);
}

static void test_bytes(void **state)
{
	char buf[32];

	(void)state;
	cella_format_bytes(buf, sizeof(buf), 0);
	assert_string_equal(buf, "0 B");
	cella_format_bytes(buf, sizeof(buf), 1023);
	assert_string_equal(buf, "1023 B");
	cella_format_bytes(buf, sizeof(buf), 1024);
	assert_string_equal(buf, "1.0 KiB");
	cella_format_bytes(buf, sizeof(buf), 3ULL << 30);
	assert_string_equal(buf, "3.0 GiB");
	cella_format_bytes(buf, sizeof(buf), 5ULL << 50);
	assert_string_equal(buf, "5120.0 TiB");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_percent),
		cmocka_unit_test(test_format_unknown_total),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_not_a_terminal),
		cmocka_unit_test(test_terminal),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
