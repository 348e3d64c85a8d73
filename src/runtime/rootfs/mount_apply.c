// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One entry of mounts[], mounted onto a target resolved inside the rootfs.
 * Bind mounts use the new mount API (open_tree clone -> mount_setattr -> move_mount
 * onto the O_PATH target), so flags such as ro apply to the clone before it becomes
 * visible and only the flags asked for change (locked flags of a user namespace
 * stay). Other file systems go through mount(2) onto /proc/self/fd/N of the target.
 */
#include "rootfs/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cella/cleanup.h>

#define ATIME_MS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

static int setattr(int fd, bool recursive, struct mount_attr *attr, const char *dest, cella_err_t *err)
{
	unsigned int flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0);

	if (mount_setattr(fd, "", flags, attr, sizeof(*attr)) < 0)
		return cella_error_sys(err, "mount_setattr on %s", dest);
	return 0;
}

/* Recursive attributes and propagation, on the mount now attached at fd. */
static int apply_post(int fd, const struct rootfs_mount *m, cella_err_t *err)
{
	const struct rootfs_mount_opts *o = &m->opts;

	if (o->rec_attr_set || o->rec_attr_clr) {
		struct mount_attr a = {.attr_set = o->rec_attr_set, .attr_clr = o->rec_attr_clr};

		if (setattr(fd, true, &a, m->destination, err) < 0)
			return -1;
	}
	if (o->propagation) {
		struct mount_attr a = {.propagation = o->propagation & ~MS_REC};

		if (setattr(fd, (o->propagation & MS_REC) != 0, &a, m->destination, err) < 0)
			return -1;
	}
	return 0;
}

/* The non-recursive attributes a bind mount asks for, as mount_setattr wants them. */
static void bind_attrs(const struct rootfs_mount *m, const char *source, bool in_userns, struct mount_attr *a)
{
	const struct rootfs_mount_opts *o = &m->opts;
	struct statvfs sv;

	a->attr_set = rootfs_ms_to_mount_attr(o->flags);
	a->attr_clr = rootfs_ms_to_mount_attr(o->clear_flags & ~ATIME_MS);
	if (o->flags & ATIME_MS)
		a->attr_clr |= MOUNT_ATTR__ATIME;
	if (in_userns && statvfs(source, &sv) == 0) {
		/* Flags the source has are locked in a user namespace; clearing them would fail with EPERM,
		 * so keep them, as runc does. */
		if (sv.f_flag & ST_RDONLY)
			a->attr_clr &= ~(uint64_t)MOUNT_ATTR_RDONLY;
		if (sv.f_flag & ST_NOSUID)
			a->attr_clr &= ~(uint64_t)MOUNT_ATTR_NOSUID;
		if (sv.f_flag & ST_NODEV)
			a->attr_clr &= ~(uint64_t)MOUNT_ATTR_NODEV;
		if (sv.f_flag & ST_NOEXEC)
			a->attr_clr &= ~(uint64_t)MOUNT_ATTR_NOEXEC;
		/* The atime mode is locked as a whole. */
		a->attr_set &= ~(uint64_t)MOUNT_ATTR__ATIME;
		a->attr_clr &= ~(uint64_t)MOUNT_ATTR__ATIME;
	}
}

static int idmap_tree(int tree, const struct rootfs_mount *m, cella_err_t *err)
{
	_cleanup_close_ int userns = rootfs_idmap_userns_open(m, err);
	struct mount_attr a = {.attr_set = MOUNT_ATTR_IDMAP};
	unsigned int flags = AT_EMPTY_PATH | (m->opts.rec_idmap ? AT_RECURSIVE : 0);

	if (userns < 0)
		return -1;
	a.userns_fd = (uint64_t)userns;
	if (mount_setattr(tree, "", flags, &a, sizeof(a)) < 0) {
		if (errno == EINVAL || errno == EPERM || errno == ENOSYS || errno == EOPNOTSUPP)
			return cella_error_sys(
				err,
				"idmapped mount of %s on %s: not supported by the kernel or the "
				"file system of the source",
				m->source, m->destination);
		return cella_error_sys(err, "idmapped mount of %s on %s", m->source, m->destination);
	}
	return 0;
}

static int mount_bind(int root_fd, const struct rootfs_mount *m, const char *source, bool recursive,
		      bool in_userns, cella_err_t *err)
{
	_cleanup_close_ int target = -1, tree = -1;
	struct mount_attr a = {0};
	struct stat st;

	if (stat(source, &st) < 0)
		return cella_error_sys(err, "bind mount source %s", source);
	target = rootfs_ensure_in_root(root_fd, m->destination, S_ISDIR(st.st_mode), err);
	if (target < 0)
		return -1;
	tree = open_tree(AT_FDCWD, source,
			 OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0));
	if (tree < 0)
		return cella_error_sys(err, "clone the mount of %s", source);
	bind_attrs(m, source, in_userns, &a);
	if ((a.attr_set || a.attr_clr) && setattr(tree, false, &a, m->destination, err) < 0)
		return -1;
	if (m->opts.idmap && idmap_tree(tree, m, err) < 0)
		return -1;
	if (move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		return cella_error_sys(err, "attach the bind mount of %s", source);
	close(target);
	target = rootfs_openat2(root_fd, m->destination, O_PATH);
	if (target < 0)
		return cella_error_sys(err, "reopen %s", m->destination);
	return apply_post(target, m, err);
}

