// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * POST /1.0/instances/NAME/console: an interactive console, as `incus console` attaches. A VM's is its
 * COM1: cellad connects to the VMM's console socket (cella-vmm --console-socket) and one client attaches
 * to the operation's stream (GET /1.0/operations/ID/stream?secret=S, exec_stream.c), the same session
 * machinery as an interactive exec (exec_tty.h) with the socket in place of a pty master. The operation
 * lasts until the client detaches or the VM stops. A container's console is its log (GET .../console).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "exec_tty.h"
#include "http.h"
#include "instances.h"
#include "util.h"
#include "vm.h"

/* A connection to the VM's console socket, or -1 with *err. */
static int connect_console(struct cellad *d, const char *name, cella_err_t *err)
{
	_cleanup_free_ char *path = cellad_vm_console_socket(d, name);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if (path == NULL)
		return cella_error_make(err, ENAMETOOLONG,
					"vm '%s': its console socket path is too long for a unix socket",
					name);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cella_error_sys(err, "console socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int saved = errno;

		close(fd);
		errno = saved;
		return cella_error_sys(err, "vm '%s': its console (%s); is the VM running?", name, path);
	}
	return fd;
}

/* args {"name", "secret"}: on its own thread; ends when the client detaches or the VM's console closes. */
static int op_console(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	struct cellad_exec_tty *s =
		cellad_exec_tty_get(json_string_value(json_object_get(op->args, "secret")));
	int fd, ret = 0;

	if (s == NULL)
		return cella_error_make(err, ENOENT, "console of '%s': its session is gone", name);
	fd = connect_console(d, name, err);
	if (fd < 0) {
		ret = -1;
	} else {
		cellad_exec_tty_ready(s, fd); /* the session's now: closed by the relay or below */
		if (!cellad_exec_tty_wait_attach(s,
						 cellad_now_ms() + cellad_exec_tty_attach_timeout_s() * 1000))
			ret = cella_error_make(
				err, ETIMEDOUT,
				"console of '%s': no client attached to the stream within %ld s", name,
				cellad_exec_tty_attach_timeout_s());
		else
			cellad_exec_tty_wait_detached(s);
	}
	cellad_exec_tty_finish(s);
	cellad_exec_tty_remove(s);
	cellad_exec_tty_put(s);
	return ret;
}

/* POST {"type": "console", "width": N, "height": N} (Incus's body; the size means nothing to a serial line). */
enum MHD_Result cellad_api_instance_console_attach(struct cellad_request *r)
{
	struct cellad *d = r->d;
	enum MHD_Result ret;
	json_t *body = cellad_request_json(r, &ret), *row = NULL, *op = NULL, *v;
	char secret[CELLAD_EXEC_SECRET_LEN + 1], url[320];
	const char *key, *type, *state;
	cella_err_t err = NULL;
	int rc;

	if (body == NULL)
		return ret;
	json_object_foreach (body, key, v) {
		if (strcmp(key, "type") && strcmp(key, "width") && strcmp(key, "height")) {
			json_decref(body);
			return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
						  "%s: unknown field (known: type, width, height)", key);
		}
	}
	type = json_string_value(json_object_get(body, "type"));
	if (json_object_get(body, "type") && (type == NULL || strcmp(type, "console") != 0)) {
		json_decref(body);
		return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST,
					  "type: only \"console\" (a VGA console is not emulated)");
	}
	json_decref(body);
	pthread_mutex_lock(&d->lock);
	if (cellad_db_query_one(d->db, "SELECT name, type, state FROM instances WHERE name = ?",
				DB_ARGS(DB_TEXT(r->arg)), &row, &err) < 0) {
		pthread_mutex_unlock(&d->lock);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&d->lock);
	if (row == NULL)
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
	state = json_string_value(json_object_get(row, "state"));
	if (!cellad_row_is_vm(row)) {
		json_decref(row);
		return cellad_reply_error(
			r, MHD_HTTP_BAD_REQUEST,
			"instance '%s' is a container: its console is its log (GET "
			"/1.0/instances/%s/console, "
			"cella console --show-log); for a shell use an interactive exec (cella exec -t)",
			r->arg, r->arg);
	}
	if (state == NULL || (strcmp(state, "Running") != 0 && strcmp(state, "Frozen") != 0)) {
		cella_error_make(&err, 0, "vm '%s' is %s: only a running VM has a console to attach to",
				 r->arg, state ? state : "in no known state");
		json_decref(row);
		return cellad_reply_err(r, MHD_HTTP_BAD_REQUEST, &err);
	}
	json_decref(row);
	if (cellad_exec_tty_new(d, secret, &err) < 0)
		return cellad_reply_err(r, 500, &err);
	snprintf(url, sizeof(url), "/1.0/instances/%s", r->arg);
	pthread_mutex_lock(&d->lock);
	rc = cellad_op_submit_thread_locked(d, "Showing console", json_pack("{s:[s]}", "instances", url),
					    json_pack("{s:{s:s}}", "fds", "0", secret),
					    json_pack("{s:s, s:s}", "name", r->arg, "secret", secret),
					    op_console, &op, &err);
	if (rc == 0)
		cellad_exec_tty_bind(secret, json_string_value(json_object_get(op, "id")));
	pthread_mutex_unlock(&d->lock);
	if (rc < 0) {
		cellad_exec_tty_drop(secret);
		return cellad_reply_err(r, 500, &err);
	}
	return cellad_reply_async(r, op);
}
