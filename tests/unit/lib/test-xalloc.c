// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the allocation helpers: results, zero sizes, and abort on out-of-memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/xalloc.h>

/* Under ASan an impossible malloc must return NULL, as libc's does, instead of ASan reporting it. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void test_allocations(void **state)
{
	char *p = xmalloc(16);
	int *z = xcalloc(4, sizeof(int));
	char *s = xstrdup("hello");
	char *n = xstrndup("hello", 3);
	char *f = xasprintf("%s-%d", "vm", 7);

	memset(p, 1, 16);
	p = xrealloc(p, 4096);
	assert_int_equal(p[15], 1);
	for (int i = 0; i < 4; i++)
		assert_int_equal(z[i], 0);
	assert_string_equal(s, "hello");
	assert_string_equal(n, "hel");
	assert_string_equal(f, "vm-7");
	free(p);
	free(z);
	free(s);
	free(n);
	free(f);
}

static void test_zero_sizes_are_not_null(void **state)
{
	void *a = xmalloc(0);
	void *b = xcalloc(0, 8);
	void *c = xrealloc(NULL, 0);

	assert_non_null(a);
	assert_non_null(b);
	assert_non_null(c);
	c = xrealloc(c, 0); /* must not free c and return NULL */
	assert_non_null(c);
	free(a);
	free(b);
	free(c);
}

/* Runs fn in a child; returns its stderr (first line) and asserts it died of SIGABRT. */
static void expect_abort(void (*fn)(void), const char *message)
{
	char buf[256] = "";
	int pipefd[2], status;
	ssize_t n;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(pipefd[1], STDERR_FILENO);
		close(pipefd[0]);
		fn();
		_exit(0); /* not reached when fn aborts */
	}
	close(pipefd[1]);
	/* Read to EOF so the child never dies of SIGPIPE instead of SIGABRT. */
	for (size_t used = 0;;) {
		char sink[256];

		n = read(pipefd[0], used < sizeof(buf) - 1 ? buf + used : sink,
			 used < sizeof(buf) - 1 ? sizeof(buf) - 1 - used : sizeof(sink));
		if (n <= 0)
			break;
		if (used < sizeof(buf) - 1)
			used += (size_t)n;
		buf[used] = '\0';
	}
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
	assert_non_null(strstr(buf, message));
}

/* volatile: the compiler must not see (and reject) the impossible sizes at build time. */
static volatile size_t huge = SIZE_MAX / 2;
static volatile size_t huge_count = SIZE_MAX / 16;

static void huge_malloc(void)
{
	free(xmalloc(huge));
}

static void huge_calloc(void)
{
	free(xcalloc(huge_count, 32)); /* the product overflows: calloc must refuse */
}

static void huge_realloc(void)
{
	free(xrealloc(NULL, huge));
}

static void test_out_of_memory_aborts(void **state)
{
	expect_abort(huge_malloc, "cella: out of memory (malloc of 9223372036854775807 bytes)");
	expect_abort(huge_calloc, "cella: out of memory (calloc of 1152921504606846975 x 32 bytes)");
	expect_abort(huge_realloc, "cella: out of memory (realloc of 9223372036854775807 bytes)");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_allocations),
		cmocka_unit_test(test_zero_sizes_are_not_null),
		cmocka_unit_test(test_out_of_memory_aborts),
	};

	return cmocka_run_group_tests_name("xalloc", tests, NULL, NULL);
}
