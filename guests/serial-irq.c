/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * serial-irq: enabling the UART's transmit-holding-empty interrupt raises IRQ 4,
 * which arrives through the 8259 PIC (remapped to vector 0x24) at an IDT
 * handler; IIR reports THRE (0x02) there. The handler gives the verdict
 * itself and never returns: a 32-bit iret fails to emulate on this host's
 * nested KVM (kvm_pvm), and the test is about delivery, not return.
 */
#include "idt.h"
#include "lib.h"

#define PIC1 0x20
#define PIC2 0xa0

static volatile uint32_t waiting;

extern void com1_entry(void);
__asm__(".text\n"
	"com1_entry:\n"
	"	call com1_irq\n");

__attribute__((used, noreturn)) void com1_irq(void);
void com1_irq(void)
{
	uint8_t iir = inb(COM1 + 2);

	outb(COM1 + 1, 0); /* IER off */
	outb(PIC1, 0x20);  /* EOI */
	if (!waiting)
		fail("serial-irq: interrupt before the guest enabled it");
	puts("serial-irq: IRQ 4 arrived, IIR=");
	put_hex(iir);
	putc('\n');
	if ((iir & 0x0f) != 0x02)
		fail("serial-irq: IIR does not report THRE");
	pass();
}

static void pic_init(void)
{
	outb(PIC1, 0x11); /* ICW1: edge, cascade, ICW4 follows */
	outb(PIC2, 0x11);
	outb(PIC1 + 1, 0x20); /* ICW2: IRQ 0-7 -> vectors 0x20-0x27 */
	outb(PIC2 + 1, 0x28);
	outb(PIC1 + 1, 0x04); /* ICW3: slave on IRQ 2 */
	outb(PIC2 + 1, 0x02);
	outb(PIC1 + 1, 0x01); /* ICW4: 8086 mode */
	outb(PIC2 + 1, 0x01);
	outb(PIC1 + 1, 0xef); /* only IRQ 4 unmasked */
	outb(PIC2 + 1, 0xff);
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	idt_init();
	idt_set(0x24, com1_entry);
	pic_init();
	puts("serial-irq: enabling THRE interrupt\n");
	outb(COM1 + 4, 0x08); /* MCR OUT2: the PC's interrupt gate */
	waiting = 1;
	__asm__ volatile("sti");
	outb(COM1 + 1, 0x02); /* IER: THRI */
	for (uint32_t spin = 0; spin < 2000000; spin++)
		__asm__ volatile("pause");
	fail("serial-irq: no interrupt on IRQ 4");
}
