/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "apic.h"

#include "lib.h"

#define LAPIC_BASE  0xFEE00000u
#define LAPIC_ID    0x20
#define LAPIC_EOI   0xB0
#define LAPIC_SVR   0xF0
#define IOAPIC_BASE 0xFEC00000u
#define PIC1	    0x20
#define PIC2	    0xA0

static volatile uint32_t *lapic(unsigned reg)
{
	return (volatile uint32_t *)(LAPIC_BASE + reg);
}

uint8_t lapic_enable(void)
{
	*lapic(LAPIC_SVR) = 0x1FF; /* APIC software enable, spurious vector 0xFF */
	return (uint8_t)(*lapic(LAPIC_ID) >> 24);
}

void lapic_eoi(void)
{
	*lapic(LAPIC_EOI) = 0;
}

static uint32_t ioapic_read(unsigned reg)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	return *(volatile uint32_t *)(IOAPIC_BASE + 0x10);
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)IOAPIC_BASE = reg;
	*(volatile uint32_t *)(IOAPIC_BASE + 0x10) = v;
}

unsigned ioapic_pins(void)
{
	return ((ioapic_read(1) >> 16) & 0xFF) + 1;
}

void ioapic_route(unsigned pin, uint8_t vector, uint8_t apic_id, bool active_low, bool level)
{
	ioapic_write(0x11 + 2 * pin, (uint32_t)apic_id << 24);
	ioapic_write(0x10 + 2 * pin, vector | (active_low ? 1u << 13 : 0) | (level ? 1u << 15 : 0));
}

void ioapic_mask(unsigned pin)
{
	ioapic_write(0x10 + 2 * pin, 1u << 16);
}

void pic_mask_all(void)
{
	outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, 0x20); /* ICW2: vectors 0x20-0x2F, clear of the exceptions */
	outb(PIC2 + 1, 0x28);
	outb(PIC1 + 1, 0x04);
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01);
	outb(PIC2 + 1, 0x01);
	outb(PIC1 + 1, 0xFF);
	outb(PIC2 + 1, 0xFF);
}
