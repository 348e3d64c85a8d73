// SPDX-License-Identifier: GPL-2.0-or-later
/* Container id validation (runc's rule) and signal parsing (names and numbers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <signal.h>
#include <string.h>

#include "core/ids.h"

static void test_valid_ids(void **state)
{
	const char *ok[] = {"a", "abc-123", "A_b+c.d", "0123456789abcdef", "x..y"};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(cella_container_id_validate(ok[i], NULL), 0);
}

static void test_invalid_ids(void **state)
{
	const char *bad[] = {"", ".", "..", "a/b", "../x", "a b", "a\nb", "ä", "a:b"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cella_err_t err = NULL;

		assert_true(cella_container_id_validate(bad[i], &err) < 0);
		assert_non_null(strstr(cella_error_string(err), "container id"));
		cella_error_release(&err);
	}
	assert_true(cella_container_id_validate(NULL, NULL) < 0);
}

static void test_long_id(void **state)
{
	char id[1100];

	memset(id, 'a', sizeof(id) - 1);
	id[sizeof(id) - 1] = '\0';
	assert_true(cella_container_id_validate(id, NULL) < 0);
	id[1024] = '\0';
	assert_int_equal(cella_container_id_validate(id, NULL), 0);
}

static void test_signals(void **state)
{
	assert_int_equal(cella_signal_parse("KILL", NULL), SIGKILL);
	assert_int_equal(cella_signal_parse("SIGKILL", NULL), SIGKILL);
	assert_int_equal(cella_signal_parse("kill", NULL), SIGKILL);
	assert_int_equal(cella_signal_parse("9", NULL), 9);
	assert_int_equal(cella_signal_parse("TERM", NULL), SIGTERM);
	assert_int_equal(cella_signal_parse("SIGUSR1", NULL), SIGUSR1);
	assert_int_equal(cella_signal_parse("SIGRTMIN", NULL), SIGRTMIN);
	assert_int_equal(cella_signal_parse("RTMIN+3", NULL), SIGRTMIN + 3);
	assert_int_equal(cella_signal_parse("SIGRTMAX-1", NULL), SIGRTMAX - 1);
}

static void test_bad_signals(void **state)
{
	const char *bad[] = {"", "0", "-1", "65", "FOO", "SIG", "9x", "RTMIN-1", "RTMAX+1", "RTMIN+99"};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cella_err_t err = NULL;

		if (cella_signal_parse(bad[i], &err) >= 0)
			fail_msg("accepted signal '%s'", bad[i]);
		assert_non_null(strstr(cella_error_string(err), "signal"));
		cella_error_release(&err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_ids),   cmocka_unit_test(test_invalid_ids),
		cmocka_unit_test(test_long_id),	    cmocka_unit_test(test_signals),
		cmocka_unit_test(test_bad_signals),
	};

	return cmocka_run_group_tests_name("runtime-ids", tests, NULL, NULL);
}
