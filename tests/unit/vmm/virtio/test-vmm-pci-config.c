// SPDX-License-Identifier: GPL-2.0-or-later
/* PCI host bridge: config mechanism #1 and ECAM decoding, BAR sizing and dispatch, read-only bits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "pci/pci.h"

#define MMIO_BASE 0xC0000000ULL
#define MMIO_SIZE 0x20000000ULL
#define IO_BASE	  0x1000
#define IO_SIZE	  0x1000
#define SLOT	  3

struct fixture {
	struct pci_bus bus;
	struct pci_device dev;
	unsigned bar_calls;
	unsigned last_bar;
	uint64_t last_off;
	uint32_t last_len;
	bool last_write;
	int intx_level; /* -1: never called */
};

static void bar_io(void *opaque, unsigned bar, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct fixture *f = opaque;

	f->bar_calls++;
	f->last_bar = bar;
	f->last_off = off;
	f->last_len = len;
	f->last_write = is_write;
	if (!is_write)
		memset(data, 0xAB, len);
}

static void intx(void *opaque, bool level)
{
	struct fixture *f = opaque;

	f->intx_level = level;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct pci_device_id id = {.vendor = 0x1AF4,
					 .device = 0x1042,
					 .subsys_vendor = 0x1AF4,
					 .subsys = 2,
					 .revision = 1,
					 .class_code = 0x018000,
					 .irq_pin = 1};
	const uint8_t cap1[4] = {0x09, 0xEE, 4, 0x55};
	const uint8_t cap2[8] = {0x05, 0, 1, 2, 3, 4, 5, 6};
	uint8_t off;
	cella_err_t err = NULL;

	f->intx_level = -1;
	pci_bus__init(&f->bus, MMIO_BASE, MMIO_SIZE, IO_BASE, IO_SIZE);
	assert_int_equal(pci_device__init(&f->dev, "test", &id, &err), 0);
	f->dev.intx = intx;
	f->dev.intx_opaque = f;
	assert_int_equal(pci_device__add_bar(&f->dev, 0, 0x1000, 0, bar_io, f, &err), 0);
	assert_int_equal(pci_device__add_bar(&f->dev, 1, 32, PCI_BAR_F_IO, bar_io, f, &err), 0);
	assert_int_equal(pci_device__add_bar(&f->dev, 2, 0x8000, PCI_BAR_F_MEM64 | PCI_BAR_F_PREFETCH, bar_io,
					     f, &err),
			 0);
	assert_int_equal(pci_device__add_cap(&f->dev, cap1, sizeof(cap1), &off, &err), 0);
	assert_int_equal(off, 0x40);
	assert_int_equal(pci_device__add_cap(&f->dev, cap2, sizeof(cap2), &off, &err), 0);
	assert_int_equal(off, 0x44);
	assert_int_equal(pci_bus__register(&f->bus, &f->dev, SLOT, 0, &err), 0);
	assert_null(err);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	pci_device__destroy(&f->dev);
	free(f);
	return 0;
}

static uint32_t le(const uint8_t *d, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)d[i] << (8 * i);
	return v;
}

static void put(uint8_t *d, uint32_t len, uint32_t v)
{
	for (uint32_t i = 0; i < len; i++)
		d[i] = v >> (8 * i);
}

static uint32_t conf1_addr(unsigned bus, unsigned slot, unsigned fn, unsigned reg)
{
	return 0x80000000U | bus << 16 | slot << 11 | fn << 8 | (reg & 0xFC);
}

/* Config read through 0xCF8/0xCFC as a guest does it. */
static uint32_t conf1_read(struct fixture *f, uint32_t addr, unsigned reg, uint32_t len)
{
	uint8_t d[4];

	put(d, 4, addr);
	assert_true(pci_bus__conf1_access(&f->bus, 0, d, 4, true));
	memset(d, 0, sizeof(d));
	assert_true(pci_bus__conf1_access(&f->bus, 4 + (reg & 3), d, len, false));
	return le(d, len);
}

static void conf1_write(struct fixture *f, uint32_t addr, unsigned reg, uint32_t len, uint32_t v)
{
	uint8_t d[4];

	put(d, 4, addr);
	assert_true(pci_bus__conf1_access(&f->bus, 0, d, 4, true));
	put(d, len, v);
	assert_true(pci_bus__conf1_access(&f->bus, 4 + (reg & 3), d, len, true));
}

