// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * PVH boot: the kernel's 32-bit entry (XEN_ELFNOTE_PHYS32_ENTRY) with paging
 * off and ebx pointing at hvm_start_info. No real-mode setup code and no
 * in-guest decompression: the fastest way into Linux on a slow vCPU.
 */
#include <errno.h>
#include <string.h>

#include "boot/boot_internal.h"
#include "boot/pvh.h"

static int pvh__write_start_info(const struct boot_ctx *ctx, uint64_t cmdline_gpa, uint64_t initrd_gpa,
				 uint64_t initrd_size, cella_err_t *err)
{
	struct boot_e820_entry e820[BOOT_E820_MAX];
	struct hvm_memmap_table_entry *memmap;
	struct hvm_start_info *si;
	unsigned n;

	if (vmm_platform__e820(ctx->mem, e820, BOOT_E820_MAX, &n) < 0)
		return cella_error_make(err, 0, "guest RAM too small for the e820 map");
	si = boot__low_ptr(ctx->mem, BOOT_START_INFO_GPA, sizeof(*si), "PVH start info", err);
	memmap = boot__low_ptr(ctx->mem, BOOT_MEMMAP_GPA, n * sizeof(*memmap), "PVH memory map", err);
	if (!si || !memmap)
		return -1;
	*si = (struct hvm_start_info){
		.magic = HVM_START_MAGIC,
		.version = 1,
		.cmdline_paddr = cmdline_gpa,
		.rsdp_paddr = ctx->rsdp_gpa,
		.memmap_paddr = BOOT_MEMMAP_GPA,
		.memmap_entries = n,
	};
	for (unsigned i = 0; i < n; i++)
		memmap[i] = (struct hvm_memmap_table_entry){
			.addr = e820[i].addr, .size = e820[i].size, .type = e820[i].type};
	if (initrd_size) {
		struct hvm_modlist_entry *mod =
			boot__low_ptr(ctx->mem, BOOT_MODLIST_GPA, sizeof(*mod), "PVH module list", err);

		if (!mod)
			return -1;
		*mod = (struct hvm_modlist_entry){.paddr = initrd_gpa, .size = initrd_size};
		si->nr_modules = 1;
		si->modlist_paddr = BOOT_MODLIST_GPA;
	}
	return 0;
}

int boot__pvh_load(const struct boot_ctx *ctx, const struct boot_image *img, const struct boot_elf *elf,
		   struct vmm_boot_result *out, cella_err_t *err)
{
	uint64_t cmdline_gpa, initrd_gpa = 0, initrd_size = 0;

	if (!elf->has_pvh)
		return cella_error_make(err, 0, "%s: no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY)",
					img->path);
	if (elf->pvh_entry < elf->lo || elf->pvh_entry >= elf->hi)
		return cella_error_make(err, 0,
					"%s: PVH entry 0x%llx is outside the loaded segments "
					"0x%llx-0x%llx",
					img->path, (unsigned long long)elf->pvh_entry,
					(unsigned long long)elf->lo, (unsigned long long)elf->hi);
	if (boot__put_cmdline(ctx->mem, ctx->cmdline, BOOT_CMDLINE_MAX - 1, "cella's cap", &cmdline_gpa,
			      err) < 0)
		return -1;
	if (boot__elf_load(ctx->mem, img, err) < 0)
		return -1;
	if (ctx->initrd_path && boot__load_initrd(ctx->mem, ctx->initrd_path, elf->hi, GUEST_MEM_HOLE_START,
						  &initrd_gpa, &initrd_size, err) < 0)
		return -1;
	if (pvh__write_start_info(ctx, cmdline_gpa, initrd_gpa, initrd_size, err) < 0 ||
	    boot__write_gdt(ctx->mem, false, err) < 0)
		return -1;
	out->mode = VMM_ENTRY_PVH32;
	out->entry = elf->pvh_entry;
	out->rbx = BOOT_START_INFO_GPA;
	out->gdt_gpa = BOOT_GDT_GPA;
	out->kernel_start = elf->lo;
	out->kernel_end = elf->hi;
	out->initrd_gpa = initrd_gpa;
	out->initrd_size = initrd_size;
	return 0;
}
