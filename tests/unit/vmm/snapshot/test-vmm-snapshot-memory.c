/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Guest memory in snapshots: a 256 MiB round trip through a sparse memory
 * file and a MAP_PRIVATE restore, diff snapshots and their merge, and the
 * previous snapshot surviving a snapshot that fails part-way.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <cella/cleanup.h>

#include "snapshot/format.h"
#include "snapshot/snapshot.h"
#include "snapshot-test.h"

#define PAGE 4096UL
#define MiB  (1UL << 20)

struct vm_ram {
	uint8_t *host;
	size_t size;
	struct guest_mem mem;
};

/* Guest RAM as the VMM has it: a shared memfd mapping. */
static void ram_create(struct vm_ram *ram, size_t size)
{
	_cleanup_close_ int fd = memfd_create("snaptest-ram", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)size), 0);
	ram->host = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	assert_true(ram->host != MAP_FAILED);
	ram->size = size;
	guest_mem__init(&ram->mem, ram->host, size);
}

static void ram_destroy(struct vm_ram *ram)
{
	munmap(ram->host, ram->size);
}

/* A recognisable, page-specific pattern on every STRIDE-th page, plus one fully written MiB (at 5 MiB or the middle). */
static void ram_fill(struct vm_ram *ram, unsigned stride, uint8_t salt)
{
	for (size_t p = 0; p < ram->size / PAGE; p += stride) {
		uint64_t tag = ((uint64_t)salt << 56) | p;

		memcpy(ram->host + p * PAGE, &tag, sizeof(tag));
		ram->host[p * PAGE + PAGE - 1] = salt;
	}
	memset(ram->host + (ram->size > 6 * MiB ? 5 * MiB : ram->size / 2 - MiB / 2), salt | 1, MiB);
}

struct fixture {
	char *tmp;
	char *snap;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL || (f->tmp = snaptest_mkdtemp()) == NULL || asprintf(&f->snap, "%s/snap", f->tmp) < 0)
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
	free(f);
	return 0;
}

static void snapshot_ram(const char *dir, const struct vm_ram *ram, const uint8_t *dirty, const char *base)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_writer *w = NULL;

	assert_int_equal(vmm_snapshot__writer_begin(dir, &w, &err), 0);
	assert_int_equal(vmm_snapshot__add_section(w, "vcpu.0.regs", 1, "regs", 4, &err), 0);
	if (vmm_snapshot__write_memory(w, &ram->mem, dirty, base, &err) < 0) {
		vmm_snapshot__abort(w);
		fail_msg("%s", cella_error_string(err));
	}
	assert_int_equal(vmm_snapshot__commit(w, &err), 0);
}

/* Restores DIR and compares it with EXPECT byte for byte. */
static void expect_restores_to(const char *dir, const uint8_t *expect, size_t size)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_reader *r = NULL;
	struct guest_mem mem;

	assert_int_equal(vmm_snapshot__open(dir, &r, &err), 0);
	assert_int_equal(vmm_snapshot__verify_memory(r, &err), 0);
	assert_int_equal(vmm_snapshot__map_memory(r, &mem, &err), 0);
	assert_int_equal(mem.ram_size, size);
	assert_int_equal(memcmp(mem.region[0].host, expect, size), 0);
	vmm_snapshot__unmap_memory(&mem);
	vmm_snapshot__close(r);
}

