// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-vsock packet headers: one copy out of guest memory, then checks on the copy. */
#include <endian.h>
#include <string.h>

#include "vdev/iov.h"
#include "vdev/vsock_pkt.h"

static uint64_t ld64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return le64toh(v);
}

static uint32_t ld32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint16_t ld16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return le16toh(v);
}

static void st64(uint8_t *p, uint64_t v)
{
	v = htole64(v);
	memcpy(p, &v, 8);
}

static void st32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void st16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

void vsock_pkt__decode(const uint8_t in[VSOCK_HDR_SIZE], struct vsock_hdr *h)
{
	h->src_cid = ld64(in);
	h->dst_cid = ld64(in + 8);
	h->src_port = ld32(in + 16);
	h->dst_port = ld32(in + 20);
	h->len = ld32(in + 24);
	h->type = ld16(in + 28);
	h->op = ld16(in + 30);
	h->flags = ld32(in + 32);
	h->buf_alloc = ld32(in + 36);
	h->fwd_cnt = ld32(in + 40);
}

void vsock_pkt__encode(const struct vsock_hdr *h, uint8_t out[VSOCK_HDR_SIZE])
{
	st64(out, h->src_cid);
	st64(out + 8, h->dst_cid);
	st32(out + 16, h->src_port);
	st32(out + 20, h->dst_port);
	st32(out + 24, h->len);
	st16(out + 28, h->type);
	st16(out + 30, h->op);
	st32(out + 32, h->flags);
	st32(out + 36, h->buf_alloc);
	st32(out + 40, h->fwd_cnt);
}

enum vsock_verdict vsock_pkt__parse(const struct iovec *iov, unsigned nread, uint64_t guest_cid,
				    struct vsock_hdr *h, const char **why)
{
	uint8_t raw[VSOCK_HDR_SIZE];
	uint64_t read_len = iov_length(iov, nread);

	memset(h, 0, sizeof(*h));
	if (read_len < VSOCK_HDR_SIZE) {
		*why = "packet shorter than the header";
		return VSOCK_PKT_DROP;
	}
	iov_to_buf(iov, nread, 0, raw, sizeof(raw));
	vsock_pkt__decode(raw, h);
	if (h->src_cid != guest_cid) {
		/* A guest using someone else's address: spoofing, never answered. */
		*why = "source CID is not the guest's";
		return VSOCK_PKT_DROP;
	}
	if (h->op == VSOCK_OP_RW) {
		if (h->len > VSOCK_MAX_PAYLOAD) {
			*why = "payload larger than 64 KiB";
			return VSOCK_PKT_RESET;
		}
		if (h->len > read_len - VSOCK_HDR_SIZE) {
			*why = "payload length beyond the buffers";
			return VSOCK_PKT_RESET;
		}
	} else if (h->len) {
		*why = "payload on a control packet";
		return VSOCK_PKT_RESET;
	}
	if (h->dst_cid != VSOCK_HOST_CID) {
		*why = "destination is not the host";
		return h->op == VSOCK_OP_RST ? VSOCK_PKT_DROP : VSOCK_PKT_RESET;
	}
	if (h->type != VSOCK_TYPE_STREAM) {
		*why = "not a stream packet";
		return h->op == VSOCK_OP_RST ? VSOCK_PKT_DROP : VSOCK_PKT_RESET;
	}
	if (h->op < VSOCK_OP_REQUEST || h->op > VSOCK_OP_CREDIT_REQUEST) {
		*why = "unknown op";
		return VSOCK_PKT_RESET;
	}
	*why = NULL;
	return VSOCK_PKT_OK;
}
