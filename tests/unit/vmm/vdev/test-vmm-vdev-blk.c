// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-blk against a temporary raw image: I/O, flush, ID, discard, write zeroes, errors, limits, drain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "vdev-test.h"
#include "vdev/blk_req.h"

#define IMG_SIZE (1U << 20)
#define SECTORS	 (IMG_SIZE / 512)

struct fixture {
	struct t_guest g;
	char path[64];
	int fd;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	uint8_t *buf = malloc(IMG_SIZE);

	snprintf(f->path, sizeof(f->path), "/tmp/cella-vdev-blk-XXXXXX");
	f->fd = mkstemp(f->path);
	assert_true(f->fd >= 0);
	for (unsigned i = 0; i < IMG_SIZE; i++)
		buf[i] = (uint8_t)(i / 512 + i);
	assert_int_equal(pwrite(f->fd, buf, IMG_SIZE, 0), IMG_SIZE);
	free(buf);
	t_guest_init(&f->g);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	t_guest_free(&f->g);
	close(f->fd);
	unlink(f->path);
	free(f);
	return 0;
}

static void create(struct fixture *f, const char *extra)
{
	char opts[256];
	cella_err_t err = NULL;

	snprintf(opts, sizeof(opts), "path=%s,id=disk0,serial=SER-0042%s", f->path, extra);
	if (vdev_create_from_string("blk", "--disk", opts, &f->g.env, &f->g.dev, &err) < 0)
		fail_msg("create: %s", cella_error_string(err));
	assert_int_equal(t_driver_start(&f->g, ~0ULL) & VIRTIO_STATUS_DRIVER_OK, VIRTIO_STATUS_DRIVER_OK);
}

struct req {
	uint64_t hdr, data, status;
	uint16_t head;
};

/* Queues a request: header, then data (device-writable for reads), then the status byte. */
static struct req submit(struct fixture *f, uint32_t type, uint64_t sector, uint32_t len, bool data_write)
{
	struct req r = {.hdr = t_alloc(&f->g, 16), .status = 0};
	struct t_buf b[3];
	unsigned n = 0;
	uint32_t t = htole32(type);
	uint64_t s = htole64(sector);

	memcpy(t_ptr(&f->g, r.hdr), &t, 4);
	memset(t_ptr(&f->g, r.hdr + 4), 0, 4);
	memcpy(t_ptr(&f->g, r.hdr + 8), &s, 8);
	b[n++] = (struct t_buf){r.hdr, 16, false};
	if (len) {
		r.data = t_alloc(&f->g, len);
		b[n++] = (struct t_buf){r.data, len, data_write};
	}
	r.status = t_alloc(&f->g, 1);
	*(uint8_t *)t_ptr(&f->g, r.status) = 0xEE;
	b[n++] = (struct t_buf){r.status, 1, true};
	r.head = t_add_chain(&f->g, 0, b, n);
	return r;
}

/* Kicks, waits for one completion, checks it is r; returns the status byte. */
static uint8_t complete_one(struct fixture *f, struct req *r, uint32_t expect_len)
{
	uint32_t id, len;

	t_kick(&f->g, 0);
	assert_true(t_run_until_used(&f->g, 0, 1, 5000));
	t_next_used(&f->g, 0, &id, &len);
	assert_int_equal(id, r->head);
	if (expect_len != UINT32_MAX)
		assert_int_equal(len, expect_len);
	return *(uint8_t *)t_ptr(&f->g, r->status);
}

