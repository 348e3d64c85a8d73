/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_PARSE_H
#define CELLA_PARSE_H

/*
 * Strict parsers for numbers, sizes and booleans from command lines and
 * configuration. Unlike strtoul they accept no sign, no whitespace and no
 * trailing junk, and they detect overflow. On failure *out is untouched and the
 * error quotes the bad text; callers wrap it with the option or field name.
 */
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

/* Decimal digits only: "0" .. "18446744073709551615". */
int cella_parse_uint64(const char *str, uint64_t *out, cella_err_t *err);
/* Same, limited to 0 .. UINT32_MAX. */
int cella_parse_uint32(const char *str, uint32_t *out, cella_err_t *err);
/*
 * A byte count: digits with an optional suffix K, M, G or T (powers of 1024,
 * case-insensitive, optionally followed by "iB" or "B"): "512", "4K", "128MiB",
 * "2g". Overflow of 64 bits is an error.
 */
int cella_parse_size(const char *str, uint64_t *bytes, cella_err_t *err);
/* true/false, yes/no, on/off, 1/0 (case-insensitive). */
int cella_parse_bool(const char *str, bool *out, cella_err_t *err);

#endif
