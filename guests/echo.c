/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * echo: prints READY and waits for one byte on COM1 (polling LSR.DR), echoes it
 * and passes. The memory-overhead test measures the VMM while it waits.
 */
#include "lib.h"

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	uint8_t c;

	puts("READY\n");
	while (!(inb(COM1 + 5) & 0x01))
		__asm__ volatile("pause");
	c = inb(COM1);
	puts("echo: got '");
	putc((char)c);
	puts("'\n");
	pass();
}
