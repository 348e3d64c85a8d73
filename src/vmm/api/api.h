/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_API_H
#define CELLA_VMM_API_H

/*
 * The VMM control API: HTTP/1.1 + JSON over a unix socket, Firecracker style,
 * served by one dedicated thread. The VMM supplies the operations; the API
 * only parses, routes and answers. Routes:
 *   GET  /          {"name":"cella-vmm","version":...}
 *   GET  /vm        ops->describe()
 *   PUT  /vm/state  {"state":"paused"|"running"|"shutdown"|"force-shutdown"} -> 204
 *   PUT  /vm/snapshot {"path":DIR, "type":"full"|"diff", "resume":bool} -> 204
 *                   (type defaults to full, resume to true; docs/snapshots.md)
 *   GET  /vm/devices      ops->devices()
 *   GET  /vm/devices/ID   ops->device()
 *   PATCH /vm/devices/ID  {"rate_limiter": {...}} -> ops->update_device() -> 204
 */
#include <jansson.h>
#include <stdbool.h>

#include <cella/error.h>

struct vmm_api;

struct vmm_api_ops {
	/* New reference: {"state":..., "config":{...}}. */
	json_t *(*describe)(void *opaque);
	/* On failure set err; cella_error_set_status(err, 4xx) picks the HTTP status (default 500). */
	int (*set_state)(void *opaque, const char *state, cella_err_t *err);
	/* Snapshot into path; returns when it is committed (or failed). NULL: 404 on the route. */
	int (*snapshot)(void *opaque, const char *path, bool diff, bool resume, cella_err_t *err);
	/*
	 * The devices (api/devices.h has cella-vmm's). NULL: 404 on the routes.
	 * devices(): new reference, an array. device(): one, or NULL with err
	 * (status 404 when id names none). update_device(): changes is the
	 * parsed body; all or nothing; err's status picks the HTTP status.
	 */
	json_t *(*devices)(void *opaque);
	json_t *(*device)(void *opaque, const char *id, cella_err_t *err);
	int (*update_device)(void *opaque, const char *id, const json_t *changes, cella_err_t *err);
};

int vmm_api__start(const char *socket_path, const struct vmm_api_ops *ops, void *opaque, struct vmm_api **out,
		   cella_err_t *err);
/* Stops the thread, closes every connection, unlinks the socket. Safe on NULL. */
void vmm_api__stop(struct vmm_api *api);
/*
 * A listening unix socket at path (non-blocking, close-on-exec, created 0600: only its owner may use it),
 * replacing a stale socket file a dead process left; errors name what ("api socket").
 */
int vmm_api__listen_unix(const char *path, const char *what, cella_err_t *err);

#endif
