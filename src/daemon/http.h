/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_HTTP_H
#define CELLAD_HTTP_H

/*
 * The REST front end: libmicrohttpd on the unix socket, one thread per
 * connection (so /wait and /events may block), the caller checked with
 * SO_PEERCRED before anything is read, and Incus' response envelope.
 */
#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

#include "daemon.h"

/* JSON request bodies above this are refused with 413. */
#define CELLAD_MAX_JSON_BODY (1 << 20)
/* Raw image uploads above this are refused with 413. */
#define CELLAD_MAX_UPLOAD (8ULL << 30)

struct cellad_request {
	struct cellad *d;
	struct MHD_Connection *conn;
	const char *method, *url;
	char arg[256];	/* the URL segment matched by the first '*' in the route */
	char arg2[256]; /* ... and by the second (e.g. /1.0/instances/NAME/logs/FILE) */
	/* JSON body (NUL-terminated) or, for raw uploads, a temporary file */
	char *body;
	size_t body_len;
	bool raw_upload;
	int upload_fd;
	char *upload_path; /* unlinked when the request ends unless a handler takes it (steal_pointer) */
	unsigned long long upload_len;
	/* an error found while receiving (refused peer, body too large): answered instead of routing */
	int early_status;
	char *early_error;
	bool dispatched;
	/* Called when the request ends, unless its handler took it back first: what it holds for a
	 * response that may never be delivered (an upgrade whose 101 could not be sent). */
	void (*release)(void *arg);
	void *release_arg;
};

typedef enum MHD_Result (*cellad_handler)(struct cellad_request *r);

struct cellad_route {
	const char *method;
	const char *pattern; /* "/1.0/instances/ *" style, one '*' segment at most */
	cellad_handler handler;
};
extern const struct cellad_route cellad_routes[];
extern const size_t cellad_n_routes;

/* Matches url against a route pattern; the '*' segment (1..arg_size-1 bytes, no '/') goes to arg. */
bool cellad_route_match(const char *pattern, const char *url, char *arg, size_t arg_size);
/* As cellad_route_match with up to two '*' segments: the second goes to arg2 (same size). */
bool cellad_route_match2(const char *pattern, const char *url, char *arg, char *arg2, size_t arg_size);

/* Binds the socket (mode 0660, group cella when it exists) and starts serving. */
int cellad_http_start(struct cellad *d, struct MHD_Daemon **out, cella_err_t *err);
void cellad_http_stop(struct MHD_Daemon *mhd);

/* The caller's uid may use the API: root or a member of group cella. *why (malloc'd) says why not. */
bool cellad_peer_allowed(struct cellad *d, uid_t uid, gid_t gid, char **why);

/* Replies (each queues a response and returns MHD's result). The json_t arguments are stolen. */
enum MHD_Result cellad_reply_sync(struct cellad_request *r, unsigned status, json_t *metadata);
enum MHD_Result cellad_reply_async(struct cellad_request *r, json_t *operation);
enum MHD_Result cellad_reply_error(struct cellad_request *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* An error reply whose message is err's (which is released). */
enum MHD_Result cellad_reply_err(struct cellad_request *r, unsigned status, cella_err_t *err);
enum MHD_Result cellad_reply_text(struct cellad_request *r, unsigned status, const char *content_type,
				  char *text);
/* Parses the JSON body; on failure replies 400 itself and returns NULL (with *result set). */
json_t *cellad_request_json(struct cellad_request *r, enum MHD_Result *result);
/* A query-string argument or NULL. */
const char *cellad_request_query(struct cellad_request *r, const char *key);

/* Handlers (api_*.c). */
enum MHD_Result cellad_api_root(struct cellad_request *r);
enum MHD_Result cellad_api_server(struct cellad_request *r);
enum MHD_Result cellad_api_images_list(struct cellad_request *r);
enum MHD_Result cellad_api_images_post(struct cellad_request *r);
enum MHD_Result cellad_api_image_get(struct cellad_request *r);
enum MHD_Result cellad_api_image_delete(struct cellad_request *r);
enum MHD_Result cellad_api_aliases_list(struct cellad_request *r);
enum MHD_Result cellad_api_aliases_post(struct cellad_request *r);
enum MHD_Result cellad_api_alias_get(struct cellad_request *r);
enum MHD_Result cellad_api_alias_delete(struct cellad_request *r);
enum MHD_Result cellad_api_instances_list(struct cellad_request *r);
enum MHD_Result cellad_api_instances_post(struct cellad_request *r);
enum MHD_Result cellad_api_instance_get(struct cellad_request *r);
enum MHD_Result cellad_api_instance_delete(struct cellad_request *r);
enum MHD_Result cellad_api_instance_state_get(struct cellad_request *r);
enum MHD_Result cellad_api_instance_state_put(struct cellad_request *r);
enum MHD_Result cellad_api_instance_exec(struct cellad_request *r);
enum MHD_Result cellad_api_instance_console(struct cellad_request *r);
enum MHD_Result cellad_api_instance_console_attach(struct cellad_request *r);
enum MHD_Result cellad_api_instance_logs_list(struct cellad_request *r);
enum MHD_Result cellad_api_instance_log_get(struct cellad_request *r);
enum MHD_Result cellad_api_operations_list(struct cellad_request *r);
enum MHD_Result cellad_api_operation_get(struct cellad_request *r);
enum MHD_Result cellad_api_operation_wait(struct cellad_request *r);
enum MHD_Result cellad_api_operation_stream(struct cellad_request *r);
enum MHD_Result cellad_api_operation_control(struct cellad_request *r);
enum MHD_Result cellad_api_events(struct cellad_request *r);
enum MHD_Result cellad_api_metrics(struct cellad_request *r);
enum MHD_Result cellad_api_networks_list(struct cellad_request *r);
enum MHD_Result cellad_api_network_get(struct cellad_request *r);
enum MHD_Result cellad_api_instance_put(struct cellad_request *r);
enum MHD_Result cellad_api_snapshots_list(struct cellad_request *r);
enum MHD_Result cellad_api_snapshots_post(struct cellad_request *r);
enum MHD_Result cellad_api_snapshot_get(struct cellad_request *r);
enum MHD_Result cellad_api_snapshot_delete(struct cellad_request *r);

#endif
