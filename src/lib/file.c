// SPDX-License-Identifier: GPL-2.0-or-later
/* Whole-file reads, atomic replacement, mkdir -p and control-file writes. */
#include <cella/file.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/xalloc.h>

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The directory part of path ("." when there is none). */
static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int fsync_dir(const char *dir, cella_err_t *err)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return cella_error_sys(err, "open directory '%s'", dir);
	if (fsync(fd) < 0)
		return cella_error_sys(err, "fsync directory '%s'", dir);
	return 0;
}

int cella_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode, cella_err_t *err)
{
	_cleanup_free_ char *dir = NULL;
	_cleanup_free_ char *tmp = NULL;
	const char *base;
	int fd, ret;

	if (path == NULL || *path == '\0' || path[strlen(path) - 1] == '/')
		return cella_error_make(err, EINVAL, "write '%s': not a file name", path ? path : "");
	dir = dir_of(path);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	/* A hidden temporary next to the target: rename() is only atomic within one file system. */
	tmp = xasprintf("%s/.%s.XXXXXX", strcmp(dir, "/") == 0 ? "" : dir, base);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return cella_error_sys(err, "create temporary file for '%s'", path);
	if (fchmod(fd, mode) < 0) {
		ret = cella_error_sys(err, "chmod '%s'", tmp);
		goto fail;
	}
	if (write_all(fd, data, len) < 0) {
		ret = cella_error_sys(err, "write '%s'", tmp);
		goto fail;
	}
	if (fsync(fd) < 0) {
		ret = cella_error_sys(err, "fsync '%s'", tmp);
		goto fail;
	}
	if (close(fd) < 0) {
		fd = -1;
		ret = cella_error_sys(err, "close '%s'", tmp);
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) < 0) {
		ret = cella_error_sys(err, "rename '%s' to '%s'", tmp, path);
		goto fail;
	}
	/* The new name is durable only once the directory entry is. */
	ret = fsync_dir(dir, err);
	if (ret < 0)
		return cella_error_wrap(err, "write '%s'", path);
	return 0;

fail:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return ret;
}

int cella_file_read(const char *path, size_t max_bytes, char **data, size_t *len, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t used = 0, cap;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cella_error_sys(err, "open '%s'", path);
	/* /proc and /sys report size 0, so read until EOF rather than trusting st_size. */
	cap = max_bytes < 4096 ? max_bytes + 1 : 4096;
	buf = xmalloc(cap + 1);
	for (;;) {
		ssize_t n;

		if (used == cap) {
			if (cap > max_bytes)
				break;
			cap = cap > max_bytes / 2 ? max_bytes + 1 : cap * 2;
			buf = xrealloc(buf, cap + 1);
		}
		n = read(fd, buf + used, cap - used);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cella_error_sys(err, "read '%s'", path);
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (used > max_bytes)
		return cella_error_make(err, EFBIG, "read '%s': larger than the limit of %zu bytes", path,
					max_bytes);
	buf[used] = '\0';
	*data = steal_pointer(&buf);
	if (len)
		*len = used;
	return 0;
}

static int mkdir_one(const char *path, mode_t mode, cella_err_t *err)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return 0;
	if (errno != EEXIST)
		return cella_error_sys(err, "mkdir '%s'", path);
	if (stat(path, &st) < 0)
		return cella_error_sys(err, "stat '%s'", path);
	if (!S_ISDIR(st.st_mode))
		return cella_error_make(err, ENOTDIR, "mkdir '%s'", path);
	return 0;
}

int cella_mkdir_p(const char *path, mode_t mode, cella_err_t *err)
{
	_cleanup_free_ char *copy = NULL;
	int ret;

	if (path == NULL || *path == '\0')
		return cella_error_make(err, EINVAL, "mkdir: empty path");
	copy = xstrdup(path);
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/' || p[-1] == '/')
			continue;
		*p = '\0';
		ret = mkdir_one(copy, mode, err);
		*p = '/';
		if (ret < 0)
			return ret;
	}
	return mkdir_one(copy, mode, err);
}

int cella_file_write_string(const char *path, const char *str, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	size_t len = strlen(str);
	ssize_t n;

	fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cella_error_sys(err, "open '%s' to write '%s'", path, str);
	do
		n = write(fd, str, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return cella_error_sys(err, "write '%s' to '%s'", str, path);
	/* The kernel parses each write as a whole: a short write is a failure, not something to resume. */
	if ((size_t)n != len)
		return cella_error_make(err, EIO, "write '%s' to '%s': short write (%zd of %zu bytes)", str,
					path, n, len);
	return 0;
}
