// SPDX-License-Identifier: GPL-2.0-or-later
/* Instance config validation (errors name the key) and the config.json it becomes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "container.h"
#include "util.h"

static void expect_invalid(const char *json, const char *needle)
{
	json_t *config = json_loads(json, 0, NULL);
	cella_err_t err = NULL;

	assert_non_null(config);
	assert_true(cellad_instance_config_validate(config, &err) < 0);
	if (strstr(cella_error_string(err), needle) == NULL)
		fail_msg("'%s': error '%s' does not name '%s'", json, cella_error_string(err), needle);
	cella_error_release(&err);
	json_decref(config);
}

static void expect_valid(const char *json)
{
	json_t *config = json_loads(json, 0, NULL);
	cella_err_t err = NULL;

	assert_non_null(config);
	if (cellad_instance_config_validate(config, &err) < 0)
		fail_msg("'%s': %s", json, cella_error_string(err));
	json_decref(config);
}

static void test_validate(void **state)
{
	expect_valid("{}");
	expect_valid("{\"limits.memory\": \"256MiB\", \"limits.processes\": 100, \"limits.cpu\": \"1.5\"}");
	expect_valid("{\"volatile.eth0.hwaddr\": \"00:16:3e:00:00:01\"}"); /* the daemon's own keys */
	expect_valid("{\"limits.memory\": 1048576, \"security.privileged\": \"true\"}");
	expect_valid("{\"limits.memory\": \"2GB\", \"security.privileged\": false}");
	expect_invalid("{\"limits.memory\": \"lots\"}", "limits.memory");
	expect_invalid("{\"limits.memory\": \"12XB\"}", "limits.memory");
	expect_invalid("{\"limits.memory\": \"1kB\"}", "limits.memory: at least 1MiB");
	expect_invalid("{\"limits.memory\": -5}", "limits.memory");
	expect_invalid("{\"limits.processes\": 0}", "limits.processes");
	expect_invalid("{\"limits.processes\": 2.5}", "limits.processes: expected a whole number");
	expect_invalid("{\"limits.cpu\": \"nan\"}", "limits.cpu");
	expect_invalid("{\"limits.cpu\": \"-1\"}", "limits.cpu");
	expect_invalid("{\"security.privileged\": \"yes\"}", "security.privileged");
	expect_invalid("{\"raw.lxc\": \"x\"}", "unknown key 'raw.lxc'");
	expect_invalid("[]", "config: expected an object");
	expect_valid("{\"command\": [\"sleep\", \"60\"]}");
	expect_invalid("{\"command\": \"sleep 60\"}", "config: command: expected an array");
	expect_invalid("{\"command\": []}", "config: command: expected an array");
	expect_invalid("{\"command\": [\"sleep\", 60]}", "config: command[1]");
	expect_invalid("{\"command\": [\"\"]}", "config: command[0]");
}

static json_t *find_ns(json_t *spec, const char *type)
{
	json_t *ns, *n;
	size_t i;

	ns = json_object_get(json_object_get(spec, "linux"), "namespaces");
	json_array_foreach (ns, i, n)
		if (strcmp(json_string_value(json_object_get(n, "type")), type) == 0)
			return n;
	return NULL;
}

static bool has_mount(json_t *spec, const char *dest)
{
	json_t *m;
	size_t i;

	json_array_foreach (json_object_get(spec, "mounts"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
			return true;
	return false;
}

static void test_spec_system_container(void **state)
{
	json_t *config = json_loads(
		"{\"limits.memory\": \"64MiB\", \"limits.processes\": 50, \"limits.cpu\": 0.5}", 0, NULL);
	cella_err_t err = NULL;
	json_t *spec = cellad_container_spec("web", "/r/instances/web/rootfs", config, 1065536, &err);
	json_t *linux_obj, *res, *map;

	assert_non_null(spec);
	assert_string_equal(json_string_value(json_object_get(json_object_get(spec, "root"), "path")),
			    "/r/instances/web/rootfs");
	assert_string_equal(json_string_value(json_object_get(spec, "hostname")), "web");
	assert_string_equal(json_string_value(json_array_get(
				    json_object_get(json_object_get(spec, "process"), "args"), 0)),
			    "/sbin/init");
	linux_obj = json_object_get(spec, "linux");
	res = json_object_get(linux_obj, "resources");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "memory"), "limit")),
			 64 << 20);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")), 50);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "quota")), 50000);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "cpu"), "period")), 100000);
	assert_non_null(find_ns(spec, "user"));
	map = json_array_get(json_object_get(linux_obj, "uidMappings"), 0);
	assert_int_equal(json_integer_value(json_object_get(map, "containerID")), 0);
	assert_int_equal(json_integer_value(json_object_get(map, "hostID")), 1065536);
	assert_int_equal(json_integer_value(json_object_get(map, "size")), CELLAD_IDMAP_SIZE);
	assert_non_null(json_object_get(linux_obj, "gidMappings"));
	assert_false(has_mount(spec, "/sys/fs/cgroup"));
	assert_true(has_mount(spec, "/proc"));
	json_decref(spec);
	json_decref(config);
}

static void test_spec_application(void **state)
{
	json_t *config = json_loads("{\"command\": [\"sh\", \"-c\", \"echo hi\"]}", 0, NULL);
	cella_err_t err = NULL;
	json_t *spec = cellad_container_spec("app", "/r/rootfs", config, 1000000, &err), *args;

	assert_non_null(spec);
	args = json_object_get(json_object_get(spec, "process"), "args");
	assert_int_equal(json_array_size(args), 3);
	assert_string_equal(json_string_value(json_array_get(args, 2)), "echo hi");
	json_decref(spec);
	json_decref(config);
}

static void test_spec_privileged(void **state)
{
	json_t *config = json_loads("{\"security.privileged\": true}", 0, NULL);
	cella_err_t err = NULL;
	json_t *spec;

	assert_true(cellad_config_privileged(config));
	spec = cellad_container_spec("app", "/r/rootfs", config, -1, &err);
	assert_non_null(spec);
	assert_null(find_ns(spec, "user"));
	assert_null(json_object_get(json_object_get(spec, "linux"), "uidMappings"));
	assert_true(has_mount(spec, "/sys/fs/cgroup"));
	json_decref(spec);
	json_decref(config);
}

static void test_names(void **state)
{
	assert_true(cellad_name_valid("web-1"));
	assert_true(cellad_name_valid("A"));
	assert_false(cellad_name_valid(""));
	assert_false(cellad_name_valid("-x"));
	assert_false(cellad_name_valid("1x"));
	assert_false(cellad_name_valid("a/b"));
	assert_false(cellad_name_valid(".."));
	assert_false(cellad_name_valid("a b"));
	assert_false(cellad_name_valid("a234567890123456789012345678901234567890123456789012345678901234"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validate),
		cmocka_unit_test(test_spec_system_container),
		cmocka_unit_test(test_spec_application),
		cmocka_unit_test(test_spec_privileged),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests_name("daemon-config", tests, NULL, NULL);
}
