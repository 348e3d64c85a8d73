/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The virtio-net device and frame helpers shared by test=net and test=ping (netutil.h). */
#include "netutil.h"

#include "lib.h"
#include "vdrv.h"

#define NET_F_MAC 5
#define HDR_LEN	  12 /* virtio_net_hdr_v1: VERSION_1 always carries num_buffers */
#define RX_BUFS	  4

uint8_t net_mac[6];
static struct vdrv d;
static struct vdrv_queue rxq, txq;
static uint8_t rx[RX_BUFS][HDR_LEN + NET_FRAME_MAX];
static uint8_t tx[HDR_LEN + NET_FRAME_MAX];

void net_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t net_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

bool net_same(const uint8_t *a, const uint8_t *b, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (a[i] != b[i])
			return false;
	}
	return true;
}

uint16_t net_checksum(const uint8_t *p, unsigned n)
{
	uint32_t sum = 0;
	unsigned i;

	for (i = 0; i + 1 < n; i += 2)
		sum += net_get16(p + i);
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xFFFF) + (sum >> 16);
	return (uint16_t)~sum;
}

bool net_mac_unicast(const uint8_t mac[6])
{
	static const uint8_t zero[6];

	return !(mac[0] & 1) && !net_same(mac, zero, 6);
}

void net_print_ip(const uint8_t ip[4])
{
	for (unsigned i = 0; i < 4; i++) {
		put_dec(ip[i]);
		if (i < 3)
			putc('.');
	}
}

static void post_rx(unsigned i)
{
	struct vdrv_buf b = {rx[i], sizeof(rx[i]), true};

	vdrv_submit(&rxq, &b, 1);
}

void net_up(const char *prefix)
{
	vdrv_probe(&d, VDRV_DEV_NET);
	vdrv_negotiate(&d, 1ull << NET_F_MAC);
	for (unsigned i = 0; i < 6; i++)
		net_mac[i] = d.config[i];
	vdrv_queue_setup(&d, &rxq, 0, VDRV_NO_VECTOR);
	vdrv_queue_setup(&d, &txq, 1, VDRV_NO_VECTOR);
	/* Free descriptors are handed out in order: buffer i gets descriptor i. */
	for (unsigned i = 0; i < RX_BUFS; i++)
		post_rx(i);
	vdrv_driver_ok(&d);
	vdrv_kick(&rxq);
	puts(prefix);
	puts(": mac ");
	for (unsigned i = 0; i < 6; i++) {
		putc("0123456789abcdef"[net_mac[i] >> 4]);
		putc("0123456789abcdef"[net_mac[i] & 15]);
		if (i < 5)
			putc(':');
	}
	putc('\n');
}

uint8_t *net_eth(const uint8_t dst[6], uint16_t type)
{
	uint8_t *f = tx + HDR_LEN;

	memcpy(f, dst, 6);
	memcpy(f + 6, net_mac, 6);
	net_put16(f + 12, type);
	return f + ETH_HLEN;
}

void net_send(uint32_t len)
{
	struct vdrv_buf b = {tx, HDR_LEN + len, false};

	if (len < ETH_HLEN || len > NET_FRAME_MAX)
		fail("net: frame length out of range");
	memset(tx, 0, HDR_LEN); /* no offloads: flags 0, gso NONE */
	vdrv_wait(&d, &txq, vdrv_submit(&txq, &b, 1));
}

bool net_receive(void (*handle)(const uint8_t *frame, uint32_t len))
{
	uint16_t head;
	uint32_t len;

	if (!vdrv_wait_any(&d, &rxq, &head, &len))
		return false;
	/* With one-descriptor chains, a head is the descriptor index; it names the buffer. */
	if (head >= RX_BUFS)
		fail("net: unexpected receive head");
	if (len < HDR_LEN || len > sizeof(rx[0]))
		fail("net: bad used length on the receive queue");
	if (len - HDR_LEN >= ETH_HLEN)
		handle(rx[head] + HDR_LEN, len - HDR_LEN);
	post_rx(head);
	vdrv_kick(&rxq);
	return true;
}

void net_send_arp(uint16_t op, const uint8_t dst_mac[6], const uint8_t own_ip[4], const uint8_t target_ip[4])
{
	static const uint8_t broadcast[6] = {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF};
	uint8_t *a = net_eth(op == 1 ? broadcast : dst_mac, ETH_ARP);

	net_put16(a, 1); /* Ethernet */
	net_put16(a + 2, ETH_IP);
	a[4] = 6;
	a[5] = 4;
	net_put16(a + 6, op);
	memcpy(a + 8, net_mac, 6);
	memcpy(a + 14, own_ip, 4);
	if (op == 1)
		memset(a + 18, 0, 6);
	else
		memcpy(a + 18, dst_mac, 6);
	memcpy(a + 24, target_ip, 4);
	net_send(ETH_HLEN + ARP_LEN);
}

uint16_t net_arp_op(const uint8_t *f, uint32_t len)
{
	const uint8_t *a = f + ETH_HLEN;
	uint16_t op;

	if (len < ETH_HLEN + ARP_LEN || net_get16(f + 12) != ETH_ARP || net_get16(a) != 1 ||
	    net_get16(a + 2) != ETH_IP || a[4] != 6 || a[5] != 4)
		return 0;
	op = net_get16(a + 6);
	/* The sender's MAC is where a reply goes: it must be a unicast address. */
	if ((op != 1 && op != 2) || !net_mac_unicast(a + 8))
		return 0;
	return op;
}
