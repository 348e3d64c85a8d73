// SPDX-License-Identifier: GPL-2.0-or-later
/* One-datagram messages with an optional fd (SCM_RIGHTS) between the runtime and the container init. */
#include "core/sync.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct sync_header {
	uint32_t type;
	uint32_t len;
};

int cella_sync_send(int sock, enum cella_sync_msg type, const char *text, int fd, cella_err_t *err)
{
	struct sync_header h = {.type = type, .len = text ? strnlen(text, CELLA_SYNC_TEXT_MAX) : 0};
	struct iovec iov[2] = {{&h, sizeof(h)}, {(void *)text, h.len}};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = h.len ? 2 : 1};

	if (fd >= 0) {
		struct cmsghdr *c;

		memset(&control, 0, sizeof(control));
		msg.msg_control = control.buf;
		msg.msg_controllen = sizeof(control.buf);
		c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	while (sendmsg(sock, &msg, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return cella_error_sys(err, "sync: send message %d", type);
	}
	return 0;
}

int cella_sync_recv(int sock, int *type, char *text, size_t text_size, int *fd, cella_err_t *err)
{
	char buf[sizeof(struct sync_header) + CELLA_SYNC_TEXT_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {buf, sizeof(buf)};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct sync_header h;
	/* A peer that exits with our last message unread (the init failing before it read GO) makes
	 * the kernel report ECONNRESET once, ahead of the datagrams it sent before: read on, they
	 * (its error message) or EOF follow. */
	int reset_seen = 0;
	ssize_t n;

	if (fd)
		*fd = -1;
	do
		n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	while (n < 0 && (errno == EINTR || (errno == ECONNRESET && !reset_seen++)));
	if (n < 0)
		return cella_error_sys(err, "sync: receive");
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int got;

			memcpy(&got, CMSG_DATA(c), sizeof(int));
			if (fd)
				*fd = got;
			else
				close(got);
		}
	}
	if (n == 0) {
		*type = 0;
		return 0;
	}
	if ((size_t)n < sizeof(h))
		return cella_error_make(err, EPROTO, "sync: short message");
	memcpy(&h, buf, sizeof(h));
	if (h.len != (size_t)n - sizeof(h))
		return cella_error_make(err, EPROTO, "sync: malformed message");
	*type = (int)h.type;
	if (text && text_size) {
		size_t len = h.len < text_size - 1 ? h.len : text_size - 1;

		memcpy(text, buf + sizeof(h), len);
		text[len] = '\0';
	}
	return 0;
}

void cella_sync_fail(int sock, cella_err_t *err)
{
	const char *msg = cella_error_string(err ? *err : NULL);

	cella_sync_send(sock, CELLA_SYNC_ERROR, msg, -1, NULL);
	/* No exit handlers: the parent's atexit/LeakSanitizer state is not ours to run. */
	_exit(1);
}
