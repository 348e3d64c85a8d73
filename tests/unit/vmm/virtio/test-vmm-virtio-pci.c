// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-pci modern transport: capabilities, feature negotiation, status rules, reset, queue set-up, widths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "virtio-test.h"
#include "virtio/virtio_pci.h"

#define NQ	 2
#define QMAX	 64
#define CFG_SIZE 12
#define DEV_FEATS \
	(VIRTIO_BIT(0) | VIRTIO_BIT(5) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC))

struct fixture {
	struct test_ram ram;
	struct virtio_pci vp;
	unsigned notified[NQ], enabled[NQ], resets, driver_oks, msis, cfg_writes;
	uint32_t last_msi_data;
	int intx; /* -1: never called */
	uint8_t config[CFG_SIZE];
};

static void cb_notify(void *opaque, unsigned q)
{
	struct fixture *f = opaque;

	assert_true(q < NQ);
	f->notified[q]++;
}

static void cb_enabled(void *opaque, unsigned q, struct virtq *vq)
{
	struct fixture *f = opaque;

	assert_true(q < NQ);
	assert_true(vq->enabled);
	f->enabled[q]++;
}

static void cb_driver_ok(void *opaque)
{
	struct fixture *f = opaque;

	f->driver_oks++;
}

static void cb_reset(void *opaque)
{
	struct fixture *f = opaque;

	f->resets++;
}

static void cb_config_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	struct fixture *f = opaque;

	assert_true(off + len <= CFG_SIZE);
	memcpy(data, f->config + off, len);
}

static void cb_config_write(void *opaque, uint32_t off, const uint8_t *data, uint32_t len)
{
	struct fixture *f = opaque;

	assert_true(off + len <= CFG_SIZE);
	memcpy(f->config + off, data, len);
	f->cfg_writes++;
}

static void cb_msi(void *opaque, uint64_t addr, uint32_t data)
{
	struct fixture *f = opaque;

	f->msis++;
	f->last_msi_data = data;
}

static void cb_intx(void *opaque, bool level)
{
	struct fixture *f = opaque;

	f->intx = level;
}

static const struct virtio_pci_ops ops = {
	.queue_notify = cb_notify,
	.queue_enabled = cb_enabled,
	.driver_ok = cb_driver_ok,
	.reset = cb_reset,
	.config_read = cb_config_read,
	.config_write = cb_config_write,
};

static struct virtio_pci_params params(struct fixture *f)
{
	return (struct virtio_pci_params){
		.name = "virtio-test",
		.device_id = 4,
		.class_code = 0xFF0000,
		.features = DEV_FEATS,
		.num_queues = NQ,
		.queue_max_size = QMAX,
		.config_size = CFG_SIZE,
		.mem = &f->ram.mem,
		.ops = &ops,
		.opaque = f,
		.msi_send = cb_msi,
		.intx = cb_intx,
		.irq_opaque = f,
	};
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct virtio_pci_params p;
	cella_err_t err = NULL;

