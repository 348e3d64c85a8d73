/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_TEST_BOOT_TEST_H
#define CELLA_TEST_BOOT_TEST_H

/*
 * Helpers for the loader tests: guest RAM, temp files and tiny synthetic
 * kernels (ELF with or without the PVH note, bzImage headers, Multiboot).
 * Include after <cmocka.h>.
 */
#include <elf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/boot.h"
#include "boot/boot_internal.h"
#include "boot/bootparam.h"

#define TEST_RAM (64ULL << 20)

struct test_vm {
	uint8_t *ram;
	struct guest_mem mem;
};

static inline void test_vm_init(struct test_vm *vm, uint64_t size)
{
	vm->ram = calloc(1, size);
	assert_non_null(vm->ram);
	guest_mem__init(&vm->mem, vm->ram, size);
}

static inline void test_vm_free(struct test_vm *vm)
{
	free(vm->ram);
	vm->ram = NULL;
}

static inline void *test_gpa(struct test_vm *vm, uint64_t gpa, uint64_t len)
{
	void *p = guest_mem__ptr(&vm->mem, gpa, len);

	assert_non_null(p);
	return p;
}

/*
 * Temp files the running test created: a failed assertion jumps out of the
 * test before its own cleanup, so the group teardown removes what is left.
 */
#define TEST_MAX_FILES 16
static char test_files[TEST_MAX_FILES][64];

/* Writes data to a new temp file; returns its malloc'd path. */
static inline char *test_write_file(const void *data, size_t len)
{
	char *path = strdup("/tmp/cella-boot-test-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	for (unsigned i = 0; i < TEST_MAX_FILES; i++) {
		if (!test_files[i][0]) {
			snprintf(test_files[i], sizeof(test_files[i]), "%s", path);
			break;
		}
	}
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	close(fd);
	return path;
}

static inline void test_remove_file(char **path)
{
	if (*path) {
		for (unsigned i = 0; i < TEST_MAX_FILES; i++) {
			if (strcmp(test_files[i], *path) == 0)
				test_files[i][0] = '\0';
		}
		unlink(*path);
		free(*path);
		*path = NULL;
	}
}

/* Group teardown: removes temp files a failed test left behind. */
static inline int test_remove_leftovers(void **state)
{
	for (unsigned i = 0; i < TEST_MAX_FILES; i++) {
		if (test_files[i][0])
			unlink(test_files[i]);
		test_files[i][0] = '\0';
	}
	return 0;
}

/* msg with its first "%s" replaced by path (malloc'd): error messages name the temp file. */
static inline char *test_subst_path(const char *msg, const char *path)
{
	const char *at = strstr(msg, "%s");
	char *out;

	if (!at)
		return strdup(msg);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - msg), msg, path, at + 2) > 0);
	return out;
}

/* A PT_LOAD segment of a synthetic ELF. */
struct test_seg {
	uint64_t paddr;
	const void *data;
	uint64_t filesz, memsz;
};

struct test_elf_opts {
	bool is64;
	bool pvh_note;
	uint64_t pvh_entry;
	unsigned pvh_desc_size; /* 4 or 8; 0 = 8 for ELF64, 4 for ELF32 */
	uint64_t e_entry;
};

