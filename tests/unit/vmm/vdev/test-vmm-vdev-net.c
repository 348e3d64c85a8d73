// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * virtio-net on a real TAP device in a private network namespace (a forked
 * child unshares one, so nothing is left on the host): a frame the guest
 * sends appears on the TAP, a frame sent into the TAP reaches the guest, with
 * and without mergeable receive buffers. Needs root and /dev/net/tun.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vdev-test.h"

#define TAP	     "vdevtest0"
#define ETHERTYPE    0x88B5 /* IEEE local experimental */
#define HDR	     12
#define F_MRG_RXBUF  15
#define F_CSUM_GUEST 1
#define F_GUEST_TSO4 7

static const uint8_t guest_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};

#define CHECK(cond, ...)                                         \
	do {                                                     \
		if (!(cond)) {                                   \
			snprintf(why, sizeof(why), __VA_ARGS__); \
			return why;                              \
		}                                                \
	} while (0)

static char why[256];

static int packet_socket(int *ifindex)
{
	struct ifreq ifr = {0};
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), p;
	struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = htons(ETHERTYPE)};

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", TAP);
	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0 || ioctl(s, SIOCGIFINDEX, &ifr) < 0)
		return -1;
	close(s);
	*ifindex = ifr.ifr_ifindex;
	p = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETHERTYPE));
	sll.sll_ifindex = *ifindex;
	if (p < 0 || bind(p, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -1;
	return p;
}

static void frame(uint8_t *f, size_t len, const uint8_t *dst, const uint8_t *src, uint8_t fill)
{
	uint16_t et = htons(ETHERTYPE);

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	memcpy(f + 12, &et, 2);
	for (size_t i = 14; i < len; i++)
		f[i] = (uint8_t)(fill + i);
}

/* The scenario, in the child's own network namespace. NULL on success. */
static const char *scenario(bool mrg)
{
	struct t_guest g;
	cella_err_t err = NULL;
	uint8_t out[600], in[2000], host_mac[6] = {0x02, 0, 0, 0, 0, 1};
	int pfd, ifindex;
	uint64_t want = VIRTIO_BIT(5) | VIRTIO_BIT(F_CSUM_GUEST) | VIRTIO_BIT(F_GUEST_TSO4) |
			(mrg ? VIRTIO_BIT(F_MRG_RXBUF) : 0);
	unsigned rx_len = mrg ? 256 : 2048, nrx = mrg ? 16 : 4;
	uint64_t rx_gpa[256] = {0};

	t_guest_init(&g);
	if (vdev_create_from_string("net", "--net", "tap=" TAP ",mac=52:54:00:12:34:56,id=net0", &g.env,
				    &g.dev, &err) < 0) {
		snprintf(why, sizeof(why), "create: %s", cella_error_string(err));
		cella_error_release(&err);
		t_guest_free(&g);
		return why;
	}
	CHECK(t_driver_start(&g, want) & VIRTIO_STATUS_DRIVER_OK, "driver did not start");
	CHECK(!memcmp(g.dev->info.config, guest_mac, 6), "MAC not in config space");
	CHECK(t_bar_rd(&g, VIRTIO_PCI_DEVICE_OFF + 6, 2) == 1, "link not up");
	pfd = packet_socket(&ifindex);
	CHECK(pfd >= 0, "packet socket on %s: %s", TAP, strerror(errno));

	/* Guest to host: header + frame in two descriptors, as Linux does. */
	uint64_t hdr = t_alloc(&g, HDR), data = t_alloc(&g, sizeof(out));
	struct t_buf tx[2] = {{hdr, HDR, false}, {data, sizeof(out), false}};
	uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	memset(t_ptr(&g, hdr), 0, HDR);
	frame(out, sizeof(out), bcast, guest_mac, 7);
	memcpy(t_ptr(&g, data), out, sizeof(out));
	t_add_chain(&g, 1, tx, 2);
	t_kick(&g, 1);
	CHECK(t_run_until_used(&g, 1, 1, 5000), "tx chain not returned");
	struct pollfd p = {.fd = pfd, .events = POLLIN};
	ssize_t n;

	CHECK(poll(&p, 1, 5000) == 1, "frame from the guest never reached the TAP");
	n = recv(pfd, in, sizeof(in), 0);
	CHECK(n == (ssize_t)sizeof(out) && !memcmp(in, out, sizeof(out)), "TAP got %zd bytes, not the frame",
	      n);

	/* Host to guest: rx buffers first (the first one too small for a header), then a frame into the TAP. */
	uint64_t tiny = t_alloc(&g, 4);
	struct t_buf tb = {tiny, 4, true};
	unsigned empties = 0;

	rx_gpa[t_add_chain(&g, 0, &tb, 1)] = tiny;
	for (unsigned i = 0; i < nrx; i++) {
		uint64_t gpa = t_alloc(&g, rx_len);
		struct t_buf b = {gpa, rx_len, true};

		rx_gpa[t_add_chain(&g, 0, &b, 1)] = gpa;
	}
	t_kick(&g, 0);
	t_run(&g, 0);
	struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = ifindex, .sll_halen = 6};
	uint8_t back[1000];

	memcpy(to.sll_addr, guest_mac, 6);
	frame(back, sizeof(back), guest_mac, host_mac, 42);
	CHECK(sendto(pfd, back, sizeof(back), 0, (struct sockaddr *)&to, sizeof(to)) == sizeof(back),
	      "sendto %s: %s", TAP, strerror(errno));
	/* Other traffic (IPv6 router solicitations...) may come too: look for ours. */
	for (int tries = 0; tries < 9; tries++) {
		uint8_t got[2048];
		size_t got_len = 0;
		uint32_t id, len;
		uint16_t nbufs;

		CHECK(t_run_until_used(&g, 0, 1, 5000), "no frame reached the guest");
		t_next_used(&g, 0, &id, &len);
		if (rx_gpa[id] == tiny) {
			CHECK(len == 0, "the 4-byte buffer came back with %u bytes", len);
			empties++;
			continue;
		}
		CHECK(len <= rx_len && len >= HDR, "used length %u", len);
		nbufs = t_get16(&g, rx_gpa[id] + 10);
		CHECK(mrg ? nbufs >= 1 : nbufs == 1, "num_buffers %u", nbufs);
		memcpy(got, t_ptr(&g, rx_gpa[id]), len);
		got_len = len;
		for (unsigned b = 1; b < nbufs; b++) {
			CHECK(t_run_until_used(&g, 0, 1, 5000), "buffer %u of %u missing", b, nbufs);
			t_next_used(&g, 0, &id, &len);
			CHECK(got_len + len <= sizeof(got), "frame too long");
			memcpy(got + got_len, t_ptr(&g, rx_gpa[id]), len);
			got_len += len;
		}
		if (got_len == HDR + sizeof(back) && !memcmp(got + HDR, back, sizeof(back))) {
			CHECK(!mrg || nbufs == (HDR + sizeof(back) + rx_len - 1) / rx_len,
			      "frame in %u buffers", nbufs);
			CHECK(empties == 1, "the too-small buffer came back %u times", empties);
			json_t *d = vdev_describe(g.dev);

			CHECK(json_integer_value(json_object_get(json_object_get(d, "stats"), "tx_frames")) ==
				      1,
			      "tx_frames");
			json_decref(d);
			close(pfd);
			t_guest_free(&g);
			return NULL;
		}
		/* Someone else's frame: give its buffers back to the device. */
		for (unsigned i = 0; i < nbufs; i++) {
			uint64_t gpa = t_alloc(&g, rx_len);
			struct t_buf b = {gpa, rx_len, true};

			rx_gpa[t_add_chain(&g, 0, &b, 1)] = gpa;
		}
		t_kick(&g, 0);
	}
	snprintf(why, sizeof(why), "our frame never arrived");
	return why;
}

