// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bzImage loader: the 64-bit boot protocol (zero page, page tables, GDT,
 * initrd placement) and the host-side route for xz/zstd/gzip payloads that
 * hold a PVH vmlinux; every rejected header field.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include <cella/cleanup.h>

#include "boot-test.h"
#include "boot/pvh.h"

#define PM_LEN 0x2000 /* protected-mode kernel of the plain test bzImage */

/* A bzImage whose protected-mode part is PM_LEN bytes of pattern and no payload. */
static uint8_t *plain_bzimage(size_t *len)
{
	uint8_t pm[PM_LEN];

	for (size_t i = 0; i < sizeof(pm); i++)
		pm[i] = (uint8_t)(i * 3 + 5);
	return test_make_bzimage(0x20f, pm, sizeof(pm), 0, 0, len);
}

static struct setup_header *hdr_of(uint8_t *bz)
{
	return (struct setup_header *)(bz + BP_SETUP_HEADER);
}

static int load_path(struct test_vm *vm, const char *path, const char *initrd, const char *cmdline,
		     bool no_host, struct vmm_boot_result *out, cella_err_t *err)
{
	struct vmm_boot_request req = {.kernel_path = path,
				       .initrd_path = initrd,
				       .cmdline = cmdline,
				       .ncpus = 1,
				       .no_host_decompress = no_host};

	return vmm_boot__load(&vm->mem, &req, out, err);
}

static void test_linux64(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	size_t len;
	_cleanup_free_ uint8_t *bz = plain_bzimage(&len);
	char *path = test_write_file(bz, len);
	static const char initrd_data[] = "0123456789";
	char *initrd = test_write_file(initrd_data, sizeof(initrd_data));
	uint8_t *zp, *k;
	struct setup_header h;
	struct boot_e820_entry e820[5];
	uint64_t *pml4, *pdpt, *pd, *gdt;

	test_vm_init(&vm, TEST_RAM);
	assert_int_equal(load_path(&vm, path, initrd, "root=/dev/vda", false, &b, &err), 0);
	assert_int_equal(b.mode, VMM_ENTRY_LINUX64);
	assert_string_equal(b.format, "bzimage");
	assert_int_equal(b.entry, TEST_BZ_PREF + 0x200);
	assert_int_equal(b.rsi, BOOT_ZERO_PAGE_GPA);
	assert_int_equal(b.pml4_gpa, BOOT_PML4_GPA);
	assert_int_equal(b.gdt_gpa, BOOT_GDT_GPA);
	assert_int_equal(b.kernel_start, TEST_BZ_PREF);
	assert_int_equal(b.kernel_end, TEST_BZ_PREF + TEST_BZ_INIT_SIZE);

	/* Protected-mode kernel copied to pref_address. */
	k = test_gpa(&vm, TEST_BZ_PREF, PM_LEN);
	assert_memory_equal(k, bz + TEST_BZ_SETUP_SIZE, PM_LEN);

	/* Zero page: the file's header plus what the loader fills in. */
	zp = test_gpa(&vm, BOOT_ZERO_PAGE_GPA, 4096);
	memcpy(&h, zp + BP_SETUP_HEADER, sizeof(h));
	assert_int_equal(h.header, BP_HDRS_MAGIC);
	assert_int_equal(h.version, 0x20f);
	assert_int_equal(h.type_of_loader, 0xff);
	assert_int_equal(h.cmd_line_ptr, BOOT_CMDLINE_GPA);
	assert_string_equal((char *)test_gpa(&vm, h.cmd_line_ptr, 14), "root=/dev/vda");
	assert_int_equal(h.ramdisk_size, sizeof(initrd_data));
	assert_int_equal(h.ramdisk_image % 4096, 0);
	assert_true(h.ramdisk_image >= TEST_BZ_PREF + TEST_BZ_INIT_SIZE);
	assert_true(h.ramdisk_image + h.ramdisk_size <= TEST_RAM);
	assert_memory_equal(test_gpa(&vm, h.ramdisk_image, sizeof(initrd_data)), initrd_data,
			    sizeof(initrd_data));
	assert_int_equal(b.initrd_gpa, h.ramdisk_image);
	assert_int_equal(zp[BP_E820_ENTRIES], 5);
	memcpy(e820, zp + BP_E820_TABLE, sizeof(e820));
	assert_int_equal(e820[0].addr, 0);
	assert_int_equal(e820[0].size, 0x9FC00);
	assert_int_equal(e820[3].addr, 0x100000);
	assert_int_equal(e820[3].size, TEST_RAM - 0x100000);
	assert_int_equal(e820[3].type, BOOT_E820_RAM);
	assert_int_equal(e820[4].addr, 0xE0000000);
	assert_int_equal(e820[4].size, 0x20000000);
	assert_int_equal(e820[4].type, BOOT_E820_RESERVED);
	/* Nothing from the file beyond the header (0x268) leaks into the zero page. */
	assert_int_equal(zp[0x268], 0);

	/* Identity map of 4 GiB in 2 MiB pages. */
	pml4 = test_gpa(&vm, BOOT_PML4_GPA, 4096);
	pdpt = test_gpa(&vm, BOOT_PDPT_GPA, 4096);
	pd = test_gpa(&vm, BOOT_PD_GPA, 4 * 4096);
	assert_int_equal(pml4[0], BOOT_PDPT_GPA | 3);
	assert_int_equal(pml4[1], 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pdpt[i], (BOOT_PD_GPA + i * 4096) | 3);
	assert_int_equal(pdpt[4], 0);
	assert_int_equal(pd[0], 0x83);
	assert_int_equal(pd[1], 0x200000 | 0x83);
	assert_int_equal(pd[2047], 0xFFE00000ULL | 0x83);

	/* GDT: flat 64-bit code at 0x10, data at 0x18. */
	gdt = test_gpa(&vm, BOOT_GDT_GPA, 48);
	assert_int_equal(gdt[0], 0);
	assert_int_equal(gdt[2], 0x00af9b000000ffffULL);
	assert_int_equal(gdt[3], 0x00cf93000000ffffULL);

	test_remove_file(&path);
	test_remove_file(&initrd);
	test_vm_free(&vm);
}

