// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Restoring guest RAM: the memory file is mapped MAP_PRIVATE, so restore time
 * does not grow with RAM size (pages are read on first touch, holes cost
 * nothing) and the guest's writes go to private copies, never to the file.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/mman.h>

#include "snapshot/snapshot_internal.h"

int vmm_snapshot__map_memory(const struct vmm_snapshot_reader *r, struct guest_mem *out, cella_err_t *err)
{
	void *host;

	if (!r->has_memory)
		return cella_error_make(err, ENOENT, "snapshot %s: has no guest memory", r->dir);
	if (r->flags & SNAPSHOT_FLAG_DIFF)
		return cella_error_make(
			err, 0, "snapshot %s: is a diff snapshot; merge it onto its base before restoring it",
			r->dir);
	/* MAP_NORESERVE: an untouched page of a snapshot costs no commit charge, only the pages a guest dirties. */
	host = mmap(NULL, (size_t)r->mem.ram_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_NORESERVE,
		    r->memory_fd, 0);
	if (host == MAP_FAILED)
		return cella_error_sys(err, "snapshot %s: mapping %llu bytes of guest memory from %s/%s",
				       r->dir, (unsigned long long)r->mem.ram_size, r->dir,
				       SNAPSHOT_MEMORY_FILE);
	guest_mem__init(out, host, r->mem.ram_size);
	return 0;
}

void vmm_snapshot__unmap_memory(struct guest_mem *mem)
{
	if (mem->nregions > 0 && mem->region[0].host)
		munmap(mem->region[0].host, (size_t)mem->ram_size);
	mem->nregions = 0;
	mem->ram_size = 0;
	mem->region[0].host = NULL;
	mem->region[1].host = NULL;
}

int vmm_snapshot__verify_memory(const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	char path[4096];
	uint32_t crc;

	if (!r->has_memory)
		return cella_error_make(err, ENOENT, "snapshot %s: has no guest memory", r->dir);
	snprintf(path, sizeof(path), "%s/%s", r->dir, SNAPSHOT_MEMORY_FILE);
	if (snapshot__crc_memory_file(r->memory_fd, r->mem.ram_size, path, &crc, err) < 0)
		return cella_error_wrap(err, "snapshot %s", r->dir);
	if (crc != r->mem.crc)
		return cella_error_make(
			err, 0, "snapshot %s: memory file %s checksum mismatch (corrupt data)", r->dir, path);
	return 0;
}
