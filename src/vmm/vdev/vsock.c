// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-vsock with a user-space back-end, Firecracker's model:
 *  - host-initiated: a host program connects to the unix socket `socket` and
 *    writes "CONNECT <port>\n"; we send the guest a REQUEST to that port and,
 *    on its RESPONSE, answer "OK <host port>\n" on the unix connection;
 *  - guest-initiated: a REQUEST to host port P connects to the unix socket
 *    "<socket>_<P>"; RESPONSE if someone listens there, RST otherwise.
 * Data is credit-controlled both ways (5.10.6.3): we never send the guest more
 * than its buffer space, and a guest that sends more than ours gets a RST.
 * Queues: 0 rx (to the guest), 1 tx (from the guest), 2 events (unused).
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

#include "vdev/iov.h"
#include "vdev/vsock.h"

/* ---- device to guest (rx queue) ---- */

static void fill_hdr(struct vdev_vsock *vs, struct vsock_hdr *h, uint32_t local_port, uint32_t peer_port,
		     uint16_t op)
{
	*h = (struct vsock_hdr){
		.src_cid = VSOCK_HOST_CID,
		.dst_cid = vs->cid,
		.src_port = local_port,
		.dst_port = peer_port,
		.type = VSOCK_TYPE_STREAM,
		.op = op,
		.buf_alloc = VSOCK_BUF_ALLOC,
	};
}

/* Sends one packet into the chain just popped; payload bytes already sit after the header. */
static bool send_pkt(struct vdev_vsock *vs, struct vsock_hdr *h, struct vsock_conn *c)
{
	struct virtq_chain *ch = vs->dev.chain;
	uint8_t raw[VSOCK_HDR_SIZE];

	if (c) {
		h->fwd_cnt = c->fwd_cnt;
		c->fwd_cnt_sent = c->fwd_cnt;
	}
	vsock_pkt__encode(h, raw);
	iov_from_buf(ch->iov + ch->nread, ch->nwrite, 0, raw, sizeof(raw));
	vdev_push(&vs->dev, VSOCK_RX, ch->head, ch->epoch, VSOCK_HDR_SIZE + h->len);
	vs->rx_pkts++;
	return true;
}

/* A usable rx buffer (header-sized at least) or false. Too-small buffers are returned empty. */
static bool pop_rx(struct vdev_vsock *vs)
{
	for (;;) {
		int r = vdev_pop(&vs->dev, VSOCK_RX);

		if (r <= 0) {
			vs->rx_starved = true;
			return false;
		}
		if (vs->dev.chain->write_len >= VSOCK_HDR_SIZE)
			return true;
		vs->bad_pkts++;
		vdev_push(&vs->dev, VSOCK_RX, vs->dev.chain->head, vs->dev.chain->epoch, 0);
	}
}

static uint16_t next_control(struct vsock_conn *c)
{
	static const struct {
		unsigned bit;
		uint16_t op;
	} order[] = {{PEND_REQUEST, VSOCK_OP_REQUEST},
		     {PEND_RESPONSE, VSOCK_OP_RESPONSE},
		     {PEND_CREDIT, VSOCK_OP_CREDIT_UPDATE},
		     {PEND_SHUTDOWN, VSOCK_OP_SHUTDOWN}};

	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		if (c->pending & order[i].bit) {
			c->pending &= ~order[i].bit;
			return order[i].op;
		}
	}
	return 0;
}

