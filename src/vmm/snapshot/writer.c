// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The snapshot writer: sections are streamed into a state file inside a
 * temporary directory next to the target; commit writes the section table and
 * the header last, makes everything durable, then swaps the directory into
 * place with one rename, so a crash or a full disk at any point leaves the
 * previous snapshot whole.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "snapshot/snapshot_internal.h"

static uint64_t align_up(uint64_t v)
{
	return (v + SNAPSHOT_ALIGN - 1) & ~(uint64_t)(SNAPSHOT_ALIGN - 1);
}

/* A target that exists must be a snapshot directory: never replace (and delete) someone else's files. */
static int check_target(const char *dir, cella_err_t *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *de;
	struct stat st;

	if (lstat(dir, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return cella_error_sys(err, "snapshot %s", dir);
	}
	if (!S_ISDIR(st.st_mode))
		return cella_error_make(err, ENOTDIR, "snapshot %s: exists and is not a directory", dir);
	d = opendir(dir);
	if (d == NULL)
		return cella_error_sys(err, "snapshot %s: reading the existing directory", dir);
	while ((errno = 0, de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    strcmp(de->d_name, SNAPSHOT_STATE_FILE) == 0 ||
		    strcmp(de->d_name, SNAPSHOT_MEMORY_FILE) == 0)
			continue;
		return cella_error_make(
			err, EEXIST,
			"snapshot %s: exists and is not a snapshot directory (it contains '%s'); "
			"refusing to replace it",
			dir, de->d_name);
	}
	if (errno != 0)
		return cella_error_sys(err, "snapshot %s: reading the existing directory", dir);
	return 0;
}

/* Removes a snapshot directory this module wrote (only its own files: anything else makes rmdir fail). */
static int remove_snapshot_dir(const char *path)
{
	int ret = 0;

	for (int i = 0; i < 2; i++) {
		_cleanup_free_ char *file = NULL;
		const char *name = i == 0 ? SNAPSHOT_STATE_FILE : SNAPSHOT_MEMORY_FILE;

		if (asprintf(&file, "%s/%s", path, name) < 0)
			return -1;
		if (unlink(file) < 0 && errno != ENOENT)
			ret = -1;
	}
	if (rmdir(path) < 0)
		ret = -1;
	return ret;
}

static void writer_free(struct vmm_snapshot_writer *w)
{
	if (w->state_fd >= 0)
		close(w->state_fd);
	if (w->memory_fd >= 0)
		close(w->memory_fd);
	free(w->entries);
	free(w->tmp_dir);
	free(w->dir);
	free(w);
}

void vmm_snapshot__abort(struct vmm_snapshot_writer *w)
{
	if (w == NULL)
		return;
	if (w->tmp_dir)
		remove_snapshot_dir(w->tmp_dir);
	writer_free(w);
}

int vmm_snapshot__writer_begin(const char *dir, struct vmm_snapshot_writer **out, cella_err_t *err)
{
	struct vmm_snapshot_writer *w;
	_cleanup_free_ char *state = NULL;
	size_t len;

	if (dir == NULL || dir[0] == '\0')
		return cella_error_make(err, 0, "snapshot: empty directory name");
	w = calloc(1, sizeof(*w));
	if (w == NULL)
		return cella_error_make(err, ENOMEM, "snapshot %s", dir);
	w->state_fd = -1;
	w->memory_fd = -1;
	w->dir = strdup(dir);
	if (w->dir == NULL) {
		writer_free(w);
		return cella_error_make(err, ENOMEM, "snapshot %s", dir);
	}
	/* "snap/" names the same directory as "snap"; the temporary one must be its sibling. */
	len = strlen(w->dir);
	while (len > 1 && w->dir[len - 1] == '/')
		w->dir[--len] = '\0';
	if (strcmp(w->dir, "/") == 0 || strcmp(w->dir, ".") == 0 || strcmp(w->dir, "..") == 0) {
		writer_free(w);
		return cella_error_make(err, 0, "snapshot %s: not a usable snapshot directory name", dir);
	}
	if (check_target(w->dir, err) < 0) {
		writer_free(w);
		return -1;
	}
	if (getrandom(w->id, sizeof(w->id), 0) != (ssize_t)sizeof(w->id)) {
		writer_free(w);
		return cella_error_sys(err, "snapshot %s: getting a random snapshot id", dir);
	}
	if (asprintf(&w->tmp_dir, "%s.tmp.XXXXXX", w->dir) < 0) {
		w->tmp_dir = NULL;
		writer_free(w);
		return cella_error_make(err, ENOMEM, "snapshot %s", dir);
	}
	if (mkdtemp(w->tmp_dir) == NULL) {
		int ret = cella_error_sys(err, "snapshot %s: creating the temporary directory %s", w->dir,
					  w->tmp_dir);

		free(steal_pointer(&w->tmp_dir));
		writer_free(w);
		return ret;
	}
	if (asprintf(&state, "%s/%s", w->tmp_dir, SNAPSHOT_STATE_FILE) < 0) {
		state = NULL;
		vmm_snapshot__abort(w);
		return cella_error_make(err, ENOMEM, "snapshot %s", dir);
	}
	/* 0600 as the directory's 0700: guest memory and registers hold the guest's secrets. */
	w->state_fd = open(state, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->state_fd < 0) {
		int ret = cella_error_sys(err, "snapshot %s: creating %s", w->dir, state);

		vmm_snapshot__abort(w);
		return ret;
	}
	w->state_end = SNAPSHOT_HEADER_SIZE;
	*out = w;
	return 0;
}

static bool name_is_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > VMM_SNAPSHOT_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	return true;
}

