// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-blk request parser. Everything comes from guest memory the guest can
 * change under us: the header and segments are copied out once and only the
 * copies are checked and used; data buffers are only described (iovecs), never
 * interpreted.
 */
#include <endian.h>
#include <string.h>

#include "vdev/blk_req.h"
#include "vdev/iov.h"

static int finish(struct blk_req *r, uint8_t result)
{
	r->done = true;
	r->result = result;
	r->used_len = 1;
	return 0;
}

/* sector + sectors must lie inside the disk, without overflowing. */
static bool in_range(const struct blk_geom *g, uint64_t sector, uint64_t sectors)
{
	return sector <= g->capacity && sectors <= g->capacity - sector;
}

static int parse_segments(const struct iovec *iov, unsigned nread, uint64_t read_len,
			  const struct blk_geom *g, struct blk_req *r)
{
	uint64_t bytes = read_len - BLK_HDR_SIZE;
	uint32_t max = r->type == VIRTIO_BLK_T_DISCARD ? g->max_discard_sectors : g->max_write_zeroes_sectors;

	if (!g->discard)
		return finish(r, VIRTIO_BLK_S_UNSUPP);
	if (g->readonly)
		return finish(r, VIRTIO_BLK_S_IOERR);
	if (!bytes || bytes % BLK_SEG_SIZE || bytes / BLK_SEG_SIZE > BLK_MAX_SEGS)
		return finish(r, VIRTIO_BLK_S_IOERR);
	r->nseg = (unsigned)(bytes / BLK_SEG_SIZE);
	for (unsigned i = 0; i < r->nseg; i++) {
		uint8_t raw[BLK_SEG_SIZE];
		struct blk_seg *s = &r->seg[i];
		uint64_t sector;
		uint32_t num, flags;

		iov_to_buf(iov, nread, BLK_HDR_SIZE + (size_t)i * BLK_SEG_SIZE, raw, sizeof(raw));
		memcpy(&sector, raw, 8);
		memcpy(&num, raw + 8, 4);
		memcpy(&flags, raw + 12, 4);
		s->sector = le64toh(sector);
		s->num_sectors = le32toh(num);
		s->flags = le32toh(flags);
		/* 5.2.6.2: unknown flags, or unmap on a discard, are UNSUPP; too large or outside the disk IOERR. */
		if ((r->type == VIRTIO_BLK_T_DISCARD && s->flags) || (s->flags & ~VIRTIO_BLK_WZ_F_UNMAP))
			return finish(r, VIRTIO_BLK_S_UNSUPP);
		if (s->num_sectors > max || !in_range(g, s->sector, s->num_sectors))
			return finish(r, VIRTIO_BLK_S_IOERR);
	}
	return 0;
}

int blk_req__parse(const struct iovec *iov, unsigned nread, unsigned nwrite, const struct blk_geom *g,
		   struct blk_req *r, struct iovec *data, unsigned data_max)
{
	const struct iovec *wiov = iov + nread;
	uint64_t read_len = iov_length(iov, nread), write_len = iov_length(wiov, nwrite);
	uint8_t hdr[BLK_HDR_SIZE];
	uint32_t type;
	uint64_t sector;
	int n;

	memset(r, 0, sizeof(*r));
	if (!write_len)
		return -1;
	r->status = iov_byte(wiov, nwrite, write_len - 1);
	if (read_len < BLK_HDR_SIZE)
		return finish(r, VIRTIO_BLK_S_IOERR);
	iov_to_buf(iov, nread, 0, hdr, sizeof(hdr));
	memcpy(&type, hdr, 4);
	memcpy(&sector, hdr + 8, 8);
	r->type = le32toh(type);
	r->sector = le64toh(sector);

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT: {
		bool out = r->type == VIRTIO_BLK_T_OUT;

		if (out && g->readonly)
			return finish(r, VIRTIO_BLK_S_IOERR);
		r->len = out ? read_len - BLK_HDR_SIZE : write_len - 1;
		if (r->len % BLK_SECTOR_SIZE || !in_range(g, r->sector, r->len >> BLK_SECTOR_SHIFT))
			return finish(r, VIRTIO_BLK_S_IOERR);
		if (!r->len)
			return finish(r, VIRTIO_BLK_S_OK);
		n = out ? iov_slice(iov, nread, BLK_HDR_SIZE, r->len, data, data_max)
			: iov_slice(wiov, nwrite, 0, r->len, data, data_max);
		if (n < 0)
			return finish(r, VIRTIO_BLK_S_IOERR);
		r->niov = (unsigned)n;
		r->used_len = out ? 1 : (uint32_t)r->len + 1;
		return 0;
	}
	case VIRTIO_BLK_T_FLUSH:
		r->used_len = 1;
		return 0;
	case VIRTIO_BLK_T_GET_ID:
		/* Up to 20 bytes of ID, not NUL-terminated when it is exactly 20 long. */
		r->len = write_len - 1 < BLK_ID_BYTES ? write_len - 1 : BLK_ID_BYTES;
		n = iov_slice(wiov, nwrite, 0, r->len, data, data_max);
		if (n < 0)
			return finish(r, VIRTIO_BLK_S_IOERR);
		r->niov = (unsigned)n;
		r->used_len = (uint32_t)r->len + 1;
		return 0;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (parse_segments(iov, nread, read_len, g, r) < 0)
			return -1;
		r->used_len = 1;
		return 0;
	default:
		return finish(r, VIRTIO_BLK_S_UNSUPP);
	}
}

const char *blk_req__type_name(uint32_t type)
{
	switch (type) {
	case VIRTIO_BLK_T_IN:
		return "read";
	case VIRTIO_BLK_T_OUT:
		return "write";
	case VIRTIO_BLK_T_FLUSH:
		return "flush";
	case VIRTIO_BLK_T_GET_ID:
		return "get-id";
	case VIRTIO_BLK_T_DISCARD:
		return "discard";
	case VIRTIO_BLK_T_WRITE_ZEROES:
		return "write-zeroes";
	default:
		return "unsupported";
	}
}
