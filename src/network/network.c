// SPDX-License-Identifier: GPL-2.0-or-later
/* Creating and deleting a whole network: bridge + address, NAT, DHCP. */
#include "network.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "link.h"
#include "tools.h"

struct parsed_config {
	struct cella_ipv4_cidr gw;
	uint32_t dhcp_first, dhcp_last;
};

static int validate_config(const struct cella_network_config *c, struct parsed_config *p, cella_err_t *err)
{
	int ret;

	if (c == NULL)
		return cella_error_make(err, 0, "network: missing configuration");
	ret = cella_network_ifname_validate("network.name", c->name, err);
	if (ret < 0)
		return ret;
	ret = cella_network_ipv4_cidr_parse("network.ipv4.address", c->ipv4_cidr, &p->gw, err);
	if (ret < 0)
		return ret;
	ret = cella_network_ipv4_gateway_validate("network.ipv4.address", &p->gw, err);
	if (ret < 0)
		return ret;
	if (c->dhcp_range) {
		ret = cella_network_dhcp_range_parse("network.ipv4.dhcp_range", c->dhcp_range, &p->gw,
						     &p->dhcp_first, &p->dhcp_last, err);
		if (ret < 0)
			return ret;
	}
	if (c->mtu != 0 && (c->mtu < 1280 || c->mtu > 65535))
		return cella_error_make(err, 0, "network.mtu: %u is outside 1280..65535", c->mtu);
	return 0;
}

static int bridge_create(int fd, const struct cella_network_config *c, const struct parsed_config *p,
			 cella_err_t *err)
{
	struct nl_msg m;
	int ret, index;

	link_msg_new_bridge(&m, c->name, c->mtu);
	ret = link_request(fd, &m, err);
	if (ret == -EEXIST)
		return cella_error_make(err, EEXIST, "network %s: an interface of that name already exists",
					c->name);
	if (ret < 0)
		return cella_error_wrap(err, "network %s: creating the bridge", c->name);
	index = link_index(fd, c->name, err);
	if (index < 0)
		return index;
	addr_msg_new(&m, index, p->gw.address, p->gw.prefix);
	ret = link_request(fd, &m, err);
	if (ret < 0)
		return cella_error_wrap(err, "network %s: adding address %s", c->name, c->ipv4_cidr);
	link_msg_set_up(&m, index, 0);
	ret = link_request(fd, &m, err);
	if (ret < 0)
		return cella_error_wrap(err, "network %s: setting the bridge up", c->name);
	return 0;
}

static int bridge_delete(int fd, const char *name, cella_err_t *err)
{
	struct nl_msg m;
	int ret, index;

	ret = link_is_bridge(fd, name, err);
	if (ret < 0)
		return ret;
	if (ret == 0)
		return cella_error_make(err, 0, "network %s: interface %s is not a bridge, not deleting it",
					name, name);
	index = link_index(fd, name, err);
	if (index < 0)
		return index;
	/* Instances' veths and TAPs would otherwise linger, unenslaved, after the network is gone.
	 * One scan deletes at most 256; repeat while scans come back full. */
	do
		ret = link_delete_ports(fd, index, err);
	while (ret == 256);
	if (ret < 0)
		return cella_error_wrap(err, "network %s", name);
	link_msg_del(&m, name);
	ret = link_request(fd, &m, err);
	if (ret < 0)
		return cella_error_wrap(err, "network %s: deleting the bridge", name);
	return 0;
}

int cella_network_create(const struct cella_network_config *c, cella_err_t *err)
{
	struct parsed_config p = {0};
	_cleanup_close_ int fd = -1;
	bool nat_added = false;
	int ret;

	ret = validate_config(c, &p, err);
	if (ret < 0)
		return ret;
	fd = nl_open(err);
	if (fd < 0)
		return fd;
	ret = bridge_create(fd, c, &p, err);
	if (ret == -EEXIST)
		return ret; /* not ours: leave it alone */
	if (ret < 0)
		goto undo;
	if (c->nat) {
		ret = net_ip_forward_enable(err);
		if (ret < 0)
			goto undo;
		ret = net_nft_add(c->name, &p.gw, err);
		if (ret < 0)
			goto undo;
		nat_added = true;
	}
	if (c->dhcp_range) {
		ret = net_dnsmasq_start(c->name, c->state_dir, &p.gw, p.dhcp_first, p.dhcp_last, err);
		if (ret < 0)
			goto undo;
	}
	return 0;

undo : {
	/* Roll back in reverse; these errors would hide the one that matters. */
	_cleanup_error_ cella_err_t ignored = NULL;

	if (c->dhcp_range)
		(void)net_dnsmasq_stop(c->name, c->state_dir, &ignored);
	cella_error_release(&ignored);
	if (nat_added)
		(void)net_nft_remove(c->name, &ignored);
	cella_error_release(&ignored);
	(void)bridge_delete(fd, c->name, &ignored);
}
	return ret;
}

int cella_network_delete(const char *name, const char *state_dir, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	int ret;

	ret = cella_network_ifname_validate("network.name", name, err);
	if (ret < 0)
		return ret;
	fd = nl_open(err);
	if (fd < 0)
		return fd;
	ret = net_dnsmasq_stop(name, state_dir, err);
	if (ret < 0)
		return ret;
	ret = net_nft_remove(name, err);
	if (ret < 0)
		return ret;
	ret = bridge_delete(fd, name, err);
	if (ret == -ENODEV)
		return cella_error_make(err, ENODEV, "network %s does not exist", name);
	return ret;
}