static void test_initrd_addr_max(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	size_t len;
	_cleanup_free_ uint8_t *bz = plain_bzimage(&len);
	char *path, *initrd;
	uint8_t data[5000] = {1};

	hdr_of(bz)->initrd_addr_max = 0x1ffffff; /* 32 MiB - 1 */
	path = test_write_file(bz, len);
	initrd = test_write_file(data, sizeof(data));
	test_vm_init(&vm, TEST_RAM);
	assert_int_equal(load_path(&vm, path, initrd, NULL, false, &b, &err), 0);
	assert_int_equal(b.initrd_size, sizeof(data));
	assert_int_equal(b.initrd_gpa, (0x2000000 - sizeof(data)) & ~0xfffULL);
	test_remove_file(&path);
	test_remove_file(&initrd);
	test_vm_free(&vm);
}

/* ---- host-side decompression ---- */

enum codec { CODEC_XZ, CODEC_ZSTD, CODEC_GZIP, CODEC_LZMA, CODEC_LZ4 };

/* LZ4 legacy frame with one literal-only block: valid LZ4 without an encoder library. */
static size_t lz4_literal_frame(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t o = 8, rest;
	uint32_t magic = 0x184C2102, csize;

	assert_true(len >= 15);
	memcpy(out, &magic, 4);
	out[o++] = 0xF0; /* 15+ literals, no match */
	for (rest = len - 15; rest >= 255; rest -= 255)
		out[o++] = 255;
	out[o++] = rest;
	memcpy(out + o, in, len);
	o += len;
	csize = o - 8;
	memcpy(out + 4, &csize, 4);
	return o;
}

