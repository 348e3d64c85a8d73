/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_GUEST_MEM_H
#define CELLA_VMM_GUEST_MEM_H

/*
 * Guest RAM as the host sees it. RAM starts at guest-physical 0 and runs up to
 * the 32-bit PCI/MMIO hole (GUEST_MEM_HOLE_START); anything beyond continues at
 * 4 GiB. Every guest-supplied address goes through guest_mem__ptr(), which
 * refuses ranges that are not wholly inside one RAM region.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_HOLE_START 0xC0000000ULL /* 3 GiB: PCI ECAM, IOAPIC, LAPIC above */
#define GUEST_MEM_HIGH_START 0x100000000ULL

struct guest_mem_region {
	uint64_t gpa;  /* guest-physical start */
	uint64_t size; /* bytes */
	uint8_t *host; /* host mapping of the region */
};

struct guest_mem {
	struct guest_mem_region region[2]; /* low RAM, then RAM above 4 GiB (size 0 if none) */
	unsigned nregions;
	uint64_t ram_size; /* total bytes of RAM */
};

/* Splits one host mapping of ram_size bytes into the regions above. */
static inline void guest_mem__init(struct guest_mem *mem, uint8_t *host, uint64_t ram_size)
{
	uint64_t low = ram_size < GUEST_MEM_HOLE_START ? ram_size : GUEST_MEM_HOLE_START;

	mem->ram_size = ram_size;
	mem->region[0] = (struct guest_mem_region){.gpa = 0, .size = low, .host = host};
	mem->nregions = 1;
	if (ram_size > low) {
		mem->region[1] = (struct guest_mem_region){
			.gpa = GUEST_MEM_HIGH_START, .size = ram_size - low, .host = host + low};
		mem->nregions = 2;
	}
}

/* Host pointer for [gpa, gpa+len) or NULL when any byte of it is not RAM. Overflow-safe. */
static inline void *guest_mem__ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *r = &mem->region[i];

		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

/* Bytes of RAM below the hole (where boot structures and 32-bit kernels go). */
static inline uint64_t guest_mem__low_size(const struct guest_mem *mem)
{
	return mem->region[0].size;
}

#endif
