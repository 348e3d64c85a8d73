/* SPDX-License-Identifier: GPL-2.0-or-later */
/* linux.resources validation: good configs pass, each bad field is named. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"

/* Validates the JSON text; returns the error message, or NULL when it is valid. */
static char *validate(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);
	cella_err_t err = NULL;
	char *msg = NULL;

	assert_non_null(j);
	if (cella_cgroup_resources_validate(j, &err) < 0) {
		msg = strdup(cella_error_string(err));
		cella_error_release(&err);
	}
	json_decref(j);
	return msg;
}

static void expect_error(const char *text, const char *needle)
{
	char *msg = validate(text);

	if (!msg)
		fail_msg("accepted: %s", text);
	if (!strstr(msg, needle))
		fail_msg("error '%s' does not contain '%s'", msg, needle);
	free(msg);
}

static void test_null_and_empty_are_valid(void **state)
{
	cella_err_t err = NULL;

	assert_int_equal(cella_cgroup_resources_validate(NULL, &err), 0);
	assert_null(validate("{}"));
}

static void test_full_config_is_valid(void **state)
{
	char *msg = validate(
		"{\"memory\":{\"limit\":1048576,\"reservation\":-1,\"swap\":2097152,\"kernel\":0,"
		"\"kernelTCP\":0,"
		"\"swappiness\":60,\"disableOOMKiller\":false,\"useHierarchy\":true,\"checkBeforeUpdate\":"
		"true},"
		"\"cpu\":{\"shares\":1024,\"quota\":50000,\"burst\":1000,\"period\":100000,"
		"\"realtimeRuntime\":0,"
		"\"realtimePeriod\":0,\"cpus\":\"0-1,3\",\"mems\":\"0\",\"idle\":0},"
		"\"pids\":{\"limit\":32},"
		"\"blockIO\":{\"weight\":500,\"leafWeight\":300,\"weightDevice\":[{\"major\":8,\"minor\":0,"
		"\"weight\":"
		"100}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":1048576}]},"
		"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":0}],"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\",\"major\":"
		"1,"
		"\"minor\":3,\"access\":\"rw\"}],"
		"\"network\":{\"classID\":1048577,\"priorities\":[{\"name\":\"eth0\",\"priority\":5}]},"
		"\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":10000}},"
		"\"unified\":{\"memory.high\":\"1000000\"}}");

	if (msg)
		fail_msg("rejected: %s", msg);
}

static void test_memory_errors(void **state)
{
	expect_error("{\"memory\":{\"limit\":\"1G\"}}",
		     "config.json: linux.resources.memory.limit: expected integer");
	expect_error("{\"memory\":{\"limit\":-2}}", "linux.resources.memory.limit: -2 is out of range");
	expect_error("{\"memory\":{\"swappiness\":101}}", "linux.resources.memory.swappiness");
	expect_error("{\"memory\":{\"disableOOMKiller\":1}}", "memory.disableOOMKiller: expected boolean");
	expect_error("{\"memory\":{\"limit\":2000,\"swap\":1000}}",
		     "linux.resources.memory.swap: memory+swap");
	expect_error("{\"memory\":[]}", "linux.resources.memory: expected object");
}

static void test_cpu_errors(void **state)
{
	expect_error("{\"cpu\":{\"shares\":-5}}", "linux.resources.cpu.shares");
	expect_error("{\"cpu\":{\"quota\":1.5}}", "linux.resources.cpu.quota: expected integer");
	expect_error("{\"cpu\":{\"cpus\":\"0-\"}}", "linux.resources.cpu.cpus: '0-' is not a CPU/node list");
	expect_error("{\"cpu\":{\"mems\":\"a\"}}", "linux.resources.cpu.mems");
	expect_error("{\"cpu\":{\"cpus\":\"1,\"}}", "linux.resources.cpu.cpus");
	expect_error("{\"cpu\":{\"idle\":2}}", "linux.resources.cpu.idle");
}

static void test_other_errors(void **state)
{
	expect_error("{\"pids\":{\"limit\":\"x\"}}", "linux.resources.pids.limit: expected integer");
	expect_error("{\"blockIO\":{\"weight\":5}}", "linux.resources.blockIO.weight: 5 is out of range");
	expect_error("{\"blockIO\":{\"weightDevice\":[{\"major\":8}]}}",
		     "linux.resources.blockIO.weightDevice[0].minor: missing");
	expect_error("{\"blockIO\":{\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":0}]}}",
		     "blockIO.throttleWriteIOPSDevice[0].rate: missing");
	expect_error("{\"hugepageLimits\":[{\"pageSize\":\"2XB\",\"limit\":1}]}",
		     "linux.resources.hugepageLimits[0].pageSize: '2XB'");
	expect_error("{\"hugepageLimits\":{}}", "linux.resources.hugepageLimits: expected array");
	expect_error("{\"network\":{\"priorities\":[{\"name\":\"../x\",\"priority\":1}]}}",
		     "network.priorities[0].name");
	expect_error("{\"rdma\":{\"mlx\":{\"hcaHandles\":-1}}}", "linux.resources.rdma.mlx.hcaHandles");
	expect_error("{\"unified\":{\"../memory.max\":\"1\"}}", "linux.resources.unified: '../memory.max'");
	expect_error("{\"unified\":{\"cgroup.procs\":\"1\"}}",
		     "linux.resources.unified.cgroup.procs: managed");
	expect_error("{\"unified\":{\"memory.max\":1}}",
		     "linux.resources.unified.memory.max: expected string");
}

static void test_device_errors(void **state)
{
	expect_error("{\"devices\":{}}", "linux.resources.devices: expected array");
	expect_error("{\"devices\":[{\"access\":\"r\"}]}",
		     "linux.resources.devices[0].allow: expected boolean");
	expect_error("{\"devices\":[{\"allow\":true},{\"allow\":true,\"type\":\"x\"}]}",
		     "linux.resources.devices[1].type");
	expect_error("{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}",
		     "linux.resources.devices[0].access");
	expect_error("{\"devices\":[{\"allow\":true,\"major\":-7}]}", "linux.resources.devices[0].major");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_null_and_empty_are_valid),
		cmocka_unit_test(test_full_config_is_valid),
		cmocka_unit_test(test_memory_errors),
		cmocka_unit_test(test_cpu_errors),
		cmocka_unit_test(test_other_errors),
		cmocka_unit_test(test_device_errors),
	};

	return cmocka_run_group_tests_name("cgroup-validate", tests, NULL, NULL);
}
