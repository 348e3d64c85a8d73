// SPDX-License-Identifier: GPL-2.0-or-later
/* config.json validation: every error names the field that is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>

#include <cella/cleanup.h>

#include "core/spec.h"

#define BASE                                                                    \
	"\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},"              \
	"\"process\":{\"args\":[\"/bin/true\"],\"cwd\":\"/\",\"env\":[\"PATH=/" \
	"bin\"],\"user\":{\"uid\":0,\"gid\":0}}"

/* Parses text; returns the error message, or NULL on success (spec freed either way). */
static char *parse(const char *text)
{
	json_error_t jerr;
	json_t *doc = json_loads(text, 0, &jerr);
	struct cella_spec *spec = NULL;
	cella_err_t err = NULL;
	char *msg = NULL;

	assert_non_null(doc);
	if (cella_spec_from_json(doc, "/bundle", &spec, &err) < 0) {
		msg = strdup(cella_error_string(err));
		cella_error_release(&err);
		assert_null(spec);
		return msg;
	}
	cella_spec_free(spec);
	return NULL;
}

static void expect_error(const char *text, const char *needle)
{
	_cleanup_free_ char *msg = parse(text);

	if (msg == NULL) {
		fail_msg("accepted invalid config: %s", text);
		return;
	}
	if (strstr(msg, needle) == NULL)
		fail_msg("error '%s' does not contain '%s'", msg, needle);
}

static void test_minimal_valid(void **state)
{
	_cleanup_free_ char *msg = parse("{" BASE ",\"linux\":{}}");

	assert_null(msg);
}

static void test_full_valid(void **state)
{
	json_error_t jerr;
	json_t *doc = json_loads(
		"{" BASE ",\"hostname\":\"box\",\"annotations\":{\"a\":\"b\"},\"unknownFutureField\":1,"
		"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"uts\"},{\"type\":\"user\"},"
		"{\"type\":\"network\",\"path\":\"/proc/1/ns/net\"},{\"type\":\"ipc\"},{\"type\":\"time\"}],"
		"\"uidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
		"\"gidMappings\":[{\"containerID\":0,\"hostID\":1000,\"size\":10}],"
		"\"sysctl\":{\"net.ipv4.ip_forward\":\"1\",\"kernel.shmmax\":\"100\"},"
		"\"timeOffsets\":{\"monotonic\":{\"secs\":10,\"nanosecs\":5}},"
		"\"personality\":{\"domain\":\"LINUX32\"},\"cgroupsPath\":\"/x/y\"}}",
		0, &jerr);
	struct cella_spec *spec = NULL;
	cella_err_t err = NULL;

	assert_non_null(doc);
	if (cella_spec_from_json(doc, "/bundle", &spec, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	assert_string_equal(spec->hostname, "box");
	assert_true(spec->ns[CELLA_NS_PID].wanted);
	assert_null(spec->ns[CELLA_NS_PID].path);
	assert_string_equal(spec->ns[CELLA_NS_NET].path, "/proc/1/ns/net");
	assert_false(spec->ns[CELLA_NS_MOUNT].wanted);
	assert_int_equal(spec->n_uid_maps, 1);
	assert_int_equal(spec->uid_maps[0].host_id, 1000);
	assert_int_equal(spec->n_sysctl, 2);
	assert_true(spec->has_time_offsets);
	assert_int_equal(spec->monotonic_secs, 10);
	assert_int_equal(spec->monotonic_nsecs, 5);
	assert_true(spec->has_personality);
	assert_string_equal(spec->cgroups_path, "/x/y");
	assert_string_equal(spec->process.args[0], "/bin/true");
	assert_string_equal(spec->process.env[0], "PATH=/bin");
	assert_null(spec->process.env[1]);
	cella_spec_free(spec);
}

static void test_version(void **state)
{
	expect_error("{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}}",
		     "ociVersion: unsupported version '2.0.0'");
	expect_error("{\"ociVersion\":3}", "config.json.ociVersion: expected string");
	expect_error("{\"root\":{\"path\":\"r\"}}", "ociVersion: missing");
}

static void test_process_fields(void **state)
{
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
		     "\"user\":{\"uid\":\"x\"}},\"linux\":{}}",
		     "config.json: process.user.uid: expected integer");
	expect_error(
		"{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[]},\"linux\":{}}",
		"config.json: process.args: must not be empty");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
		     "\"cwd\":\"rel\"},\"linux\":{}}",
		     "config.json: process.cwd: 'rel' is not an absolute path");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\",3]},"
		     "\"linux\":{}}",
		     "config.json: process.args[1]: expected string");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
		     "\"env\":[\"NOEQUALS\"]},\"linux\":{}}",
		     "config.json: process.env[0]: 'NOEQUALS' is not KEY=VALUE");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
		     "\"terminal\":\"yes\"},\"linux\":{}}",
		     "config.json: process.terminal: expected boolean");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
		     "\"user\":{\"additionalGids\":[-1]}},\"linux\":{}}",
		     "config.json: process.user.additionalGids[0]");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"linux\":{}}", "process: missing");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
		     "\"execCPUAffinity\":{\"initial\":\"0-x\"}},\"linux\":{}}",
		     "config.json: process.execCPUAffinity.initial: invalid CPU list '0-x'");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
		     "\"execCPUAffinity\":{\"final\":\"3-1\"}},\"linux\":{}}",
		     "config.json: process.execCPUAffinity.final: invalid CPU list '3-1'");
	assert_null(parse("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\"],"
			  "\"execCPUAffinity\":{\"initial\":\"0-1,3\",\"final\":\"0\"}},\"linux\":{}}"));
}

