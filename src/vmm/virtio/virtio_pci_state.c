// SPDX-License-Identifier: GPL-2.0-or-later
/* Saving a virtio-pci function's state and loading it into a fresh one (snapshots). */
#include "virtio/virtio_pci_state.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define STATE_STATUS_KNOWN                                                            \
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_DRIVER_OK | \
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED)
#define STATE_ISR_KNOWN (VIRTIO_PCI_ISR_QUEUE | VIRTIO_PCI_ISR_CONFIG)

int virtio_pci__save_state(const struct virtio_pci *vp, struct virtio_pci_state *st, cella_err_t *err)
{
	if (vp->p.num_queues > VIRTIO_STATE_MAX_QUEUES || vp->msix.nvec > VIRTIO_STATE_MAX_VECTORS)
		return cella_error_make(err, 0,
					"virtio device %s: %u queues, %u vectors: more than a snapshot holds",
					vp->pci.name, vp->p.num_queues, vp->msix.nvec);
	memset(st, 0, sizeof(*st));
	memcpy(st->cfg, vp->pci.cfg, sizeof(st->cfg));
	st->intx_level = vp->pci.intx_level;
	st->msix_nvec = vp->msix.nvec;
	memcpy(st->msix_table, vp->msix.table, (size_t)vp->msix.nvec * PCI_MSIX_ENTRY_SIZE);
	st->msix_pba = vp->msix.pba[0];
	st->device_features = vp->device_features;
	st->driver_features = vp->driver_features;
	st->device_feature_select = vp->device_feature_select;
	st->driver_feature_select = vp->driver_feature_select;
	st->config_msix_vector = vp->config_msix_vector;
	st->queue_select = vp->queue_select;
	st->status = vp->status;
	st->config_generation = vp->config_generation;
	st->isr = vp->isr;
	st->num_queues = vp->p.num_queues;
	for (unsigned q = 0; q < vp->p.num_queues; q++) {
		const struct virtio_pci_queue *pq = &vp->queues[q];

		st->queue[q] = (struct virtio_queue_state){
			.size = pq->size,
			.msix_vector = pq->msix_vector,
			.enabled = pq->enabled,
			.desc = pq->desc,
			.driver = pq->driver,
			.device = pq->device,
			.last_avail = pq->vq.last_avail,
			.used_idx = pq->vq.used_idx,
			.signalled_used = pq->vq.signalled_used,
			.signalled_valid = pq->vq.signalled_valid,
			.broken = pq->vq.broken,
			.epoch = pq->vq.epoch,
		};
	}
	return 0;
}

static bool vector_ok(const struct virtio_pci *vp, uint16_t v)
{
	return v == VIRTIO_MSI_NO_VECTOR || v < vp->msix.nvec;
}

/* Identity bytes a guest cannot write: vendor/device ID, revision and class. */
static bool same_identity(const struct virtio_pci *vp, const struct virtio_pci_state *st)
{
	return !memcmp(vp->pci.cfg + PCI_VENDOR_ID, st->cfg + PCI_VENDOR_ID, 4) &&
	       !memcmp(vp->pci.cfg + PCI_REVISION_ID, st->cfg + PCI_REVISION_ID, 4);
}

static int check_transport(const struct virtio_pci *vp, const struct virtio_pci_state *st, cella_err_t *err)
{
	if (!same_identity(vp, st))
		return cella_error_make(err, 0, "PCI IDs or class differ from this %s device", vp->pci.name);
	if (st->num_queues != vp->p.num_queues || st->msix_nvec != vp->msix.nvec)
		return cella_error_make(err, 0, "%u queues and %u MSI-X vectors, this device has %u and %u",
					st->num_queues, st->msix_nvec, vp->p.num_queues, vp->msix.nvec);
	if (st->device_features != vp->device_features)
		return cella_error_make(err, 0,
					"device features 0x%" PRIx64 ", the back-end offers 0x%" PRIx64
					" now (another configuration?)",
					st->device_features, vp->device_features);
	if (st->driver_features & ~st->device_features)
		return cella_error_make(err, 0, "driver features 0x%" PRIx64 " were never offered",
					st->driver_features);
	if (st->status & ~STATE_STATUS_KNOWN)
		return cella_error_make(err, 0, "device status 0x%x has unknown bits", st->status);
	if (st->isr & ~STATE_ISR_KNOWN)
		return cella_error_make(err, 0, "ISR 0x%x has unknown bits", st->isr);
	if (!vector_ok(vp, st->config_msix_vector))
		return cella_error_make(err, 0, "config MSI-X vector %u out of range",
					st->config_msix_vector);
	if (st->msix_nvec < 64 && (st->msix_pba >> st->msix_nvec))
		return cella_error_make(err, 0, "MSI-X PBA has bits beyond vector %u", st->msix_nvec);
	return 0;
}

