// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The snapshot reader. The state file is hostile input: it is read whole and
 * every field is checked (magic, version, checksums, sizes, every offset and
 * length, overlaps, padding) before a single section is handed out, so the
 * VMM never restores from a file that is corrupt, truncated or not ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "snapshot/snapshot_internal.h"

void vmm_snapshot__close(struct vmm_snapshot_reader *r)
{
	if (r == NULL)
		return;
	if (r->memory_fd >= 0)
		close(r->memory_fd);
	free(r->entries);
	free(r->buf);
	free(r->dir);
	free(r);
}

static int read_state_file(struct vmm_snapshot_reader *r, cella_err_t *err)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (asprintf(&path, "%s/%s", r->dir, SNAPSHOT_STATE_FILE) < 0) {
		path = NULL;
		return cella_error_make(err, ENOMEM, "snapshot %s", r->dir);
	}
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return cella_error_sys(err, "snapshot %s: opening %s", r->dir, path);
	if (fstat(fd, &st) < 0)
		return cella_error_sys(err, "snapshot %s: %s", r->dir, path);
	if (!S_ISREG(st.st_mode))
		return cella_error_make(err, 0, "snapshot %s: %s is not a regular file", r->dir, path);
	if ((uint64_t)st.st_size > SNAPSHOT_STATE_MAX)
		return cella_error_make(err, EFBIG, "snapshot %s: %s is larger than %llu bytes", r->dir, path,
					(unsigned long long)SNAPSHOT_STATE_MAX);
	r->size = (size_t)st.st_size;
	r->buf = malloc(r->size ? r->size : 1);
	if (r->buf == NULL)
		return cella_error_make(err, ENOMEM, "snapshot %s: reading %s", r->dir, path);
	if (snapshot__pread_all(fd, r->buf, r->size, 0) < 0)
		return cella_error_sys(err, "snapshot %s: reading %s", r->dir, path);
	return 0;
}

