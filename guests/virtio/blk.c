/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * virtio-blk tests (test=blk, blk-ro, blk-discard, blk-id). The image the
 * host prepares: sector 0 = PATTERN then bytes 64..511 = their index; the
 * host checks what the guest changed afterwards.
 */
#include "lib.h"
#include "tests.h"
#include "vdrv.h"

#define BLK_T_IN	   0
#define BLK_T_OUT	   1
#define BLK_T_FLUSH	   4
#define BLK_T_GET_ID	   8
#define BLK_T_DISCARD	   11
#define BLK_T_WRITE_ZEROES 13
#define BLK_S_OK	   0
#define BLK_S_IOERR	   1
#define BLK_S_UNSUPP	   2
#define BLK_F_RO	   5
#define BLK_F_FLUSH	   9
#define BLK_F_DISCARD	   13
#define BLK_F_WRITE_ZEROES 14
#define BLK_ID_BYTES	   20
#define SEG_F_UNMAP	   1
/* Device configuration offsets (5.2.4). */
#define CFG_MAX_DISCARD_SECTORS 36
#define CFG_DISCARD_ALIGNMENT	44
#define CFG_MAX_WZ_SECTORS	48
#define PATTERN			"cella virtio-blk sector 0"

static struct vdrv d;
static struct vdrv_queue q;
static struct {
	uint32_t type, reserved;
	uint64_t sector;
} hdr;
static struct {
	uint64_t sector;
	uint32_t num_sectors, flags;
} seg;
static uint8_t data[512], status;

/* One request: header, then `out` (device-readable) or `in` (device-writable) payload, then the status byte. */
static uint8_t request(uint32_t type, uint64_t sector, const volatile void *payload, uint32_t len, bool in)
{
	struct vdrv_buf b[3];
	unsigned n = 0;

	hdr.type = type;
	hdr.reserved = 0;
	hdr.sector = sector;
	status = 0xFF;
	b[n++] = (struct vdrv_buf){&hdr, sizeof(hdr), false};
	if (payload)
		b[n++] = (struct vdrv_buf){payload, len, in};
	b[n++] = (struct vdrv_buf){&status, 1, true};
	vdrv_wait(&d, &q, vdrv_submit(&q, b, n));
	return status;
}

static uint32_t config32(unsigned off)
{
	return *(volatile uint32_t *)(d.config + off);
}

static void start(uint64_t features)
{
	vdrv_probe(&d, VDRV_DEV_BLK);
	if (!d.config)
		fail("blk: no device configuration capability");
	vdrv_negotiate(&d, features);
	vdrv_queue_setup(&d, &q, 0, VDRV_NO_VECTOR);
	vdrv_driver_ok(&d);
}

static void check_sector0(void)
{
	const char *pattern = PATTERN;

	if (request(BLK_T_IN, 0, data, sizeof(data), true) != BLK_S_OK)
		fail("blk: read of sector 0 failed");
	for (unsigned i = 0; pattern[i]; i++) {
		if (data[i] != (uint8_t)pattern[i])
			fail("blk: sector 0 does not hold the pattern");
	}
	for (unsigned i = 64; i < 512; i++) {
		if (data[i] != (uint8_t)i)
			fail("blk: sector 0 tail does not hold the pattern");
	}
	puts("blk: read sector 0\n");
}

void test_blk(bool readonly)
{
	uint8_t s;

	vdrv_probe(&d, VDRV_DEV_BLK);
	if (vdrv_offered(&d, BLK_F_RO) != readonly)
		fail(readonly ? "blk: F_RO not offered" : "blk: F_RO offered on a writable disk");
	start(readonly ? 0 : 1ull << BLK_F_FLUSH);
	check_sector0();
	for (unsigned i = 0; i < 512; i++)
		data[i] = (uint8_t)(i ^ 0x5A);
	s = request(BLK_T_OUT, 1, data, sizeof(data), false);
	if (readonly) {
		if (s != BLK_S_IOERR)
			fail("blk: write to a read-only disk did not fail with IOERR");
		puts("blk: read-only write refused\n");
		return;
	}
	if (s != BLK_S_OK)
		fail("blk: write of sector 1 failed");
	if (request(BLK_T_FLUSH, 0, NULL, 0, false) != BLK_S_OK)
		fail("blk: flush failed");
	puts("blk: wrote sector 1, flushed\n");
}

static uint8_t range_request(uint32_t type, uint64_t sector, uint32_t count, uint32_t flags)
{
	seg.sector = sector;
	seg.num_sectors = count;
	seg.flags = flags;
	return request(type, 0, &seg, sizeof(seg), false);
}

static void expect_zero_sector(uint64_t sector, const char *what)
{
	if (request(BLK_T_IN, sector, data, sizeof(data), true) != BLK_S_OK)
		fail("blk: read-back failed");
	for (unsigned i = 0; i < sizeof(data); i++) {
		if (data[i] != 0)
			fail(what);
	}
}

/*
 * Sectors 8-15 write-zeroes, 16-23 write-zeroes with UNMAP, 24-39 discard;
 * a discard with the UNMAP flag must be UNSUPP (5.2.6.2). The host checks
 * the file: zeros where written, its fill elsewhere (discard is advisory,
 * so the test there only reads it back for a status).
 */
