// SPDX-License-Identifier: GPL-2.0-or-later
/* rtnetlink link/address/route requests: builders and the lookups the rest needs. */
#include "link.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/if_link.h>
#include <linux/veth.h>

void link_msg_new_bridge(struct nl_msg *m, const char *name, unsigned int mtu)
{
	struct ifinfomsg *ifi;
	struct rtattr *info;

	nl_msg_init(m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = nl_msg_reserve(m, sizeof(*ifi));
	if (ifi)
		ifi->ifi_family = AF_UNSPEC;
	nl_put_str(m, IFLA_IFNAME, name);
	if (mtu)
		nl_put_u32(m, IFLA_MTU, mtu);
	info = nl_nest_begin(m, IFLA_LINKINFO);
	nl_put_str(m, IFLA_INFO_KIND, "bridge");
	nl_nest_end(m, info);
}

void link_msg_new_veth(struct nl_msg *m, const char *name, const char *peer, int peer_netns_fd,
		       const uint8_t *peer_mac)
{
	struct ifinfomsg *ifi, *peer_ifi;
	struct rtattr *info, *data, *peer_attr;

	nl_msg_init(m, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = nl_msg_reserve(m, sizeof(*ifi));
	if (ifi)
		ifi->ifi_family = AF_UNSPEC;
	nl_put_str(m, IFLA_IFNAME, name);
	info = nl_nest_begin(m, IFLA_LINKINFO);
	nl_put_str(m, IFLA_INFO_KIND, "veth");
	data = nl_nest_begin(m, IFLA_INFO_DATA);
	/* VETH_INFO_PEER holds a whole ifinfomsg followed by the peer's link attributes. */
	peer_attr = nl_nest_begin(m, VETH_INFO_PEER);
	peer_ifi = nl_msg_reserve(m, sizeof(*peer_ifi));
	if (peer_ifi)
		peer_ifi->ifi_family = AF_UNSPEC;
	nl_put_str(m, IFLA_IFNAME, peer);
	if (peer_mac)
		nl_put_attr(m, IFLA_ADDRESS, peer_mac, 6);
	if (peer_netns_fd >= 0)
		nl_put_u32(m, IFLA_NET_NS_FD, (uint32_t)peer_netns_fd);
	nl_nest_end(m, peer_attr);
	nl_nest_end(m, data);
	nl_nest_end(m, info);
}

void link_msg_set_up(struct nl_msg *m, int ifindex, int master)
{
	struct ifinfomsg *ifi;

	nl_msg_init(m, RTM_NEWLINK, 0);
	ifi = nl_msg_reserve(m, sizeof(*ifi));
	if (ifi) {
		ifi->ifi_family = AF_UNSPEC;
		ifi->ifi_index = ifindex;
		ifi->ifi_flags = IFF_UP;
		ifi->ifi_change = IFF_UP;
	}
	if (master > 0)
		nl_put_u32(m, IFLA_MASTER, (uint32_t)master);
}

void link_msg_del(struct nl_msg *m, const char *name)
{
	struct ifinfomsg *ifi;

	nl_msg_init(m, RTM_DELLINK, 0);
	ifi = nl_msg_reserve(m, sizeof(*ifi));
	if (ifi)
		ifi->ifi_family = AF_UNSPEC;
	nl_put_str(m, IFLA_IFNAME, name);
}

void link_msg_get(struct nl_msg *m, const char *name)
{
	struct ifinfomsg *ifi;

	nl_msg_init(m, RTM_GETLINK, 0);
	ifi = nl_msg_reserve(m, sizeof(*ifi));
	if (ifi)
		ifi->ifi_family = AF_UNSPEC;
	nl_put_str(m, IFLA_IFNAME, name);
}

void addr_msg_new(struct nl_msg *m, int ifindex, uint32_t address, unsigned int prefix)
{
	struct ifaddrmsg *ifa;
	uint32_t be = htonl(address);
	uint32_t mask = prefix == 0 ? 0 : ~(uint32_t)0 << (32 - prefix);
	uint32_t brd = htonl(address | ~mask);

	nl_msg_init(m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL);
	ifa = nl_msg_reserve(m, sizeof(*ifa));
	if (ifa) {
		ifa->ifa_family = AF_INET;
		ifa->ifa_prefixlen = (unsigned char)prefix;
		ifa->ifa_scope = RT_SCOPE_UNIVERSE;
		ifa->ifa_index = (uint32_t)ifindex;
	}
	nl_put_attr(m, IFA_LOCAL, &be, sizeof(be));
	nl_put_attr(m, IFA_ADDRESS, &be, sizeof(be));
	if (prefix < 31)
		nl_put_attr(m, IFA_BROADCAST, &brd, sizeof(brd));
}

void route_msg_default(struct nl_msg *m, int ifindex, uint32_t gateway)
{
	struct rtmsg *rt;
	uint32_t be = htonl(gateway);

	nl_msg_init(m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL);
	rt = nl_msg_reserve(m, sizeof(*rt));
	if (rt) {
		rt->rtm_family = AF_INET;
		rt->rtm_table = RT_TABLE_MAIN;
		rt->rtm_protocol = RTPROT_BOOT;
		rt->rtm_scope = RT_SCOPE_UNIVERSE;
		rt->rtm_type = RTN_UNICAST;
	}
	nl_put_attr(m, RTA_GATEWAY, &be, sizeof(be));
	nl_put_u32(m, RTA_OIF, (uint32_t)ifindex);
}

int link_request(int fd, struct nl_msg *m, cella_err_t *err)
{
	return nl_transact(fd, m, NULL, NULL, err);
}

struct link_lookup {
	int index;
	bool is_bridge;
};

static int on_link(const struct nlmsghdr *h, void *ctx, cella_err_t *err)
{
	struct link_lookup *l = ctx;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	const char *kind;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	l->index = ifi->ifi_index;
	nl_parse_attrs(tb, IFLA_MAX, IFLA_RTA(ifi), h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	if (tb[IFLA_LINKINFO]) {
		nl_parse_attrs(info, IFLA_INFO_MAX, RTA_DATA(tb[IFLA_LINKINFO]),
			       RTA_PAYLOAD(tb[IFLA_LINKINFO]));
		kind = nl_attr_str(info[IFLA_INFO_KIND]);
		l->is_bridge = kind != NULL && strcmp(kind, "bridge") == 0;
	}
	return 0;
}

static int link_lookup(int fd, const char *name, struct link_lookup *l, cella_err_t *err)
{
	struct nl_msg m;
	int ret;

	*l = (struct link_lookup){.index = 0};
	link_msg_get(&m, name);
	ret = nl_transact(fd, &m, on_link, l, err);
	if (ret == -ENODEV)
		return cella_error_make(err, ENODEV, "interface %s does not exist", name);
	if (ret < 0)
		return cella_error_wrap(err, "looking up interface %s", name);
	if (l->index <= 0)
		return cella_error_make(err, ENODEV, "interface %s: no link in the kernel's reply", name);
	return 0;
}

int link_index(int fd, const char *name, cella_err_t *err)
{
	struct link_lookup l;
	int ret = link_lookup(fd, name, &l, err);

	return ret < 0 ? ret : l.index;
}

int link_is_bridge(int fd, const char *name, cella_err_t *err)
{
	struct link_lookup l;
	int ret = link_lookup(fd, name, &l, err);

	return ret < 0 ? ret : l.is_bridge;
}

struct port_scan {
	int bridge;
	int found[256];
	size_t n;
};

static int on_port(const struct nlmsghdr *h, void *ctx, cella_err_t *err)
{
	struct port_scan *s = ctx;
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	const char *kind;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return 0;
	nl_parse_attrs(tb, IFLA_MAX, IFLA_RTA(ifi), h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	if ((int)nl_attr_u32(tb[IFLA_MASTER], 0) != s->bridge || tb[IFLA_LINKINFO] == NULL)
		return 0;
	nl_parse_attrs(info, IFLA_INFO_MAX, RTA_DATA(tb[IFLA_LINKINFO]), RTA_PAYLOAD(tb[IFLA_LINKINFO]));
	kind = nl_attr_str(info[IFLA_INFO_KIND]);
	/* Only what this library makes; a physical NIC is merely released when the bridge goes. */
	if (kind && (strcmp(kind, "veth") == 0 || strcmp(kind, "tun") == 0) &&
	    s->n < sizeof(s->found) / sizeof(s->found[0]))
		s->found[s->n++] = ifi->ifi_index;
	return 0;
}

int link_delete_ports(int fd, int bridge_index, cella_err_t *err)
{
	struct port_scan s = {.bridge = bridge_index};
	struct nl_msg m;
	struct ifinfomsg *ifi;
	int ret;

	nl_msg_init(&m, RTM_GETLINK, NLM_F_DUMP);
	ifi = nl_msg_reserve(&m, sizeof(*ifi));
	if (ifi)
		ifi->ifi_family = AF_UNSPEC;
	ret = nl_transact(fd, &m, on_port, &s, err);
	if (ret < 0)
		return cella_error_wrap(err, "listing the bridge's ports");
	for (size_t i = 0; i < s.n; i++) {
		nl_msg_init(&m, RTM_DELLINK, 0);
		ifi = nl_msg_reserve(&m, sizeof(*ifi));
		if (ifi) {
			ifi->ifi_family = AF_UNSPEC;
			ifi->ifi_index = s.found[i];
		}
		ret = nl_transact(fd, &m, NULL, NULL, err);
		if (ret == -ENODEV) { /* its container exited meanwhile, taking the pair along */
			cella_error_release(err);
			continue;
		}
		if (ret < 0)
			return cella_error_wrap(err, "deleting port %d", s.found[i]);
	}
	return (int)s.n;
}
