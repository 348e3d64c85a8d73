/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_PCI_GLUE_H
#define CELLA_VMM_CORE_PCI_GLUE_H

/*
 * The PCI host bridge of a VM: the pure bus model (src/vmm/pci) wired to the
 * VMM's port and MMIO buses (mechanism #1 at 0xCF8-0xCFF, ECAM, the 32-bit BAR
 * window), with MSI-X through KVM_SIGNAL_MSI and INTx through IOAPIC pins.
 */
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

#include "core/bus.h"
#include "pci/pci.h"

struct vmm;

/* First IOAPIC pin for PCI INTx; slot s uses pin 16 + s % 8 (pins 16-23 are free of ISA devices). */
#define VMM_PCI_INTX_FIRST_IRQ 16
#define VMM_PCI_INTX_IRQS      8

struct vmm_pci {
	struct vmm *vm;
	struct pci_bus bus;
	/* The PC reset register (0xCF9) shares the conf1 ports: its owner's handler, forwarded to. */
	vmm_bus_io_fn reset_io;
	void *reset_opaque;
};

/* A device's interrupt routing: what it gets as irq_opaque (MSI-X and INTx alike). */
struct vmm_pci_irq {
	struct vmm *vm;
	unsigned irq;
};

/* Creates the bridge and claims its port and MMIO ranges. Before the vCPUs start. */
int vmm_pci__create(struct vmm *vm, struct vmm_pci **out, cella_err_t *err);
void vmm_pci__destroy(struct vmm_pci *pci);
/* pci_msi_send_fn: opaque = struct vmm_pci_irq. */
void vmm_pci__msi_send(void *opaque, uint64_t addr, uint32_t data);
/* pci_intx_fn: opaque = struct vmm_pci_irq. */
void vmm_pci__intx(void *opaque, bool level);

#endif
