// SPDX-License-Identifier: GPL-2.0-or-later
/* Instance lifecycle operations, run on the worker. */
#include "instances.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cella/cleanup.h>

#include "container.h"
#include "events.h"
#include "core/container.h"
#include "images.h"
#include "devices.h"
#include "networks.h"
#include "storage.h"
#include "util.h"
#include "vm.h"
#include "vm_nic.h"

static int status_code(const char *state)
{
	if (strcmp(state, "Running") == 0)
		return 103;
	if (strcmp(state, "Frozen") == 0)
		return 110;
	if (strcmp(state, "Stopped") == 0)
		return 102;
	if (strcmp(state, "Error") == 0)
		return 112;
	return 106; /* Creating and anything else in between */
}

json_t *cellad_instance_json(json_t *row)
{
	const char *state = json_string_value(json_object_get(row, "state"));
	json_t *config = json_loads(json_string_value(json_object_get(row, "config")), 0, NULL);
	json_t *devices = json_loads(json_string_value(json_object_get(row, "devices")) ?: "{}", 0, NULL);
	json_t *fp = json_object_get(row, "fingerprint");

	state = state ? state : "Error";
	return json_pack("{s:O, s:O, s:s, s:i, s:o, s:o, s:O, s:O, s:O}", "name",
			 json_object_get(row, "name"), "type", json_object_get(row, "type"), "status", state,
			 "status_code", status_code(state), "config", config ? config : json_object(),
			 "devices", devices ? devices : json_object(), "created_at",
			 json_object_get(row, "created_at"), "image", fp ? fp : json_null(), "last_error",
			 json_object_get(row, "last_error"));
}

void cellad_instance_set_state(struct cellad *d, const char *name, const char *state, const char *error,
			       const char *action)
{
	cella_err_t err = NULL;
	char source[128];

	pthread_mutex_lock(&d->lock);
	if (cellad_db_run(d->db, "UPDATE instances SET state = ?, last_error = ? WHERE name = ?",
			  DB_ARGS(DB_TEXT(state), DB_TEXT(error ? error : ""), DB_TEXT(name)), NULL,
			  &err) < 0) {
		fprintf(stderr, "cellad: instance %s: %s\n", name, cella_error_string(err));
		cella_error_release(&err);
	}
	snprintf(source, sizeof(source), "/1.0/instances/%s", name);
	if (action)
		cellad_lifecycle_locked(d, action, source);
	pthread_mutex_unlock(&d->lock);
}

/* The instance row joined with its image and id range (new reference) or NULL with an error. */
bool cellad_row_is_vm(json_t *row)
{
	const char *type = json_string_value(json_object_get(row, "type"));

	return type && strcmp(type, "vm") == 0;
}

int cellad_instance_stop(struct cellad *d, json_t *row, int timeout_s, bool force, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(row, "name"));

	if (cellad_row_is_vm(row))
		return cellad_vm_stop(d, name, timeout_s, force, err);
	return cellad_container_stop(d, name, timeout_s, force, err);
}

static json_t *load(struct cellad *d, const char *name, cella_err_t *err)
{
	json_t *row = NULL;

	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(
		    d->db,
		    "SELECT instances.*, images.fingerprint, id_allocations.host_base FROM instances "
		    "LEFT JOIN images ON images.id = instances.image_id LEFT JOIN id_allocations ON "
		    "id_allocations.instance_id = instances.id WHERE instances.name = ?",
		    DB_ARGS(DB_TEXT(name)), &row, err) == 0 &&
	    row == NULL)
		cella_error_make(err, ENOENT, "instance '%s' not found", name);
	pthread_mutex_unlock(&d->lock);
	return row;
}

