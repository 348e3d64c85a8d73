// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * NAT for a network: table "ip cella" holds, per network NAME, the base chains
 * "nat-NAME" (masquerade the subnet when it leaves it) and "fwd-NAME" (accept
 * the bridge's traffic). nft takes chain names only as bare words starting
 * with a letter, hence the prefixes (NAME may start with a digit). Per-network chains let one
 * network be removed without parsing rule handles. Scripts go through
 * `nft -f -`, which applies them as one transaction: all or nothing.
 */
#include "tools.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include <cella/cleanup.h>

char *net_nft_script_add(const char *name, const struct cella_ipv4_cidr *gw)
{
	uint32_t mask = gw->prefix == 0 ? 0 : ~(uint32_t)0 << (32 - gw->prefix);
	char net[16];
	char *s = NULL;

	cella_network_ipv4_format(gw->address & mask, net);
	/* Names are validated ([A-Za-z0-9_.-]{1,15}) before they get here: bare words nft accepts. */
	if (asprintf(&s,
		     "add table ip cella\n"
		     "add chain ip cella nat-%1$s { type nat hook postrouting priority srcnat; policy "
		     "accept; }\n"
		     "add rule ip cella nat-%1$s ip saddr %2$s/%3$u ip daddr != %2$s/%3$u masquerade "
		     "comment \"cella network %1$s\"\n"
		     "add chain ip cella fwd-%1$s { type filter hook forward priority filter; policy "
		     "accept; }\n"
		     "add rule ip cella fwd-%1$s iifname \"%1$s\" accept\n"
		     "add rule ip cella fwd-%1$s oifname \"%1$s\" ct state established,related accept\n",
		     name, net, gw->prefix) < 0)
		return NULL;
	return s;
}

static int nft_run(const char *what, const char *const args[], const char *input, char **output,
		   cella_err_t *err)
{
	const char *argv[8];
	char path[64];
	_cleanup_free_ char *out = NULL;
	size_t n = 0;
	int ret;

	argv[n++] = net_find_program("nft", path);
	if (argv[0] == NULL)
		return cella_error_make(err, ENOENT, "%s: nft not found (install nftables)", what);
	for (; args[n - 1] != NULL && n < 7; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	ret = net_run(argv, input, &out, err);
	if (ret < 0)
		return cella_error_wrap(err, "%s", what);
	if (ret != 0) {
		out[strcspn(out, "\n")] = '\0';
		return cella_error_make(err, 0, "%s: nft failed (exit %d): %s", what, ret, out);
	}
	if (output)
		*output = steal_pointer(&out);
	return 0;
}

int net_nft_add(const char *name, const struct cella_ipv4_cidr *gw, cella_err_t *err)
{
	static const char *const args[] = {"-f", "-", NULL};
	_cleanup_free_ char *script = net_nft_script_add(name, gw);

	if (script == NULL)
		return cella_error_make(err, ENOMEM, "network %s: building the nftables script", name);
	return nft_run("network NAT rules", args, script, NULL, err);
}

/*
 * The chain names of table ip cella, from `nft -j list table`; NULL (no
 * error) when the table or nft itself is absent.
 */
static json_t *cella_chains(cella_err_t *err)
{
	static const char *const args[] = {"-j", "list", "table", "ip", "cella", NULL};
	_cleanup_free_ char *out = NULL;
	json_t *doc, *items, *item, *names;
	char path[64];
	size_t i;
	int ret;

	if (net_find_program("nft", path) == NULL)
		return NULL;
	ret = nft_run("listing nftables table ip cella", args, NULL, &out, err);
	if (ret < 0) {
		/* "No such file or directory": the table does not exist, which is not an error here. */
		cella_error_release(err);
		return NULL;
	}
	doc = json_loads(out, 0, NULL);
	names = json_array();
	items = json_object_get(doc, "nftables");
	json_array_foreach (items, i, item) {
		const char *chain =
			json_string_value(json_object_get(json_object_get(item, "chain"), "name"));

		if (chain)
			json_array_append_new(names, json_string(chain));
	}
	json_decref(doc);
	return names;
}

static bool has_chain(json_t *names, const char *chain)
{
	json_t *v;
	size_t i;

	json_array_foreach (names, i, v) {
		if (strcmp(json_string_value(v), chain) == 0)
			return true;
	}
	return false;
}

int net_nft_present(const char *name, cella_err_t *err)
{
	json_t *names = cella_chains(err);
	_cleanup_free_ char *chain = NULL;
	int found;

	if (names == NULL)
		return 0;
	if (asprintf(&chain, "nat-%s", name) < 0)
		abort();
	found = has_chain(names, chain);
	json_decref(names);
	return found;
}

int net_nft_remove(const char *name, cella_err_t *err)
{
	static const char *const args[] = {"-f", "-", NULL};
	static const char *const prefixes[] = {"nat", "fwd"};
	json_t *names = cella_chains(err);
	char *script = NULL;
	size_t ours = 0, len = 0;
	FILE *f;
	int ret;

	if (names == NULL)
		return 0;
	f = open_memstream(&script, &len);
	if (f == NULL)
		abort();
	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *chain = NULL;

		if (asprintf(&chain, "%s-%s", prefixes[i], name) < 0)
			abort();
		if (!has_chain(names, chain))
			continue;
		/* A chain must be empty to be deleted. */
		fprintf(f, "flush chain ip cella %s\ndelete chain ip cella %s\n", chain, chain);
		ours++;
	}
	if (ours > 0 && ours == json_array_size(names))
		fprintf(f, "delete table ip cella\n");
	fclose(f);
	json_decref(names);
	ret = ours ? nft_run("removing network NAT rules", args, script, NULL, err) : 0;
	free(script);
	return ret < 0 ? ret : ours > 0;
}

int net_ip_forward_enable(cella_err_t *err)
{
	_cleanup_close_ int fd = open("/proc/sys/net/ipv4/ip_forward", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return cella_error_sys(err, "enabling /proc/sys/net/ipv4/ip_forward");
	if (write(fd, "1\n", 2) != 2)
		return cella_error_sys(err, "enabling /proc/sys/net/ipv4/ip_forward");
	return 0;
}
