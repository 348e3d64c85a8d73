/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/virtio_glue.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "core/config_vdev.h"
#include "core/vmm.h"
#include "vdev/vdev.h"

static void on_ready(void *opaque, int fd, uint32_t events)
{
	vdev_handle(opaque);
}

static int create_one(struct vmm *vm, struct vmm_virtio *v, const struct vmm_vdev_spec *s, cella_err_t *err)
{
	unsigned i = v->n;
	unsigned slot = i + 1; /* slot 0 is left for a host bridge function */
	struct vmm_pci_irq *irq = &v->irq[i];
	struct vdev_env env;
	struct vdev *dev;
	struct pci_device *pdev;
	int r;

	irq->vm = vm;
	irq->irq = VMM_PCI_INTX_FIRST_IRQ + slot % VMM_PCI_INTX_IRQS;
	env = (struct vdev_env){
		.mem = &vm->mem, .msi_send = vmm_pci__msi_send, .intx = vmm_pci__intx, .irq_opaque = irq};
	if (s->json)
		r = vdev_create_from_json(s->type, s->what, s->json, &env, &dev, err);
	else
		r = vdev_create_from_string(s->type, s->what, s->str, &env, &dev, err);
	if (r < 0) {
		/* Everything a device checks at creation is the user's to fix: option values, paths. */
		cella_error_set_status(*err, VMM_EXIT_USAGE);
		return -1;
	}
	v->dev[v->n++] = dev; /* vmm_virtio__destroy() frees it from here on */
	pdev = vdev_pci(dev);
	if (pci_bus__register(&vm->pci->bus, pdev, slot, 0, err) < 0)
		return cella_error_wrap(err, "%s", s->what);
	/* The line the guest reads (MP table / _PRT are expected to say the same). */
	pdev->cfg[PCI_INTERRUPT_LINE] = (uint8_t)irq->irq;
	vmm_virtio_notify__attach(&v->notify[i], vm, dev);
	if (vmm_evloop__add(&vm->evloop, vdev_fd(dev), EPOLLIN, on_ready, dev, err) < 0)
		return cella_error_wrap(err, "%s", s->what);
	return 0;
}

int vmm_virtio__create(struct vmm *vm, cella_err_t *err)
{
	const struct vmm_config *cfg = vm->cfg;
	struct vmm_virtio *v;

	if (vmm_pci__create(vm, &vm->pci, err) < 0)
		return -1;
	v = calloc(1, sizeof(*v));
	if (!v)
		return cella_error_make(err, ENOMEM, "virtio devices");
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
		}
		free(v);
		vm->virtio = NULL;
	}
	vmm_pci__destroy(vm->pci);
	vm->pci = NULL;
}
