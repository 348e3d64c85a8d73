// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the whole virtio-blk device on a 64 KiB image: the
 * input is a script of requests (any type, sector, segment table, buffer
 * split and direction, chains with descriptors anywhere in guest RAM or
 * beyond), kicks, device resets with requests in flight, and runtime
 * rate-limit changes. The device must complete or refuse everything without
 * crashing, and a drain must always finish.
 */
#include <endian.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../unit/vmm/vdev/vdev-test.h"
#include "vdev/blk_req.h"

static struct t_guest g;
static char img[] = "/tmp/cella-fuzz-blk-XXXXXX";

static void cleanup(void)
{
	t_guest_free(&g);
	unlink(img);
}

static void setup_once(void)
{
	char opts[200];
	cella_err_t err = NULL;
	int fd = mkstemp(img);

	if (fd < 0 || ftruncate(fd, 65536) < 0)
		abort();
	close(fd);
	atexit(cleanup);
	t_guest_init(&g);
	snprintf(opts, sizeof(opts), "path=%s,workers=2", img);
	if (vdev_create_from_string("blk", "fuzz", opts, &g.env, &g.dev, &err) < 0)
		abort();
}

struct input {
	const uint8_t *p;
	size_t left;
};

static uint8_t byte(struct input *in)
{
	if (!in->left)
		return 0;
	in->left--;
	return *in->p++;
}

static uint64_t u64(struct input *in, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)byte(in) << (8 * i);
	return v;
}

static void request(struct input *in)
{
	static const uint32_t types[] = {VIRTIO_BLK_T_IN,
					 VIRTIO_BLK_T_OUT,
					 VIRTIO_BLK_T_FLUSH,
					 VIRTIO_BLK_T_GET_ID,
					 VIRTIO_BLK_T_DISCARD,
					 VIRTIO_BLK_T_WRITE_ZEROES,
					 3 /* unknown */};
	uint8_t shape = byte(in);
	uint32_t type = types[byte(in) % 7];
	uint64_t sector = shape & 1 ? u64(in, 8) : byte(in);
	unsigned nbuf = byte(in) % 4 + 1;
	uint64_t hdr = t_alloc(&g, 16 + 16 * 4);
	struct t_buf b[6];
	unsigned n = 0;
	uint32_t t = htole32(type);
	uint64_t s = htole64(sector);

	memcpy(t_ptr(&g, hdr), &t, 4);
	memset(t_ptr(&g, hdr + 4), 0, 4);
	memcpy(t_ptr(&g, hdr + 8), &s, 8);
	/* Segments (used by discard / write zeroes), from the input. */
	for (unsigned i = 0; i < 4; i++) {
		uint64_t ss = htole64(byte(in));
		uint32_t num = htole32((uint32_t)u64(in, shape & 2 ? 4 : 1)),
			 flags = htole32(byte(in) & 0x81);

		memcpy(t_ptr(&g, hdr + 16 + 16 * i), &ss, 8);
		memcpy(t_ptr(&g, hdr + 24 + 16 * i), &num, 4);
		memcpy(t_ptr(&g, hdr + 28 + 16 * i), &flags, 4);
	}
	b[n++] = (struct t_buf){hdr, shape & 4 ? (uint32_t)(byte(in) % 80) : 16 + 16 * (byte(in) % 5), false};
	for (unsigned i = 0; i < nbuf; i++) {
		uint32_t len = shape & 8 ? byte(in) * 8 : 512u * (byte(in) % 5);
		uint64_t gpa = shape & 16 && i == 0 ? T_RAM_SIZE - 256 + byte(in) : t_alloc(&g, len + 1);

		b[n++] = (struct t_buf){gpa, len, (bool)(byte(in) & 1)};
	}
	b[n++] = (struct t_buf){t_alloc(&g, 1), shape & 32 ? 0 : 1, true};
	t_add_chain(&g, 0, b, n);
}

static void run_device(int wait_ms)
{
	struct pollfd p = {.fd = vdev_fd(g.dev), .events = POLLIN};

	for (int i = 0; i < 256 && poll(&p, 1, wait_ms) > 0; i++)
		vdev_handle(g.dev);
}

static void restart_driver(void)
{
	t_bar_wr(&g, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	run_device(0);
	g.data_next = T_DATA_BASE;
	memset(g.q, 0, sizeof(g.q));
	memset(g.ram + T_RING_BASE, 0, T_RING_STEP);
	if (!(t_driver_start(&g, ~0ULL) & VIRTIO_STATUS_DRIVER_OK))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	cella_err_t err = NULL;

	if (!g.dev)
		setup_once();
	restart_driver();
	for (int step = 0; step < 40 && in.left; step++) {
		switch (byte(&in) % 6) {
		case 0:
		case 1:
		case 2:
			request(&in);
			break;
		case 3:
			t_kick(&g, 0);
			run_device(0);
			break;
		case 4: /* the driver resets with requests in flight, and comes back */
			t_kick(&g, 0);
			run_device(0);
			restart_driver();
			break;
		case 5: { /* rate limits change at run time */
			struct vdev_opts o;
			char s[64];

			snprintf(s, sizeof(s), "iops=%d,bps=%d", byte(&in) % 3 ? 0 : 1000,
				 byte(&in) % 3 ? 0 : 1 << 20);
			if (vdev_opts_parse(&o, "fuzz", s, &err) < 0 || vdev_update(g.dev, &o, &err) < 0)
				abort();
			vdev_opts_release(&o);
			break;
		}
		}
	}
	t_kick(&g, 0);
	run_device(0);
	/* Lift any limit so the drain is quick, then everything must complete. */
	struct vdev_opts o;

	if (vdev_opts_parse(&o, "fuzz", "iops=0,bps=0", &err) < 0 || vdev_update(g.dev, &o, &err) < 0)
		abort();
	vdev_opts_release(&o);
	run_device(0);
	if (vdev_drain(g.dev, 5000, &err) < 0)
		abort();
	return 0;
}
