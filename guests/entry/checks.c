/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "checks.h"

#define LOW_RAM_END 0x9fc00u
#define HIGH_START  0x100000u
#define TABLES	    0xe0000u

static void report(const char *who, const char *what)
{
	puts("FAIL ");
	puts(who);
	puts(": ");
	puts(what);
	putc('\n');
	guest_exit(1);
}

static bool overlaps(const struct map_entry *e, uint64_t start, uint64_t end)
{
	return e->addr < end && start < e->addr + e->size;
}

static bool covers(const struct map_entry *e, uint64_t start, uint64_t end)
{
	return e->addr <= start && end <= e->addr + e->size;
}

void check_memory_map(const char *who, const struct map_entry *map, uint32_t n, uint32_t mib)
{
	uint64_t top = 0, ram = 0, want_ram;
	bool tables_reserved = false, low_ram = false;

	if (mib < 2 || mib > 3072)
		report(who, "give mem=MiB (2..3072) on the command line");
	if (n == 0 || n > 128)
		report(who, "memory map has no entries or too many");
	for (uint32_t i = 0; i < n; i++) {
		const struct map_entry *e = &map[i];

		puts(who);
		puts(": e820 ");
		put_hex((uint32_t)e->addr);
		putc('+');
		put_hex((uint32_t)e->size);
		puts(e->type == E820_RAM ? " ram\n" : " reserved\n");
		if (e->addr >> 32 || e->size >> 32)
			continue; /* nothing above 4 GiB with mem <= 3072 */
		if (e->type == E820_RAM) {
			if (overlaps(e, LOW_RAM_END, HIGH_START))
				report(who, "RAM in the hole 0x9fc00-0xfffff");
			if (covers(e, 0, LOW_RAM_END))
				low_ram = true;
			ram += e->size;
			if (e->addr + e->size > top)
				top = e->addr + e->size;
		} else if (covers(e, TABLES, HIGH_START)) {
			tables_reserved = true;
		}
	}
	puts(who);
	puts(": top of RAM ");
	put_hex((uint32_t)top);
	putc('\n');
	if (!low_ram)
		report(who, "no RAM entry for 0-0x9fc00");
	if (!tables_reserved)
		report(who, "ACPI/MP table area 0xe0000-0xfffff is not reserved");
	if (top != (uint64_t)mib << 20)
		report(who, "the memory map's top of RAM does not match --memory");
	want_ram = LOW_RAM_END + ((uint64_t)mib << 20) - HIGH_START;
	if (ram != want_ram)
		report(who, "RAM in the memory map does not add up to --memory minus the holes");
}

void check_module_word(const char *who, const char *cmdline, const uint8_t *data, uint32_t len)
{
	const char *expect = str_find(cmdline, "expect=");
	char word[64];
	size_t n = 0;
	bool found = false;

	puts(who);
	puts(": module0: ");
	for (uint32_t i = 0; i < len && i < 200; i++)
		putc(data[i] >= ' ' && data[i] < 127 ? (char)data[i] : '.');
	putc('\n');
	if (!expect)
		report(who, "no expect=WORD on the command line");
	for (expect += 7; *expect && *expect != ' ' && n < sizeof(word) - 1; expect++)
		word[n++] = *expect;
	word[n] = '\0';
	/* Compare inside the module's bounds: it is not NUL-terminated. */
	for (uint32_t i = 0; i + n <= len && !found; i++) {
		size_t j = 0;

		while (j < n && data[i + j] == (uint8_t)word[j])
			j++;
		found = j == n;
	}
	if (!found)
		report(who, "module 0 does not hold the expected word");
}