/* Data from the host socket into the popped chain. Returns false when there was nothing (no packet sent). */
static bool send_data(struct vdev_vsock *vs, struct vsock_conn *c)
{
	struct virtq_chain *ch = vs->dev.chain;
	struct iovec iov[64];
	struct vsock_hdr h;
	uint32_t room =
		(uint32_t)(ch->write_len - VSOCK_HDR_SIZE < VSOCK_MAX_PAYLOAD ? ch->write_len - VSOCK_HDR_SIZE
									      : VSOCK_MAX_PAYLOAD);
	uint32_t credit = vsock_peer_credit(c);
	size_t got;
	ssize_t r;
	int n;

	if (credit < room)
		room = credit;
	/* At most 64 pieces: a guest that scatters its buffer finely gets smaller packets. */
	n = (int)iov_slice_upto(ch->iov + ch->nread, ch->nwrite, VSOCK_HDR_SIZE, room, iov, 64, &got);
	struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};

	if (!got)
		return false; /* a header-only buffer: no room for data */
	r = recvmsg(c->fd, &msg, MSG_DONTWAIT);
	if (r > 0) {
		fill_hdr(vs, &h, c->local_port, c->peer_port, VSOCK_OP_RW);
		h.len = (uint32_t)r;
		c->rx_cnt += (uint32_t)r;
		return send_pkt(vs, &h, c);
	}
	c->readable = false;
	if (r == 0 || (r < 0 && errno != EAGAIN)) {
		/* Host closed its end: the guest learns by SHUTDOWN, then sends RST. */
		c->host_eof = true;
		c->state = CONN_CLOSING;
		fill_hdr(vs, &h, c->local_port, c->peer_port, VSOCK_OP_SHUTDOWN);
		h.flags = VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND;
		return send_pkt(vs, &h, c);
	}
	return false;
}

/* Is there data or an EOF to send? Asked before taking a guest buffer, so none is wasted. */
static bool probe_readable(struct vsock_conn *c)
{
	char b;
	ssize_t r;

	if (!c->readable)
		return false;
	r = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	if (r < 0 && errno == EAGAIN) {
		c->readable = false;
		return false;
	}
	return true;
}

static bool conn_wants_rx(struct vsock_conn *c)
{
	return c->pending || (c->state == CONN_ESTABLISHED && vsock_peer_credit(c) > 0 && probe_readable(c));
}

static void process_rx(struct vdev_vsock *vs)
{
	bool progress = true;

	vs->rx_starved = false;
	while (progress) {
		progress = false;
		if (vs->rst_count) {
			struct rst_entry *e = &vs->rst[vs->rst_head];
			struct vsock_hdr h;

			if (!pop_rx(vs))
				break;
			fill_hdr(vs, &h, e->local_port, e->peer_port, VSOCK_OP_RST);
			send_pkt(vs, &h, NULL);
			vs->rst_head = (vs->rst_head + 1) % VSOCK_RST_QUEUE;
			vs->rst_count--;
			progress = true;
			continue;
		}
		/* One packet per connection per round keeps one busy connection from starving the others. */
		for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++) {
			struct vsock_conn *c = &vs->conn[i];
			uint16_t op;

			if (c->state == CONN_FREE || c->state == CONN_HOST_CONNECTING || !conn_wants_rx(c))
				continue;
			if (!pop_rx(vs))
				goto out;
			op = next_control(c);
			if (op) {
				struct vsock_hdr h;

				fill_hdr(vs, &h, c->local_port, c->peer_port, op);
				if (op == VSOCK_OP_SHUTDOWN)
					h.flags = VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND;
				progress |= send_pkt(vs, &h, c);
			} else if (send_data(vs, c)) {
				progress = true;
			} else {
				/* Nothing to read after all: hand the buffer back unused. */
				vdev_push(&vs->dev, VSOCK_RX, vs->dev.chain->head, vs->dev.chain->epoch, 0);
			}
		}
	}
out:
	vdev_signal(&vs->dev, VSOCK_RX);
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		vsock_conn_update_events(vs, &vs->conn[i]);
}

/* ---- guest to device (tx queue) ---- */

