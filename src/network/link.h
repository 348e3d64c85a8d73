/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_NETWORK_LINK_H
#define CELLA_NETWORK_LINK_H

/*
 * rtnetlink requests for links, addresses and routes. The link_msg_* and
 * *_msg_* builders are pure (unit-tested byte for byte); the others send them
 * on an nl_open() socket, which fixes the network namespace they act in.
 */
#include <stdbool.h>
#include <stdint.h>

#include "netlink.h"

void link_msg_new_bridge(struct nl_msg *m, const char *name, unsigned int mtu);
/* A veth pair; the peer is created directly in peer_netns_fd's namespace (-1 = here). */
void link_msg_new_veth(struct nl_msg *m, const char *name, const char *peer, int peer_netns_fd,
		       const uint8_t *peer_mac);
/* Enslaves to master (0 = leave as is) and sets the link up. */
void link_msg_set_up(struct nl_msg *m, int ifindex, int master);
void link_msg_del(struct nl_msg *m, const char *name);
void link_msg_get(struct nl_msg *m, const char *name);
void addr_msg_new(struct nl_msg *m, int ifindex, uint32_t address, unsigned int prefix);
void route_msg_default(struct nl_msg *m, int ifindex, uint32_t gateway);

/* The index of link name in fd's namespace, -ENODEV (with err) when absent. */
int link_index(int fd, const char *name, cella_err_t *err);
/* Whether name is a bridge: 1 yes, 0 no, negative on error (-ENODEV when absent). */
int link_is_bridge(int fd, const char *name, cella_err_t *err);
/* Deletes the veth and TAP ports enslaved to the bridge; returns how many. */
int link_delete_ports(int fd, int bridge_index, cella_err_t *err);
int link_request(int fd, struct nl_msg *m, cella_err_t *err);

#endif
