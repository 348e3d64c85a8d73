// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * POST /1.0/instances/NAME/exec: a command in a running container (the
 * runtime's exec: every namespace and the cgroup of its init), as an
 * operation. With record-output its stdout and stderr go to
 * instances/NAME/logs/exec_<op>.stdout|.stderr, served under /logs; the exit
 * status lands in the operation's metadata ("return"), as Incus reports it.
 * With "interactive" it runs on a terminal a client attaches to instead (exec_tty.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/container.h"
#include "exec_tty.h"
#include "http.h"
#include "instances.h"
#include "operations.h"
#include "start_helper.h"
#include "util.h"

#define EXEC_MAX_ARGS 256
#define EXEC_MAX_ENV  256

static enum MHD_Result bad(struct cellad_request *r, json_t *body, const char *msg)
{
	json_decref(body);
	return cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s", msg);
}

/* A terminal dimension: absent, or 1..65535. */
static bool size_valid(json_t *v)
{
	return v == NULL ||
	       (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= 65535);
}

static bool env_key_valid(const char *key)
{
	return key[0] != '\0' && strchr(key, '=') == NULL && strlen(key) < 256;
}

/* The interactive variant: a session with its secret, the operation on its own thread (it lasts as long
 * as its user wants), the secret in its metadata as Incus gives its websockets'. body is stolen. */
static enum MHD_Result submit_interactive(struct cellad_request *r, json_t *body, json_t *cmd, json_t *env,
					  const char *cwd)
{
	char secret[CELLAD_EXEC_SECRET_LEN + 1], url[320];
	cella_err_t err = NULL;
	json_t *args, *op = NULL;
	int rc;

	if (cellad_exec_tty_new(r->d, secret, &err) < 0) {
		json_decref(body);
		return cellad_reply_err(r, 500, &err);
	}
	args = json_pack("{s:s, s:O, s:o, s:s?, s:O?, s:O?, s:s}", "name", r->arg, "command", cmd,
			 "environment", env ? json_incref(env) : json_object(), "cwd", cwd, "width",
			 json_object_get(body, "width"), "height", json_object_get(body, "height"), "secret",
			 secret);
	json_decref(body);
	snprintf(url, sizeof(url), "/1.0/instances/%s", r->arg);
	pthread_mutex_lock(&r->d->lock);
	rc = cellad_op_submit_thread_locked(r->d, "Executing command", json_pack("{s:[s]}", "instances", url),
					    json_pack("{s:{s:s}}", "fds", "0", secret), args,
					    cellad_op_instance_exec_tty, &op, &err);
	if (rc == 0)
		cellad_exec_tty_bind(secret, json_string_value(json_object_get(op, "id")));
	pthread_mutex_unlock(&r->d->lock);
	if (rc < 0) {
		cellad_exec_tty_drop(secret);
		return cellad_reply_err(r, 500, &err);
	}
	return cellad_reply_async(r, op);
}

enum MHD_Result cellad_api_instance_exec(struct cellad_request *r)
{
	static const char *const known[] = {"command",	     "environment", "wait-for-websocket",
					    "record-output", "interactive", "cwd",
					    "width",	     "height"};
	enum MHD_Result ret;
	bool interactive;
	json_t *body = cellad_request_json(r, &ret), *cmd, *env, *v, *row = NULL, *args, *op = NULL;
	const char *key, *state, *type, *cwd;
	cella_err_t err = NULL;
	char url[320];
	size_t i;

	if (body == NULL)
		return ret;
	json_object_foreach (body, key, v) {
		bool ok = false;

		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			ok = ok || strcmp(key, known[i]) == 0;
		if (!ok) {
			/* key lives in body: answer before letting it go. */
			ret = cellad_reply_error(r, MHD_HTTP_BAD_REQUEST, "%s: unknown field", key);
			json_decref(body);
			return ret;
		}
	}
	cmd = json_object_get(body, "command");
	if (!json_is_array(cmd) || json_array_size(cmd) == 0 || json_array_size(cmd) > EXEC_MAX_ARGS)
		return bad(r, body, "command: expected an array of 1 to 256 strings, e.g. [\"ls\", \"/\"]");
	json_array_foreach (cmd, i, v)
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v))
			return bad(r, body, "command: every element must be a string without NUL bytes");
	if (json_string_length(json_array_get(cmd, 0)) == 0)
		return bad(r, body, "command[0]: the program may not be empty");
	env = json_object_get(body, "environment");
	if (env && (!json_is_object(env) || json_object_size(env) > EXEC_MAX_ENV))
		return bad(r, body,
			   "environment: expected an object of at most 256 \"NAME\": \"value\" strings");
	json_object_foreach (env, key, v)
		if (!env_key_valid(key) || !json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return bad(r, body,
				   "environment: names must be non-empty without '=', values strings");
	if (json_is_true(json_object_get(body, "wait-for-websocket"))) {
		json_decref(body);
		return cellad_reply_error(
			r, MHD_HTTP_NOT_IMPLEMENTED,
			"wait-for-websocket: websockets are not supported; use \"interactive\": "
			"true (a raw stream) or \"record-output\": true");
	}
	interactive = json_is_true(json_object_get(body, "interactive"));
	if (interactive && json_is_true(json_object_get(body, "record-output")))
		return bad(
			r, body,
			"interactive, record-output: not both (an interactive command's output goes to its "
			"stream)");
	if (!size_valid(json_object_get(body, "width")) || !size_valid(json_object_get(body, "height")))
		return bad(r, body, "width, height: expected integers from 1 to 65535 (the terminal's size)");
	if (!interactive && (json_object_get(body, "width") || json_object_get(body, "height")))
		return bad(r, body, "width, height: only with \"interactive\": true");
	if ((json_object_get(body, "width") == NULL) != (json_object_get(body, "height") == NULL))
		return bad(r, body, "width, height: give both or neither");
	cwd = json_string_value(json_object_get(body, "cwd"));
	if (json_object_get(body, "cwd") && (cwd == NULL || cwd[0] != '/'))
		return bad(r, body, "cwd: expected an absolute path inside the container");
	pthread_mutex_lock(&r->d->lock);
	if (cellad_db_query_one(r->d->db, "SELECT type, state FROM instances WHERE name = ?",
				DB_ARGS(DB_TEXT(r->arg)), &row, &err) < 0)
		cella_error_release(&err);
	pthread_mutex_unlock(&r->d->lock);
	if (row == NULL) {
		json_decref(body);
		return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "instance '%s' not found", r->arg);
	}
	state = json_string_value(json_object_get(row, "state"));
	type = json_string_value(json_object_get(row, "type"));
	if (strcmp(type, "container") != 0 || strcmp(state, "Running") != 0) {
		ret = cellad_reply_error(
			r, MHD_HTTP_BAD_REQUEST,
			strcmp(type, "container") != 0
				? "instance '%s': exec needs a container (a vm has no guest agent)"
				: "instance '%s' is %s: exec needs it Running",
			r->arg, state);
		json_decref(row);
		json_decref(body);
		return ret;
	}
	json_decref(row);
	if (interactive)
		return submit_interactive(r, body, cmd, env, cwd);
	args = json_pack("{s:s, s:O, s:o, s:b, s:s?}", "name", r->arg, "command", cmd, "environment",
			 env ? json_incref(env) : json_object(), "record",
			 json_is_true(json_object_get(body, "record-output")), "cwd", cwd);
	json_decref(body);
	snprintf(url, sizeof(url), "/1.0/instances/%s", r->arg);
	pthread_mutex_lock(&r->d->lock);
	if (cellad_op_submit_locked(r->d, "Executing command", json_pack("{s:[s]}", "instances", url), args,
				    cellad_op_instance_exec, &op, &err) < 0) {
		pthread_mutex_unlock(&r->d->lock);
		return cellad_reply_err(r, 500, &err);
	}
	pthread_mutex_unlock(&r->d->lock);
	return cellad_reply_async(r, op);
}

