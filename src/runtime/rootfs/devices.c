// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * /dev inside the container: the default devices every runtime provides, linux.devices,
 * the /proc/self/fd symlinks and /dev/ptmx -> pts/ptmx. Nodes are made with mknodat on a
 * directory fd resolved inside the root; in a user namespace, where mknod is refused,
 * the host's node is bind mounted onto an empty file instead (what runc does).
 */
#include "rootfs/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cella/cleanup.h>

static const struct rootfs_device default_devices[] = {
	{"/dev/null", 'c', 1, 3, 0666, 0, 0},	 {"/dev/zero", 'c', 1, 5, 0666, 0, 0},
	{"/dev/full", 'c', 1, 7, 0666, 0, 0},	 {"/dev/random", 'c', 1, 8, 0666, 0, 0},
	{"/dev/urandom", 'c', 1, 9, 0666, 0, 0}, {"/dev/tty", 'c', 5, 0, 0666, 0, 0},
};

static const struct {
	const char *target, *path;
} dev_symlinks[] = {
	{"/proc/self/fd", "/dev/fd"},	    {"/proc/self/fd/0", "/dev/stdin"},
	{"/proc/self/fd/1", "/dev/stdout"}, {"/proc/self/fd/2", "/dev/stderr"},
	{"pts/ptmx", "/dev/ptmx"},
};

/* The parent directory (created if missing) as a real fd, and the last component. */
static int open_parent(int root_fd, const char *path, const char **base, cella_err_t *err)
{
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int pfd = -1;
	int fd;

	if (rootfs_split_path(path, &parent, base, err) < 0 || parent == NULL || *base == NULL)
		return -1;
	if (strchr(*base, '/') != NULL || strcmp(*base, "..") == 0 || strcmp(*base, ".") == 0)
		return cella_error_make(err, EINVAL, "%s: not a plain file name", path);
	pfd = rootfs_mkdir_p_in_root(root_fd, parent, err);
	if (pfd < 0)
		return -1;
	fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cella_error_sys(err, "open %s", parent);
	return fd;
}

/* Removes what is in the way (not a directory). */
static int clear_name(int dir, const char *name, const char *path, cella_err_t *err)
{
	if (unlinkat(dir, name, 0) < 0 && errno != ENOENT)
		return cella_error_sys(err, "remove the existing %s", path);
	return 0;
}

static int bind_host_device(int root_fd, int dir, const char *base, const struct rootfs_device *d,
			    cella_err_t *err)
{
	_cleanup_close_ int tree = -1, target = -1;
	struct stat st;
	int fd;

	if (stat(d->path, &st) < 0)
		return cella_error_sys(err, "device %s: cannot bind it from the host inside a user namespace",
				       d->path);
	if (d->type != 'p' && !S_ISCHR(st.st_mode) && !S_ISBLK(st.st_mode))
		return cella_error_make(err, ENODEV, "device %s: the host's %s is not a device node", d->path,
					d->path);
	fd = openat(dir, base, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0);
	if (fd < 0)
		return cella_error_sys(err, "device %s: create the mount point", d->path);
	close(fd);
	target = rootfs_openat2(root_fd, d->path, O_PATH);
	tree = open_tree(AT_FDCWD, d->path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (target < 0 || tree < 0)
		return cella_error_sys(err, "device %s: bind from the host", d->path);
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cella_error_sys(err, "device %s: bind from the host", d->path);
	return 0;
}

int rootfs_device_create(int root_fd, const struct rootfs_device *d, bool in_userns, cella_err_t *err)
{
	_cleanup_close_ int dir = -1;
	const char *base = NULL;
	mode_t type = d->type == 'b' ? S_IFBLK : d->type == 'p' ? S_IFIFO : S_IFCHR;

	dir = open_parent(root_fd, d->path, &base, err);
	if (dir < 0)
		return cella_error_wrap(err, "device %s", d->path);
	if (clear_name(dir, base, d->path, err) < 0)
		return -1;
	if (in_userns && type != S_IFIFO)
		return bind_host_device(root_fd, dir, base, d, err);
	if (mknodat(dir, base, type | d->mode, makedev(d->major, d->minor)) < 0)
		return cella_error_sys(err, "device %s: mknod", d->path);
	if (fchownat(dir, base, d->uid, d->gid, AT_SYMLINK_NOFOLLOW) < 0)
		return cella_error_sys(err, "device %s: chown %u:%u", d->path, d->uid, d->gid);
	/* mknod's mode went through the umask; the spec's fileMode is exact. */
	if (fchmodat(dir, base, d->mode, 0) < 0)
		return cella_error_sys(err, "device %s: chmod %o", d->path, d->mode);
	return 0;
}

static bool dev_is_bind(const struct cella_rootfs *r)
{
	for (size_t i = 0; i < r->n_mounts; i++) {
		const char *d = r->mounts[i].destination;

		if (rootfs_mount_is_bind(&r->mounts[i]) && strncmp(d, "/dev", 4) == 0 &&
		    d[4 + strspn(d + 4, "/")] == '\0')
			return true;
	}
	return false;
}

static bool configured(const struct cella_rootfs *r, const char *path)
{
	for (size_t i = 0; i < r->n_devices; i++)
		if (strcmp(r->devices[i].path, path) == 0)
			return true;
	return false;
}

static int make_symlink(int root_fd, const char *target, const char *path, cella_err_t *err)
{
	_cleanup_close_ int dir = -1;
	const char *base = NULL;

	dir = open_parent(root_fd, path, &base, err);
	if (dir < 0)
		return -1;
	if (clear_name(dir, base, path, err) < 0)
		return -1;
	if (symlinkat(target, dir, base) < 0)
		return cella_error_sys(err, "symlink %s -> %s", path, target);
	return 0;
}

int rootfs_setup_dev(struct cella_rootfs *r, bool in_userns, cella_err_t *err)
{
	/* A /dev bound from the host is the host's: nothing may be created in it (as runc). */
	if (dev_is_bind(r))
		return 0;
	for (size_t i = 0; i < sizeof(default_devices) / sizeof(default_devices[0]); i++)
		if (!configured(r, default_devices[i].path) &&
		    rootfs_device_create(r->root_fd, &default_devices[i], in_userns, err) < 0)
			return -1;
	for (size_t i = 0; i < r->n_devices; i++)
		if (rootfs_device_create(r->root_fd, &r->devices[i], in_userns, err) < 0)
			return cella_error_wrap(err, "linux.devices[%zu]", i);
	for (size_t i = 0; i < sizeof(dev_symlinks) / sizeof(dev_symlinks[0]); i++)
		if (make_symlink(r->root_fd, dev_symlinks[i].target, dev_symlinks[i].path, err) < 0)
			return -1;
	{
		static const char *const dirs[] = {"/dev/pts", "/dev/shm"};

		for (size_t i = 0; i < 2; i++) {
			int fd = rootfs_mkdir_p_in_root(r->root_fd, dirs[i], err);

			if (fd < 0)
				return -1;
			close(fd);
		}
	}
	return 0;
}
