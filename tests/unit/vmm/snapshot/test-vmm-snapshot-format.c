/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The state file: sections round-trip, and every kind of damage (flipped
 * bytes anywhere, truncation at every length, wrong magic, newer version,
 * overlapping or out-of-bounds sections, random mutations) is refused with a
 * clear message and without a crash.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include <cella/cleanup.h>

#include "snapshot/format.h"
#include "snapshot/snapshot.h"
#include "snapshot-test.h"

struct fixture {
	char *tmp;
	char *snap;  /* tmp/snap */
	char *state; /* tmp/snap/state */
};

static const uint8_t big_section[100000] = {[0] = 1, [4095] = 2, [99999] = 3};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->tmp = snaptest_mkdtemp()) == NULL)
		return -1;
	if (asprintf(&f->snap, "%s/snap", f->tmp) < 0 || asprintf(&f->state, "%s/snap/state", f->tmp) < 0)
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	snaptest_rmtree(f->tmp);
	free(f->tmp);
	free(f->snap);
	free(f->state);
	free(f);
	return 0;
}

/* A small snapshot: three sections, one empty, one large. */
static void write_sample(const char *dir)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_writer *w = NULL;
	const char regs[] = "rax=1 rbx=2";
	uint32_t serial = 0x12345678;

	assert_int_equal(vmm_snapshot__writer_begin(dir, &w, &err), 0);
	assert_int_equal(vmm_snapshot__add_section(w, "vcpu.0.regs", 3, regs, sizeof(regs), &err), 0);
	assert_int_equal(vmm_snapshot__add_section(w, "dev.serial0", 1, &serial, sizeof(serial), &err), 0);
	assert_int_equal(vmm_snapshot__add_section(w, "vm.pit", 2, NULL, 0, &err), 0);
	assert_int_equal(vmm_snapshot__add_section(w, "dev.blk0", 7, big_section, sizeof(big_section), &err),
			 0);
	assert_int_equal(vmm_snapshot__commit(w, &err), 0);
}

/* Opens DIR expecting refusal; returns the message (owned by the caller's err). */
static void expect_refused(const char *dir, const char *needle)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_reader *r = NULL;

	if (vmm_snapshot__open(dir, &r, &err) == 0) {
		vmm_snapshot__close(r);
		fail_msg("a damaged snapshot was accepted (expected: %s)", needle);
	}
	assert_non_null(err);
	if (strstr(cella_error_string(err), needle) == NULL)
		fail_msg("message '%s' lacks '%s'", cella_error_string(err), needle);
	assert_non_null(strstr(cella_error_string(err), dir));
}

/* Recomputes the table and header checksums, so a test can forge a file that is only structurally wrong. */
static void reseal(unsigned char *buf, size_t len)
{
	uint64_t table_off = snapshot_get64(buf + SNAPSHOT_HDR_TABLE_OFF);

	snapshot_put32(buf + SNAPSHOT_HDR_TABLE_CRC,
		       (uint32_t)crc32(0, buf + table_off, (uInt)(len - table_off)));
	snapshot_put32(buf + SNAPSHOT_HEADER_SIZE - 4, (uint32_t)crc32(0, buf, SNAPSHOT_HEADER_SIZE - 4));
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_reader *r = NULL;
	const void *data;
	const char *name;
	uint32_t version;
	size_t len = 0;
	unsigned major, minor;

	write_sample(f->snap);
	assert_int_equal(vmm_snapshot__open(f->snap, &r, &err), 0);
	assert_int_equal(vmm_snapshot__section(r, "vcpu.0.regs", &version, &data, &len), 0);
	assert_int_equal(version, 3);
	assert_int_equal(len, sizeof("rax=1 rbx=2"));
	assert_string_equal(data, "rax=1 rbx=2");
	assert_int_equal(vmm_snapshot__section(r, "dev.serial0", &version, &data, &len), 0);
	assert_int_equal(len, 4);
	assert_int_equal(*(const uint32_t *)data, 0x12345678);
	assert_int_equal(vmm_snapshot__section(r, "vm.pit", &version, &data, &len), 0);
	assert_int_equal(version, 2);
	assert_int_equal(len, 0);
	assert_int_equal(vmm_snapshot__section(r, "dev.blk0", &version, &data, &len), 0);
	assert_int_equal(len, sizeof(big_section));
	assert_memory_equal(data, big_section, sizeof(big_section));
	assert_int_equal(vmm_snapshot__section(r, "dev.absent", &version, &data, &len), -ENOENT);
	assert_int_equal(vmm_snapshot__section_count(r), 4);
	assert_int_equal(vmm_snapshot__section_at(r, 1, &name, &version, &data, &len), 0);
	assert_string_equal(name, "dev.serial0");
	assert_int_equal(vmm_snapshot__section_at(r, 4, &name, &version, &data, &len), -ENOENT);
	assert_false(vmm_snapshot__has_memory(r));
	assert_false(vmm_snapshot__is_diff(r));
	vmm_snapshot__format_version(r, &major, &minor);
	assert_int_equal(major, 1);
	assert_int_equal(minor, 0);
	vmm_snapshot__close(r);
	/* Exactly the state file: no temporary directory left next to the snapshot. */
	assert_int_equal(snaptest_count_entries(f->tmp), 1);
	assert_int_equal(snaptest_count_entries(f->snap), 1);
}

