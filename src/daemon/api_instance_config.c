// SPDX-License-Identifier: GPL-2.0-or-later
/* PATCH and PUT /1.0/instances/NAME: config and device changes (and PUT's snapshot restore, handed on). */
#include <stdio.h>
#include <string.h>

#include "devices.h"
#include "instance_config.h"
#include "instances.h"

/* Checks the body's fields, computes the new config and queues the operation. */
static enum MHD_Result update(struct cellad_request *r, json_t *body, bool replace)
{
	struct cellad *d = r->d;
	cella_err_t err = NULL;
	json_t *row = NULL, *old, *config, *change, *devices = NULL, *op = NULL, *v, *args;
	const char *key;
	char url[300];

	json_object_foreach (body, key, v) {
		if (strcmp(key, "config") != 0 && strcmp(key, "devices") != 0)
			return cellad_reply_error(
				r, MHD_HTTP_BAD_REQUEST,
				"%s: unknown or unsupported field (\"config\", \"devices\"%s)", key,
				replace ? " or \"restore\"" : "");
	}
	if (json_object_get(body, "config") == NULL && json_object_get(body, "devices") == NULL)
		return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "config or devices: required");
	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(d->db, "SELECT name, type, config, devices FROM instances WHERE name = ?",
				DB_ARGS(DB_TEXT(r->arg)), &row, &err) < 0 ||
	    row == NULL) {
		pthread_mutex_unlock(&d->lock);
		if (err == NULL)
			return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
		return cellad_reply_err(r, 500, &err);
	}
	old = json_loads(json_string_value(json_object_get(row, "config")), 0, NULL);
	if (old == NULL)
		old = json_object();
	/* A request without config leaves it as it is (a PATCH of {} changes nothing). */
	change = json_object_get(body, "config") ? json_incref(json_object_get(body, "config"))
						 : json_object();
	config = cellad_config_merge(old, change, replace && json_object_get(body, "config"),
				     cellad_row_is_vm(row), &err);
	json_decref(change);
	json_decref(old);
	if (config && json_object_get(body, "devices")) {
		old = json_loads(json_string_value(json_object_get(row, "devices")) ?: "{}", 0, NULL);
		devices = cellad_devices_merge(old, json_object_get(body, "devices"), replace,
					       cellad_row_is_vm(row), &err);
		json_decref(old);
		if (devices == NULL) {
			json_decref(config);
			config = NULL;
		}
	}
	json_decref(row);
	if (config == NULL) {
		pthread_mutex_unlock(&d->lock);
		return cellad_reply_err(r, MHD_HTTP_BAD_REQUEST, &err);
	}
	snprintf(url, sizeof(url), "/1.0/instances/%s", r->arg);
	args = json_pack("{s:s, s:o}", "name", r->arg, "config", config);
	if (devices)
		json_object_set_new(args, "devices", devices);
	if (cellad_op_submit_locked(d, "Updating instance", json_pack("{s:[s]}", "instances", url), args,
				    cellad_op_instance_config, &op, &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&d->lock);
	return cellad_reply_async(r, op);
}

enum MHD_Result cellad_api_instance_patch(struct cellad_request *r)
{
	enum MHD_Result ret;
	json_t *body = cellad_request_json(r, &ret);

	if (body == NULL)
		return ret;
	ret = update(r, body, false);
	json_decref(body);
	return ret;
}

enum MHD_Result cellad_api_instance_put_any(struct cellad_request *r)
{
	enum MHD_Result ret;
	json_t *body = cellad_request_json(r, &ret);

	if (body == NULL)
		return ret;
	if (json_object_get(body, "restore") &&
	    (json_object_get(body, "config") || json_object_get(body, "devices"))) {
		json_decref(body);
		return cellad_reply_error(
			r, MHD_HTTP_BAD_REQUEST,
			"restore: cannot be combined with config or devices in one request");
	}
	if (json_object_get(body, "config") == NULL && json_object_get(body, "devices") == NULL) {
		json_decref(body);
		/* The snapshot restore (api_snapshots.c) reads the body again itself. */
		return cellad_api_instance_put(r);
	}
	ret = update(r, body, true);
	json_decref(body);
	return ret;
}
