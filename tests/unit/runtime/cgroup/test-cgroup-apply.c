/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Resources -> cgroup files, v1 and v2, against a temporary directory of
 * plain files standing in for cgroupfs: which file gets which value. */
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/cgroup_internal.h"

static const char *const v1_files[] = {"memory.limit_in_bytes",
				       "memory.memsw.limit_in_bytes",
				       "memory.soft_limit_in_bytes",
				       "memory.swappiness",
				       "memory.usage_in_bytes",
				       "cpu.shares",
				       "cpu.cfs_quota_us",
				       "cpu.cfs_period_us",
				       "cpuset.cpus",
				       "pids.max",
				       "blkio.weight",
				       "blkio.throttle.read_bps_device",
				       "hugetlb.2MB.limit_in_bytes",
				       "devices.allow",
				       "devices.deny",
				       NULL};
static const char *const v2_files[] = {"memory.max", "memory.swap.max", "memory.low",	   "memory.current",
				       "cpu.weight", "cpu.max",		"cpuset.cpus",	   "pids.max",
				       "io.weight",  "io.max",		"hugetlb.2MB.max", "memory.high",
				       NULL};

struct fixture {
	char dir[64];
	struct cella_cgroup *cg;
};

static void make_file(const char *dir, const char *name, const char *content)
{
	char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static char *slurp(const char *dir, const char *name)
{
	char *s = NULL;
	cella_err_t err = NULL;

	if (cgroup_read(dir, name, &s, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	return s;
}

static void expect_file(struct fixture *f, const char *name, const char *value)
{
	char *s = slurp(f->dir, name);

	if (strcmp(s, value) != 0)
		fail_msg("%s: '%s', expected '%s'", name, s, value);
	free(s);
}

static int setup(void **state, bool v2)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *const *files = v2 ? v2_files : v1_files;
	static const enum cg_ctrl ctrls[] = {CG_MEMORY, CG_CPU,	    CG_CPUSET, CG_PIDS,
					     CG_BLKIO,	CG_HUGETLB, CG_DEVICES};

	assert_non_null(f);
	strcpy(f->dir, "/tmp/cella-cgroup-apply-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	for (size_t i = 0; files[i]; i++)
		make_file(f->dir, files[i], "");
	f->cg = calloc(1, sizeof(*f->cg));
	assert_non_null(f->cg);
	f->cg->path = strdup("/t");
	f->cg->mode = v2 ? CELLA_CGROUP_V2 : CELLA_CGROUP_V1;
	for (size_t i = 0; i < sizeof(ctrls) / sizeof(ctrls[0]); i++) {
		if (v2 && ctrls[i] != CG_DEVICES)
			f->cg->v2_ctrls |= 1u << ctrls[i];
		else if (!v2)
			f->cg->v1_dir[ctrls[i]] = strdup(f->dir);
	}
	if (v2)
		f->cg->unified_dir = strdup(f->dir);
	*state = f;
	return 0;
}

static int setup_v1(void **state)
{
	return setup(state, false);
}

static int setup_v2(void **state)
{
	return setup(state, true);
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;

	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(dirfd(d), e->d_name, 0);
	if (d)
		closedir(d);
	rmdir(f->dir);
	cella_cgroup_free(f->cg);
	free(f);
	return 0;
}

/* Applies resources (JSON text); returns the error message or NULL. */
static char *apply(struct fixture *f, const char *text, bool update)
{
	json_t *j = json_loads(text, 0, NULL);
	cella_err_t err = NULL;
	char *msg = NULL;
	int r;

	assert_non_null(j);
	r = update ? cella_cgroup_update(f->cg, j, &err) : cgroup_apply_resources(f->cg, j, false, &err);
	if (r < 0) {
		msg = strdup(cella_error_string(err));
		cella_error_release(&err);
	}
	json_decref(j);
	return msg;
}

static void apply_ok(struct fixture *f, const char *text)
{
	char *msg = apply(f, text, false);

	if (msg)
		fail_msg("%s", msg);
}

static void apply_fails(struct fixture *f, const char *text, bool update, const char *needle)
{
	char *msg = apply(f, text, update);

	if (!msg)
		fail_msg("accepted: %s", text);
	if (!strstr(msg, needle))
		fail_msg("'%s' does not contain '%s'", msg, needle);
	free(msg);
}

static const char resources[] =
	"{\"memory\":{\"limit\":1000,\"swap\":3000,\"reservation\":500},"
	"\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\"},"
	"\"pids\":{\"limit\":-1},"
	"\"blockIO\":{\"weight\":500,\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,\"rate\":100}]},"
	"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":2097152}]}";

