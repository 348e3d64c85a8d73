/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_VM_DISK_H
#define CELLAD_VM_DISK_H

/* Copies of raw VM disk images: reflink where the file system allows, else a sparse copy. */
#include <cella/error.h>

enum cellad_vm_disk_method {
	CELLAD_VM_DISK_REFLINK, /* ioctl(FICLONE): blocks shared until written (btrfs, xfs) */
	CELLAD_VM_DISK_SPARSE,	/* SEEK_DATA/SEEK_HOLE: only allocated extents copied */
};

/* Progress of a copy: fn (may be NULL) gets the offset reached; total is set before the first call. */
struct cellad_vm_disk_progress {
	void (*fn)(void *ctx, unsigned long long done);
	void *ctx;
	unsigned long long total;
};

/* "reflink" or "sparse-copy". */
const char *cellad_vm_disk_method_name(enum cellad_vm_disk_method m);

/*
 * Copies the regular file src to dst through dst's directory's ".tmp-<leaf>" and a rename, so dst is
 * the old file or the complete copy, never a part. *method says how. p may be NULL.
 */
int cellad_vm_disk_copy(const char *src, const char *dst, enum cellad_vm_disk_method *method,
			struct cellad_vm_disk_progress *p, cella_err_t *err);

#endif
