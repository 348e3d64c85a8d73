/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_PLATFORM_E820_H
#define CELLA_VMM_PLATFORM_E820_H

#include <stdint.h>

/* Linux's struct boot_e820_entry (zero page layout): 20 bytes, packed. */
struct boot_e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

#define BOOT_E820_RAM	   1
#define BOOT_E820_RESERVED 2
#define BOOT_E820_MAX	   8 /* the most entries vmm_platform__e820() produces */

#endif
