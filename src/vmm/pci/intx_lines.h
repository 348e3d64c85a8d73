/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_PCI_INTX_LINES_H
#define CELLA_VMM_PCI_INTX_LINES_H

/*
 * PCI INTx lines are shared and wired-OR: with more devices than IOAPIC pins
 * for PCI (slots 1 and 9 both reach pin 17), a pin is asserted while any
 * device on it asserts its line. KVM_IRQ_LINE knows one level per pin for
 * all of user space, so the VMM counts the devices that assert each pin and
 * drives the pin only when the count goes 0 -> 1 or 1 -> 0; otherwise one
 * device lowering its line would hide another's pending interrupt.
 * Devices report changes only (pci_device__set_intx calls back on a change of
 * the effective level), which keeps the counts exact. Thread safe.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define PCI_INTX_LINES_MAX 24 /* IOAPIC pins */

struct pci_intx_lines {
	pthread_mutex_t lock;
	uint16_t asserted[PCI_INTX_LINES_MAX]; /* devices asserting each pin */
};

void pci_intx_lines__init(struct pci_intx_lines *l);
void pci_intx_lines__destroy(struct pci_intx_lines *l);
/*
 * A device on pin changed its line to level. Calls drive(opaque, pin, level)
 * with the lock held when the pin's wired-OR level changes (and for every
 * lower that leaves no device asserting it, so a lower always reaches the
 * pin). Pins out of range are ignored.
 */
void pci_intx_lines__set(struct pci_intx_lines *l, unsigned pin, bool level,
			 void (*drive)(void *opaque, unsigned pin, bool level), void *opaque);
/*
 * After device state was loaded directly (snapshot restore): n devices, each
 * on pins[i] with effective level levels[i]; recounts those pins and drives
 * each to its wired-OR level.
 */
void pci_intx_lines__resync(struct pci_intx_lines *l, const unsigned *pins, const bool *levels, unsigned n,
			    void (*drive)(void *opaque, unsigned pin, bool level), void *opaque);

#endif
