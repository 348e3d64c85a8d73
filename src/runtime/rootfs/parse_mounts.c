// SPDX-License-Identifier: GPL-2.0-or-later
/* mounts[] -> struct rootfs_mount, every field checked and named on error. */
#include "rootfs/rootfs_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_c_string(json_t *v)
{
	return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

bool rootfs_mount_is_bind(const struct rootfs_mount *m)
{
	return m->opts.bind || (m->type && strcmp(m->type, "bind") == 0);
}

void rootfs_mount_release(struct rootfs_mount *m)
{
	free(m->destination);
	free(m->type);
	free(m->source);
	free(m->uid_map);
	free(m->gid_map);
	rootfs_mount_opts_release(&m->opts);
}

static int parse_idmap(json_t *arr, size_t i, const char *key, struct rootfs_idmap **out, size_t *n,
		       cella_err_t *err)
{
	static const char *const fields[] = {"containerID", "hostID", "size"};
	size_t j;
	json_t *e;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) == 0)
		return cella_error_make(err, 0, "config.json: mounts[%zu].%s: must be a non-empty array", i,
					key);
	*out = calloc(json_array_size(arr), sizeof(**out));
	if (*out == NULL)
		return cella_error_sys(err, "config.json: mounts[%zu].%s", i, key);
	json_array_foreach (arr, j, e) {
		uint32_t val[3];

		for (size_t k = 0; k < 3; k++) {
			json_t *v = json_object_get(e, fields[k]);
			json_int_t x = json_integer_value(v);

			if (!json_is_integer(v) || x < 0 || x > (json_int_t)UINT32_MAX)
				return cella_error_make(
					err, 0,
					"config.json: mounts[%zu].%s[%zu].%s: must be an integer "
					"in 0..4294967295",
					i, key, j, fields[k]);
			val[k] = (uint32_t)x;
		}
		if (val[2] == 0 || (uint64_t)val[0] + val[2] > (uint64_t)UINT32_MAX + 1 ||
		    (uint64_t)val[1] + val[2] > (uint64_t)UINT32_MAX + 1)
			return cella_error_make(
				err, 0, "config.json: mounts[%zu].%s[%zu]: empty or overflowing range", i,
				key, j);
		(*out)[j] = (struct rootfs_idmap){val[0], val[1], val[2]};
		(*n)++;
	}
	return 0;
}

static int parse_source(json_t *mnt, size_t i, const char *bundle, struct rootfs_mount *m, cella_err_t *err)
{
	json_t *v = json_object_get(mnt, "source");
	const char *s;

	if (v == NULL || json_is_null(v)) {
		if (rootfs_mount_is_bind(m))
			return cella_error_make(
				err, 0, "config.json: mounts[%zu].source: required for a bind mount", i);
		return 0;
	}
	if (!is_c_string(v))
		return cella_error_make(err, 0, "config.json: mounts[%zu].source: must be a string", i);
	s = json_string_value(v);
	/* Bind sources may be relative to the bundle (runtime-spec 1.1). */
	if (rootfs_mount_is_bind(m) && s[0] != '/') {
		if (*s == '\0')
			return cella_error_make(err, 0, "config.json: mounts[%zu].source: must not be empty",
						i);
		if (asprintf(&m->source, "%s/%s", bundle, s) < 0)
			m->source = NULL;
	} else {
		m->source = strdup(s);
	}
	if (m->source == NULL)
		return cella_error_sys(err, "config.json: mounts[%zu].source", i);
	return 0;
}

static int parse_mount(json_t *mnt, size_t i, const char *bundle, struct rootfs_mount *m, cella_err_t *err)
{
	json_t *dest = json_object_get(mnt, "destination"), *type = json_object_get(mnt, "type");
	char field[64];
	const char *d;

	if (!json_is_object(mnt))
		return cella_error_make(err, 0, "config.json: mounts[%zu]: must be an object", i);
	if (!is_c_string(dest))
		return cella_error_make(err, 0, "config.json: mounts[%zu].destination: must be a string", i);
	d = json_string_value(dest);
	if (d[0] != '/')
		return cella_error_make(err, 0,
					"config.json: mounts[%zu].destination: must be an absolute path", i);
	if (d[strspn(d, "/")] == '\0')
		return cella_error_make(err, 0,
					"config.json: mounts[%zu].destination: must not be the root (/)", i);
	m->destination = strdup(d);
	if (m->destination == NULL)
		return cella_error_sys(err, "config.json: mounts[%zu]", i);
	if (type != NULL && !json_is_null(type)) {
		if (!is_c_string(type) || json_string_length(type) == 0)
			return cella_error_make(
				err, 0, "config.json: mounts[%zu].type: must be a non-empty string", i);
		m->type = strdup(json_string_value(type));
		if (m->type == NULL)
			return cella_error_sys(err, "config.json: mounts[%zu]", i);
	}
	snprintf(field, sizeof(field), "mounts[%zu].options", i);
	if (rootfs_mount_opts_parse(json_object_get(mnt, "options"), field, &m->opts, err) < 0)
		return -1;
	if (m->type == NULL && !m->opts.bind)
		return cella_error_make(
			err, 0,
			"config.json: mounts[%zu].type: required unless options contain bind or rbind", i);
	if (parse_source(mnt, i, bundle, m, err) < 0)
		return -1;
	if (parse_idmap(json_object_get(mnt, "uidMappings"), i, "uidMappings", &m->uid_map, &m->n_uid_map,
			err) < 0 ||
	    parse_idmap(json_object_get(mnt, "gidMappings"), i, "gidMappings", &m->gid_map, &m->n_gid_map,
			err) < 0)
		return -1;
	if ((m->n_uid_map || m->n_gid_map) && !m->opts.idmap)
		m->opts.idmap = true; /* mappings alone ask for an idmapped mount (runtime-spec 1.2) */
	if (m->opts.idmap) {
		if (!rootfs_mount_is_bind(m))
			return cella_error_make(
				err, 0,
				"config.json: mounts[%zu].options: idmap is only supported on bind mounts",
				i);
		if (m->n_uid_map == 0 || m->n_gid_map == 0)
			return cella_error_make(
				err, 0,
				"config.json: mounts[%zu]: idmap needs both uidMappings and gidMappings", i);
	}
	if (m->opts.tmpcopyup && (m->type == NULL || strcmp(m->type, "tmpfs") != 0))
		return cella_error_make(err, 0,
					"config.json: mounts[%zu].options: tmpcopyup needs type tmpfs", i);
	return 0;
}

int rootfs_parse_mounts(json_t *mounts, const char *bundle, struct cella_rootfs *r, cella_err_t *err)
{
	size_t i;
	json_t *mnt;

	if (mounts == NULL || json_is_null(mounts))
		return 0;
	if (!json_is_array(mounts))
		return cella_error_make(err, 0, "config.json: mounts: must be an array");
	r->mounts = calloc(json_array_size(mounts) + 1, sizeof(*r->mounts));
	if (r->mounts == NULL)
		return cella_error_sys(err, "config.json: mounts");
	json_array_foreach (mounts, i, mnt) {
		r->n_mounts++; /* counted first so that a half-parsed entry is freed too */
		if (parse_mount(mnt, i, bundle, &r->mounts[i], err) < 0)
			return -1;
	}
	return 0;
}
