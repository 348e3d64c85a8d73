// SPDX-License-Identifier: GPL-2.0-or-later
/* Unpacking a tarball and copying a tree into a staging directory with libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "images.h"
#include "sha256.h"

#define WRITE_FLAGS                                                            \
	(ARCHIVE_EXTRACT_OWNER | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | \
	 ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT)

struct copy {
	const char *dest;
	size_t strip;		   /* bytes of the source prefix to drop (tree copies) */
	struct cellad_sha256 *sum; /* tree copies: fingerprint over names, metadata, data */
	cellad_progress_fn progress;
	void *ctx;
	unsigned long long total; /* tarball size, 0 when unknown */
	unsigned long long bytes, entries;
};

/* "./a/b", "/a/b", "a/b" -> "a/b"; NULL for names with a ".." component (hostile archive). */
static const char *clean_name(const char *name)
{
	const char *p;

	while (name[0] == '/' || (name[0] == '.' && name[1] == '/'))
		name += name[0] == '/' ? 1 : 2;
	for (p = name; *p;) {
		size_t len = strcspn(p, "/");

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return NULL;
		p += len;
		while (*p == '/')
			p++;
	}
	return name;
}

static int retarget(struct copy *c, struct archive_entry *e, cella_err_t *err)
{
	const char *orig = archive_entry_pathname(e), *name, *link;
	_cleanup_free_ char *path = NULL, *hard = NULL;

	if (orig == NULL)
		return cella_error_make(err, EINVAL, "archive entry without a name");
	name = strlen(orig) >= c->strip ? clean_name(orig + c->strip) : NULL;
	if (name == NULL)
		return cella_error_make(err, EINVAL, "archive entry '%s': names with '..' are refused", orig);
	if (asprintf(&path, "%s/%s", c->dest, name) < 0)
		return cella_error_make(err, ENOMEM, "archive entry '%s'", orig);
	if (c->sum) {
		char meta[96];
		int n = snprintf(meta, sizeof(meta), "%o %lld %lld %lld", (unsigned)archive_entry_mode(e),
				 (long long)archive_entry_uid(e), (long long)archive_entry_gid(e),
				 (long long)archive_entry_size(e));

		cellad_sha256_update(c->sum, name, strlen(name) + 1);
		cellad_sha256_update(c->sum, meta, (size_t)n + 1);
		if (archive_entry_symlink(e))
			cellad_sha256_update(c->sum, archive_entry_symlink(e),
					     strlen(archive_entry_symlink(e)) + 1);
	}
	archive_entry_copy_pathname(e, path);
	link = archive_entry_hardlink(e);
	if (link) {
		const char *target = clean_name(link);

		if (target == NULL || asprintf(&hard, "%s/%s", c->dest, target) < 0)
			return cella_error_make(err, EINVAL, "archive entry '%s': bad hard link target '%s'",
						orig, link);
		archive_entry_copy_hardlink(e, hard);
	}
	return 0;
}

static void report(struct copy *c, struct archive *in)
{
	int percent = -1;

	if (c->progress == NULL)
		return;
	if (c->total) {
		long long done = archive_filter_bytes(in, -1);

		percent = done <= 0 ? 0 : (int)((unsigned long long)done * 100 / c->total);
		if (percent > 100)
			percent = 100;
	}
	c->progress(c->ctx, percent, c->bytes, c->entries);
}

static int copy_data(struct copy *c, struct archive *in, struct archive *out, cella_err_t *err)
{
	for (;;) {
		const void *buf;
		size_t size;
		la_int64_t offset;
		int r = archive_read_data_block(in, &buf, &size, &offset);

		if (r == ARCHIVE_EOF)
			return 0;
		if (r < ARCHIVE_WARN)
			return cella_error_make(err, archive_errno(in), "read: %s", archive_error_string(in));
		if (archive_write_data_block(out, buf, size, offset) < ARCHIVE_WARN)
			return cella_error_make(err, archive_errno(out), "write: %s",
						archive_error_string(out));
		if (c->sum)
			cellad_sha256_update(c->sum, buf, size);
		c->bytes += size;
	}
}

