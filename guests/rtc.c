/* SPDX-License-Identifier: GPL-2.0-or-later */
/* rtc: reads the CMOS clock (BCD by default) through ports 0x70/0x71 and checks the date is plausible. */
#include "lib.h"

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, (uint8_t)(0x80 | reg)); /* bit 7: NMI disabled, as firmware does; the VMM ignores it */
	return inb(0x71);
}

static bool is_bcd(uint8_t v)
{
	return (v & 0x0f) <= 9 && (v >> 4) <= 9;
}

static unsigned bcd(uint8_t v)
{
	return (unsigned)(v >> 4) * 10 + (v & 0x0f);
}

static void put2(unsigned v)
{
	putc((char)('0' + v / 10 % 10));
	putc((char)('0' + v % 10));
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	uint8_t regs[10], century, b;
	unsigned tries = 0;

	/* Register A's UIP bit says the time registers are about to change: read once it is clear. */
	while (cmos(0x0a) & 0x80) {
		if (++tries > 100000)
			fail("rtc: update-in-progress never cleared");
	}
	for (uint8_t r = 0; r < 10; r++)
		regs[r] = cmos(r);
	century = cmos(0x32);
	b = cmos(0x0b);
	if (b & 0x04)
		fail("rtc: register B says binary; BCD is the default");
	if (!(b & 0x02))
		fail("rtc: register B says 12-hour; 24-hour is the default");
	if (!(cmos(0x0d) & 0x80))
		fail("rtc: register D: battery not valid");
	for (unsigned r = 0; r < 10; r += (r < 4 ? 2 : 1)) {
		if (!is_bcd(regs[r]))
			fail("rtc: a time register is not BCD");
	}
	if (!is_bcd(century) || bcd(century) < 20 || bcd(century) > 21)
		fail("rtc: century register 0x32 implausible");
	if (bcd(regs[8]) < 1 || bcd(regs[8]) > 12 || bcd(regs[7]) < 1 || bcd(regs[7]) > 31 ||
	    bcd(regs[4]) > 23 || bcd(regs[2]) > 59 || bcd(regs[0]) > 59 || bcd(regs[6]) < 1 ||
	    bcd(regs[6]) > 7)
		fail("rtc: date or time out of range");
	puts("rtc: ");
	put2(bcd(century));
	put2(bcd(regs[9]));
	putc('-');
	put2(bcd(regs[8]));
	putc('-');
	put2(bcd(regs[7]));
	putc(' ');
	put2(bcd(regs[4]));
	putc(':');
	put2(bcd(regs[2]));
	putc(':');
	put2(bcd(regs[0]));
	puts(" UTC\n");
	pass();
}
