// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the virtqueue walker: the fuzz input is guest RAM
 * (two regions, like RAM below the hole and above 4 GiB), rings included. Every
 * buffer a popped chain names is read and written in full, so ASan reports
 * any iovec that strays outside the RAM allocations.
 *
 * Input: byte 0 = log2(queue size) (mod 16), byte 1 = feature bits (bit 0
 * indirect, bit 1 event index), bytes 2..7 = desc/avail/used ring offsets
 * (16-bit, in 16-byte units), then RAM contents.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/virtqueue.h"

#define LOW_SIZE  (64 * 1024)
#define HIGH_SIZE (16 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain chain;
	struct guest_mem mem = {0};
	struct virtq vq = {0};
	uint8_t *low, *high;
	uint64_t features = 0, desc, avail, used;
	uint16_t qsize;
	cella_err_t err = NULL;
	size_t n;

	if (size < 8)
		return 0;
	qsize = (uint16_t)(1U << (data[0] % 16));
	if (data[1] & 1)
		features |= VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	if (data[1] & 2)
		features |= VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	/* Ring offsets may point into the high region too (bit 15). */
	desc = (uint64_t)(data[2] | (data[3] & 0x7F) << 8) * 16 +
	       ((data[3] & 0x80) ? GUEST_MEM_HIGH_START : 0);
	avail = (uint64_t)(data[4] | (data[5] & 0x7F) << 8) * 2 +
		((data[5] & 0x80) ? GUEST_MEM_HIGH_START : 0);
	used = (uint64_t)(data[6] | (data[7] & 0x7F) << 8) * 4 +
	       ((data[7] & 0x80) ? GUEST_MEM_HIGH_START : 0);
	data += 8;
	size -= 8;

	low = calloc(1, LOW_SIZE);
	high = calloc(1, HIGH_SIZE);
	n = size < LOW_SIZE ? size : LOW_SIZE;
	memcpy(low, data, n);
	if (size > n)
		memcpy(high, data + n, size - n < HIGH_SIZE ? size - n : HIGH_SIZE);
	mem.region[0] = (struct guest_mem_region){.gpa = 0, .size = LOW_SIZE, .host = low};
	mem.region[1] =
		(struct guest_mem_region){.gpa = GUEST_MEM_HIGH_START, .size = HIGH_SIZE, .host = high};
	mem.nregions = 2;
	mem.ram_size = LOW_SIZE + HIGH_SIZE;

	if (virtq__enable(&vq, &mem, qsize, desc, avail, used, features, &err) < 0) {
		cella_error_release(&err);
		goto out;
	}
	/* At most one queue's worth plus one: pop must stop by itself (empty or broken). */
	for (unsigned i = 0; i <= qsize; i++) {
		int r = virtq__pop(&vq, &chain, &err);
		uint32_t written = 0;

		if (r <= 0) {
			cella_error_release(&err);
			break;
		}
		for (unsigned k = 0; k < chain.nread + chain.nwrite; k++) {
			volatile uint8_t *p = chain.iov[k].iov_base;
			uint8_t sum = 0;

			for (size_t b = 0; b < chain.iov[k].iov_len; b++)
				sum += p[b];
			if (k >= chain.nread) {
				memset(chain.iov[k].iov_base, sum, chain.iov[k].iov_len);
				written += chain.iov[k].iov_len;
			}
		}
		if (virtq__push_chain(&vq, &chain, written, &err) < 0)
			abort(); /* a popped chain must always be accepted back */
		(void)virtq__needs_notify(&vq);
	}
out:
	free(low);
	free(high);
	return 0;
}
