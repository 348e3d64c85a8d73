/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VIRTIO_VIRTIO_PCI_H
#define CELLA_VMM_VIRTIO_VIRTIO_PCI_H

/*
 * The virtio-pci modern transport (virtio 1.2, 4.1) as a state machine over
 * one 64-bit memory BAR, plus the PCI function that carries it (config space
 * with the virtio capabilities and MSI-X). A device (blk, net, ...) supplies
 * its features, queue count, config space and callbacks; the guest drives
 * everything else through virtio_pci__bar_io(). Accesses of the wrong width
 * or at an offset that is not a register are ignored (reads give 0).
 *
 * The VIRTIO_PCI_CAP_PCI_CFG capability gives firmware the same registers
 * through config space (bar/offset/length, then pci_cfg_data).
 *
 * BAR 0 layout:  0x0000 common config   0x1000 ISR   0x2000 device config
 *                0x3000 notify (4 bytes a queue)     0x4000 MSI-X table   0x6000 PBA
 *
 * Locking: the PCI bus calls virtio_pci__bar_io() with the device lock held
 * (pci_device__lock(&vp->pci)); a device thread takes the same lock around
 * virtq__pop/push and the virtio_pci__signal_*() calls. Callbacks run with it
 * held, so they must not wait for a thread that may be waiting for the lock.
 */
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

#include "guest_mem.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "virtio/virtqueue.h"

#define VIRTIO_PCI_BAR		  0
#define VIRTIO_PCI_BAR_SIZE	  0x8000
#define VIRTIO_PCI_COMMON_OFF	  0x0000
#define VIRTIO_PCI_COMMON_LEN	  0x38
#define VIRTIO_PCI_ISR_OFF	  0x1000
#define VIRTIO_PCI_ISR_LEN	  4
#define VIRTIO_PCI_DEVICE_OFF	  0x2000
#define VIRTIO_PCI_DEVICE_MAX	  0x1000
#define VIRTIO_PCI_NOTIFY_OFF	  0x3000
#define VIRTIO_PCI_NOTIFY_MULT	  4
#define VIRTIO_PCI_MAX_QUEUES	  (0x1000 / VIRTIO_PCI_NOTIFY_MULT)
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x4000
#define VIRTIO_PCI_MSIX_PBA_OFF	  0x6000
#define VIRTIO_PCI_MAX_VECTORS	  ((VIRTIO_PCI_MSIX_PBA_OFF - VIRTIO_PCI_MSIX_TABLE_OFF) / PCI_MSIX_ENTRY_SIZE)

/* Common configuration structure offsets (4.1.4.3). */
#define VIRTIO_PCI_COMMON_DFSELECT  0x00
#define VIRTIO_PCI_COMMON_DF	    0x04
#define VIRTIO_PCI_COMMON_GFSELECT  0x08
#define VIRTIO_PCI_COMMON_GF	    0x0C
#define VIRTIO_PCI_COMMON_MSIX	    0x10
#define VIRTIO_PCI_COMMON_NUMQ	    0x12
#define VIRTIO_PCI_COMMON_STATUS    0x14
#define VIRTIO_PCI_COMMON_CFGGEN    0x15
#define VIRTIO_PCI_COMMON_Q_SELECT  0x16
#define VIRTIO_PCI_COMMON_Q_SIZE    0x18
#define VIRTIO_PCI_COMMON_Q_MSIX    0x1A
#define VIRTIO_PCI_COMMON_Q_ENABLE  0x1C
#define VIRTIO_PCI_COMMON_Q_NOFF    0x1E
#define VIRTIO_PCI_COMMON_Q_DESCLO  0x20
#define VIRTIO_PCI_COMMON_Q_DESCHI  0x24
#define VIRTIO_PCI_COMMON_Q_AVAILLO 0x28
#define VIRTIO_PCI_COMMON_Q_AVAILHI 0x2C
#define VIRTIO_PCI_COMMON_Q_USEDLO  0x30
#define VIRTIO_PCI_COMMON_Q_USEDHI  0x34

