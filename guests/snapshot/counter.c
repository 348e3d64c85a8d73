/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * counter: counts in memory forever and prints "tick N" on COM1 every
 * `every=K` increments (default 20000), so a snapshot taken mid-run and
 * restored must continue the sequence with no gap and no repeat. It polls
 * cella-vmm's generation ID ports (0x5e0: u32 generation, 0x5e4: 16-byte ID)
 * at every tick and prints "genid G XXXXXXXX" (generation, first 4 ID bytes)
 * at boot and whenever they change: a restored copy announces itself.
 * Options: `touch=M` fills M MiB of RAM above 2 MiB with non-zero data first
 * (snapshot benchmarks); `stop=N` ends the VM with PASS at tick N.
 */
#include "lib.h"

#define GENID_PORT 0x5e0

static volatile uint32_t counter, ticks;
static uint32_t seen_gen, seen_id;

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void check_genid(bool force)
{
	uint32_t gen = inl(GENID_PORT), id = inl(GENID_PORT + 4);

	if (!force && gen == seen_gen && id == seen_id)
		return;
	seen_gen = gen;
	seen_id = id;
	puts("genid ");
	put_dec(gen);
	putc(' ');
	put_hex(id);
	putc('\n');
}

/* rep stosl: the fastest way to write memory at CPL0 on a software-assisted KVM. */
static void touch_memory(uint32_t mib, uint32_t mem_upper_kib)
{
	uint32_t start = 2u << 20, bytes = mib << 20, dwords;
	uint32_t end = mem_upper_kib * 1024u + (1u << 20); /* RAM above 1 MiB per Multiboot */

	if (end <= start)
		return;
	if (bytes > end - start)
		bytes = end - start;
	dwords = bytes / 4;
	__asm__ volatile("rep stosl" : "+D"(start), "+c"(dwords) : "a"(0x5a5a5a5au) : "memory");
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	const char *cmdline;
	uint32_t every, stop, touch;

	if (magic != MB_BOOT_MAGIC)
		fail("counter: not entered by a Multiboot loader");
	cmdline = guest_cmdline(mbi);
	every = cmdline_number(cmdline, "every", 20000);
	stop = cmdline_number(cmdline, "stop", 0);
	touch = cmdline_number(cmdline, "touch", 0);
	if (every == 0)
		every = 1;
	if (touch)
		touch_memory(touch, (mbi->flags & MB_INFO_MEMORY) ? mbi->mem_upper : 0);
	check_genid(true);
	puts("counting\n");
	for (;;) {
		counter = counter + 1;
		if (counter % every != 0)
			continue;
		ticks = ticks + 1;
		check_genid(false);
		puts("tick ");
		put_dec(ticks);
		putc('\n');
		if (stop && ticks >= stop)
			pass();
	}
}
