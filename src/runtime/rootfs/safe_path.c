// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Path resolution inside the container root. The rootfs belongs to the container
 * image and is hostile: a symlink "evil -> /etc" must not make the runtime create
 * or mount anything outside it. Every lookup goes through openat2(RESOLVE_IN_ROOT),
 * which treats root_fd as "/" for absolute symlinks and "..", and every creation is
 * a single-component *at() call on a directory fd obtained that way.
 */
#include "rootfs/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cella/cleanup.h>

int rootfs_openat2(int root_fd, const char *path, int flags)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};

	/* "" would mean root_fd itself only with AT_EMPTY_PATH; "." says it plainly. */
	if (*path == '\0')
		path = ".";
	return (int)syscall(SYS_openat2, root_fd, path, &how, sizeof(how));
}

int cella_safe_open_in_root(int root_fd, const char *path, int flags, cella_err_t *err)
{
	int fd = rootfs_openat2(root_fd, path, flags);

	if (fd < 0)
		return cella_error_sys(err, "open '%s' inside the container root", path);
	return fd;
}

int rootfs_split_path(const char *path, char **parent, const char **base, cella_err_t *err)
{
	size_t len = strlen(path);
	char *p;

	*parent = NULL;
	*base = NULL;
	while (len > 1 && path[len - 1] == '/')
		len--;
	p = strndup(path, len);
	if (p == NULL)
		return cella_error_sys(err, "split '%s'", path);
	char *slash = strrchr(p, '/');
	if (slash == NULL || slash[1] == '\0') {
		free(p);
		return cella_error_make(err, EINVAL, "'%s' has no last component", path);
	}
	*base = path + (slash + 1 - p);
	if (slash == p)
		slash[1] = '\0'; /* parent of "/x" is "/" */
	else
		*slash = '\0';
	*parent = p;
	return 0;
}

int rootfs_mkdir_p_in_root(int root_fd, const char *path, cella_err_t *err)
{
	_cleanup_close_ int cur = rootfs_openat2(root_fd, "/", O_PATH | O_DIRECTORY);
	_cleanup_free_ char *copy = NULL;
	char *save = NULL, *comp;

	if (cur < 0)
		return cella_error_sys(err, "open the container root");
	copy = strdup(path);
	if (copy == NULL)
		return cella_error_sys(err, "mkdir '%s'", path);
	/* Rebuild the prefix as we go; each step is resolved from the root again. */
	for (comp = strtok_r(copy, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		size_t prefix_len = (size_t)(comp - copy) + strlen(comp);
		_cleanup_free_ char *prefix = strndup(path, prefix_len);
		int next;

		if (prefix == NULL)
			return cella_error_sys(err, "mkdir '%s'", path);
		next = rootfs_openat2(root_fd, prefix, O_PATH | O_DIRECTORY);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(cur, comp, 0755) < 0 && errno != EEXIST)
				return cella_error_sys(err, "mkdir '%s' inside the container root", prefix);
			next = rootfs_openat2(root_fd, prefix, O_PATH | O_DIRECTORY);
			if (next < 0 && errno == ENOENT)
				return cella_error_make(
					err, ELOOP, "'%s' inside the container root is a dangling symlink",
					prefix);
		}
		if (next < 0)
			return cella_error_sys(err, "open '%s' inside the container root", prefix);
		close(cur);
		cur = next;
	}
	return steal_fd(&cur);
}

int rootfs_ensure_in_root(int root_fd, const char *path, bool dir, cella_err_t *err)
{
	_cleanup_free_ char *parent = NULL;
	_cleanup_close_ int parent_fd = -1;
	const char *base = NULL;
	int fd;

	fd = rootfs_openat2(root_fd, path, O_PATH);
	if (fd >= 0 || errno != ENOENT) {
		if (fd < 0)
			return cella_error_sys(err, "open '%s' inside the container root", path);
		return fd;
	}
	if (dir)
		return rootfs_mkdir_p_in_root(root_fd, path, err);
	if (rootfs_split_path(path, &parent, &base, err) < 0 || parent == NULL || base == NULL)
		return -1;
	parent_fd = rootfs_mkdir_p_in_root(root_fd, parent, err);
	if (parent_fd < 0)
		return -1;
	{
		/* O_PATH fds cannot be used to create; reopen the directory for real. */
		_cleanup_close_ int dfd = openat(parent_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		int file;
		char name[256];
		size_t n = strcspn(base, "/");

		if (dfd < 0)
			return cella_error_sys(err, "open the parent of '%s'", path);
		if (n >= sizeof(name))
			return cella_error_make(err, ENAMETOOLONG, "create '%s'", path);
		memcpy(name, base, n);
		name[n] = '\0';
		file = openat(dfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (file < 0 && errno != EEXIST && errno != ELOOP)
			return cella_error_sys(err, "create '%s' inside the container root", path);
		if (file >= 0)
			close(file);
	}
	fd = rootfs_openat2(root_fd, path, O_PATH);
	if (fd < 0)
		return cella_error_sys(err, "open '%s' inside the container root", path);
	return fd;
}
