// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the virtio-vsock packet parser: arbitrary bytes split
 * into up to 6 readable buffers. An accepted packet must be from the guest's
 * CID to the host, a stream packet with a known op, and carry no more payload
 * than the buffers hold (and none unless it is RW); encode(decode(x)) == x.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdev/vsock_pkt.h"

#define GUEST_CID 3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovec iov[6];
	struct vsock_hdr h;
	const char *why = NULL;
	uint8_t *copy, raw[VSOCK_HDR_SIZE];
	unsigned n;
	size_t off = 0, total;

	if (size < 2)
		return 0;
	n = data[0] % 6 + 1;
	total = size - 2;
	copy = malloc(total + 1);
	memcpy(copy, data + 2, total);
	for (unsigned i = 0; i < n; i++) {
		size_t want = i == n - 1 ? total - off : ((size_t)data[1] * (i + 3)) % 50;

		if (off + want > total)
			want = total - off;
		iov[i] = (struct iovec){.iov_base = copy + off, .iov_len = want};
		off += want;
	}
	enum vsock_verdict v = vsock_pkt__parse(iov, n, GUEST_CID, &h, &why);

	if (v == VSOCK_PKT_OK) {
		if (why || total < VSOCK_HDR_SIZE || h.src_cid != GUEST_CID || h.dst_cid != VSOCK_HOST_CID ||
		    h.type != VSOCK_TYPE_STREAM || h.op < VSOCK_OP_REQUEST ||
		    h.op > VSOCK_OP_CREDIT_REQUEST || h.len > total - VSOCK_HDR_SIZE ||
		    h.len > VSOCK_MAX_PAYLOAD || (h.op != VSOCK_OP_RW && h.len))
			abort();
	} else if (!why) {
		abort();
	}
	if (total >= VSOCK_HDR_SIZE) {
		struct vsock_hdr d;

		vsock_pkt__decode(data + 2, &d);
		vsock_pkt__encode(&d, raw);
		if (memcmp(raw, data + 2, VSOCK_HDR_SIZE))
			abort();
	}
	free(copy);
	return 0;
}
