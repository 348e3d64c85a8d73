/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The port/MMIO bus: registration, overlap rejection, dispatch, unclaimed accesses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <cella/cleanup.h>

#include "core/bus.h"

struct probe {
	uint64_t offset;
	uint32_t len;
	bool is_write;
	unsigned calls;
};

static void probe_io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct probe *p = opaque;

	p->offset = offset;
	p->len = len;
	p->is_write = is_write;
	p->calls++;
	if (!is_write)
		memset(data, 0x42, len);
}

static void test_register_and_dispatch(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct probe a = {0}, b = {0};
	struct vmm_bus bus;
	uint8_t data[4] = {0};

	assert_int_equal(vmm_bus__init(&bus, "port", &err), 0);
	assert_int_equal(vmm_bus__register(&bus, 0x3f8, 8, "serial", probe_io, &a, &err), 0);
	assert_int_equal(vmm_bus__register(&bus, 0x70, 2, "rtc", probe_io, &b, &err), 0);
	assert_true(vmm_bus__access(&bus, 0x3fd, data, 1, false));
	assert_int_equal(a.calls, 1);
	assert_int_equal(a.offset, 5);
	assert_int_equal(data[0], 0x42);
	assert_true(vmm_bus__access(&bus, 0x71, data, 1, true));
	assert_int_equal(b.offset, 1);
	assert_true(b.is_write);
	assert_string_equal(vmm_bus__owner(&bus, 0x3ff), "serial");
	assert_null(vmm_bus__owner(&bus, 0x400));
	vmm_bus__destroy(&bus);
}

static void test_overlap_rejected(void **state)
{
	struct probe a = {0};
	struct vmm_bus bus;
	cella_err_t err = NULL;

	assert_int_equal(vmm_bus__init(&bus, "port", &err), 0);
	assert_int_equal(vmm_bus__register(&bus, 0x600, 4, "pm1", probe_io, &a, &err), 0);
	assert_int_equal(vmm_bus__register(&bus, 0x604, 2, "pm1cnt", probe_io, &a, &err),
			 0); /* adjacent: fine */
	assert_true(vmm_bus__register(&bus, 0x603, 1, "clash", probe_io, &a, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "clash at 0x603+0x1 overlaps pm1 at 0x600+0x4"));
	cella_error_release(&err);
	assert_true(vmm_bus__register(&bus, 0x5ff, 0x10, "wide", probe_io, &a, &err) < 0);
	cella_error_release(&err);
	assert_true(vmm_bus__register(&bus, 0x10, 0, "empty", probe_io, &a, &err) < 0);
	cella_error_release(&err);
	assert_true(vmm_bus__register(&bus, UINT64_MAX, 2, "wraps", probe_io, &a, &err) < 0);
	cella_error_release(&err);
	vmm_bus__destroy(&bus);
}

static void test_unclaimed_and_straddling(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct probe a = {0};
	struct vmm_bus bus;
	uint8_t data[8];

	assert_int_equal(vmm_bus__init(&bus, "port", &err), 0);
	bus.debug = false;
	assert_int_equal(vmm_bus__register(&bus, 0x80, 1, "post", probe_io, &a, &err), 0);
	memset(data, 0, sizeof(data));
	assert_false(vmm_bus__access(&bus, 0x1234, data, 4, false));
	assert_int_equal(data[0] & data[1] & data[2] & data[3], 0xff);
	assert_false(vmm_bus__access(&bus, 0x1234, data, 2, true));
	/* A 2-byte access at the last byte of a 1-byte device must not reach it. */
	assert_false(vmm_bus__access(&bus, 0x80, data, 2, false));
	assert_int_equal(a.calls, 0);
	/* Nonsense lengths from a malformed exit are refused. */
	assert_false(vmm_bus__access(&bus, 0x80, data, 0, false));
	assert_false(vmm_bus__access(&bus, 0x80, data, 9, false));
	vmm_bus__destroy(&bus);
}

static void test_many_ranges_sorted(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct probe p[32] = {0};
	struct vmm_bus bus;
	uint8_t data[1];

	assert_int_equal(vmm_bus__init(&bus, "mmio", &err), 0);
	/* Registered in a scrambled order; lookups must still find each. */
	for (unsigned i = 0; i < 32; i++) {
		unsigned k = (i * 13) % 32;

		assert_int_equal(
			vmm_bus__register(&bus, 0x1000 * (k + 1), 0x100, "dev", probe_io, &p[k], &err), 0);
	}
	for (unsigned k = 0; k < 32; k++) {
		assert_true(vmm_bus__access(&bus, 0x1000 * (k + 1) + 0xff, data, 1, false));
		assert_int_equal(p[k].calls, 1);
		assert_int_equal(p[k].offset, 0xff);
		assert_false(vmm_bus__access(&bus, 0x1000 * (k + 1) + 0x100, data, 1, false));
	}
	vmm_bus__destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_register_and_dispatch),
		cmocka_unit_test(test_overlap_rejected),
		cmocka_unit_test(test_unclaimed_and_straddling),
		cmocka_unit_test(test_many_ranges_sorted),
	};

	return cmocka_run_group_tests_name("vmm-bus", tests, NULL, NULL);
}
