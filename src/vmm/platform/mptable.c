// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The MP table: Linux finds the CPUs and the IOAPIC through it when ACPI is
 * off, and without one its scan for it alone costs seconds on a slow vCPU.
 * Floating pointer at BOOT_MPTABLE_GPA, configuration table right after.
 * Two buses: PCI bus 0 (MP bus id 0: Linux matches an interrupt entry's bus
 * id against the PCI bus number) and ISA (id 1). Interrupt entries: the 16
 * ISA IRQs, then INTA#-INTD# of every PCI slot as platform/layout.h routes
 * them (level, active-low, as the DSDT's _PRT says).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "platform/acpi.h"
#include "platform/mptable.h"
#include "platform/platform.h"

#define MP_SPEC_REV   4	   /* 1.4 */
#define MP_APIC_VER   0x14 /* integrated local APIC */
#define MP_IOAPIC_VER 0x11
#define MP_ISA_IRQS   16
#define MP_PCI_INTX   (PLATFORM_PCI_SLOTS * 4)
#define MP_BUS_PCI    0
#define MP_BUS_ISA    1

static uint8_t *mp__put(uint8_t *p, const void *e, size_t len)
{
	memcpy(p, e, len);
	return p + len;
}

int vmm_platform__write_mptable(struct guest_mem *mem, unsigned ncpus, cella_err_t *err)
{
	size_t nentries =
		ncpus + 2 /* buses */ + 1 /* ioapic */ + MP_ISA_IRQS + MP_PCI_INTX + 2 /* LINT0, LINT1 */;
	size_t table_len = sizeof(struct mpc_table) + ncpus * sizeof(struct mpc_cpu) +
			   2 * sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
			   (MP_ISA_IRQS + MP_PCI_INTX + 2) * sizeof(struct mpc_intsrc);
	size_t total = sizeof(struct mpf_intel) + table_len;
	_cleanup_free_ uint8_t *buf = NULL;
	struct mpf_intel *mpf;
	struct mpc_table *mpc;
	uint8_t *p;
	void *dst;

	if (ncpus < 1 || ncpus > PLATFORM_MAX_CPUS)
		return cella_error_make(err, 0, "MP table: %u vCPUs, supported 1..%u", ncpus,
					PLATFORM_MAX_CPUS);
	if (total > BOOT_MPTABLE_END - BOOT_MPTABLE_GPA)
		return cella_error_make(err, 0, "MP table: %zu bytes do not fit", total);
	dst = guest_mem__ptr(mem, BOOT_MPTABLE_GPA, total);
	if (!dst)
		return cella_error_make(err, 0, "MP table: guest RAM does not reach 0x%llx",
					(unsigned long long)BOOT_MPTABLE_GPA);
	buf = calloc(1, total);
	if (!buf)
		return cella_error_make(err, ENOMEM, "MP table");

	mpf = (struct mpf_intel *)buf;
	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = BOOT_MPTABLE_GPA + sizeof(*mpf);
	mpf->length = 1;
	mpf->specification = MP_SPEC_REV;
	mpf->checksum = acpi__checksum(mpf, sizeof(*mpf));

	mpc = (struct mpc_table *)(buf + sizeof(*mpf));
	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = table_len;
	mpc->spec = MP_SPEC_REV;
	memcpy(mpc->oem, "CELLA   ", 8);
	memcpy(mpc->productid, "CELLAVMM    ", 12);
	mpc->oemcount = nentries;
	mpc->lapic = PLATFORM_LAPIC_BASE;
	p = (uint8_t *)(mpc + 1);

	for (unsigned i = 0; i < ncpus; i++) {
		struct mpc_cpu cpu = {.type = MP_PROCESSOR,
				      .apicid = i,
				      .apicver = MP_APIC_VER,
				      .cpuflag = 1 | (i == 0 ? 2 : 0),
				      .cpufeature = 0x600,		     /* family 6 */
				      .featureflag = (1U << 0) | (1U << 9)}; /* FPU, APIC */
		p = mp__put(p, &cpu, sizeof(cpu));
	}
	struct mpc_bus pci = {.type = MP_BUS, .busid = MP_BUS_PCI};
	memcpy(pci.bustype, "PCI   ", 6);
	p = mp__put(p, &pci, sizeof(pci));
	struct mpc_bus isa = {.type = MP_BUS, .busid = MP_BUS_ISA};
	memcpy(isa.bustype, "ISA   ", 6);
	p = mp__put(p, &isa, sizeof(isa));
	struct mpc_ioapic ioapic = {.type = MP_IOAPIC,
				    .apicid = ncpus,
				    .apicver = MP_IOAPIC_VER,
				    .flags = 1,
				    .apicaddr = PLATFORM_IOAPIC_BASE};
	p = mp__put(p, &ioapic, sizeof(ioapic));
	for (unsigned irq = 0; irq < MP_ISA_IRQS; irq++) {
		/* ISA IRQ n is IOAPIC pin n, except the PIT's IRQ0 which is wired to pin 2. */
		struct mpc_intsrc src = {.type = MP_INTSRC,
					 .irqtype = MP_IRQ_INT,
					 .srcbus = MP_BUS_ISA,
					 .srcbusirq = irq,
					 .dstapic = ncpus,
					 .dstirq = irq == 0 ? 2 : irq};
		p = mp__put(p, &src, sizeof(src));
	}
	for (unsigned slot = 0; slot < PLATFORM_PCI_SLOTS; slot++) {
		for (unsigned pin = 1; pin <= 4; pin++) {
			/* Source bus IRQ of a PCI interrupt: slot in bits 2-6, pin (0 = INTA#) in bits 0-1. */
			struct mpc_intsrc src = {.type = MP_INTSRC,
						 .irqtype = MP_IRQ_INT,
						 .irqflag = MP_IRQPOL_ACTIVE_LOW | MP_IRQTRIG_LEVEL,
						 .srcbus = MP_BUS_PCI,
						 .srcbusirq = (uint8_t)(slot << 2 | (pin - 1)),
						 .dstapic = ncpus,
						 .dstirq = PLATFORM_PCI_INTX_GSI(slot, pin)};
			p = mp__put(p, &src, sizeof(src));
		}
	}
	struct mpc_intsrc lint0 = {.type = MP_LINTSRC,
				   .irqtype = MP_IRQ_EXTINT,
				   .srcbus = MP_BUS_ISA,
				   .srcbusirq = 0,
				   .dstapic = 0xFF,
				   .dstirq = 0};
	p = mp__put(p, &lint0, sizeof(lint0));
	struct mpc_intsrc lint1 = {.type = MP_LINTSRC,
				   .irqtype = MP_IRQ_NMI,
				   .srcbus = MP_BUS_ISA,
				   .srcbusirq = 0,
				   .dstapic = 0xFF,
				   .dstirq = 1};
	mp__put(p, &lint1, sizeof(lint1));
	mpc->checksum = acpi__checksum(mpc, table_len);

	memcpy(dst, buf, total);
	return 0;
}
