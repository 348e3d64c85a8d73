/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/dirty_track.h"

#include <errno.h>
#include <stdlib.h>

static bool same_layout(const struct dirty_track *t, const struct guest_mem *mem)
{
	if (t->nregions != mem->nregions)
		return false;
	for (unsigned i = 0; i < mem->nregions; i++) {
		if (t->region[i].host != mem->region[i].host || t->region[i].size != mem->region[i].size)
			return false;
	}
	return true;
}

int dirty_track__start(struct dirty_track *t, const struct guest_mem *mem, cella_err_t *err)
{
	uint64_t pages = 0;

	if (t->bits) {
		if (!same_layout(t, mem))
			return cella_error_make(err, EINVAL,
						"device dirty tracking: guest RAM layout changed");
		__atomic_store_n(&t->logging, true, __ATOMIC_RELEASE);
		return 0;
	}
	if (mem->nregions > 2)
		return cella_error_make(err, EINVAL, "device dirty tracking: %u RAM regions", mem->nregions);
	for (unsigned i = 0; i < mem->nregions; i++) {
		/* Page-granular regions: KVM slots are, and a bit must never stand for two regions' bytes. */
		if (mem->region[i].size % DIRTY_TRACK_PAGE)
			return cella_error_make(
				err, EINVAL,
				"device dirty tracking: RAM region %u is not a whole number of pages", i);
		t->region[i] = (struct dirty_track_region){
			.host = mem->region[i].host, .size = mem->region[i].size, .first_page = pages};
		pages += mem->region[i].size / DIRTY_TRACK_PAGE;
	}
	t->nregions = mem->nregions;
	t->words = (size_t)((pages + 63) / 64);
	t->bits = calloc(t->words ? t->words : 1, sizeof(uint64_t));
	if (!t->bits)
		return cella_error_make(err, ENOMEM, "device dirty tracking: bitmap of %llu pages",
					(unsigned long long)pages);
	__atomic_store_n(&t->logging, true, __ATOMIC_RELEASE);
	return 0;
}

void dirty_track__destroy(struct dirty_track *t)
{
	__atomic_store_n(&t->logging, false, __ATOMIC_RELAXED);
	free(t->bits);
	t->bits = NULL;
	t->words = 0;
}

void dirty_track__collect(struct dirty_track *t, uint8_t *bitmap)
{
	for (size_t w = 0; w < t->words; w++) {
		uint64_t word;

		if (!__atomic_load_n(&t->bits[w], __ATOMIC_RELAXED))
			continue;
		word = __atomic_exchange_n(&t->bits[w], 0, __ATOMIC_ACQ_REL);
		for (unsigned b = 0; word; b++, word >>= 1) {
			if (word & 1) {
				uint64_t bit = (uint64_t)w * 64 + b;

				bitmap[bit / 8] |= (uint8_t)(1U << (bit % 8));
			}
		}
	}
}
