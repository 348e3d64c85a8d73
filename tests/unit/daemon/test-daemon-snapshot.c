// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshot names: what may become a directory under <instance>/snapshots/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "snapshots.h"

static void test_valid_names(void **state)
{
	assert_true(cellad_snapshot_name_valid("snap0"));
	assert_true(cellad_snapshot_name_valid("before-upgrade_2.1"));
	assert_true(cellad_snapshot_name_valid("A"));
	/* 63 characters: the longest. */
	assert_true(cellad_snapshot_name_valid(
		"123456789012345678901234567890123456789012345678901234567890123"));
}

static void test_hostile_names(void **state)
{
	static const char *const bad[] = {
		"",	     ".",
		"..",	     ".hidden",
		"-rf",	     "../upper",
		"a/b",	     "a b",
		"tab\there", "new\nline",
		"x*",	     "1234567890123456789012345678901234567890123456789012345678901234", /* 64 */
	};

	assert_false(cellad_snapshot_name_valid(NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(cellad_snapshot_name_valid(bad[i]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_names),
		cmocka_unit_test(test_hostile_names),
	};

	return cmocka_run_group_tests_name("daemon-snapshot", tests, NULL, NULL);
}