static int check_header(struct vmm_snapshot_reader *r, uint64_t *table_off, cella_err_t *err)
{
	const uint8_t *h = r->buf;
	uint32_t header_size;
	uint64_t file_size;

	if (r->size < SNAPSHOT_MAGIC_LEN + 4)
		return cella_error_make(err, 0, "snapshot %s: state file is truncated (%zu bytes, no header)",
					r->dir, r->size);
	if (memcmp(h + SNAPSHOT_HDR_MAGIC, SNAPSHOT_MAGIC, SNAPSHOT_MAGIC_LEN) != 0)
		return cella_error_make(err, 0, "snapshot %s: state file is not a cella snapshot (bad magic)",
					r->dir);
	r->major = snapshot_get16(h + SNAPSHOT_HDR_MAJOR);
	r->minor = snapshot_get16(h + SNAPSHOT_HDR_MINOR);
	/* Version before checksum: a newer writer may have moved the checksum, and "newer" is the useful answer. */
	if (r->major > SNAPSHOT_FORMAT_MAJOR)
		return cella_error_make(
			err, 0,
			"snapshot %s: format version %u.%u is newer than this cella-vmm supports (%u.x)",
			r->dir, r->major, r->minor, SNAPSHOT_FORMAT_MAJOR);
	if (r->major < SNAPSHOT_FORMAT_MAJOR)
		return cella_error_make(err, 0, "snapshot %s: format version %u.%u is not supported (%u.x)",
					r->dir, r->major, r->minor, SNAPSHOT_FORMAT_MAJOR);
	if (r->size < SNAPSHOT_HEADER_SIZE)
		return cella_error_make(
			err, 0, "snapshot %s: state file is truncated (%zu bytes, the header alone is %u)",
			r->dir, r->size, SNAPSHOT_HEADER_SIZE);
	header_size = snapshot_get32(h + SNAPSHOT_HDR_SIZE);
	if (header_size < SNAPSHOT_HEADER_SIZE || header_size > SNAPSHOT_HEADER_MAX ||
	    header_size % SNAPSHOT_ALIGN)
		return cella_error_make(err, 0, "snapshot %s: header size %u is invalid", r->dir,
					header_size);
	if (header_size > r->size)
		return cella_error_make(
			err, 0, "snapshot %s: state file is truncated (%zu bytes, the header alone is %u)",
			r->dir, r->size, header_size);
	if (snapshot__crc(snapshot__crc(0, NULL, 0), h, header_size - 4) !=
	    snapshot_get32(h + header_size - 4))
		return cella_error_make(err, 0, "snapshot %s: header checksum mismatch (corrupt state file)",
					r->dir);
	file_size = snapshot_get64(h + SNAPSHOT_HDR_FILE_SIZE);
	if (file_size > r->size)
		return cella_error_make(err, 0, "snapshot %s: state file is truncated (%zu of %llu bytes)",
					r->dir, r->size, (unsigned long long)file_size);
	if (file_size < r->size)
		return cella_error_make(err, 0, "snapshot %s: state file has %llu bytes of trailing data",
					r->dir, (unsigned long long)(r->size - file_size));
	r->flags = snapshot_get32(h + SNAPSHOT_HDR_FLAGS);
	if (r->flags & ~SNAPSHOT_FLAGS_KNOWN)
		return cella_error_make(err, 0, "snapshot %s: unknown header flags 0x%x", r->dir,
					r->flags & ~SNAPSHOT_FLAGS_KNOWN);
	r->nentries = snapshot_get32(h + SNAPSHOT_HDR_NSECTIONS);
	if (r->nentries > SNAPSHOT_MAX_SECTIONS)
		return cella_error_make(err, 0, "snapshot %s: %u sections, at most %u allowed", r->dir,
					r->nentries, SNAPSHOT_MAX_SECTIONS);
	*table_off = snapshot_get64(h + SNAPSHOT_HDR_TABLE_OFF);
	/* nentries is bounded above, so the product cannot overflow; the offset is compared before adding. */
	if (*table_off < header_size || *table_off % SNAPSHOT_ALIGN || *table_off > r->size ||
	    (uint64_t)r->nentries * SNAPSHOT_ENTRY_SIZE != r->size - *table_off)
		return cella_error_make(
			err, 0,
			"snapshot %s: section table (offset %llu, %u entries) does not fit the state file",
			r->dir, (unsigned long long)*table_off, r->nentries);
	if (snapshot__crc(snapshot__crc(0, NULL, 0), h + *table_off, (size_t)(r->size - *table_off)) !=
	    snapshot_get32(h + SNAPSHOT_HDR_TABLE_CRC))
		return cella_error_make(
			err, 0, "snapshot %s: section table checksum mismatch (corrupt state file)", r->dir);
	memcpy(r->id, h + SNAPSHOT_HDR_ID, SNAPSHOT_ID_LEN);
	memcpy(r->base_id, h + SNAPSHOT_HDR_BASE_ID, SNAPSHOT_ID_LEN);
	return 0;
}

static bool name_is_valid(const uint8_t *raw)
{
	size_t len = strnlen((const char *)raw, SNAPSHOT_NAME_SIZE);

	if (len == 0 || len == SNAPSHOT_NAME_SIZE)
		return false;
	for (size_t i = 0; i < len; i++) {
		uint8_t c = raw[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return false;
	}
	for (size_t i = len; i < SNAPSHOT_NAME_SIZE; i++) {
		if (raw[i] != 0)
			return false;
	}
	return true;
}

static int by_offset(const void *a, const void *b)
{
	const struct snapshot_entry *const *x = a, *const *y = b;

	if ((*x)->offset != (*y)->offset)
		return (*x)->offset < (*y)->offset ? -1 : 1;
	return 0;
}

static bool zero_bytes(const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (p[i])
			return false;
	}
	return true;
}

/*
 * Data areas must be disjoint, in order between header and table, with only
 * zero padding between them: then every byte of the file is either covered
 * by a checksum or required to be zero, and no flipped bit goes unnoticed.
 */
