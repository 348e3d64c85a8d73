// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the virtio-blk request parser. The input describes a
 * device (capacity, read-only, discard) and a descriptor chain: a split of the
 * remaining bytes into up to 8 buffers, readable then writable. Whatever the
 * parser accepts must be internally consistent: data buffers inside the
 * chain's buffers and adding up to the request length, sectors inside the
 * disk, the status byte the last writable byte.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vdev/blk_req.h"

#define MAXBUF	8
#define DATAMAX 16

static int inside(const struct iovec *bufs, unsigned n, const void *p, size_t len)
{
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *b = bufs[i].iov_base;

		if ((const uint8_t *)p >= b && (const uint8_t *)p + len <= b + bufs[i].iov_len)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct iovec iov[MAXBUF], out[DATAMAX];
	struct blk_geom g;
	struct blk_req r;
	unsigned nbuf, nread;
	uint8_t *copy;
	size_t off = 0;

	if (size < 12)
		return 0;
	g = (struct blk_geom){
		.capacity = data[0] & 0x80 ? UINT64_MAX - data[1] : (uint64_t)data[1] << (data[2] & 31),
		.readonly = data[0] & 1,
		.discard = data[0] & 2,
		.max_discard_sectors = (uint32_t)data[3] << 8,
		.max_write_zeroes_sectors = (uint32_t)data[4] << 8,
	};
	nbuf = data[5] % MAXBUF + 1;
	nread = data[6] % (nbuf + 1);
	/* Buffer lengths from 5 bits each of bytes 7..11 (cycled), the rest of the input is their content. */
	copy = malloc(size - 12 + 1);
	memcpy(copy, data + 12, size - 12);
	for (unsigned i = 0; i < nbuf; i++) {
		size_t want = (size_t)data[7 + i % 5] * (i + 1) % 97;

		if (i == nbuf - 1 || off + want > size - 12)
			want = size - 12 - off;
		iov[i] = (struct iovec){.iov_base = copy + off, .iov_len = want};
		off += want;
	}
	if (blk_req__parse(iov, nread, nbuf - nread, &g, &r, out, DATAMAX) < 0) {
		/* Only a chain without writable bytes may be refused outright. */
		size_t w = 0;

		for (unsigned i = nread; i < nbuf; i++)
			w += iov[i].iov_len;
		if (w)
			abort();
		free(copy);
		return 0;
	}
	if (!r.status || !inside(iov + nread, nbuf - nread, r.status, 1))
		abort();
	if (!r.done) {
		size_t total = 0;

		if (r.niov > DATAMAX)
			abort();
		for (unsigned i = 0; i < r.niov; i++) {
			/* Reads land in writable buffers only; writes come from readable ones. */
			const struct iovec *where = r.type == VIRTIO_BLK_T_OUT ? iov : iov + nread;
			unsigned n = r.type == VIRTIO_BLK_T_OUT ? nread : nbuf - nread;

			if (!inside(where, n, out[i].iov_base, out[i].iov_len))
				abort();
			if ((uint8_t *)out[i].iov_base <= r.status &&
			    r.status < (uint8_t *)out[i].iov_base + out[i].iov_len)
				abort(); /* data never overlaps the status byte */
			total += out[i].iov_len;
		}
		if (total != r.len)
			abort();
		if (r.type == VIRTIO_BLK_T_IN || r.type == VIRTIO_BLK_T_OUT) {
			if (r.len % 512 || r.sector > g.capacity || (r.len >> 9) > g.capacity - r.sector)
				abort();
			if (r.type == VIRTIO_BLK_T_OUT && g.readonly)
				abort();
		}
		if (r.type == VIRTIO_BLK_T_DISCARD || r.type == VIRTIO_BLK_T_WRITE_ZEROES) {
			if (!g.discard || g.readonly || !r.nseg || r.nseg > BLK_MAX_SEGS)
				abort();
			for (unsigned i = 0; i < r.nseg; i++)
				if (r.seg[i].sector > g.capacity ||
				    r.seg[i].num_sectors > g.capacity - r.seg[i].sector)
					abort();
		}
		if (r.type == VIRTIO_BLK_T_GET_ID && r.len > BLK_ID_BYTES)
			abort();
	} else if (r.result > VIRTIO_BLK_S_UNSUPP || r.used_len != 1) {
		abort();
	}
	free(copy);
	return 0;
}
