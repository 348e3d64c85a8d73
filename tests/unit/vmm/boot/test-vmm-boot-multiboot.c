// SPDX-License-Identifier: GPL-2.0-or-later
/* Multiboot v1 loader: a.out kludge and ELF kernels, multiboot_info, modules, and every rejected header. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <cella/cleanup.h>

#include "boot-test.h"
#include "boot/multiboot.h"

#define AOUT_LOAD 0x200000U
#define AOUT_LEN  0x1000U

static void put_header(uint8_t *p, uint32_t flags, uint32_t header_addr, uint32_t load_addr,
		       uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
	struct multiboot_header h = {
		.magic = MULTIBOOT_HEADER_MAGIC,
		.flags = flags,
		.checksum = -(MULTIBOOT_HEADER_MAGIC + flags),
		.header_addr = header_addr,
		.load_addr = load_addr,
		.load_end_addr = load_end,
		.bss_end_addr = bss_end,
		.entry_addr = entry,
	};

	memcpy(p, &h, sizeof(h));
}

/* An a.out-kludge kernel: header at file offset hoff, AOUT_LEN bytes loaded at AOUT_LOAD, 8 KiB of bss. */
static uint8_t *aout_kernel(size_t hoff)
{
	uint8_t *k = calloc(1, AOUT_LEN);

	assert_non_null(k);
	for (size_t i = 0; i < AOUT_LEN; i++)
		k[i] = (uint8_t)(i ^ 0x5a);
	put_header(k + hoff, MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO | MULTIBOOT_AOUT_KLUDGE,
		   AOUT_LOAD + hoff, AOUT_LOAD, AOUT_LOAD + AOUT_LEN, AOUT_LOAD + AOUT_LEN + 0x2000,
		   AOUT_LOAD + 0x40);
	return k;
}

static struct multiboot_header *hdr_at(uint8_t *k, size_t off)
{
	return (struct multiboot_header *)(k + off);
}

static void fix_checksum(struct multiboot_header *h)
{
	h->checksum = -(h->magic + h->flags);
}

static int load(struct test_vm *vm, const uint8_t *buf, size_t len, const char *initrd, const char *cmdline,
		struct vmm_boot_result *out, cella_err_t *err)
{
	char *path = test_write_file(buf, len);
	struct vmm_boot_request req = {
		.kernel_path = path, .initrd_path = initrd, .cmdline = cmdline, .ncpus = 1};
	int r = vmm_boot__load(&vm->mem, &req, out, err);

	test_remove_file(&path);
	return r;
}

static void check_info(struct test_vm *vm, const struct vmm_boot_result *b, const char *cmdline,
		       const char *initrd_data, size_t initrd_len)
{
	struct multiboot_info *mi = test_gpa(vm, b->rbx, sizeof(*mi));
	struct multiboot_mmap_entry *mm;

	assert_int_equal(b->mode, VMM_ENTRY_MULTIBOOT32);
	assert_string_equal(b->format, "multiboot");
	assert_int_equal(b->rax, 0x2BADB002);
	assert_int_equal(b->rbx, BOOT_START_INFO_GPA);
	assert_int_equal(mi->flags, MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS |
					    MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_LOADER_NAME);
	assert_int_equal(mi->mem_lower, 639);
	assert_int_equal(mi->mem_upper, (TEST_RAM - 0x100000) / 1024);
	assert_string_equal((char *)test_gpa(vm, mi->cmdline, strlen(cmdline) + 1), cmdline);
	assert_string_equal((char *)test_gpa(vm, mi->boot_loader_name, 6), "cella");
	assert_int_equal(mi->mmap_length, 5 * 24);
	mm = test_gpa(vm, mi->mmap_addr, mi->mmap_length);
	assert_int_equal(mm[0].size, 20);
	assert_int_equal(mm[0].addr, 0);
	assert_int_equal(mm[0].len, 0x9FC00);
	assert_int_equal(mm[0].type, 1);
	assert_int_equal(mm[3].addr, 0x100000);
	assert_int_equal(mm[3].len, TEST_RAM - 0x100000);
	assert_int_equal(mm[4].type, 2);
	if (initrd_data) {
		struct multiboot_mod *mod = test_gpa(vm, mi->mods_addr, sizeof(*mod));

		assert_int_equal(mi->mods_count, 1);
		assert_int_equal(mod->mod_end - mod->mod_start, initrd_len);
		assert_int_equal(mod->mod_start % 4096, 0);
		assert_true(mod->mod_start >= b->kernel_end);
		assert_memory_equal(test_gpa(vm, mod->mod_start, initrd_len), initrd_data, initrd_len);
		assert_string_equal((char *)test_gpa(vm, mod->string, 1), "");
	} else {
		assert_int_equal(mi->mods_count, 0);
	}
}

