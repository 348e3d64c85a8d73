// SPDX-License-Identifier: GPL-2.0-or-later
/* config.json loading: size cap, ociVersion, root, process, hostname, annotations, hooks. */
#include "core/spec.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/affinity.h"
#include "core/util.h"
#include "oci/hooks.h"

#define WHERE "config.json"

/* A JSON array of strings as a NULL-terminated vector of borrowed pointers. */
static int string_array(json_t *arr, const char *where, const char ***out, cella_err_t *err)
{
	size_t i, n = json_array_size(arr);
	const char **v = calloc(n + 1, sizeof(*v));
	json_t *item;

	if (v == NULL)
		return cella_error_sys(err, "%s", where);
	json_array_foreach (arr, i, item) {
		if (!json_is_string(item)) {
			free(v);
			return cella_error_make(err, 0, "%s[%zu]: expected string", where, i);
		}
		v[i] = json_string_value(item);
	}
	*out = v;
	return 0;
}

static int parse_user(json_t *process, const char *prefix, struct cella_process *out, cella_err_t *err)
{
	_cleanup_free_ char *where = NULL;
	json_t *user = NULL, *gids = NULL, *item;
	uint32_t umask_value;
	size_t i;

	if (cella_json_get_object(process, "user", prefix, &user, err) < 0 || user == NULL)
		return err && *err ? -1 : 0;
	if (asprintf(&where, "%s.user", prefix) < 0)
		return cella_error_sys(err, "%s", prefix);
	if (cella_json_get_u32(user, "uid", where, &out->uid, err) < 0 ||
	    cella_json_get_u32(user, "gid", where, &out->gid, err) < 0 ||
	    cella_json_get_u32(user, "umask", where, &umask_value, err) < 0 ||
	    cella_json_get_array(user, "additionalGids", where, &gids, err) < 0)
		return -1;
	json_array_foreach (gids, i, item) {
		if (!json_is_integer(item) || json_integer_value(item) < 0 ||
		    json_integer_value(item) > UINT32_MAX)
			return cella_error_make(
				err, 0, "%s.additionalGids[%zu]: expected integer 0..4294967295", where, i);
	}
	return 0;
}

static int parse_env(json_t *process, const char *prefix, struct cella_process *out, cella_err_t *err)
{
	_cleanup_free_ char *where = NULL;
	json_t *env = NULL;

	if (asprintf(&where, "%s.env", prefix) < 0)
		return cella_error_sys(err, "%s", prefix);
	if (cella_json_get_array(process, "env", prefix, &env, err) < 0)
		return -1;
	if (env == NULL)
		env = json_array(); /* freed below: an empty list */
	else
		json_incref(env);
	if (string_array(env, where, &out->env, err) < 0) {
		json_decref(env);
		return -1;
	}
	json_decref(env);
	for (size_t i = 0; out->env[i]; i++)
		if (strchr(out->env[i], '=') == NULL || out->env[i][0] == '=')
			return cella_error_make(err, 0, "%s[%zu]: '%s' is not KEY=VALUE", where, i,
						out->env[i]);
	return 0;
}

int cella_process_parse(json_t *process, const char *prefix, struct cella_process *out, cella_err_t *err)
{
	_cleanup_free_ char *where = NULL;
	json_t *args = NULL, *size = NULL;
	const char *command_line = NULL;

	memset(out, 0, sizeof(*out));
	if (!json_is_object(process))
		return cella_error_make(err, 0, "%s: expected object", prefix);
	out->json = process;
	if (cella_json_get_bool(process, "terminal", prefix, &out->terminal, err) < 0 ||
	    cella_json_get_object(process, "consoleSize", prefix, &size, err) < 0 ||
	    cella_json_get_string(process, "cwd", prefix, &out->cwd, err) < 0 ||
	    cella_json_get_string(process, "commandLine", prefix, &command_line, err) < 0 ||
	    cella_json_get_bool(process, "noNewPrivileges", prefix, &out->no_new_privileges, err) < 0 ||
	    cella_json_get_array(process, "args", prefix, &args, err) < 0)
		goto fail;
	if (size) {
		if (asprintf(&where, "%s.consoleSize", prefix) < 0 ||
		    cella_json_get_u32(size, "height", where, &out->console_rows, err) < 0 ||
		    cella_json_get_u32(size, "width", where, &out->console_cols, err) < 0)
			goto fail;
		free(steal_pointer(&where));
	}
	if (out->cwd == NULL)
		out->cwd = "/";
	else if (out->cwd[0] != '/') {
		cella_error_make(err, 0, "%s.cwd: '%s' is not an absolute path", prefix, out->cwd);
		goto fail;
	}
	if (asprintf(&where, "%s.args", prefix) < 0)
		goto fail;
	if (args == NULL || json_array_size(args) == 0) {
		/* commandLine is Windows-only: on Linux there is nothing to run without args. */
		cella_error_make(err, 0, "%s.args: must not be empty", prefix);
		goto fail;
	}
	if (string_array(args, where, &out->args, err) < 0)
		goto fail;
	if (out->args[0][0] == '\0') {
		cella_error_make(err, 0, "%s.args[0]: must not be empty", prefix);
		goto fail;
	}
	if (parse_env(process, prefix, out, err) < 0 || parse_user(process, prefix, out, err) < 0)
		goto fail;
	{
		struct cella_affinity checked;

		if (cella_affinity_parse(process, prefix, &checked, err) < 0)
			goto fail;
	}
	return 0;
fail:
	cella_process_clear(out);
	return -1;
}

