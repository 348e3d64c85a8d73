// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Not a test itself: tests/integration/network.sh drives libcella-network
 * through this, one verb per process, in a private network namespace.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "network.h"

static int usage(void)
{
	fprintf(stderr,
		"usage: network-driver create NAME CIDR [--nat] [--dhcp RANGE] [--state-dir DIR] [--mtu N]\n"
		"       network-driver delete NAME [--state-dir DIR]\n"
		"       network-driver describe NAME [--state-dir DIR]\n"
		"       network-driver attach BRIDGE PID IFNAME CIDR|- [GATEWAY|- [MAC]]\n"
		"       network-driver tap BRIDGE [NAME]\n"
		"       network-driver delete-link IFNAME\n"
		"       network-driver allocate CIDR [USED...]\n");
	return 2;
}

/* --state-dir and friends, after the positional arguments. */
static int options(int argc, char **argv, int from, struct cella_network_config *c)
{
	for (int i = from; i < argc; i++) {
		if (strcmp(argv[i], "--nat") == 0)
			c->nat = true;
		else if (strcmp(argv[i], "--dhcp") == 0 && i + 1 < argc)
			c->dhcp_range = argv[++i];
		else if (strcmp(argv[i], "--state-dir") == 0 && i + 1 < argc)
			c->state_dir = argv[++i];
		else if (strcmp(argv[i], "--mtu") == 0 && i + 1 < argc)
			c->mtu = (unsigned int)strtoul(argv[++i], NULL, 10);
		else
			return -1;
	}
	return 0;
}

static int run(int argc, char **argv, cella_err_t *err)
{
	struct cella_network_config c = {0};
	const char *verb = argv[1];

	if (strcmp(verb, "create") == 0 && argc >= 4) {
		c.name = argv[2];
		c.ipv4_cidr = argv[3];
		if (options(argc, argv, 4, &c) < 0)
			return usage();
		return cella_network_create(&c, err) < 0 ? 1 : 0;
	}
	if ((strcmp(verb, "delete") == 0 || strcmp(verb, "describe") == 0) && argc >= 3) {
		json_t *j;
		char *s;

		if (options(argc, argv, 3, &c) < 0)
			return usage();
		if (verb[1] == 'e' && verb[2] == 'l')
			return cella_network_delete(argv[2], c.state_dir, err) < 0 ? 1 : 0;
		j = cella_network_describe(argv[2], c.state_dir, err);
		if (j == NULL)
			return 1;
		s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
		puts(s);
		free(s);
		json_decref(j);
		return 0;
	}
	if (strcmp(verb, "attach") == 0 && argc >= 6 && argc <= 8) {
		char host[16];

		/* "-" for CIDR: no address (DHCP); for GATEWAY: no default route. */
		const char *cidr = strcmp(argv[5], "-") ? argv[5] : NULL;
		const char *gw = argc > 6 && strcmp(argv[6], "-") ? argv[6] : NULL;

		if (cella_network_attach_container(argv[2], (pid_t)atoi(argv[3]), argv[4],
						   argc > 7 ? argv[7] : NULL, cidr, gw, host, err) < 0)
			return 1;
		puts(host);
		return 0;
	}
	if (strcmp(verb, "tap") == 0 && (argc == 3 || argc == 4)) {
		char name[16];

		if (cella_network_create_tap(argv[2], argc == 4 ? argv[3] : NULL, name, NULL, err) < 0)
			return 1;
		puts(name);
		return 0;
	}
	if (strcmp(verb, "delete-link") == 0 && argc == 3)
		return cella_network_delete_link(argv[2], err) < 0 ? 1 : 0;
	if (strcmp(verb, "allocate") == 0 && argc >= 3) {
		size_t n = (size_t)(argc - 3);
		_cleanup_free_ uint32_t *used = calloc(n + 1, sizeof(*used));
		char out[32];

		if (used == NULL)
			return 1;
		for (size_t i = 0; i < n; i++) {
			if (cella_network_ipv4_parse("used", argv[3 + i], &used[i], err) < 0)
				return 1;
		}
		if (cella_network_allocate_ipv4(argv[2], used, n, out, err) < 0)
			return 1;
		puts(out);
		return 0;
	}
	return usage();
}

int main(int argc, char **argv)
{
	cella_err_t err = NULL;
	int ret;

	if (argc < 2)
		return usage();
	ret = run(argc, argv, &err);
	if (err != NULL)
		return cella_error_report("network-driver", &err);
	return ret;
}
