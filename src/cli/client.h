/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_CLI_CLIENT_H
#define CELLA_CLI_CLIENT_H

/*
 * The verbs that talk to cellad: a small HTTP/1.0 client on its unix socket
 * and the Incus response envelope (sync replies, async operations waited for,
 * errors with the daemon's own message).
 */
#include <jansson.h>
#include <stdbool.h>

#include <cella/error.h>

#include "cli.h"
#include "progress.h"

#define CELLA_CLIENT_DEFAULT_SOCKET "/run/cella/cella.sock"

/* The socket to use: option (--socket) if given, else $CELLA_SOCKET, else the default. */
const char *cella_client_socket(const char *option);

/* Names that go into a URL path as they are: 1-128 of [A-Za-z0-9._-], not "." or "..". */
bool cella_client_name_ok(const char *name);

/* One request. body may be NULL; upload_path streams a file as the body instead. *doc = reply JSON. */
int cella_client_request(const char *socket, const char *method, const char *path, const char *content_type,
			 const char *body, const char *upload_path, const char *extra_header, int *status,
			 json_t **doc, cella_err_t *err);
/* GET path as raw bytes (logs, console): *text malloc'd and NUL-terminated, *len its length. */
int cella_client_get_text(const char *socket, const char *path, char **text, size_t *len, cella_err_t *err);
/* A request answered synchronously: *metadata (new reference, may be NULL). body may be NULL. */
int cella_client_sync(const char *socket, const char *method, const char *path, json_t *body,
		      json_t **metadata, cella_err_t *err);
/* Waits (bounded) for an async reply's operation and fails with its error; *op (may be NULL) = the
 * finished operation. */
int cella_client_wait(const char *socket, json_t *reply, json_t **op, cella_err_t *err);
/* As cella_client_wait, showing the operation's progress (may be NULL) as it goes. */
int cella_client_wait_progress(const char *socket, json_t *reply, json_t **op,
			       struct cella_progress *progress, cella_err_t *err);
/* As cella_client_async, with progress (may be NULL). */
int cella_client_async_progress(const char *socket, const char *method, const char *path, json_t *body,
				json_t **op, struct cella_progress *progress, cella_err_t *err);
/* A connected socket to cellad (timeouts set), or -1 with an error saying how to fix it. */
int cella_client_connect(const char *socket, cella_err_t *err);
/* GET path as an HTTP upgrade to protocol: *fd is the raw connection (no receive timeout) once cellad
 * answered 101; a refusal becomes *err with cellad's message. */
int cella_client_upgrade(const char *socket, const char *path, const char *protocol, int *fd,
			 cella_err_t *err);
/* GET path into the file dest (written beside it, renamed into place when complete). */
int cella_client_download(const char *socket, const char *path, const char *dest, cella_err_t *err);
/* An image alias or fingerprint prefix as the fingerprint path segment: *fp malloc'd. */
int cella_client_image_fingerprint(const char *socket, const char *image, char **fp, cella_err_t *err);
/* A progress display on stderr for `what` (a bar when stderr is a terminal). */
void cella_client_progress_init(struct cella_progress *p, const char *what);
/* A request answered with an operation, waited for. body may be NULL. */
int cella_client_async(const char *socket, const char *method, const char *path, json_t *body, json_t **op,
		       cella_err_t *err);

/* The instance-state verbs share one implementation: PUT /1.0/instances/NAME/state {"action": action}. */
int cella_cli_state_verb(const struct cella_cli_verb *verb, const char *action, int argc, char **argv,
			 cella_err_t *err);

extern const struct cella_cli_verb cella_cli_verb_config;
extern const struct cella_cli_verb cella_cli_verb_console;
extern const struct cella_cli_verb cella_cli_verb_info;
extern const struct cella_cli_verb cella_cli_verb_logs;
extern const struct cella_cli_verb cella_cli_verb_network;
extern const struct cella_cli_verb cella_cli_verb_delete;
extern const struct cella_cli_verb cella_cli_verb_exec;
extern const struct cella_cli_verb cella_cli_verb_image;
extern const struct cella_cli_verb cella_cli_verb_launch;
extern const struct cella_cli_verb cella_cli_verb_list;
extern const struct cella_cli_verb cella_cli_verb_snapshot;
extern const struct cella_cli_verb cella_cli_verb_pause;
extern const struct cella_cli_verb cella_cli_verb_restart;
extern const struct cella_cli_verb cella_cli_verb_resume;
extern const struct cella_cli_verb cella_cli_verb_start;
extern const struct cella_cli_verb cella_cli_verb_stop;

#endif