static void guest_request(struct vdev_vsock *vs, const struct vsock_hdr *h)
{
	struct vsock_conn *c;
	int fd;

	if (vsock_conn_find(vs, h->dst_port, h->src_port)) {
		vsock_queue_rst(vs, h->dst_port, h->src_port); /* a second REQUEST on a live connection */
		return;
	}
	fd = vsock_host_connect_port(vs, h->dst_port);
	c = fd >= 0 ? vsock_conn_alloc(vs, fd) : NULL;
	if (!c) {
		if (fd >= 0)
			close(fd);
		vs->conns_refused++;
		vsock_queue_rst(vs, h->dst_port, h->src_port);
		return;
	}
	c->state = CONN_ESTABLISHED;
	c->local_port = h->dst_port;
	c->peer_port = h->src_port;
	c->peer_buf_alloc = h->buf_alloc;
	c->peer_fwd_cnt = h->fwd_cnt;
	c->pending |= PEND_RESPONSE;
	vs->conns_opened++;
}

static void guest_rw(struct vdev_vsock *vs, struct vsock_conn *c, const struct vsock_hdr *h)
{
	struct virtq_chain *ch = vs->dev.chain;

	if (!h->len)
		return;
	/* The guest may have at most our buffer in flight (its credit); more breaks the contract. */
	if (c->tx_len + h->len > VSOCK_BUF_ALLOC) {
		vs->bad_pkts++;
		vsock_conn_reset(vs, c);
		return;
	}
	if (!c->txbuf) {
		c->txbuf = malloc(VSOCK_BUF_ALLOC);
		if (!c->txbuf) {
			vsock_conn_reset(vs, c);
			return;
		}
	}
	iov_to_buf(ch->iov, ch->nread, VSOCK_HDR_SIZE, c->txbuf + c->tx_len, h->len);
	c->tx_len += h->len;
	if (vsock_conn_flush(vs, c) < 0)
		vsock_conn_reset(vs, c);
}

static void guest_packet(struct vdev_vsock *vs)
{
	struct virtq_chain *ch = vs->dev.chain;
	struct vsock_conn *c;
	struct vsock_hdr h;
	const char *why;

	vs->tx_pkts++;
	switch (vsock_pkt__parse(ch->iov, ch->nread, vs->cid, &h, &why)) {
	case VSOCK_PKT_DROP:
		vs->bad_pkts++;
		return;
	case VSOCK_PKT_RESET:
		vs->bad_pkts++;
		c = vsock_conn_find(vs, h.dst_port, h.src_port);
		if (c)
			vsock_conn_reset(vs, c);
		else
			vsock_queue_rst(vs, h.dst_port, h.src_port);
		return;
	case VSOCK_PKT_OK:
		break;
	}
	if (h.op == VSOCK_OP_REQUEST) {
		guest_request(vs, &h);
		return;
	}
	c = vsock_conn_find(vs, h.dst_port, h.src_port);
	if (!c) {
		if (h.op != VSOCK_OP_RST)
			vsock_queue_rst(vs, h.dst_port, h.src_port);
		return;
	}
	/* Every packet carries the guest's credit state. */
	c->peer_buf_alloc = h.buf_alloc;
	c->peer_fwd_cnt = h.fwd_cnt;
	switch (h.op) {
	case VSOCK_OP_RESPONSE:
		if (c->state != CONN_HOST_REQUESTED) {
			vsock_conn_reset(vs, c);
			return;
		}
		c->state = CONN_ESTABLISHED;
		snprintf(c->reply, sizeof(c->reply), "OK %" PRIu32 "\n", c->local_port);
		vs->conns_opened++;
		if (vsock_conn_flush(vs, c) < 0)
			vsock_conn_reset(vs, c);
		return;
	case VSOCK_OP_RW:
		if (c->state != CONN_ESTABLISHED) {
			vsock_conn_reset(vs, c);
			return;
		}
		guest_rw(vs, c, &h);
		return;
	case VSOCK_OP_CREDIT_REQUEST:
		c->pending |= PEND_CREDIT;
		return;
	case VSOCK_OP_CREDIT_UPDATE:
		return;
	case VSOCK_OP_SHUTDOWN:
		if ((h.flags & (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)) ==
		    (VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND)) {
			/* Both directions: push out what we hold, then close and confirm with RST. */
			(void)vsock_conn_flush(vs, c);
			vsock_conn_reset(vs, c);
		} else if (h.flags & VSOCK_SHUTDOWN_SEND) {
			(void)vsock_conn_flush(vs, c);
			if (!c->tx_len)
				shutdown(c->fd, SHUT_WR);
		}
		return;
	case VSOCK_OP_RST:
		vsock_conn_free(vs, c);
		return;
	default:
		vsock_conn_reset(vs, c);
	}
}

