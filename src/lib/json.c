// SPDX-License-Identifier: GPL-2.0-or-later
/* JSON documents: loading with located errors, typed getters that name the field's path. */
#include <cella/json.h>

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include <cella/cleanup.h>
#include <cella/file.h>
#include <cella/xalloc.h>

int cella_json_load_buffer(const char *name, const char *data, size_t len, json_t **out, cella_err_t *err)
{
	json_error_t jerr;
	json_t *j;

	/* Duplicate keys are almost always a mistake, and which one wins would be jansson's choice. */
	j = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
	if (j == NULL) {
		if (jerr.line > 0)
			return cella_error_make(err, 0, "%s:%d:%d: %s", name, jerr.line, jerr.column,
						jerr.text);
		return cella_error_make(err, 0, "%s: %s", name, jerr.text);
	}
	*out = j;
	return 0;
}

int cella_json_load_file(const char *path, size_t max_bytes, json_t **out, cella_err_t *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int ret;

	ret = cella_file_read(path, max_bytes, &data, &len, err);
	if (ret < 0)
		return ret;
	return cella_json_load_buffer(path, data, len, out, err);
}

char *cella_json_path_key(const char *path, const char *key)
{
	size_t n;

	if (path == NULL || *path == '\0')
		return xstrdup(key);
	n = strlen(path);
	/* "doc:" or "doc: " is the document's top level. */
	if (path[n - 1] == ':')
		return xasprintf("%s %s", path, key);
	if (n >= 2 && path[n - 2] == ':' && path[n - 1] == ' ')
		return xasprintf("%s%s", path, key);
	return xasprintf("%s.%s", path, key);
}

char *cella_json_path_index(const char *path, size_t index)
{
	return xasprintf("%s[%zu]", path ? path : "", index);
}

/*
 * Looks key up in obj. Returns 1 with *value set, 0 when absent or null and
 * optional, negative when absent and required.
 */
static int lookup(json_t *obj, const char *key, const char *path, bool required, json_t **value,
		  cella_err_t *err)
{
	json_t *v;

	if (!json_is_object(obj))
		return cella_error_make(err, 0, "%s: expected object", path && *path ? path : "document");
	v = json_object_get(obj, key);
	if (v == NULL || json_is_null(v)) {
		if (!required)
			return 0;
		_cleanup_free_ char *name = cella_json_path_key(path, key);

		return cella_error_make(err, 0, "%s: missing required field", name);
	}
	*value = v;
	return 1;
}

static int type_error(const char *path, const char *key, const char *expected, cella_err_t *err)
{
	_cleanup_free_ char *name = cella_json_path_key(path, key);

	return cella_error_make(err, 0, "%s: expected %s", name, expected);
}

int cella_json_get_string(json_t *obj, const char *key, const char *path, bool required, const char **out,
			  cella_err_t *err)
{
	json_t *v = NULL;
	int ret = lookup(obj, key, path, required, &v, err);

	if (ret <= 0)
		return ret;
	if (!json_is_string(v))
		return type_error(path, key, "string", err);
	*out = json_string_value(v);
	return 1;
}

int cella_json_get_bool(json_t *obj, const char *key, const char *path, bool required, bool *out,
			cella_err_t *err)
{
	json_t *v = NULL;
	int ret = lookup(obj, key, path, required, &v, err);

	if (ret <= 0)
		return ret;
	if (!json_is_boolean(v))
		return type_error(path, key, "boolean", err);
	*out = json_is_true(v);
	return 1;
}

/* An integer member within [min, max]. */
static int get_integer(json_t *obj, const char *key, const char *path, bool required, json_int_t min,
		       json_int_t max, json_int_t *out, cella_err_t *err)
{
	json_t *v = NULL;
	json_int_t i;
	int ret = lookup(obj, key, path, required, &v, err);

	if (ret <= 0)
		return ret;
	if (!json_is_integer(v))
		return type_error(path, key, "integer", err);
	i = json_integer_value(v);
	if (i < min || i > max) {
		_cleanup_free_ char *name = cella_json_path_key(path, key);

		return cella_error_make(err, 0,
					"%s: %" JSON_INTEGER_FORMAT " out of range (%" JSON_INTEGER_FORMAT
					"..%" JSON_INTEGER_FORMAT ")",
					name, i, min, max);
	}
	*out = i;
	return 1;
}

