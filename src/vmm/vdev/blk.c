// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-blk over a raw image file. The device thread pops and parses
 * requests; blocking I/O (preadv, pwritev, fdatasync, fallocate) runs on a
 * small worker pool and completes back on the device thread through the
 * pool's eventfd. Requests in flight are counted for snapshot draining.
 */
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "vdev/blk_req.h"
#include "vdev/ratelimit.h"
#include "vdev/vdev.h"
#include "vdev/workers.h"

#define BLK_QUEUE_SIZE	  256
#define BLK_SEG_MAX	  (BLK_QUEUE_SIZE - 2)
#define BLK_CONFIG_SIZE	  60
#define BLK_MAX_DISCARD	  (1U << 22) /* sectors per segment: 2 GiB */
#define BLK_DISCARD_ALIGN 8	     /* sectors: 4 KiB */

struct blk_job {
	struct work work;
	struct vdev_blk *blk;
	uint16_t head;
	uint32_t epoch;
	struct blk_req req;
	uint8_t result;
	struct iovec iov[]; /* req.niov data buffers */
};

struct vdev_blk {
	struct vdev dev;
	char path[PATH_MAX];
	char abs_path[PATH_MAX]; /* path resolved at creation: what a snapshot records */
	char serial[BLK_ID_BYTES + 1];
	bool readonly;
	int fd;
	uint64_t size;
	struct blk_geom geom;
	uint8_t config[BLK_CONFIG_SIZE];
	unsigned nworkers;
	struct workers workers;
	bool workers_ready;
	struct ratelimit_config rl_cfg;
	bool rl_dirty; /* rl_cfg changed at run time; the device thread applies it */
	struct ratelimit rl;
	struct blk_job *pending; /* popped, waiting for the rate limiter */
	uint64_t reads, writes, flushes, discards, errors, read_bytes, write_bytes;
};

#define to_blk(d) ((struct vdev_blk *)(d))

/* ---- worker side ---- */