void cella_process_clear(struct cella_process *p)
{
	free(p->args);
	free(p->env);
	p->args = NULL;
	p->env = NULL;
}

/* ociVersion: any 1.x is accepted; other majors are refused naming the version. */
static int check_version(struct cella_spec *spec, cella_err_t *err)
{
	const char *v = NULL;

	if (cella_json_get_string(spec->json, "ociVersion", WHERE, &v, err) < 0)
		return -1;
	if (v == NULL)
		return cella_error_make(err, 0, WHERE ": ociVersion: missing");
	if (strncmp(v, "1.", 2) != 0 || v[2] < '0' || v[2] > '9')
		return cella_error_make(err, 0, WHERE ": ociVersion: unsupported version '%s' (1.x expected)",
					v);
	spec->oci_version = v;
	return 0;
}

static int check_annotations(json_t *annotations, cella_err_t *err)
{
	const char *key;
	json_t *value;

	json_object_foreach (annotations, key, value) {
		if (!json_is_string(value))
			return cella_error_make(err, 0, WHERE ": annotations.%s: expected string", key);
		if (*key == '\0')
			return cella_error_make(err, 0, WHERE ": annotations: empty key");
	}
	return 0;
}

static int parse_root(struct cella_spec *spec, cella_err_t *err)
{
	json_t *root = NULL;

	if (cella_json_get_object(spec->json, "root", WHERE, &root, err) < 0)
		return -1;
	if (root == NULL)
		return cella_error_make(err, 0, WHERE ": root: missing (a Linux container needs root.path)");
	if (cella_json_get_string(root, "path", WHERE ".root", &spec->root_path, err) < 0 ||
	    cella_json_get_bool(root, "readonly", WHERE ".root", &spec->root_readonly, err) < 0)
		return -1;
	if (spec->root_path == NULL || *spec->root_path == '\0')
		return cella_error_make(err, 0, WHERE ": root.path: missing");
	return 0;
}

static int parse_top(struct cella_spec *spec, cella_err_t *err)
{
	json_t *process = NULL, *unused = NULL;

	if (!json_is_object(spec->json))
		return cella_error_make(err, 0, WHERE ": expected a JSON object");
	if (check_version(spec, err) < 0 || parse_root(spec, err) < 0)
		return -1;
	if (cella_json_get_string(spec->json, "hostname", WHERE, &spec->hostname, err) < 0 ||
	    cella_json_get_string(spec->json, "domainname", WHERE, &spec->domainname, err) < 0 ||
	    cella_json_get_object(spec->json, "annotations", WHERE, &spec->annotations, err) < 0 ||
	    cella_json_get_object(spec->json, "hooks", WHERE, &spec->hooks, err) < 0 ||
	    cella_json_get_object(spec->json, "linux", WHERE, &spec->linux_obj, err) < 0 ||
	    cella_json_get_array(spec->json, "mounts", WHERE, &unused, err) < 0 ||
	    cella_json_get_object(spec->json, "process", WHERE, &process, err) < 0)
		return -1;
	if (spec->annotations && check_annotations(spec->annotations, err) < 0)
		return -1;
	if (process == NULL)
		return cella_error_make(err, 0, WHERE ": process: missing (nothing to run)");
	if (cella_process_parse(process, WHERE ": process", &spec->process, err) < 0)
		return -1;
	if (cella_hooks_validate(spec->hooks, err) < 0)
		return -1;
	return 0;
}

int cella_spec_from_json(json_t *doc, const char *bundle, struct cella_spec **out, cella_err_t *err)
{
	struct cella_spec *spec = calloc(1, sizeof(*spec));

	if (spec == NULL) {
		json_decref(doc);
		return cella_error_sys(err, "config.json");
	}
	spec->json = doc;
	spec->bundle = strdup(bundle);
	if (spec->bundle == NULL) {
		cella_spec_free(spec);
		return cella_error_sys(err, "config.json");
	}
	if (parse_top(spec, err) < 0 || cella_spec_parse_linux(spec, err) < 0) {
		cella_spec_free(spec);
		return -1;
	}
	*out = spec;
	return 0;
}

int cella_spec_load(const char *bundle, struct cella_spec **out, cella_err_t *err)
{
	_cleanup_free_ char *abs_bundle = realpath(bundle, NULL);
	_cleanup_free_ char *path = NULL, *text = NULL;
	json_error_t jerr;
	json_t *doc;
	size_t len;

	if (abs_bundle == NULL)
		return cella_error_sys(err, "bundle '%s'", bundle);
	if (asprintf(&path, "%s/config.json", abs_bundle) < 0)
		return cella_error_sys(err, "config.json");
	if (cella_rt_read_file(path, CELLA_SPEC_MAX_SIZE, &text, &len, err) < 0)
		return -1;
	doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL)
		return cella_error_make(err, 0, WHERE ": line %d column %d: %s", jerr.line, jerr.column,
					jerr.text);
	return cella_spec_from_json(doc, abs_bundle, out, err);
}

void cella_spec_free(struct cella_spec *spec)
{
	if (spec == NULL)
		return;
	cella_process_clear(&spec->process);
	free(spec->uid_maps);
	free(spec->gid_maps);
	free(spec->sysctl);
	free(spec->bundle);
	json_decref(spec->json);
	free(spec);
}