/* Waits (bounded) for one frame of ours on pfd whose payload starts with fill; false if none. */
static bool got_frame(int pfd, uint8_t fill, int timeout_ms)
{
	struct pollfd p = {.fd = pfd, .events = POLLIN};
	uint8_t in[2000];

	while (poll(&p, 1, timeout_ms) == 1) {
		ssize_t n = recv(pfd, in, sizeof(in), 0);

		if (n > 14 && in[14] == (uint8_t)(fill + 14))
			return true;
	}
	return false;
}

/*
 * Snapshot with a tx chain held (popped, waiting for the rate limiter): the saved next-avail
 * index offers it again, and a device re-created from the saved options sends it once.
 */
static const char *scenario_snapshot(bool unused)
{
	struct t_guest g;
	struct virtio_pci_state *st = calloc(1, sizeof(*st));
	struct vdev_opts o;
	cella_err_t err = NULL;
	uint8_t out[200], bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
	int pfd, ifindex;

	t_guest_init(&g);
	CHECK(st, "out of memory");
	CHECK(vdev_create_from_string("net", "--net", "tap=" TAP ",mac=52:54:00:12:34:56,id=net0,iops=1",
				      &g.env, &g.dev, &err) == 0,
	      "create: %s", cella_error_string(err));
	CHECK(t_driver_start(&g, 0) & VIRTIO_STATUS_DRIVER_OK, "driver did not start");
	pfd = packet_socket(&ifindex);
	CHECK(pfd >= 0, "packet socket on %s: %s", TAP, strerror(errno));
	for (uint8_t i = 1; i <= 2; i++) {
		uint64_t hdr = t_alloc(&g, HDR), data = t_alloc(&g, sizeof(out));
		struct t_buf tx[2] = {{hdr, HDR, false}, {data, sizeof(out), false}};

		memset(t_ptr(&g, hdr), 0, HDR);
		frame(out, sizeof(out), bcast, guest_mac, i);
		memcpy(t_ptr(&g, data), out, sizeof(out));
		t_add_chain(&g, 1, tx, 2);
	}
	t_kick(&g, 1);
	CHECK(t_run_until_used(&g, 1, 1, 5000), "first tx chain not returned");
	t_run(&g, 0);
	CHECK(t_used_idx(&g, 1) == 1, "the rate limiter let both frames through");
	CHECK(got_frame(pfd, 1, 5000), "frame 1 never reached the TAP");
	close(pfd);

	pci_device__lock(vdev_pci(g.dev));
	vdev_set_quiesced(g.dev, true);
	CHECK(vdev_opts_parse(&o, "dev.virtio.0", "iops=1", &err) == 0, "opts");
	CHECK(vdev_save_state(g.dev, &o, st, &err) == 0, "save: %s", cella_error_string(err));
	pci_device__unlock(vdev_pci(g.dev));
	CHECK(st->queue[1].last_avail == 1 && st->queue[1].used_idx == 1,
	      "tx queue saved at avail %u used %u, expected 1 and 1 (the held chain offered again)",
	      st->queue[1].last_avail, st->queue[1].used_idx);
	CHECK(!strcmp(vdev_opts_get(&o, "tap"), TAP) &&
		      !strcmp(vdev_opts_get(&o, "mac"), "52:54:00:12:34:56"),
	      "saved back-end tap=%s mac=%s", vdev_opts_get(&o, "tap"), vdev_opts_get(&o, "mac"));

	/* Restore: the TAP is free again once the old device is gone. */
	vdev_destroy(g.dev);
	CHECK(vdev_opts_set(&o, "iops", "0", &err) == 0, "opts");
	CHECK(vdev_create("net", &o, &g.env, &g.dev, &err) == 0, "re-create: %s", cella_error_string(err));
	vdev_opts_release(&o);
	pfd = packet_socket(&ifindex);
	CHECK(pfd >= 0, "packet socket on the new %s: %s", TAP, strerror(errno));
	CHECK(vdev_load_state(g.dev, st, &err) == 0, "load: %s", cella_error_string(err));
	CHECK(t_run_until_used(&g, 1, 2, 5000), "the held tx chain was not sent after the restore");
	CHECK(got_frame(pfd, 2, 5000), "frame 2 never reached the new TAP");
	CHECK(!got_frame(pfd, 2, 300), "frame 2 sent twice");
	close(pfd);
	free(st);
	t_guest_free(&g);
	return NULL;
}

