/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Virtio device sections (dev.virtio.N): a live transport saved, encoded,
 * decoded and loaded into a fresh function comes back identical; damaged
 * sections (truncated, trailing bytes, bad flags, unknown type, bad option
 * names, too many queues or vectors, every single-byte mutation) are refused
 * or decoded into something the loader checks; state the fresh function
 * cannot take (other features, vectors out of range, rings outside RAM) is
 * refused with a message naming it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <cella/cleanup.h>

#include "../virtio/virtio-test.h"
#include "snapshot/vdev_section.h"
#include "virtio/virtio_pci_state.h"

#define NQ	  2
#define QMAX	  64
#define FEATS	  (VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC))
#define RING_DESC 0x1000
#define RING_AV	  0x2000
#define RING_USED 0x3000

static void cb_notify(void *opaque, unsigned q)
{
}

static void cb_config_read(void *opaque, uint32_t off, uint8_t *data, uint32_t len)
{
	memset(data, 0, len);
}

static void cb_config_write(void *opaque, uint32_t off, const uint8_t *data, uint32_t len)
{
}

static void cb_msi(void *opaque, uint64_t addr, uint32_t data)
{
}

static void cb_intx(void *opaque, bool level)
{
}

static const struct virtio_pci_ops ops = {
	.queue_notify = cb_notify,
	.config_read = cb_config_read,
	.config_write = cb_config_write,
};

struct fixture {
	struct test_ram ram;
	struct virtio_pci a, b; /* a: the running device; b: a fresh one to restore into */
};

static void init_vp(struct fixture *f, struct virtio_pci *vp, uint64_t feats)
{
	struct virtio_pci_params p = {
		.name = "test",
		.device_id = 2,
		.class_code = 0x018000,
		.features = feats,
		.num_queues = NQ,
		.queue_max_size = QMAX,
		.config_size = 8,
		.mem = &f->ram.mem,
		.ops = &ops,
		.opaque = f,
		.msi_send = cb_msi,
		.intx = cb_intx,
		.irq_opaque = f,
	};
	cella_err_t err = NULL;

	assert_int_equal(virtio_pci__init(vp, &p, &err), 0);
}

