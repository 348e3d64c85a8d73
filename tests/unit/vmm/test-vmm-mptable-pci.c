// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PCI INTx routing as the guest finds it: the MP table's PCI bus and its
 * interrupt entries, the DSDT's _PRT under the PCI root bridge (decoded here
 * from the AML, and by ACPICA's iasl -d when it is installed), and the
 * Interrupt Line the VMM writes into config space: all three must name the
 * same IOAPIC pin for every slot and pin, level-triggered and active-low.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/pci_glue.h"
#include "platform/acpi.h"
#include "platform/mptable.h"
#include "platform/platform.h"

#define RAM   (16ULL << 20)
#define NCPUS 2

static uint8_t *ram;
static struct guest_mem mem;
static uint64_t rsdp_gpa;

static int setup(void **state)
{
	cella_err_t err = NULL;

	ram = calloc(1, RAM);
	if (!ram)
		return -1;
	guest_mem__init(&mem, ram, RAM);
	return vmm_platform__write_tables(&mem, NCPUS, PLATFORM_PCI_ALL_SLOTS, &rsdp_gpa, &err);
}

static int teardown(void **state)
{
	free(ram);
	return 0;
}

static void *gpa(uint64_t addr, uint64_t len)
{
	void *p = guest_mem__ptr(&mem, addr, len);

	assert_non_null(p);
	return p;
}

static unsigned expected_gsi(unsigned slot, unsigned pin)
{
	return 16 + (slot + pin - 1) % 8;
}

/* ---- MP table ---- */