static void test_writer_refuses_bad_names(void **state)
{
	struct fixture *f = *state;
	const char *bad[] = {"",
			     "UPPER",
			     "has space",
			     "slash/name",
			     "a-name-that-is-far-too-long-for-32",
			     "snapshot.memory"};
	struct vmm_snapshot_writer *w = NULL;
	_cleanup_error_ cella_err_t err = NULL;

	assert_int_equal(vmm_snapshot__writer_begin(f->snap, &w, &err), 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(vmm_snapshot__add_section(w, bad[i], 1, "x", 1, &err) < 0);
		assert_non_null(strstr(cella_error_string(err), bad[i]));
		cella_error_release(&err);
	}
	assert_int_equal(vmm_snapshot__add_section(w, "dev.a", 1, "x", 1, &err), 0);
	assert_true(vmm_snapshot__add_section(w, "dev.a", 1, "x", 1, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "added twice"));
	vmm_snapshot__abort(w);
	/* Aborting leaves nothing: not the snapshot, not a temporary directory. */
	assert_int_equal(snaptest_count_entries(f->tmp), 0);
}

static void test_writer_refuses_foreign_directory(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *precious = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_writer *w = NULL;

	assert_int_equal(mkdir(f->snap, 0700), 0);
	assert_true(asprintf(&precious, "%s/precious.txt", f->snap) > 0);
	assert_int_equal(snaptest_write_file(precious, "keep", 4), 0);
	assert_true(vmm_snapshot__writer_begin(f->snap, &w, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "precious.txt"));
	assert_int_equal(access(precious, F_OK), 0);
}

static void test_replace_previous(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_writer *w = NULL;
	struct vmm_snapshot_reader *r = NULL;
	const void *data;
	uint32_t version;
	size_t len = 0;

	write_sample(f->snap);
	assert_int_equal(vmm_snapshot__writer_begin(f->snap, &w, &err), 0);
	assert_int_equal(vmm_snapshot__add_section(w, "dev.new", 9, "new", 3, &err), 0);
	/* Until commit, the previous snapshot is what a reader sees. */
	assert_int_equal(vmm_snapshot__open(f->snap, &r, &err), 0);
	assert_int_equal(vmm_snapshot__section(r, "dev.new", &version, &data, &len), -ENOENT);
	vmm_snapshot__close(r);
	assert_int_equal(vmm_snapshot__commit(w, &err), 0);
	assert_int_equal(vmm_snapshot__open(f->snap, &r, &err), 0);
	assert_int_equal(vmm_snapshot__section(r, "dev.new", &version, &data, &len), 0);
	assert_int_equal(vmm_snapshot__section(r, "vcpu.0.regs", &version, &data, &len), -ENOENT);
	vmm_snapshot__close(r);
	assert_int_equal(snaptest_count_entries(f->tmp), 1);
}

static void test_missing_snapshot(void **state)
{
	struct fixture *f = *state;

	expect_refused(f->snap, "No such file");
}

static void test_wrong_magic(void **state)
{
	struct fixture *f = *state;
	size_t len = 0;
	_cleanup_free_ unsigned char *buf = NULL;

	write_sample(f->snap);
	buf = snaptest_read_file(f->state, &len);
	assert_non_null(buf);
	memcpy(buf, "NOTASNAP", 8);
	assert_int_equal(snaptest_write_file(f->state, buf, len), 0);
	expect_refused(f->snap, "bad magic");
}

static void test_newer_major_version(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ unsigned char *buf = NULL;
	_cleanup_free_ char *want = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_reader *r = NULL;
	size_t len = 0;

	write_sample(f->snap);
	buf = snaptest_read_file(f->state, &len);
	assert_non_null(buf);
	snapshot_put16(buf + SNAPSHOT_HDR_MAJOR, 2);
	snapshot_put16(buf + SNAPSHOT_HDR_MINOR, 0);
	reseal(buf, len);
	assert_int_equal(snaptest_write_file(f->state, buf, len), 0);
	assert_true(vmm_snapshot__open(f->snap, &r, &err) < 0);
	assert_true(asprintf(&want,
			     "snapshot %s: format version 2.0 is newer than this cella-vmm supports (1.x)",
			     f->snap) > 0);
	assert_string_equal(cella_error_string(err), want);
}

