// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Host-side decompression of a bzImage payload (xz, zstd, gzip, lzma, lz4): the guest's
 * own decompressor runs instruction by instruction on emulated KVM and takes
 * minutes. Output is capped; the input is hostile and may be a bomb.
 */
#include <errno.h>
#include <limits.h>
#include <lzma.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "boot/boot_internal.h"

#define BOOT_XZ_MEMLIMIT (256ULL << 20) /* dictionary memory: kernels use 32 MiB at most */

struct outbuf {
	uint8_t *p;
	size_t len, cap;
	uint64_t max;
};

/* Makes room for more output; fails once the cap is reached. */
static int outbuf__grow(struct outbuf *o, const char *kind, cella_err_t *err)
{
	size_t cap;
	uint8_t *p;

	if (o->cap >= o->max)
		return cella_error_make(err, 0, "%s payload decompresses to more than %llu MiB", kind,
					(unsigned long long)(o->max >> 20));
	cap = o->cap ? o->cap * 2 : (1U << 20);
	if (cap > o->max)
		cap = o->max;
	p = realloc(o->p, cap);
	if (!p)
		return cella_error_make(err, ENOMEM, "%s payload: %zu bytes", kind, cap);
	o->p = p;
	o->cap = cap;
	return 0;
}

static int decompress__xz(const uint8_t *in, size_t len, struct outbuf *o, cella_err_t *err)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	if (lzma_stream_decoder(&s, BOOT_XZ_MEMLIMIT, 0) != LZMA_OK)
		return cella_error_make(err, ENOMEM, "xz decoder");
	s.next_in = in;
	s.avail_in = len;
	do {
		if (o->len == o->cap) {
			if (outbuf__grow(o, "xz", err) < 0) {
				lzma_end(&s);
				return -1;
			}
		}
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len;
		/* One stream only: Linux appends the 4-byte output size after it. */
		r = lzma_code(&s, LZMA_FINISH);
		o->len = o->cap - s.avail_out;
	} while (r == LZMA_OK);
	lzma_end(&s);
	if (r == LZMA_STREAM_END)
		return 0;
	if (r == LZMA_MEMLIMIT_ERROR)
		return cella_error_make(err, 0, "xz payload needs more than %llu MiB of dictionary",
					(unsigned long long)(BOOT_XZ_MEMLIMIT >> 20));
	if (r == LZMA_BUF_ERROR)
		return cella_error_make(err, 0, "xz payload is truncated");
	return cella_error_make(err, 0, "xz payload is corrupt (liblzma error %d)", (int)r);
}

static int decompress__zstd(const uint8_t *in, size_t len, struct outbuf *o, cella_err_t *err)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer ib = {in, len, 0};
	size_t r;

	if (!d)
		return cella_error_make(err, ENOMEM, "zstd decoder");
	for (;;) {
		ZSTD_outBuffer ob;

		if (o->len == o->cap && outbuf__grow(o, "zstd", err) < 0)
			break;
		ob = (ZSTD_outBuffer){o->p, o->cap, o->len};
		r = ZSTD_decompressStream(d, &ob, &ib);
		o->len = ob.pos;
		if (ZSTD_isError(r)) {
			cella_error_make(err, 0, "zstd payload is corrupt: %s", ZSTD_getErrorName(r));
			break;
		}
		if (r == 0) { /* frame complete; what follows is Linux's size trailer */
			ZSTD_freeDCtx(d);
			return 0;
		}
		if (ib.pos == ib.size && ob.pos < ob.size) {
			cella_error_make(err, 0, "zstd payload is truncated");
			break;
		}
	}
	ZSTD_freeDCtx(d);
	return -1;
}

