// SPDX-License-Identifier: GPL-2.0-or-later
/* The control API server thread: accepts connections, parses, routes, answers. */
#include "api/api.h"
#include "api/http.h"
#include "api/seccomp.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#define API_MAX_CONNECTIONS 8
#define API_READ_TIMEOUT_MS 5000
#define API_BUFFER	    (VMM_HTTP_MAX_HEAD + VMM_HTTP_MAX_BODY + 8)

struct api_conn {
	int fd;
	size_t used;
	long long deadline_ms; /* a request must arrive whole before this */
	char *buf;
};

struct vmm_api {
	int listen_fd;
	int stop_fd; /* eventfd: written by vmm_api__stop */
	char *path;
	const struct vmm_api_ops *ops;
	void *opaque;
	pthread_t thread;
	struct api_conn conns[API_MAX_CONNECTIONS];
};

/*
 * A route: path matched exactly, or with a trailing '/' as a prefix whose
 * remainder (one path segment: the resource id) the handler gets as id.
 */
struct api_route {
	const char *path;
	const char *method;
	int (*handle)(struct vmm_api *api, const struct vmm_http_request *req, const char *id, json_t **resp,
		      cella_err_t *err);
};

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The request's JSON body (new reference; duplicate keys refused) or NULL with the error located. */
static json_t *parse_body(const struct vmm_http_request *req, cella_err_t *err)
{
	json_error_t jerr;
	json_t *body =
		json_loadb(req->body ? req->body : "", req->content_length, JSON_REJECT_DUPLICATES, &jerr);

	if (body == NULL)
		cella_error_make(err, 0, "request body: invalid JSON at line %d column %d: %s", jerr.line,
				 jerr.column, jerr.text);
	return body;
}

static int route_root(struct vmm_api *api, const struct vmm_http_request *req, const char *id, json_t **resp,
		      cella_err_t *err)
{
	*resp = json_pack("{s:s, s:s}", "name", "cella-vmm", "version", CELLA_VERSION);
	return 200;
}

static int route_get_vm(struct vmm_api *api, const struct vmm_http_request *req, const char *id,
			json_t **resp, cella_err_t *err)
{
	*resp = api->ops->describe(api->opaque);
	return *resp ? 200 : 500;
}

static int route_put_state(struct vmm_api *api, const struct vmm_http_request *req, const char *id,
			   json_t **resp, cella_err_t *err)
{
	static const char *const states[] = {"paused", "running", "shutdown", "force-shutdown"};
	_cleanup_free_ char *unused = NULL;
	json_t *body, *state;
	const char *s;
	int status = 400;

	body = parse_body(req, err);
	if (body == NULL)
		return 400;
	state = json_object_get(body, "state");
	if (!json_is_string(state)) {
		cella_error_make(
			err, 0,
			"request body: state: expected one of paused, running, shutdown, force-shutdown");
		goto out;
	}
	s = json_string_value(state);
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		if (strcmp(s, states[i]) == 0) {
			if (api->ops->set_state(api->opaque, s, err) < 0) {
				status = cella_error_status(*err) >= 400 ? cella_error_status(*err) : 500;
				goto out;
			}
			status = 204;
			goto out;
		}
	}
	cella_error_make(err, 0,
			 "request body: state: '%s' is not one of paused, running, shutdown, force-shutdown",
			 s);
out:
	json_decref(body);
	return status;
}

static int route_put_snapshot(struct vmm_api *api, const struct vmm_http_request *req, const char *id,
			      json_t **resp, cella_err_t *err)
{
	json_t *body, *v;
	const char *path, *type = "full";
	bool resume = true;
	int status = 400;

	if (!api->ops->snapshot) {
		cella_error_make(err, 0, "this VMM cannot take snapshots");
		return 404;
	}
	body = parse_body(req, err);
	if (body == NULL)
		return 400;
	if (!json_is_object(body)) {
		cella_error_make(err, 0, "request body: expected an object {\"path\": ..., \"type\": ...}");
		goto out;
	}
	json_object_foreach (body, path, v) {
		if (strcmp(path, "path") != 0 && strcmp(path, "type") != 0 && strcmp(path, "resume") != 0) {
			cella_error_make(err, 0, "request body: %s: unknown field (path, type, resume)",
					 path);
			goto out;
		}
	}
	v = json_object_get(body, "path");
	if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 4000 ||
	    strlen(json_string_value(v)) != json_string_length(v)) {
		cella_error_make(err, 0,
				 "request body: path: expected the snapshot directory (a non-empty string)");
		goto out;
	}
	path = json_string_value(v);
	v = json_object_get(body, "type");
	if (v && (!json_is_string(v) ||
		  (strcmp(json_string_value(v), "full") != 0 && strcmp(json_string_value(v), "diff") != 0))) {
		cella_error_make(err, 0, "request body: type: expected \"full\" or \"diff\"");
		goto out;
	}
	if (v)
		type = json_string_value(v);
	v = json_object_get(body, "resume");
	if (v && !json_is_boolean(v)) {
		cella_error_make(err, 0, "request body: resume: expected true or false");
		goto out;
	}
	if (v)
		resume = json_is_true(v);
	if (api->ops->snapshot(api->opaque, path, strcmp(type, "diff") == 0, resume, err) < 0) {
		status = cella_error_status(*err) >= 400 ? cella_error_status(*err) : 500;
		goto out;
	}
	status = 204;