/* The data string for mount(2): the unknown options, plus the mountLabel context when SELinux is on. */
static int mount_data(const struct cella_rootfs *r, const struct rootfs_mount *m, char **out,
		      cella_err_t *err)
{
	static const char *const unlabeled[] = {"proc", "sysfs", "cgroup", "cgroup2", NULL};
	const char *data = m->opts.data ? m->opts.data : "";
	bool label = r->mount_label && access("/sys/fs/selinux/enforce", F_OK) == 0;

	for (size_t i = 0; label && unlabeled[i]; i++)
		if (strcmp(m->type, unlabeled[i]) == 0)
			label = false;
	if (!label && m->opts.data == NULL)
		return 0;
	if ((label ? asprintf(out, "%s%scontext=\"%s\"", data, *data ? "," : "", r->mount_label)
		   : asprintf(out, "%s", data)) < 0) {
		*out = NULL;
		return cella_error_sys(err, "mount data for %s", m->destination);
	}
	return 0;
}

static int mount_fs(const struct cella_rootfs *r, const struct rootfs_mount *m, cella_err_t *err)
{
	_cleanup_close_ int target = -1, old = -1;
	_cleanup_free_ char *data = NULL;
	char path[64];

	target = rootfs_ensure_in_root(r->root_fd, m->destination, true, err);
	if (target < 0)
		return -1;
	if (m->opts.tmpcopyup) {
		/* A real fd on the directory keeps reading what the tmpfs is about to hide. */
		old = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (old < 0)
			return cella_error_sys(err, "tmpcopyup: open %s", m->destination);
	}
	if (mount_data(r, m, &data, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", target);
	if (mount(m->source ? m->source : m->type, path, m->type, m->opts.flags, data) < 0)
		return cella_error_sys(err, "mount %s (type %s) on %s", m->source ? m->source : m->type,
				       m->type, m->destination);
	close(target);
	target = rootfs_openat2(r->root_fd, m->destination, O_PATH | O_DIRECTORY);
	if (target < 0)
		return cella_error_sys(err, "reopen %s", m->destination);
	if (old >= 0) {
		_cleanup_close_ int dst = openat(target, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

		if (dst < 0)
			return cella_error_sys(err, "tmpcopyup: open the new tmpfs on %s", m->destination);
		if (rootfs_copy_tree(old, dst, err) < 0)
			return cella_error_wrap(err, "tmpcopyup on %s", m->destination);
	}
	return apply_post(target, m, err);
}

/*
 * cgroup: on a cgroup v2 host, a cgroup2 mount (it shows the container's cgroup when it
 * has a cgroup namespace); where the kernel refuses that (no cgroup namespace inside a
 * user namespace) and on v1/hybrid hosts, the host's /sys/fs/cgroup tree is bound
 * recursively, read-only throughout when the mount asks for ro.
 */
static int mount_cgroup(struct cella_rootfs *r, const struct rootfs_mount *m, bool in_userns,
			cella_err_t *err)
{
	struct rootfs_mount copy = *m;
	struct statfs sf;

	if (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC) {
		copy.type = "cgroup2";
		copy.source = "cgroup2";
		if (mount_fs(r, &copy, err) == 0)
			return 0;
		if (err == NULL || *err == NULL ||
		    ((*err)->errno_value != EPERM && (*err)->errno_value != EBUSY))
			return -1;
		cella_error_release(err);
	}
	if (m->opts.flags & MS_RDONLY)
		copy.opts.rec_attr_set |= MOUNT_ATTR_RDONLY;
	return mount_bind(r->root_fd, &copy, "/sys/fs/cgroup", true, in_userns, err);
}

int rootfs_mount_apply(struct cella_rootfs *r, const struct rootfs_mount *m, bool in_userns, cella_err_t *err)
{
	int ret;

	if (rootfs_mount_is_bind(m))
		ret = mount_bind(r->root_fd, m, m->source, m->opts.rec, in_userns, err);
	else if (strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0)
		ret = mount_cgroup(r, m, in_userns, err);
	else if (strcmp(m->type, "sysfs") == 0 && in_userns && !r->has_netns)
		/* sysfs can only be mounted by the owner of the network namespace; runc binds /sys. */
		ret = mount_bind(r->root_fd, m, "/sys", true, in_userns, err);
	else
		ret = mount_fs(r, m, err);
	if (ret < 0 && in_userns && !rootfs_mount_is_bind(m) && err && *err && (*err)->errno_value == EPERM) {
		/* mqueue and sysfs belong to the owner of the IPC / network namespace; a container that
		 * joined one it does not own gets the host's, bound (as runc). */
		const char *host = strcmp(m->type, "mqueue") == 0  ? "/dev/mqueue"
				   : strcmp(m->type, "sysfs") == 0 ? "/sys"
								   : NULL;

		if (host) {
			cella_error_release(err);
			ret = mount_bind(r->root_fd, m, host, true, in_userns, err);
		}
	}
	return ret;
}
