/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_GUEST_VIRTIO_NETUTIL_H
#define CELLA_GUEST_VIRTIO_NETUTIL_H

/*
 * The virtio-net side shared by test=net and test=ping: one device, a receive
 * queue of RX_BUFS one-descriptor buffers, a transmit queue with one frame
 * buffer, and the byte helpers for Ethernet/ARP/IPv4. Every received frame
 * comes from outside the guest: callers validate each field before use.
 */
#include <stdbool.h>
#include <stdint.h>

#define NET_FRAME_MAX 1514 /* Ethernet header + 1500 */
#define ETH_HLEN      14
#define ETH_ARP	      0x0806
#define ETH_IP	      0x0800
#define ARP_LEN	      28 /* Ethernet/IPv4 ARP */

extern uint8_t net_mac[6];

/* Probes, negotiates (MAC), sets up both queues, posts the receive buffers, DRIVER_OK; prints the MAC. */
void net_up(const char *prefix);
/* The frame being built: its Ethernet header (dst, own MAC, type) written; returns the payload. */
uint8_t *net_eth(const uint8_t dst[6], uint16_t type);
/* Sends the frame built with net_eth (len bytes from the Ethernet header on) and waits until it is taken. */
void net_send(uint32_t len);
/*
 * Waits (bounded, a few seconds) for one frame and hands it (Ethernet header on, len within
 * NET_FRAME_MAX) to handle, then gives the buffer back to the device. false when none came.
 */
bool net_receive(void (*handle)(const uint8_t *frame, uint32_t len));
/* ARP for IPv4 over Ethernet: op 1 (request, broadcast) or 2 (reply to dst_mac), from own_ip. */
void net_send_arp(uint16_t op, const uint8_t dst_mac[6], const uint8_t own_ip[4], const uint8_t target_ip[4]);
/* A well-formed Ethernet/IPv4 ARP packet (frame of len bytes): its op, else 0. */
uint16_t net_arp_op(const uint8_t *frame, uint32_t len);

void net_put16(uint8_t *p, uint16_t v);
uint16_t net_get16(const uint8_t *p);
bool net_same(const uint8_t *a, const uint8_t *b, unsigned n);
/* The Internet checksum (RFC 1071) of n bytes; an odd last byte is padded with zero. */
uint16_t net_checksum(const uint8_t *p, unsigned n);
/* A unicast sender: not multicast/broadcast, not all zero. */
bool net_mac_unicast(const uint8_t mac[6]);
void net_print_ip(const uint8_t ip[4]);

#endif
