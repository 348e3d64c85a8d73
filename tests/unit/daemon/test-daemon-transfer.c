// SPDX-License-Identifier: GPL-2.0-or-later
/* Config changes (merge rules, errors naming the key, live resources) and the image tar writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "../lib/tmpdir.h"
#include "image_tar.h"
#include "images.h"
#include "instance_config.h"

static json_t *merge(const char *old, const char *change, bool replace, bool vm, cella_err_t *err)
{
	json_t *o = json_loads(old, 0, NULL), *c = json_loads(change, 0, NULL), *out;

	assert_non_null(o);
	assert_non_null(c);
	out = cellad_config_merge(o, c, replace, vm, err);
	json_decref(o);
	json_decref(c);
	return out;
}

static void expect_merged(const char *old, const char *change, bool replace, const char *want)
{
	cella_err_t err = NULL;
	json_t *out = merge(old, change, replace, false, &err), *w = json_loads(want, 0, NULL);

	if (out == NULL)
		fail_msg("%s + %s: %s", old, change, cella_error_string(err));
	if (!json_equal(out, w)) {
		char *text = json_dumps(out, JSON_SORT_KEYS);

		fail_msg("%s + %s: got %s, want %s", old, change, text, want);
	}
	json_decref(out);
	json_decref(w);
}

static void expect_refused(const char *old, const char *change, bool vm, const char *needle)
{
	cella_err_t err = NULL;
	json_t *out = merge(old, change, false, vm, &err);

	assert_null(out);
	if (strstr(cella_error_string(err), needle) == NULL)
		fail_msg("%s: error '%s' does not name '%s'", change, cella_error_string(err), needle);
	cella_error_release(&err);
}

static void test_merge(void **state)
{
	(void)state;
	/* PATCH: keys merged, null removes one. */
	expect_merged("{\"limits.cpu\": \"1\"}", "{\"limits.memory\": \"64MiB\"}", false,
		      "{\"limits.cpu\": \"1\", \"limits.memory\": \"64MiB\"}");
	expect_merged("{\"limits.cpu\": \"1\", \"limits.memory\": \"64MiB\"}", "{\"limits.cpu\": null}",
		      false, "{\"limits.memory\": \"64MiB\"}");
	/* PUT: the changeable keys replaced as a whole, creation-time keys kept. */
	expect_merged("{\"limits.cpu\": \"1\", \"security.privileged\": \"true\"}",
		      "{\"limits.processes\": \"10\"}", true,
		      "{\"limits.processes\": \"10\", \"security.privileged\": \"true\"}");
	/* Sending a creation-time key back unchanged (a PUT of what GET returned) is no change. */
	expect_merged("{\"command\": [\"sh\"]}", "{\"command\": [\"sh\"], \"limits.cpu\": \"2\"}", true,
		      "{\"command\": [\"sh\"], \"limits.cpu\": \"2\"}");
}

static void test_refused(void **state)
{
	(void)state;
	expect_refused("{}", "{\"limits.bogus\": \"1\"}", false, "unknown key 'limits.bogus'");
	expect_refused("{}", "{\"limits.memory\": \"lots\"}", false, "limits.memory");
	expect_refused("{}", "{\"limits.memory\": \"10\"}", false, "limits.memory");
	expect_refused("{}", "{\"limits.processes\": \"1.5\"}", false, "limits.processes");
	expect_refused("{}", "{\"security.privileged\": \"true\"}", false, "security.privileged: set when");
	expect_refused("{\"command\": [\"a\"]}", "{\"command\": [\"b\"]}", false, "command: set when");
	/* A VM takes whole vCPUs only. */
	expect_refused("{}", "{\"limits.cpu\": \"0.5\"}", true, "limits.cpu");
	{
		cella_err_t err = NULL;
		json_t *c = json_loads("[1]", 0, NULL), *empty = json_object();
		json_t *out = cellad_config_merge(empty, c, false, false, &err);

		assert_null(out);
		json_decref(empty);
		assert_non_null(strstr(cella_error_string(err), "config: expected an object"));
		cella_error_release(&err);
		json_decref(c);
	}
}

static void test_resources(void **state)
{
	json_t *config = json_loads("{\"limits.memory\": \"64MiB\"}", 0, NULL), *res;
	cella_err_t err = NULL;

	(void)state;
	res = cellad_config_resources("c1", config, &err);
	assert_non_null(res);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")),
			 64 << 20);
	/* Limits no longer set are lifted on the running container. */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")), -1);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")), -1);
	json_decref(res);
	json_decref(config);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_tar_round_trip(void **state)
{
	char *dir = tmpdir_create(), src[1024], tar[1024], out[1024], path[4096];
	struct cellad_tar_options opts = {.prefix = "rootfs",
					  .metadata = "{\"format\": \"x\"}",
					  .shift_base = 100000,
					  .shift_size = 65536};
	cella_err_t err = NULL;
	struct stat st;

	(void)state;
	assert_non_null(dir);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(tar, sizeof(tar), "%s/t.tar", dir);
	snprintf(out, sizeof(out), "%s/out", dir);
	assert_int_equal(mkdir(src, 0755), 0);
	snprintf(path, sizeof(path), "%s/shifted", src);
	write_file(path, "in the container's range");
	assert_int_equal(lchown(path, 100007, 100008), 0);
	snprintf(path, sizeof(path), "%s/outside", src);
	write_file(path, "above the range");
	assert_int_equal(lchown(path, 100000 + 65536, 5), 0);
	snprintf(path, sizeof(path), "%s/link", src);
	assert_int_equal(symlink("/etc/passwd", path), 0);

	if (cellad_tar_write_tree(src, tar, &opts, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	assert_true(cellad_tar_is_export(tar));
	/* O_EXCL: an existing file is never overwritten. */
	assert_true(cellad_tar_write_tree(src, tar, &opts, &err) < 0);
	cella_error_release(&err);
	if (cellad_image_unpack(tar, out, NULL, NULL, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	snprintf(path, sizeof(path), "%s/rootfs/shifted", out);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, 7);
	assert_int_equal(st.st_gid, 8);
	snprintf(path, sizeof(path), "%s/rootfs/outside", out);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_uid, 100000 + 65536);
	snprintf(path, sizeof(path), "%s/rootfs/link", out);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	snprintf(path, sizeof(path), "%s/" CELLAD_EXPORT_METADATA, out);
	assert_int_equal(lstat(path, &st), 0);
	tmpdir_remove(dir);
}

static void test_not_an_export(void **state)
{
	char *dir = tmpdir_create(), src[1024], tar[1024];
	struct cellad_tar_options opts = {.shift_base = -1};
	cella_err_t err = NULL;

	(void)state;
	assert_non_null(dir);
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(tar, sizeof(tar), "%s/t.tar", dir);
	assert_int_equal(mkdir(src, 0755), 0);
	if (cellad_tar_write_tree(src, tar, &opts, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	assert_false(cellad_tar_is_export(tar));
	assert_false(cellad_tar_is_export(src));
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge),	      cmocka_unit_test(test_refused),
		cmocka_unit_test(test_resources),     cmocka_unit_test(test_tar_round_trip),
		cmocka_unit_test(test_not_an_export),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