/* ELF: header, program headers (segments, then the PT_NOTE if any), note, segment data. */
static inline uint8_t *test_make_elf(const struct test_elf_opts *o, const struct test_seg *segs,
				     unsigned nsegs, size_t *len)
{
	size_t ehsz = o->is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
	size_t phsz = o->is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr);
	unsigned nph = nsegs + (o->pvh_note ? 1 : 0);
	unsigned desc = o->pvh_desc_size ? o->pvh_desc_size : (o->is64 ? 8 : 4);
	size_t note_off = ehsz + nph * phsz, note_len = o->pvh_note ? 12 + 4 + ((desc + 3) & ~3U) : 0;
	size_t off = note_off + note_len, total = off;
	uint8_t *buf;

	for (unsigned i = 0; i < nsegs; i++)
		total += segs[i].filesz;
	buf = calloc(1, total);
	assert_non_null(buf);
	memcpy(buf, ELFMAG, SELFMAG);
	buf[EI_CLASS] = o->is64 ? ELFCLASS64 : ELFCLASS32;
	buf[EI_DATA] = ELFDATA2LSB;
	buf[EI_VERSION] = EV_CURRENT;
	if (o->is64) {
		Elf64_Ehdr *h = (Elf64_Ehdr *)buf;

		h->e_type = ET_EXEC;
		h->e_machine = EM_X86_64;
		h->e_version = EV_CURRENT;
		h->e_entry = o->e_entry;
		h->e_phoff = ehsz;
		h->e_ehsize = ehsz;
		h->e_phentsize = phsz;
		h->e_phnum = nph;
	} else {
		Elf32_Ehdr *h = (Elf32_Ehdr *)buf;

		h->e_type = ET_EXEC;
		h->e_machine = EM_386;
		h->e_version = EV_CURRENT;
		h->e_entry = o->e_entry;
		h->e_phoff = ehsz;
		h->e_ehsize = ehsz;
		h->e_phentsize = phsz;
		h->e_phnum = nph;
	}
	for (unsigned i = 0; i < nph; i++) {
		bool note = i == nsegs;
		uint64_t p_off = note ? note_off : off, fsz = note ? note_len : segs[i].filesz;
		uint64_t pa = note ? 0 : segs[i].paddr, msz = note ? 0 : segs[i].memsz;
		uint32_t type = note ? PT_NOTE : PT_LOAD;

		if (o->is64) {
			Elf64_Phdr *p = (Elf64_Phdr *)(buf + ehsz + i * phsz);

			*p = (Elf64_Phdr){.p_type = type,
					  .p_offset = p_off,
					  .p_paddr = pa,
					  .p_vaddr = pa,
					  .p_filesz = fsz,
					  .p_memsz = msz,
					  .p_flags = PF_R | PF_X,
					  .p_align = 4096};
		} else {
			Elf32_Phdr *p = (Elf32_Phdr *)(buf + ehsz + i * phsz);

			*p = (Elf32_Phdr){.p_type = type,
					  .p_offset = p_off,
					  .p_paddr = pa,
					  .p_vaddr = pa,
					  .p_filesz = fsz,
					  .p_memsz = msz,
					  .p_flags = PF_R | PF_X,
					  .p_align = 4096};
		}
		if (!note) {
			if (segs[i].filesz)
				memcpy(buf + off, segs[i].data, segs[i].filesz);
			off += segs[i].filesz;
		}
	}
	if (o->pvh_note) {
		uint32_t hdr[3] = {4, desc, 18 /* XEN_ELFNOTE_PHYS32_ENTRY */};

		memcpy(buf + note_off, hdr, 12);
		memcpy(buf + note_off + 12, "Xen", 4);
		memcpy(buf + note_off + 16, &o->pvh_entry, desc);
	}
	*len = total;
	return buf;
}

/* A PVH vmlinux: one segment at 16 MiB (code + bss), entry at +0x10. */
#define TEST_PVH_LOAD  0x1000000ULL
#define TEST_PVH_ENTRY (TEST_PVH_LOAD + 0x10)
static inline uint8_t *test_make_pvh_vmlinux(bool is64, size_t *len)
{
	static uint8_t code[0x1000];
	struct test_seg seg = {.paddr = TEST_PVH_LOAD, .data = code, .filesz = sizeof(code), .memsz = 0x3000};
	struct test_elf_opts o = {.is64 = is64,
				  .pvh_note = true,
				  .pvh_entry = TEST_PVH_ENTRY,
				  .e_entry = 0xffffffff81000000ULL};

	for (size_t i = 0; i < sizeof(code); i++)
		code[i] = (uint8_t)(i * 7 + 1);
	if (!is64)
		o.e_entry = TEST_PVH_LOAD;
	return test_make_elf(&o, &seg, 1, len);
}

/*
 * A bzImage: 4 setup sectors + the protected-mode kernel pm (pm_len bytes, a
 * multiple of 16), header for boot protocol version with 64-bit entry.
 */
#define TEST_BZ_SETUP_SIZE (5 * 512)
#define TEST_BZ_PREF	   0x1000000ULL
#define TEST_BZ_INIT_SIZE  0x400000U
static inline uint8_t *test_make_bzimage(uint16_t version, const uint8_t *pm, size_t pm_len,
					 uint32_t payload_off, uint32_t payload_len, size_t *len)
{
	size_t total = TEST_BZ_SETUP_SIZE + pm_len;
	uint8_t *buf = calloc(1, total);
	struct setup_header h = {0};

	assert_non_null(buf);
	h.setup_sects = 4;
	h.syssize = pm_len / 16;
	h.boot_flag = BP_BOOT_FLAG;
	h.jump = 0x66eb; /* jmp to 0x268: the header's end */
	h.header = BP_HDRS_MAGIC;
	h.version = version;
	h.loadflags = BP_LOADED_HIGH;
	h.initrd_addr_max = 0x7fffffff;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = 1;
	h.xloadflags = BP_XLF_KERNEL_64;
	h.cmdline_size = 255;
	h.payload_offset = payload_off;
	h.payload_length = payload_len;
	h.pref_address = TEST_BZ_PREF;
	h.init_size = TEST_BZ_INIT_SIZE;
	memcpy(buf + BP_SETUP_HEADER, &h, sizeof(h));
	memcpy(buf + TEST_BZ_SETUP_SIZE, pm, pm_len);
	*len = total;
	return buf;
}

#endif