static void test_config_space(void **state)
{
	struct fixture *f = *state;

	create(f, "");
	assert_int_equal(t_bar_rd(&f->g, VIRTIO_PCI_DEVICE_OFF, 8), SECTORS);
	assert_int_equal(t_bar_rd(&f->g, VIRTIO_PCI_DEVICE_OFF + 20, 4), 512);
	assert_int_equal(t_bar_rd(&f->g, VIRTIO_PCI_DEVICE_OFF + 40, 4), BLK_MAX_SEGS);
	assert_true(virtio_pci__features(&f->g.dev->vp) & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_false(virtio_pci__features(&f->g.dev->vp) & VIRTIO_BIT(VIRTIO_BLK_F_RO));
}

static void test_read(void **state)
{
	struct fixture *f = *state;
	uint8_t expect[1024];
	struct req r;

	create(f, "");
	assert_int_equal(pread(f->fd, expect, sizeof(expect), 3 * 512), sizeof(expect));
	r = submit(f, VIRTIO_BLK_T_IN, 3, sizeof(expect), true);
	assert_int_equal(complete_one(f, &r, sizeof(expect) + 1), VIRTIO_BLK_S_OK);
	assert_memory_equal(t_ptr(&f->g, r.data), expect, sizeof(expect));
}

static void test_write_and_flush(void **state)
{
	struct fixture *f = *state;
	uint8_t back[1536];
	struct req r;

	create(f, "");
	r = submit(f, VIRTIO_BLK_T_OUT, SECTORS - 3, sizeof(back), false);
	memset(t_ptr(&f->g, r.data), 0xA5, sizeof(back));
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(f->fd, back, sizeof(back), (SECTORS - 3) * 512ULL), sizeof(back));
	for (unsigned i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0xA5);
	r = submit(f, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_OK);
}

static void test_get_id(void **state)
{
	struct fixture *f = *state;
	struct req r;

	create(f, "");
	r = submit(f, VIRTIO_BLK_T_GET_ID, 0, BLK_ID_BYTES, true);
	assert_int_equal(complete_one(f, &r, BLK_ID_BYTES + 1), VIRTIO_BLK_S_OK);
	assert_memory_equal(t_ptr(&f->g, r.data), "SER-0042\0\0", 10);
}

static struct req submit_segments(struct fixture *f, uint32_t type, uint64_t sector, uint32_t num,
				  uint32_t flags)
{
	struct req r = {.hdr = t_alloc(&f->g, 16 + 16)};
	uint32_t t = htole32(type), n = htole32(num), fl = htole32(flags);
	uint64_t s = htole64(sector);
	struct t_buf b[2];

	memset(t_ptr(&f->g, r.hdr), 0, 32);
	memcpy(t_ptr(&f->g, r.hdr), &t, 4);
	memcpy(t_ptr(&f->g, r.hdr + 16), &s, 8);
	memcpy(t_ptr(&f->g, r.hdr + 24), &n, 4);
	memcpy(t_ptr(&f->g, r.hdr + 28), &fl, 4);
	r.status = t_alloc(&f->g, 1);
	b[0] = (struct t_buf){r.hdr, 32, false};
	b[1] = (struct t_buf){r.status, 1, true};
	r.head = t_add_chain(&f->g, 0, b, 2);
	return r;
}

static void test_discard_and_write_zeroes(void **state)
{
	struct fixture *f = *state;
	uint8_t back[4096];
	struct req r;

	create(f, "");
	r = submit_segments(f, VIRTIO_BLK_T_WRITE_ZEROES, 8, 8, 0);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(f->fd, back, sizeof(back), 8 * 512), sizeof(back));
	for (unsigned i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	/* With unmap: punched, still reads as zeros, size unchanged. */
	r = submit_segments(f, VIRTIO_BLK_T_WRITE_ZEROES, 64, 8, VIRTIO_BLK_WZ_F_UNMAP);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(pread(f->fd, back, sizeof(back), 64 * 512), sizeof(back));
	for (unsigned i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0);
	r = submit_segments(f, VIRTIO_BLK_T_DISCARD, 128, 16, 0);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_OK);
	struct stat st;

	assert_int_equal(fstat(f->fd, &st), 0);
	assert_int_equal(st.st_size, IMG_SIZE);
	/* Unmap on a discard, unknown flags: UNSUPP. Past the end: IOERR. */
	r = submit_segments(f, VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_WZ_F_UNMAP);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_UNSUPP);
	r = submit_segments(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 8, 0x80);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_UNSUPP);
	r = submit_segments(f, VIRTIO_BLK_T_WRITE_ZEROES, SECTORS - 4, 8, 0);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_IOERR);
	r = submit_segments(f, VIRTIO_BLK_T_DISCARD, UINT64_MAX - 2, 8, 0);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_IOERR);
}

