/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_GUEST_APIC_H
#define CELLA_GUEST_APIC_H

/* The local APIC and the IOAPIC at their default addresses, and the 8259s kept out of the way. */
#include <stdbool.h>
#include <stdint.h>

/* Software-enables the local APIC (spurious vector 0xFF); returns its APIC id. */
uint8_t lapic_enable(void);
void lapic_eoi(void);
/* Number of IOAPIC redirection entries. */
unsigned ioapic_pins(void);
/* Pin -> vector at apic_id, fixed delivery, physical destination, unmasked. */
void ioapic_route(unsigned pin, uint8_t vector, uint8_t apic_id, bool active_low, bool level);
void ioapic_mask(unsigned pin);
/* Initialises both 8259s with every line masked (nothing through LINT0 ExtINT). */
void pic_mask_all(void);

#endif