	test_ram_init(&f->ram);
	f->intx = -1;
	for (unsigned i = 0; i < CFG_SIZE; i++)
		f->config[i] = 0xC0 + i;
	p = params(f);
	assert_int_equal(virtio_pci__init(&f->vp, &p, &err), 0);
	assert_null(err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_pci__destroy(&f->vp);
	test_ram_free(&f->ram);
	free(f);
	return 0;
}

static uint64_t rd(struct fixture *f, uint64_t off, uint32_t len)
{
	uint8_t d[8];
	uint64_t v = 0;

	memset(d, 0x5A, sizeof(d));
	virtio_pci__bar_io(&f->vp, VIRTIO_PCI_BAR, off, d, len, false);
	for (uint32_t i = 0; i < len; i++)
		v |= (uint64_t)d[i] << (8 * i);
	return v;
}

static void wr(struct fixture *f, uint64_t off, uint32_t len, uint64_t v)
{
	uint8_t d[8];

	for (uint32_t i = 0; i < len; i++)
		d[i] = v >> (8 * i);
	virtio_pci__bar_io(&f->vp, VIRTIO_PCI_BAR, off, d, len, true);
}

static void status(struct fixture *f, uint8_t s)
{
	wr(f, VIRTIO_PCI_COMMON_STATUS, 1, s);
}

static uint8_t get_status(struct fixture *f)
{
	return rd(f, VIRTIO_PCI_COMMON_STATUS, 1);
}

static void driver_features(struct fixture *f, uint64_t feats)
{
	wr(f, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	wr(f, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)feats);
	wr(f, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	wr(f, VIRTIO_PCI_COMMON_GF, 4, feats >> 32);
}

/* The driver's initialisation up to FEATURES_OK (3.1.1 steps 1-6). */
static void negotiate(struct fixture *f, uint64_t feats)
{
	status(f, VIRTIO_STATUS_ACKNOWLEDGE);
	status(f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	driver_features(f, feats);
	status(f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
}

#define RING_DESC  0x1000
#define RING_AVAIL 0x2000
#define RING_USED  0x3000

static void setup_queue(struct fixture *f, unsigned q, uint16_t size, uint64_t desc, uint64_t avail,
			uint64_t used)
{
	wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
	wr(f, VIRTIO_PCI_COMMON_Q_SIZE, 2, size);
	wr(f, VIRTIO_PCI_COMMON_Q_DESCLO, 4, (uint32_t)desc);
	wr(f, VIRTIO_PCI_COMMON_Q_DESCHI, 4, desc >> 32);
	wr(f, VIRTIO_PCI_COMMON_Q_AVAILLO, 8, avail); /* one 8-byte access works too */
	wr(f, VIRTIO_PCI_COMMON_Q_USEDLO, 4, (uint32_t)used);
	wr(f, VIRTIO_PCI_COMMON_Q_USEDHI, 4, used >> 32);
	wr(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
}

static void test_pci_identity_and_caps(void **state)
{
	struct fixture *f = *state;
	struct pci_device *d = &f->vp.pci;
	unsigned seen = 0;

	assert_int_equal(pci_device__cfg_read(d, PCI_VENDOR_ID, 2), 0x1AF4);
	assert_int_equal(pci_device__cfg_read(d, PCI_DEVICE_ID, 2), 0x1044);
	assert_int_equal(pci_device__cfg_read(d, PCI_REVISION_ID, 1), 1);
	assert_int_equal(pci_device__cfg_read(d, PCI_SUBSYS_ID, 2), 4);
	for (unsigned p = pci_device__cfg_read(d, PCI_CAP_PTR, 1); p; p = pci_device__cfg_read(d, p + 1, 1)) {
		unsigned id = pci_device__cfg_read(d, p, 1);

		if (id == PCI_CAP_ID_MSIX) {
			assert_int_equal(pci_device__cfg_read(d, p + 2, 2), NQ); /* NQ + 1 vectors */
			seen |= 1U << 7;
			continue;
		}
		assert_int_equal(id, PCI_CAP_ID_VENDOR);
		unsigned type = pci_device__cfg_read(d, p + 3, 1);
		uint32_t off = pci_device__cfg_read(d, p + 8, 4), len = pci_device__cfg_read(d, p + 12, 4);

		assert_int_equal(pci_device__cfg_read(d, p + 4, 1), VIRTIO_PCI_BAR);
		seen |= 1U << type;
		switch (type) {
		case VIRTIO_PCI_CAP_COMMON_CFG:
			assert_int_equal(off, VIRTIO_PCI_COMMON_OFF);
			assert_int_equal(len, VIRTIO_PCI_COMMON_LEN);
			break;
		case VIRTIO_PCI_CAP_NOTIFY_CFG:
			assert_int_equal(pci_device__cfg_read(d, p + 2, 1), 20);
			assert_int_equal(off, VIRTIO_PCI_NOTIFY_OFF);
			assert_int_equal(len, NQ * VIRTIO_PCI_NOTIFY_MULT);
			assert_int_equal(pci_device__cfg_read(d, p + 16, 4), VIRTIO_PCI_NOTIFY_MULT);
			break;
		case VIRTIO_PCI_CAP_ISR_CFG:
			assert_int_equal(off, VIRTIO_PCI_ISR_OFF);
			break;
		case VIRTIO_PCI_CAP_DEVICE_CFG:
			assert_int_equal(off, VIRTIO_PCI_DEVICE_OFF);
			assert_int_equal(len, CFG_SIZE);
			break;
		case VIRTIO_PCI_CAP_PCI_CFG:
			assert_int_equal(pci_device__cfg_read(d, p + 2, 1), 20);
			assert_int_equal(p, f->vp.pci_cfg_cap);
			break;
		default:
			fail_msg("unexpected virtio capability type %u", type);
		}
	}
	assert_int_equal(seen, (1U << 1) | (1U << 2) | (1U << 3) | (1U << 4) | (1U << 5) | (1U << 7));
	/* The BAR is a 64-bit memory BAR of the documented size. */
	pci_device__cfg_write(d, PCI_BAR0, 4, 0xFFFFFFFF);
	assert_int_equal(pci_device__cfg_read(d, PCI_BAR0, 4), (uint32_t) ~(VIRTIO_PCI_BAR_SIZE - 1) | 4);
}

static void test_device_features(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_NUMQ, 2), NQ);
	wr(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_DF, 4), (uint32_t)DEV_FEATS);
	wr(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 1);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_DF, 4), 1); /* VERSION_1 */
	wr(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 2);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_DF, 4), 0);
	wr(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 0xFFFFFFFF);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_DF, 4), 0);
	wr(f, VIRTIO_PCI_COMMON_DF, 4, 0); /* read-only */
	wr(f, VIRTIO_PCI_COMMON_DFSELECT, 4, 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_DF, 4), (uint32_t)DEV_FEATS);
}

