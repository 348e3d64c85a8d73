/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_GUEST_MPTABLE_H
#define CELLA_GUEST_MPTABLE_H

/* The Intel MultiProcessor table, read the way an OS without ACPI routes PCI interrupts. */
#include <stdbool.h>
#include <stdint.h>

struct mp_pci_route {
	uint8_t ioapic_pin;
	bool active_low, level; /* as the entry's flags say; bus defaults for PCI: low, level */
};

/*
 * Looks up the I/O interrupt entry for INT(pin) of PCI bus 0 device `dev`
 * (pin 1 = INTA#). False when there is no MP table or no such entry.
 */
bool mp_find_pci_route(unsigned dev, unsigned pin, struct mp_pci_route *route);

#endif