static void test_out_of_range(void **state)
{
	struct fixture *f = *state;
	struct req r;

	create(f, "");
	r = submit(f, VIRTIO_BLK_T_IN, SECTORS - 1, 1024, true);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_IOERR);
	/* sector + length wraps around 2^64: still refused. */
	r = submit(f, VIRTIO_BLK_T_OUT, UINT64_MAX, 512, false);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_IOERR);
	r = submit(f, VIRTIO_BLK_T_IN, SECTORS, 512, true);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_IOERR);
	/* The last sector itself is fine. */
	r = submit(f, VIRTIO_BLK_T_IN, SECTORS - 1, 512, true);
	assert_int_equal(complete_one(f, &r, 513), VIRTIO_BLK_S_OK);
}

static void test_readonly(void **state)
{
	struct fixture *f = *state;
	uint8_t before[512], after[512];
	struct req r;

	create(f, ",readonly=on");
	assert_true(virtio_pci__features(&f->g.dev->vp) & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	assert_false(virtio_pci__features(&f->g.dev->vp) & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	assert_int_equal(pread(f->fd, before, 512, 0), 512);
	r = submit(f, VIRTIO_BLK_T_OUT, 0, 512, false);
	memset(t_ptr(&f->g, r.data), 0x11, 512);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_IOERR);
	assert_int_equal(pread(f->fd, after, 512, 0), 512);
	assert_memory_equal(before, after, 512);
	r = submit_segments(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 1, 0);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_UNSUPP);
	r = submit(f, VIRTIO_BLK_T_IN, 0, 512, true);
	assert_int_equal(complete_one(f, &r, 513), VIRTIO_BLK_S_OK);
	r = submit(f, VIRTIO_BLK_T_FLUSH, 0, 0, false);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_OK);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	struct t_buf b[3];
	uint64_t hdr, st, data;
	uint32_t id, len;
	struct req r;

	create(f, "");
	/* Unknown type. */
	r = submit(f, 99, 0, 0, false);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_UNSUPP);
	/* Length not a multiple of 512. */
	r = submit(f, VIRTIO_BLK_T_IN, 0, 100, true);
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_IOERR);
	/* Header cut short (8 bytes). */
	hdr = t_alloc(&f->g, 16);
	memset(t_ptr(&f->g, hdr), 0, 16);
	st = t_alloc(&f->g, 1);
	b[0] = (struct t_buf){hdr, 8, false};
	b[1] = (struct t_buf){st, 1, true};
	r = (struct req){.hdr = hdr, .status = st, .head = t_add_chain(&f->g, 0, b, 2)};
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_IOERR);
	/* Header in a device-writable buffer only: no readable header. */
	b[0] = (struct t_buf){hdr, 16, true};
	b[1] = (struct t_buf){st, 1, true};
	r = (struct req){.hdr = hdr, .status = st, .head = t_add_chain(&f->g, 0, b, 2)};
	assert_int_equal(complete_one(f, &r, 1), VIRTIO_BLK_S_IOERR);
	/* No writable byte at all: returned with length 0, nothing written. */
	data = t_alloc(&f->g, 512);
	b[0] = (struct t_buf){hdr, 16, false};
	b[1] = (struct t_buf){data, 512, false};
	r.head = t_add_chain(&f->g, 0, b, 2);
	t_kick(&f->g, 0);
	assert_true(t_run_until_used(&f->g, 0, 1, 5000));
	t_next_used(&f->g, 0, &id, &len);
	assert_int_equal(id, r.head);
	assert_int_equal(len, 0);
	/* A descriptor outside guest RAM breaks the queue: NEEDS_RESET, the process lives on. */
	b[0] = (struct t_buf){T_RAM_SIZE - 8, 16, false};
	b[1] = (struct t_buf){st, 1, true};
	t_add_chain(&f->g, 0, b, 2);
	t_kick(&f->g, 0);
	t_run(&f->g, 100);
	assert_true(t_bar_rd(&f->g, VIRTIO_PCI_COMMON_STATUS, 1) & VIRTIO_STATUS_NEEDS_RESET);
	/* A reset brings it back. */
	t_bar_wr(&f->g, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	memset(f->g.q, 0, sizeof(f->g.q));
	memset(t_ptr(&f->g, T_RING_BASE), 0, T_RING_STEP);
	assert_true(t_driver_start(&f->g, ~0ULL) & VIRTIO_STATUS_DRIVER_OK);
	r = submit(f, VIRTIO_BLK_T_IN, 0, 512, true);
	assert_int_equal(complete_one(f, &r, 513), VIRTIO_BLK_S_OK);
}

