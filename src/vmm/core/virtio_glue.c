/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/virtio_glue.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>

#include "core/config.h"
#include "core/config_vdev.h"
#include "core/dirty_track.h"
#include "core/virtio_dirty.h"
#include "core/vmm.h"
#include "vdev/vdev.h"

/*
 * vm->virtio with the device dirty log beside it: the log belongs to the
 * devices (only they write RAM behind KVM's back) and lives exactly as long.
 */
struct vmm_virtio_tracked {
	struct vmm_virtio v;
	struct dirty_track dirty;
};

static struct vmm_virtio_tracked *tracked(struct vmm_virtio *v)
{
	return (struct vmm_virtio_tracked *)(void *)((char *)v - offsetof(struct vmm_virtio_tracked, v));
}

static struct dirty_track *device_dirty(const struct vmm *vm)
{
	return vm->virtio ? &tracked(vm->virtio)->dirty : NULL;
}

static void on_ready(void *opaque, int fd, uint32_t events)
{
	vdev_handle(opaque);
}

/*
 * Creates the device from opts (kept in v->opts[i] for snapshots) and plugs it
 * in at slot: bus, INTx line, ioeventfds, the event loop.
 */
static int attach_one(struct vmm *vm, struct vmm_virtio *v, const char *type, unsigned slot, cella_err_t *err)
{
	/* v->opts[v->n] holds the options: the device owns them once created, else they go here. */
	unsigned i = v->n;
	struct vmm_pci_irq *irq = &v->irq[i];
	struct vdev_env env;
	struct vdev *dev;
	struct pci_device *pdev;

	irq->vm = vm;
	irq->irq = VMM_PCI_INTX_FIRST_IRQ + slot % VMM_PCI_INTX_IRQS;
	env = (struct vdev_env){
		.mem = &vm->mem, .msi_send = vmm_pci__msi_send, .intx = vmm_pci__intx, .irq_opaque = irq};
	if (vdev_create(type, &v->opts[i], &env, &dev, err) < 0) {
		vdev_opts_release(&v->opts[i]);
		/* Everything a device checks at creation is the user's to fix: option values, paths. */
		cella_error_set_status(*err, VMM_EXIT_USAGE);
		return -1;
	}
	v->dev[v->n++] = dev; /* vmm_virtio__destroy() frees it (and opts) from here on */
	/* Resets keep the pointer: every write this device makes to RAM is logged from now on. */
	for (unsigned q = 0; q < dev->vp.p.num_queues; q++)
		dev->vp.queues[q].vq.dirty = device_dirty(vm);
	pdev = vdev_pci(dev);
	if (pci_bus__register(&vm->pci->bus, pdev, slot, 0, err) < 0)
		return cella_error_wrap(err, "%s", v->opts[i].what);
	/* The line the guest reads (MP table / _PRT are expected to say the same). */
	pdev->cfg[PCI_INTERRUPT_LINE] = (uint8_t)irq->irq;
	vmm_virtio_notify__attach(&v->notify[i], vm, dev);
	if (vmm_evloop__add(&vm->evloop, vdev_fd(dev), EPOLLIN, on_ready, dev, err) < 0)
		return cella_error_wrap(err, "%s", v->opts[i].what);
	return 0;
}

static int create_one(struct vmm *vm, struct vmm_virtio *v, const struct vmm_vdev_spec *s, cella_err_t *err)
{
	struct vdev_opts *o = &v->opts[v->n];
	int r = s->json ? vdev_opts_from_json(o, s->what, s->json, err)
			: vdev_opts_parse(o, s->what, s->str, err);

	if (r < 0) {
		vdev_opts_release(o);
		cella_error_set_status(*err, VMM_EXIT_USAGE);
		return -1;
	}
	return attach_one(vm, v, s->type, v->n + 1, err); /* slot 0 is left for a host bridge function */
}

int vmm_virtio__create(struct vmm *vm, cella_err_t *err)
{
	const struct vmm_config *cfg = vm->cfg;
	struct vmm_virtio_tracked *t;
	struct vmm_virtio *v;

	if (vmm_pci__create(vm, &vm->pci, err) < 0)
		return -1;
	t = calloc(1, sizeof(*t));
	if (!t)
		return cella_error_make(err, ENOMEM, "virtio devices");
	v = &t->v;
	vm->virtio = v;
	for (unsigned i = 0; i < cfg->nvdevs; i++) {
		if (v->n >= VMM_VIRTIO_MAX_DEVICES)
			return cella_error_make(err, 0, "%s: too many virtio devices", cfg->vdevs[i].what);
		if (create_one(vm, v, &cfg->vdevs[i], err) < 0)
			return -1;
	}
	return 0;
}

