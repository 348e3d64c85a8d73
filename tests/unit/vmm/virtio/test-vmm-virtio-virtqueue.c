// SPDX-License-Identifier: GPL-2.0-or-later
/* Split virtqueue device side: every chain shape a driver can build, honest or hostile. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "virtio-test.h"
#include "virtio/virtqueue.h"

#define QSIZE 16
#define DESC  0x1000
#define AVAIL 0x2000
#define USED  0x3000
#define IND   0x4000 /* an indirect table */
#define BUF   0x10000

struct fixture {
	struct test_ram ram;
	struct virtq vq;
	struct virtq_chain chain;
};

static int setup_features(void **state, uint64_t features)
{
	struct fixture *f = calloc(1, sizeof(*f));
	cella_err_t err = NULL;

	test_ram_init(&f->ram);
	assert_int_equal(virtq__enable(&f->vq, &f->ram.mem, QSIZE, DESC, AVAIL, USED, features, &err), 0);
	assert_null(err);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_features(state, VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
}

static int setup_event_idx(void **state)
{
	return setup_features(state, VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC));
}

static int setup_plain(void **state)
{
	return setup_features(state, 0);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	test_ram_free(&f->ram);
	free(f);
	return 0;
}

/* Pops expecting a broken queue whose message contains what. */
static void expect_broken(struct fixture *f, const char *what)
{
	cella_err_t err = NULL;

	assert_true(virtq__pop(&f->vq, &f->chain, &err) < 0);
	assert_non_null(err);
	if (!strstr(cella_error_string(err), what))
		fail_msg("error '%s' does not mention '%s'", cella_error_string(err), what);
	cella_error_release(&err);
	assert_true(f->vq.broken);
	/* Stays broken: no retry succeeds, no push is accepted, no interrupt is asked for. */
	assert_true(virtq__pop(&f->vq, &f->chain, &err) < 0);
	cella_error_release(&err);
	assert_true(virtq__push(&f->vq, 0, 0, &err) < 0);
	cella_error_release(&err);
	assert_false(virtq__needs_notify(&f->vq));
}

static void pop_ok(struct fixture *f)
{
	cella_err_t err = NULL;
	int r = virtq__pop(&f->vq, &f->chain, &err);

	if (r != 1)
		fail_msg("pop returned %d: %s", r, err ? cella_error_string(err) : "(no error)");
}

static void test_enable_validation(void **state)
{
	struct test_ram ram;
	struct virtq vq = {0};
	cella_err_t err = NULL;
	static const struct {
		uint16_t size;
		uint64_t desc, avail, used;
		const char *what;
	} bad[] = {
		{0, DESC, AVAIL, USED, "size 0"},
		{12, DESC, AVAIL, USED, "size 12"},
		{40000, DESC, AVAIL, USED, "size 40000"},
		{QSIZE, DESC + 8, AVAIL, USED, "descriptor ring address 0x1008 is not 16-byte aligned"},
		{QSIZE, DESC, AVAIL + 1, USED, "available ring address"},
		{QSIZE, DESC, AVAIL, USED + 2, "used ring address"},
		{QSIZE, TEST_RAM_SIZE - 128, AVAIL, USED, "descriptor ring"},
		{QSIZE, DESC, 0xFFFFFFFFFFFFFFF0ULL, USED, "available ring"},
		{QSIZE, DESC, AVAIL, GUEST_MEM_HOLE_START, "used ring"},
		{32768, 0x90000, AVAIL, USED, "descriptor ring [0x90000, +0x80000)"},
	};

	(void)state;
	test_ram_init(&ram);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(virtq__enable(&vq, &ram.mem, bad[i].size, bad[i].desc, bad[i].avail, bad[i].used,
					  0, &err) < 0);
		if (!strstr(cella_error_string(err), bad[i].what))
			fail_msg("case %zu: '%s' lacks '%s'", i, cella_error_string(err), bad[i].what);
		cella_error_release(&err);
		assert_false(vq.enabled);
		assert_true(virtq__pop(&vq, NULL, &err) < 0); /* disabled: refused before touching chain */
		cella_error_release(&err);
	}
	/* The largest queue the spec allows fits when the RAM does. */
	assert_int_equal(virtq__enable(&vq, &ram.mem, 32768, 0x0, 0x80000, 0x90000, 0, &err), 0);
	assert_true(vq.enabled);
	test_ram_free(&ram);
}