/* Picks the lowest free host id range and records it; part of the create transaction. Lock held. */
static int allocate_ids_locked(struct cellad *d, long long instance_id, cella_err_t *err)
{
	json_t *rows = NULL, *row;
	long long base = CELLAD_IDMAP_BASE;
	size_t i;

	if (cellad_db_query(d->db, "SELECT host_base FROM id_allocations ORDER BY host_base", NULL, 0, &rows,
			    err) < 0)
		return -1;
	json_array_foreach (rows, i, row) {
		if (json_integer_value(json_object_get(row, "host_base")) != base)
			break;
		base += CELLAD_IDMAP_SIZE;
	}
	json_decref(rows);
	return cellad_db_run(
		d->db, "INSERT INTO id_allocations (instance_id, host_base, size) VALUES (?, ?, ?)",
		DB_ARGS(DB_INT(instance_id), DB_INT(base), DB_INT(CELLAD_IDMAP_SIZE)), NULL, err);
}

/* The running container joins the managed network and its NIC devices' bridges; one that cannot is stopped
 * again. */
static int attach_network(struct cellad *d, const char *name, cella_err_t *err)
{
	cella_err_t ignore = NULL;
	json_t *state = NULL, *devices = cellad_devices_load(d, name, err), *o;
	const char *dev;
	bool nics = false;
	json_int_t pid;

	if (devices == NULL)
		goto undo;
	json_object_foreach (devices, dev, o)
		nics = nics || strcmp(json_string_value(json_object_get(o, "type")), "nic") == 0;
	/* Nothing to join: an application container may even be gone already, which is no failure. */
	if (!d->network && !nics) {
		json_decref(devices);
		return 0;
	}
	if (cella_container_state(d->runtime_root, name, &state, err) < 0)
		goto undo;
	pid = json_integer_value(json_object_get(state, "pid"));
	json_decref(state);
	if (pid <= 0) {
		cella_error_make(err, ESRCH, "container '%s' has no init process", name);
		goto undo;
	}
	if ((!d->network || cellad_network_attach(d, name, (pid_t)pid, err) == 0) &&
	    cellad_devices_container_nics(d, name, (pid_t)pid, devices, err) == 0) {
		json_decref(devices);
		return 0;
	}
undo:
	json_decref(devices);
	if (cellad_container_stop(d, name, 0, true, &ignore) < 0)
		cella_error_release(&ignore);
	return -1;
}

static int start_instance(struct cellad *d, json_t *row, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(row, "name"));
	const char *fp = json_string_value(json_object_get(row, "fingerprint"));
	json_t *base = json_object_get(row, "host_base");
	json_t *config = json_loads(json_string_value(json_object_get(row, "config")), 0, NULL);
	_cleanup_free_ char *image_rootfs = NULL;
	int ret;

	if (fp == NULL) {
		json_decref(config);
		return cella_error_make(err, ENOENT, "instance '%s' has no image", name);
	}
	if (cellad_row_is_vm(row)) {
		_cleanup_free_ char *image_dir = NULL;

		ret = asprintf(&image_dir, "%s/%s", d->images_dir, fp) < 0
			      ? cella_error_make(err, ENOMEM, "start")
			      : cellad_vm_start(d, name, image_dir, config, err);
		json_decref(config);
		return ret;
	}
	if (asprintf(&image_rootfs, "%s/%s/rootfs", d->images_dir, fp) < 0) {
		json_decref(config);
		return cella_error_make(err, ENOENT, "instance '%s' has no image", name);
	}
	ret = cellad_container_start(d, name, image_rootfs, config,
				     json_is_integer(base) ? json_integer_value(base) : -1, err);
	json_decref(config);
	if (ret == 0)
		ret = attach_network(d, name, err);
	return ret;
}

static void rollback_create(struct cellad *d, const char *name)
{
	_cleanup_free_ char *dir = NULL;
	cella_err_t ignore = NULL;

	if (cellad_container_cleanup(d, name, &ignore) < 0)
		cella_error_release(&ignore);
	if (asprintf(&dir, "%s/%s", d->instances_dir, name) > 0 && cellad_storage_rm_rf(dir, &ignore) < 0)
		cella_error_release(&ignore);
	pthread_mutex_lock(&d->lock);
	if (cellad_db_run(d->db, "DELETE FROM instances WHERE name = ?", DB_ARGS(DB_TEXT(name)), NULL,
			  &ignore) < 0)
		cella_error_release(&ignore);
	pthread_mutex_unlock(&d->lock);
}

