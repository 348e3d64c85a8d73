// SPDX-License-Identifier: GPL-2.0-or-later
/* `cella network list`: the networks cellad manages. */
#include "client.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char network_help[] =
	"NAME\n"
	"    cella network - list the networks cellad manages\n"
	"\n"
	"SYNOPSIS\n"
	"    cella network list [--format text|json]\n"
	"\n"
	"DESCRIPTION\n"
	"    list prints one line per network: NAME, TYPE, MANAGED, IPV4 (the\n"
	"    bridge's address and prefix), NAT, STATE and USED BY (the number of\n"
	"    instances with an address on it); with --format json, cellad's network\n"
	"    objects, leases and live state included. A cellad started with\n"
	"    --network none manages no network: the list is empty.\n"
	"\n"
	"OPTIONS\n"
	"    -f, --format text|json\n"
	"        Output format (default: text).\n"
	"    --socket PATH\n"
	"        cellad's socket (default: $CELLA_SOCKET, else /run/cella/cella.sock).\n"
	"    -h, --help\n"
	"        Show this page.\n"
	"\n"
	"EXIT STATUS\n"
	"    0 on success, 1 when cellad cannot be reached, 2 on a usage error.\n";

static int list_networks(const char *sock, enum cella_cli_format format, cella_err_t *err)
{
	json_t *list = NULL, *n;
	size_t i;

	if (cella_client_sync(sock, "GET", "/1.0/networks?recursion=1", NULL, &list, err) < 0)
		return -1;
	if (format == CELLA_CLI_FORMAT_JSON) {
		json_dumpf(list, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(list);
		return CELLA_EXIT_OK;
	}
	printf("%-16s %-8s %-7s %-18s %-5s %-8s %s\n", "NAME", "TYPE", "MANAGED", "IPV4", "NAT", "STATE",
	       "USED BY");
	json_array_foreach (list, i, n) {
		json_t *config = json_object_get(n, "config");
		const char *addr = json_string_value(json_object_get(config, "ipv4.address"));
		json_t *nat = json_object_get(config, "ipv4.nat");
		const char *nat_text = json_is_string(nat)    ? json_string_value(nat)
				       : json_is_boolean(nat) ? (json_is_true(nat) ? "true" : "false")
							      : "-";

		printf("%-16s %-8s %-7s %-18s %-5s %-8s %zu\n",
		       json_string_value(json_object_get(n, "name")) ?: "?",
		       json_string_value(json_object_get(n, "type")) ?: "-",
		       json_is_true(json_object_get(n, "managed")) ? "YES" : "NO", addr ? addr : "-",
		       nat_text, json_string_value(json_object_get(n, "status")) ?: "-",
		       json_array_size(json_object_get(n, "used_by")));
	}
	json_decref(list);
	return CELLA_EXIT_OK;
}

static int network_run(int argc, char **argv, cella_err_t *err)
{
	enum cella_cli_format format = CELLA_CLI_FORMAT_TEXT;
	const char *socket_opt = NULL;
	int c;

	c = cella_cli_format_options(argc, argv, &cella_cli_verb_network, &format, &socket_opt, err);
	if (c != 0)
		return c < 0 ? -1 : CELLA_EXIT_OK;
	if (optind >= argc)
		return cella_cli_usage_error(err, "network", "expected list");
	if (strcmp(argv[optind], "list") != 0)
		return cella_cli_usage_error(err, "network", "unknown subcommand '%s' (list)", argv[optind]);
	optind++;
	if (cella_cli_no_arguments(err, "network", argc, argv) < 0)
		return -1;
	return list_networks(cella_client_socket(socket_opt), format, err);
}

const struct cella_cli_verb cella_cli_verb_network = {
	.name = "network",
	.summary = "list the networks cellad manages",
	.help = network_help,
	.run = network_run,
};