static uint8_t *compress_buf(enum codec c, const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = len + len / 2 + 1024;
	uint8_t *out = malloc(cap);

	assert_non_null(out);
	if (c == CODEC_XZ) {
		size_t pos = 0;

		assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len, out, &pos, cap),
				 LZMA_OK);
		*out_len = pos;
	} else if (c == CODEC_ZSTD) {
		size_t r = ZSTD_compress(out, cap, in, len, 3);

		assert_false(ZSTD_isError(r));
		*out_len = r;
	} else if (c == CODEC_LZMA) {
		lzma_stream ls = LZMA_STREAM_INIT;
		lzma_options_lzma opt;

		assert_false(lzma_lzma_preset(&opt, 6));
		assert_int_equal(lzma_alone_encoder(&ls, &opt), LZMA_OK);
		ls.next_in = in;
		ls.avail_in = len;
		ls.next_out = out;
		ls.avail_out = cap;
		assert_int_equal(lzma_code(&ls, LZMA_FINISH), LZMA_STREAM_END);
		*out_len = cap - ls.avail_out;
		lzma_end(&ls);
	} else if (c == CODEC_LZ4) {
		*out_len = lz4_literal_frame(in, len, out);
	} else {
		z_stream s = {0};

		assert_int_equal(deflateInit2(&s, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
				 Z_OK);
		s.next_in = (Bytef *)in;
		s.avail_in = len;
		s.next_out = out;
		s.avail_out = cap;
		assert_int_equal(deflate(&s, Z_FINISH), Z_STREAM_END);
		*out_len = s.total_out;
		deflateEnd(&s);
	}
	return out;
}

/*
 * A bzImage like Linux builds it: a 0x200-byte stub, then the compressed
 * payload followed by its 4-byte decompressed size, padded to 16 bytes.
 */
static uint8_t *bzimage_with_payload(enum codec c, const uint8_t *vmlinux, size_t vmlinux_len, size_t *len,
				     uint32_t *payload_len)
{
	size_t zlen;
	_cleanup_free_ uint8_t *z = compress_buf(c, vmlinux, vmlinux_len, &zlen);
	size_t pm_len = (0x200 + zlen + 4 + 15) & ~15UL;
	_cleanup_free_ uint8_t *pm = calloc(1, pm_len);
	uint32_t size32 = vmlinux_len;

	assert_non_null(pm);
	memcpy(pm + 0x200, z, zlen);
	memcpy(pm + 0x200 + zlen, &size32, 4);
	*payload_len = zlen + 4;
	return test_make_bzimage(0x20f, pm, pm_len, 0x200, zlen + 4, len);
}

static void check_host_decompress(enum codec c)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	size_t vlen, len;
	uint32_t plen;
	_cleanup_free_ uint8_t *vmlinux = test_make_pvh_vmlinux(true, &vlen);
	_cleanup_free_ uint8_t *bz = bzimage_with_payload(c, vmlinux, vlen, &len, &plen);
	char *path = test_write_file(bz, len);
	static const char initrd_data[] = "rd";
	char *initrd = test_write_file(initrd_data, sizeof(initrd_data));
	struct hvm_start_info *si;
	uint8_t *k;

	test_vm_init(&vm, TEST_RAM);
	assert_int_equal(load_path(&vm, path, initrd, "console=ttyS0", false, &b, &err), 0);
	assert_null(err);
	assert_int_equal(b.mode, VMM_ENTRY_PVH32);
	assert_string_equal(b.format, "bzimage-pvh");
	assert_int_equal(b.entry, TEST_PVH_ENTRY);
	assert_int_equal(b.rbx, BOOT_START_INFO_GPA);
	k = test_gpa(&vm, TEST_PVH_LOAD, 16);
	assert_int_equal(k[0], 1);
	assert_int_equal(k[1], 8);
	si = test_gpa(&vm, BOOT_START_INFO_GPA, sizeof(*si));
	assert_int_equal(si->magic, HVM_START_MAGIC);
	assert_int_equal(si->nr_modules, 1);
	assert_string_equal((char *)test_gpa(&vm, si->cmdline_paddr, 14), "console=ttyS0");
	cella_error_release(&err);

	/* The switch forces the in-guest decompressor: 64-bit boot protocol. */
	memset(vm.ram, 0, TEST_RAM);
	assert_int_equal(load_path(&vm, path, NULL, NULL, true, &b, &err), 0);
	assert_string_equal(b.format, "bzimage");
	assert_int_equal(b.mode, VMM_ENTRY_LINUX64);
	assert_memory_equal(test_gpa(&vm, TEST_BZ_PREF, len - TEST_BZ_SETUP_SIZE), bz + TEST_BZ_SETUP_SIZE,
			    len - TEST_BZ_SETUP_SIZE);

	test_remove_file(&path);
	test_remove_file(&initrd);
	test_vm_free(&vm);
}

