// SPDX-License-Identifier: GPL-2.0-or-later
/* The storage pool's choice and record (<root>/storage-pool), and the subvolume-aware rm -rf, off btrfs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include <cella/file.h>

#include "storage.h"
#include "storage_driver.h"
#include "util.h"

struct pool {
	char root[64];
	char images[96], instances[96], marker[96];
	struct cellad d;
};

static int setup(void **state)
{
	struct pool *p = calloc(1, sizeof(*p));
	cella_err_t err = NULL;

	if (p == NULL)
		return -1;
	snprintf(p->root, sizeof(p->root), "/tmp/test-daemon-storage.XXXXXX");
	if (mkdtemp(p->root) == NULL) {
		free(p);
		return -1;
	}
	snprintf(p->images, sizeof(p->images), "%s/images", p->root);
	snprintf(p->instances, sizeof(p->instances), "%s/instances", p->root);
	snprintf(p->marker, sizeof(p->marker), "%s/storage-pool", p->root);
	p->d.root = p->root;
	p->d.images_dir = p->images;
	p->d.instances_dir = p->instances;
	*state = p;
	/* teardown frees p (and the root) whatever happens next */
	if (mkdir(p->images, 0700) < 0 || mkdir(p->instances, 0711) < 0 ||
	    cellad_storage_request("auto", &err) < 0) {
		cella_error_release(&err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	struct pool *p = *state;
	cella_err_t err = NULL;
	int ret = cellad_rm_rf(p->root, &err);

	cella_error_release(&err);
	free(p);
	return ret;
}

static char *marker(struct pool *p)
{
	char *text = NULL;
	cella_err_t err = NULL;

	if (cella_file_read(p->marker, 64, &text, NULL, &err) < 0)
		cella_error_release(&err);
	return text;
}

static void expect_open_error(struct pool *p, const char *needle)
{
	cella_err_t err = NULL;

	assert_true(cellad_storage_open(&p->d, &err) < 0);
	if (strstr(cella_error_string(err), needle) == NULL)
		fail_msg("error '%s' does not say '%s'", cella_error_string(err), needle);
	cella_error_release(&err);
}

static void test_request_values(void **state)
{
	cella_err_t err = NULL;

	(void)state;
	assert_int_equal(cellad_storage_request("dir", &err), 0);
	assert_int_equal(cellad_storage_request("btrfs", &err), 0);
	assert_int_equal(cellad_storage_request("auto", &err), 0);
	assert_true(cellad_storage_request("zfs", &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "--storage 'zfs': expected 'dir', 'btrfs' or 'auto': Invalid argument");
	cella_error_release(&err);
	assert_true(cellad_storage_request("", &err) < 0);
	cella_error_release(&err);
}

/* Off btrfs, auto records dir; the record then wins over auto and refuses another driver. */
static void test_auto_records_dir(void **state)
{
	struct pool *p = *state;
	cella_err_t err = NULL;
	char *text;

	if (cellad_btrfs_is_fs(p->root))
		skip();
	assert_int_equal(cellad_storage_open(&p->d, &err), 0);
	assert_int_equal(cellad_storage_kind(), CELLAD_STORAGE_DIR);
	text = marker(p);
	assert_non_null(text);
	assert_string_equal(text, "dir\n");
	free(text);
	assert_int_equal(cellad_storage_open(&p->d, &err), 0);
	assert_int_equal(cellad_storage_request("btrfs", &err), 0);
	expect_open_error(p, "--storage btrfs: the pool of");
	assert_int_equal(cellad_storage_request("dir", &err), 0);
	assert_int_equal(cellad_storage_open(&p->d, &err), 0);
}

static void test_btrfs_refused_off_btrfs(void **state)
{
	struct pool *p = *state;
	cella_err_t err = NULL;

	if (cellad_btrfs_is_fs(p->root))
		skip();
	assert_int_equal(cellad_storage_request("btrfs", &err), 0);
	expect_open_error(p, "is not on a btrfs file system");
	/* Nothing recorded by a refused choice. */
	assert_int_equal(access(p->marker, F_OK), -1);
}

static void test_bad_record(void **state)
{
	struct pool *p = *state;
	cella_err_t err = NULL;

	assert_int_equal(cella_file_write_atomic(p->marker, "zfs\n", 4, 0600, &err), 0);
	expect_open_error(p, "unknown storage pool 'zfs'");
	assert_int_equal(cella_file_write_atomic(p->marker, "btrfs\n", 6, 0600, &err), 0);
	if (!cellad_btrfs_is_fs(p->root))
		expect_open_error(p, "records a btrfs pool, but");
}

/* A root with instances from before the record stays dir, whatever the file system. */
static void test_used_root_stays_dir(void **state)
{
	struct pool *p = *state;
	cella_err_t err = NULL;
	char path[160];

	snprintf(path, sizeof(path), "%s/old", p->instances);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(cellad_storage_open(&p->d, &err), 0);
	assert_int_equal(cellad_storage_kind(), CELLAD_STORAGE_DIR);
}

static void test_rm_rf_plain_tree(void **state)
{
	struct pool *p = *state;
	cella_err_t err = NULL;
	char path[160];

	snprintf(path, sizeof(path), "%s/tree/a/b", p->root);
	assert_int_equal(cellad_mkdir_p(path, 0700, &err), 0);
	snprintf(path, sizeof(path), "%s/tree", p->root);
	assert_false(cellad_btrfs_is_subvolume(path));
	assert_int_equal(cellad_storage_rm_rf(path, &err), 0);
	assert_int_equal(access(path, F_OK), -1);
	/* Already gone: nothing to do. */
	assert_int_equal(cellad_storage_rm_rf(path, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_values),
		cmocka_unit_test_setup_teardown(test_auto_records_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_btrfs_refused_off_btrfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_used_root_stays_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rm_rf_plain_tree, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