static void test_aout_kludge(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	_cleanup_free_ uint8_t *k = aout_kernel(0x100);
	static const char env[] = "NR_CPUS=1\n";
	char *initrd = test_write_file(env, sizeof(env) - 1);
	uint8_t *img, *gdt;

	test_vm_init(&vm, TEST_RAM);
	/* Poison where the bss goes: the loader must zero it. */
	memset(test_gpa(&vm, AOUT_LOAD + AOUT_LEN, 0x2000), 0xcc, 0x2000);
	assert_int_equal(load(&vm, k, AOUT_LEN, initrd, "test args", &b, &err), 0);
	assert_int_equal(b.entry, AOUT_LOAD + 0x40);
	assert_int_equal(b.kernel_start, AOUT_LOAD);
	assert_int_equal(b.kernel_end, AOUT_LOAD + AOUT_LEN + 0x2000);
	img = test_gpa(&vm, AOUT_LOAD, AOUT_LEN + 0x2000);
	assert_memory_equal(img, k, AOUT_LEN);
	assert_int_equal(img[AOUT_LEN], 0);
	assert_int_equal(img[AOUT_LEN + 0x1fff], 0);
	check_info(&vm, &b, "test args", env, sizeof(env) - 1);
	/* 32-bit flat code segment in the GDT. */
	gdt = test_gpa(&vm, BOOT_GDT_GPA, 48);
	assert_int_equal(((uint64_t *)gdt)[2], 0x00cf9b000000ffffULL);
	test_remove_file(&initrd);
	test_vm_free(&vm);
}

static void test_aout_load_to_end_of_file(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	_cleanup_free_ uint8_t *k = aout_kernel(0);

	/* load_end_addr 0: the rest of the file; bss_end_addr 0: no bss. */
	hdr_at(k, 0)->load_end_addr = 0;
	hdr_at(k, 0)->bss_end_addr = 0;
	test_vm_init(&vm, TEST_RAM);
	assert_int_equal(load(&vm, k, AOUT_LEN, NULL, NULL, &b, &err), 0);
	assert_int_equal(b.kernel_end, AOUT_LOAD + AOUT_LEN);
	check_info(&vm, &b, "", NULL, 0);
	test_vm_free(&vm);
}

static void test_elf_kernel(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	uint8_t code[0x800] = {0};
	struct test_seg seg = {.paddr = 0x400000, .data = code, .filesz = sizeof(code), .memsz = 0x1000};
	struct test_elf_opts o = {.is64 = false, .e_entry = 0x400020};
	size_t len;
	_cleanup_free_ uint8_t *elf = NULL;
	static const char env[] = "A=1";
	char *initrd = test_write_file(env, 3);

	put_header(code, MULTIBOOT_MEMORY_INFO, 0, 0, 0, 0, 0);
	code[0x20] = 0xf4;
	elf = test_make_elf(&o, &seg, 1, &len);
	test_vm_init(&vm, TEST_RAM);
	assert_int_equal(load(&vm, elf, len, initrd, "x", &b, &err), 0);
	assert_int_equal(b.entry, 0x400020);
	assert_int_equal(*(uint8_t *)test_gpa(&vm, 0x400020, 1), 0xf4);
	assert_int_equal(b.kernel_end, 0x401000);
	check_info(&vm, &b, "x", env, 3);
	test_remove_file(&initrd);
	test_vm_free(&vm);
}

/* An ELF with both a PVH note and a Multiboot header boots via PVH. */
static void test_pvh_note_wins(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	uint8_t code[0x100] = {0};
	struct test_seg seg = {
		.paddr = 0x400000, .data = code, .filesz = sizeof(code), .memsz = sizeof(code)};
	struct test_elf_opts o = {
		.is64 = false, .e_entry = 0x400020, .pvh_note = true, .pvh_entry = 0x400040};
	size_t len;
	_cleanup_free_ uint8_t *elf = NULL;

	put_header(code, MULTIBOOT_MEMORY_INFO, 0, 0, 0, 0, 0);
	elf = test_make_elf(&o, &seg, 1, &len);
	test_vm_init(&vm, TEST_RAM);
	assert_int_equal(load(&vm, elf, len, NULL, NULL, &b, &err), 0);
	assert_string_equal(b.format, "pvh-elf");
	assert_int_equal(b.entry, 0x400040);
	test_vm_free(&vm);
}

static void expect_error(const uint8_t *buf, size_t len, const char *msg)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	_cleanup_error_ cella_err_t err = NULL;
	char *path = test_write_file(buf, len);
	struct vmm_boot_request req = {.kernel_path = path, .ncpus = 1};
	_cleanup_free_ char *expected = test_subst_path(msg, path);

	test_vm_init(&vm, TEST_RAM);
	assert_true(vmm_boot__load(&vm.mem, &req, &b, &err) < 0);
	assert_non_null(err);
	assert_string_equal(cella_error_string(err), expected);
	test_remove_file(&path);
	test_vm_free(&vm);
}

