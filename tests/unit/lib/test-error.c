// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the error object: messages, errno, wrapping, status, release. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include <cella/cleanup.h>
#include <cella/error.h>

static int fails_with_errno(cella_err_t *err)
{
	errno = ENOENT;
	return cella_error_sys(err, "open '%s'", "/nonexistent");
}

static void test_make_and_string(void **state)
{
	cella_err_t err = NULL;

	assert_int_equal(cella_error_make(&err, 0, "config.json: %s: expected integer", "process.user.uid"),
			 -1);
	assert_string_equal(cella_error_string(err), "config.json: process.user.uid: expected integer");
	assert_int_equal(cella_error_status(err), 1);
	cella_error_release(&err);
	assert_null(err);
}

static void test_sys_keeps_errno(void **state)
{
	cella_err_t err = NULL;

	assert_int_equal(fails_with_errno(&err), -ENOENT);
	assert_int_equal(err->errno_value, ENOENT);
	assert_int_equal(errno, ENOENT);
	assert_string_equal(cella_error_string(err), "open '/nonexistent': No such file or directory");
	cella_error_release(&err);
}

static void test_wrap_adds_context(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;

	fails_with_errno(&err);
	assert_int_equal(cella_error_wrap(&err, "load %s", "config.json"), -ENOENT);
	assert_int_equal(cella_error_wrap(&err, "create"), -ENOENT);
	assert_string_equal(cella_error_string(err),
			    "create: load config.json: open '/nonexistent': No such file or directory");
}

static void test_wrap_without_error(void **state)
{
	cella_err_t err = NULL;

	assert_int_equal(cella_error_wrap(&err, "nothing"), -1);
	assert_null(err);
	assert_int_equal(cella_error_wrap(NULL, "nothing"), -1);
}

static void test_status_and_replace(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;

	cella_error_make(&err, EINVAL, "first");
	cella_error_set_status(err, 2);
	assert_int_equal(cella_error_status(err), 2);
	cella_error_make(&err, 0, "second"); /* replaces, must not leak the first */
	assert_string_equal(cella_error_string(err), "second");
	assert_int_equal(cella_error_status(err), 1);
	assert_int_equal(cella_error_status(NULL), 0);
	assert_string_equal(cella_error_string(NULL), "no error");
}

static void test_null_err_pointer(void **state)
{
	assert_int_equal(cella_error_make(NULL, EPERM, "ignored"), -EPERM);
	cella_error_release(NULL);
}

static void test_cleanup_helpers(void **state)
{
	_cleanup_free_ char *s = strdup("x");
	_cleanup_close_ int fd = dup(0);
	int stolen;
	char *p;

	assert_non_null(s);
	p = steal_pointer(&s);
	assert_null(s);
	free(p);
	stolen = steal_fd(&fd);
	assert_int_equal(fd, -1);
	if (stolen >= 0)
		close(stolen);
}

/* The constructors are macros for the analyzers' sake; the functions stay callable by address. */
static void test_functions_by_address(void **state)
{
	int (*make)(cella_err_t *, int, const char *, ...) = cella_error_make;
	int (*wrap)(cella_err_t *, const char *, ...) = cella_error_wrap;
	_cleanup_error_ cella_err_t err = NULL;

	assert_int_equal(make(&err, EEXIST, "mkdir '%s'", "/run/cella"), -EEXIST);
	assert_int_equal(wrap(&err, "start"), -EEXIST);
	assert_string_equal(cella_error_string(err), "start: mkdir '/run/cella': File exists");
	assert_int_equal(cella_error_negative(-5), -5);
	assert_int_equal(cella_error_negative(0), -1);
	assert_int_equal(cella_error_negative(3), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_and_string),	   cmocka_unit_test(test_sys_keeps_errno),
		cmocka_unit_test(test_wrap_adds_context),  cmocka_unit_test(test_wrap_without_error),
		cmocka_unit_test(test_status_and_replace), cmocka_unit_test(test_null_err_pointer),
		cmocka_unit_test(test_cleanup_helpers),	   cmocka_unit_test(test_functions_by_address),
	};

	return cmocka_run_group_tests_name("error", tests, NULL, NULL);
}
