// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for JSON loading with located errors and the typed, path-naming getters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <cella/cleanup.h>
#include <cella/file.h>
#include <cella/json.h>
#include <cella/xalloc.h>

#include "tmpdir.h"

static const char config[] =
	"{\n"
	"  \"ociVersion\": \"1.0.2\",\n"
	"  \"process\": {\n"
	"    \"terminal\": false,\n"
	"    \"user\": {\"uid\": 1000, \"gid\": -1, \"umask\": \"18\", \"big\": 4294967296},\n"
	"    \"args\": [\"sh\", \"-c\", \"true\"],\n"
	"    \"env\": [\"A=1\", 7],\n"
	"    \"cwd\": null,\n"
	"    \"oomScoreAdj\": -1000,\n"
	"    \"limit\": 9223372036854775807,\n"
	"    \"ratio\": 1.5\n"
	"  }\n"
	"}\n";

static int setup(void **state)
{
	*state = tmpdir_create();
	return *state ? 0 : -1;
}

static int teardown(void **state)
{
	tmpdir_remove(*state);
	return 0;
}

static json_t *load_config(void)
{
	json_t *j = NULL;

	assert_int_equal(cella_json_load_buffer("config.json", config, strlen(config), &j, NULL), 0);
	return j;
}

static void test_parse_error_location(void **state)
{
	static const char bad[] = "{\n  \"a\": 1,\n  \"b\" 2\n}\n";
	_cleanup_error_ cella_err_t err = NULL;
	json_t *j = NULL;

	assert_true(cella_json_load_buffer("config.json", bad, strlen(bad), &j, &err) < 0);
	assert_null(j);
	/* Line 3, the column of the unexpected token; jansson's reason follows. */
	assert_string_equal(cella_error_string(err), "config.json:3:7: ':' expected near '2'");

	assert_true(cella_json_load_buffer("empty.json", "", 0, &j, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "empty.json"));
	assert_true(cella_json_load_buffer("dup.json", "{\"a\":1,\"a\":2}", 13, &j, &err) < 0);
	assert_string_equal(cella_error_string(err), "dup.json:1:10: duplicate object key near '\"a\"'");
}

static void test_load_file(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *path = xasprintf("%s/config.json", dir);
	_cleanup_free_ char *missing = xasprintf("%s/none.json", dir);
	_cleanup_free_ char *expect = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_json_ json_t *j = NULL;
	json_t *never = NULL;

	assert_int_equal(tmpdir_put(dir, "config.json", config), 0);
	assert_int_equal(cella_json_load_file(path, CELLA_JSON_MAX_FILE, &j, NULL), 0);
	assert_true(json_is_object(j));

	assert_true(cella_json_load_file(path, 10, &never, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "larger than the limit of 10 bytes"));
	assert_true(cella_json_load_file(missing, 100, &never, &err) < 0);
	expect = xasprintf("open '%s': No such file or directory", missing);
	assert_string_equal(cella_error_string(err), expect);

	assert_int_equal(tmpdir_put(dir, "bad.json", "[1,\n2,,]"), 0);
	free(path);
	path = xasprintf("%s/bad.json", dir);
	assert_true(cella_json_load_file(path, 100, &never, &err) < 0);
	free(expect);
	expect = xasprintf("%s:2:3: unexpected token near ','", path);
	assert_string_equal(cella_error_string(err), expect);
	assert_null(never);
}

static void test_paths(void **state)
{
	_cleanup_free_ char *a = cella_json_path_key("config.json:", "process");
	_cleanup_free_ char *b = cella_json_path_key("config.json: ", "process");
	_cleanup_free_ char *c = cella_json_path_key(a, "user");
	_cleanup_free_ char *d = cella_json_path_index(c, 3);
	_cleanup_free_ char *e = cella_json_path_key(NULL, "x");
	_cleanup_free_ char *f = cella_json_path_key("", "y");

	assert_string_equal(a, "config.json: process");
	assert_string_equal(b, "config.json: process");
	assert_string_equal(c, "config.json: process.user");
	assert_string_equal(d, "config.json: process.user[3]");
	assert_string_equal(e, "x");
	assert_string_equal(f, "y");
}

