// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Guest RAM into the snapshot's memory file: a raw image at the RAM offsets of
 * guest_mem__init(), so a restore can mmap it as is. The file is sized first
 * and only non-zero pages are written, in runs of up to 16 MiB, so all-zero
 * memory costs neither time nor disk. A diff snapshot writes only the dirty
 * pages; its bitmap goes into the state file so a merge never has to guess
 * from holes (a dirty page that became zero is a hole too).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "snapshot/snapshot_internal.h"

#define SNAPSHOT_WRITE_RUN (16U << 20)

int snapshot__create_memory_file(struct vmm_snapshot_writer *w, uint64_t ram_size, cella_err_t *err)
{
	_cleanup_free_ char *path = NULL;

	if (w->memory_fd >= 0)
		return cella_error_make(err, EEXIST, "snapshot %s: guest memory written twice", w->dir);
	if (asprintf(&path, "%s/%s", w->tmp_dir, SNAPSHOT_MEMORY_FILE) < 0) {
		path = NULL;
		return cella_error_make(err, ENOMEM, "snapshot %s", w->dir);
	}
	w->memory_fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->memory_fd < 0)
		return cella_error_sys(err, "snapshot %s: creating %s", w->dir, path);
	if (ftruncate(w->memory_fd, (off_t)ram_size) < 0)
		return cella_error_sys(err, "snapshot %s: sizing %s to %llu bytes", w->dir, path,
				       (unsigned long long)ram_size);
	return 0;
}

int snapshot__add_memory_section(struct vmm_snapshot_writer *w, uint64_t ram_size, uint32_t crc,
				 cella_err_t *err)
{
	uint8_t sec[SNAPSHOT_MEM_REGIONS + SNAPSHOT_MEM_MAX_REGIONS * SNAPSHOT_MEM_REGION_SIZE] = {0};
	struct snapshot_memory_info info;

	snapshot__memory_layout(ram_size, &info);
	snapshot_put64(sec + SNAPSHOT_MEM_RAM_SIZE, ram_size);
	snapshot_put32(sec + SNAPSHOT_MEM_PAGE_SIZE, SNAPSHOT_PAGE_SIZE);
	snapshot_put32(sec + SNAPSHOT_MEM_NREGIONS, info.nregions);
	snapshot_put32(sec + SNAPSHOT_MEM_CRC, crc);
	for (unsigned i = 0; i < info.nregions; i++) {
		uint8_t *r = sec + SNAPSHOT_MEM_REGIONS + i * SNAPSHOT_MEM_REGION_SIZE;

		snapshot_put64(r, info.region[i].gpa);
		snapshot_put64(r + 8, info.region[i].size);
		snapshot_put64(r + 16, info.region[i].file_offset);
	}
	return snapshot__add_section_raw(w, SNAPSHOT_SEC_MEMORY, SNAPSHOT_SEC_MEMORY_VER, sec,
					 SNAPSHOT_MEM_REGIONS + info.nregions * SNAPSHOT_MEM_REGION_SIZE,
					 err);
}

/* The caller's guest_mem must be laid out as guest_mem__init() does, or a restore would rebuild it wrongly. */
static int check_layout(const struct vmm_snapshot_writer *w, const struct guest_mem *mem, cella_err_t *err)
{
	struct snapshot_memory_info info;

	if (mem->ram_size == 0 || mem->ram_size % SNAPSHOT_PAGE_SIZE != 0)
		return cella_error_make(err, 0,
					"snapshot %s: guest RAM size %llu is not a non-zero multiple of %u",
					w->dir, (unsigned long long)mem->ram_size, SNAPSHOT_PAGE_SIZE);
	snapshot__memory_layout(mem->ram_size, &info);
	if (mem->nregions != info.nregions)
		return cella_error_make(err, 0, "snapshot %s: guest memory has %u regions, expected %u",
					w->dir, mem->nregions, info.nregions);
	for (unsigned i = 0; i < info.nregions; i++) {
		if (mem->region[i].gpa != info.region[i].gpa || mem->region[i].size != info.region[i].size ||
		    mem->region[i].host == NULL)
			return cella_error_make(err, 0,
						"snapshot %s: guest memory region %u is not laid out as "
						"guest_mem__init() does",
						w->dir, i);
	}
	return 0;
}

struct run {
	int fd;
	const char *path;
	const uint8_t *start; /* host address of the first page of the pending run, NULL if none */
	uint64_t file_off;
	size_t len;
};

