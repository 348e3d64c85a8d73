// SPDX-License-Identifier: GPL-2.0-or-later
/* config.json -> struct cella_rootfs: root, mounts, devices, masked/readonly paths, propagation. */
#include "rootfs/rootfs_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

bool rootfs_path_is_absolute(json_t *v)
{
	const char *s = json_string_value(v);

	return s && s[0] == '/' && strlen(s) == json_string_length(v);
}

static char **strv_new(size_t n)
{
	return calloc(n + 1, sizeof(char *));
}

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* maskedPaths / readonlyPaths: arrays of absolute paths. */
static int parse_path_list(json_t *linux_obj, const char *field, char ***out, cella_err_t *err)
{
	json_t *arr = json_object_get(linux_obj, field), *v;
	char **list;
	size_t i;

	if (arr == NULL || json_is_null(arr)) {
		*out = strv_new(0);
		return *out ? 0 : cella_error_sys(err, "config.json: linux.%s", field);
	}
	if (!json_is_array(arr))
		return cella_error_make(err, 0, "config.json: linux.%s: must be an array of strings", field);
	list = strv_new(json_array_size(arr));
	if (list == NULL)
		return cella_error_sys(err, "config.json: linux.%s", field);
	*out = list;
	json_array_foreach (arr, i, v) {
		if (!rootfs_path_is_absolute(v))
			return cella_error_make(
				err, 0, "config.json: linux.%s[%zu]: must be an absolute path", field, i);
		list[i] = strdup(json_string_value(v));
		if (list[i] == NULL)
			return cella_error_sys(err, "config.json: linux.%s", field);
	}
	return 0;
}

static int parse_root(json_t *config, const char *bundle, struct cella_rootfs *r, cella_err_t *err)
{
	json_t *root = json_object_get(config, "root"), *path, *ro;
	_cleanup_free_ char *joined = NULL;
	const char *p;
	struct stat st;

	if (!json_is_object(root))
		return cella_error_make(err, 0, "config.json: root: must be an object");
	path = json_object_get(root, "path");
	p = json_string_value(path);
	if (p == NULL || *p == '\0' || strlen(p) != json_string_length(path))
		return cella_error_make(err, 0, "config.json: root.path: must be a non-empty string");
	ro = json_object_get(root, "readonly");
	if (ro != NULL && !json_is_null(ro) && !json_is_boolean(ro))
		return cella_error_make(err, 0, "config.json: root.readonly: must be a boolean");
	r->readonly = json_is_true(ro);
	if (p[0] != '/' && asprintf(&joined, "%s/%s", bundle, p) < 0)
		return cella_error_sys(err, "config.json: root.path");
	r->root_path = realpath(joined ? joined : p, NULL);
	if (r->root_path == NULL)
		return cella_error_sys(err, "config.json: root.path: %s", joined ? joined : p);
	if (stat(r->root_path, &st) < 0)
		return cella_error_sys(err, "config.json: root.path: %s", r->root_path);
	if (!S_ISDIR(st.st_mode))
		return cella_error_make(err, ENOTDIR, "config.json: root.path: %s", r->root_path);
	if (strcmp(r->root_path, "/") == 0)
		return cella_error_make(err, 0, "config.json: root.path: must not be the host's /");
	return 0;
}

/* Which namespaces the container gets decides how sysfs and cgroup are mounted. */
static int parse_namespaces(json_t *linux_obj, struct cella_rootfs *r, cella_err_t *err)
{
	json_t *arr = json_object_get(linux_obj, "namespaces"), *ns;
	size_t i;

	if (arr == NULL || json_is_null(arr))
		return 0;
	if (!json_is_array(arr))
		return cella_error_make(err, 0, "config.json: linux.namespaces: must be an array");
	json_array_foreach (arr, i, ns) {
		const char *type = json_string_value(json_object_get(ns, "type"));

		if (type == NULL)
			return cella_error_make(
				err, 0, "config.json: linux.namespaces[%zu].type: must be a string", i);
		if (strcmp(type, "network") == 0)
			r->has_netns = true;
		else if (strcmp(type, "cgroup") == 0)
			r->has_cgroupns = true;
	}
	return 0;
}

