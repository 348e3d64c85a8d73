// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The btrfs pool: images are read-only subvolumes, a container root is a
 * writable snapshot of its image, a container snapshot a read-only snapshot
 * of the root. Snapshots share every block until written, so they take the
 * same (short) time whatever the size of the tree. Only the kernel's ioctls
 * are used (linux/btrfs.h), never btrfs-progs.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/btrfs.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "storage.h"
#include "storage_driver.h"
#include "util.h"

/* The inode number of every subvolume's root directory (BTRFS_FIRST_FREE_OBJECTID). */
#define SUBVOL_ROOT_INO 256
/* Subvolumes nested in subvolumes (a container may make its own): deeper than this is refused. */
#define MAX_NESTING 32

bool cellad_btrfs_is_fs(const char *path)
{
	struct statfs sfs;

	return statfs(path, &sfs) == 0 && sfs.f_type == BTRFS_SUPER_MAGIC;
}

bool cellad_btrfs_is_subvolume(const char *path)
{
	struct statx stx;

	if (statx(AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, STATX_TYPE | STATX_INO, &stx) < 0 ||
	    !S_ISDIR(stx.stx_mode) || stx.stx_ino != SUBVOL_ROOT_INO)
		return false;
	/* The root of a mounted btrfs is inode 256 too: a mount point is never ours to delete. */
	if ((stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return false;
	return cellad_btrfs_is_fs(path);
}

/* Opens path's parent directory and points *leaf into path at its last component. */
static int open_parent(const char *path, char **parent, const char **leaf, cella_err_t *err)
{
	const char *slash = strrchr(path, '/');
	int fd;

	if (slash == NULL || slash[1] == '\0' || strlen(slash + 1) > BTRFS_SUBVOL_NAME_MAX)
		return cella_error_make(err, EINVAL, "'%s': expected an absolute path to a directory entry",
					path);
	*parent = slash == path ? strdup("/") : strndup(path, (size_t)(slash - path));
	if (*parent == NULL)
		return cella_error_make(err, ENOMEM, "%s", path);
	*leaf = slash + 1;
	fd = open(*parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cella_error_sys(err, "open '%s'", *parent);
	return fd;
}

/* A snapshot of the subvolume src at dest (which must not exist). */
static int subvol_snapshot(const char *src, const char *dest, bool readonly, cella_err_t *err)
{
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int src_fd = open(src, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int parent_fd = -1;
	struct btrfs_ioctl_vol_args_v2 args;
	const char *leaf;

	if (src_fd < 0)
		return cella_error_sys(err, "open '%s'", src);
	parent_fd = open_parent(dest, &parent, &leaf, err);
	if (parent_fd < 0)
		return -1;
	memset(&args, 0, sizeof(args));
	args.fd = src_fd;
	args.flags = readonly ? BTRFS_SUBVOL_RDONLY : 0;
	memcpy(args.name, leaf, strlen(leaf) + 1);
	if (ioctl(parent_fd, BTRFS_IOC_SNAP_CREATE_V2, &args) < 0)
		return cella_error_sys(err, "btrfs snapshot of '%s' at '%s'", src, dest);
	return 0;
}

static int subvol_create(const char *path, cella_err_t *err)
{
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int parent_fd = -1;
	struct btrfs_ioctl_vol_args args;
	const char *leaf;

	parent_fd = open_parent(path, &parent, &leaf, err);
	if (parent_fd < 0)
		return -1;
	memset(&args, 0, sizeof(args));
	memcpy(args.name, leaf, strlen(leaf) + 1);
	if (ioctl(parent_fd, BTRFS_IOC_SUBVOL_CREATE, &args) < 0)
		return cella_error_sys(err, "create the btrfs subvolume '%s'", path);
	return 0;
}

static int subvol_set_readonly(const char *path, bool readonly, cella_err_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	__u64 flags = 0;

	if (fd < 0)
		return cella_error_sys(err, "open '%s'", path);
	if (ioctl(fd, BTRFS_IOC_SUBVOL_GETFLAGS, &flags) < 0)
		return cella_error_sys(err, "read the flags of subvolume '%s'", path);
	if (!!(flags & BTRFS_SUBVOL_RDONLY) == readonly)
		return 0;
	flags = readonly ? flags | BTRFS_SUBVOL_RDONLY : flags & ~(__u64)BTRFS_SUBVOL_RDONLY;
	if (ioctl(fd, BTRFS_IOC_SUBVOL_SETFLAGS, &flags) < 0)
		return cella_error_sys(err, "make subvolume '%s' %s", path,
				       readonly ? "read-only" : "writable");
	return 0;
}

/* nftw has no user argument: the walk's state lives in statics, guarded by a lock. */
static pthread_mutex_t walk_lock = PTHREAD_MUTEX_INITIALIZER;
static char **walk_found;
static size_t walk_count;
static dev_t walk_dev;
static bool walk_nomem;

static int collect_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char **grown;

	if (ftw->level == 0 || flag != FTW_D)
		return FTW_CONTINUE;
	if (st->st_ino == SUBVOL_ROOT_INO && cellad_btrfs_is_subvolume(path)) {
		grown = realloc(walk_found, (walk_count + 1) * sizeof(*walk_found));
		if (grown == NULL || (grown[walk_count] = strdup(path)) == NULL) {
			walk_found = grown ? grown : walk_found;
			walk_nomem = true;
			return FTW_STOP;
		}
		walk_found = grown;
		walk_count++;
		return FTW_SKIP_SUBTREE;
	}
	/* Another file system mounted here: not walked (cellad_rm_rf then refuses to remove it). */
	return st->st_dev == walk_dev ? FTW_CONTINUE : FTW_SKIP_SUBTREE;
}

/* The subvolumes below path (not path itself, not inside them); *found is malloc'd. */
static int collect_subvolumes(const char *path, char ***found, size_t *count, cella_err_t *err)
{
	struct stat st;
	int ret = 0;

	*found = NULL;
	*count = 0;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cella_error_sys(err, "stat '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return 0;
	pthread_mutex_lock(&walk_lock);
	walk_found = NULL;
	walk_count = 0;
	walk_dev = st.st_dev;
	walk_nomem = false;
	if (nftw(path, collect_one, 32, FTW_PHYS | FTW_ACTIONRETVAL) < 0)
		ret = cella_error_sys(err, "walk '%s'", path);
	else if (walk_nomem)
		ret = cella_error_make(err, ENOMEM, "walk '%s'", path);
	*found = walk_found;
	*count = walk_count;
	walk_found = NULL;
	pthread_mutex_unlock(&walk_lock);
	return ret;
}

static void free_list(char **list, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(list[i]);
	free(list);
}

static int destroy_nested(const char *path, int depth, cella_err_t *err);

/* BTRFS_IOC_SNAP_DESTROY; a subvolume holding others (ENOTEMPTY) loses them first. */
static int subvol_destroy(const char *path, int depth, cella_err_t *err)
{
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int parent_fd = -1;
	struct btrfs_ioctl_vol_args args;
	const char *leaf;

	parent_fd = open_parent(path, &parent, &leaf, err);
	if (parent_fd < 0)
		return -1;
	memset(&args, 0, sizeof(args));
	memcpy(args.name, leaf, strlen(leaf) + 1);
	for (int attempt = 0; attempt < 2; attempt++) {
		if (ioctl(parent_fd, BTRFS_IOC_SNAP_DESTROY, &args) == 0)
			return 0;
		if (errno != ENOTEMPTY || attempt > 0)
			break;
		/* Its own subvolumes go first; they cannot leave a read-only one (EROFS), which a container may
		 * have made of its own subvolume: it is being deleted anyway. */
		if (subvol_set_readonly(path, false, err) < 0 || destroy_nested(path, depth + 1, err) < 0)
			return -1;
	}
	if (errno == EPERM)
		return cella_error_make(err, EPERM,
					"delete the btrfs subvolume '%s': not permitted (needs root, or the "
					"file system mounted with user_subvol_rm_allowed)",
					path);
	return cella_error_sys(err, "delete the btrfs subvolume '%s'", path);
}

static int destroy_nested(const char *path, int depth, cella_err_t *err)
{
	char **found = NULL;
	size_t count = 0;
	int ret = 0;

	if (depth > MAX_NESTING)
		return cella_error_make(err, ELOOP, "'%s': btrfs subvolumes nested more than %d deep", path,
					MAX_NESTING);
	if (collect_subvolumes(path, &found, &count, err) < 0)
		ret = -1;
	for (size_t i = 0; ret == 0 && i < count; i++)
		ret = subvol_destroy(found[i], depth, err);
	free_list(found, count);
	return ret;
}

int cellad_btrfs_destroy_below(const char *path, cella_err_t *err)
{
	if (!cellad_btrfs_is_fs(path))
		return 0;
	if (cellad_btrfs_is_subvolume(path))
		return subvol_destroy(path, 0, err);
	return destroy_nested(path, 0, err);
}

/* Removes a leftover of an interrupted step (subvolume or directory) at path. */
static int remove_leftover(const char *path, cella_err_t *err)
{
	return cellad_storage_rm_rf(path, err);
}

int cellad_btrfs_mount(struct cellad *d, const char *name, const char *image_rootfs, long long host_base,
		       cella_err_t *err)
{
	_cleanup_free_ char *rootfs = cellad_storage_instance_path(d, name, "rootfs"),
			    *tmp = cellad_storage_instance_path(d, name, ".tmp-rootfs"),
			    *upper = cellad_storage_instance_path(d, name, "upper"),
			    *work = cellad_storage_instance_path(d, name, "work");
	cella_err_t ignore = NULL;

	if (rootfs == NULL || tmp == NULL || upper == NULL || work == NULL)
		return cella_error_make(err, ENOMEM, "container root");
	if (cellad_btrfs_is_subvolume(rootfs))
		return 0;
	if (!cellad_btrfs_is_subvolume(image_rootfs))
		return cella_error_make(
			err, EINVAL,
			"the image's rootfs '%s' is not a btrfs subvolume, so the btrfs pool cannot "
			"snapshot it (import the image again)",
			image_rootfs);
	/* Made beside the root and renamed into place once it is owned right: a crash leaves no half root. */
	if (remove_leftover(tmp, err) < 0 || subvol_snapshot(image_rootfs, tmp, false, err) < 0)
		return cella_error_wrap(err, "create the root of '%s'", name);
	/* A system container's root owns its root directory, so it can create files there. */
	if (host_base >= 0 && chown(tmp, (uid_t)host_base, (gid_t)host_base) < 0) {
		cella_error_sys(err, "chown '%s'", tmp);
		goto fail;
	}
	/* The empty directory the instance was created with, and the overlay layers this pool never uses. */
	if (rmdir(rootfs) < 0 && errno != ENOENT) {
		cella_error_sys(err, "'%s' is in the way of the container's root subvolume", rootfs);
		goto fail;
	}
	if (rename(tmp, rootfs) < 0) {
		cella_error_sys(err, "rename '%s' to '%s'", tmp, rootfs);
		goto fail;
	}
	rmdir(upper);
	rmdir(work);
	return 0;
fail:
	if (subvol_destroy(tmp, 0, &ignore) < 0)
		cella_error_release(&ignore);
	return -1;
}

int cellad_btrfs_image_seal(const char *rootfs, cella_err_t *err)
{
	_cleanup_free_ char *subvol = NULL, *contents = NULL;
	cella_err_t ignore = NULL;

	if (cellad_btrfs_is_subvolume(rootfs))
		return subvol_set_readonly(rootfs, true, err);
	if (asprintf(&subvol, "%s.subvol", rootfs) < 0 || asprintf(&contents, "%s/.", rootfs) < 0)
		return cella_error_make(err, ENOMEM, "image");
	/*
	 * The unpacker made a plain directory; a rename cannot move it into a subvolume (EXDEV), so it is
	 * copied: with reflinks, only metadata is written.
	 */
	if (remove_leftover(subvol, err) < 0 || subvol_create(subvol, err) < 0)
		return cella_error_wrap(err, "image subvolume");
	if (cellad_storage_copy_tree(contents, subvol, err) < 0 || cellad_rm_rf(rootfs, err) < 0)
		goto fail;
	if (rename(subvol, rootfs) < 0) {
		cella_error_sys(err, "rename '%s' to '%s'", subvol, rootfs);
		goto fail;
	}
	return subvol_set_readonly(rootfs, true, err);
fail:
	if (subvol_destroy(subvol, 0, &ignore) < 0)
		cella_error_release(&ignore);
	return cella_error_wrap(err, "image subvolume");
}

int cellad_btrfs_snapshot(struct cellad *d, const char *name, const char *dest_dir, const char *image_rootfs,
			  long long host_base, cella_err_t *err)
{
	_cleanup_free_ char *rootfs = cellad_storage_instance_path(d, name, "rootfs"), *dest = NULL;

	if (rootfs == NULL || asprintf(&dest, "%s/rootfs", dest_dir) < 0)
		return cella_error_make(err, ENOMEM, "snapshot");
	/* Never started: its root is the image's, made now so that the snapshot has something to hold. */
	if (!cellad_btrfs_is_subvolume(rootfs) &&
	    (image_rootfs == NULL || cellad_btrfs_mount(d, name, image_rootfs, host_base, err) < 0))
		return image_rootfs ? -1
				    : cella_error_make(err, ENOENT, "'%s' has no root subvolume to snapshot",
						       name);
	return subvol_snapshot(rootfs, dest, true, err);
}

int cellad_btrfs_restore(struct cellad *d, const char *name, const char *snap_dir, cella_err_t *err)
{
	_cleanup_free_ char *rootfs = cellad_storage_instance_path(d, name, "rootfs"),
			    *tmp = cellad_storage_instance_path(d, name, ".restore"), *source = NULL;
	cella_err_t ignore = NULL;
	struct stat st;

	if (rootfs == NULL || tmp == NULL || asprintf(&source, "%s/rootfs", snap_dir) < 0)
		return cella_error_make(err, ENOMEM, "restore");
	if (!cellad_btrfs_is_subvolume(source))
		return cella_error_make(err, EINVAL, "'%s' is not a btrfs subvolume", source);
	if (remove_leftover(tmp, err) < 0 || subvol_snapshot(source, tmp, false, err) < 0)
		return -1;
	/* One atomic swap: rootfs is the old root or the restored one, never a mix or nothing. */
	if (lstat(rootfs, &st) < 0 ? rename(tmp, rootfs) < 0
				   : renameat2(AT_FDCWD, tmp, AT_FDCWD, rootfs, RENAME_EXCHANGE) < 0) {
		cella_error_sys(err, "swap '%s' and '%s'", tmp, rootfs);
		if (subvol_destroy(tmp, 0, &ignore) < 0)
			cella_error_release(&ignore);
		return -1;
	}
	return remove_leftover(tmp, err);
}
