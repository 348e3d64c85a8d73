// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * `cella exec` interactive: the command runs on a terminal in the container; this end attaches to its
 * stream (stream_attach.c).
 */
#include "exec_tty.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "client.h"
#include "stream_attach.h"

/* POST .../exec with "interactive": the async reply (its operation carries the stream's secret). */
static int start(const char *socket, const char *name, json_t *cmd, json_t *env, json_t **reply,
		 cella_err_t *err)
{
	unsigned cols, rows;
	_cleanup_free_ char *text = NULL;
	json_t *body =
		json_pack("{s:O, s:o, s:b}", "command", cmd, "environment", json_copy(env), "interactive", 1);
	const char *term = getenv("TERM");
	char path[512];
	int status;

	/* The command draws for this terminal (as incus exec passes it), unless --env says otherwise. */
	if (term && term[0] && json_object_get(env, "TERM") == NULL)
		json_object_set_new(json_object_get(body, "environment"), "TERM", json_string(term));

	if (cella_cli_window_size(&cols, &rows)) {
		json_object_set_new(body, "width", json_integer(cols));
		json_object_set_new(body, "height", json_integer(rows));
	}
	text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (text == NULL)
		return cella_error_make(err, ENOMEM, "exec");
	snprintf(path, sizeof(path), "/1.0/instances/%s/exec", name);
	if (cella_client_request(socket, "POST", path, NULL, text, NULL, NULL, &status, reply, err) < 0)
		return -1;
	if (status != 202) {
		int ret = cella_error_make(err, 0, "%s",
					   json_string_value(json_object_get(*reply, "error"))
						   ?: "cellad refused the exec");

		json_decref(*reply);
		*reply = NULL;
		return ret;
	}
	return 0;
}

int cella_cli_exec_tty(const char *socket, const char *name, json_t *cmd, json_t *env, cella_err_t *err)
{
	json_t *reply = NULL, *op = NULL;
	int ret;

	if (start(socket, name, cmd, env, &reply, err) < 0)
		return -1;
	ret = cella_cli_stream_attach(socket, reply, false, &op, err);
	json_decref(reply);
	if (ret < 0)
		return -1;
	/* The operation holds the command's status. */
	ret = (int)json_integer_value(json_object_get(json_object_get(op, "metadata"), "return"));
	json_decref(op);
	return ret;
}
