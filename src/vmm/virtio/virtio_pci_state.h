/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VIRTIO_VIRTIO_PCI_STATE_H
#define CELLA_VMM_VIRTIO_VIRTIO_PCI_STATE_H

/*
 * The state of one virtio-pci function for snapshots: its PCI config space,
 * MSI-X table and PBA, the transport registers, and per queue what the driver
 * programmed plus the device side of the split virtqueue (next avail index,
 * used index, event-index state, epoch). docs/snapshots.md gives the encoding
 * (a dev.virtio.N section carries it).
 *
 * virtio_pci__save_state() copies a live function; virtio_pci__load_state()
 * puts saved state into a freshly created, identical function (same device
 * type, queue count, vectors and offered features: a back-end that now offers
 * something else is refused), validating every field as hostile input: only
 * the config bits a guest could have written are taken, vectors and queue
 * sizes are range-checked, and live queues are re-mapped through
 * virtq__enable(), which checks their rings lie inside guest RAM. Both run with
 * the PCI device lock held (or before the function is reachable).
 */
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

#include "virtio/virtio_pci.h"

#define VIRTIO_STATE_MAX_QUEUES	 8
#define VIRTIO_STATE_MAX_VECTORS 64 /* one PBA word */

struct virtio_queue_state {
	uint16_t size;
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc, driver, device;
	/* the device side of the split ring (virtqueue.h) */
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled_used;
	bool signalled_valid;
	bool broken;
	uint32_t epoch;
};

struct virtio_pci_state {
	uint8_t cfg[PCI_CFG_SIZE]; /* conventional config space: header, BARs, command, capabilities */
	bool intx_level;
	uint16_t msix_nvec;
	uint8_t msix_table[VIRTIO_STATE_MAX_VECTORS * PCI_MSIX_ENTRY_SIZE];
	uint64_t msix_pba;
	uint64_t device_features, driver_features;
	uint32_t device_feature_select, driver_feature_select;
	uint16_t config_msix_vector;
	uint16_t queue_select;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	uint16_t num_queues;
	struct virtio_queue_state queue[VIRTIO_STATE_MAX_QUEUES];
};

/* Fails only for a function larger than the state can hold (a build-time mismatch). */
int virtio_pci__save_state(const struct virtio_pci *vp, struct virtio_pci_state *st, cella_err_t *err);
/* vp: just created by virtio_pci__init(), guest RAM (vp->p.mem) already in place. */
int virtio_pci__load_state(struct virtio_pci *vp, const struct virtio_pci_state *st, cella_err_t *err);

#endif
