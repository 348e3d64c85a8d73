// SPDX-License-Identifier: GPL-2.0-or-later
/* Scatter-gather copies and slices over guest buffers. */
#include <string.h>

#include "vdev/iov.h"

size_t iov_length(const struct iovec *iov, unsigned n)
{
	size_t t = 0;

	for (unsigned i = 0; i < n; i++)
		t += iov[i].iov_len;
	return t;
}

size_t iov_to_buf(const struct iovec *iov, unsigned n, size_t off, void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, c;

		if (off >= l) {
			off -= l;
			continue;
		}
		c = l - off < len - done ? l - off : len - done;
		memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + off, c);
		done += c;
		off = 0;
	}
	return done;
}

size_t iov_from_buf(const struct iovec *iov, unsigned n, size_t off, const void *buf, size_t len)
{
	size_t done = 0;

	for (unsigned i = 0; i < n && done < len; i++) {
		size_t l = iov[i].iov_len, c;

		if (off >= l) {
			off -= l;
			continue;
		}
		c = l - off < len - done ? l - off : len - done;
		memcpy((uint8_t *)iov[i].iov_base + off, (const uint8_t *)buf + done, c);
		done += c;
		off = 0;
	}
	return done;
}

int iov_slice(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out, unsigned max)
{
	size_t got;
	unsigned cnt = iov_slice_upto(iov, n, off, len, out, max, &got);

	return got == len ? (int)cnt : -1;
}

unsigned iov_slice_upto(const struct iovec *iov, unsigned n, size_t off, size_t len, struct iovec *out,
			unsigned max, size_t *got)
{
	unsigned cnt = 0;

	*got = 0;

	for (unsigned i = 0; i < n && len; i++) {
		size_t l = iov[i].iov_len, c;

		if (off >= l) {
			off -= l;
			continue;
		}
		if (cnt == max)
			break;
		c = l - off < len ? l - off : len;
		out[cnt++] = (struct iovec){.iov_base = (uint8_t *)iov[i].iov_base + off, .iov_len = c};
		len -= c;
		*got += c;
		off = 0;
	}
	return cnt;
}

uint8_t *iov_byte(const struct iovec *iov, unsigned n, size_t off)
{
	for (unsigned i = 0; i < n; i++) {
		if (off < iov[i].iov_len)
			return (uint8_t *)iov[i].iov_base + off;
		off -= iov[i].iov_len;
	}
	return NULL;
}