static int check_queue(const struct virtio_pci *vp, const struct virtio_pci_state *st, unsigned q,
		       cella_err_t *err)
{
	const struct virtio_queue_state *s = &st->queue[q];

	if (s->size > vp->p.queue_max_size)
		return cella_error_make(err, 0, "queue %u: size %u above the maximum %u", q, s->size,
					vp->p.queue_max_size);
	if (!vector_ok(vp, s->msix_vector))
		return cella_error_make(err, 0, "queue %u: MSI-X vector %u out of range", q, s->msix_vector);
	if (s->enabled && !(st->status & VIRTIO_STATUS_FEATURES_OK))
		return cella_error_make(err, 0, "queue %u: enabled before FEATURES_OK", q);
	return 0;
}

/* Guest-writable bits from the snapshot, everything else as the fresh function has it. */
static void load_cfg(struct virtio_pci *vp, const struct virtio_pci_state *st)
{
	struct pci_device *d = &vp->pci;

	for (unsigned i = 0; i < PCI_CFG_SIZE; i++) {
		uint8_t keep = (uint8_t) ~(d->wmask[i] | d->w1cmask[i]);

		d->cfg[i] = (uint8_t)((d->cfg[i] & keep) | (st->cfg[i] & ~keep));
	}
}

static int load_queue(struct virtio_pci *vp, const struct virtio_pci_state *st, unsigned q, cella_err_t *err)
{
	const struct virtio_queue_state *s = &st->queue[q];
	struct virtio_pci_queue *pq = &vp->queues[q];

	pq->size = s->size;
	pq->msix_vector = s->msix_vector;
	pq->desc = s->desc;
	pq->driver = s->driver;
	pq->device = s->device;
	pq->enabled = false;
	if (s->enabled) {
		if (virtq__enable(&pq->vq, vp->p.mem, s->size, s->desc, s->driver, s->device,
				  st->driver_features, err) < 0)
			return cella_error_wrap(err, "queue %u", q);
		pq->enabled = true;
		pq->vq.last_avail = s->last_avail;
		pq->vq.used_idx = s->used_idx;
		pq->vq.signalled_used = s->signalled_used;
		pq->vq.signalled_valid = s->signalled_valid;
		pq->vq.broken = s->broken;
	}
	pq->vq.epoch = s->epoch;
	return 0;
}

int virtio_pci__load_state(struct virtio_pci *vp, const struct virtio_pci_state *st, cella_err_t *err)
{
	if (check_transport(vp, st, err) < 0)
		return -1;
	for (unsigned q = 0; q < st->num_queues; q++)
		if (check_queue(vp, st, q, err) < 0)
			return -1;
	vp->driver_features = st->driver_features;
	vp->device_feature_select = st->device_feature_select;
	vp->driver_feature_select = st->driver_feature_select;
	vp->config_msix_vector = st->config_msix_vector;
	vp->queue_select = st->queue_select;
	vp->status = st->status;
	vp->config_generation = st->config_generation;
	vp->isr = st->isr;
	for (unsigned q = 0; q < st->num_queues; q++)
		if (load_queue(vp, st, q, err) < 0)
			return -1;
	load_cfg(vp, st);
	memcpy(vp->msix.table, st->msix_table, (size_t)st->msix_nvec * PCI_MSIX_ENTRY_SIZE);
	vp->msix.pba[0] = st->msix_pba;
	/* Through the bus, so the line the guest saw raised is raised again (unless INTx is disabled). */
	pci_device__set_intx(&vp->pci, st->intx_level);
	return 0;
}
