/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_DIRTY_TRACK_H
#define CELLA_VMM_CORE_DIRTY_TRACK_H

/*
 * User-space dirty-page tracking for guest-memory writes that KVM's dirty log
 * cannot see: virtio devices write buffers and used rings through the host
 * mapping, never through a vCPU (Firecracker does the same for its devices).
 * The bitmap has the layout of KVM_GET_DIRTY_LOG and of a snapshot's
 * snapshot.dirty section: bit i stands for the page at RAM offset i * 4096,
 * RAM offsets counting region 0 then region 1 (docs/snapshots.md).
 *
 * Marking is lock-free (one atomic OR per page) and does nothing until
 * logging is started, so a VM that never takes a snapshot pays one relaxed
 * load per mark. Any thread may mark; collecting swaps each word with zero, so
 * a mark racing a collect lands in one collect or the next, never in neither.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cella/error.h>

#include "guest_mem.h"

#define DIRTY_TRACK_PAGE 4096U

struct dirty_track_region {
	const uint8_t *host; /* host mapping of the region */
	uint64_t size;	     /* bytes */
	uint64_t first_page; /* bit of the region's first page */
};

struct dirty_track {
	bool logging; /* atomic: marks count only while set */
	unsigned nregions;
	struct dirty_track_region region[2];
	uint64_t *bits; /* atomic words, (pages + 63) / 64 of them */
	size_t words;
};

/*
 * Starts logging with the region layout of mem (allocating the bitmap the
 * first time; later starts must see the same layout). The bitmap is empty
 * when logging starts for the first time; a restart keeps what it holds.
 */
int dirty_track__start(struct dirty_track *t, const struct guest_mem *mem, cella_err_t *err);
/* Frees the bitmap. No thread may mark any more. */
void dirty_track__destroy(struct dirty_track *t);

/*
 * Marks every page that [host, host + len) touches; bytes outside the regions
 * are ignored. Inline, like dirty_track__mark(): the virtqueue code (also built
 * alone into the fuzzers) needs nothing linked in to mark.
 */
static inline void dirty_track__mark_slow(struct dirty_track *t, const void *host, size_t len)
{
	const uint8_t *p = host;

	if (!len)
		return;
	for (unsigned i = 0; i < t->nregions; i++) {
		const struct dirty_track_region *r = &t->region[i];
		uint64_t off, last;

		/* Compared as integers: host may lie in no region at all, where pointer order means nothing. */
		if ((uintptr_t)p < (uintptr_t)r->host || (uintptr_t)p - (uintptr_t)r->host >= r->size)
			continue;
		off = (uintptr_t)p - (uintptr_t)r->host;
		last = len - 1 > r->size - 1 - off ? r->size - 1 : off + len - 1;
		for (uint64_t page = off / DIRTY_TRACK_PAGE; page <= last / DIRTY_TRACK_PAGE; page++) {
			uint64_t bit = r->first_page + page;

			/* Reading first skips the locked OR for a page already marked (the common case). */
			if (!(__atomic_load_n(&t->bits[bit / 64], __ATOMIC_RELAXED) >> (bit % 64) & 1))
				__atomic_fetch_or(&t->bits[bit / 64], 1ULL << (bit % 64), __ATOMIC_RELAXED);
		}
		return;
	}
}

static inline void dirty_track__mark(struct dirty_track *t, const void *host, size_t len)
{
	/* Acquire pairs with the release in start: the regions and bitmap are set up before logging shows. */
	if (t && __atomic_load_n(&t->logging, __ATOMIC_ACQUIRE))
		dirty_track__mark_slow(t, host, len);
}

/*
 * ORs the pages marked since the last collect into bitmap (ceil(pages / 8)
 * bytes, the snapshot.dirty layout) and clears them. Nothing when logging
 * never started.
 */
void dirty_track__collect(struct dirty_track *t, uint8_t *bitmap);

#endif