static void test_empty_queue(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	assert_int_equal(virtq__pop(&f->vq, &f->chain, &err), 0);
	assert_null(err);
}

static void test_direct_chain(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 3, BUF, 16, VIRTQ_DESC_F_NEXT, 7);
	test_desc(&f->ram, DESC, 7, BUF + 0x100, 512, VIRTQ_DESC_F_NEXT, 1);
	test_desc(&f->ram, DESC, 1, BUF + 0x1000, 1, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 3);
	pop_ok(f);
	assert_int_equal(f->chain.head, 3);
	assert_int_equal(f->chain.nread, 2);
	assert_int_equal(f->chain.nwrite, 1);
	assert_int_equal(f->chain.read_len, 528);
	assert_int_equal(f->chain.write_len, 1);
	assert_ptr_equal(f->chain.iov[0].iov_base, f->ram.host + BUF);
	assert_int_equal(f->chain.iov[0].iov_len, 16);
	assert_ptr_equal(f->chain.iov[1].iov_base, f->ram.host + BUF + 0x100);
	assert_ptr_equal(f->chain.iov[2].iov_base, f->ram.host + BUF + 0x1000);
	assert_int_equal(virtq__pop(&f->vq, &f->chain, NULL), 0);
}

static void test_indirect_chain(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, IND, 0, BUF, 64, VIRTQ_DESC_F_NEXT, 2);
	test_desc(&f->ram, IND, 2, BUF + 64, 32, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	test_desc(&f->ram, IND, 1, BUF + 96, 8, VIRTQ_DESC_F_WRITE, 0);
	/* The WRITE flag on the indirect descriptor itself is ignored (2.7.5.3.2). */
	test_desc(&f->ram, DESC, 0, IND, 3 * 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	pop_ok(f);
	assert_int_equal(f->chain.nread, 1);
	assert_int_equal(f->chain.nwrite, 2);
	assert_int_equal(f->chain.write_len, 40);
	assert_ptr_equal(f->chain.iov[2].iov_base, f->ram.host + BUF + 96);
}

static void test_mixed_chain(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 5, BUF, 16, VIRTQ_DESC_F_NEXT, 6);
	test_desc(&f->ram, DESC, 6, IND, 2 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	test_desc(&f->ram, IND, 0, BUF + 16, 16, VIRTQ_DESC_F_NEXT, 1);
	test_desc(&f->ram, IND, 1, BUF + 32, 100, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 5);
	pop_ok(f);
	assert_int_equal(f->chain.nread, 2);
	assert_int_equal(f->chain.nwrite, 1);
	assert_int_equal(f->chain.read_len, 32);
	assert_int_equal(f->chain.write_len, 100);
}

static void test_indirect_without_feature(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, IND, 0, BUF, 16, 0, 0);
	test_desc(&f->ram, DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "without VIRTIO_F_INDIRECT_DESC");
}

static void test_nested_indirect(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, IND, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	test_desc(&f->ram, DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "indirect descriptor inside an indirect table");
}

static void test_indirect_with_next(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, IND, 0, BUF, 16, 0, 0);
	test_desc(&f->ram, DESC, 0, IND, 16, VIRTQ_DESC_F_INDIRECT | VIRTQ_DESC_F_NEXT, 1);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "NEXT");
}

static void check_indirect_len(void **state, uint32_t len)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 0, IND, len, VIRTQ_DESC_F_INDIRECT, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "indirect table length");
}

