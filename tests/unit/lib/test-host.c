// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Unit tests for the host probes, fed with recorded /proc and /sys files in a
 * scratch root, plus a few checks against the real host.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/host.h>
#include <cella/xalloc.h>

#include "tmpdir.h"

/* This project's CI host: systemd's hybrid layout, as crun refuses and runc accepts. */
static const char mountinfo_hybrid[] =
	"23 1 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
	"31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime shared:9 master:2 - cgroup cgroup rw,memory\n"
	"39 31 0:36 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n"
	/* A bind mount of the memory hierarchy elsewhere must not list memory twice. */
	"90 23 0:32 / /mnt/mem\\040cg rw,relatime - cgroup cgroup rw,memory\n";

static const char mountinfo_v2[] = "25 1 0:22 / /proc rw,nosuid - proc proc rw\n"
				   "30 23 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - "
				   "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";

static const char mountinfo_v1[] =
	"32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
	"34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset,clone_children\n";

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

static void test_cgroup_hybrid(void **state)
{
	const char *root = *state;
	struct cella_host_cgroup cg;
	static const char *const v1[] = {"cpu", "cpuacct", "memory", "pids"};

	assert_int_equal(tmpdir_put(root, "proc/self/mountinfo", mountinfo_hybrid), 0);
	assert_int_equal(tmpdir_put(root, "sys/fs/cgroup/unified/cgroup.controllers", "\n"), 0);
	assert_int_equal(cella_host_probe_cgroup(root, &cg, NULL), 0);
	assert_int_equal(cg.layout, CELLA_CGROUP_HYBRID);
	assert_string_equal(cella_cgroup_layout_name(cg.layout), "hybrid");
	assert_string_equal(cg.v2_mount, "/sys/fs/cgroup/unified");
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(cg.v1_controllers[i], v1[i]);
	assert_null(cg.v1_controllers[4]);
	assert_string_equal(cg.v1_mounts[2], "/sys/fs/cgroup/memory");
	assert_string_equal(cg.v1_mounts[3], "/sys/fs/cgroup/pids");
	assert_null(cg.v2_controllers[0]);
	cella_host_cgroup_release(&cg);
	assert_null(cg.v2_mount);
}

static void test_cgroup_v2_v1_none(void **state)
{
	const char *root = *state;
	struct cella_host_cgroup cg;

	assert_int_equal(tmpdir_put(root, "proc/self/mountinfo", mountinfo_v2), 0);
	assert_int_equal(tmpdir_put(root, "sys/fs/cgroup/cgroup.controllers", "cpuset cpu io memory pids\n"),
			 0);
	assert_int_equal(cella_host_probe_cgroup(root, &cg, NULL), 0);
	assert_int_equal(cg.layout, CELLA_CGROUP_V2);
	assert_string_equal(cg.v2_mount, "/sys/fs/cgroup");
	assert_string_equal(cg.v2_controllers[2], "io");
	assert_string_equal(cg.v2_controllers[4], "pids");
	assert_null(cg.v2_controllers[5]);
	assert_null(cg.v1_controllers[0]);
	cella_host_cgroup_release(&cg);

	assert_int_equal(tmpdir_put(root, "proc/self/mountinfo", mountinfo_v1), 0);
	assert_int_equal(cella_host_probe_cgroup(root, &cg, NULL), 0);
	assert_int_equal(cg.layout, CELLA_CGROUP_V1);
	assert_null(cg.v2_mount);
	assert_string_equal(cg.v1_controllers[0], "cpu");
	assert_string_equal(cg.v1_mounts[0], "/sys/fs/cgroup/cpu,cpuacct");
	assert_string_equal(cg.v1_controllers[1], "cpuacct");
	assert_string_equal(cg.v1_controllers[2], "cpuset");
	assert_null(cg.v1_controllers[3]);
	cella_host_cgroup_release(&cg);

	assert_int_equal(tmpdir_put(root, "proc/self/mountinfo", "25 1 0:22 / /proc rw - proc proc rw\n"), 0);
	assert_int_equal(cella_host_probe_cgroup(root, &cg, NULL), 0);
	assert_int_equal(cg.layout, CELLA_CGROUP_NONE);
	assert_string_equal(cella_cgroup_layout_name(cg.layout), "none");
	cella_host_cgroup_release(&cg);
}

static void test_cgroup_errors(void **state)
{
	const char *root = *state;
	_cleanup_free_ char *expect = xasprintf("%s/proc/self/mountinfo:2: malformed mount entry", root);
	_cleanup_error_ cella_err_t err = NULL;
	struct cella_host_cgroup cg;

	assert_true(cella_host_probe_cgroup(root, &cg, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "mountinfo"));
	assert_null(cg.v1_controllers); /* released on failure */

	/* Line 2 lacks the " - " separator and the fields after it. */
	assert_int_equal(
		tmpdir_put(root, "proc/self/mountinfo",
			   "25 1 0:22 / /proc rw - proc proc rw\n31 23 0:28 / /x rw,relatime cgroup\n"),
		0);
	assert_true(cella_host_probe_cgroup(root, &cg, &err) < 0);
	assert_string_equal(cella_error_string(err), expect);

	/* A cgroup2 mount without cgroup.controllers is not a cgroup2 mount we understand. */
	assert_int_equal(tmpdir_put(root, "proc/self/mountinfo", mountinfo_v2), 0);
	assert_true(cella_host_probe_cgroup(root, &cg, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "/sys/fs/cgroup/cgroup.controllers"));
}

