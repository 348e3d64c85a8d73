// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net over a TAP device. Frames carry a 12-byte virtio_net_hdr_v1 on
 * both sides, so TX chains go to the TAP as they are (the kernel checks the
 * header) and RX frames come with the header the guest expects; with
 * mergeable buffers one frame spreads over several RX chains. Offloads the
 * driver accepts are switched on in the TAP at DRIVER_OK. Queues: 0 rx, 1 tx.
 */
#include <endian.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>

#include "vdev/iov.h"
#include "vdev/ratelimit.h"
#include "vdev/tap.h"
#include "vdev/vdev.h"

#define NET_QUEUE_SIZE	256
#define NET_RX		0
#define NET_TX		1
#define NET_CONFIG_SIZE 10
#define NET_MAX_FRAME	(TAP_VNET_HDR_SIZE + 65536 + 14) /* header + 64 KiB GSO frame + Ethernet */
#define NET_STASH	64				 /* rx chains held for a frame still being placed */
#define NET_STASH_IOV	16

#define VIRTIO_NET_F_CSUM	0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16
#define VIRTIO_NET_S_LINK_UP	1

/* An rx chain popped and not used yet (the frame it was for did not fit). */
struct rx_buf {
	uint16_t head;
	uint32_t epoch;
	unsigned niov;
	size_t cap;
	struct iovec iov[NET_STASH_IOV];
};

struct tx_pending {
	uint16_t head;
	uint32_t epoch;
	unsigned niov;
	size_t len;
	struct iovec *iov;
};

struct vdev_net {
	struct vdev dev;
	char tap_name[IFNAMSIZ];
	uint8_t mac[6];
	int tap_fd;
	uint32_t tap_events;
	uint8_t config[NET_CONFIG_SIZE];
	struct ratelimit_config rl_cfg;
	bool rl_dirty; /* rl_cfg changed at run time; the device thread applies it */
	struct ratelimit rx_rl, tx_rl;
	/* rx */
	uint8_t *frame; /* one frame read from the TAP, header first */
	size_t frame_len;
	bool frame_charged; /* the rate limiter already counted it */
	struct rx_buf stash[NET_STASH];
	unsigned nstash;
	/* tx */
	struct tx_pending tx;
	bool tx_waiting;
	uint64_t rx_frames, rx_bytes, rx_dropped, rx_bad_bufs, tx_frames, tx_bytes, tx_dropped, tx_bad;
};

#define to_net(d) ((struct vdev_net *)(d))

static void tap_watch(struct vdev_net *net, uint32_t events)
{
	if (events != net->tap_events && vdev_watch_modify(&net->dev, net->tap_fd, events) == 0)
		net->tap_events = events;
}

/* ---- rx: TAP to guest ---- */

/* Pops rx chains into the stash until they hold need bytes; false when the guest has no more. */
static bool stash_fill(struct vdev_net *net, size_t need, bool mergeable)
{
	size_t have = 0;

	for (unsigned i = 0; i < net->nstash; i++)
		have += net->stash[i].cap;
	if (!mergeable && net->nstash)
		return true;
	while (have < need && net->nstash < NET_STASH) {
		struct virtq_chain *c = net->dev.chain;
		struct rx_buf *b = &net->stash[net->nstash];
		size_t got;

		if (vdev_pop(&net->dev, NET_RX) <= 0)
			return false;
		b->head = c->head;
		b->epoch = c->epoch;
		b->niov = iov_slice_upto(c->iov + c->nread, c->nwrite, 0, c->write_len, b->iov, NET_STASH_IOV,
					 &got);
		b->cap = got;
		net->nstash++;
		have += got;
		if (!mergeable)
			return true;
	}
	return true;
}

static void stash_drop_first(struct vdev_net *net, unsigned n)
{
	memmove(net->stash, net->stash + n, (net->nstash - n) * sizeof(net->stash[0]));
	net->nstash -= n;
}

