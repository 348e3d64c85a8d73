// SPDX-License-Identifier: GPL-2.0-or-later
/* /1.0/instances/NAME/snapshots[/SNAP] and the restore through PUT /1.0/instances/NAME. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "instances.h"
#include "snapshots.h"

/* 404 for what does not exist, 500 for the rest. */
static enum MHD_Result reply_err(struct cellad_request *r, cella_err_t *err)
{
	return cellad_reply_err(r, (*err)->errno_value == ENOENT ? 404 : 500, err);
}

/* True when the instance exists (*vm: it is a VM); false after replying 404 (or 500). */
static bool check_instance(struct cellad_request *r, bool *vm, enum MHD_Result *ret)
{
	cella_err_t err = NULL;
	json_t *row = NULL;

	pthread_mutex_lock(&r->d->lock);
	if (cellad_db_query_one(r->d->db, "SELECT type FROM instances WHERE name = ?",
				DB_ARGS(DB_TEXT(r->arg)), &row, &err) < 0) {
		pthread_mutex_unlock(&r->d->lock);
		*ret = reply_err(r, &err);
		return false;
	}
	pthread_mutex_unlock(&r->d->lock);
	if (row == NULL) {
		*ret = cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
		return false;
	}
	*vm = cellad_row_is_vm(row);
	json_decref(row);
	return true;
}

/* stateful: true, false, or NULL (not given). */
static enum MHD_Result submit(struct cellad_request *r, const char *description, const char *snap,
			      json_t *stateful, cellad_op_fn fn)
{
	char url[300];
	cella_err_t err = NULL;
	json_t *op = NULL, *args = json_pack("{s:s, s:s}", "name", r->arg, "snapshot", snap);

	if (args && stateful)
		json_object_set(args, "stateful", stateful);

	snprintf(url, sizeof(url), "/1.0/instances/%s", r->arg);
	pthread_mutex_lock(&r->d->lock);
	if (cellad_op_submit_locked(r->d, description, json_pack("{s:[s]}", "instances", url), args, fn, &op,
				    &err) < 0) {
		pthread_mutex_unlock(&r->d->lock);
		return reply_err(r, &err);
	}
	pthread_mutex_unlock(&r->d->lock);
	return cellad_reply_async(r, op);
}

enum MHD_Result cellad_api_snapshots_list(struct cellad_request *r)
{
	cella_err_t err = NULL;
	enum MHD_Result ret;
	bool vm;
	json_t *out;

	if (!check_instance(r, &vm, &ret))
		return ret;
	out = cellad_snapshot_list(r->d, r->arg, cellad_request_query(r, "recursion") != NULL, &err);
	return out ? cellad_reply_sync(r, MHD_HTTP_OK, out) : reply_err(r, &err);
}

/*
 * POST {"name": SNAP, "stateful": B}: a container's writable layer (stateful must be false); a VM's
 * disk, plus memory and device state when stateful (the default for a running VM).
 */
enum MHD_Result cellad_api_snapshots_post(struct cellad_request *r)
{
	enum MHD_Result ret;
	json_t *body, *stateful;
	const char *key, *snap;
	json_t *v;
	bool vm;

	if (!check_instance(r, &vm, &ret))
		return ret;
	body = cellad_request_json(r, &ret);
	if (body == NULL)
		return ret;
	json_object_foreach (body, key, v) {
		if (strcmp(key, "name") != 0 && strcmp(key, "stateful") != 0) {
			ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: unknown field", key);
			goto out;
		}
	}
	snap = json_string_value(json_object_get(body, "name"));
	stateful = json_object_get(body, "stateful");
	if (!cellad_snapshot_name_valid(snap)) {
		ret = cellad_reply_error(
			r, MHD_HTTP_BAD_REQUEST,
			"name: '%s' is not a valid snapshot name (1-63 of A-Z a-z 0-9 _ . -, "
			"not starting with '.' or '-')",
			snap ? snap : "(missing)");
		goto out;
	}
	if (stateful && !json_is_boolean(stateful)) {
		ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "stateful: expected true or false");
		goto out;
	}
	if (!vm && stateful && !json_is_false(stateful)) {
		ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					 "stateful: only false is supported for a container (the "
					 "writable layer is snapshotted)");
		goto out;
	}
	ret = submit(r, "Snapshotting instance", snap, stateful, cellad_op_snapshot_create);
out:
	json_decref(body);
	return ret;
}

enum MHD_Result cellad_api_snapshot_get(struct cellad_request *r)
{
	cella_err_t err = NULL;
	enum MHD_Result ret;
	bool vm;
	json_t *out;

	if (!check_instance(r, &vm, &ret))
		return ret;
	out = cellad_snapshot_get(r->d, r->arg, r->arg2, &err);
	return out ? cellad_reply_sync(r, MHD_HTTP_OK, out) : reply_err(r, &err);
}

enum MHD_Result cellad_api_snapshot_delete(struct cellad_request *r)
{
	cella_err_t err = NULL;
	enum MHD_Result ret;
	bool vm;
	json_t *out;

	if (!check_instance(r, &vm, &ret))
		return ret;
	out = cellad_snapshot_get(r->d, r->arg, r->arg2, &err);
	if (out == NULL)
		return reply_err(r, &err);
	json_decref(out);
	return submit(r, "Deleting snapshot", r->arg2, NULL, cellad_op_snapshot_delete);
}

/*
 * PUT /1.0/instances/NAME {"restore": SNAP}: the only change of an instance supported so far. A
 * container must be stopped (checked by the operation); a VM is stopped by the restore itself.
 */
enum MHD_Result cellad_api_instance_put(struct cellad_request *r)
{
	cella_err_t err = NULL;
	enum MHD_Result ret;
	json_t *body, *v, *snapshot;
	const char *key, *snap;
	bool vm;

	if (!check_instance(r, &vm, &ret))
		return ret;
	body = cellad_request_json(r, &ret);
	if (body == NULL)
		return ret;
	json_object_foreach (body, key, v) {
		if (strcmp(key, "restore") != 0) {
			ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
						 "%s: unknown or unsupported field (only \"restore\" is)",
						 key);
			goto out;
		}
	}
	snap = json_string_value(json_object_get(body, "restore"));
	if (snap == NULL) {
		ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "restore: expected a snapshot name");
		goto out;
	}
	snapshot = cellad_snapshot_get(r->d, r->arg, snap, &err);
	if (snapshot == NULL) {
		ret = reply_err(r, &err);
		goto out;
	}
	json_decref(snapshot);
	ret = submit(r, "Restoring snapshot", snap, NULL, cellad_op_snapshot_restore);
out:
	json_decref(body);
	return ret;
}
