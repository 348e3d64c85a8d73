// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-pci modern transport. The driver's writes are validated against the
 * device-status state machine (2.1, 3.1.1): features are only accepted while
 * FEATURES_OK is clear and only if the device offered them, queues are only
 * configured while disabled and only enabled after their rings validate, and
 * writing 0 to device_status resets everything. Nothing a driver writes can
 * make the transport index outside its arrays or touch memory outside guest RAM.
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/virtio_pci.h"

#define STATUS_KNOWN                                                                  \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)

static void put_le(uint8_t *data, uint32_t len, uint64_t v)
{
	for (uint32_t i = 0; i < len; i++)
		data[i] = v >> (8 * i);
}

static uint64_t get_le(const uint8_t *data, uint32_t len)
{
	uint64_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)data[i] << (8 * i);
	return v;
}

/* ---- interrupts ---- */

static void raise_interrupt(struct virtio_pci *vp, uint16_t vector, uint8_t isr_bit)
{
	if (pci_msix__enabled(&vp->msix)) {
		if (vector != VIRTIO_MSI_NO_VECTOR)
			pci_msix__notify(&vp->msix, vector);
		return;
	}
	vp->isr |= isr_bit;
	pci_device__set_intx(&vp->pci, true);
}

void virtio_pci__signal_used(struct virtio_pci *vp, unsigned q)
{
	struct virtq *vq = virtio_pci__queue(vp, q);

	if (vq && virtq__needs_notify(vq))
		raise_interrupt(vp, vp->queues[q].msix_vector, VIRTIO_PCI_ISR_QUEUE);
}

void virtio_pci__config_changed(struct virtio_pci *vp)
{
	vp->config_generation++;
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		raise_interrupt(vp, vp->config_msix_vector, VIRTIO_PCI_ISR_CONFIG);
}

void virtio_pci__set_needs_reset(struct virtio_pci *vp, const char *why)
{
	snprintf(vp->error, sizeof(vp->error), "%s", why);
	if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
		return;
	vp->status |= VIRTIO_STATUS_NEEDS_RESET;
	/* 2.1.2: with DRIVER_OK set, the device must send a configuration change notification. */
	if (vp->status & VIRTIO_STATUS_DRIVER_OK)
		raise_interrupt(vp, vp->config_msix_vector, VIRTIO_PCI_ISR_CONFIG);
}

struct virtq *virtio_pci__queue(struct virtio_pci *vp, unsigned q)
{
	if (q >= vp->p.num_queues || !vp->queues[q].enabled)
		return NULL;
	return &vp->queues[q].vq;
}

uint64_t virtio_pci__features(const struct virtio_pci *vp)
{
	return vp->driver_features;
}

/* ---- reset and status ---- */

/* The state after power-on or a reset: no features, no queues, no vectors. */
static void transport_clear(struct virtio_pci *vp)
{
	vp->driver_features = 0;
	vp->device_feature_select = vp->driver_feature_select = 0;
	vp->config_msix_vector = VIRTIO_MSI_NO_VECTOR;
	vp->queue_select = 0;
	vp->status = 0;
	vp->isr = 0;
	vp->error[0] = '\0';
	pci_device__set_intx(&vp->pci, false);
	for (unsigned q = 0; q < vp->p.num_queues; q++) {
		struct virtio_pci_queue *vq = &vp->queues[q];

		virtq__reset(&vq->vq);
		vq->size = vp->p.queue_max_size;
		vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
		vq->enabled = false;
		vq->desc = vq->driver = vq->device = 0;
	}
}

static void transport_reset(struct virtio_pci *vp)
{
	if (vp->p.ops->reset)
		vp->p.ops->reset(vp->p.opaque);
	transport_clear(vp);
}

static bool features_acceptable(const struct virtio_pci *vp)
{
	return !(vp->driver_features & ~vp->device_features) &&
	       (vp->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1));
}

