/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * memory: mem_upper and the memory map match the RAM size given as "mem=MiB"
 * on the command line (what the test passes to --memory), and the last page
 * of RAM keeps a written pattern.
 */
#include "lib.h"

struct mmap_entry {
	uint32_t size;
	uint32_t base_lo, base_hi, len_lo, len_hi, type;
} __attribute__((packed));

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	uint32_t mib = cmdline_number(guest_cmdline(mbi), "mem", 0);
	uint32_t top = 0;
	volatile uint32_t *page;

	if (mib == 0 || mib > 3072)
		fail("memory: give mem=MiB (<= 3072) on the command line");
	if (!(mbi->flags & MB_INFO_MEMORY) || !(mbi->flags & MB_INFO_MMAP))
		fail("memory: no memory information");
	if (mbi->mem_upper + 1024 != mib * 1024)
		fail("memory: mem_upper does not match --memory");
	for (uint32_t off = 0; off < mbi->mmap_length;) {
		const struct mmap_entry *e = (const struct mmap_entry *)(uintptr_t)(mbi->mmap_addr + off);

		if (e->type == 1 && e->base_hi == 0 && e->base_lo + e->len_lo > top)
			top = e->base_lo + e->len_lo;
		off += e->size + 4;
	}
	puts("memory: top of RAM ");
	put_hex(top);
	putc('\n');
	if (top != mib << 20)
		fail("memory: the memory map's top of RAM does not match --memory");
	page = (volatile uint32_t *)(uintptr_t)(top - 4096);
	for (uint32_t i = 0; i < 1024; i += 64)
		page[i] = 0xc0ffee00u ^ i;
	for (uint32_t i = 0; i < 1024; i += 64) {
		if (page[i] != (0xc0ffee00u ^ i))
			fail("memory: pattern at the top of RAM did not read back");
	}
	pass();
}
