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
#include "tests.h"
#include "vdrv.h"

#define NET_F_MAC  5
#define HDR_LEN	   12 /* virtio_net_hdr_v1: VERSION_1 always carries num_buffers */
#define FRAME_MAX  1514
#define RX_BUFS	   4
#define ETH_ARP	   0x0806
#define ETH_IP	   0x0800
#define UDP_SRC	   4444
#define UDP_PORT   5555
#define MAX_FRAMES 64 /* frames the guest looks at before giving up */
#define PING	   "cella-net ping"
#define PONG	   "pong cella-net ping"

static const uint8_t guest_ip[4] = {10, 99, 0, 2}, host_ip[4] = {10, 99, 0, 1};
static struct vdrv d;
static struct vdrv_queue rxq, txq;
static uint8_t rx[RX_BUFS][HDR_LEN + FRAME_MAX];
static uint8_t tx[HDR_LEN + FRAME_MAX];
static uint8_t mac[6], host_mac[6];
static bool have_host_mac;

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool same(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (a[i] != b[i])
			return false;
	}
	return true;
}

static void post_rx(unsigned i)
{
	struct vdrv_buf b = {rx[i], sizeof(rx[i]), true};

	vdrv_submit(&rxq, &b, 1);
}

/* Sends the frame at tx + HDR_LEN (len bytes, Ethernet header included) and waits for the device to take it. */
static void send_frame(uint32_t len)
{
	struct vdrv_buf b = {tx, HDR_LEN + len, false};

	memset(tx, 0, HDR_LEN); /* no offloads: flags 0, gso NONE */
	vdrv_wait(&d, &txq, vdrv_submit(&txq, &b, 1));
}

static uint8_t *eth(const uint8_t *dst, uint16_t type)
{
	uint8_t *f = tx + HDR_LEN;

	memcpy(f, dst, 6);
	memcpy(f + 6, mac, 6);
	put16(f + 12, type);
	return f + 14;
}

static void send_arp(uint16_t op, const uint8_t *dst_mac, const uint8_t *target_ip)
{
	static const uint8_t broadcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	uint8_t *a = eth(op == 1 ? broadcast : dst_mac, ETH_ARP);

	put16(a, 1); /* Ethernet */
	put16(a + 2, ETH_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, mac, 6);
	memcpy(a + 14, guest_ip, 4);
	if (op == 1)
		memset(a + 18, 0, 6);
	else
		memcpy(a + 18, dst_mac, 6);
	memcpy(a + 24, target_ip, 4);
	send_frame(14 + 28);
}

static uint16_t ip_checksum(const uint8_t *p, unsigned n)
{
	uint32_t sum = 0;

	for (unsigned i = 0; i < n; i += 2)
		sum += get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

static void send_udp(const char *payload)
{
	uint16_t plen = (uint16_t)strlen(payload);
	uint8_t *ip = eth(host_mac, ETH_IP), *udp = ip + 20;

	memset(ip, 0, 28);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(20 + 8 + plen));
	ip[8] = 64; /* TTL */
	ip[9] = 17; /* UDP */
	memcpy(ip + 12, guest_ip, 4);
	memcpy(ip + 16, host_ip, 4);
	put16(ip + 10, ip_checksum(ip, 20));
	put16(udp, UDP_SRC);
	put16(udp + 2, UDP_PORT);
	put16(udp + 4, (uint16_t)(8 + plen));
	/* UDP checksum 0: none (allowed over IPv4) */
	memcpy(udp + 8, payload, plen);
	send_frame(14 + 28 + plen);
}

/* Looks at one received frame; returns true when it is the UDP reply. */
static bool handle_frame(const uint8_t *f, uint32_t len)
{
	const uint8_t *p = f + 14;

	if (len < 14 + 28)
		return false;
	if (get16(f + 12) == ETH_ARP && get16(p + 6) == 2 && same(p + 14, host_ip, 4) && same(f, mac, 6)) {
		if (!have_host_mac) {
			memcpy(host_mac, p + 8, 6);
			have_host_mac = true;
			puts("net: ARP reply from the host\n");
		}
		return false;
	}
	if (get16(f + 12) == ETH_ARP && get16(p + 6) == 1 && same(p + 24, guest_ip, 4)) {
		send_arp(2, p + 8, p + 14);
		return false;
	}
	if (get16(f + 12) != ETH_IP || (p[0] >> 4) != 4 || p[9] != 17 || !same(p + 12, host_ip, 4))
		return false;
	{
		unsigned ihl = (p[0] & 0xF) * 4u, plen = (unsigned)strlen(PONG);
		const uint8_t *udp = p + ihl;

		if (ihl < 20 || 14 + ihl + 8 + plen > len || get16(udp) != UDP_PORT ||
		    get16(udp + 2) != UDP_SRC)
			return false;
		if (get16(udp + 4) != 8 + plen || !same(udp + 8, (const uint8_t *)PONG, plen))
			fail("net: the UDP reply is not what the host should send");
		return true;
	}
}

/* Receives frames (bounded) until done() holds. */
static void receive_until(bool (*done)(void), bool *got_udp)
{
	for (unsigned n = 0; n < MAX_FRAMES && !done(); n++) {
		uint16_t head;
		uint32_t len;

		if (!vdrv_wait_any(&d, &rxq, &head, &len))
			fail("net: nothing received from the host");
		if (len < HDR_LEN || len > sizeof(rx[0]))
			fail("net: bad used length on the receive queue");
		/* With one-descriptor chains, a head is the descriptor index; find the buffer it names. */
		if (head >= RX_BUFS)
			fail("net: unexpected receive head");
		if (handle_frame(rx[head] + HDR_LEN, len - HDR_LEN))
			*got_udp = true;
		post_rx(head);
		vdrv_kick(&rxq);
	}
}

static bool got_udp_reply;

static bool arp_done(void)
{
	return have_host_mac;
}

static bool udp_done(void)
{
	return got_udp_reply;
}

void test_net(void)
{
	bool ignored = false;

	vdrv_probe(&d, VDRV_DEV_NET);
	vdrv_negotiate(&d, 1ull << NET_F_MAC);
	for (unsigned i = 0; i < 6; i++)
		mac[i] = d.config[i];
	vdrv_queue_setup(&d, &rxq, 0, VDRV_NO_VECTOR);
	vdrv_queue_setup(&d, &txq, 1, VDRV_NO_VECTOR);
	/* Free descriptors are handed out in order: buffer i gets descriptor i. */
	for (unsigned i = 0; i < RX_BUFS; i++)
		post_rx(i);
	vdrv_driver_ok(&d);
	vdrv_kick(&rxq);
	puts("net: mac ");
	for (unsigned i = 0; i < 6; i++) {
		putc("0123456789abcdef"[mac[i] >> 4]);
		putc("0123456789abcdef"[mac[i] & 15]);
		if (i < 5)
			putc(':');
	}
	putc('\n');
	send_arp(1, NULL, host_ip);
	receive_until(arp_done, &ignored);
	if (!have_host_mac)
		fail("net: no ARP reply from the host");
	send_udp(PING);
	receive_until(udp_done, &got_udp_reply);
	if (!got_udp_reply)
		fail("net: no UDP reply from the host");
	puts("net: UDP reply from the host\n");
}
