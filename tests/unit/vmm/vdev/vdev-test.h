/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_TEST_VDEV_TEST_H
#define CELLA_TEST_VDEV_TEST_H

/*
 * A fake guest for the device tests: RAM in a malloc'd buffer, and a driver
 * that negotiates through the virtio-pci BAR, lays out split rings, builds
 * descriptor chains and kicks, as Linux's virtio drivers do. The test thread
 * plays the VMM's device thread: it polls vdev_fd() and calls vdev_handle().
 */
#include <endian.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "vdev/vdev.h"

#define T_RAM_SIZE  (8U << 20)
#define T_RING_BASE 0x10000ULL
#define T_RING_STEP 0x10000ULL
#define T_DATA_BASE 0x100000ULL

struct t_queue {
	uint16_t size;
	uint64_t desc, avail, used;
	uint16_t next_desc;
	uint16_t seen_used; /* used entries the test consumed */
};

struct t_guest {
	uint8_t *ram;
	struct guest_mem mem;
	struct vdev_env env;
	struct vdev *dev;
	struct t_queue q[VDEV_MAX_QUEUES];
	uint64_t data_next;
	unsigned msis, intx_raised; /* interrupts the guest got */
};

static inline void t_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct t_guest *g = opaque;

	g->msis++;
}

static inline void t_intx(void *opaque, bool level)
{
	struct t_guest *g = opaque;

	g->intx_raised += level;
}

static inline void t_guest_init(struct t_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->ram = aligned_alloc(4096, T_RAM_SIZE);
	memset(g->ram, 0, T_RAM_SIZE);
	guest_mem__init(&g->mem, g->ram, T_RAM_SIZE);
	g->env = (struct vdev_env){.mem = &g->mem, .msi_send = t_msi, .intx = t_intx, .irq_opaque = g};
	g->data_next = T_DATA_BASE;
}

static inline void t_guest_free(struct t_guest *g)
{
	vdev_destroy(g->dev);
	g->dev = NULL;
	free(g->ram);
}

/* Guest RAM for a buffer of len bytes (16-byte aligned). */
static inline uint64_t t_alloc(struct t_guest *g, uint64_t len)
{
	uint64_t gpa = g->data_next;

	g->data_next = (g->data_next + len + 15) & ~15ULL;
	if (g->data_next > T_RAM_SIZE)
		abort();
	return gpa;
}

static inline void *t_ptr(struct t_guest *g, uint64_t gpa)
{
	return g->ram + gpa;
}