json_t *cellad_exec_process(struct cellad *d, json_t *args, bool terminal, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(args, "name")), *key;
	json_t *config = NULL, *process, *env, *v;

	if (cella_container_config(d->runtime_root, name, &config, err) < 0)
		return NULL;
	process = json_deep_copy(json_object_get(config, "process"));
	json_decref(config);
	if (!json_is_object(process)) {
		json_decref(process);
		process = json_object();
	}
	json_object_set(process, "args", json_object_get(args, "command"));
	json_object_set_new(process, "terminal", json_boolean(terminal));
	json_object_del(process, "consoleSize");
	if (terminal && json_object_get(args, "width") && json_object_get(args, "height"))
		json_object_set_new(process, "consoleSize",
				    json_pack("{s:O, s:O}", "width", json_object_get(args, "width"), "height",
					      json_object_get(args, "height")));
	if (json_object_get(args, "cwd"))
		json_object_set(process, "cwd", json_object_get(args, "cwd"));
	env = json_object_get(process, "env");
	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(process, "env", env);
	}
	json_object_foreach (json_object_get(args, "environment"), key, v) {
		char *kv = NULL;

		if (asprintf(&kv, "%s=%s", key, json_string_value(v)) < 0) {
			json_decref(process);
			cella_error_make(err, ENOMEM, "exec");
			return NULL;
		}
		json_array_append_new(env, json_string(kv));
		free(kv);
	}
	return process;
}

