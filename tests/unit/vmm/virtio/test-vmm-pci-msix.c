// SPDX-License-Identifier: GPL-2.0-or-later
/* MSI-X: capability layout, table and PBA accesses, per-vector and function masking, pending delivery. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pci/msix.h"

#define NVEC  70 /* more than 64: two PBA words */
#define TABLE 0x1000
#define PBA   0x1800

struct fixture {
	struct pci_device dev;
	struct pci_msix msix;
	unsigned sent;
	uint64_t addr;
	uint32_t data;
};

static void send(void *opaque, uint64_t addr, uint32_t data)
{
	struct fixture *f = opaque;

	f->sent++;
	f->addr = addr;
	f->data = data;
}

static void bar_io(void *opaque, unsigned bar, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct fixture *f = opaque;

	if (!pci_msix__bar_access(&f->msix, bar, off, data, len, is_write))
		fail_msg("access at 0x%llx is outside the table and PBA", (unsigned long long)off);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct pci_device_id id = {.vendor = 0x1234, .device = 0x5678};
	cella_err_t err = NULL;

	assert_int_equal(pci_device__init(&f->dev, "msix", &id, &err), 0);
	assert_int_equal(pci_device__add_bar(&f->dev, 2, 0x2000, 0, bar_io, f, &err), 0);
	assert_int_equal(pci_msix__init(&f->msix, &f->dev, NVEC, 2, TABLE, PBA, send, f, &err), 0);
	assert_null(err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pci_msix__destroy(&f->msix);
	pci_device__destroy(&f->dev);
	free(f);
	return 0;
}

static uint32_t rd(struct fixture *f, uint64_t off, uint32_t len)
{
	uint8_t d[8];
	uint32_t v = 0;

	memset(d, 0x5A, sizeof(d));
	bar_io(f, 2, off, d, len, false);
	for (uint32_t i = 0; i < len && i < 4; i++)
		v |= (uint32_t)d[i] << (8 * i);
	return v;
}

static void wr(struct fixture *f, uint64_t off, uint32_t len, uint64_t v)
{
	uint8_t d[8];

	for (uint32_t i = 0; i < len; i++)
		d[i] = v >> (8 * i);
	bar_io(f, 2, off, d, len, true);
}

static void ctrl_write(struct fixture *f, uint16_t v)
{
	pci_device__cfg_write(&f->dev, f->msix.cap + 2, 2, v);
}

/* Programs vector v: address, data, unmasked. */
static void program(struct fixture *f, unsigned v, uint32_t data)
{
	wr(f, TABLE + 16 * v, 8, 0xFEE00000ULL | (uint64_t)v << 12);
	wr(f, TABLE + 16 * v + 8, 4, data);
	wr(f, TABLE + 16 * v + 12, 4, 0);
}

static void test_capability(void **state)
{
	struct fixture *f = *state;
	uint8_t cap = f->msix.cap;

	assert_int_equal(pci_device__cfg_read(&f->dev, PCI_CAP_PTR, 1), cap);
	assert_int_equal(pci_device__cfg_read(&f->dev, cap, 1), PCI_CAP_ID_MSIX);
	assert_int_equal(pci_device__cfg_read(&f->dev, cap + 2, 2), NVEC - 1);
	assert_int_equal(pci_device__cfg_read(&f->dev, cap + 4, 4), TABLE | 2);
	assert_int_equal(pci_device__cfg_read(&f->dev, cap + 8, 4), PBA | 2);
	/* Only enable and function mask are writable. */
	ctrl_write(f, 0xFFFF);
	assert_int_equal(pci_device__cfg_read(&f->dev, cap + 2, 2), 0xC000 | (NVEC - 1));
	pci_device__cfg_write(&f->dev, cap + 4, 4, 0);
	assert_int_equal(pci_device__cfg_read(&f->dev, cap + 4, 4), TABLE | 2);
}

static void test_table_reset_state(void **state)
{
	struct fixture *f = *state;

	for (unsigned v = 0; v < NVEC; v++) {
		assert_int_equal(rd(f, TABLE + 16 * v, 4), 0);
		assert_int_equal(rd(f, TABLE + 16 * v + 12, 4), PCI_MSIX_VECTOR_MASKED);
	}
	assert_int_equal(rd(f, PBA, 4), 0);
}

static void test_table_access_widths(void **state)
{
	struct fixture *f = *state;

	wr(f, TABLE + 16, 4, 0xFEE01000);
	wr(f, TABLE + 20, 4, 0x1);
	wr(f, TABLE + 24, 4, 0x4041);
	assert_int_equal(rd(f, TABLE + 16, 4), 0xFEE01000);
	assert_int_equal(rd(f, TABLE + 20, 4), 1);
	assert_int_equal(rd(f, TABLE + 24, 4), 0x4041);
	/* Qword read of address. */
	{
		uint8_t d[8];

		bar_io(f, 2, TABLE + 16, d, 8, false);
		assert_int_equal(d[0], 0x00);
		assert_int_equal(d[3], 0xFE);
		assert_int_equal(d[4], 0x01);
	}
	/* Byte, word and misaligned accesses: reads 0, writes dropped. */
	assert_int_equal(rd(f, TABLE + 16, 1), 0);
	assert_int_equal(rd(f, TABLE + 16, 2), 0);
	assert_int_equal(rd(f, TABLE + 18, 4), 0);
	assert_int_equal(rd(f, TABLE + 20, 8), 0);
	wr(f, TABLE + 16, 1, 0xAA);
	wr(f, TABLE + 16, 2, 0xAAAA);
	wr(f, TABLE + 18, 4, 0xAAAAAAAA);
	assert_int_equal(rd(f, TABLE + 16, 4), 0xFEE01000);
	/* Reserved vector-control bits stay 0. */
	wr(f, TABLE + 28, 4, 0xFFFFFFFE);
	assert_int_equal(rd(f, TABLE + 28, 4), 0);
	/* The last entry ends the table; an 8-byte access there still fits. */
	wr(f, TABLE + 16 * (NVEC - 1) + 8, 8, 0x0000000100000077ULL);
	assert_int_equal(rd(f, TABLE + 16 * (NVEC - 1) + 8, 4), 0x77);
	assert_int_equal(rd(f, TABLE + 16 * (NVEC - 1) + 12, 4), 1);
}

static void test_disabled_sends_nothing(void **state)
{
	struct fixture *f = *state;

	program(f, 3, 0x33);
	pci_msix__notify(&f->msix, 3);
	assert_int_equal(f->sent, 0);
	assert_false(pci_msix__pending(&f->msix, 3));
}

static void test_send_and_vector_mask(void **state)
{
	struct fixture *f = *state;

	ctrl_write(f, PCI_MSIX_CTRL_ENABLE);
	assert_true(pci_msix__enabled(&f->msix));
	program(f, 5, 0x55);
	pci_msix__notify(&f->msix, 5);
	assert_int_equal(f->sent, 1);
	assert_int_equal(f->addr, 0xFEE05000ULL);
	assert_int_equal(f->data, 0x55);

	/* Masked: pending instead, PBA shows it, unmasking delivers once. */
	wr(f, TABLE + 16 * 5 + 12, 4, 1);
	pci_msix__notify(&f->msix, 5);
	pci_msix__notify(&f->msix, 5);
	assert_int_equal(f->sent, 1);
	assert_true(pci_msix__pending(&f->msix, 5));
	assert_int_equal(rd(f, PBA, 4), 1U << 5);
	wr(f, TABLE + 16 * 5 + 12, 4, 0);
	assert_int_equal(f->sent, 2);
	assert_false(pci_msix__pending(&f->msix, 5));
	assert_int_equal(rd(f, PBA, 4), 0);

	/* Out-of-range vectors are ignored. */
	pci_msix__notify(&f->msix, NVEC);
	pci_msix__notify(&f->msix, 0xFFFF);
	assert_int_equal(f->sent, 2);
}

static void test_function_mask(void **state)
{
	struct fixture *f = *state;

	program(f, 1, 0x11);
	program(f, 66, 0x66);
	ctrl_write(f, PCI_MSIX_CTRL_ENABLE | PCI_MSIX_CTRL_MASKALL);
	pci_msix__notify(&f->msix, 1);
	pci_msix__notify(&f->msix, 66);
	assert_int_equal(f->sent, 0);
	assert_int_equal(rd(f, PBA, 4), 1U << 1);
	assert_int_equal(rd(f, PBA + 8, 4), 1U << 2);
	{
		uint8_t d[8];

		bar_io(f, 2, PBA, d, 8, false);
		assert_int_equal(d[0], 2);
	}
	/* PBA is read-only and odd widths read 0. */
	wr(f, PBA, 4, 0);
	assert_int_equal(rd(f, PBA, 4), 1U << 1);
	assert_int_equal(rd(f, PBA, 1), 0);
	assert_int_equal(rd(f, PBA + 2, 4), 0);
	/* Clearing the function mask delivers both. */
	ctrl_write(f, PCI_MSIX_CTRL_ENABLE);
	assert_int_equal(f->sent, 2);
	assert_int_equal(rd(f, PBA, 4), 0);
	assert_int_equal(rd(f, PBA + 8, 4), 0);
}

static void test_reset(void **state)
{
	struct fixture *f = *state;

	ctrl_write(f, PCI_MSIX_CTRL_ENABLE);
	program(f, 2, 0x22);
	pci_msix__reset(&f->msix);
	assert_false(pci_msix__enabled(&f->msix));
	assert_int_equal(rd(f, TABLE + 32 + 12, 4), 1);
	assert_int_equal(rd(f, TABLE + 32 + 8, 4), 0);
}

static void test_init_validation(void **state)
{
	struct pci_device dev;
	struct pci_msix m;
	const struct pci_device_id id = {.vendor = 0x1234};
	cella_err_t err = NULL;
	static const struct {
		uint16_t nvec;
		unsigned bar;
		uint64_t table, pba;
	} bad[] = {
		{0, 0, 0, 0x800}, {2049, 0, 0, 0x800}, {4, 1, 0, 0x800},   {4, 3, 0, 0x800}, {4, 0, 4, 0x800},
		{4, 0, 0, 0x20},  {4, 0, 0x1000, 0x0}, {4, 0, 0xFF8, 0x0}, {4, 0, 0, 0xFFC}, {4, 6, 0, 0x800},
	};

	(void)state;
	assert_int_equal(pci_device__init(&dev, "v", &id, &err), 0);
	assert_int_equal(pci_device__add_bar(&dev, 0, 0x1000, 0, bar_io, NULL, &err), 0);
	assert_int_equal(pci_device__add_bar(&dev, 1, 16, PCI_BAR_F_IO, bar_io, NULL, &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (pci_msix__init(&m, &dev, bad[i].nvec, bad[i].bar, bad[i].table, bad[i].pba, send, NULL,
				   &err) == 0)
			fail_msg("case %zu accepted", i);
		cella_error_release(&err);
	}
	assert_int_equal(dev.cfg[PCI_CAP_PTR], 0); /* nothing half-added */
	pci_device__destroy(&dev);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_capability),
		T(test_table_reset_state),
		T(test_table_access_widths),
		T(test_disabled_sends_nothing),
		T(test_send_and_vector_mask),
		T(test_function_mask),
		T(test_reset),
		cmocka_unit_test(test_init_validation),
	};

	return cmocka_run_group_tests_name("vmm-pci-msix", tests, NULL, NULL);
}