/* preadv/pwritev until everything moved; a read past the end of a file reads zeros. */
static int do_rw(int fd, struct iovec *iov, unsigned n, uint64_t off, bool write)
{
	while (n) {
		ssize_t r =
			write ? pwritev(fd, iov, (int)n, (off_t)off) : preadv(fd, iov, (int)n, (off_t)off);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0) {
			if (write)
				return -EIO;
			for (unsigned i = 0; i < n; i++)
				memset(iov[i].iov_base, 0, iov[i].iov_len);
			return 0;
		}
		off += (uint64_t)r;
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

static int write_zeroes(int fd, uint64_t off, uint64_t len, bool unmap)
{
	static const uint8_t zero[65536];

	if (fallocate(fd,
		      unmap ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
			    : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		      (off_t)off, (off_t)len) == 0)
		return 0;
	if (errno != EOPNOTSUPP && errno != ENOSYS && errno != EINVAL)
		return -errno;
	/* The file system cannot: write the zeros. */
	while (len) {
		size_t c = len < sizeof(zero) ? len : sizeof(zero);
		ssize_t w = pwrite(fd, zero, c, (off_t)off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		off += (uint64_t)w;
		len -= (uint64_t)w;
	}
	return 0;
}

static void job_run(struct work *w)
{
	struct blk_job *job = (struct blk_job *)w;
	struct blk_req *r = &job->req;
	int fd = job->blk->fd, ret = 0;

	switch (r->type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		ret = do_rw(fd, job->iov, r->niov, r->sector << BLK_SECTOR_SHIFT,
			    r->type == VIRTIO_BLK_T_OUT);
		break;
	case VIRTIO_BLK_T_FLUSH:
		ret = job->blk->readonly || fdatasync(fd) == 0 ? 0 : -errno;
		break;
	case VIRTIO_BLK_T_DISCARD:
		for (unsigned i = 0; i < r->nseg && !ret; i++) {
			/* Discard is advisory: a file system that cannot punch holes just keeps the data. */
			if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				      (off_t)(r->seg[i].sector << BLK_SECTOR_SHIFT),
				      (off_t)((uint64_t)r->seg[i].num_sectors << BLK_SECTOR_SHIFT)) < 0 &&
			    errno != EOPNOTSUPP && errno != ENOSYS)
				ret = -errno;
		}
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		for (unsigned i = 0; i < r->nseg && !ret; i++)
			ret = write_zeroes(fd, r->seg[i].sector << BLK_SECTOR_SHIFT,
					   (uint64_t)r->seg[i].num_sectors << BLK_SECTOR_SHIFT,
					   r->seg[i].flags & VIRTIO_BLK_WZ_F_UNMAP);
		break;
	default:
		ret = -EINVAL;
	}
	job->result = ret ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

/* ---- device thread ---- */

static void complete(struct vdev_blk *blk, uint16_t head, uint32_t epoch, const struct blk_req *r,
		     uint8_t result)
{
	struct virtq *vq = virtio_pci__queue(&blk->dev.vp, 0);

	/* After a reset the buffers belong to nobody: neither status nor used entry. */
	if (!vq || vq->epoch != epoch)
		return;
	if (result != VIRTIO_BLK_S_OK)
		blk->errors++;
	if (r->status)
		*r->status = result;
	vdev_push(&blk->dev, 0, head, epoch, result == VIRTIO_BLK_S_OK ? r->used_len : 1);
}

static void count(struct vdev_blk *blk, const struct blk_req *r)
{
	switch (r->type) {
	case VIRTIO_BLK_T_IN:
		blk->reads++;
		blk->read_bytes += r->len;
		break;
	case VIRTIO_BLK_T_OUT:
		blk->writes++;
		blk->write_bytes += r->len;
		break;
	case VIRTIO_BLK_T_FLUSH:
		blk->flushes++;
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		blk->discards++;
		break;
	}
}

static void submit(struct vdev_blk *blk, struct blk_job *job)
{
	struct blk_req *r = &job->req;

	count(blk, r);
	if (r->type == VIRTIO_BLK_T_GET_ID) {
		/* No I/O: the serial is ours. */
		char id[BLK_ID_BYTES] = {0};

		memcpy(id, blk->serial, strnlen(blk->serial, BLK_ID_BYTES));
		size_t off = 0;

		for (unsigned i = 0; i < r->niov; i++) {
			memcpy(job->iov[i].iov_base, id + off, job->iov[i].iov_len);
			off += job->iov[i].iov_len;
		}
		complete(blk, job->head, job->epoch, r, VIRTIO_BLK_S_OK);
		free(job);
		return;
	}
	workers_submit(&blk->workers, &job->work);
}

/* Parses dev->chain into a job; NULL when it was completed (or dropped) on the spot. */
static struct blk_job *take_request(struct vdev_blk *blk)
{
	struct virtq_chain *c = blk->dev.chain;
	unsigned max = c->nread + c->nwrite;
	struct blk_job *job = malloc(sizeof(*job) + sizeof(struct iovec) * (max ? max : 1));

	if (!job) {
		/* Out of host memory: fail this request rather than the VMM. */
		struct blk_req r;
		struct iovec none[1];

		if (blk_req__parse(c->iov, c->nread, c->nwrite, &blk->geom, &r, none, 0) == 0)
			complete(blk, c->head, c->epoch, &r, VIRTIO_BLK_S_IOERR);
		else
			vdev_push(&blk->dev, 0, c->head, c->epoch, 0);
		return NULL;
	}
	job->blk = blk;
	job->head = c->head;
	job->epoch = c->epoch;
	job->work.fn = job_run;
	if (blk_req__parse(c->iov, c->nread, c->nwrite, &blk->geom, &job->req, job->iov, max) < 0) {
		/* No status byte: all we can do is hand the buffers back. */
		blk->errors++;
		vdev_push(&blk->dev, 0, c->head, c->epoch, 0);
		free(job);
		return NULL;
	}
	if (job->req.done) {
		complete(blk, job->head, job->epoch, &job->req, job->req.result);
		free(job);
		return NULL;
	}
	return job;
}

static uint64_t job_bytes(const struct blk_job *job)
{
	return job->req.type == VIRTIO_BLK_T_IN || job->req.type == VIRTIO_BLK_T_OUT ? job->req.len : 0;
}

static void process_queue(struct vdev_blk *blk)
{
	for (;;) {
		struct blk_job *job = blk->pending;

		blk->pending = NULL;
		if (!job) {
			/*
			 * A guest can re-offer a head it has in flight and so make the ring
			 * look endless: never hold more than a queue's worth of requests.
			 * reap() comes back here as completions free room.
			 */
			if (workers_inflight(&blk->workers) >= BLK_QUEUE_SIZE)
				break;
			if (vdev_pop(&blk->dev, 0) <= 0)
				break;
			job = take_request(blk);
			if (!job)
				continue;
		}
		if (ratelimit_enabled(&blk->rl) &&
		    !ratelimit_consume(&blk->rl, job_bytes(job), ratelimit_now_ns())) {
			blk->pending = job; /* the timerfd brings us back */
			break;
		}
		submit(blk, job);
	}
	vdev_signal(&blk->dev, 0);
}

static void blk_queue_kick(struct vdev *dev, unsigned q)
{
	process_queue(to_blk(dev));
}

static void reap(struct vdev_blk *blk)
{
	struct work *list = workers_reap(&blk->workers);

	while (list) {
		struct blk_job *job = (struct blk_job *)list;

		list = list->next;
		complete(blk, job->head, job->epoch, &job->req, job->result);
		free(job);
	}
	/* Requests may have waited for room in flight. */
	process_queue(blk);
}

static void blk_handle(struct vdev *dev, int fd, uint32_t events)
{
	struct vdev_blk *blk = to_blk(dev);

	if (fd == blk->workers.done_fd) {
		reap(blk);
	} else if (fd == blk->rl.timer_fd) {
		ratelimit_timer_fired(&blk->rl);
		process_queue(blk);
	}
}

static void blk_reset(struct vdev *dev)
{
	struct vdev_blk *blk = to_blk(dev);

	/* Jobs on workers finish into a stale epoch and are dropped in complete(). */
	free(blk->pending);
	blk->pending = NULL;
}

static unsigned blk_inflight(struct vdev *dev)
{
	struct vdev_blk *blk = to_blk(dev);

	/* A request waiting for the rate limiter was popped too: a snapshot must wait for it. */
	return (blk->workers_ready ? workers_inflight(&blk->workers) : 0) + (blk->pending ? 1 : 0);
}

/* ---- set-up ---- */

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static void build_config(struct vdev_blk *blk)
{
	uint64_t cap = htole64(blk->geom.capacity);

	memset(blk->config, 0, sizeof(blk->config));
	memcpy(blk->config, &cap, 8);
	put32(blk->config + 12, BLK_SEG_MAX);
	put32(blk->config + 20, BLK_SECTOR_SIZE);
	put32(blk->config + 36, BLK_MAX_DISCARD);
	put32(blk->config + 40, BLK_MAX_SEGS);
	put32(blk->config + 44, BLK_DISCARD_ALIGN);
	put32(blk->config + 48, BLK_MAX_DISCARD);
	put32(blk->config + 52, BLK_MAX_SEGS);
	blk->config[56] = 1; /* write_zeroes_may_unmap */
}

static int open_image(struct vdev_blk *blk, const char *what, cella_err_t *err)
{
	struct stat st;

	blk->fd = open(blk->path, (blk->readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (blk->fd < 0)
		return cella_error_sys(err, "%s: path: cannot open %s", what, blk->path);
	if (fstat(blk->fd, &st) < 0)
		return cella_error_sys(err, "%s: path: stat %s", what, blk->path);
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(blk->fd, BLKGETSIZE64, &blk->size) < 0)
			return cella_error_sys(err, "%s: path: size of %s", what, blk->path);
	} else if (S_ISREG(st.st_mode)) {
		blk->size = (uint64_t)st.st_size;
	} else {
		return cella_error_make(err, 0, "%s: path: %s is not a regular file or block device", what,
					blk->path);
	}
	/* Now, before any seccomp filter: a snapshot (main thread) may not resolve paths. */
	if (!realpath(blk->path, blk->abs_path))
		return cella_error_sys(err, "%s: path: resolving %s", what, blk->path);
	if (blk->size < BLK_SECTOR_SIZE)
		return cella_error_make(err, 0, "%s: path: %s is smaller than one 512-byte sector", what,
					blk->path);
	return 0;
}

static void blk_destroy(struct vdev *dev)
{
	struct vdev_blk *blk = to_blk(dev);

	if (blk->workers_ready) {
		workers_destroy(&blk->workers);
		/* The pool ran everything it had; jobs not reaped yet are freed here. */
		for (struct work *w = blk->workers.done; w;) {
			struct work *next = w->next;

			free(w);
			w = next;
		}
	}
	free(blk->pending);
	ratelimit_release(&blk->rl);
	if (blk->fd >= 0)
		close(blk->fd);
	vdev_base_release(dev);
	free(blk);
}

static int blk_create(const struct vdev_opts *o, struct vdev **out, cella_err_t *err)
{
	struct vdev_blk *blk = calloc(1, sizeof(*blk));
	uint64_t nworkers;
	bool discard;

	if (!blk)
		return cella_error_sys(err, "%s: out of memory", o->what);
	vdev_base_init(&blk->dev, &vdev_blk_ops, o);
	blk->fd = -1;
	blk->rl.timer_fd = -1;
	*out = &blk->dev;
	if (!vdev_opts_has(o, "path")) {
		blk_destroy(&blk->dev);
		*out = NULL;
		return cella_error_make(err, 0, "%s: path: missing (the disk image)", o->what);
	}
	if (vdev_opts_str(o, "path", NULL, blk->path, sizeof(blk->path), err) < 0 ||
	    vdev_opts_str(o, "id", "blk", blk->dev.id, sizeof(blk->dev.id), err) < 0 ||
	    vdev_opts_str(o, "serial", blk->dev.id, blk->serial, sizeof(blk->serial), err) < 0 ||
	    vdev_opts_bool(o, "readonly", false, &blk->readonly, err) < 0 ||
	    vdev_opts_bool(o, "discard", true, &discard, err) < 0 ||
	    vdev_opts_u64(o, "workers", 2, 1, WORKERS_MAX, &nworkers, err) < 0 ||
	    ratelimit_config_parse(o, NULL, &blk->rl_cfg, err) < 0 || open_image(blk, o->what, err) < 0 ||
	    ratelimit_init(&blk->rl, &blk->rl_cfg, err) < 0 ||
	    workers_init(&blk->workers, (unsigned)nworkers, blk->dev.id, err) < 0) {
		blk_destroy(&blk->dev);
		*out = NULL;
		return -1;
	}
	blk->workers_ready = true;
	blk->nworkers = (unsigned)nworkers;
	blk->geom = (struct blk_geom){
		.capacity = blk->size >> BLK_SECTOR_SHIFT,
		.readonly = blk->readonly,
		.discard = discard && !blk->readonly,
		.max_discard_sectors = BLK_MAX_DISCARD,
		.max_write_zeroes_sectors = BLK_MAX_DISCARD,
	};
	build_config(blk);
	blk->dev.info = (struct vdev_info){
		.virtio_id = 2,
		.class_code = 0x018000, /* mass storage, other */
		.features =
			VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) | VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
			VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
			VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | (blk->readonly ? VIRTIO_BIT(VIRTIO_BLK_F_RO) : 0) |
			(blk->geom.discard
				 ? VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) | VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES)
				 : 0),
		.num_queues = 1,
		.queue_size = BLK_QUEUE_SIZE,
		.config = blk->config,
		.config_size = BLK_CONFIG_SIZE,
	};
	return 0;
}

