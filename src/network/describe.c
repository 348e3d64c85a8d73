// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The state of a network as the kernel sees it, from rtnetlink dumps (not
 * /sys/class/net, which shows the namespace sysfs was mounted in, not ours).
 */
#include "network.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "link.h"
#include "tools.h"

static const char *operstate_name(uint32_t s)
{
	static const char *const names[] = {"unknown", "notpresent", "down", "lowerlayerdown",
					    "testing", "dormant",    "up"};

	return s < sizeof(names) / sizeof(names[0]) ? names[s] : "unknown";
}

/* One RTM_NEWLINK as JSON (name, index, master, state, mtu, mac, counters). */
static json_t *link_json(const struct nlmsghdr *h, int *master)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(h);
	struct rtattr *tb[IFLA_MAX + 1];
	const char *name;
	json_t *o;

	if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return NULL;
	nl_parse_attrs(tb, IFLA_MAX, IFLA_RTA(ifi), h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifi)));
	name = nl_attr_str(tb[IFLA_IFNAME]);
	if (name == NULL)
		return NULL;
	*master = (int)nl_attr_u32(tb[IFLA_MASTER], 0);
	o = json_pack("{s:s, s:i, s:s, s:i, s:b}", "name", name, "ifindex", ifi->ifi_index, "state",
		      "unknown", "mtu", (int)nl_attr_u32(tb[IFLA_MTU], 0), "up",
		      (ifi->ifi_flags & IFF_UP) != 0);
	if (o == NULL)
		return NULL; /* a name that is not UTF-8: a link we did not make, skipped */
	if (tb[IFLA_OPERSTATE] && RTA_PAYLOAD(tb[IFLA_OPERSTATE]) >= 1)
		json_object_set_new(o, "state",
				    json_string(operstate_name(*(uint8_t *)RTA_DATA(tb[IFLA_OPERSTATE]))));
	if (tb[IFLA_ADDRESS] && RTA_PAYLOAD(tb[IFLA_ADDRESS]) == 6) {
		char mac[18];

		cella_network_mac_format(RTA_DATA(tb[IFLA_ADDRESS]), mac);
		json_object_set_new(o, "mac", json_string(mac));
	}
	if (tb[IFLA_STATS64] && RTA_PAYLOAD(tb[IFLA_STATS64]) >= sizeof(struct rtnl_link_stats64)) {
		struct rtnl_link_stats64 st;

		memcpy(&st, RTA_DATA(tb[IFLA_STATS64]), sizeof(st));
		json_object_set_new(o, "counters",
				    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "rx_bytes",
					      (json_int_t)st.rx_bytes, "tx_bytes", (json_int_t)st.tx_bytes,
					      "rx_packets", (json_int_t)st.rx_packets, "tx_packets",
					      (json_int_t)st.tx_packets, "rx_dropped",
					      (json_int_t)st.rx_dropped, "tx_dropped",
					      (json_int_t)st.tx_dropped));
	}
	return o;
}

struct link_dump {
	const char *bridge;
	json_t *self;	/* the bridge's own entry */
	json_t *others; /* every link, with its master index */
};

static int on_link(const struct nlmsghdr *h, void *ctx, cella_err_t *err)
{
	struct link_dump *d = ctx;
	int master = 0;
	json_t *o = link_json(h, &master);

	if (o == NULL)
		return 0;
	if (d->self == NULL && strcmp(json_string_value(json_object_get(o, "name")), d->bridge) == 0)
		d->self = json_incref(o);
	json_object_set_new(o, "master", json_integer(master));
	json_array_append_new(d->others, o);
	return 0;
}

struct addr_dump {
	int ifindex;
	json_t *list;
};

static int on_addr(const struct nlmsghdr *h, void *ctx, cella_err_t *err)
{
	struct addr_dump *d = ctx;
	const struct ifaddrmsg *ifa = NLMSG_DATA(h);
	struct rtattr *tb[IFA_MAX + 1];
	const struct rtattr *a;
	uint32_t be;
	char text[16], with_prefix[24];

	if (h->nlmsg_type != RTM_NEWADDR || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)) ||
	    ifa->ifa_family != AF_INET || (int)ifa->ifa_index != d->ifindex)
		return 0;
	nl_parse_attrs(tb, IFA_MAX, IFA_RTA(ifa), h->nlmsg_len - NLMSG_LENGTH(sizeof(*ifa)));
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (a == NULL || RTA_PAYLOAD(a) != 4)
		return 0;
	memcpy(&be, RTA_DATA(a), 4);
	cella_network_ipv4_format(ntohl(be), text);
	snprintf(with_prefix, sizeof(with_prefix), "%s/%u", text, ifa->ifa_prefixlen);
	json_array_append_new(d->list, json_string(with_prefix));
	return 0;
}

static int dump(int fd, uint16_t type, size_t header, nl_reply_fn fn, void *ctx, cella_err_t *err)
{
	struct nl_msg m;
	unsigned char *family;

	nl_msg_init(&m, type, NLM_F_DUMP);
	family = nl_msg_reserve(&m, header);
	if (family)
		*family = type == RTM_GETADDR ? AF_INET : AF_UNSPEC; /* first byte of ifinfomsg/ifaddrmsg */
	return nl_transact(fd, &m, fn, ctx, err);
}

json_t *cella_network_describe(const char *name, const char *state_dir, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	struct link_dump links = {.bridge = name};
	struct addr_dump addrs = {0};
	json_t *result, *ports, *l;
	size_t i;
	pid_t dns;
	int nat;

	if (cella_network_ifname_validate("network.name", name, err) < 0)
		return NULL;
	fd = nl_open(err);
	if (fd < 0)
		return NULL;
	links.others = json_array();
	if (dump(fd, RTM_GETLINK, sizeof(struct ifinfomsg), on_link, &links, err) < 0) {
		cella_error_wrap(err, "network %s: listing links", name);
		goto fail;
	}
	if (links.self == NULL) {
		cella_error_make(err, ENODEV, "network %s does not exist", name);
		goto fail;
	}
	addrs.ifindex = (int)json_integer_value(json_object_get(links.self, "ifindex"));
	addrs.list = json_array();
	if (dump(fd, RTM_GETADDR, sizeof(struct ifaddrmsg), on_addr, &addrs, err) < 0) {
		cella_error_wrap(err, "network %s: listing addresses", name);
		json_decref(addrs.list);
		goto fail;
	}
	nat = net_nft_present(name, err);
	if (nat < 0)
		goto fail_addrs;
	ports = json_array();
	json_array_foreach (links.others, i, l) {
		if (json_integer_value(json_object_get(l, "master")) == addrs.ifindex) {
			json_object_del(l, "master");
			json_array_append(ports, l);
		}
	}
	result = links.self;
	json_object_del(result, "master");
	json_object_set_new(result, "addresses", addrs.list);
	json_object_set_new(result, "ports", ports);
	json_object_set_new(result, "nat", json_boolean(nat));
	dns = net_dnsmasq_pid(name, state_dir);
	json_object_set_new(result, "dhcp",
			    dns > 0 ? json_pack("{s:b, s:i}", "running", 1, "pid", (int)dns)
				    : json_pack("{s:b}", "running", 0));
	json_decref(links.others);
	return result;

fail_addrs:
	json_decref(addrs.list);
fail:
	json_decref(links.self);
	json_decref(links.others);
	return NULL;
}