/* Places net->frame into stashed chains. Returns false when there are not enough buffers yet. */
static bool deliver_frame(struct vdev_net *net)
{
	bool mrg = vdev_has_feature(&net->dev, VIRTIO_NET_F_MRG_RXBUF);
	size_t off = 0, total = 0;
	unsigned used = 0;
	uint16_t nbufs;

	for (;;) {
		if (!stash_fill(net, net->frame_len, mrg))
			return false;
		if (net->stash[0].cap >= TAP_VNET_HDR_SIZE)
			break;
		/* A first buffer too small for the header is useless: hand it back empty. */
		vdev_push(&net->dev, NET_RX, net->stash[0].head, net->stash[0].epoch, 0);
		stash_drop_first(net, 1);
		net->rx_bad_bufs++;
	}
	for (unsigned i = 0; i < net->nstash && total < net->frame_len; i++, used++)
		total += net->stash[i].cap;
	if (total < net->frame_len || (!mrg && net->stash[0].cap < net->frame_len)) {
		/* Cannot fit even with every buffer we may hold: drop the frame, keep the buffers. */
		net->rx_dropped++;
		net->frame_len = 0;
		return true;
	}
	if (!mrg)
		used = 1;
	nbufs = htole16((uint16_t)used);
	memcpy(net->frame + 10, &nbufs, 2); /* num_buffers */
	for (unsigned i = 0; i < used; i++) {
		struct rx_buf *b = &net->stash[i];
		size_t n = net->frame_len - off < b->cap ? net->frame_len - off : b->cap;

		iov_from_buf(b->iov, b->niov, 0, net->frame + off, n);
		off += n;
		vdev_push(&net->dev, NET_RX, b->head, b->epoch, (uint32_t)n);
	}
	stash_drop_first(net, used);
	net->rx_frames++;
	net->rx_bytes += net->frame_len - TAP_VNET_HDR_SIZE;
	net->frame_len = 0;
	return true;
}

static void process_rx(struct vdev_net *net)
{
	bool delivered = false;

	for (;;) {
		if (!net->frame_len) {
			ssize_t r = read(net->tap_fd, net->frame, NET_MAX_FRAME);

			if (r < 0 && errno == EINTR)
				continue;
			if (r > 0 && r <= (ssize_t)TAP_VNET_HDR_SIZE)
				continue; /* a frame without payload: skip */
			if (r <= 0) {
				tap_watch(net, EPOLLIN);
				break;
			}
			net->frame_len = (size_t)r;
			net->frame_charged = false;
		}
		if (!net->frame_charged && ratelimit_enabled(&net->rx_rl)) {
			if (!ratelimit_consume(&net->rx_rl, net->frame_len - TAP_VNET_HDR_SIZE,
					       ratelimit_now_ns())) {
				tap_watch(net, 0); /* the timer brings us back */
				break;
			}
		}
		net->frame_charged = true;
		if (!deliver_frame(net)) {
			tap_watch(net, 0); /* an rx kick brings us back */
			break;
		}
		delivered = true;
	}
	if (delivered)
		vdev_signal(&net->dev, NET_RX);
}

/* ---- tx: guest to TAP ---- */

static bool tx_take(struct vdev_net *net)
{
	struct virtq_chain *c = net->dev.chain;

	if (vdev_pop(&net->dev, NET_TX) <= 0)
		return false;
	free(net->tx.iov);
	net->tx =
		(struct tx_pending){.head = c->head, .epoch = c->epoch, .niov = c->nread, .len = c->read_len};
	net->tx.iov = malloc(sizeof(struct iovec) * (c->nread ? c->nread : 1));
	if (!net->tx.iov) {
		net->tx_dropped++;
		vdev_push(&net->dev, NET_TX, c->head, c->epoch, 0);
		return true; /* dropped; go on with the next */
	}
	memcpy(net->tx.iov, c->iov, sizeof(struct iovec) * c->nread);
	net->tx_waiting = true;
	return true;
}

static void process_tx(struct vdev_net *net)
{
	for (;;) {
		if (!net->tx_waiting && !tx_take(net))
			break;
		if (!net->tx_waiting)
			continue;
		struct tx_pending *t = &net->tx;

		if (t->len < TAP_VNET_HDR_SIZE || t->len > NET_MAX_FRAME) {
			net->tx_bad++;
		} else {
			if (ratelimit_enabled(&net->tx_rl) &&
			    !ratelimit_consume(&net->tx_rl, t->len - TAP_VNET_HDR_SIZE, ratelimit_now_ns()))
				break; /* stays waiting; the timer brings us back */
			/* The TAP queue full (EAGAIN) or a frame the kernel refuses: dropped, as a NIC would. */
			if (writev(net->tap_fd, t->iov, (int)t->niov) < 0) {
				net->tx_dropped++;
			} else {
				net->tx_frames++;
				net->tx_bytes += t->len - TAP_VNET_HDR_SIZE;
			}
		}
		vdev_push(&net->dev, NET_TX, t->head, t->epoch, 0);
		free(t->iov);
		t->iov = NULL;
		net->tx_waiting = false;
	}
	vdev_signal(&net->dev, NET_TX);
}

