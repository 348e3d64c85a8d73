// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Firmware tables: e820, MP table and ACPI (checksums, lengths, MADT entries
 * per vCPU count, FADT ports) and, when /usr/bin/iasl exists, ACPICA's own
 * disassembler and compiler on the DSDT and the data tables.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "platform/acpi.h"
#include "platform/mptable.h"
#include "platform/platform.h"

#define RAM (16ULL << 20)

struct vm {
	uint8_t *ram;
	struct guest_mem mem;
};

static void vm_init(struct vm *vm, uint64_t size)
{
	vm->ram = calloc(1, size);
	assert_non_null(vm->ram);
	guest_mem__init(&vm->mem, vm->ram, size);
}

static void *gpa(struct vm *vm, uint64_t addr, uint64_t len)
{
	void *p = guest_mem__ptr(&vm->mem, addr, len);

	assert_non_null(p);
	return p;
}

static uint8_t sum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t s = 0;

	for (size_t i = 0; i < len; i++)
		s += b[i];
	return s;
}

/* ---- e820 ---- */

static void test_e820(void **state)
{
	static uint8_t dummy[1];
	struct guest_mem mem;
	struct boot_e820_entry e[BOOT_E820_MAX];
	unsigned n;

	guest_mem__init(&mem, dummy, 64ULL << 20);
	assert_int_equal(vmm_platform__e820(&mem, e, BOOT_E820_MAX, &n), 0);
	assert_int_equal(n, 5);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, 0x9FC00);
	assert_int_equal(e[0].type, BOOT_E820_RAM);
	assert_int_equal(e[1].addr, 0x9FC00);
	assert_int_equal(e[1].size, 0x400);
	assert_int_equal(e[1].type, BOOT_E820_RESERVED);
	assert_int_equal(e[2].addr, 0xE0000);
	assert_int_equal(e[2].size, 0x20000);
	assert_int_equal(e[2].type, BOOT_E820_RESERVED);
	assert_int_equal(e[3].addr, 0x100000);
	assert_int_equal(e[3].size, (64ULL << 20) - 0x100000);
	assert_int_equal(e[4].addr, 0xE0000000);
	assert_int_equal(e[4].size, 0x20000000);
	assert_int_equal(e[4].type, BOOT_E820_RESERVED);

	/* RAM above the hole continues at 4 GiB (built by hand: no 5 GiB allocation). */
	mem = (struct guest_mem){
		.region = {{0, GUEST_MEM_HOLE_START, dummy}, {GUEST_MEM_HIGH_START, 2ULL << 30, dummy}},
		.nregions = 2,
		.ram_size = GUEST_MEM_HOLE_START + (2ULL << 30)};
	assert_int_equal(vmm_platform__e820(&mem, e, BOOT_E820_MAX, &n), 0);
	assert_int_equal(n, 6);
	assert_int_equal(e[3].size, GUEST_MEM_HOLE_START - 0x100000);
	assert_int_equal(e[5].addr, 0x100000000ULL);
	assert_int_equal(e[5].size, 2ULL << 30);
	assert_int_equal(e[5].type, BOOT_E820_RAM);

	/* Exactly 1 MiB: nothing usable above it. */
	guest_mem__init(&mem, dummy, 1 << 20);
	assert_int_equal(vmm_platform__e820(&mem, e, BOOT_E820_MAX, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(e[3].addr, 0xE0000000);
	/* Too small, too little room. */
	guest_mem__init(&mem, dummy, 512 << 10);
	assert_int_equal(vmm_platform__e820(&mem, e, BOOT_E820_MAX, &n), -EINVAL);
	guest_mem__init(&mem, dummy, 64ULL << 20);
	assert_int_equal(vmm_platform__e820(&mem, e, 3, &n), -ENOSPC);
	assert_int_equal(n, 3);
}

/* ---- MP table ---- */

static void check_mptable(unsigned ncpus)
{
	struct vm vm;
	cella_err_t err = NULL;
	struct mpf_intel *mpf;
	struct mpc_table *mpc;
	uint8_t *p, *end;
	unsigned cpus = 0, buses = 0, ioapics = 0, intsrc = 0, lint = 0;

	vm_init(&vm, RAM);
	assert_int_equal(vmm_platform__write_mptable(&vm.mem, ncpus, &err), 0);
	mpf = gpa(&vm, BOOT_MPTABLE_GPA, sizeof(*mpf));
	assert_memory_equal(mpf->signature, "_MP_", 4);
	assert_int_equal(mpf->length, 1);
	assert_int_equal(mpf->specification, 4);
	assert_int_equal(sum(mpf, 16), 0);
	assert_int_equal(mpf->feature1, 0); /* a configuration table follows */
	mpc = gpa(&vm, mpf->physptr, sizeof(*mpc));
	assert_memory_equal(mpc->signature, "PCMP", 4);
	assert_int_equal(sum(mpc, mpc->length), 0);
	/* CPUs, PCI and ISA buses, IOAPIC, 16 ISA IRQs, 32 slots x 4 PCI pins (test-vmm-mptable-pci), LINT0/1 */
	assert_int_equal(mpc->oemcount, ncpus + 2 + 1 + 16 + 32 * 4 + 2);
	assert_int_equal(mpc->lapic, 0xFEE00000);
	assert_true(mpf->physptr + mpc->length <= BOOT_MPTABLE_END);
	p = (uint8_t *)(mpc + 1);
	end = (uint8_t *)mpc + mpc->length;
	for (unsigned i = 0; i < mpc->oemcount; i++) {
		assert_true(p < end);
		switch (p[0]) {
		case MP_PROCESSOR: {
			struct mpc_cpu c;

			memcpy(&c, p, sizeof(c));
			assert_int_equal(c.apicid, cpus);
			assert_int_equal(c.cpuflag, cpus == 0 ? 3 : 1);
			cpus++;
			p += sizeof(c);
			break;
		}
		case MP_BUS:
			assert_memory_equal(((struct mpc_bus *)p)->bustype, buses == 0 ? "PCI   " : "ISA   ",
					    6);
			assert_int_equal(((struct mpc_bus *)p)->busid, buses);
			buses++;
			p += sizeof(struct mpc_bus);
			break;
		case MP_IOAPIC:
			assert_int_equal(((struct mpc_ioapic *)p)->apicid, ncpus);
			assert_int_equal(((struct mpc_ioapic *)p)->apicaddr, 0xFEC00000);
			ioapics++;
			p += sizeof(struct mpc_ioapic);
			break;
		case MP_INTSRC: {
			struct mpc_intsrc *s = (struct mpc_intsrc *)p;

			p += sizeof(*s);
			if (s->srcbus == 0)
				break; /* PCI INTx: test-vmm-mptable-pci checks those */
			assert_int_equal(s->srcbus, 1);
			assert_int_equal(s->srcbusirq, intsrc);
			assert_int_equal(s->dstirq, intsrc == 0 ? 2 : intsrc);
			assert_int_equal(s->dstapic, ncpus);
			intsrc++;
			break;
		}
		case MP_LINTSRC:
			assert_int_equal(((struct mpc_intsrc *)p)->dstirq, lint);
			assert_int_equal(((struct mpc_intsrc *)p)->irqtype,
					 lint == 0 ? MP_IRQ_EXTINT : MP_IRQ_NMI);
			lint++;
			p += sizeof(struct mpc_intsrc);
			break;
		default:
			fail_msg("unknown MP entry type %u", p[0]);
		}
	}
	assert_ptr_equal(p, end);
	assert_int_equal(cpus, ncpus);
	assert_int_equal(buses, 2);
	assert_int_equal(ioapics, 1);
	assert_int_equal(intsrc, 16);
	assert_int_equal(lint, 2);
	free(vm.ram);
}

static void test_mptable(void **state)
{
	check_mptable(1);
	check_mptable(4);
	check_mptable(PLATFORM_MAX_CPUS);
}

/* ---- ACPI ---- */

struct tables {
	struct acpi_rsdp *rsdp;
	struct acpi_header *xsdt, *rsdt, *fadt, *madt, *mcfg, *dsdt;
	struct acpi_facs *facs;
};

static struct acpi_header *table_at(struct vm *vm, uint64_t addr)
{
	struct acpi_header *h = gpa(vm, addr, sizeof(*h));

	assert_true(addr >= BOOT_ACPI_GPA && addr + h->length <= BOOT_ACPI_END);
	assert_int_equal(sum(gpa(vm, addr, h->length), h->length), 0);
	assert_memory_equal(h->oem_id, "CELLA ", 6);
	return h;
}

static void find_tables(struct vm *vm, uint64_t rsdp_gpa, struct tables *t)
{
	uint64_t entries[3];
	struct acpi_fadt *f;

	t->rsdp = gpa(vm, rsdp_gpa, sizeof(*t->rsdp));
	assert_memory_equal(t->rsdp->signature, "RSD PTR ", 8);
	assert_int_equal(t->rsdp->revision, 2);
	assert_int_equal(t->rsdp->length, 36);
	assert_int_equal(sum(t->rsdp, 20), 0);
	assert_int_equal(sum(t->rsdp, 36), 0);
	t->xsdt = table_at(vm, t->rsdp->xsdt_address);
	assert_memory_equal(t->xsdt->signature, "XSDT", 4);
	assert_int_equal(t->xsdt->length, 36 + 3 * 8);
	memcpy(entries, (uint8_t *)t->xsdt + 36, sizeof(entries));
	t->rsdt = table_at(vm, t->rsdp->rsdt_address);
	assert_memory_equal(t->rsdt->signature, "RSDT", 4);
	assert_int_equal(t->rsdt->length, 36 + 3 * 4);
	for (unsigned i = 0; i < 3; i++) {
		uint32_t e32;

		memcpy(&e32, (uint8_t *)t->rsdt + 36 + 4 * i, 4);
		assert_int_equal(e32, entries[i]);
	}
	t->fadt = table_at(vm, entries[0]);
	t->madt = table_at(vm, entries[1]);
	t->mcfg = table_at(vm, entries[2]);
	assert_memory_equal(t->fadt->signature, "FACP", 4);
	assert_memory_equal(t->madt->signature, "APIC", 4);
	assert_memory_equal(t->mcfg->signature, "MCFG", 4);
	f = (struct acpi_fadt *)t->fadt;
	t->dsdt = table_at(vm, f->x_dsdt);
	assert_memory_equal(t->dsdt->signature, "DSDT", 4);
	t->facs = gpa(vm, f->x_firmware_ctrl, sizeof(*t->facs));
	assert_memory_equal(t->facs->signature, "FACS", 4);
}

static void test_acpi_fadt_mcfg(void **state)
{
	struct vm vm;
	cella_err_t err = NULL;
	uint64_t rsdp = 0;
	struct tables t;
	struct acpi_fadt *f;
	struct acpi_mcfg_entry e;

	vm_init(&vm, RAM);
	assert_int_equal(vmm_platform__write_tables(&vm.mem, 2, PLATFORM_PCI_ALL_SLOTS, &rsdp, &err), 0);
	assert_int_equal(rsdp, BOOT_ACPI_GPA);
	find_tables(&vm, rsdp, &t);
	f = (struct acpi_fadt *)t.fadt;
	assert_int_equal(f->h.length, 276);
	assert_int_equal(f->h.revision, 6);
	assert_int_equal(f->dsdt, f->x_dsdt);
	assert_int_equal(f->firmware_ctrl, 0); /* X_FIRMWARE_CTRL only, as ACPI 5+ requires */
	assert_int_equal(f->x_firmware_ctrl % 64, 0);
	assert_int_equal(t.facs->length, 64);
	assert_int_equal(f->sci_int, 9);
	assert_int_equal(f->smi_cmd, 0);
	assert_int_equal(f->pm1a_evt_blk, 0x600);
	assert_int_equal(f->pm1_evt_len, 4);
	assert_int_equal(f->pm1a_cnt_blk, 0x604);
	assert_int_equal(f->pm1_cnt_len, 2);
	assert_int_equal(f->gpe0_blk, 0x608);
	assert_int_equal(f->x_pm1a_cnt_blk.space_id, 1);
	assert_int_equal(f->x_pm1a_cnt_blk.address, 0x604);
	assert_int_equal(f->x_pm1a_cnt_blk.bit_width, 16);
	assert_int_equal(f->century, 0x32);
	assert_int_equal(f->flags & ACPI_FADT_HW_REDUCED, 0);
	assert_int_equal(f->flags & ACPI_FADT_RESET_REG_SUP, ACPI_FADT_RESET_REG_SUP);
	assert_int_equal(f->reset_reg.space_id, 1);
	assert_int_equal(f->reset_reg.address, 0xCF9);
	assert_int_equal(f->reset_value, 6);
	assert_int_equal(f->iapc_boot_arch & ACPI_IAPC_8042, ACPI_IAPC_8042);
	assert_int_equal(PLATFORM_ACPI_POWEROFF_VALUE, 0x3400);

	assert_int_equal(t.mcfg->length, 36 + 8 + 16);
	memcpy(&e, (uint8_t *)t.mcfg + 44, sizeof(e));
	assert_int_equal(e.base, 0xE0000000);
	assert_int_equal(e.segment, 0);
	assert_int_equal(e.start_bus, 0);
	assert_int_equal(e.end_bus, 255);
	/* The DSDT carries \_S5 with SLP_TYP 5: Name (_S5, Package (4) {5, 5, 0, 0}). */
	assert_non_null(memmem(t.dsdt, t.dsdt->length, "\x08\\_S5_\x12\x08\x04\x0a\x05\x0a\x05\x00\x00", 13));
	free(vm.ram);
}

static void check_madt(unsigned ncpus)
{
	struct vm vm;
	cella_err_t err = NULL;
	uint64_t rsdp = 0;
	struct tables t;
	struct acpi_madt *m;
	uint8_t *p, *end;
	unsigned lapics = 0, ioapics = 0, isos = 0, nmis = 0;

	vm_init(&vm, RAM);
	assert_int_equal(vmm_platform__write_tables(&vm.mem, ncpus, PLATFORM_PCI_ALL_SLOTS, &rsdp, &err), 0);
	find_tables(&vm, rsdp, &t);
	m = (struct acpi_madt *)t.madt;
	assert_int_equal(m->h.length, 44 + 8 * ncpus + 12 + 2 * 10 + 6);
	assert_int_equal(m->lapic_address, 0xFEE00000);
	assert_int_equal(m->flags, 1);
	p = (uint8_t *)(m + 1);
	end = (uint8_t *)m + m->h.length;
	while (p < end) {
		assert_true(p[1] >= 2 && p + p[1] <= end);
		switch (p[0]) {
		case ACPI_MADT_LAPIC: {
			struct acpi_madt_lapic *l = (struct acpi_madt_lapic *)p;

			assert_int_equal(l->apic_id, lapics);
			assert_int_equal(l->processor_uid, lapics);
			assert_int_equal(l->flags, 1);
			lapics++;
			break;
		}
		case ACPI_MADT_IOAPIC: {
			struct acpi_madt_ioapic io;

			memcpy(&io, p, sizeof(io));
			assert_int_equal(io.ioapic_id, ncpus);
			assert_int_equal(io.address, 0xFEC00000);
			assert_int_equal(io.gsi_base, 0);
			ioapics++;
			break;
		}
		case ACPI_MADT_ISO: {
			struct acpi_madt_iso iso;

			memcpy(&iso, p, sizeof(iso));
			if (isos == 0) {
				assert_int_equal(iso.source, 0);
				assert_int_equal(iso.gsi, 2);
				assert_int_equal(iso.flags, 0);
			} else {
				assert_int_equal(iso.source, 9);
				assert_int_equal(iso.gsi, 9);
				assert_int_equal(iso.flags, 0xD); /* active high, level */
			}
			isos++;
			break;
		}
		case ACPI_MADT_LAPIC_NMI:
			nmis++;
			break;
		default:
			fail_msg("unknown MADT entry type %u", p[0]);
		}
		p += p[1];
	}
	assert_int_equal(lapics, ncpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(isos, 2);
	assert_int_equal(nmis, 1);
	free(vm.ram);
}

static void test_acpi_madt(void **state)
{
	check_madt(1);
	check_madt(2);
	check_madt(8);
	check_madt(PLATFORM_MAX_CPUS);
}

static void test_errors(void **state)
{
	struct vm vm;
	_cleanup_error_ cella_err_t err = NULL;
	uint64_t rsdp;

	vm_init(&vm, RAM);
	assert_true(vmm_platform__write_tables(&vm.mem, 0, PLATFORM_PCI_ALL_SLOTS, &rsdp, &err) < 0);
	assert_string_equal(cella_error_string(err), "MP table: 0 vCPUs, supported 1..254");
	cella_error_release(&err);
	assert_true(vmm_platform__write_acpi(&vm.mem, 255, PLATFORM_PCI_ALL_SLOTS, &rsdp, &err) < 0);
	assert_string_equal(cella_error_string(err), "ACPI: 255 vCPUs, supported 1..254");
	cella_error_release(&err);
	free(vm.ram);
	vm_init(&vm, 0xE0000);
	assert_true(vmm_platform__write_tables(&vm.mem, 1, PLATFORM_PCI_ALL_SLOTS, &rsdp, &err) < 0);
	assert_string_equal(cella_error_string(err), "MP table: guest RAM does not reach 0xf0000");
	cella_error_release(&err);
	assert_true(vmm_platform__write_acpi(&vm.mem, 1, PLATFORM_PCI_ALL_SLOTS, &rsdp, &err) < 0);
	assert_string_equal(cella_error_string(err), "ACPI: guest RAM does not reach 0xe0000");
	free(vm.ram);
}

/* ---- AML encoder details ---- */

static void test_aml_encoding(void **state)
{
	struct aml a = {0};
	size_t pkg;

	aml__eisaid(&a, "PNP0A08");
	assert_int_equal(a.len, 5);
	assert_memory_equal(a.data, "\x0c\x41\xd0\x0a\x08", 5);
	a.len = 0;
	aml__integer(&a, 0x1234);
	aml__integer(&a, 0x123456789ULL);
	assert_memory_equal(a.data, "\x0b\x34\x12\x0e\x89\x67\x45\x23\x01\x00\x00\x00", 12);
	a.len = 0;
	aml__name_string(&a, "\\_SB.PCI0");
	assert_memory_equal(a.data, "\\\x2e_SB_PCI0", 10);
	/* PkgLength: one byte below 64, two bytes up to 4 KiB (lead byte 0x4N). */
	a.len = 0;
	pkg = aml__pkg_open(&a);
	for (int i = 0; i < 62; i++)
		aml__byte(&a, 0xAA);
	aml__pkg_close(&a, pkg);
	assert_int_equal(a.data[0], 63);
	assert_int_equal(a.len, 63);
	a.len = 0;
	pkg = aml__pkg_open(&a);
	for (int i = 0; i < 63; i++)
		aml__byte(&a, 0xAA);
	aml__pkg_close(&a, pkg);
	assert_int_equal(a.len, 65);
	assert_int_equal(a.data[0], 0x40 | (65 & 0xf));
	assert_int_equal(a.data[1], 65 >> 4);
	assert_false(a.failed);
	aml__free(&a);
}

/* ---- ACPICA: iasl -d on every table, and the DSDT recompiled ---- */

static int run(const char *dir, const char *cmd, char **output)
{
	_cleanup_free_ char *full = NULL;
	FILE *f;
	size_t cap = 0;
	int st;

	assert_true(asprintf(&full, "cd '%s' && %s 2>&1", dir, cmd) > 0);
	f = popen(full, "r");
	assert_non_null(f);
	*output = NULL;
	if (getdelim(output, &cap, '\0', f) < 0) {
		free(*output);
		*output = strdup("");
	}
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void dump(const char *dir, const char *name, const void *p, size_t len)
{
	_cleanup_free_ char *path = NULL;
	FILE *f;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, len, f), len);
	fclose(f);
}

/* The scratch directory of test_iasl, removed by its teardown whatever the outcome. */
static char iasl_dir[] = "/tmp/cella-acpi-XXXXXX";
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

static void test_iasl(void **state)
{
	static const char *const names[] = {"dsdt", "facp", "apic", "mcfg", "xsdt", "rsdt", "facs"};
	struct vm vm;
	cella_err_t err = NULL;
	uint64_t rsdp = 0;
	struct tables t;
	char *dir = iasl_dir;
	char *out = NULL;

	if (access("/usr/bin/iasl", X_OK) != 0) {
		print_message("iasl not installed (acpica-tools; scripts/install-deps installs it)\n");
		skip();
	}
	vm_init(&vm, RAM);
	assert_int_equal(vmm_platform__write_tables(&vm.mem, 4, PLATFORM_PCI_ALL_SLOTS, &rsdp, &err), 0);
	find_tables(&vm, rsdp, &t);
	assert_non_null(mkdtemp(dir));
	iasl_dir_made = true;
	dump(dir, "dsdt.dat", t.dsdt, t.dsdt->length);
	dump(dir, "facp.dat", t.fadt, t.fadt->length);
	dump(dir, "apic.dat", t.madt, t.madt->length);
	dump(dir, "mcfg.dat", t.mcfg, t.mcfg->length);
	dump(dir, "xsdt.dat", t.xsdt, t.xsdt->length);
	dump(dir, "rsdt.dat", t.rsdt, t.rsdt->length);
	dump(dir, "facs.dat", t.facs, t.facs->length);
	free(vm.ram);

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		_cleanup_free_ char *cmd = NULL;
		int rc;

		assert_true(asprintf(&cmd, "iasl -d %s.dat", names[i]) > 0);
		rc = run(dir, cmd, &out);
		if (rc != 0 || strstr(out, "Error") || strstr(out, "rror ") || strstr(out, "Warning") ||
		    strstr(out, "Invalid") || strstr(out, "checksum"))
			fail_msg("iasl -d %s.dat (exit %d):\n%s", names[i], rc, out);
		free(out);
	}
	/* The disassembled DSDT must compile back without errors or warnings. */
	assert_int_equal(run(dir, "iasl -p dsdt2 dsdt.dsl", &out), 0);
	if (!strstr(out, "0 Errors, 0 Warnings"))
		fail_msg("iasl dsdt.dsl:\n%s", out);
	free(out);
	/* The decoded ASL names what the guest needs. */
	assert_int_equal(run(dir, "cat dsdt.dsl", &out), 0);
	assert_non_null(strstr(out, "Name (\\_S5, Package (0x04)"));
	assert_non_null(strstr(out, "EisaId (\"PNP0501\")"));
	assert_non_null(strstr(out, "EisaId (\"PNP0B00\")"));
	assert_non_null(strstr(out, "EisaId (\"PNP0303\")"));
	assert_non_null(strstr(out, "EisaId (\"PNP0A08\")"));
	assert_non_null(strstr(out, "IO (Decode16,\n                    0x03F8"));
	assert_non_null(strstr(out, "IRQNoFlags ()\n                    {4}"));
	assert_non_null(strstr(out, "0xDFFFFFFF"));
	free(out);
	assert_int_equal(run(dir, "cat apic.dsl", &out), 0);
	assert_non_null(strstr(out, "Local Apic Address : FEE00000"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_e820),
		cmocka_unit_test(test_mptable),
		cmocka_unit_test(test_acpi_fadt_mcfg),
		cmocka_unit_test(test_acpi_madt),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_aml_encoding),
		cmocka_unit_test_teardown(test_iasl, iasl_teardown),
	};

	return cmocka_run_group_tests_name("vmm-platform-tables", tests, NULL, NULL);
}
