// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ACPI 2.0+ tables for the guest: RSDP, XSDT (+ RSDT for old readers), FADT
 * with fixed-hardware PM1a/GPE0/reset ports, FACS, DSDT, MADT and MCFG. They
 * are packed into [BOOT_ACPI_GPA, BOOT_ACPI_END), which e820 reserves.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "platform/acpi.h"
#include "platform/platform.h"

struct acpi_writer {
	struct guest_mem *mem;
	uint64_t next, end;
};

uint8_t acpi__checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += b[i];
	return (uint8_t)-sum;
}

static void acpi__header(struct acpi_header *h, const char *sig, uint32_t len, uint8_t rev)
{
	memcpy(h->signature, sig, 4);
	h->length = len;
	h->revision = rev;
	memcpy(h->oem_id, ACPI_OEM_ID, 6);
	memcpy(h->oem_table_id, ACPI_OEM_TABLE_ID, 8);
	h->oem_revision = 1;
	memcpy(h->creator_id, ACPI_CREATOR_ID, 4);
	h->creator_revision = 1;
	h->checksum = 0;
	h->checksum = acpi__checksum(h, len);
}

/* Copies a finished table into guest memory at the next aligned address. */
static int acpi__put(struct acpi_writer *w, const void *table, size_t len, uint64_t align, uint64_t *gpa,
		     cella_err_t *err)
{
	uint64_t at = (w->next + align - 1) & ~(align - 1);
	void *dst;

	if (at > w->end || len > w->end - at)
		return cella_error_make(err, 0, "ACPI tables do not fit in 0x%llx-0x%llx",
					(unsigned long long)BOOT_ACPI_GPA, (unsigned long long)w->end);
	dst = guest_mem__ptr(w->mem, at, len);
	if (!dst)
		return cella_error_make(err, 0, "ACPI table area 0x%llx is not guest RAM",
					(unsigned long long)at);
	memcpy(dst, table, len);
	w->next = at + len;
	*gpa = at;
	return 0;
}

static int acpi__put_facs(struct acpi_writer *w, uint64_t *gpa, cella_err_t *err)
{
	struct acpi_facs facs = {.length = sizeof(facs), .version = 2};

	memcpy(facs.signature, "FACS", 4);
	return acpi__put(w, &facs, sizeof(facs), 64, gpa, err); /* the spec wants 64-byte alignment */
}

static int acpi__put_dsdt(struct acpi_writer *w, uint32_t pci_slots, uint64_t *gpa, cella_err_t *err)
{
	struct aml a = {0};
	size_t start;
	int ret;

	aml__bytes(&a, &(struct acpi_header){0}, sizeof(struct acpi_header));
	start = a.len;
	if (acpi__build_dsdt_body(&a, pci_slots) < 0 || a.len < start) {
		aml__free(&a);
		return cella_error_make(err, ENOMEM, "build DSDT");
	}
	/* Revision 2: AML integers are 64-bit. */
	acpi__header((struct acpi_header *)a.data, "DSDT", a.len, 2);
	ret = acpi__put(w, a.data, a.len, 16, gpa, err);
	aml__free(&a);
	return ret;
}

static struct acpi_gas acpi__io_gas(uint16_t port, uint8_t bytes)
{
	return (struct acpi_gas){.space_id = 1,
				 .bit_width = bytes * 8,
				 .access_size = bytes >= 4 ? 3 : bytes,
				 .address = port};
}

