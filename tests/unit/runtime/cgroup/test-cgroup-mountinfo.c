/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Hierarchy detection from mountinfo text: v1, hybrid, v2, escapes, none. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cgroup/cgroup_internal.h"

static const char hybrid[] =
	"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices\n"
	"37 31 0:34 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
	"38 31 0:35 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio\n"
	"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

static void test_hybrid(void **state)
{
	struct cgroup_layout l;
	cella_err_t err = NULL;

	assert_int_equal(cgroup_layout_parse(hybrid, &l, &err), 0);
	assert_int_equal(l.mode, CELLA_CGROUP_HYBRID);
	assert_string_equal(l.v1_mount[CG_CPU], "/sys/fs/cgroup/cpu");
	assert_string_equal(l.v1_mount[CG_CPUACCT], "/sys/fs/cgroup/cpuacct");
	assert_string_equal(l.v1_mount[CG_MEMORY], "/sys/fs/cgroup/memory");
	assert_string_equal(l.v1_mount[CG_PIDS], "/sys/fs/cgroup/pids");
	assert_null(l.v1_mount[CG_HUGETLB]); /* only in cgroup2 on that host */
	assert_null(l.v1_mount[CG_NET_CLS]);
	assert_string_equal(l.unified_mount, "/sys/fs/cgroup/unified");
	cgroup_layout_clear(&l);
}

static void test_v1_comounted_with_optional_fields(void **state)
{
	static const char text[] =
		"25 24 0:22 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:9 - cgroup cgroup rw,cpu,cpuacct\n"
		"26 24 0:23 / /sys/fs/cgroup/net_cls,net_prio rw shared:10 master:3 - cgroup cgroup "
		"rw,net_cls,net_prio\n"
		"27 24 0:24 / /sys/fs/cgroup/my\\040hugetlb rw - cgroup cgroup rw,hugetlb\n";
	struct cgroup_layout l;
	cella_err_t err = NULL;

	assert_int_equal(cgroup_layout_parse(text, &l, &err), 0);
	assert_int_equal(l.mode, CELLA_CGROUP_V1);
	assert_string_equal(l.v1_mount[CG_CPU], "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(l.v1_mount[CG_CPUACCT], "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(l.v1_mount[CG_NET_PRIO], "/sys/fs/cgroup/net_cls,net_prio");
	assert_string_equal(l.v1_mount[CG_HUGETLB], "/sys/fs/cgroup/my hugetlb");
	assert_null(l.unified_mount);
	cgroup_layout_clear(&l);
}

static void test_pure_v2(void **state)
{
	static const char text[] = "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev shared:4 - cgroup2 cgroup2 "
				   "rw,nsdelegate,memory_recursiveprot\n"
				   "31 23 0:27 / /tmp/other rw - cgroup2 cgroup2 rw\n";
	struct cgroup_layout l;
	cella_err_t err = NULL;

	assert_int_equal(cgroup_layout_parse(text, &l, &err), 0);
	assert_int_equal(l.mode, CELLA_CGROUP_V2);
	assert_string_equal(l.unified_mount, "/sys/fs/cgroup"); /* the first one */
	for (int c = 0; c < CG_NCTRL; c++)
		assert_null(l.v1_mount[c]);
	cgroup_layout_clear(&l);
}

static void test_none_and_garbage(void **state)
{
	struct cgroup_layout l;
	cella_err_t err = NULL;

	assert_int_equal(
		cgroup_layout_parse("22 27 0:21 / /proc rw - proc proc rw\nshort line\n- - -\n\n", &l, &err),
		-1);
	assert_non_null(strstr(cella_error_string(err), "no cgroup"));
	cella_error_release(&err);
	assert_int_equal(cgroup_layout_parse("", &l, &err), -1);
	cella_error_release(&err);
}

static void test_ctrl_names(void **state)
{
	assert_string_equal(cgroup_ctrl_v2_name(CG_BLKIO), "io");
	assert_null(cgroup_ctrl_v2_name(CG_DEVICES));
	assert_int_equal(cgroup_ctrl_from_v1_name("pids"), CG_PIDS);
	assert_int_equal(cgroup_ctrl_from_v1_name("name=systemd"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hybrid),	   cmocka_unit_test(test_v1_comounted_with_optional_fields),
		cmocka_unit_test(test_pure_v2),	   cmocka_unit_test(test_none_and_garbage),
		cmocka_unit_test(test_ctrl_names),
	};

	return cmocka_run_group_tests_name("cgroup-mountinfo", tests, NULL, NULL);
}
