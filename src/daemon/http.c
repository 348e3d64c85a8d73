// SPDX-License-Identifier: GPL-2.0-or-later
/* libmicrohttpd glue: the socket, the SO_PEERCRED check, body collection, routing (upgrades allowed:
 * an interactive exec's stream). */
#include "http.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "util.h"

/* Idle connections are closed after this many seconds (event streams send keep-alives). */
#define CONNECTION_TIMEOUT_S 120
/* One thread per connection: bound them (waits and event streams hold theirs). */
#define MAX_CONNECTIONS 256

bool cellad_peer_allowed(struct cellad *d, uid_t uid, gid_t gid, char **why)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	gid_t groups[256];
	int n = 256;

	*why = NULL;
	if (uid == 0)
		return true;
	if (d->have_group) {
		if (gid == d->group)
			return true;
		if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res != NULL &&
		    getgrouplist(pw.pw_name, pw.pw_gid, groups, &n) >= 0) {
			for (int i = 0; i < n; i++)
				if (groups[i] == d->group)
					return true;
		}
	}
	if (asprintf(why,
		     "access denied: uid %u is neither root nor a member of group '%s'%s (add the user to "
		     "that group)",
		     (unsigned)uid, CELLAD_GROUP,
		     d->have_group ? "" : " (which does not exist on this host)") < 0)
		*why = NULL;
	return false;
}

bool cellad_route_match(const char *pattern, const char *url, char *arg, size_t arg_size)
{
	return cellad_route_match2(pattern, url, arg, NULL, arg_size);
}

bool cellad_route_match2(const char *pattern, const char *url, char *arg, char *arg2, size_t arg_size)
{
	int stars = 0;

	while (*pattern && *url) {
		if (*pattern == '*') {
			size_t len = strcspn(url, "/");
			char *out = stars++ == 0 || arg2 == NULL ? arg : arg2;

			if (len == 0 || len >= arg_size)
				return false;
			memcpy(out, url, len);
			out[len] = '\0';
			url += len;
			pattern++;
			continue;
		}
		if (*pattern != *url)
			return false;
		pattern++;
		url++;
	}
	/* A trailing slash is tolerated ("/1.0/instances/"). */
	if (*pattern == '\0' && url[0] == '/' && url[1] == '\0')
		return true;
	return *pattern == '\0' && *url == '\0';
}

static enum MHD_Result dispatch(struct cellad_request *r)
{
	bool path_known = false;

	if (r->early_status)
		return cellad_reply_error(r, (unsigned)r->early_status, "%s", r->early_error);
	for (size_t i = 0; i < cellad_n_routes; i++) {
		char arg[sizeof(r->arg)], arg2[sizeof(r->arg2)] = "";

		if (!cellad_route_match2(cellad_routes[i].pattern, r->url, arg, arg2, sizeof(arg)))
			continue;
		path_known = true;
		if (strcmp(cellad_routes[i].method, r->method) != 0)
			continue;
		memcpy(r->arg, arg, sizeof(arg));
		memcpy(r->arg2, arg2, sizeof(arg2));
		return cellad_routes[i].handler(r);
	}
	if (path_known)
		return cellad_reply_error(r, MHD_HTTP_METHOD_NOT_ALLOWED, "%s %s: method not allowed",
					  r->method, r->url);
	return cellad_reply_error(r, MHD_HTTP_NOT_FOUND, "%s: no such endpoint", r->url);
}

static void set_early(struct cellad_request *r, int status, char *msg)
{
	if (r->early_status)
		return free(msg);
	r->early_status = status;
	r->early_error = msg ? msg : strdup("request refused");
}

