/* SPDX-License-Identifier: GPL-2.0-or-later */
/* v1 -> v2 value conversions, against the numbers runc produces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup/cgroup_internal.h"

static void test_shares_to_weight(void **state)
{
	assert_int_equal(cgroup_convert_shares_to_weight(0), 0); /* unset stays unset */
	assert_int_equal(cgroup_convert_shares_to_weight(2), 1);
	assert_int_equal(cgroup_convert_shares_to_weight(1024), 39); /* 1 + 1022*9999/262142 */
	assert_int_equal(cgroup_convert_shares_to_weight(262144), 10000);
	assert_int_equal(cgroup_convert_shares_to_weight(1), 1);	   /* clamped to the v1 minimum */
	assert_int_equal(cgroup_convert_shares_to_weight(1000000), 10000); /* and maximum */
}

static void test_blkio_weight(void **state)
{
	assert_int_equal(cgroup_convert_blkio_weight(0), 0);
	assert_int_equal(cgroup_convert_blkio_weight(10), 1);
	assert_int_equal(cgroup_convert_blkio_weight(500), 4950);
	assert_int_equal(cgroup_convert_blkio_weight(1000), 10000);
}

static int64_t swap_ok(int64_t swap, int64_t limit)
{
	cella_err_t err = NULL;
	int64_t out = 12345;

	assert_int_equal(cgroup_convert_swap_to_v2(swap, limit, &out, &err), 0);
	return out;
}

static void test_swap(void **state)
{
	cella_err_t err = NULL;
	int64_t out;

	assert_int_equal(swap_ok(0, -1), -1);	     /* unlimited memory, swap unset: both unlimited */
	assert_int_equal(swap_ok(-1, 1000), -1);     /* unlimited swap */
	assert_int_equal(swap_ok(0, 1000), 0);	     /* unset */
	assert_int_equal(swap_ok(3000, 1000), 2000); /* memory+swap on v1 is swap alone on v2 */
	assert_int_equal(swap_ok(1000, 1000), 0);

	assert_true(cgroup_convert_swap_to_v2(500, 1000, &out, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "linux.resources.memory.swap"));
	cella_error_release(&err);
	assert_true(cgroup_convert_swap_to_v2(500, 0, &out, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "without memory.limit"));
	cella_error_release(&err);
}

static void test_cpu_max(void **state)
{
	char buf[64];

	assert_false(cgroup_format_cpu_max(0, 0, buf, sizeof(buf)));
	assert_true(cgroup_format_cpu_max(50000, 100000, buf, sizeof(buf)));
	assert_string_equal(buf, "50000 100000");
	assert_true(cgroup_format_cpu_max(-1, 100000, buf, sizeof(buf)));
	assert_string_equal(buf, "max 100000");
	assert_true(cgroup_format_cpu_max(20000, 0, buf, sizeof(buf)));
	assert_string_equal(buf, "20000");
	assert_true(cgroup_format_cpu_max(-1, 0, buf, sizeof(buf)));
	assert_string_equal(buf, "max");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shares_to_weight),
		cmocka_unit_test(test_blkio_weight),
		cmocka_unit_test(test_swap),
		cmocka_unit_test(test_cpu_max),
	};

	return cmocka_run_group_tests_name("cgroup-convert", tests, NULL, NULL);
}
