/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Reading and writing cgroupfs files. The kernel parses each write() as one
 * value, so a value is always written with exactly one write() call. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

void cgroup_debug(const char *fmt, ...)
{
	va_list ap;

	if (!getenv("CELLA_DEBUG"))
		return;
	va_start(ap, fmt);
	fputs("cella cgroup: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

const char *cgroup_ctrl_dir(const struct cella_cgroup *cg, enum cg_ctrl c, bool *v2)
{
	if (cg->v1_dir[c]) {
		*v2 = false;
		return cg->v1_dir[c];
	}
	if (cg->unified_dir && (cg->v2_ctrls & (1u << c))) {
		*v2 = true;
		return cg->unified_dir;
	}
	return NULL;
}

int cgroup_write(const char *dir, const char *file, const char *value, cella_err_t *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	size_t len = strlen(value);
	ssize_t w;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cella_error_sys(err, "cannot write '%s' to %s: open", value, path);
	do
		w = write(fd, value, len);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		return cella_error_sys(err, "cannot write '%s' to %s", value, path);
	if ((size_t)w != len)
		return cella_error_make(err, EIO, "cannot write '%s' to %s: short write", value, path);
	return 0;
}

int cgroup_writef(const char *dir, const char *file, cella_err_t *err, const char *fmt, ...)
{
	_cleanup_free_ char *value = NULL;
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&value, fmt, ap);
	va_end(ap);
	if (r < 0)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	return cgroup_write(dir, file, value, err);
}

int cgroup_read(const char *dir, const char *file, char **out, cella_err_t *err)
{
	_cleanup_free_ char *path = NULL, *buf = NULL;
	_cleanup_close_ int fd = -1;
	size_t size = 4096, len = 0;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cella_error_sys(err, "cannot read %s", path);
	buf = malloc(size);
	if (!buf)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	for (;;) {
		ssize_t r;

		if (len + 1 >= size) {
			char *bigger = size < (64u << 20) ? realloc(buf, size * 2) : NULL;

			if (!bigger)
				return cella_error_make(err, ENOMEM, "cannot read %s: too large", path);
			buf = bigger;
			size *= 2;
		}
		r = read(fd, buf + len, size - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return cella_error_sys(err, "cannot read %s", path);
		if (r == 0)
			break;
		len += (size_t)r;
	}
	buf[len] = '\0';
	*out = steal_pointer(&buf);
	return 0;
}

bool cgroup_file_exists(const char *dir, const char *file)
{
	_cleanup_free_ char *path = NULL;

	if (asprintf(&path, "%s/%s", dir, file) < 0)
		return false;
	return access(path, F_OK) == 0;
}