void vmm_virtio__destroy(struct vmm *vm)
{
	struct vmm_virtio *v = vm->virtio;

	if (v) {
		for (unsigned i = v->n; i-- > 0;) {
			vmm_virtio_notify__detach(&v->notify[i]);
			vdev_destroy(v->dev[i]);
			vdev_opts_release(&v->opts[i]);
		}
		/* The device threads are gone with the devices: nothing marks any more. */
		dirty_track__destroy(&tracked(v)->dirty);
		free(tracked(v));
		vm->virtio = NULL;
	}
	vmm_pci__destroy(vm->pci);
	vm->pci = NULL;
}

int vmm_virtio__attach(struct vmm *vm, const char *type, unsigned slot, struct vdev_opts *opts,
		       cella_err_t *err)
{
	struct vmm_virtio *v = vm->virtio;

	if (v->n >= VMM_VIRTIO_MAX_DEVICES) {
		vdev_opts_release(opts);
		return cella_error_make(err, 0, "%s: too many virtio devices", opts->what);
	}
	for (unsigned i = 0; i < v->n; i++) {
		if (vdev_pci(v->dev[i])->devfn >> 3 == slot) {
			vdev_opts_release(opts);
			return cella_error_make(err, 0, "%s: PCI slot %u taken twice", opts->what, slot);
		}
	}
	v->opts[v->n] = *opts; /* moved: v owns the strings now */
	*opts = (struct vdev_opts){0};
	return attach_one(vm, v, type, slot, err);
}

/* Lock order: device index. Every device is locked at once, or none is. */
static void lock_all(struct vmm_virtio *v)
{
	for (unsigned i = 0; i < v->n; i++)
		pci_device__lock(vdev_pci(v->dev[i]));
}

static void unlock_all(struct vmm_virtio *v)
{
	for (unsigned i = v->n; i-- > 0;)
		pci_device__unlock(vdev_pci(v->dev[i]));
}

/* Devices locked: lets them pop again, then unlocks them. */
void vmm_virtio__unquiesce(struct vmm *vm)
{
	struct vmm_virtio *v = vm->virtio;

	if (!v)
		return;
	for (unsigned i = 0; i < v->n; i++)
		vdev_set_quiesced(v->dev[i], false);
	unlock_all(v);
}

int vmm_virtio__quiesce(struct vmm *vm, int timeout_ms, cella_err_t *err)
{
	struct vmm_virtio *v = vm->virtio;
	struct timespec start, now;

	if (!v)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		unsigned busy = 0, which = 0;

		lock_all(v);
		for (unsigned i = 0; i < v->n; i++) {
			unsigned n;

			vdev_set_quiesced(v->dev[i], true);
			n = vdev_inflight(v->dev[i]);

			if (n && !busy)
				which = i;
			busy += n;
		}
		if (!busy)
			return 0; /* locked: the device thread cannot pop, complete or receive now */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >
		    timeout_ms) {
			vmm_virtio__unquiesce(vm);
			return cella_error_make(err, ETIMEDOUT, "%s: %u requests still in flight after %d ms",
						v->opts[which].what, busy, timeout_ms);
		}
		unlock_all(v);
		/*
		 * The device thread completes them (workers finishing, rate limiters
		 * expiring) while no lock is held; a short nap instead of a wake-up
		 * keeps this off the device code paths.
		 */
		nanosleep(&(struct timespec){.tv_nsec = 1000000}, NULL);
	}
}

unsigned vmm_virtio__count(const struct vmm *vm)
{
	return vm->virtio ? vm->virtio->n : 0;
}

/* Chains a device holds unused (net rx buffers) are written only after the snapshot that cleared their marks. */
static int mark_held_chains(struct vmm_virtio *v, cella_err_t *err)
{
	for (unsigned i = 0; i < v->n; i++) {
		struct vdev *dev = v->dev[i];

		for (unsigned q = 0; q < dev->vp.p.num_queues && dev->ops->held_chains; q++) {
			struct virtq *vq = virtio_pci__queue(&dev->vp, q);

			if (vq && virtq__dirty_mark_held(vq, dev->ops->held_chains(dev, q), err) < 0)
				return cella_error_wrap(err, "%s", v->opts[i].what);
		}
	}
	return 0;
}

int vmm_virtio__dirty_start(struct vmm *vm, cella_err_t *err)
{
	struct vmm_virtio *v = vm->virtio;

	if (!v)
		return 0;
	if (dirty_track__start(&tracked(v)->dirty, &vm->mem, err) < 0)
		return -1;
	/* Chains popped before logging started were not marked then. */
	return mark_held_chains(v, err);
}

int vmm_virtio__dirty_collect(struct vmm *vm, uint8_t *bitmap, cella_err_t *err)
{
	struct vmm_virtio *v = vm->virtio;

	if (!v)
		return 0;
	dirty_track__collect(&tracked(v)->dirty, bitmap);
	return mark_held_chains(v, err);
}
