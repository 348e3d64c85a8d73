/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VDEV_VSOCK_PKT_H
#define CELLA_VMM_VDEV_VSOCK_PKT_H

/* virtio-vsock packets (virtio 1.2, 5.10.6): the 44-byte little-endian header, parsed and built. Pure. */
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VSOCK_HDR_SIZE	  44
#define VSOCK_HOST_CID	  2
#define VSOCK_TYPE_STREAM 1
#define VSOCK_MAX_PAYLOAD 65536

enum vsock_op {
	VSOCK_OP_INVALID = 0,
	VSOCK_OP_REQUEST = 1,
	VSOCK_OP_RESPONSE = 2,
	VSOCK_OP_RST = 3,
	VSOCK_OP_SHUTDOWN = 4,
	VSOCK_OP_RW = 5,
	VSOCK_OP_CREDIT_UPDATE = 6,
	VSOCK_OP_CREDIT_REQUEST = 7,
};

#define VSOCK_SHUTDOWN_RCV  1
#define VSOCK_SHUTDOWN_SEND 2

struct vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
};

enum vsock_verdict {
	VSOCK_PKT_OK = 0,
	VSOCK_PKT_DROP,	 /* not for us or unreadable: ignore without a reply */
	VSOCK_PKT_RESET, /* well-formed but unacceptable: answer with RST */
};

/*
 * Reads and checks the header of a guest packet (TX queue): readable part at
 * least 44 bytes, payload length within what the chain holds and <= 64 KiB,
 * from guest_cid to the host, stream type, known op, payload only on RW.
 * *why says what was wrong.
 */
enum vsock_verdict vsock_pkt__parse(const struct iovec *iov, unsigned nread, uint64_t guest_cid,
				    struct vsock_hdr *h, const char **why);
void vsock_pkt__encode(const struct vsock_hdr *h, uint8_t out[VSOCK_HDR_SIZE]);
void vsock_pkt__decode(const uint8_t in[VSOCK_HDR_SIZE], struct vsock_hdr *h);

#endif