static int acpi__put_fadt(struct acpi_writer *w, uint64_t facs, uint64_t dsdt, uint64_t *gpa,
			  cella_err_t *err)
{
	struct acpi_fadt f = {0};

	/* ACPI 5+: with X_FIRMWARE_CTRL set, FIRMWARE_CTRL must be zero (else Linux maps the FACS twice). */
	f.firmware_ctrl = 0;
	f.dsdt = dsdt;
	f.x_firmware_ctrl = facs;
	f.x_dsdt = dsdt;
	f.preferred_pm_profile = 4; /* enterprise server */
	f.sci_int = PLATFORM_ACPI_SCI_IRQ;
	f.smi_cmd = 0; /* no SMM: the platform is always in ACPI mode */
	f.pm1a_evt_blk = PLATFORM_ACPI_PM1A_EVT_PORT;
	f.pm1a_cnt_blk = PLATFORM_ACPI_PM1A_CNT_PORT;
	f.gpe0_blk = PLATFORM_ACPI_GPE0_PORT;
	f.pm1_evt_len = PLATFORM_ACPI_PM1_EVT_LEN;
	f.pm1_cnt_len = PLATFORM_ACPI_PM1_CNT_LEN;
	f.gpe0_blk_len = PLATFORM_ACPI_GPE0_LEN;
	f.p_lvl2_lat = 101;  /* > 100: no C2 */
	f.p_lvl3_lat = 1001; /* > 1000: no C3 */
	f.century = PLATFORM_RTC_CENTURY_REG;
	f.iapc_boot_arch = ACPI_IAPC_LEGACY_DEVICES | ACPI_IAPC_8042 | ACPI_IAPC_NO_VGA;
	/* A fixed-feature power button stays (flag clear) so the VMM can ask the guest to shut down. */
	f.flags =
		ACPI_FADT_WBINVD | ACPI_FADT_C1_SUPPORTED | ACPI_FADT_SLEEP_BUTTON | ACPI_FADT_RESET_REG_SUP;
	f.reset_reg = acpi__io_gas(PLATFORM_ACPI_RESET_PORT, 1);
	f.reset_value = PLATFORM_ACPI_RESET_VALUE;
	f.x_pm1a_evt_blk = acpi__io_gas(PLATFORM_ACPI_PM1A_EVT_PORT, PLATFORM_ACPI_PM1_EVT_LEN);
	f.x_pm1a_cnt_blk = acpi__io_gas(PLATFORM_ACPI_PM1A_CNT_PORT, PLATFORM_ACPI_PM1_CNT_LEN);
	f.x_gpe0_blk = acpi__io_gas(PLATFORM_ACPI_GPE0_PORT, PLATFORM_ACPI_GPE0_LEN);
	/* GPE blocks are byte-accessed registers (status bytes then enable bytes). */
	f.x_gpe0_blk.access_size = 1;
	memcpy(&f.hypervisor_vendor_id, "CELLAVMM", 8);
	acpi__header(&f.h, "FACP", sizeof(f), 6);
	return acpi__put(w, &f, sizeof(f), 16, gpa, err);
}

static int acpi__put_madt(struct acpi_writer *w, unsigned ncpus, uint64_t *gpa, cella_err_t *err)
{
	size_t len = sizeof(struct acpi_madt) + ncpus * sizeof(struct acpi_madt_lapic) +
		     sizeof(struct acpi_madt_ioapic) + 2 * sizeof(struct acpi_madt_iso) +
		     sizeof(struct acpi_madt_lapic_nmi);
	_cleanup_free_ uint8_t *buf = calloc(1, len);
	struct acpi_madt *m = (struct acpi_madt *)buf;
	uint8_t *p;

	if (!buf)
		return cella_error_make(err, ENOMEM, "build MADT");
	m->lapic_address = PLATFORM_LAPIC_BASE;
	m->flags = 1; /* PCAT_COMPAT: the (absent) 8259 pair must be masked */
	p = buf + sizeof(*m);
	for (unsigned i = 0; i < ncpus; i++) {
		struct acpi_madt_lapic l = {.type = ACPI_MADT_LAPIC,
					    .length = sizeof(l),
					    .processor_uid = i,
					    .apic_id = i,
					    .flags = 1};

		memcpy(p, &l, sizeof(l));
		p += sizeof(l);
	}
	struct acpi_madt_ioapic io = {.type = ACPI_MADT_IOAPIC,
				      .length = sizeof(io),
				      .ioapic_id = ncpus,
				      .address = PLATFORM_IOAPIC_BASE,
				      .gsi_base = 0};
	memcpy(p, &io, sizeof(io));
	p += sizeof(io);
	/* The PIT's IRQ0 is wired to IOAPIC pin 2, as on every PC. */
	struct acpi_madt_iso irq0 = {.type = ACPI_MADT_ISO, .length = sizeof(irq0), .source = 0, .gsi = 2};
	memcpy(p, &irq0, sizeof(irq0));
	p += sizeof(irq0);
	/* The SCI is level-triggered, active high (flags: polarity 01, trigger 11). */
	struct acpi_madt_iso sci = {.type = ACPI_MADT_ISO,
				    .length = sizeof(sci),
				    .source = PLATFORM_ACPI_SCI_IRQ,
				    .gsi = PLATFORM_ACPI_SCI_IRQ,
				    .flags = 0x000D};
	memcpy(p, &sci, sizeof(sci));
	p += sizeof(sci);
	struct acpi_madt_lapic_nmi nmi = {
		.type = ACPI_MADT_LAPIC_NMI, .length = sizeof(nmi), .processor_uid = 0xFF, .lint = 1};
	memcpy(p, &nmi, sizeof(nmi));
	acpi__header(&m->h, "APIC", len, 4);
	return acpi__put(w, buf, len, 16, gpa, err);
}