static void test_many_inflight_and_drain(void **state)
{
	struct fixture *f = *state;
	struct req r[32];
	cella_err_t err = NULL;

	create(f, ",workers=4");
	for (unsigned i = 0; i < 32; i++)
		r[i] = submit(f, i % 2 ? VIRTIO_BLK_T_IN : VIRTIO_BLK_T_OUT, i * 8, 4096, i % 2);
	t_kick(&f->g, 0);
	/* Pops and hands everything to the workers, then waits for them all. */
	t_run(&f->g, 0);
	assert_int_equal(vdev_drain(f->g.dev, 5000, &err), 0);
	assert_int_equal(vdev_inflight(f->g.dev), 0);
	assert_int_equal(t_used_idx(&f->g, 0), 32);
	for (unsigned i = 0; i < 32; i++)
		assert_int_equal(*(uint8_t *)t_ptr(&f->g, r[i].status), VIRTIO_BLK_S_OK);
}

static void test_reset_drops_inflight(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	create(f, "");
	for (unsigned i = 0; i < 16; i++)
		submit(f, VIRTIO_BLK_T_IN, i, 512, true);
	t_kick(&f->g, 0);
	t_run(&f->g, 0);
	/* The driver resets while requests are on the workers: their completions must not reach the rings. */
	t_bar_wr(&f->g, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	uint16_t used_before = t_used_idx(&f->g, 0);

	assert_int_equal(vdev_drain(f->g.dev, 5000, &err), 0);
	assert_int_equal(t_used_idx(&f->g, 0), used_before);
}

static void test_rate_limit_and_update(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;
	struct vdev_opts o;
	json_t *d;

	/* 2 operations a second: the third of three requests waits for the timer. */
	create(f, ",iops=2");
	for (unsigned i = 0; i < 3; i++)
		submit(f, VIRTIO_BLK_T_IN, i, 512, true);
	t_kick(&f->g, 0);
	assert_true(t_run_until_used(&f->g, 0, 2, 5000));
	d = vdev_describe(f->g.dev);
	assert_true(json_integer_value(json_object_get(json_object_get(d, "stats"), "throttled")) >= 1);
	json_decref(d);
	assert_true(t_run_until_used(&f->g, 0, 3, 5000));
	/* Runtime change: unknown keys refuse the whole update. */
	assert_int_equal(vdev_opts_parse(&o, "PATCH /drives/disk0", "iops=0,bogus=1", &err), 0);
	assert_true(vdev_update(f->g.dev, &o, &err) < 0);
	assert_string_equal(cella_error_string(err), "PATCH /drives/disk0: unknown option 'bogus'");
	cella_error_release(&err);
	vdev_opts_release(&o);
	assert_int_equal(vdev_opts_parse(&o, "PATCH", "iops=0,bps=1M", &err), 0);
	assert_int_equal(vdev_update(f->g.dev, &o, &err), 0);
	vdev_opts_release(&o);
	d = vdev_describe(f->g.dev);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "rate_limiter"), "ops_size")),
			 0);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(d, "rate_limiter"), "bytes_size")),
		1 << 20);
	json_decref(d);
}

