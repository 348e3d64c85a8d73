// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Typed access to optional config.json members. Every error names the member
 * by its full path ("config.json: process.rlimits[1].hard: ...") so the user
 * can find it without reading our code.
 */
#include "security/security_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int sec_field_error(cella_err_t *err, const char *path, const char *fmt, ...)
{
	char *what = NULL;
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (ret < 0)
		abort(); /* out of memory while reporting an error */
	ret = cella_error_make(err, 0, "config.json: %s: %s", path, what);
	free(what);
	return ret;
}

static const char *type_name(json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "unknown";
}

static const char *wanted_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	default:
		return "a value of another type";
	}
}

/* The member, or NULL when absent or null (OCI treats null as unset). */
static json_t *member(json_t *obj, const char *key)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_null(v) ? NULL : v;
}

int sec_field_typed(json_t *obj, const char *key, const char *path, json_type type, json_t **out,
		    cella_err_t *err)
{
	json_t *v = member(obj, key);

	*out = NULL;
	if (v == NULL)
		return 0;
	if (json_typeof(v) != type)
		return sec_field_error(err, path, "must be %s, not %s", wanted_name(type), type_name(v));
	*out = v;
	return 1;
}

int sec_field_uint64(json_t *obj, const char *key, const char *path, uint64_t max, uint64_t *out,
		     cella_err_t *err)
{
	json_t *v = member(obj, key);
	json_int_t n;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return sec_field_error(err, path, "must be an integer, not %s", type_name(v));
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max)
		return sec_field_error(err, path, "%" JSON_INTEGER_FORMAT " is out of range 0..%" PRIu64, n,
				       max);
	*out = (uint64_t)n;
	return 1;
}

int sec_field_int64(json_t *obj, const char *key, const char *path, int64_t min, int64_t max, int64_t *out,
		    cella_err_t *err)
{
	json_t *v = member(obj, key);
	json_int_t n;

	if (v == NULL)
		return 0;
	if (!json_is_integer(v))
		return sec_field_error(err, path, "must be an integer, not %s", type_name(v));
	n = json_integer_value(v);
	if (n < min || n > max)
		return sec_field_error(err, path,
				       "%" JSON_INTEGER_FORMAT " is out of range %" PRId64 "..%" PRId64, n,
				       min, max);
	*out = n;
	return 1;
}

int sec_field_bool(json_t *obj, const char *key, const char *path, bool *out, cella_err_t *err)
{
	json_t *v = member(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_boolean(v))
		return sec_field_error(err, path, "must be a boolean, not %s", type_name(v));
	*out = json_is_true(v);
	return 1;
}

int sec_field_string(json_t *obj, const char *key, const char *path, const char **out, cella_err_t *err)
{
	json_t *v = member(obj, key);

	if (v == NULL)
		return 0;
	if (!json_is_string(v))
		return sec_field_error(err, path, "must be a string, not %s", type_name(v));
	*out = json_string_value(v);
	return 1;
}
