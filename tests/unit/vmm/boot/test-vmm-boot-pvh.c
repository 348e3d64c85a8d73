// SPDX-License-Identifier: GPL-2.0-or-later
/* PVH ELF loader: placement, hvm_start_info, modules, memory map, and every rejected header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>

#include <cella/cleanup.h>

#include "boot-test.h"
#include "boot/pvh.h"

/* Loads an in-memory kernel through vmm_boot__load (via a temp file). */
static int load_buf(struct test_vm *vm, const uint8_t *buf, size_t len, const char *initrd,
		    const char *cmdline, struct vmm_boot_result *out, cella_err_t *err)
{
	char *path = test_write_file(buf, len);
	struct vmm_boot_request req = {
		.kernel_path = path, .initrd_path = initrd, .cmdline = cmdline, .ncpus = 2};
	int r = vmm_boot__load(&vm->mem, &req, out, err);

	test_remove_file(&path);
	return r;
}

static void check_pvh_boot(bool is64)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_pvh_vmlinux(is64, &len);
	static const char initrd_data[] = "initrd contents";
	char *initrd = test_write_file(initrd_data, sizeof(initrd_data));
	struct hvm_start_info *si;
	struct hvm_modlist_entry *mod;
	struct hvm_memmap_table_entry *mm;
	uint8_t *k;

	test_vm_init(&vm, TEST_RAM);
	assert_int_equal(load_buf(&vm, elf, len, initrd, "console=ttyS0 quiet", &b, &err), 0);
	assert_null(err);
	assert_int_equal(b.mode, VMM_ENTRY_PVH32);
	assert_string_equal(b.format, "pvh-elf");
	assert_int_equal(b.entry, TEST_PVH_ENTRY);
	assert_int_equal(b.rbx, BOOT_START_INFO_GPA);
	assert_int_equal(b.gdt_gpa, BOOT_GDT_GPA);
	assert_int_equal(b.pml4_gpa, 0);
	assert_int_equal(b.kernel_start, TEST_PVH_LOAD);
	assert_int_equal(b.kernel_end, TEST_PVH_LOAD + 0x3000);

	/* Segment copied, bss zeroed (RAM was poisoned where the bss lands? calloc: check a copied byte). */
	k = test_gpa(&vm, TEST_PVH_LOAD, 0x3000);
	assert_int_equal(k[0], 1);
	assert_int_equal(k[5], (uint8_t)(5 * 7 + 1));
	assert_int_equal(k[0x1000], 0);

	si = test_gpa(&vm, BOOT_START_INFO_GPA, sizeof(*si));
	assert_int_equal(si->magic, HVM_START_MAGIC);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->cmdline_paddr, BOOT_CMDLINE_GPA);
	assert_string_equal((char *)test_gpa(&vm, si->cmdline_paddr, 20), "console=ttyS0 quiet");
	assert_int_equal(si->rsdp_paddr, BOOT_ACPI_GPA);
	assert_int_equal(b.rsdp_gpa, BOOT_ACPI_GPA);
	assert_memory_equal(test_gpa(&vm, si->rsdp_paddr, 8), "RSD PTR ", 8);

	assert_int_equal(si->nr_modules, 1);
	mod = test_gpa(&vm, si->modlist_paddr, sizeof(*mod));
	assert_int_equal(mod->size, sizeof(initrd_data));
	assert_int_equal(mod->paddr % 4096, 0);
	assert_true(mod->paddr >= TEST_PVH_LOAD + 0x3000);
	assert_true(mod->paddr + mod->size <= TEST_RAM);
	assert_memory_equal(test_gpa(&vm, mod->paddr, mod->size), initrd_data, sizeof(initrd_data));
	assert_int_equal(b.initrd_gpa, mod->paddr);

	/* e820: low RAM, EBDA, BIOS area, RAM from 1 MiB, reserved MMIO. */
	assert_int_equal(si->memmap_entries, 5);
	mm = test_gpa(&vm, si->memmap_paddr, si->memmap_entries * sizeof(*mm));
	assert_int_equal(mm[0].addr, 0);
	assert_int_equal(mm[0].size, 0x9FC00);
	assert_int_equal(mm[0].type, 1);
	assert_int_equal(mm[3].addr, 0x100000);
	assert_int_equal(mm[3].size, TEST_RAM - 0x100000);
	assert_int_equal(mm[3].type, 1);
	assert_int_equal(mm[4].addr, 0xE0000000);
	assert_int_equal(mm[4].type, 2);

	test_remove_file(&initrd);
	test_vm_free(&vm);
}

