/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A 64-bit IDT for the long-mode guests: 16-byte interrupt gates, unexpected vectors fail. */
#include "lib64.h"

struct idt64_gate {
	uint16_t off_lo, selector;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, reserved;
} __attribute__((packed));

static struct idt64_gate idt[64] __attribute__((aligned(16)));

extern void exception64_entry(void);
__asm__(".text\n"
	".code64\n"
	"exception64_entry:\n"
	"	and $-16, %rsp\n"
	"	call guest_exception\n"
	"1:	hlt\n"
	"	jmp 1b\n");

void idt64_set(uint8_t vector, void (*handler)(void))
{
	uint64_t a = (uint64_t)(uintptr_t)handler;
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	idt[vector] = (struct idt64_gate){.off_lo = (uint16_t)a,
					  .selector = cs,
					  .type = 0x8e, /* present, DPL 0, 64-bit interrupt gate */
					  .off_mid = (uint16_t)(a >> 16),
					  .off_hi = (uint32_t)(a >> 32)};
}

void idt64_init(void)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

	for (unsigned v = 0; v < 64; v++)
		idt64_set((uint8_t)v, exception64_entry);
	__asm__ volatile("lidt %0" : : "m"(idtr));
}