static void run_in_netns(const char *(*scenario_fn)(bool), bool mrg)
{
	int pipefd[2];
	pid_t pid;
	int status = 0;
	char msg[256] = {0};

	if (geteuid() != 0) {
		print_message("# SKIP: needs root for a network namespace and a TAP device\n");
		skip();
	}
	if (access("/dev/net/tun", R_OK | W_OK) != 0) {
		print_message("# SKIP: /dev/net/tun is missing\n");
		skip();
	}
	assert_int_equal(pipe2(pipefd, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		const char *r;

		close(pipefd[0]);
		if (unshare(CLONE_NEWNET) < 0)
			r = "unshare(CLONE_NEWNET) failed";
		else
			r = scenario_fn(mrg);
		if (r)
			(void)!write(pipefd[1], r, strlen(r));
		exit(r ? 1 : 0); /* exit(), not _exit(): LeakSanitizer checks the child too */
	}
	close(pipefd[1]);
	for (int i = 0; i < 300; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (i == 299) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			close(pipefd[0]);
			fail_msg("the TAP scenario did not finish in 30 s");
		}
		usleep(100000);
	}
	(void)!read(pipefd[0], msg, sizeof(msg) - 1);
	close(pipefd[0]);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fail_msg("TAP scenario: %s (status 0x%x)", msg[0] ? msg : "crashed or leaked", status);
}