static void test_round_trip_256m(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *memfile = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_reader *r = NULL;
	struct guest_mem mem;
	struct vm_ram ram;
	struct stat st;
	uint8_t before[64], after[64];
	_cleanup_close_ int fd = -1;

	ram_create(&ram, 256 * MiB);
	ram_fill(&ram, 64, 0xa0);
	snapshot_ram(f->snap, &ram, NULL, NULL);

	assert_true(asprintf(&memfile, "%s/memory", f->snap) > 0);
	assert_int_equal(stat(memfile, &st), 0);
	assert_int_equal(st.st_size, 256 * MiB);
	/* Sparse: about 1 MiB + 1024 pages were non-zero; allow for file systems that allocate in larger blocks. */
	assert_true((uint64_t)st.st_blocks * 512 < 64 * MiB);

	assert_int_equal(vmm_snapshot__open(f->snap, &r, &err), 0);
	assert_true(vmm_snapshot__has_memory(r));
	assert_int_equal(vmm_snapshot__verify_memory(r, &err), 0);
	assert_int_equal(vmm_snapshot__map_memory(r, &mem, &err), 0);
	assert_int_equal(mem.nregions, 1);
	assert_int_equal(mem.ram_size, 256 * MiB);
	assert_int_equal(memcmp(mem.region[0].host, ram.host, ram.size), 0);

	/* A guest write after restore stays private: the snapshot's file is unchanged. */
	fd = open(memfile, O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, before, sizeof(before), 5 * MiB), sizeof(before));
	memset(mem.region[0].host + 5 * MiB, 0xee, 2 * PAGE);
	assert_int_equal(pread(fd, after, sizeof(after), 5 * MiB), sizeof(after));
	assert_memory_equal(before, after, sizeof(before));
	assert_int_equal(vmm_snapshot__verify_memory(r, &err), 0);

	vmm_snapshot__unmap_memory(&mem);
	vmm_snapshot__close(r);
	ram_destroy(&ram);
}

static void set_dirty(uint8_t *bitmap, size_t page)
{
	bitmap[page / 8] |= (uint8_t)(1U << (page % 8));
}

static void test_diff_and_merge(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *diff = NULL, *other = NULL;
	_cleanup_free_ uint8_t *base_copy = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_reader *r = NULL;
	const size_t size = 16 * MiB;
	uint8_t bitmap[16 * MiB / PAGE / 8] = {0};
	struct guest_mem mem;
	struct vm_ram ram;
	const void *data;
	uint32_t version;
	size_t len;

	assert_true(asprintf(&diff, "%s/diff", f->tmp) > 0);
	assert_true(asprintf(&other, "%s/other", f->tmp) > 0);
	ram_create(&ram, size);
	ram_fill(&ram, 3, 0x10);
	snapshot_ram(f->snap, &ram, NULL, NULL);
	base_copy = malloc(size);
	assert_non_null(base_copy);
	memcpy(base_copy, ram.host, size);

	/* The guest runs on: a zero page written, a written page zeroed, a page rewritten, a page merely touched. */
	ram.host[1 * PAGE + 100] = 0x77;
	set_dirty(bitmap, 1);
	memset(ram.host + 3 * PAGE, 0, PAGE);
	set_dirty(bitmap, 3);
	memset(ram.host + 4095 * PAGE, 0x99, PAGE);
	set_dirty(bitmap, 4095);
	set_dirty(bitmap, 6);
	snapshot_ram(diff, &ram, bitmap, f->snap);

	assert_int_equal(vmm_snapshot__open(diff, &r, &err), 0);
	assert_true(vmm_snapshot__is_diff(r));
	assert_int_equal(vmm_snapshot__verify_memory(r, &err), 0);
	assert_true(vmm_snapshot__map_memory(r, &mem, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "diff snapshot"));
	cella_error_release(&err);
	vmm_snapshot__close(r);

	/* A diff only merges onto the snapshot it was taken against. */
	snapshot_ram(other, &ram, NULL, NULL);
	assert_true(vmm_snapshot__merge_diff(other, diff, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "was taken against"));
	cella_error_release(&err);

	assert_int_equal(vmm_snapshot__merge_diff(f->snap, diff, &err), 0);
	expect_restores_to(diff, ram.host, size);
	expect_restores_to(f->snap, base_copy, size);
	assert_int_equal(vmm_snapshot__open(diff, &r, &err), 0);
	assert_false(vmm_snapshot__is_diff(r));
	assert_int_equal(vmm_snapshot__section(r, "vcpu.0.regs", &version, &data, &len), 0);
	assert_int_equal(vmm_snapshot__section(r, SNAPSHOT_SEC_DIRTY, &version, &data, &len), -ENOENT);
	vmm_snapshot__close(r);
	/* snap, diff, other: no temporary directories left. */
	assert_int_equal(snaptest_count_entries(f->tmp), 3);
	ram_destroy(&ram);
}

