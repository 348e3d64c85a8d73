// SPDX-License-Identifier: GPL-2.0-or-later
/* vmm_boot__load(): read the kernel, write the firmware tables, pick the loader by the file's magic. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "boot/boot_internal.h"
#include "boot/bootparam.h"

enum boot_format boot__detect(const struct boot_image *img)
{
	uint32_t hdrs;
	uint16_t boot_flag;

	if (img->size >= BP_SETUP_HEADER + sizeof(struct setup_header)) {
		memcpy(&boot_flag, img->data + 0x1fe, 2);
		memcpy(&hdrs, img->data + 0x202, 4);
		if (boot_flag == BP_BOOT_FLAG && hdrs == BP_HDRS_MAGIC)
			return BOOT_FORMAT_BZIMAGE;
	}
	/* An ELF is PVH when it carries the note, else it may be a Multiboot ELF (kvm-unit-tests). */
	if (boot__is_elf(img))
		return BOOT_FORMAT_ELF;
	if (boot__multiboot_find(img) >= 0)
		return BOOT_FORMAT_MULTIBOOT;
	return BOOT_FORMAT_UNKNOWN;
}

static int boot__load_elf(const struct boot_ctx *ctx, const struct boot_image *img,
			  struct vmm_boot_result *out, cella_err_t *err)
{
	struct boot_elf elf;

	if (boot__elf_parse(ctx->mem, img, &elf, err) < 0)
		return -1;
	/* The PVH note wins over a Multiboot header: PVH passes the initrd, memory map and RSDP natively. */
	if (!elf.has_pvh && boot__multiboot_find(img) >= 0)
		return boot__multiboot_load(ctx, img, out, err);
	if (!elf.has_pvh)
		return cella_error_make(err, 0,
					"%s: not a bzImage, PVH ELF or Multiboot kernel (ELF without a "
					"XEN_ELFNOTE_PHYS32_ENTRY note)",
					img->path);
	if (boot__pvh_load(ctx, img, &elf, out, err) < 0)
		return -1;
	out->format = "pvh-elf";
	return 0;
}

int boot__load_image(const struct boot_ctx *ctx, unsigned ncpus, const struct boot_image *img,
		     struct vmm_boot_result *out, cella_err_t *err)
{
	struct boot_ctx c = *ctx;
	enum boot_format format = boot__detect(img);
	int r;

	memset(out, 0, sizeof(*out));
	if (format == BOOT_FORMAT_UNKNOWN)
		return cella_error_make(err, 0, "%s: not a bzImage, PVH ELF or Multiboot kernel", img->path);
	if (guest_mem__low_size(ctx->mem) < 2 * BOOT_KERNEL_MIN_GPA)
		return cella_error_make(err, 0,
					"guest RAM of %llu bytes is too small to boot (2 MiB at least)",
					(unsigned long long)ctx->mem->ram_size);
	if (!c.cmdline)
		c.cmdline = "";
	if (!c.decompress_max)
		c.decompress_max = BOOT_DECOMPRESS_MAX;
	if (vmm_platform__write_tables(ctx->mem, ncpus, c.pci_slots, &c.rsdp_gpa, err) < 0)
		return -1;
	switch (format) {
	case BOOT_FORMAT_BZIMAGE:
		r = boot__bzimage_load(&c, img, out, err);
		break;
	case BOOT_FORMAT_ELF:
		r = boot__load_elf(&c, img, out, err);
		break;
	default:
		r = boot__multiboot_load(&c, img, out, err);
		break;
	}
	if (r < 0)
		return -1;
	out->rsdp_gpa = c.rsdp_gpa;
	return 0;
}

int vmm_boot__load(struct guest_mem *mem, const struct vmm_boot_request *req, struct vmm_boot_result *out,
		   cella_err_t *err)
{
	_cleanup_free_ uint8_t *data = NULL;
	struct boot_ctx ctx = {
		.mem = mem,
		.initrd_path = req->initrd_path,
		.cmdline = req->cmdline,
		.no_host_decompress = req->no_host_decompress,
		.decompress_max = BOOT_DECOMPRESS_MAX,
		.pci_slots = req->pci_slots,
	};
	struct boot_image img;
	size_t size = 0;

	if (!req->kernel_path)
		return cella_error_make(err, 0, "no kernel given");
	if (boot__read_file(req->kernel_path, BOOT_KERNEL_FILE_MAX, &data, &size, err) < 0)
		return -1;
	img = (struct boot_image){.path = req->kernel_path, .data = data, .size = size};
	return boot__load_image(&ctx, req->ncpus, &img, out, err);
}
