/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_PCI_MSIX_H
#define CELLA_VMM_PCI_MSIX_H

/*
 * MSI-X (PCI 3.0, 6.8.2): a capability in config space plus a vector table
 * and a pending-bit array (PBA) inside one of the device's memory BARs. A
 * vector masked by its own control word or by the function mask is not sent
 * but marked pending, and sent when unmasked. All calls with the device lock
 * held.
 */
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

#include "pci/pci.h"

#define PCI_MSIX_MAX_VECTORS	   2048
#define PCI_MSIX_ENTRY_SIZE	   16
#define PCI_MSIX_CTRL_ENABLE	   0x8000
#define PCI_MSIX_CTRL_MASKALL	   0x4000
#define PCI_MSIX_VECTOR_MASKED	   0x1
#define PCI_MSIX_ENTRY_ADDR_LO	   0
#define PCI_MSIX_ENTRY_ADDR_HI	   4
#define PCI_MSIX_ENTRY_DATA	   8
#define PCI_MSIX_ENTRY_VECTOR_CTRL 12

/* Delivers one message (an irqfd or KVM_SIGNAL_MSI in the VMM: core/pci_glue.c). */
typedef void (*pci_msi_send_fn)(void *opaque, uint64_t addr, uint32_t data);
/*
 * A vector that held message (addr, data) was given another one (or the table
 * was reset): whoever keeps per-message state (the VMM's MSI routes) may drop
 * it. Same opaque as send. Called with the device lock held; must not block.
 */
typedef void (*pci_msi_retire_fn)(void *opaque, uint64_t addr, uint32_t data);

struct pci_msix {
	struct pci_device *dev;
	uint16_t nvec;
	uint8_t cap; /* config space offset of the capability */
	unsigned bar;
	uint64_t table_off, pba_off; /* inside the BAR */
	uint8_t *table;		     /* nvec entries of 16 bytes, little-endian */
	uint64_t *pba;		     /* one bit per vector */
	pci_msi_send_fn send;
	pci_msi_retire_fn retire; /* optional; set by pci_bus__register() from the bus */
	void *opaque;
};

/*
 * Adds the capability to dev and allocates the table (all vectors masked).
 * The table (16 bytes a vector) and PBA (8 bytes per 64 vectors) must be
 * 8-byte aligned, inside BAR bar (already added) and apart.
 */
int pci_msix__init(struct pci_msix *m, struct pci_device *dev, uint16_t nvec, unsigned bar,
		   uint64_t table_off, uint64_t pba_off, pci_msi_send_fn send, void *opaque,
		   cella_err_t *err);
void pci_msix__destroy(struct pci_msix *m);
/* The guest turned MSI-X on (INTx must then stay quiet). */
bool pci_msix__enabled(const struct pci_msix *m);
/* Sends vector, or marks it pending while masked. Vectors >= nvec are ignored. */
void pci_msix__notify(struct pci_msix *m, uint16_t vector);
bool pci_msix__pending(const struct pci_msix *m, uint16_t vector);
/* A BAR access: true when it hit the table or the PBA (and was handled). */
bool pci_msix__bar_access(struct pci_msix *m, unsigned bar, uint64_t off, uint8_t *data, uint32_t len,
			  bool is_write);
/* Config space bytes [off, off+len) were written: acts on enable/function-mask changes. */
void pci_msix__config_written(struct pci_msix *m, uint32_t off, uint32_t len);
/* Back to the power-on state: every vector masked, nothing pending, MSI-X disabled. */
void pci_msix__reset(struct pci_msix *m);

#endif
