/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vdrv: virtio-pci modern transport and split virtqueues for the test guests
 * (see vdrv.h). Every MMIO access is a VM exit (~14 us on a nested KVM), so
 * the driver does few; ring memory is ordinary RAM and costs nothing.
 * x86 keeps stores in order and loads in order, so a compiler barrier is the
 * only fence the rings need here.
 */
#include "vdrv.h"

#include "lib.h"

#define PCI_ADDR	   0xCF8
#define PCI_DATA	   0xCFC
#define CAP_VENDOR	   0x09
#define CAP_MSIX	   0x11
#define CAP_COMMON	   1
#define CAP_NOTIFY	   2
#define CAP_ISR		   3
#define CAP_DEVICE	   4
#define STATUS_ACK	   1
#define STATUS_DRIVER	   2
#define STATUS_DRIVER_OK   4
#define STATUS_FEATURES_OK 8
#define DESC_F_NEXT	   1
#define DESC_F_WRITE	   2
#define DESC_F_INDIRECT	   4
#define POLL_LIMIT	   400000 /* ISR reads (an exit each): several seconds nested */
#define MSIX_ENABLE	   0x80000000u
#define MSIX_FUNC_MASK	   0x40000000u

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

uint32_t vdrv_pci_read(unsigned dev, unsigned reg)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (reg & 0xFC));
	return inl(PCI_DATA);
}

void vdrv_pci_write(unsigned dev, unsigned reg, uint32_t value)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (reg & 0xFC));
	outl(PCI_DATA, value);
}

/*
 * Address of memory BAR `index` (a 64-bit BAR takes index and index + 1); we
 * only handle what a 32-bit guest can reach. The firmware or the VMM
 * programmed it (cella-vmm at creation, SeaBIOS on QEMU).
 */
static uint32_t bar_address(unsigned dev, unsigned index)
{
	uint32_t lo;

	if (index > 5)
		fail("vdrv: capability names a BAR beyond 5");
	lo = vdrv_pci_read(dev, 0x10 + 4 * index);
	if (lo & 1)
		fail("vdrv: capability in an I/O BAR");
	if ((lo & 6) == 4 && (index == 5 || vdrv_pci_read(dev, 0x14 + 4 * index) != 0))
		fail("vdrv: BAR above 4 GiB");
	if ((lo & ~0xFu) == 0)
		fail("vdrv: BAR not programmed");
	return lo & ~0xFu;
}

static void map_capabilities(struct vdrv *d)
{
	unsigned guard = 0;

	/* The list is the device's: bound the walk so a loop in it cannot hang the guest. */
	for (unsigned cap = vdrv_pci_read(d->dev, 0x34) & 0xFC; cap && guard < 48;
	     cap = (vdrv_pci_read(d->dev, cap) >> 8) & 0xFC, guard++) {
		uint32_t head = vdrv_pci_read(d->dev, cap);
		uint32_t type = head >> 24, base, offset;

		if ((head & 0xFF) == CAP_MSIX) {
			uint32_t table = vdrv_pci_read(d->dev, cap + 4);

			d->msix_cap = (uint8_t)cap;
			d->msix_size = (uint16_t)(((head >> 16) & 0x7FF) + 1);
			d->msix_table = bar_address(d->dev, table & 7) + (table & ~7u);
			continue;
		}
		if ((head & 0xFF) != CAP_VENDOR || type < CAP_COMMON || type > CAP_DEVICE)
			continue; /* not a virtio capability we use (PCI_CFG, shared memory, vendor's own) */
		base = bar_address(d->dev, vdrv_pci_read(d->dev, cap + 4) & 0xFF);
		offset = vdrv_pci_read(d->dev, cap + 8);
		if (type == CAP_COMMON) {
			d->bar = base;
			d->common = (volatile struct vdrv_common *)(base + offset);
		} else if (type == CAP_ISR)
			d->isr = (volatile uint8_t *)(base + offset);
		else if (type == CAP_DEVICE)
			d->config = (volatile uint8_t *)(base + offset);
		else {
			d->notify_base = base + offset;
			d->notify_mult = vdrv_pci_read(d->dev, cap + 16);
		}
	}
	if (!d->common || !d->isr || !d->notify_base)
		fail("vdrv: virtio capabilities missing");
}

