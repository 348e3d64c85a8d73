// SPDX-License-Identifier: GPL-2.0-or-later
/* The storage pool: which driver this cellad root uses (recorded once), and the calls routed to it. */
#include "storage.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/file.h>

#include "storage_driver.h"
#include "util.h"

/* The marker file in the root: "dir" or "btrfs" and a newline. */
#define POOL_FILE "storage-pool"

/* One cellad per process: set at start-up (before the worker and the HTTP threads), read-only after. */
static enum cellad_storage_kind pool_kind = CELLAD_STORAGE_DIR;
static char requested[8] = "auto";

const char *cellad_storage_kind_name(enum cellad_storage_kind kind)
{
	return kind == CELLAD_STORAGE_BTRFS ? "btrfs" : "dir";
}

enum cellad_storage_kind cellad_storage_kind(void)
{
	return pool_kind;
}

int cellad_storage_request(const char *value, cella_err_t *err)
{
	if (strcmp(value, "dir") != 0 && strcmp(value, "btrfs") != 0 && strcmp(value, "auto") != 0)
		return cella_error_make(err, EINVAL, "--storage '%s': expected 'dir', 'btrfs' or 'auto'",
					value);
	snprintf(requested, sizeof(requested), "%s", value);
	return 0;
}

/* Nothing in dir but leftovers ('.'-names, removed at start-up): a pool nobody used yet. */
static bool unused(const char *dir)
{
	_cleanup_closedir_ DIR *dh = opendir(dir);
	struct dirent *e;

	while (dh && (e = readdir(dh)))
		if (e->d_name[0] != '.')
			return false;
	return true;
}

static int read_recorded(const char *path, char **kind, cella_err_t *err)
{
	char *text = NULL;
	size_t len = 0;

	*kind = NULL;
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	if (cella_file_read(path, 64, &text, &len, err) < 0)
		return -1;
	if (len && text[len - 1] == '\n')
		text[--len] = '\0';
	if (strcmp(text, "dir") != 0 && strcmp(text, "btrfs") != 0) {
		int ret = cella_error_make(
			err, EINVAL, "'%s': unknown storage pool '%s' (expected dir or btrfs)", path, text);

		free(text);
		return ret;
	}
	*kind = text;
	return 0;
}

/* The driver for a root with no record yet; *why says what decided it. */
static int choose(struct cellad *d, enum cellad_storage_kind *kind, const char **why, cella_err_t *err)
{
	bool on_btrfs = cellad_btrfs_is_fs(d->images_dir) && cellad_btrfs_is_fs(d->instances_dir);
	bool fresh = unused(d->images_dir) && unused(d->instances_dir);

	*kind = CELLAD_STORAGE_DIR;
	if (strcmp(requested, "dir") == 0) {
		*why = "--storage dir";
		return 0;
	}
	if (strcmp(requested, "btrfs") == 0) {
		if (!on_btrfs)
			return cella_error_make(
				err, EINVAL, "--storage btrfs: '%s' is not on a btrfs file system", d->root);
		if (!fresh)
			return cella_error_make(
				err, EINVAL,
				"--storage btrfs: '%s' already holds images or instances of a dir "
				"pool (their roots are overlays, not subvolumes)",
				d->root);
		*kind = CELLAD_STORAGE_BTRFS;
		*why = "--storage btrfs";
		return 0;
	}
	if (on_btrfs && fresh) {
		*kind = CELLAD_STORAGE_BTRFS;
		*why = "auto: the root is on btrfs";
	} else {
		*why = on_btrfs ? "auto: the root holds images or instances from before the pool was recorded"
				: "auto: the root is not on btrfs";
	}
	return 0;
}

int cellad_storage_open(struct cellad *d, cella_err_t *err)
{
	_cleanup_free_ char *path = NULL, *recorded = NULL;
	enum cellad_storage_kind kind;
	const char *why = "recorded in " POOL_FILE;

	if (asprintf(&path, "%s/%s", d->root, POOL_FILE) < 0)
		return cella_error_make(err, ENOMEM, "storage pool");
	if (read_recorded(path, &recorded, err) < 0)
		return -1;
	if (recorded) {
		kind = strcmp(recorded, "btrfs") == 0 ? CELLAD_STORAGE_BTRFS : CELLAD_STORAGE_DIR;
		if (strcmp(requested, "auto") != 0 && strcmp(requested, recorded) != 0)
			return cella_error_make(
				err, EINVAL,
				"--storage %s: the pool of '%s' is %s (recorded in '%s'); a pool "
				"cannot change its driver",
				requested, d->root, recorded, path);
		if (kind == CELLAD_STORAGE_BTRFS &&
		    !(cellad_btrfs_is_fs(d->images_dir) && cellad_btrfs_is_fs(d->instances_dir)))
			return cella_error_make(err, EINVAL,
						"'%s' records a btrfs pool, but '%s' is no longer on btrfs",
						path, d->root);
	} else {
		if (choose(d, &kind, &why, err) < 0)
			return -1;
		const char *line = kind == CELLAD_STORAGE_BTRFS ? "btrfs\n" : "dir\n";

		if (cella_file_write_atomic(path, line, strlen(line), 0600, err) < 0)
			return cella_error_wrap(err, "record the storage pool");
	}
	pool_kind = kind;
	fprintf(stderr, "cellad: storage pool: %s (%s)\n", cellad_storage_kind_name(kind), why);
	return 0;
}

int cellad_storage_root_mount(struct cellad *d, const char *name, const char *image_rootfs,
			      long long host_base, cella_err_t *err)
{
	return pool_kind == CELLAD_STORAGE_BTRFS
		       ? cellad_btrfs_mount(d, name, image_rootfs, host_base, err)
		       : cellad_storage_dir_mount(d, name, image_rootfs, host_base, err);
}

int cellad_storage_root_unmount(struct cellad *d, const char *name, cella_err_t *err)
{
	/* A btrfs root is a subvolume, not a mount: nothing to undo when the container goes. */
	return pool_kind == CELLAD_STORAGE_BTRFS ? 0 : cellad_storage_dir_unmount(d, name, err);
}

int cellad_storage_image_seal(const char *rootfs, cella_err_t *err)
{
	return pool_kind == CELLAD_STORAGE_BTRFS ? cellad_btrfs_image_seal(rootfs, err) : 0;
}

int cellad_storage_snapshot_take(struct cellad *d, const char *name, const char *dest_dir,
				 const char *image_rootfs, long long host_base, cella_err_t *err)
{
	return pool_kind == CELLAD_STORAGE_BTRFS
		       ? cellad_btrfs_snapshot(d, name, dest_dir, image_rootfs, host_base, err)
		       : cellad_storage_dir_snapshot(d, name, dest_dir, err);
}

bool cellad_storage_snapshot_exists(const char *snap_dir)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (asprintf(&path, "%s/%s", snap_dir, pool_kind == CELLAD_STORAGE_BTRFS ? "rootfs" : "upper") < 0)
		return false;
	return lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int cellad_storage_snapshot_restore(struct cellad *d, const char *name, const char *snap_dir,
				    cella_err_t *err)
{
	return pool_kind == CELLAD_STORAGE_BTRFS ? cellad_btrfs_restore(d, name, snap_dir, err)
						 : cellad_storage_dir_restore(d, name, snap_dir, err);
}

int cellad_storage_rm_rf(const char *path, cella_err_t *err)
{
	/* Whatever the pool: a subvolume left below (by a container, or a pool of the past) is deleted too. */
	if (cellad_btrfs_destroy_below(path, err) < 0)
		return cella_error_wrap(err, "remove '%s'", path);
	return cellad_rm_rf(path, err);
}
