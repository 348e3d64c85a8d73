// SPDX-License-Identifier: GPL-2.0-or-later
/* Token-bucket maths with an explicit clock, option parsing for limits, and the timerfd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <poll.h>

#include "vdev/ratelimit.h"

#define MS 1000000ULL

static void test_bucket_basic(void **state)
{
	struct tbucket b;
	struct tbucket_config cfg = {.size = 1000, .refill_ms = 1000};

	tbucket_init(&b, &cfg, 0);
	assert_true(tbucket_consume(&b, 600, 0));
	assert_true(tbucket_consume(&b, 400, 0));
	assert_false(tbucket_consume(&b, 1, 0));
	/* 1 token a millisecond. */
	assert_int_equal(tbucket_wait_ns(&b, 100, 0), 100 * MS);
	assert_false(tbucket_consume(&b, 100, 99 * MS));
	assert_true(tbucket_consume(&b, 100, 100 * MS));
	/* Never more than the size, however long the pause. */
	assert_false(tbucket_consume(&b, 1001, 10000 * MS) && b.budget >= 0);
}

static void test_bucket_fraction_kept(void **state)
{
	struct tbucket b;
	struct tbucket_config cfg = {.size = 3, .refill_ms = 1000};

	/* 3 tokens a second: one every 333.33 ms; nothing may be lost to rounding over many steps. */
	tbucket_init(&b, &cfg, 0);
	assert_true(tbucket_consume(&b, 3, 0));
	unsigned got = 0;

	for (uint64_t t = 1; t <= 3000; t++)
		got += tbucket_consume(&b, 1, t * MS);
	assert_int_equal(got, 9);
}

static void test_bucket_burst(void **state)
{
	struct tbucket b;
	struct tbucket_config cfg = {.size = 100, .one_time_burst = 500, .refill_ms = 100};

	tbucket_init(&b, &cfg, 0);
	assert_true(tbucket_consume(&b, 500, 0)); /* the burst */
	assert_true(tbucket_consume(&b, 100, 0)); /* the bucket */
	assert_false(tbucket_consume(&b, 1, 0));
	assert_true(tbucket_consume(&b, 100, 100 * MS));
	/* Spent for good: not refilled. */
	assert_false(tbucket_consume(&b, 101, 10000 * MS) && b.burst);
	assert_int_equal(b.burst, 0);
}

static void test_bucket_oversized(void **state)
{
	struct tbucket b;
	struct tbucket_config cfg = {.size = 1000, .refill_ms = 1000};

	tbucket_init(&b, &cfg, 0);
	/* Larger than the bucket: allowed when full, leaving a debt. */
	assert_true(tbucket_consume(&b, 3000, 0));
	assert_int_equal(b.budget, -2000);
	assert_false(tbucket_consume(&b, 1, 1000 * MS));
	assert_int_equal(tbucket_wait_ns(&b, 1000, 1000 * MS), 2000 * MS);
	assert_true(tbucket_consume(&b, 1000, 3000 * MS));
	/* Not from a partly empty bucket. */
	assert_false(tbucket_consume(&b, 3000, 3500 * MS));
}

static void test_bucket_unlimited(void **state)
{
	struct tbucket b;
	struct tbucket_config cfg = {0};

	tbucket_init(&b, &cfg, 0);
	for (int i = 0; i < 1000; i++)
		assert_true(tbucket_consume(&b, UINT32_MAX, 0));
	assert_int_equal(tbucket_wait_ns(&b, 1, 0), 0);
}

static void test_bucket_huge_no_overflow(void **state)
{
	struct tbucket b;
	struct tbucket_config cfg = {.size = 1ULL << 50, .refill_ms = 3600 * 1000};

	tbucket_init(&b, &cfg, 0);
	assert_true(tbucket_consume(&b, 1ULL << 50, 0));
	/* size * elapsed is far beyond 2^64 here. */
	assert_true(tbucket_consume(&b, 1ULL << 49, 1800 * 1000 * MS));
	assert_false(tbucket_consume(&b, 1ULL << 40, 1800 * 1000 * MS));
}

static void test_config_parse(void **state)
{
	struct vdev_opts o;
	struct ratelimit_config c, u;
	cella_err_t err = NULL;

	assert_int_equal(vdev_opts_parse(&o, "--disk", "bps=10M,iops=500,bps_burst=1G,refill_ms=100", &err),
			 0);
	assert_int_equal(ratelimit_config_parse(&o, NULL, &c, &err), 0);
	vdev_opts_release(&o);
	assert_int_equal(c.bytes.size, (10ULL << 20) / 10);
	assert_int_equal(c.bytes.refill_ms, 100);
	assert_int_equal(c.bytes.one_time_burst, 1ULL << 30);
	assert_int_equal(c.ops.size, 50);
	/* An update that names only iops keeps the byte limit. */
	assert_int_equal(vdev_opts_parse(&o, "PATCH", "iops=1000", &err), 0);
	assert_int_equal(ratelimit_config_parse(&o, &c, &u, &err), 0);
	vdev_opts_release(&o);
	assert_int_equal(u.bytes.size, c.bytes.size);
	assert_int_equal(u.ops.size, 100);
	assert_int_equal(vdev_opts_parse(&o, "--net", "iops=1,refill_ms=10", &err), 0);
	assert_true(ratelimit_config_parse(&o, NULL, &c, &err) < 0);
	assert_string_equal(cella_error_string(err), "--net: iops: 1 per second refills nothing in 10 ms");
	cella_error_release(&err);
	vdev_opts_release(&o);
}

static void test_timer(void **state)
{
	struct ratelimit_config cfg = {.ops = {.size = 1, .refill_ms = 50}};
	struct ratelimit rl;
	cella_err_t err = NULL;
	struct pollfd pfd;

	assert_int_equal(ratelimit_init(&rl, &cfg, &err), 0);
	assert_true(ratelimit_consume(&rl, 0, ratelimit_now_ns()));
	assert_false(ratelimit_consume(&rl, 0, ratelimit_now_ns()));
	assert_true(rl.armed);
	pfd = (struct pollfd){.fd = rl.timer_fd, .events = POLLIN};
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	ratelimit_timer_fired(&rl);
	assert_true(ratelimit_consume(&rl, 0, ratelimit_now_ns()));
	/* Lifting the limit wakes a waiting device at once. */
	assert_false(ratelimit_consume(&rl, 0, ratelimit_now_ns()));
	ratelimit_update(&rl, &(struct ratelimit_config){0}, ratelimit_now_ns());
	assert_int_equal(poll(&pfd, 1, 5000), 1);
	ratelimit_timer_fired(&rl);
	assert_true(ratelimit_consume(&rl, 1 << 30, ratelimit_now_ns()));
	ratelimit_release(&rl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bucket_basic),	 cmocka_unit_test(test_bucket_fraction_kept),
		cmocka_unit_test(test_bucket_burst),	 cmocka_unit_test(test_bucket_oversized),
		cmocka_unit_test(test_bucket_unlimited), cmocka_unit_test(test_bucket_huge_no_overflow),
		cmocka_unit_test(test_config_parse),	 cmocka_unit_test(test_timer),
	};

	return cmocka_run_group_tests_name("vmm-vdev-ratelimit", tests, NULL, NULL);
}
