// SPDX-License-Identifier: GPL-2.0-or-later
/* Interface names and MAC addresses: validation, formatting, generation. */
#include "network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

int cella_network_ifname_validate(const char *field, const char *name, cella_err_t *err)
{
	size_t len;

	if (name == NULL || *name == '\0')
		return cella_error_make(err, 0, "%s: missing interface name", field);
	len = strlen(name);
	if (len > 15)
		return cella_error_make(err, 0, "%s: interface name %s is longer than 15 characters", field,
					name);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cella_error_make(err, 0, "%s: %s is not a valid interface name", field, name);
	/* Stricter than the kernel (which only forbids '/', ':' and spaces): the
	 * name also becomes an nftables chain and a file name. */
	if (strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != len)
		return cella_error_make(
			err, 0, "%s: interface name %s may only contain letters, digits, '_', '.' and '-'",
			field, name);
	return 0;
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cella_network_mac_parse(const char *field, const char *text, uint8_t out[6], cella_err_t *err)
{
	if (text == NULL || strlen(text) != 17)
		return cella_error_make(err, 0, "%s: %s is not a MAC address (expected xx:xx:xx:xx:xx:xx)",
					field, text ? text : "(null)");
	for (int i = 0; i < 6; i++) {
		int hi = hex_value(text[i * 3]), lo = hex_value(text[i * 3 + 1]);

		if (hi < 0 || lo < 0 || (i < 5 && text[i * 3 + 2] != ':'))
			return cella_error_make(err, 0,
						"%s: %s is not a MAC address (expected xx:xx:xx:xx:xx:xx)",
						field, text);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	if (out[0] & 1)
		return cella_error_make(err, 0, "%s: %s is a multicast MAC address", field, text);
	if ((out[0] | out[1] | out[2] | out[3] | out[4] | out[5]) == 0)
		return cella_error_make(err, 0, "%s: %s is the all-zero MAC address", field, text);
	return 0;
}

void cella_network_mac_format(const uint8_t mac[6], char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

int cella_network_mac_generate(char out[18], cella_err_t *err)
{
	uint8_t mac[6];

	if (getrandom(mac, sizeof(mac), 0) != (ssize_t)sizeof(mac))
		return cella_error_sys(err, "generating a MAC address: getrandom");
	/* Locally administered (bit 1) unicast (bit 0 clear): never collides with a vendor's MAC. */
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02);
	cella_network_mac_format(mac, out);
	return 0;
}
