// SPDX-License-Identifier: GPL-2.0-or-later
/* Shape checks for config.json "hooks", so that a bad hook is refused before anything runs. */
#include "oci/hooks.h"
#include "oci/hooks_internal.h"

#include <limits.h>
#include <string.h>

const char *const cella_hooks__kinds[] = {
	"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop", NULL,
};

bool cella_hooks__is_kind(const char *kind)
{
	for (size_t i = 0; kind && cella_hooks__kinds[i]; i++)
		if (strcmp(kind, cella_hooks__kinds[i]) == 0)
			return true;
	return false;
}

/* A C string taken from JSON must not hide a NUL: execve would see a different value. */
static bool json_is_c_string(json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static int validate_strings(json_t *hook, const char *field, const char *kind, size_t i, bool need_equals,
			    cella_err_t *err)
{
	json_t *arr = json_object_get(hook, field), *v;
	size_t j;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return cella_error_make(err, 0, "config.json: hooks.%s[%zu].%s: must be an array of strings",
					kind, i, field);
	json_array_foreach (arr, j, v) {
		if (!json_is_c_string(v))
			return cella_error_make(err, 0,
						"config.json: hooks.%s[%zu].%s[%zu]: must be a string", kind,
						i, field, j);
		if (need_equals && strchr(json_string_value(v), '=') == NULL)
			return cella_error_make(err, 0,
						"config.json: hooks.%s[%zu].%s[%zu]: must be KEY=VALUE", kind,
						i, field, j);
	}
	return 0;
}

static int validate_hook(json_t *hook, const char *kind, size_t i, cella_err_t *err)
{
	json_t *path, *timeout;
	int ret;

	if (!json_is_object(hook))
		return cella_error_make(err, 0, "config.json: hooks.%s[%zu]: must be an object", kind, i);
	path = json_object_get(hook, "path");
	if (path == NULL)
		return cella_error_make(err, 0, "config.json: hooks.%s[%zu].path: missing", kind, i);
	if (!json_is_c_string(path))
		return cella_error_make(err, 0, "config.json: hooks.%s[%zu].path: must be a string", kind, i);
	if (json_string_value(path)[0] != '/')
		return cella_error_make(err, 0, "config.json: hooks.%s[%zu].path: must be absolute", kind, i);
	ret = validate_strings(hook, "args", kind, i, false, err);
	if (ret < 0)
		return ret;
	ret = validate_strings(hook, "env", kind, i, true, err);
	if (ret < 0)
		return ret;
	timeout = json_object_get(hook, "timeout");
	if (timeout && !json_is_null(timeout) &&
	    (!json_is_integer(timeout) || json_integer_value(timeout) <= 0 ||
	     json_integer_value(timeout) > CELLA_HOOKS__TIMEOUT_MAX))
		return cella_error_make(
			err, 0,
			"config.json: hooks.%s[%zu].timeout: must be a positive number of seconds "
			"(at most %d)",
			kind, i, CELLA_HOOKS__TIMEOUT_MAX);
	return 0;
}

int cella_hooks_validate(json_t *hooks, cella_err_t *err)
{
	if (hooks == NULL || json_is_null(hooks))
		return 0;
	if (!json_is_object(hooks))
		return cella_error_make(err, 0, "config.json: hooks: must be an object");
	for (size_t k = 0; cella_hooks__kinds[k]; k++) {
		const char *kind = cella_hooks__kinds[k];
		json_t *list = json_object_get(hooks, kind), *hook;
		size_t i;

		if (list == NULL || json_is_null(list))
			continue;
		if (!json_is_array(list))
			return cella_error_make(err, 0, "config.json: hooks.%s: must be an array", kind);
		json_array_foreach (list, i, hook) {
			int ret = validate_hook(hook, kind, i, err);

			if (ret < 0)
				return ret;
		}
	}
	return 0;
}
