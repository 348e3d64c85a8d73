// SPDX-License-Identifier: GPL-2.0-or-later
/* File I/O and checksum helpers shared by the snapshot writer and reader. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include <cella/cleanup.h>

#include "snapshot/snapshot_internal.h"

#define SNAPSHOT_READ_CHUNK (8U << 20)

/* Writes all of buf or fails with errno set (a short write without errno is ENOSPC: the disk filled up). */
int snapshot__pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pwrite(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENOSPC;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

/* Reads exactly len bytes; a short file is EIO-free but reported as ENODATA. */
int snapshot__pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = ENODATA;
			return -1;
		}
		p += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

int snapshot__fsync_path(const char *path, cella_err_t *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_DIRECTORY);

	if (fd < 0)
		return cella_error_sys(err, "opening %s to sync it", path);
	if (fsync(fd) < 0)
		return cella_error_sys(err, "syncing %s", path);
	return 0;
}

bool snapshot__page_is_zero(const uint8_t *page)
{
	uint64_t acc = 0;

	/* Word-wise OR: a branch per 64 bytes, vectorised by the compiler. */
	for (size_t i = 0; i < SNAPSHOT_PAGE_SIZE; i += 64) {
		uint64_t w[8];

		memcpy(w, page + i, sizeof(w));
		acc |= w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7];
		if (acc)
			return false;
	}
	return true;
}

uint32_t snapshot__crc(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	/* zlib's crc32 takes uInt lengths. */
	while (len > 0) {
		uInt n = len > (1U << 30) ? (1U << 30) : (uInt)len;

		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}

uint32_t snapshot__crc_page(uint32_t crc, uint64_t page_index, const uint8_t *page)
{
	uint8_t index_le[8];

	snapshot_put64(index_le, page_index);
	crc = snapshot__crc(crc, index_le, sizeof(index_le));
	return snapshot__crc(crc, page, SNAPSHOT_PAGE_SIZE);
}

int snapshot__crc_memory_file(int fd, uint64_t size, const char *path, uint32_t *crc, cella_err_t *err)
{
	_cleanup_free_ uint8_t *buf = malloc(SNAPSHOT_READ_CHUNK);
	uint32_t c = snapshot__crc(0, NULL, 0);

	if (buf == NULL)
		return cella_error_make(err, ENOMEM, "reading %s", path);
	for (uint64_t off = 0; off < size; off += SNAPSHOT_READ_CHUNK) {
		size_t n = size - off < SNAPSHOT_READ_CHUNK ? (size_t)(size - off) : SNAPSHOT_READ_CHUNK;

		if (snapshot__pread_all(fd, buf, n, off) < 0)
			return cella_error_sys(err, "reading %s at offset %llu", path,
					       (unsigned long long)off);
		for (size_t p = 0; p < n; p += SNAPSHOT_PAGE_SIZE) {
			if (!snapshot__page_is_zero(buf + p))
				c = snapshot__crc_page(c, (off + p) / SNAPSHOT_PAGE_SIZE, buf + p);
		}
	}
	*crc = c;
	return 0;
}

bool snapshot__bit_is_set(const uint8_t *bitmap, uint64_t bit)
{
	return (bitmap[bit / 8] >> (bit % 8)) & 1;
}

void snapshot__memory_layout(uint64_t ram_size, struct snapshot_memory_info *info)
{
	/* guest_mem__init()'s split, computed without a host pointer; file offsets follow RAM order. */
	uint64_t low = ram_size < GUEST_MEM_HOLE_START ? ram_size : GUEST_MEM_HOLE_START;

	memset(info, 0, sizeof(*info));
	info->ram_size = ram_size;
	info->nregions = 1;
	info->region[0].gpa = 0;
	info->region[0].size = low;
	info->region[0].file_offset = 0;
	if (ram_size > low) {
		info->region[1].gpa = GUEST_MEM_HIGH_START;
		info->region[1].size = ram_size - low;
		info->region[1].file_offset = low;
		info->nregions = 2;
	}
}
