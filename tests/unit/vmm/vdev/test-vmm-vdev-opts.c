// SPDX-License-Identifier: GPL-2.0-or-later
/* Device option lists: CLI strings (escapes, suffixes), JSON objects, errors that name the field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include "vdev/vdev_opts.h"

static void test_cli_string(void **state)
{
	struct vdev_opts o;
	cella_err_t err = NULL;
	uint64_t n;
	bool b;
	uint8_t mac[6];
	char buf[32];

	assert_int_equal(vdev_opts_parse(&o, "--disk",
					 "path=a,,b.img,readonly=on,bps=10M,mac=52:54:00:ab:CD:ef,", &err),
			 0);
	assert_int_equal(o.n, 4);
	assert_string_equal(vdev_opts_get(&o, "path"), "a,b.img");
	assert_int_equal(vdev_opts_bool(&o, "readonly", false, &b, &err), 0);
	assert_true(b);
	assert_int_equal(vdev_opts_u64(&o, "bps", 0, 0, UINT64_MAX, &n, &err), 0);
	assert_int_equal(n, 10ULL << 20);
	assert_int_equal(vdev_opts_mac(&o, "mac", mac, &b, &err), 0);
	assert_true(b);
	assert_memory_equal(mac, "\x52\x54\x00\xab\xcd\xef", 6);
	/* Absent keys give defaults. */
	assert_int_equal(vdev_opts_u64(&o, "iops", 7, 0, 10, &n, &err), 0);
	assert_int_equal(n, 7);
	assert_int_equal(vdev_opts_str(&o, "id", "disk0", buf, sizeof(buf), &err), 0);
	assert_string_equal(buf, "disk0");
	assert_int_equal(vdev_opts_check_unused(&o, &err), 0);
	vdev_opts_release(&o);
	/* Empty items are skipped; an empty string is no options. */
	assert_int_equal(vdev_opts_parse(&o, "--rng", "", &err), 0);
	assert_int_equal(o.n, 0);
}

static void expect(const char *str, const char *key, const char *msg)
{
	struct vdev_opts o;
	cella_err_t err = NULL;
	uint64_t n;

	if (vdev_opts_parse(&o, "--x", str, &err) == 0) {
		assert_true(vdev_opts_u64(&o, key, 0, 1, 1000, &n, &err) < 0);
		vdev_opts_release(&o);
	}
	assert_non_null(err);
	if (strcmp(cella_error_string(err), msg))
		fail_msg("'%s': got '%s', expected '%s'", str, cella_error_string(err), msg);
	cella_error_release(&err);
}

static void test_number_errors(void **state)
{
	expect("n=0", "n", "--x: n: 0 is outside [1, 1000]");
	expect("n=1K", "n", "--x: n: 1K is outside [1, 1000]");
	expect("n=-1", "n", "--x: n: expected a number, not '-1'");
	expect("n=12abc", "n", "--x: n: expected a number, not '12abc'");
	expect("n=99999999999999999999", "n", "--x: n: '99999999999999999999' is out of range");
	expect("n=17179869184T", "n", "--x: n: '17179869184T' is out of range");
	expect("n=1,n=2", "n", "--x: n: given twice");
	expect("=5", "n", "--x: empty option name");
}

static void test_json(void **state)
{
	struct vdev_opts o;
	cella_err_t err = NULL;
	json_t *j = json_pack("{s:s, s:b, s:I}", "tap", "tap0", "vnet", 0, "bps", (json_int_t)5000);
	bool b = true;
	uint64_t n;

	assert_int_equal(vdev_opts_from_json(&o, "net[0]", j, &err), 0);
	assert_string_equal(vdev_opts_get(&o, "tap"), "tap0");
	assert_int_equal(vdev_opts_bool(&o, "vnet", true, &b, &err), 0);
	assert_false(b);
	assert_int_equal(vdev_opts_u64(&o, "bps", 0, 0, UINT64_MAX, &n, &err), 0);
	assert_int_equal(n, 5000);
	vdev_opts_release(&o);
	json_decref(j);

	j = json_pack("{s:f}", "bps", 1.5);
	assert_true(vdev_opts_from_json(&o, "net[0]", j, &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "net[0]: bps: expected a string, a non-negative integer or a boolean");
	cella_error_release(&err);
	json_decref(j);
	j = json_pack("[]");
	assert_true(vdev_opts_from_json(&o, "net[0]", j, &err) < 0);
	assert_string_equal(cella_error_string(err), "net[0]: expected a JSON object");
	cella_error_release(&err);
	json_decref(j);
}

static void test_unused_key(void **state)
{
	struct vdev_opts o;
	cella_err_t err = NULL;

	assert_int_equal(vdev_opts_parse(&o, "--vsock", "cid=3,sokcet=/tmp/v", &err), 0);
	assert_non_null(vdev_opts_get(&o, "cid"));
	assert_true(vdev_opts_check_unused(&o, &err) < 0);
	assert_string_equal(cella_error_string(err), "--vsock: unknown option 'sokcet'");
	cella_error_release(&err);
	vdev_opts_release(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_string),
		cmocka_unit_test(test_number_errors),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_unused_key),
	};

	return cmocka_run_group_tests_name("vmm-vdev-opts", tests, NULL, NULL);
}
