// SPDX-License-Identifier: GPL-2.0-or-later
/* IPv4 parsing, validation and allocation: errors name the field and the value. */
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

static void test_cidr_valid(void **state)
{
	struct cella_ipv4_cidr c;
	cella_err_t err = NULL;

	assert_int_equal(cella_network_ipv4_cidr_parse("f", "10.118.0.1/24", &c, &err), 0);
	assert_int_equal(c.address, 0x0a760001);
	assert_int_equal(c.prefix, 24);
	assert_int_equal(cella_network_ipv4_cidr_parse("f", "0.0.0.0/0", &c, &err), 0);
	assert_int_equal(c.prefix, 0);
	assert_int_equal(cella_network_ipv4_cidr_parse("f", "255.255.255.255/32", &c, &err), 0);
	assert_int_equal(c.address, 0xffffffff);
	assert_null(err);
}

static void test_cidr_invalid(void **state)
{
	struct cella_ipv4_cidr c;
	cella_err_t err = NULL;

	expect_error(cella_network_ipv4_cidr_parse("network.ipv4.address", "10.0.0.300/24", &c, &err), &err,
		     "network.ipv4.address: 10.0.0.300/24 is not an IPv4 address");
	expect_error(cella_network_ipv4_cidr_parse("x", "10.0.0.1", &c, &err), &err,
		     "x: 10.0.0.1 has no /prefix");
	expect_error(cella_network_ipv4_cidr_parse("x", "10.0.0.1/33", &c, &err), &err,
		     "prefix length 33 is over 32");
	expect_error(cella_network_ipv4_cidr_parse("x", "10.0.0.1/", &c, &err), &err,
		     "invalid prefix length");
	expect_error(cella_network_ipv4_cidr_parse("x", "10.0.0.1/024", &c, &err), &err,
		     "invalid prefix length");
	expect_error(cella_network_ipv4_cidr_parse("x", "10.0.0.1/2a", &c, &err), &err,
		     "invalid prefix length");
	expect_error(cella_network_ipv4_cidr_parse("x", "10.0.0/24", &c, &err), &err,
		     "is not an IPv4 address");
	expect_error(cella_network_ipv4_cidr_parse("x", "10.0.0.1.1/24", &c, &err), &err,
		     "is not an IPv4 address");
	expect_error(cella_network_ipv4_cidr_parse("x", "010.0.0.1/24", &c, &err), &err,
		     "is not an IPv4 address");
	expect_error(cella_network_ipv4_cidr_parse("x", " 10.0.0.1/24", &c, &err), &err,
		     "is not an IPv4 address");
	expect_error(cella_network_ipv4_cidr_parse("x", "10..0.1/24", &c, &err), &err,
		     "is not an IPv4 address");
	expect_error(cella_network_ipv4_cidr_parse("x", "", &c, &err), &err, "x: missing");
	expect_error(cella_network_ipv4_cidr_parse("x", NULL, &c, &err), &err, "x: missing");
}

static void test_address(void **state)
{
	cella_err_t err = NULL;
	uint32_t a;
	char text[16];

	assert_int_equal(cella_network_ipv4_parse("f", "192.168.1.254", &a, &err), 0);
	assert_int_equal(a, 0xc0a801fe);
	cella_network_ipv4_format(a, text);
	assert_string_equal(text, "192.168.1.254");
	expect_error(cella_network_ipv4_parse("nic.ipv4.gateway", "192.168.1.256", &a, &err), &err,
		     "nic.ipv4.gateway: 192.168.1.256 is not an IPv4 address");
	expect_error(cella_network_ipv4_parse("g", "1.2.3.4/8", &a, &err), &err,
		     "g: 1.2.3.4/8 is not an IPv4");
	expect_error(cella_network_ipv4_parse("g", "-1.2.3.4", &a, &err), &err, "is not an IPv4");
}

static void test_gateway(void **state)
{
	struct cella_ipv4_cidr c;
	cella_err_t err = NULL;

	assert_int_equal(cella_network_ipv4_cidr_parse("f", "10.118.0.1/24", &c, &err), 0);
	assert_int_equal(cella_network_ipv4_gateway_validate("f", &c, &err), 0);
	c = (struct cella_ipv4_cidr){0x0a760000, 24};
	expect_error(cella_network_ipv4_gateway_validate("network.ipv4.address", &c, &err), &err,
		     "network.ipv4.address: 10.118.0.0/24 is the network address");
	c = (struct cella_ipv4_cidr){0x0a7600ff, 24};
	expect_error(cella_network_ipv4_gateway_validate("f", &c, &err), &err, "is the broadcast address");
	c = (struct cella_ipv4_cidr){0x0a760001, 31};
	expect_error(cella_network_ipv4_gateway_validate("f", &c, &err), &err,
		     "prefix must be between /8 and /30");
	c = (struct cella_ipv4_cidr){0x7f000001, 8};
	expect_error(cella_network_ipv4_gateway_validate("f", &c, &err), &err,
		     "not a usable unicast address");
	c = (struct cella_ipv4_cidr){0xe0000001, 24};
	expect_error(cella_network_ipv4_gateway_validate("f", &c, &err), &err,
		     "not a usable unicast address");
}