static void wr(struct virtio_pci *vp, uint64_t off, uint32_t len, uint64_t v)
{
	uint8_t d[8];

	for (uint32_t i = 0; i < len; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	virtio_pci__bar_io(vp, VIRTIO_PCI_BAR, off, d, len, true);
}

/* A driver that got as far as DRIVER_OK with queue 0 live, MSI-X on, memory decoding on. */
static void drive(struct virtio_pci *vp)
{
	wr(vp, VIRTIO_PCI_COMMON_STATUS, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	wr(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 0);
	wr(vp, VIRTIO_PCI_COMMON_GF, 4, (uint32_t)FEATS);
	wr(vp, VIRTIO_PCI_COMMON_GFSELECT, 4, 1);
	wr(vp, VIRTIO_PCI_COMMON_GF, 4, 1); /* VERSION_1 */
	wr(vp, VIRTIO_PCI_COMMON_STATUS, 1,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	wr(vp, VIRTIO_PCI_COMMON_MSIX, 2, 2);
	wr(vp, VIRTIO_PCI_COMMON_Q_SELECT, 2, 0);
	wr(vp, VIRTIO_PCI_COMMON_Q_SIZE, 2, 16);
	wr(vp, VIRTIO_PCI_COMMON_Q_MSIX, 2, 1);
	wr(vp, VIRTIO_PCI_COMMON_Q_DESCLO, 4, RING_DESC);
	wr(vp, VIRTIO_PCI_COMMON_Q_AVAILLO, 4, RING_AV);
	wr(vp, VIRTIO_PCI_COMMON_Q_USEDLO, 4, RING_USED);
	wr(vp, VIRTIO_PCI_COMMON_Q_ENABLE, 2, 1);
	wr(vp, VIRTIO_PCI_COMMON_STATUS, 1,
	   VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
		   VIRTIO_STATUS_DRIVER_OK);
	wr(vp, VIRTIO_PCI_MSIX_TABLE_OFF + 16 + 8, 4, 0x4041); /* entry 1: data */
	wr(vp, VIRTIO_PCI_MSIX_TABLE_OFF + 16, 4, 0xFEE00000u);
	wr(vp, VIRTIO_PCI_MSIX_TABLE_OFF + 16 + 12, 4, 0); /* unmasked */
	pci_device__cfg_write(&vp->pci, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	pci_device__cfg_write(&vp->pci, PCI_BAR0, 4, 0xE0000000u);
	pci_device__cfg_write(&vp->pci, vp->msix.cap + 2, 2, PCI_MSIX_CTRL_ENABLE);
	/* The device consumed and completed a few requests. */
	vp->queues[0].vq.last_avail = 7;
	vp->queues[0].vq.used_idx = 5;
	vp->queues[0].vq.signalled_used = 4;
	vp->queues[0].vq.signalled_valid = true;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	test_ram_init(&f->ram);
	init_vp(f, &f->a, FEATS);
	drive(&f->a);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	virtio_pci__destroy(&f->a);
	if (f->b.queues)
		virtio_pci__destroy(&f->b);
	test_ram_free(&f->ram);
	free(f);
	return 0;
}

static void make_section(struct fixture *f, struct vmm_vdev_section *s)
{
	cella_err_t err = NULL;

	memset(s, 0, sizeof(*s));
	snprintf(s->type, sizeof(s->type), "blk");
	s->slot = 3;
	snprintf(s->opts.what, sizeof(s->opts.what), "dev.virtio.0");
	assert_int_equal(vdev_opts_set(&s->opts, "path", "/var/lib/disk.img", &err), 0);
	assert_int_equal(vdev_opts_set(&s->opts, "id", "disk0", &err), 0);
	assert_int_equal(vdev_opts_set(&s->opts, "readonly", "off", &err), 0);
	assert_int_equal(virtio_pci__save_state(&f->a, &s->transport, &err), 0);
}

static void encode(struct fixture *f, uint8_t **data, size_t *len)
{
	_cleanup_free_ struct vmm_vdev_section *s = calloc(1, sizeof(*s));
	cella_err_t err = NULL;

	make_section(f, s);
	assert_int_equal(vmm_vdev_section__encode(s, data, len, &err), 0);
	vdev_opts_release(&s->opts);
}

static void test_round_trip_restores_the_same_state(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ struct vmm_vdev_section *dec = calloc(1, sizeof(*dec));
	_cleanup_free_ struct virtio_pci_state *before = calloc(1, sizeof(*before));
	_cleanup_free_ struct virtio_pci_state *after = calloc(1, sizeof(*after));
	_cleanup_free_ uint8_t *data = NULL;
	cella_err_t err = NULL;
	size_t len;

	encode(f, &data, &len);
	assert_int_equal(vmm_vdev_section__decode("dev.virtio.0", data, len, dec, &err), 0);
	assert_string_equal(dec->type, "blk");
	assert_int_equal(dec->slot, 3);
	assert_int_equal(dec->opts.n, 3);
	assert_string_equal(vdev_opts_get(&dec->opts, "path"), "/var/lib/disk.img");
	assert_string_equal(vdev_opts_get(&dec->opts, "id"), "disk0");
	init_vp(f, &f->b, FEATS);
	assert_int_equal(virtio_pci__load_state(&f->b, &dec->transport, &err), 0);
	assert_null(err);
	assert_int_equal(virtio_pci__save_state(&f->a, before, &err), 0);
	assert_int_equal(virtio_pci__save_state(&f->b, after, &err), 0);
	assert_memory_equal(before, after, sizeof(*before));
	/* The restored queue is live, at the saved indices, with the MSI-X table as the guest wrote it. */
	assert_non_null(virtio_pci__queue(&f->b, 0));
	assert_int_equal(f->b.queues[0].vq.last_avail, 7);
	assert_int_equal(f->b.queues[0].vq.used_idx, 5);
	assert_true(pci_msix__enabled(&f->b.msix));
	assert_int_equal(f->b.msix.table[16 + 8], 0x41);
	vdev_opts_release(&dec->opts);
}

static void expect_decode_error(const uint8_t *data, size_t len, const char *needle)
{
	_cleanup_free_ struct vmm_vdev_section *dec = calloc(1, sizeof(*dec));
	cella_err_t err = NULL;

	assert_int_equal(vmm_vdev_section__decode("dev.virtio.0", data, len, dec, &err), -1);
	assert_non_null(err);
	if (needle && !strstr(cella_error_string(err), needle))
		fail_msg("'%s' does not say '%s'", cella_error_string(err), needle);
	assert_true(strstr(cella_error_string(err), "dev.virtio.0") != NULL);
	assert_int_equal(dec->opts.n, 0);
	cella_error_release(&err);
}

static void test_every_truncation_and_trailing_byte_refused(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ uint8_t *longer = NULL;
	size_t len;

	encode(f, &data, &len);
	for (size_t cut = 0; cut < len; cut++)
		expect_decode_error(data, cut, NULL);
	longer = calloc(1, len + 1);
	memcpy(longer, data, len);
	expect_decode_error(longer, len + 1, "trailing");
}

/* Offset of the transport (after slot, type and options) in an encoded section. */
static size_t transport_offset(const uint8_t *d)
{
	size_t off = 1;
	unsigned n;

	off += 2 + (d[off] | d[off + 1] << 8);
	n = d[off] | d[off + 1] << 8;
	off += 2;
	for (unsigned i = 0; i < 2 * n; i++)
		off += 2 + (d[off] | d[off + 1] << 8);
	return off;
}

static void test_damaged_fields_refused(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ uint8_t *bad = NULL;
	size_t len, t;

	encode(f, &data, &len);
	bad = malloc(len);
	t = transport_offset(data);

	memcpy(bad, data, len);
	bad[0] = 0; /* slot 0 is the host bridge's */
	expect_decode_error(bad, len, "slot");

	memcpy(bad, data, len);
	memcpy(bad + 3, "xyz", 3); /* type "blk" -> "xyz" */
	expect_decode_error(bad, len, "unknown device type");

	memcpy(bad, data, len);
	bad[1 + 2 + 3 + 2 + 2] = 'P'; /* first option name "path" -> "Path" */
	expect_decode_error(bad, len, "option name");

	memcpy(bad, data, len);
	bad[t + PCI_CFG_SIZE] = 2; /* intx level: a flag byte */
	expect_decode_error(bad, len, "flag");

	memcpy(bad, data, len);
	bad[t + PCI_CFG_SIZE + 1] = VIRTIO_STATE_MAX_VECTORS + 1; /* MSI-X vectors */
	expect_decode_error(bad, len, "MSI-X vectors");
}

/* Every single-byte change either decodes (then the loader has its own checks) or is refused cleanly. */
static void test_every_byte_mutation_is_handled(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ uint8_t *data = NULL;
	_cleanup_free_ uint8_t *bad = NULL;
	size_t len;

	encode(f, &data, &len);
	bad = malloc(len);
	for (size_t i = 0; i < len; i++) {
		for (unsigned v = 0; v < 256; v += 51) {
			_cleanup_free_ struct vmm_vdev_section *dec = calloc(1, sizeof(*dec));
			cella_err_t err = NULL;

			memcpy(bad, data, len);
			bad[i] ^= (uint8_t)(v | 1);
			if (vmm_vdev_section__decode("dev.virtio.0", bad, len, dec, &err) < 0) {
				assert_non_null(err);
				cella_error_release(&err);
				continue;
			}
			init_vp(f, &f->b, FEATS);
			if (virtio_pci__load_state(&f->b, &dec->transport, &err) < 0)
				cella_error_release(&err);
			virtio_pci__destroy(&f->b);
			vdev_opts_release(&dec->opts);
		}
	}
}

static void expect_load_error(struct fixture *f, const struct virtio_pci_state *st, uint64_t feats,
			      const char *needle)
{
	cella_err_t err = NULL;

	init_vp(f, &f->b, feats);
	assert_int_equal(virtio_pci__load_state(&f->b, st, &err), -1);
	if (!strstr(cella_error_string(err), needle))
		fail_msg("'%s' does not say '%s'", cella_error_string(err), needle);
	cella_error_release(&err);
	virtio_pci__destroy(&f->b);
	f->b.queues = NULL;
}

static void test_load_refuses_what_the_device_cannot_take(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ struct virtio_pci_state *st = calloc(1, sizeof(*st));
	_cleanup_free_ struct virtio_pci_state *bad = calloc(1, sizeof(*bad));
	cella_err_t err = NULL;

	assert_int_equal(virtio_pci__save_state(&f->a, st, &err), 0);
	/* The back-end offers other features now (e.g. the disk became read-only). */
	expect_load_error(f, st, FEATS | VIRTIO_BIT(5), "device features");
	*bad = *st;
	bad->driver_features |= VIRTIO_BIT(7);
	expect_load_error(f, bad, FEATS, "never offered");
	*bad = *st;
	bad->queue[1].msix_vector = 9;
	expect_load_error(f, bad, FEATS, "queue 1: MSI-X vector 9");
	*bad = *st;
	bad->queue[0].desc = TEST_RAM_SIZE - 8; /* the descriptor table runs out of guest RAM */
	expect_load_error(f, bad, FEATS, "queue 0");
	*bad = *st;
	bad->queue[0].size = QMAX * 2;
	expect_load_error(f, bad, FEATS, "above the maximum");
	*bad = *st;
	bad->num_queues = 1;
	expect_load_error(f, bad, FEATS, "queues");
	*bad = *st;
	bad->cfg[PCI_DEVICE_ID] ^= 1;
	expect_load_error(f, bad, FEATS, "PCI IDs");
	*bad = *st;
	bad->msix_pba = 1ULL << 40;
	expect_load_error(f, bad, FEATS, "PBA");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_restores_the_same_state, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation_and_trailing_byte_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_damaged_fields_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_byte_mutation_is_handled, setup, teardown),
		cmocka_unit_test_setup_teardown(test_load_refuses_what_the_device_cannot_take, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
