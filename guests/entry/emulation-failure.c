/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * emulation-failure: executes code KVM cannot run, which the VMM must report
 * as a guest crash (status 3, registers on stderr), never as a verdict.
 * Default: jumps to 0x80000000, far above RAM and every device, so the CPU
 * fetches an instruction from an address with no memory behind it (KVM takes
 * it for MMIO and cannot emulate the fetch, on hardware-assisted KVM too).
 * "insn=popcnt": runs popcnt at CPL0, which this host's kvm_pvm cannot
 * emulate (kvm-host-notes.md); hardware KVM runs it and the guest then exits
 * with the distinct verdict 0x10 ("ran natively").
 * Returning from either means the VMM let it through: FAIL.
 */
#include "idt.h"
#include "lib.h"

#define NO_MEMORY 0x80000000u

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	const char *cmdline = guest_cmdline(mbi);

	idt_init(); /* an exception instead of a crash reports FAIL */
	if (str_contains(cmdline, "insn=popcnt")) {
		uint32_t v = 0xf0f0, bits;

		puts("emulation-failure: popcnt at CPL0\n");
		__asm__ volatile(".byte 0xf3, 0x0f, 0xb8, 0xc1" /* popcnt %ecx, %eax */
				 : "=a"(bits)
				 : "c"(v));
		puts("emulation-failure: popcnt ran, result ");
		put_dec(bits);
		putc('\n');
		guest_exit(bits == 8 ? 0x10 : 1);
	}
	puts("emulation-failure: jumping to ");
	put_hex(NO_MEMORY);
	puts(", where no memory is\n");
	__asm__ volatile("jmp *%0" : : "r"(NO_MEMORY));
	fail("emulation-failure: came back from the jump");
}