static int make_dirs(struct cellad *d, const char *name, bool vm, long long host_base, cella_err_t *err)
{
	static const char *const leaves[] = {"", "/upper", "/work", "/rootfs"};

	/* A VM's directory holds only its VMM's files (socket, pid, logs). */
	for (size_t i = 0; i < (vm ? 1 : sizeof(leaves) / sizeof(leaves[0])); i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s%s", d->instances_dir, name, leaves[i]);
		if (mkdir(path, i == 0 ? 0711 : 0755) < 0 && errno != EEXIST)
			return cella_error_sys(err, "mkdir '%s'", path);
		/* The container's root owns its writable layer. */
		if (i == 1 && host_base >= 0 && chown(path, (uid_t)host_base, (gid_t)host_base) < 0)
			return cella_error_sys(err, "chown '%s'", path);
	}
	return 0;
}

/* args: {"name", "default_image": bool, "privileged": bool, "start": bool} */
int cellad_op_instance_create(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	json_t *row = NULL;
	char source[128];

	if (json_is_true(json_object_get(op->args, "default_image"))) {
		json_t *image = NULL, *src = json_pack("{s:s}", "alias", "default");

		if (cellad_image_ensure_default(d, err) < 0) {
			json_decref(src);
			goto fail;
		}
		pthread_mutex_lock(&d->lock);
		if (cellad_image_resolve_locked(d, src, &image, err) < 0 ||
		    cellad_db_run(
			    d->db, "UPDATE instances SET image_id = ? WHERE name = ?",
			    DB_ARGS(DB_INT(json_integer_value(json_object_get(image, "id"))), DB_TEXT(name)),
			    NULL, err) < 0) {
			pthread_mutex_unlock(&d->lock);
			json_decref(src);
			json_decref(image);
			goto fail;
		}
		pthread_mutex_unlock(&d->lock);
		json_decref(src);
		json_decref(image);
	}
	row = load(d, name, err);
	if (row == NULL)
		goto fail;
	if (!json_is_true(json_object_get(op->args, "privileged")) && !cellad_row_is_vm(row)) {
		pthread_mutex_lock(&d->lock);
		if (allocate_ids_locked(d, json_integer_value(json_object_get(row, "id")), err) < 0) {
			pthread_mutex_unlock(&d->lock);
			goto fail;
		}
		pthread_mutex_unlock(&d->lock);
		json_decref(row);
		row = load(d, name, err);
		if (row == NULL)
			goto fail;
	}
	if (make_dirs(d, name, cellad_row_is_vm(row),
		      json_is_integer(json_object_get(row, "host_base"))
			      ? json_integer_value(json_object_get(row, "host_base"))
			      : -1,
		      err) < 0)
		goto fail;
	cellad_instance_set_state(d, name, "Stopped", NULL, "instance-created");
	if (json_is_true(json_object_get(op->args, "start"))) {
		if (start_instance(d, row, err) < 0) {
			/* The instance exists; only the start failed. */
			cellad_instance_set_state(d, name, "Stopped", cella_error_string(*err), NULL);
			json_decref(row);
			return -1;
		}
		cellad_instance_set_state(d, name, "Running", NULL, "instance-started");
	}
	json_decref(row);
	snprintf(source, sizeof(source), "/1.0/instances/%s", name);
	cellad_op_set_metadata(d, op, json_pack("{s:s}", "instance", source));
	return 0;
fail:
	json_decref(row);
	rollback_create(d, name);
	return cella_error_wrap(err, "create instance '%s'", name);
}

