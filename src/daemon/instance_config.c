// SPDX-License-Identifier: GPL-2.0-or-later
/* Config changes of existing instances: validation, the live cgroup update, the operation. */
#include "instance_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "core/container.h"
#include "instances.h"
#include "vm.h"

/* Keys that may change after creation; the others shape what was created. */
static bool changeable(const char *key)
{
	return strcmp(key, "limits.memory") == 0 || strcmp(key, "limits.cpu") == 0 ||
	       strcmp(key, "limits.processes") == 0;
}

json_t *cellad_config_merge(json_t *old, json_t *change, bool replace, bool vm, cella_err_t *err)
{
	json_t *out = json_deep_copy(old), *v;
	const char *key;

	if (!json_is_object(change)) {
		json_decref(out);
		cella_error_make(err, 0, "config: expected an object of \"key\": \"value\"");
		return NULL;
	}
	if (replace) {
		/* A full replacement keeps the creation-time keys: they cannot change. */
		json_object_foreach (old, key, v) {
			if (changeable(key))
				json_object_del(out, key);
		}
	}
	json_object_foreach (change, key, v) {
		json_t *was = json_object_get(old, key);

		if (!changeable(key)) {
			/* Sending an unchanged creation-time key back (as a PUT of GET's config does) is fine. */
			if (was && json_equal(was, v))
				continue;
			cella_error_make(
				err, 0,
				was || strcmp(key, "security.privileged") == 0 || strcmp(key, "command") == 0
					? "config: %s: set when the instance is created, it cannot be changed"
					: "config: unknown key '%s' (changeable: limits.memory, limits.cpu, "
					  "limits.processes)",
				key);
			json_decref(out);
			return NULL;
		}
		if (json_is_null(v))
			json_object_del(out, key);
		else
			json_object_set(out, key, v);
	}
	if (cellad_instance_config_validate(out, err) < 0 ||
	    (vm && cellad_vm_config_validate(out, err) < 0)) {
		json_decref(out);
		return NULL;
	}
	return out;
}

json_t *cellad_config_resources(const char *name, json_t *config, cella_err_t *err)
{
	json_t *spec = cellad_container_spec(name, "/", config, -1, err), *res;

	if (spec == NULL)
		return NULL;
	res = json_deep_copy(json_object_get(json_object_get(spec, "linux"), "resources"));
	json_decref(spec);
	if (res == NULL)
		res = json_object();
	/* A limit no longer set is lifted now, not only at the next start. */
	if (json_object_get(res, "memory") == NULL)
		json_object_set_new(res, "memory", json_pack("{s:i}", "limit", -1));
	if (json_object_get(res, "pids") == NULL)
		json_object_set_new(res, "pids", json_pack("{s:i}", "limit", -1));
	if (json_object_get(res, "cpu") == NULL)
		json_object_set_new(res, "cpu", json_pack("{s:i, s:i}", "quota", -1, "period", 100000));
	return res;
}

int cellad_op_instance_config(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	json_t *config = json_object_get(op->args, "config"), *row = NULL, *res, *meta;
	json_t *devices = json_object_get(op->args, "devices");
	char *text = json_dumps(config, JSON_COMPACT | JSON_SORT_KEYS);
	char *devices_text = devices ? json_dumps(devices, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	const char *state, *applied = "next-start";
	long long changes = 0;
	int ret = 0;

	if (text == NULL || (devices && devices_text == NULL)) {
		free(text);
		free(devices_text);
		return cella_error_make(err, ENOMEM, "config");
	}
	pthread_mutex_lock(&d->lock);
	/* One statement: config and devices change together or not at all. */
	if (cellad_db_run(
		    d->db, "UPDATE instances SET config = ?, devices = coalesce(?, devices) WHERE name = ?",
		    DB_ARGS(DB_TEXT(text), devices_text ? DB_TEXT(devices_text) : DB_NULL, DB_TEXT(name)),
		    &changes, err) == 0 &&
	    changes == 0)
		cella_error_make(err, 0, "instance '%s' not found", name);
	if (changes == 1)
		cellad_db_query_one(d->db, "SELECT name, type, state FROM instances WHERE name = ?",
				    DB_ARGS(DB_TEXT(name)), &row, err);
	pthread_mutex_unlock(&d->lock);
	free(text);
	free(devices_text);
	if (row == NULL)
		return cella_error_wrap(err, "config of instance '%s'", name);
	state = json_string_value(json_object_get(row, "state"));
	/* The worker is the only writer of states: Running now means running until this operation ends. */
	if (!cellad_row_is_vm(row) && state &&
	    (strcmp(state, "Running") == 0 || strcmp(state, "Frozen") == 0)) {
		res = cellad_config_resources(name, config, err);
		ret = res ? cella_container_update(d->runtime_root, name, res, err) : -1;
		json_decref(res);
		applied = "live";
	}
	json_decref(row);
	if (ret < 0)
		return cella_error_wrap(err,
					"config of instance '%s' saved, but applying it to the running "
					"container failed (it applies at the next start)",
					name);
	meta = json_pack("{s:s, s:O}", "applied", applied, "config", config);
	/* Devices are attached when an instance starts: a change reaches a running one at its next start. */
	if (devices)
		json_object_set_new(meta, "devices",
				    json_pack("{s:s, s:O}", "applied", "next-start", "devices", devices));
	cellad_op_set_metadata(d, op, meta);
	return 0;
}