struct virtio_pci_ops {
	/* The driver kicked queue q (only for enabled queues after DRIVER_OK). */
	void (*queue_notify)(void *opaque, unsigned q);
	/* Queue q passed validation and is live. Optional. */
	void (*queue_enabled)(void *opaque, unsigned q, struct virtq *vq);
	/* The driver set DRIVER_OK. Optional. */
	void (*driver_ok)(void *opaque);
	/* The driver wrote 0 to device_status: drop in-flight work. Called before the queues are cleared. Optional. */
	void (*reset)(void *opaque);
	/* Device config space; off + len <= config_size always holds. */
	void (*config_read)(void *opaque, uint32_t off, uint8_t *data, uint32_t len);
	void (*config_write)(void *opaque, uint32_t off, const uint8_t *data, uint32_t len);
};

struct virtio_pci_params {
	const char *name;
	uint16_t device_id;  /* virtio device type: 1 net, 2 block, 3 console, 4 rng, ... */
	uint32_t class_code; /* PCI class, e.g. 0x010000 for storage */
	uint64_t features;   /* device features; VIRTIO_F_VERSION_1 is added */
	uint16_t num_queues;
	uint16_t queue_max_size; /* power of 2 <= 32768 */
	uint32_t config_size;	 /* bytes of device config, <= VIRTIO_PCI_DEVICE_MAX */
	const struct guest_mem *mem;
	const struct virtio_pci_ops *ops;
	void *opaque;
	pci_msi_send_fn msi_send; /* MSI-X delivery */
	pci_intx_fn intx;	  /* INTx line changes (when MSI-X is off) */
	void *irq_opaque;
};

struct virtio_pci_queue {
	uint16_t size;
	uint16_t msix_vector;
	bool enabled;
	uint64_t desc, driver, device; /* ring addresses as the driver wrote them */
	struct virtq vq;
};

struct virtio_pci {
	struct pci_device pci;
	struct pci_msix msix;
	struct virtio_pci_params p;
	uint64_t device_features;
	uint64_t driver_features;
	uint32_t device_feature_select;
	uint32_t driver_feature_select;
	uint16_t config_msix_vector;
	uint16_t queue_select;
	uint8_t status;
	uint8_t config_generation;
	uint8_t isr;
	struct virtio_pci_queue *queues;
	uint8_t pci_cfg_cap; /* config offset of the VIRTIO_PCI_CAP_PCI_CFG window */
	char error[192];     /* why the device last went to NEEDS_RESET, for the log */
};

/* Builds the PCI function (IDs, BAR, capabilities, MSI-X: num_queues + 1 vectors). */
int virtio_pci__init(struct virtio_pci *vp, const struct virtio_pci_params *params, cella_err_t *err);
void virtio_pci__destroy(struct virtio_pci *vp);
/* The BAR handler (pci_bar_io_fn, opaque = vp). */
void virtio_pci__bar_io(void *opaque, unsigned bar, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

/* ---- device side, with the device lock held ---- */
/* The live queue q, or NULL when q is not enabled (or was reset). */
struct virtq *virtio_pci__queue(struct virtio_pci *vp, unsigned q);
/* The negotiated features (meaningful once FEATURES_OK is set). */
uint64_t virtio_pci__features(const struct virtio_pci *vp);
/* After pushes to queue q: interrupts the guest if the queue's suppression state asks for it. */
void virtio_pci__signal_used(struct virtio_pci *vp, unsigned q);
/* The device changed its config space: new generation, configuration change interrupt. */
void virtio_pci__config_changed(struct virtio_pci *vp);
/* The device hit an error it cannot recover from (a broken queue): DEVICE_NEEDS_RESET. */
void virtio_pci__set_needs_reset(struct virtio_pci *vp, const char *why);

#endif
