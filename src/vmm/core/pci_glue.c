/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/pci_glue.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/vmm.h"
#include "platform/layout.h"

#define CONF1_PORTS 8
#define RESET_PORT  0xCF9

/*
 * The reset register 0xCF9 sits inside the conf1 ports, and a bus range may
 * not overlap another, so the bridge takes over the one-byte range its owner
 * (the ACPI PM device) registered and forwards that byte to it.
 */
static void take_reset_port(struct vmm_pci *pci)
{
	struct vmm_bus *bus = &pci->vm->pio;

	pthread_rwlock_wrlock(&bus->lock);
	for (unsigned i = 0; i < bus->nranges; i++) {
		struct vmm_bus_range *r = &bus->ranges[i];

		if (r->base != RESET_PORT || r->len != 1)
			continue;
		pci->reset_io = r->io;
		pci->reset_opaque = r->opaque;
		memmove(r, r + 1, (bus->nranges - i - 1) * sizeof(*r));
		bus->nranges--;
		break;
	}
	pthread_rwlock_unlock(&bus->lock);
}

static void conf1__io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct vmm_pci *pci = opaque;

	if (pci_bus__conf1_access(&pci->bus, off, data, len, is_write))
		return;
	if (off == RESET_PORT - PLATFORM_PCI_CONF1_PORT && len == 1 && pci->reset_io) {
		pci->reset_io(pci->reset_opaque, 0, data, len, is_write);
		return;
	}
	if (!is_write)
		memset(data, 0xff, len);
}

void vmm_pci__msi_send(void *opaque, uint64_t addr, uint32_t data)
{
	const struct vmm_pci_irq *line = opaque;
	struct vmm *vm = line->vm;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data};

	if (vm->vm_fd < 0)
		return;
	/* A return of 0 means the guest blocked it (e.g. masked in the LAPIC): nothing to report. */
	if (ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		perror("cella-vmm: KVM_SIGNAL_MSI");
}

void vmm_pci__intx(void *opaque, bool level)
{
	const struct vmm_pci_irq *line = opaque;

	vmm__irq_set(line->vm, line->irq, level);
}

int vmm_pci__create(struct vmm *vm, struct vmm_pci **out, cella_err_t *err)
{
	struct vmm_pci *pci = calloc(1, sizeof(*pci));

	*out = NULL;
	if (!pci)
		return cella_error_make(err, ENOMEM, "pci");
	pci->vm = vm;
	/* No I/O window: virtio-pci modern devices need memory BARs only. */
	pci_bus__init(&pci->bus, PLATFORM_PCI_MMIO32_BASE, PLATFORM_PCI_MMIO32_SIZE, 0, 0);
	take_reset_port(pci);
	if (vmm_bus__register(&vm->pio, PLATFORM_PCI_CONF1_PORT, CONF1_PORTS, "pci conf1", conf1__io, pci,
			      err) < 0 ||
	    vmm_bus__register(&vm->mmio, PLATFORM_PCI_ECAM_BASE, PLATFORM_PCI_ECAM_SIZE, "pci ecam",
			      pci_bus__ecam_io, &pci->bus, err) < 0 ||
	    vmm_bus__register(&vm->mmio, PLATFORM_PCI_MMIO32_BASE, PLATFORM_PCI_MMIO32_SIZE, "pci mmio32",
			      pci_bus__mmio_io, &pci->bus, err) < 0) {
		free(pci);
		return cella_error_wrap(err, "pci host bridge");
	}
	*out = pci;
	return 0;
}

void vmm_pci__destroy(struct vmm_pci *pci)
{
	free(pci);
}