static uint32_t cfg_read(struct fixture *f, unsigned reg, uint32_t len)
{
	return conf1_read(f, conf1_addr(0, SLOT, 0, reg), reg, len);
}

static void cfg_write(struct fixture *f, unsigned reg, uint32_t len, uint32_t v)
{
	conf1_write(f, conf1_addr(0, SLOT, 0, reg), reg, len, v);
}

static uint32_t ecam_read(struct fixture *f, uint64_t off, uint32_t len)
{
	uint8_t d[8];

	memset(d, 0, sizeof(d));
	pci_bus__ecam_io(&f->bus, off, d, len, false);
	return le(d, len > 4 ? 4 : len);
}

static void test_conf1_ids(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(cfg_read(f, PCI_VENDOR_ID, 4), 0x10421AF4);
	assert_int_equal(cfg_read(f, PCI_VENDOR_ID, 2), 0x1AF4);
	assert_int_equal(cfg_read(f, PCI_DEVICE_ID, 2), 0x1042);
	assert_int_equal(cfg_read(f, PCI_DEVICE_ID + 1, 1), 0x10);
	assert_int_equal(cfg_read(f, PCI_REVISION_ID, 4), 0x01800001);
	assert_int_equal(cfg_read(f, PCI_SUBSYS_VENDOR, 4), 0x00021AF4);
	assert_int_equal(cfg_read(f, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(cfg_read(f, PCI_HEADER_TYPE, 1), 0);
}

static void test_conf1_decoding(void **state)
{
	struct fixture *f = *state;
	uint8_t d[4];

	/* No device, another bus, or the enable bit clear: all-ones. */
	assert_int_equal(conf1_read(f, conf1_addr(0, SLOT + 1, 0, 0), 0, 4), 0xFFFFFFFF);
	assert_int_equal(conf1_read(f, conf1_addr(0, SLOT, 1, 0), 0, 4), 0xFFFFFFFF);
	assert_int_equal(conf1_read(f, conf1_addr(1, SLOT, 0, 0), 0, 4), 0xFFFFFFFF);
	assert_int_equal(conf1_read(f, conf1_addr(0, SLOT, 0, 0) & ~0x80000000U, 0, 4), 0xFFFFFFFF);
	/* The latch reads back what was written. */
	put(d, 4, 0x80001804);
	assert_true(pci_bus__conf1_access(&f->bus, 0, d, 4, true));
	memset(d, 0, 4);
	assert_true(pci_bus__conf1_access(&f->bus, 0, d, 4, false));
	assert_int_equal(le(d, 4), 0x80001804);
	/* Only a dword at 0xCF8 is the latch; a byte at 0xCF9 is someone else's (reset control). */
	assert_false(pci_bus__conf1_access(&f->bus, 1, d, 1, true));
	assert_false(pci_bus__conf1_access(&f->bus, 0, d, 2, false));
	memset(d, 0, 4);
	assert_true(pci_bus__conf1_access(&f->bus, 0, d, 4, false));
	assert_int_equal(le(d, 4), 0x80001804);
	/* A data access running past 0xCFF or across the dword reads all-ones. */
	put(d, 4, conf1_addr(0, SLOT, 0, 0));
	assert_true(pci_bus__conf1_access(&f->bus, 0, d, 4, true));
	assert_true(pci_bus__conf1_access(&f->bus, 6, d, 2, false));
	assert_int_equal(le(d, 2), 0x1042);
	assert_false(pci_bus__conf1_access(&f->bus, 6, d, 4, false)); /* 0xCFE-0xD01 is not ours */
	assert_false(pci_bus__conf1_access(&f->bus, 8, d, 1, false));
}

static void test_conf1_misaligned(void **state)
{
	struct fixture *f = *state;
	uint8_t d[4] = {0};

	put(d, 4, conf1_addr(0, SLOT, 0, 0));
	assert_true(pci_bus__conf1_access(&f->bus, 0, d, 4, true));
	assert_true(pci_bus__conf1_access(&f->bus, 7, d, 1, false));
	assert_int_equal(d[0], 0x10);
	/* Config registers are accessed naturally aligned: a word at 0xCFD or 0xCFF reads all-ones. */
	assert_true(pci_bus__conf1_access(&f->bus, 5, d, 2, false));
	assert_int_equal(le(d, 2), 0xFFFF);
	pci_bus__conf1_io(&f->bus, 7, d, 2, false);
	assert_int_equal(le(d, 2), 0xFFFF);
	/* ... and writes there change nothing. */
	put(d, 2, 0);
	assert_true(pci_bus__conf1_access(&f->bus, 5, d, 2, true));
	assert_int_equal(cfg_read(f, PCI_VENDOR_ID, 4), 0x10421AF4);
}

static void test_ecam_decoding(void **state)
{
	struct fixture *f = *state;
	uint64_t base = (uint64_t)SLOT << 15;
	uint8_t d[4];

	assert_int_equal(ecam_read(f, base + PCI_VENDOR_ID, 4), 0x10421AF4);
	assert_int_equal(ecam_read(f, base + PCI_DEVICE_ID, 2), 0x1042);
	assert_int_equal(ecam_read(f, base + PCI_CLASS_PROG + 2, 1), 0x01);
	/* Extended space exists and is empty: no extended capabilities. */
	assert_int_equal(ecam_read(f, base + 0x100, 4), 0);
	assert_int_equal(ecam_read(f, base + 0xFFC, 4), 0);
	/* Misaligned, 8-byte, other functions, other buses: all-ones. */
	assert_int_equal(ecam_read(f, base + 1, 2), 0xFFFF);
	assert_int_equal(ecam_read(f, base + 2, 4), 0xFFFFFFFF);
	assert_int_equal(ecam_read(f, base, 8), 0xFFFFFFFF);
	assert_int_equal(ecam_read(f, base + (1 << 12), 4), 0xFFFFFFFF);
	assert_int_equal(ecam_read(f, PCI_ECAM_BUS_SIZE + base, 4), 0xFFFFFFFF);
	assert_int_equal(ecam_read(f, 255 * PCI_ECAM_BUS_SIZE + base, 4), 0xFFFFFFFF);
	/* Writes through ECAM land in the same config space. */
	put(d, 2, PCI_COMMAND_MEMORY);
	pci_bus__ecam_io(&f->bus, base + PCI_COMMAND, d, 2, true);
	assert_int_equal(cfg_read(f, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	/* Beyond 256 bytes mechanism #1 cannot reach (register field is 8 bits). */
	assert_int_equal(cfg_read(f, 0xFC, 4), 0);
}

static void test_read_only_fields(void **state)
{
	struct fixture *f = *state;

	cfg_write(f, PCI_VENDOR_ID, 4, 0);
	cfg_write(f, PCI_REVISION_ID, 4, 0xFFFFFFFF);
	cfg_write(f, PCI_INTERRUPT_PIN, 1, 4);
	cfg_write(f, PCI_CAP_PTR, 1, 0x80);
	cfg_write(f, 0x40, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_read(f, PCI_VENDOR_ID, 4), 0x10421AF4);
	assert_int_equal(cfg_read(f, PCI_REVISION_ID, 4), 0x01800001);
	assert_int_equal(cfg_read(f, PCI_INTERRUPT_PIN, 1), 1);
	assert_int_equal(cfg_read(f, PCI_CAP_PTR, 1), 0x40);
	assert_int_equal(cfg_read(f, 0x40, 4), 0x55044409);
	/* The interrupt line is the OS's scratch byte. */
	cfg_write(f, PCI_INTERRUPT_LINE, 1, 11);
	assert_int_equal(cfg_read(f, PCI_INTERRUPT_LINE, 1), 11);
	/* The command register keeps only the bits it implements. */
	cfg_write(f, PCI_COMMAND, 2, 0xFFFF);
	assert_int_equal(cfg_read(f, PCI_COMMAND, 2), 0x0547);
}

static void test_capability_list(void **state)
{
	struct fixture *f = *state;
	unsigned ptr, n = 0;

	assert_true(cfg_read(f, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (ptr = cfg_read(f, PCI_CAP_PTR, 1); ptr; ptr = cfg_read(f, ptr + 1, 1)) {
		assert_true(ptr >= PCI_CAP_START && ptr < PCI_CFG_SIZE && !(ptr & 3));
		n++;
		assert_true(n < 48);
	}
	assert_int_equal(n, 2);
	assert_int_equal(cfg_read(f, 0x41, 1), 0x44);
	assert_int_equal(cfg_read(f, 0x44, 1), 0x05);
	assert_int_equal(cfg_read(f, 0x45, 1), 0);
}

static void test_bar_sizing(void **state)
{
	struct fixture *f = *state;
	uint32_t bar0 = cfg_read(f, PCI_BAR0, 4);

	/* Placed by registration, naturally aligned, inside the windows. */
	assert_int_equal(bar0, (uint32_t)MMIO_BASE);
	assert_int_equal(cfg_read(f, PCI_BAR0 + 4, 4), IO_BASE | PCI_BAR_SPACE_IO);
	assert_int_equal(cfg_read(f, PCI_BAR0 + 8, 4), (uint32_t)(MMIO_BASE + 0x8000) | 0xC);
	assert_int_equal(cfg_read(f, PCI_BAR0 + 12, 4), 0);

	cfg_write(f, PCI_BAR0, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_read(f, PCI_BAR0, 4), 0xFFFFF000);
	cfg_write(f, PCI_BAR0, 4, bar0);
	assert_int_equal(cfg_read(f, PCI_BAR0, 4), bar0);

	cfg_write(f, PCI_BAR0 + 4, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_read(f, PCI_BAR0 + 4, 4), 0x0000FFE1);

	/* 64-bit: type bits stay, the high dword sizes too. */
	cfg_write(f, PCI_BAR0 + 8, 4, 0xFFFFFFFF);
	cfg_write(f, PCI_BAR0 + 12, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_read(f, PCI_BAR0 + 8, 4), 0xFFFF800C);
	assert_int_equal(cfg_read(f, PCI_BAR0 + 12, 4), 0xFFFFFFFF);
	cfg_write(f, PCI_BAR0 + 8, 4, 0x00010000);
	cfg_write(f, PCI_BAR0 + 12, 4, 0x2);
	pci_device__lock(&f->dev);
	{
		uint64_t a;

		assert_true(pci_device__bar_address(&f->dev, 2, &a));
		assert_int_equal(a, 0x200010000ULL);
		assert_false(pci_device__bar_address(&f->dev, 3, &a));
		assert_false(pci_device__bar_address(&f->dev, 4, &a));
	}
	pci_device__unlock(&f->dev);

	/* Unimplemented BARs and the expansion ROM size as 0. */
	cfg_write(f, PCI_BAR0 + 16, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_read(f, PCI_BAR0 + 16, 4), 0);
	cfg_write(f, PCI_ROM_ADDRESS, 4, 0xFFFFFFFF);
	assert_int_equal(cfg_read(f, PCI_ROM_ADDRESS, 4), 0);
	/* Byte-wise sizing works the same. */
	for (unsigned i = 0; i < 4; i++)
		cfg_write(f, PCI_BAR0 + i, 1, 0xFF);
	assert_int_equal(cfg_read(f, PCI_BAR0, 4), 0xFFFFF000);
}

static void mmio(struct fixture *f, uint64_t addr, uint32_t len, bool is_write, uint8_t *d)
{
	pci_bus__mmio_io(&f->bus, addr - MMIO_BASE, d, len, is_write);
}

static void test_bar_dispatch(void **state)
{
	struct fixture *f = *state;
	uint8_t d[8];

	/* Decoding off: nobody answers. */
	mmio(f, MMIO_BASE + 0x10, 4, false, d);
	assert_int_equal(le(d, 4), 0xFFFFFFFF);
	assert_int_equal(f->bar_calls, 0);

	cfg_write(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	mmio(f, MMIO_BASE + 0x10, 4, false, d);
	assert_int_equal(le(d, 4), 0xABABABAB);
	assert_int_equal(f->bar_calls, 1);
	assert_int_equal(f->last_bar, 0);
	assert_int_equal(f->last_off, 0x10);
	mmio(f, MMIO_BASE + 0x8000 + 0x7FF8, 8, true, d);
	assert_int_equal(f->last_bar, 2);
	assert_int_equal(f->last_off, 0x7FF8);
	assert_int_equal(f->last_len, 8);
	assert_true(f->last_write);

	/* Straddling a BAR's end, odd widths, or past every BAR: unclaimed. */
	mmio(f, MMIO_BASE + 0xFFE, 4, false, d);
	assert_int_equal(le(d, 4), 0xFFFFFFFF);
	mmio(f, MMIO_BASE + 0x10, 3, false, d);
	assert_int_equal(le(d, 3), 0xFFFFFF);
	mmio(f, MMIO_BASE + 0x1000, 4, false, d);
	assert_int_equal(le(d, 4), 0xFFFFFFFF);
	assert_int_equal(f->bar_calls, 2);

	/* I/O BAR needs the I/O enable bit. */
	pci_bus__pio_io(&f->bus, 4, d, 1, false);
	assert_int_equal(d[0], 0xFF);
	cfg_write(f, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
	pci_bus__pio_io(&f->bus, 4, d, 1, false);
	assert_int_equal(d[0], 0xAB);
	assert_int_equal(f->last_bar, 1);
	assert_int_equal(f->last_off, 4);

	/* The guest moves BAR 0: the old address goes dead, the new one answers. */
	cfg_write(f, PCI_BAR0, 4, (uint32_t)MMIO_BASE + 0x100000);
	mmio(f, MMIO_BASE + 0x10, 4, false, d);
	assert_int_equal(le(d, 4), 0xFFFFFFFF);
	mmio(f, MMIO_BASE + 0x100010, 4, false, d);
	assert_int_equal(le(d, 4), 0xABABABAB);
	assert_int_equal(f->last_off, 0x10);
}

static void test_intx_disable(void **state)
{
	struct fixture *f = *state;

	pci_device__lock(&f->dev);
	pci_device__set_intx(&f->dev, true);
	pci_device__unlock(&f->dev);
	assert_int_equal(f->intx_level, 1);
	assert_true(cfg_read(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
	cfg_write(f, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE);
	assert_int_equal(f->intx_level, 0);
	assert_true(cfg_read(f, PCI_STATUS, 2) &
		    PCI_STATUS_INTERRUPT); /* status still shows the device's line */
	cfg_write(f, PCI_COMMAND, 2, 0);
	assert_int_equal(f->intx_level, 1);
	pci_device__lock(&f->dev);
	pci_device__set_intx(&f->dev, false);
	pci_device__unlock(&f->dev);
	assert_int_equal(f->intx_level, 0);
	assert_false(cfg_read(f, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
}

static void test_registration_errors(void **state)
{
	struct fixture *f = *state;
	struct pci_device d2, d3;
	const struct pci_device_id id = {.vendor = 0x1234, .device = 1};
	cella_err_t err = NULL;

	assert_int_equal(pci_device__init(&d2, "second", &id, &err), 0);
	assert_true(pci_bus__register(&f->bus, &d2, SLOT, 0, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "taken by test"));
	cella_error_release(&err);
	assert_true(pci_bus__register(&f->bus, &d2, 32, 0, &err) < 0);
	cella_error_release(&err);
	assert_true(pci_bus__register(&f->bus, &d2, 5, 8, &err) < 0);
	cella_error_release(&err);
	assert_true(pci_bus__register(&f->bus, &d2, 5, 1, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "needs function 0"));
	cella_error_release(&err);
	/* Function 1 next to ours makes slot 3 multi-function. */
	assert_int_equal(pci_bus__register(&f->bus, &d2, SLOT, 1, &err), 0);
	assert_int_equal(cfg_read(f, PCI_HEADER_TYPE, 1), PCI_HEADER_MULTI_FUNC);
	assert_int_equal(conf1_read(f, conf1_addr(0, SLOT, 1, 0), 0, 4), 0x00011234);
	assert_true(pci_bus__register(&f->bus, &d2, 7, 0, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "already registered"));
	cella_error_release(&err);

	/* BAR declarations that make no sense. */
	assert_int_equal(pci_device__init(&d3, "third", &id, &err), 0);
	assert_true(pci_device__add_bar(&d3, 6, 0x1000, 0, bar_io, f, &err) < 0);
	cella_error_release(&err);
	assert_true(pci_device__add_bar(&d3, 5, 0x1000, PCI_BAR_F_MEM64, bar_io, f, &err) < 0);
	cella_error_release(&err);
	assert_true(pci_device__add_bar(&d3, 0, 0x1800, 0, bar_io, f, &err) < 0);
	cella_error_release(&err);
	assert_true(pci_device__add_bar(&d3, 0, 8, 0, bar_io, f, &err) < 0);
	cella_error_release(&err);
	assert_true(pci_device__add_bar(&d3, 0, 512, PCI_BAR_F_IO, bar_io, f, &err) < 0);
	cella_error_release(&err);
	assert_true(pci_device__add_bar(&d3, 0, 16, PCI_BAR_F_IO | PCI_BAR_F_MEM64, bar_io, f, &err) < 0);
	cella_error_release(&err);
	assert_true(pci_device__add_bar(&d3, 0, 16, 0, NULL, f, &err) < 0);
	cella_error_release(&err);
	assert_int_equal(pci_device__add_bar(&d3, 0, 0x100000, PCI_BAR_F_MEM64, bar_io, f, &err), 0);
	assert_true(pci_device__add_bar(&d3, 1, 16, 0, bar_io, f, &err) < 0); /* the high half of BAR 0 */
	assert_non_null(strstr(cella_error_string(err), "already in use"));
	cella_error_release(&err);
	/* A window too small for the BAR. */
	{
		struct pci_bus small;

		pci_bus__init(&small, MMIO_BASE, 0x80000, IO_BASE, IO_SIZE);
		assert_true(pci_bus__register(&small, &d3, 0, 0, &err) < 0);
		assert_non_null(strstr(cella_error_string(err), "no room for BAR 0"));
		cella_error_release(&err);
	}
	/* Windows a BAR register cannot express: 32-bit memory above 4 GiB, I/O above 64 KiB. */
	{
		struct pci_bus high;
		struct pci_device d4;

		assert_int_equal(pci_device__init(&d4, "fourth", &id, &err), 0);
		assert_int_equal(pci_device__add_bar(&d4, 0, 0x1000, 0, bar_io, f, &err), 0);
		pci_bus__init(&high, 0x100000000ULL, MMIO_SIZE, 0x10000, IO_SIZE);
		assert_true(pci_bus__register(&high, &d4, 0, 0, &err) < 0);
		assert_non_null(strstr(cella_error_string(err), "32-bit memory"));
		cella_error_release(&err);
		assert_int_equal(pci_device__add_bar(&d4, 1, 16, PCI_BAR_F_IO, bar_io, f, &err), 0);
		pci_bus__init(&high, MMIO_BASE, MMIO_SIZE, 0xFFF8, IO_SIZE);
		assert_true(pci_bus__register(&high, &d4, 0, 0, &err) < 0);
		assert_non_null(strstr(cella_error_string(err), "16-bit I/O"));
		cella_error_release(&err);
		/* Nothing half-done: BAR 0 was not placed, the window was not used up. */
		assert_int_equal(d4.cfg[PCI_BAR0] | d4.cfg[PCI_BAR0 + 3], 0);
		assert_int_equal(high.mmio_next, MMIO_BASE);
		pci_device__destroy(&d4);
	}
	pci_device__destroy(&d2);
	pci_device__destroy(&d3);
}

static void test_cap_space_exhausted(void **state)
{
	struct pci_device d;
	const struct pci_device_id id = {.vendor = 0x1234};
	uint8_t cap[64] = {0x09}, off;
	cella_err_t err = NULL;
	int n = 0;

	(void)state;
	assert_int_equal(pci_device__init(&d, "caps", &id, &err), 0);
	while (pci_device__add_cap(&d, cap, sizeof(cap), &off, &err) == 0)
		n++;
	assert_int_equal(n, 3); /* 0x40, 0x80, 0xC0 */
	assert_non_null(strstr(cella_error_string(err), "no room"));
	cella_error_release(&err);
	pci_device__destroy(&d);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_conf1_ids),
		T(test_conf1_decoding),
		T(test_conf1_misaligned),
		T(test_ecam_decoding),
		T(test_read_only_fields),
		T(test_capability_list),
		T(test_bar_sizing),
		T(test_bar_dispatch),
		T(test_intx_disable),
		T(test_registration_errors),
		cmocka_unit_test(test_cap_space_exhausted),
	};

	return cmocka_run_group_tests_name("vmm-pci-config", tests, NULL, NULL);
}
