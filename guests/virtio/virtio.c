/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A tiny virtio-pci modern driver: finds a device on PCI bus 0 (mechanism #1),
 * walks its capabilities, negotiates VERSION_1, sets up one split queue in
 * its own memory and polls the used ring (interrupts stay off).
 *   test=rng     virtio-rng: 64 bytes, not all zero
 *   test=blk     virtio-blk: sector 0 holds the test pattern, write sector 1, flush
 *   test=blk-ro  virtio-blk on a read-only disk: F_RO offered, the write fails with IOERR
 * Every MMIO access is a VM exit (~14 us nested), so the driver does few.
 */
#include "lib.h"

#define PCI_ADDR 0xCF8
#define PCI_DATA 0xCFC

#define VIRTIO_VENDOR	   0x1AF4
#define VIRTIO_DEV_BLK	   0x1042
#define VIRTIO_DEV_RNG	   0x1044
#define CAP_COMMON	   1
#define CAP_NOTIFY	   2
#define CAP_ISR		   3
#define STATUS_ACK	   1
#define STATUS_DRIVER	   2
#define STATUS_DRIVER_OK   4
#define STATUS_FEATURES_OK 8
#define DESC_F_NEXT	   1
#define DESC_F_WRITE	   2
#define QSIZE		   8
#define BLK_T_IN	   0
#define BLK_T_OUT	   1
#define BLK_T_FLUSH	   4
#define BLK_S_OK	   0
#define BLK_S_IOERR	   1
#define BLK_F_RO	   5
#define POLL_LIMIT	   400000 /* ISR reads (an exit each): several seconds */
#define PATTERN		   "cella virtio-blk sector 0"

struct virtio_common {
	uint32_t dfselect, df, gfselect, gf;
	uint16_t msix, numq;
	uint8_t status, cfggen;
	uint16_t q_select, q_size, q_msix, q_enable, q_noff;
	uint32_t desc_lo, desc_hi, avail_lo, avail_hi, used_lo, used_hi;
};

struct desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

static struct {
	struct desc desc[QSIZE] __attribute__((aligned(16)));
	struct {
		uint16_t flags, idx, ring[QSIZE], used_event;
	} avail __attribute__((aligned(4)));
	struct {
		uint16_t flags, idx;
		struct {
			uint32_t id, len;
		} ring[QSIZE];
		uint16_t avail_event;
	} used __attribute__((aligned(4)));
} vq;

static volatile struct virtio_common *common;
static volatile uint16_t *notify;
static volatile uint8_t *isr;
static uint16_t last_used;

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;

	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#define barrier() __asm__ volatile("" ::: "memory")

static uint32_t cfg_read(unsigned dev, unsigned reg)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (reg & 0xFC));
	return inl(PCI_DATA);
}

static void cfg_write(unsigned dev, unsigned reg, uint32_t v)
{
	outl(PCI_ADDR, 0x80000000u | dev << 11 | (reg & 0xFC));
	outl(PCI_DATA, v);
}

/* Finds the device, enables memory decoding, maps the capabilities and sets up queue 0 (VERSION_1 only). */
static void probe(uint16_t device_id)
{
	unsigned dev, cap;
	uint32_t bar = 0, notify_mult = 0, notify_off = 0;

	for (dev = 0; dev < 32; dev++) {
		if (cfg_read(dev, 0) == ((uint32_t)device_id << 16 | VIRTIO_VENDOR))
			break;
	}
	if (dev == 32)
		fail("no virtio device of that type on bus 0");
	if (cfg_read(dev, 0x14) != 0)
		fail("BAR 0 above 4 GiB");
	bar = cfg_read(dev, 0x10) & ~0xFu;
	if (bar == 0)
		fail("BAR 0 not programmed");
	cfg_write(dev, 0x04, cfg_read(dev, 0x04) | 0x6); /* memory decoding, bus master */
	for (cap = cfg_read(dev, 0x34) & 0xFF; cap; cap = (cfg_read(dev, cap) >> 8) & 0xFC) {
		uint32_t head = cfg_read(dev, cap);
		uint32_t type = head >> 24, offset = cfg_read(dev, cap + 8);

		if ((head & 0xFF) != 0x09 || (cfg_read(dev, cap + 4) & 0xFF) != 0)
			continue;
		if (type == CAP_COMMON)
			common = (volatile struct virtio_common *)(bar + offset);
		else if (type == CAP_ISR)
			isr = (volatile uint8_t *)(bar + offset);
		else if (type == CAP_NOTIFY) {
			notify_off = offset;
			notify_mult = cfg_read(dev, cap + 16);
		}
	}
	if (!common || !isr || !notify_off)
		fail("virtio capabilities missing");
	common->status = 0;
	common->status = STATUS_ACK;
	common->status = STATUS_ACK | STATUS_DRIVER;
	common->dfselect = 1;
	if (!(common->df & 1))
		fail("VERSION_1 not offered");
	common->gfselect = 0;
	common->gf = 0;
	common->gfselect = 1;
	common->gf = 1; /* VERSION_1 only */
	common->status = STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK;
	if (!(common->status & STATUS_FEATURES_OK))
		fail("FEATURES_OK refused");
	common->q_select = 0;
	if (common->q_size < QSIZE)
		fail("queue 0 too small");
	common->q_size = QSIZE;
	common->desc_lo = (uint32_t)vq.desc;
	common->desc_hi = 0;
	common->avail_lo = (uint32_t)&vq.avail;
	common->avail_hi = 0;
	common->used_lo = (uint32_t)&vq.used;
	common->used_hi = 0;
	notify = (volatile uint16_t *)(bar + notify_off + common->q_noff * notify_mult);
	common->q_enable = 1;
	common->status = STATUS_ACK | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK;
	if (common->status & 0x40)
		fail("device needs reset after set-up");
}

