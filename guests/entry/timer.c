/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * timer: the in-kernel PIT (channel 0, mode 2 rate generator at 100 Hz)
 * interrupts through the 8259 PIC (IRQ 0 -> vector 0x20) reach a 64-bit IDT
 * handler that counts them and returns with iretq (a 32-bit iret fails to
 * emulate on this host's kvm_pvm; iretq works). Passes when "ticks=N" (default
 * 20) interrupts arrive and their pace, against the TSC calibrated on the RTC,
 * is plausibly 100 Hz. Bounded by the RTC: no interrupts for 3 s fails.
 * "mask-irq0" keeps IRQ 0 masked: the guest must then fail (the test's
 * deliberate mismatch).
 */
#include "lib64.h"

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_HZ	1193182u
#define TICK_HZ 100u

volatile uint32_t timer_ticks;

extern void timer_entry(void);
__asm__(".text\n"
	".code64\n"
	"timer_entry:\n"
	"	push %rax\n"
	"	incl timer_ticks(%rip)\n"
	"	mov $0x20, %al\n" /* EOI to the master PIC */
	"	out %al, $0x20\n"
	"	pop %rax\n"
	"	iretq\n");

static void pic_init(uint8_t master_mask)
{
	outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, 0x20); /* ICW2: IRQ 0-7 -> vectors 0x20-0x27 */
	outb(PIC2 + 1, 0x28);
	outb(PIC1 + 1, 0x04); /* ICW3: slave on IRQ 2 */
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01); /* ICW4: 8086 mode */
	outb(PIC2 + 1, 0x01);
	outb(PIC1 + 1, master_mask);
	outb(PIC2 + 1, 0xff);
}

static void pit_start(void)
{
	uint16_t divisor = (uint16_t)(PIT_HZ / TICK_HZ);

	outb(PIT_CMD, 0x34); /* channel 0, lobyte/hibyte, mode 2, binary */
	outb(PIT_CH0, (uint8_t)divisor);
	outb(PIT_CH0, (uint8_t)(divisor >> 8));
}

/* Waits for the RTC's seconds to change; returns the TSC at that moment. */
static uint64_t next_rtc_second(void)
{
	uint8_t s = cmos_seconds();

	while (cmos_seconds() == s)
		__asm__ volatile("pause");
	return rdtsc();
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	const char *cmdline = guest_cmdline(mbi);
	uint32_t want = cmdline_number(cmdline, "ticks", 20);
	bool masked = str_contains(cmdline, "mask-irq0");
	uint64_t tsc_hz, t0, t1, ms;
	uint32_t start, got, changes = 0;
	uint8_t sec;

	if (!(rdmsr(MSR_EFER) & EFER_LMA))
		fail("timer: not in long mode");
	if (want == 0 || want > 1000)
		fail("timer: ticks=N must be 1..1000");
	/* The TSC's rate, from one RTC second (the first edge aligns us to a second boundary). */
	t0 = next_rtc_second();
	t1 = next_rtc_second();
	tsc_hz = t1 - t0;
	if (tsc_hz < 1000000)
		fail("timer: TSC did not advance over an RTC second");

	idt64_init();
	idt64_set(0x20, timer_entry);
	pic_init(masked ? 0xff : 0xfe);
	pit_start();
	puts("timer: PIT channel 0 at 100 Hz, waiting for ");
	put_dec(want);
	puts(" interrupts\n");
	start = timer_ticks;
	t0 = rdtsc();
	__asm__ volatile("sti");
	sec = cmos_seconds();
	while (timer_ticks - start < want) {
		uint8_t now = cmos_seconds();

		if (now != sec) {
			sec = now;
			if (++changes >= 3)
				break;
		}
		__asm__ volatile("pause");
	}
	t1 = rdtsc();
	__asm__ volatile("cli");
	got = timer_ticks - start;
	ms = (t1 - t0) * 1000 / tsc_hz;
	puts("timer: ");
	put_dec(got);
	puts(" interrupts in ");
	put_dec((uint32_t)ms);
	puts(" ms\n");
	if (got < want)
		fail("timer: too few timer interrupts within 2-3 s");
	/* want ticks at 100 Hz take want*10 ms; allow a slow, loaded host 4x, and 0.5x for phase. */
	if (ms * 2 < (uint64_t)want * 10 || ms > (uint64_t)want * 40)
		fail("timer: interrupt pace is not 100 Hz");
	pass();
}