/* First call for a request: check the peer and decide where the body goes. */
static struct cellad_request *request_new(struct cellad *d, struct MHD_Connection *conn, const char *url,
					  const char *method)
{
	struct cellad_request *r = calloc(1, sizeof(*r));
	const union MHD_ConnectionInfo *info;
	struct ucred cred;
	socklen_t len = sizeof(cred);
	const char *ctype;
	char *why = NULL;

	if (r == NULL)
		return NULL;
	r->d = d;
	r->conn = conn;
	r->url = url;
	r->method = method;
	r->upload_fd = -1;
	info = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (info == NULL || getsockopt(info->connect_fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
		set_early(r, MHD_HTTP_FORBIDDEN,
			  strdup("access denied: cannot identify the caller (SO_PEERCRED)"));
		return r;
	}
	if (!cellad_peer_allowed(d, cred.uid, cred.gid, &why)) {
		set_early(r, MHD_HTTP_FORBIDDEN, why);
		return r;
	}
	/* POST /1.0/images with anything but JSON is a raw tarball: spooled to a file, never to memory. */
	ctype = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (strcmp(method, "POST") == 0 && strcmp(url, "/1.0/images") == 0 &&
	    (ctype == NULL || strncmp(ctype, "application/json", 16) != 0)) {
		r->raw_upload = true;
		if (asprintf(&r->upload_path, "%s/upload-XXXXXX", d->tmp_dir) < 0) {
			r->upload_path = NULL;
			set_early(r, MHD_HTTP_INTERNAL_SERVER_ERROR, strdup("out of memory"));
			return r;
		}
		r->upload_fd = mkostemp(r->upload_path, O_CLOEXEC);
		if (r->upload_fd < 0) {
			char *msg = NULL;

			if (asprintf(&msg, "image upload: cannot create '%s': %s", r->upload_path,
				     strerror(errno)) < 0)
				msg = NULL;
			free(r->upload_path);
			r->upload_path = NULL;
			set_early(r, MHD_HTTP_INTERNAL_SERVER_ERROR, msg);
		}
	}
	return r;
}

static void request_body(struct cellad_request *r, const char *data, size_t size)
{
	char *msg = NULL;

	if (r->early_status)
		return; /* discard: the request is answered with its error */
	if (r->raw_upload) {
		if (r->upload_len + size > CELLAD_MAX_UPLOAD) {
			if (asprintf(&msg, "image upload: larger than the limit of %llu bytes",
				     CELLAD_MAX_UPLOAD) < 0)
				msg = NULL;
			set_early(r, MHD_HTTP_CONTENT_TOO_LARGE, msg);
			return;
		}
		for (size_t done = 0; done < size;) {
			ssize_t n = write(r->upload_fd, data + done, size - done);

			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0) {
				if (asprintf(&msg, "image upload: write '%s': %s", r->upload_path,
					     strerror(errno)) < 0)
					msg = NULL;
				set_early(r, MHD_HTTP_INSUFFICIENT_STORAGE, msg);
				return;
			}
			done += (size_t)n;
		}
		r->upload_len += size;
		return;
	}
	if (r->body_len + size > CELLAD_MAX_JSON_BODY) {
		if (asprintf(&msg, "request body: larger than the limit of %d bytes", CELLAD_MAX_JSON_BODY) <
		    0)
			msg = NULL;
		set_early(r, MHD_HTTP_CONTENT_TOO_LARGE, msg);
		return;
	}
	{
		char *grown = realloc(r->body, r->body_len + size + 1);

		if (grown == NULL) {
			set_early(r, MHD_HTTP_INTERNAL_SERVER_ERROR, strdup("out of memory"));
			return;
		}
		r->body = grown;
		memcpy(r->body + r->body_len, data, size);
		r->body_len += size;
		r->body[r->body_len] = '\0';
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload_data, size_t *upload_data_size,
				  void **con_cls)
{
	struct cellad_request *r = *con_cls;

	if (r == NULL) {
		r = request_new(cls, conn, url, method);
		if (r == NULL)
			return MHD_NO;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		request_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->dispatched)
		return MHD_YES;
	return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct cellad_request *r = *con_cls;

	if (r == NULL)
		return;
	if (r->release)
		r->release(r->release_arg);
	if (r->upload_fd >= 0)
		close(r->upload_fd);
	if (r->upload_path) {
		unlink(r->upload_path);
		free(r->upload_path);
	}
	free(r->body);
	free(r->early_error);
	free(r);
	*con_cls = NULL;
}

static int bind_socket(struct cellad *d, cella_err_t *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_free_ char *dir = NULL;
	_cleanup_close_ int fd = -1;
	char *slash;

	if (strlen(d->socket_path) >= sizeof(addr.sun_path))
		return cella_error_make(err, ENAMETOOLONG, "--socket '%s': path longer than %zu bytes",
					d->socket_path, sizeof(addr.sun_path) - 1);
	dir = strdup(d->socket_path);
	if (dir && (slash = strrchr(dir, '/')) && slash != dir) {
		*slash = '\0';
		if (cellad_mkdir_p(dir, 0755, err) < 0)
			return cella_error_wrap(err, "--socket");
	}
	strcpy(addr.sun_path, d->socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cella_error_sys(err, "socket");
	/* A stale socket from a killed cellad is replaced; the lock on the root proves no cellad owns it. */
	if (unlink(d->socket_path) < 0 && errno != ENOENT)
		return cella_error_sys(err, "--socket '%s': remove the stale socket", d->socket_path);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0)
		return cella_error_sys(err, "--socket '%s': bind", d->socket_path);
	if (chown(d->socket_path, 0, d->have_group ? d->group : 0) < 0 || chmod(d->socket_path, 0660) < 0)
		return cella_error_sys(err, "--socket '%s': set owner and mode 0660", d->socket_path);
	if (listen(fd, 64) < 0)
		return cella_error_sys(err, "--socket '%s': listen", d->socket_path);
	return steal_fd(&fd);
}

int cellad_http_start(struct cellad *d, struct MHD_Daemon **out, cella_err_t *err)
{
	struct group grp, *res = NULL;
	char buf[4096];
	struct MHD_Daemon *mhd;
	int fd;

	if (getgrnam_r(CELLAD_GROUP, &grp, buf, sizeof(buf), &res) == 0 && res != NULL) {
		d->have_group = true;
		d->group = grp.gr_gid;
	}
	fd = bind_socket(d, err);
	if (fd < 0)
		return -1;
	mhd = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_ALLOW_UPGRADE, 0, NULL,
		NULL, on_request, d, MHD_OPTION_LISTEN_SOCKET, fd, MHD_OPTION_NOTIFY_COMPLETED, on_completed,
		d, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)CONNECTION_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT,
		(unsigned)MAX_CONNECTIONS, MHD_OPTION_END);
	if (mhd == NULL) {
		close(fd);
		unlink(d->socket_path);
		return cella_error_make(err, 0, "--socket '%s': cannot start the HTTP server",
					d->socket_path);
	}
	*out = mhd;
	return 0;
}

void cellad_http_stop(struct MHD_Daemon *mhd)
{
	if (mhd)
		MHD_stop_daemon(mhd);
}
