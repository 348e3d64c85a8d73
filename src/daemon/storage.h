/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_STORAGE_H
#define CELLAD_STORAGE_H

/*
 * The storage pool: where a container's root file system and its snapshots
 * live. Two drivers, one per cellad root, chosen once and recorded in
 * <root>/storage-pool so a restarted cellad keeps using it:
 *
 *  dir    images/<fp>/rootfs is a plain directory; a container root is an
 *         overlayfs (lower = the image, instances/NAME/upper + work/), mounted
 *         while it runs; a snapshot is a `cp -a --reflink=auto` copy of upper/.
 *  btrfs  images/<fp>/rootfs is a read-only subvolume; a container root
 *         (instances/NAME/rootfs) is a writable snapshot of it, made at the
 *         first start; a container snapshot (snapshots/SNAP/rootfs) is a
 *         read-only snapshot of the root, a restore swaps subvolumes. All
 *         through the btrfs ioctls: no btrfs-progs at run time.
 *
 * The snapshot and restore functions work on paths the caller builds and
 * commits (snapshots.c: .tmp-SNAP renamed into place).
 */
#include <stdbool.h>

#include "daemon.h"

enum cellad_storage_kind { CELLAD_STORAGE_DIR, CELLAD_STORAGE_BTRFS };

/* `--storage dir|btrfs|auto` (default auto); call before cellad_storage_open. The error names the option. */
int cellad_storage_request(const char *value, cella_err_t *err);
/*
 * At start-up (cellad_reattach): the driver recorded in <root>/storage-pool, else the requested one, recorded
 * there. auto = btrfs when images/ and instances/ are on one btrfs and hold nothing yet (a root used before
 * keeps its overlay pool), else dir. A recorded pool that contradicts --storage, or a btrfs pool no longer on
 * btrfs, is an error.
 */
int cellad_storage_open(struct cellad *d, cella_err_t *err);
enum cellad_storage_kind cellad_storage_kind(void);
const char *cellad_storage_kind_name(enum cellad_storage_kind kind);

/* Makes instances/NAME/rootfs ready for a start: dir mounts the overlay, btrfs makes the root snapshot once. */
int cellad_storage_root_mount(struct cellad *d, const char *name, const char *image_rootfs,
			      long long host_base, cella_err_t *err);
/* After the container is gone: dir unmounts the overlay (if mounted); btrfs has nothing to do. */
int cellad_storage_root_unmount(struct cellad *d, const char *name, cella_err_t *err);

/* An imported image's rootfs (in its staging directory): btrfs turns it into a read-only subvolume. */
int cellad_storage_image_seal(const char *rootfs, cella_err_t *err);

/*
 * Copies the container's writable state into dest_dir (an empty directory): dir copies upper/ to
 * dest_dir/upper, btrfs snapshots rootfs to dest_dir/rootfs (read only, instant). image_rootfs and
 * host_base make the btrfs root of a never-started container first.
 */
int cellad_storage_snapshot_take(struct cellad *d, const char *name, const char *dest_dir,
				 const char *image_rootfs, long long host_base, cella_err_t *err);
/* Whether snap_dir (snapshots/SNAP) holds a container snapshot this pool can restore. */
bool cellad_storage_snapshot_exists(const char *snap_dir);
/* Replaces the container's writable state (stopped) with snap_dir's in one atomic rename. */
int cellad_storage_snapshot_restore(struct cellad *d, const char *name, const char *snap_dir,
				    cella_err_t *err);

/* rm -rf that deletes the btrfs subvolumes it meets (BTRFS_IOC_SNAP_DESTROY); never crosses a mount. */
int cellad_storage_rm_rf(const char *path, cella_err_t *err);

#endif
