/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test=ping: a guest on cellad's managed network with no DHCP client, as a
 * kernel with ip= autoconfiguration would be. It takes its address, gateway
 * and netmask from ip=CLIENT:SERVER:GATEWAY:NETMASK:... (the kernel's
 * nfsroot.rst syntax) on its command line, resolves the gateway by ARP, pings
 * it (ICMP echo, bounded tries), then serves forever: ARP requests for its
 * address and ICMP echo requests to it are answered, everything else is
 * ignored. Frames come from outside: every length, checksum and field is
 * checked before use.
 */
#include "lib.h"
#include "netutil.h"
#include "tests.h"

#define TRIES	     8	/* ARP requests, then echo requests, before giving up */
#define FRAMES_EACH  32 /* frames looked at per try */
#define ECHO_ID	     0xCE11
#define IP_HLEN	     20
#define ICMP_HLEN    8
#define SERVED_SHOWN 4 /* echo requests announced on the console (then silently served) */

static uint8_t own_ip[4], gw_ip[4], netmask[4], gw_mac[6];
static bool have_gw_mac, gw_answered;
static uint16_t echo_seq;
static unsigned served;

/* "a.b.c.d" at *p (four parts 0..255, 1-3 digits); advances *p past it. */
static bool parse_quad(const char **p, uint8_t out[4])
{
	const char *s = *p;

	for (unsigned i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;

		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || digits > 3 || v > 255)
			return false;
		out[i] = (uint8_t)v;
		if (i < 3 && *s++ != '.')
			return false;
	}
	*p = s;
	return true;
}

static uint32_t word(const uint8_t a[4])
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

/* The ip= word of the command line (at its start or after a space), past "ip=", or NULL. */
static const char *find_ip_param(const char *cmdline)
{
	for (const char *p = cmdline; (p = str_find(p, "ip=")) != NULL; p += 3) {
		if (p == cmdline || p[-1] == ' ')
			return p + 3;
	}
	return NULL;
}

/* ip=CLIENT:SERVER:GATEWAY:NETMASK[:...]; SERVER may be empty. fail()s on anything else. */
static void parse_ip_param(const char *cmdline)
{
	const char *p = find_ip_param(cmdline);
	uint32_t mask, own, gw;

	if (p == NULL)
		fail("ping: no ip= on the command line (expected ip=CLIENT::GATEWAY:NETMASK:...)");
	if (!parse_quad(&p, own_ip) || *p++ != ':')
		fail("ping: ip=: bad client address");
	while (*p && *p != ':' && *p != ' ')
		p++; /* the NFS server: not used */
	if (*p++ != ':' || !parse_quad(&p, gw_ip) || *p++ != ':')
		fail("ping: ip=: bad gateway address");
	if (!parse_quad(&p, netmask) || (*p != ':' && *p != ' ' && *p != '\0'))
		fail("ping: ip=: bad netmask");
	mask = word(netmask);
	own = word(own_ip);
	gw = word(gw_ip);
	/* A contiguous mask of /8../30 with both addresses hosts of the same subnet. */
	if ((~mask & (~mask + 1)) != 0 || mask < 0xFF000000u || mask > 0xFFFFFFFCu)
		fail("ping: ip=: the netmask is not a /8../30 mask");
	if ((own & mask) != (gw & mask) || own == gw || (own & ~mask) == 0 || (own & ~mask) == ~mask ||
	    (gw & ~mask) == 0 || (gw & ~mask) == ~mask)
		fail("ping: ip=: client and gateway are not two hosts of one subnet");
}

/* A source we may answer: not zero, broadcast (ours or limited), multicast or class E. */
static bool ip_unicast(const uint8_t ip[4])
{
	uint32_t a = word(ip), mask = word(netmask);

	return a != 0 && a < 0xE0000000u && !((a & mask) == (word(own_ip) & mask) && (a & ~mask) == ~mask);
}

/* An IPv4 header (checksummed) for an ICMP message of icmp_len bytes to dst. */
static uint8_t *ip_header(const uint8_t dst_mac[6], const uint8_t dst[4], unsigned icmp_len)
{
	uint8_t *ip = net_eth(dst_mac, ETH_IP);

	memset(ip, 0, IP_HLEN);
	ip[0] = 0x45;
	net_put16(ip + 2, (uint16_t)(IP_HLEN + icmp_len));
	net_put16(ip + 6, 0x4000); /* DF */
	ip[8] = 64;		   /* TTL */
	ip[9] = 1;		   /* ICMP */
	memcpy(ip + 12, own_ip, 4);
	memcpy(ip + 16, dst, 4);
	net_put16(ip + 10, net_checksum(ip, IP_HLEN));
	return ip + IP_HLEN;
}

