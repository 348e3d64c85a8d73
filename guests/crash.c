/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crash: with an empty IDT, an invalid-opcode fault cannot be delivered, nor
 * can the double fault that follows: a triple fault. cella-vmm must print the
 * registers and exit with status 3. (int3 is no good here: it fails to emulate
 * on this host's nested KVM, which is a different crash.)
 */
#include "lib.h"

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	static const struct __attribute__((packed)) {
		uint16_t limit;
		uint32_t base;
	} empty_idt = {0, 0};

	puts("crash: loading an empty IDT and executing ud2\n");
	__asm__ volatile("lidt %0; ud2" : : "m"(empty_idt));
	fail("crash: survived a fault with no IDT");
}