static void write_status(struct virtio_pci *vp, uint8_t v)
{
	uint8_t old = vp->status, added;

	if (!v) {
		transport_reset(vp);
		return;
	}
	/* NEEDS_RESET belongs to the device; unknown bits are dropped. */
	v = (v & STATUS_KNOWN & ~VIRTIO_STATUS_NEEDS_RESET) | (old & VIRTIO_STATUS_NEEDS_RESET);
	if (old & ~v)
		return; /* 2.1.1: a driver never clears a bit except by reset */
	added = v & ~old;
	if (added & VIRTIO_STATUS_FAILED) {
		vp->status = old | VIRTIO_STATUS_FAILED;
		return;
	}
	if (((v & VIRTIO_STATUS_DRIVER) && !(v & VIRTIO_STATUS_ACKNOWLEDGE)) ||
	    ((v & VIRTIO_STATUS_FEATURES_OK) && !(v & VIRTIO_STATUS_DRIVER)) ||
	    ((v & VIRTIO_STATUS_DRIVER_OK) && !(v & VIRTIO_STATUS_FEATURES_OK)))
		return; /* out of the 3.1.1 order */
	if ((added & VIRTIO_STATUS_FEATURES_OK) && !features_acceptable(vp)) {
		/* The driver reads FEATURES_OK back as clear and gives up on this device (3.1.1 step 6). */
		v &= ~(VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK);
		added = v & ~old;
	}
	vp->status = v;
	if (!(added & VIRTIO_STATUS_DRIVER_OK))
		return;
	if (vp->p.ops->driver_ok)
		vp->p.ops->driver_ok(vp->p.opaque);
	/*
	 * Kicks sent before DRIVER_OK were dropped, but buffers may already sit in
	 * the rings: one notification per live queue so none waits for a kick that
	 * already happened (a spurious notification is harmless).
	 */
	for (unsigned q = 0; q < vp->p.num_queues && vp->p.ops->queue_notify; q++)
		if (vp->queues[q].enabled)
			vp->p.ops->queue_notify(vp->p.opaque, q);
}

/* ---- queues ---- */

static struct virtio_pci_queue *selected_queue(struct virtio_pci *vp)
{
	return vp->queue_select < vp->p.num_queues ? &vp->queues[vp->queue_select] : NULL;
}

static void queue_enable(struct virtio_pci *vp, struct virtio_pci_queue *q)
{
	cella_err_t err = NULL;
	char why[sizeof(vp->error)];

	if (q->enabled || !(vp->status & VIRTIO_STATUS_FEATURES_OK) ||
	    (vp->status & (VIRTIO_STATUS_FAILED | VIRTIO_STATUS_NEEDS_RESET)))
		return;
	if (virtq__enable(&q->vq, vp->p.mem, q->size, q->desc, q->driver, q->device, vp->driver_features,
			  &err) < 0) {
		snprintf(why, sizeof(why), "queue %u: %s", vp->queue_select, cella_error_string(err));
		cella_error_release(&err);
		virtio_pci__set_needs_reset(vp, why);
		return;
	}
	q->enabled = true;
	if (vp->p.ops->queue_enabled)
		vp->p.ops->queue_enabled(vp->p.opaque, vp->queue_select, &q->vq);
}

static uint16_t valid_vector(const struct virtio_pci *vp, uint16_t v)
{
	/* 4.1.4.3: a vector the device cannot use reads back as NO_VECTOR. */
	return v < vp->msix.nvec ? v : VIRTIO_MSI_NO_VECTOR;
}

static void set_half(uint64_t *field, bool high, uint32_t v)
{
	*field = high ? (*field & 0xFFFFFFFFULL) | (uint64_t)v << 32 : (*field & ~0xFFFFFFFFULL) | v;
}

/* ---- common configuration ---- */

