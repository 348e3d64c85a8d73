// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Multiboot v1 (what kvm-unit-tests and many small test kernels speak): header
 * in the first 8 KiB, a.out-kludge addresses or ELF segments, 32-bit protected
 * mode with eax = 0x2BADB002 and ebx = multiboot_info. The initrd is module 0
 * with an empty string; kvm-unit-tests read it as their environment.
 */
#include <errno.h>
#include <string.h>

#include "boot/boot_internal.h"
#include "boot/multiboot.h"

#define MULTIBOOT_SUPPORTED_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)
#define MULTIBOOT_LOADER_NAME	  "cella"

long boot__multiboot_find(const struct boot_image *img)
{
	size_t end = img->size < MULTIBOOT_SEARCH ? img->size : MULTIBOOT_SEARCH;

	for (size_t off = 0; off + 12 <= end; off += 4) {
		uint32_t magic;

		memcpy(&magic, img->data + off, 4);
		if (magic == MULTIBOOT_HEADER_MAGIC)
			return (long)off;
	}
	return -1;
}

/* Places the a.out-kludge image: [load_addr, load_end_addr) from the file, then bss up to bss_end_addr. */
static int multiboot__load_aout(struct guest_mem *mem, const struct boot_image *img,
				const struct multiboot_header *h, size_t off, uint64_t *lo, uint64_t *hi,
				uint64_t *entry, cella_err_t *err)
{
	uint64_t file_off, load_len, mem_len;
	uint8_t *dst;

	if (h->header_addr < h->load_addr || h->header_addr - h->load_addr > off)
		return cella_error_make(err, 0,
					"%s: Multiboot header_addr 0x%x / load_addr 0x%x do not match the "
					"header's file offset 0x%zx",
					img->path, h->header_addr, h->load_addr, off);
	file_off = off - (h->header_addr - h->load_addr);
	if (h->load_end_addr == 0) {
		load_len = img->size - file_off;
	} else {
		if (h->load_end_addr < h->load_addr)
			return cella_error_make(err, 0,
						"%s: Multiboot load_end_addr 0x%x is below load_addr 0x%x",
						img->path, h->load_end_addr, h->load_addr);
		load_len = (uint64_t)h->load_end_addr - h->load_addr;
		if (load_len > img->size - file_off)
			return cella_error_make(err, 0,
						"%s: truncated: Multiboot load_end_addr 0x%x needs %llu "
						"bytes from offset 0x%llx, the file has %zu",
						img->path, h->load_end_addr, (unsigned long long)load_len,
						(unsigned long long)file_off, img->size);
	}
	mem_len = load_len;
	if (h->bss_end_addr) {
		if (h->bss_end_addr < h->load_addr + load_len)
			return cella_error_make(err, 0,
						"%s: Multiboot bss_end_addr 0x%x is below the loaded image's "
						"end 0x%llx",
						img->path, h->bss_end_addr,
						(unsigned long long)(h->load_addr + load_len));
		mem_len = (uint64_t)h->bss_end_addr - h->load_addr;
	}
	if (h->load_addr < BOOT_KERNEL_MIN_GPA)
		return cella_error_make(err, 0,
					"%s: Multiboot load_addr 0x%x is below 1 MiB, where the boot "
					"structures live",
					img->path, h->load_addr);
	if (h->entry_addr < h->load_addr || h->entry_addr - h->load_addr >= mem_len)
		return cella_error_make(
			err, 0, "%s: Multiboot entry_addr 0x%x is outside the image 0x%x-0x%llx", img->path,
			h->entry_addr, h->load_addr, (unsigned long long)(h->load_addr + mem_len));
	dst = boot__low_ptr(mem, h->load_addr, mem_len, "Multiboot image", err);
	if (!dst)
		return cella_error_wrap(err, "%s", img->path);
	memcpy(dst, img->data + file_off, load_len);
	memset(dst + load_len, 0, mem_len - load_len);
	*lo = h->load_addr;
	*hi = h->load_addr + mem_len;
	*entry = h->entry_addr;
	return 0;
}

static int multiboot__load_elf(struct guest_mem *mem, const struct boot_image *img, uint64_t *lo,
			       uint64_t *hi, uint64_t *entry, cella_err_t *err)
{
	struct boot_elf elf;

	if (!boot__is_elf(img))
		return cella_error_make(err, 0,
					"%s: Multiboot kernel is not ELF and sets no a.out kludge "
					"(flag bit 16)",
					img->path);
	if (boot__elf_parse(mem, img, &elf, err) < 0)
		return -1;
	if (elf.entry < elf.lo || elf.entry >= elf.hi)
		return cella_error_make(err, 0,
					"%s: ELF entry 0x%llx is outside the loaded segments "
					"0x%llx-0x%llx",
					img->path, (unsigned long long)elf.entry, (unsigned long long)elf.lo,
					(unsigned long long)elf.hi);
	if (boot__elf_load(mem, img, err) < 0)
		return -1;
	*lo = elf.lo;
	*hi = elf.hi;
	*entry = elf.entry;
	return 0;
}

