// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * LZ4 "legacy" frames, the format of Linux's CONFIG_KERNEL_LZ4 payloads (Debian's
 * cloud kernels use it): magic 0x184C2102, then blocks of a 32-bit compressed
 * size and an independent LZ4 block of at most 8 MiB output. A small decoder
 * here rather than a new library dependency; every length and offset is checked.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/boot_internal.h"

#define LZ4_LEGACY_MAGIC 0x184C2102U
#define LZ4_LEGACY_BLOCK (8U << 20)
#define LZ4_MIN_MATCH	 4

/* One block: returns the bytes written to out, -1 on malformed input, -2 when out_len is too small. */
static long lz4__block(const uint8_t *in, size_t in_len, uint8_t *out, size_t out_len)
{
	const uint8_t *ip = in, *iend = in + in_len;
	uint8_t *op = out, *oend = out + out_len;

	while (ip < iend) {
		unsigned token = *ip++;
		size_t lit = token >> 4, match, offset;

		if (lit == 15) {
			unsigned b;

			do {
				if (ip >= iend)
					return -1;
				b = *ip++;
				lit += b;
			} while (b == 255);
		}
		if (lit > (size_t)(iend - ip))
			return -1;
		if (lit > (size_t)(oend - op))
			return -2;
		memcpy(op, ip, lit);
		op += lit;
		ip += lit;
		if (ip == iend) /* the last sequence has literals only */
			break;
		if (iend - ip < 2)
			return -1;
		offset = ip[0] | (ip[1] << 8);
		ip += 2;
		if (offset == 0 || offset > (size_t)(op - out))
			return -1;
		match = token & 15;
		if (match == 15) {
			unsigned b;

			do {
				if (ip >= iend)
					return -1;
				b = *ip++;
				match += b;
			} while (b == 255);
		}
		match += LZ4_MIN_MATCH;
		if (match > (size_t)(oend - op))
			return -2;
		/* Byte by byte: source and destination may overlap (run-length repeats). */
		for (size_t i = 0; i < match; i++, op++)
			*op = *(op - offset);
	}
	return op - out;
}

int boot__lz4_legacy(const uint8_t *in, size_t len, uint64_t max, uint8_t **out, size_t *out_len,
		     cella_err_t *err)
{
	size_t pos = 4, done = 0, cap = 0;
	uint8_t *buf = NULL;

	while (len - pos >= 8) { /* fewer bytes left: Linux's 4-byte size trailer */
		uint32_t csize;
		size_t room;
		long n;

		memcpy(&csize, in + pos, 4);
		pos += 4;
		if (csize == LZ4_LEGACY_MAGIC) /* concatenated stream */
			continue;
		if (csize > len - pos) {
			free(buf);
			return cella_error_make(err, 0, "lz4 payload is truncated");
		}
		if (done + LZ4_LEGACY_BLOCK > cap) {
			size_t want = cap ? cap * 2 : 4 * (size_t)LZ4_LEGACY_BLOCK;
			uint8_t *p;

			if (want < done + LZ4_LEGACY_BLOCK)
				want = done + LZ4_LEGACY_BLOCK;
			if (want > max)
				want = max;
			if (want <= done) {
				free(buf);
				return cella_error_make(err, 0,
							"lz4 payload decompresses to more than %llu MiB",
							(unsigned long long)(max >> 20));
			}
			p = realloc(buf, want);
			if (!p) {
				free(buf);
				return cella_error_make(err, ENOMEM, "lz4 payload: %zu bytes", want);
			}
			buf = p;
			cap = want;
		}
		room = cap - done < LZ4_LEGACY_BLOCK ? cap - done : LZ4_LEGACY_BLOCK;
		n = lz4__block(in + pos, csize, buf + done, room);
		if (n == -2 && room < LZ4_LEGACY_BLOCK) {
			free(buf);
			return cella_error_make(err, 0, "lz4 payload decompresses to more than %llu MiB",
						(unsigned long long)(max >> 20));
		}
		if (n < 0) { /* malformed, or a block beyond the format's 8 MiB */
			free(buf);
			return cella_error_make(err, 0, "lz4 payload is corrupt (block at offset 0x%zx)",
						pos - 4);
		}
		done += n;
		pos += csize;
	}
	*out = buf;
	*out_len = done;
	return 0;
}
