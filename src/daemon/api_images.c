// SPDX-License-Identifier: GPL-2.0-or-later
/* /1.0/images: list, import (tarball upload or directory), show, delete. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cella/cleanup.h>

#include "events.h"
#include "http.h"
#include "image_tar.h"
#include "image_transfer.h"
#include "images.h"
#include "operations.h"
#include "util.h"

enum MHD_Result cellad_api_images_list(struct cellad_request *r)
{
	struct cellad *d = r->d;
	bool recursion = cellad_request_query(r, "recursion") != NULL;
	cella_err_t err = NULL;
	json_t *rows = NULL, *out = json_array(), *row;
	size_t i;

	pthread_mutex_lock(&d->lock);
	if (cellad_db_query(d->db, "SELECT * FROM images ORDER BY created_at", NULL, 0, &rows, &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		json_decref(out);
		return cellad_reply_err(r, 500, &err);
	}
	json_array_foreach (rows, i, row) {
		char url[128];

		snprintf(url, sizeof(url), "/1.0/images/%s",
			 json_string_value(json_object_get(row, "fingerprint")));
		json_array_append_new(out, recursion ? cellad_image_json_locked(d, row) : json_string(url));
	}
	pthread_mutex_unlock(&d->lock);
	json_decref(rows);
	return cellad_reply_sync(r, MHD_HTTP_OK, out);
}

/* "aliases": [{"name": N, "description": D}], validated; NULL + error when malformed. */
static json_t *parse_aliases(json_t *in, const char *header, cella_err_t *err)
{
	json_t *out = json_array(), *a;
	size_t i;

	if (header) {
		_cleanup_free_ char *copy = strdup(header);
		char *save = NULL;

		for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok;
		     tok = strtok_r(NULL, ",", &save))
			json_array_append_new(out, json_pack("{s:s}", "name", tok));
	} else if (in && !json_is_array(in)) {
		json_decref(out);
		cella_error_make(err, EINVAL, "aliases: expected an array of {\"name\": ...}");
		return NULL;
	} else if (in) {
		json_array_foreach (in, i, a) {
			const char *name = json_string_value(json_object_get(a, "name"));
			json_t *desc = json_object_get(a, "description");

			if (name == NULL || (desc && !json_is_string(desc))) {
				json_decref(out);
				cella_error_make(
					err, EINVAL,
					"aliases[%zu]: expected {\"name\": string, \"description\": string}",
					i);
				return NULL;
			}
			json_array_append_new(out, json_pack("{s:s, s:s}", "name", name, "description",
							     desc ? json_string_value(desc) : ""));
		}
	}
	json_array_foreach (out, i, a) {
		const char *name = json_string_value(json_object_get(a, "name"));

		if (!cellad_name_valid(name)) {
			cella_error_make(err, EINVAL,
					 "aliases: invalid alias name '%s' (1-63 letters, digits and '-', "
					 "not starting "
					 "with a digit or '-')",
					 name);
			json_decref(out);
			return NULL;
		}
	}
	return out;
}

enum MHD_Result cellad_api_images_post(struct cellad_request *r)
{
	struct cellad *d = r->d;
	cella_err_t err = NULL;
	json_t *args, *aliases, *op = NULL, *body = NULL;
	cellad_op_fn fn = cellad_op_image_import;
	enum MHD_Result ret;