static void test_host_decompress_xz(void **state)
{
	check_host_decompress(CODEC_XZ);
}

static void test_host_decompress_zstd(void **state)
{
	check_host_decompress(CODEC_ZSTD);
}

static void test_host_decompress_gzip(void **state)
{
	check_host_decompress(CODEC_GZIP);
}

static void test_host_decompress_lzma(void **state)
{
	check_host_decompress(CODEC_LZMA);
}

static void test_host_decompress_lz4(void **state)
{
	check_host_decompress(CODEC_LZ4);
}

/* LZ4 block details: overlapping matches, extended lengths, and every malformed field. */
static void test_lz4_decoder(void **state)
{
	/* "abc" then a match at offset 3 of 4+15+2 = 21 bytes (overlapping), then literal "Z". */
	static const uint8_t block[] = {0x3F, 'a', 'b', 'c', 3, 0, 2, 0x10, 'Z'};
	uint8_t frame[64];
	uint32_t magic = 0x184C2102, csize = sizeof(block), trailer = 25;
	_cleanup_error_ cella_err_t err = NULL;
	const char *kind = NULL;
	uint8_t *out = NULL;
	size_t out_len = 0;

	memcpy(frame, &magic, 4);
	memcpy(frame + 4, &csize, 4);
	memcpy(frame + 8, block, sizeof(block));
	memcpy(frame + 8 + sizeof(block), &trailer, 4);
	assert_int_equal(boot__decompress(frame, 12 + sizeof(block), 1 << 30, &out, &out_len, &kind, &err),
			 1);
	assert_string_equal(kind, "lz4");
	assert_int_equal(out_len, 25);
	assert_memory_equal(out, "abcabcabcabcabcabcabcabcZ", 25);
	free(out);
	out = NULL;
	/* Match offset reaching before the block's start. */
	frame[8 + 4] = 4;
	assert_true(boot__decompress(frame, 12 + sizeof(block), 1 << 30, &out, &out_len, &kind, &err) < 0);
	assert_string_equal(cella_error_string(err), "lz4 payload is corrupt (block at offset 0x4)");
	cella_error_release(&err);
	frame[8 + 4] = 0; /* offset 0 */
	frame[8 + 5] = 0;
	assert_true(boot__decompress(frame, 12 + sizeof(block), 1 << 30, &out, &out_len, &kind, &err) < 0);
	cella_error_release(&err);
	/* Block size beyond the input. */
	csize = 1000;
	memcpy(frame + 4, &csize, 4);
	assert_true(boot__decompress(frame, 12 + sizeof(block), 1 << 30, &out, &out_len, &kind, &err) < 0);
	assert_string_equal(cella_error_string(err), "lz4 payload is truncated");
	cella_error_release(&err);
	/* A run of 2 MiB (one literal, then a match with a 255-extended length) against a 1 MiB cap. */
	{
		size_t n = 0, run = (2 << 20) - 1 - 4 - 15;
		_cleanup_free_ uint8_t *bomb = malloc(16 + run / 255 + 16);

		assert_non_null(bomb);
		memcpy(bomb, &magic, 4);
		n = 8;
		bomb[n++] = 0x1F; /* 1 literal, match length 15+ */
		bomb[n++] = 'x';
		bomb[n++] = 1; /* offset 1 */
		bomb[n++] = 0;
		for (; run >= 255; run -= 255)
			bomb[n++] = 255;
		bomb[n++] = run;
		csize = n - 8;
		memcpy(bomb + 4, &csize, 4);
		assert_true(boot__decompress(bomb, n, 1 << 20, &out, &out_len, &kind, &err) < 0);
		assert_string_equal(cella_error_string(err), "lz4 payload decompresses to more than 1 MiB");
		assert_null(out);
		cella_error_release(&err);
		assert_int_equal(boot__decompress(bomb, n, 64 << 20, &out, &out_len, &kind, &err), 1);
		assert_int_equal(out_len, 2 << 20);
		assert_int_equal(out[(2 << 20) - 1], 'x');
		free(out);
	}
}