/* Width each common-config field must be accessed with; 0: no register there. */
static uint32_t common_width(uint64_t off)
{
	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_GFSELECT:
	case VIRTIO_PCI_COMMON_GF:
	case VIRTIO_PCI_COMMON_Q_DESCLO:
	case VIRTIO_PCI_COMMON_Q_DESCHI:
	case VIRTIO_PCI_COMMON_Q_AVAILLO:
	case VIRTIO_PCI_COMMON_Q_AVAILHI:
	case VIRTIO_PCI_COMMON_Q_USEDLO:
	case VIRTIO_PCI_COMMON_Q_USEDHI:
		return 4;
	case VIRTIO_PCI_COMMON_MSIX:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_Q_SELECT:
	case VIRTIO_PCI_COMMON_Q_SIZE:
	case VIRTIO_PCI_COMMON_Q_MSIX:
	case VIRTIO_PCI_COMMON_Q_ENABLE:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return 2;
	case VIRTIO_PCI_COMMON_STATUS:
	case VIRTIO_PCI_COMMON_CFGGEN:
		return 1;
	default:
		return 0;
	}
}

static uint64_t *queue_addr_field(struct virtio_pci_queue *q, uint64_t off)
{
	if (off < VIRTIO_PCI_COMMON_Q_AVAILLO)
		return &q->desc;
	return off < VIRTIO_PCI_COMMON_Q_USEDLO ? &q->driver : &q->device;
}

static uint32_t common_read(struct virtio_pci *vp, uint64_t off)
{
	struct virtio_pci_queue *q = selected_queue(vp);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		return vp->device_feature_select;
	case VIRTIO_PCI_COMMON_DF:
		return vp->device_feature_select < 2
			       ? (uint32_t)(vp->device_features >> (32 * vp->device_feature_select))
			       : 0;
	case VIRTIO_PCI_COMMON_GFSELECT:
		return vp->driver_feature_select;
	case VIRTIO_PCI_COMMON_GF:
		return vp->driver_feature_select < 2
			       ? (uint32_t)(vp->driver_features >> (32 * vp->driver_feature_select))
			       : 0;
	case VIRTIO_PCI_COMMON_MSIX:
		return vp->config_msix_vector;
	case VIRTIO_PCI_COMMON_NUMQ:
		return vp->p.num_queues;
	case VIRTIO_PCI_COMMON_STATUS:
		return vp->status;
	case VIRTIO_PCI_COMMON_CFGGEN:
		return vp->config_generation;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		return vp->queue_select;
	}
	if (!q)
		return 0; /* 4.1.4.3: an unavailable queue reads as size 0 and everything else 0 */
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		return q->size;
	case VIRTIO_PCI_COMMON_Q_MSIX:
		return q->msix_vector;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		return q->enabled;
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return vp->queue_select;
	default: {
		uint64_t v = *queue_addr_field(q, off);

		return (off & 4) ? v >> 32 : (uint32_t)v;
	}
	}
}

static void common_write(struct virtio_pci *vp, uint64_t off, uint32_t v)
{
	struct virtio_pci_queue *q = selected_queue(vp);

	switch (off) {
	case VIRTIO_PCI_COMMON_DFSELECT:
		vp->device_feature_select = v;
		return;
	case VIRTIO_PCI_COMMON_GFSELECT:
		vp->driver_feature_select = v;
		return;
	case VIRTIO_PCI_COMMON_GF:
		if (vp->driver_feature_select < 2 &&
		    !(vp->status &
		      (VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FAILED)))
			set_half(&vp->driver_features, vp->driver_feature_select, v);
		return;
	case VIRTIO_PCI_COMMON_MSIX:
		vp->config_msix_vector = valid_vector(vp, v);
		return;
	case VIRTIO_PCI_COMMON_STATUS:
		write_status(vp, v);
		return;
	case VIRTIO_PCI_COMMON_Q_SELECT:
		vp->queue_select = v;
		return;
	case VIRTIO_PCI_COMMON_DF:
	case VIRTIO_PCI_COMMON_NUMQ:
	case VIRTIO_PCI_COMMON_CFGGEN:
	case VIRTIO_PCI_COMMON_Q_NOFF:
		return; /* read-only */
	}
	if (!q)
		return;
	if (off == VIRTIO_PCI_COMMON_Q_MSIX) {
		q->msix_vector = valid_vector(vp, v);
		return;
	}
	if (q->enabled)
		return; /* 4.1.4.3.2: the rest is fixed while the queue is enabled */
	switch (off) {
	case VIRTIO_PCI_COMMON_Q_SIZE:
		if (v <= vp->p.queue_max_size)
			q->size = v; /* a non-power of 2 or 0 is refused at enable time */
		return;
	case VIRTIO_PCI_COMMON_Q_ENABLE:
		if (v == 1)
			queue_enable(vp, q);
		return; /* writing 0 is not allowed to the driver without VIRTIO_F_RING_RESET */
	default:
		set_half(queue_addr_field(q, off), off & 4, v);
		return;
	}
}

