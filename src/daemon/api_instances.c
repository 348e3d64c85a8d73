// SPDX-License-Identifier: GPL-2.0-or-later
/* /1.0/instances, /1.0/instances/NAME, /1.0/instances/NAME/state. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "container.h"
#include "devices.h"
#include "http.h"
#include "images.h"
#include "instances.h"
#include "util.h"
#include "vm.h"

#define INSTANCE_SELECT                                                                          \
	"SELECT instances.*, images.fingerprint FROM instances LEFT JOIN images ON images.id = " \
	"instances.image_id"

enum MHD_Result cellad_api_instances_list(struct cellad_request *r)
{
	bool recursion = cellad_request_query(r, "recursion") != NULL;
	cella_err_t err = NULL;
	json_t *rows = NULL, *out = json_array(), *row;
	size_t i;

	pthread_mutex_lock(&r->d->lock);
	if (cellad_db_query(r->d->db, INSTANCE_SELECT " ORDER BY instances.name", NULL, 0, &rows, &err) < 0) {
		pthread_mutex_unlock(&r->d->lock);
		json_decref(out);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&r->d->lock);
	json_array_foreach (rows, i, row) {
		char url[128];

		snprintf(url, sizeof(url), "/1.0/instances/%s",
			 json_string_value(json_object_get(row, "name")));
		json_array_append_new(out, recursion ? cellad_instance_json(row) : json_string(url));
	}
	json_decref(rows);
	return cellad_reply_sync(r, MHD_HTTP_OK, out);
}

static json_t *get_row(struct cellad_request *r)
{
	cella_err_t err = NULL;
	json_t *row = NULL;

	pthread_mutex_lock(&r->d->lock);
	if (cellad_db_query_one(r->d->db, INSTANCE_SELECT " WHERE instances.name = ?",
				DB_ARGS(DB_TEXT(r->arg)), &row, &err) < 0)
		cella_error_release(&err);
	pthread_mutex_unlock(&r->d->lock);
	return row;
}

enum MHD_Result cellad_api_instance_get(struct cellad_request *r)
{
	json_t *row = get_row(r), *out;

	if (row == NULL)
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
	out = cellad_instance_json(row);
	json_decref(row);
	return cellad_reply_sync(r, MHD_HTTP_OK, out);
}

enum MHD_Result cellad_api_instance_state_get(struct cellad_request *r)
{
	json_t *row = get_row(r), *inst, *out, *stats = NULL;
	const char *name = r->arg;

	if (row == NULL)
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", name);
	inst = cellad_instance_json(row);
	json_decref(row);
	if (strcmp(json_string_value(json_object_get(inst, "status")), "Stopped") != 0)
		stats = strcmp(json_string_value(json_object_get(inst, "type")), "vm") == 0
				? cellad_vm_stats(r->d, name)
				: cellad_container_stats(r->d, name);
	out = json_pack("{s:O, s:O, s:o}", "status", json_object_get(inst, "status"), "status_code",
			json_object_get(inst, "status_code"), "stats", stats ? stats : json_null());
	json_decref(inst);
	return cellad_reply_sync(r, MHD_HTTP_OK, out);
}

static enum MHD_Result submit(struct cellad_request *r, const char *description, const char *name,
			      json_t *args, cellad_op_fn fn)
{
	char url[128];
	cella_err_t err = NULL;
	json_t *op = NULL;

	snprintf(url, sizeof(url), "/1.0/instances/%s", name);
	if (cellad_op_submit_locked(r->d, description, json_pack("{s:[s]}", "instances", url), args, fn, &op,
				    &err) < 0) {
		pthread_mutex_unlock(&r->d->lock);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&r->d->lock);
	return cellad_reply_async(r, op);
}

/* A field POST /1.0/instances does not know is refused, naming it: a typo ("confg") must not be
 * silently ignored. True after replying. */
