// SPDX-License-Identifier: GPL-2.0-or-later
/* Incus' response envelope (sync, async, error), plain-text replies, and reading the request. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "http.h"

static enum MHD_Result queue_json(struct cellad_request *r, unsigned status, json_t *doc)
{
	char *text = json_dumps(doc, JSON_COMPACT);
	struct MHD_Response *resp;
	enum MHD_Result ret;

	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->dispatched = true;
	return ret;
}

enum MHD_Result cellad_reply_sync(struct cellad_request *r, unsigned status, json_t *metadata)
{
	json_t *doc = json_pack("{s:s, s:s, s:i, s:s, s:i, s:s, s:o}", "type", "sync", "status", "Success",
				"status_code", 200, "operation", "", "error_code", 0, "error", "", "metadata",
				metadata ? metadata : json_null());

	return queue_json(r, status, doc);
}

enum MHD_Result cellad_reply_async(struct cellad_request *r, json_t *operation)
{
	char location[128];
	struct MHD_Response *resp;
	enum MHD_Result ret;
	json_t *doc;
	char *text;

	snprintf(location, sizeof(location), "/1.0/operations/%s",
		 json_string_value(json_object_get(operation, "id")));
	doc = json_pack("{s:s, s:s, s:i, s:s, s:i, s:s, s:o}", "type", "async", "status", "Operation created",
			"status_code", 100, "operation", location, "error_code", 0, "error", "", "metadata",
			operation);
	text = json_dumps(doc, JSON_COMPACT);
	json_decref(doc);
	if (text == NULL)
		return MHD_NO;
	resp = MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Location", location);
	ret = MHD_queue_response(r->conn, MHD_HTTP_ACCEPTED, resp);
	MHD_destroy_response(resp);
	r->dispatched = true;
	return ret;
}

enum MHD_Result cellad_reply_error(struct cellad_request *r, unsigned status, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	json_t *doc;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	doc = json_pack("{s:s, s:s, s:i, s:s, s:i, s:s, s:n}", "type", "error", "status", "", "status_code",
			0, "operation", "", "error_code", (int)status, "error", msg ? msg : "out of memory",
			"metadata");
	return queue_json(r, status, doc);
}

enum MHD_Result cellad_reply_text(struct cellad_request *r, unsigned status, const char *content_type,
				  char *text)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
	enum MHD_Result ret;

	if (resp == NULL) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", content_type);
	ret = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	r->dispatched = true;
	return ret;
}

json_t *cellad_request_json(struct cellad_request *r, enum MHD_Result *result)
{
	json_error_t jerr;
	json_t *doc;

	if (r->body == NULL || r->body_len == 0) {
		*result = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					     "request body: expected a JSON object, got nothing");
		return NULL;
	}
	doc = json_loadb(r->body, r->body_len, JSON_REJECT_DUPLICATES, &jerr);
	if (doc == NULL) {
		*result =
			cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					   "request body: invalid JSON at line %d: %s", jerr.line, jerr.text);
		return NULL;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		*result = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "request body: expected a JSON object");
		return NULL;
	}
	return doc;
}

const char *cellad_request_query(struct cellad_request *r, const char *key)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, key);
}

enum MHD_Result cellad_reply_err(struct cellad_request *r, unsigned status, cella_err_t *err)
{
	enum MHD_Result ret = cellad_reply_error(r, status, "%s", cella_error_string(*err));

	cella_error_release(err);
	return ret;
}