static void common_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	uint32_t w = common_width(off);

	/* 64-bit queue addresses may also come as one 8-byte access. */
	if (len == 8 && w == 4 && off >= VIRTIO_PCI_COMMON_Q_DESCLO && !(off & 4)) {
		common_access(vp, off, data, 4, is_write);
		common_access(vp, off + 4, data + 4, 4, is_write);
		return;
	}
	if (!w || w != len) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write)
		common_write(vp, off, (uint32_t)get_le(data, len));
	else
		put_le(data, len, common_read(vp, off));
}

/* ---- the BAR ---- */

static void isr_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	if (is_write)
		return;
	memset(data, 0, len);
	if (off != 0 || len != 1)
		return;
	/* Reading the ISR acknowledges the interrupt (4.1.4.5). */
	data[0] = vp->isr;
	vp->isr = 0;
	pci_device__set_intx(&vp->pci, false);
}

static void notify_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	uint64_t q = off / VIRTIO_PCI_NOTIFY_MULT;

	if (!is_write) {
		memset(data, 0, len);
		return;
	}
	if (off % VIRTIO_PCI_NOTIFY_MULT || (len != 2 && len != 4) || q >= vp->p.num_queues)
		return;
	if (vp->queues[q].enabled && (vp->status & VIRTIO_STATUS_DRIVER_OK) &&
	    !(vp->status & VIRTIO_STATUS_NEEDS_RESET) && vp->p.ops->queue_notify)
		vp->p.ops->queue_notify(vp->p.opaque, (unsigned)q);
}

static void device_access(struct virtio_pci *vp, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	if (off >= vp->p.config_size || len > vp->p.config_size - off ||
	    (len != 1 && len != 2 && len != 4 && len != 8)) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (is_write) {
		if (vp->p.ops->config_write)
			vp->p.ops->config_write(vp->p.opaque, (uint32_t)off, data, len);
	} else {
		memset(data, 0, len);
		if (vp->p.ops->config_read)
			vp->p.ops->config_read(vp->p.opaque, (uint32_t)off, data, len);
	}
}

static bool in_region(uint64_t off, uint32_t len, uint64_t base, uint64_t size)
{
	return off >= base && off - base < size && len <= size - (off - base);
}

void virtio_pci__bar_io(void *opaque, unsigned bar, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct virtio_pci *vp = opaque;

	if (bar != VIRTIO_PCI_BAR || len > 8) {
		if (!is_write)
			memset(data, 0, len);
		return;
	}
	if (pci_msix__bar_access(&vp->msix, bar, off, data, len, is_write))
		return;
	if (in_region(off, len, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN))
		common_access(vp, off - VIRTIO_PCI_COMMON_OFF, data, len, is_write);
	else if (in_region(off, len, VIRTIO_PCI_ISR_OFF, VIRTIO_PCI_ISR_LEN))
		isr_access(vp, off - VIRTIO_PCI_ISR_OFF, data, len, is_write);
	else if (in_region(off, len, VIRTIO_PCI_DEVICE_OFF, VIRTIO_PCI_DEVICE_MAX))
		device_access(vp, off - VIRTIO_PCI_DEVICE_OFF, data, len, is_write);
	else if (in_region(off, len, VIRTIO_PCI_NOTIFY_OFF,
			   (uint64_t)VIRTIO_PCI_NOTIFY_MULT * vp->p.num_queues))
		notify_access(vp, off - VIRTIO_PCI_NOTIFY_OFF, data, len, is_write);
	else if (!is_write)
		memset(data, 0, len);
}

