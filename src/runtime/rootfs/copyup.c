// SPDX-License-Identifier: GPL-2.0-or-later
/* tmpcopyup (crun extension): the directory's previous content copied into the new tmpfs. */
#include "rootfs/rootfs_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

/* Image trees are shallow; the bound keeps a hostile one from exhausting the stack. */
#define COPY_MAX_DEPTH 64

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st, cella_err_t *err)
{
	_cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	_cleanup_close_ int out = -1;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return cella_error_sys(err, "open %s", name);
	out = openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		     st->st_mode & 07777);
	if (out < 0)
		return cella_error_sys(err, "create %s", name);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < n;) {
			ssize_t w = write(out, buf + off, (size_t)(n - off));

			if (w < 0)
				return cella_error_sys(err, "write %s", name);
			off += w;
		}
	if (n < 0)
		return cella_error_sys(err, "read %s", name);
	return 0;
}

static int copy_dir(int src, int dst, int depth, cella_err_t *err);

static int copy_entry(int src, int dst, const char *name, int depth, cella_err_t *err)
{
	struct stat st;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cella_error_sys(err, "stat %s", name);
	if (S_ISDIR(st.st_mode)) {
		_cleanup_close_ int s = -1, d = -1;

		if (mkdirat(dst, name, st.st_mode & 07777) < 0)
			return cella_error_sys(err, "mkdir %s", name);
		s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (s < 0 || d < 0)
			return cella_error_sys(err, "open %s", name);
		if (copy_dir(s, d, depth + 1, err) < 0)
			return cella_error_wrap(err, "%s", name);
	} else if (S_ISREG(st.st_mode)) {
		if (copy_file(src, dst, name, &st, err) < 0)
			return -1;
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);

		if (n < 0)
			return cella_error_sys(err, "readlink %s", name);
		target[n] = '\0';
		if (symlinkat(target, dst, name) < 0)
			return cella_error_sys(err, "symlink %s", name);
	} else if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0) {
		return cella_error_sys(err, "mknod %s", name);
	}
	if (fchownat(dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
		return cella_error_sys(err, "chown %s", name);
	if (!S_ISLNK(st.st_mode) && fchmodat(dst, name, st.st_mode & 07777, 0) < 0)
		return cella_error_sys(err, "chmod %s", name);
	return 0;
}

static int copy_dir(int src, int dst, int depth, cella_err_t *err)
{
	_cleanup_closedir_ DIR *dir = NULL;
	struct dirent *de;
	int fd;

	if (depth > COPY_MAX_DEPTH)
		return cella_error_make(err, ELOOP, "deeper than %d directories", COPY_MAX_DEPTH);
	fd = dup(src);
	if (fd < 0 || (dir = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return cella_error_sys(err, "read directory");
	}
	while ((errno = 0, de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (copy_entry(src, dst, de->d_name, depth, err) < 0)
			return -1;
	}
	if (errno != 0)
		return cella_error_sys(err, "read directory");
	return 0;
}

int rootfs_copy_tree(int src_fd, int dst_fd, cella_err_t *err)
{
	struct stat st;

	if (fstat(src_fd, &st) < 0)
		return cella_error_sys(err, "stat the directory");
	/* The tmpfs root takes the owner and mode of the directory it covers. */
	if (fchown(dst_fd, st.st_uid, st.st_gid) < 0 || fchmod(dst_fd, st.st_mode & 07777) < 0)
		return cella_error_sys(err, "chown/chmod the tmpfs root");
	return copy_dir(src_fd, dst_fd, 0, err);
}