static int check_layout(struct vmm_snapshot_reader *r, uint64_t header_size, uint64_t table_off,
			cella_err_t *err)
{
	_cleanup_free_ struct snapshot_entry **sorted =
		calloc(r->nentries ? r->nentries : 1, sizeof(*sorted));
	uint64_t pos = header_size;

	if (sorted == NULL)
		return cella_error_make(err, ENOMEM, "snapshot %s", r->dir);
	for (unsigned i = 0; i < r->nentries; i++)
		sorted[i] = &r->entries[i];
	qsort(sorted, r->nentries, sizeof(*sorted), by_offset);
	for (unsigned i = 0; i < r->nentries; i++) {
		const struct snapshot_entry *e = sorted[i];

		if (e->offset < pos)
			return cella_error_make(err, 0, "snapshot %s: section %s overlaps %s", r->dir,
						e->name, i ? sorted[i - 1]->name : "the header");
		if (e->offset - pos >= SNAPSHOT_ALIGN || !zero_bytes(r->buf + pos, (size_t)(e->offset - pos)))
			return cella_error_make(
				err, 0, "snapshot %s: unaccounted bytes at offset %llu before section %s",
				r->dir, (unsigned long long)pos, e->name);
		pos = e->offset + e->length;
	}
	if (pos > table_off)
		return cella_error_make(err, 0, "snapshot %s: section %s overlaps the section table", r->dir,
					sorted[r->nentries - 1]->name);
	if (table_off - pos >= SNAPSHOT_ALIGN || !zero_bytes(r->buf + pos, (size_t)(table_off - pos)))
		return cella_error_make(
			err, 0, "snapshot %s: unaccounted bytes at offset %llu before the section table",
			r->dir, (unsigned long long)pos);
	return 0;
}

static int check_sections(struct vmm_snapshot_reader *r, uint64_t table_off, cella_err_t *err)
{
	uint64_t header_size = snapshot_get32(r->buf + SNAPSHOT_HDR_SIZE);

	r->entries = calloc(r->nentries ? r->nentries : 1, sizeof(*r->entries));
	if (r->entries == NULL)
		return cella_error_make(err, ENOMEM, "snapshot %s", r->dir);
	for (unsigned i = 0; i < r->nentries; i++) {
		const uint8_t *t = r->buf + table_off + (uint64_t)i * SNAPSHOT_ENTRY_SIZE;
		struct snapshot_entry *e = &r->entries[i];

		if (!name_is_valid(t + SNAPSHOT_ENT_NAME))
			return cella_error_make(
				err, 0, "snapshot %s: section table entry %u has an invalid name", r->dir, i);
		memcpy(e->name, t + SNAPSHOT_ENT_NAME, SNAPSHOT_NAME_SIZE);
		e->version = snapshot_get32(t + SNAPSHOT_ENT_VERSION);
		e->crc = snapshot_get32(t + SNAPSHOT_ENT_CRC);
		e->offset = snapshot_get64(t + SNAPSHOT_ENT_OFFSET);
		e->length = snapshot_get64(t + SNAPSHOT_ENT_LENGTH);
		/* Written so that no sum can wrap: offset is bounded by table_off before length is compared. */
		if (e->offset < header_size || e->offset > table_off || e->length > table_off - e->offset)
			return cella_error_make(err, 0,
						"snapshot %s: section %s (offset %llu, length %llu) lies "
						"outside the data area",
						r->dir, e->name, (unsigned long long)e->offset,
						(unsigned long long)e->length);
		for (unsigned j = 0; j < i; j++) {
			if (strcmp(r->entries[j].name, e->name) == 0)
				return cella_error_make(err, 0, "snapshot %s: section %s appears twice",
							r->dir, e->name);
		}
		if (snapshot__crc(snapshot__crc(0, NULL, 0), r->buf + e->offset, (size_t)e->length) != e->crc)
			return cella_error_make(err, 0,
						"snapshot %s: section %s checksum mismatch (corrupt data)",
						r->dir, e->name);
	}
	return check_layout(r, header_size, table_off, err);
}

