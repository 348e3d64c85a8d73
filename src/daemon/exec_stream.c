// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * GET /1.0/operations/ID/stream?secret=S (Connection: Upgrade, Upgrade: cella-stream): 101, then the
 * connection is a raw byte stream joined to an interactive exec's pty (Docker's attach hijacks its
 * connection the same way). POST /1.0/operations/ID/control: Incus' window-resize message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exec_tty.h"
#include "http.h"

#define STREAM_PROTOCOL "cella-stream"

/* Connection is a comma-separated list of tokens; one of them must be "upgrade". */
static bool has_token(const char *list, const char *token)
{
	size_t len = strlen(token);

	while (list && *list) {
		list += strspn(list, " \t,");
		if (strncasecmp(list, token, len) == 0 && strchr(" \t,", list[len]))
			return true;
		list += strcspn(list, ",");
	}
	return false;
}

/* The claim of a request whose upgrade never happened (the 101 could not be sent). */
static void release_claim(void *arg)
{
	cellad_exec_tty_unclaim(arg);
}

/* In the connection's own thread (MHD's thread per connection): the relay may block here. MHD ends the
 * request (on_completed) only after this returns. */
static void on_upgrade(void *cls, struct MHD_Connection *conn, void *con_cls, const char *extra_in,
		       size_t extra_in_size, MHD_socket sock, struct MHD_UpgradeResponseHandle *urh)
{
	struct cellad_request *r = con_cls;

	(void)conn;
	r->release = NULL; /* the relay has the claim now */
	cellad_exec_tty_relay(cls, sock, extra_in, extra_in_size);
	MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
}

/* Why the operation has no stream to give: unknown (404) or not an interactive exec still running. */
static enum MHD_Result no_session(struct cellad_request *r)
{
	json_t *op;

	pthread_mutex_lock(&r->d->lock);
	op = cellad_op_json_locked(r->d, r->arg);
	pthread_mutex_unlock(&r->d->lock);
	if (op == NULL)
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "operation '%s' not found", r->arg);
	json_decref(op);
	return cellad_reply_error(
		r, MHD_HTTP_BAD_REQUEST,
		"operation '%s' has no stream: it is not an interactive exec, or its command "
		"ended",
		r->arg);
}

enum MHD_Result cellad_api_operation_stream(struct cellad_request *r)
{
	const char *upgrade = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Upgrade");
	const char *connection = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, "Connection");
	struct cellad_exec_tty *s = NULL;
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (upgrade == NULL || strcasecmp(upgrade, STREAM_PROTOCOL) != 0 || !has_token(connection, "upgrade"))
		return cellad_reply_error(
			r, MHD_HTTP_BAD_REQUEST,
			"stream: the request must carry 'Connection: Upgrade' and 'Upgrade: "
			"%s'",
			STREAM_PROTOCOL);
	switch (cellad_exec_tty_claim(r->arg, cellad_request_query(r, "secret"), &s)) {
	case CELLAD_EXEC_CLAIMED:
		break;
	case CELLAD_EXEC_NO_SESSION:
		return no_session(r);
	case CELLAD_EXEC_BAD_SECRET:
		return cellad_reply_error(r, MHD_HTTP_FORBIDDEN,
					  "secret: missing or not the one in operation '%s''s metadata.fds",
					  r->arg);
	case CELLAD_EXEC_TAKEN:
		return cellad_reply_error(
			r, MHD_HTTP_CONFLICT,
			"operation '%s': a client is attached already (one stream per exec)", r->arg);
	}
	/* A terminal may sit idle as long as its user does: no idle timeout on this connection. */
	MHD_set_connection_option(r->conn, MHD_CONNECTION_OPTION_TIMEOUT, 0U);
	resp = MHD_create_response_for_upgrade(on_upgrade, s);
	if (resp == NULL) {
		cellad_exec_tty_unclaim(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_UPGRADE, STREAM_PROTOCOL);
	ret = MHD_queue_response(r->conn, MHD_HTTP_SWITCHING_PROTOCOLS, resp);
	MHD_destroy_response(resp);
	r->dispatched = true;
	if (ret != MHD_YES) {
		cellad_exec_tty_unclaim(s);
		return ret;
	}
	r->release = release_claim;
	r->release_arg = s;
	return ret;
}

/* "80" (Incus sends strings) or 80: 1..65535, else 0. */
static unsigned dimension(json_t *v)
{
	long long n = -1;
	char *end;

	if (json_is_integer(v))
		n = json_integer_value(v);
	else if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < 8) {
		errno = 0;
		n = strtoll(json_string_value(v), &end, 10);
		if (errno || *end)
			n = -1;
	}
	return n >= 1 && n <= 65535 ? (unsigned)n : 0;
}

enum MHD_Result cellad_api_operation_control(struct cellad_request *r)
{
	enum MHD_Result ret;
	json_t *body = cellad_request_json(r, &ret), *args;
	bool resize;
	cella_err_t err = NULL;
	unsigned cols, rows;
	int rc;

	if (body == NULL)
		return ret;
	resize = json_is_string(json_object_get(body, "command")) &&
		 strcmp(json_string_value(json_object_get(body, "command")), "window-resize") == 0;
	args = json_object_get(body, "args");
	cols = dimension(json_object_get(args, "width"));
	rows = dimension(json_object_get(args, "height"));
	json_decref(body);
	if (!resize)
		return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					  "command: expected \"window-resize\" (the only control message)");
	if (cols == 0 || rows == 0)
		return cellad_reply_error(
			r, MHD_HTTP_BAD_REQUEST,
			"args: expected {\"width\": \"COLS\", \"height\": \"ROWS\"}, each 1 to "
			"65535");
	rc = cellad_exec_tty_resize(r->arg, cols, rows, &err);
	if (rc < 0) {
		return cellad_reply_err(r, 500, &err);
	}
	if (rc == 0)
		return no_session(r);
	return cellad_reply_sync(r, MHD_HTTP_OK, json_object());
}