/* ---- device callbacks ---- */

static void net_queue_kick(struct vdev *dev, unsigned q)
{
	struct vdev_net *net = to_net(dev);

	if (q == NET_TX)
		process_tx(net);
	else
		process_rx(net);
}

static void net_handle(struct vdev *dev, int fd, uint32_t events)
{
	struct vdev_net *net = to_net(dev);

	if (fd == net->tap_fd) {
		process_rx(net);
	} else if (fd == net->tx_rl.timer_fd) {
		ratelimit_timer_fired(&net->tx_rl);
		process_tx(net);
	} else if (fd == net->rx_rl.timer_fd) {
		ratelimit_timer_fired(&net->rx_rl);
		process_rx(net);
	}
}

static void net_reset(struct vdev *dev)
{
	struct vdev_net *net = to_net(dev);

	/* Memory only (vCPU thread): the TAP follows in net_sync(). */
	net->nstash = 0;
	net->frame_len = 0;
	free(net->tx.iov);
	net->tx.iov = NULL;
	net->tx_waiting = false;
}

static void net_sync(struct vdev *dev)
{
	struct vdev_net *net = to_net(dev);
	bool live = dev->vp.status & VIRTIO_STATUS_DRIVER_OK;
	uint64_t now = ratelimit_now_ns();

	if (net->rl_dirty) {
		ratelimit_update(&net->rx_rl, &net->rl_cfg, now);
		ratelimit_update(&net->tx_rl, &net->rl_cfg, now);
		net->rl_dirty = false;
	}
	/*
	 * Offloads: only what the driver accepted (none without a driver). Without a
	 * driver the TAP is not read: frames wait in its queue, which drops them when full.
	 */
	(void)tap_set_offload(net->tap_fd, live && vdev_has_feature(dev, VIRTIO_NET_F_GUEST_CSUM),
			      live && vdev_has_feature(dev, VIRTIO_NET_F_GUEST_TSO4),
			      live && vdev_has_feature(dev, VIRTIO_NET_F_GUEST_TSO6));
	tap_watch(net, live && !net->frame_len ? EPOLLIN : 0);
}

/* ---- set-up ---- */

static void net_destroy(struct vdev *dev)
{
	struct vdev_net *net = to_net(dev);

	ratelimit_release(&net->rx_rl);
	ratelimit_release(&net->tx_rl);
	if (net->tap_fd >= 0)
		close(net->tap_fd);
	free(net->frame);
	free(net->tx.iov);
	vdev_base_release(dev);
	free(net);
}

static int net_options(struct vdev_net *net, const struct vdev_opts *o, cella_err_t *err)
{
	bool mac_set;

	if (!vdev_opts_has(o, "tap"))
		return cella_error_make(err, 0, "%s: tap: missing (the TAP device name)", o->what);
	if (vdev_opts_str(o, "id", "net", net->dev.id, sizeof(net->dev.id), err) < 0 ||
	    vdev_opts_str(o, "tap", NULL, net->tap_name, sizeof(net->tap_name), err) < 0 ||
	    vdev_opts_mac(o, "mac", net->mac, &mac_set, err) < 0 ||
	    ratelimit_config_parse(o, NULL, &net->rl_cfg, err) < 0)
		return -1;
	if (!net->tap_name[0])
		return cella_error_make(err, 0, "%s: tap: empty", o->what);
	if (!mac_set) {
		/* Random, locally administered, unicast. */
		if (getrandom(net->mac, sizeof(net->mac), 0) != sizeof(net->mac))
			return cella_error_sys(err, "%s: mac: getrandom", o->what);
		net->mac[0] = (uint8_t)((net->mac[0] & 0xFC) | 0x02);
	}
	return 0;
}