static int blk_start(struct vdev *dev, cella_err_t *err)
{
	struct vdev_blk *blk = to_blk(dev);

	if (vdev_watch(dev, blk->workers.done_fd, EPOLLIN, err) < 0 ||
	    vdev_watch(dev, blk->rl.timer_fd, EPOLLIN, err) < 0)
		return -1;
	return 0;
}

static int blk_update(struct vdev *dev, const struct vdev_opts *o, cella_err_t *err)
{
	struct vdev_blk *blk = to_blk(dev);
	struct ratelimit_config cfg;

	if (ratelimit_config_parse(o, &blk->rl_cfg, &cfg, err) < 0 || vdev_opts_check_unused(o, err) < 0)
		return -1;
	blk->rl_cfg = cfg;
	blk->rl_dirty = true;
	vdev_request_sync(dev);
	return 0;
}

static void blk_sync(struct vdev *dev)
{
	struct vdev_blk *blk = to_blk(dev);

	if (blk->rl_dirty)
		ratelimit_update(&blk->rl, &blk->rl_cfg, ratelimit_now_ns());
	blk->rl_dirty = false;
}

static int blk_save_backend(struct vdev *dev, struct vdev_opts *o, cella_err_t *err)
{
	struct vdev_blk *blk = to_blk(dev);

	if (vdev_opts_set(o, "path", blk->abs_path, err) < 0 ||
	    vdev_opts_set(o, "readonly", blk->readonly ? "on" : "off", err) < 0)
		return -1;
	return vdev_opts_set(o, "serial", blk->serial, err);
}

