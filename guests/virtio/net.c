/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test=net: virtio-net round trips with the host side of a TAP. The guest
 * (GUEST_IP) sends an ARP request for the host (HOST_IP) and expects the host
 * kernel's ARP reply, then sends a UDP datagram to the host's port UDP_PORT
 * and expects the reply "pong " + what it sent (the test's echo listener).
 * It answers ARP requests for its own address, so the host can resolve it,
 * and ignores everything else the host sends (IPv6, other UDP).
 */
#include "lib.h"
#include "netutil.h"
#include "tests.h"

#define UDP_SRC	   4444
#define UDP_PORT   5555
#define MAX_FRAMES 64 /* frames the guest looks at before giving up */
#define PING	   "cella-net ping"
#define PONG	   "pong cella-net ping"

static const uint8_t guest_ip[4] = {10, 99, 0, 2}, host_ip[4] = {10, 99, 0, 1};
static uint8_t host_mac[6];
static bool have_host_mac, got_udp_reply;

static void send_udp(const char *payload)
{
	uint16_t plen = (uint16_t)strlen(payload);
	uint8_t *ip = net_eth(host_mac, ETH_IP), *udp = ip + 20;

	memset(ip, 0, 28);
	ip[0] = 0x45;
	net_put16(ip + 2, (uint16_t)(20 + 8 + plen));
	ip[8] = 64; /* TTL */
	ip[9] = 17; /* UDP */
	memcpy(ip + 12, guest_ip, 4);
	memcpy(ip + 16, host_ip, 4);
	net_put16(ip + 10, net_checksum(ip, 20));
	net_put16(udp, UDP_SRC);
	net_put16(udp + 2, UDP_PORT);
	net_put16(udp + 4, (uint16_t)(8 + plen));
	/* UDP checksum 0: none (allowed over IPv4) */
	memcpy(udp + 8, payload, plen);
	net_send(ETH_HLEN + 28 + plen);
}

/* Looks at one received frame: the host's ARP reply, an ARP request for us, the UDP reply. */
static void handle_frame(const uint8_t *f, uint32_t len)
{
	const uint8_t *p = f + ETH_HLEN;
	uint16_t op = net_arp_op(f, len);

	if (op == 2 && net_same(p + 14, host_ip, 4) && net_same(f, net_mac, 6)) {
		if (!have_host_mac) {
			memcpy(host_mac, p + 8, 6);
			have_host_mac = true;
			puts("net: ARP reply from the host\n");
		}
		return;
	}
	if (op == 1 && net_same(p + 24, guest_ip, 4)) {
		net_send_arp(2, p + 8, guest_ip, p + 14);
		return;
	}
	if (len < ETH_HLEN + 28 || net_get16(f + 12) != ETH_IP || (p[0] >> 4) != 4 || p[9] != 17 ||
	    !net_same(p + 12, host_ip, 4))
		return;
	{
		unsigned ihl = (p[0] & 0xF) * 4u, plen = (unsigned)strlen(PONG);
		const uint8_t *udp = p + ihl;

		if (ihl < 20 || ETH_HLEN + ihl + 8 + plen > len || net_get16(udp) != UDP_PORT ||
		    net_get16(udp + 2) != UDP_SRC)
			return;
		if (net_get16(udp + 4) != 8 + plen || !net_same(udp + 8, (const uint8_t *)PONG, plen))
			fail("net: the UDP reply is not what the host should send");
		got_udp_reply = true;
	}
}

/* Receives frames (bounded) until *done holds. */
static void receive_until(const bool *done)
{
	for (unsigned n = 0; n < MAX_FRAMES && !*done; n++) {
		if (!net_receive(handle_frame))
			fail("net: nothing received from the host");
	}
}

void test_net(void)
{
	net_up("net");
	net_send_arp(1, NULL, guest_ip, host_ip);
	receive_until(&have_host_mac);
	if (!have_host_mac)
		fail("net: no ARP reply from the host");
	send_udp(PING);
	receive_until(&got_udp_reply);
	if (!got_udp_reply)
		fail("net: no UDP reply from the host");
	puts("net: UDP reply from the host\n");
}