static void test_root_fields(void **state)
{
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\",\"readonly\":1}}",
		     "config.json.root.readonly: expected boolean");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{}}", "config.json: root.path: missing");
	expect_error("{\"ociVersion\":\"1.0.0\"}", "config.json: root: missing");
	expect_error("{" BASE ",\"annotations\":{\"k\":1},\"linux\":{}}",
		     "config.json: annotations.k: expected string");
	expect_error("{" BASE ",\"hostname\":7,\"linux\":{}}", "config.json.hostname: expected string");
	expect_error("{" BASE "}", "config.json: linux: missing");
}

static void test_namespaces(void **state)
{
	expect_error("{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"pid\"}]}}",
		     "linux.namespaces[1].type: duplicate namespace 'pid'");
	expect_error("{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}}",
		     "linux.namespaces[0].type: unknown namespace type 'bogus'");
	expect_error("{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"net\",\"path\":\"rel\"}]}}",
		     "linux.namespaces[0].type: unknown namespace type 'net'");
	expect_error("{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"network\",\"path\":\"rel\"}]}}",
		     "linux.namespaces[0].path: 'rel' is not an absolute path");
	expect_error("{" BASE ",\"hostname\":\"h\",\"linux\":{}}",
		     "hostname: setting it needs a private uts namespace");
	expect_error("{" BASE ",\"linux\":{\"namespaces\":[{\"type\":\"user\"}]}}",
		     "linux.uidMappings: a new user namespace needs uidMappings and gidMappings");
	expect_error("{" BASE ",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":0,\"size\":1}]}}",
		     "linux.uidMappings: set but there is no user namespace");
	expect_error("{" BASE
		     ",\"linux\":{\"namespaces\":[{\"type\":\"user\"}],\"uidMappings\":[{\"containerID\":0,"
		     "\"hostID\":\"0\",\"size\":1}]}}",
		     "linux.uidMappings[0].hostID: expected integer");
}

static void test_sysctl(void **state)
{
	expect_error("{" BASE ",\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}}}",
		     "linux.sysctl.net.ipv4.ip_forward: needs a network namespace");
	expect_error("{" BASE ",\"linux\":{\"sysctl\":{\"kernel.shmmax\":\"1\"}}}",
		     "linux.sysctl.kernel.shmmax: needs an ipc namespace");
	expect_error("{" BASE ",\"linux\":{\"sysctl\":{\"fs.mqueue.msg_max\":\"1\"}}}",
		     "linux.sysctl.fs.mqueue.msg_max: needs an ipc namespace");
	expect_error("{" BASE ",\"linux\":{\"sysctl\":{\"kernel.hostname\":\"x\"}}}",
		     "linux.sysctl.kernel.hostname: needs a uts namespace");
	expect_error("{" BASE ",\"linux\":{\"sysctl\":{\"vm.swappiness\":\"1\"}}}",
		     "linux.sysctl.vm.swappiness: not in a separate kernel namespace");
	expect_error("{" BASE
		     ",\"linux\":{\"namespaces\":[{\"type\":\"network\"}],\"sysctl\":{\"net/../x\":\"1\"}}}",
		     "linux.sysctl: invalid key 'net/../x'");
	expect_error("{" BASE
		     ",\"linux\":{\"namespaces\":[{\"type\":\"network\"}],\"sysctl\":{\"net.x\":1}}}",
		     "linux.sysctl.net.x: expected string");
}

