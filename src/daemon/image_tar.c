// SPDX-License-Identifier: GPL-2.0-or-later
/* A directory tree as one pax tar file, with numeric and optionally shifted owners. */
#include "image_tar.h"

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

static long long shifted(const struct cellad_tar_options *o, long long id)
{
	if (o->shift_base >= 0 && id >= o->shift_base && id < o->shift_base + o->shift_size)
		return id - o->shift_base;
	return id;
}

static int write_metadata(struct archive *out, const char *metadata, cella_err_t *err)
{
	struct archive_entry *e = archive_entry_new();
	size_t len = strlen(metadata);
	int ret = 0;

	if (e == NULL)
		return cella_error_make(err, ENOMEM, "libarchive");
	archive_entry_set_pathname(e, CELLAD_EXPORT_METADATA);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, time(NULL), 0);
	if (archive_write_header(out, e) < ARCHIVE_WARN ||
	    archive_write_data(out, metadata, len) != (la_ssize_t)len)
		ret = cella_error_make(err, archive_errno(out), "write %s: %s", CELLAD_EXPORT_METADATA,
				       archive_error_string(out));
	archive_entry_free(e);
	return ret;
}

static int copy_data(struct archive *in, struct archive *out, const char *name, cella_err_t *err)
{
	for (;;) {
		char buf[1 << 16];
		la_ssize_t n = archive_read_data(in, buf, sizeof(buf));

		if (n == 0)
			return 0;
		if (n < 0)
			return cella_error_make(err, archive_errno(in), "read '%s': %s", name,
						archive_error_string(in));
		if (archive_write_data(out, buf, (size_t)n) != n)
			return cella_error_make(err, archive_errno(out), "write '%s': %s", name,
						archive_error_string(out));
	}
}

/* Renames the entry from its path on disk to PREFIX/relative and applies the owner shift. */
static int rename_entry(struct archive_entry *e, size_t strip, const struct cellad_tar_options *o,
			cella_err_t *err)
{
	const char *path = archive_entry_pathname(e), *rel;
	_cleanup_free_ char *name = NULL;

	if (path == NULL || strlen(path) < strip)
		return cella_error_make(err, EINVAL, "tar: entry outside the tree");
	rel = path + strip;
	while (*rel == '/')
		rel++;
	if (asprintf(&name, "%s%s%s", o->prefix ? o->prefix : ".", *rel ? "/" : "", rel) < 0)
		return cella_error_make(err, ENOMEM, "tar");
	archive_entry_copy_pathname(e, name);
	archive_entry_set_uid(e, shifted(o, archive_entry_uid(e)));
	archive_entry_set_gid(e, shifted(o, archive_entry_gid(e)));
	archive_entry_copy_uname(e, NULL);
	archive_entry_copy_gname(e, NULL);
	return 0;
}

static int write_tree(struct archive *in, struct archive *out, size_t strip,
		      const struct cellad_tar_options *o, cella_err_t *err)
{
	struct archive_entry *e = archive_entry_new();
	unsigned long long entries = 0, bytes = 0;
	int ret = -1;

	if (e == NULL)
		return cella_error_make(err, ENOMEM, "libarchive");
	for (;;) {
		int r = archive_read_next_header2(in, e);
		char shown[4096];

		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			cella_error_make(err, archive_errno(in), "read: %s", archive_error_string(in));
			goto out;
		}
		archive_read_disk_descend(in);
		if (archive_entry_filetype(e) == AE_IFSOCK)
			continue;
		snprintf(shown, sizeof(shown), "%s", archive_entry_pathname(e));
		if (rename_entry(e, strip, o, err) < 0)
			goto out;
		if (archive_write_header(out, e) < ARCHIVE_WARN) {
			cella_error_make(err, archive_errno(out), "'%s': %s", shown,
					 archive_error_string(out));
			goto out;
		}
		if (archive_entry_filetype(e) == AE_IFREG && archive_entry_size(e) > 0 &&
		    copy_data(in, out, shown, err) < 0)
			goto out;
		bytes += (unsigned long long)archive_entry_size(e);
		if (++entries % 64 == 0 && o->progress)
			o->progress(o->ctx, -1, bytes, entries);
	}
	if (o->progress)
		o->progress(o->ctx, -1, bytes, entries);
	ret = 0;
out:
	archive_entry_free(e);
	return ret;
}

int cellad_tar_write_tree(const char *src, const char *out_path, const struct cellad_tar_options *opts,
			  cella_err_t *err)
{
	struct archive *in = archive_read_disk_new(), *out = archive_write_new();
	_cleanup_close_ int fd = -1;
	int ret = -1;

	if (in == NULL || out == NULL) {
		cella_error_make(err, ENOMEM, "libarchive");
		goto done;
	}
	/* O_EXCL: never write through something already there (a link planted in tmp/). */
	fd = open(out_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		cella_error_sys(err, "create '%s'", out_path);
		goto done;
	}
	/* Links are stored as links, never followed out of the tree; owners stay numeric. */
	archive_read_disk_set_symlink_physical(in);
	archive_write_set_format_pax_restricted(out);
	archive_write_add_filter_none(out);
	archive_write_set_bytes_in_last_block(out, 1);
	if (archive_write_open_fd(out, fd) != ARCHIVE_OK) {
		cella_error_make(err, archive_errno(out), "'%s': %s", out_path, archive_error_string(out));
		goto fail;
	}
	if (archive_read_disk_open(in, src) != ARCHIVE_OK) {
		cella_error_make(err, archive_errno(in), "'%s': %s", src, archive_error_string(in));
		goto fail;
	}
	if ((opts->metadata && write_metadata(out, opts->metadata, err) < 0) ||
	    write_tree(in, out, strlen(src), opts, err) < 0)
		goto fail;
	if (archive_write_close(out) != ARCHIVE_OK) {
		cella_error_make(err, archive_errno(out), "'%s': %s", out_path, archive_error_string(out));
		goto fail;
	}
	ret = 0;
	goto done;
fail:
	unlink(out_path);
done:
	archive_read_free(in);
	archive_write_free(out);
	if (ret < 0)
		cella_error_wrap(err, "write tar of '%s'", src);
	return ret;
}

bool cellad_tar_is_export(const char *path)
{
	struct archive *in = archive_read_new();
	struct archive_entry *e;
	bool ok = false;

	if (in == NULL)
		return false;
	archive_read_support_filter_all(in);
	archive_read_support_format_all(in);
	if (archive_read_open_filename(in, path, 1 << 16) == ARCHIVE_OK &&
	    archive_read_next_header(in, &e) == ARCHIVE_OK)
		ok = archive_entry_pathname(e) &&
		     strcmp(archive_entry_pathname(e), CELLAD_EXPORT_METADATA) == 0;
	archive_read_free(in);
	return ok;
}
