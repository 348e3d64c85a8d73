// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for logging: formats, levels, destinations, escaping, errno and thread safety. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <regex.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/file.h>
#include <cella/log.h>
#include <cella/xalloc.h>

#include "tmpdir.h"

static int setup(void **state)
{
	*state = tmpdir_create();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	cella_log_close();
	tmpdir_remove(*state);
	return 0;
}

static char *read_log(const char *path)
{
	char *data = NULL;
	int ret = cella_file_read(path, 1 << 20, &data, NULL, NULL);

	assert_int_equal(ret, 0);
	return data;
}

static void test_json_lines(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/log.json", (char *)*state);
	_cleanup_free_ char *data = NULL;
	json_t *line;
	json_error_t jerr;
	const char *key;
	json_t *value;
	const char *order[3] = {NULL, NULL, NULL};
	size_t i = 0;
	regex_t re;

	assert_int_equal(cella_log_init(path, CELLA_LOG_JSON, CELLA_LOG_INFO, NULL), 0);
	cella_info("container %s started", "web");
	data = read_log(path);
	/* Exactly one line. */
	assert_non_null(strchr(data, '\n'));
	assert_true(strchr(data, '\n') == data + strlen(data) - 1);
	line = json_loads(data, JSON_DISABLE_EOF_CHECK, &jerr);
	assert_non_null(line);
	/* runc's key order: level, msg, time. */
	json_object_foreach (line, key, value)
		order[i++] = key;
	assert_int_equal(i, 3);
	assert_string_equal(order[0], "level");
	assert_string_equal(order[1], "msg");
	assert_string_equal(order[2], "time");
	assert_string_equal(json_string_value(json_object_get(line, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(line, "msg")), "container web started");
	assert_int_equal(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{9}Z$",
				 REG_EXTENDED | REG_NOSUB),
			 0);
	assert_int_equal(regexec(&re, json_string_value(json_object_get(line, "time")), 0, NULL, 0), 0);
	regfree(&re);
	json_decref(line);
	assert_int_equal(
		strncmp(data, "{\"level\":\"info\",\"msg\":\"container web started\",\"time\":\"", 53), 0);
}

static void test_levels_filter(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/log.txt", (char *)*state);
	_cleanup_free_ char *pid = xasprintf(" test-log[%ld]: warning: ", (long)getpid());
	_cleanup_free_ char *data = NULL;

	assert_int_equal(cella_log_init(path, CELLA_LOG_TEXT, CELLA_LOG_WARNING, NULL), 0);
	assert_false(cella_log_enabled(CELLA_LOG_INFO));
	assert_true(cella_log_enabled(CELLA_LOG_WARNING));
	cella_debug("debug line");
	cella_info("info line");
	cella_warn("warn line");
	cella_log_errorf("error line %d", 42);
	data = read_log(path);
	assert_null(strstr(data, "debug line"));
	assert_null(strstr(data, "info line"));
	assert_non_null(strstr(data, ": warning: warn line\n"));
	assert_non_null(strstr(data, ": error: error line 42\n"));
	/* In a file, text lines carry a timestamp and the program's pid. */
	assert_true(data[4] == '-' && data[10] == 'T');
	assert_non_null(strstr(data, pid));
}

static void test_file_flags_and_fd(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/log", (char *)*state);
	_cleanup_free_ char *data = NULL;
	int fd, fl, fdfl;

	assert_int_equal(cella_log_fd(), STDERR_FILENO);
	assert_int_equal(tmpdir_put(*state, "log", "existing line\n"), 0);
	assert_int_equal(cella_log_init(path, CELLA_LOG_TEXT, CELLA_LOG_INFO, NULL), 0);
	fd = cella_log_fd();
	assert_true(fd > STDERR_FILENO);
	fl = fcntl(fd, F_GETFL);
	fdfl = fcntl(fd, F_GETFD);
	assert_true(fl & O_APPEND);
	assert_true(fdfl & FD_CLOEXEC);
	cella_info("appended");
	data = read_log(path);
	assert_int_equal(strncmp(data, "existing line\n", 14), 0);
	assert_non_null(strstr(data, "appended"));
	cella_log_close();
	assert_int_equal(cella_log_fd(), STDERR_FILENO);
	assert_int_equal(fcntl(fd, F_GETFD), -1); /* the file was closed */
}

static void test_init_errors_keep_settings(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/log", (char *)*state);
	_cleanup_free_ char *bad = xasprintf("%s/missing/log", (char *)*state);
	_cleanup_free_ char *expect = xasprintf("open log file '%s': No such file or directory", bad);
	_cleanup_error_ cella_err_t err = NULL;
	int fd;

	assert_int_equal(cella_log_init(path, CELLA_LOG_JSON, CELLA_LOG_DEBUG, NULL), 0);
	fd = cella_log_fd();
	assert_true(cella_log_init(bad, CELLA_LOG_TEXT, CELLA_LOG_ERROR, &err) < 0);
	assert_string_equal(cella_error_string(err), expect);
	assert_int_equal(cella_log_fd(), fd);
	assert_true(cella_log_enabled(CELLA_LOG_DEBUG));
	assert_true(cella_log_init(NULL, (enum cella_log_format)7, CELLA_LOG_INFO, &err) < 0);
	assert_true(cella_log_init(NULL, CELLA_LOG_TEXT, (enum cella_log_level)9, &err) < 0);
	assert_int_equal(cella_log_fd(), fd);
}