static void test_failed_snapshot_keeps_previous(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_writer *w = NULL;
	_cleanup_free_ uint8_t *first = NULL;
	struct rlimit old, small = {.rlim_cur = 2 * MiB, .rlim_max = RLIM_INFINITY};
	struct sigaction ign = {.sa_handler = SIG_IGN}, prev;
	struct vm_ram ram;
	int ret;

	ram_create(&ram, 16 * MiB);
	ram_fill(&ram, 1, 0x30);
	snapshot_ram(f->snap, &ram, NULL, NULL);
	first = malloc(ram.size);
	assert_non_null(first);
	memcpy(first, ram.host, ram.size);

	/*
	 * A file size limit makes sizing the memory file fail after the state file
	 * was started (EFBIG; the full-disk case, ENOSPC part-way through the
	 * memory, is tests/integration/vmm_snapshot_format.sh).
	 */
	ram_fill(&ram, 1, 0x40);
	assert_int_equal(sigaction(SIGXFSZ, &ign, &prev), 0);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	small.rlim_max = old.rlim_max;
	assert_int_equal(vmm_snapshot__writer_begin(f->snap, &w, &err), 0);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &small), 0);
	ret = vmm_snapshot__write_memory(w, &ram.mem, NULL, NULL, &err);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_equal(sigaction(SIGXFSZ, &prev, NULL), 0);
	assert_true(ret < 0);
	assert_non_null(strstr(cella_error_string(err), "File too large"));
	assert_non_null(strstr(cella_error_string(err), f->snap));
	vmm_snapshot__abort(w);

	assert_int_equal(snaptest_count_entries(f->tmp), 1);
	expect_restores_to(f->snap, first, ram.size);
	ram_destroy(&ram);
}

static void test_damaged_memory_file(void **state)
{
	struct fixture *f = *state;
	_cleanup_free_ char *memfile = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_reader *r = NULL;
	struct vm_ram ram;
	_cleanup_close_ int fd = -1;
	uint8_t byte = 0x5a;

	ram_create(&ram, 4 * MiB);
	ram_fill(&ram, 7, 0x50);
	snapshot_ram(f->snap, &ram, NULL, NULL);
	assert_true(asprintf(&memfile, "%s/memory", f->snap) > 0);

	/* A flipped byte in guest memory: open stays fast (no full read), verify finds it. */
	fd = open(memfile, O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, &byte, 1, 2 * MiB + 17), 1);
	assert_int_equal(vmm_snapshot__open(f->snap, &r, &err), 0);
	assert_true(vmm_snapshot__verify_memory(r, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "checksum mismatch"));
	cella_error_release(&err);
	vmm_snapshot__close(r);

	/* A truncated memory file is refused at open. */
	assert_int_equal(ftruncate(fd, 3 * MiB), 0);
	assert_true(vmm_snapshot__open(f->snap, &r, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "truncated"));
	cella_error_release(&err);

	/* So is a missing one. */
	assert_int_equal(unlink(memfile), 0);
	assert_true(vmm_snapshot__open(f->snap, &r, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "memory file"));
	ram_destroy(&ram);
}

static void test_rejects_bad_layout(void **state)
{
	struct fixture *f = *state;
	_cleanup_error_ cella_err_t err = NULL;
	struct vmm_snapshot_writer *w = NULL;
	struct vm_ram ram;
	struct guest_mem odd;
	uint8_t bitmap[1] = {1};

	ram_create(&ram, 1 * MiB);
	assert_int_equal(vmm_snapshot__writer_begin(f->snap, &w, &err), 0);
	odd = ram.mem;
	odd.region[0].gpa = 0x1000;
	assert_true(vmm_snapshot__write_memory(w, &odd, NULL, NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "laid out"));
	cella_error_release(&err);
	odd = ram.mem;
	odd.ram_size = odd.region[0].size = 1000;
	assert_true(vmm_snapshot__write_memory(w, &odd, NULL, NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "multiple of"));
	cella_error_release(&err);
	assert_true(vmm_snapshot__write_memory(w, &ram.mem, bitmap, NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "needs its base"));
	vmm_snapshot__abort(w);
	assert_int_equal(snaptest_count_entries(f->tmp), 0);
	ram_destroy(&ram);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip_256m, setup, teardown),
		cmocka_unit_test_setup_teardown(test_diff_and_merge, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_snapshot_keeps_previous, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_memory_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rejects_bad_layout, setup, teardown),
	};

	return cmocka_run_group_tests_name("vmm-snapshot-memory", tests, NULL, NULL);
}
