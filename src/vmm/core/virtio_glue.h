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
#include "vdev/vdev_opts.h"

struct vmm;
struct vdev;

#define VMM_VIRTIO_MAX_DEVICES 16

struct vmm_virtio {
	unsigned n;
	struct vdev *dev[VMM_VIRTIO_MAX_DEVICES];
	struct vmm_pci_irq irq[VMM_VIRTIO_MAX_DEVICES];
	struct vmm_virtio_notify notify[VMM_VIRTIO_MAX_DEVICES];
	struct vdev_opts opts[VMM_VIRTIO_MAX_DEVICES]; /* what created each device (snapshots) */
};

/*
 * Creates vm->pci and vm->virtio from vm->cfg. A device the configuration
 * describes wrongly (bad option, missing file) fails with VMM_EXIT_USAGE and
 * a message naming the option. Before the event loop and vCPUs start.
 */
int vmm_virtio__create(struct vmm *vm, cella_err_t *err);
/* After the event loop stopped: destroys the devices and the bridge. */
void vmm_virtio__destroy(struct vmm *vm);
/* How many virtio devices the VM has. */
unsigned vmm_virtio__count(const struct vmm *vm);
/*
 * Restore: creates a device of type at PCI slot from opts (moved into vm->virtio: released on
 * success and failure alike). Before the event loop and vCPUs start.
 */
int vmm_virtio__attach(struct vmm *vm, const char *type, unsigned slot, struct vdev_opts *opts,
		       cella_err_t *err);
/*
 * Snapshot, vCPUs parked: waits (at most timeout_ms) until no device has a request in flight
 * and returns with every device locked, so the device thread can neither pop, complete nor
 * receive until vmm_virtio__unquiesce(). Fails unlocked.
 */
int vmm_virtio__quiesce(struct vmm *vm, int timeout_ms, cella_err_t *err);
void vmm_virtio__unquiesce(struct vmm *vm);

#endif
