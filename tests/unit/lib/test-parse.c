// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the strict number, size and boolean parsers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>

#include <cella/cleanup.h>
#include <cella/parse.h>

static void test_uint64_valid(void **state)
{
	uint64_t v = 7;

	assert_int_equal(cella_parse_uint64("0", &v, NULL), 0);
	assert_int_equal(v, 0);
	assert_int_equal(cella_parse_uint64("0042", &v, NULL), 0);
	assert_int_equal(v, 42);
	assert_int_equal(cella_parse_uint64("18446744073709551615", &v, NULL), 0);
	assert_true(v == UINT64_MAX);
}

static void expect_uint64_error(const char *str, const char *msg)
{
	_cleanup_error_ cella_err_t err = NULL;
	uint64_t v = 99;

	assert_true(cella_parse_uint64(str, &v, &err) < 0);
	assert_int_equal(v, 99); /* untouched on failure */
	assert_non_null(err);
	assert_string_equal(cella_error_string(err), msg);
}

static void test_uint64_invalid(void **state)
{
	expect_uint64_error("", "invalid number '': expected decimal digits");
	expect_uint64_error("-1", "invalid number '-1': expected decimal digits");
	expect_uint64_error("+1", "invalid number '+1': expected decimal digits");
	expect_uint64_error(" 1", "invalid number ' 1': expected decimal digits");
	expect_uint64_error("12abc", "invalid number '12abc': unexpected trailing 'abc'");
	expect_uint64_error("1 ", "invalid number '1 ': unexpected trailing ' '");
	expect_uint64_error("0x10", "invalid number '0x10': unexpected trailing 'x10'");
	expect_uint64_error("18446744073709551616", "number '18446744073709551616' is too large");
	expect_uint64_error("99999999999999999999999", "number '99999999999999999999999' is too large");
	expect_uint64_error(NULL, "missing number");
}

static void test_uint32(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	uint32_t v = 5;

	assert_int_equal(cella_parse_uint32("4294967295", &v, NULL), 0);
	assert_true(v == UINT32_MAX);
	assert_true(cella_parse_uint32("4294967296", &v, &err) < 0);
	assert_true(v == UINT32_MAX);
	assert_string_equal(cella_error_string(err), "number '4294967296' is too large (maximum 4294967295)");
	assert_true(cella_parse_uint32("x", &v, &err) < 0);
	assert_string_equal(cella_error_string(err), "invalid number 'x': expected decimal digits");
}

static void test_size_valid(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} cases[] = {
		{"0", 0},
		{"512", 512},
		{"512B", 512},
		{"4K", 4096},
		{"4k", 4096},
		{"4KiB", 4096},
		{"4kb", 4096},
		{"128M", 128ull << 20},
		{"128MiB", 128ull << 20},
		{"2G", 2ull << 30},
		{"2g", 2ull << 30},
		{"1T", 1ull << 40},
		{"16777215T", 16777215ull << 40},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 1;

		assert_int_equal(cella_parse_size(cases[i].s, &v, NULL), 0);
		assert_true(v == cases[i].v);
	}
}

static void test_size_invalid(void **state)
{
	static const struct {
		const char *s;
		const char *msg;
	} cases[] = {
		{"", "invalid size '': expected decimal digits"},
		{"M", "invalid size 'M': expected decimal digits"},
		{"-4K", "invalid size '-4K': expected decimal digits"},
		{"1.5G", "invalid size '1.5G': unknown suffix '.5G' (use K, M, G or T)"},
		{"4X", "invalid size '4X': unknown suffix 'X' (use K, M, G or T)"},
		{"4KK", "invalid size '4KK': unknown suffix 'KK' (use K, M, G or T)"},
		{"4 K", "invalid size '4 K': unknown suffix ' K' (use K, M, G or T)"},
		{"4Mi", "invalid size '4Mi': unknown suffix 'Mi' (use K, M, G or T)"},
		{"16777216T", "size '16777216T' is too large"},
		{"18446744073709551616", "size '18446744073709551616' is too large"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_error_ cella_err_t err = NULL;
		uint64_t v = 3;

		assert_true(cella_parse_size(cases[i].s, &v, &err) < 0);
		assert_int_equal(v, 3);
		assert_string_equal(cella_error_string(err), cases[i].msg);
	}
}

static void test_bool(void **state)
{
	static const char *const yes[] = {"true", "TRUE", "yes", "On", "1"};
	static const char *const no[] = {"false", "False", "no", "OFF", "0"};
	_cleanup_error_ cella_err_t err = NULL;
	bool b;

	for (size_t i = 0; i < 5; i++) {
		b = false;
		assert_int_equal(cella_parse_bool(yes[i], &b, NULL), 0);
		assert_true(b);
		assert_int_equal(cella_parse_bool(no[i], &b, NULL), 0);
		assert_false(b);
	}
	b = true;
	assert_true(cella_parse_bool("maybe", &b, &err) < 0);
	assert_true(b);
	assert_string_equal(cella_error_string(err), "invalid boolean 'maybe': expected true or false");
	assert_true(cella_parse_bool("", &b, &err) < 0);
	assert_true(cella_parse_bool("true ", &b, &err) < 0);
	assert_true(cella_parse_bool(NULL, &b, &err) < 0);
	assert_string_equal(cella_error_string(err), "missing boolean");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uint64_valid), cmocka_unit_test(test_uint64_invalid),
		cmocka_unit_test(test_uint32),	     cmocka_unit_test(test_size_valid),
		cmocka_unit_test(test_size_invalid), cmocka_unit_test(test_bool),
	};

	return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
