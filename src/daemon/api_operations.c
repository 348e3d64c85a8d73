// SPDX-License-Identifier: GPL-2.0-or-later
/* GET /1.0/operations, /1.0/operations/ID, /1.0/operations/ID/wait?timeout=N. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http.h"
#include "operations.h"
#include "util.h"

/* ?timeout=-1 (or none) waits at most this long: every wait is bounded. */
#define WAIT_MAX_S 3600

enum MHD_Result cellad_api_operations_list(struct cellad_request *r)
{
	struct cellad *d = r->d;
	cella_err_t err = NULL;
	json_t *rows = NULL, *out = json_object(), *row;
	size_t i;

	pthread_mutex_lock(&d->lock);
	if (cellad_db_query(d->db, "SELECT id, status FROM operations ORDER BY created_at", NULL, 0, &rows,
			    &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		json_decref(out);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&d->lock);
	/* Incus groups the URLs by status: {"running": [...], "success": [...], ...}. */
	json_array_foreach (rows, i, row) {
		char url[128], key[32];
		const char *status = json_string_value(json_object_get(row, "status"));
		json_t *list;

		snprintf(key, sizeof(key), "%s", status ? status : "unknown");
		for (char *p = key; *p; p++)
			*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
		snprintf(url, sizeof(url), "/1.0/operations/%s",
			 json_string_value(json_object_get(row, "id")));
		list = json_object_get(out, key);
		if (list == NULL) {
			list = json_array();
			json_object_set_new(out, key, list);
		}
		json_array_append_new(list, json_string(url));
	}
	json_decref(rows);
	return cellad_reply_sync(r, MHD_HTTP_OK, out);
}

enum MHD_Result cellad_api_operation_get(struct cellad_request *r)
{
	json_t *op;

	pthread_mutex_lock(&r->d->lock);
	op = cellad_op_json_locked(r->d, r->arg);
	pthread_mutex_unlock(&r->d->lock);
	if (op == NULL)
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "operation '%s' not found", r->arg);
	return cellad_reply_sync(r, MHD_HTTP_OK, op);
}

enum MHD_Result cellad_api_operation_wait(struct cellad_request *r)
{
	struct cellad *d = r->d;
	const char *arg = cellad_request_query(r, "timeout");
	long timeout = WAIT_MAX_S;
	long long deadline;
	json_t *op;

	if (arg) {
		char *end;

		errno = 0;
		timeout = strtol(arg, &end, 10);
		if (errno || end == arg || *end || timeout < -1)
			return cellad_reply_error(
				r, MHD_HTTP_BAD_REQUEST,
				"timeout: expected seconds (an integer, -1 for no limit), got '%s'", arg);
		if (timeout == -1 || timeout > WAIT_MAX_S)
			timeout = WAIT_MAX_S;
	}
	deadline = cellad_now_ms() + timeout * 1000LL;
	pthread_mutex_lock(&d->lock);
	for (;;) {
		struct timespec ts;

		op = cellad_op_json_locked(d, r->arg);
		if (op == NULL || cellad_op_done(op) || d->stopping || cellad_now_ms() >= deadline)
			break;
		json_decref(op);
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 1;
		pthread_cond_timedwait(&d->changed, &d->lock, &ts);
	}
	pthread_mutex_unlock(&d->lock);
	if (op == NULL)
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "operation '%s' not found", r->arg);
	return cellad_reply_sync(r, MHD_HTTP_OK, op);
}