int snapshot__add_section_raw(struct vmm_snapshot_writer *w, const char *name, uint32_t version,
			      const void *data, size_t len, cella_err_t *err)
{
	struct snapshot_entry *e;
	uint64_t off = align_up(w->state_end);

	if (name == NULL || !name_is_valid(name))
		return cella_error_make(
			err, 0,
			"snapshot %s: invalid section name '%s' (1 to %d characters of a-z 0-9 . _ -)",
			w->dir, name ? name : "(null)", VMM_SNAPSHOT_NAME_MAX);
	if (data == NULL && len > 0)
		return cella_error_make(err, 0, "snapshot %s: section %s: no data", w->dir, name);
	for (unsigned i = 0; i < w->nentries; i++) {
		if (strcmp(w->entries[i].name, name) == 0)
			return cella_error_make(err, EEXIST, "snapshot %s: section %s added twice", w->dir,
						name);
	}
	if (w->nentries >= SNAPSHOT_MAX_SECTIONS)
		return cella_error_make(err, E2BIG, "snapshot %s: more than %u sections", w->dir,
					SNAPSHOT_MAX_SECTIONS);
	if (len > SNAPSHOT_STATE_MAX ||
	    off + len + (uint64_t)(w->nentries + 1) * SNAPSHOT_ENTRY_SIZE + SNAPSHOT_ALIGN >
		    SNAPSHOT_STATE_MAX)
		return cella_error_make(err, EFBIG,
					"snapshot %s: section %s: state file would exceed %llu bytes", w->dir,
					name, (unsigned long long)SNAPSHOT_STATE_MAX);
	if (w->nentries == w->capacity) {
		unsigned cap = w->capacity ? w->capacity * 2 : 32;
		struct snapshot_entry *n = reallocarray(w->entries, cap, sizeof(*n));

		if (n == NULL)
			return cella_error_make(err, ENOMEM, "snapshot %s: section %s", w->dir, name);
		w->entries = n;
		w->capacity = cap;
	}
	/* The alignment gap is never written: it reads back as the zeros the format requires. */
	if (len > 0 && snapshot__pwrite_all(w->state_fd, data, len, off) < 0)
		return cella_error_sys(err, "snapshot %s: writing section %s to %s/%s", w->dir, name,
				       w->tmp_dir, SNAPSHOT_STATE_FILE);
	e = &w->entries[w->nentries++];
	memset(e, 0, sizeof(*e));
	memcpy(e->name, name, strlen(name));
	e->version = version;
	e->crc = snapshot__crc(snapshot__crc(0, NULL, 0), data, len);
	e->offset = off;
	e->length = len;
	w->state_end = off + len;
	return 0;
}

