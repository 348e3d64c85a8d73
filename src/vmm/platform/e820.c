// SPDX-License-Identifier: GPL-2.0-or-later
/* The guest's e820 memory map, shared by the Linux zero page, PVH and Multiboot. */
#include <errno.h>

#include "platform/platform.h"

static int e820__add(struct boot_e820_entry *out, unsigned max, unsigned *n, uint64_t addr, uint64_t size,
		     uint32_t type)
{
	if (*n >= max)
		return -ENOSPC;
	out[*n] = (struct boot_e820_entry){.addr = addr, .size = size, .type = type};
	(*n)++;
	return 0;
}

int vmm_platform__e820(const struct guest_mem *mem, struct boot_e820_entry *out, unsigned max, unsigned *n)
{
	uint64_t low = guest_mem__low_size(mem);
	int ret = 0;

	*n = 0;
	/* Below 1 MiB live the boot structures and firmware tables; a guest smaller than that cannot boot. */
	if (low < BOOT_KERNEL_MIN_GPA)
		return -EINVAL;
	ret |= e820__add(out, max, n, 0, BOOT_EBDA_GPA, BOOT_E820_RAM);
	/* The EBDA slot and the BIOS area (ACPI + MP tables) stay reserved, as on a PC. */
	ret |= e820__add(out, max, n, BOOT_EBDA_GPA, 0xA0000 - BOOT_EBDA_GPA, BOOT_E820_RESERVED);
	ret |= e820__add(out, max, n, BOOT_BIOS_AREA_START, BOOT_BIOS_AREA_END - BOOT_BIOS_AREA_START,
			 BOOT_E820_RESERVED);
	if (low > BOOT_KERNEL_MIN_GPA)
		ret |= e820__add(out, max, n, BOOT_KERNEL_MIN_GPA, low - BOOT_KERNEL_MIN_GPA, BOOT_E820_RAM);
	/* ECAM must be e820-reserved or Linux ignores the MCFG table; IOAPIC and LAPIC sit above it. */
	ret |= e820__add(out, max, n, PLATFORM_RESERVED_BASE, GUEST_MEM_HIGH_START - PLATFORM_RESERVED_BASE,
			 BOOT_E820_RESERVED);
	for (unsigned i = 1; i < mem->nregions; i++) {
		if (mem->region[i].size)
			ret |= e820__add(out, max, n, mem->region[i].gpa, mem->region[i].size, BOOT_E820_RAM);
	}
	return ret ? -ENOSPC : 0;
}