static inline uint64_t t_bar_rd(struct t_guest *g, uint64_t off, uint32_t len)
{
	uint8_t d[8] = {0};
	uint64_t v = 0;

	pci_device__lock(&g->dev->vp.pci);
	virtio_pci__bar_io(&g->dev->vp, VIRTIO_PCI_BAR, off, d, len, false);
	pci_device__unlock(&g->dev->vp.pci);
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

static inline void t_bar_wr(struct t_guest *g, uint64_t off, uint32_t len, uint64_t v)
{
	uint8_t d[8];

	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	pci_device__lock(&g->dev->vp.pci);
	virtio_pci__bar_io(&g->dev->vp, VIRTIO_PCI_BAR, off, d, len, true);
	pci_device__unlock(&g->dev->vp.pci);
}

static inline uint64_t t_device_features(struct t_guest *g)
{
	t_bar_wr(g, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	uint64_t lo = t_bar_rd(g, VIRTIO_PCI_COMMON_DF, 4);

	t_bar_wr(g, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	return lo | t_bar_rd(g, VIRTIO_PCI_COMMON_DF, 4) << 32;
}

/* Driver initialisation (3.1.1): accept `want` & offered, set up every queue, DRIVER_OK. Returns status. */
static inline uint8_t t_driver_start(struct t_guest *g, uint64_t want)
{
	uint64_t feats = (t_device_features(g) & want) | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	unsigned nq = (unsigned)t_bar_rd(g, VIRTIO_PCI_COMMON_NUMQ, 2);

	t_bar_wr(g, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	t_bar_wr(g, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	t_bar_wr(g, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	t_bar_wr(g, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)feats);
	t_bar_wr(g, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	t_bar_wr(g, VIRTIO_PCI_COMMON_GF, 4, feats >> 32);
	t_bar_wr(g, VIRTIO_PCI_COMMON_STATUS, 1,
		 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	for (unsigned q = 0; q < nq && q < VDEV_MAX_QUEUES; q++) {
		struct t_queue *tq = &g->q[q];

		t_bar_wr(g, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		tq->size = (uint16_t)t_bar_rd(g, VIRTIO_PCI_COMMON_Q_SIZE, 2);
		tq->desc = T_RING_BASE + q * T_RING_STEP;
		tq->avail = tq->desc + 0x8000;
		tq->used = tq->desc + 0xC000;
		t_bar_wr(g, VIRTIO_PCI_COMMON_Q_DESCLO, 4, tq->desc);
		t_bar_wr(g, VIRTIO_PCI_COMMON_Q_DESCHI, 4, 0);
		t_bar_wr(g, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, tq->avail);
		t_bar_wr(g, VIRTIO_PCI_COMMON_Q_AVAILHI, 4, 0);
		t_bar_wr(g, VIRTIO_PCI_COMMON_Q_USEDLO, 4, tq->used);
		t_bar_wr(g, VIRTIO_PCI_COMMON_Q_USEDHI, 4, 0);
		t_bar_wr(g, VIRTIO_PCI_COMMON_Q_MSIX, 2, q);
		t_bar_wr(g, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	}
	t_bar_wr(g, VIRTIO_PCI_COMMON_STATUS, 1,
		 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			 VIRTIO_STATUS_DRIVER_OK);
	return (uint8_t)t_bar_rd(g, VIRTIO_PCI_COMMON_STATUS, 1);
}

struct t_buf {
	uint64_t gpa;
	uint32_t len;
	bool write; /* device-writable */
};

static inline void t_put16(struct t_guest *g, uint64_t gpa, uint16_t v)
{
	v = htole16(v);
	memcpy(g->ram + gpa, &v, 2);
}

static inline uint16_t t_get16(struct t_guest *g, uint64_t gpa)
{
	uint16_t v;

	memcpy(&v, g->ram + gpa, 2);
	return le16toh(v);
}

static inline uint32_t t_get32(struct t_guest *g, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, g->ram + gpa, 4);
	return le32toh(v);
}

/* Makes buffers a chain, puts it in the avail ring (no kick). Returns the head. */
static inline uint16_t t_add_chain(struct t_guest *g, unsigned q, const struct t_buf *b, unsigned n)
{
	struct t_queue *tq = &g->q[q];
	uint16_t head = tq->next_desc, idx;

	for (unsigned i = 0; i < n; i++) {
		uint16_t d = (uint16_t)((head + i) % tq->size);
		struct virtq_desc desc = {
			.addr = htole64(b[i].gpa),
			.len = htole32(b[i].len),
			.flags = htole16((uint16_t)((b[i].write ? VIRTQ_DESC_F_WRITE : 0) |
						    (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0))),
			.next = htole16((uint16_t)((d + 1) % tq->size)),
		};

		memcpy(g->ram + tq->desc + 16ULL * d, &desc, sizeof(desc));
	}
	tq->next_desc = (uint16_t)((head + n) % tq->size);
	idx = t_get16(g, tq->avail + 2);
	t_put16(g, tq->avail + 4 + 2ULL * (idx % tq->size), head);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	t_put16(g, tq->avail + 2, (uint16_t)(idx + 1));
	return head;
}

static inline void t_kick(struct t_guest *g, unsigned q)
{
	t_bar_wr(g, vdev_notify_offset(q), 2, q);
}

static inline uint16_t t_used_idx(struct t_guest *g, unsigned q)
{
	return t_get16(g, g->q[q].used + 2);
}

static inline int64_t t_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs the device until queue q's used ring has `count` entries the test has not seen, or timeout. */
static inline bool t_run_until_used(struct t_guest *g, unsigned q, uint16_t count, int timeout_ms)
{
	int64_t end = t_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd pfd = {.fd = vdev_fd(g->dev), .events = POLLIN};

		if ((uint16_t)(t_used_idx(g, q) - g->q[q].seen_used) >= count)
			return true;
		int64_t left = end - t_now_ms();

		if (left <= 0)
			return false;
		if (poll(&pfd, 1, (int)(left < 50 ? left : 50)) > 0)
			vdev_handle(g->dev);
	}
}

/* Runs whatever is ready now (no waiting beyond wait_ms). */
static inline void t_run(struct t_guest *g, int wait_ms)
{
	struct pollfd pfd = {.fd = vdev_fd(g->dev), .events = POLLIN};

	while (poll(&pfd, 1, wait_ms) > 0) {
		vdev_handle(g->dev);
		wait_ms = 0;
	}
}

/* The next used element of queue q the test has not seen. */
static inline void t_next_used(struct t_guest *g, unsigned q, uint32_t *id, uint32_t *len)
{
	struct t_queue *tq = &g->q[q];
	uint64_t e = tq->used + 4 + 8ULL * (tq->seen_used % tq->size);

	*id = t_get32(g, e);
	*len = t_get32(g, e + 4);
	tq->seen_used++;
}

#endif