bool vdrv_find(struct vdrv *d, uint16_t device_id)
{
	memset(d, 0, sizeof(*d));
	for (unsigned dev = 0; dev < 32; dev++) {
		uint32_t intr;

		if (vdrv_pci_read(dev, 0) != ((uint32_t)device_id << 16 | VDRV_VENDOR))
			continue;
		d->dev = dev;
		/* memory decoding, bus master */
		vdrv_pci_write(dev, 0x04, (vdrv_pci_read(dev, 0x04) & 0xFFFF) | 0x6);
		intr = vdrv_pci_read(dev, 0x3C);
		d->irq_line = (uint8_t)intr;
		d->irq_pin = (uint8_t)(intr >> 8);
		map_capabilities(d);
		return true;
	}
	return false;
}

void vdrv_probe(struct vdrv *d, uint16_t device_id)
{
	if (!vdrv_find(d, device_id))
		fail("no virtio device of that type on bus 0");
}

void vdrv_reset(struct vdrv *d)
{
	d->common->status = 0;
	/* 4.1.4.3.2: the reset is complete when status reads back 0. */
	for (unsigned i = 0; d->common->status != 0; i++) {
		if (i > 1000)
			fail("vdrv: device reset does not complete");
	}
	d->common->status = STATUS_ACK;
	d->common->status = STATUS_ACK | STATUS_DRIVER;
}

bool vdrv_offered(struct vdrv *d, unsigned bit)
{
	d->common->dfselect = bit / 32;
	return (d->common->df >> (bit % 32)) & 1;
}

void vdrv_negotiate(struct vdrv *d, uint64_t features)
{
	features |= 1ull << VDRV_F_VERSION_1;
	vdrv_reset(d);
	for (unsigned bit = 0; bit < 64; bit++) {
		if (((features >> bit) & 1) && !vdrv_offered(d, bit))
			fail("vdrv: a wanted feature is not offered");
	}
	d->common->gfselect = 0;
	d->common->gf = (uint32_t)features;
	d->common->gfselect = 1;
	d->common->gf = (uint32_t)(features >> 32);
	d->common->status = STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK;
	if (!(d->common->status & STATUS_FEATURES_OK))
		fail("vdrv: FEATURES_OK refused");
}

void vdrv_queue_setup(struct vdrv *d, struct vdrv_queue *q, uint16_t index, uint16_t msix_vector)
{
	volatile struct vdrv_common *c = d->common;

	uint16_t max;

	memset(q, 0, sizeof(*q));
	q->index = index;
	c->q_select = index;
	max = c->q_size;
	if (max == 0)
		fail("vdrv: no such queue");
	/* Our size: VDRV_QSIZE, or the device's maximum when smaller (QEMU's virtio-rng has 8). */
	q->size = max < VDRV_QSIZE ? max : VDRV_QSIZE;
	if (q->size & (q->size - 1))
		fail("vdrv: queue size not a power of 2");
	for (uint16_t i = 0; i < q->size; i++)
		q->desc[i].next = (uint16_t)(i + 1);
	q->nfree = q->size;
	c->q_size = q->size;
	c->desc_lo = (uint32_t)q->desc;
	c->desc_hi = 0;
	c->avail_lo = (uint32_t)&q->avail;
	c->avail_hi = 0;
	c->used_lo = (uint32_t)&q->used;
	c->used_hi = 0;
	if (msix_vector != VDRV_NO_VECTOR) {
		c->q_msix_vector = msix_vector;
		if (c->q_msix_vector != msix_vector)
			fail("vdrv: queue MSI-X vector refused");
	}
	q->notify = (volatile uint16_t *)(d->notify_base + c->q_notify_off * d->notify_mult);
	c->q_enable = 1;
	if (c->q_enable != 1)
		fail("vdrv: queue enable refused");
}

void vdrv_driver_ok(struct vdrv *d)
{
	d->common->status = STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK;
	if (d->common->status & VDRV_STATUS_NEEDS_RST)
		fail("vdrv: device needs reset after set-up");
}

uint8_t vdrv_status(struct vdrv *d)
{
	return d->common->status;
}

uint8_t vdrv_isr(struct vdrv *d)
{
	return *d->isr;
}

/* Writes the chain into free descriptors (the first one flagged `head_flags` too) and publishes it. */
static uint16_t submit(struct vdrv_queue *q, const struct vdrv_buf *bufs, unsigned n, uint16_t head_flags)
{
	uint16_t head = q->free_head, i = head, last = head;

	if (n == 0 || n > q->nfree)
		fail("vdrv: out of descriptors");
	for (unsigned k = 0; k < n; k++) {
		uint16_t next = q->desc[i].next;

		q->desc[i].addr = (uint32_t)bufs[k].addr;
		q->desc[i].len = bufs[k].len;
		q->desc[i].flags =
			(uint16_t)((bufs[k].writable ? DESC_F_WRITE : 0) | (k + 1 < n ? DESC_F_NEXT : 0));
		last = i;
		i = next;
	}
	q->free_head = i;
	q->desc[last].next = 0; /* not followed: no NEXT flag */
	q->desc[head].flags |= head_flags;
	q->nfree = (uint16_t)(q->nfree - n);
	q->chain_len[head] = (uint16_t)n;
	q->avail.ring[q->avail.idx % q->size] = head;
	vdrv_barrier();
	q->avail.idx++;
	vdrv_barrier();
	return head;
}

