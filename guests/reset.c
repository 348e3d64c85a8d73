/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * reset: the i8042 reset command (0xFE to port 0x64) ends the VM with status 0;
 * with "cf9" on the command line, the reset register (6 to port 0xCF9) instead.
 */
#include "lib.h"

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	if (str_contains(guest_cmdline(mbi), "cf9")) {
		puts("reset: writing 6 to port 0xcf9\n");
		outb(0xcf9, 6);
	} else {
		puts("reset: writing 0xfe to the i8042 command port\n");
		outb(0x64, 0xfe);
	}
	fail("reset: still running after the reset request");
}