static void test_namespaces(void **state)
{
	const char *root = *state;
	_cleanup_error_ cella_err_t err = NULL;
	struct cella_host_ns ns;

	assert_int_equal(tmpdir_put(root, "proc/self/ns/mnt", ""), 0);
	assert_int_equal(tmpdir_put(root, "proc/self/ns/pid", ""), 0);
	assert_int_equal(tmpdir_put(root, "proc/self/ns/user", ""), 0);
	assert_int_equal(cella_host_probe_namespaces(root, &ns, NULL), 0);
	assert_true(ns.available[CELLA_NS_MNT]);
	assert_true(ns.available[CELLA_NS_PID]);
	assert_true(ns.available[CELLA_NS_USER]); /* no limit file: the ns entry decides */
	assert_false(ns.available[CELLA_NS_NET]);
	assert_false(ns.available[CELLA_NS_TIME]);
	assert_int_equal(ns.max_user_namespaces, -1);

	assert_int_equal(tmpdir_put(root, "proc/sys/user/max_user_namespaces", "0\n"), 0);
	assert_int_equal(cella_host_probe_namespaces(root, &ns, NULL), 0);
	assert_false(ns.available[CELLA_NS_USER]);
	assert_int_equal(ns.max_user_namespaces, 0);

	assert_int_equal(tmpdir_put(root, "proc/sys/user/max_user_namespaces", "63494\n"), 0);
	assert_int_equal(cella_host_probe_namespaces(root, &ns, NULL), 0);
	assert_true(ns.available[CELLA_NS_USER]);
	assert_int_equal(ns.max_user_namespaces, 63494);

	assert_int_equal(tmpdir_put(root, "proc/sys/user/max_user_namespaces", "lots\n"), 0);
	assert_true(cella_host_probe_namespaces(root, &ns, &err) < 0);
	assert_string_equal(
		cella_error_string(err),
		"/proc/sys/user/max_user_namespaces: invalid number 'lots': expected decimal digits");
	assert_string_equal(cella_ns_name(CELLA_NS_CGROUP), "cgroup");
	assert_string_equal(cella_ns_name(CELLA_NS_COUNT), "unknown");
}

static void test_misc(void **state)
{
	const char *root = *state;
	_cleanup_error_ cella_err_t err = NULL;
	struct cella_host_misc misc;

	/* No osrelease under a fake root is an error (no uname() fallback there). */
	assert_true(cella_host_probe_misc(root, &misc, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "osrelease"));

	assert_int_equal(tmpdir_put(root, "proc/sys/kernel/osrelease", "6.1.0-13-amd64\n"), 0);
	assert_int_equal(
		tmpdir_put(root, "proc/self/status", "Name:\tcat\nSeccomp:\t0\nSeccomp_filters:\t0\n"), 0);
	assert_int_equal(tmpdir_put(root, "proc/sys/kernel/seccomp/actions_avail", "kill_process\n"), 0);
	assert_int_equal(tmpdir_put(root, "proc/filesystems", "nodev\tsysfs\n\text4\nnodev\toverlay\n"), 0);
	assert_int_equal(cella_host_probe_misc(root, &misc, NULL), 0);
	assert_string_equal(misc.kernel_release, "6.1.0-13-amd64");
	assert_true(misc.seccomp);
	assert_true(misc.seccomp_filter);
	assert_true(misc.overlayfs);

	/* "overlayfs" or "overlay2" are not "overlay"; no Seccomp: line means no seccomp at all. */
	assert_int_equal(tmpdir_put(root, "proc/self/status", "Name:\tcat\nNoNewPrivs:\t0\n"), 0);
	assert_int_equal(tmpdir_put(root, "proc/filesystems", "nodev\toverlayfs\nnodev\toverlay2\n\text4"),
			 0);
	assert_int_equal(cella_host_probe_misc(root, &misc, NULL), 0);
	assert_false(misc.seccomp);
	assert_false(misc.seccomp_filter);
	assert_false(misc.overlayfs);
}

