/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_BOOT_BOOTPARAM_H
#define CELLA_VMM_BOOT_BOOTPARAM_H

/* The Linux/x86 boot protocol (Documentation/arch/x86/boot.rst): setup header and zero page offsets. */
#include <stddef.h>
#include <stdint.h>

struct setup_header {
	uint8_t setup_sects;
	uint16_t root_flags;
	uint32_t syssize;
	uint16_t ram_size;
	uint16_t vid_mode;
	uint16_t root_dev;
	uint16_t boot_flag;
	uint16_t jump;
	uint32_t header;
	uint16_t version;
	uint32_t realmode_swtch;
	uint16_t start_sys_seg;
	uint16_t kernel_version;
	uint8_t type_of_loader;
	uint8_t loadflags;
	uint16_t setup_move_size;
	uint32_t code32_start;
	uint32_t ramdisk_image;
	uint32_t ramdisk_size;
	uint32_t bootsect_kludge;
	uint16_t heap_end_ptr;
	uint8_t ext_loader_ver;
	uint8_t ext_loader_type;
	uint32_t cmd_line_ptr;
	uint32_t initrd_addr_max;
	uint32_t kernel_alignment;
	uint8_t relocatable_kernel;
	uint8_t min_alignment;
	uint16_t xloadflags;
	uint32_t cmdline_size;
	uint32_t hardware_subarch;
	uint64_t hardware_subarch_data;
	uint32_t payload_offset;
	uint32_t payload_length;
	uint64_t setup_data;
	uint64_t pref_address;
	uint32_t init_size;
	uint32_t handover_offset;
	uint32_t kernel_info_offset;
} __attribute__((packed));

#define BP_SETUP_HEADER	     0x1f1 /* in the file and in the zero page */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_E820_ENTRIES	     0x1e8
#define BP_SETUP_HEADER_END  0x290 /* zero page room for the header (edd_mbr_sig_buffer follows) */
#define BP_E820_TABLE	     0x2d0
#define BP_E820_MAX	     128
#define BP_SIZE		     4096

#define BP_HDRS_MAGIC	    0x53726448 /* "HdrS" */
#define BP_BOOT_FLAG	    0xAA55
#define BP_LOADED_HIGH	    (1U << 0)
#define BP_CAN_USE_HEAP	    (1U << 7)
#define BP_XLF_KERNEL_64    (1U << 0)
#define BP_LOADER_UNDEFINED 0xff
#define BP_KERNEL64_OFFSET  0x200 /* 64-bit entry: load address + 0x200 */

_Static_assert(offsetof(struct setup_header, header) == 0x202 - BP_SETUP_HEADER, "HdrS at 0x202");
_Static_assert(offsetof(struct setup_header, xloadflags) == 0x236 - BP_SETUP_HEADER, "xloadflags at 0x236");
_Static_assert(offsetof(struct setup_header, pref_address) == 0x258 - BP_SETUP_HEADER,
	       "pref_address at 0x258");
_Static_assert(sizeof(struct setup_header) == 0x26c - BP_SETUP_HEADER, "setup header ends at 0x26c");

#endif
