/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_NETWORK_H
#define CELLA_NETWORK_H

/*
 * libcella-network: the managed bridge network of cellad. A network is a
 * Linux bridge with the gateway address, optional NAT (nftables, table
 * "ip cella", one pair of chains per network) and optional DHCP/DNS
 * (dnsmasq, as Incus does). Containers join it with a veth pair, VMs with a
 * TAP. Every call acts in the caller's network namespace; links are managed
 * over rtnetlink directly, nftables and dnsmasq through their programs.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include <cella/error.h>

#define CELLA_NETWORK_DEFAULT_STATE_DIR "/run/cella/network"

struct cella_network_config {
	const char *name; /* bridge interface, e.g. "cellabr0" (network.name) */
	const char
		*ipv4_cidr; /* gateway address/prefix on the bridge, "10.118.0.1/24" (network.ipv4.address) */
	bool nat;	    /* masquerade the subnet and turn on ip_forward (network.ipv4.nat) */
	const char *
		dhcp_range; /* "10.118.0.100-10.118.0.200", or NULL for no dnsmasq (network.ipv4.dhcp_range) */
	const char *state_dir; /* dnsmasq pid/lease files; NULL = CELLA_NETWORK_DEFAULT_STATE_DIR */
	unsigned int mtu;      /* 0 = kernel default */
};

/* A parsed "a.b.c.d/len"; addresses in host byte order. */
struct cella_ipv4_cidr {
	uint32_t address;
	unsigned int prefix;
};

/* Creates the whole network, or nothing: on failure every piece made so far is removed. */
int cella_network_create(const struct cella_network_config *c, cella_err_t *err);
/*
 * Stops dnsmasq, removes the network's nftables chains (and the table when it
 * is left empty) and deletes the bridge. Missing pieces are skipped; returns
 * -ENODEV when the bridge did not exist (after cleaning up the rest).
 * ip_forward is left on: other networks or the admin may rely on it.
 */
int cella_network_delete(const char *name, const char *state_dir, cella_err_t *err);

/*
 * Joins a container to the bridge: a veth pair whose peer is created directly
 * in /proc/PID/ns/net as ifname_in_ct with the given MAC (NULL = random),
 * address ipv4_cidr (NULL = none: the instance uses DHCP), default route via
 * gateway (NULL = none), link up. The
 * host end's name (generated, "cveth" + 8 hex) is written to host_ifname.
 */
int cella_network_attach_container(const char *bridge, pid_t container_pid, const char *ifname_in_ct,
				   const char *mac, const char *ipv4_cidr, const char *gateway,
				   char host_ifname[16], cella_err_t *err);

/*
 * A persistent TAP (IFF_TAP | IFF_NO_PI | IFF_VNET_HDR) for a VM, enslaved to
 * the bridge and up. tap_name NULL or "" = generated ("ctap" + 8 hex); the
 * actual name goes to out_name. With tap_fd the open queue is handed over,
 * otherwise closed (the VMM opens the TAP by name).
 */
int cella_network_create_tap(const char *bridge, const char *tap_name, char out_name[16], int *tap_fd,
			     cella_err_t *err);

/* Deletes a link (a host veth end or a TAP) by name; -ENODEV when it does not exist. */
int cella_network_delete_link(const char *ifname, cella_err_t *err);

/*
 * Pure: the first free host address of cidr's subnet, skipping the network and
 * broadcast addresses, cidr's own address (the gateway) and every address in
 * used[] (host byte order). Writes "a.b.c.d/len" to out.
 */
int cella_network_allocate_ipv4(const char *cidr, const uint32_t *used, size_t n, char out[32],
				cella_err_t *err);

/* { name, exists, state, mtu, mac, ifindex, addresses[], ports[{name, mac, state}], counters{}, nat, dhcp{} } */
json_t *cella_network_describe(const char *name, const char *state_dir, cella_err_t *err);

/*
 * DHCP for known hosts only, as Incus runs dnsmasq for its instances: the whole subnet of
 * gateway_cidr in dnsmasq's "static" mode (addresses only to MACs with a host entry, so it never
 * hands out an address given to someone else) with the entries read from STATE_DIR/NAME.hosts.d
 * (--dhcp-hostsdir; dnsmasq notices new files by itself). Idempotent: a dnsmasq of this network
 * already running in this mode is kept; one started otherwise (a dynamic range, an older daemon's)
 * is replaced. -ENOENT when dnsmasq is not installed.
 */
int cella_network_dhcp_static_start(const char *name, const char *gateway_cidr, const char *state_dir,
				    cella_err_t *err);
/*
 * The host entry "MAC,ADDRESS,HOST" in STATE_DIR/NAME.hosts.d/HOST (atomic; an unchanged entry is
 * not rewritten). host: 1-63 of [A-Za-z0-9-], not starting with '-'.
 */
int cella_network_dhcp_host_set(const char *name, const char *state_dir, const char *host, const char *mac,
				const char *address, cella_err_t *err);
/*
 * Removes HOST's entry and makes the running dnsmasq forget it (SIGHUP; a restart on a lease file
 * without the host's lease when it holds one, so the address can go to another MAC at once).
 * 1 = removed, 0 = there was none.
 */
int cella_network_dhcp_host_remove(const char *name, const char *state_dir, const char *host,
				   cella_err_t *err);

/* --- validation helpers (pure; field names the config key in error messages) --- */

/* "a.b.c.d/len" with 0 <= len <= 32. */
int cella_network_ipv4_cidr_parse(const char *field, const char *text, struct cella_ipv4_cidr *out,
				  cella_err_t *err);
/* "a.b.c.d" (dotted quad, four decimal parts 0..255, no leading zeros). */
int cella_network_ipv4_parse(const char *field, const char *text, uint32_t *out, cella_err_t *err);
void cella_network_ipv4_format(uint32_t address, char out[16]);
/* A bridge gateway: prefix 8..30, the address is neither the network nor the broadcast address. */
int cella_network_ipv4_gateway_validate(const char *field, const struct cella_ipv4_cidr *c, cella_err_t *err);
/* "A-B" inside the gateway's subnet, A <= B, excluding the gateway, network and broadcast addresses. */
int cella_network_dhcp_range_parse(const char *field, const char *text, const struct cella_ipv4_cidr *gw,
				   uint32_t *first, uint32_t *last, cella_err_t *err);
/* Interface names: 1..15 chars of [A-Za-z0-9_.-], not "." or "..". */
int cella_network_ifname_validate(const char *field, const char *name, cella_err_t *err);
/* "xx:xx:xx:xx:xx:xx", unicast and not all zero. */
int cella_network_mac_parse(const char *field, const char *text, uint8_t out[6], cella_err_t *err);
/* A random locally administered unicast MAC ("x2:..."), from getrandom(). */
int cella_network_mac_generate(char out[18], cella_err_t *err);
void cella_network_mac_format(const uint8_t mac[6], char out[18]);

#endif
