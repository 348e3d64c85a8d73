// SPDX-License-Identifier: GPL-2.0-or-later
/* Snapshots of a container's writable layer: copy, list, restore (atomic swap), delete. */
#include "snapshots.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "container.h"
#include "events.h"
#include "storage.h"
#include "util.h"
#include "vm_snapshot.h"

bool cellad_snapshot_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;

	if (n == 0 || n > 63 || name[0] == '.' || name[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

static char *path_of(struct cellad *d, const char *name, const char *leaf)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s/%s", d->instances_dir, name, leaf) < 0)
		return NULL;
	return p;
}

static json_t *snapshot_json(struct cellad *d, const char *name, const char *snap)
{
	_cleanup_free_ char *leaf = NULL, *info_path = NULL;
	json_t *info;

	if (asprintf(&leaf, "snapshots/%s/info.json", snap) < 0 ||
	    (info_path = path_of(d, name, leaf)) == NULL)
		return NULL;
	info = json_load_file(info_path, 0, NULL);
	if (!json_is_object(info)) {
		json_decref(info);
		return NULL;
	}
	json_object_set_new(info, "name", json_string(snap));
	/* Container snapshots are never stateful; a VM's info.json says. */
	if (!json_is_boolean(json_object_get(info, "stateful")))
		json_object_set_new(info, "stateful", json_false());
	return info;
}

json_t *cellad_snapshot_list(struct cellad *d, const char *name, bool recursion, cella_err_t *err)
{
	_cleanup_free_ char *dir = path_of(d, name, "snapshots");
	_cleanup_closedir_ DIR *dh = NULL;
	json_t *out = json_array();
	struct dirent *e;

	if (dir == NULL || out == NULL) {
		json_decref(out);
		cella_error_make(err, ENOMEM, "snapshots");
		return NULL;
	}
	dh = opendir(dir);
	if (dh == NULL) {
		if (errno == ENOENT)
			return out;
		json_decref(out);
		cella_error_sys(err, "open '%s'", dir);
		return NULL;
	}
	while ((e = readdir(dh)) != NULL) {
		char url[400];

		if (!cellad_snapshot_name_valid(e->d_name))
			continue;
		snprintf(url, sizeof(url), "/1.0/instances/%s/snapshots/%s", name, e->d_name);
		json_array_append_new(out, recursion ? snapshot_json(d, name, e->d_name) : json_string(url));
	}
	return out;
}

json_t *cellad_snapshot_get(struct cellad *d, const char *name, const char *snap, cella_err_t *err)
{
	json_t *out = cellad_snapshot_name_valid(snap) ? snapshot_json(d, name, snap) : NULL;

	if (out == NULL)
		cella_error_make(err, ENOENT, "snapshot '%s' of instance '%s' not found", snap, name);
	return out;
}

/* What a snapshot needs of the instance: the btrfs pool makes a never-started container's root from its image. */
struct instance_info {
	bool vm;
	char *image_rootfs;  /* images/<fp>/rootfs, or NULL */
	long long host_base; /* -1: no user namespace */
};

/* The recorded state of the instance ("Running", ...; malloc'd) or NULL with an error; *info: the rest. */
static char *instance_state(struct cellad *d, const char *name, struct instance_info *info, cella_err_t *err)
{
	json_t *row = NULL, *base;
	const char *fp;
	char *state = NULL;

	info->image_rootfs = NULL;
	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(
		    d->db,
		    "SELECT instances.state, instances.type, images.fingerprint, id_allocations.host_base "
		    "FROM instances LEFT JOIN images ON images.id = instances.image_id LEFT JOIN "
		    "id_allocations ON id_allocations.instance_id = instances.id WHERE instances.name = ?",
		    DB_ARGS(DB_TEXT(name)), &row, err) == 0) {
		if (row == NULL)
			cella_error_make(err, ENOENT, "instance '%s' not found", name);
		else if ((state = strdup(json_string_value(json_object_get(row, "state")) ?: "")) == NULL)
			cella_error_make(err, ENOMEM, "snapshot");
	}
	pthread_mutex_unlock(&d->lock);
	if (state) {
		info->vm = strcmp(json_string_value(json_object_get(row, "type")) ?: "", "vm") == 0;
		base = json_object_get(row, "host_base");
		info->host_base = json_is_integer(base) ? json_integer_value(base) : -1;
		fp = json_string_value(json_object_get(row, "fingerprint"));
		if (fp && asprintf(&info->image_rootfs, "%s/%s/rootfs", d->images_dir, fp) < 0)
			info->image_rootfs = NULL;
	}
	json_decref(row);
	return state;
}

static void emit(struct cellad *d, const char *action, const char *name, const char *snap)
{
	char source[400];

	snprintf(source, sizeof(source), "/1.0/instances/%s/snapshots/%s", name, snap);
	pthread_mutex_lock(&d->lock);
	cellad_lifecycle_locked(d, action, source);
	pthread_mutex_unlock(&d->lock);
}

