// SPDX-License-Identifier: GPL-2.0-or-later
/* HTTP/1.0 over cellad's unix socket, and the response envelope. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

/* A reply that takes longer than this is given up (the daemon answers waits within their timeout). */
#define RECV_TIMEOUT_S 120
/* An operation waited for longer than this fails the command (it keeps running in cellad). */
#define OPERATION_MAX_S 3600
/* Replies above this are refused: a client trusts nothing either. */
#define MAX_REPLY (64 << 20)

const char *cella_client_socket(const char *option)
{
	const char *env = getenv("CELLA_SOCKET");

	if (option)
		return option;
	return env && env[0] ? env : CELLA_CLIENT_DEFAULT_SOCKET;
}

bool cella_client_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > 128 || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

static int connect_daemon(const char *socket_path, cella_err_t *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	struct timeval tv = {RECV_TIMEOUT_S, 0};
	int fd;

	if (strlen(socket_path) >= sizeof(addr.sun_path))
		return cella_error_make(err, ENAMETOOLONG, "socket path '%s' is too long", socket_path);
	strcpy(addr.sun_path, socket_path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cella_error_sys(err, "socket");
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		int e = errno;

		close(fd);
		if (e == EACCES)
			return cella_error_make(
				err, e,
				"cannot reach cellad at '%s' (only root and members of group 'cella' "
				"may)",
				socket_path);
		return cella_error_make(
			err, e,
			"cannot reach cellad at '%s' (is it running? --socket or CELLA_SOCKET "
			"choose another socket)",
			socket_path);
	}
	return fd;
}

static int send_all(int fd, const char *data, size_t len, cella_err_t *err)
{
	while (len > 0) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "send the request to cellad");
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_file(int fd, const char *path, cella_err_t *err)
{
	_cleanup_close_ int in = open(path, O_RDONLY | O_CLOEXEC);
	char buf[1 << 16];

	if (in < 0)
		return cella_error_sys(err, "open '%s'", path);
	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "read '%s'", path);
		if (n == 0)
			return 0;
		if (send_all(fd, buf, (size_t)n, err) < 0)
			return -1;
	}
}

