/* SPDX-License-Identifier: GPL-2.0-or-later */
/* hello: serial output reaches the console, and the debug-exit verdict 0 ends the VM (status 1). */
#include "lib.h"

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	if (magic != MB_BOOT_MAGIC)
		fail("hello: not entered by a Multiboot loader");
	puts("hello from a cella guest\n");
	pass();
}
