// SPDX-License-Identifier: GPL-2.0-or-later
/* AML encoder: opcodes and encodings from the ACPI 6.x specification, chapters 19-20. */
#include <stdlib.h>
#include <string.h>

#include "platform/aml.h"

#define AML_ZERO_OP	  0x00
#define AML_ONE_OP	  0x01
#define AML_NAME_OP	  0x08
#define AML_BYTE_PREFIX	  0x0A
#define AML_WORD_PREFIX	  0x0B
#define AML_DWORD_PREFIX  0x0C
#define AML_QWORD_PREFIX  0x0E
#define AML_SCOPE_OP	  0x10
#define AML_BUFFER_OP	  0x11
#define AML_DUAL_NAME	  0x2E
#define AML_MULTI_NAME	  0x2F
#define AML_EXT_OP_PREFIX 0x5B
#define AML_DEVICE_OP	  0x82
#define AML_ROOT_CHAR	  '\\'

#define AML_MAX_PKG_LENGTH (1U << 28)

void aml__free(struct aml *a)
{
	free(a->data);
	*a = (struct aml){0};
}

static bool aml__reserve(struct aml *a, size_t n)
{
	if (a->failed)
		return false;
	if (n > AML_MAX_PKG_LENGTH || a->len + n > AML_MAX_PKG_LENGTH) {
		a->failed = true;
		return false;
	}
	if (a->len + n > a->cap) {
		size_t cap = a->cap ? a->cap : 256;
		uint8_t *d;

		while (cap < a->len + n)
			cap *= 2;
		d = realloc(a->data, cap);
		if (!d) {
			a->failed = true;
			return false;
		}
		a->data = d;
		a->cap = cap;
	}
	return true;
}

void aml__bytes(struct aml *a, const void *p, size_t n)
{
	if (!n || !aml__reserve(a, n))
		return;
	memcpy(a->data + a->len, p, n);
	a->len += n;
}

void aml__byte(struct aml *a, uint8_t b)
{
	aml__bytes(a, &b, 1);
}

void aml__u16(struct aml *a, uint16_t v)
{
	uint8_t b[2] = {v & 0xff, v >> 8};

	aml__bytes(a, b, sizeof(b));
}

void aml__u32(struct aml *a, uint32_t v)
{
	uint8_t b[4] = {v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24};

	aml__bytes(a, b, sizeof(b));
}

static void aml__name_seg(struct aml *a, const char *seg, size_t len)
{
	char s[4] = {'_', '_', '_', '_'};

	memcpy(s, seg, len > 4 ? 4 : len);
	aml__bytes(a, s, 4);
}

void aml__name_string(struct aml *a, const char *name)
{
	const char *p = name;
	unsigned nsegs = 1;

	if (*p == AML_ROOT_CHAR) {
		aml__byte(a, AML_ROOT_CHAR);
		p++;
	}
	for (const char *q = p; *q; q++)
		nsegs += *q == '.';
	if (nsegs == 2) {
		aml__byte(a, AML_DUAL_NAME);
	} else if (nsegs > 2) {
		aml__byte(a, AML_MULTI_NAME);
		aml__byte(a, nsegs);
	}
	while (1) {
		size_t len = strcspn(p, ".");

		aml__name_seg(a, p, len);
		if (!p[len])
			break;
		p += len + 1;
	}
}

void aml__integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml__byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml__byte(a, AML_ONE_OP);
	} else if (v <= 0xff) {
		aml__byte(a, AML_BYTE_PREFIX);
		aml__byte(a, v);
	} else if (v <= 0xffff) {
		aml__byte(a, AML_WORD_PREFIX);
		aml__u16(a, v);
	} else if (v <= 0xffffffff) {
		aml__byte(a, AML_DWORD_PREFIX);
		aml__u32(a, v);
	} else {
		aml__byte(a, AML_QWORD_PREFIX);
		aml__u32(a, v & 0xffffffff);
		aml__u32(a, v >> 32);
	}
}

static unsigned aml__eisa_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return 0;
}

void aml__eisaid(struct aml *a, const char *id)
{
	/* Three letters of 5 bits ('A' = 1) then four hex digits, stored big-endian-ish as the spec says. */
	unsigned c1 = (id[0] - '@') & 0x1f, c2 = (id[1] - '@') & 0x1f, c3 = (id[2] - '@') & 0x1f;
	uint8_t b[4];

	b[0] = (c1 << 2) | (c2 >> 3);
	b[1] = ((c2 & 7) << 5) | c3;
	b[2] = (aml__eisa_hex(id[3]) << 4) | aml__eisa_hex(id[4]);
	b[3] = (aml__eisa_hex(id[5]) << 4) | aml__eisa_hex(id[6]);
	aml__byte(a, AML_DWORD_PREFIX);
	aml__bytes(a, b, 4);
}

size_t aml__pkg_open(struct aml *a)
{
	return a->len;
}

