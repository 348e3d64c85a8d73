/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The cgroup handle as JSON for the state directory, and its accessors. The
 * state file is root-owned, but it is still parsed as untrusted: every path
 * must be absolute and free of "..". */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

#define STATE_VERSION 1

static const char *mode_name(enum cella_cgroup_mode m)
{
	return m == CELLA_CGROUP_V1	  ? "v1"
	       : m == CELLA_CGROUP_HYBRID ? "hybrid"
	       : m == CELLA_CGROUP_V2	  ? "v2"
					  : NULL;
}

void cella_cgroup_free(struct cella_cgroup *cg)
{
	if (!cg)
		return;
	free(cg->path);
	for (int c = 0; c < CG_NCTRL; c++)
		free(cg->v1_dir[c]);
	free(cg->unified_dir);
	for (size_t i = 0; cg->created && cg->created[i]; i++)
		free(cg->created[i]);
	free(cg->created);
	free(cg);
}

json_t *cella_cgroup_to_json(const struct cella_cgroup *cg)
{
	json_t *j = json_object(), *v1 = json_object(), *ctrls = json_array(), *created = json_array();

	if (!j || !v1 || !ctrls || !created)
		goto fail;
	json_object_set_new(j, "version", json_integer(STATE_VERSION));
	json_object_set_new(j, "mode", json_string(mode_name(cg->mode)));
	json_object_set_new(j, "path", json_string(cg->path));
	for (int c = 0; c < CG_NCTRL; c++)
		if (cg->v1_dir[c])
			json_object_set_new(v1, cgroup_ctrl_v1_name(c), json_string(cg->v1_dir[c]));
	json_object_set_new(j, "v1", v1);
	v1 = NULL;
	if (cg->unified_dir)
		json_object_set_new(j, "unified", json_string(cg->unified_dir));
	for (int c = 0; c < CG_NCTRL; c++)
		if (cg->v2_ctrls & (1u << c))
			json_array_append_new(ctrls, json_string(cgroup_ctrl_v1_name(c)));
	json_object_set_new(j, "v2Controllers", ctrls);
	ctrls = NULL;
	for (size_t i = 0; cg->created && cg->created[i]; i++)
		json_array_append_new(created, json_string(cg->created[i]));
	json_object_set_new(j, "created", created);
	return j;
fail:
	json_decref(j);
	json_decref(v1);
	json_decref(ctrls);
	json_decref(created);
	return NULL;
}

static bool safe_path(const char *s)
{
	size_t len;

	if (!s || s[0] != '/')
		return false;
	len = strlen(s);
	return !strstr(s, "/../") && !(len >= 3 && strcmp(s + len - 3, "/..") == 0) && !strchr(s, '\n');
}

static int dup_path(json_t *v, const char *field, char **out, cella_err_t *err)
{
	const char *s = json_string_value(v);

	if (!safe_path(s))
		return cella_error_make(err, EINVAL,
					"cgroup state: %s: expected an absolute path without \"..\"", field);
	*out = strdup(s);
	if (!*out)
		return cella_error_make(err, ENOMEM, "cgroup state: out of memory");
	return 0;
}

static int parse(json_t *j, struct cella_cgroup *cg, cella_err_t *err)
{
	const char *mode = json_string_value(json_object_get(j, "mode")), *name;
	json_t *v1 = json_object_get(j, "v1"), *v, *unified = json_object_get(j, "unified");
	json_t *ctrls = json_object_get(j, "v2Controllers"), *created = json_object_get(j, "created");
	size_t i;

	if (!json_is_object(j))
		return cella_error_make(err, EINVAL, "cgroup state: expected object");
	if (json_integer_value(json_object_get(j, "version")) != STATE_VERSION)
		return cella_error_make(err, EINVAL, "cgroup state: version: expected %d", STATE_VERSION);
	for (int m = CELLA_CGROUP_V1; m <= CELLA_CGROUP_V2; m++)
		if (mode && strcmp(mode, mode_name(m)) == 0)
			cg->mode = m;
	if (!cg->mode)
		return cella_error_make(err, EINVAL,
					"cgroup state: mode: expected \"v1\", \"hybrid\" or \"v2\"");
	if (dup_path(json_object_get(j, "path"), "path", &cg->path, err) < 0)
		return -1;
	if (v1 && !json_is_object(v1))
		return cella_error_make(err, EINVAL, "cgroup state: v1: expected object");
	json_object_foreach (v1, name, v) {
		int c = cgroup_ctrl_from_v1_name(name);

		if (c < 0)
			return cella_error_make(err, EINVAL, "cgroup state: v1.%s: unknown controller", name);
		free(cg->v1_dir[c]);
		cg->v1_dir[c] = NULL;
		if (dup_path(v, "v1", &cg->v1_dir[c], err) < 0)
			return -1;
	}
	if (unified && dup_path(unified, "unified", &cg->unified_dir, err) < 0)
		return -1;
	if (cg->mode == CELLA_CGROUP_V1 ? cg->unified_dir != NULL : cg->unified_dir == NULL)
		return cella_error_make(err, EINVAL, "cgroup state: unified: does not match mode %s", mode);
	if (ctrls && !json_is_array(ctrls))
		return cella_error_make(err, EINVAL, "cgroup state: v2Controllers: expected array");
	json_array_foreach (ctrls, i, v) {
		int c = json_is_string(v) ? cgroup_ctrl_from_v1_name(json_string_value(v)) : -1;

		if (c < 0)
			return cella_error_make(err, EINVAL,
						"cgroup state: v2Controllers[%zu]: unknown controller", i);
		cg->v2_ctrls |= 1u << c;
	}
	if (created && !json_is_array(created))
		return cella_error_make(err, EINVAL, "cgroup state: created: expected array");
	cg->created = calloc(json_array_size(created) + 1, sizeof(char *));
	if (!cg->created)
		return cella_error_make(err, ENOMEM, "cgroup state: out of memory");
	json_array_foreach (created, i, v)
		if (dup_path(v, "created", &cg->created[i], err) < 0)
			return -1;
	return 0;
}

int cella_cgroup_from_json(json_t *j, struct cella_cgroup **out, cella_err_t *err)
{
	struct cella_cgroup *cg = calloc(1, sizeof(*cg));

	*out = NULL;
	if (!cg)
		return cella_error_make(err, ENOMEM, "cgroup state: out of memory");
	if (parse(j, cg, err) < 0) {
		cella_cgroup_free(cg);
		return -1;
	}
	*out = cg;
	return 0;
}

enum cella_cgroup_mode cella_cgroup_get_mode(const struct cella_cgroup *cg)
{
	return cg->mode;
}

const char *cella_cgroup_get_path(const struct cella_cgroup *cg)
{
	return cg->path;
}

const char *cella_cgroup_get_unified_dir(const struct cella_cgroup *cg)
{
	return cg->unified_dir;
}

const char *cella_cgroup_get_v1_dir(const struct cella_cgroup *cg, const char *controller)
{
	int c = controller ? cgroup_ctrl_from_v1_name(controller) : -1;

	return c < 0 ? NULL : cg->v1_dir[c];
}