static int decompress__gzip(const uint8_t *in, size_t len, struct outbuf *o, cella_err_t *err)
{
	z_stream s = {0};
	int r;

	if (len > UINT_MAX)
		return cella_error_make(err, 0, "gzip payload too large");
	if (inflateInit2(&s, 16 + MAX_WBITS) != Z_OK)
		return cella_error_make(err, ENOMEM, "zlib decoder");
	s.next_in = (Bytef *)in;
	s.avail_in = len;
	do {
		size_t room;

		if (o->len == o->cap && outbuf__grow(o, "gzip", err) < 0) {
			inflateEnd(&s);
			return -1;
		}
		room = o->cap - o->len;
		s.next_out = o->p + o->len;
		s.avail_out = room > UINT_MAX ? UINT_MAX : room;
		r = inflate(&s, Z_NO_FLUSH);
		o->len = (size_t)(s.next_out - o->p);
		if (r == Z_BUF_ERROR && s.avail_in == 0)
			break;
	} while (r == Z_OK || r == Z_BUF_ERROR);
	inflateEnd(&s);
	if (r == Z_STREAM_END)
		return 0;
	if (r == Z_BUF_ERROR || (r == Z_OK && s.avail_in == 0))
		return cella_error_make(err, 0, "gzip payload is truncated");
	return cella_error_make(err, 0, "gzip payload is corrupt: %s", s.msg ? s.msg : "zlib error");
}

/* Legacy .lzma ("LZMA alone"): Linux's CONFIG_KERNEL_LZMA. */
static int decompress__lzma(const uint8_t *in, size_t len, struct outbuf *o, cella_err_t *err)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	if (lzma_alone_decoder(&s, BOOT_XZ_MEMLIMIT) != LZMA_OK)
		return cella_error_make(err, ENOMEM, "lzma decoder");
	s.next_in = in;
	s.avail_in = len;
	do {
		if (o->len == o->cap && outbuf__grow(o, "lzma", err) < 0) {
			lzma_end(&s);
			return -1;
		}
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len;
		r = lzma_code(&s, LZMA_RUN);
		o->len = o->cap - s.avail_out;
		if (r == LZMA_OK && s.avail_in == 0 && s.avail_out > 0)
			r = LZMA_BUF_ERROR; /* input ended before the end marker */
	} while (r == LZMA_OK);
	lzma_end(&s);
	if (r == LZMA_STREAM_END)
		return 0;
	if (r == LZMA_MEMLIMIT_ERROR)
		return cella_error_make(err, 0, "lzma payload needs more than %llu MiB of dictionary",
					(unsigned long long)(BOOT_XZ_MEMLIMIT >> 20));
	if (r == LZMA_BUF_ERROR)
		return cella_error_make(err, 0, "lzma payload is truncated");
	return cella_error_make(err, 0, "lzma payload is corrupt (liblzma error %d)", (int)r);
}

int boot__decompress(const uint8_t *in, size_t len, uint64_t max, uint8_t **out, size_t *out_len,
		     const char **kind, cella_err_t *err)
{
	static const uint8_t lz4_magic[] = {0x02, 0x21, 0x4C, 0x18};
	static const uint8_t lzma_magic[] = {0x5D, 0x00, 0x00};
	static const uint8_t xz_magic[] = {0xFD, '7', 'z', 'X', 'Z', 0x00};
	static const uint8_t zstd_magic[] = {0x28, 0xB5, 0x2F, 0xFD};
	static const uint8_t gzip_magic[] = {0x1F, 0x8B};
	struct outbuf o = {.max = max};
	int ret;

	if (len >= sizeof(xz_magic) && memcmp(in, xz_magic, sizeof(xz_magic)) == 0) {
		*kind = "xz";
		ret = decompress__xz(in, len, &o, err);
	} else if (len >= sizeof(zstd_magic) && memcmp(in, zstd_magic, sizeof(zstd_magic)) == 0) {
		*kind = "zstd";
		ret = decompress__zstd(in, len, &o, err);
	} else if (len >= sizeof(gzip_magic) && memcmp(in, gzip_magic, sizeof(gzip_magic)) == 0) {
		*kind = "gzip";
		ret = decompress__gzip(in, len, &o, err);
	} else if (len >= sizeof(lzma_magic) && memcmp(in, lzma_magic, sizeof(lzma_magic)) == 0) {
		*kind = "lzma";
		ret = decompress__lzma(in, len, &o, err);
	} else if (len >= sizeof(lz4_magic) && memcmp(in, lz4_magic, sizeof(lz4_magic)) == 0) {
		*kind = "lz4";
		ret = boot__lz4_legacy(in, len, max, &o.p, &o.len, err);
	} else {
		*kind = NULL;
		return 0;
	}
	if (ret < 0) {
		free(o.p);
		return -1;
	}
	*out = o.p;
	*out_len = o.len;
	return 1;
}