/*
 * Snapshot and restore mid-stream (docs/snapshots.md, "In-flight requests"): with a slow IOPS
 * limit, when the snapshot quiesces the device one request is held by the rate limiter and
 * others were never popped; the held one completes before the state is saved, the others stay
 * in the avail ring, and a device re-created from the saved options and loaded with the saved
 * state does them: every request is completed exactly once.
 */
#define SNAP_REQS 8

static void test_snapshot_quiesce_and_restore(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ struct virtio_pci_state *st = calloc(1, sizeof(*st));
	struct req r[SNAP_REQS];
	cella_err_t err = NULL;
	struct vdev_opts o;
	struct vdev *old;
	bool seen[SNAP_REQS] = {false};
	char real[PATH_MAX];
	uint16_t saved_used;
	int64_t end;

	create(f, ",iops=2");
	for (unsigned i = 0; i < SNAP_REQS; i++)
		r[i] = submit(f, VIRTIO_BLK_T_IN, i, 512, true);
	t_kick(&f->g, 0);
	t_run(&f->g, 0);
	assert_true(vdev_inflight(f->g.dev) >= 1); /* on a worker, or popped and held by the rate limiter */

	/* Quiesce: nothing new is popped, the held request drains (the limiter's timer). */
	pci_device__lock(vdev_pci(f->g.dev));
	vdev_set_quiesced(f->g.dev, true);
	pci_device__unlock(vdev_pci(f->g.dev));
	for (end = t_now_ms() + 5000; vdev_inflight(f->g.dev) && t_now_ms() < end;)
		t_run(&f->g, 50);
	assert_int_equal(vdev_inflight(f->g.dev), 0);
	saved_used = t_used_idx(&f->g, 0);
	assert_true(saved_used >= 1 && saved_used < SNAP_REQS); /* some were never popped */

	assert_int_equal(vdev_opts_parse(&o, "dev.virtio.0", "iops=2", &err), 0);
	pci_device__lock(vdev_pci(f->g.dev));
	assert_int_equal(vdev_save_state(f->g.dev, &o, st, &err), 0);
	pci_device__unlock(vdev_pci(f->g.dev));
	assert_non_null(realpath(f->path, real));
	assert_string_equal(vdev_opts_get(&o, "path"), real);
	assert_string_equal(vdev_opts_get(&o, "id"), "disk0");
	assert_string_equal(vdev_opts_get(&o, "serial"), "SER-0042");
	assert_string_equal(vdev_opts_get(&o, "readonly"), "off");
	assert_int_equal(st->queue[0].last_avail, saved_used);
	assert_int_equal(st->queue[0].used_idx, saved_used);

	/* The restore: a new device from the saved options (no limit now), the saved transport in it. */
	old = f->g.dev;
	assert_int_equal(vdev_opts_set(&o, "iops", "0", &err), 0);
	assert_int_equal(vdev_create("blk", &o, &f->g.env, &f->g.dev, &err), 0);
	vdev_opts_release(&o);
	assert_int_equal(vdev_load_state(f->g.dev, st, &err), 0);
	vdev_destroy(old);
	assert_true(t_run_until_used(&f->g, 0, SNAP_REQS, 5000));
	t_run(&f->g, 100);
	assert_int_equal(t_used_idx(&f->g, 0), SNAP_REQS);
	for (unsigned i = 0; i < SNAP_REQS; i++) {
		uint32_t id, len;

		t_next_used(&f->g, 0, &id, &len);
		for (unsigned k = 0; k < SNAP_REQS; k++) {
			if (r[k].head == id) {
				assert_false(seen[k]);
				seen[k] = true;
				assert_int_equal(*(uint8_t *)t_ptr(&f->g, r[k].status), VIRTIO_BLK_S_OK);
			}
		}
	}
	for (unsigned k = 0; k < SNAP_REQS; k++)
		assert_true(seen[k]);
	/* A back-end that offers other features now is refused. */
	assert_int_equal(vdev_opts_parse(&o, "dev.virtio.0", "readonly=on", &err), 0);
	assert_int_equal(vdev_opts_set(&o, "path", f->path, &err), 0);
	assert_int_equal(vdev_create("blk", &o, &f->g.env, &old, &err), 0);
	vdev_opts_release(&o);
	assert_int_equal(vdev_load_state(old, st, &err), -1);
	assert_non_null(strstr(cella_error_string(err), "device features"));
	cella_error_release(&err);
	vdev_destroy(old);
}

