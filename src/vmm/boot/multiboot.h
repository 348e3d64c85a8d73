/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_BOOT_MULTIBOOT_H
#define CELLA_VMM_BOOT_MULTIBOOT_H

/* Multiboot specification 0.6.96 (version 1) structures. */
#include <stdint.h>

#define MULTIBOOT_HEADER_MAGIC	   0x1BADB002U
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002U
#define MULTIBOOT_SEARCH	   8192
#define MULTIBOOT_PAGE_ALIGN	   (1U << 0)
#define MULTIBOOT_MEMORY_INFO	   (1U << 1)
#define MULTIBOOT_VIDEO_MODE	   (1U << 2)
#define MULTIBOOT_AOUT_KLUDGE	   (1U << 16)

#define MULTIBOOT_INFO_MEMORY	   (1U << 0)
#define MULTIBOOT_INFO_CMDLINE	   (1U << 2)
#define MULTIBOOT_INFO_MODS	   (1U << 3)
#define MULTIBOOT_INFO_MEM_MAP	   (1U << 6)
#define MULTIBOOT_INFO_LOADER_NAME (1U << 9)

struct multiboot_header {
	uint32_t magic, flags, checksum;
	/* valid with MULTIBOOT_AOUT_KLUDGE */
	uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
};

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper; /* KiB below 640 KiB / from 1 MiB up to the first hole */
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
	uint32_t apm_table;
	uint32_t vbe_control_info, vbe_mode_info;
	uint16_t vbe_mode, vbe_interface_seg, vbe_interface_off, vbe_interface_len;
	uint64_t framebuffer_addr;
	uint32_t framebuffer_pitch, framebuffer_width, framebuffer_height;
	uint8_t framebuffer_bpp, framebuffer_type;
	uint8_t color_info[6];
} __attribute__((packed));

struct multiboot_mod {
	uint32_t mod_start, mod_end, string, reserved;
};

struct multiboot_mmap_entry {
	uint32_t size; /* of the rest of the entry: 20 */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

_Static_assert(sizeof(struct multiboot_info) == 116, "multiboot_info is 116 bytes");
_Static_assert(sizeof(struct multiboot_mmap_entry) == 24, "multiboot mmap entry is 24 bytes");

#endif
