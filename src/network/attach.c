// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A container joins a network: a veth pair whose peer is created straight in
 * the container's network namespace (IFLA_NET_NS_FD), so its final name
 * ("eth0") never exists on the host and cannot clash there. The peer is then
 * configured through a second rtnetlink socket opened inside that namespace;
 * only the opening needs setns(), and only this thread switches, briefly.
 */
#include "network.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "link.h"

/* An rtnetlink socket inside the network namespace ns_fd. */
static int nl_open_in(int ns_fd, cella_err_t *err)
{
	_cleanup_close_ int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd;

	if (self < 0)
		return cella_error_sys(err, "opening this thread's network namespace");
	if (setns(ns_fd, CLONE_NEWNET) < 0)
		return cella_error_sys(err, "entering the container's network namespace");
	fd = nl_open(err);
	if (setns(self, CLONE_NEWNET) < 0) {
		/* This thread would go on configuring the wrong namespace: nothing safe is left. */
		perror("cella-network: returning to the original network namespace");
		abort();
	}
	return fd;
}

/*
 * A "container" in our own namespace would get eth0, an address and a
 * default route on the host itself: refuse it.
 */
static int refuse_own_netns(int ns_fd, pid_t pid, cella_err_t *err)
{
	struct stat ct, self;

	if (fstat(ns_fd, &ct) < 0 || stat("/proc/thread-self/ns/net", &self) < 0)
		return cella_error_sys(err, "attach: comparing network namespaces");
	if (ct.st_dev == self.st_dev && ct.st_ino == self.st_ino)
		return cella_error_make(err, 0,
					"attach: process %d shares this network namespace; a container "
					"needs its own",
					(int)pid);
	return 0;
}

static int random_name(const char *prefix, char out[16], cella_err_t *err)
{
	uint32_t r;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		return cella_error_sys(err, "generating an interface name");
	snprintf(out, 16, "%s%08x", prefix, r);
	return 0;
}

struct attach_args {
	uint8_t mac[6];
	struct cella_ipv4_cidr addr;
	bool has_address; /* false: the instance configures itself (DHCP) */
	uint32_t gateway;
	bool has_gateway;
};

static int validate(const char *bridge, pid_t pid, const char *ifname, const char *mac, const char *cidr,
		    const char *gateway, struct attach_args *a, cella_err_t *err)
{
	char generated[18];
	int ret;

	ret = cella_network_ifname_validate("network.name", bridge, err);
	if (ret < 0)
		return ret;
	if (pid <= 0)
		return cella_error_make(err, 0, "attach: container pid %d is not a process id", (int)pid);
	ret = cella_network_ifname_validate("nic.name", ifname, err);
	if (ret < 0)
		return ret;
	if (mac == NULL) {
		ret = cella_network_mac_generate(generated, err);
		if (ret < 0)
			return ret;
		mac = generated;
	}
	ret = cella_network_mac_parse("nic.hwaddr", mac, a->mac, err);
	if (ret < 0)
		return ret;
	a->has_address = cidr != NULL;
	if (cidr) {
		ret = cella_network_ipv4_cidr_parse("nic.ipv4.address", cidr, &a->addr, err);
		if (ret < 0)
			return ret;
	}
	if (gateway && !cidr)
		return cella_error_make(err, 0, "nic.ipv4.gateway: a gateway needs nic.ipv4.address");
	a->has_gateway = gateway != NULL;
	if (gateway)
		return cella_network_ipv4_parse("nic.ipv4.gateway", gateway, &a->gateway, err);
	return 0;
}

/* Address, link up and default route on the container's end. */
static int configure_peer(int ct_fd, const char *ifname, const struct attach_args *a, cella_err_t *err)
{
	struct nl_msg m;
	int index, ret;

	index = link_index(ct_fd, ifname, err);
	if (index < 0)
		return cella_error_wrap(err, "in the container");
	if (a->has_address) {
		addr_msg_new(&m, index, a->addr.address, a->addr.prefix);
		ret = link_request(ct_fd, &m, err);
		if (ret < 0)
			return cella_error_wrap(err, "adding the address to %s in the container", ifname);
	}
	link_msg_set_up(&m, index, 0);
	ret = link_request(ct_fd, &m, err);
	if (ret < 0)
		return cella_error_wrap(err, "setting %s up in the container", ifname);
	if (a->has_gateway) {
		route_msg_default(&m, index, a->gateway);
		ret = link_request(ct_fd, &m, err);
		if (ret < 0)
			return cella_error_wrap(err, "adding the default route in the container");
	}
	return 0;
}

