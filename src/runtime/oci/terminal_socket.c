// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * --console-socket: hand the pty master to whoever started the runtime (conmon,
 * containerd's shim) over a unix socket with SCM_RIGHTS, exactly as runc does,
 * so the same clients read it.
 */
#include "oci/terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cella/cleanup.h>

/* runc sends the master's file name as the message body; clients ignore or log it. */
#define MASTER_NAME "/dev/ptmx"

/*
 * Connects to @path. A path too long for sun_path (clients put sockets in deep
 * state directories) is reached through its directory opened O_PATH:
 * /proc/self/fd/N/name.
 */
static int connect_unix(const char *path, cella_err_t *err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	_cleanup_close_ int fd = -1, dirfd = -1;
	_cleanup_free_ char *dir = NULL;
	const char *slash, *base;
	int r;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cella_error_sys(err, "console socket %s: socket", path);
	if (strlen(path) < sizeof(addr.sun_path)) {
		memcpy(addr.sun_path, path, strlen(path) + 1);
	} else {
		slash = strrchr(path, '/');
		base = slash ? slash + 1 : path;
		dir = slash ? strndup(path, slash == path ? 1 : (size_t)(slash - path)) : strdup(".");
		if (dir == NULL)
			return cella_error_make(err, ENOMEM, "console socket %s", path);
		dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (dirfd < 0)
			return cella_error_sys(err, "console socket %s: cannot open its directory", path);
		r = snprintf(addr.sun_path, sizeof(addr.sun_path), "/proc/self/fd/%d/%s", dirfd, base);
		if (r < 0 || (size_t)r >= sizeof(addr.sun_path))
			return cella_error_make(err, ENAMETOOLONG, "console socket %s: file name too long",
						path);
	}
	while ((r = connect(fd, (struct sockaddr *)&addr, sizeof(addr))) < 0 && errno == EINTR)
		;
	if (r < 0)
		return cella_error_sys(err, "cannot connect to console socket %s", path);
	return steal_fd(&fd);
}

int cella_terminal_send_to_socket(const char *console_socket, int master, cella_err_t *err)
{
	_cleanup_close_ int fd = -1;
	char name[] = MASTER_NAME;
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name) - 1};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = control.buf,
		.msg_controllen = sizeof(control.buf),
	};
	struct cmsghdr *cmsg;
	ssize_t n;

	if (console_socket == NULL || console_socket[0] == '\0')
		return cella_error_make(err, EINVAL, "--console-socket: empty path");
	fd = connect_unix(console_socket, err);
	if (fd < 0)
		return fd;
	memset(&control, 0, sizeof(control));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &master, sizeof(int));
	while ((n = sendmsg(fd, &msg, MSG_NOSIGNAL)) < 0 && errno == EINTR)
		;
	if (n < 0)
		return cella_error_sys(err, "cannot send the pty master to console socket %s",
				       console_socket);
	return 0;
}