static void test_unsupported_and_time(void **state)
{
	expect_error("{" BASE ",\"linux\":{\"intelRdt\":{\"closID\":\"x\"}}}",
		     "linux.intelRdt: not supported");
	expect_error("{" BASE ",\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_BIND\"}}}",
		     "linux.memoryPolicy: not supported");
	expect_error("{" BASE ",\"linux\":{\"netDevices\":{\"eth0\":{}}}}",
		     "linux.netDevices: not supported");
	expect_error("{" BASE ",\"linux\":{\"personality\":{\"domain\":\"BSD\"}}}",
		     "linux.personality.domain: unknown domain 'BSD'");
	expect_error("{" BASE ",\"linux\":{\"timeOffsets\":{\"monotonic\":{\"secs\":1}}}}",
		     "linux.timeOffsets: needs a time namespace");
	expect_error("{" BASE
		     ",\"linux\":{\"namespaces\":[{\"type\":\"time\"}],\"timeOffsets\":{\"monotonic\":"
		     "{\"secs\":\"1\"}}}}",
		     "linux.timeOffsets.monotonic.secs: expected integer");
	expect_error("{" BASE
		     ",\"linux\":{\"namespaces\":[{\"type\":\"time\"}],\"timeOffsets\":{\"realtime\":{}}}}",
		     "linux.timeOffsets.realtime: unknown clock");
	expect_error("{" BASE ",\"linux\":{\"cgroupsPath\":5}}",
		     "config.json: linux.cgroupsPath: expected string");
}

static void test_hooks_validated(void **state)
{
	_cleanup_free_ char *msg =
		parse("{" BASE ",\"hooks\":{\"prestart\":[{\"path\":\"relative\"}]},\"linux\":{}}");

	assert_non_null(msg);
	assert_non_null(strstr(msg, "hooks.prestart[0].path"));
}

static void test_cgroup_default_devices(void **state)
{
	json_error_t jerr;
	json_t *doc = json_loads(
		"{" BASE ",\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}],"
		"\"pids\":{\"limit\":5}},\"devices\":[{\"path\":\"/dev/fuse\",\"type\":\"c\","
		"\"major\":10,\"minor\":229}]}}",
		0, &jerr);
	struct cella_spec *spec = NULL;
	json_t *res, *devices, *last;

	assert_non_null(doc);
	assert_int_equal(cella_spec_from_json(doc, "/bundle", &spec, NULL), 0);
	res = cella_spec_cgroup_resources(spec);
	devices = json_object_get(res, "devices");
	/* the user's deny-all first, runc's 11 defaults, then the linux.devices entry */
	assert_int_equal(json_array_size(devices), 13);
	assert_false(json_is_true(json_object_get(json_array_get(devices, 0), "allow")));
	assert_string_equal(json_string_value(json_object_get(json_array_get(devices, 1), "access")), "m");
	last = json_array_get(devices, 12);
	assert_int_equal(json_integer_value(json_object_get(last, "major")), 10);
	assert_int_equal(json_integer_value(json_object_get(last, "minor")), 229);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "pids"), "limit")), 5);
	/* the spec itself is untouched */
	assert_int_equal(json_array_size(json_object_get(spec->resources, "devices")), 1);
	json_decref(res);
	cella_spec_free(spec);
}

static void test_exec_process(void **state)
{
	json_t *p = json_pack("{s:[s,s], s:s, s:[s], s:b}", "args", "sh", "-c", "cwd", "/tmp", "env", "A=1",
			      "terminal", 1);
	struct cella_process proc;
	cella_err_t err = NULL;

	assert_int_equal(cella_process_parse(p, "process.json", &proc, &err), 0);
	assert_true(proc.terminal);
	assert_string_equal(proc.cwd, "/tmp");
	assert_string_equal(proc.args[1], "-c");
	assert_null(proc.args[2]);
	cella_process_clear(&proc);
	json_object_set_new(p, "cwd", json_integer(3));
	assert_true(cella_process_parse(p, "process.json", &proc, &err) < 0);
	assert_string_equal(cella_error_string(err), "process.json.cwd: expected string");
	cella_error_release(&err);
	json_decref(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_minimal_valid),	cmocka_unit_test(test_full_valid),
		cmocka_unit_test(test_version),		cmocka_unit_test(test_process_fields),
		cmocka_unit_test(test_root_fields),	cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_sysctl),		cmocka_unit_test(test_unsupported_and_time),
		cmocka_unit_test(test_hooks_validated), cmocka_unit_test(test_cgroup_default_devices),
		cmocka_unit_test(test_exec_process),
	};

	return cmocka_run_group_tests_name("runtime-spec", tests, NULL, NULL);
}