static int parse_linux(json_t *config, struct cella_rootfs *r, cella_err_t *err)
{
	json_t *linux_obj = json_object_get(config, "linux"), *v;
	const char *s;

	if (linux_obj != NULL && !json_is_null(linux_obj) && !json_is_object(linux_obj))
		return cella_error_make(err, 0, "config.json: linux: must be an object");
	if (parse_path_list(linux_obj, "maskedPaths", &r->masked_paths, err) < 0 ||
	    parse_path_list(linux_obj, "readonlyPaths", &r->readonly_paths, err) < 0)
		return -1;
	if (rootfs_parse_devices(json_object_get(linux_obj, "devices"), r, err) < 0)
		return -1;
	if (parse_namespaces(linux_obj, r, err) < 0)
		return -1;
	v = json_object_get(linux_obj, "rootfsPropagation");
	if (v != NULL && !json_is_null(v)) {
		s = json_string_value(v);
		if (s == NULL)
			return cella_error_make(err, 0,
						"config.json: linux.rootfsPropagation: must be a string");
		if (*s != '\0' && rootfs_propagation_parse(s, &r->root_propagation) < 0)
			return cella_error_make(
				err, 0,
				"config.json: linux.rootfsPropagation: '%s' is not one of private, "
				"rprivate, slave, rslave, shared, rshared, unbindable, runbindable",
				s);
	}
	v = json_object_get(linux_obj, "mountLabel");
	if (v != NULL && !json_is_null(v)) {
		s = json_string_value(v);
		/* Labels carry commas (MCS categories "s0:c1,c2"); mount data quotes them, so only '"' is out. */
		if (s == NULL || strlen(s) != json_string_length(v) || strchr(s, '"') != NULL)
			return cella_error_make(
				err, 0, "config.json: linux.mountLabel: must be a string without '\"'");
		if (*s != '\0' && (r->mount_label = strdup(s)) == NULL)
			return cella_error_sys(err, "config.json: linux.mountLabel");
	}
	return 0;
}

int cella_rootfs_parse(json_t *config, const char *bundle, struct cella_rootfs **out, cella_err_t *err)
{
	struct cella_rootfs *r;

	*out = NULL;
	if (!json_is_object(config))
		return cella_error_make(err, 0, "config.json: must be a JSON object");
	if (bundle == NULL || bundle[0] != '/')
		return cella_error_make(err, 0, "rootfs: bundle must be an absolute path");
	r = calloc(1, sizeof(*r));
	if (r == NULL)
		return cella_error_sys(err, "rootfs");
	r->root_fd = -1;
	if (parse_root(config, bundle, r, err) < 0 || parse_linux(config, r, err) < 0 ||
	    rootfs_parse_mounts(json_object_get(config, "mounts"), bundle, r, err) < 0) {
		cella_rootfs_free(r);
		return -1;
	}
	*out = r;
	return 0;
}

void cella_rootfs_free(struct cella_rootfs *r)
{
	if (r == NULL)
		return;
	free(r->root_path);
	for (size_t i = 0; i < r->n_mounts; i++)
		rootfs_mount_release(&r->mounts[i]);
	free(r->mounts);
	for (size_t i = 0; i < r->n_devices; i++)
		free(r->devices[i].path);
	free(r->devices);
	strv_free(r->masked_paths);
	strv_free(r->readonly_paths);
	free(r->mount_label);
	if (r->root_fd >= 0)
		close(r->root_fd);
	free(r);
}

bool cella_rootfs_readonly(const struct cella_rootfs *r)
{
	return r && r->readonly;
}

bool cella_rootfs_mounts_cgroup(const struct cella_rootfs *r)
{
	for (size_t i = 0; r && i < r->n_mounts; i++)
		if (!rootfs_mount_is_bind(&r->mounts[i]) && r->mounts[i].type &&
		    (strcmp(r->mounts[i].type, "cgroup") == 0 || strcmp(r->mounts[i].type, "cgroup2") == 0))
			return true;
	return false;
}