static void test_negotiation_ok(void **state)
{
	struct fixture *f = *state;
	uint64_t want = VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(5);

	negotiate(f, want);
	assert_true(get_status(f) & VIRTIO_STATUS_FEATURES_OK);
	assert_int_equal(virtio_pci__features(&f->vp), want);
	/* Frozen once accepted. */
	driver_features(f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	assert_int_equal(virtio_pci__features(&f->vp), want);
	wr(f, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_GF, 4), VIRTIO_BIT(5));
	status(f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			  VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(f->driver_oks, 1);
}

static void test_negotiation_unoffered_bit(void **state)
{
	struct fixture *f = *state;

	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(1));
	assert_int_equal(get_status(f), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	/* A transport bit the device never offered (packed ring) is refused the same way. */
	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_RING_PACKED));
	assert_false(get_status(f) & VIRTIO_STATUS_FEATURES_OK);
}

static void test_negotiation_needs_version_1(void **state)
{
	struct fixture *f = *state;

	negotiate(f, VIRTIO_BIT(0));
	assert_false(get_status(f) & VIRTIO_STATUS_FEATURES_OK);
	/* DRIVER_OK together with a refused FEATURES_OK is refused too. */
	status(f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
			  VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(get_status(f), VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	assert_int_equal(f->driver_oks, 0);
}

static void test_status_order(void **state)
{
	struct fixture *f = *state;

	status(f, VIRTIO_STATUS_DRIVER); /* without ACKNOWLEDGE */
	assert_int_equal(get_status(f), 0);
	status(f, VIRTIO_STATUS_ACKNOWLEDGE);
	status(f, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER_OK); /* skipping steps */
	assert_int_equal(get_status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	/* Clearing a bit other than by reset is ignored; NEEDS_RESET cannot be set by the driver. */
	status(f, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_true(get_status(f) & VIRTIO_STATUS_FEATURES_OK);
	status(f, get_status(f) | VIRTIO_STATUS_NEEDS_RESET | 0x30);
	assert_int_equal(get_status(f),
			 VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	/* FAILED can come at any time and sticks. */
	status(f, get_status(f) | VIRTIO_STATUS_FAILED);
	assert_true(get_status(f) & VIRTIO_STATUS_FAILED);
	setup_queue(f, 0, 16, RING_DESC, RING_AVAIL, RING_USED);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;

	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(0));
	setup_queue(f, 1, 16, RING_DESC, RING_AVAIL, RING_USED);
	wr(f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	wr(f, VIRTIO_PCI_COMMON_MSIX, 2, 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	status(f, 0);
	assert_int_equal(f->resets, 1);
	assert_int_equal(get_status(f), 0);
	assert_int_equal(virtio_pci__features(&f->vp), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	for (unsigned q = 0; q < NQ; q++) {
		wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, q);
		assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
		assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
		assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
		assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_DESCLO, 8), 0);
		assert_null(virtio_pci__queue(&f->vp, q));
	}
}

static void test_queue_setup(void **state)
{
	struct fixture *f = *state;

	/* Before FEATURES_OK a queue cannot be enabled. */
	status(f, VIRTIO_STATUS_ACKNOWLEDGE);
	setup_queue(f, 0, 16, RING_DESC, RING_AVAIL, RING_USED);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	status(f, 0);

	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX));
	setup_queue(f, 0, 16, RING_DESC, RING_AVAIL, RING_USED);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	assert_int_equal(f->enabled[0], 1);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_NOFF, 2), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_DESCLO, 4), RING_DESC);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_AVAILLO, 8), RING_AVAIL);
	assert_non_null(virtio_pci__queue(&f->vp, 0));
	assert_true(virtio_pci__queue(&f->vp, 0)->event_idx);
	assert_false(virtio_pci__queue(&f->vp, 0)->indirect);
	/* Fixed while enabled; enabling twice does nothing; 0 is not a way to disable. */
	wr(f, VIRTIO_PCI_COMMON_Q_SIZE, 2, 8);
	wr(f, VIRTIO_PCI_COMMON_Q_DESCLO, 4, 0x5000);
	wr(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	wr(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_SIZE, 2), 16);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_DESCLO, 4), RING_DESC);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
	assert_int_equal(f->enabled[0], 1);
	/* Larger than the maximum: the write is refused. */
	wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 1);
	wr(f, VIRTIO_PCI_COMMON_Q_SIZE, 2, QMAX * 2);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_SIZE, 2), QMAX);
	/* Out-of-range queue_select: size 0, everything reads 0, writes go nowhere. */
	wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, NQ);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
	wr(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0xFFFF);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_DESCLO, 4), 0);
}

