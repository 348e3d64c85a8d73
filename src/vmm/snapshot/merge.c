// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Diff snapshots made whole. The merged memory file is the base's image with
 * the diff's dirty pages applied; the state sections are the diff's. It is
 * written through the ordinary writer into the diff's directory, so the diff
 * is replaced atomically and the base is never touched: a crash during a
 * merge leaves both snapshots as they were.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "snapshot/snapshot_internal.h"

#define MERGE_CHUNK (8U << 20)

static void reader_cleanup(struct vmm_snapshot_reader **r)
{
	vmm_snapshot__close(*r);
}

static void writer_cleanup(struct vmm_snapshot_writer **w)
{
	vmm_snapshot__abort(*w);
}

#define _cleanup_reader_ __attribute__((cleanup(reader_cleanup)))
#define _cleanup_writer_ __attribute__((cleanup(writer_cleanup)))

static void format_id(const uint8_t *id, char out[2 * SNAPSHOT_ID_LEN + 1])
{
	for (unsigned i = 0; i < SNAPSHOT_ID_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", id[i]);
}

static int check_pair(const struct vmm_snapshot_reader *base, const struct vmm_snapshot_reader *diff,
		      cella_err_t *err)
{
	char want[2 * SNAPSHOT_ID_LEN + 1], have[2 * SNAPSHOT_ID_LEN + 1];

	if (!vmm_snapshot__is_diff(diff))
		return cella_error_make(err, 0, "snapshot %s: is not a diff snapshot", diff->dir);
	if (vmm_snapshot__is_diff(base))
		return cella_error_make(
			err, 0, "snapshot %s: the base is itself a diff snapshot; merge it first", base->dir);
	if (memcmp(diff->base_id, base->id, SNAPSHOT_ID_LEN) != 0) {
		format_id(diff->base_id, want);
		format_id(base->id, have);
		return cella_error_make(err, 0, "snapshot %s: was taken against snapshot %s, not %s (%s)",
					diff->dir, want, base->dir, have);
	}
	if (base->mem.ram_size != diff->mem.ram_size)
		return cella_error_make(err, 0, "snapshot %s: %llu bytes of memory, the base %s has %llu",
					diff->dir, (unsigned long long)diff->mem.ram_size, base->dir,
					(unsigned long long)base->mem.ram_size);
	return 0;
}

/* Copies the base image chunk by chunk, taking each dirty page from the diff instead; zero chunks stay holes. */
static int merge_memory_with(uint8_t *buf, const struct vmm_snapshot_reader *base,
			     const struct vmm_snapshot_reader *diff, struct vmm_snapshot_writer *w,
			     uint32_t *crc, cella_err_t *err)
{
	uint64_t size = base->mem.ram_size;
	uint32_t c = snapshot__crc(0, NULL, 0);

	if (snapshot__create_memory_file(w, size, err) < 0)
		return -1;
	for (uint64_t off = 0; off < size; off += MERGE_CHUNK) {
		size_t n = size - off < MERGE_CHUNK ? (size_t)(size - off) : MERGE_CHUNK;
		bool any = false;

		if (snapshot__pread_all(base->memory_fd, buf, n, off) < 0)
			return cella_error_sys(err, "snapshot %s: reading %s/%s", diff->dir, base->dir,
					       SNAPSHOT_MEMORY_FILE);
		for (size_t p = 0; p < n; p += SNAPSHOT_PAGE_SIZE) {
			uint64_t index = (off + p) / SNAPSHOT_PAGE_SIZE;

			if (snapshot__bit_is_set(diff->dirty, index) &&
			    snapshot__pread_all(diff->memory_fd, buf + p, SNAPSHOT_PAGE_SIZE, off + p) < 0)
				return cella_error_sys(err, "snapshot %s: reading %s/%s", diff->dir,
						       diff->dir, SNAPSHOT_MEMORY_FILE);
			if (!snapshot__page_is_zero(buf + p)) {
				c = snapshot__crc_page(c, index, buf + p);
				any = true;
			}
		}
		if (any && snapshot__pwrite_all(w->memory_fd, buf, n, off) < 0)
			return cella_error_sys(err, "snapshot %s: writing merged memory to %s/%s", diff->dir,
					       w->tmp_dir, SNAPSHOT_MEMORY_FILE);
	}
	*crc = c;
	return 0;
}

static int merge_memory(const struct vmm_snapshot_reader *base, const struct vmm_snapshot_reader *diff,
			struct vmm_snapshot_writer *w, uint32_t *crc, cella_err_t *err)
{
	uint8_t *buf = malloc(MERGE_CHUNK);
	int ret;

	if (buf == NULL)
		return cella_error_make(err, ENOMEM, "snapshot %s: merging", diff->dir);
	ret = merge_memory_with(buf, base, diff, w, crc, err);
	free(buf);
	return ret;
}

int vmm_snapshot__merge_diff(const char *base_dir, const char *diff_dir, cella_err_t *err)
{
	_cleanup_reader_ struct vmm_snapshot_reader *base = NULL;
	_cleanup_reader_ struct vmm_snapshot_reader *diff = NULL;
	_cleanup_writer_ struct vmm_snapshot_writer *w = NULL;
	uint32_t crc = 0;

	if (vmm_snapshot__open(base_dir, &base, err) < 0 || vmm_snapshot__open(diff_dir, &diff, err) < 0)
		return cella_error_wrap(err, "merging %s onto %s", diff_dir, base_dir);
	if (check_pair(base, diff, err) < 0)
		return -1;
	if (vmm_snapshot__writer_begin(diff_dir, &w, err) < 0)
		return -1;
	/* The merged snapshot is the same VM state as the diff: it keeps the diff's id, so later diffs still match. */
	memcpy(w->id, diff->id, SNAPSHOT_ID_LEN);
	for (unsigned i = 0; i < diff->nentries; i++) {
		const struct snapshot_entry *e = &diff->entries[i];

		if (strncmp(e->name, SNAPSHOT_RESERVED_PREFIX, strlen(SNAPSHOT_RESERVED_PREFIX)) == 0)
			continue;
		if (snapshot__add_section_raw(w, e->name, e->version, diff->buf + e->offset,
					      (size_t)e->length, err) < 0)
			return -1;
	}
	if (merge_memory(base, diff, w, &crc, err) < 0 ||
	    snapshot__add_memory_section(w, base->mem.ram_size, crc, err) < 0)
		return -1;
	return vmm_snapshot__commit(steal_pointer(&w), err);
}
