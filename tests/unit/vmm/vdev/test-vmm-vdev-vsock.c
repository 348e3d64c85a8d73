// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-vsock with the unix-socket back-end: guest-initiated connections
 * reach a host listener at "<socket>_<port>", host-initiated ones go through
 * "CONNECT <port>\n"; data both ways under credit control; bad packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "vdev-test.h"
#include "vdev/vsock_pkt.h"

#define GUEST_CID 3
#define RX_BUF	  (VSOCK_HDR_SIZE + 4096)
#define NRX	  32

struct fixture {
	struct t_guest g;
	char dir[64], sock[128];
	int listen_fd; /* host service at <sock>_5000 */
	uint64_t rx_gpa[256];
};

static int unix_listen(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(sa.sun_path))
		abort();
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 8), 0);
	return fd;
}

static int unix_connect(const char *path)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(sa.sun_path))
		abort();
	memcpy(sa.sun_path, path, strlen(path) + 1);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void add_rx(struct fixture *f, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		uint64_t gpa = t_alloc(&f->g, RX_BUF);
		struct t_buf b = {gpa, RX_BUF, true};
		uint16_t head = t_add_chain(&f->g, 0, &b, 1);

		f->rx_gpa[head] = gpa;
	}
	t_kick(&f->g, 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char opts[256], path[160];
	cella_err_t err = NULL;

	snprintf(f->dir, sizeof(f->dir), "/tmp/cella-vsock-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->sock, sizeof(f->sock), "%s/v.sock", f->dir);
	snprintf(path, sizeof(path), "%s_5000", f->sock);
	f->listen_fd = unix_listen(path);
	t_guest_init(&f->g);
	snprintf(opts, sizeof(opts), "cid=%d,socket=%s", GUEST_CID, f->sock);
	if (vdev_create_from_string("vsock", "--vsock", opts, &f->g.env, &f->g.dev, &err) < 0)
		fail_msg("create: %s", cella_error_string(err));
	assert_true(t_driver_start(&f->g, ~0ULL) & VIRTIO_STATUS_DRIVER_OK);
	add_rx(f, NRX);
	t_run(&f->g, 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[160];

	t_guest_free(&f->g); /* removes the device's socket */
	close(f->listen_fd);
	snprintf(path, sizeof(path), "%s_5000", f->sock);
	unlink(path);
	assert_int_equal(rmdir(f->dir), 0); /* nothing left behind */
	free(f);
	return 0;
}

static void guest_send(struct fixture *f, uint32_t src_port, uint32_t dst_port, uint16_t op, const void *data,
		       uint32_t len, uint32_t buf_alloc, uint32_t fwd_cnt)
{
	struct vsock_hdr h = {.src_cid = GUEST_CID,
			      .dst_cid = VSOCK_HOST_CID,
			      .src_port = src_port,
			      .dst_port = dst_port,
			      .len = len,
			      .type = VSOCK_TYPE_STREAM,
			      .op = op,
			      .buf_alloc = buf_alloc,
			      .fwd_cnt = fwd_cnt};
	uint64_t gpa = t_alloc(&f->g, VSOCK_HDR_SIZE + len);
	struct t_buf b = {gpa, VSOCK_HDR_SIZE + len, false};

	vsock_pkt__encode(&h, t_ptr(&f->g, gpa));
	if (len)
		memcpy(t_ptr(&f->g, gpa + VSOCK_HDR_SIZE), data, len);
	t_add_chain(&f->g, 1, &b, 1);
	t_kick(&f->g, 1);
}

/* Waits for the next packet to the guest; copies its payload to data (if any). */
static struct vsock_hdr guest_recv(struct fixture *f, void *data, size_t max)
{
	struct vsock_hdr h;
	uint32_t id, len;

	if (!t_run_until_used(&f->g, 0, 1, 5000))
		fail_msg("no packet for the guest");
	t_next_used(&f->g, 0, &id, &len);
	assert_true(len >= VSOCK_HDR_SIZE);
	vsock_pkt__decode(t_ptr(&f->g, f->rx_gpa[id]), &h);
	assert_int_equal(len, VSOCK_HDR_SIZE + h.len);
	assert_int_equal(h.src_cid, VSOCK_HOST_CID);
	assert_int_equal(h.dst_cid, GUEST_CID);
	assert_int_equal(h.type, VSOCK_TYPE_STREAM);
	if (data) {
		assert_true(h.len <= max);
		memcpy(data, t_ptr(&f->g, f->rx_gpa[id] + VSOCK_HDR_SIZE), h.len);
	}
	add_rx(f, 1);
	return h;
}

static bool guest_has_packet(struct fixture *f, int wait_ms)
{
	t_run(&f->g, wait_ms);
	return t_used_idx(&f->g, 0) != f->g.q[0].seen_used;
}

/* Reads exactly n bytes from a host socket, running the device meanwhile. */
static void host_read(struct fixture *f, int fd, void *buf, size_t n)
{
	size_t got = 0;
	int64_t end = t_now_ms() + 5000;

	while (got < n) {
		ssize_t r = recv(fd, (char *)buf + got, n - got, MSG_DONTWAIT);

		if (r > 0) {
			got += (size_t)r;
			continue;
		}
		assert_true(r < 0 && errno == EAGAIN);
		assert_true(t_now_ms() < end);
		t_run(&f->g, 10);
	}
}

/* Guest connects to host port 5000; returns the host side of the connection. */
static int guest_connect(struct fixture *f, uint32_t port, uint32_t buf_alloc)
{
	struct vsock_hdr h;

	guest_send(f, port, 5000, VSOCK_OP_REQUEST, NULL, 0, buf_alloc, 0);
	h = guest_recv(f, NULL, 0);
	assert_int_equal(h.op, VSOCK_OP_RESPONSE);
	assert_int_equal(h.src_port, 5000);
	assert_int_equal(h.dst_port, port);
	assert_int_equal(h.buf_alloc, 256 * 1024);
	return accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);
}

static void test_guest_connect_data_both_ways(void **state)
{
	struct fixture *f = *state;
	char buf[64];
	struct vsock_hdr h;
	int fd = guest_connect(f, 1234, 65536);

	assert_true(fd >= 0);
	guest_send(f, 1234, 5000, VSOCK_OP_RW, "hello host", 10, 65536, 0);
	host_read(f, fd, buf, 10);
	assert_memory_equal(buf, "hello host", 10);
	assert_int_equal(send(fd, "hello guest", 11, 0), 11);
	h = guest_recv(f, buf, sizeof(buf));
	assert_int_equal(h.op, VSOCK_OP_RW);
	assert_int_equal(h.len, 11);
	assert_memory_equal(buf, "hello guest", 11);
	assert_int_equal(h.fwd_cnt, 10); /* we forwarded the guest's 10 bytes */
	/* Credit request: answered with an update carrying our counters. */
	guest_send(f, 1234, 5000, VSOCK_OP_CREDIT_REQUEST, NULL, 0, 65536, 11);
	h = guest_recv(f, NULL, 0);
	assert_int_equal(h.op, VSOCK_OP_CREDIT_UPDATE);
	assert_int_equal(h.fwd_cnt, 10);
	assert_int_equal(h.buf_alloc, 256 * 1024);
	/* Host closes: the guest is told with SHUTDOWN, answers RST. */
	close(fd);
	h = guest_recv(f, NULL, 0);
	assert_int_equal(h.op, VSOCK_OP_SHUTDOWN);
	assert_int_equal(h.flags, VSOCK_SHUTDOWN_RCV | VSOCK_SHUTDOWN_SEND);
	guest_send(f, 1234, 5000, VSOCK_OP_RST, NULL, 0, 65536, 11);
	assert_false(guest_has_packet(f, 50));
}

static bool device_idle(struct fixture *f)
{
	struct pollfd p = {.fd = vdev_fd(f->g.dev), .events = POLLIN};

	return poll(&p, 1, 20) == 0;
}

static void test_host_hangup_without_credit(void **state)
{
	struct fixture *f = *state;
	char buf[16];
	struct vsock_hdr h;
	int fd = guest_connect(f, 55, 0); /* no buffer space in the guest yet */

	assert_int_equal(send(fd, "abc", 3, 0), 3);
	close(fd);
	t_run(&f->g, 50);
	assert_false(guest_has_packet(f, 0));
	/* The hang-up cannot be masked in epoll: the device must not be woken for it again and again. */
	assert_true(device_idle(f));
	guest_send(f, 55, 5000, VSOCK_OP_CREDIT_UPDATE, NULL, 0, 4096, 0);
	h = guest_recv(f, buf, sizeof(buf));
	assert_int_equal(h.op, VSOCK_OP_RW);
	assert_memory_equal(buf, "abc", 3);
	assert_int_equal(guest_recv(f, NULL, 0).op, VSOCK_OP_SHUTDOWN);
	guest_send(f, 55, 5000, VSOCK_OP_RST, NULL, 0, 4096, 0);
	t_run(&f->g, 20);
	assert_true(device_idle(f));
}

static void test_reset_closes_connections(void **state)
{
	struct fixture *f = *state;
	int fd = guest_connect(f, 66, 4096);
	char c;

	assert_true(fd >= 0);
	/* The driver resets the device: the host side sees its connection end. */
	t_bar_wr(&f->g, VIRTIO_PCI_COMMON_STATUS, 1, 0);
	t_run(&f->g, 20);
	assert_int_equal(recv(fd, &c, 1, 0), 0);
	close(fd);
	/* And the device works again after the driver comes back. */
	memset(f->g.q, 0, sizeof(f->g.q));
	memset(t_ptr(&f->g, T_RING_BASE), 0, 3 * T_RING_STEP);
	assert_true(t_driver_start(&f->g, ~0ULL) & VIRTIO_STATUS_DRIVER_OK);
	add_rx(f, 4);
	fd = guest_connect(f, 66, 4096);
	assert_true(fd >= 0);
	close(fd);
}

static void test_credit_limits_host_data(void **state)
{
	struct fixture *f = *state;
	char big[100], buf[128];
	size_t got = 0;
	struct vsock_hdr h;
	int fd = guest_connect(f, 77, 16); /* the guest has 16 bytes of buffer */

	memset(big, 'x', sizeof(big));
	assert_int_equal(send(fd, big, sizeof(big), 0), (ssize_t)sizeof(big));
	while (guest_has_packet(f, 50)) {
		h = guest_recv(f, buf, sizeof(buf));
		assert_int_equal(h.op, VSOCK_OP_RW);
		got += h.len;
	}
	assert_int_equal(got, 16);
	/* The guest consumed it and says so: 16 more may come. */
	guest_send(f, 77, 5000, VSOCK_OP_CREDIT_UPDATE, NULL, 0, 16, 16);
	while (guest_has_packet(f, 50))
		got += guest_recv(f, buf, sizeof(buf)).len;
	assert_int_equal(got, 32);
	/* A bigger buffer: the rest. */
	guest_send(f, 77, 5000, VSOCK_OP_CREDIT_UPDATE, NULL, 0, 4096, 32);
	while (got < 100 && guest_has_packet(f, 200))
		got += guest_recv(f, buf, sizeof(buf)).len;
	assert_int_equal(got, 100);
	close(fd);
}

static void test_guest_overruns_credit(void **state)
{
	struct fixture *f = *state;
	static char chunk[65536];
	struct vsock_hdr h;
	int fd = guest_connect(f, 88, 4096);
	unsigned i;

	/*
	 * Nobody reads on the host: the socket takes its send buffer (~200 KiB by default), we hold
	 * 256 KiB more, and 768 KiB breaks the contract whatever the host's socket buffer size.
	 */
	for (i = 0; i < 12; i++)
		guest_send(f, 88, 5000, VSOCK_OP_RW, chunk, sizeof(chunk), 4096, 0);
	do {
		h = guest_recv(f, NULL, 0);
	} while (h.op == VSOCK_OP_CREDIT_UPDATE);
	assert_int_equal(h.op, VSOCK_OP_RST);
	assert_int_equal(h.dst_port, 88);
	close(fd);
}

static void test_guest_connect_refused(void **state)
{
	struct fixture *f = *state;
	struct vsock_hdr h;

	guest_send(f, 999, 6000, VSOCK_OP_REQUEST, NULL, 0, 4096, 0); /* nobody at <socket>_6000 */
	h = guest_recv(f, NULL, 0);
	assert_int_equal(h.op, VSOCK_OP_RST);
	assert_int_equal(h.src_port, 6000);
	assert_int_equal(h.dst_port, 999);
	/* Data for a connection that does not exist: RST too. */
	guest_send(f, 1, 2, VSOCK_OP_RW, "x", 1, 4096, 0);
	assert_int_equal(guest_recv(f, NULL, 0).op, VSOCK_OP_RST);
}

static void test_host_connect(void **state)
{
	struct fixture *f = *state;
	char line[32] = {0}, buf[16];
	struct vsock_hdr h;
	int fd = unix_connect(f->sock);
	unsigned long port;

	assert_int_equal(send(fd, "CONNECT 52\n", 11, 0), 11);
	h = guest_recv(f, NULL, 0);
	assert_int_equal(h.op, VSOCK_OP_REQUEST);
	assert_int_equal(h.dst_port, 52);
	assert_true(h.src_port >= (1U << 30));
	guest_send(f, 52, h.src_port, VSOCK_OP_RESPONSE, NULL, 0, 4096, 0);
	/* "OK <port>\n" */
	for (size_t n = 0; n < sizeof(line) - 1 && (!n || line[n - 1] != '\n'); n++)
		host_read(f, fd, line + n, 1);
	assert_int_equal(sscanf(line, "OK %lu\n", &port), 1);
	assert_int_equal(port, h.src_port);
	assert_int_equal(send(fd, "ping", 4, 0), 4);
	h = guest_recv(f, buf, sizeof(buf));
	assert_int_equal(h.op, VSOCK_OP_RW);
	assert_memory_equal(buf, "ping", 4);
	guest_send(f, 52, (uint32_t)port, VSOCK_OP_RW, "pong", 4, 4096, 4);
	host_read(f, fd, buf, 4);
	assert_memory_equal(buf, "pong", 4);
	close(fd);
}

static void test_host_gives_up_before_response(void **state)
{
	struct fixture *f = *state;
	struct vsock_hdr h, r;
	int fd = unix_connect(f->sock);
	json_t *d;

	assert_int_equal(send(fd, "CONNECT 53\n", 11, 0), 11);
	h = guest_recv(f, NULL, 0);
	assert_int_equal(h.op, VSOCK_OP_REQUEST);
	close(fd);
	/* The guest never answered; the host left: the request is withdrawn and the slot freed. */
	r = guest_recv(f, NULL, 0);
	assert_int_equal(r.op, VSOCK_OP_RST);
	assert_int_equal(r.src_port, h.src_port);
	assert_int_equal(r.dst_port, 53);
	d = vdev_describe(f->g.dev);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "stats"), "connections")), 0);
	json_decref(d);
	/* A late RESPONSE finds nothing and is answered with RST. */
	guest_send(f, 53, h.src_port, VSOCK_OP_RESPONSE, NULL, 0, 4096, 0);
	assert_int_equal(guest_recv(f, NULL, 0).op, VSOCK_OP_RST);
}