static void check_bad_queue(void **state, uint16_t size, uint64_t desc, const char *why)
{
	struct fixture *f = *state;

	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	status(f, get_status(f) | VIRTIO_STATUS_DRIVER_OK);
	f->intx = -1;
	setup_queue(f, 1, size, desc, RING_AVAIL, RING_USED);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_ENABLE, 2), 0);
	assert_int_equal(f->enabled[1], 0);
	assert_true(get_status(f) & VIRTIO_STATUS_NEEDS_RESET);
	if (!strstr(f->vp.error, why))
		fail_msg("'%s' lacks '%s'", f->vp.error, why);
	/* DRIVER_OK was set: a configuration change interrupt went out (INTx, ISR bit 1). */
	assert_int_equal(f->intx, 1);
	assert_int_equal(rd(f, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_CONFIG);
	assert_int_equal(f->intx, 0);
	/* Reset brings the device back. */
	status(f, 0);
	assert_int_equal(get_status(f), 0);
	assert_string_equal(f->vp.error, "");
}

static void test_queue_bad_size(void **state)
{
	check_bad_queue(state, 24, RING_DESC, "size 24");
}

static void test_queue_zero_size(void **state)
{
	check_bad_queue(state, 0, RING_DESC, "size 0");
}

static void test_queue_ring_outside_ram(void **state)
{
	check_bad_queue(state, 16, TEST_RAM_SIZE - 16, "not inside guest RAM");
}

static void test_queue_ring_misaligned(void **state)
{
	check_bad_queue(state, 16, RING_DESC + 2, "aligned");
}

static void test_bad_widths(void **state)
{
	struct fixture *f = *state;

	/* Wrong widths and offsets between registers read 0 and change nothing. */
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_NUMQ, 4), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_NUMQ, 1), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_DFSELECT + 1, 1), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_SIZE, 8), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_DESCHI, 8), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_LEN, 4), 0);
	assert_int_equal(rd(f, 0x0FFF, 1), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_BAR_SIZE - 4, 4), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_STATUS, 2), 0);
	wr(f, VIRTIO_PCI_COMMON_STATUS, 2, VIRTIO_STATUS_ACKNOWLEDGE);
	wr(f, VIRTIO_PCI_COMMON_STATUS, 4, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(get_status(f), 0);
	wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 1, 1);
	wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 4, 1);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_SELECT, 2), 0);
	wr(f, VIRTIO_PCI_COMMON_CFGGEN, 1, 9);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_CFGGEN, 1), 0);
	/* Another BAR number, or a giant length: ignored. */
	{
		uint8_t d[16] = {0};

		virtio_pci__bar_io(&f->vp, 1, VIRTIO_PCI_COMMON_STATUS, d, 1, false);
		assert_int_equal(d[0], 0);
		virtio_pci__bar_io(&f->vp, VIRTIO_PCI_BAR, VIRTIO_PCI_COMMON_OFF, d, 16, false);
		assert_int_equal(d[0], 0);
	}
}