int cella_json_get_int32(json_t *obj, const char *key, const char *path, bool required, int32_t *out,
			 cella_err_t *err)
{
	json_int_t i = 0;
	int ret = get_integer(obj, key, path, required, INT32_MIN, INT32_MAX, &i, err);

	if (ret > 0)
		*out = (int32_t)i;
	return ret;
}

int cella_json_get_uint32(json_t *obj, const char *key, const char *path, bool required, uint32_t *out,
			  cella_err_t *err)
{
	json_int_t i = 0;
	int ret = get_integer(obj, key, path, required, 0, UINT32_MAX, &i, err);

	if (ret > 0)
		*out = (uint32_t)i;
	return ret;
}

int cella_json_get_int64(json_t *obj, const char *key, const char *path, bool required, int64_t *out,
			 cella_err_t *err)
{
	json_int_t i = 0;
	int ret = get_integer(obj, key, path, required, INT64_MIN, INT64_MAX, &i, err);

	if (ret > 0)
		*out = (int64_t)i;
	return ret;
}

int cella_json_get_uint64(json_t *obj, const char *key, const char *path, bool required, uint64_t *out,
			  cella_err_t *err)
{
	json_int_t i = 0;
	int ret = get_integer(obj, key, path, required, 0, INT64_MAX, &i, err);

	if (ret > 0)
		*out = (uint64_t)i;
	return ret;
}

int cella_json_get_object(json_t *obj, const char *key, const char *path, bool required, json_t **out,
			  cella_err_t *err)
{
	json_t *v = NULL;
	int ret = lookup(obj, key, path, required, &v, err);

	if (ret <= 0)
		return ret;
	if (!json_is_object(v))
		return type_error(path, key, "object", err);
	*out = v;
	return 1;
}

int cella_json_get_array(json_t *obj, const char *key, const char *path, bool required, json_t **out,
			 cella_err_t *err)
{
	json_t *v = NULL;
	int ret = lookup(obj, key, path, required, &v, err);

	if (ret <= 0)
		return ret;
	if (!json_is_array(v))
		return type_error(path, key, "array", err);
	*out = v;
	return 1;
}

int cella_json_get_string_array(json_t *obj, const char *key, const char *path, bool required, char ***out,
				cella_err_t *err)
{
	_cleanup_strv_ char **strv = NULL;
	json_t *arr = NULL, *item;
	size_t i;
	int ret = cella_json_get_array(obj, key, path, required, &arr, err);

	if (ret <= 0)
		return ret;
	strv = xcalloc(json_array_size(arr) + 1, sizeof(char *));
	json_array_foreach (arr, i, item) {
		if (!json_is_string(item)) {
			_cleanup_free_ char *name = cella_json_path_key(path, key);
			_cleanup_free_ char *elem = cella_json_path_index(name, i);

			return cella_error_make(err, 0, "%s: expected string", elem);
		}
		strv[i] = xstrdup(json_string_value(item));
	}
	*out = steal_pointer(&strv);
	return 1;
}

int cella_json_check_members(json_t *obj, const char *path, const char *const known[], cella_err_t *err)
{
	const char *key;
	json_t *value;

	if (!json_is_object(obj))
		return cella_error_make(err, 0, "%s: expected object", path && *path ? path : "document");
	json_object_foreach (obj, key, value) {
		bool found = false;

		for (size_t i = 0; known[i] != NULL && !found; i++)
			found = strcmp(known[i], key) == 0;
		if (!found) {
			_cleanup_free_ char *name = cella_json_path_key(path, key);

			return cella_error_make(err, 0, "%s: unknown field", name);
		}
	}
	return 0;
}

int cella_json_write_atomic(const char *path, json_t *json, mode_t mode, cella_err_t *err)
{
	_cleanup_free_ char *text = NULL;
	_cleanup_free_ char *line = NULL;

	text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	if (text == NULL)
		return cella_error_make(err, EINVAL, "write '%s': cannot encode JSON", path);
	line = xasprintf("%s\n", text);
	return cella_file_write_atomic(path, line, strlen(line), mode, err);
}
