/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_SNAPSHOT_INTERNAL_H
#define CELLA_VMM_SNAPSHOT_INTERNAL_H

/* What the files of src/vmm/snapshot share; not for other subsystems. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cella/error.h>

#include "snapshot/format.h"
#include "snapshot/snapshot.h"

struct snapshot_entry {
	char name[SNAPSHOT_NAME_SIZE];
	uint32_t version;
	uint32_t crc;
	uint64_t offset;
	uint64_t length;
};

struct vmm_snapshot_writer {
	char *dir;     /* where the snapshot goes */
	char *tmp_dir; /* where it is built: "<dir>.tmp.XXXXXX" */
	int state_fd;
	int memory_fd; /* -1 until write_memory */
	uint64_t state_end;
	struct snapshot_entry *entries;
	unsigned nentries, capacity;
	uint32_t flags;
	uint8_t id[SNAPSHOT_ID_LEN];
	uint8_t base_id[SNAPSHOT_ID_LEN];
};

struct snapshot_memory_info {
	uint64_t ram_size;
	uint32_t crc;
	unsigned nregions;
	struct {
		uint64_t gpa, size, file_offset;
	} region[SNAPSHOT_MEM_MAX_REGIONS];
};

struct vmm_snapshot_reader {
	char *dir;
	uint8_t *buf; /* the whole state file */
	size_t size;
	struct snapshot_entry *entries;
	unsigned nentries;
	uint16_t major, minor;
	uint32_t flags;
	uint8_t id[SNAPSHOT_ID_LEN];
	uint8_t base_id[SNAPSHOT_ID_LEN];
	bool has_memory;
	struct snapshot_memory_info mem;
	const uint8_t *dirty; /* snapshot.dirty, diff snapshots only */
	size_t dirty_len;
	int memory_fd;
};

/* writer.c: sections whose names the public call refuses. */
int snapshot__add_section_raw(struct vmm_snapshot_writer *w, const char *name, uint32_t version,
			      const void *data, size_t len, cella_err_t *err);
/* memory_write.c: creates the writer's memory file, ram_size bytes, all holes. */
int snapshot__create_memory_file(struct vmm_snapshot_writer *w, uint64_t ram_size, cella_err_t *err);
/* memory_write.c: records the snapshot.memory section for a file of the guest_mem__init layout. */
int snapshot__add_memory_section(struct vmm_snapshot_writer *w, uint64_t ram_size, uint32_t crc,
				 cella_err_t *err);

/* io.c */
int snapshot__pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
int snapshot__pread_all(int fd, void *buf, size_t len, uint64_t off);
int snapshot__fsync_path(const char *path, cella_err_t *err);
bool snapshot__page_is_zero(const uint8_t *page);
/* The memory checksum's contribution of one non-zero page (docs/snapshots.md). */
uint32_t snapshot__crc_page(uint32_t crc, uint64_t page_index, const uint8_t *page);
uint32_t snapshot__crc(uint32_t crc, const void *data, size_t len);
/* The checksum of a memory file as it is on disk (reads it all). */
int snapshot__crc_memory_file(int fd, uint64_t size, const char *path, uint32_t *crc, cella_err_t *err);
bool snapshot__bit_is_set(const uint8_t *bitmap, uint64_t bit);
/* The regions guest_mem__init() makes for RAM_SIZE, as the memory section records them. */
void snapshot__memory_layout(uint64_t ram_size, struct snapshot_memory_info *info);

#endif