static void process_tx(struct vdev_vsock *vs)
{
	while (vdev_pop(&vs->dev, VSOCK_TX) > 0) {
		struct virtq_chain *ch = vs->dev.chain;
		uint16_t head = ch->head;
		uint32_t epoch = ch->epoch;

		guest_packet(vs);
		vdev_push(&vs->dev, VSOCK_TX, head, epoch, 0);
	}
	vdev_signal(&vs->dev, VSOCK_TX);
}

static void vsock_queue_kick(struct vdev *dev, unsigned q)
{
	struct vdev_vsock *vs = to_vsock(dev);

	if (q == VSOCK_TX)
		process_tx(vs);
	/* rx buffers, credit updates and replies all end up in the rx queue. */
	if (q != VSOCK_EVT)
		process_rx(vs);
}

static void vsock_handle(struct vdev *dev, int fd, uint32_t events)
{
	struct vdev_vsock *vs = to_vsock(dev);
	struct vsock_conn *c;

	if (fd == vs->listen_fd) {
		vsock_host_accept(vs);
	} else {
		c = vsock_conn_by_fd(vs, fd);
		if (!c) {
			vdev_unwatch(dev, fd);
			return;
		}
		vsock_host_event(vs, c, events);
	}
	process_rx(vs);
}

static void vsock_sync(struct vdev *dev)
{
	struct vdev_vsock *vs = to_vsock(dev);

	if (vs->resets_seen == dev->resets)
		return;
	/* The driver forgot every connection: so do we, before anything it sends afterwards. */
	vs->resets_seen = dev->resets;
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		vsock_conn_free(vs, &vs->conn[i]);
	vs->rst_count = 0;
	vs->rst_head = 0;
}

/* ---- set-up ---- */