static void test_header_errors(void **state)
{
	_cleanup_free_ uint8_t *k = aout_kernel(0x100);
	struct multiboot_header *h = hdr_at(k, 0x100), saved = *h;

	h->checksum++;
	expect_error(k, AOUT_LEN, "%s: Multiboot header at 0x100: bad checksum 0xe4514ffc");
	*h = saved;
	h->flags |= MULTIBOOT_VIDEO_MODE;
	fix_checksum(h);
	expect_error(k, AOUT_LEN,
		     "%s: Multiboot kernel requires a video mode (flag bit 2); cella has no framebuffer");
	*h = saved;
	h->flags |= 1U << 5;
	fix_checksum(h);
	expect_error(k, AOUT_LEN, "%s: Multiboot kernel requires unsupported features (flags 0x00010023)");
	*h = saved;
	h->header_addr = AOUT_LOAD - 4;
	expect_error(k, AOUT_LEN,
		     "%s: Multiboot header_addr 0x1ffffc / load_addr 0x200000 do not match the header's file "
		     "offset "
		     "0x100");
	h->header_addr = AOUT_LOAD + 0x200;
	expect_error(k, AOUT_LEN,
		     "%s: Multiboot header_addr 0x200200 / load_addr 0x200000 do not match the header's file "
		     "offset "
		     "0x100");
	*h = saved;
	h->load_end_addr = AOUT_LOAD - 1;
	expect_error(k, AOUT_LEN, "%s: Multiboot load_end_addr 0x1fffff is below load_addr 0x200000");
	h->load_end_addr = AOUT_LOAD + AOUT_LEN + 1;
	expect_error(k, AOUT_LEN,
		     "%s: truncated: Multiboot load_end_addr 0x201001 needs 4097 bytes from offset 0x0, the "
		     "file has "
		     "4096");
	*h = saved;
	h->bss_end_addr = AOUT_LOAD + 4;
	expect_error(k, AOUT_LEN,
		     "%s: Multiboot bss_end_addr 0x200004 is below the loaded image's end 0x201000");
	*h = saved;
	h->entry_addr = AOUT_LOAD + AOUT_LEN + 0x2000;
	expect_error(k, AOUT_LEN, "%s: Multiboot entry_addr 0x203000 is outside the image 0x200000-0x203000");
	*h = saved;
	h->bss_end_addr = 0xfffff000;
	expect_error(
		k, AOUT_LEN,
		"%s: Multiboot image at 0x200000, 4292866048 bytes, is outside guest RAM (0x4000000 bytes "
		"below 4 GiB)");
	*h = saved;
	/* Loading below 1 MiB would overwrite the boot structures. */
	h->header_addr = 0x8100;
	h->load_addr = 0x8000;
	h->load_end_addr = 0x9000;
	h->bss_end_addr = 0;
	h->entry_addr = 0x8000;
	expect_error(k, AOUT_LEN,
		     "%s: Multiboot load_addr 0x8000 is below 1 MiB, where the boot structures live");
	*h = saved;
	/* The a.out header cut off by the end of the file. */
	expect_error(k, 0x110, "%s: truncated Multiboot header at 0x100");
	/* No kludge, not ELF. */
	h->flags = MULTIBOOT_MEMORY_INFO;
	fix_checksum(h);
	expect_error(k, AOUT_LEN, "%s: Multiboot kernel is not ELF and sets no a.out kludge (flag bit 16)");
}

static void test_elf_entry_outside(void **state)
{
	uint8_t code[0x100] = {0};
	struct test_seg seg = {
		.paddr = 0x400000, .data = code, .filesz = sizeof(code), .memsz = sizeof(code)};
	struct test_elf_opts o = {.is64 = false, .e_entry = 0x500000};
	size_t len;
	_cleanup_free_ uint8_t *elf = NULL;

	put_header(code, 0, 0, 0, 0, 0, 0);
	elf = test_make_elf(&o, &seg, 1, &len);
	expect_error(elf, len, "%s: ELF entry 0x500000 is outside the loaded segments 0x400000-0x400100");
}

/* The header must be in the first 8 KiB, 4-byte aligned. */
static void test_header_search_window(void **state)
{
	_cleanup_free_ uint8_t *k = calloc(1, 0x3000);

	assert_non_null(k);
	put_header(k + 0x2000, MULTIBOOT_AOUT_KLUDGE, AOUT_LOAD + 0x2000, AOUT_LOAD, 0, 0, AOUT_LOAD);
	expect_error(k, 0x3000, "%s: not a bzImage, PVH ELF or Multiboot kernel");
	memmove(k + 0x1ff2, k + 0x2000, 32);
	memset(k + 0x2000, 0, 32);
	expect_error(k, 0x3000, "%s: not a bzImage, PVH ELF or Multiboot kernel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aout_kludge),	     cmocka_unit_test(test_aout_load_to_end_of_file),
		cmocka_unit_test(test_elf_kernel),	     cmocka_unit_test(test_pvh_note_wins),
		cmocka_unit_test(test_header_errors),	     cmocka_unit_test(test_elf_entry_outside),
		cmocka_unit_test(test_header_search_window),
	};

	return cmocka_run_group_tests_name("vmm-boot-multiboot", tests, NULL, test_remove_leftovers);
}