int cella_network_attach_container(const char *bridge, pid_t container_pid, const char *ifname_in_ct,
				   const char *mac, const char *ipv4_cidr, const char *gateway,
				   char host_ifname[16], cella_err_t *err)
{
	_cleanup_close_ int host_fd = -1, ct_fd = -1, ns_fd = -1;
	struct attach_args a;
	char ns_path[64], name[16];
	struct nl_msg m;
	int ret, bridge_index, index;

	ret = validate(bridge, container_pid, ifname_in_ct, mac, ipv4_cidr, gateway, &a, err);
	if (ret < 0)
		return ret;
	host_fd = nl_open(err);
	if (host_fd < 0)
		return host_fd;
	ret = link_is_bridge(host_fd, bridge, err);
	if (ret < 0)
		return cella_error_wrap(err, "attach: network %s", bridge);
	if (ret == 0)
		return cella_error_make(err, 0, "attach: %s is not a bridge", bridge);
	bridge_index = link_index(host_fd, bridge, err);
	if (bridge_index < 0)
		return bridge_index;
	snprintf(ns_path, sizeof(ns_path), "/proc/%d/ns/net", (int)container_pid);
	ns_fd = open(ns_path, O_RDONLY | O_CLOEXEC);
	if (ns_fd < 0)
		return cella_error_sys(err, "attach: opening %s", ns_path);
	ret = refuse_own_netns(ns_fd, container_pid, err);
	if (ret < 0)
		return ret;
	ct_fd = nl_open_in(ns_fd, err);
	if (ct_fd < 0)
		return ct_fd;

	/* 32 random bits: a clash is unlikely, and EEXIST just draws again. */
	for (int tries = 0;; tries++) {
		ret = random_name("cveth", name, err);
		if (ret < 0)
			return ret;
		link_msg_new_veth(&m, name, ifname_in_ct, ns_fd, a.mac);
		ret = link_request(host_fd, &m, err);
		if (ret != -EEXIST || tries == 3)
			break;
		cella_error_release(err);
	}
	if (ret < 0)
		return cella_error_wrap(
			err, "attach: creating veth pair %s/%s (is %s already in use in the container?)",
			name, ifname_in_ct, ifname_in_ct);
	index = link_index(host_fd, name, err);
	ret = index < 0 ? index : 0;
	if (ret == 0) {
		link_msg_set_up(&m, index, bridge_index);
		ret = link_request(host_fd, &m, err);
		if (ret < 0)
			cella_error_wrap(err, "attach: enslaving %s to %s", name, bridge);
	}
	if (ret == 0)
		ret = configure_peer(ct_fd, ifname_in_ct, &a, err);
	if (ret < 0) {
		_cleanup_error_ cella_err_t ignored = NULL;

		/* Deleting one end deletes the pair: nothing is left half-configured. */
		link_msg_del(&m, name);
		(void)link_request(host_fd, &m, &ignored);
		return cella_error_wrap(err, "attach to %s", bridge);
	}
	memcpy(host_ifname, name, 16);
	return 0;
}

int cella_network_delete_link(const char *ifname, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	struct nl_msg m;
	int ret;

	ret = cella_network_ifname_validate("interface", ifname, err);
	if (ret < 0)
		return ret;
	fd = nl_open(err);
	if (fd < 0)
		return fd;
	link_msg_del(&m, ifname);
	ret = link_request(fd, &m, err);
	if (ret == -ENODEV)
		return cella_error_make(err, ENODEV, "interface %s does not exist", ifname);
	if (ret < 0)
		return cella_error_wrap(err, "deleting interface %s", ifname);
	return 0;
}