static void test_indirect_len_zero(void **state)
{
	check_indirect_len(state, 0);
}

static void test_indirect_len_odd(void **state)
{
	check_indirect_len(state, 24);
}

static void test_indirect_len_too_big(void **state)
{
	check_indirect_len(state, 16 * (VIRTQ_CHAIN_MAX + 1));
}

static void test_indirect_table_outside_ram(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 0, TEST_RAM_SIZE - 16, 32, VIRTQ_DESC_F_INDIRECT, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "indirect table");
}

static void test_indirect_next_out_of_table(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, IND, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 2); /* table has 2 entries */
	test_desc(&f->ram, DESC, 0, IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "descriptor index 2 outside a table of 2");
}

static void test_direct_loop(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	test_desc(&f->ram, DESC, 1, BUF, 16, VIRTQ_DESC_F_NEXT, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "loops");
}

static void test_self_loop_zero_length(void **state)
{
	struct fixture *f = *state;

	/* Zero-length descriptors add no buffer but still count: the walk must end. */
	test_desc(&f->ram, DESC, 4, 0, 0, VIRTQ_DESC_F_NEXT, 4);
	test_avail_add(&f->ram, AVAIL, QSIZE, 4);
	expect_broken(f, "loops");
}

static void test_indirect_loop(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, IND, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	test_desc(&f->ram, IND, 1, BUF, 16, VIRTQ_DESC_F_NEXT, 0);
	test_desc(&f->ram, DESC, 0, IND, 32, VIRTQ_DESC_F_INDIRECT, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "loops");
}

static void test_next_out_of_range(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 0, BUF, 16, VIRTQ_DESC_F_NEXT, QSIZE);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "outside a table of 16");
}

static void check_bad_buffer(void **state, uint64_t addr, uint32_t len)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 0, addr, len, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "is not inside guest RAM");
}

static void test_buffer_past_ram_end(void **state)
{
	check_bad_buffer(state, TEST_RAM_SIZE - 8, 16);
}

static void test_buffer_in_hole(void **state)
{
	check_bad_buffer(state, GUEST_MEM_HOLE_START, 4);
}

static void test_buffer_address_wraps(void **state)
{
	check_bad_buffer(state, 0xFFFFFFFFFFFFFFF8ULL, 16);
}

static void test_buffer_huge_len(void **state)
{
	check_bad_buffer(state, 0, 0xFFFFFFFFU);
}