/* The pool's copy of the root into snapshots/.tmp-SNAP, info.json, renamed to snapshots/SNAP. */
static int snapshot_copy(struct cellad *d, const char *name, const char *snap, struct instance_info *inst,
			 cella_err_t *err)
{
	_cleanup_free_ char *dir = path_of(d, name, "snapshots"), *tmp = NULL, *final = NULL,
			    *info_path = NULL, *now = NULL, *info = NULL;
	cella_err_t ignore = NULL;
	struct stat st;

	if (dir == NULL || asprintf(&tmp, "%s/.tmp-%s", dir, snap) < 0 ||
	    asprintf(&final, "%s/%s", dir, snap) < 0 || asprintf(&info_path, "%s/info.json", tmp) < 0 ||
	    (now = cellad_now_rfc3339()) == NULL ||
	    asprintf(&info, "{\"created_at\": \"%s\", \"storage\": \"%s\"}\n", now,
		     cellad_storage_kind_name(cellad_storage_kind())) < 0)
		return cella_error_make(err, ENOMEM, "snapshot");
	if (lstat(final, &st) == 0)
		return cella_error_make(err, EEXIST, "snapshot '%s' of instance '%s' already exists", snap,
					name);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return cella_error_sys(err, "mkdir '%s'", dir);
	/* A crash in an earlier try may have left the temporary copy. */
	if (cellad_storage_rm_rf(tmp, err) < 0)
		return -1;
	if (mkdir(tmp, 0700) < 0)
		return cella_error_sys(err, "mkdir '%s'", tmp);
	if (cellad_storage_snapshot_take(d, name, tmp, inst->image_rootfs, inst->host_base, err) < 0 ||
	    cellad_write_file(info_path, info, strlen(info), 0600, err) < 0)
		goto fail;
	if (rename(tmp, final) < 0) {
		cella_error_sys(err, "rename '%s' to '%s'", tmp, final);
		goto fail;
	}
	return 0;
fail:
	if (cellad_storage_rm_rf(tmp, &ignore) < 0)
		cella_error_release(&ignore);
	return -1;
}

int cellad_op_snapshot_create(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	const char *snap = json_string_value(json_object_get(op->args, "snapshot"));
	struct instance_info inst;
	_cleanup_free_ char *state = instance_state(d, name, &inst, err);
	_cleanup_free_ char *image_rootfs = inst.image_rootfs;
	cella_err_t ignore = NULL;
	bool freeze;
	int ret;

	if (state == NULL)
		return -1;
	if (inst.vm) {
		if (cellad_vm_snapshot_create(d, op, name, snap, state, json_object_get(op->args, "stateful"),
					      err) < 0)
			return -1;
		emit(d, "instance-snapshot-created", name, snap);
		return 0;
	}
	if (strcmp(state, "Running") != 0 && strcmp(state, "Frozen") != 0 && strcmp(state, "Stopped") != 0)
		return cella_error_make(err, EBUSY, "snapshot '%s': instance '%s' is %s", snap, name, state);
	/* A running container is frozen for the copy, so the layer is not changing under cp. */
	freeze = strcmp(state, "Running") == 0;
	if (freeze && cellad_container_freeze(d, name, true, err) < 0)
		return cella_error_wrap(err, "snapshot '%s': freeze '%s'", snap, name);
	ret = snapshot_copy(d, name, snap, &inst, err);
	if (freeze && cellad_container_freeze(d, name, false, ret < 0 ? &ignore : err) < 0) {
		if (ret < 0)
			cella_error_release(&ignore);
		ret = -1;
	}
	if (ret < 0)
		return cella_error_wrap(err, "create snapshot '%s' of '%s'", snap, name);
	emit(d, "instance-snapshot-created", name, snap);
	return 0;
}

int cellad_op_snapshot_delete(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	const char *snap = json_string_value(json_object_get(op->args, "snapshot"));
	_cleanup_free_ char *dir = path_of(d, name, "snapshots"), *final = NULL, *trash = NULL;

	if (dir == NULL || asprintf(&final, "%s/%s", dir, snap) < 0 ||
	    asprintf(&trash, "%s/.delete-%s", dir, op->id) < 0)
		return cella_error_make(err, ENOMEM, "delete snapshot");
	/* Renamed away first: the snapshot disappears at once, whatever happens to the removal. */
	if (rename(final, trash) < 0)
		return errno == ENOENT
			       ? cella_error_make(err, ENOENT, "snapshot '%s' of instance '%s' not found",
						  snap, name)
			       : cella_error_sys(err, "delete snapshot: rename '%s'", final);
	if (cellad_storage_rm_rf(trash, err) < 0)
		return -1;
	emit(d, "instance-snapshot-deleted", name, snap);
	return 0;
}

int cellad_op_snapshot_restore(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	const char *snap = json_string_value(json_object_get(op->args, "snapshot"));
	struct instance_info inst;
	_cleanup_free_ char *state = instance_state(d, name, &inst, err), *leaf = NULL, *source = NULL;
	_cleanup_free_ char *image_rootfs = inst.image_rootfs;

	if (state == NULL)
		return -1;
	if (inst.vm) {
		if (cellad_vm_snapshot_restore(d, op, name, snap, state, err) < 0)
			return -1;
		emit(d, "instance-snapshot-restored", name, snap);
		return 0;
	}
	if (asprintf(&leaf, "snapshots/%s", snap) < 0 || (source = path_of(d, name, leaf)) == NULL)
		return cella_error_make(err, ENOMEM, "restore");
	if (strcmp(state, "Stopped") != 0)
		return cella_error_make(err, EBUSY, "restore '%s': instance '%s' is %s: stop it first", snap,
					name, state);
	if (!cellad_storage_snapshot_exists(source))
		return cella_error_make(err, ENOENT, "snapshot '%s' of instance '%s' not found", snap, name);
	if (cellad_storage_snapshot_restore(d, name, source, err) < 0)
		return cella_error_wrap(err, "restore snapshot '%s' of '%s'", snap, name);
	emit(d, "instance-snapshot-restored", name, snap);
	return 0;
}