static void expect_error(struct fixture *f, const char *opts, const char *msg)
{
	cella_err_t err = NULL;
	struct vdev *dev = NULL;

	assert_true(vdev_create_from_string("blk", "--disk", opts, &f->g.env, &dev, &err) < 0);
	assert_null(dev);
	if (!strstr(cella_error_string(err), msg))
		fail_msg("'%s' gave '%s', expected '%s'", opts, cella_error_string(err), msg);
	cella_error_release(&err);
}

static void test_option_errors(void **state)
{
	struct fixture *f = *state;
	char opts[200];

	snprintf(opts, sizeof(opts), "path=%s,readonly=maybe", f->path);
	expect_error(f, opts, "--disk: readonly: expected on or off, not 'maybe'");
	snprintf(opts, sizeof(opts), "path=%s,colour=blue", f->path);
	expect_error(f, opts, "--disk: unknown option 'colour'");
	snprintf(opts, sizeof(opts), "path=%s,workers=9", f->path);
	expect_error(f, opts, "--disk: workers: 9 is outside [1, 4]");
	snprintf(opts, sizeof(opts), "path=%s,bps=lots", f->path);
	expect_error(f, opts, "--disk: bps: expected a number, not 'lots'");
	expect_error(f, "readonly=on", "--disk: path: missing");
	expect_error(f, "path=/nonexistent/disk.img", "--disk: path: cannot open /nonexistent/disk.img");
	expect_error(f, "path=/dev/null", "is not a regular file or block device");
	expect_error(f, "path", "--disk: path: expected key=value");
	snprintf(opts, sizeof(opts), "path=%s,serial=012345678901234567890", f->path);
	expect_error(f, opts, "--disk: serial: longer than 20 bytes");
}

static void test_json_and_describe(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;
	json_t *cfg = json_pack("{s:s, s:b, s:s, s:i}", "path", f->path, "readonly", 1, "id", "root", "bps",
				1000000);
	json_t *d;

	struct pci_bus bus;

	assert_int_equal(vdev_create_from_json("blk", "drives[0]", cfg, &f->g.env, &f->g.dev, &err), 0);
	pci_bus__init(&bus, 0xE0000000ULL, 0x10000000ULL, 0x6000, 0x1000);
	assert_int_equal(pci_bus__register(&bus, vdev_pci(f->g.dev), 3, 0, &err), 0);
	d = vdev_describe(f->g.dev);
	assert_string_equal(json_string_value(json_object_get(d, "pci")), "00:03.0");
	assert_string_equal(json_string_value(json_object_get(d, "id")), "root");
	assert_string_equal(json_string_value(json_object_get(d, "type")), "blk");
	assert_true(json_is_true(json_object_get(d, "readonly")));
	assert_int_equal(json_integer_value(json_object_get(d, "capacity_sectors")), SECTORS);
	json_decref(d);
	json_decref(cfg);
	cfg = json_pack("{s:s, s:[]}", "path", f->path, "readonly");
	assert_true(vdev_create_from_json("blk", "drives[1]", cfg, &f->g.env, &f->g.dev, &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "drives[1]: readonly: expected a string, a non-negative integer or a boolean");
	cella_error_release(&err);
	json_decref(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config_space, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_write_and_flush, setup, teardown),
		cmocka_unit_test_setup_teardown(test_get_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_discard_and_write_zeroes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_range, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_inflight_and_drain, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_drops_inflight, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rate_limit_and_update, setup, teardown),
		cmocka_unit_test_setup_teardown(test_snapshot_quiesce_and_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_option_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_and_describe, setup, teardown),
	};

	return cmocka_run_group_tests_name("vmm-vdev-blk", tests, NULL, NULL);
}
