// SPDX-License-Identifier: GPL-2.0-or-later
/* Interface names and MAC addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "network.h"

static void expect_error(int ret, cella_err_t *err, const char *want)
{
	assert_true(ret < 0);
	assert_non_null(*err);
	if (strstr(cella_error_string(*err), want) == NULL)
		fail_msg("error \"%s\" does not contain \"%s\"", cella_error_string(*err), want);
	cella_error_release(err);
}

static void test_ifname(void **state)
{
	cella_err_t err = NULL;

	assert_int_equal(cella_network_ifname_validate("n", "cellabr0", &err), 0);
	assert_int_equal(cella_network_ifname_validate("n", "br-a.b_c", &err), 0);
	assert_int_equal(cella_network_ifname_validate("n", "123456789012345", &err), 0);
	expect_error(cella_network_ifname_validate("network.name", "1234567890123456", &err), &err,
		     "network.name: interface name 1234567890123456 is longer than 15 characters");
	expect_error(cella_network_ifname_validate("n", "a/b", &err), &err, "may only contain");
	expect_error(cella_network_ifname_validate("n", "a b", &err), &err, "may only contain");
	expect_error(cella_network_ifname_validate("n", "a\"b", &err), &err, "may only contain");
	expect_error(cella_network_ifname_validate("n", "..", &err), &err, "not a valid interface name");
	expect_error(cella_network_ifname_validate("n", "", &err), &err, "n: missing interface name");
	expect_error(cella_network_ifname_validate("n", NULL, &err), &err, "n: missing interface name");
}

static void test_mac_parse(void **state)
{
	cella_err_t err = NULL;
	uint8_t mac[6];
	char text[18];

	assert_int_equal(cella_network_mac_parse("m", "02:16:3E:00:aB:ff", mac, &err), 0);
	assert_int_equal(mac[0], 0x02);
	assert_int_equal(mac[4], 0xab);
	assert_int_equal(mac[5], 0xff);
	cella_network_mac_format(mac, text);
	assert_string_equal(text, "02:16:3e:00:ab:ff");
	expect_error(cella_network_mac_parse("nic.hwaddr", "01:00:5e:00:00:01", mac, &err), &err,
		     "nic.hwaddr: 01:00:5e:00:00:01 is a multicast MAC address");
	expect_error(cella_network_mac_parse("m", "00:00:00:00:00:00", mac, &err), &err, "all-zero");
	expect_error(cella_network_mac_parse("m", "02:16:3e:00:ab", mac, &err), &err, "is not a MAC address");
	expect_error(cella_network_mac_parse("m", "02-16-3e-00-ab-ff", mac, &err), &err,
		     "is not a MAC address");
	expect_error(cella_network_mac_parse("m", "02:16:3e:00:ab:fg", mac, &err), &err,
		     "is not a MAC address");
	expect_error(cella_network_mac_parse("m", "02:16:3e:00:ab:ff:", mac, &err), &err,
		     "is not a MAC address");
	expect_error(cella_network_mac_parse("m", NULL, mac, &err), &err, "is not a MAC address");
}

static void test_mac_generate(void **state)
{
	cella_err_t err = NULL;
	char a[18], b[18];
	uint8_t mac[6];

	assert_int_equal(cella_network_mac_generate(a, &err), 0);
	assert_int_equal(cella_network_mac_generate(b, &err), 0);
	assert_int_equal(strlen(a), 17);
	/* Valid, unicast, locally administered. */
	assert_int_equal(cella_network_mac_parse("m", a, mac, &err), 0);
	assert_int_equal(mac[0] & 0x03, 0x02);
	/* 46 random bits: two equal draws would mean the generator is broken. */
	assert_string_not_equal(a, b);
	assert_null(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ifname),
		cmocka_unit_test(test_mac_parse),
		cmocka_unit_test(test_mac_generate),
	};

	return cmocka_run_group_tests_name("network-names", tests, NULL, NULL);
}
