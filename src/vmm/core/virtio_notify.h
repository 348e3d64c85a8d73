/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_VIRTIO_NOTIFY_H
#define CELLA_VMM_CORE_VIRTIO_NOTIFY_H

/*
 * Queue notifications the KVM way: one KVM_IOEVENTFD per queue at BAR0 +
 * vdev_notify_offset(q), signalling vdev_queue_eventfd(dev, q), so a guest kick
 * is an eventfd signal inside KVM instead of an exit to this process. The
 * ioeventfds follow the guest's programming of the device: registered once
 * BAR0 holds an address inside the PCI window and memory decoding is on,
 * removed and registered again when the BAR moves or decoding goes off (a
 * config-write hook chained in front of the device's own). Whatever KVM does
 * not catch (no ioeventfd yet, a write of another width) still takes the MMIO
 * exit to the device's BAR handler and lands in the same eventfd, and is
 * counted: with --debug the count is printed at exit.
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pci/pci.h"

struct vmm;
struct vdev;

struct vmm_virtio_notify {
	struct vmm *vm;
	struct vdev *dev;
	struct pci_device *pdev;
	unsigned num_queues;
	/* The device's own hooks, called through. */
	pci_cfg_hook_fn inner_hook;
	void *inner_hook_opaque;
	pci_bar_io_fn inner_bar_io;
	void *inner_bar_opaque;
	bool mapped;		    /* ioeventfds are registered at base */
	uint64_t base;		    /* guest-physical BAR0 they were registered for */
	uint32_t len;		    /* KVM_IOEVENTFD length used (0 = any width) */
	bool warned;		    /* a registration failure was reported once */
	atomic_ulong mmio_notifies; /* notify writes that took the MMIO exit */
};

/* Chains the hooks into dev's PCI function; after pci_bus__register(), before the vCPUs start. */
void vmm_virtio_notify__attach(struct vmm_virtio_notify *n, struct vmm *vm, struct vdev *dev);
/* After a restore wrote BAR0 and the command register directly: registers the ioeventfds. */
void vmm_virtio_notify__sync(struct vmm_virtio_notify *n);
/* With --debug, prints the MMIO notify count; the ioeventfds go with the VM fd. */
void vmm_virtio_notify__detach(struct vmm_virtio_notify *n);

#endif
