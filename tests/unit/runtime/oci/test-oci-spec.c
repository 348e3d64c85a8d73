// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the default spec (against `runc spec` when runc is installed) and features.json. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "oci/oci.h"

extern char **environ;

static json_t *at(json_t *root, const char *dotted)
{
	_cleanup_free_ char *copy = strdup(dotted);
	char *save = NULL;
	json_t *v = root;

	for (char *key = strtok_r(copy, ".", &save); key && v; key = strtok_r(NULL, ".", &save))
		v = json_is_array(v) ? json_array_get(v, (size_t)atoi(key)) : json_object_get(v, key);
	return v;
}

static const char *str_at(json_t *root, const char *dotted)
{
	return json_string_value(at(root, dotted));
}

static bool has_namespace(json_t *spec, const char *type)
{
	json_t *ns;
	size_t i;

	json_array_foreach (at(spec, "linux.namespaces"), i, ns)
		if (strcmp(json_string_value(json_object_get(ns, "type")), type) == 0)
			return true;
	return false;
}

static json_t *mount_at(json_t *spec, const char *dest)
{
	json_t *m;
	size_t i;

	json_array_foreach (at(spec, "mounts"), i, m)
		if (strcmp(json_string_value(json_object_get(m, "destination")), dest) == 0)
			return m;
	return NULL;
}

