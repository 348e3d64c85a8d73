// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * console-recv: the receiving end of an OCI runtime's --console-socket, for
 * tests that have no terminal of their own (what conmon and containerd's shim
 * do, minus everything else).
 *
 *   console-recv [--timeout SECONDS] [--input TEXT] SOCKET
 *
 * Creates the unix socket SOCKET (atomically: bound under a temporary name,
 * listening, then renamed, so a client never sees a socket that refuses it),
 * accepts one connection, takes the pty master passed with SCM_RIGHTS, writes
 * TEXT to it if given, and copies everything the container writes to stdout
 * until the pty hangs up (every slave end closed). The socket is removed on
 * exit. Exit status: 0 after a hangup, 124 on timeout (default 30 s), 1 on
 * error; messages go to stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static const char *socket_path;

static void remove_socket(void)
{
	if (socket_path)
		unlink(socket_path);
}

static int die(const char *what)
{
	fprintf(stderr, "console-recv: %s: %s\n", what, strerror(errno));
	return 1;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left until @deadline for poll(); 0 once it passed. */
static int left_ms(long long deadline)
{
	long long left = deadline - now_ms();

	return left < 0 ? 0 : (int)left;
}

static int listen_on(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char tmp[sizeof(addr.sun_path)];
	int fd;

	if (snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid()) >= (int)sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(addr.sun_path, tmp);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1) < 0 ||
	    rename(tmp, path) < 0) {
		int e = errno;

		unlink(tmp);
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int receive_master(int conn)
{
	char name[256];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = name, .iov_len = sizeof(name)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;
	ssize_t n;
	int fd;

	do
		n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (cmsg == NULL || cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS ||
	    cmsg->cmsg_len != CMSG_LEN(sizeof(int))) {
		errno = EPROTO;
		return -1;
	}
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Copies master -> stdout until hangup (EIO/POLLHUP): 0, timeout: 124, error: 1. */
static int relay(int master, long long deadline)
{
	char buf[4096];

	for (;;) {
		struct pollfd p = {.fd = master, .events = POLLIN};
		int r = poll(&p, 1, left_ms(deadline));
		ssize_t n;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return die("poll");
		if (r == 0) {
			fprintf(stderr,
				"console-recv: timed out waiting for the container's terminal to close\n");
			return 124;
		}
		n = read(master, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (n < 0 && errno == EIO))
			return 0; /* every slave end closed: the container is done */
		if (n < 0)
			return die("read from pty master");
		if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
			return die("write to stdout");
	}
}

int main(int argc, char **argv)
{
	const char *input = NULL;
	long long deadline;
	int timeout_s = 30, listener, conn, master, i, r;
	struct pollfd p;

	for (i = 1; i < argc - 1 && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc - 1)
			timeout_s = atoi(argv[++i]);
		else if (strcmp(argv[i], "--input") == 0 && i + 1 < argc - 1)
			input = argv[++i];
		else
			break;
	}
	if (i != argc - 1 || timeout_s <= 0) {
		fprintf(stderr, "usage: console-recv [--timeout SECONDS] [--input TEXT] SOCKET\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	deadline = now_ms() + (long long)timeout_s * 1000;
	listener = listen_on(argv[i]);
	if (listener < 0)
		return die(argv[i]);
	socket_path = argv[i];
	atexit(remove_socket);

	p = (struct pollfd){.fd = listener, .events = POLLIN};
	do
		r = poll(&p, 1, left_ms(deadline));
	while (r < 0 && errno == EINTR);
	if (r == 0) {
		fprintf(stderr, "console-recv: timed out waiting for the runtime to connect\n");
		return 124;
	}
	conn = r < 0 ? -1 : accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return die("accept");
	master = receive_master(conn);
	if (master < 0)
		return die("receive the pty master");
	close(conn);
	close(listener);
	if (input && write_all(master, input, strlen(input)) < 0)
		return die("write to pty master");
	r = relay(master, deadline);
	close(master);
	return r;
}
