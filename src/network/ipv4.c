// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * IPv4 text parsing and address allocation. Pure functions: everything the
 * daemon or a user hands in is checked here, and errors name the config field.
 */
#include "network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Strict dotted quad: four decimal parts, 0..255, no signs, spaces or leading zeros. */
static bool parse_quad(const char *s, size_t len, uint32_t *out)
{
	uint32_t value = 0;
	size_t i = 0;

	for (int part = 0; part < 4; part++) {
		unsigned int n = 0, digits = 0;

		if (part > 0) {
			if (i >= len || s[i] != '.')
				return false;
			i++;
		}
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (digits == 1 && n == 0)
				return false; /* leading zero: "010" is octal to inet_aton */
			n = n * 10 + (unsigned int)(s[i] - '0');
			if (n > 255)
				return false;
			digits++;
			i++;
		}
		if (digits == 0)
			return false;
		value = (value << 8) | n;
	}
	if (i != len)
		return false;
	*out = value;
	return true;
}

int cella_network_ipv4_parse(const char *field, const char *text, uint32_t *out, cella_err_t *err)
{
	if (text == NULL || *text == '\0')
		return cella_error_make(err, 0, "%s: missing IPv4 address", field);
	if (!parse_quad(text, strlen(text), out))
		return cella_error_make(err, 0, "%s: %s is not an IPv4 address", field, text);
	return 0;
}

int cella_network_ipv4_cidr_parse(const char *field, const char *text, struct cella_ipv4_cidr *out,
				  cella_err_t *err)
{
	const char *slash;
	unsigned int prefix = 0;
	const char *p;

	if (text == NULL || *text == '\0')
		return cella_error_make(err, 0, "%s: missing IPv4 address/prefix", field);
	slash = strchr(text, '/');
	if (slash == NULL)
		return cella_error_make(err, 0, "%s: %s has no /prefix (expected a.b.c.d/len)", field, text);
	if (!parse_quad(text, (size_t)(slash - text), &out->address))
		return cella_error_make(err, 0, "%s: %s is not an IPv4 address", field, text);
	p = slash + 1;
	if (*p == '\0' || strlen(p) > 2 || (p[0] == '0' && p[1] != '\0'))
		return cella_error_make(err, 0, "%s: %s has an invalid prefix length", field, text);
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return cella_error_make(err, 0, "%s: %s has an invalid prefix length", field, text);
		prefix = prefix * 10 + (unsigned int)(*p - '0');
	}
	if (prefix > 32)
		return cella_error_make(err, 0, "%s: %s: prefix length %u is over 32", field, text, prefix);
	out->prefix = prefix;
	return 0;
}

void cella_network_ipv4_format(uint32_t address, char out[16])
{
	snprintf(out, 16, "%u.%u.%u.%u", (address >> 24) & 0xff, (address >> 16) & 0xff,
		 (address >> 8) & 0xff, address & 0xff);
}

static uint32_t netmask(unsigned int prefix)
{
	return prefix == 0 ? 0 : ~(uint32_t)0 << (32 - prefix);
}

int cella_network_ipv4_gateway_validate(const char *field, const struct cella_ipv4_cidr *c, cella_err_t *err)
{
	uint32_t mask = netmask(c->prefix);
	char a[16];

	cella_network_ipv4_format(c->address, a);
	/* /31 and /32 leave no host addresses for instances; below /8 is not a bridge subnet. */
	if (c->prefix < 8 || c->prefix > 30)
		return cella_error_make(err, 0, "%s: %s/%u: prefix must be between /8 and /30", field, a,
					c->prefix);
	if ((c->address & ~mask) == 0)
		return cella_error_make(err, 0, "%s: %s/%u is the network address, not a host address", field,
					a, c->prefix);
	if ((c->address & ~mask) == ~mask)
		return cella_error_make(err, 0, "%s: %s/%u is the broadcast address, not a host address",
					field, a, c->prefix);
	if ((c->address >> 24) == 127 || (c->address >> 28) >= 14 || (c->address >> 24) == 0)
		return cella_error_make(err, 0, "%s: %s is not a usable unicast address", field, a);
	return 0;
}

/* Whether addr may be handed to an instance of gw's subnet. */
static bool is_host_address(const struct cella_ipv4_cidr *gw, uint32_t addr)
{
	uint32_t mask = netmask(gw->prefix);

	return (addr & mask) == (gw->address & mask) && (addr & ~mask) != 0 && (addr & ~mask) != ~mask &&
	       addr != gw->address;
}

int cella_network_dhcp_range_parse(const char *field, const char *text, const struct cella_ipv4_cidr *gw,
				   uint32_t *first, uint32_t *last, cella_err_t *err)
{
	const char *dash;

	if (text == NULL || *text == '\0')
		return cella_error_make(err, 0, "%s: missing range (expected FIRST-LAST)", field);
	dash = strchr(text, '-');
	if (dash == NULL || !parse_quad(text, (size_t)(dash - text), first) ||
	    !parse_quad(dash + 1, strlen(dash + 1), last))
		return cella_error_make(err, 0, "%s: %s is not an IPv4 range (expected FIRST-LAST)", field,
					text);
	if (*first > *last)
		return cella_error_make(err, 0, "%s: %s: the first address is above the last", field, text);
	if (!is_host_address(gw, *first) || !is_host_address(gw, *last) ||
	    (gw->address >= *first && gw->address <= *last)) {
		char g[16];

		cella_network_ipv4_format(gw->address, g);
		return cella_error_make(
			err, 0, "%s: %s is not inside %s/%u's host addresses (or contains the gateway)",
			field, text, g, gw->prefix);
	}
	return 0;
}

int cella_network_allocate_ipv4(const char *cidr, const uint32_t *used, size_t n, char out[32],
				cella_err_t *err)
{
	struct cella_ipv4_cidr gw;
	uint32_t mask, base, count;
	int ret;

	ret = cella_network_ipv4_cidr_parse("network.ipv4.address", cidr, &gw, err);
	if (ret < 0)
		return ret;
	ret = cella_network_ipv4_gateway_validate("network.ipv4.address", &gw, err);
	if (ret < 0)
		return ret;
	mask = netmask(gw.prefix);
	base = gw.address & mask;
	count = ~mask; /* host part values 1 .. count-1 are hosts */
	for (uint32_t host = 1; host < count; host++) {
		uint32_t candidate = base | host;
		bool taken = candidate == gw.address;

		for (size_t i = 0; i < n && !taken; i++)
			taken = used[i] == candidate;
		if (!taken) {
			char a[16];

			cella_network_ipv4_format(candidate, a);
			snprintf(out, 32, "%s/%u", a, gw.prefix);
			return 0;
		}
	}
	return cella_error_make(err, 0, "network %s: no free IPv4 address left in the pool", cidr);
}