static void send_echo_request(uint16_t seq)
{
	static const char payload[] = "cella-ping";
	unsigned icmp_len = ICMP_HLEN + sizeof(payload) - 1;
	uint8_t *icmp = ip_header(gw_mac, gw_ip, icmp_len);

	icmp[0] = 8; /* echo request */
	icmp[1] = 0;
	net_put16(icmp + 2, 0);
	net_put16(icmp + 4, ECHO_ID);
	net_put16(icmp + 6, seq);
	memcpy(icmp + ICMP_HLEN, payload, sizeof(payload) - 1);
	net_put16(icmp + 2, net_checksum(icmp, icmp_len));
	net_send(ETH_HLEN + IP_HLEN + icmp_len);
}

/* Echo reply to an echo request (icmp, icmp_len bytes, checksum verified) from src at src_mac. */
static void answer_echo(const uint8_t src_mac[6], const uint8_t src[4], const uint8_t *icmp,
			unsigned icmp_len)
{
	uint8_t *reply = ip_header(src_mac, src, icmp_len);

	memcpy(reply, icmp, icmp_len); /* identifier, sequence number and data stay */
	reply[0] = 0;		       /* echo reply */
	reply[1] = 0;
	net_put16(reply + 2, 0);
	net_put16(reply + 2, net_checksum(reply, icmp_len));
	net_send(ETH_HLEN + IP_HLEN + icmp_len);
	if (served++ < SERVED_SHOWN) {
		puts("ping: answered an echo request from ");
		net_print_ip(src);
		putc('\n');
	}
}

static void handle_icmp(const uint8_t *f, const uint8_t *ip, const uint8_t *icmp, unsigned icmp_len)
{
	if (icmp_len < ICMP_HLEN || net_checksum(icmp, icmp_len) != 0 || icmp[1] != 0)
		return;
	if (icmp[0] == 8 && ip_unicast(ip + 12) && net_mac_unicast(f + 6))
		answer_echo(f + 6, ip + 12, icmp, icmp_len);
	else if (icmp[0] == 0 && net_same(ip + 12, gw_ip, 4) && net_get16(icmp + 4) == ECHO_ID &&
		 net_get16(icmp + 6) == echo_seq)
		gw_answered = true;
}

static void handle_ipv4(const uint8_t *f, uint32_t len)
{
	const uint8_t *ip = f + ETH_HLEN;
	unsigned ihl, total;

	if (len < ETH_HLEN + IP_HLEN || (ip[0] >> 4) != 4)
		return;
	ihl = (ip[0] & 0xFu) * 4u;
	total = net_get16(ip + 2);
	if (ihl < IP_HLEN || total < ihl || ETH_HLEN + total > len || net_checksum(ip, ihl) != 0)
		return;
	/* Fragments (more-fragments flag or an offset) are not reassembled: ignored. */
	if ((net_get16(ip + 6) & 0x3FFF) != 0 || ip[9] != 1 || !net_same(ip + 16, own_ip, 4) ||
	    !net_same(f, net_mac, 6))
		return;
	handle_icmp(f, ip, ip + ihl, total - ihl);
}

static void handle_frame(const uint8_t *f, uint32_t len)
{
	const uint8_t *a = f + ETH_HLEN;
	uint16_t op = net_arp_op(f, len);

	if (op == 2 && net_same(f, net_mac, 6) && net_same(a + 14, gw_ip, 4) && net_same(a + 24, own_ip, 4)) {
		memcpy(gw_mac, a + 8, 6);
		have_gw_mac = true;
	} else if (op == 1 && net_same(a + 24, own_ip, 4) && ip_unicast(a + 14)) {
		net_send_arp(2, a + 8, own_ip, a + 14);
	} else if (net_get16(f + 12) == ETH_IP) {
		handle_ipv4(f, len);
	}
}

/* Receives (bounded: FRAMES_EACH frames or a quiet spell) until *done. */
static void receive_until(const bool *done)
{
	for (unsigned n = 0; n < FRAMES_EACH && !*done; n++) {
		if (!net_receive(handle_frame))
			return;
	}
}

void test_ping(const char *cmdline)
{
	parse_ip_param(cmdline);
	net_up("ping");
	puts("ping: address ");
	net_print_ip(own_ip);
	puts(" gateway ");
	net_print_ip(gw_ip);
	putc('\n');
	for (unsigned i = 0; i < TRIES && !have_gw_mac; i++) {
		net_send_arp(1, NULL, own_ip, gw_ip);
		receive_until(&have_gw_mac);
	}
	if (!have_gw_mac)
		fail("ping: no ARP reply from the gateway");
	for (unsigned i = 0; i < TRIES && !gw_answered; i++) {
		send_echo_request(++echo_seq);
		receive_until(&gw_answered);
	}
	if (!gw_answered)
		fail("ping: the gateway did not answer");
	puts("ping: gateway answered\n");
	for (;;)
		(void)net_receive(handle_frame);
}
