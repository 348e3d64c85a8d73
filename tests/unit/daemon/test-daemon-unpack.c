// SPDX-License-Identifier: GPL-2.0-or-later
/* Image unpacking on real files: normal trees, hostile archives, tree copies and their fingerprints. */
#include <archive.h>
#include <archive_entry.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cmocka.h>

#include "images.h"
#include "util.h"

struct fixture {
	char dir[64];
	char tar[128];
	char dest[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	snprintf(f->dir, sizeof(f->dir), "/tmp/cellad-unpack-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->tar, sizeof(f->tar), "%s/image.tar", f->dir);
	snprintf(f->dest, sizeof(f->dest), "%s/rootfs", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	cellad_rm_rf(f->dir, &err);
	cella_error_release(&err);
	free(f);
	return 0;
}

struct entry {
	const char *name;
	mode_t type;
	const char *data; /* file content, or link target */
};

static void write_tar(const char *path, const struct entry *entries, size_t n)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();

	archive_write_set_format_pax_restricted(a);
	assert_int_equal(archive_write_open_filename(a, path), ARCHIVE_OK);
	for (size_t i = 0; i < n; i++) {
		archive_entry_clear(e);
		archive_entry_set_pathname(e, entries[i].name);
		archive_entry_set_filetype(e, entries[i].type);
		archive_entry_set_perm(e, entries[i].type == AE_IFDIR ? 0755 : 0644);
		if (entries[i].type == AE_IFLNK)
			archive_entry_set_symlink(e, entries[i].data);
		if (entries[i].type == AE_IFREG)
			archive_entry_set_size(e, (la_int64_t)strlen(entries[i].data));
		if (entries[i].type == AE_IFCHR)
			archive_entry_set_rdev(e, makedev(1, 3));
		assert_int_equal(archive_write_header(a, e), ARCHIVE_OK);
		if (entries[i].type == AE_IFREG)
			archive_write_data(a, entries[i].data, strlen(entries[i].data));
	}
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
}

static char *read_text(const char *dir, const char *name)
{
	static char buf[256];
	char path[512];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (f == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int progress_calls;
static int last_percent;

static void progress(void *ctx, int percent, unsigned long long bytes, unsigned long long entries)
{
	progress_calls++;
	last_percent = percent;
}

static void test_unpack_tree(void **state)
{
	struct fixture *f = *state;
	const struct entry entries[] = {
		{"./", AE_IFDIR, NULL},
		{"./etc/", AE_IFDIR, NULL},
		{"./etc/hostname", AE_IFREG, "box\n"},
		{"./bin/", AE_IFDIR, NULL},
		{"./bin/sh", AE_IFLNK, "busybox"},
		{"/abs", AE_IFREG, "inside\n"}, /* absolute names land inside the rootfs */
		{"./dev/null", AE_IFCHR, NULL}, /* device nodes are skipped */
	};
	cella_err_t err = NULL;
	char link[64] = "";
	struct stat st;

	write_tar(f->tar, entries, sizeof(entries) / sizeof(entries[0]));
	progress_calls = 0;
	if (cellad_image_unpack(f->tar, f->dest, progress, NULL, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	assert_string_equal(read_text(f->dest, "etc/hostname"), "box\n");
	assert_string_equal(read_text(f->dest, "abs"), "inside\n");
	{
		char path[256];

		snprintf(path, sizeof(path), "%s/bin/sh", f->dest);
		assert_true(readlink(path, link, sizeof(link) - 1) > 0);
		snprintf(path, sizeof(path), "%s/dev/null", f->dest);
		assert_true(lstat(path, &st) < 0);
	}
	assert_string_equal(link, "busybox");
	assert_true(progress_calls >= 1);
	assert_int_equal(last_percent, 100);
}

static void test_dotdot_refused(void **state)
{
	struct fixture *f = *state;
	const struct entry entries[] = {
		{"ok", AE_IFREG, "x"},
		{"a/../../escape", AE_IFREG, "evil"},
	};
	cella_err_t err = NULL;
	char path[256];

	write_tar(f->tar, entries, 2);
	assert_true(cellad_image_unpack(f->tar, f->dest, NULL, NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "'..'"));
	cella_error_release(&err);
	snprintf(path, sizeof(path), "%s/escape", f->dir);
	assert_int_not_equal(access(path, F_OK), 0);
}

static void test_symlink_escape_refused(void **state)
{
	struct fixture *f = *state;
	const struct entry entries[] = {
		{"up", AE_IFLNK, ".."},
		{"up/escape", AE_IFREG, "evil"},
	};
	cella_err_t err = NULL;
	char path[256];

	write_tar(f->tar, entries, 2);
	assert_true(cellad_image_unpack(f->tar, f->dest, NULL, NULL, &err) < 0);
	cella_error_release(&err);
	snprintf(path, sizeof(path), "%s/escape", f->dir);
	assert_int_not_equal(access(path, F_OK), 0);
}

static void test_not_an_archive(void **state)
{
	struct fixture *f = *state;
	cella_err_t err = NULL;

	assert_int_equal(cellad_write_file(f->tar, "\x01\x02garbage", 9, 0600, &err), 0);
	assert_true(cellad_image_unpack(f->tar, f->dest, NULL, NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "not a readable archive"));
	cella_error_release(&err);
}

static void test_copy_tree_fingerprint(void **state)
{
	struct fixture *f = *state;
	char src[128], a[128], b[128], c[128], fa[65], fb[65], fc[65], path[256];
	cella_err_t err = NULL;

	snprintf(src, sizeof(src), "%s/src", f->dir);
	snprintf(path, sizeof(path), "%s/src/etc", f->dir);
	assert_int_equal(cellad_mkdir_p(path, 0755, &err), 0);
	snprintf(path, sizeof(path), "%s/src/etc/motd", f->dir);
	assert_int_equal(cellad_write_file(path, "hi\n", 3, 0644, &err), 0);
	snprintf(path, sizeof(path), "%s/src/link", f->dir);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(a, sizeof(a), "%s/a", f->dir);
	snprintf(b, sizeof(b), "%s/b", f->dir);
	snprintf(c, sizeof(c), "%s/c", f->dir);
	assert_int_equal(mkdir(a, 0755), 0);
	assert_int_equal(mkdir(b, 0755), 0);
	assert_int_equal(mkdir(c, 0755), 0);
	if (cellad_image_copy_tree(src, a, fa, NULL, NULL, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	assert_int_equal(cellad_image_copy_tree(src, b, fb, NULL, NULL, &err), 0);
	assert_string_equal(fa, fb); /* same tree, same fingerprint */
	assert_string_equal(read_text(a, "etc/motd"), "hi\n");
	snprintf(path, sizeof(path), "%s/link", a);
	{
		char target[64] = "";

		assert_true(readlink(path, target, sizeof(target) - 1) > 0);
		assert_string_equal(target, "/etc/passwd"); /* copied as a link, not followed */
	}
	snprintf(path, sizeof(path), "%s/src/etc/motd", f->dir);
	assert_int_equal(cellad_write_file(path, "ho\n", 3, 0644, &err), 0);
	assert_int_equal(cellad_image_copy_tree(src, c, fc, NULL, NULL, &err), 0);
	assert_string_not_equal(fa, fc); /* content changed, fingerprint changed */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_unpack_tree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotdot_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_escape_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_an_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_copy_tree_fingerprint, setup, teardown),
	};

	return cmocka_run_group_tests_name("daemon-unpack", tests, NULL, NULL);
}