int vmm_snapshot__add_section(struct vmm_snapshot_writer *w, const char *name, uint32_t version,
			      const void *data, size_t len, cella_err_t *err)
{
	if (name && strncmp(name, SNAPSHOT_RESERVED_PREFIX, strlen(SNAPSHOT_RESERVED_PREFIX)) == 0)
		return cella_error_make(err, 0, "snapshot %s: section name '%s' is reserved for the format",
					w->dir, name);
	return snapshot__add_section_raw(w, name, version, data, len, err);
}

/* The section table and then the header: until the header lands the file has no magic and opens as invalid. */
static int write_table_and_header(struct vmm_snapshot_writer *w, cella_err_t *err)
{
	uint64_t table_off = align_up(w->state_end);
	size_t table_len = (size_t)w->nentries * SNAPSHOT_ENTRY_SIZE;
	_cleanup_free_ uint8_t *table = calloc(1, table_len ? table_len : 1);
	uint8_t hdr[SNAPSHOT_HEADER_SIZE] = {0};

	if (table == NULL)
		return cella_error_make(err, ENOMEM, "snapshot %s: section table", w->dir);
	for (unsigned i = 0; i < w->nentries; i++) {
		uint8_t *t = table + (size_t)i * SNAPSHOT_ENTRY_SIZE;
		const struct snapshot_entry *e = &w->entries[i];

		memcpy(t + SNAPSHOT_ENT_NAME, e->name, SNAPSHOT_NAME_SIZE);
		snapshot_put32(t + SNAPSHOT_ENT_VERSION, e->version);
		snapshot_put32(t + SNAPSHOT_ENT_CRC, e->crc);
		snapshot_put64(t + SNAPSHOT_ENT_OFFSET, e->offset);
		snapshot_put64(t + SNAPSHOT_ENT_LENGTH, e->length);
	}
	memcpy(hdr + SNAPSHOT_HDR_MAGIC, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN);
	snapshot_put16(hdr + SNAPSHOT_HDR_MAJOR, SNAPSHOT_FORMAT_MAJOR);
	snapshot_put16(hdr + SNAPSHOT_HDR_MINOR, SNAPSHOT_FORMAT_MINOR);
	snapshot_put32(hdr + SNAPSHOT_HDR_SIZE, SNAPSHOT_HEADER_SIZE);
	snapshot_put32(hdr + SNAPSHOT_HDR_FLAGS, w->flags);
	snapshot_put32(hdr + SNAPSHOT_HDR_NSECTIONS, w->nentries);
	snapshot_put64(hdr + SNAPSHOT_HDR_TABLE_OFF, table_off);
	snapshot_put64(hdr + SNAPSHOT_HDR_FILE_SIZE, table_off + table_len);
	snapshot_put32(hdr + SNAPSHOT_HDR_TABLE_CRC,
		       snapshot__crc(snapshot__crc(0, NULL, 0), table, table_len));
	memcpy(hdr + SNAPSHOT_HDR_ID, w->id, SNAPSHOT_ID_LEN);
	memcpy(hdr + SNAPSHOT_HDR_BASE_ID, w->base_id, SNAPSHOT_ID_LEN);
	snapshot_put32(hdr + SNAPSHOT_HEADER_SIZE - 4,
		       snapshot__crc(snapshot__crc(0, NULL, 0), hdr, SNAPSHOT_HEADER_SIZE - 4));

	/* ftruncate too: a table of zero entries writes nothing, yet the file must reach table_off. */
	if (snapshot__pwrite_all(w->state_fd, table, table_len, table_off) < 0 ||
	    ftruncate(w->state_fd, (off_t)(table_off + table_len)) < 0 ||
	    snapshot__pwrite_all(w->state_fd, hdr, sizeof(hdr), 0) < 0)
		return cella_error_sys(err, "snapshot %s: writing %s/%s", w->dir, w->tmp_dir,
				       SNAPSHOT_STATE_FILE);
	return 0;
}