static int multiboot__write_info(const struct boot_ctx *ctx, uint64_t cmdline_gpa, uint64_t initrd_gpa,
				 uint64_t initrd_size, cella_err_t *err)
{
	struct boot_e820_entry e820[BOOT_E820_MAX];
	struct multiboot_mmap_entry *mmap;
	struct multiboot_info *info;
	char *name;
	unsigned n;

	if (vmm_platform__e820(ctx->mem, e820, BOOT_E820_MAX, &n) < 0)
		return cella_error_make(err, 0, "guest RAM too small for the e820 map");
	info = boot__low_ptr(ctx->mem, BOOT_START_INFO_GPA, sizeof(*info), "Multiboot info", err);
	mmap = boot__low_ptr(ctx->mem, BOOT_MEMMAP_GPA, n * sizeof(*mmap), "Multiboot memory map", err);
	/* "cella\0" then an empty string: module 0's command line. */
	name = boot__low_ptr(ctx->mem, BOOT_LOADER_NAME_GPA, sizeof(MULTIBOOT_LOADER_NAME) + 1, "loader name",
			     err);
	if (!info || !mmap || !name)
		return -1;
	memcpy(name, MULTIBOOT_LOADER_NAME, sizeof(MULTIBOOT_LOADER_NAME));
	name[sizeof(MULTIBOOT_LOADER_NAME)] = '\0';
	*info = (struct multiboot_info){
		.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE | MULTIBOOT_INFO_MODS |
			 MULTIBOOT_INFO_MEM_MAP | MULTIBOOT_INFO_LOADER_NAME,
		.mem_lower = BOOT_EBDA_GPA / 1024,
		.mem_upper = (guest_mem__low_size(ctx->mem) - BOOT_KERNEL_MIN_GPA) / 1024,
		.cmdline = cmdline_gpa,
		.mods_addr = BOOT_MODLIST_GPA,
		.mmap_length = n * sizeof(*mmap),
		.mmap_addr = BOOT_MEMMAP_GPA,
		.boot_loader_name = BOOT_LOADER_NAME_GPA,
	};
	for (unsigned i = 0; i < n; i++)
		mmap[i] = (struct multiboot_mmap_entry){.size = sizeof(mmap[i]) - 4,
							.addr = e820[i].addr,
							.len = e820[i].size,
							.type = e820[i].type};
	if (initrd_size) {
		struct multiboot_mod *mod =
			boot__low_ptr(ctx->mem, BOOT_MODLIST_GPA, sizeof(*mod), "Multiboot module list", err);

		if (!mod)
			return -1;
		*mod = (struct multiboot_mod){.mod_start = initrd_gpa,
					      .mod_end = initrd_gpa + initrd_size,
					      .string = BOOT_LOADER_NAME_GPA + sizeof(MULTIBOOT_LOADER_NAME)};
		info->mods_count = 1;
	}
	return 0;
}

int boot__multiboot_load(const struct boot_ctx *ctx, const struct boot_image *img,
			 struct vmm_boot_result *out, cella_err_t *err)
{
	long found = boot__multiboot_find(img);
	struct multiboot_header h = {0};
	uint64_t lo, hi, entry, cmdline_gpa, initrd_gpa = 0, initrd_size = 0;
	size_t off;
	int r;

	if (found < 0)
		return cella_error_make(err, 0, "%s: no Multiboot header in the first 8 KiB", img->path);
	off = found;
	memcpy(&h, img->data + off, 12);
	if ((uint32_t)(h.magic + h.flags + h.checksum) != 0)
		return cella_error_make(err, 0, "%s: Multiboot header at 0x%zx: bad checksum 0x%08x",
					img->path, off, h.checksum);
	if (h.flags & MULTIBOOT_VIDEO_MODE)
		return cella_error_make(err, 0,
					"%s: Multiboot kernel requires a video mode (flag bit 2); cella "
					"has no framebuffer",
					img->path);
	if (h.flags & 0xFFFF & ~MULTIBOOT_SUPPORTED_FLAGS)
		return cella_error_make(err, 0,
					"%s: Multiboot kernel requires unsupported features "
					"(flags 0x%08x)",
					img->path, h.flags);
	if (boot__put_cmdline(ctx->mem, ctx->cmdline, BOOT_CMDLINE_MAX - 1, "cella's cap", &cmdline_gpa,
			      err) < 0)
		return -1;
	if (h.flags & MULTIBOOT_AOUT_KLUDGE) {
		if (img->size - off < sizeof(h))
			return cella_error_make(err, 0, "%s: truncated Multiboot header at 0x%zx", img->path,
						off);
		memcpy(&h, img->data + off, sizeof(h));
		r = multiboot__load_aout(ctx->mem, img, &h, off, &lo, &hi, &entry, err);
	} else {
		r = multiboot__load_elf(ctx->mem, img, &lo, &hi, &entry, err);
	}
	if (r < 0)
		return -1;
	if (ctx->initrd_path && boot__load_initrd(ctx->mem, ctx->initrd_path, hi, GUEST_MEM_HOLE_START,
						  &initrd_gpa, &initrd_size, err) < 0)
		return -1;
	if (multiboot__write_info(ctx, cmdline_gpa, initrd_gpa, initrd_size, err) < 0 ||
	    boot__write_gdt(ctx->mem, false, err) < 0)
		return -1;
	out->mode = VMM_ENTRY_MULTIBOOT32;
	out->format = "multiboot";
	out->entry = entry;
	out->rax = MULTIBOOT_BOOTLOADER_MAGIC;
	out->rbx = BOOT_START_INFO_GPA;
	out->gdt_gpa = BOOT_GDT_GPA;
	out->kernel_start = lo;
	out->kernel_end = hi;
	out->initrd_gpa = initrd_gpa;
	out->initrd_size = initrd_size;
	return 0;
}