static void test_host_bad_line(void **state)
{
	struct fixture *f = *state;
	int fd = unix_connect(f->sock);
	char c;

	assert_int_equal(send(fd, "HELLO 52\n", 9, 0), 9);
	t_run(&f->g, 50);
	/* The device hung up and told the guest nothing. */
	assert_int_equal(recv(fd, &c, 1, 0), 0);
	assert_false(guest_has_packet(f, 0));
	close(fd);
}

static void test_bad_packets(void **state)
{
	struct fixture *f = *state;
	uint64_t short_pkt = t_alloc(&f->g, 64), spoofed = t_alloc(&f->g, 64), overlong = t_alloc(&f->g, 64);
	struct vsock_hdr h = {
		.src_cid = 7, .dst_cid = 2, .type = 1, .op = VSOCK_OP_REQUEST, .dst_port = 5000};
	struct t_buf b = {short_pkt, 20, false};
	json_t *d;

	/* Shorter than a header: dropped. */
	t_add_chain(&f->g, 1, &b, 1);
	/* A good REQUEST. */
	guest_send(f, 1, 5000, VSOCK_OP_REQUEST, NULL, 0, 0, 0);
	/* Someone else's CID: dropped, never answered. */
	vsock_pkt__encode(&h, t_ptr(&f->g, spoofed));
	b = (struct t_buf){spoofed, VSOCK_HDR_SIZE, false};
	t_add_chain(&f->g, 1, &b, 1);
	/* A payload length beyond the buffer: RST. */
	h.src_cid = GUEST_CID;
	h.op = VSOCK_OP_RW;
	h.len = 1000;
	vsock_pkt__encode(&h, t_ptr(&f->g, overlong));
	b = (struct t_buf){overlong, VSOCK_HDR_SIZE, false};
	t_add_chain(&f->g, 1, &b, 1);
	t_kick(&f->g, 1);
	t_run(&f->g, 50);
	/* The REQUEST got its RESPONSE, the bad RW a RST (queued resets go first). */
	uint16_t op1 = guest_recv(f, NULL, 0).op, op2 = guest_recv(f, NULL, 0).op;

	assert_int_equal(op1 | op2 << 8, VSOCK_OP_RST | VSOCK_OP_RESPONSE << 8);
	assert_false(guest_has_packet(f, 20));
	d = vdev_describe(f->g.dev);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(d, "stats"), "bad_packets")), 3);
	json_decref(d);
	int fd = accept4(f->listen_fd, NULL, NULL, SOCK_CLOEXEC);

	close(fd);
}

