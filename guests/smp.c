/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * smp: the BSP wakes the APs with INIT and SIPI (LAPIC ICR, all-excluding-self)
 * into a real-mode trampoline at 0x10000 that enters protected mode and
 * increments a counter. Expects "cpus=N" on the command line: passes when
 * N - 1 APs checked in.
 */
#include "lib.h"

#define TRAMPOLINE     0x10000
#define LAPIC_ICR_LO   0xfee00300
#define LAPIC_ICR_HI   0xfee00310
#define ICR_INIT_ALL   0x000c4500 /* INIT, level assert, all excluding self */
#define ICR_SIPI_ALL   0x000c4600 /* STARTUP, all excluding self; | vector */
#define ICR_DELIVERING (1u << 12)

volatile uint32_t ap_count;
extern const uint8_t tramp_start[], tramp_end[];

__asm__(".text\n"
	".code16\n"
	"tramp_start:\n"
	"	cli\n"
	"	mov %cs, %ax\n"
	"	mov %ax, %ds\n"
	"	lgdtl tramp_gdtr - tramp_start\n"
	"	mov %cr0, %eax\n"
	"	or $1, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmpl $0x08, $(0x10000 + tramp32 - tramp_start)\n"
	".code32\n"
	"tramp32:\n"
	"	mov $0x10, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %ss\n"
	"	lock incl ap_count\n"
	"1:	cli\n"
	"	hlt\n"
	"	jmp 1b\n"
	"	.align 8\n"
	"tramp_gdt:\n"
	"	.quad 0\n"
	"	.quad 0x00cf9a000000ffff\n"
	"	.quad 0x00cf92000000ffff\n"
	"tramp_gdtr:\n"
	"	.word 23\n"
	"	.long 0x10000 + tramp_gdt - tramp_start\n"
	"tramp_end:\n");

static void icr(uint32_t lo)
{
	volatile uint32_t *icr_lo = (volatile uint32_t *)LAPIC_ICR_LO;

	*(volatile uint32_t *)LAPIC_ICR_HI = 0;
	*icr_lo = lo;
	for (uint32_t spin = 0; (*icr_lo & ICR_DELIVERING) && spin < 100000; spin++)
		__asm__ volatile("pause");
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	uint32_t cpus = cmdline_number(guest_cmdline(mbi), "cpus", 0);

	if (cpus < 1 || cpus > 255)
		fail("smp: give cpus=N on the command line");
	memcpy((void *)TRAMPOLINE, tramp_start, (size_t)(tramp_end - tramp_start));
	puts("smp: INIT and SIPI to all APs\n");
	icr(ICR_INIT_ALL);
	icr(ICR_SIPI_ALL | (TRAMPOLINE >> 12));
	for (uint32_t spin = 0; ap_count < cpus - 1 && spin < 3000000; spin++)
		__asm__ volatile("pause");
	puts("smp: ");
	put_dec(ap_count + 1);
	puts(" cpus up\n");
	if (ap_count != cpus - 1)
		fail("smp: not every AP checked in");
	pass();
}