static void test_pvh_elf64(void **state)
{
	check_pvh_boot(true);
}

static void test_pvh_elf32(void **state)
{
	check_pvh_boot(false);
}

static void test_pvh_no_initrd(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_pvh_vmlinux(true, &len);
	struct hvm_start_info *si;

	test_vm_init(&vm, TEST_RAM);
	assert_int_equal(load_buf(&vm, elf, len, NULL, NULL, &b, &err), 0);
	si = test_gpa(&vm, BOOT_START_INFO_GPA, sizeof(*si));
	assert_int_equal(si->nr_modules, 0);
	assert_int_equal(si->modlist_paddr, 0);
	assert_string_equal((char *)test_gpa(&vm, si->cmdline_paddr, 1), "");
	assert_int_equal(b.initrd_size, 0);
	test_vm_free(&vm);
}

/* Loads buf and expects failure with exactly msg, where "%s" stands for the temp file's path. */
static void expect_load_error(const uint8_t *buf, size_t len, const char *cmdline, uint64_t ram,
			      const char *msg)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	_cleanup_error_ cella_err_t err = NULL;
	char *path = test_write_file(buf, len);
	struct vmm_boot_request req = {.kernel_path = path, .cmdline = cmdline, .ncpus = 1};
	_cleanup_free_ char *expected = NULL;

	test_vm_init(&vm, ram);
	assert_true(vmm_boot__load(&vm.mem, &req, &b, &err) < 0);
	assert_non_null(err);
	expected = test_subst_path(msg, path);
	assert_string_equal(cella_error_string(err), expected);
	test_remove_file(&path);
	test_vm_free(&vm);
}

static void test_pvh_truncated(void **state)
{
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_pvh_vmlinux(true, &len);

	/* Cut inside the segment data: the segment runs past the end of the file. */
	expect_load_error(elf, len - 100, NULL, TEST_RAM,
			  "%s: segment 0 (offset 0xc8, size 0x1000) past the end of the file (4196 bytes)");
	/* Cut inside the ELF header. */
	expect_load_error(elf, 40, NULL, TEST_RAM, "%s: truncated ELF header");
	/* Cut inside the program headers. */
	expect_load_error(elf, 70, NULL, TEST_RAM,
			  "%s: program headers (e_phoff 0x40, 2 entries) past the end of the file");
}

static void test_pvh_segment_outside_ram(void **state)
{
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_pvh_vmlinux(true, &len);

	/* 8 MiB of RAM cannot hold a segment at 16 MiB. */
	expect_load_error(
		elf, len, NULL, 8ULL << 20,
		"%s: segment 0 at 0x1000000, 12288 bytes, is outside guest RAM (0x800000 bytes below 4 GiB)");
}

