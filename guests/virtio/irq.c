/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test=msix and test=intx: a virtio-rng request completed by an interrupt
 * instead of polling.
 *   msix  MSI-X enabled, queue 0 on table entry 0, which sends MSIX_VECTOR to
 *         this CPU's local APIC.
 *   intx  MSI-X off: the device raises its INTx pin. The MP table's entry
 *         for (bus 0, device, INTA#) must name the IOAPIC pin the Interrupt
 *         Line register holds; that pin is programmed as the entry says
 *         (PCI: level, active low), delivered as INTX_VECTOR; the handler
 *         reads the ISR (queue bit), which lowers the line, before the EOI.
 * The handlers give the verdict and never return: a 32-bit iret fails to
 * emulate on this host's nested KVM (see guests/README.md), and what is
 * tested is delivery and the device's side, not the return.
 */
#include "apic.h"
#include "idt.h"
#include "lib.h"
#include "mptable.h"
#include "tests.h"
#include "vdrv.h"

#define MSIX_VECTOR 0x30
#define INTX_VECTOR 0x31
#define SPIN_LIMIT  3000000 /* pause loops: a few seconds on a nested KVM */

static struct vdrv d;
static struct vdrv_queue q;
static uint8_t buf[32];
static volatile bool armed;

extern void msix_entry(void);
extern void intx_entry(void);
__asm__(".text\n"
	"msix_entry:\n"
	"	call msix_irq\n"
	"intx_entry:\n"
	"	call intx_irq\n");

/* The request must be complete when its interrupt arrives. */
static __attribute__((noreturn)) void finish(const char *how)
{
	uint16_t head;
	uint32_t len;

	if (!armed)
		fail("irq: interrupt before the request was made");
	if (!vdrv_poll_used(&q, &head, &len))
		fail("irq: interrupt arrived, used ring empty");
	if (len != sizeof(buf))
		fail("irq: short rng answer");
	puts(how);
	pass();
}

__attribute__((used, noreturn)) void msix_irq(void);
void msix_irq(void)
{
	lapic_eoi();
	finish("irq: MSI-X interrupt completed the request\n");
}

__attribute__((used, noreturn)) void intx_irq(void);
void intx_irq(void)
{
	uint8_t isr = vdrv_isr(&d); /* acknowledges: the device lowers its line */

	if (!(isr & 1))
		fail("irq: INTx handler found no queue bit in the ISR");
	if (vdrv_isr(&d) != 0)
		fail("irq: ISR not cleared by reading it");
	lapic_eoi();
	finish("irq: INTx interrupt completed the request\n");
}

static __attribute__((noreturn)) void wait_for_interrupt(void)
{
	struct vdrv_buf b = {buf, sizeof(buf), true};

	vdrv_submit(&q, &b, 1);
	armed = true;
	__asm__ volatile("sti");
	vdrv_kick(&q);
	for (uint32_t spin = 0; spin < SPIN_LIMIT; spin++)
		__asm__ volatile("pause");
	__asm__ volatile("cli");
	fail(q.used.idx ? "irq: request completed but no interrupt arrived" : "irq: request never completed");
}

void test_irq(bool msix)
{
	struct mp_pci_route route;
	uint8_t apic_id;

	idt_init();
	pic_mask_all();
	apic_id = lapic_enable();
	vdrv_probe(&d, VDRV_DEV_RNG);
	vdrv_negotiate(&d, 0);
	if (msix) {
		idt_set(MSIX_VECTOR, msix_entry);
		vdrv_msix_route(&d, 0, apic_id, MSIX_VECTOR);
		vdrv_msix_enable(&d, true);
		vdrv_queue_setup(&d, &q, 0, 0);
		puts("irq: MSI-X table entry 0 -> vector 0x30\n");
	} else {
		if (d.irq_pin != 1)
			fail("irq: the device has no INTA# pin");
		if (d.irq_line == 0 || d.irq_line == 0xFF || d.irq_line >= ioapic_pins())
			fail("irq: Interrupt Line is not an IOAPIC pin");
		if (!mp_find_pci_route(d.dev, d.irq_pin, &route))
			fail("irq: the MP table has no interrupt entry for the device's INTA#");
		if (route.ioapic_pin != d.irq_line)
			fail("irq: the MP table and Interrupt Line name different IOAPIC pins");
		if (!route.level)
			fail("irq: the MP table says INTA# is edge-triggered");
		idt_set(INTX_VECTOR, intx_entry);
		ioapic_route(d.irq_line, INTX_VECTOR, apic_id, route.active_low, true);
		vdrv_queue_setup(&d, &q, 0, VDRV_NO_VECTOR);
		puts("irq: INTx on IOAPIC pin ");
		put_dec(d.irq_line);
		puts(route.active_low ? " (MP table: level, active low)\n"
				      : " (MP table: level, active high)\n");
	}
	vdrv_driver_ok(&d);
	wait_for_interrupt();
}