static void test_v1_files(void **state)
{
	struct fixture *f = *state;

	apply_ok(f, resources);
	expect_file(f, "memory.limit_in_bytes", "1000");
	expect_file(f, "memory.memsw.limit_in_bytes", "3000"); /* memory+swap, as the spec says */
	expect_file(f, "memory.soft_limit_in_bytes", "500");
	expect_file(f, "cpu.shares", "1024");
	expect_file(f, "cpu.cfs_quota_us", "50000");
	expect_file(f, "cpu.cfs_period_us", "100000");
	expect_file(f, "cpuset.cpus", "0-1");
	expect_file(f, "pids.max", "max");
	expect_file(f, "blkio.weight", "500");
	expect_file(f, "blkio.throttle.read_bps_device", "8:0 100");
	expect_file(f, "hugetlb.2MB.limit_in_bytes", "2097152");
}

static void test_v1_devices_and_refusals(void **state)
{
	struct fixture *f = *state;

	apply_ok(f,
		 "{\"devices\":[{\"allow\":false,\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"w\"}]}");
	expect_file(f, "devices.deny", "c 1:5 w");
	apply_ok(f, "{\"devices\":[{\"allow\":true,\"type\":\"b\",\"access\":\"rm\"}]}");
	expect_file(f, "devices.allow", "b *:* rm");
	apply_fails(f, "{\"unified\":{\"memory.high\":\"1\"}}", false, "only cgroup v1");
	apply_fails(f, "{\"network\":{\"classID\":7}}", false, "network.classID: no net_cls");
	apply_fails(f, "{\"rdma\":{\"mlx5_1\":{\"hcaHandles\":1}}}", false,
		    "rdma: the rdma controller is not available");
	/* Unset values touch nothing, even for missing controllers. */
	apply_ok(f, "{\"network\":{\"classID\":0},\"rdma\":{},\"memory\":{\"kernel\":100}}");
}

static void test_v2_conversions(void **state)
{
	struct fixture *f = *state;

	apply_ok(f, resources);
	expect_file(f, "memory.max", "1000");
	expect_file(f, "memory.swap.max", "2000"); /* swap alone on v2 */
	expect_file(f, "memory.low", "500");
	expect_file(f, "cpu.weight", "39"); /* 1 + (1024 - 2) * 9999 / 262142 */
	expect_file(f, "cpu.max", "50000 100000");
	expect_file(f, "cpuset.cpus", "0-1");
	expect_file(f, "pids.max", "max");
	expect_file(f, "io.weight", "default 4950");
	expect_file(f, "io.max", "8:0 rbps=100");
	expect_file(f, "hugetlb.2MB.max", "2097152");
}

static void test_v2_refusals(void **state)
{
	struct fixture *f = *state;

	apply_fails(f, "{\"cpu\":{\"realtimeRuntime\":1000}}", false, "cpu.realtimeRuntime/realtimePeriod");
	apply_fails(f, "{\"memory\":{\"swap\":3000}}", false,
		    "memory.swap: cannot be set without memory.limit");
	apply_fails(f, "{\"hugepageLimits\":[{\"pageSize\":\"1GB\",\"limit\":0}]}", false,
		    "hugepageLimits[0].pageSize: 1GB");
	apply_fails(f, "{\"unified\":{\"nosuch.file\":\"1\"}}", false, "unified.nosuch.file");
	apply_ok(f, "{\"unified\":{\"memory.high\":\"12345\"}}");
	expect_file(f, "memory.high", "12345");

	/* checkBeforeUpdate compares against memory.current. */
	make_file(f->dir, "memory.current", "5000\n");
	apply_fails(f, "{\"memory\":{\"limit\":1000,\"checkBeforeUpdate\":true}}", true,
		    "memory.limit: 1000 is below the current usage 5000");
	apply_fails(f, "{\"memory\":{\"limit\":\"x\"}}", true, "memory.limit: expected integer");
}

static void test_missing_controllers(void **state)
{
	struct fixture *f = *state;

	f->cg->v2_ctrls = 0; /* a cgroup2 with no controller enabled, like this host's */
	apply_fails(f, "{\"memory\":{\"limit\":1000}}", false,
		    "memory: the memory controller is not available");
	apply_fails(f, "{\"pids\":{\"limit\":10}}", false, "pids: the pids controller is not available");
	apply_fails(f, "{\"cpu\":{\"cpus\":\"0\"}}", false, "cpu.cpus/mems: the cpuset controller");
	apply_ok(f, "{\"memory\":{\"limit\":0},\"pids\":{\"limit\":0},\"cpu\":{\"cpus\":\"\"}}");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_v1_files, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v1_devices_and_refusals, setup_v1, teardown),
		cmocka_unit_test_setup_teardown(test_v2_conversions, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_v2_refusals, setup_v2, teardown),
		cmocka_unit_test_setup_teardown(test_missing_controllers, setup_v2, teardown),
	};

	return cmocka_run_group_tests_name("cgroup-apply", tests, NULL, NULL);
}