static void test_zero_length_descriptor(void **state)
{
	struct fixture *f = *state;

	/* No buffer for it, and its address is never used (it may be anything). */
	test_desc(&f->ram, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	test_desc(&f->ram, DESC, 1, 0xFFFFFFFFFFFFFFFFULL, 0, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 2);
	test_desc(&f->ram, DESC, 2, BUF + 8, 8, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	pop_ok(f);
	assert_int_equal(f->chain.nread, 1);
	assert_int_equal(f->chain.nwrite, 1);
	assert_ptr_equal(f->chain.iov[1].iov_base, f->ram.host + BUF + 8);
}

static void test_chain_too_long(void **state)
{
	struct fixture *f = *state;

	/* One direct buffer, then a full indirect table: VIRTQ_CHAIN_MAX + 1 buffers. */
	test_desc(&f->ram, DESC, 0, BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	test_desc(&f->ram, DESC, 1, IND, 16 * VIRTQ_CHAIN_MAX, VIRTQ_DESC_F_INDIRECT, 0);
	for (unsigned i = 0; i < VIRTQ_CHAIN_MAX; i++)
		test_desc(&f->ram, IND, i, BUF, 4, i + 1 < VIRTQ_CHAIN_MAX ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "more than 1024 buffers");
}

static void test_longest_chain(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 0, IND, 16 * VIRTQ_CHAIN_MAX, VIRTQ_DESC_F_INDIRECT, 0);
	for (unsigned i = 0; i < VIRTQ_CHAIN_MAX; i++)
		test_desc(&f->ram, IND, i, BUF, 4, i + 1 < VIRTQ_CHAIN_MAX ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	pop_ok(f);
	assert_int_equal(f->chain.nread, VIRTQ_CHAIN_MAX);
}

static void test_read_after_write(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	test_desc(&f->ram, DESC, 1, BUF + 8, 8, 0, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "device-readable descriptor after a device-writable one");
}

static void test_read_after_write_across_indirect(void **state)
{
	struct fixture *f = *state;

	test_desc(&f->ram, DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT | VIRTQ_DESC_F_WRITE, 1);
	test_desc(&f->ram, DESC, 1, IND, 16, VIRTQ_DESC_F_INDIRECT, 0);
	test_desc(&f->ram, IND, 0, BUF + 8, 8, 0, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	expect_broken(f, "device-readable descriptor after a device-writable one");
}

static void test_head_out_of_range(void **state)
{
	struct fixture *f = *state;

	test_avail_add(&f->ram, AVAIL, QSIZE, QSIZE);
	expect_broken(f, "names descriptor 16");
}

static void test_avail_idx_jump(void **state)
{
	struct fixture *f = *state;

	test_put16(&f->ram, AVAIL + 2, QSIZE + 1);
	expect_broken(f, "17 entries ahead");
}

static void test_reset_clears_broken(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	test_put16(&f->ram, AVAIL + 2, 0x8000);
	expect_broken(f, "ahead");
	virtq__reset(&f->vq);
	assert_false(f->vq.broken);
	assert_false(f->vq.enabled);
	memset(f->ram.host, 0, 0x10000);
	assert_int_equal(virtq__enable(&f->vq, &f->ram.mem, QSIZE, DESC, AVAIL, USED, 0, &err), 0);
	assert_int_equal(virtq__pop(&f->vq, &f->chain, &err), 0);
}

static void test_push(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	test_desc(&f->ram, DESC, 9, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 9);
	pop_ok(f);
	assert_int_equal(virtq__push_chain(&f->vq, &f->chain, 8, &err), 0);
	assert_int_equal(test_get16(&f->ram, USED + 2), 1);
	assert_int_equal(test_get32(&f->ram, USED + 4), 9);
	assert_int_equal(test_get32(&f->ram, USED + 8), 8);
	assert_true(virtq__push(&f->vq, QSIZE, 0, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "head 16"));
	cella_error_release(&err);
	assert_int_equal(test_get16(&f->ram, USED + 2), 1);
}

static void test_push_after_reset_refused(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	test_desc(&f->ram, DESC, 0, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	pop_ok(f);
	/* The driver resets and sets the queue up again before the request completes. */
	assert_int_equal(virtq__enable(&f->vq, &f->ram.mem, QSIZE, DESC, AVAIL, USED, 0, &err), 0);
	assert_true(virtq__push_chain(&f->vq, &f->chain, 8, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "before a queue reset"));
	cella_error_release(&err);
	assert_int_equal(test_get16(&f->ram, USED + 2), 0);
}

static void test_index_wrap(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	/* The 16-bit indexes wrap: start both sides just before 65536. */
	f->vq.last_avail = 0xFFFF;
	f->vq.used_idx = 0xFFFF;
	test_put16(&f->ram, AVAIL + 2, 0xFFFF);
	test_desc(&f->ram, DESC, 2, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	test_desc(&f->ram, DESC, 3, BUF, 8, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 2); /* ring[15], idx -> 0 */
	test_avail_add(&f->ram, AVAIL, QSIZE, 3); /* ring[0], idx -> 1 */
	pop_ok(f);
	assert_int_equal(f->chain.head, 2);
	assert_int_equal(virtq__push(&f->vq, 2, 1, &err), 0);
	pop_ok(f);
	assert_int_equal(f->chain.head, 3);
	assert_int_equal(virtq__push(&f->vq, 3, 2, &err), 0);
	assert_int_equal(virtq__pop(&f->vq, &f->chain, &err), 0);
	assert_int_equal(test_get16(&f->ram, USED + 2), 1);
	assert_int_equal(test_get32(&f->ram, USED + 4 + 8 * 15), 2);
	assert_int_equal(test_get32(&f->ram, USED + 4), 3);
}

static void test_notify_no_interrupt_flag(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(virtq__push(&f->vq, 0, 0, NULL), 0);
	assert_true(virtq__needs_notify(&f->vq));
	test_put16(&f->ram, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	assert_false(virtq__needs_notify(&f->vq));
}

static void test_need_event_math(void **state)
{
	(void)state;
	/* used_event = 5: notify when idx moves from <= 5 to > 5. */
	assert_true(virtq__need_event(5, 6, 5));
	assert_true(virtq__need_event(5, 10, 0));
	assert_false(virtq__need_event(5, 5, 0));
	assert_false(virtq__need_event(5, 9, 6));
	/* Across the 16-bit wrap. */
	assert_true(virtq__need_event(0xFFFF, 0, 0xFFFF));
	assert_true(virtq__need_event(0xFFFE, 2, 0xFFF0));
	assert_false(virtq__need_event(3, 2, 0xFFF0));
	assert_true(virtq__need_event(0, 1, 0xFFFF));
	assert_false(virtq__need_event(0x8000, 1, 0));
}

static void test_event_idx_notify(void **state)
{
	struct fixture *f = *state;
	uint64_t used_event = AVAIL + 4 + 2 * QSIZE;

	/* The first interrupt always goes out; then only when crossing used_event. */
	assert_int_equal(virtq__push(&f->vq, 0, 0, NULL), 0);
	assert_true(virtq__needs_notify(&f->vq));
	test_put16(&f->ram, used_event, 2);
	assert_int_equal(virtq__push(&f->vq, 0, 0, NULL), 0); /* used idx 2: event 2 not passed */
	assert_false(virtq__needs_notify(&f->vq));
	assert_int_equal(virtq__push(&f->vq, 0, 0, NULL), 0); /* 3 > 2 */
	assert_true(virtq__needs_notify(&f->vq));
	assert_false(virtq__needs_notify(&f->vq)); /* nothing new */
	/* NO_INTERRUPT is ignored with event index (2.7.10). */
	test_put16(&f->ram, AVAIL, VIRTQ_AVAIL_F_NO_INTERRUPT);
	test_put16(&f->ram, used_event, 3);
	assert_int_equal(virtq__push(&f->vq, 0, 0, NULL), 0);
	assert_true(virtq__needs_notify(&f->vq));
}

static void test_event_idx_wrap(void **state)
{
	struct fixture *f = *state;
	uint64_t used_event = AVAIL + 4 + 2 * QSIZE;

	f->vq.used_idx = 0xFFFE;
	f->vq.signalled_used = 0xFFFE;
	f->vq.signalled_valid = true;
	test_put16(&f->ram, used_event, 0xFFFF);
	assert_int_equal(virtq__push(&f->vq, 0, 0, NULL), 0); /* 0xFFFF */
	assert_false(virtq__needs_notify(&f->vq));
	assert_int_equal(virtq__push(&f->vq, 0, 0, NULL), 0); /* 0x0000: passed 0xFFFF */
	assert_true(virtq__needs_notify(&f->vq));
}

static void test_avail_event_published(void **state)
{
	struct fixture *f = *state;
	uint64_t avail_event = USED + 4 + 8 * QSIZE;

	assert_int_equal(virtq__pop(&f->vq, &f->chain, NULL), 0);
	assert_int_equal(test_get16(&f->ram, avail_event), 0);
	test_desc(&f->ram, DESC, 0, BUF, 8, 0, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	pop_ok(f);
	assert_int_equal(test_get16(&f->ram, avail_event), 1);
	pop_ok(f);
	assert_int_equal(test_get16(&f->ram, avail_event), 2);
}

/* ---- device dirty tracking (core/dirty_track.h) ---- */

#define PAGES (TEST_RAM_SIZE / DIRTY_TRACK_PAGE)

/* The pages set in a collected bitmap, as a list, for readable failures. */
static void expect_pages(struct dirty_track *t, const unsigned *want, size_t n)
{
	uint8_t bm[PAGES / 8] = {0};
	size_t k = 0;

	dirty_track__collect(t, bm);
	for (unsigned p = 0; p < PAGES; p++) {
		if (!(bm[p / 8] >> (p % 8) & 1))
			continue;
		if (k >= n || want[k] != p)
			fail_msg("page %u is dirty, expected %s %u", p, k < n ? "page" : "no more than",
				 k < n ? want[k] : (unsigned)n);
		k++;
	}
	if (k != n)
		fail_msg("page %u is not dirty", want[k]);
}

static void test_dirty_track_regions(void **state)
{
	struct test_ram ram;
	struct guest_mem two;
	struct dirty_track t = {0};
	cella_err_t err = NULL;
	uint8_t *hi;

	(void)state;
	test_ram_init(&ram);
	/* Two regions as guest_mem__init() makes above 3 GiB: 64 pages low, the rest at 4 GiB. */
	two = ram.mem;
	two.region[0].size = 64 * DIRTY_TRACK_PAGE;
	two.region[1] = (struct guest_mem_region){.gpa = GUEST_MEM_HIGH_START,
						  .size = TEST_RAM_SIZE - 64 * DIRTY_TRACK_PAGE,
						  .host = ram.host + 64 * 4096};
	two.nregions = 2;
	hi = two.region[1].host;
	dirty_track__mark(&t, ram.host, 1); /* not logging yet: nothing */
	dirty_track__mark(NULL, ram.host, 1);
	assert_int_equal(dirty_track__start(&t, &two, &err), 0);
	expect_pages(&t, NULL, 0);
	dirty_track__mark(&t, ram.host + 5, 1);			   /* inside page 0 */
	dirty_track__mark(&t, ram.host + 2 * 4096 - 1, 2);	   /* straddles pages 1 and 2 */
	dirty_track__mark(&t, ram.host + 10 * 4096, 4096);	   /* exactly page 10 */
	dirty_track__mark(&t, ram.host + 20 * 4096, 0);		   /* empty: nothing */
	dirty_track__mark(&t, ram.host + 63 * 4096 + 4000, 200);   /* past region 0's end: clamped */
	dirty_track__mark(&t, hi, 1);				   /* region 1's first page: bit 64 */
	dirty_track__mark(&t, hi + 3 * 4096 + 1, 2 * 4096);	   /* three pages of region 1 */
	dirty_track__mark(&t, hi + (PAGES - 65) * 4096, SIZE_MAX); /* the last page, huge length clamped */
	dirty_track__mark(&t, ram.host + TEST_RAM_SIZE, 1);	   /* outside every region: ignored */
	dirty_track__mark(&t, ram.host - 1, 1);
	expect_pages(&t, (const unsigned[]){0, 1, 2, 10, 63, 64, 67, 68, 69, PAGES - 1}, 10);
	/* Collecting cleared them; marking the same page twice sets one bit. */
	expect_pages(&t, NULL, 0);
	dirty_track__mark(&t, hi + 4096, 8);
	dirty_track__mark(&t, hi + 4096 + 8, 8);
	expect_pages(&t, (const unsigned[]){65}, 1);
	/* A restart with the same layout keeps the bitmap; another layout is refused. */
	dirty_track__mark(&t, ram.host, 1);
	assert_int_equal(dirty_track__start(&t, &two, &err), 0);
	expect_pages(&t, (const unsigned[]){0}, 1);
	assert_true(dirty_track__start(&t, &ram.mem, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "layout changed"));
	cella_error_release(&err);
	dirty_track__destroy(&t);
	dirty_track__mark(&t, ram.host, 1); /* after destroy: not logging, nothing touched */
	test_ram_free(&ram);
}

/* Pop marks the writable buffers (not the readable ones) and avail_event; push the used element and idx. */
static void test_dirty_pop_push(void **state)
{
	struct fixture *f = *state;
	struct dirty_track t = {0};
	cella_err_t err = NULL;

	/* Set before enable, as the VMM does at attach time: enable (a reset) keeps it. */
	f->vq.dirty = &t;
	assert_int_equal(virtq__enable(&f->vq, &f->ram.mem, QSIZE, DESC, AVAIL, USED,
				       VIRTIO_BIT(VIRTIO_F_EVENT_IDX), &err),
			 0);
	assert_ptr_equal(f->vq.dirty, &t);
	assert_int_equal(dirty_track__start(&t, &f->ram.mem, &err), 0);
	test_desc(&f->ram, DESC, 2, 0x50000, 4096, VIRTQ_DESC_F_NEXT, 4); /* read: page 0x50 */
	test_desc(&f->ram, DESC, 4, 0x60FFC, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 5); /* 0x60, 0x61 */
	test_desc(&f->ram, DESC, 5, 0x70000, 0x2001, VIRTQ_DESC_F_WRITE, 0);		    /* 0x70..0x72 */
	test_avail_add(&f->ram, AVAIL, QSIZE, 2);
	pop_ok(f);
	/* avail_event at USED + 4 + 8 * QSIZE: page 3, like the used ring. */
	expect_pages(&t, (const unsigned[]){USED / 4096, 0x60, 0x61, 0x70, 0x71, 0x72}, 6);
	assert_int_equal(virtq__push_chain(&f->vq, &f->chain, 12, &err), 0);
	expect_pages(&t, (const unsigned[]){USED / 4096}, 1);
	/* A device reset keeps the tracker; an empty pop publishing avail_event marks its page. */
	virtq__reset(&f->vq);
	assert_ptr_equal(f->vq.dirty, &t);
	test_put16(&f->ram, AVAIL + 2, 0); /* the driver's fresh rings */
	assert_int_equal(virtq__enable(&f->vq, &f->ram.mem, QSIZE, DESC, AVAIL, USED,
				       VIRTIO_BIT(VIRTIO_F_EVENT_IDX), &err),
			 0);
	assert_int_equal(virtq__pop(&f->vq, &f->chain, &err), 0);
	expect_pages(&t, (const unsigned[]){USED / 4096}, 1);
	dirty_track__destroy(&t);
}

/* Until logging starts (the first full snapshot) pops and pushes mark nothing. */
static void test_dirty_not_logging(void **state)
{
	struct fixture *f = *state;
	struct dirty_track t = {0};
	cella_err_t err = NULL;

	f->vq.dirty = &t;
	test_desc(&f->ram, DESC, 1, 0x40000, 64, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 1);
	pop_ok(f);
	assert_int_equal(virtq__push_chain(&f->vq, &f->chain, 64, &err), 0);
	assert_int_equal(dirty_track__start(&t, &f->ram.mem, &err), 0);
	expect_pages(&t, NULL, 0);
	dirty_track__destroy(&t);
}

/* Chains still held at a snapshot (net rx buffers) are marked again after the collect cleared them. */
static void test_dirty_mark_held(void **state)
{
	struct fixture *f = *state;
	struct dirty_track t = {0};
	cella_err_t err = NULL;

	f->vq.dirty = &t;
	assert_int_equal(dirty_track__start(&t, &f->ram.mem, &err), 0);
	test_desc(&f->ram, DESC, 0, 0x40000, 16, VIRTQ_DESC_F_WRITE, 0);
	test_desc(&f->ram, DESC, 1, 0x41000, 16, VIRTQ_DESC_F_WRITE, 0);
	test_desc(&f->ram, DESC, 2, 0x42000, 16, VIRTQ_DESC_F_NEXT, 3); /* readable: never marked */
	test_desc(&f->ram, DESC, 3, 0x43000, 0x1001, VIRTQ_DESC_F_WRITE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 0);
	test_avail_add(&f->ram, AVAIL, QSIZE, 1);
	test_avail_add(&f->ram, AVAIL, QSIZE, 2);
	pop_ok(f);
	pop_ok(f);
	pop_ok(f);
	expect_pages(&t, (const unsigned[]){0x40, 0x41, 0x43, 0x44}, 4);
	/* The device holds the last two (as net's stash would): they alone come back. */
	assert_int_equal(virtq__dirty_mark_held(&f->vq, 2, &err), 0);
	expect_pages(&t, (const unsigned[]){0x41, 0x43, 0x44}, 3);
	/* More than the queue holds is clamped; none held marks nothing. */
	assert_int_equal(virtq__dirty_mark_held(&f->vq, 0, &err), 0);
	expect_pages(&t, NULL, 0);
	assert_int_equal(virtq__dirty_mark_held(&f->vq, 1000, &err), 0);
	expect_pages(&t, (const unsigned[]){0x40, 0x41, 0x43, 0x44}, 4);
	/* A held slot the guest corrupted since is skipped, and the queue stays usable. */
	test_desc(&f->ram, DESC, 1, 0x41000, 16, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, QSIZE + 5);
	assert_int_equal(virtq__dirty_mark_held(&f->vq, 2, &err), 0);
	assert_false(f->vq.broken);
	expect_pages(&t, (const unsigned[]){0x43, 0x44}, 2);
	/* Without a tracker it is a no-op. */
	f->vq.dirty = NULL;
	assert_int_equal(virtq__dirty_mark_held(&f->vq, 2, &err), 0);
	dirty_track__destroy(&t);
}

#define T(fn)	    cmocka_unit_test_setup_teardown(fn, setup, teardown)
#define T_PLAIN(fn) cmocka_unit_test_setup_teardown(fn, setup_plain, teardown)
#define T_EVENT(fn) cmocka_unit_test_setup_teardown(fn, setup_event_idx, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_enable_validation),
		T(test_empty_queue),
		T(test_direct_chain),
		T(test_indirect_chain),
		T(test_mixed_chain),
		T_PLAIN(test_indirect_without_feature),
		T(test_nested_indirect),
		T(test_indirect_with_next),
		T(test_indirect_len_zero),
		T(test_indirect_len_odd),
		T(test_indirect_len_too_big),
		T(test_indirect_table_outside_ram),
		T(test_indirect_next_out_of_table),
		T(test_direct_loop),
		T(test_self_loop_zero_length),
		T(test_indirect_loop),
		T(test_next_out_of_range),
		T(test_buffer_past_ram_end),
		T(test_buffer_in_hole),
		T(test_buffer_address_wraps),
		T(test_buffer_huge_len),
		T(test_zero_length_descriptor),
		T(test_chain_too_long),
		T(test_longest_chain),
		T(test_read_after_write),
		T(test_read_after_write_across_indirect),
		T(test_head_out_of_range),
		T(test_avail_idx_jump),
		T(test_reset_clears_broken),
		T(test_push),
		T(test_push_after_reset_refused),
		T(test_index_wrap),
		T(test_notify_no_interrupt_flag),
		cmocka_unit_test(test_need_event_math),
		T_EVENT(test_event_idx_notify),
		T_EVENT(test_event_idx_wrap),
		T_EVENT(test_avail_event_published),
		cmocka_unit_test(test_dirty_track_regions),
		T(test_dirty_pop_push),
		T(test_dirty_not_logging),
		T(test_dirty_mark_held),
	};

	return cmocka_run_group_tests_name("vmm-virtio-virtqueue", tests, NULL, NULL);
}
