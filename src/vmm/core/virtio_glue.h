/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_VIRTIO_GLUE_H
#define CELLA_VMM_CORE_VIRTIO_GLUE_H

/*
 * The VM's PCI bus and its virtio devices (src/vmm/vdev) from the
 * configuration: created on the main thread before any seccomp filter (files
 * opened, sockets bound, worker threads started), registered on the bus from
 * slot 1 on, each one fd on the device event loop. Guest notify writes reach a
 * device's kick eventfd through a KVM ioeventfd (virtio_notify.c) or, where
 * KVM did not catch them, the MMIO exit (virtio_pci__bar_io), so queue work
 * always runs on the device thread.
 */
#include <cella/error.h>

#include "core/pci_glue.h"
#include "core/virtio_notify.h"

struct vmm;
struct vdev;

#define VMM_VIRTIO_MAX_DEVICES 16

struct vmm_virtio {
	unsigned n;
	struct vdev *dev[VMM_VIRTIO_MAX_DEVICES];
	struct vmm_pci_irq irq[VMM_VIRTIO_MAX_DEVICES];
	struct vmm_virtio_notify notify[VMM_VIRTIO_MAX_DEVICES];
};

/*
 * Creates vm->pci and vm->virtio from vm->cfg. A device the configuration
 * describes wrongly (bad option, missing file) fails with VMM_EXIT_USAGE and
 * a message naming the option. Before the event loop and vCPUs start.
 */
int vmm_virtio__create(struct vmm *vm, cella_err_t *err);
/* After the event loop stopped: destroys the devices and the bridge. */
void vmm_virtio__destroy(struct vmm *vm);

#endif