static void test_options(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;
	struct vdev *dev = NULL;
	char opts[200];

	assert_true(vdev_create_from_string("vsock", "--vsock", "cid=2,socket=/tmp/x", &f->g.env, &dev,
					    &err) < 0);
	assert_string_equal(cella_error_string(err), "--vsock: cid: 2 is outside [3, 4294967294]");
	cella_error_release(&err);
	assert_true(vdev_create_from_string("vsock", "--vsock", "cid=3", &f->g.env, &dev, &err) < 0);
	assert_string_equal(cella_error_string(err), "--vsock: socket: missing");
	cella_error_release(&err);
	/* The socket path is in use (by the fixture's device). */
	snprintf(opts, sizeof(opts), "cid=4,socket=%s", f->sock);
	assert_true(vdev_create_from_string("vsock", "--vsock", opts, &f->g.env, &dev, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "--vsock: socket: cannot bind"));
	cella_error_release(&err);
	assert_int_equal(access(f->sock, F_OK), 0); /* and the failed device did not remove it */
	assert_int_equal(t_bar_rd(&f->g, VIRTIO_PCI_DEVICE_OFF, 8), GUEST_CID);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_guest_connect_data_both_ways, setup, teardown),
		cmocka_unit_test_setup_teardown(test_credit_limits_host_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_hangup_without_credit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset_closes_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_overruns_credit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_guest_connect_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_gives_up_before_response, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_bad_line, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_options, setup, teardown),
	};

	return cmocka_run_group_tests_name("vmm-vdev-vsock", tests, NULL, NULL);
}
