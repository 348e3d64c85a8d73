// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The part every virtio device shares: the virtio-pci function, one eventfd
 * per queue (kicks), the device's epoll set, and the dispatch from that set
 * to the device on the event-loop thread.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "vdev/vdev.h"

static const struct vdev_ops *const all_ops[] = {
	&vdev_blk_ops, &vdev_net_ops, &vdev_console_ops, &vdev_rng_ops, &vdev_vsock_ops,
};

/* ---- transport callbacks: vCPU thread, device lock held ---- */

static void tr_queue_notify(void *opaque, unsigned q)
{
	struct vdev *dev = opaque;

	/* Never work on the vCPU thread: hand the kick to the device thread, as an ioeventfd would. */
	if (q < dev->info.num_queues)
		(void)!eventfd_write(dev->kick_fd[q], 1);
}

void vdev_request_sync(struct vdev *dev)
{
	dev->sync_requested++;
	(void)!eventfd_write(dev->sync_fd, 1);
}

static void tr_driver_ok(void *opaque)
{
	struct vdev *dev = opaque;

	vdev_request_sync(dev);
	/* Buffers made available before DRIVER_OK were not kicked for: look once. */
	for (unsigned q = 0; q < dev->info.num_queues; q++)
		(void)!eventfd_write(dev->kick_fd[q], 1);
}

static void tr_reset(void *opaque)
{
	struct vdev *dev = opaque;

	dev->resets++;
	if (dev->ops->reset)
		dev->ops->reset(dev);
	vdev_request_sync(dev);
}

static void tr_config_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	struct vdev *dev = opaque;

	memcpy(data, dev->info.config + off, len);
}

static void tr_config_write(void *opaque, uint32_t off, const uint8_t *data, uint32_t len)
{
	/* No device here offers a writable config field: ignored, as the spec lets a device do. */
}

static const struct virtio_pci_ops transport_ops = {
	.queue_notify = tr_queue_notify,
	.driver_ok = tr_driver_ok,
	.reset = tr_reset,
	.config_read = tr_config_read,
	.config_write = tr_config_write,
};

/* ---- life cycle ---- */

void vdev_base_init(struct vdev *dev, const struct vdev_ops *ops, const struct vdev_opts *opts)
{
	dev->ops = ops;
	dev->epoll_fd = -1;
	dev->sync_fd = -1;
	for (unsigned q = 0; q < VDEV_MAX_QUEUES; q++)
		dev->kick_fd[q] = -1;
	(void)opts;
}

static const struct vdev_ops *find_ops(const char *type)
{
	for (size_t i = 0; i < sizeof(all_ops) / sizeof(all_ops[0]); i++)
		if (!strcmp(all_ops[i]->type, type))
			return all_ops[i];
	return NULL;
}

bool vdev_type_known(const char *type)
{
	return find_ops(type) != NULL;
}

static int attach(struct vdev *dev, const struct vdev_env *env, cella_err_t *err)
{
	struct virtio_pci_params p = {
		.name = dev->id,
		.device_id = dev->info.virtio_id,
		.class_code = dev->info.class_code,
		.features = dev->info.features,
		.num_queues = dev->info.num_queues,
		.queue_max_size = dev->info.queue_size,
		.config_size = dev->info.config_size,
		.mem = env->mem,
		.ops = &transport_ops,
		.opaque = dev,
		.msi_send = env->msi_send,
		.intx = env->intx,
		.irq_opaque = env->irq_opaque,
	};

	dev->chain = malloc(sizeof(*dev->chain));
	if (!dev->chain)
		return cella_error_sys(err, "%s: out of memory", dev->id);
	dev->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (dev->epoll_fd < 0)
		return cella_error_sys(err, "%s: epoll_create1", dev->id);
	dev->sync_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (dev->sync_fd < 0)
		return cella_error_sys(err, "%s: eventfd", dev->id);
	if (vdev_watch(dev, dev->sync_fd, EPOLLIN, err) < 0)
		return -1;
	for (unsigned q = 0; q < dev->info.num_queues; q++) {
		dev->kick_fd[q] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (dev->kick_fd[q] < 0)
			return cella_error_sys(err, "%s: eventfd for queue %u", dev->id, q);
		if (vdev_watch(dev, dev->kick_fd[q], EPOLLIN, err) < 0)
			return -1;
	}
	if (virtio_pci__init(&dev->vp, &p, err) < 0)
		return cella_error_wrap(err, "%s", dev->id);
	dev->vp_ready = true;
	if (dev->ops->start && dev->ops->start(dev, err) < 0)
		return cella_error_wrap(err, "%s", dev->id);
	return 0;
}

