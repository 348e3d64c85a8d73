// SPDX-License-Identifier: GPL-2.0-or-later
/* /1.0/images/aliases: names for images. */
#include <stdio.h>
#include <stdlib.h>

#include "http.h"
#include "images.h"
#include "util.h"

static json_t *alias_json(json_t *row)
{
	return json_pack("{s:O, s:O, s:O}", "name", json_object_get(row, "name"), "description",
			 json_object_get(row, "description"), "target", json_object_get(row, "fingerprint"));
}

enum MHD_Result cellad_api_aliases_list(struct cellad_request *r)
{
	bool recursion = cellad_request_query(r, "recursion") != NULL;
	cella_err_t err = NULL;
	json_t *rows = NULL, *out = json_array(), *row;
	size_t i;

	pthread_mutex_lock(&r->d->lock);
	if (cellad_db_query(
		    r->d->db,
		    "SELECT a.name, a.description, i.fingerprint FROM image_aliases a JOIN images i ON "
		    "i.id = a.image_id ORDER BY a.name",
		    NULL, 0, &rows, &err) < 0) {
		pthread_mutex_unlock(&r->d->lock);
		json_decref(out);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&r->d->lock);
	json_array_foreach (rows, i, row) {
		char url[128];

		snprintf(url, sizeof(url), "/1.0/images/aliases/%s",
			 json_string_value(json_object_get(row, "name")));
		json_array_append_new(out, recursion ? alias_json(row) : json_string(url));
	}
	json_decref(rows);
	return cellad_reply_sync(r, MHD_HTTP_OK, out);
}

enum MHD_Result cellad_api_alias_get(struct cellad_request *r)
{
	cella_err_t err = NULL;
	json_t *row = NULL;

	pthread_mutex_lock(&r->d->lock);
	if (cellad_db_query_one(
		    r->d->db,
		    "SELECT a.name, a.description, i.fingerprint FROM image_aliases a JOIN images i ON "
		    "i.id = a.image_id WHERE a.name = ?",
		    DB_ARGS(DB_TEXT(r->arg)), &row, &err) < 0) {
		pthread_mutex_unlock(&r->d->lock);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&r->d->lock);
	if (row == NULL)
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "image alias '%s' not found", r->arg);
	{
		json_t *out = alias_json(row);

		json_decref(row);
		return cellad_reply_sync(r, MHD_HTTP_OK, out);
	}
}

/* POST {"name": N, "description": D, "target": FINGERPRINT} */
enum MHD_Result cellad_api_aliases_post(struct cellad_request *r)
{
	struct cellad *d = r->d;
	cella_err_t err = NULL;
	enum MHD_Result ret;
	json_t *body = cellad_request_json(r, &ret), *row, *src;
	const char *name, *target, *desc;

	if (body == NULL)
		return ret;
	name = json_string_value(json_object_get(body, "name"));
	target = json_string_value(json_object_get(body, "target"));
	desc = json_string_value(json_object_get(body, "description"));
	if (name == NULL || !cellad_name_valid(name)) {
		ret = cellad_reply_error(
			r, MHD_HTTP_BAD_REQUEST,
			"name: expected an alias name (1-63 letters, digits and '-'), got '%s'",
			name ? name : "(missing)");
		json_decref(body);
		return ret;
	}
	if (target == NULL) {
		json_decref(body);
		return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "target: required (an image fingerprint)");
	}
	src = json_pack("{s:s}", "fingerprint", target);
	pthread_mutex_lock(&d->lock);
	if (cellad_image_resolve_locked(d, src, &row, &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		json_decref(src);
		json_decref(body);
		return cellad_reply_err(r, MHD_HTTP_BAD_REQUEST, &err);
	}
	json_decref(src);
	if (cellad_db_run(d->db, "INSERT INTO image_aliases (name, image_id, description) VALUES (?, ?, ?)",
			  DB_ARGS(DB_TEXT(name), DB_INT(json_integer_value(json_object_get(row, "id"))),
				  DB_TEXT(desc ? desc : "")),
			  NULL, &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		json_decref(row);
		json_decref(body);
		cella_error_release(&err);
		return cellad_reply_error(r, MHD_HTTP_CONFLICT, "name: alias '%s' already exists", name);
	}
	pthread_mutex_unlock(&d->lock);
	json_decref(row);
	json_decref(body);
	return cellad_reply_sync(r, MHD_HTTP_CREATED, json_object());
}

enum MHD_Result cellad_api_alias_delete(struct cellad_request *r)
{
	cella_err_t err = NULL;
	long long changes = 0;

	pthread_mutex_lock(&r->d->lock);
	if (cellad_db_run(r->d->db, "DELETE FROM image_aliases WHERE name = ?", DB_ARGS(DB_TEXT(r->arg)),
			  &changes, &err) < 0) {
		pthread_mutex_unlock(&r->d->lock);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&r->d->lock);
	if (changes == 0)
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "image alias '%s' not found", r->arg);
	return cellad_reply_sync(r, MHD_HTTP_OK, json_object());
}