static void test_pvh_overflowing_sizes(void **state)
{
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_pvh_vmlinux(true, &len);
	Elf64_Phdr *ph = (Elf64_Phdr *)(elf + sizeof(Elf64_Ehdr));

	/* p_paddr + p_memsz wraps around 2^64. */
	ph->p_memsz = UINT64_MAX - 0x100;
	expect_load_error(
		elf, len, NULL, TEST_RAM,
		"%s: segment 0 at 0x1000000, 18446744073709551359 bytes, is outside guest RAM (0x4000000 "
		"bytes below 4 GiB)");
	/* p_offset + p_filesz wraps. */
	ph->p_memsz = 0x3000;
	ph->p_offset = UINT64_MAX - 10;
	expect_load_error(elf, len, NULL, TEST_RAM,
			  "%s: segment 0 (offset 0xfffffffffffffff5, size 0x1000) past the end of the file "
			  "(4296 bytes)");
	/* filesz > memsz */
	ph->p_offset = 0xc8;
	ph->p_filesz = 0x4000;
	expect_load_error(elf, len, NULL, TEST_RAM, "%s: segment 0: p_filesz 0x4000 > p_memsz 0x3000");
	/* A note whose descsz overruns its segment. */
	ph->p_filesz = 0x1000;
	memset(elf + 0xb0 + 4, 0xff, 4);
	expect_load_error(elf, len, NULL, TEST_RAM, "%s: note segment 1: note at 0xb0 overruns the segment");
	/* Too many program headers. */
	((Elf64_Ehdr *)elf)->e_phnum = 1000;
	expect_load_error(elf, len, NULL, TEST_RAM, "%s: e_phnum 1000 (expected 1..256)");
}

static void test_pvh_segment_below_1mib(void **state)
{
	static uint8_t code[16];
	struct test_seg seg = {.paddr = 0x7000, .data = code, .filesz = sizeof(code), .memsz = sizeof(code)};
	struct test_elf_opts o = {.is64 = true, .pvh_note = true, .pvh_entry = 0x7000};
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_elf(&o, &seg, 1, &len);

	expect_load_error(elf, len, NULL, TEST_RAM,
			  "%s: segment 0 at 0x7000 is below 1 MiB, where the boot structures live");
}

static void test_pvh_entry_outside(void **state)
{
	static uint8_t code[16];
	struct test_seg seg = {
		.paddr = 0x200000, .data = code, .filesz = sizeof(code), .memsz = sizeof(code)};
	struct test_elf_opts o = {.is64 = true, .pvh_note = true, .pvh_entry = 0x300000};
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_elf(&o, &seg, 1, &len);

	expect_load_error(elf, len, NULL, TEST_RAM,
			  "%s: PVH entry 0x300000 is outside the loaded segments 0x200000-0x200010");
}

static void test_elf_without_note(void **state)
{
	static uint8_t code[16];
	struct test_seg seg = {
		.paddr = 0x200000, .data = code, .filesz = sizeof(code), .memsz = sizeof(code)};
	struct test_elf_opts o = {.is64 = true};
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_elf(&o, &seg, 1, &len);

	expect_load_error(elf, len, NULL, TEST_RAM,
			  "%s: not a bzImage, PVH ELF or Multiboot kernel (ELF without a "
			  "XEN_ELFNOTE_PHYS32_ENTRY note)");
}

static void test_no_format(void **state)
{
	uint8_t junk[4096];

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 13);
	expect_load_error(junk, sizeof(junk), NULL, TEST_RAM,
			  "%s: not a bzImage, PVH ELF or Multiboot kernel");
	expect_load_error(junk, 0, NULL, TEST_RAM, "%s: not a bzImage, PVH ELF or Multiboot kernel");
}

static void test_cmdline_too_long(void **state)
{
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_pvh_vmlinux(true, &len);
	_cleanup_free_ char *cmdline = malloc(5000);

	assert_non_null(cmdline);
	memset(cmdline, 'x', 4999);
	cmdline[4999] = '\0';
	expect_load_error(elf, len, cmdline, TEST_RAM,
			  "kernel command line: 4999 bytes, more than the 4095 allowed (cella's cap)");
}