static void test_mptable_pci_entries(void **state)
{
	const struct mpf_intel *mpf = gpa(BOOT_MPTABLE_GPA, sizeof(*mpf));
	const struct mpc_table *mpc = gpa(mpf->physptr, sizeof(*mpc));
	const uint8_t *p = (const uint8_t *)(mpc + 1), *end = (const uint8_t *)mpc + mpc->length;
	int pci_bus = -1, isa_bus = -1, ioapic_id = -1;
	bool seen[32][4] = {{false}};
	unsigned npci = 0, nisa = 0;

	for (unsigned i = 0; i < mpc->oemcount; i++) {
		assert_true(p < end);
		switch (p[0]) {
		case MP_PROCESSOR:
			p += sizeof(struct mpc_cpu);
			break;
		case MP_BUS: {
			const struct mpc_bus *b = (const struct mpc_bus *)p;

			if (memcmp(b->bustype, "PCI   ", 6) == 0)
				pci_bus = b->busid;
			else if (memcmp(b->bustype, "ISA   ", 6) == 0)
				isa_bus = b->busid;
			else
				fail_msg("unknown bus type %.6s", b->bustype);
			p += sizeof(*b);
			break;
		}
		case MP_IOAPIC:
			ioapic_id = ((const struct mpc_ioapic *)p)->apicid;
			p += sizeof(struct mpc_ioapic);
			break;
		case MP_INTSRC: {
			const struct mpc_intsrc *s = (const struct mpc_intsrc *)p;

			/* Buses come before the entries that name them. */
			assert_true(s->srcbus == pci_bus || s->srcbus == isa_bus);
			assert_int_equal(s->dstapic, ioapic_id);
			if (s->srcbus == pci_bus) {
				unsigned slot = s->srcbusirq >> 2, pin = (s->srcbusirq & 3) + 1;

				assert_true(slot < 32);
				assert_false(seen[slot][pin - 1]);
				seen[slot][pin - 1] = true;
				assert_int_equal(s->irqtype, MP_IRQ_INT);
				assert_int_equal(s->irqflag, MP_IRQPOL_ACTIVE_LOW | MP_IRQTRIG_LEVEL);
				assert_int_equal(s->dstirq, expected_gsi(slot, pin));
				npci++;
			} else {
				assert_int_equal(s->srcbusirq, nisa);
				assert_int_equal(s->dstirq, nisa == 0 ? 2 : nisa);
				nisa++;
			}
			p += sizeof(*s);
			break;
		}
		case MP_LINTSRC:
			p += sizeof(struct mpc_intsrc);
			break;
		default:
			fail_msg("unknown MP entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, end);
	/* Linux matches a PCI interrupt entry's bus id against the PCI bus number: bus 0 must be id 0. */
	assert_int_equal(pci_bus, 0);
	assert_int_equal(isa_bus, 1);
	assert_int_equal(ioapic_id, NCPUS);
	assert_int_equal(nisa, 16);
	assert_int_equal(npci, 32 * 4);
}

/* What the VMM writes into Interrupt Line (slot s, INTA#) is what the tables say. */
static void test_interrupt_line_agrees(void **state)
{
	for (unsigned slot = 0; slot < 32; slot++) {
		assert_int_equal(VMM_PCI_INTX_FIRST_IRQ + slot % VMM_PCI_INTX_IRQS, expected_gsi(slot, 1));
		for (unsigned pin = 1; pin <= 4; pin++)
			assert_int_equal(PLATFORM_PCI_INTX_GSI(slot, pin), expected_gsi(slot, pin));
	}
}

/* ---- DSDT _PRT, decoded from the AML ---- */

static const struct acpi_header *dsdt(void)
{
	const struct acpi_rsdp *rsdp = gpa(rsdp_gpa, sizeof(*rsdp));
	const struct acpi_header *xsdt = gpa(rsdp->xsdt_address, sizeof(*xsdt));
	uint64_t fadt_gpa;
	const struct acpi_fadt *fadt;
	const struct acpi_header *d;

	memcpy(&fadt_gpa, (const uint8_t *)xsdt + sizeof(*xsdt), 8); /* the FADT is the first entry */
	fadt = gpa(fadt_gpa, sizeof(*fadt));
	assert_memory_equal(fadt->h.signature, "FACP", 4);
	d = gpa(fadt->x_dsdt, sizeof(*d));
	assert_memory_equal(d->signature, "DSDT", 4);
	return gpa(fadt->x_dsdt, d->length);
}

/* PkgLength (ACPI 20.2.4): returns the package's end. */
static const uint8_t *pkg_end(const uint8_t **p)
{
	const uint8_t *start = *p;
	unsigned extra = **p >> 6;
	size_t len = extra ? **p & 0xF : **p & 0x3F;

	for (unsigned i = 1; i <= extra; i++)
		len |= (size_t)start[i] << (4 + 8 * (i - 1));
	*p += 1 + extra;
	return start + len;
}

static uint64_t aml_int(const uint8_t **p)
{
	uint8_t op = *(*p)++;
	uint64_t v = 0;
	unsigned n;

	switch (op) {
	case 0x00:
		return 0;
	case 0x01:
		return 1;
	case 0x0A:
		n = 1;
		break;
	case 0x0B:
		n = 2;
		break;
	case 0x0C:
		n = 4;
		break;
	case 0x0E:
		n = 8;
		break;
	default:
		fail_msg("AML integer expected, opcode 0x%02x", op);
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)(*p)[i] << (8 * i);
	*p += n;
	return v;
}

/* The DSDT's _PRT routes exactly the four pins of each slot in mask, each to its GSI. */
static void check_prt(uint32_t mask)
{
	const struct acpi_header *d = dsdt();
	const uint8_t *body = (const uint8_t *)d, *p = NULL, *end, *pci0;
	bool seen[32][4] = {{false}};
	unsigned n;

	/* Name (_PRT, Package ...) inside Device (PCI0). */
	pci0 = memmem(body, d->length, "PCI0", 4);
	assert_non_null(pci0);
	for (size_t i = (size_t)(pci0 - body); i + 6 < d->length; i++) {
		if (body[i] == 0x08 && memcmp(body + i + 1, "_PRT", 4) == 0) {
			p = body + i + 5;
			break;
		}
	}
	assert_non_null(p);
	assert_int_equal(*p++, 0x12); /* PackageOp */
	end = pkg_end(&p);
	assert_true(end <= body + d->length);
	n = *p++;
	assert_int_equal(n, (unsigned)__builtin_popcount(mask) * 4);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *e_end;
		uint64_t adr, pin, source, gsi;
		unsigned slot;

		assert_int_equal(*p++, 0x12);
		e_end = pkg_end(&p);
		assert_int_equal(*p++, 4);
		adr = aml_int(&p);
		pin = aml_int(&p);
		source = aml_int(&p);
		gsi = aml_int(&p);
		assert_ptr_equal(p, e_end);
		assert_int_equal(adr & 0xFFFF, 0xFFFF); /* any function of the slot */
		slot = (unsigned)(adr >> 16);
		assert_true(slot < 32 && pin < 4);
		assert_false(seen[slot][pin]);
		seen[slot][pin] = true;
		assert_int_equal(source, 0); /* a GSI, not a link device: level, active-low */
		assert_int_equal(gsi, expected_gsi(slot, (unsigned)pin + 1));
	}
	assert_ptr_equal(p, end);
	for (unsigned slot = 0; slot < 32; slot++)
		for (unsigned pin = 0; pin < 4; pin++)
			assert_int_equal(seen[slot][pin], (mask >> slot) & 1);
}

static void test_dsdt_prt(void **state)
{
	check_prt(PLATFORM_PCI_ALL_SLOTS);
}

/* Only the slots that hold a device: the host bridge's 0, and here 3 and 31. */
static void test_dsdt_prt_occupied_slots(void **state)
{
	const uint32_t mask = 1u | 1u << 3 | 1u << 31;
	cella_err_t err = NULL;

	assert_int_equal(vmm_platform__write_tables(&mem, NCPUS, mask, &rsdp_gpa, &err), 0);
	check_prt(mask);
	assert_int_equal(vmm_platform__write_tables(&mem, NCPUS, 0, &rsdp_gpa, &err), 0);
	check_prt(0);
	assert_int_equal(vmm_platform__write_tables(&mem, NCPUS, PLATFORM_PCI_ALL_SLOTS, &rsdp_gpa, &err), 0);
}

/* ---- the same through ACPICA's disassembler ---- */

static char iasl_dir[] = "/tmp/cella-prt-XXXXXX";
static bool iasl_dir_made;

static int iasl_teardown(void **state)
{
	_cleanup_free_ char *rm = NULL;

	if (!iasl_dir_made)
		return 0;
	iasl_dir_made = false;
	if (asprintf(&rm, "rm -rf '%s'", iasl_dir) < 0)
		return -1;
	return system(rm) == 0 ? 0 : -1;
}

/* The disassembly with every blank removed, so the checks do not depend on iasl's indentation. */
static char *iasl_disassemble(const struct acpi_header *d)
{
	_cleanup_free_ char *cmd = NULL, *path = NULL;
	char *text = NULL, *out;
	size_t cap = 0, k = 0;
	FILE *f;

	assert_true(asprintf(&path, "%s/dsdt.dat", iasl_dir) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(d, 1, d->length, f), d->length);
	fclose(f);
	assert_true(asprintf(&cmd, "cd '%s' && iasl -d dsdt.dat >/dev/null 2>&1 && cat dsdt.dsl", iasl_dir) >
		    0);
	f = popen(cmd, "r");
	assert_non_null(f);
	if (getdelim(&text, &cap, '\0', f) < 0) {
		free(text);
		text = NULL;
	}
	assert_int_equal(pclose(f), 0);
	assert_non_null(text);
	out = text;
	for (size_t i = 0; text[i]; i++) {
		if (text[i] != ' ' && text[i] != '\n' && text[i] != '\t' && text[i] != '\r')
			out[k++] = text[i];
	}
	out[k] = '\0';
	return out;
}

static void test_iasl_prt(void **state)
{
	_cleanup_free_ char *asl = NULL;

	if (access("/usr/bin/iasl", X_OK) != 0) {
		print_message("iasl not installed (acpica-tools; scripts/install-deps installs it)\n");
		skip();
	}
	assert_non_null(mkdtemp(iasl_dir));
	iasl_dir_made = true;
	asl = iasl_disassemble(dsdt());
	assert_non_null(strstr(asl, "Name(_PRT,Package(0x80)"));
	/* Slot 0 INTA# -> 16, slot 1 INTA# -> 17, slot 1 INTD# -> 20, slot 31 INTD# -> 16 + (31 + 3) % 8. */
	assert_non_null(strstr(asl, "Package(0x04){0xFFFF,Zero,Zero,0x10}"));
	assert_non_null(strstr(asl, "Package(0x04){0x0001FFFF,Zero,Zero,0x11}"));
	assert_non_null(strstr(asl, "Package(0x04){0x0001FFFF,0x03,Zero,0x14}"));
	assert_non_null(strstr(asl, "Package(0x04){0x001FFFFF,0x03,Zero,0x12}"));
	/* _PRT sits in the root bridge, after its _CRS. */
	assert_true(strstr(asl, "Name(_PRT") > strstr(asl, "PNP0A08"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mptable_pci_entries),
		cmocka_unit_test(test_interrupt_line_agrees),
		cmocka_unit_test(test_dsdt_prt),
		cmocka_unit_test(test_dsdt_prt_occupied_slots),
		cmocka_unit_test_teardown(test_iasl_prt, iasl_teardown),
	};

	return cmocka_run_group_tests_name("vmm-mptable-pci", tests, setup, teardown);
}
