/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "idt.h"

#include "lib.h"

struct idt_gate {
	uint16_t off_lo, selector;
	uint8_t zero, type;
	uint16_t off_hi;
} __attribute__((packed));

static struct idt_gate idt[64] __attribute__((aligned(8)));

extern void exception_entry(void);

void idt_set(uint8_t vector, void (*handler)(void))
{
	uint32_t a = (uint32_t)(uintptr_t)handler;
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[vector] = (struct idt_gate){
		.off_lo = (uint16_t)a, .selector = cs, .type = 0x8e, .off_hi = (uint16_t)(a >> 16)};
}

void idt_init(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} idtr = {sizeof(idt) - 1, (uint32_t)(uintptr_t)idt};

	for (unsigned v = 0; v < 64; v++)
		idt_set((uint8_t)v, exception_entry);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}