uint16_t vdrv_submit_indirect(struct vdrv_queue *q, struct vdrv_desc *table, const struct vdrv_buf *bufs,
			      unsigned n)
{
	struct vdrv_buf whole = {table, (uint32_t)(n * sizeof(*table)), false};

	if (n == 0)
		fail("vdrv: empty indirect chain");
	for (unsigned k = 0; k < n; k++) {
		table[k] = (struct vdrv_desc){.addr = (uint32_t)bufs[k].addr,
					      .len = bufs[k].len,
					      .flags = (uint16_t)((bufs[k].writable ? DESC_F_WRITE : 0) |
								  (k + 1 < n ? DESC_F_NEXT : 0)),
					      .next = (uint16_t)(k + 1 < n ? k + 1 : 0)};
	}
	return submit(q, &whole, 1, DESC_F_INDIRECT);
}

uint16_t vdrv_submit(struct vdrv_queue *q, const struct vdrv_buf *bufs, unsigned n)
{
	return submit(q, bufs, n, 0);
}

void vdrv_kick(struct vdrv_queue *q)
{
	*q->notify = q->index;
}

/* Puts the chain at head back on the free list (its descriptors still link through next). */
static void free_chain(struct vdrv_queue *q, uint16_t head)
{
	uint16_t n = q->chain_len[head], last = head;

	if (n == 0)
		fail("vdrv: used ring returned a head that is not in flight");
	for (uint16_t k = 1; k < n; k++)
		last = q->desc[last].next;
	q->desc[last].next = q->free_head;
	q->free_head = head;
	q->nfree = (uint16_t)(q->nfree + n);
	q->chain_len[head] = 0;
}

bool vdrv_poll_used(struct vdrv_queue *q, uint16_t *head, uint32_t *len)
{
	uint32_t id;

	vdrv_barrier();
	if (*(volatile uint16_t *)&q->used.idx == q->last_used)
		return false;
	vdrv_barrier();
	id = q->used.ring[q->last_used % q->size].id;
	*len = q->used.ring[q->last_used % q->size].len;
	q->last_used++;
	if (id >= q->size)
		fail("vdrv: used ring id out of range");
	*head = (uint16_t)id;
	free_chain(q, *head);
	return true;
}

bool vdrv_wait_any(struct vdrv *d, struct vdrv_queue *q, uint16_t *head, uint32_t *len)
{
	for (unsigned i = 0; i < POLL_LIMIT; i++) {
		if (vdrv_poll_used(q, head, len))
			return true;
		(void)*d->isr; /* paces the loop: one exit */
	}
	return false;
}

uint32_t vdrv_wait(struct vdrv *d, struct vdrv_queue *q, uint16_t head)
{
	uint16_t got;
	uint32_t len;

	vdrv_kick(q);
	if (!vdrv_wait_any(d, q, &got, &len))
		fail("vdrv: no answer in the used ring");
	if (got != head)
		fail("vdrv: used ring returned another head");
	return len;
}

void vdrv_msix_route(struct vdrv *d, uint16_t entry, uint8_t apic_id, uint8_t vector)
{
	volatile uint32_t *e;

	if (!d->msix_cap || entry >= d->msix_size)
		fail("vdrv: no such MSI-X table entry");
	e = (volatile uint32_t *)(d->msix_table + 16u * entry);
	e[0] = 0xFEE00000u | (uint32_t)apic_id << 12; /* address: physical destination */
	e[1] = 0;
	e[2] = vector; /* data: fixed delivery, edge */
	e[3] = 0;      /* vector control: unmasked */
}

void vdrv_msix_enable(struct vdrv *d, bool on)
{
	uint32_t ctl;

	if (!d->msix_cap)
		fail("vdrv: device has no MSI-X capability");
	ctl = vdrv_pci_read(d->dev, d->msix_cap) & ~(MSIX_ENABLE | MSIX_FUNC_MASK);
	vdrv_pci_write(d->dev, d->msix_cap, ctl | (on ? MSIX_ENABLE : 0));
}

uint16_t vdrv_set_config_vector(struct vdrv *d, uint16_t vector)
{
	d->common->msix_config = vector;
	return d->common->msix_config;
}