static int acpi__put_mcfg(struct acpi_writer *w, uint64_t *gpa, cella_err_t *err)
{
	struct {
		struct acpi_mcfg m;
		struct acpi_mcfg_entry e;
	} __attribute__((packed)) t = {0};

	t.e.base = PLATFORM_PCI_ECAM_BASE;
	t.e.segment = 0;
	t.e.start_bus = 0;
	t.e.end_bus = (PLATFORM_PCI_ECAM_SIZE >> 20) - 1; /* 1 MiB of config space per bus */
	acpi__header(&t.m.h, "MCFG", sizeof(t), 1);
	return acpi__put(w, &t, sizeof(t), 16, gpa, err);
}

/* XSDT (64-bit pointers) or RSDT (32-bit) listing the tables. */
static int acpi__put_sdt(struct acpi_writer *w, const char *sig, size_t width, const uint64_t *tables,
			 unsigned n, uint64_t *gpa, cella_err_t *err)
{
	uint8_t buf[sizeof(struct acpi_header) + 8 * 8] = {0};
	size_t len = sizeof(struct acpi_header) + width * n;

	if (n > 8)
		return cella_error_make(err, 0, "%s: too many tables", sig);
	for (unsigned i = 0; i < n; i++)
		memcpy(buf + sizeof(struct acpi_header) + width * i, &tables[i], width); /* little-endian */
	acpi__header((struct acpi_header *)buf, sig, len, 1);
	return acpi__put(w, buf, len, 16, gpa, err);
}

int vmm_platform__write_acpi(struct guest_mem *mem, unsigned ncpus, uint32_t pci_slots, uint64_t *rsdp_gpa,
			     cella_err_t *err)
{
	struct acpi_writer w = {
		.mem = mem, .next = BOOT_ACPI_GPA + sizeof(struct acpi_rsdp), .end = BOOT_ACPI_END};
	uint64_t facs, dsdt, tables[3], xsdt, rsdt;
	struct acpi_rsdp rsdp = {0};
	void *dst;

	if (ncpus < 1 || ncpus > PLATFORM_MAX_CPUS)
		return cella_error_make(err, 0, "ACPI: %u vCPUs, supported 1..%u", ncpus, PLATFORM_MAX_CPUS);
	dst = guest_mem__ptr(mem, BOOT_ACPI_GPA, sizeof(rsdp));
	if (!dst)
		return cella_error_make(err, 0, "ACPI: guest RAM does not reach 0x%llx",
					(unsigned long long)BOOT_ACPI_GPA);
	if (acpi__put_facs(&w, &facs, err) < 0 || acpi__put_dsdt(&w, pci_slots, &dsdt, err) < 0 ||
	    acpi__put_fadt(&w, facs, dsdt, &tables[0], err) < 0 ||
	    acpi__put_madt(&w, ncpus, &tables[1], err) < 0 || acpi__put_mcfg(&w, &tables[2], err) < 0 ||
	    acpi__put_sdt(&w, "XSDT", 8, tables, 3, &xsdt, err) < 0 ||
	    acpi__put_sdt(&w, "RSDT", 4, tables, 3, &rsdt, err) < 0)
		return -1;

	memcpy(rsdp.signature, "RSD PTR ", 8);
	memcpy(rsdp.oem_id, ACPI_OEM_ID, 6);
	rsdp.revision = 2;
	rsdp.rsdt_address = rsdt;
	rsdp.length = sizeof(rsdp);
	rsdp.xsdt_address = xsdt;
	rsdp.checksum = acpi__checksum(&rsdp, 20);
	rsdp.extended_checksum = acpi__checksum(&rsdp, sizeof(rsdp));
	memcpy(dst, &rsdp, sizeof(rsdp));
	*rsdp_gpa = BOOT_ACPI_GPA;
	return 0;
}
