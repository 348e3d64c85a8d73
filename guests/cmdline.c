/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * cmdline: the Multiboot command line and module 0 (the initrd) arrive intact.
 * Expects "expect=WORD" on the command line and WORD inside the module.
 */
#include "lib.h"

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	const char *cmdline = guest_cmdline(mbi);
	const struct multiboot_module *mod;
	const char *expect;
	char word[64];
	size_t n = 0;

	if (!(mbi->flags & MB_INFO_CMDLINE))
		fail("cmdline: no command line in the Multiboot info");
	puts("cmdline: ");
	puts(cmdline);
	putc('\n');
	if (!(mbi->flags & MB_INFO_MODS) || mbi->mods_count < 1)
		fail("cmdline: no module 0 (initrd)");
	mod = (const struct multiboot_module *)(uintptr_t)mbi->mods_addr;
	if (mod->end <= mod->start || mod->end - mod->start > (1u << 20))
		fail("cmdline: module 0 has a bad size");
	puts("module0: ");
	for (uint32_t a = mod->start; a < mod->end; a++) {
		char c = *(const char *)(uintptr_t)a;

		putc(c >= ' ' && c < 127 ? c : '.');
	}
	putc('\n');
	expect = str_find(cmdline, "expect=");
	if (!expect)
		fail("cmdline: no expect=WORD on the command line");
	for (expect += 7; *expect && *expect != ' ' && n < sizeof(word) - 1; expect++)
		word[n++] = *expect;
	word[n] = '\0';
	{
		/* Compare inside the module's bounds: it is not NUL-terminated. */
		uint32_t len = mod->end - mod->start;
		const char *m = (const char *)(uintptr_t)mod->start;
		bool found = false;

		for (uint32_t i = 0; i + n <= len && !found; i++) {
			size_t j = 0;

			while (j < n && m[i + j] == word[j])
				j++;
			found = j == n;
		}
		if (!found)
			fail("cmdline: module 0 does not hold the expected word");
	}
	pass();
}