/* Reads until the daemon closes the connection (HTTP/1.0). */
static int read_reply(int fd, char **out, size_t *len, cella_err_t *err)
{
	size_t cap = 8192, used = 0;
	char *buf = malloc(cap);

	if (buf == NULL)
		return cella_error_make(err, ENOMEM, "reply");
	for (;;) {
		ssize_t n;

		if (used + 1 >= cap) {
			char *grown;

			if (cap >= MAX_REPLY) {
				free(buf);
				return cella_error_make(err, EFBIG, "cellad's reply is larger than %d bytes",
							MAX_REPLY);
			}
			grown = realloc(buf, cap * 2);
			if (grown == NULL) {
				free(buf);
				return cella_error_make(err, ENOMEM, "reply");
			}
			buf = grown;
			cap *= 2;
		}
		n = recv(fd, buf + used, cap - 1 - used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			free(buf);
			return cella_error_make(err, e, "read cellad's reply%s",
						e == EAGAIN ? " (no answer in time)" : "");
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	buf[used] = '\0';
	*out = buf;
	*len = used;
	return 0;
}

int cella_client_request(const char *socket_path, const char *method, const char *path,
			 const char *content_type, const char *body, const char *upload_path,
			 const char *extra_header, int *status, json_t **doc, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *head = NULL, *reply = NULL;
	unsigned long long length = body ? strlen(body) : 0;
	const char *payload;
	json_error_t jerr;
	size_t reply_len;
	struct stat st;

	if (upload_path) {
		if (stat(upload_path, &st) < 0)
			return cella_error_sys(err, "'%s'", upload_path);
		length = (unsigned long long)st.st_size;
	}
	if (asprintf(&head,
		     "%s %s HTTP/1.0\r\nHost: cella\r\nUser-Agent: cella/%s\r\nContent-Type: %s\r\n"
		     "Content-Length: %llu\r\n%s%s\r\n",
		     method, path, CELLA_VERSION, content_type ? content_type : "application/json", length,
		     extra_header ? extra_header : "", extra_header ? "\r\n" : "") < 0)
		return cella_error_make(err, ENOMEM, "request");
	fd = connect_daemon(socket_path, err);
	if (fd < 0 || send_all(fd, head, strlen(head), err) < 0 ||
	    (body && send_all(fd, body, strlen(body), err) < 0) ||
	    (upload_path && send_file(fd, upload_path, err) < 0) ||
	    read_reply(fd, &reply, &reply_len, err) < 0)
		return -1;
	if (reply == NULL || sscanf(reply, "HTTP/%*d.%*d %d", status) != 1)
		return cella_error_make(err, EPROTO, "cellad's reply is not HTTP");
	payload = strstr(reply, "\r\n\r\n");
	if (payload == NULL)
		return cella_error_make(err, EPROTO, "cellad's reply has no body");
	payload += 4;
	*doc = json_loadb(payload, reply_len - (size_t)(payload - reply), 0, &jerr);
	if (*doc == NULL)
		return cella_error_make(err, EPROTO, "cellad's reply (HTTP %d) is not JSON: %s", *status,
					jerr.text);
	return 0;
}

int cella_client_get_text(const char *socket_path, const char *path, char **text, size_t *len,
			  cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *head = NULL, *reply = NULL;
	const char *payload;
	size_t reply_len;
	int status;

	if (asprintf(&head, "GET %s HTTP/1.0\r\nHost: cella\r\nUser-Agent: cella/%s\r\n\r\n", path,
		     CELLA_VERSION) < 0)
		return cella_error_make(err, ENOMEM, "request");
	fd = connect_daemon(socket_path, err);
	if (fd < 0 || send_all(fd, head, strlen(head), err) < 0 ||
	    read_reply(fd, &reply, &reply_len, err) < 0)
		return -1;
	if (reply == NULL || sscanf(reply, "HTTP/%*d.%*d %d", &status) != 1)
		return cella_error_make(err, EPROTO, "cellad's reply is not HTTP");
	payload = strstr(reply, "\r\n\r\n");
	if (payload == NULL)
		return cella_error_make(err, EPROTO, "cellad's reply has no body");
	payload += 4;
	*len = reply_len - (size_t)(payload - reply);
	if (status >= 400) {
		json_t *doc = json_loadb(payload, *len, 0, NULL);
		int ret = cella_error_make(
			err, 0, "%s", json_string_value(json_object_get(doc, "error")) ?: "cellad refused");

		json_decref(doc);
		return ret;
	}
	*text = malloc(*len + 1);
	if (*text == NULL)
		return cella_error_make(err, ENOMEM, "reply");
	memcpy(*text, payload, *len);
	(*text)[*len] = '\0';
	return 0;
}

/* An error envelope becomes *err with the daemon's message. */
static int check_envelope(json_t *doc, int status, cella_err_t *err)
{
	const char *type = json_string_value(json_object_get(doc, "type"));

	if (type && strcmp(type, "error") == 0)
		return cella_error_make(err, 0, "%s",
					json_string_value(json_object_get(doc, "error")) ?: "error");
	if (status >= 400)
		return cella_error_make(err, 0, "cellad answered HTTP %d", status);
	return 0;
}

static int request_json(const char *socket_path, const char *method, const char *path, json_t *body,
			int *status, json_t **doc, cella_err_t *err)
{
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;

	if (body && text == NULL)
		return cella_error_make(err, ENOMEM, "request");
	if (cella_client_request(socket_path, method, path, NULL, text, NULL, NULL, status, doc, err) < 0)
		return -1;
	if (check_envelope(*doc, *status, err) < 0) {
		json_decref(*doc);
		*doc = NULL;
		return -1;
	}
	return 0;
}

int cella_client_sync(const char *socket_path, const char *method, const char *path, json_t *body,
		      json_t **metadata, cella_err_t *err)
{
	json_t *doc = NULL;
	int status = 0;

	if (request_json(socket_path, method, path, body, &status, &doc, err) < 0)
		return -1;
	*metadata = json_incref(json_object_get(doc, "metadata"));
	json_decref(doc);
	return 0;
}

int cella_client_wait_progress(const char *socket_path, json_t *reply, json_t **op,
			       struct cella_progress *progress, cella_err_t *err)
{
	const char *url = json_string_value(json_object_get(reply, "operation"));
	time_t deadline = time(NULL) + OPERATION_MAX_S;
	char path[256];

	if (url == NULL || url[0] == '\0')
		return cella_error_make(err, EPROTO, "cellad's reply names no operation");
	/* A bar is redrawn every second; otherwise one long wait at a time. */
	snprintf(path, sizeof(path), "%s/wait?timeout=%d", url, progress && progress->tty ? 1 : 30);
	while (time(NULL) < deadline) {
		json_t *doc = NULL, *meta;
		const char *status;
		int code = 0;

		if (request_json(socket_path, "GET", path, NULL, &code, &doc, err) < 0)
			return -1;
		meta = json_object_get(doc, "metadata");
		status = json_string_value(json_object_get(meta, "status"));
		if (status && strcmp(status, "Success") == 0) {
			if (progress)
				cella_progress_done(progress, "done");
			if (op)
				*op = json_incref(meta);
			json_decref(doc);
			return 0;
		}
		if (status && (strcmp(status, "Failure") == 0 || strcmp(status, "Cancelled") == 0)) {
			int ret = cella_error_make(err, 0, "%s",
						   json_string_value(json_object_get(meta, "err")) ?: status);

			if (progress)
				cella_progress_done(progress, "failed");
			json_decref(doc);
			return ret;
		}
		if (progress)
			cella_progress_update(progress, meta);
		json_decref(doc);
	}
	if (progress)
		cella_progress_done(progress, "still running");
	return cella_error_make(err, ETIMEDOUT,
				"operation %s still running after %d s (it goes on in cellad)", url,
				OPERATION_MAX_S);
}

int cella_client_wait(const char *socket_path, json_t *reply, json_t **op, cella_err_t *err)
{
	return cella_client_wait_progress(socket_path, reply, op, NULL, err);
}

int cella_client_async_progress(const char *socket_path, const char *method, const char *path, json_t *body,
				json_t **op, struct cella_progress *progress, cella_err_t *err)
{
	json_t *doc = NULL;
	int status = 0, ret;

	if (request_json(socket_path, method, path, body, &status, &doc, err) < 0)
		return -1;
	ret = cella_client_wait_progress(socket_path, doc, op, progress, err);
	json_decref(doc);
	return ret;
}

int cella_client_async(const char *socket_path, const char *method, const char *path, json_t *body,
		       json_t **op, cella_err_t *err)
{
	json_t *doc = NULL;
	int status = 0, ret;

	if (request_json(socket_path, method, path, body, &status, &doc, err) < 0)
		return -1;
	ret = cella_client_wait(socket_path, doc, op, err);
	json_decref(doc);
	return ret;
}

int cella_client_connect(const char *socket_path, cella_err_t *err)
{
	return connect_daemon(socket_path, err);
}

/* The reply's header, byte by byte so that nothing after it is consumed (it is the stream's). */
static int read_head(int fd, char *head, size_t size, cella_err_t *err)
{
	size_t len = 0;

	while (len < 4 || memcmp(head + len - 4, "\r\n\r\n", 4) != 0) {
		ssize_t n;

		if (len + 1 >= size)
			return cella_error_make(err, EPROTO, "cellad's reply header is longer than %zu bytes",
						size - 1);
		n = recv(fd, head + len, 1, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "read cellad's reply");
		if (n == 0)
			return cella_error_make(err, EPROTO, "cellad closed the connection inside its reply");
		len++;
	}
	head[len] = '\0';
	return 0;
}

/* The error of a refused upgrade: its body (Content-Length bytes), cellad's message. */
static int upgrade_refused(int fd, const char *head, cella_err_t *err)
{
	const char *cl = strcasestr(head, "\r\nContent-Length:");
	size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0, got = 0;
	_cleanup_free_ char *body = NULL;
	json_t *doc;
	int ret;

	if (want > 1 << 20)
		want = 1 << 20;
	body = malloc(want + 1);
	if (body == NULL)
		return cella_error_make(err, ENOMEM, "reply");
	while (got < want) {
		ssize_t n = recv(fd, body + got, want - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	doc = json_loadb(body, got, 0, NULL);
	ret = cella_error_make(err, 0, "%s",
			       json_string_value(json_object_get(doc, "error"))
				       ?: "cellad refused the stream (no message)");
	json_decref(doc);
	return ret;
}

int cella_client_upgrade(const char *socket_path, const char *path, const char *protocol, int *fd_out,
			 cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *req = NULL;
	struct timeval none = {0, 0};
	char head[16384];
	int status;

	if (asprintf(&req,
		     "GET %s HTTP/1.1\r\nHost: cella\r\nUser-Agent: cella/%s\r\nConnection: Upgrade\r\n"
		     "Upgrade: %s\r\n\r\n",
		     path, CELLA_VERSION, protocol) < 0)
		return cella_error_make(err, ENOMEM, "request");
	fd = connect_daemon(socket_path, err);
	if (fd < 0 || send_all(fd, req, strlen(req), err) < 0 || read_head(fd, head, sizeof(head), err) < 0)
		return -1;
	if (sscanf(head, "HTTP/%*d.%*d %d", &status) != 1)
		return cella_error_make(err, EPROTO, "cellad's reply is not HTTP");
	if (status != 101)
		return upgrade_refused(fd, head, err);
	/* A stream is quiet as long as its user is: no receive timeout. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof(none));
	*fd_out = steal_fd(&fd);
	return 0;
}
