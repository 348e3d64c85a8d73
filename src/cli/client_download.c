// SPDX-License-Identifier: GPL-2.0-or-later
/* Replies too large for memory (image export) streamed into a file; image names to fingerprints. */
#include "client.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cella/cleanup.h>

/* The status line and headers must fit in this much (it is also the streaming buffer). */
#define MAX_HEAD (16 << 10)

static int write_all(int fd, const char *data, size_t len, const char *path, cella_err_t *err)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "write '%s'", path);
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads until the end of the headers; *body = what came after them in buf. */
static int read_head(int fd, char *buf, size_t cap, size_t *used, char **body, cella_err_t *err)
{
	*used = 0;
	for (;;) {
		char *end;
		ssize_t n;

		if (*used + 1 >= cap)
			return cella_error_make(err, EPROTO, "cellad's reply headers are too long");
		n = recv(fd, buf + *used, cap - 1 - *used, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "read cellad's reply");
		if (n == 0)
			return cella_error_make(err, EPROTO, "cellad closed the connection before its reply");
		*used += (size_t)n;
		buf[*used] = '\0';
		end = strstr(buf, "\r\n\r\n");
		if (end) {
			*body = end + 4;
			return 0;
		}
	}
}

/* An error reply: its JSON message (the rest of the body is small). */
static int reply_error(int fd, char *buf, size_t cap, size_t used, char *body, int status, cella_err_t *err)
{
	size_t len = used - (size_t)(body - buf);
	json_t *doc;
	int ret;

	memmove(buf, body, len);
	while (len + 1 < cap) {
		ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	doc = json_loadb(buf, len, 0, NULL);
	ret = cella_error_make(err, 0, "%s",
			       json_string_value(json_object_get(doc, "error"))
				       ?: "cellad refused the download");
	(void)status;
	json_decref(doc);
	return ret;
}

static long long content_length(const char *head)
{
	for (const char *p = strstr(head, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
		if (strncasecmp(p + 2, "Content-Length:", 15) == 0)
			return strtoll(p + 17, NULL, 10);
	}
	return -1;
}

static int stream_body(int fd, int out, const char *tmp, char *buf, size_t cap, char *body, size_t have,
		       long long expected, cella_err_t *err)
{
	unsigned long long total = have;

	if (write_all(out, body, have, tmp, err) < 0)
		return -1;
	for (;;) {
		ssize_t n = recv(fd, buf, cap, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return cella_error_sys(err, "read cellad's reply");
		if (n == 0)
			break;
		if (write_all(out, buf, (size_t)n, tmp, err) < 0)
			return -1;
		total += (unsigned long long)n;
	}
	if (expected >= 0 && total != (unsigned long long)expected)
		return cella_error_make(err, EPROTO, "the download ended after %llu of %lld bytes", total,
					expected);
	if (fsync(out) < 0)
		return cella_error_sys(err, "fsync '%s'", tmp);
	return 0;
}

int cella_client_download(const char *socket_path, const char *path, const char *dest, cella_err_t *err)
{
	_cleanup_close_ int fd = -1, out = -1;
	_cleanup_free_ char *head = NULL, *tmp = NULL;
	char buf[MAX_HEAD], *body = NULL;
	size_t used = 0;
	int status = 0, ret;

	if (asprintf(&head, "GET %s HTTP/1.0\r\nHost: cella\r\nUser-Agent: cella/%s\r\n\r\n", path,
		     CELLA_VERSION) < 0 ||
	    asprintf(&tmp, "%s.partial", dest) < 0)
		return cella_error_make(err, ENOMEM, "download");
	fd = cella_client_connect(socket_path, err);
	if (fd < 0)
		return -1;
	if (send(fd, head, strlen(head), MSG_NOSIGNAL) != (ssize_t)strlen(head))
		return cella_error_sys(err, "send the request to cellad");
	if (read_head(fd, buf, MAX_HEAD, &used, &body, err) < 0)
		return -1;
	if (sscanf(buf, "HTTP/%*d.%*d %d", &status) != 1)
		return cella_error_make(err, EPROTO, "cellad's reply is not HTTP");
	if (status != 200)
		return reply_error(fd, buf, MAX_HEAD, used, body, status, err);
	body[-4] = '\0'; /* the headers alone, for Content-Length */
	/* O_EXCL: a leftover or a planted link at the temporary name is refused, never followed. */
	out = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (out < 0)
		return cella_error_sys(err, "create '%s'", tmp);
	ret = stream_body(fd, out, tmp, buf, MAX_HEAD, body, used - (size_t)(body - buf), content_length(buf),
			  err);
	if (ret == 0 && rename(tmp, dest) < 0)
		ret = cella_error_sys(err, "rename '%s' to '%s'", tmp, dest);
	if (ret < 0)
		unlink(tmp);
	return ret;
}

int cella_client_image_fingerprint(const char *socket_path, const char *image, char **fp, cella_err_t *err)
{
	json_t *meta = NULL;
	cella_err_t ignore = NULL;
	char path[512];
	const char *found;

	if (!cella_client_name_ok(image))
		return cella_error_make(err, 0, "invalid image name '%s'", image);
	snprintf(path, sizeof(path), "/1.0/images/aliases/%s", image);
	if (cella_client_sync(socket_path, "GET", path, NULL, &meta, &ignore) == 0 &&
	    json_string_value(json_object_get(meta, "target"))) {
		*fp = strdup(json_string_value(json_object_get(meta, "target")));
		json_decref(meta);
		return *fp ? 0 : cella_error_make(err, ENOMEM, "image");
	}
	cella_error_release(&ignore);
	json_decref(meta);
	meta = NULL;
	/* Not an alias: a fingerprint or its prefix, which cellad resolves. */
	snprintf(path, sizeof(path), "/1.0/images/%s", image);
	if (cella_client_sync(socket_path, "GET", path, NULL, &meta, err) < 0)
		return cella_error_wrap(err, "image '%s'", image);
	found = json_string_value(json_object_get(meta, "fingerprint"));
	*fp = found ? strdup(found) : NULL;
	json_decref(meta);
	return *fp ? 0
		   : cella_error_make(err, EPROTO, "image '%s': cellad's reply has no fingerprint", image);
}

void cella_client_progress_init(struct cella_progress *p, const char *what)
{
	cella_progress_init(p, stderr, isatty(STDERR_FILENO), what);
}