	if (r->raw_upload) {
		if (r->upload_len == 0)
			return cellad_reply_error(
				r, MHD_HTTP_BAD_REQUEST,
				"request body: expected an image tarball (or a JSON source), got nothing");
		aliases = parse_aliases(
			NULL, MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "X-Cella-Aliases"), &err);
		if (aliases == NULL)
			return cellad_reply_err(r, MHD_HTTP_BAD_REQUEST, &err);
		args = json_pack("{s:s, s:o}", "tarball", r->upload_path, "aliases", aliases);
		/* A file made by GET /1.0/images/FP/export carries its metadata: imported as such. */
		if (cellad_tar_is_export(r->upload_path))
			fn = cellad_op_image_import_export;
	} else {
		json_t *source, *props;
		const char *type, *path;
		struct stat st;

		body = cellad_request_json(r, &ret);
		if (body == NULL)
			return ret;
		source = json_object_get(body, "source");
		type = json_string_value(json_object_get(source, "type"));
		path = json_string_value(json_object_get(source, "path"));
		props = json_object_get(body, "properties");
		if (!json_is_object(source) || type == NULL) {
			json_decref(body);
			return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
						  "source.type: required (\"directory\", \"vm-directory\", "
						  "\"instance\"; or POST the "
						  "tarball itself)");
		}
		if (strcmp(type, "instance") == 0) {
			aliases = parse_aliases(json_object_get(body, "aliases"), NULL, &err);
			if (aliases == NULL) {
				json_decref(body);
				return cellad_reply_err(r, MHD_HTTP_BAD_REQUEST, &err);
			}
			ret = cellad_image_publish_request(r, body, aliases);
			json_decref(body);
			return ret;
		}
		if (strcmp(type, "directory") != 0 && strcmp(type, "vm-directory") != 0) {
			ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
						 "source.type: unsupported '%s' (\"directory\", "
						 "\"vm-directory\", \"instance\"; "
						 "or POST the tarball itself)",
						 type);
			json_decref(body);
			return ret;
		}
		if (path == NULL || path[0] != '/' || stat(path, &st) < 0 || !S_ISDIR(st.st_mode)) {
			ret = cellad_reply_error(
				r, MHD_HTTP_BAD_REQUEST,
				"source.path: expected the absolute path of a directory, got '%s'",
				path ? path : "(missing)");
			json_decref(body);
			return ret;
		}
		if (props && !json_is_object(props)) {
			json_decref(body);
			return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "properties: expected an object");
		}
		aliases = parse_aliases(json_object_get(body, "aliases"), NULL, &err);
		if (aliases == NULL) {
			json_decref(body);
			return cellad_reply_err(r, MHD_HTTP_BAD_REQUEST, &err);
		}
		args = json_pack("{s:s, s:o, s:o, s:b}", "directory", path, "aliases", aliases, "properties",
				 props ? json_incref(props) : json_object(), "vm",
				 strcmp(type, "vm-directory") == 0);
		json_decref(body);
	}
	pthread_mutex_lock(&d->lock);
	if (cellad_op_submit_locked(d, "Importing image", json_pack("{s:[]}", "images"), args, fn, &op,
				    &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&d->lock);
	/* The upload now belongs to the operation, which removes it. */
	free(steal_pointer(&r->upload_path));
	return cellad_reply_async(r, op);
}

static json_t *image_row_locked(struct cellad *d, const char *fp, cella_err_t *err)
{
	json_t *src = json_pack("{s:s}", "fingerprint", fp), *row = NULL;

	if (cellad_image_resolve_locked(d, src, &row, err) < 0)
		row = NULL;
	json_decref(src);
	return row;
}

enum MHD_Result cellad_api_image_get(struct cellad_request *r)
{
	cella_err_t err = NULL;
	json_t *row, *out;

	pthread_mutex_lock(&r->d->lock);
	row = image_row_locked(r->d, r->arg, &err);
	out = row ? cellad_image_json_locked(r->d, row) : NULL;
	pthread_mutex_unlock(&r->d->lock);
	json_decref(row);
	if (out == NULL)
		return cellad_reply_err(r, MHD_HTTP_NOT_FOUND, &err);
	return cellad_reply_sync(r, MHD_HTTP_OK, out);
}

enum MHD_Result cellad_api_image_delete(struct cellad_request *r)
{
	struct cellad *d = r->d;
	cella_err_t err = NULL;
	json_t *row, *op = NULL;
	char url[128];

	pthread_mutex_lock(&d->lock);
	row = image_row_locked(d, r->arg, &err);
	if (row == NULL) {
		pthread_mutex_unlock(&d->lock);
		return cellad_reply_err(r, MHD_HTTP_NOT_FOUND, &err);
	}
	snprintf(url, sizeof(url), "/1.0/images/%s", json_string_value(json_object_get(row, "fingerprint")));
	if (cellad_op_submit_locked(d, "Deleting image", json_pack("{s:[s]}", "images", url),
				    json_pack("{s:O}", "fingerprint", json_object_get(row, "fingerprint")),
				    cellad_op_image_delete, &op, &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		json_decref(row);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&d->lock);
	json_decref(row);
	return cellad_reply_async(r, op);
}