int vdev_create(const char *type, const struct vdev_opts *opts, const struct vdev_env *env, struct vdev **out,
		cella_err_t *err)
{
	const struct vdev_ops *ops = find_ops(type);
	struct vdev *dev = NULL;

	*out = NULL;
	if (!ops)
		return cella_error_make(err, 0, "%s: unknown virtio device type '%s'", opts->what, type);
	if (ops->create(opts, &dev, err) < 0)
		return -1;
	if (vdev_opts_check_unused(opts, err) < 0 || attach(dev, env, err) < 0) {
		vdev_destroy(dev);
		return -1;
	}
	*out = dev;
	return 0;
}

int vdev_create_from_string(const char *type, const char *what, const char *str, const struct vdev_env *env,
			    struct vdev **out, cella_err_t *err)
{
	struct vdev_opts o;
	int ret;

	if (vdev_opts_parse(&o, what, str, err) < 0)
		return -1;
	ret = vdev_create(type, &o, env, out, err);
	vdev_opts_release(&o);
	return ret;
}

int vdev_create_from_json(const char *type, const char *what, const json_t *obj, const struct vdev_env *env,
			  struct vdev **out, cella_err_t *err)
{
	struct vdev_opts o;
	int ret;

	if (vdev_opts_from_json(&o, what, obj, err) < 0)
		return -1;
	ret = vdev_create(type, &o, env, out, err);
	vdev_opts_release(&o);
	return ret;
}

void vdev_destroy(struct vdev *dev)
{
	/* The device stops its threads, frees its own state, then calls vdev_base_release() and frees dev. */
	if (dev)
		dev->ops->destroy(dev);
}

void vdev_base_release(struct vdev *dev)
{
	if (dev->vp_ready)
		virtio_pci__destroy(&dev->vp);
	dev->vp_ready = false;
	for (unsigned q = 0; q < VDEV_MAX_QUEUES; q++) {
		if (dev->kick_fd[q] >= 0)
			close(dev->kick_fd[q]);
		dev->kick_fd[q] = -1;
	}
	if (dev->sync_fd >= 0)
		close(dev->sync_fd);
	dev->sync_fd = -1;
	if (dev->epoll_fd >= 0)
		close(dev->epoll_fd);
	dev->epoll_fd = -1;
	free(dev->chain);
	dev->chain = NULL;
}

/* ---- accessors ---- */

struct pci_device *vdev_pci(struct vdev *dev)
{
	return &dev->vp.pci;
}

int vdev_fd(const struct vdev *dev)
{
	return dev->epoll_fd;
}

uint64_t vdev_notify_offset(unsigned q)
{
	return VIRTIO_PCI_NOTIFY_OFF + (uint64_t)q * VIRTIO_PCI_NOTIFY_MULT;
}

int vdev_queue_eventfd(const struct vdev *dev, unsigned q)
{
	return q < dev->info.num_queues ? dev->kick_fd[q] : -1;
}

bool vdev_has_feature(const struct vdev *dev, unsigned bit)
{
	return virtio_pci__features(&dev->vp) & VIRTIO_BIT(bit);
}

/* ---- the epoll set ---- */