void test_blk_discard(void)
{
	uint32_t align;

	start(1ull << BLK_F_DISCARD | 1ull << BLK_F_WRITE_ZEROES | 1ull << BLK_F_FLUSH);
	if (config32(CFG_MAX_DISCARD_SECTORS) < 16 || config32(CFG_MAX_WZ_SECTORS) < 8)
		fail("blk: discard/write-zeroes limits too small");
	align = config32(CFG_DISCARD_ALIGNMENT);
	if (align == 0 || 24 % align != 0)
		fail("blk: discard alignment not a divisor of 24 sectors");
	if (range_request(BLK_T_WRITE_ZEROES, 8, 8, 0) != BLK_S_OK)
		fail("blk: write-zeroes failed");
	expect_zero_sector(8, "blk: sector 8 not zero after write-zeroes");
	expect_zero_sector(15, "blk: sector 15 not zero after write-zeroes");
	if (range_request(BLK_T_WRITE_ZEROES, 16, 8, SEG_F_UNMAP) != BLK_S_OK)
		fail("blk: write-zeroes with unmap failed");
	expect_zero_sector(20, "blk: sector 20 not zero after write-zeroes with unmap");
	puts("blk: write-zeroes done\n");
	if (range_request(BLK_T_DISCARD, 24, 16, 0) != BLK_S_OK)
		fail("blk: discard failed");
	if (range_request(BLK_T_DISCARD, 24, 16, SEG_F_UNMAP) != BLK_S_UNSUPP)
		fail("blk: discard with the unmap flag not UNSUPP");
	if (request(BLK_T_FLUSH, 0, NULL, 0, false) != BLK_S_OK)
		fail("blk: flush failed");
	puts("blk: discard done\n");
}

/* GET_ID: up to 20 bytes, NUL-padded when shorter; must equal id=WORD from the command line. */
void test_blk_id(const char *cmdline)
{
	static uint8_t id[BLK_ID_BYTES];
	const char *want = str_find(cmdline, "id=");
	unsigned i;

	if (!want)
		fail("blk-id: no id= on the command line");
	want += 3;
	start(0);
	memset(id, 0xEE, sizeof(id));
	if (request(BLK_T_GET_ID, 0, id, sizeof(id), true) != BLK_S_OK)
		fail("blk-id: GET_ID failed");
	for (i = 0; i < BLK_ID_BYTES && want[i] && want[i] != ' '; i++) {
		if (id[i] != (uint8_t)want[i])
			fail("blk-id: the device ID differs from id=");
	}
	if (i < BLK_ID_BYTES && id[i] != 0)
		fail("blk-id: the device ID is longer than id=");
	puts("blk-id: ");
	for (i = 0; i < BLK_ID_BYTES && id[i]; i++)
		putc((char)id[i]);
	putc('\n');
}

/*
 * test=blk-indirect: INDIRECT_DESC and EVENT_IDX negotiated; sector 2 is
 * written and read back through indirect tables (header, data, status in
 * one table each), then flushed. With EVENT_IDX the device publishes
 * avail_event, the next avail index it will read: after the last request
 * that is our avail index. The host checks sector 2 of the file.
 */
void test_blk_indirect(void)
{
	static struct vdrv_desc table[3] __attribute__((aligned(16)));
	static uint8_t back[512];
	struct vdrv_buf b[3];

	start(1ull << VDRV_F_INDIRECT_DESC | 1ull << VDRV_F_EVENT_IDX | 1ull << BLK_F_FLUSH);
	for (unsigned i = 0; i < 512; i++)
		data[i] = (uint8_t)(i * 7 + 3);
	hdr = (__typeof__(hdr)){.type = BLK_T_OUT, .sector = 2};
	status = 0xFF;
	b[0] = (struct vdrv_buf){&hdr, sizeof(hdr), false};
	b[1] = (struct vdrv_buf){data, sizeof(data), false};
	b[2] = (struct vdrv_buf){&status, 1, true};
	vdrv_wait(&d, &q, vdrv_submit_indirect(&q, table, b, 3));
	if (status != BLK_S_OK)
		fail("blk-indirect: write through an indirect table failed");
	hdr = (__typeof__(hdr)){.type = BLK_T_IN, .sector = 2};
	status = 0xFF;
	b[1] = (struct vdrv_buf){back, sizeof(back), true};
	if (vdrv_wait(&d, &q, vdrv_submit_indirect(&q, table, b, 3)) != sizeof(back) + 1)
		fail("blk-indirect: used length of a read is not data + status");
	if (status != BLK_S_OK)
		fail("blk-indirect: read through an indirect table failed");
	for (unsigned i = 0; i < 512; i++) {
		if (back[i] != data[i])
			fail("blk-indirect: sector 2 reads back different");
	}
	if (request(BLK_T_FLUSH, 0, NULL, 0, false) != BLK_S_OK)
		fail("blk-indirect: flush failed");
	vdrv_barrier();
	if (*(volatile uint16_t *)&q.used.avail_event != q.avail.idx)
		fail("blk-indirect: avail_event is not the next avail index (EVENT_IDX)");
	puts("blk-indirect: wrote and read sector 2 through indirect tables\n");
}