/* ---- construction ---- */

static int add_virtio_cap(struct virtio_pci *vp, uint8_t type, uint32_t off, uint32_t len, bool notify,
			  cella_err_t *err)
{
	uint8_t cap[20] = {PCI_CAP_ID_VENDOR, 0, notify ? 20 : 16, type, VIRTIO_PCI_BAR};
	uint8_t where;

	put_le(cap + 8, 4, off);
	put_le(cap + 12, 4, len);
	if (notify)
		put_le(cap + 16, 4, VIRTIO_PCI_NOTIFY_MULT);
	return pci_device__add_cap(&vp->pci, cap, cap[2], &where, err);
}

/*
 * VIRTIO_PCI_CAP_PCI_CFG (4.1.4.9): cap.bar, cap.offset and cap.length pick a
 * BAR access, pci_cfg_data carries it. Reading pci_cfg_data performs the read
 * first; writing it performs the write after. Anything but an aligned 1/2/4
 * byte access to our BAR does nothing (and reads 0).
 */
#define PCI_CFG_BAR    4
#define PCI_CFG_OFFSET 8
#define PCI_CFG_LENGTH 12
#define PCI_CFG_DATA   16
#define PCI_CFG_LEN    20

static void pci_cfg_hook(void *opaque, uint32_t off, uint32_t len, bool is_write)
{
	struct virtio_pci *vp = opaque;
	uint8_t *cap = vp->pci.cfg + vp->pci_cfg_cap;
	uint32_t data = vp->pci_cfg_cap + PCI_CFG_DATA, bar_len = (uint32_t)get_le(cap + PCI_CFG_LENGTH, 4);
	uint64_t bar_off = get_le(cap + PCI_CFG_OFFSET, 4);

	if (off >= data + 4 || off + len <= data)
		return; /* not pci_cfg_data */
	if (cap[PCI_CFG_BAR] != VIRTIO_PCI_BAR || (bar_len != 1 && bar_len != 2 && bar_len != 4) ||
	    bar_off % bar_len || bar_off + bar_len > VIRTIO_PCI_BAR_SIZE) {
		if (!is_write)
			memset(cap + PCI_CFG_DATA, 0, 4);
		return;
	}
	virtio_pci__bar_io(vp, VIRTIO_PCI_BAR, bar_off, cap + PCI_CFG_DATA, bar_len, is_write);
}

static int add_pci_cfg_cap(struct virtio_pci *vp, cella_err_t *err)
{
	uint8_t cap[PCI_CFG_LEN] = {PCI_CAP_ID_VENDOR, 0, PCI_CFG_LEN, VIRTIO_PCI_CAP_PCI_CFG};
	uint8_t *wm;

	if (pci_device__add_cap(&vp->pci, cap, sizeof(cap), &vp->pci_cfg_cap, err) < 0)
		return -1;
	wm = vp->pci.wmask + vp->pci_cfg_cap;
	wm[PCI_CFG_BAR] = 0xFF;
	memset(wm + PCI_CFG_OFFSET, 0xFF, 12); /* offset, length, data */
	vp->pci.cfg_hook = pci_cfg_hook;
	vp->pci.cfg_hook_opaque = vp;
	return 0;
}