/* args: {"name", "action", "timeout", "force"} */
int cellad_op_instance_state(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	const char *action = json_string_value(json_object_get(op->args, "action"));
	int timeout = (int)json_integer_value(json_object_get(op->args, "timeout"));
	bool force = json_is_true(json_object_get(op->args, "force"));
	json_t *row = load(d, name, err);
	cella_err_t ignore = NULL;
	const char *state;
	int ret = 0;

	if (row == NULL)
		return -1;
	state = json_string_value(json_object_get(row, "state"));
	if (strcmp(action, "stop") == 0 || strcmp(action, "restart") == 0) {
		if (strcmp(state, "Stopped") != 0 || strcmp(action, "restart") == 0) {
			ret = cellad_instance_stop(d, row, timeout, force, err);
			if (ret == 0)
				cellad_instance_set_state(d, name, "Stopped", NULL, "instance-stopped");
		}
	}
	if (ret == 0 && (strcmp(action, "start") == 0 || strcmp(action, "restart") == 0)) {
		if (strcmp(action, "start") == 0 && strcmp(state, "Stopped") != 0) {
			ret = cella_error_make(err, EBUSY, "instance '%s' is %s, not stopped", name, state);
		} else {
			ret = start_instance(d, row, err);
			if (ret == 0)
				cellad_instance_set_state(d, name, "Running", NULL, "instance-started");
		}
	}
	if (strcmp(action, "pause") == 0 || strcmp(action, "resume") == 0) {
		bool pause = strcmp(action, "pause") == 0;

		if (strcmp(state, pause ? "Running" : "Frozen") != 0)
			ret = cella_error_make(err, EBUSY, "instance '%s' is %s: cannot %s it", name, state,
					       action);
		else if (cellad_row_is_vm(row))
			ret = cellad_vm_pause(d, name, pause, err);
		else
			ret = cellad_container_freeze(d, name, pause, err);
		if (ret == 0)
			cellad_instance_set_state(d, name, pause ? "Frozen" : "Running", NULL,
						  pause ? "instance-paused" : "instance-resumed");
	}
	json_decref(row);
	if (ret < 0) {
		cella_error_wrap(err, "%s instance '%s'", action, name);
		pthread_mutex_lock(&d->lock);
		if (cellad_db_run(d->db, "UPDATE instances SET last_error = ? WHERE name = ?",
				  DB_ARGS(DB_TEXT(cella_error_string(*err)), DB_TEXT(name)), NULL,
				  &ignore) < 0)
			cella_error_release(&ignore);
		pthread_mutex_unlock(&d->lock);
		return -1;
	}
	return 0;
}

/* args: {"name"}: the handler checked it is stopped. */
int cellad_op_instance_delete(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	_cleanup_free_ char *dir = NULL, *trash = NULL;
	char source[128];

	if (asprintf(&dir, "%s/%s", d->instances_dir, name) < 0 ||
	    asprintf(&trash, "%s/.delete-%s", d->instances_dir, op->id) < 0)
		return cella_error_make(err, ENOMEM, "delete");
	json_t *row = load(d, name, err);

	if (row == NULL)
		return -1;
	if (cellad_instance_stop(d, row, 0, true, err) < 0) {
		json_decref(row);
		return cella_error_wrap(err, "delete instance '%s'", name);
	}
	json_decref(row);
	pthread_mutex_lock(&d->lock);
	if (cellad_db_begin(d->db, err) < 0 ||
	    cellad_db_run(d->db, "DELETE FROM instances WHERE name = ?", DB_ARGS(DB_TEXT(name)), NULL, err) <
		    0 ||
	    (rename(dir, trash) < 0 && errno != ENOENT && cella_error_sys(err, "move '%s' away", dir) < 0) ||
	    cellad_db_commit(d->db, err) < 0) {
		cellad_db_rollback(d->db);
		pthread_mutex_unlock(&d->lock);
		return cella_error_wrap(err, "delete instance '%s'", name);
	}
	snprintf(source, sizeof(source), "/1.0/instances/%s", name);
	cellad_lifecycle_locked(d, "instance-deleted", source);
	pthread_mutex_unlock(&d->lock);
	/* A VM's DHCP host entry goes with its lease (a container has none: nothing to do). */
	cellad_vm_nic_forget(d, name);
	return cellad_storage_rm_rf(trash, err);
}