static void test_device_config(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(rd(f, VIRTIO_PCI_DEVICE_OFF, 1), 0xC0);
	assert_int_equal(rd(f, VIRTIO_PCI_DEVICE_OFF + 4, 4), 0xC7C6C5C4);
	assert_int_equal(rd(f, VIRTIO_PCI_DEVICE_OFF + 4, 8), 0xCBCAC9C8C7C6C5C4ULL);
	/* Past the device's config size: 0, and the device is never asked. */
	assert_int_equal(rd(f, VIRTIO_PCI_DEVICE_OFF + CFG_SIZE - 2, 4), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_DEVICE_OFF + CFG_SIZE, 1), 0);
	assert_int_equal(rd(f, VIRTIO_PCI_DEVICE_OFF + 1, 3), 0);
	wr(f, VIRTIO_PCI_DEVICE_OFF + 2, 2, 0x1234);
	wr(f, VIRTIO_PCI_DEVICE_OFF + CFG_SIZE - 1, 2, 0xFFFF);
	assert_int_equal(f->cfg_writes, 1);
	assert_int_equal(rd(f, VIRTIO_PCI_DEVICE_OFF + 2, 2), 0x1234);
	/* A config change bumps the generation. */
	virtio_pci__config_changed(&f->vp);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_CFGGEN, 1), 1);
}

static void test_notify(void **state)
{
	struct fixture *f = *state;

	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	setup_queue(f, 1, 16, RING_DESC, RING_AVAIL, RING_USED);
	/* Not before DRIVER_OK. */
	wr(f, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 1);
	assert_int_equal(f->notified[1], 0);
	/* DRIVER_OK kicks every live queue once, for buffers added before it. */
	status(f, get_status(f) | VIRTIO_STATUS_DRIVER_OK);
	assert_int_equal(f->notified[1], 1);
	assert_int_equal(f->notified[0], 0);
	wr(f, VIRTIO_PCI_NOTIFY_OFF + 4, 2, 1);
	wr(f, VIRTIO_PCI_NOTIFY_OFF + 4, 4, 1);
	assert_int_equal(f->notified[1], 3);
	/* Queue 0 is not enabled; misaligned, odd-width, out of range: ignored. */
	wr(f, VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	wr(f, VIRTIO_PCI_NOTIFY_OFF + 5, 1, 0);
	wr(f, VIRTIO_PCI_NOTIFY_OFF + 4, 1, 0);
	wr(f, VIRTIO_PCI_NOTIFY_OFF + 4 * NQ, 2, 0);
	wr(f, VIRTIO_PCI_NOTIFY_OFF + 0xFFC, 2, 0);
	assert_int_equal(f->notified[0], 0);
	assert_int_equal(f->notified[1], 3);
	assert_int_equal(rd(f, VIRTIO_PCI_NOTIFY_OFF + 4, 2), 0);
}

static void test_msix_vectors(void **state)
{
	struct fixture *f = *state;

	/* NQ + 1 vectors: 0..NQ valid, anything else reads back NO_VECTOR. */
	wr(f, VIRTIO_PCI_COMMON_MSIX, 2, NQ);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_MSIX, 2), NQ);
	wr(f, VIRTIO_PCI_COMMON_MSIX, 2, NQ + 1);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	wr(f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 0x7FFF);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_MSIX, 2), VIRTIO_MSI_NO_VECTOR);
	wr(f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	assert_int_equal(rd(f, VIRTIO_PCI_COMMON_Q_MSIX, 2), 1);
}