static int net_create(const struct vdev_opts *o, struct vdev **out, cella_err_t *err)
{
	struct vdev_net *net = calloc(1, sizeof(*net));
	uint16_t status = htole16(VIRTIO_NET_S_LINK_UP), pairs = htole16(1);

	if (!net)
		return cella_error_sys(err, "%s: out of memory", o->what);
	vdev_base_init(&net->dev, &vdev_net_ops, o);
	net->tap_fd = -1;
	net->rx_rl.timer_fd = net->tx_rl.timer_fd = -1;
	net->frame = malloc(NET_MAX_FRAME);
	if (!net->frame || net_options(net, o, err) < 0 || (net->tap_fd = tap_open(net->tap_name, err)) < 0 ||
	    ratelimit_init(&net->rx_rl, &net->rl_cfg, err) < 0 ||
	    ratelimit_init(&net->tx_rl, &net->rl_cfg, err) < 0) {
		if (!net->frame)
			cella_error_make(err, ENOMEM, "%s: out of memory", o->what);
		else if (net->tap_fd < 0 && net->tap_name[0])
			cella_error_wrap(err, "%s", o->what);
		net_destroy(&net->dev);
		return -1;
	}
	memcpy(net->config, net->mac, 6);
	memcpy(net->config + 6, &status, 2);
	memcpy(net->config + 8, &pairs, 2);
	net->dev.info = (struct vdev_info){
		.virtio_id = 1,
		.class_code = 0x020000, /* Ethernet controller */
		.features = VIRTIO_BIT(VIRTIO_NET_F_CSUM) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
			    VIRTIO_BIT(VIRTIO_NET_F_MAC) | VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |
			    VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6) | VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |
			    VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) | VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
			    VIRTIO_BIT(VIRTIO_NET_F_STATUS) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
			    VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
		.num_queues = 2,
		.queue_size = NET_QUEUE_SIZE,
		.config = net->config,
		.config_size = NET_CONFIG_SIZE,
	};
	*out = &net->dev;
	return 0;
}

static int net_start(struct vdev *dev, cella_err_t *err)
{
	struct vdev_net *net = to_net(dev);

	/* The TAP is read only once a driver is there (DRIVER_OK). */
	net->tap_events = 0;
	if (vdev_watch(dev, net->tap_fd, 0, err) < 0 ||
	    vdev_watch(dev, net->rx_rl.timer_fd, EPOLLIN, err) < 0 ||
	    vdev_watch(dev, net->tx_rl.timer_fd, EPOLLIN, err) < 0)
		return -1;
	return 0;
}

static int net_update(struct vdev *dev, const struct vdev_opts *o, cella_err_t *err)
{
	struct vdev_net *net = to_net(dev);
	struct ratelimit_config cfg;

	if (ratelimit_config_parse(o, &net->rl_cfg, &cfg, err) < 0 || vdev_opts_check_unused(o, err) < 0)
		return -1;
	net->rl_cfg = cfg;
	net->rl_dirty = true;
	vdev_request_sync(dev);
	return 0;
}

static int net_save_backend(struct vdev *dev, struct vdev_opts *o, cella_err_t *err)
{
	struct vdev_net *net = to_net(dev);
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", net->mac[0], net->mac[1], net->mac[2],
		 net->mac[3], net->mac[4], net->mac[5]);
	if (vdev_opts_set(o, "tap", net->tap_name, err) < 0)
		return -1;
	return vdev_opts_set(o, "mac", mac, err);
}

/* rx chains stashed for a frame, a tx chain waiting for the TAP or the rate limiter. */
static unsigned net_held_chains(struct vdev *dev, unsigned q)
{
	struct vdev_net *net = to_net(dev);

	if (q == NET_RX)
		return net->nstash;
	return q == NET_TX && net->tx_waiting ? 1 : 0;
}

static void net_describe(struct vdev *dev, json_t *o)
{
	struct vdev_net *net = to_net(dev);
	char mac[18];

	snprintf(mac, sizeof(mac), "%02x:%02x:%02x:%02x:%02x:%02x", net->mac[0], net->mac[1], net->mac[2],
		 net->mac[3], net->mac[4], net->mac[5]);
	json_object_set_new(o, "tap", json_string(net->tap_name));
	json_object_set_new(o, "mac", json_string(mac));
	json_object_set_new(o, "stats",
			    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "rx_frames",
				      (json_int_t)net->rx_frames, "rx_bytes", (json_int_t)net->rx_bytes,
				      "rx_dropped", (json_int_t)net->rx_dropped, "rx_bad_buffers",
				      (json_int_t)net->rx_bad_bufs, "tx_frames", (json_int_t)net->tx_frames,
				      "tx_bytes", (json_int_t)net->tx_bytes, "tx_dropped",
				      (json_int_t)net->tx_dropped, "tx_bad", (json_int_t)net->tx_bad));
}

const struct vdev_ops vdev_net_ops = {
	.type = "net",
	.create = net_create,
	.start = net_start,
	.queue_kick = net_queue_kick,
	.handle = net_handle,
	.reset = net_reset,
	.sync = net_sync,
	.update = net_update,
	.save_backend = net_save_backend,
	.held_chains = net_held_chains,
	.describe = net_describe,
	.destroy = net_destroy,
};