static const struct snapshot_entry *find_entry(const struct vmm_snapshot_reader *r, const char *name)
{
	for (unsigned i = 0; i < r->nentries; i++) {
		if (strcmp(r->entries[i].name, name) == 0)
			return &r->entries[i];
	}
	return NULL;
}

static int parse_memory_section(struct vmm_snapshot_reader *r, const struct snapshot_entry *e,
				cella_err_t *err)
{
	const uint8_t *p = r->buf + e->offset;
	struct snapshot_memory_info expect;
	uint32_t page_size;

	if (e->version != SNAPSHOT_SEC_MEMORY_VER)
		return cella_error_make(err, 0, "snapshot %s: section %s version %u is not supported (%u)",
					r->dir, e->name, e->version, SNAPSHOT_SEC_MEMORY_VER);
	if (e->length < SNAPSHOT_MEM_REGIONS)
		return cella_error_make(err, 0, "snapshot %s: section %s is too short", r->dir, e->name);
	r->mem.ram_size = snapshot_get64(p + SNAPSHOT_MEM_RAM_SIZE);
	page_size = snapshot_get32(p + SNAPSHOT_MEM_PAGE_SIZE);
	r->mem.nregions = snapshot_get32(p + SNAPSHOT_MEM_NREGIONS);
	r->mem.crc = snapshot_get32(p + SNAPSHOT_MEM_CRC);
	if (page_size != SNAPSHOT_PAGE_SIZE)
		return cella_error_make(err, 0, "snapshot %s: memory page size %u is not supported (%u)",
					r->dir, page_size, SNAPSHOT_PAGE_SIZE);
	if (r->mem.ram_size == 0 || r->mem.ram_size % SNAPSHOT_PAGE_SIZE || r->mem.ram_size > (1ULL << 52))
		return cella_error_make(err, 0, "snapshot %s: guest RAM size %llu is invalid", r->dir,
					(unsigned long long)r->mem.ram_size);
	/* The only layout a restore can rebuild is guest_mem__init()'s: anything else is refused, not trusted. */
	snapshot__memory_layout(r->mem.ram_size, &expect);
	if (r->mem.nregions != expect.nregions ||
	    e->length != SNAPSHOT_MEM_REGIONS + (uint64_t)expect.nregions * SNAPSHOT_MEM_REGION_SIZE)
		return cella_error_make(err, 0, "snapshot %s: memory layout does not match %llu bytes of RAM",
					r->dir, (unsigned long long)r->mem.ram_size);
	for (unsigned i = 0; i < expect.nregions; i++) {
		const uint8_t *reg = p + SNAPSHOT_MEM_REGIONS + i * SNAPSHOT_MEM_REGION_SIZE;

		r->mem.region[i].gpa = snapshot_get64(reg);
		r->mem.region[i].size = snapshot_get64(reg + 8);
		r->mem.region[i].file_offset = snapshot_get64(reg + 16);
		if (r->mem.region[i].gpa != expect.region[i].gpa ||
		    r->mem.region[i].size != expect.region[i].size ||
		    r->mem.region[i].file_offset != expect.region[i].file_offset)
			return cella_error_make(
				err, 0, "snapshot %s: memory region %u does not match %llu bytes of RAM",
				r->dir, i, (unsigned long long)r->mem.ram_size);
	}
	r->has_memory = true;
	return 0;
}