static int check_params(const struct virtio_pci_params *p, cella_err_t *err)
{
	uint64_t transport = p->features & VIRTIO_TRANSPORT_F_MASK;

	if (!p->ops || !p->mem || !p->msi_send)
		return cella_error_make(err, EINVAL, "virtio device %s: no ops, guest memory or MSI sender",
					p->name);
	if (!p->num_queues || p->num_queues > VIRTIO_PCI_MAX_QUEUES ||
	    p->num_queues + 1 > VIRTIO_PCI_MAX_VECTORS)
		return cella_error_make(err, EINVAL, "virtio device %s: %u queues is not in [1, %u]", p->name,
					p->num_queues, VIRTIO_PCI_MAX_VECTORS - 1);
	if (!p->queue_max_size || (p->queue_max_size & (p->queue_max_size - 1)) ||
	    p->queue_max_size > VIRTQ_MAX_SIZE)
		return cella_error_make(err, EINVAL,
					"virtio device %s: queue size %u is not a power of 2 <= %u", p->name,
					p->queue_max_size, VIRTQ_MAX_SIZE);
	if (p->config_size > VIRTIO_PCI_DEVICE_MAX)
		return cella_error_make(err, EINVAL, "virtio device %s: config space of %u bytes exceeds %u",
					p->name, p->config_size, VIRTIO_PCI_DEVICE_MAX);
	if (transport & ~VIRTIO_TRANSPORT_F_SUPPORTED)
		return cella_error_make(err, EINVAL,
					"virtio device %s: offers transport features 0x%" PRIx64
					" the transport does not implement",
					p->name, (uint64_t)(transport & ~VIRTIO_TRANSPORT_F_SUPPORTED));
	return 0;
}

int virtio_pci__init(struct virtio_pci *vp, const struct virtio_pci_params *params, cella_err_t *err)
{
	const struct pci_device_id id = {
		.vendor = VIRTIO_PCI_VENDOR_ID,
		.device = VIRTIO_PCI_DEVICE_ID_BASE + params->device_id,
		.subsys_vendor = VIRTIO_PCI_VENDOR_ID,
		.subsys = params->device_id,
		.revision = 1, /* 4.1.2.1: modern-only devices have a revision of 1 or more */
		.class_code = params->class_code,
		.irq_pin = 1,
	};

	memset(vp, 0, sizeof(*vp));
	if (check_params(params, err) < 0)
		return -1;
	vp->p = *params;
	vp->device_features = params->features | VIRTIO_BIT(VIRTIO_F_VERSION_1);
	vp->queues = calloc(params->num_queues, sizeof(*vp->queues));
	if (!vp->queues)
		return cella_error_make(err, ENOMEM, "virtio device %s: queues", params->name);
	if (pci_device__init(&vp->pci, params->name, &id, err) < 0)
		goto fail_queues;
	vp->pci.intx = params->intx;
	vp->pci.intx_opaque = params->irq_opaque;
	if (pci_device__add_bar(&vp->pci, VIRTIO_PCI_BAR, VIRTIO_PCI_BAR_SIZE, PCI_BAR_F_MEM64,
				virtio_pci__bar_io, vp, err) < 0 ||
	    add_virtio_cap(vp, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN, false,
			   err) < 0 ||
	    add_virtio_cap(vp, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, VIRTIO_PCI_ISR_LEN, false, err) <
		    0 ||
	    add_virtio_cap(vp, VIRTIO_PCI_CAP_NOTIFY_CFG, VIRTIO_PCI_NOTIFY_OFF,
			   VIRTIO_PCI_NOTIFY_MULT * params->num_queues, true, err) < 0 ||
	    (params->config_size && add_virtio_cap(vp, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
						   params->config_size, false, err) < 0) ||
	    pci_msix__init(&vp->msix, &vp->pci, params->num_queues + 1, VIRTIO_PCI_BAR,
			   VIRTIO_PCI_MSIX_TABLE_OFF, VIRTIO_PCI_MSIX_PBA_OFF, params->msi_send,
			   params->irq_opaque, err) < 0 ||
	    add_pci_cfg_cap(vp, err) < 0)
		goto fail_pci;
	transport_clear(vp);
	return 0;

fail_pci:
	pci_device__destroy(&vp->pci);
fail_queues:
	free(vp->queues);
	vp->queues = NULL;
	return cella_error_wrap(err, "virtio device %s", params->name);
}

void virtio_pci__destroy(struct virtio_pci *vp)
{
	pci_msix__destroy(&vp->msix);
	pci_device__destroy(&vp->pci);
	free(vp->queues);
	vp->queues = NULL;
}
