/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_SNAPSHOTS_H
#define CELLAD_SNAPSHOTS_H

/*
 * Container snapshots of the writable state. A snapshot is the directory
 * <instance>/snapshots/<snap>/ holding the storage pool's copy (storage.h:
 * dir: upper/, a `cp -a` of the overlay's upper layer, whiteouts and xattrs
 * included; btrfs: rootfs, a read-only subvolume snapshot of the root) and
 * info.json. It appears whole or not at all: made as snapshots/.tmp-<snap>
 * and renamed into place. A restore (stopped container) swaps the copy in
 * with one renameat2(RENAME_EXCHANGE), so the live state is always either
 * the old or the new one. Names starting with '.' are never snapshots
 * (leftovers of a crash).
 */
#include <jansson.h>
#include <stdbool.h>

#include "daemon.h"
#include "operations.h"

/* Snapshot names: 1-63 of [A-Za-z0-9_.-], not starting with '.' or '-'. */
bool cellad_snapshot_name_valid(const char *name);
/* The snapshots of instance name: URLs, or objects with recursion (new reference). */
json_t *cellad_snapshot_list(struct cellad *d, const char *name, bool recursion, cella_err_t *err);
/* One snapshot's object (new reference); NULL + ENOENT when there is none. */
json_t *cellad_snapshot_get(struct cellad *d, const char *name, const char *snap, cella_err_t *err);

/* Worker operations; args {"name", "snapshot"}. */
int cellad_op_snapshot_create(struct cellad *d, struct cellad_op *op, cella_err_t *err);
int cellad_op_snapshot_delete(struct cellad *d, struct cellad_op *op, cella_err_t *err);
int cellad_op_snapshot_restore(struct cellad *d, struct cellad_op *op, cella_err_t *err);

#endif
