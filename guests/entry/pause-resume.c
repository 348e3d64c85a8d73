/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pause-resume: counts forever, printing "count N" on COM1 every few
 * milliseconds, so a test can see through the serial output that a paused VM
 * stops and a resumed one continues where it was. The pace comes from reads
 * of the UART's scratch register: each is an exit to the VMM, which takes
 * microseconds on hardware and nested KVM alike, where a busy loop's speed
 * differs a thousandfold.
 */
#include "lib.h"

#define DELAY_EXITS 1000

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	puts("pause-resume: counting\n");
	for (uint32_t n = 0;; n++) {
		puts("count ");
		put_dec(n);
		putc('\n');
		for (uint32_t i = 0; i < DELAY_EXITS; i++)
			(void)inb(COM1 + 7);
	}
}
