/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_STORAGE_DRIVER_H
#define CELLAD_STORAGE_DRIVER_H

/* The two pool drivers behind storage.h (storage.c picks one); paths are built by the caller. */
#include <stdbool.h>

#include "daemon.h"

/* instances/NAME/LEAF (malloc'd; NULL when out of memory). */
char *cellad_storage_instance_path(struct cellad *d, const char *name, const char *leaf);
/* cp -a --reflink=auto SRC DST (no shell): ownership, modes, times, xattrs, whiteouts and hard links kept. */
int cellad_storage_copy_tree(const char *src, const char *dst, cella_err_t *err);

/* dir: overlayfs roots, snapshots are copies of upper/ (storage_dir.c). */
int cellad_storage_dir_mount(struct cellad *d, const char *name, const char *image_rootfs,
			     long long host_base, cella_err_t *err);
int cellad_storage_dir_unmount(struct cellad *d, const char *name, cella_err_t *err);
int cellad_storage_dir_snapshot(struct cellad *d, const char *name, const char *dest_dir, cella_err_t *err);
int cellad_storage_dir_restore(struct cellad *d, const char *name, const char *snap_dir, cella_err_t *err);

/* btrfs: subvolumes and their snapshots (storage_btrfs.c). */
bool cellad_btrfs_is_fs(const char *path);
/* The root directory of a btrfs subvolume (inode 256 on btrfs, and no mount point). */
bool cellad_btrfs_is_subvolume(const char *path);
int cellad_btrfs_mount(struct cellad *d, const char *name, const char *image_rootfs, long long host_base,
		       cella_err_t *err);
int cellad_btrfs_image_seal(const char *rootfs, cella_err_t *err);
int cellad_btrfs_snapshot(struct cellad *d, const char *name, const char *dest_dir, const char *image_rootfs,
			  long long host_base, cella_err_t *err);
int cellad_btrfs_restore(struct cellad *d, const char *name, const char *snap_dir, cella_err_t *err);
/* Deletes every subvolume at or below path (nested ones first); the rest is left to cellad_rm_rf. */
int cellad_btrfs_destroy_below(const char *path, cella_err_t *err);

#endif
