/* SPDX-License-Identifier: GPL-2.0-or-later */
/* poweroff: ACPI S5 through PM1a_CNT (SLP_TYP 5 | SLP_EN = 0x3400 at port 0x604) ends the VM with status 0. */
#include "lib.h"

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	puts("poweroff: writing 0x3400 to PM1a_CNT\n");
	outw(0x604, 0x3400);
	fail("poweroff: still running after the S5 request");
}
