/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_GUEST_VDRV_H
#define CELLA_GUEST_VDRV_H

/*
 * vdrv: a small virtio-pci modern driver library for the freestanding test
 * guests (32-bit, identity-mapped, no paging). Finds a device on PCI bus 0
 * through configuration mechanism #1, walks its virtio capabilities,
 * negotiates features and drives split virtqueues that live in the guest's
 * own static memory. Completion by polling the used ring (each poll paced by
 * an ISR read, one exit) or, with MSI-X, by an interrupt the caller handles.
 * Anything unexpected ends the guest with fail(): callers need no error paths.
 *
 *   struct vdrv d;
 *   static struct vdrv_queue q;
 *   vdrv_probe(&d, VDRV_DEV_BLK);                  // or vdrv_find() to test for presence
 *   vdrv_negotiate(&d, 1ull << VIRTIO_BLK_F_FLUSH); // VERSION_1 is always added
 *   vdrv_queue_setup(&d, &q, 0, VDRV_NO_VECTOR);
 *   vdrv_driver_ok(&d);
 *   struct vdrv_buf b[] = {{&hdr, sizeof(hdr), false}, {&st, 1, true}};
 *   uint16_t head = vdrv_submit(&q, b, 2);
 *   uint32_t len = vdrv_wait(&d, &q, head);          // kick, poll, free the chain
 */
#include <stdbool.h>
#include <stdint.h>

#define VDRV_VENDOR	      0x1AF4
#define VDRV_DEV_NET	      0x1041
#define VDRV_DEV_BLK	      0x1042
#define VDRV_DEV_CONSOLE      0x1043
#define VDRV_DEV_RNG	      0x1044
#define VDRV_DEV_VSOCK	      0x1053
#define VDRV_QSIZE	      16 /* most descriptors per queue this library sets up */
#define VDRV_NO_VECTOR	      0xFFFF
#define VDRV_F_INDIRECT_DESC  28
#define VDRV_F_EVENT_IDX      29
#define VDRV_F_VERSION_1      32
#define VDRV_STATUS_NEEDS_RST 0x40

struct vdrv_common {
	uint32_t dfselect, df, gfselect, gf;
	uint16_t msix_config, num_queues;
	uint8_t status, config_generation;
	uint16_t q_select, q_size, q_msix_vector, q_enable, q_notify_off;
	uint32_t desc_lo, desc_hi, avail_lo, avail_hi, used_lo, used_hi;
};

struct vdrv_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

/* One split virtqueue; must be in guest memory the device can reach (any static object). */
struct vdrv_queue {
	struct vdrv_desc desc[VDRV_QSIZE] __attribute__((aligned(16)));
	struct {
		uint16_t flags, idx, ring[VDRV_QSIZE], used_event;
	} avail __attribute__((aligned(4)));
	struct {
		uint16_t flags, idx;
		struct {
			uint32_t id, len;
		} ring[VDRV_QSIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4)));
	/* driver-private state */
	uint16_t index, size, last_used, free_head,
		nfree; /* size: VDRV_QSIZE or the device's smaller maximum */
	uint16_t chain_len[VDRV_QSIZE];
	volatile uint16_t *notify;
};

struct vdrv {
	unsigned dev; /* device number on bus 0, function 0 */
	uint32_t bar; /* the memory BAR holding the common configuration (below 4 GiB) */
	volatile struct vdrv_common *common;
	volatile uint8_t *isr;
	volatile uint8_t *config;	   /* device-specific configuration, NULL when absent */
	uint32_t notify_base, notify_mult; /* queue n notifies at notify_base + its notify_off * mult */
	uint8_t msix_cap;		   /* offset of the MSI-X capability in config space, 0 when absent */
	uint16_t msix_size;		   /* table entries */
	uint32_t msix_table;		   /* table address in memory */
	uint8_t irq_line;		   /* Interrupt Line register (what the VMM routed INTx to) */
	uint8_t irq_pin;		   /* Interrupt Pin register (1 = INTA#) */
};

/* A buffer of a chain: device-readable ones first, then device-writable ones. */
struct vdrv_buf {
	const volatile void *addr;
	uint32_t len;
	bool writable;
};

/* PCI configuration mechanism #1 on bus 0, function 0. */
uint32_t vdrv_pci_read(unsigned dev, unsigned reg);
void vdrv_pci_write(unsigned dev, unsigned reg, uint32_t value);

/* Looks for device_id on bus 0; on success maps BAR 0 and the capabilities. */
bool vdrv_find(struct vdrv *d, uint16_t device_id);
/* vdrv_find() or fail(). */
void vdrv_probe(struct vdrv *d, uint16_t device_id);
/* Resets the device (status 0) and sets ACKNOWLEDGE | DRIVER. */
void vdrv_reset(struct vdrv *d);
/* Whether the device offers feature bit `bit`. */
bool vdrv_offered(struct vdrv *d, unsigned bit);
/* Reset, ACK, DRIVER, write VERSION_1 | features, FEATURES_OK (fails when refused). */
void vdrv_negotiate(struct vdrv *d, uint64_t features);
/* Sets up queue `index` with VDRV_QSIZE entries in q, MSI-X vector (or VDRV_NO_VECTOR), enables it. */
void vdrv_queue_setup(struct vdrv *d, struct vdrv_queue *q, uint16_t index, uint16_t msix_vector);
/* DRIVER_OK; fails when the device wants a reset. */
void vdrv_driver_ok(struct vdrv *d);
uint8_t vdrv_status(struct vdrv *d);
/* Reads the ISR (acknowledges it; lowers INTx). */
uint8_t vdrv_isr(struct vdrv *d);

/* Puts a chain of n buffers on the avail ring (no kick); returns its head. Fails if out of descriptors. */
uint16_t vdrv_submit(struct vdrv_queue *q, const struct vdrv_buf *bufs, unsigned n);
/*
 * The same through an indirect table (VDRV_F_INDIRECT_DESC negotiated): the n
 * buffers go into table[0..n) (guest memory, 16-byte aligned, untouched until
 * the chain is used); the ring gets one descriptor pointing at it.
 */
uint16_t vdrv_submit_indirect(struct vdrv_queue *q, struct vdrv_desc *table, const struct vdrv_buf *bufs,
			      unsigned n);
/* Notifies the device of new avail entries. */
void vdrv_kick(struct vdrv_queue *q);
/* Takes one used element if there is one: its head and length; frees its descriptors. */
bool vdrv_poll_used(struct vdrv_queue *q, uint16_t *head, uint32_t *len);
/* Kicks and polls (bounded, a few seconds) until `head` is used; returns its length. Fails on timeout or another head. */
uint32_t vdrv_wait(struct vdrv *d, struct vdrv_queue *q, uint16_t head);
/* Polls (bounded) for any used element without kicking; false on timeout. */
bool vdrv_wait_any(struct vdrv *d, struct vdrv_queue *q, uint16_t *head, uint32_t *len);

/* MSI-X: table entry `entry` delivers `vector` (fixed, edge) to the LAPIC with id apic_id, unmasked. */
void vdrv_msix_route(struct vdrv *d, uint16_t entry, uint8_t apic_id, uint8_t vector);
/* Enables MSI-X (function mask off) or disables it (INTx again). */
void vdrv_msix_enable(struct vdrv *d, bool on);
/* Config-change vector (after vdrv_negotiate()); reads back what the device accepted. */
uint16_t vdrv_set_config_vector(struct vdrv *d, uint16_t vector);

#define vdrv_barrier() __asm__ volatile("" ::: "memory")

#endif