out:
	json_decref(body);
	return status;
}

/* An error's own status when it set one in range, else the given one. */
static int error_status(cella_err_t err, int otherwise)
{
	int st = err ? cella_error_status(err) : 0;

	return st >= 400 && st < 600 ? st : otherwise;
}

static int route_get_devices(struct vmm_api *api, const struct vmm_http_request *req, const char *id,
			     json_t **resp, cella_err_t *err)
{
	if (!api->ops->devices) {
		cella_error_make(err, 0, "this VMM does not list its devices");
		return 404;
	}
	*resp = api->ops->devices(api->opaque);
	return *resp ? 200 : 500;
}

static int route_get_device(struct vmm_api *api, const struct vmm_http_request *req, const char *id,
			    json_t **resp, cella_err_t *err)
{
	if (!api->ops->device) {
		cella_error_make(err, 0, "this VMM does not describe its devices");
		return 404;
	}
	*resp = api->ops->device(api->opaque, id, err);
	return *resp ? 200 : error_status(*err, 500);
}

/* PATCH /vm/devices/ID {"rate_limiter": {...}}: the body's fields are checked by the device. */
static int route_patch_device(struct vmm_api *api, const struct vmm_http_request *req, const char *id,
			      json_t **resp, cella_err_t *err)
{
	json_t *body;
	int status;

	if (!api->ops->update_device) {
		cella_error_make(err, 0, "this VMM cannot update devices");
		return 404;
	}
	body = parse_body(req, err);
	if (body == NULL)
		return 400;
	status = api->ops->update_device(api->opaque, id, body, err) < 0 ? error_status(*err, 500) : 204;
	json_decref(body);
	return status;
}

static const struct api_route api_routes[] = {
	{"/", "GET", route_root},
	{"/vm", "GET", route_get_vm},
	{"/vm/state", "PUT", route_put_state},
	{"/vm/snapshot", "PUT", route_put_snapshot},
	{"/vm/devices", "GET", route_get_devices},
	{"/vm/devices/", "GET", route_get_device},
	{"/vm/devices/", "PATCH", route_patch_device},
};

