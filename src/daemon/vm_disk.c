// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Copies of VM disk images: an instance's own root disk (from the image), a snapshot's disk and its
 * restore. A reflink (FICLONE) shares the blocks until either side writes, so it costs nothing on
 * btrfs or xfs; elsewhere the copy reads only the allocated extents (SEEK_DATA/SEEK_HOLE) and keeps the
 * holes, so a mostly empty 10 GiB image costs what it holds. The copy goes to a temporary name in the
 * destination's directory and is renamed over the destination only when complete and fsync'd.
 */
#include "vm_disk.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/xalloc.h>

#define COPY_CHUNK (1 << 20)

const char *cellad_vm_disk_method_name(enum cellad_vm_disk_method m)
{
	return m == CELLAD_VM_DISK_REFLINK ? "reflink" : "sparse-copy";
}

static int write_all(int fd, const char *buf, size_t len, off_t off)
{
	while (len > 0) {
		ssize_t n = pwrite(fd, buf, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/* Copies [start, end) of in to out at the same offsets. */
static int copy_range(int in, int out, off_t start, off_t end, char *buf, struct cellad_vm_disk_progress *p,
		      const char *src, const char *tmp, cella_err_t *err)
{
	while (start < end) {
		size_t want = (size_t)(end - start < COPY_CHUNK ? end - start : COPY_CHUNK);
		ssize_t n = pread(in, buf, want, start);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "read '%s'", src);
		if (n == 0)
			return cella_error_make(err, EIO, "read '%s': the file shrank during the copy", src);
		if (write_all(out, buf, (size_t)n, start) < 0)
			return cella_error_sys(err, "write '%s'", tmp);
		start += n;
		if (p && p->fn)
			p->fn(p->ctx, (unsigned long long)start);
	}
	return 0;
}

/* The sparse copy: only the data extents are read and written; holes stay holes. */
static int sparse_copy(int in, int out, off_t size, struct cellad_vm_disk_progress *p, const char *src,
		       const char *tmp, cella_err_t *err)
{
	/* 1 MiB: too much for a worker thread's stack; xmalloc dies on OOM as the daemon's allocations do. */
	_cleanup_free_ char *buf = xmalloc(COPY_CHUNK);
	off_t data = 0;

	if (ftruncate(out, size) < 0)
		return cella_error_sys(err, "size '%s'", tmp);
	while (data < size) {
		off_t hole;

		data = lseek(in, data, SEEK_DATA);
		if (data < 0 && errno == ENXIO)
			break; /* only a hole is left */
		if (data < 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
			/* No SEEK_DATA here: copy everything. */
			return copy_range(in, out, 0, size, buf, p, src, tmp, err);
		}
		if (data < 0)
			return cella_error_sys(err, "seek in '%s'", src);
		hole = lseek(in, data, SEEK_HOLE);
		if (hole < 0)
			return cella_error_sys(err, "seek in '%s'", src);
		if (hole > size)
			hole = size;
		if (copy_range(in, out, data, hole, buf, p, src, tmp, err) < 0)
			return -1;
		data = hole;
	}
	return 0;
}

int cellad_vm_disk_copy(const char *src, const char *dst, enum cellad_vm_disk_method *method,
			struct cellad_vm_disk_progress *p, cella_err_t *err)
{
	_cleanup_free_ char *tmp = NULL, *dst_copy = strdup(dst);
	_cleanup_close_ int in = -1, out = -1;
	struct stat st;
	int ret;

	if (dst_copy == NULL || asprintf(&tmp, "%s/.tmp-%s", dirname(dst_copy),
					 strrchr(dst, '/') ? strrchr(dst, '/') + 1 : dst) < 0)
		return cella_error_make(err, ENOMEM, "copy '%s'", src);
	in = open(src, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (in < 0)
		return cella_error_sys(err, "open disk image '%s'", src);
	if (fstat(in, &st) < 0)
		return cella_error_sys(err, "stat '%s'", src);
	if (!S_ISREG(st.st_mode))
		return cella_error_make(err, EINVAL, "disk image '%s' is not a regular file", src);
	/* A leftover of an interrupted copy is ours to replace. */
	if (unlink(tmp) < 0 && errno != ENOENT)
		return cella_error_sys(err, "remove '%s'", tmp);
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (out < 0)
		return cella_error_sys(err, "create '%s'", tmp);
	if (p)
		p->total = (unsigned long long)st.st_size;
	if (ioctl(out, FICLONE, in) == 0) {
		*method = CELLAD_VM_DISK_REFLINK;
		ret = 0;
	} else if (errno == EOPNOTSUPP || errno == ENOTTY || errno == EXDEV || errno == EINVAL ||
		   errno == EPERM) {
		*method = CELLAD_VM_DISK_SPARSE;
		ret = sparse_copy(in, out, st.st_size, p, src, tmp, err);
	} else {
		ret = cella_error_sys(err, "reflink '%s' to '%s'", src, tmp);
	}
	if (ret == 0 && fsync(out) < 0)
		ret = cella_error_sys(err, "fsync '%s'", tmp);
	if (ret == 0 && rename(tmp, dst) < 0)
		ret = cella_error_sys(err, "rename '%s' to '%s'", tmp, dst);
	if (ret < 0)
		unlink(tmp);
	return ret;
}