static void test_kvm_fake_roots(void **state)
{
	const char *root = *state;
	_cleanup_free_ char *dev = xasprintf("%s/dev/kvm", root);
	_cleanup_free_ char *expect = xasprintf("open %s: No such file or directory", dev);
	struct cella_host_kvm kvm;

	assert_int_equal(tmpdir_put(root, "sys/module/kvm_pvm/parameters/x", "1\n"), 0);
	assert_int_equal(
		tmpdir_put(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vme msr sse2 hypervisor\n"),
		0);
	assert_int_equal(cella_host_probe_kvm(root, &kvm, NULL), 0);
	assert_false(kvm.device_present);
	assert_false(kvm.opened);
	assert_int_equal(kvm.api_version, -1);
	assert_int_equal(kvm.kind, CELLA_KVM_UNAVAILABLE);
	assert_string_equal(kvm.module, "kvm_pvm");
	assert_false(kvm.cpu_virt_flag);
	assert_string_equal(kvm.error, expect);
	assert_string_equal(cella_kvm_kind_name(kvm.kind), "unavailable");

	/* A /dev/kvm that is not the KVM device: the API ioctl fails. */
	assert_int_equal(tmpdir_put(root, "dev/kvm", ""), 0);
	assert_int_equal(tmpdir_put(root, "sys/module/kvm_intel/parameters/nested", "N\n"), 0);
	assert_int_equal(tmpdir_put(root, "proc/cpuinfo", "processor\t: 0\nflags\t\t: fpu vmx sse2\n"), 0);
	assert_int_equal(cella_host_probe_kvm(root, &kvm, NULL), 0);
	assert_true(kvm.device_present);
	assert_true(kvm.opened);
	assert_int_equal(kvm.api_version, -1);
	assert_false(kvm.vm_created);
	assert_int_equal(kvm.kind, CELLA_KVM_UNAVAILABLE);
	assert_string_equal(kvm.module, "kvm_intel");
	assert_true(kvm.cpu_virt_flag);
	assert_non_null(strstr(kvm.error, "KVM_GET_API_VERSION: Inappropriate ioctl for device"));
}

static void test_kvm_cpuinfo_words(void **state)
{
	static const struct {
		const char *cpuinfo;
		bool flag;
	} cases[] = {
		{"flags\t\t: svm fpu\n", true},
		{"flags\t\t: fpu svm\n", true},
		{"flags\t\t: fpu vmxx svmx\n", false},
		{"flags\t\t: fpu\nvmx flags\t: vnmi\n", false}, /* "vmx flags" is another line */
		{"model name\t: vmx svm\nflags\t\t: fpu\n", false},
		{"", false},
	};
	const char *root = *state;
	struct cella_host_kvm kvm;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(tmpdir_put(root, "proc/cpuinfo", cases[i].cpuinfo), 0);
		assert_int_equal(cella_host_probe_kvm(root, &kvm, NULL), 0);
		assert_int_equal(kvm.cpu_virt_flag, cases[i].flag);
		assert_string_equal(kvm.module, "");
	}
	assert_string_equal(cella_kvm_kind_name(CELLA_KVM_HARDWARE), "hardware-assisted");
	assert_string_equal(cella_kvm_kind_name(CELLA_KVM_NESTED_PVM), "nested software-assisted");
}

static void test_real_host(void **state)
{
	struct cella_host_misc misc;
	struct cella_host_ns ns;
	struct utsname u;

	assert_int_equal(cella_host_probe_misc(NULL, &misc, NULL), 0);
	assert_int_equal(uname(&u), 0);
	assert_string_equal(misc.kernel_release, u.release);
	assert_int_equal(cella_host_probe_namespaces("", &ns, NULL), 0);
	assert_true(ns.available[CELLA_NS_MNT]); /* every kernel this runs on has these */
	assert_true(ns.available[CELLA_NS_PID]);
}

static void test_real_kvm(void **state)
{
	struct cella_host_kvm kvm;
	struct stat st;

	if (access("/dev/kvm", R_OK | W_OK) != 0) {
		print_message("# /dev/kvm not accessible: %s\n", strerror(errno));
		skip();
	}
	assert_int_equal(cella_host_probe_kvm(NULL, &kvm, NULL), 0);
	assert_true(kvm.opened);
	assert_int_equal(kvm.api_version, CELLA_KVM_API_VERSION);
	assert_true(kvm.vm_created);
	assert_string_equal(kvm.error, "");
	if (stat("/sys/module/kvm_pvm", &st) == 0 && stat("/sys/module/kvm_intel", &st) != 0 &&
	    stat("/sys/module/kvm_amd", &st) != 0)
		assert_int_equal(kvm.kind, CELLA_KVM_NESTED_PVM);
	assert_int_not_equal(kvm.kind, CELLA_KVM_UNAVAILABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cgroup_hybrid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_v2_v1_none, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cgroup_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_namespaces, setup, teardown),
		cmocka_unit_test_setup_teardown(test_misc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_fake_roots, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kvm_cpuinfo_words, setup, teardown),
		cmocka_unit_test(test_real_host),
		cmocka_unit_test(test_real_kvm),
	};

	return cmocka_run_group_tests_name("host", tests, NULL, NULL);
}
