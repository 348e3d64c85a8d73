/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_BOOT_INTERNAL_H
#define CELLA_VMM_BOOT_INTERNAL_H

/* Pieces of the loaders shared between their files, the unit tests and the fuzz harness. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/boot.h"
#include "platform/platform.h"

#define BOOT_KERNEL_FILE_MAX   (512ULL << 20) /* bigger kernel files are refused */
#define BOOT_DECOMPRESS_MAX    (512ULL << 20) /* cap on a bzImage payload decompressed host-side */
#define BOOT_PAGE_SIZE	       4096ULL
#define BOOT_GDT_ENTRIES       6
#define BOOT_GDT_CODE_SELECTOR 0x10
#define BOOT_GDT_DATA_SELECTOR 0x18
#define BOOT_GDT_TSS_SELECTOR  0x20

/* A kernel file in host memory. */
struct boot_image {
	const char *path; /* names the file in error messages */
	const uint8_t *data;
	size_t size;
};

enum boot_format {
	BOOT_FORMAT_UNKNOWN,
	BOOT_FORMAT_BZIMAGE,
	BOOT_FORMAT_ELF, /* PVH when it has the note, else Multiboot if it has that header */
	BOOT_FORMAT_MULTIBOOT,
};

/* What the loaders need beyond the kernel image. */
struct boot_ctx {
	struct guest_mem *mem;
	const char *initrd_path;
	const char *cmdline; /* never NULL */
	bool no_host_decompress;
	uint64_t decompress_max;
	uint64_t rsdp_gpa;
	uint32_t pci_slots; /* vmm_boot_request.pci_slots */
};

/* ---- load.c ---- */
/* The format of img by its magic numbers alone (no validation beyond that). */
enum boot_format boot__detect(const struct boot_image *img);
/* vmm_boot__load() after the kernel file has been read: what the fuzz harness drives. */
int boot__load_image(const struct boot_ctx *ctx, unsigned ncpus, const struct boot_image *img,
		     struct vmm_boot_result *out, cella_err_t *err);

/* ---- file.c ---- */
/* Reads a whole file of at most max bytes into *data (malloc'd). */
int boot__read_file(const char *path, uint64_t max, uint8_t **data, size_t *size, cella_err_t *err);
/*
 * Reads the initrd straight into guest RAM at the highest page-aligned address
 * with start >= min_gpa and end <= max_end.
 */
int boot__load_initrd(struct guest_mem *mem, const char *path, uint64_t min_gpa, uint64_t max_end,
		      uint64_t *gpa, uint64_t *size, cella_err_t *err);
/* Copies the command line (limit: most bytes without the NUL, named by limit_what) to BOOT_CMDLINE_GPA. */
int boot__put_cmdline(struct guest_mem *mem, const char *cmdline, uint64_t limit, const char *limit_what,
		      uint64_t *gpa, cella_err_t *err);
/* Host pointer to [gpa, gpa+len) in RAM below the 32-bit hole, or an error naming what. */
void *boot__low_ptr(struct guest_mem *mem, uint64_t gpa, uint64_t len, const char *what, cella_err_t *err);

/* ---- elf.c ---- */
struct boot_elf {
	bool is64;
	uint64_t entry;	    /* e_entry */
	bool has_pvh;	    /* XEN_ELFNOTE_PHYS32_ENTRY found */
	uint64_t pvh_entry; /* its value */
	uint64_t lo, hi;    /* guest-physical range of the PT_LOAD segments */
};
bool boot__is_elf(const struct boot_image *img);
/* Validates the ELF headers and every PT_LOAD against the file and guest RAM; finds the PVH note. */
int boot__elf_parse(struct guest_mem *mem, const struct boot_image *img, struct boot_elf *elf,
		    cella_err_t *err);
/* Copies the PT_LOAD segments (parsed before) to their p_paddr and zeroes their bss. */
int boot__elf_load(struct guest_mem *mem, const struct boot_image *img, cella_err_t *err);

/* ---- pvh.c ---- */
/* PVH boot of a parsed ELF with a PVH note: segments, command line, initrd, hvm_start_info. */
int boot__pvh_load(const struct boot_ctx *ctx, const struct boot_image *img, const struct boot_elf *elf,
		   struct vmm_boot_result *out, cella_err_t *err);

/* ---- bzimage.c ---- */
int boot__bzimage_load(const struct boot_ctx *ctx, const struct boot_image *img, struct vmm_boot_result *out,
		       cella_err_t *err);

/* ---- decompress.c ---- */
/*
 * Decompresses an xz, zstd, gzip, legacy lzma or legacy-frame lz4 stream
 * (detected by magic) of at most max bytes of output into *out (malloc'd).
 * Returns 1 when it did, 0 when in is in none of those formats (bzip2, lzo),
 * negative on corrupt data or when the output exceeds max. *kind receives
 * "xz", "zstd", "gzip", "lzma" or "lz4".
 */
int boot__decompress(const uint8_t *in, size_t len, uint64_t max, uint8_t **out, size_t *out_len,
		     const char **kind, cella_err_t *err);

/* ---- lz4.c ---- */
/* LZ4 legacy frame (magic included in in) into *out (malloc'd), output capped at max bytes. */
int boot__lz4_legacy(const uint8_t *in, size_t len, uint64_t max, uint8_t **out, size_t *out_len,
		     cella_err_t *err);

/* ---- multiboot.c ---- */
/* Offset of a valid-looking Multiboot v1 header (magic only) in the first 8 KiB, or -1. */
long boot__multiboot_find(const struct boot_image *img);
int boot__multiboot_load(const struct boot_ctx *ctx, const struct boot_image *img,
			 struct vmm_boot_result *out, cella_err_t *err);

/* ---- pagetables.c ---- */
/* GDT at BOOT_GDT_GPA (64-bit or 32-bit code segment) and an empty IDT at BOOT_IDT_GPA. */
int boot__write_gdt(struct guest_mem *mem, bool long_mode, cella_err_t *err);
/* Identity map of the first 4 GiB with 2 MiB pages at BOOT_PML4_GPA. */
int boot__write_page_tables(struct guest_mem *mem, cella_err_t *err);
/* The GDT descriptor for flags/base/limit (flags as in the descriptor's bytes 5-6). */
uint64_t boot__gdt_entry(uint16_t flags, uint32_t base, uint32_t limit);

#endif
