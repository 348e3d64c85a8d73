/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_PLATFORM_AML_H
#define CELLA_VMM_PLATFORM_AML_H

/*
 * A tiny AML (ACPI Machine Language) encoder: enough to build the DSDT's
 * names, packages, devices and resource templates. Bytes go into a growing
 * buffer; the first allocation failure sticks in ->failed so callers check
 * once at the end.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct aml {
	uint8_t *data;
	size_t len, cap;
	bool failed;
};

void aml__free(struct aml *a);
void aml__byte(struct aml *a, uint8_t b);
void aml__bytes(struct aml *a, const void *p, size_t n);
void aml__u16(struct aml *a, uint16_t v);
void aml__u32(struct aml *a, uint32_t v);
/* NameString: "\\_S5", "_HID", "PCI0", "\\_SB.COM1"; segments shorter than 4 are '_'-padded. */
void aml__name_string(struct aml *a, const char *name);
/* The smallest integer encoding (ZeroOp, OneOp, Byte/Word/DWord/QWordPrefix). */
void aml__integer(struct aml *a, uint64_t v);
/* EISA id "PNP0501" as its compressed DWordConst. */
void aml__eisaid(struct aml *a, const char *id);
/* Opens a PkgLength-framed body; aml__pkg_close() inserts the length in front of it. */
size_t aml__pkg_open(struct aml *a);
void aml__pkg_close(struct aml *a, size_t start);

/* Name (NAME, integer) / Name (NAME, EisaId ("...")) / Name (NAME, Buffer {bytes}) */
void aml__name_integer(struct aml *a, const char *name, uint64_t v);
void aml__name_eisaid(struct aml *a, const char *name, const char *id);
void aml__name_buffer(struct aml *a, const char *name, const struct aml *bytes);
/* Scope (NAME) { ... } and Device (NAME) { ... }: close with aml__pkg_close(). */
size_t aml__scope_open(struct aml *a, const char *name);
size_t aml__device_open(struct aml *a, const char *name);

/* Resource descriptors for ResourceTemplate () buffers. */
void aml__res_io(struct aml *a, uint16_t port, uint8_t len);
void aml__res_irq(struct aml *a, unsigned irq);
void aml__res_mem32_fixed(struct aml *a, uint32_t base, uint32_t len);
void aml__res_word_bus(struct aml *a, uint16_t min, uint16_t max);
void aml__res_word_io(struct aml *a, uint16_t min, uint16_t max);
void aml__res_dword_mem(struct aml *a, uint32_t min, uint32_t max);
void aml__res_end(struct aml *a);

#endif
