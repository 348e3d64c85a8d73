/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The guest of bench/virtio: drives one virtio device as fast as a polling
 * driver can, so the host can measure what each request costs the VMM.
 *   mode=blk-read  n=N size=BYTES   N reads of BYTES (512..65536) each, up to 4 in flight
 *   mode=blk-write n=N size=BYTES   the same with writes
 *   mode=net-tx    n=N              N 64-byte Ethernet frames on the transmit queue, up to 8 in flight
 * Prints "bench: start" once the device is set up and "bench: done N" after the
 * last completion; the host samples the VMM's CPU time at both lines. Then
 * waits (interrupts off, hlt) for the host to end the VM, unless exit=1 is given.
 * It runs unchanged on cella-vmm and on QEMU (PCI mechanism #1, BAR from the capabilities).
 */
#include "lib.h"
#include "vdrv.h"

#define BLK_T_IN      0
#define BLK_T_OUT     1
#define BLK_S_OK      0
#define BLK_DEPTH     4 /* header + data + status: 3 descriptors a request, VDRV_QSIZE 16 */
#define BLK_MAX_BYTES 65536
#define NET_DEPTH     8
#define NET_FRAME     64
#define NET_HDR	      12 /* struct virtio_net_hdr with VIRTIO_F_VERSION_1 (num_buffers included) */
#define NET_TX_QUEUE  1

static struct vdrv d;
static struct vdrv_queue q;

static struct blk_slot {
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	uint8_t status;
	uint16_t head;
	bool busy;
} slots[BLK_DEPTH];
static uint8_t blk_data[BLK_DEPTH][BLK_MAX_BYTES] __attribute__((aligned(4096)));
static uint8_t frames[NET_DEPTH][NET_HDR + NET_FRAME];

static uint64_t capacity_sectors(void)
{
	if (!d.config)
		fail("bench: blk has no device configuration");
	return *(volatile uint32_t *)d.config | (uint64_t) * (volatile uint32_t *)(d.config + 4) << 32;
}

static void blk_submit(struct blk_slot *s, unsigned i, bool write, uint64_t sector, uint32_t size)
{
	struct vdrv_buf b[3] = {
		{&s->hdr, sizeof(s->hdr), false},
		{blk_data[i], size, !write},
		{&s->status, 1, true},
	};

	s->hdr.type = write ? BLK_T_OUT : BLK_T_IN;
	s->hdr.reserved = 0;
	s->hdr.sector = sector;
	s->status = 0xFF;
	s->head = vdrv_submit(&q, b, 3);
	s->busy = true;
}

/* Takes one completion; returns the slot it freed. */
static unsigned blk_complete(void)
{
	uint16_t head;
	uint32_t len;

	if (!vdrv_wait_any(&d, &q, &head, &len))
		fail("bench: blk request timed out");
	for (unsigned i = 0; i < BLK_DEPTH; i++) {
		if (slots[i].busy && slots[i].head == head) {
			if (slots[i].status != BLK_S_OK)
				fail("bench: blk request failed");
			slots[i].busy = false;
			return i;
		}
	}
	fail("bench: blk completion of an unknown head");
}

static void bench_blk(uint32_t n, uint32_t size, bool write)
{
	uint64_t sectors, span, next = 0;
	uint32_t submitted = 0, done = 0;

	if (size < 512 || size > BLK_MAX_BYTES || size % 512)
		fail("bench: size must be a multiple of 512 in 512..65536");
	vdrv_probe(&d, VDRV_DEV_BLK);
	vdrv_negotiate(&d, 0);
	vdrv_queue_setup(&d, &q, 0, VDRV_NO_VECTOR);
	vdrv_driver_ok(&d);
	sectors = capacity_sectors();
	span = size / 512;
	if (sectors < span * BLK_DEPTH)
		fail("bench: the disk is too small for the request size");
	for (unsigned i = 0; i < BLK_DEPTH; i++)
		memset(blk_data[i], (int)(0xA0 + i), size);
	puts("bench: start\n");
	while (done < n) {
		while (submitted < n && submitted - done < BLK_DEPTH) {
			unsigned i = 0;

			while (slots[i].busy)
				i++;
			blk_submit(&slots[i], i, write, next, size);
			next = next + span + span > sectors ? 0 : next + span;
			submitted++;
		}
		vdrv_kick(&q);
		blk_complete();
		done++;
	}
	puts("bench: done ");
	put_dec(done);
	putc('\n');
}

static void bench_net_tx(uint32_t n)
{
	uint32_t submitted = 0, done = 0;
	uint16_t head;
	uint32_t len;

	vdrv_probe(&d, VDRV_DEV_NET);
	vdrv_negotiate(&d, 0);
	vdrv_queue_setup(&d, &q, NET_TX_QUEUE, VDRV_NO_VECTOR);
	vdrv_driver_ok(&d);
	for (unsigned i = 0; i < NET_DEPTH; i++) {
		uint8_t *f = frames[i] + NET_HDR;

		memset(frames[i], 0, sizeof(frames[i]));
		memset(f, 0xFF, 6);			      /* broadcast */
		memcpy(f + 6, "\x02\x00\x00\x00\x00\x01", 6); /* locally administered source */
		f[12] = 0x88;				      /* EtherType 0x88B5: local experimental */
		f[13] = 0xB5;
		memcpy(f + 14, "cella bench frame", 17);
	}
	puts("bench: start\n");
	while (done < n) {
		while (submitted < n && submitted - done < NET_DEPTH) {
			struct vdrv_buf b = {frames[submitted % NET_DEPTH], NET_HDR + NET_FRAME, false};

			vdrv_submit(&q, &b, 1);
			submitted++;
		}
		vdrv_kick(&q);
		if (!vdrv_wait_any(&d, &q, &head, &len))
			fail("bench: net transmit timed out");
		done++;
		while (vdrv_poll_used(&q, &head, &len))
			done++;
	}
	puts("bench: done ");
	put_dec(done);
	putc('\n');
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	const char *cmdline = guest_cmdline(mbi);
	uint32_t n = cmdline_number(cmdline, "n", 1000);
	uint32_t size = cmdline_number(cmdline, "size", 4096);

	if (str_contains(cmdline, "mode=blk-read"))
		bench_blk(n, size, false);
	else if (str_contains(cmdline, "mode=blk-write"))
		bench_blk(n, size, true);
	else if (str_contains(cmdline, "mode=net-tx"))
		bench_net_tx(n);
	else
		fail("bench: no known mode= on the command line");
	if (cmdline_number(cmdline, "exit", 0))
		pass();
	/* The host samples the VMM's CPU time now and ends the VM. */
	for (;;)
		__asm__ volatile("cli; hlt");
}
