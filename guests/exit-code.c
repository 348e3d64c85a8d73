/* SPDX-License-Identifier: GPL-2.0-or-later */
/* exit-code: a debug-exit write of 0x2a makes cella-vmm exit with (0x2a << 1) | 1 = 0x55. */
#include "lib.h"

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	puts("exit-code: writing 0x2a to port 0xf4\n");
	guest_exit(0x2a);
}
