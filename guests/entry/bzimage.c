/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bzimage: entered through the Linux x86 64-bit boot protocol at load + 0x200
 * with rsi = boot_params (the zero page). Checks 64-bit mode, the entry
 * address, the setup header the loader copied and the fields it sets
 * (type_of_loader 0xff, cmd_line_ptr, ramdisk_image/size), the e820 table
 * against "mem=MiB", and the initrd against "expect=WORD".
 */
#include "checks.h"
#include "lib64.h"

/* Zero page offsets (Documentation/arch/x86/zero-page.rst, boot.rst). */
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_E820_ENTRIES	     0x1e8
#define BP_BOOT_FLAG	     0x1fe
#define BP_HEADER	     0x202
#define BP_VERSION	     0x206
#define BP_TYPE_OF_LOADER    0x210
#define BP_RAMDISK_IMAGE     0x218
#define BP_RAMDISK_SIZE	     0x21c
#define BP_CMD_LINE_PTR	     0x228
#define BP_XLOADFLAGS	     0x236
#define BP_PREF_ADDRESS	     0x258
#define BP_E820_TABLE	     0x2d0
#define LOAD_ADDRESS	     0x100000u

struct e820_entry {
	uint64_t addr, size;
	uint32_t type;
} __attribute__((packed));

static struct map_entry map[128];

static uint32_t get32(const uint8_t *bp, uint32_t off)
{
	return *(const volatile uint32_t *)(bp + off);
}

void bz_main(const uint8_t *bp, uint64_t entry);
void bz_main(const uint8_t *bp, uint64_t entry)
{
	const struct e820_entry *e820;
	const char *cmdline;
	uint32_t n, rd, rd_size;

	puts("bzimage: 64-bit entry at ");
	put_hex((uint32_t)entry);
	puts(", boot_params at ");
	put_hex((uint32_t)(uintptr_t)bp);
	putc('\n');
	if (!(rdmsr(MSR_EFER) & EFER_LMA))
		fail("bzimage: not in long mode");
	if (entry != LOAD_ADDRESS + 0x200)
		fail("bzimage: not entered at pref_address + 0x200");
	if (!bp || (uint64_t)(uintptr_t)bp >> 32)
		fail("bzimage: rsi is not a boot_params address below 4 GiB");
	if (get32(bp, BP_HEADER) != 0x53726448u || *(const uint16_t *)(bp + BP_BOOT_FLAG) != 0xaa55)
		fail("bzimage: no setup header (HdrS, 0xAA55) in boot_params");
	if (*(const uint16_t *)(bp + BP_VERSION) != 0x020f || !(bp[BP_XLOADFLAGS] & 1) ||
	    get32(bp, BP_PREF_ADDRESS) != LOAD_ADDRESS)
		fail("bzimage: setup header fields were not copied from the file");
	if (bp[BP_TYPE_OF_LOADER] != 0xff)
		fail("bzimage: type_of_loader is not 0xff");
	if (get32(bp, BP_EXT_CMD_LINE_PTR) || get32(bp, BP_EXT_RAMDISK_IMAGE) ||
	    get32(bp, BP_EXT_RAMDISK_SIZE))
		fail("bzimage: ext_* high halves are not 0");
	if (get32(bp, BP_CMD_LINE_PTR) == 0)
		fail("bzimage: cmd_line_ptr is 0");
	cmdline = (const char *)(uintptr_t)get32(bp, BP_CMD_LINE_PTR);
	puts("bzimage: cmdline: ");
	puts(cmdline);
	putc('\n');

	n = bp[BP_E820_ENTRIES];
	if (n == 0 || n > 128)
		fail("bzimage: e820_entries is 0 or over 128");
	e820 = (const struct e820_entry *)(bp + BP_E820_TABLE);
	for (uint32_t i = 0; i < n; i++)
		map[i] = (struct map_entry){.addr = e820[i].addr, .size = e820[i].size, .type = e820[i].type};
	check_memory_map("bzimage", map, n, cmdline_number(cmdline, "mem", 0));

	rd = get32(bp, BP_RAMDISK_IMAGE);
	rd_size = get32(bp, BP_RAMDISK_SIZE);
	puts("bzimage: ramdisk at ");
	put_hex(rd);
	puts(", ");
	put_dec(rd_size);
	puts(" bytes\n");
	if (rd == 0 || rd_size == 0 || rd_size > (1u << 20) || rd < LOAD_ADDRESS)
		fail("bzimage: ramdisk_image/ramdisk_size missing or bad");
	check_module_word("bzimage", cmdline, (const uint8_t *)(uintptr_t)rd, rd_size);
	pass();
}