static bool unknown_field(struct cellad_request *r, json_t *body, enum MHD_Result *ret)
{
	static const char *const known[] = {"name", "type", "source", "config", "devices", "start"};
	const char *key;
	json_t *v;

	json_object_foreach (body, key, v) {
		bool ok = false;

		for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok) {
			*ret = cellad_reply_error(
				r, MHD_HTTP_BAD_REQUEST,
				"%s: unknown field (known: name, type, source, config, devices, start)", key);
			return true;
		}
	}
	return false;
}

/* POST {"name", "type", "source": {"alias"|"fingerprint"}, "config": {...}, "devices": {...}, "start": bool} */
enum MHD_Result cellad_api_instances_post(struct cellad_request *r)
{
	struct cellad *d = r->d;
	cella_err_t err = NULL;
	enum MHD_Result ret;
	json_t *body = cellad_request_json(r, &ret), *source, *config, *devices, *image = NULL, *start, *args,
	       *existing = NULL;
	const char *name, *type;
	_cleanup_free_ char *config_text = NULL, *devices_text = NULL, *now = cellad_now_rfc3339();
	bool default_image = false, vm = false;

	if (body == NULL)
		return ret;
	if (unknown_field(r, body, &ret)) {
		json_decref(body);
		return ret;
	}
	name = json_string_value(json_object_get(body, "name"));
	type = json_string_value(json_object_get(body, "type"));
	source = json_object_get(body, "source");
	config = json_object_get(body, "config");
	devices = json_object_get(body, "devices");
	start = json_object_get(body, "start");
	if (name == NULL || !cellad_name_valid(name)) {
		ret = cellad_reply_error(
			r, MHD_HTTP_BAD_REQUEST,
			"name: expected an instance name (1-63 letters, digits and '-', not starting "
			"with a digit or '-'), got '%s'",
			name ? name : "(missing)");
		goto out;
	}
	if (type == NULL)
		type = "container";
	vm = strcmp(type, "vm") == 0;
	if (!vm && strcmp(type, "container") != 0) {
		ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					 "type: expected \"container\" or \"vm\", got '%s'", type);
		goto out;
	}
	if (source && !json_is_object(source)) {
		ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "source: expected an object");
		goto out;
	}
	if (start && !json_is_boolean(start)) {
		ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "start: expected true or false");
		goto out;
	}
	if (cellad_instance_config_validate(config, &err) < 0 ||
	    (vm && cellad_vm_config_validate(config, &err) < 0) ||
	    cellad_devices_validate(devices, vm, &err) < 0) {
		ret = cellad_reply_err(r, MHD_HTTP_BAD_REQUEST, &err);
		goto out;
	}
	config_text = config ? json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	devices_text = devices ? json_dumps(devices, JSON_COMPACT | JSON_SORT_KEYS) : strdup("{}");
	pthread_mutex_lock(&d->lock);
	if (source == NULL || json_object_size(source) == 0 ||
	    cellad_image_resolve_locked(d, source, &image, &err) < 0) {
		const char *alias = json_string_value(json_object_get(source, "alias"));

		/* The default image is built on first use, by the operation. */
		if (!vm && (source == NULL || json_object_size(source) == 0 ||
			    (alias && strcmp(alias, "default") == 0))) {
			cella_error_release(&err);
			default_image = true;
		} else {
			pthread_mutex_unlock(&d->lock);
			if (err == NULL)
				cella_error_make(&err, 0,
						 "source: a vm needs an image (alias or fingerprint)");
			ret = cellad_reply_err(r, MHD_HTTP_BAD_REQUEST, &err);
			goto out;
		}
	}
	/* The image must hold what the instance type boots: a kernel for a vm, a rootfs for a container. */
	if (image && cellad_image_is_vm(d, json_string_value(json_object_get(image, "fingerprint"))) != vm) {
		pthread_mutex_unlock(&d->lock);
		ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					 "source: image %.12s is a %s image, not usable for a %s instance",
					 json_string_value(json_object_get(image, "fingerprint")),
					 vm ? "container" : "virtual-machine", type);
		goto out;
	}
	if (cellad_db_query_one(d->db, "SELECT id FROM instances WHERE name = ?", DB_ARGS(DB_TEXT(name)),
				&existing, &err) < 0 ||
	    existing) {
		pthread_mutex_unlock(&d->lock);
		if (existing) {
			json_decref(existing);
			ret = cellad_reply_error(r, MHD_HTTP_CONFLICT, "name: instance '%s' already exists",
						 name);
		} else {
			ret = cellad_reply_err(r, 500, &err);
		}
		goto out;
	}
	if (cellad_db_run(d->db,
			  "INSERT INTO instances (name, type, image_id, state, config, devices, created_at) "
			  "VALUES (?, ?, ?, 'Creating', ?, ?, ?)",
			  DB_ARGS(DB_TEXT(name), DB_TEXT(type),
				  image ? DB_INT(json_integer_value(json_object_get(image, "id"))) : DB_NULL,
				  DB_TEXT(config_text), DB_TEXT(devices_text), DB_TEXT(now)),
			  NULL, &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		ret = cellad_reply_err(r, 500, &err);
		goto out;
	}
	args = json_pack("{s:s, s:b, s:b, s:b}", "name", name, "default_image", default_image, "privileged",
			 cellad_config_privileged(config), "start", json_is_true(start));
	ret = submit(r, "Creating instance", name, args, cellad_op_instance_create);
out:
	json_decref(image);
	json_decref(body);
	return ret;
}

