// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * A minimal HTTP/1.1 client for cella-vmm's control socket: one request per
 * connection (Connection: close), bounded by a send/receive timeout so a
 * stuck VMM never blocks the worker for long.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "vm.h"

#define VM_API_TIMEOUT_S 5
#define VM_API_MAX_REPLY (256 * 1024)

static int connect_unix(const char *path, cella_err_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	struct timeval tv = {VM_API_TIMEOUT_S, 0};
	int fd;

	if (strlen(path) >= sizeof(sa.sun_path))
		return cella_error_make(err, ENAMETOOLONG, "VMM socket '%s': path longer than %zu bytes",
					path, sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cella_error_sys(err, "socket");
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int ret = cella_error_sys(err, "connect to the VMM at '%s'", path);

		close(fd);
		return ret;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len, cella_err_t *err)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return cella_error_sys(err, "send to the VMM");
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int cellad_vm_api(const char *socket_path, const char *method, const char *path, const char *json_body,
		  int *status, char **body, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *req = NULL, *reply = NULL;
	size_t len = 0, cap = 0;
	const char *sep;
	int n;

	*status = 0;
	if (body)
		*body = NULL;
	fd = connect_unix(socket_path, err);
	if (fd < 0)
		return -1;
	n = asprintf(&req,
		     "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Type: "
		     "application/json\r\nContent-Length: %zu\r\n\r\n%s",
		     method, path, json_body ? strlen(json_body) : 0, json_body ? json_body : "");
	if (n < 0)
		return cella_error_make(err, ENOMEM, "VMM request");
	if (send_all(fd, req, (size_t)n, err) < 0)
		return -1;
	for (;;) {
		ssize_t got;

		if (cap - len < 4096) {
			char *bigger;

			if (cap >= VM_API_MAX_REPLY)
				return cella_error_make(err, EMSGSIZE, "VMM reply larger than %d bytes",
							VM_API_MAX_REPLY);
			bigger = realloc(reply, cap + 8192);
			if (bigger == NULL)
				return cella_error_make(err, ENOMEM, "VMM reply");
			reply = bigger;
			cap += 8192;
		}
		got = recv(fd, reply + len, cap - len - 1, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			return cella_error_sys(err, "read the VMM's reply on '%s'", socket_path);
		if (got == 0)
			break;
		len += (size_t)got;
	}
	if (reply == NULL)
		return cella_error_make(err, EPROTO, "the VMM at '%s' closed the connection without a reply",
					socket_path);
	reply[len] = '\0';
	if (sscanf(reply, "HTTP/1.%*1[01] %3d", status) != 1)
		return cella_error_make(err, EPROTO, "the VMM at '%s' sent a malformed status line",
					socket_path);
	sep = strstr(reply, "\r\n\r\n");
	if (body && sep && (*body = strdup(sep + 4)) == NULL)
		return cella_error_make(err, ENOMEM, "VMM reply");
	return 0;
}
