/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_PCI_GLUE_H
#define CELLA_VMM_CORE_PCI_GLUE_H

/*
 * The PCI host bridge of a VM: the pure bus model (src/vmm/pci) wired to the
 * VMM's port and MMIO buses (mechanism #1 at 0xCF8-0xCFF, ECAM, the 32-bit BAR
 * window), with MSI-X through irqfds and GSI routes (pci/msi_routes.h;
 * KVM_SIGNAL_MSI where KVM lacks them) and INTx through IOAPIC pins.
 */
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

#include "core/bus.h"
#include "pci/intx_lines.h"
#include "pci/msi_routes.h"
#include "pci/pci.h"
#include "platform/layout.h"

struct vmm;

/*
 * First IOAPIC pin for PCI INTx; slot s uses pin 16 + s % 8 (pins 16-23 are
 * free of ISA devices). The MP table and the DSDT's _PRT describe the same
 * routing for every slot: PLATFORM_PCI_INTX_GSI() in platform/layout.h.
 */
#define VMM_PCI_INTX_FIRST_IRQ PLATFORM_PCI_INTX_FIRST_GSI
#define VMM_PCI_INTX_IRQS      PLATFORM_PCI_INTX_GSIS

struct vmm_pci {
	struct vmm *vm;
	struct pci_bus bus;
	/* The PC reset register (0xCF9) shares the conf1 ports: its owner's handler, forwarded to. */
	vmm_bus_io_fn reset_io;
	void *reset_opaque;
	/* MSI messages -> GSIs with irqfds, shared by every device on the bridge. */
	struct msi_routes msi;
	/* INTx pins shared by several slots: asserted while any device on them is. */
	struct pci_intx_lines intx;
	/* 00:00.0, the host bridge function itself, as on real hardware and in QEMU, Firecracker and
	 * Cloud Hypervisor: Linux's early PCI probe looks for it before it trusts config mechanism #1. */
	struct pci_device host_bridge;
};

/* A device's interrupt routing: what it gets as irq_opaque (MSI-X and INTx alike). */
struct vmm_pci_irq {
	struct vmm *vm;
	unsigned irq;
};

/* Creates the bridge and claims its port and MMIO ranges. Before the vCPUs start. */
int vmm_pci__create(struct vmm *vm, struct vmm_pci **out, cella_err_t *err);
/* After every device thread stopped. With --debug, logs how MSIs were delivered. */
void vmm_pci__destroy(struct vmm_pci *pci);
/* pci_msi_send_fn: opaque = struct vmm_pci_irq. Any thread: an eventfd write once the message has a route. */
void vmm_pci__msi_send(void *opaque, uint64_t addr, uint32_t data);
/* pci_intx_fn: opaque = struct vmm_pci_irq. KVM_IRQ_LINE on the pin's wired-OR level (pci/intx_lines.h). */
void vmm_pci__intx(void *opaque, bool level);
/*
 * After a restore loaded the devices' config space and INTx levels directly:
 * recounts each INTx pin and drives it to what the devices assert. Before the
 * vCPUs start.
 */
void vmm_pci__intx_resync(struct vmm_pci *pci);

#endif
