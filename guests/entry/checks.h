/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_GUEST_ENTRY_CHECKS_H
#define CELLA_GUEST_ENTRY_CHECKS_H

/* Checks shared by the PVH and bzImage guests, over a memory map in either protocol's layout. */
#include "lib.h"

#define E820_RAM      1
#define E820_RESERVED 2

struct map_entry {
	uint64_t addr, size;
	uint32_t type;
};

/*
 * The map must describe exactly "mem=MiB" of RAM: low RAM up to the EBDA at
 * 0x9FC00, RAM from 1 MiB to the end of RAM, no RAM in 0x9FC00-0xFFFFF, the
 * ACPI/MP table area 0xE0000-0xFFFFF reserved. Prints the map; fails on a mismatch.
 */
void check_memory_map(const char *who, const struct map_entry *map, uint32_t n, uint32_t mib);

/* Prints the module and fails unless it holds the WORD of "expect=WORD" on the command line. */
void check_module_word(const char *who, const char *cmdline, const uint8_t *data, uint32_t len);

#endif