void aml__pkg_close(struct aml *a, size_t start)
{
	size_t body, total;
	uint8_t enc[4];
	unsigned n;

	if (a->failed || start > a->len)
		return;
	body = a->len - start;
	/* PkgLength counts its own bytes: 1 byte up to 63, else a lead byte with the low nibble + 1-3 bytes. */
	if (body + 1 < 0x40) {
		n = 1;
		total = body + 1;
		enc[0] = total;
	} else {
		for (n = 2; n <= 4; n++) {
			if (body + n < (1UL << (4 + 8 * (n - 1))))
				break;
		}
		if (n > 4) {
			a->failed = true;
			return;
		}
		total = body + n;
		enc[0] = ((n - 1) << 6) | (total & 0xf);
		for (unsigned i = 1; i < n; i++)
			enc[i] = (total >> (4 + 8 * (i - 1))) & 0xff;
	}
	if (!aml__reserve(a, n))
		return;
	memmove(a->data + start + n, a->data + start, body);
	memcpy(a->data + start, enc, n);
	a->len += n;
}

void aml__name_integer(struct aml *a, const char *name, uint64_t v)
{
	aml__byte(a, AML_NAME_OP);
	aml__name_string(a, name);
	aml__integer(a, v);
}

void aml__name_eisaid(struct aml *a, const char *name, const char *id)
{
	aml__byte(a, AML_NAME_OP);
	aml__name_string(a, name);
	aml__eisaid(a, id);
}

void aml__name_buffer(struct aml *a, const char *name, const struct aml *bytes)
{
	size_t start;

	if (bytes->failed) {
		a->failed = true;
		return;
	}
	aml__byte(a, AML_NAME_OP);
	aml__name_string(a, name);
	aml__byte(a, AML_BUFFER_OP);
	start = aml__pkg_open(a);
	aml__integer(a, bytes->len);
	aml__bytes(a, bytes->data, bytes->len);
	aml__pkg_close(a, start);
}

size_t aml__scope_open(struct aml *a, const char *name)
{
	size_t start;

	aml__byte(a, AML_SCOPE_OP);
	start = aml__pkg_open(a);
	aml__name_string(a, name);
	return start;
}

size_t aml__device_open(struct aml *a, const char *name)
{
	size_t start;

	aml__byte(a, AML_EXT_OP_PREFIX);
	aml__byte(a, AML_DEVICE_OP);
	start = aml__pkg_open(a);
	aml__name_string(a, name);
	return start;
}

/* ---- Resource descriptors (ACPI 6.x, 6.4) ---- */

void aml__res_io(struct aml *a, uint16_t port, uint8_t len)
{
	aml__byte(a, 0x47); /* small item, I/O port, 7 bytes */
	aml__byte(a, 0x01); /* 16-bit decode */
	aml__u16(a, port);  /* minimum */
	aml__u16(a, port);  /* maximum */
	aml__byte(a, 0x01); /* alignment */
	aml__byte(a, len);
}

void aml__res_irq(struct aml *a, unsigned irq)
{
	aml__byte(a, 0x22); /* small item, IRQ, 2 bytes: edge, active high (IRQNoFlags) */
	aml__u16(a, (uint16_t)(1U << (irq & 15)));
}

void aml__res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len)
{
	aml__byte(a, 0x86); /* large item, 32-bit fixed memory range */
	aml__u16(a, 9);
	aml__byte(a, 0x01); /* read/write */
	aml__u32(a, base);
	aml__u32(a, len);
}

/* Word address space descriptor: resource type 1 = I/O, 2 = bus number. */
static void aml__res_word(struct aml *a, uint8_t type, uint8_t type_flags, uint16_t min, uint16_t max)
{
	aml__byte(a, 0x88);
	aml__u16(a, 13);
	aml__byte(a, type);
	aml__byte(a, 0x0C); /* producer, positive decode, min and max fixed */
	aml__byte(a, type_flags);
	aml__u16(a, 0); /* granularity */
	aml__u16(a, min);
	aml__u16(a, max);
	aml__u16(a, 0); /* translation */
	aml__u16(a, (uint16_t)(max - min + 1));
}

void aml__res_word_bus(struct aml *a, uint16_t min, uint16_t max)
{
	aml__res_word(a, 2, 0, min, max);
}

void aml__res_word_io(struct aml *a, uint16_t min, uint16_t max)
{
	aml__res_word(a, 1, 0x03 /* entire range */, min, max);
}

void aml__res_dword_mem(struct aml *a, uint32_t min, uint32_t max)
{
	aml__byte(a, 0x87); /* large item, DWord address space */
	aml__u16(a, 23);
	aml__byte(a, 0);    /* memory */
	aml__byte(a, 0x0C); /* producer, positive decode, min and max fixed */
	aml__byte(a, 0x01); /* read/write, non-cacheable */
	aml__u32(a, 0);	    /* granularity */
	aml__u32(a, min);
	aml__u32(a, max);
	aml__u32(a, 0); /* translation */
	aml__u32(a, max - min + 1);
}

void aml__res_end(struct aml *a)
{
	aml__byte(a, 0x79); /* end tag; checksum 0 means "treat as correct" */
	aml__byte(a, 0);
}
