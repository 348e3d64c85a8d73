/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * pvh: entered through the PVH note in 32-bit protected mode with paging off
 * and ebx = hvm_start_info. Checks the magic, the command line, the memory
 * map against "mem=MiB" (RAM size and the holes), the initrd as module 0
 * against "expect=WORD", and that rsdp_paddr points at "RSD PTR ".
 */
#include "checks.h"

#define HVM_START_MAGIC 0x336ec578u

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr, memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

static struct map_entry map[128];

/* A guest-physical address the guest can dereference: below 4 GiB, paging off. */
static const void *phys(uint64_t pa, const char *what)
{
	if (pa == 0 || pa >> 32) {
		puts("FAIL pvh: ");
		puts(what);
		puts(" address is 0 or above 4 GiB\n");
		guest_exit(1);
	}
	return (const void *)(uintptr_t)pa;
}

void pvh_main(const struct hvm_start_info *si);
void pvh_main(const struct hvm_start_info *si)
{
	const struct hvm_memmap_entry *mm;
	const struct hvm_modlist_entry *mod;
	const char *cmdline;
	const char *rsdp;
	uint32_t cr0;

	__asm__ volatile("mov %%cr0, %0" : "=r"(cr0));
	puts("pvh: entered at pvh_start, start info at ");
	put_hex((uint32_t)(uintptr_t)si);
	putc('\n');
	if (!(cr0 & 1) || (cr0 & 0x80000000u))
		fail("pvh: not in 32-bit protected mode with paging off");
	if (si->magic != HVM_START_MAGIC)
		fail("pvh: hvm_start_info magic is not 0x336ec578");
	if (si->version < 1)
		fail("pvh: hvm_start_info version 0 has no memory map");
	cmdline = phys(si->cmdline_paddr, "cmdline_paddr");
	puts("pvh: cmdline: ");
	puts(cmdline);
	putc('\n');

	if (si->memmap_entries == 0 || si->memmap_entries > 128)
		fail("pvh: memmap_entries is 0 or over 128");
	mm = phys(si->memmap_paddr, "memmap_paddr");
	for (uint32_t i = 0; i < si->memmap_entries; i++)
		map[i] = (struct map_entry){.addr = mm[i].addr, .size = mm[i].size, .type = mm[i].type};
	check_memory_map("pvh", map, si->memmap_entries, cmdline_number(cmdline, "mem", 0));

	if (si->nr_modules < 1)
		fail("pvh: no module 0 (initrd)");
	mod = phys(si->modlist_paddr, "modlist_paddr");
	if (mod->size == 0 || mod->size > (1u << 20) || mod->paddr >> 32)
		fail("pvh: module 0 has a bad address or size");
	check_module_word("pvh", cmdline, phys(mod->paddr, "module 0"), (uint32_t)mod->size);

	rsdp = phys(si->rsdp_paddr, "rsdp_paddr");
	puts("pvh: rsdp at ");
	put_hex((uint32_t)(uintptr_t)rsdp);
	putc('\n');
	for (int i = 0; i < 8; i++) {
		if (rsdp[i] != "RSD PTR "[i])
			fail("pvh: no \"RSD PTR \" signature at rsdp_paddr");
	}
	pass();
}