static void test_tap_mergeable(void **state)
{
	run_in_netns(scenario, true);
}

static void test_tap_plain(void **state)
{
	run_in_netns(scenario, false);
}

static void test_snapshot_held_tx_chain(void **state)
{
	run_in_netns(scenario_snapshot, false);
}

static void test_options(void **state)
{
	struct t_guest g;
	cella_err_t err = NULL;
	static const struct {
		const char *opts, *msg;
	} cases[] = {
		{"mac=52:54:00:00:00:01", "--net: tap: missing (the TAP device name)"},
		{"tap=t0,mac=01:00:5e:00:00:01", "--net: mac: 01:00:5e:00:00:01 is a multicast address"},
		{"tap=t0,mac=52:54:00:00:00", "--net: mac: expected xx:xx:xx:xx:xx:xx, not '52:54:00:00:00'"},
		{"tap=t0,mac=52-54-00-00-00-01", "--net: mac: expected xx:xx:xx:xx:xx:xx"},
		{"tap=a-very-long-tap-name0", "--net: tap: longer than 15 bytes"},
		{"tap=t0,bps=10,refill_ms=10", "--net: bps: 10 per second refills nothing in 10 ms"},
		{"tap=t0,tap=t1", "--net: tap: given twice"},
	};

	t_guest_init(&g);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_true(vdev_create_from_string("net", "--net", cases[i].opts, &g.env, &g.dev, &err) < 0);
		if (!strstr(cella_error_string(err), cases[i].msg))
			fail_msg("'%s' gave '%s'", cases[i].opts, cella_error_string(err));
		cella_error_release(&err);
	}
	t_guest_free(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tap_mergeable),
		cmocka_unit_test(test_tap_plain),
		cmocka_unit_test(test_snapshot_held_tx_chain),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests_name("vmm-vdev-net", tests, NULL, NULL);
}
