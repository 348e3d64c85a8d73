/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_NETWORKS_H
#define CELLAD_NETWORKS_H

/*
 * The managed network (--network default): bridge cellabr0 with the gateway
 * 10.118.0.1/24 and NAT, made by libcella-network. Addresses are a pool in
 * the database (table network_leases): each container gets one at create,
 * keeps it across restarts, and frees it when it is deleted (the lease row
 * cascades with the instance row). VMs learn theirs by DHCP (dnsmasq in
 * static mode, one host entry per VM: vm_nic.c) or the kernel's ip=. With
 * --network none nothing here touches
 * the host's network and containers have only their loopback.
 */
#include <jansson.h>
#include <sys/types.h>

#include "daemon.h"

#define CELLAD_NETWORK_NAME    "cellabr0"
#define CELLAD_NETWORK_CIDR    "10.118.0.1/24"
#define CELLAD_NETWORK_GATEWAY "10.118.0.1"

/*
 * Creates the bridge (with NAT) unless it exists already, and makes sure dnsmasq serves it in static
 * mode (a warning only when dnsmasq is not installed). A no-op with --network none.
 */
int cellad_network_setup(struct cellad *d, cella_err_t *err);
/* Records the first free address of the pool for the instance (part of its create). Lock held. */
int cellad_network_lease_locked(struct cellad *d, long long instance_id, cella_err_t *err);
/* Gives the running container (init pid) its eth0 with its leased address and the default route. */
int cellad_network_attach(struct cellad *d, const char *name, pid_t pid, cella_err_t *err);
/* The Incus network object (with live state) for name (new reference); NULL + ENOENT when unknown. */
json_t *cellad_network_json(struct cellad *d, const char *name, cella_err_t *err);

#endif