static int check_memory(struct vmm_snapshot_reader *r, cella_err_t *err)
{
	const struct snapshot_entry *mem = find_entry(r, SNAPSHOT_SEC_MEMORY);
	const struct snapshot_entry *dirty = find_entry(r, SNAPSHOT_SEC_DIRTY);
	bool diff = r->flags & SNAPSHOT_FLAG_DIFF;
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (mem && parse_memory_section(r, mem, err) < 0)
		return -1;
	if (diff != (dirty != NULL) || (diff && !mem) || (diff && zero_bytes(r->base_id, SNAPSHOT_ID_LEN)))
		return cella_error_make(
			err, 0, "snapshot %s: inconsistent diff snapshot (flag, dirty bitmap, base id)",
			r->dir);
	if (dirty) {
		uint64_t pages = r->mem.ram_size / SNAPSHOT_PAGE_SIZE;

		if (dirty->version != SNAPSHOT_SEC_DIRTY_VER || dirty->length != (pages + 7) / 8)
			return cella_error_make(err, 0,
						"snapshot %s: dirty bitmap (version %u, %llu bytes) does not "
						"match %llu pages",
						r->dir, dirty->version, (unsigned long long)dirty->length,
						(unsigned long long)pages);
		r->dirty = r->buf + dirty->offset;
		r->dirty_len = (size_t)dirty->length;
	}
	if (!mem)
		return 0;
	if (asprintf(&path, "%s/%s", r->dir, SNAPSHOT_MEMORY_FILE) < 0) {
		path = NULL;
		return cella_error_make(err, ENOMEM, "snapshot %s", r->dir);
	}
	r->memory_fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (r->memory_fd < 0)
		return cella_error_sys(err, "snapshot %s: opening the memory file %s", r->dir, path);
	if (fstat(r->memory_fd, &st) < 0)
		return cella_error_sys(err, "snapshot %s: %s", r->dir, path);
	if (!S_ISREG(st.st_mode))
		return cella_error_make(err, 0, "snapshot %s: %s is not a regular file", r->dir, path);
	if ((uint64_t)st.st_size != r->mem.ram_size)
		return cella_error_make(err, 0, "snapshot %s: memory file %s is %s (%llu of %llu bytes)",
					r->dir, path,
					(uint64_t)st.st_size < r->mem.ram_size ? "truncated" : "too large",
					(unsigned long long)st.st_size, (unsigned long long)r->mem.ram_size);
	return 0;
}

int vmm_snapshot__open(const char *dir, struct vmm_snapshot_reader **out, cella_err_t *err)
{
	struct vmm_snapshot_reader *r = calloc(1, sizeof(*r));
	uint64_t table_off = 0;

	if (r == NULL)
		return cella_error_make(err, ENOMEM, "snapshot %s", dir);
	r->memory_fd = -1;
	r->dir = strdup(dir);
	if (r->dir == NULL) {
		vmm_snapshot__close(r);
		return cella_error_make(err, ENOMEM, "snapshot %s", dir);
	}
	if (read_state_file(r, err) < 0 || check_header(r, &table_off, err) < 0 ||
	    check_sections(r, table_off, err) < 0 || check_memory(r, err) < 0) {
		vmm_snapshot__close(r);
		return -1;
	}
	*out = r;
	return 0;
}

int vmm_snapshot__section(const struct vmm_snapshot_reader *r, const char *name, uint32_t *version,
			  const void **data, size_t *len)
{
	const struct snapshot_entry *e = find_entry(r, name);

	if (e == NULL)
		return -ENOENT;
	*version = e->version;
	*data = r->buf + e->offset;
	*len = (size_t)e->length;
	return 0;
}

unsigned vmm_snapshot__section_count(const struct vmm_snapshot_reader *r)
{
	return r->nentries;
}

int vmm_snapshot__section_at(const struct vmm_snapshot_reader *r, unsigned i, const char **name,
			     uint32_t *version, const void **data, size_t *len)
{
	if (i >= r->nentries)
		return -ENOENT;
	*name = r->entries[i].name;
	*version = r->entries[i].version;
	*data = r->buf + r->entries[i].offset;
	*len = (size_t)r->entries[i].length;
	return 0;
}

bool vmm_snapshot__is_diff(const struct vmm_snapshot_reader *r)
{
	return r->flags & SNAPSHOT_FLAG_DIFF;
}

bool vmm_snapshot__has_memory(const struct vmm_snapshot_reader *r)
{
	return r->has_memory;
}

void vmm_snapshot__format_version(const struct vmm_snapshot_reader *r, unsigned *major, unsigned *minor)
{
	*major = r->major;
	*minor = r->minor;
}
