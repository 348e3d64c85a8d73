// SPDX-License-Identifier: GPL-2.0-or-later
/* Strict parsers for numbers, sizes and booleans. */
#include <cella/parse.h>

#include <stdint.h>
#include <string.h>
#include <strings.h>

/* Parses the leading digits of str; *end points past them. */
static int parse_digits(const char *what, const char *str, uint64_t *out, const char **end, cella_err_t *err)
{
	uint64_t v = 0;
	const char *p = str;

	if (*p < '0' || *p > '9')
		return cella_error_make(err, 0, "invalid %s '%s': expected decimal digits", what, str);
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (UINT64_MAX - d) / 10)
			return cella_error_make(err, 0, "%s '%s' is too large", what, str);
		v = v * 10 + d;
	}
	*out = v;
	*end = p;
	return 0;
}

int cella_parse_uint64(const char *str, uint64_t *out, cella_err_t *err)
{
	const char *end = str;
	uint64_t v = 0;
	int ret;

	if (str == NULL)
		return cella_error_make(err, 0, "missing number");
	ret = parse_digits("number", str, &v, &end, err);
	if (ret < 0)
		return ret;
	if (*end != '\0')
		return cella_error_make(err, 0, "invalid number '%s': unexpected trailing '%s'", str, end);
	*out = v;
	return 0;
}

int cella_parse_uint32(const char *str, uint32_t *out, cella_err_t *err)
{
	uint64_t v = 0;
	int ret;

	ret = cella_parse_uint64(str, &v, err);
	if (ret < 0)
		return ret;
	if (v > UINT32_MAX)
		return cella_error_make(err, 0, "number '%s' is too large (maximum %u)", str, UINT32_MAX);
	*out = (uint32_t)v;
	return 0;
}

static int suffix_shift(const char *s, unsigned *shift)
{
	static const struct {
		char letter;
		unsigned shift;
	} units[] = {{'k', 10}, {'m', 20}, {'g', 30}, {'t', 40}};

	if (*s == '\0') {
		*shift = 0;
		return 0;
	}
	/* Bare "B" means bytes. */
	if (strcasecmp(s, "b") == 0) {
		*shift = 0;
		return 0;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if ((s[0] | 0x20) != units[i].letter)
			continue;
		if (s[1] == '\0' || strcasecmp(s + 1, "b") == 0 || strcasecmp(s + 1, "ib") == 0) {
			*shift = units[i].shift;
			return 0;
		}
	}
	return -1;
}

int cella_parse_size(const char *str, uint64_t *bytes, cella_err_t *err)
{
	const char *end = str;
	unsigned shift;
	uint64_t v = 0;
	int ret;

	if (str == NULL)
		return cella_error_make(err, 0, "missing size");
	ret = parse_digits("size", str, &v, &end, err);
	if (ret < 0)
		return ret;
	if (suffix_shift(end, &shift) < 0)
		return cella_error_make(err, 0, "invalid size '%s': unknown suffix '%s' (use K, M, G or T)",
					str, end);
	if (shift && v > (UINT64_MAX >> shift))
		return cella_error_make(err, 0, "size '%s' is too large", str);
	*bytes = v << shift;
	return 0;
}

int cella_parse_bool(const char *str, bool *out, cella_err_t *err)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	if (str == NULL)
		return cella_error_make(err, 0, "missing boolean");
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(str, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(str, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return cella_error_make(err, 0, "invalid boolean '%s': expected true or false", str);
}
