/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * blk-writer: writes numbered sectors to a virtio-blk disk, sector N filled
 * with the 32-bit value N (128 times), from sector 1 up, with `depth=D`
 * requests in flight (default 4, at most 5: 3 descriptors each in a 16-entry
 * queue). It prints "done N" for every write the device completes (in
 * completion order, which may differ from submission order), so a snapshot
 * taken mid-run and restored must finish every sector exactly once: the
 * original's output up to the snapshot followed by a restored copy's holds
 * each "done N" once, none missing, and the disk holds N in sector N.
 * `stop=N` ends the VM with PASS once sectors 1..N are done (default 4000);
 * `quiet=1` prints only "progress N" every 100 completions instead.
 * It also prints "genid G" at boot and when cella-vmm's generation ID
 * changes (port 0x5e0), so a restored copy announces itself, followed by the
 * identity its other devices show in their config space: "mac M" for a
 * virtio-net device, "cid N" for a virtio-vsock one (a clone's new values).
 *
 * `read=1` reads instead: sector N (which must hold N, as the writer leaves
 * it) into its own 512 bytes of a RAM array that only the device ever writes
 * (the guest never stores to it, so KVM's dirty log never sees those pages),
 * checks them at completion, and once all are done checks the whole array
 * again and prints "verified N". A snapshot that lost a page the device wrote
 * (a diff without the device dirty log) restores it as zeros: the final check
 * fails naming the sector.
 */
#include "lib.h"
#include "vdrv.h"

#define BLK_T_IN   0
#define BLK_T_OUT  1
#define BLK_S_OK   0
#define GENID_PORT 0x5e0
#define MAX_DEPTH  5 /* VDRV_QSIZE / 3 descriptors */
#define NO_SECTOR  0
#define MAX_READ   4000 /* sectors read=1 can hold in read_buf */

struct slot {
	struct {
		uint32_t type, reserved;
		uint64_t sector;
	} hdr;
	uint32_t data[128];
	uint8_t status;
};

static struct vdrv d, net, vsock;
static bool has_net, has_vsock;
static struct vdrv_queue q;
static struct slot slots[MAX_DEPTH];
static uint32_t sector_of_head[VDRV_QSIZE];
static uint8_t slot_of_head[VDRV_QSIZE];
static uint32_t seen_gen;
/* read=1: sector N lands in read_buf[N]; bss, never written by the guest itself. */
static uint32_t read_buf[MAX_READ + 1][128] __attribute__((aligned(4096)));

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static void put_hex2(uint8_t v)
{
	static const char digits[] = "0123456789abcdef";

	putc(digits[v >> 4]);
	putc(digits[v & 15]);
}

/* Read straight from config space each time: a restored clone may show new values. */
static void print_identity(void)
{
	if (has_net) {
		puts("mac ");
		for (unsigned i = 0; i < 6; i++) {
			if (i)
				putc(':');
			put_hex2(net.config[i]);
		}
		putc('\n');
	}
	if (has_vsock) {
		puts("cid ");
		put_dec(vsock.config[0] | vsock.config[1] << 8 | vsock.config[2] << 16 |
			(uint32_t)vsock.config[3] << 24);
		putc('\n');
	}
}

static void check_genid(bool force)
{
	uint32_t gen = inl(GENID_PORT);

	if (!force && gen == seen_gen)
		return;
	seen_gen = gen;
	puts("genid ");
	put_dec(gen);
	putc('\n');
	print_identity();
}

static void submit(unsigned s, uint32_t sector, bool reading)
{
	struct slot *sl = &slots[s];
	struct vdrv_buf b[3];
	uint16_t head;

	sl->hdr.type = reading ? BLK_T_IN : BLK_T_OUT;
	sl->hdr.reserved = 0;
	sl->hdr.sector = sector;
	if (!reading) {
		for (unsigned i = 0; i < 128; i++)
			sl->data[i] = sector;
	}
	sl->status = 0xFF;
	b[0] = (struct vdrv_buf){&sl->hdr, sizeof(sl->hdr), false};
	if (reading)
		b[1] = (struct vdrv_buf){read_buf[sector], sizeof(read_buf[sector]), true};
	else
		b[1] = (struct vdrv_buf){sl->data, sizeof(sl->data), false};
	b[2] = (struct vdrv_buf){&sl->status, 1, true};
	head = vdrv_submit(&q, b, 3);
	if (head >= VDRV_QSIZE)
		fail("blk-writer: head out of range");
	sector_of_head[head] = sector;
	slot_of_head[head] = (uint8_t)s;
}

/* read=1: does read_buf[sector] hold what the disk has there (the value sector, 128 times)? */
static void check_read(uint32_t sector, const char *when)
{
	for (unsigned i = 0; i < 128; i++) {
		if (read_buf[sector][i] != sector) {
			puts("sector ");
			put_dec(sector);
			puts(" in RAM holds ");
			put_dec(read_buf[sector][i]);
			putc('\n');
			fail(when);
		}
	}
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	const char *cmdline;
	uint32_t depth, stop, next = 1, done = 0, quiet, reading;
	bool free_slot[MAX_DEPTH];

	if (magic != MB_BOOT_MAGIC)
		fail("blk-writer: not entered by a Multiboot loader");
	cmdline = guest_cmdline(mbi);
	depth = cmdline_number(cmdline, "depth", 4);
	stop = cmdline_number(cmdline, "stop", 4000);
	quiet = cmdline_number(cmdline, "quiet", 0);
	reading = cmdline_number(cmdline, "read", 0);
	if (depth < 1 || depth > MAX_DEPTH)
		fail("blk-writer: depth must be 1..5");
	if (reading && stop > MAX_READ)
		fail("blk-writer: read=1 reads at most 4000 sectors");
	for (unsigned i = 0; i < MAX_DEPTH; i++)
		free_slot[i] = i < depth;
	has_net = vdrv_find(&net, VDRV_DEV_NET) && net.config;
	has_vsock = vdrv_find(&vsock, VDRV_DEV_VSOCK) && vsock.config;
	check_genid(true);
	vdrv_probe(&d, VDRV_DEV_BLK);
	vdrv_negotiate(&d, 0);
	vdrv_queue_setup(&d, &q, 0, VDRV_NO_VECTOR);
	vdrv_driver_ok(&d);
	puts(reading ? "reading\n" : "writing\n");
	while (done < stop) {
		uint16_t head;
		uint32_t len, sector;
		bool added = false;

		for (unsigned s = 0; s < depth && next <= stop; s++) {
			if (!free_slot[s])
				continue;
			free_slot[s] = false;
			submit(s, next++, reading);
			added = true;
		}
		if (added)
			vdrv_kick(&q);
		if (!vdrv_wait_any(&d, &q, &head, &len))
			fail("blk-writer: no completion in the used ring");
		if (head >= VDRV_QSIZE || !sector_of_head[head])
			fail("blk-writer: the used ring returned a head not in flight");
		sector = sector_of_head[head];
		sector_of_head[head] = NO_SECTOR;
		if (slots[slot_of_head[head]].status != BLK_S_OK)
			fail(reading ? "blk-writer: read failed" : "blk-writer: write failed");
		if (reading)
			check_read(sector, "blk-writer: a read returned other data");
		free_slot[slot_of_head[head]] = true;
		done++;
		check_genid(false);
		if (!quiet) {
			puts("done ");
			put_dec(sector);
			putc('\n');
		} else if (done % 100 == 0) {
			puts("progress ");
			put_dec(done);
			putc('\n');
		}
	}
	if (reading) {
		/* Every buffer again: pages the device wrote before a snapshot must have survived it. */
		for (uint32_t sector = 1; sector <= stop; sector++)
			check_read(sector, "blk-writer: RAM lost data the device had read into it");
		puts("verified ");
		put_dec(stop);
		putc('\n');
	}
	pass();
}