static void test_dhcp_range(void **state)
{
	struct cella_ipv4_cidr gw = {0x0a760001, 24};
	cella_err_t err = NULL;
	uint32_t first, last;

	assert_int_equal(
		cella_network_dhcp_range_parse("r", "10.118.0.100-10.118.0.200", &gw, &first, &last, &err),
		0);
	assert_int_equal(first, 0x0a760064);
	assert_int_equal(last, 0x0a7600c8);
	expect_error(cella_network_dhcp_range_parse("network.ipv4.dhcp_range", "10.118.0.100", &gw, &first,
						    &last, &err),
		     &err, "network.ipv4.dhcp_range: 10.118.0.100 is not an IPv4 range");
	expect_error(
		cella_network_dhcp_range_parse("r", "10.118.0.200-10.118.0.100", &gw, &first, &last, &err),
		&err, "first address is above the last");
	expect_error(cella_network_dhcp_range_parse("r", "10.118.1.2-10.118.1.9", &gw, &first, &last, &err),
		     &err, "not inside 10.118.0.1/24");
	expect_error(cella_network_dhcp_range_parse("r", "10.118.0.1-10.118.0.9", &gw, &first, &last, &err),
		     &err, "contains the gateway");
	expect_error(cella_network_dhcp_range_parse("r", "10.118.0.2-10.118.0.255", &gw, &first, &last, &err),
		     &err, "not inside");
	expect_error(cella_network_dhcp_range_parse("r", "10.118.0.2-x", &gw, &first, &last, &err), &err,
		     "is not an IPv4 range");
}

static void test_allocate(void **state)
{
	cella_err_t err = NULL;
	char out[32];
	uint32_t used[] = {0x0a760002, 0x0a760003, 0x0a760005};

	assert_int_equal(cella_network_allocate_ipv4("10.118.0.1/24", NULL, 0, out, &err), 0);
	assert_string_equal(out, "10.118.0.2/24");
	assert_int_equal(cella_network_allocate_ipv4("10.118.0.1/24", used, 3, out, &err), 0);
	assert_string_equal(out, "10.118.0.4/24");
	/* The gateway need not be .1: .1 is then free for instances. */
	assert_int_equal(cella_network_allocate_ipv4("10.118.0.254/24", NULL, 0, out, &err), 0);
	assert_string_equal(out, "10.118.0.1/24");
	assert_null(err);
}

static void test_allocate_full_pool(void **state)
{
	/* A /29 has hosts .1-.6; the gateway is .1, so .2-.6 are the pool. */
	uint32_t used[] = {0x0a000002, 0x0a000003, 0x0a000004, 0x0a000005, 0x0a000006};
	cella_err_t err = NULL;
	char out[32];

	assert_int_equal(cella_network_allocate_ipv4("10.0.0.1/29", used, 4, out, &err), 0);
	assert_string_equal(out, "10.0.0.6/29");
	expect_error(cella_network_allocate_ipv4("10.0.0.1/29", used, 5, out, &err), &err,
		     "network 10.0.0.1/29: no free IPv4 address left in the pool");
	/* /30: one address besides the gateway. */
	assert_int_equal(cella_network_allocate_ipv4("10.0.0.1/30", NULL, 0, out, &err), 0);
	assert_string_equal(out, "10.0.0.2/30");
	expect_error(cella_network_allocate_ipv4("10.0.0.1/30", used, 1, out, &err), &err,
		     "no free IPv4 address");
	expect_error(cella_network_allocate_ipv4("10.0.0.300/24", NULL, 0, out, &err), &err,
		     "network.ipv4.address: 10.0.0.300/24 is not an IPv4 address");
	expect_error(cella_network_allocate_ipv4("10.0.0.0/24", NULL, 0, out, &err), &err,
		     "is the network address");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_valid),
		cmocka_unit_test(test_cidr_invalid),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_gateway),
		cmocka_unit_test(test_dhcp_range),
		cmocka_unit_test(test_allocate),
		cmocka_unit_test(test_allocate_full_pool),
	};

	return cmocka_run_group_tests_name("network-ipv4", tests, NULL, NULL);
}
