/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * test=vsock cid=N port=P: the guest reads its CID from config space,
 * connects to host (CID 2) port P, sends GUEST_LINE, expects HOST_LINE back
 * (the test's unix listener at <socket>_P answers it), then shuts down.
 */
#include "lib.h"
#include "tests.h"
#include "vdrv.h"

#define HOST_CID    2
#define OP_REQUEST  1
#define OP_RESPONSE 2
#define OP_RST	    3
#define OP_SHUTDOWN 4
#define OP_RW	    5
#define TYPE_STREAM 1
#define GUEST_PORT  1234
#define BUF_ALLOC   65536
#define RX_BUFS	    4
#define RX_PAYLOAD  512
#define MAX_PACKETS 32
#define GUEST_LINE  "hello from the guest\n"
#define HOST_LINE   "hello from the host\n"

struct __attribute__((packed)) vsock_hdr {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port, len;
	uint16_t type, op;
	uint32_t flags, buf_alloc, fwd_cnt;
};

static struct vdrv d;
static struct vdrv_queue rxq, txq, evq;
static struct {
	struct vsock_hdr h;
	uint8_t payload[RX_PAYLOAD];
} rx[RX_BUFS];
static struct {
	struct vsock_hdr h;
	uint8_t payload[64];
} tx;
static uint8_t event[8];
static uint64_t cid;
static uint32_t host_port, fwd_cnt;

static void post_rx(unsigned i)
{
	struct vdrv_buf b = {&rx[i], sizeof(rx[i]), true};

	vdrv_submit(&rxq, &b, 1);
}

static void send_packet(uint16_t op, uint32_t flags, const char *payload)
{
	uint32_t len = payload ? (uint32_t)strlen(payload) : 0;
	struct vdrv_buf b = {&tx, (uint32_t)sizeof(tx.h) + len, false};

	tx.h = (struct vsock_hdr){.src_cid = cid,
				  .dst_cid = HOST_CID,
				  .src_port = GUEST_PORT,
				  .dst_port = host_port,
				  .len = len,
				  .type = TYPE_STREAM,
				  .op = op,
				  .flags = flags,
				  .buf_alloc = BUF_ALLOC,
				  .fwd_cnt = fwd_cnt};
	if (len)
		memcpy(tx.payload, payload, len);
	vdrv_wait(&d, &txq, vdrv_submit(&txq, &b, 1));
}

/* Waits (bounded) for a packet of our connection with op `want`; others (credit updates) are skipped. */
static const struct vsock_hdr *receive(uint16_t want, const char *what)
{
	static struct vsock_hdr copy;

	for (unsigned n = 0; n < MAX_PACKETS; n++) {
		uint16_t head;
		uint32_t len;
		const struct vsock_hdr *h;

		if (!vdrv_wait_any(&d, &rxq, &head, &len))
			fail(what);
		if (head >= RX_BUFS || len < sizeof(*h) || len > sizeof(rx[0]))
			fail("vsock: bad used element on the receive queue");
		h = &rx[head].h;
		copy = *h;
		if (copy.len > len - sizeof(*h))
			fail("vsock: packet length beyond the used length");
		if (copy.op == OP_RW)
			fwd_cnt += copy.len;
		post_rx(head);
		vdrv_kick(&rxq);
		if (copy.dst_cid != cid || copy.dst_port != GUEST_PORT || copy.src_port != host_port)
			continue;
		if (copy.op == OP_RST && want != OP_RST)
			fail("vsock: the host reset the connection");
		if (copy.op == want) {
			if (want == OP_RW && copy.len <= RX_PAYLOAD) {
				static uint8_t data[RX_PAYLOAD + 1];

				memcpy(data, rx[head].payload, copy.len);
				data[copy.len] = 0;
				if (!str_contains((const char *)data, HOST_LINE))
					fail("vsock: the host sent something else");
			}
			return &copy;
		}
	}
	fail(what);
}

void test_vsock(const char *cmdline)
{
	uint64_t want_cid = cmdline_number(cmdline, "cid", 0);
	struct vdrv_buf ev = {event, sizeof(event), true};

	host_port = cmdline_number(cmdline, "port", 0);
	if (!want_cid || !host_port)
		fail("vsock: needs cid= and port= on the command line");
	vdrv_probe(&d, VDRV_DEV_VSOCK);
	vdrv_negotiate(&d, 0);
	cid = *(volatile uint32_t *)d.config | (uint64_t) * (volatile uint32_t *)(d.config + 4) << 32;
	if (cid != want_cid)
		fail("vsock: guest_cid in config space differs from cid=");
	vdrv_queue_setup(&d, &rxq, 0, VDRV_NO_VECTOR);
	vdrv_queue_setup(&d, &txq, 1, VDRV_NO_VECTOR);
	vdrv_queue_setup(&d, &evq, 2, VDRV_NO_VECTOR);
	for (unsigned i = 0; i < RX_BUFS; i++)
		post_rx(i);
	vdrv_submit(&evq, &ev, 1);
	vdrv_driver_ok(&d);
	vdrv_kick(&rxq);
	vdrv_kick(&evq);
	puts("vsock: cid ");
	put_dec((uint32_t)cid);
	putc('\n');
	send_packet(OP_REQUEST, 0, NULL);
	receive(OP_RESPONSE, "vsock: no RESPONSE to the connection request");
	puts("vsock: connected\n");
	send_packet(OP_RW, 0, GUEST_LINE);
	receive(OP_RW, "vsock: no data from the host");
	puts("vsock: data both ways\n");
	send_packet(OP_SHUTDOWN, 3, NULL);
	receive(OP_RST, "vsock: no RST after the shutdown");
	puts("vsock: closed\n");
}