static char *parent_dir(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/*
 * Puts tmp_dir at dir. A first snapshot is a plain rename; a replacement is
 * an atomic exchange, after which the previous snapshot sits at tmp_dir. On
 * file systems without renameat2 flags, the previous one is moved aside first
 * (a crash in between leaves it, whole, at *old).
 */
static int swap_into_place(struct vmm_snapshot_writer *w, char **old, cella_err_t *err)
{
	*old = NULL;
	if (renameat2(AT_FDCWD, w->tmp_dir, AT_FDCWD, w->dir, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno == EEXIST) {
		if (renameat2(AT_FDCWD, w->tmp_dir, AT_FDCWD, w->dir, RENAME_EXCHANGE) < 0)
			return cella_error_sys(err, "snapshot %s: exchanging it with %s", w->dir, w->tmp_dir);
		*old = strdup(w->tmp_dir);
		return *old ? 0 : cella_error_make(err, ENOMEM, "snapshot %s", w->dir);
	}
	if (errno != EINVAL && errno != ENOSYS)
		return cella_error_sys(err, "snapshot %s: renaming %s into place", w->dir, w->tmp_dir);
	if (rename(w->tmp_dir, w->dir) == 0)
		return 0;
	if (errno != ENOTEMPTY && errno != EEXIST)
		return cella_error_sys(err, "snapshot %s: renaming %s into place", w->dir, w->tmp_dir);
	if (asprintf(old, "%s.old", w->tmp_dir) < 0) {
		*old = NULL;
		return cella_error_make(err, ENOMEM, "snapshot %s", w->dir);
	}
	if (rename(w->dir, *old) < 0) {
		int ret =
			cella_error_sys(err, "snapshot %s: moving the previous snapshot to %s", w->dir, *old);

		free(steal_pointer(old));
		return ret;
	}
	if (rename(w->tmp_dir, w->dir) < 0) {
		int ret = cella_error_sys(
			err, "snapshot %s: renaming %s into place (the previous snapshot is at %s)", w->dir,
			w->tmp_dir, *old);

		free(steal_pointer(old));
		return ret;
	}
	return 0;
}

int vmm_snapshot__commit(struct vmm_snapshot_writer *w, cella_err_t *err)
{
	_cleanup_free_ char *parent = NULL;
	_cleanup_free_ char *old = NULL;

	if (write_table_and_header(w, err) < 0)
		goto fail;
	if (w->memory_fd >= 0 && fsync(w->memory_fd) < 0) {
		cella_error_sys(err, "snapshot %s: syncing %s/%s", w->dir, w->tmp_dir, SNAPSHOT_MEMORY_FILE);
		goto fail;
	}
	if (fsync(w->state_fd) < 0) {
		cella_error_sys(err, "snapshot %s: syncing %s/%s", w->dir, w->tmp_dir, SNAPSHOT_STATE_FILE);
		goto fail;
	}
	if (snapshot__fsync_path(w->tmp_dir, err) < 0) {
		cella_error_wrap(err, "snapshot %s", w->dir);
		goto fail;
	}
	parent = parent_dir(w->dir);
	if (parent == NULL) {
		cella_error_make(err, ENOMEM, "snapshot %s", w->dir);
		goto fail;
	}
	if (swap_into_place(w, &old, err) < 0)
		goto fail;
	/* From here the new snapshot is in place: the temporary name is gone or holds the old one. */
	free(steal_pointer(&w->tmp_dir));
	if (snapshot__fsync_path(parent, err) < 0) {
		int ret =
			cella_error_wrap(err, "snapshot %s: renamed into place but not durable yet", w->dir);

		if (old)
			remove_snapshot_dir(old);
		writer_free(w);
		return ret;
	}
	if (old && remove_snapshot_dir(old) < 0) {
		int ret = cella_error_sys(
			err, "snapshot %s: committed, but removing the previous snapshot at %s failed",
			w->dir, old);

		writer_free(w);
		return ret;
	}
	writer_free(w);
	return 0;
fail:
	vmm_snapshot__abort(w);
	return -1;
}