static void blk_describe(struct vdev *dev, json_t *o)
{
	struct vdev_blk *blk = to_blk(dev);

	json_object_set_new(o, "path", json_string(blk->path));
	json_object_set_new(o, "readonly", json_boolean(blk->readonly));
	json_object_set_new(o, "capacity_sectors", json_integer((json_int_t)blk->geom.capacity));
	json_object_set_new(o, "serial", json_string(blk->serial));
	json_object_set_new(
		o, "stats",
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "reads", (json_int_t)blk->reads,
			  "writes", (json_int_t)blk->writes, "flushes", (json_int_t)blk->flushes, "discards",
			  (json_int_t)blk->discards, "errors", (json_int_t)blk->errors, "read_bytes",
			  (json_int_t)blk->read_bytes, "write_bytes", (json_int_t)blk->write_bytes,
			  "throttled", (json_int_t)blk->rl.throttled));
	json_object_set_new(o, "rate_limiter",
			    json_pack("{s:I, s:I, s:I, s:I}", "bytes_size",
				      (json_int_t)blk->rl_cfg.bytes.size, "ops_size",
				      (json_int_t)blk->rl_cfg.ops.size, "refill_ms",
				      (json_int_t)blk->rl_cfg.bytes.refill_ms, "bytes_burst",
				      (json_int_t)blk->rl_cfg.bytes.one_time_burst));
}

const struct vdev_ops vdev_blk_ops = {
	.type = "blk",
	.create = blk_create,
	.start = blk_start,
	.queue_kick = blk_queue_kick,
	.handle = blk_handle,
	.reset = blk_reset,
	.sync = blk_sync,
	.inflight = blk_inflight,
	.save_backend = blk_save_backend,
	.update = blk_update,
	.describe = blk_describe,
	.destroy = blk_destroy,
};
