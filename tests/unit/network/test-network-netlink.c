// SPDX-License-Identifier: GPL-2.0-or-later
/* rtnetlink request building and reply parsing; the nftables script. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/if_link.h>
#include <linux/veth.h>
#include <net/if.h>

#include "link.h"
#include "tools.h"

/* The attributes following a family header of hdr_len bytes in m. */
static void parse_msg(struct nl_msg *m, size_t hdr_len, struct rtattr *tb[], int max)
{
	assert_false(m->overflow);
	assert_true(m->u.hdr.nlmsg_len >= NLMSG_LENGTH(hdr_len));
	assert_int_equal(m->u.hdr.nlmsg_len % 4, 0);
	nl_parse_attrs(tb, max, (struct rtattr *)((char *)NLMSG_DATA(&m->u.hdr) + NLMSG_ALIGN(hdr_len)),
		       m->u.hdr.nlmsg_len - NLMSG_LENGTH(NLMSG_ALIGN(hdr_len)));
}

static void test_bridge(void **state)
{
	struct rtattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1];
	struct nl_msg m;

	link_msg_new_bridge(&m, "cellabr0", 1400);
	assert_int_equal(m.u.hdr.nlmsg_type, RTM_NEWLINK);
	assert_int_equal(m.u.hdr.nlmsg_flags, NLM_F_CREATE | NLM_F_EXCL);
	parse_msg(&m, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	assert_string_equal(nl_attr_str(tb[IFLA_IFNAME]), "cellabr0");
	assert_int_equal(nl_attr_u32(tb[IFLA_MTU], 0), 1400);
	assert_non_null(tb[IFLA_LINKINFO]);
	nl_parse_attrs(info, IFLA_INFO_MAX, RTA_DATA(tb[IFLA_LINKINFO]), RTA_PAYLOAD(tb[IFLA_LINKINFO]));
	assert_string_equal(nl_attr_str(info[IFLA_INFO_KIND]), "bridge");
	/* No MTU asked: none sent, the kernel's default applies. */
	link_msg_new_bridge(&m, "b", 0);
	parse_msg(&m, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	assert_null(tb[IFLA_MTU]);
}

static void test_veth(void **state)
{
	static const uint8_t mac[6] = {0x02, 1, 2, 3, 4, 5};
	struct rtattr *tb[IFLA_MAX + 1], *info[IFLA_INFO_MAX + 1], *data[VETH_INFO_MAX + 1],
		*peer[IFLA_MAX + 1];
	const struct rtattr *p;
	struct nl_msg m;

	link_msg_new_veth(&m, "cveth01234567", "eth0", 7, mac);
	parse_msg(&m, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	assert_string_equal(nl_attr_str(tb[IFLA_IFNAME]), "cveth01234567");
	nl_parse_attrs(info, IFLA_INFO_MAX, RTA_DATA(tb[IFLA_LINKINFO]), RTA_PAYLOAD(tb[IFLA_LINKINFO]));
	assert_string_equal(nl_attr_str(info[IFLA_INFO_KIND]), "veth");
	assert_non_null(info[IFLA_INFO_DATA]);
	nl_parse_attrs(data, VETH_INFO_MAX, RTA_DATA(info[IFLA_INFO_DATA]),
		       RTA_PAYLOAD(info[IFLA_INFO_DATA]));
	p = data[VETH_INFO_PEER];
	assert_non_null(p);
	/* The peer: an ifinfomsg, then its own attributes. */
	assert_true(RTA_PAYLOAD(p) > sizeof(struct ifinfomsg));
	nl_parse_attrs(peer, IFLA_MAX, (struct rtattr *)((char *)RTA_DATA(p) + sizeof(struct ifinfomsg)),
		       RTA_PAYLOAD(p) - sizeof(struct ifinfomsg));
	assert_string_equal(nl_attr_str(peer[IFLA_IFNAME]), "eth0");
	assert_int_equal(nl_attr_u32(peer[IFLA_NET_NS_FD], 0), 7);
	assert_int_equal(RTA_PAYLOAD(peer[IFLA_ADDRESS]), 6);
	assert_memory_equal(RTA_DATA(peer[IFLA_ADDRESS]), mac, 6);
	/* Nest lengths add up to the message's. */
	assert_ptr_equal((char *)tb[IFLA_LINKINFO] + tb[IFLA_LINKINFO]->rta_len, m.u.buf + m.u.hdr.nlmsg_len);

	link_msg_new_veth(&m, "a", "b", -1, NULL);
	parse_msg(&m, sizeof(struct ifinfomsg), tb, IFLA_MAX);
	nl_parse_attrs(info, IFLA_INFO_MAX, RTA_DATA(tb[IFLA_LINKINFO]), RTA_PAYLOAD(tb[IFLA_LINKINFO]));
	nl_parse_attrs(data, VETH_INFO_MAX, RTA_DATA(info[IFLA_INFO_DATA]),
		       RTA_PAYLOAD(info[IFLA_INFO_DATA]));
	p = data[VETH_INFO_PEER];
	nl_parse_attrs(peer, IFLA_MAX, (struct rtattr *)((char *)RTA_DATA(p) + sizeof(struct ifinfomsg)),
		       RTA_PAYLOAD(p) - sizeof(struct ifinfomsg));
	assert_null(peer[IFLA_NET_NS_FD]);
	assert_null(peer[IFLA_ADDRESS]);
}

static void test_set_up_and_del(void **state)
{
	struct rtattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifi;
	struct nl_msg m;

	link_msg_set_up(&m, 12, 3);
	ifi = NLMSG_DATA(&m.u.hdr);
	assert_int_equal(ifi->ifi_index, 12);
	assert_int_equal(ifi->ifi_flags & IFF_UP, IFF_UP);
	assert_int_equal(ifi->ifi_change, IFF_UP);
	parse_msg(&m, sizeof(*ifi), tb, IFLA_MAX);
	assert_int_equal(nl_attr_u32(tb[IFLA_MASTER], 0), 3);
	link_msg_set_up(&m, 12, 0);
	parse_msg(&m, sizeof(*ifi), tb, IFLA_MAX);
	assert_null(tb[IFLA_MASTER]);

	link_msg_del(&m, "ctap0");
	assert_int_equal(m.u.hdr.nlmsg_type, RTM_DELLINK);
	parse_msg(&m, sizeof(*ifi), tb, IFLA_MAX);
	assert_string_equal(nl_attr_str(tb[IFLA_IFNAME]), "ctap0");
}

static void test_addr_and_route(void **state)
{
	struct rtattr *tb[IFA_MAX + 1], *rt[RTA_MAX + 1];
	const struct ifaddrmsg *ifa;
	const struct rtmsg *r;
	struct nl_msg m;
	uint32_t be;

	addr_msg_new(&m, 5, 0x0a760001, 24);
	ifa = NLMSG_DATA(&m.u.hdr);
	assert_int_equal(m.u.hdr.nlmsg_type, RTM_NEWADDR);
	assert_int_equal(ifa->ifa_family, AF_INET);
	assert_int_equal(ifa->ifa_prefixlen, 24);
	assert_int_equal(ifa->ifa_index, 5);
	parse_msg(&m, sizeof(*ifa), tb, IFA_MAX);
	memcpy(&be, RTA_DATA(tb[IFA_LOCAL]), 4);
	assert_int_equal(ntohl(be), 0x0a760001);
	memcpy(&be, RTA_DATA(tb[IFA_BROADCAST]), 4);
	assert_int_equal(ntohl(be), 0x0a7600ff);

	route_msg_default(&m, 9, 0x0a760001);
	r = NLMSG_DATA(&m.u.hdr);
	assert_int_equal(m.u.hdr.nlmsg_type, RTM_NEWROUTE);
	assert_int_equal(r->rtm_dst_len, 0);
	assert_int_equal(r->rtm_table, RT_TABLE_MAIN);
	parse_msg(&m, sizeof(*r), rt, RTA_MAX);
	memcpy(&be, RTA_DATA(rt[RTA_GATEWAY]), 4);
	assert_int_equal(ntohl(be), 0x0a760001);
	assert_int_equal(nl_attr_u32(rt[RTA_OIF], 0), 9);
}

static void test_overflow_refused(void **state)
{
	static char big[NL_MSG_SIZE];
	cella_err_t err = NULL;
	struct nl_msg m;

	memset(big, 'x', sizeof(big) - 1);
	link_msg_get(&m, big);
	assert_true(m.overflow);
	/* Refused before any send: the fd is never used. */
	assert_true(nl_transact(-1, &m, NULL, NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "does not fit"));
	cella_error_release(&err);
}

static void test_parse_hostile(void **state)
{
	_Alignas(4) unsigned char buf[64] = {0};
	struct rtattr *tb[IFLA_MAX + 1];
	struct rtattr *a = (struct rtattr *)buf;

	/* A claimed length past the buffer: ignored, not read. */
	a->rta_type = IFLA_IFNAME;
	a->rta_len = 200;
	nl_parse_attrs(tb, IFLA_MAX, a, sizeof(buf));
	assert_null(tb[IFLA_IFNAME]);
	/* A string without its NUL inside the attribute is no string. */
	a->rta_len = RTA_LENGTH(4);
	memcpy(RTA_DATA(a), "eth0", 4);
	nl_parse_attrs(tb, IFLA_MAX, a, sizeof(buf));
	assert_non_null(tb[IFLA_IFNAME]);
	assert_null(nl_attr_str(tb[IFLA_IFNAME]));
	/* A u32 attribute that is too short yields the default. */
	a->rta_type = IFLA_MTU;
	a->rta_len = RTA_LENGTH(2);
	nl_parse_attrs(tb, IFLA_MAX, a, sizeof(buf));
	assert_int_equal(nl_attr_u32(tb[IFLA_MTU], 77), 77);
	/* Types above max are skipped, not written past tb. */
	a->rta_type = IFLA_MAX + 5;
	nl_parse_attrs(tb, IFLA_MAX, a, sizeof(buf));
	for (int i = 0; i <= IFLA_MAX; i++)
		assert_null(tb[i]);
}

static void test_nft_script(void **state)
{
	struct cella_ipv4_cidr gw = {0x0a760001, 24};
	char *s = net_nft_script_add("cellabr0", &gw);

	assert_non_null(s);
	assert_non_null(strstr(s, "add table ip cella\n"));
	assert_non_null(strstr(s, "add chain ip cella nat-cellabr0 { type nat hook postrouting "
				  "priority srcnat; policy accept; }"));
	assert_non_null(strstr(s, "ip saddr 10.118.0.0/24 ip daddr != 10.118.0.0/24 masquerade"));
	assert_non_null(strstr(s, "iifname \"cellabr0\" accept"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bridge),		 cmocka_unit_test(test_veth),
		cmocka_unit_test(test_set_up_and_del),	 cmocka_unit_test(test_addr_and_route),
		cmocka_unit_test(test_overflow_refused), cmocka_unit_test(test_parse_hostile),
		cmocka_unit_test(test_nft_script),
	};

	return cmocka_run_group_tests_name("network-netlink", tests, NULL, NULL);
}
