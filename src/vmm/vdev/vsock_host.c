// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-vsock, the host side: the unix socket host programs connect to
 * ("CONNECT <port>\n" → REQUEST to the guest, "OK <host port>\n" on its
 * RESPONSE), and the "<socket>_<port>" sockets guest REQUESTs connect to.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vdev/vsock.h"

int vsock_host_connect_port(struct vdev_vsock *vs, uint32_t port)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd;

	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s_%" PRIu32, vs->socket_path, port) >=
	    sizeof(sa.sun_path))
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* Non-blocking: a listener with a full backlog refuses now (RST) instead of stalling the device thread. */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

void vsock_host_accept(struct vdev_vsock *vs)
{
	for (;;) {
		int fd = accept4(vs->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct vsock_conn *c;

		if (fd < 0)
			return;
		c = vsock_conn_alloc(vs, fd);
		if (!c) {
			close(fd); /* table full */
			vs->conns_refused++;
			continue;
		}
		c->state = CONN_HOST_CONNECTING;
	}
}

static bool local_port_used(struct vdev_vsock *vs, uint32_t port)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		if (vs->conn[i].state != CONN_FREE && vs->conn[i].state != CONN_HOST_CONNECTING &&
		    vs->conn[i].local_port == port)
			return true;
	return false;
}

/* Reads "CONNECT <port>\n" byte by byte: nothing after the line may be consumed here. */
static void host_connect_line(struct vdev_vsock *vs, struct vsock_conn *c)
{
	for (;;) {
		char ch;
		ssize_t r = recv(c->fd, &ch, 1, MSG_DONTWAIT);
		unsigned long port;
		char *end;

		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			vsock_conn_free(vs, c);
			return;
		}
		if (ch != '\n') {
			if (c->line_len + 1 >= sizeof(c->line)) {
				vsock_conn_free(vs, c);
				return;
			}
			c->line[c->line_len++] = ch;
			continue;
		}
		c->line[c->line_len] = '\0';
		if (strncmp(c->line, "CONNECT ", 8) || c->line[8] < '0' || c->line[8] > '9') {
			vsock_conn_free(vs, c);
			return;
		}
		errno = 0;
		port = strtoul(c->line + 8, &end, 10);
		if (errno || *end || port > UINT32_MAX) {
			vsock_conn_free(vs, c);
			return;
		}
		do {
			c->local_port = vs->next_local_port++;
			if (vs->next_local_port < VSOCK_LOCAL_PORT0)
				vs->next_local_port = VSOCK_LOCAL_PORT0;
		} while (local_port_used(vs, c->local_port));
		c->peer_port = (uint32_t)port;
		c->state = CONN_HOST_REQUESTED;
		c->pending |= PEND_REQUEST;
		/* Until the guest tells us its buffer, it has the spec's minimum credit: none. */
		return;
	}
}

void vsock_host_event(struct vdev_vsock *vs, struct vsock_conn *c, uint32_t events)
{
	if (c->state == CONN_HOST_CONNECTING) {
		host_connect_line(vs, c);
		return;
	}
	if (c->state == CONN_HOST_REQUESTED && (events & (EPOLLHUP | EPOLLERR))) {
		/* The host gave up before the guest answered: withdraw the request, free the slot. */
		vsock_conn_reset(vs, c);
		return;
	}
	if (events & EPOLLOUT) {
		if (vsock_conn_flush(vs, c) < 0) {
			vsock_conn_reset(vs, c);
			return;
		}
	}
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR))
		c->readable = true;
	if ((events & (EPOLLHUP | EPOLLERR)) && !c->hup) {
		/* Reported whatever we ask for: stop watching, or the device thread would spin on it. */
		vdev_unwatch(&vs->dev, c->fd);
		c->hup = true;
	}
}
