// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * bzImage: preferably its compressed payload, decompressed here, booted through
 * PVH ("bzimage-pvh"); else the Linux/x86 64-bit boot protocol: protected-mode
 * kernel at pref_address, zero page, identity page tables, long-mode entry at
 * load + 0x200 with rsi = boot_params.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "boot/boot_internal.h"
#include "boot/bootparam.h"

#define BP_VERSION(h) ((h)->version >> 8), ((h)->version & 0xff)

struct bzimage {
	struct setup_header h;
	uint64_t setup_size; /* bytes of real-mode setup in the file */
	const uint8_t *kernel;
	uint64_t kernel_len;
};

static int bzimage__parse(const struct boot_image *img, struct bzimage *bz, cella_err_t *err)
{
	unsigned sects;

	if (img->size < BP_SETUP_HEADER + sizeof(bz->h))
		return cella_error_make(err, 0, "%s: truncated bzImage: %zu bytes", img->path, img->size);
	memcpy(&bz->h, img->data + BP_SETUP_HEADER, sizeof(bz->h));
	if (bz->h.version < 0x206)
		return cella_error_make(err, 0,
					"%s: bzImage boot protocol %u.%02u is too old (need 2.06 or later)",
					img->path, BP_VERSION(&bz->h));
	if (!(bz->h.loadflags & BP_LOADED_HIGH))
		return cella_error_make(err, 0, "%s: zImage (loadflags without LOADED_HIGH) is not supported",
					img->path);
	sects = bz->h.setup_sects ? bz->h.setup_sects : 4;
	bz->setup_size = (uint64_t)(sects + 1) * 512;
	if (bz->setup_size >= img->size)
		return cella_error_make(err, 0,
					"%s: truncated bzImage: setup code (%u sectors) reaches the end "
					"of the file",
					img->path, sects);
	bz->kernel = img->data + bz->setup_size;
	bz->kernel_len = img->size - bz->setup_size;
	if ((uint64_t)bz->h.syssize * 16 > bz->kernel_len)
		return cella_error_make(err, 0,
					"%s: truncated bzImage: protected-mode kernel is %llu bytes, "
					"syssize says %llu",
					img->path, (unsigned long long)bz->kernel_len,
					(unsigned long long)bz->h.syssize * 16);
	return 0;
}

/*
 * Tries the host-side route: returns 1 when the kernel was booted via PVH, 0
 * when the payload is not an xz/zstd/gzip PVH vmlinux (the caller falls back),
 * negative on a corrupt payload.
 */
static int bzimage__try_pvh(const struct boot_ctx *ctx, const struct boot_image *img,
			    const struct bzimage *bz, struct vmm_boot_result *out, cella_err_t *err)
{
	_cleanup_free_ uint8_t *vmlinux = NULL;
	_cleanup_free_ char *name = NULL;
	struct boot_image payload_img;
	struct boot_elf elf;
	const char *kind = NULL;
	size_t len = 0;
	int r;

	if (bz->h.version < 0x208 || bz->h.payload_length == 0)
		return 0;
	if (bz->h.payload_offset > bz->kernel_len ||
	    bz->h.payload_length > bz->kernel_len - bz->h.payload_offset)
		return cella_error_make(err, 0,
					"%s: payload (offset 0x%x, length 0x%x) past the end of the file",
					img->path, bz->h.payload_offset, bz->h.payload_length);
	r = boot__decompress(bz->kernel + bz->h.payload_offset, bz->h.payload_length, ctx->decompress_max,
			     &vmlinux, &len, &kind, err);
	if (r < 0)
		return cella_error_wrap(err, "%s", img->path);
	if (r == 0) /* lz4, lzo, bzip2, lzma: only the guest can decompress those */
		return 0;
	if (asprintf(&name, "%s (%s payload)", img->path, kind) < 0) {
		name = NULL;
		return cella_error_make(err, ENOMEM, "%s", img->path);
	}
	payload_img = (struct boot_image){.path = name, .data = vmlinux, .size = len};
	if (!boot__is_elf(&payload_img))
		return 0;
	if (boot__elf_parse(ctx->mem, &payload_img, &elf, err) < 0)
		return -1;
	if (!elf.has_pvh)
		return 0;
	if (boot__pvh_load(ctx, &payload_img, &elf, out, err) < 0)
		return -1;
	out->format = "bzimage-pvh";
	return 1;
}

