/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_TEST_VIRTIO_TEST_H
#define CELLA_TEST_VIRTIO_TEST_H

/* A small guest RAM and helpers that play the driver's side of a split virtqueue. */
#include <endian.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest_mem.h"
#include "virtio/virtio_spec.h"

#define TEST_RAM_SIZE (1U << 20)

struct test_ram {
	uint8_t *host;
	struct guest_mem mem;
};

static inline void test_ram_init(struct test_ram *r)
{
	r->host = aligned_alloc(4096, TEST_RAM_SIZE);
	memset(r->host, 0, TEST_RAM_SIZE);
	guest_mem__init(&r->mem, r->host, TEST_RAM_SIZE);
}

static inline void test_ram_free(struct test_ram *r)
{
	free(r->host);
}

static inline void test_put16(struct test_ram *r, uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(r->host + gpa, &v, 2);
}

static inline uint16_t test_get16(struct test_ram *r, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, r->host + gpa, 2);
	return le16toh(v);
}

static inline uint32_t test_get32(struct test_ram *r, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, r->host + gpa, 4);
	return le32toh(v);
}

/* Writes descriptor i of the table at table_gpa. */
static inline void test_desc(struct test_ram *r, uint64_t table_gpa, unsigned i, uint64_t addr, uint32_t len,
			     uint16_t flags, uint16_t next)
{
	struct virtq_desc d = {
		.addr = htole64(addr), .len = htole32(len), .flags = htole16(flags), .next = htole16(next)};

	memcpy(r->host + table_gpa + 16ULL * i, &d, sizeof(d));
}

/* Driver side: puts head into the avail ring of a queue of size entries and bumps idx. */
static inline void test_avail_add(struct test_ram *r, uint64_t avail_gpa, uint16_t size, uint16_t head)
{
	uint16_t idx = test_get16(r, avail_gpa + 2);

	test_put16(r, avail_gpa + 4 + 2ULL * (idx % size), head);
	test_put16(r, avail_gpa + 2, idx + 1);
}

#endif