static int copy_all(struct copy *c, struct archive *in, bool disk, cella_err_t *err)
{
	struct archive *out = archive_write_disk_new();
	struct archive_entry *e = archive_entry_new();
	int ret = -1;

	if (out == NULL || e == NULL) {
		cella_error_make(err, ENOMEM, "libarchive");
		goto out;
	}
	archive_write_disk_set_options(out, WRITE_FLAGS);
	archive_write_disk_set_standard_lookup(out);
	for (;;) {
		int r = archive_read_next_header2(in, e);
		mode_t type;

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			cella_error_make(err, archive_errno(in), "read: %s", archive_error_string(in));
			goto out;
		}
		if (disk)
			archive_read_disk_descend(in);
		type = archive_entry_filetype(e);
		/* /dev in a container is a fresh tmpfs: device nodes from an image are never needed. */
		if (type == AE_IFCHR || type == AE_IFBLK)
			continue;
		if (retarget(c, e, err) < 0)
			goto out;
		if (archive_write_header(out, e) < ARCHIVE_WARN) {
			cella_error_make(err, archive_errno(out), "'%s': %s", archive_entry_pathname(e),
					 archive_error_string(out));
			goto out;
		}
		if (type == AE_IFREG && archive_entry_size(e) > 0 && copy_data(c, in, out, err) < 0) {
			cella_error_wrap(err, "'%s'", archive_entry_pathname(e));
			goto out;
		}
		if (archive_write_finish_entry(out) < ARCHIVE_WARN) {
			cella_error_make(err, archive_errno(out), "'%s': %s", archive_entry_pathname(e),
					 archive_error_string(out));
			goto out;
		}
		if (++c->entries % 64 == 0)
			report(c, in);
	}
	if (archive_write_close(out) < ARCHIVE_WARN) {
		cella_error_make(err, archive_errno(out), "finish: %s", archive_error_string(out));
		goto out;
	}
	report(c, in);
	ret = 0;
out:
	archive_entry_free(e);
	archive_write_free(out);
	return ret;
}

int cellad_image_unpack(const char *tarball, const char *dest, cellad_progress_fn progress, void *ctx,
			cella_err_t *err)
{
	struct copy c = {.dest = dest, .progress = progress, .ctx = ctx};
	struct archive *in = archive_read_new();
	struct stat st;
	int ret;

	if (in == NULL)
		return cella_error_make(err, ENOMEM, "libarchive");
	if (stat(tarball, &st) == 0)
		c.total = (unsigned long long)st.st_size;
	archive_read_support_filter_all(in);
	archive_read_support_format_all(in);
	if (mkdir(dest, 0755) < 0) {
		archive_read_free(in);
		return cella_error_sys(err, "mkdir '%s'", dest);
	}
	if (archive_read_open_filename(in, tarball, 1 << 16) != ARCHIVE_OK) {
		ret = cella_error_make(err, archive_errno(in), "image: not a readable archive: %s",
				       archive_error_string(in));
		archive_read_free(in);
		return ret;
	}
	ret = copy_all(&c, in, false, err);
	if (ret == 0 && c.entries == 0)
		ret = cella_error_make(err, EINVAL, "image: the archive holds no files");
	archive_read_free(in);
	if (ret < 0)
		cella_error_wrap(err, "unpack image");
	return ret;
}

int cellad_image_copy_tree(const char *src, const char *dest, char fingerprint[65],
			   cellad_progress_fn progress, void *ctx, cella_err_t *err)
{
	struct cellad_sha256 sum;
	struct copy c = {.dest = dest, .strip = strlen(src), .sum = &sum, .progress = progress, .ctx = ctx};
	struct archive *in = archive_read_disk_new();
	int ret;

	if (in == NULL)
		return cella_error_make(err, ENOMEM, "libarchive");
	cellad_sha256_init(&sum);
	/* Symbolic links are copied as links, never followed out of the tree. */
	archive_read_disk_set_symlink_physical(in);
	archive_read_disk_set_standard_lookup(in);
	if (archive_read_disk_open(in, src) != ARCHIVE_OK) {
		ret = cella_error_make(err, archive_errno(in), "source.path '%s': %s", src,
				       archive_error_string(in));
		archive_read_free(in);
		return ret;
	}
	ret = copy_all(&c, in, true, err);
	archive_read_free(in);
	if (ret < 0)
		return cella_error_wrap(err, "copy '%s'", src);
	cellad_sha256_hex(&sum, fingerprint);
	return 0;
}

int cellad_file_sha256(const char *path, char fingerprint[65], cella_err_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct cellad_sha256 sum;
	char buf[1 << 16];

	if (fd < 0)
		return cella_error_sys(err, "open '%s'", path);
	cellad_sha256_init(&sum);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "read '%s'", path);
		if (n == 0)
			break;
		cellad_sha256_update(&sum, buf, (size_t)n);
	}
	cellad_sha256_hex(&sum, fingerprint);
	return 0;
}