int vdev_watch(struct vdev *dev, int fd, uint32_t events, cella_err_t *err)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	if (epoll_ctl(dev->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return cella_error_sys(err, "%s: epoll_ctl add fd %d", dev->id, fd);
	return 0;
}

int vdev_watch_modify(struct vdev *dev, int fd, uint32_t events)
{
	struct epoll_event ev = {.events = events, .data.fd = fd};

	return epoll_ctl(dev->epoll_fd, EPOLL_CTL_MOD, fd, &ev);
}

void vdev_unwatch(struct vdev *dev, int fd)
{
	(void)epoll_ctl(dev->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
}

void vdev_handle(struct vdev *dev)
{
	struct epoll_event evs[16];
	int n = epoll_wait(dev->epoll_fd, evs, 16, 0);

	pci_device__lock(&dev->vp.pci);
	/* State changes from other threads first: a reset must not meet work queued after it. */
	if (dev->sync_done != dev->sync_requested) {
		eventfd_t v;

		(void)!eventfd_read(dev->sync_fd, &v);
		dev->sync_done = dev->sync_requested;
		if (dev->ops->sync)
			dev->ops->sync(dev);
	}
	for (int i = 0; i < n; i++) {
		int fd = evs[i].data.fd;
		unsigned q;

		if (fd == dev->sync_fd)
			continue;

		for (q = 0; q < dev->info.num_queues; q++)
			if (dev->kick_fd[q] == fd)
				break;
		if (q < dev->info.num_queues) {
			eventfd_t v;

			(void)!eventfd_read(fd, &v);
			if (vdev_queue(dev, q))
				dev->ops->queue_kick(dev, q);
		} else if (dev->ops->handle) {
			dev->ops->handle(dev, fd, evs[i].events);
		}
	}
	pci_device__unlock(&dev->vp.pci);
}

/* ---- queues ---- */

struct virtq *vdev_queue(struct vdev *dev, unsigned q)
{
	if (!(dev->vp.status & VIRTIO_STATUS_DRIVER_OK) || (dev->vp.status & VIRTIO_STATUS_NEEDS_RESET))
		return NULL;
	return virtio_pci__queue(&dev->vp, q);
}

int vdev_pop(struct vdev *dev, unsigned q)
{
	struct virtq *vq = vdev_queue(dev, q);
	_cleanup_error_ cella_err_t err = NULL;
	int ret;

	if (!vq || dev->quiesced)
		return 0;
	ret = virtq__pop(vq, dev->chain, &err);
	if (ret < 0) {
		char why[160];

		snprintf(why, sizeof(why), "queue %u: %s", q, cella_error_string(err));
		dev->broken_queues++;
		virtio_pci__set_needs_reset(&dev->vp, why);
		return -1;
	}
	return ret;
}

void vdev_push(struct vdev *dev, unsigned q, uint16_t head, uint32_t epoch, uint32_t len)
{
	struct virtq *vq = virtio_pci__queue(&dev->vp, q);
	_cleanup_error_ cella_err_t err = NULL;

	/* A request that finishes after a reset belongs to rings that no longer exist: drop it. */
	if (!vq || vq->epoch != epoch)
		return;
	(void)virtq__push(vq, head, len, &err);
}

void vdev_signal(struct vdev *dev, unsigned q)
{
	virtio_pci__signal_used(&dev->vp, q);
}

/* ---- runtime ---- */

unsigned vdev_inflight(struct vdev *dev)
{
	return dev->ops->inflight ? dev->ops->inflight(dev) : 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int vdev_drain(struct vdev *dev, int timeout_ms, cella_err_t *err)
{
	int64_t end = now_ms() + timeout_ms;

	while (vdev_inflight(dev)) {
		struct pollfd pfd = {.fd = dev->epoll_fd, .events = POLLIN};
		int64_t left = end - now_ms();

		if (left <= 0)
			return cella_error_make(err, ETIMEDOUT, "%s: %u requests still in flight after %d ms",
						dev->id, vdev_inflight(dev), timeout_ms);
		if (poll(&pfd, 1, (int)left) > 0)
			vdev_handle(dev);
	}
	return 0;
}

int vdev_update(struct vdev *dev, const struct vdev_opts *opts, cella_err_t *err)
{
	int ret;

	if (!dev->ops->update)
		return cella_error_make(err, ENOTSUP, "%s: %s devices have nothing to update", opts->what,
					dev->ops->type);
	pci_device__lock(&dev->vp.pci);
	ret = dev->ops->update(dev, opts, err);
	pci_device__unlock(&dev->vp.pci);
	return ret;
}

json_t *vdev_describe(struct vdev *dev)
{
	json_t *o;

	pci_device__lock(&dev->vp.pci);
	o = json_pack("{s:s, s:s, s:i, s:i, s:I, s:I}", "id", dev->id, "type", dev->ops->type, "virtio_id",
		      dev->info.virtio_id, "status", dev->vp.status, "features",
		      (json_int_t)virtio_pci__features(&dev->vp), "inflight",
		      (json_int_t)(dev->ops->inflight ? dev->ops->inflight(dev) : 0));
	if (o && dev->vp.pci.registered) {
		char bdf[16];

		snprintf(bdf, sizeof(bdf), "00:%02x.%x", dev->vp.pci.devfn >> 3, dev->vp.pci.devfn & 7);
		json_object_set_new(o, "pci", json_string(bdf));
	}
	if (o && dev->vp.error[0])
		json_object_set_new(o, "error", json_string(dev->vp.error));
	if (o && dev->ops->describe)
		dev->ops->describe(dev, o);
	pci_device__unlock(&dev->vp.pci);
	return o;
}