static void test_newer_minor_version_accepted(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ unsigned char *buf = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_reader *r = NULL;
	unsigned major, minor;
	size_t len = 0;

	/* A 1.x reader reads any 1.y file: minors only add what older readers may ignore. */
	write_sample(f->snap);
	buf = snaptest_read_file(f->state, &len);
	assert_non_null(buf);
	snapshot_put16(buf + SNAPSHOT_HDR_MINOR, 7);
	buf[SNAPSHOT_HDR_RESERVED1] = 0x5a; /* a field a 1.7 writer might fill */
	reseal(buf, len);
	assert_int_equal(snaptest_write_file(f->state, buf, len), 0);
	assert_int_equal(vmm_snapshot__open(f->snap, &r, &err), 0);
	vmm_snapshot__format_version(r, &major, &minor);
	assert_int_equal(minor, 7);
	vmm_snapshot__close(r);
}

static void test_every_flipped_byte_refused(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ unsigned char *orig = NULL;
	size_t len = 0;

	write_sample(f->snap);
	orig = snaptest_read_file(f->state, &len);
	assert_non_null(orig);
	/* Every byte is checksummed or required to be zero; the big section's middle is sampled to keep it fast. */
	for (size_t off = 0; off < len; off += (off > 300 && off < len - 400) ? 997 : 1) {
		_cleanup_free_ unsigned char *buf = malloc(len);
		_cleanup_error_ cella_err_t err = NULL;
		struct vmm_snapshot_reader *r = NULL;

		memcpy(buf, orig, len);
		buf[off] ^= 0x10;
		assert_int_equal(snaptest_write_file(f->state, buf, len), 0);
		if (vmm_snapshot__open(f->snap, &r, &err) == 0) {
			vmm_snapshot__close(r);
			fail_msg("flipping a bit at offset %zu went unnoticed", off);
		}
		assert_non_null(strstr(cella_error_string(err), f->snap));
	}
}

static void test_every_truncation_refused(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ unsigned char *orig = NULL;
	size_t len = 0;

	write_sample(f->snap);
	orig = snaptest_read_file(f->state, &len);
	assert_non_null(orig);
	for (size_t cut = 0; cut < len; cut += (cut > 300 && cut < len - 400) ? 1009 : 1) {
		assert_int_equal(snaptest_write_file(f->state, orig, cut), 0);
		expect_refused(f->snap, "truncated");
	}
}

static void test_trailing_data_refused(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ unsigned char *buf = NULL, *longer = NULL;
	size_t len = 0;

	write_sample(f->snap);
	buf = snaptest_read_file(f->state, &len);
	assert_non_null(buf);
	longer = calloc(1, len + 8);
	assert_non_null(longer);
	memcpy(longer, buf, len);
	assert_int_equal(snaptest_write_file(f->state, longer, len + 8), 0);
	expect_refused(f->snap, "trailing data");
}

/* Byte offset of table entry I in the file BUF. */
static unsigned char *entry(unsigned char *buf, unsigned i)
{
	return buf + snapshot_get64(buf + SNAPSHOT_HDR_TABLE_OFF) + (size_t)i * SNAPSHOT_ENTRY_SIZE;
}

static void forge(struct fixture *f, void (*edit)(unsigned char *buf, size_t len), const char *needle)
{
	_cleanup_free_ unsigned char *buf = NULL;
	size_t len = 0;

	write_sample(f->snap);
	buf = snaptest_read_file(f->state, &len);
	assert_non_null(buf);
	edit(buf, len);
	reseal(buf, len);
	assert_int_equal(snaptest_write_file(f->state, buf, len), 0);
	expect_refused(f->snap, needle);
}

static void edit_overlap(unsigned char *buf, size_t len)
{
	/* Entry 1 made to describe entry 0's bytes: data and checksum valid, but shared. */
	memcpy(entry(buf, 1) + SNAPSHOT_ENT_VERSION, entry(buf, 0) + SNAPSHOT_ENT_VERSION, 32);
}

static void edit_length_huge(unsigned char *buf, size_t len)
{
	snapshot_put64(entry(buf, 0) + SNAPSHOT_ENT_LENGTH, UINT64_MAX);
}

static void edit_offset_huge(unsigned char *buf, size_t len)
{
	snapshot_put64(entry(buf, 1) + SNAPSHOT_ENT_OFFSET, UINT64_MAX - 2);
}

static void edit_offset_in_header(unsigned char *buf, size_t len)
{
	snapshot_put64(entry(buf, 2) + SNAPSHOT_ENT_OFFSET, 8);
}

static void edit_count_huge(unsigned char *buf, size_t len)
{
	snapshot_put32(buf + SNAPSHOT_HDR_NSECTIONS, 0xffffffffU);
}

