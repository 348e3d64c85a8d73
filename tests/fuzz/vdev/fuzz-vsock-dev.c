// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer harness for the whole virtio-vsock device: the input is a script
 * of guest packets (any header, any payload), rx buffers of any size, and host
 * actions on the unix sockets (connect with any line, send, close, accept).
 * The device runs after every step; the connection state machine, credit
 * accounting and rx/tx paths must survive anything without crashing, leaking
 * or spinning. Every input ends with a driver reset, which must close all.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "../../unit/vmm/vdev/vdev-test.h"
#include "vdev/vsock_pkt.h"

#define MAX_HOST 6

static struct t_guest g;
static char sock_path[108], svc_path[120];
static int svc_fd = -1;

static int unix_sock(const char *path, int do_listen)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(sa.sun_path))
		abort();
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (fd < 0)
		return -1;
	if (do_listen ? bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0
		      : connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static char dir[] = "/tmp/cella-fuzz-vsock-XXXXXX";

/* Leaves nothing in /tmp: the device removes its socket, we remove the service's and the directory. */
static void cleanup(void)
{
	t_guest_free(&g);
	close(svc_fd);
	unlink(svc_path);
	rmdir(dir);
}

static void setup_once(void)
{
	char opts[200];
	cella_err_t err = NULL;

	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	snprintf(sock_path, sizeof(sock_path), "%s/v.sock", dir);
	snprintf(svc_path, sizeof(svc_path), "%s_5000", sock_path);
	svc_fd = unix_sock(svc_path, 1);
	t_guest_init(&g);
	snprintf(opts, sizeof(opts), "cid=3,socket=%s", sock_path);
	if (svc_fd < 0 || vdev_create_from_string("vsock", "fuzz", opts, &g.env, &g.dev, &err) < 0)
		abort();
}

static void run_device(void)
{
	struct pollfd p = {.fd = vdev_fd(g.dev), .events = POLLIN};

	/* Bounded: a device that keeps itself busy forever is a bug the timeout will show. */
	for (int i = 0; i < 64 && poll(&p, 1, 0) > 0; i++)
		vdev_handle(g.dev);
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

static uint32_t u32(struct input *in)
{
	return byte(in) | (uint32_t)byte(in) << 8 | (uint32_t)byte(in) << 16 | (uint32_t)byte(in) << 24;
}

static void guest_packet(struct input *in)
{
	uint8_t kind = byte(in);
	struct vsock_hdr h = {
		.src_cid = kind & 1 ? 3 : byte(in),
		.dst_cid = kind & 2 ? 2 : byte(in),
		.src_port = kind & 4 ? byte(in) : u32(in),
		.dst_port = kind & 8 ? 5000 + (byte(in) & 1) : u32(in),
		.type = kind & 16 ? 1 : byte(in),
		.op = byte(in) % 9,
		.flags = byte(in) & 7,
		.buf_alloc = kind & 32 ? u32(in) : 65536,
		.fwd_cnt = u32(in),
	};
	uint32_t plen = byte(in), split = byte(in);
	uint64_t gpa = t_alloc(&g, VSOCK_HDR_SIZE + plen + 1);
	struct t_buf b[2];

	h.len = kind & 64 ? u32(in) : plen;
	vsock_pkt__encode(&h, t_ptr(&g, gpa));
	for (uint32_t i = 0; i < plen; i++)
		((uint8_t *)t_ptr(&g, gpa + VSOCK_HDR_SIZE))[i] = byte(in);
	split %= VSOCK_HDR_SIZE + plen + 1;
	b[0] = (struct t_buf){gpa, split, false};
	b[1] = (struct t_buf){gpa + split, VSOCK_HDR_SIZE + plen - split, false};
	if (split == 0 || split >= VSOCK_HDR_SIZE + plen)
		t_add_chain(&g, 1, &b[split ? 0 : 1], 1);
	else
		t_add_chain(&g, 1, b, 2);
	t_kick(&g, 1);
}

static void add_rx(struct input *in)
{
	uint32_t len = byte(in) * 4;
	uint64_t gpa = t_alloc(&g, len + 1);
	struct t_buf b = {gpa, len, true};

	t_add_chain(&g, 0, &b, 1);
	t_kick(&g, 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};
	int host[MAX_HOST];
	unsigned nhost = 0;

	if (!g.dev)
		setup_once();
	g.data_next = T_DATA_BASE;
	memset(g.q, 0, sizeof(g.q));
	memset(g.ram + T_RING_BASE, 0, 3 * T_RING_STEP);
	if (!(t_driver_start(&g, byte(&in) & 1 ? ~0ULL : 0) & VIRTIO_STATUS_DRIVER_OK))
		abort();
	for (int step = 0; step < 48 && in.left; step++) {
		uint8_t op = byte(&in) % 7, which = byte(&in);
		char line[24];
		size_t n;

		switch (op) {
		case 0:
		case 1:
			guest_packet(&in);
			break;
		case 2:
			add_rx(&in);
			break;
		case 3: /* host connects with a line (often a valid CONNECT) */
			if (nhost == MAX_HOST)
				break;
			host[nhost] = unix_sock(sock_path, 0);
			if (host[nhost] < 0)
				break;
			n = which & 1 ? (size_t)snprintf(line, sizeof(line), "CONNECT %u\n", byte(&in))
				      : (size_t)(byte(&in) % sizeof(line));
			if (!(which & 1))
				for (size_t i = 0; i < n; i++)
					line[i] = (char)byte(&in);
			(void)!send(host[nhost], line, n, MSG_NOSIGNAL);
			nhost++;
			break;
		case 4: /* a service accepts a guest-initiated connection */
			if (nhost < MAX_HOST) {
				host[nhost] = accept4(svc_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
				if (host[nhost] >= 0)
					nhost++;
			}
			break;
		case 5: /* host sends */
			if (nhost) {
				uint8_t buf[256];

				n = byte(&in);
				for (size_t i = 0; i < n; i++)
					buf[i] = byte(&in);
				(void)!send(host[which % nhost], buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
			}
			break;
		case 6: /* host closes */
			if (nhost) {
				unsigned k = which % nhost;

				close(host[k]);
				host[k] = host[--nhost];
			}
			break;
		}
		run_device();
	}
	for (unsigned i = 0; i < nhost; i++)
		close(host[i]);
	/* Drain services' pending connections so the backlog never fills across inputs. */
	for (int fd; (fd = accept4(svc_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0;)
		close(fd);
	run_device();
	t_bar_wr(&g, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	run_device();
	json_t *d = vdev_describe(g.dev);

	if (json_integer_value(json_object_get(json_object_get(d, "stats"), "connections")) != 0)
		abort(); /* a reset must close everything */
	json_decref(d);
	return 0;
}