/* Payloads that are not a compressed PVH vmlinux fall back to the 64-bit protocol. */
static void test_fallbacks(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	cella_err_t err = NULL;
	size_t len, elen;
	uint32_t plen;
	static const uint8_t not_elf[4096] = {'n', 'o', 't', ' ', 'e', 'l', 'f'};
	static uint8_t code[16];
	struct test_seg seg = {
		.paddr = 0x1000000, .data = code, .filesz = sizeof(code), .memsz = sizeof(code)};
	struct test_elf_opts o = {.is64 = true};
	_cleanup_free_ uint8_t *no_note = test_make_elf(&o, &seg, 1, &elen);
	uint8_t *bz;
	char *path;

	test_vm_init(&vm, TEST_RAM);
	/* Decompresses, but not to ELF. */
	bz = bzimage_with_payload(CODEC_ZSTD, not_elf, sizeof(not_elf), &len, &plen);
	path = test_write_file(bz, len);
	assert_int_equal(load_path(&vm, path, NULL, NULL, false, &b, &err), 0);
	assert_string_equal(b.format, "bzimage");
	test_remove_file(&path);
	free(bz);
	/* An ELF without the PVH note. */
	bz = bzimage_with_payload(CODEC_GZIP, no_note, elen, &len, &plen);
	path = test_write_file(bz, len);
	assert_int_equal(load_path(&vm, path, NULL, NULL, false, &b, &err), 0);
	assert_string_equal(b.format, "bzimage");
	test_remove_file(&path);
	/* A format only the guest knows (bzip2 magic). */
	memcpy(bz + TEST_BZ_SETUP_SIZE + 0x200, "BZh9", 4);
	path = test_write_file(bz, len);
	assert_int_equal(load_path(&vm, path, NULL, NULL, false, &b, &err), 0);
	assert_string_equal(b.format, "bzimage");
	test_remove_file(&path);
	free(bz);
	assert_null(err);
	test_vm_free(&vm);
}

/* Loads buf and expects failure with exactly msg ("%s" = the temp file's path). */
static void expect_error(const uint8_t *buf, size_t len, const char *cmdline, const char *msg)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	_cleanup_error_ cella_err_t err = NULL;
	char *path = test_write_file(buf, len);
	_cleanup_free_ char *expected = test_subst_path(msg, path);

	test_vm_init(&vm, TEST_RAM);
	assert_true(load_path(&vm, path, NULL, cmdline, false, &b, &err) < 0);
	assert_non_null(err);
	assert_string_equal(cella_error_string(err), expected);
	test_remove_file(&path);
	test_vm_free(&vm);
}

static void check_truncated_payload(enum codec c, const char *msg)
{
	size_t vlen, len;
	uint32_t plen;
	_cleanup_free_ uint8_t *vmlinux = test_make_pvh_vmlinux(true, &vlen);
	_cleanup_free_ uint8_t *bz = bzimage_with_payload(c, vmlinux, vlen, &len, &plen);

	hdr_of(bz)->payload_length = plen / 2;
	expect_error(bz, len, NULL, msg);
}

static void test_corrupt_payloads(void **state)
{
	size_t vlen, len;
	uint32_t plen;
	_cleanup_free_ uint8_t *vmlinux = test_make_pvh_vmlinux(true, &vlen);
	_cleanup_free_ uint8_t *bz = bzimage_with_payload(CODEC_GZIP, vmlinux, vlen, &len, &plen);

	check_truncated_payload(CODEC_XZ, "%s: xz payload is truncated");
	check_truncated_payload(CODEC_ZSTD, "%s: zstd payload is truncated");
	check_truncated_payload(CODEC_GZIP, "%s: gzip payload is truncated");
	/* A gzip header with a compression method other than deflate. */
	bz[TEST_BZ_SETUP_SIZE + 0x200 + 2] = 7;
	expect_error(bz, len, NULL, "%s: gzip payload is corrupt: unknown compression method");
	/* Payload outside the file. */
	hdr_of(bz)->payload_length = 0x100000;
	expect_error(bz, len, NULL, "%s: payload (offset 0x200, length 0x100000) past the end of the file");
}