/* Device ids (vdev id=): letters, digits, '-', '_', '.', at most 31 characters. */
static bool valid_id(const char *id)
{
	size_t n = strlen(id);

	if (n == 0 || n > 31)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = id[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

/* Whether route r serves path; *id receives the id part of a prefix route. */
static bool route_matches(const struct api_route *r, const char *path, const char **id)
{
	size_t n = strlen(r->path);

	*id = NULL;
	if (r->path[n - 1] != '/' || n == 1)
		return strcmp(r->path, path) == 0;
	if (strncmp(r->path, path, n) != 0 || !valid_id(path + n))
		return false;
	*id = path + n;
	return true;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int send_response(int fd, int status, json_t *body, const char *allow, bool keep_alive)
{
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	_cleanup_free_ char *head = NULL;
	size_t blen = text ? strlen(text) + 1 : 0; /* body ends with a newline */
	int n;

	n = asprintf(&head, "HTTP/1.1 %d %s\r\nServer: cella-vmm\r\n%s%s%s%sContent-Length: %zu\r\n%s\r\n",
		     status, vmm_http__reason(status), text ? "Content-Type: application/json\r\n" : "",
		     allow ? "Allow: " : "", allow ? allow : "", allow ? "\r\n" : "", blen,
		     keep_alive ? "" : "Connection: close\r\n");
	if (n < 0 || write_all(fd, head, (size_t)n) < 0)
		return -1;
	if (text && (write_all(fd, text, blen - 1) < 0 || write_all(fd, "\n", 1) < 0))
		return -1;
	return 0;
}

static int send_error(int fd, int status, const char *msg, const char *allow, bool keep_alive)
{
	json_t *body = json_pack("{s:s}", "error", msg ? msg : vmm_http__reason(status));
	int r = send_response(fd, status, body, allow, keep_alive);

	json_decref(body);
	return r;
}

/* Routes one parsed request and answers it. Returns -1 when the connection must close. */
static int api_dispatch(struct vmm_api *api, int fd, const struct vmm_http_request *req)
{
	char path[sizeof(req->path)], allow[64] = "";
	const struct api_route *match = NULL;
	const char *id = NULL, *rid;
	bool path_known = false;
	char *q;

	snprintf(path, sizeof(path), "%s", req->path);
	q = strchr(path, '?');
	if (q)
		*q = '\0';
	for (size_t i = 0; i < sizeof(api_routes) / sizeof(api_routes[0]); i++) {
		if (!route_matches(&api_routes[i], path, &rid))
			continue;
		path_known = true;
		snprintf(allow + strlen(allow), sizeof(allow) - strlen(allow), "%s%s", allow[0] ? ", " : "",
			 api_routes[i].method);
		if (strcmp(api_routes[i].method, req->method) == 0) {
			match = &api_routes[i];
			id = rid;
		}
	}
	if (match == NULL) {
		char msg[sizeof(path) + 64];

		if (path_known) {
			snprintf(msg, sizeof(msg), "%s %s: method not allowed", req->method, path);
			return send_error(fd, 405, msg, allow, req->keep_alive);
		}
		snprintf(msg, sizeof(msg), "%s: no such resource", path);
		return send_error(fd, 404, msg, NULL, req->keep_alive);
	}

	_cleanup_error_ cella_err_t err = NULL;
	json_t *resp = NULL;
	int status = match->handle(api, req, id, &resp, &err);
	int r;

	if (status >= 400)
		r = send_error(fd, status, err ? cella_error_string(err) : NULL, NULL, req->keep_alive);
	else
		r = send_response(fd, status, status == 204 ? NULL : resp, NULL, req->keep_alive);
	json_decref(resp);
	return r < 0 || !req->keep_alive ? -1 : 0;
}

static void conn_close(struct api_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->buf);
	c->buf = NULL;
	c->fd = -1;
	c->used = 0;
}

/* Reads what is there and serves every complete request. Returns -1 to close. */
static int conn_service(struct vmm_api *api, struct api_conn *c)
{
	ssize_t n = recv(c->fd, c->buf + c->used, API_BUFFER - c->used, MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	c->used += (size_t)n;
	for (;;) {
		struct vmm_http_request req;
		const char *why;
		long used = vmm_http__parse(c->buf, c->used, &req, &why);

		if (used < 0) {
			send_error(c->fd, (int)-used, why, NULL, false);
			return -1;
		}
		if (used == 0)
			return 0;
		if (api_dispatch(api, c->fd, &req) < 0)
			return -1;
		memmove(c->buf, c->buf + used, c->used - (size_t)used);
		c->used -= (size_t)used;
		c->deadline_ms = now_ms() + API_READ_TIMEOUT_MS;
	}
}

static void api_accept(struct vmm_api *api)
{
	int fd = accept4(api->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (int i = 0; i < API_MAX_CONNECTIONS; i++) {
		struct api_conn *c = &api->conns[i];

		if (c->fd >= 0)
			continue;
		c->buf = malloc(API_BUFFER);
		if (c->buf == NULL)
			break;
		c->fd = fd;
		c->used = 0;
		c->deadline_ms = now_ms() + API_READ_TIMEOUT_MS;
		return;
	}
	send_error(fd, 503, "too many connections", NULL, false);
	close(fd);
}

static void *api_thread(void *arg)
{
	struct vmm_api *api = arg;
	_cleanup_error_ cella_err_t err = NULL;

	if (vmm_seccomp__install(VMM_THREAD_API, &err) < 0)
		fprintf(stderr, "cella-vmm: api: %s\n", cella_error_string(err));
	for (;;) {
		struct pollfd pfd[API_MAX_CONNECTIONS + 2];
		int idx[API_MAX_CONNECTIONS];
		nfds_t n = 2;
		long long now = now_ms(), wait_ms = -1;

		pfd[0] = (struct pollfd){.fd = api->stop_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = api->listen_fd, .events = POLLIN};
		for (int i = 0; i < API_MAX_CONNECTIONS; i++) {
			struct api_conn *c = &api->conns[i];

			if (c->fd < 0)
				continue;
			if (c->used > 0 && now >= c->deadline_ms) {
				send_error(c->fd, 408, "request not completed in time", NULL, false);
				conn_close(c);
				continue;
			}
			if (c->used > 0 && (wait_ms < 0 || c->deadline_ms - now < wait_ms))
				wait_ms = c->deadline_ms - now;
			idx[n - 2] = i;
			pfd[n++] = (struct pollfd){.fd = c->fd, .events = POLLIN};
		}
		if (poll(pfd, n, (int)wait_ms) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents)
			break;
		for (nfds_t k = 2; k < n; k++) {
			struct api_conn *c = &api->conns[idx[k - 2]];

			if (pfd[k].revents && conn_service(api, c) < 0)
				conn_close(c);
		}
		if (pfd[1].revents & POLLIN)
			api_accept(api);
	}
	return NULL;
}

/* A socket file left by a dead VMM may be replaced; a live one may not. */
static int api_clear_stale(const char *path, const char *what, cella_err_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : cella_error_sys(err, "%s '%s'", what, path);
	if (!S_ISSOCK(st.st_mode))
		return cella_error_make(err, EEXIST, "%s '%s': exists and is not a socket", what, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cella_error_sys(err, "socket");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
		return cella_error_make(err, EADDRINUSE, "%s '%s': another process is listening on it", what,
					path);
	if (errno != ECONNREFUSED)
		return cella_error_sys(err, "%s '%s'", what, path);
	if (unlink(path) < 0)
		return cella_error_sys(err, "remove stale %s '%s'", what, path);
	return 0;
}

int vmm_api__listen_unix(const char *path, const char *what, cella_err_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1;
	mode_t old_mask;
	int r;

	if (strlen(path) >= sizeof(sa.sun_path))
		return cella_error_make(err, ENAMETOOLONG, "%s '%s': path longer than %zu bytes", what, path,
					sizeof(sa.sun_path) - 1);
	if (api_clear_stale(path, what, err) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return cella_error_sys(err, "socket");
	memcpy(sa.sun_path, path, strlen(path) + 1);
	old_mask = umask(0177); /* the socket is created 0600: only its owner may drive the VM */
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (r < 0)
		return cella_error_sys(err, "bind %s '%s'", what, path);
	if (listen(fd, 16) < 0)
		return cella_error_sys(err, "listen on %s '%s'", what, path);
	return steal_fd(&fd);
}

int vmm_api__start(const char *socket_path, const struct vmm_api_ops *ops, void *opaque, struct vmm_api **out,
		   cella_err_t *err)
{
	struct vmm_api *api = calloc(1, sizeof(*api));
	int r;

	if (api == NULL)
		return cella_error_make(err, ENOMEM, "api: out of memory");
	/* jansson seeds its hash function from /dev/urandom on first use; do it here,
	 * before the API thread's seccomp filter forbids opening files. */
	json_object_seed(0);
	api->ops = ops;
	api->opaque = opaque;
	api->stop_fd = -1;
	for (int i = 0; i < API_MAX_CONNECTIONS; i++)
		api->conns[i].fd = -1;
	api->listen_fd = vmm_api__listen_unix(socket_path, "api socket", err);
	if (api->listen_fd < 0) {
		free(api);
		return -1;
	}
	api->path = strdup(socket_path);
	api->stop_fd = eventfd(0, EFD_CLOEXEC);
	if (api->path == NULL || api->stop_fd < 0) {
		r = cella_error_sys(err, "api: set-up");
		goto fail;
	}
	r = pthread_create(&api->thread, NULL, api_thread, api);
	if (r != 0) {
		errno = r;
		r = cella_error_sys(err, "api: start thread");
		goto fail;
	}
	*out = api;
	return 0;
fail:
	unlink(socket_path);
	close(api->listen_fd);
	if (api->stop_fd >= 0)
		close(api->stop_fd);
	free(api->path);
	free(api);
	return r;
}

void vmm_api__stop(struct vmm_api *api)
{
	uint64_t one = 1;

	if (api == NULL)
		return;
	if (write(api->stop_fd, &one, sizeof(one)) != sizeof(one))
		fprintf(stderr, "cella-vmm: api: cannot signal the API thread to stop\n");
	pthread_join(api->thread, NULL);
	for (int i = 0; i < API_MAX_CONNECTIONS; i++)
		conn_close(&api->conns[i]);
	close(api->listen_fd);
	close(api->stop_fd);
	unlink(api->path);
	free(api->path);
	free(api);
}
