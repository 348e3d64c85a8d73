/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_SHA256_H
#define CELLAD_SHA256_H

/* SHA-256 (FIPS 180-4) for image fingerprints; no crypto library is a build dependency. */
#include <stddef.h>
#include <stdint.h>

struct cellad_sha256 {
	uint32_t h[8];
	uint64_t len;
	unsigned char buf[64];
	size_t used;
};

void cellad_sha256_init(struct cellad_sha256 *s);
void cellad_sha256_update(struct cellad_sha256 *s, const void *data, size_t len);
/* Finishes and writes 64 lowercase hex digits and a NUL. */
void cellad_sha256_hex(struct cellad_sha256 *s, char out[65]);

#endif