/* A full round trip: a chain posted by the driver, popped, pushed, and the interrupt (INTx then MSI-X). */
static void test_end_to_end(void **state)
{
	struct fixture *f = *state;
	struct virtq_chain *chain = malloc(sizeof(*chain));
	struct virtq *vq;
	cella_err_t err = NULL;

	negotiate(f, VIRTIO_BIT(VIRTIO_F_VERSION_1));
	setup_queue(f, 0, 16, RING_DESC, RING_AVAIL, RING_USED);
	status(f, get_status(f) | VIRTIO_STATUS_DRIVER_OK);
	test_desc(&f->ram, RING_DESC, 0, 0x8000, 64, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, RING_AVAIL, 16, 0);
	test_avail_add(&f->ram, RING_AVAIL, 16, 0);
	wr(f, VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	assert_int_equal(f->notified[0], 2); /* DRIVER_OK's kick, then ours */

	vq = virtio_pci__queue(&f->vp, 0);
	assert_non_null(vq);
	assert_int_equal(virtq__pop(vq, chain, &err), 1);
	assert_int_equal(virtq__push_chain(vq, chain, 64, &err), 0);
	virtio_pci__signal_used(&f->vp, 0);
	assert_int_equal(f->intx, 1);
	assert_int_equal(rd(f, VIRTIO_PCI_ISR_OFF, 4), 0); /* wrong width: no read, no clear */
	assert_int_equal(f->intx, 1);
	assert_int_equal(rd(f, VIRTIO_PCI_ISR_OFF, 1), VIRTIO_PCI_ISR_QUEUE);
	assert_int_equal(f->intx, 0);
	assert_int_equal(rd(f, VIRTIO_PCI_ISR_OFF, 1), 0);

	/* Now with MSI-X on: vector 1 for the queue. */
	wr(f, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	wr(f, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	pci_device__cfg_write(&f->vp.pci, f->vp.msix.cap + 2, 2, PCI_MSIX_CTRL_ENABLE);
	wr(f, VIRTIO_PCI_MSIX_TABLE_OFF + 16 + 8, 4, 0x41);
	wr(f, VIRTIO_PCI_MSIX_TABLE_OFF + 16 + 12, 4, 0);
	assert_int_equal(virtq__pop(vq, chain, &err), 1);
	assert_int_equal(virtq__push_chain(vq, chain, 64, &err), 0);
	virtio_pci__signal_used(&f->vp, 0);
	assert_int_equal(f->msis, 1);
	assert_int_equal(f->last_msi_data, 0x41);
	assert_int_equal(f->intx, 0);
	assert_int_equal(rd(f, VIRTIO_PCI_ISR_OFF, 1), 0);

	/* A broken queue: NEEDS_RESET plus a config interrupt on the config vector (none set: nothing sent). */
	test_put16(&f->ram, RING_AVAIL + 2, 100);
	assert_true(virtq__pop(vq, chain, &err) < 0);
	virtio_pci__set_needs_reset(&f->vp, cella_error_string(err));
	cella_error_release(&err);
	assert_true(get_status(f) & VIRTIO_STATUS_NEEDS_RESET);
	assert_int_equal(f->msis, 1);
	/* Notifications to a device that needs a reset are dropped. */
	wr(f, VIRTIO_PCI_NOTIFY_OFF, 2, 0);
	assert_int_equal(f->notified[0], 2);
	free(chain);
}

/* The same registers through the config-space window firmware uses. */
static void pci_cfg_select(struct fixture *f, uint8_t bar, uint32_t off, uint32_t len)
{
	struct pci_device *d = &f->vp.pci;

	pci_device__cfg_write(d, f->vp.pci_cfg_cap + 4, 1, bar);
	pci_device__cfg_write(d, f->vp.pci_cfg_cap + 8, 4, off);
	pci_device__cfg_write(d, f->vp.pci_cfg_cap + 12, 4, len);
}

static void test_pci_cfg_window(void **state)
{
	struct fixture *f = *state;
	struct pci_device *d = &f->vp.pci;
	uint8_t data = f->vp.pci_cfg_cap + 16;

	pci_cfg_select(f, VIRTIO_PCI_BAR, VIRTIO_PCI_COMMON_NUMQ, 2);
	assert_int_equal(pci_device__cfg_read(d, data, 4) & 0xFFFF, NQ);
	pci_cfg_select(f, VIRTIO_PCI_BAR, VIRTIO_PCI_COMMON_STATUS, 1);
	pci_device__cfg_write(d, data, 1, VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(get_status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	assert_int_equal(pci_device__cfg_read(d, data, 1), VIRTIO_STATUS_ACKNOWLEDGE);
	pci_cfg_select(f, VIRTIO_PCI_BAR, VIRTIO_PCI_DEVICE_OFF + 4, 4);
	assert_int_equal(pci_device__cfg_read(d, data, 4), 0xC7C6C5C4);
	/* Odd lengths, misaligned offsets, another BAR, past the BAR: nothing happens, data reads 0. */
	pci_cfg_select(f, VIRTIO_PCI_BAR, VIRTIO_PCI_DEVICE_OFF + 4, 3);
	assert_int_equal(pci_device__cfg_read(d, data, 4), 0);
	pci_cfg_select(f, VIRTIO_PCI_BAR, VIRTIO_PCI_COMMON_NUMQ + 1, 2);
	assert_int_equal(pci_device__cfg_read(d, data, 4), 0);
	pci_cfg_select(f, 1, VIRTIO_PCI_COMMON_NUMQ, 2);
	assert_int_equal(pci_device__cfg_read(d, data, 4), 0);
	pci_cfg_select(f, VIRTIO_PCI_BAR, 0xFFFFFFFC, 4);
	assert_int_equal(pci_device__cfg_read(d, data, 4), 0);
	pci_device__cfg_write(d, data, 4, 0);
	assert_int_equal(get_status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	/* Only the window fields are writable: the capability header is not. */
	pci_device__cfg_write(d, f->vp.pci_cfg_cap + 3, 1, 0x77);
	assert_int_equal(pci_device__cfg_read(d, f->vp.pci_cfg_cap + 3, 1), VIRTIO_PCI_CAP_PCI_CFG);
}

static void test_init_validation(void **state)
{
	struct fixture *f = *state;
	struct virtio_pci vp;
	cella_err_t err = NULL;
	struct virtio_pci_params p;

	p = params(f);
	p.num_queues = 0;
	assert_true(virtio_pci__init(&vp, &p, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "queues"));
	cella_error_release(&err);
	p = params(f);
	p.queue_max_size = 100;
	assert_true(virtio_pci__init(&vp, &p, &err) < 0);
	cella_error_release(&err);
	p = params(f);
	p.config_size = VIRTIO_PCI_DEVICE_MAX + 1;
	assert_true(virtio_pci__init(&vp, &p, &err) < 0);
	cella_error_release(&err);
	p = params(f);
	p.features |= VIRTIO_BIT(VIRTIO_F_RING_PACKED);
	assert_true(virtio_pci__init(&vp, &p, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "transport features 0x400000000"));
	cella_error_release(&err);
	p = params(f);
	p.msi_send = NULL;
	assert_true(virtio_pci__init(&vp, &p, &err) < 0);
	cella_error_release(&err);
	p = params(f);
	p.num_queues = VIRTIO_PCI_MAX_VECTORS;
	assert_true(virtio_pci__init(&vp, &p, &err) < 0);
	cella_error_release(&err);
	/* The largest accepted: one vector per queue plus config. */
	p = params(f);
	p.num_queues = VIRTIO_PCI_MAX_VECTORS - 1;
	assert_int_equal(virtio_pci__init(&vp, &p, &err), 0);
	virtio_pci__destroy(&vp);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_pci_identity_and_caps),
		T(test_device_features),
		T(test_negotiation_ok),
		T(test_negotiation_unoffered_bit),
		T(test_negotiation_needs_version_1),
		T(test_status_order),
		T(test_reset),
		T(test_queue_setup),
		T(test_queue_bad_size),
		T(test_queue_zero_size),
		T(test_queue_ring_outside_ram),
		T(test_queue_ring_misaligned),
		T(test_bad_widths),
		T(test_device_config),
		T(test_notify),
		T(test_msix_vectors),
		T(test_end_to_end),
		T(test_pci_cfg_window),
		T(test_init_validation),
	};

	return cmocka_run_group_tests_name("vmm-virtio-pci", tests, NULL, NULL);
}
