// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for atomic writes, capped reads, mkdir -p and control-file writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/file.h>
#include <cella/xalloc.h>

#include "tmpdir.h"

static int setup(void **state)
{
	*state = tmpdir_create();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	tmpdir_remove(*state);
	return 0;
}

static void test_write_atomic_creates_and_replaces(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *path = xasprintf("%s/state.json", dir);
	_cleanup_free_ char *data = NULL;
	struct stat st;
	size_t len = 0;

	assert_int_equal(cella_file_write_atomic(path, "first", 5, 0640, NULL), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(cella_file_write_atomic(path, "second\n", 7, 0600, NULL), 0);
	assert_int_equal(cella_file_read(path, 100, &data, &len, NULL), 0);
	assert_int_equal(len, 7);
	assert_string_equal(data, "second\n");
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	/* Nothing but the target: no temporary left behind. */
	assert_int_equal(tmpdir_count(dir), 1);
}

static void test_write_atomic_empty_and_relative(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *data = NULL;
	char cwd[4096];
	size_t len = 9;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(cella_file_write_atomic("empty", NULL, 0, 0644, NULL), 0);
	assert_int_equal(cella_file_read("empty", 10, &data, &len, NULL), 0);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(len, 0);
	assert_string_equal(data, "");
	assert_int_equal(tmpdir_count(dir), 1);
}

static void test_write_atomic_failures_leave_nothing(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *missing = xasprintf("%s/no/such/dir/file", dir);
	_cleanup_free_ char *subdir = xasprintf("%s/sub", dir);
	_cleanup_free_ char *trailing = xasprintf("%s/sub/", dir);
	_cleanup_free_ char *expect = NULL;
	_cleanup_error_ cella_err_t err = NULL;

	assert_true(cella_file_write_atomic(missing, "x", 1, 0644, &err) < 0);
	expect = xasprintf("create temporary file for '%s': No such file or directory", missing);
	assert_string_equal(cella_error_string(err), expect);

	/* rename() over a directory fails after the temporary was written: it must be removed. */
	assert_int_equal(mkdir(subdir, 0755), 0);
	assert_true(cella_file_write_atomic(subdir, "x", 1, 0644, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "rename"));
	assert_non_null(strstr(cella_error_string(err), subdir));
	assert_int_equal(tmpdir_count(dir), 1);
	assert_int_equal(tmpdir_count(subdir), 0);

	assert_true(cella_file_write_atomic(trailing, "x", 1, 0644, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "not a file name"));
	assert_true(cella_file_write_atomic("", "x", 1, 0644, &err) < 0);
	assert_int_equal(tmpdir_count(subdir), 0);
}

static void test_read_cap(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *path = xasprintf("%s/f", dir);
	_cleanup_free_ char *expect = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	char big[10000];
	char *data = NULL;
	size_t len = 0;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(tmpdir_put(dir, "f", big), 0);
	/* Exactly at the cap is fine; one byte over is not. */
	assert_int_equal(cella_file_read(path, sizeof(big) - 1, &data, &len, NULL), 0);
	assert_int_equal(len, sizeof(big) - 1);
	assert_int_equal(strlen(data), len);
	free(data);
	data = NULL;
	assert_true(cella_file_read(path, sizeof(big) - 2, &data, &len, &err) < 0);
	assert_null(data);
	assert_int_equal(err->errno_value, EFBIG);
	expect = xasprintf("read '%s': larger than the limit of 9998 bytes: File too large", path);
	assert_string_equal(cella_error_string(err), expect);
	assert_true(cella_file_read(path, 0, &data, NULL, &err) < 0);
	assert_null(data);
}

static void test_read_proc_and_errors(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *status = NULL;
	_cleanup_free_ char *missing = xasprintf("%s/missing", dir);
	_cleanup_free_ char *expect = xasprintf("open '%s': No such file or directory", missing);
	_cleanup_error_ cella_err_t err = NULL;
	char *data = NULL;

	/* /proc files report st_size 0: the read must not trust it. */
	assert_int_equal(cella_file_read("/proc/self/status", 1 << 20, &status, NULL, NULL), 0);
	assert_non_null(strstr(status, "Pid:"));
	assert_true(cella_file_read(missing, 10, &data, NULL, &err) < 0);
	assert_string_equal(cella_error_string(err), expect);
	assert_true(cella_file_read(dir, 10, &data, NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "Is a directory"));
	assert_null(data);
}

static void test_mkdir_p(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *deep = xasprintf("%s/a/b//c/", dir);
	_cleanup_free_ char *check = xasprintf("%s/a/b/c", dir);
	_cleanup_free_ char *file = xasprintf("%s/plain", dir);
	_cleanup_free_ char *under = xasprintf("%s/plain/x", dir);
	_cleanup_free_ char *expect = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	struct stat st;

	assert_int_equal(cella_mkdir_p(deep, 0750, NULL), 0);
	assert_int_equal(stat(check, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(cella_mkdir_p(deep, 0750, NULL), 0); /* again: already there */
	assert_int_equal(cella_mkdir_p("/", 0755, NULL), 0);

	assert_int_equal(tmpdir_put(dir, "plain", "x"), 0);
	assert_true(cella_mkdir_p(file, 0755, &err) < 0);
	expect = xasprintf("mkdir '%s': Not a directory", file);
	assert_string_equal(cella_error_string(err), expect);
	assert_true(cella_mkdir_p(under, 0755, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), file));
	assert_true(cella_mkdir_p("", 0755, &err) < 0);
	assert_string_equal(cella_error_string(err), "mkdir: empty path: Invalid argument");
}

static void test_write_string(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *path = xasprintf("%s/ctl", dir);
	_cleanup_free_ char *missing = xasprintf("%s/nope", dir);
	_cleanup_free_ char *expect = xasprintf("open '%s' to write '1': No such file or directory", missing);
	_cleanup_free_ char *data = NULL;
	_cleanup_error_ cella_err_t err = NULL;

	assert_int_equal(tmpdir_put(dir, "ctl", ""), 0);
	assert_int_equal(cella_file_write_string(path, "max 100000", NULL), 0);
	assert_int_equal(cella_file_read(path, 100, &data, NULL, NULL), 0);
	assert_string_equal(data, "max 100000");

	/* Control files only: never created. */
	assert_true(cella_file_write_string(missing, "1", &err) < 0);
	assert_string_equal(cella_error_string(err), expect);
	assert_int_equal(access(missing, F_OK), -1);

	/* The kernel rejects the value: the error names file and value. */
	assert_true(cella_file_write_string("/proc/self/oom_score_adj", "bogus", &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "write 'bogus' to '/proc/self/oom_score_adj': Invalid argument");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_atomic_creates_and_replaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_empty_and_relative, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_atomic_failures_leave_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_proc_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_p, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_string, setup, teardown),
	};

	return cmocka_run_group_tests_name("file", tests, NULL, NULL);
}
