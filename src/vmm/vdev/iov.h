/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VDEV_IOV_H
#define CELLA_VMM_VDEV_IOV_H

/* Scatter-gather helpers over guest buffers (iovecs from a popped chain). All bounds-checked. */
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Copies up to len bytes starting at byte off of iov into buf; returns bytes copied. */
size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len);
/* Copies up to len bytes of buf into iov at byte off; returns bytes copied. */
size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len);
/*
 * Describes bytes [off, off + len) of iov as at most max entries of out.
 * Returns the entry count, or -1 if the range is not inside iov or needs more than max entries.
 */
int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out, unsigned max);
/* Like iov_slice() but stops at max entries: *got says how many of the len bytes the entries cover. */
unsigned iov_slice_upto(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out,
			unsigned max, size_t *got);
/* Host pointer to the single byte at off, or NULL. */
uint8_t *iov_byte(const struct iovec *iov, unsigned n, size_t off);
size_t iov_length(const struct iovec *iov, unsigned n);

#endif