static void test_decompress_cap(void **state)
{
	struct test_vm vm;
	struct vmm_boot_result b;
	_cleanup_error_ cella_err_t err = NULL;
	size_t len;
	uint32_t plen;
	_cleanup_free_ uint8_t *big = calloc(1, 3 << 20);
	_cleanup_free_ uint8_t *bz = NULL;
	struct boot_image img;
	struct boot_ctx ctx;

	assert_non_null(big);
	bz = bzimage_with_payload(CODEC_XZ, big, 3 << 20, &len, &plen);
	test_vm_init(&vm, TEST_RAM);
	ctx = (struct boot_ctx){.mem = &vm.mem, .cmdline = "", .decompress_max = 1 << 20};
	img = (struct boot_image){.path = "bomb", .data = bz, .size = len};
	assert_true(boot__load_image(&ctx, 1, &img, &b, &err) < 0);
	assert_string_equal(cella_error_string(err), "bomb: xz payload decompresses to more than 1 MiB");
	test_vm_free(&vm);
}

static void test_header_errors(void **state)
{
	size_t len;
	_cleanup_free_ uint8_t *bz = plain_bzimage(&len);
	struct setup_header *h = hdr_of(bz), saved = *h;
	_cleanup_free_ char *cmdline = calloc(1, 301);

	h->version = 0x205;
	expect_error(bz, len, NULL, "%s: bzImage boot protocol 2.05 is too old (need 2.06 or later)");
	h->version = 0x20b;
	expect_error(bz, len, NULL,
		     "%s: bzImage (boot protocol 2.11) has no 64-bit entry point (xloadflags XLF_KERNEL_64, "
		     "protocol 2.12+)");
	*h = saved;
	h->xloadflags = 0;
	expect_error(bz, len, NULL,
		     "%s: bzImage (boot protocol 2.15) has no 64-bit entry point (xloadflags XLF_KERNEL_64, "
		     "protocol 2.12+)");
	*h = saved;
	h->loadflags = 0;
	expect_error(bz, len, NULL, "%s: zImage (loadflags without LOADED_HIGH) is not supported");
	*h = saved;
	h->syssize = 0x1000;
	expect_error(bz, len, NULL,
		     "%s: truncated bzImage: protected-mode kernel is 8192 bytes, syssize says 65536");
	*h = saved;
	h->setup_sects = 100;
	expect_error(bz, len, NULL,
		     "%s: truncated bzImage: setup code (100 sectors) reaches the end of the file");
	*h = saved;
	h->kernel_alignment = 0x300000;
	expect_error(bz, len, NULL, "%s: kernel_alignment 0x300000 is not a power of two >= 4 KiB");
	*h = saved;
	h->pref_address = 0x1100000;
	expect_error(bz, len, NULL, "%s: pref_address 0x1100000 is not aligned to kernel_alignment 0x200000");
	*h = saved;
	h->relocatable_kernel = 0;
	h->pref_address = 0x10000;
	expect_error(bz, len, NULL, "%s: pref_address 0x10000 is below 1 MiB");
	*h = saved;
	h->init_size = 0xF0000000;
	expect_error(
		bz, len, NULL,
		"%s: kernel (pref_address, init_size) at 0x1000000, 4026531840 bytes, is outside guest RAM "
		"(0x4000000 bytes below 4 GiB)");
	*h = saved;
	assert_non_null(cmdline);
	memset(cmdline, 'a', 300);
	expect_error(bz, len, cmdline,
		     "kernel command line: 300 bytes, more than the 255 allowed (the kernel's cmdline_size)");
	/* Truncated before the end of the setup header. */
	expect_error(bz, 0x230, NULL, "%s: not a bzImage, PVH ELF or Multiboot kernel");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_linux64),
		cmocka_unit_test(test_initrd_addr_max),
		cmocka_unit_test(test_host_decompress_xz),
		cmocka_unit_test(test_host_decompress_zstd),
		cmocka_unit_test(test_host_decompress_gzip),
		cmocka_unit_test(test_host_decompress_lzma),
		cmocka_unit_test(test_host_decompress_lz4),
		cmocka_unit_test(test_lz4_decoder),
		cmocka_unit_test(test_fallbacks),
		cmocka_unit_test(test_corrupt_payloads),
		cmocka_unit_test(test_decompress_cap),
		cmocka_unit_test(test_header_errors),
	};

	return cmocka_run_group_tests_name("vmm-boot-bzimage", tests, NULL, test_remove_leftovers);
}
