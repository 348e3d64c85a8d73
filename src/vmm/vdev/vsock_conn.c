// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-vsock connections: the table, resets owed to the guest, credit, and writing to the host socket. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "vdev/vsock.h"

/* ---- connections ---- */

struct vsock_conn *vsock_conn_find(struct vdev_vsock *vs, uint32_t local_port, uint32_t peer_port)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &vs->conn[i];

		if (c->state != CONN_FREE && c->state != CONN_HOST_CONNECTING &&
		    c->local_port == local_port && c->peer_port == peer_port)
			return c;
	}
	return NULL;
}

struct vsock_conn *vsock_conn_by_fd(struct vdev_vsock *vs, int fd)
{
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		if (vs->conn[i].state != CONN_FREE && vs->conn[i].fd == fd)
			return &vs->conn[i];
	return NULL;
}

struct vsock_conn *vsock_conn_alloc(struct vdev_vsock *vs, int fd)
{
	cella_err_t err = NULL;

	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
		struct vsock_conn *c = &vs->conn[i];

		if (c->state != CONN_FREE)
			continue;
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		c->events = EPOLLIN;
		if (vdev_watch(&vs->dev, fd, EPOLLIN, &err) < 0) {
			cella_error_release(&err);
			return NULL;
		}
		return c;
	}
	return NULL;
}

void vsock_conn_free(struct vdev_vsock *vs, struct vsock_conn *c)
{
	if (c->state == CONN_FREE)
		return;
	vdev_unwatch(&vs->dev, c->fd);
	close(c->fd);
	free(c->txbuf);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

void vsock_queue_rst(struct vdev_vsock *vs, uint32_t local_port, uint32_t peer_port)
{
	/* Bounded: a guest that floods us with bad packets loses some RSTs, nothing more. */
	if (vs->rst_count == VSOCK_RST_QUEUE) {
		vs->rst_head = (vs->rst_head + 1) % VSOCK_RST_QUEUE;
		vs->rst_count--;
	}
	vs->rst[(vs->rst_head + vs->rst_count) % VSOCK_RST_QUEUE] =
		(struct rst_entry){.local_port = local_port, .peer_port = peer_port};
	vs->rst_count++;
}

/* Drops the connection and tells the guest. */
void vsock_conn_reset(struct vdev_vsock *vs, struct vsock_conn *c)
{
	if (c->state != CONN_HOST_CONNECTING)
		vsock_queue_rst(vs, c->local_port, c->peer_port);
	vsock_conn_free(vs, c);
}

uint32_t vsock_peer_credit(const struct vsock_conn *c)
{
	uint32_t in_flight = c->rx_cnt - c->peer_fwd_cnt;

	return in_flight >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - in_flight;
}

/* What the host socket should be watched for, given buffers and credit. */
void vsock_conn_update_events(struct vdev_vsock *vs, struct vsock_conn *c)
{
	uint32_t ev = 0;

	if (c->state == CONN_FREE || c->hup)
		return;
	if (c->tx_len || c->reply[0])
		ev |= EPOLLOUT;
	if (c->state == CONN_HOST_CONNECTING ||
	    (c->state == CONN_ESTABLISHED && !c->host_eof && !c->readable && vsock_peer_credit(c) > 0))
		ev |= EPOLLIN;
	if (ev != c->events && vdev_watch_modify(&vs->dev, c->fd, ev) == 0)
		c->events = ev;
}

/* Writes the guest's buffered payload (and our "OK" line) to the host socket. */
int vsock_conn_flush(struct vdev_vsock *vs, struct vsock_conn *c)
{
	size_t rl = strlen(c->reply);

	if (rl) {
		ssize_t w = send(c->fd, c->reply, rl, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		memmove(c->reply, c->reply + w, rl - (size_t)w + 1);
		if ((size_t)w < rl)
			return 0;
	}
	while (c->tx_len) {
		ssize_t w = send(c->fd, c->txbuf, c->tx_len, MSG_DONTWAIT | MSG_NOSIGNAL);

		if (w < 0)
			return errno == EAGAIN ? 0 : -1;
		memmove(c->txbuf, c->txbuf + w, c->tx_len - (size_t)w);
		c->tx_len -= (size_t)w;
		c->fwd_cnt += (uint32_t)w;
	}
	/* Tell the guest about the space once a quarter of the buffer came free. */
	if (c->state == CONN_ESTABLISHED && c->fwd_cnt - c->fwd_cnt_sent >= VSOCK_BUF_ALLOC / 4)
		c->pending |= PEND_CREDIT;
	return 0;
}