static bool offered(unsigned bit)
{
	common->dfselect = bit / 32;
	return (common->df >> (bit % 32)) & 1;
}

/* Makes the chain at descriptor 0 available, kicks, polls; returns the used length. */
static uint32_t submit(void)
{
	vq.avail.ring[vq.avail.idx % QSIZE] = 0;
	barrier();
	vq.avail.idx++;
	barrier();
	*notify = 0;
	for (unsigned i = 0; i < POLL_LIMIT; i++) {
		barrier();
		if (*(volatile uint16_t *)&vq.used.idx != last_used) {
			last_used++;
			barrier();
			if (vq.used.ring[(last_used - 1) % QSIZE].id != 0)
				fail("used ring returned another head");
			return vq.used.ring[(last_used - 1) % QSIZE].len;
		}
		(void)*isr; /* paces the loop: one exit */
	}
	fail("no answer in the used ring");
}

static void test_rng(void)
{
	static uint8_t buf[64];
	uint32_t len;
	unsigned nonzero = 0;

	probe(VIRTIO_DEV_RNG);
	vq.desc[0] = (struct desc){.addr = (uint32_t)buf, .len = sizeof(buf), .flags = DESC_F_WRITE};
	len = submit();
	if (len != sizeof(buf))
		fail("rng: short answer");
	for (unsigned i = 0; i < sizeof(buf); i++)
		nonzero += buf[i] != 0;
	if (!nonzero)
		fail("rng: all zero");
	puts("rng: 64 random bytes\n");
}

static struct {
	uint32_t type, reserved;
	uint64_t sector;
} blk_hdr;
static uint8_t blk_data[512], blk_status;

static uint8_t blk_request(uint32_t type, uint64_t sector, bool with_data)
{
	unsigned n = 0;

	blk_hdr.type = type;
	blk_hdr.reserved = 0;
	blk_hdr.sector = sector;
	blk_status = 0xFF;
	vq.desc[n] = (struct desc){
		.addr = (uint32_t)&blk_hdr, .len = sizeof(blk_hdr), .flags = DESC_F_NEXT, .next = 1};
	n++;
	if (with_data) {
		vq.desc[n] = (struct desc){.addr = (uint32_t)blk_data,
					   .len = sizeof(blk_data),
					   .flags = DESC_F_NEXT | (type == BLK_T_IN ? DESC_F_WRITE : 0),
					   .next = 2};
		n++;
	}
	vq.desc[n] = (struct desc){.addr = (uint32_t)&blk_status, .len = 1, .flags = DESC_F_WRITE};
	vq.desc[n - 1].next = (uint16_t)n;
	submit();
	return blk_status;
}

static void test_blk(bool readonly)
{
	const char *pattern = PATTERN;
	uint8_t s;

	probe(VIRTIO_DEV_BLK);
	if (offered(BLK_F_RO) != readonly)
		fail(readonly ? "blk: F_RO not offered" : "blk: F_RO offered on a writable disk");
	if (blk_request(BLK_T_IN, 0, true) != BLK_S_OK)
		fail("blk: read of sector 0 failed");
	for (unsigned i = 0; pattern[i]; i++) {
		if (blk_data[i] != (uint8_t)pattern[i])
			fail("blk: sector 0 does not hold the pattern");
	}
	for (unsigned i = 64; i < 512; i++) {
		if (blk_data[i] != (uint8_t)i)
			fail("blk: sector 0 tail does not hold the pattern");
	}
	puts("blk: read sector 0\n");
	for (unsigned i = 0; i < 512; i++)
		blk_data[i] = (uint8_t)(i ^ 0x5A);
	s = blk_request(BLK_T_OUT, 1, true);
	if (readonly) {
		if (s != BLK_S_IOERR)
			fail("blk: write to a read-only disk did not fail with IOERR");
		puts("blk: read-only write refused\n");
		return;
	}
	if (s != BLK_S_OK)
		fail("blk: write of sector 1 failed");
	if (blk_request(BLK_T_FLUSH, 0, false) != BLK_S_OK)
		fail("blk: flush failed");
	puts("blk: wrote sector 1, flushed\n");
}

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	const char *cmdline = guest_cmdline(mbi);

	if (str_contains(cmdline, "test=rng"))
		test_rng();
	else if (str_contains(cmdline, "test=blk-ro"))
		test_blk(true);
	else if (str_contains(cmdline, "test=blk"))
		test_blk(false);
	else
		fail("no test= on the command line");
	pass();
}