static void test_hostile_messages(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/log", (char *)*state);
	_cleanup_free_ char *data = NULL;
	json_error_t jerr;
	json_t *line;

	/* A forged second line and invalid UTF-8 from a guest must stay one valid line. */
	assert_int_equal(cella_log_init(path, CELLA_LOG_JSON, CELLA_LOG_INFO, NULL), 0);
	cella_info("name=%s", "x\n{\"level\":\"error\"}\xff\xfe");
	data = read_log(path);
	assert_true(strchr(data, '\n') == data + strlen(data) - 1);
	line = json_loads(data, 0, &jerr);
	assert_non_null(line);
	assert_string_equal(json_string_value(json_object_get(line, "msg")),
			    "name=x\n{\"level\":\"error\"}??");
	json_decref(line);

	free(data);
	assert_int_equal(cella_log_init(path, CELLA_LOG_TEXT, CELLA_LOG_INFO, NULL), 0);
	assert_int_equal(ftruncate(cella_log_fd(), 0), 0);
	cella_info("a\nb\x1b[31m\tc");
	data = read_log(path);
	assert_non_null(strstr(data, ": info: a\\x0ab\\x1b[31m\tc\n"));
}

static void test_errno_preserved_and_error_obj(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/log", (char *)*state);
	_cleanup_free_ char *data = NULL;
	_cleanup_error_ cella_err_t err = NULL;

	assert_int_equal(cella_log_init(path, CELLA_LOG_TEXT, CELLA_LOG_INFO, NULL), 0);
	errno = ENOSPC;
	cella_info("keeps errno");
	assert_int_equal(errno, ENOSPC);
	cella_debug("filtered");
	assert_int_equal(errno, ENOSPC);
	errno = EACCES;
	cella_error_sys(&err, "open '%s'", "/etc/shadow");
	cella_log_error_obj(err);
	data = read_log(path);
	assert_non_null(strstr(data, ": error: open '/etc/shadow': Permission denied\n"));
}

static void test_stderr_default(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/stderr", (char *)*state);
	_cleanup_free_ char *data = NULL;
	int saved = dup(STDERR_FILENO);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(saved >= 0 && fd >= 0);
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	close(fd);
	cella_log_close(); /* defaults: stderr, text, info */
	cella_warn("to stderr %d", 1);
	cella_debug("not shown");
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	data = read_log(path);
	/* On stderr a person reads it: no timestamp, just program, level and message. */
	assert_string_equal(data, "test-log: warning: to stderr 1\n");
}

static void test_parse_names(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	enum cella_log_level level = CELLA_LOG_INFO;
	enum cella_log_format format = CELLA_LOG_TEXT;

	assert_int_equal(cella_log_parse_level("debug", &level, NULL), 0);
	assert_int_equal(level, CELLA_LOG_DEBUG);
	assert_int_equal(cella_log_parse_level("WARN", &level, NULL), 0);
	assert_int_equal(level, CELLA_LOG_WARNING);
	assert_int_equal(cella_log_parse_level("warning", &level, NULL), 0);
	assert_int_equal(cella_log_parse_level("error", &level, NULL), 0);
	assert_int_equal(level, CELLA_LOG_ERROR);
	assert_true(cella_log_parse_level("loud", &level, &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "invalid log level 'loud' (expected error, warning, info or debug)");
	assert_int_equal(level, CELLA_LOG_ERROR);
	assert_int_equal(cella_log_parse_format("json", &format, NULL), 0);
	assert_int_equal(format, CELLA_LOG_JSON);
	assert_true(cella_log_parse_format("xml", &format, &err) < 0);
	assert_string_equal(cella_error_string(err), "invalid log format 'xml' (expected text or json)");
	assert_string_equal(cella_log_level_name(CELLA_LOG_WARNING), "warning");
	assert_string_equal(cella_log_level_name((enum cella_log_level)42), "unknown");
}

#define THREADS		 4
#define LINES_PER_THREAD 300

static void *log_many(void *arg)
{
	for (int i = 0; i < LINES_PER_THREAD; i++)
		cella_info("thread %ld line %d %s", (long)(intptr_t)arg, i,
			   "padding padding padding padding padding padding padding padding");
	return NULL;
}

static void test_threads_lines_whole(void **state)
{
	_cleanup_free_ char *path = xasprintf("%s/log", (char *)*state);
	_cleanup_free_ char *data = NULL;
	pthread_t t[THREADS];
	int lines = 0;
	char *save = NULL;

	assert_int_equal(cella_log_init(path, CELLA_LOG_JSON, CELLA_LOG_INFO, NULL), 0);
	for (long i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, log_many, (void *)(intptr_t)i), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	data = read_log(path);
	for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		json_error_t jerr;
		json_t *j = json_loads(l, 0, &jerr);

		assert_non_null(j);
		json_decref(j);
		lines++;
	}
	assert_int_equal(lines, THREADS * LINES_PER_THREAD);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_json_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_levels_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_flags_and_fd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_errors_keep_settings, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_messages, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errno_preserved_and_error_obj, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stderr_default, setup, teardown),
		cmocka_unit_test(test_parse_names),
		cmocka_unit_test_setup_teardown(test_threads_lines_whole, setup, teardown),
	};

	return cmocka_run_group_tests_name("log", tests, NULL, NULL);
}