static int listen_host(struct vdev_vsock *vs, const char *what, cella_err_t *err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};

	memcpy(sa.sun_path, vs->socket_path, strlen(vs->socket_path) + 1);
	vs->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (vs->listen_fd < 0)
		return cella_error_sys(err, "%s: socket", what);
	if (bind(vs->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return cella_error_sys(err, "%s: socket: cannot bind %s", what, vs->socket_path);
	vs->bound = true;
	if (listen(vs->listen_fd, 64) < 0)
		return cella_error_sys(err, "%s: socket: listen on %s", what, vs->socket_path);
	return 0;
}

static void vsock_destroy(struct vdev *dev)
{
	struct vdev_vsock *vs = to_vsock(dev);

	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		vsock_conn_free(vs, &vs->conn[i]);
	if (vs->listen_fd >= 0)
		close(vs->listen_fd);
	if (vs->bound)
		unlink(vs->socket_path);
	vdev_base_release(dev);
	free(vs);
}

static int vsock_create(const struct vdev_opts *o, struct vdev **out, cella_err_t *err)
{
	struct vdev_vsock *vs = calloc(1, sizeof(*vs));
	uint64_t cid;

	if (!vs)
		return cella_error_sys(err, "%s: out of memory", o->what);
	vdev_base_init(&vs->dev, &vdev_vsock_ops, o);
	vs->listen_fd = -1;
	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		vs->conn[i].fd = -1;
	vs->next_local_port = VSOCK_LOCAL_PORT0;
	if (!vdev_opts_has(o, "cid") || !vdev_opts_has(o, "socket")) {
		vsock_destroy(&vs->dev);
		return cella_error_make(err, 0, "%s: %s: missing", o->what,
					vdev_opts_has(o, "cid") ? "socket" : "cid");
	}
	/* 0-2 are the hypervisor, local and host addresses; the spec's CIDs are 32-bit in practice. */
	if (vdev_opts_str(o, "id", "vsock", vs->dev.id, sizeof(vs->dev.id), err) < 0 ||
	    vdev_opts_u64(o, "cid", 0, 3, UINT32_MAX - 1, &cid, err) < 0 ||
	    vdev_opts_str(o, "socket", NULL, vs->socket_path, sizeof(vs->socket_path) - 12, err) < 0 ||
	    listen_host(vs, o->what, err) < 0) {
		vsock_destroy(&vs->dev);
		return -1;
	}
	vs->cid = cid;
	for (unsigned i = 0; i < 8; i++)
		vs->config[i] = (uint8_t)(cid >> (8 * i));
	vs->dev.info = (struct vdev_info){
		.virtio_id = 19,
		.class_code = 0xFF0000,
		.features = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
		.num_queues = 3,
		.queue_size = VSOCK_QUEUE_SIZE,
		.config = vs->config,
		.config_size = sizeof(vs->config),
	};
	*out = &vs->dev;
	return 0;
}

static int vsock_start(struct vdev *dev, cella_err_t *err)
{
	struct vdev_vsock *vs = to_vsock(dev);

	return vdev_watch(dev, vs->listen_fd, EPOLLIN, err);
}

static int vsock_save_backend(struct vdev *dev, struct vdev_opts *o, cella_err_t *err)
{
	struct vdev_vsock *vs = to_vsock(dev);
	char cid[24];

	snprintf(cid, sizeof(cid), "%" PRIu64, vs->cid);
	if (vdev_opts_set(o, "cid", cid, err) < 0)
		return -1;
	return vdev_opts_set(o, "socket", vs->socket_path, err);
}

/*
 * After a restore the guest believes in connections this process never had:
 * a transport reset event (5.10.6.6) makes it drop them all and re-read its
 * CID, which a clone may have changed. With no event buffer posted the guest
 * learns it from the RST of its next packet instead.
 */
static void vsock_restored(struct vdev *dev)
{
	static const uint8_t transport_reset[4] = {0}; /* le32 id VIRTIO_VSOCK_EVENT_TRANSPORT_RESET */
	struct virtq_chain *c = dev->chain;

	if (vdev_pop(dev, VSOCK_EVT) <= 0)
		return;
	if (c->write_len < sizeof(transport_reset)) {
		vdev_push(dev, VSOCK_EVT, c->head, c->epoch, 0);
	} else {
		iov_from_buf(c->iov + c->nread, c->nwrite, 0, transport_reset, sizeof(transport_reset));
		vdev_push(dev, VSOCK_EVT, c->head, c->epoch, sizeof(transport_reset));
	}
	vdev_signal(dev, VSOCK_EVT);
}

static void vsock_describe(struct vdev *dev, json_t *o)
{
	struct vdev_vsock *vs = to_vsock(dev);
	unsigned live = 0;

	for (unsigned i = 0; i < VSOCK_MAX_CONNS; i++)
		live += vs->conn[i].state != CONN_FREE;
	json_object_set_new(o, "cid", json_integer((json_int_t)vs->cid));
	json_object_set_new(o, "socket", json_string(vs->socket_path));
	json_object_set_new(o, "stats",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:i}", "rx_packets", (json_int_t)vs->rx_pkts,
				      "tx_packets", (json_int_t)vs->tx_pkts, "bad_packets",
				      (json_int_t)vs->bad_pkts, "connections_opened",
				      (json_int_t)vs->conns_opened, "connections_refused",
				      (json_int_t)vs->conns_refused, "connections", (int)live));
}

const struct vdev_ops vdev_vsock_ops = {
	.type = "vsock",
	.create = vsock_create,
	.start = vsock_start,
	.queue_kick = vsock_queue_kick,
	.handle = vsock_handle,
	.sync = vsock_sync,
	.save_backend = vsock_save_backend,
	.restored = vsock_restored,
	.describe = vsock_describe,
	.destroy = vsock_destroy,
};
