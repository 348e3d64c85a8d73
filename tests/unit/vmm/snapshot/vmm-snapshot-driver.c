/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Drives the snapshot format from tests/integration/vmm_snapshot_format.sh:
 *   vmm-snapshot-driver write DIR MIB   snapshot MIB MiB of non-zero guest RAM to DIR, print MiB/s
 *   vmm-snapshot-driver check DIR       open, verify memory, map it, print the restore time
 * Exit 0 on success, 1 with the error on stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include <cella/cleanup.h>

#include "snapshot/snapshot.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int do_write(const char *dir, unsigned long mib, cella_err_t *err)
{
	size_t size = mib << 20;
	struct vmm_snapshot_writer *w = NULL;
	struct guest_mem mem;
	uint8_t *host;
	double t0, t1;

	host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (host == MAP_FAILED)
		return cella_error_sys(err, "allocating %lu MiB", mib);
	/* Every page non-zero and distinct: nothing for sparseness to save. */
	for (size_t off = 0; off < size; off += 8)
		memcpy(host + off, &off, sizeof(off));
	guest_mem__init(&mem, host, size);
	t0 = now();
	if (vmm_snapshot__writer_begin(dir, &w, err) < 0)
		goto fail;
	if (vmm_snapshot__add_section(w, "vcpu.0.regs", 1, "driver", 6, err) < 0 ||
	    vmm_snapshot__write_memory(w, &mem, NULL, NULL, err) < 0) {
		vmm_snapshot__abort(w);
		goto fail;
	}
	if (vmm_snapshot__commit(w, err) < 0)
		goto fail;
	t1 = now();
	printf("wrote %lu MiB to %s in %.3f s: %.0f MiB/s (fsync included)\n", mib, dir, t1 - t0,
	       (double)mib / (t1 - t0));
	munmap(host, size);
	return 0;
fail:
	munmap(host, size);
	return -1;
}

static int do_check(const char *dir, cella_err_t *err)
{
	struct vmm_snapshot_reader *r = NULL;
	struct guest_mem mem;
	double t0, t1;

	if (vmm_snapshot__open(dir, &r, err) < 0)
		return -1;
	if (vmm_snapshot__verify_memory(r, err) < 0) {
		vmm_snapshot__close(r);
		return -1;
	}
	vmm_snapshot__close(r);
	/* Timed apart from the verify pass, which reads everything: a restore does only this. */
	t0 = now();
	if (vmm_snapshot__open(dir, &r, err) < 0)
		return -1;
	if (vmm_snapshot__map_memory(r, &mem, err) < 0) {
		vmm_snapshot__close(r);
		return -1;
	}
	t1 = now();
	printf("snapshot %s: valid, %llu MiB of memory mapped in %.3f ms\n", dir,
	       (unsigned long long)(mem.ram_size >> 20), (t1 - t0) * 1e3);
	vmm_snapshot__unmap_memory(&mem);
	vmm_snapshot__close(r);
	return 0;
}

int main(int argc, char **argv)
{
	_cleanup_error_ cella_err_t err = NULL;
	int ret;

	if (argc == 4 && strcmp(argv[1], "write") == 0)
		ret = do_write(argv[2], strtoul(argv[3], NULL, 10), &err);
	else if (argc == 3 && strcmp(argv[1], "check") == 0)
		ret = do_check(argv[2], &err);
	else {
		fprintf(stderr, "usage: %s write DIR MIB | check DIR\n", argv[0]);
		return 2;
	}
	if (ret < 0)
		return cella_error_report("vmm-snapshot-driver", &err);
	return 0;
}