static void test_missing_files(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	_cleanup_error_ cella_err_t err = NULL;
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_pvh_vmlinux(true, &len);
	char *path = test_write_file(elf, len);
	struct vmm_boot_request req = {.kernel_path = "/nonexistent/vmlinux", .ncpus = 1};
	_cleanup_free_ char *expected = NULL;

	test_vm_init(&vm, TEST_RAM);
	assert_true(vmm_boot__load(&vm.mem, &req, &b, &err) < 0);
	assert_string_equal(cella_error_string(err), "/nonexistent/vmlinux: open: No such file or directory");
	cella_error_release(&err);

	req.kernel_path = "/tmp";
	assert_true(vmm_boot__load(&vm.mem, &req, &b, &err) < 0);
	assert_string_equal(cella_error_string(err), "/tmp: not a regular file");
	cella_error_release(&err);

	req.kernel_path = path;
	req.initrd_path = "/nonexistent/initrd";
	assert_true(vmm_boot__load(&vm.mem, &req, &b, &err) < 0);
	assert_string_equal(cella_error_string(err), "/nonexistent/initrd: open: No such file or directory");
	cella_error_release(&err);

	/* A sparse file just over the 512 MiB cap: refused before anything is read. */
	req.initrd_path = NULL;
	assert_int_equal(truncate(path, (512LL << 20) + 1), 0);
	assert_true(vmm_boot__load(&vm.mem, &req, &b, &err) < 0);
	expected = test_subst_path("%s: 536870913 bytes, more than the 512 MiB a kernel may have", path);
	assert_string_equal(cella_error_string(err), expected);
	cella_error_release(&err);
	assert_int_equal(truncate(path, 0), 0);
	{
		int fd = open(path, O_WRONLY);

		assert_true(fd >= 0);
		assert_int_equal(write(fd, elf, len), (ssize_t)len);
		close(fd);
	}

	/* Less than 2 MiB of RAM. */
	{
		struct test_vm small;

		test_vm_init(&small, 1 << 20);
		assert_true(vmm_boot__load(&small.mem, &req, &b, &err) < 0);
		assert_string_equal(cella_error_string(err),
				    "guest RAM of 1048576 bytes is too small to boot (2 MiB at least)");
		cella_error_release(&err);
		test_vm_free(&small);
	}

	req.ncpus = 0;
	assert_true(vmm_boot__load(&vm.mem, &req, &b, &err) < 0);
	assert_string_equal(cella_error_string(err), "MP table: 0 vCPUs, supported 1..254");
	test_remove_file(&path);
	test_vm_free(&vm);
}

static void test_initrd_too_big(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	_cleanup_error_ cella_err_t err = NULL;
	size_t len;
	_cleanup_free_ uint8_t *elf = test_make_pvh_vmlinux(true, &len);
	_cleanup_free_ uint8_t *big = calloc(1, 16ULL << 20);
	char *path = test_write_file(elf, len), *initrd;
	struct vmm_boot_request req = {.kernel_path = path, .ncpus = 1};
	_cleanup_free_ char *expected = NULL;

	assert_non_null(big);
	initrd = test_write_file(big, 16ULL << 20);
	req.initrd_path = initrd;
	/* 24 MiB of RAM: the kernel ends at 16 MiB + 12 KiB, 16 MiB of initrd cannot follow. */
	test_vm_init(&vm, 24ULL << 20);
	assert_true(vmm_boot__load(&vm.mem, &req, &b, &err) < 0);
	assert_true(
		asprintf(&expected,
			 "%s: initrd of 16777216 bytes does not fit in guest RAM between the kernel's end "
			 "0x1003000 and 0x1800000",
			 initrd) > 0);
	assert_string_equal(cella_error_string(err), expected);
	test_remove_file(&path);
	test_remove_file(&initrd);
	test_vm_free(&vm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pvh_elf64),
		cmocka_unit_test(test_pvh_elf32),
		cmocka_unit_test(test_pvh_no_initrd),
		cmocka_unit_test(test_pvh_truncated),
		cmocka_unit_test(test_pvh_segment_outside_ram),
		cmocka_unit_test(test_pvh_overflowing_sizes),
		cmocka_unit_test(test_pvh_segment_below_1mib),
		cmocka_unit_test(test_pvh_entry_outside),
		cmocka_unit_test(test_elf_without_note),
		cmocka_unit_test(test_no_format),
		cmocka_unit_test(test_cmdline_too_long),
		cmocka_unit_test(test_missing_files),
		cmocka_unit_test(test_initrd_too_big),
	};

	return cmocka_run_group_tests_name("vmm-boot-pvh", tests, NULL, test_remove_leftovers);
}