static int bzimage__write_zero_page(const struct boot_ctx *ctx, const struct boot_image *img,
				    const struct bzimage *bz, uint64_t cmdline_gpa, uint64_t initrd_gpa,
				    uint64_t initrd_size, cella_err_t *err)
{
	struct boot_e820_entry e820[BOOT_E820_MAX];
	uint8_t *zp = boot__low_ptr(ctx->mem, BOOT_ZERO_PAGE_GPA, BP_SIZE, "zero page", err);
	uint8_t *hdr;
	uint64_t hdr_len;
	uint32_t v32;
	uint8_t v8;
	unsigned n;

	if (!zp)
		return -1;
	hdr = zp + BP_SETUP_HEADER;
	if (vmm_platform__e820(ctx->mem, e820, BOOT_E820_MAX, &n) < 0)
		return cella_error_make(err, 0, "guest RAM too small for the e820 map");
	memset(zp, 0, BP_SIZE);
	/* The header runs to 0x202 + the jump's offset byte; clamp it to the zero page's room for it. */
	hdr_len = 0x202 + img->data[0x201] - BP_SETUP_HEADER;
	if (hdr_len > BP_SETUP_HEADER_END - BP_SETUP_HEADER)
		hdr_len = BP_SETUP_HEADER_END - BP_SETUP_HEADER;
	if (hdr_len < offsetof(struct setup_header, cmdline_size) + 4)
		hdr_len = offsetof(struct setup_header, cmdline_size) + 4;
	memcpy(hdr, img->data + BP_SETUP_HEADER, hdr_len);

	v8 = BP_LOADER_UNDEFINED;
	memcpy(hdr + offsetof(struct setup_header, type_of_loader), &v8, 1);
	v32 = (uint32_t)cmdline_gpa;
	memcpy(hdr + offsetof(struct setup_header, cmd_line_ptr), &v32, 4);
	v32 = (uint32_t)initrd_gpa;
	memcpy(hdr + offsetof(struct setup_header, ramdisk_image), &v32, 4);
	v32 = (uint32_t)initrd_size;
	memcpy(hdr + offsetof(struct setup_header, ramdisk_size), &v32, 4);
	/* The high halves (ext_*) stay 0: everything the loader places is below 4 GiB. */
	zp[BP_E820_ENTRIES] = n;
	memcpy(zp + BP_E820_TABLE, e820, n * sizeof(e820[0]));
	return 0;
}

static int bzimage__load_linux64(const struct boot_ctx *ctx, const struct boot_image *img,
				 const struct bzimage *bz, struct vmm_boot_result *out, cella_err_t *err)
{
	const struct setup_header *h = &bz->h;
	uint64_t load, span, cmdline_gpa, initrd_gpa = 0, initrd_size = 0, initrd_end;
	uint8_t *dst;

	if (h->version < 0x20c || !(h->xloadflags & BP_XLF_KERNEL_64))
		return cella_error_make(err, 0,
					"%s: bzImage (boot protocol %u.%02u) has no 64-bit entry point "
					"(xloadflags XLF_KERNEL_64, protocol 2.12+)",
					img->path, BP_VERSION(h));
	load = h->pref_address;
	if (h->relocatable_kernel &&
	    (h->kernel_alignment < BOOT_PAGE_SIZE || (h->kernel_alignment & (h->kernel_alignment - 1))))
		return cella_error_make(err, 0, "%s: kernel_alignment 0x%x is not a power of two >= 4 KiB",
					img->path, h->kernel_alignment);
	if (h->relocatable_kernel && (load & (h->kernel_alignment - 1)))
		return cella_error_make(err, 0,
					"%s: pref_address 0x%llx is not aligned to kernel_alignment 0x%x",
					img->path, (unsigned long long)load, h->kernel_alignment);
	if (load < BOOT_KERNEL_MIN_GPA)
		return cella_error_make(err, 0, "%s: pref_address 0x%llx is below 1 MiB", img->path,
					(unsigned long long)load);
	if (bz->kernel_len <= BP_KERNEL64_OFFSET)
		return cella_error_make(err, 0, "%s: protected-mode kernel of %llu bytes has no 64-bit entry",
					img->path, (unsigned long long)bz->kernel_len);
	/* init_size: what the kernel needs from its load address until it has relocated itself. */
	span = h->init_size > bz->kernel_len ? h->init_size : bz->kernel_len;
	dst = boot__low_ptr(ctx->mem, load, span, "kernel (pref_address, init_size)", err);
	if (!dst)
		return cella_error_wrap(err, "%s", img->path);
	if (boot__put_cmdline(ctx->mem, ctx->cmdline, h->cmdline_size, "the kernel's cmdline_size",
			      &cmdline_gpa, err) < 0)
		return -1;
	memcpy(dst, bz->kernel, bz->kernel_len);
	if (ctx->initrd_path) {
		initrd_end = (uint64_t)h->initrd_addr_max + 1;
		if (boot__load_initrd(ctx->mem, ctx->initrd_path, load + span, initrd_end, &initrd_gpa,
				      &initrd_size, err) < 0)
			return -1;
	}
	if (bzimage__write_zero_page(ctx, img, bz, cmdline_gpa, initrd_gpa, initrd_size, err) < 0 ||
	    boot__write_page_tables(ctx->mem, err) < 0 || boot__write_gdt(ctx->mem, true, err) < 0)
		return -1;
	out->mode = VMM_ENTRY_LINUX64;
	out->format = "bzimage";
	out->entry = load + BP_KERNEL64_OFFSET;
	out->rsi = BOOT_ZERO_PAGE_GPA;
	out->gdt_gpa = BOOT_GDT_GPA;
	out->pml4_gpa = BOOT_PML4_GPA;
	out->kernel_start = load;
	out->kernel_end = load + span;
	out->initrd_gpa = initrd_gpa;
	out->initrd_size = initrd_size;
	return 0;
}

int boot__bzimage_load(const struct boot_ctx *ctx, const struct boot_image *img, struct vmm_boot_result *out,
		       cella_err_t *err)
{
	struct bzimage bz;
	int r;

	if (bzimage__parse(img, &bz, err) < 0)
		return -1;
	if (!ctx->no_host_decompress) {
		r = bzimage__try_pvh(ctx, img, &bz, out, err);
		if (r != 0)
			return r < 0 ? -1 : 0;
	}
	return bzimage__load_linux64(ctx, img, &bz, out, err);
}