static int open_log(const char *path, cella_err_t *err)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);

	if (fd < 0)
		return cella_error_sys(err, "create '%s'", path);
	return fd;
}

/* args: {"name", "command", "environment", "record", "cwd"?} */
int cellad_op_instance_exec(struct cellad *d, struct cellad_op *op, cella_err_t *err)
{
	const char *name = json_string_value(json_object_get(op->args, "name"));
	bool record = json_is_true(json_object_get(op->args, "record"));
	_cleanup_free_ char *logs = NULL, *out_path = NULL, *err_path = NULL;
	_cleanup_close_ int out_fd = -1, err_fd = -1;
	json_t *process, *meta;
	int status = 0, r;

	if (asprintf(&logs, "%s/%s/logs", d->instances_dir, name) < 0 ||
	    asprintf(&out_path, "%s/exec_%s.stdout", logs, op->id) < 0 ||
	    asprintf(&err_path, "%s/exec_%s.stderr", logs, op->id) < 0)
		return cella_error_make(err, ENOMEM, "exec");
	if (record &&
	    ((mkdir(logs, 0700) < 0 && errno != EEXIST && cella_error_sys(err, "mkdir '%s'", logs) < 0) ||
	     (out_fd = open_log(out_path, err)) < 0 || (err_fd = open_log(err_path, err)) < 0))
		return cella_error_wrap(err, "exec in '%s'", name);
	process = cellad_exec_process(d, op->args, false, err);
	if (process == NULL)
		return cella_error_wrap(err, "exec in '%s'", name);
	/* A fresh image of cellad runs the exec (start_helper.h: never a bare fork of this multithreaded
	 * daemon). */
	r = cellad_exec_helper_run(d->runtime_root, name, process, out_fd, err_fd, &status, err);
	json_decref(process);
	if (r < 0)
		return cella_error_wrap(err, "exec in '%s'", name);
	meta = json_pack("{s:i}", "return", status);
	if (record) {
		char url1[512], url2[512];

		snprintf(url1, sizeof(url1), "/1.0/instances/%s/logs/exec_%s.stdout", name, op->id);
		snprintf(url2, sizeof(url2), "/1.0/instances/%s/logs/exec_%s.stderr", name, op->id);
		json_object_set_new(meta, "output", json_pack("{s:s, s:s}", "1", url1, "2", url2));
	}
	cellad_op_set_metadata(d, op, meta);
	return 0;
}
