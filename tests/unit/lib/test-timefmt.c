// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for RFC 3339 timestamps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include <cella/timefmt.h>

static void test_epoch_and_nanoseconds(void **state)
{
	char buf[CELLA_TIME_RFC3339_MAX];
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 0};

	assert_int_equal(cella_time_rfc3339(buf, sizeof(buf), ts), 30);
	assert_string_equal(buf, "1970-01-01T00:00:00.000000000Z");
	ts.tv_sec = 1714566896; /* 2024-05-01T12:34:56Z */
	ts.tv_nsec = 123456789;
	assert_int_equal(cella_time_rfc3339(buf, sizeof(buf), ts), 30);
	assert_string_equal(buf, "2024-05-01T12:34:56.123456789Z");
	ts.tv_nsec = 1;
	cella_time_rfc3339(buf, sizeof(buf), ts);
	assert_string_equal(buf, "2024-05-01T12:34:56.000000001Z");
}

static void test_leap_day(void **state)
{
	char buf[CELLA_TIME_RFC3339_MAX];
	struct timespec ts = {.tv_sec = 951825600, .tv_nsec = 500000000}; /* 2000-02-29T12:00:00Z */

	assert_true(cella_time_rfc3339(buf, sizeof(buf), ts) > 0);
	assert_string_equal(buf, "2000-02-29T12:00:00.500000000Z");
}

static void test_four_digit_years(void **state)
{
	char buf[CELLA_TIME_RFC3339_MAX];
	struct timespec ts = {.tv_sec = -62167219200LL, .tv_nsec = 0}; /* 0000-01-01T00:00:00Z */

	assert_int_equal(cella_time_rfc3339(buf, sizeof(buf), ts), 30);
	assert_string_equal(buf, "0000-01-01T00:00:00.000000000Z");
	ts.tv_sec = 253402300799LL; /* the last second RFC 3339 can write */
	assert_int_equal(cella_time_rfc3339(buf, sizeof(buf), ts), 30);
	assert_string_equal(buf, "9999-12-31T23:59:59.000000000Z");
}

static void test_buffer_too_small(void **state)
{
	char buf[30]; /* one short of the 31 bytes needed */
	char exact[31];
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 0};

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(cella_time_rfc3339(buf, sizeof(buf), ts), -1);
	assert_string_equal(buf, "");
	assert_int_equal(cella_time_rfc3339(buf, 0, ts), -1);
	assert_int_equal(cella_time_rfc3339(exact, sizeof(exact), ts), 30);
	assert_string_equal(exact, "1970-01-01T00:00:00.000000000Z");
}

static void test_invalid_time(void **state)
{
	char buf[CELLA_TIME_RFC3339_MAX] = "junk";
	struct timespec ts = {.tv_sec = 0, .tv_nsec = 1000000000L};

	assert_int_equal(cella_time_rfc3339(buf, sizeof(buf), ts), -1);
	assert_string_equal(buf, "");
	ts.tv_nsec = -1;
	assert_int_equal(cella_time_rfc3339(buf, sizeof(buf), ts), -1);
	ts.tv_nsec = 0;
	ts.tv_sec = 253402300800LL; /* 10000-01-01: beyond RFC 3339's four-digit year */
	assert_int_equal(cella_time_rfc3339(buf, sizeof(buf), ts), -1);
	ts.tv_sec = -62167219201LL; /* one second before year 0 */
	assert_int_equal(cella_time_rfc3339(buf, sizeof(buf), ts), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_epoch_and_nanoseconds), cmocka_unit_test(test_leap_day),
		cmocka_unit_test(test_four_digit_years),      cmocka_unit_test(test_buffer_too_small),
		cmocka_unit_test(test_invalid_time),
	};

	return cmocka_run_group_tests_name("timefmt", tests, NULL, NULL);
}