enum MHD_Result cellad_api_instance_delete(struct cellad_request *r)
{
	json_t *row = get_row(r), *args;
	const char *state;

	if (row == NULL)
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
	state = json_string_value(json_object_get(row, "state"));
	if (strcmp(state, "Stopped") != 0 && strcmp(state, "Error") != 0) {
		enum MHD_Result ret =
			cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					   "instance '%s' is %s: stop it before deleting it", r->arg, state);

		json_decref(row);
		return ret;
	}
	json_decref(row);
	args = json_pack("{s:s}", "name", r->arg);
	pthread_mutex_lock(&r->d->lock);
	return submit(r, "Deleting instance", r->arg, args, cellad_op_instance_delete);
}

/* PUT {"action": start|stop|restart|pause|resume, "force": bool, "timeout": N} */
enum MHD_Result cellad_api_instance_state_put(struct cellad_request *r)
{
	static const char *const actions[] = {"start", "stop", "restart", "pause", "resume"};
	enum MHD_Result ret;
	json_t *body = cellad_request_json(r, &ret), *row, *force, *timeout, *args;
	const char *action;
	bool known = false;
	json_int_t secs = 30;

	if (body == NULL)
		return ret;
	action = json_string_value(json_object_get(body, "action"));
	force = json_object_get(body, "force");
	timeout = json_object_get(body, "timeout");
	for (size_t i = 0; action && i < sizeof(actions) / sizeof(actions[0]); i++)
		known = known || strcmp(action, actions[i]) == 0;
	if (!known) {
		ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					 "action: expected start, stop, restart, pause or resume, got '%s'",
					 action ? action : "(missing)");
		json_decref(body);
		return ret;
	}
	if (force && !json_is_boolean(force)) {
		json_decref(body);
		return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "force: expected true or false");
	}
	if (timeout) {
		if (!json_is_integer(timeout) || json_integer_value(timeout) < -1 ||
		    json_integer_value(timeout) > 3600) {
			json_decref(body);
			return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
						  "timeout: expected seconds between -1 and 3600");
		}
		secs = json_integer_value(timeout) < 0 ? 3600 : json_integer_value(timeout);
	}
	row = get_row(r);
	if (row == NULL) {
		json_decref(body);
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
	}
	json_decref(row);
	args = json_pack("{s:s, s:s, s:I, s:b}", "name", r->arg, "action", action, "timeout", secs, "force",
			 json_is_true(force));
	json_decref(body);
	pthread_mutex_lock(&r->d->lock);
	return submit(r, "Changing instance state", r->arg, args, cellad_op_instance_state);
}