static void edit_count_off_by_one(unsigned char *buf, size_t len)
{
	snapshot_put32(buf + SNAPSHOT_HDR_NSECTIONS, snapshot_get32(buf + SNAPSHOT_HDR_NSECTIONS) + 1);
}

static void edit_table_offset(unsigned char *buf, size_t len)
{
	snapshot_put64(buf + SNAPSHOT_HDR_TABLE_OFF, UINT64_MAX - 7);
}

static void edit_duplicate_name(unsigned char *buf, size_t len)
{
	memcpy(entry(buf, 1), entry(buf, 0), SNAPSHOT_NAME_SIZE);
}

static void edit_name_unterminated(unsigned char *buf, size_t len)
{
	memset(entry(buf, 0), 'a', SNAPSHOT_NAME_SIZE);
}

static void edit_unknown_flag(unsigned char *buf, size_t len)
{
	snapshot_put32(buf + SNAPSHOT_HDR_FLAGS, 0x80);
}

static void edit_diff_without_bitmap(unsigned char *buf, size_t len)
{
	snapshot_put32(buf + SNAPSHOT_HDR_FLAGS, SNAPSHOT_FLAG_DIFF);
}

static void edit_header_size(unsigned char *buf, size_t len)
{
	/* Moves where the header checksum lives; reseal() writes it at the 1.0 place, so fix it here too. */
	snapshot_put32(buf + SNAPSHOT_HDR_SIZE, 1U << 20);
}

static void test_forged_tables_refused(void **state)
{
	struct fixture *f = *state;

	forge(f, edit_overlap, "overlaps");
	forge(f, edit_length_huge, "outside the data area");
	forge(f, edit_offset_huge, "outside the data area");
	forge(f, edit_offset_in_header, "outside the data area");
	forge(f, edit_count_huge, "at most");
	forge(f, edit_count_off_by_one, "does not fit");
	forge(f, edit_table_offset, "does not fit");
	forge(f, edit_duplicate_name, "appears twice");
	forge(f, edit_name_unterminated, "invalid name");
	forge(f, edit_unknown_flag, "unknown header flags");
	forge(f, edit_diff_without_bitmap, "inconsistent diff");
	forge(f, edit_header_size, "header size");
}

/* xorshift64*: a fixed seed keeps the mutation sequence, and so any failure, reproducible. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static void test_random_mutations(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ unsigned char *orig = NULL;
	uint64_t seed = 0xC311A5EEDULL;
	size_t len = 0;

	write_sample(f->snap);
	orig = snaptest_read_file(f->state, &len);
	assert_non_null(orig);
	for (unsigned iter = 0; iter < 3000; iter++) {
		_cleanup_free_ unsigned char *buf = malloc(len + 64);
		_cleanup_error_ cella_err_t err = NULL;
		struct vmm_snapshot_reader *r = NULL;
		size_t n = len;
		unsigned edits = 1 + rng_next(&seed) % 4;

		memcpy(buf, orig, len);
		for (unsigned e = 0; e < edits; e++) {
			uint64_t v = rng_next(&seed);
			/* Bias towards header and table, where the parser's decisions are. */
			size_t off = (v & 1) ? (v >> 8) % 160 : (v >> 8) % n;

			switch ((v >> 4) % 5) {
			case 0:
				buf[off % n] ^= (unsigned char)(1U << ((v >> 40) % 8));
				break;
			case 1:
				buf[off % n] = (unsigned char)(v >> 48);
				break;
			case 2:
				n = off % n;
				break;
			case 3:
				if (n + 8 <= len + 64) {
					memset(buf + n, (int)(v >> 56), 8);
					n += 8;
				}
				break;
			default:
				snapshot_put64(buf + (off % (n > 8 ? n - 8 : 1)), v);
				break;
			}
			if (n == 0)
				break;
		}
		if (n == len && memcmp(buf, orig, len) == 0)
			continue; /* the edits cancelled out */
		assert_int_equal(snaptest_write_file(f->state, buf, n), 0);
		if (vmm_snapshot__open(f->snap, &r, &err) == 0) {
			vmm_snapshot__close(r);
			fail_msg("mutation %u (seed 0xC311A5EED) was accepted", iter);
		}
		assert_non_null(strstr(cella_error_string(err), f->snap));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_refuses_bad_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_refuses_foreign_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replace_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_snapshot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_major_version, setup, teardown),
		cmocka_unit_test_setup_teardown(test_newer_minor_version_accepted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_flipped_byte_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_truncation_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trailing_data_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_forged_tables_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_random_mutations, setup, teardown),
	};

	return cmocka_run_group_tests_name("vmm-snapshot-format", tests, NULL, NULL);
}
