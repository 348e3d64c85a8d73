// SPDX-License-Identifier: GPL-2.0-or-later
/* Phase 2: switch to the rootfs, then mask, make read-only and set the propagation of /. */
#include "rootfs/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cella/cleanup.h>

static int do_pivot(struct cella_rootfs *r, cella_err_t *err)
{
	_cleanup_close_ int old_root = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);

	if (old_root < 0)
		return cella_error_sys(err, "open /");
	if (fchdir(r->root_fd) < 0)
		return cella_error_sys(err, "chdir %s", r->root_path);
	/* pivot_root(".", "."): the old root ends up stacked on "." and is detached below. */
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return cella_error_sys(err, "pivot_root %s", r->root_path);
	if (fchdir(old_root) < 0)
		return cella_error_sys(err, "chdir to the old root");
	/* Slave first, so that the detach cannot propagate an unmount to the host. */
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return cella_error_sys(err, "make the old root a slave");
	if (umount2(".", MNT_DETACH) < 0)
		return cella_error_sys(err, "detach the old root");
	return 0;
}

/* runc --no-pivot: for a root that cannot be pivoted (initramfs). The host's mounts stay
 * reachable from the namespace's real root, so this is weaker isolation. */
static int do_move_root(struct cella_rootfs *r, cella_err_t *err)
{
	if (fchdir(r->root_fd) < 0)
		return cella_error_sys(err, "chdir %s", r->root_path);
	if (mount(r->root_path, "/", NULL, MS_MOVE, NULL) < 0)
		return cella_error_sys(err, "move %s to /", r->root_path);
	if (chroot(".") < 0)
		return cella_error_sys(err, "chroot %s", r->root_path);
	return 0;
}

static int attach_over(int tree, int target, const char *path, cella_err_t *err)
{
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cella_error_sys(err, "mount over %s", path);
	return 0;
}

/* A masked directory gets an empty read-only tmpfs, a masked file the container's /dev/null. */
int rootfs_mask_path(int root_fd, const char *path, cella_err_t *err)
{
	_cleanup_close_ int target = rootfs_openat2(root_fd, path, O_PATH), tree = -1, fs = -1;
	struct stat st;

	if (target < 0)
		return errno == ENOENT ? 0 : cella_error_sys(err, "open %s", path);
	if (fstat(target, &st) < 0)
		return cella_error_sys(err, "stat %s", path);
	if (S_ISDIR(st.st_mode)) {
		fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
		if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
			return cella_error_sys(err, "create a tmpfs to mask %s", path);
		tree = fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
		if (tree < 0)
			return cella_error_sys(err, "create a tmpfs to mask %s", path);
	} else {
		_cleanup_close_ int null = rootfs_openat2(root_fd, "/dev/null", O_PATH);
		struct stat ns;

		if (null < 0 || fstat(null, &ns) < 0 || !S_ISCHR(ns.st_mode))
			return cella_error_make(err, ENODEV, "mask %s: the container has no /dev/null", path);
		tree = open_tree(null, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
		if (tree < 0)
			return cella_error_sys(err, "mask %s: clone /dev/null", path);
	}
	return attach_over(tree, target, path, err);
}

/* A read-only bind of the path onto itself, read-only all the way down. */
int rootfs_readonly_path(int root_fd, const char *path, cella_err_t *err)
{
	_cleanup_close_ int target = rootfs_openat2(root_fd, path, O_PATH), tree = -1;
	struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};

	if (target < 0)
		return errno == ENOENT ? 0 : cella_error_sys(err, "open %s", path);
	tree = open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		return cella_error_sys(err, "clone the mount of %s", path);
	if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		return cella_error_sys(err, "make %s read-only", path);
	return attach_over(tree, target, path, err);
}

int cella_rootfs_pivot_and_finish(struct cella_rootfs *r, bool no_pivot, cella_err_t *err)
{
	_cleanup_close_ int root = -1;

	if (r->root_fd < 0)
		return cella_error_make(err, EINVAL, "rootfs: pivot before prepare");
	if ((no_pivot ? do_move_root(r, err) : do_pivot(r, err)) < 0)
		return cella_error_wrap(err, "rootfs");
	if (chdir("/") < 0)
		return cella_error_sys(err, "rootfs: chdir /");
	close(r->root_fd);
	r->root_fd = -1;
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return cella_error_sys(err, "rootfs: open the new /");
	for (size_t i = 0; r->masked_paths[i]; i++)
		if (rootfs_mask_path(root, r->masked_paths[i], err) < 0)
			return cella_error_wrap(err, "rootfs: linux.maskedPaths[%zu]", i);
	for (size_t i = 0; r->readonly_paths[i]; i++)
		if (rootfs_readonly_path(root, r->readonly_paths[i], err) < 0)
			return cella_error_wrap(err, "rootfs: linux.readonlyPaths[%zu]", i);
	if (r->readonly) {
		/* Only the root mount: mounts[] on top keep their own ro/rw (runc, crun). */
		struct mount_attr a = {.attr_set = MOUNT_ATTR_RDONLY};

		if (mount_setattr(root, "", AT_EMPTY_PATH, &a, sizeof(a)) < 0)
			return cella_error_sys(err, "rootfs: make / read-only");
	}
	if (r->root_propagation && mount(NULL, "/", NULL, r->root_propagation, NULL) < 0)
		return cella_error_sys(err, "rootfs: set the propagation of / (linux.rootfsPropagation)");
	if (chdir("/") < 0)
		return cella_error_sys(err, "rootfs: chdir /");
	return 0;
}
