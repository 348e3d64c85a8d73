// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-rng: fills the guest's writable buffers from getrandom(), at most max_bytes a request. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "vdev/vdev.h"

#define RNG_QUEUE_SIZE 64

struct vdev_rng {
	struct vdev dev;
	uint64_t max_bytes;
	uint64_t requests, bytes, failures;
};

#define to_rng(d) ((struct vdev_rng *)(d))

/* Fills iov with random bytes up to limit; returns bytes written. */
static uint32_t fill(const struct iovec *iov, unsigned n, uint64_t limit, uint64_t *failures)
{
	uint64_t done = 0;

	for (unsigned i = 0; i < n && done < limit; i++) {
		size_t want = iov[i].iov_len < limit - done ? iov[i].iov_len : (size_t)(limit - done),
		       got = 0;

		while (got < want) {
			ssize_t r = getrandom((uint8_t *)iov[i].iov_base + got, want - got, 0);

			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0) {
				(*failures)++;
				return (uint32_t)(done + got);
			}
			got += (size_t)r;
		}
		done += got;
	}
	return (uint32_t)done;
}

static void rng_queue_kick(struct vdev *dev, unsigned q)
{
	struct vdev_rng *rng = to_rng(dev);
	bool used = false;

	while (vdev_pop(dev, 0) > 0) {
		struct virtq_chain *c = dev->chain;
		uint32_t len = fill(c->iov + c->nread, c->nwrite, rng->max_bytes, &rng->failures);

		rng->requests++;
		rng->bytes += len;
		vdev_push(dev, 0, c->head, c->epoch, len);
		used = true;
	}
	/* A kick that used nothing (the look at the queue when the driver starts it, a repeated notification)
	 * interrupts nobody: the guest's used ring has not changed. */
	if (used)
		vdev_signal(dev, 0);
}

static void rng_describe(struct vdev *dev, json_t *o)
{
	struct vdev_rng *rng = to_rng(dev);

	json_object_set_new(o, "max_bytes", json_integer((json_int_t)rng->max_bytes));
	json_object_set_new(o, "stats",
			    json_pack("{s:I, s:I, s:I}", "requests", (json_int_t)rng->requests, "bytes",
				      (json_int_t)rng->bytes, "failures", (json_int_t)rng->failures));
}

static void rng_destroy(struct vdev *dev)
{
	vdev_base_release(dev);
	free(dev);
}

static int rng_create(const struct vdev_opts *o, struct vdev **out, cella_err_t *err)
{
	struct vdev_rng *rng = calloc(1, sizeof(*rng));

	if (!rng)
		return cella_error_sys(err, "%s: out of memory", o->what);
	vdev_base_init(&rng->dev, &vdev_rng_ops, o);
	/* Bounded per request so one guest request cannot keep the device thread busy for long. */
	if (vdev_opts_str(o, "id", "rng", rng->dev.id, sizeof(rng->dev.id), err) < 0 ||
	    vdev_opts_u64(o, "max_bytes", 65536, 1, 1 << 20, &rng->max_bytes, err) < 0) {
		rng_destroy(&rng->dev);
		return -1;
	}
	rng->dev.info = (struct vdev_info){
		.virtio_id = 4,
		.class_code = 0xFF0000,
		.features = VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX),
		.num_queues = 1,
		.queue_size = RNG_QUEUE_SIZE,
	};
	*out = &rng->dev;
	return 0;
}

const struct vdev_ops vdev_rng_ops = {
	.type = "rng",
	.create = rng_create,
	.queue_kick = rng_queue_kick,
	.describe = rng_describe,
	.destroy = rng_destroy,
};
