/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acpi-button: enables the ACPI power-button event, prints READY and polls
 * PM1a_STS until the VMM presses the button (the API's "shutdown"), clears the
 * status (write 1 to clear), checks it cleared, then powers off through S5.
 */
#include "lib.h"

#define PM1A_STS   0x600
#define PM1A_EN	   0x602
#define PM1A_CNT   0x604
#define PM1_PWRBTN 0x0100

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;

	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	if (inw(PM1A_STS) & PM1_PWRBTN)
		fail("acpi-button: power button status set before any press");
	outw(PM1A_EN, PM1_PWRBTN);
	puts("READY\n");
	while (!(inw(PM1A_STS) & PM1_PWRBTN))
		__asm__ volatile("pause");
	puts("acpi-button: power button pressed\n");
	outw(PM1A_STS, PM1_PWRBTN);
	if (inw(PM1A_STS) & PM1_PWRBTN)
		fail("acpi-button: status did not clear on write-1");
	outw(PM1A_CNT, 0x3400);
	fail("acpi-button: still running after S5");
}
