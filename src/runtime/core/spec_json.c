// SPDX-License-Identifier: GPL-2.0-or-later
/* Typed jansson getters whose errors name the field ("config.json: process.cwd: expected string"). */
#include "core/spec.h"

#include <errno.h>

static int type_error(const char *where, const char *key, const char *what, cella_err_t *err)
{
	return cella_error_make(err, 0, "%s.%s: expected %s", where, key, what);
}

int cella_json_get_string(json_t *obj, const char *key, const char *where, const char **out, cella_err_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return type_error(where, key, "string", err);
	*out = json_string_value(v);
	return 0;
}

int cella_json_get_bool(json_t *obj, const char *key, const char *where, bool *out, cella_err_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return type_error(where, key, "boolean", err);
	*out = json_is_true(v);
	return 0;
}

int cella_json_get_object(json_t *obj, const char *key, const char *where, json_t **out, cella_err_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_object(v))
		return type_error(where, key, "object", err);
	*out = v;
	return 0;
}

int cella_json_get_array(json_t *obj, const char *key, const char *where, json_t **out, cella_err_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_array(v))
		return type_error(where, key, "array", err);
	*out = v;
	return 0;
}

int cella_json_get_u32(json_t *obj, const char *key, const char *where, uint32_t *out, cella_err_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return type_error(where, key, "integer", err);
	if (json_integer_value(v) < 0 || json_integer_value(v) > UINT32_MAX)
		return cella_error_make(err, 0, "%s.%s: %lld out of range 0..4294967295", where, key,
					(long long)json_integer_value(v));
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

int cella_json_get_i64(json_t *obj, const char *key, const char *where, int64_t *out, cella_err_t *err)
{
	json_t *v = json_object_get(obj, key);

	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v))
		return type_error(where, key, "integer", err);
	*out = json_integer_value(v);
	return 0;
}
