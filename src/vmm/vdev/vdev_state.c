// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Device state for snapshots: the transport (virtio_pci_state.c) plus what
 * each back-end adds. The VMM quiesces devices first (nothing in flight), so
 * the rings in guest memory and the saved indices agree.
 */
#include <errno.h>
#include <sys/eventfd.h>

#include "vdev/vdev.h"

void vdev_set_quiesced(struct vdev *dev, bool on)
{
	dev->quiesced = on;
	/* Requests left in the rings meanwhile had their kicks consumed: look again. */
	for (unsigned q = 0; q < dev->info.num_queues && !on; q++)
		(void)!eventfd_write(dev->kick_fd[q], 1);
}

int vdev_save_state(struct vdev *dev, struct vdev_opts *backend, struct virtio_pci_state *st,
		    cella_err_t *err)
{
	if (vdev_inflight(dev))
		return cella_error_make(err, EBUSY, "%s: %u requests still in flight", dev->id,
					vdev_inflight(dev));
	if (virtio_pci__save_state(&dev->vp, st, err) < 0)
		return -1;
	for (unsigned q = 0; q < st->num_queues && dev->ops->held_chains; q++) {
		/*
		 * Held chains are the last ones popped (a device consumes in order): moving
		 * the next-avail index back over them offers them again, as Firecracker's
		 * undo_pop does. The guest never rewrites an avail slot it has not got back.
		 */
		unsigned held = dev->ops->held_chains(dev, q);

		st->queue[q].last_avail = (uint16_t)(st->queue[q].last_avail - held);
	}
	if (dev->ops->save_backend && dev->ops->save_backend(dev, backend, err) < 0)
		return -1;
	return vdev_opts_set(backend, "id", dev->id, err);
}

int vdev_load_state(struct vdev *dev, const struct virtio_pci_state *st, cella_err_t *err)
{
	int ret;

	pci_device__lock(&dev->vp.pci);
	ret = virtio_pci__load_state(&dev->vp, st, err);
	if (ret == 0) {
		/* The device thread brings its fds in line (TAP offloads for the restored features)... */
		vdev_request_sync(dev);
		/* ...and looks at every queue once: buffers queued but not popped at snapshot time. */
		for (unsigned q = 0; q < dev->info.num_queues; q++)
			(void)!eventfd_write(dev->kick_fd[q], 1);
		if (dev->ops->restored)
			dev->ops->restored(dev);
	}
	pci_device__unlock(&dev->vp.pci);
	if (ret < 0)
		return cella_error_wrap(err, "%s", dev->id);
	return 0;
}

const char *vdev_type(const struct vdev *dev)
{
	return dev->ops->type;
}
