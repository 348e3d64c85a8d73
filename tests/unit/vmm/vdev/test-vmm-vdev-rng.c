// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio-rng: buffers get filled, bounded per request; read-only buffers get nothing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "vdev-test.h"

static int setup(void **state)
{
	struct t_guest *g = calloc(1, sizeof(*g));

	t_guest_init(g);
	*state = g;
	return 0;
}

static int teardown(void **state)
{
	t_guest_free(*state);
	free(*state);
	return 0;
}

static void create(struct t_guest *g, const char *opts)
{
	cella_err_t err = NULL;

	if (vdev_create_from_string("rng", "--rng", opts, &g->env, &g->dev, &err) < 0)
		fail_msg("create: %s", cella_error_string(err));
	assert_true(t_driver_start(g, ~0ULL) & VIRTIO_STATUS_DRIVER_OK);
}

static unsigned zeros(const uint8_t *p, size_t n)
{
	unsigned z = 0;

	for (size_t i = 0; i < n; i++)
		z += !p[i];
	return z;
}

static void test_fills(void **state)
{
	struct t_guest *g = *state;
	uint64_t a = t_alloc(g, 256), b = t_alloc(g, 768);
	struct t_buf bufs[2] = {{a, 256, true}, {b, 768, true}};
	uint32_t id, len;
	uint16_t head;

	create(g, "");
	head = t_add_chain(g, 0, bufs, 2);
	t_kick(g, 0);
	assert_true(t_run_until_used(g, 0, 1, 5000));
	t_next_used(g, 0, &id, &len);
	assert_int_equal(id, head);
	assert_int_equal(len, 1024);
	/* 1024 random bytes with more than 32 zeros: about 1 in 10^9 by chance. */
	assert_true(zeros(t_ptr(g, a), 256) + zeros(t_ptr(g, b), 768) < 32);
	assert_true(g->msis + g->intx_raised > 0);
}

static void test_bounded(void **state)
{
	struct t_guest *g = *state;
	uint64_t a = t_alloc(g, 4096);
	struct t_buf buf = {a, 4096, true};
	uint32_t id, len;

	create(g, "max_bytes=100");
	t_add_chain(g, 0, &buf, 1);
	t_kick(g, 0);
	assert_true(t_run_until_used(g, 0, 1, 5000));
	t_next_used(g, 0, &id, &len);
	assert_int_equal(len, 100);
	assert_int_equal(zeros(t_ptr(g, a + 100), 4096 - 100), 4096 - 100);
}

static void test_readonly_buffer(void **state)
{
	struct t_guest *g = *state;
	uint64_t a = t_alloc(g, 64);
	struct t_buf buf = {a, 64, false};
	uint32_t id, len;

	create(g, "id=rng0");
	t_add_chain(g, 0, &buf, 1);
	t_kick(g, 0);
	assert_true(t_run_until_used(g, 0, 1, 5000));
	t_next_used(g, 0, &id, &len);
	assert_int_equal(len, 0);
	assert_int_equal(zeros(t_ptr(g, a), 64), 64);
}

static void test_options(void **state)
{
	struct t_guest *g = *state;
	cella_err_t err = NULL;

	assert_true(vdev_create_from_string("rng", "--rng", "max_bytes=0", &g->env, &g->dev, &err) < 0);
	assert_string_equal(cella_error_string(err), "--rng: max_bytes: 0 is outside [1, 1048576]");
	cella_error_release(&err);
	assert_true(vdev_create_from_string("nope", "--device", "", &g->env, &g->dev, &err) < 0);
	assert_string_equal(cella_error_string(err), "--device: unknown virtio device type 'nope'");
	cella_error_release(&err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_fills, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_options, setup, teardown),
	};

	return cmocka_run_group_tests_name("vmm-vdev-rng", tests, NULL, NULL);
}
