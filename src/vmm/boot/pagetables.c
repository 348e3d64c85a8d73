// SPDX-License-Identifier: GPL-2.0-or-later
/* The GDT every entry mode starts with, and the identity page tables for 64-bit entry. */
#include <string.h>

#include "boot/boot_internal.h"

#define PTE_PRESENT   (1ULL << 0)
#define PTE_WRITE     (1ULL << 1)
#define PTE_HUGE      (1ULL << 7)
#define BOOT_PD_PAGES 4 /* 4 x 512 x 2 MiB = 4 GiB */

uint64_t boot__gdt_entry(uint16_t flags, uint32_t base, uint32_t limit)
{
	return (((uint64_t)base & 0xff000000ULL) << 32) | (((uint64_t)flags & 0xf0ffULL) << 40) |
	       (((uint64_t)limit & 0x000f0000ULL) << 32) | (((uint64_t)base & 0x00ffffffULL) << 16) |
	       ((uint64_t)limit & 0xffffULL);
}

int boot__write_gdt(struct guest_mem *mem, bool long_mode, cella_err_t *err)
{
	uint64_t gdt[BOOT_GDT_ENTRIES] = {
		[BOOT_GDT_CODE_SELECTOR / 8] = boot__gdt_entry(long_mode ? 0xa09b : 0xc09b, 0, 0xfffff),
		[BOOT_GDT_DATA_SELECTOR / 8] = boot__gdt_entry(0xc093, 0, 0xfffff),
		/* A TSS descriptor is 16 bytes in long mode; the upper half (entry 5) stays zero. */
		[BOOT_GDT_TSS_SELECTOR / 8] = boot__gdt_entry(0x008b, 0, 0x67),
	};
	void *dst = boot__low_ptr(mem, BOOT_GDT_GPA, sizeof(gdt), "GDT", err);
	void *idt = boot__low_ptr(mem, BOOT_IDT_GPA, 8, "IDT", err);

	if (!dst || !idt)
		return -1;
	memcpy(dst, gdt, sizeof(gdt));
	memset(idt, 0, 8);
	return 0;
}

int boot__write_page_tables(struct guest_mem *mem, cella_err_t *err)
{
	uint64_t *pml4 = boot__low_ptr(mem, BOOT_PML4_GPA, BOOT_PAGE_SIZE, "PML4", err);
	uint64_t *pdpt = boot__low_ptr(mem, BOOT_PDPT_GPA, BOOT_PAGE_SIZE, "PDPT", err);
	uint64_t *pd =
		boot__low_ptr(mem, BOOT_PD_GPA, BOOT_PD_PAGES * BOOT_PAGE_SIZE, "page directories", err);

	if (!pml4 || !pdpt || !pd)
		return -1;
	memset(pml4, 0, BOOT_PAGE_SIZE);
	memset(pdpt, 0, BOOT_PAGE_SIZE);
	pml4[0] = BOOT_PDPT_GPA | PTE_PRESENT | PTE_WRITE;
	/* 2 MiB pages: 1 GiB pages would need pdpe1gb, which not every host offers. */
	for (unsigned i = 0; i < BOOT_PD_PAGES; i++)
		pdpt[i] = (BOOT_PD_GPA + i * BOOT_PAGE_SIZE) | PTE_PRESENT | PTE_WRITE;
	for (unsigned i = 0; i < BOOT_PD_PAGES * 512; i++)
		pd[i] = ((uint64_t)i << 21) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	return 0;
}