static int run_flush(struct run *run)
{
	if (run->len == 0)
		return 0;
	if (snapshot__pwrite_all(run->fd, run->start, run->len, run->file_off) < 0)
		return -1;
	run->start = NULL;
	run->len = 0;
	return 0;
}

/* Adds one page to the pending run, writing the run out when the page does not continue it. */
static int run_add(struct run *run, const uint8_t *page, uint64_t file_off)
{
	if (run->len > 0 && (run->start + run->len != page || run->file_off + run->len != file_off ||
			     run->len >= SNAPSHOT_WRITE_RUN)) {
		if (run_flush(run) < 0)
			return -1;
	}
	if (run->len == 0) {
		run->start = page;
		run->file_off = file_off;
	}
	run->len += SNAPSHOT_PAGE_SIZE;
	return 0;
}

static int read_base_id(struct vmm_snapshot_writer *w, const struct guest_mem *mem, const char *base,
			cella_err_t *err)
{
	struct vmm_snapshot_reader *r = NULL;

	if (base == NULL)
		return cella_error_make(err, 0, "snapshot %s: a diff snapshot needs its base snapshot",
					w->dir);
	if (vmm_snapshot__open(base, &r, err) < 0)
		return cella_error_wrap(err, "snapshot %s: base of the diff", w->dir);
	if (!r->has_memory || r->mem.ram_size != mem->ram_size) {
		int ret = cella_error_make(
			err, 0, "snapshot %s: base snapshot %s has %llu bytes of guest memory, the VM %llu",
			w->dir, base, (unsigned long long)(r->has_memory ? r->mem.ram_size : 0),
			(unsigned long long)mem->ram_size);

		vmm_snapshot__close(r);
		return ret;
	}
	memcpy(w->base_id, r->id, SNAPSHOT_ID_LEN);
	vmm_snapshot__close(r);
	return 0;
}

int vmm_snapshot__write_memory(struct vmm_snapshot_writer *w, const struct guest_mem *mem,
			       const uint8_t *dirty_bitmap, const char *base_snapshot, cella_err_t *err)
{
	_cleanup_free_ char *path = NULL;
	uint32_t crc = snapshot__crc(0, NULL, 0);
	struct run run = {0};
	uint64_t ram_off = 0;

	if (check_layout(w, mem, err) < 0)
		return -1;
	if (dirty_bitmap && read_base_id(w, mem, base_snapshot, err) < 0)
		return -1;
	if (snapshot__create_memory_file(w, mem->ram_size, err) < 0)
		return -1;
	if (asprintf(&path, "%s/%s", w->tmp_dir, SNAPSHOT_MEMORY_FILE) < 0) {
		path = NULL;
		return cella_error_make(err, ENOMEM, "snapshot %s", w->dir);
	}
	run.fd = w->memory_fd;
	run.path = path;
	for (unsigned i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *reg = &mem->region[i];

		for (uint64_t off = 0; off < reg->size;
		     off += SNAPSHOT_PAGE_SIZE, ram_off += SNAPSHOT_PAGE_SIZE) {
			const uint8_t *page = reg->host + off;
			uint64_t index = ram_off / SNAPSHOT_PAGE_SIZE;

			if (dirty_bitmap && !snapshot__bit_is_set(dirty_bitmap, index))
				continue;
			if (snapshot__page_is_zero(page))
				continue; /* the file is a hole there: reads as zero */
			crc = snapshot__crc_page(crc, index, page);
			if (run_add(&run, page, ram_off) < 0)
				return cella_error_sys(err, "snapshot %s: writing guest memory to %s", w->dir,
						       path);
		}
	}
	if (run_flush(&run) < 0)
		return cella_error_sys(err, "snapshot %s: writing guest memory to %s", w->dir, path);
	if (dirty_bitmap) {
		uint64_t pages = mem->ram_size / SNAPSHOT_PAGE_SIZE;

		if (snapshot__add_section_raw(w, SNAPSHOT_SEC_DIRTY, SNAPSHOT_SEC_DIRTY_VER, dirty_bitmap,
					      (size_t)((pages + 7) / 8), err) < 0)
			return -1;
		w->flags |= SNAPSHOT_FLAG_DIFF;
	}
	return snapshot__add_memory_section(w, mem->ram_size, crc, err);
}