static void test_integers(void **state)
{
	_cleanup_json_ json_t *doc = load_config();
	_cleanup_error_ cella_err_t err = NULL;
	json_t *process = NULL, *user = NULL;
	uint32_t u32 = 5;
	int32_t i32 = 5;
	int64_t i64 = 5;
	uint64_t u64 = 5;

	assert_int_equal(cella_json_get_object(doc, "process", "config.json:", true, &process, NULL), 1);
	assert_int_equal(cella_json_get_object(process, "user", "config.json: process", true, &user, NULL),
			 1);
	assert_int_equal(cella_json_get_uint32(user, "uid", "config.json: process.user", true, &u32, NULL),
			 1);
	assert_int_equal(u32, 1000);
	assert_int_equal(
		cella_json_get_int32(process, "oomScoreAdj", "config.json: process", true, &i32, NULL), 1);
	assert_int_equal(i32, -1000);
	assert_int_equal(cella_json_get_int64(process, "limit", "config.json: process", true, &i64, NULL), 1);
	assert_true(i64 == INT64_MAX);
	assert_int_equal(cella_json_get_uint64(process, "limit", "config.json: process", true, &u64, NULL),
			 1);
	assert_true(u64 == (uint64_t)INT64_MAX);

	u32 = 5;
	assert_true(cella_json_get_uint32(user, "gid", "config.json: process.user", true, &u32, &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "config.json: process.user.gid: -1 out of range (0..4294967295)");
	assert_true(cella_json_get_uint32(user, "big", "config.json: process.user", true, &u32, &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "config.json: process.user.big: 4294967296 out of range (0..4294967295)");
	assert_true(cella_json_get_uint32(user, "umask", "config.json: process.user", true, &u32, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.user.umask: expected integer");
	assert_true(cella_json_get_int32(user, "big", "config.json: process.user", true, &i32, &err) < 0);
	assert_true(cella_json_get_uint64(user, "gid", "config.json: process.user", true, &u64, &err) < 0);
	assert_true(cella_json_get_int64(process, "ratio", "config.json: process", true, &i64, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.ratio: expected integer");
	assert_int_equal(u32, 5);
	assert_int_equal(i32, -1000);
	assert_true(u64 == (uint64_t)INT64_MAX);
}

static void test_required_and_optional(void **state)
{
	_cleanup_json_ json_t *doc = load_config();
	_cleanup_error_ cella_err_t err = NULL;
	json_t *process = NULL;
	const char *s = "default";
	uint32_t u32 = 77;

	assert_int_equal(cella_json_get_object(doc, "process", "config.json:", true, &process, NULL), 1);
	/* Absent and optional: 0, the caller's default stays. */
	assert_int_equal(cella_json_get_uint32(process, "nice", "config.json: process", false, &u32, NULL),
			 0);
	assert_int_equal(u32, 77);
	/* JSON null counts as absent. */
	assert_int_equal(cella_json_get_string(process, "cwd", "config.json: process", false, &s, NULL), 0);
	assert_string_equal(s, "default");
	assert_true(cella_json_get_string(process, "cwd", "config.json: process", true, &s, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.cwd: missing required field");
	assert_true(cella_json_get_uint32(process, "nice", "config.json: process", true, &u32, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.nice: missing required field");
	/* Top level, and no document name at all. */
	assert_true(cella_json_get_string(doc, "hostname", "config.json:", true, &s, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: hostname: missing required field");
	assert_true(cella_json_get_string(doc, "hostname", NULL, true, &s, &err) < 0);
	assert_string_equal(cella_error_string(err), "hostname: missing required field");
	/* The container itself is not an object. */
	assert_true(cella_json_get_string(json_object_get(process, "args"), "x", "config.json: process.args",
					  false, &s, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.args: expected object");
	assert_true(cella_json_get_string(NULL, "x", NULL, false, &s, &err) < 0);
	assert_string_equal(cella_error_string(err), "document: expected object");
}

static void test_string_bool_object_array(void **state)
{
	_cleanup_json_ json_t *doc = load_config();
	_cleanup_error_ cella_err_t err = NULL;
	json_t *process = NULL, *arr = NULL, *obj = NULL;
	const char *s = NULL;
	bool b = true;

	assert_int_equal(cella_json_get_string(doc, "ociVersion", "config.json:", true, &s, NULL), 1);
	assert_string_equal(s, "1.0.2");
	assert_int_equal(cella_json_get_object(doc, "process", "config.json:", true, &process, NULL), 1);
	assert_int_equal(cella_json_get_bool(process, "terminal", "config.json: process", true, &b, NULL), 1);
	assert_false(b);
	assert_int_equal(cella_json_get_array(process, "args", "config.json: process", true, &arr, NULL), 1);
	assert_int_equal(json_array_size(arr), 3);

	assert_true(cella_json_get_string(process, "terminal", "config.json: process", true, &s, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.terminal: expected string");
	assert_true(cella_json_get_bool(process, "args", "config.json: process", true, &b, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.args: expected boolean");
	assert_true(cella_json_get_object(process, "args", "config.json: process", true, &obj, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.args: expected object");
	assert_true(cella_json_get_array(doc, "process", "config.json:", true, &arr, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process: expected array");
	assert_null(obj);
}

static void test_string_array(void **state)
{
	_cleanup_json_ json_t *doc = load_config();
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_strv_ char **args = NULL;
	_cleanup_strv_ char **empty = NULL;
	_cleanup_json_ json_t *e = json_pack("{s:[]}", "a");
	char **env = NULL;
	json_t *process = NULL;

	assert_int_equal(cella_json_get_object(doc, "process", "config.json:", true, &process, NULL), 1);
	assert_int_equal(
		cella_json_get_string_array(process, "args", "config.json: process", true, &args, NULL), 1);
	assert_string_equal(args[0], "sh");
	assert_string_equal(args[2], "true");
	assert_null(args[3]);
	assert_true(cella_json_get_string_array(process, "env", "config.json: process", true, &env, &err) <
		    0);
	assert_string_equal(cella_error_string(err), "config.json: process.env[1]: expected string");
	assert_null(env); /* the partial copy was freed, not handed out */
	assert_true(cella_json_get_string_array(process, "user", "config.json: process", true, &env, &err) <
		    0);
	assert_string_equal(cella_error_string(err), "config.json: process.user: expected array");
	assert_int_equal(
		cella_json_get_string_array(process, "mounts", "config.json: process", false, &env, NULL), 0);
	assert_int_equal(cella_json_get_string_array(e, "a", "x.json:", true, &empty, NULL), 1);
	assert_null(empty[0]);
}

static void test_check_members(void **state)
{
	static const char *const top[] = {"ociVersion", "process", NULL};
	static const char *const proc[] = {"terminal", "user",	      "args",  "env",
					   "cwd",      "oomScoreAdj", "limit", NULL};
	_cleanup_json_ json_t *doc = load_config();
	_cleanup_error_ cella_err_t err = NULL;
	json_t *process = json_object_get(doc, "process");

	assert_int_equal(cella_json_check_members(doc, "config.json:", top, NULL), 0);
	assert_true(cella_json_check_members(process, "config.json: process", proc, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.ratio: unknown field");
	assert_true(cella_json_check_members(json_object_get(process, "args"), "config.json: process.args",
					     proc, &err) < 0);
	assert_string_equal(cella_error_string(err), "config.json: process.args: expected object");
}

static void test_write_atomic_roundtrip(void **state)
{
	const char *dir = *state;
	_cleanup_free_ char *path = xasprintf("%s/out.json", dir);
	_cleanup_free_ char *bad = xasprintf("%s/missing/out.json", dir);
	_cleanup_free_ char *text = NULL;
	_cleanup_json_ json_t *doc = json_pack("{s:s, s:i, s:[b]}", "name", "web", "memory", 128, "flags", 1);
	_cleanup_json_ json_t *back = NULL;
	_cleanup_error_ cella_err_t err = NULL;
	struct stat st;

	assert_int_equal(cella_json_write_atomic(path, doc, 0600, NULL), 0);
	assert_int_equal(cella_file_read(path, 4096, &text, NULL, NULL), 0);
	assert_string_equal(
		text, "{\n  \"name\": \"web\",\n  \"memory\": 128,\n  \"flags\": [\n    true\n  ]\n}\n");
	assert_int_equal(cella_json_load_file(path, 4096, &back, NULL), 0);
	assert_true(json_equal(doc, back));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_true(cella_json_write_atomic(bad, doc, 0600, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), bad));
	assert_int_equal(tmpdir_count(dir), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_error_location),
		cmocka_unit_test_setup_teardown(test_load_file, setup, teardown),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_required_and_optional),
		cmocka_unit_test(test_string_bool_object_array),
		cmocka_unit_test(test_string_array),
		cmocka_unit_test(test_check_members),
		cmocka_unit_test_setup_teardown(test_write_atomic_roundtrip, setup, teardown),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