static bool array_has(json_t *arr, const char *s)
{
	json_t *v;
	size_t i;

	json_array_foreach (arr, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	return false;
}

static void test_default_spec_fields(void **state)
{
	json_t *spec = cella_oci_default_spec(false);
	_cleanup_free_ char *text = NULL;
	json_t *reparsed;

	assert_non_null(spec);
	assert_string_equal(str_at(spec, "ociVersion"), "1.0.2");
	assert_true(json_is_true(at(spec, "process.terminal")));
	assert_string_equal(str_at(spec, "process.args.0"), "sh");
	assert_string_equal(str_at(spec, "process.cwd"), "/");
	assert_string_equal(str_at(spec, "process.rlimits.0.type"), "RLIMIT_NOFILE");
	assert_int_equal(json_integer_value(at(spec, "process.rlimits.0.hard")), 1024);
	assert_int_equal(json_integer_value(at(spec, "process.rlimits.0.soft")), 1024);
	assert_true(array_has(at(spec, "process.capabilities.bounding"), "CAP_KILL"));
	assert_int_equal(json_array_size(at(spec, "process.capabilities.ambient")), 3);
	assert_true(json_is_true(at(spec, "process.noNewPrivileges")));
	assert_string_equal(str_at(spec, "root.path"), "rootfs");
	assert_true(json_is_true(at(spec, "root.readonly")));
	assert_string_equal(str_at(spec, "hostname"), "runc");
	assert_int_equal(json_array_size(at(spec, "mounts")), 7);
	assert_string_equal(json_string_value(json_object_get(mount_at(spec, "/sys"), "type")), "sysfs");
	assert_true(array_has(json_object_get(mount_at(spec, "/dev/pts"), "options"), "gid=5"));
	assert_true(has_namespace(spec, "network"));
	assert_false(has_namespace(spec, "user"));
	assert_int_equal(json_array_size(at(spec, "linux.maskedPaths")), 10);
	assert_true(array_has(at(spec, "linux.readonlyPaths"), "/proc/sysrq-trigger"));
	assert_false(json_is_true(at(spec, "linux.resources.devices.0.allow")));
	assert_string_equal(str_at(spec, "linux.resources.devices.0.access"), "rwm");

	/* what `spec` writes reads back as the same document */
	text = json_dumps(spec, JSON_INDENT(8));
	reparsed = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
	assert_true(json_equal(spec, reparsed));
	json_decref(reparsed);
	json_decref(spec);
}

static void test_rootless_spec(void **state)
{
	json_t *spec = cella_oci_default_spec(true);
	json_t *sys;

	assert_non_null(spec);
	assert_true(has_namespace(spec, "user"));
	assert_false(has_namespace(spec, "network"));
	assert_true(has_namespace(spec, "mount") && has_namespace(spec, "pid"));
	assert_int_equal(json_integer_value(at(spec, "linux.uidMappings.0.hostID")), geteuid());
	assert_int_equal(json_integer_value(at(spec, "linux.gidMappings.0.hostID")), getegid());
	assert_int_equal(json_integer_value(at(spec, "linux.uidMappings.0.containerID")), 0);
	assert_int_equal(json_integer_value(at(spec, "linux.uidMappings.0.size")), 1);
	assert_null(at(spec, "linux.resources"));
	sys = mount_at(spec, "/sys");
	assert_string_equal(json_string_value(json_object_get(sys, "type")), "none");
	assert_string_equal(json_string_value(json_object_get(sys, "source")), "/sys");
	assert_true(array_has(json_object_get(sys, "options"), "rbind"));
	assert_true(array_has(json_object_get(sys, "options"), "ro"));
	assert_false(array_has(json_object_get(mount_at(spec, "/dev/pts"), "options"), "gid=5"));
	assert_true(array_has(json_object_get(mount_at(spec, "/dev/pts"), "options"), "newinstance"));
	json_decref(spec);
}

/* Runs `runc spec [--rootless]` in a scratch dir; NULL (and a printed reason) when runc is unusable. */
static json_t *runc_spec(bool rootless)
{
	char dir[] = "/tmp/cella-spec.XXXXXX";
	char *argv[] = {"runc", "spec", rootless ? "--rootless" : NULL, NULL};
	_cleanup_free_ char *config = NULL;
	posix_spawn_file_actions_t fa;
	json_t *spec = NULL;
	int status = 0;
	pid_t pid;

	if (mkdtemp(dir) == NULL)
		return NULL;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addchdir_np(&fa, dir);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	if (posix_spawnp(&pid, "runc", &fa, NULL, argv, environ) == 0 && waitpid(pid, &status, 0) == pid &&
	    WIFEXITED(status) && WEXITSTATUS(status) == 0 && asprintf(&config, "%s/config.json", dir) > 0) {
		spec = json_load_file(config, 0, NULL);
		unlink(config);
	}
	posix_spawn_file_actions_destroy(&fa);
	rmdir(dir);
	return spec;
}

static void compare_with_runc(bool rootless)
{
	json_t *theirs = runc_spec(rootless), *ours;

	if (theirs == NULL) {
		print_message("# skip reason: runc not installed or `runc spec` failed\n");
		skip();
	}
	ours = cella_oci_default_spec(rootless);
	/* the one intended difference: runc 1.1 writes "1.0.2-dev", which crun refuses */
	json_object_set_new(theirs, "ociVersion", json_string(CELLA_OCI_SPEC_VERSION));
	if (!json_equal(ours, theirs)) {
		_cleanup_free_ char *a = json_dumps(ours, JSON_COMPACT),
				    *b = json_dumps(theirs, JSON_COMPACT);

		json_decref(ours);
		json_decref(theirs);
		fail_msg("differs from runc spec%s:\nours:  %s\nrunc:  %s", rootless ? " --rootless" : "", a,
			 b);
	}
	json_decref(ours);
	json_decref(theirs);
}

static void test_same_as_runc_spec(void **state)
{
	compare_with_runc(false);
}

static void test_same_as_runc_spec_rootless(void **state)
{
	compare_with_runc(true);
}

static void test_features(void **state)
{
	json_t *seccomp = json_pack("{s:b, s:[s]}", "enabled", 1, "actions", "SCMP_ACT_ALLOW");
	json_t *caps = json_pack("[ss]", "CAP_CHOWN", "CAP_KILL");
	json_t *opts = json_pack("[sss]", "bind", "rbind", "ro");
	json_t *f = cella_oci_features(seccomp, caps, opts);

	assert_non_null(f);
	assert_string_equal(str_at(f, "ociVersionMin"), "1.0.0");
	assert_string_equal(str_at(f, "ociVersionMax"), "1.2.0");
	assert_int_equal(json_array_size(at(f, "hooks")), 6);
	assert_string_equal(str_at(f, "hooks.0"), "prestart");
	assert_string_equal(str_at(f, "hooks.5"), "poststop");
	assert_true(json_equal(at(f, "mountOptions"), opts));
	assert_true(json_equal(at(f, "linux.capabilities"), caps));
	assert_true(json_equal(at(f, "linux.seccomp"), seccomp));
	assert_true(array_has(at(f, "linux.namespaces"), "user"));
	assert_true(array_has(at(f, "linux.namespaces"), "cgroup"));
	assert_true(array_has(at(f, "linux.namespaces"), "time"));
	assert_int_equal(json_array_size(at(f, "linux.namespaces")), 8);
	assert_true(json_is_true(at(f, "linux.cgroup.v1")));
	assert_true(json_is_true(at(f, "linux.cgroup.v2")));
	assert_true(json_is_false(at(f, "linux.cgroup.systemd")));
	assert_true(json_is_false(at(f, "linux.apparmor.enabled")));
	assert_true(json_is_false(at(f, "linux.selinux.enabled")));
	assert_true(json_is_false(at(f, "linux.intelRdt.enabled")));
	assert_true(json_is_true(at(f, "linux.mountExtensions.idmap.enabled")));
	assert_string_equal(
		json_string_value(json_object_get(at(f, "annotations"), "org.cella.runtime.version")),
		CELLA_VERSION);
	assert_non_null(json_object_get(at(f, "annotations"), "io.github.seccomp.libseccomp.version"));
	/* the arguments are borrowed: the caller's references are untouched */
	assert_int_equal(seccomp->refcount, 2);
	json_decref(f);
	assert_int_equal(seccomp->refcount, 1);
	json_decref(seccomp);
	json_decref(caps);
	json_decref(opts);
}

static void test_features_unknown_left_out(void **state)
{
	json_t *f = cella_oci_features(NULL, NULL, NULL);

	assert_non_null(f);
	assert_null(at(f, "mountOptions"));
	assert_null(at(f, "linux.capabilities"));
	assert_null(at(f, "linux.seccomp"));
	assert_non_null(at(f, "linux.namespaces"));
	json_decref(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_spec_fields),
		cmocka_unit_test(test_rootless_spec),
		cmocka_unit_test(test_same_as_runc_spec),
		cmocka_unit_test(test_same_as_runc_spec_rootless),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_features_unknown_left_out),
	};

	return cmocka_run_group_tests_name("oci-spec", tests, NULL, NULL);
}
