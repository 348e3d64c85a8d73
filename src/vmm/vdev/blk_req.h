/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VDEV_BLK_REQ_H
#define CELLA_VMM_VDEV_BLK_REQ_H

/*
 * virtio-blk requests (virtio 1.2, 5.2.6): a 16-byte header (type, reserved,
 * sector) at the start of the device-readable part, then data (OUT) or
 * discard/write-zeroes segments; the last byte of the device-writable part is
 * the status. Pure: no I/O, so the parser can be fuzzed on its own.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define VIRTIO_BLK_T_IN		  0
#define VIRTIO_BLK_T_OUT	  1
#define VIRTIO_BLK_T_FLUSH	  4
#define VIRTIO_BLK_T_GET_ID	  8
#define VIRTIO_BLK_T_DISCARD	  11
#define VIRTIO_BLK_T_WRITE_ZEROES 13

#define VIRTIO_BLK_S_OK	    0
#define VIRTIO_BLK_S_IOERR  1
#define VIRTIO_BLK_S_UNSUPP 2

#define VIRTIO_BLK_F_SIZE_MAX	  1
#define VIRTIO_BLK_F_SEG_MAX	  2
#define VIRTIO_BLK_F_RO		  5
#define VIRTIO_BLK_F_BLK_SIZE	  6
#define VIRTIO_BLK_F_FLUSH	  9
#define VIRTIO_BLK_F_DISCARD	  13
#define VIRTIO_BLK_F_WRITE_ZEROES 14

#define VIRTIO_BLK_WZ_F_UNMAP 1

#define BLK_SECTOR_SHIFT 9
#define BLK_SECTOR_SIZE	 512
#define BLK_HDR_SIZE	 16
#define BLK_SEG_SIZE	 16
#define BLK_ID_BYTES	 20
#define BLK_MAX_SEGS	 32 /* discard / write-zeroes segments a request */

/* What the device offers, for the checks. */
struct blk_geom {
	uint64_t capacity; /* sectors */
	bool readonly;
	bool discard; /* DISCARD and WRITE_ZEROES offered */
	uint32_t max_discard_sectors;
	uint32_t max_write_zeroes_sectors;
};

struct blk_seg {
	uint64_t sector;
	uint32_t num_sectors;
	uint32_t flags;
};

struct blk_req {
	uint32_t type;
	uint64_t sector;
	uint8_t *status; /* the guest's status byte; NULL when the chain has none */
	bool done;	 /* nothing to do on a worker: complete now with `result` */
	uint8_t result;
	uint64_t len;  /* data bytes (IN, OUT, GET_ID) */
	unsigned niov; /* data buffers, in the caller's array */
	unsigned nseg; /* DISCARD / WRITE_ZEROES */
	struct blk_seg seg[BLK_MAX_SEGS];
	uint32_t used_len; /* bytes the device writes into the chain on success, status included */
};

/*
 * Parses the chain iov[0, nread) readable + iov[nread, nread + nwrite) writable.
 * Data buffers go into data[0, data_max). Returns -1 when there is no status
 * byte to report through (the request can only be returned with length 0),
 * else 0: either r->done with r->result (IOERR, UNSUPP, or OK for an empty
 * request) or a request to execute.
 */
int blk_req__parse(const struct iovec *iov, unsigned nread, unsigned nwrite, const struct blk_geom *g,
		   struct blk_req *r, struct iovec *data, unsigned data_max);
const char *blk_req__type_name(uint32_t type);

#endif
