// SPDX-License-Identifier: GPL-2.0-or-later
/* Capabilities: names, parsing of the five sets, and (as root) applying them in a child. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/capability.h>

#include "child_run.h"
#include "security_test.h"

static void test_names(void **state)
{
	json_t *known = cella_caps_known();
	int cap = -1;

	assert_int_equal(cella_cap_from_name("CAP_CHOWN", &cap), 0);
	assert_int_equal(cap, 0);
	assert_int_equal(cella_cap_from_name("CAP_KILL", &cap), 0);
	assert_int_equal(cap, 5);
	assert_int_equal(cella_cap_from_name("CAP_CHECKPOINT_RESTORE", &cap), 0);
	assert_int_equal(cap, 40);
	assert_int_equal(cella_cap_from_name("CAP_FOO", &cap), -1);
	assert_int_equal(cella_cap_from_name("cap_kill", &cap), -1); /* names are exact, as in the spec */
	assert_int_equal(cella_cap_from_name("KILL", &cap), -1);
	assert_non_null(known);
	assert_int_equal(json_array_size(known), 41);
	assert_string_equal(json_string_value(json_array_get(known, 0)), "CAP_CHOWN");
	assert_string_equal(json_string_value(json_array_get(known, 21)), "CAP_SYS_ADMIN");
	json_decref(known);
}

static void test_last_cap_matches_kernel(void **state)
{
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "r");
	int last = -1;

	if (f == NULL) {
		printf("# skip: no /proc/sys/kernel/cap_last_cap\n");
		skip();
	}
	assert_int_equal(fscanf(f, "%d", &last), 1);
	fclose(f);
	assert_int_equal(sec_caps_last_cap(), last);
}

static void test_unknown_names_are_errors(void **state)
{
	sec_test_parse_fails(
		"{\"process\":{\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\",\"CAP_FOO\"]}}}",
		"config.json: process.capabilities.bounding[2]: unknown capability CAP_FOO");
	sec_test_parse_fails("{\"process\":{\"capabilities\":{\"ambient\":[5]}}}",
			     "config.json: process.capabilities.ambient[0]: must be a string");
	sec_test_parse_fails("{\"process\":{\"capabilities\":{\"permitted\":\"CAP_KILL\"}}}",
			     "config.json: process.capabilities.permitted: must be an array, not a string");
	sec_test_parse_fails(
		"{\"process\":{\"capabilities\":{\"effective\":[\"CAP_KILL\"],\"permitted\":[]}}}",
		"config.json: process.capabilities.effective: CAP_KILL is not in permitted");
}

static char logged[512];

static void capture_log(enum cella_security_log_level level, const char *msg, void *data)
{
	snprintf(logged, sizeof(logged), "%d:%s", (int)level, msg);
}

static void test_sets_parse_to_masks(void **state)
{
	json_t *caps = json_loads("{\"bounding\":[\"CAP_KILL\",\"CAP_SYS_ADMIN\",\"CAP_BPF\"],"
				  "\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\",\"CAP_CHOWN\"],"
				  "\"inheritable\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]}",
				  0, NULL);
	cella_err_t err = NULL;
	struct sec_caps c;

	assert_int_equal(sec_caps_parse(caps, 40, &c, &err), 0);
	assert_true(c.present);
	assert_int_equal(c.set[SEC_CAP_BOUNDING], (1ULL << 5) | (1ULL << 21) | (1ULL << 39));
	assert_int_equal(c.set[SEC_CAP_EFFECTIVE], 1ULL << 5);
	assert_int_equal(c.set[SEC_CAP_PERMITTED], (1ULL << 5) | 1ULL);
	assert_int_equal(c.set[SEC_CAP_INHERITABLE], 1ULL << 5);
	assert_int_equal(c.set[SEC_CAP_AMBIENT], 1ULL << 5);

	/* A kernel whose last cap is 38 does not know CAP_BPF (39): skipped with a warning. */
	logged[0] = '\0';
	cella_security_set_log(capture_log, NULL);
	assert_int_equal(sec_caps_parse(caps, 38, &c, &err), 0);
	cella_security_set_log(NULL, NULL);
	assert_int_equal(c.set[SEC_CAP_BOUNDING], (1ULL << 5) | (1ULL << 21));
	assert_string_equal(logged,
			    "0:process.capabilities.bounding[2]: CAP_BPF is not known to the running kernel, "
			    "skipped");
	json_decref(caps);
}

static void test_ambient_needs_inheritable(void **state)
{
	json_t *caps =
		json_loads("{\"permitted\":[\"CAP_KILL\",\"CAP_CHOWN\"],\"inheritable\":[\"CAP_CHOWN\"],"
			   "\"ambient\":[\"CAP_KILL\",\"CAP_CHOWN\"]}",
			   0, NULL);
	cella_err_t err = NULL;
	struct sec_caps c;

	logged[0] = '\0';
	cella_security_set_log(capture_log, NULL);
	assert_int_equal(sec_caps_parse(caps, 40, &c, &err), 0);
	cella_security_set_log(NULL, NULL);
	assert_int_equal(c.set[SEC_CAP_AMBIENT], 1ULL << 0);
	assert_string_equal(logged,
			    "1:process.capabilities.ambient: CAP_KILL is not both permitted and inheritable, "
			    "skipped");
	json_decref(caps);
}

static void test_absent_means_empty(void **state)
{
	cella_err_t err = NULL;
	struct sec_caps c;

	assert_int_equal(sec_caps_parse(NULL, 40, &c, &err), 0);
	assert_false(c.present);
	for (int i = 0; i < SEC_CAP_NSETS; i++)
		assert_int_equal(c.set[i], 0);
}

static bool have_cap(cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t c = cap_get_proc();

	cap_get_flag(c, cap, CAP_EFFECTIVE, &v);
	cap_free(c);
	return v == CAP_SET;
}

static int apply_and_report(FILE *out, void *arg)
{
	struct cella_process_security *s = arg;
	char line[256];
	cella_err_t err = NULL;
	FILE *st;

	if (cella_process_security_apply(s, &err) < 0) {
		fprintf(out, "error: %s\n", cella_error_string(err));
		return 1;
	}
	st = fopen("/proc/self/status", "r");
	if (st == NULL)
		return 2;
	while (fgets(line, sizeof(line), st)) {
		if (strncmp(line, "Cap", 3) == 0 || strncmp(line, "NoNewPrivs", 10) == 0 ||
		    strncmp(line, "Uid", 3) == 0 || strncmp(line, "Gid", 3) == 0 ||
		    strncmp(line, "Groups", 6) == 0)
			fputs(line, out);
	}
	fclose(st);
	return 0;
}

/* As root: the sets land exactly, across a uid change, before any execve. */
static void test_apply_in_child(void **state)
{
	struct cella_process_security *s = NULL;
	char buf[2048];
	cella_err_t err;

	if (geteuid() != 0 || !have_cap(CAP_SETPCAP) || !have_cap(CAP_SETUID) || !have_cap(CAP_SETGID)) {
		printf("# skip: needs root with CAP_SETPCAP, CAP_SETUID and CAP_SETGID\n");
		skip();
	}
	err = sec_test_parse(
		"{\"process\":{\"user\":{\"uid\":1000,\"gid\":1001,\"additionalGids\":[10,20]},"
		"\"noNewPrivileges\":true,\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_CHOWN\"],"
		"\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\",\"CAP_CHOWN\"],"
		"\"inheritable\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]}}}",
		&s);
	assert_null(err);
	assert_int_equal(child_run(apply_and_report, s, buf, sizeof(buf)), 0);
	cella_process_security_free(s);
	if (!strstr(buf, "CapInh:\t0000000000000020\n") || !strstr(buf, "CapPrm:\t0000000000000021\n") ||
	    !strstr(buf, "CapEff:\t0000000000000020\n") || !strstr(buf, "CapBnd:\t0000000000000021\n") ||
	    !strstr(buf, "CapAmb:\t0000000000000020\n") || !strstr(buf, "NoNewPrivs:\t1\n") ||
	    !strstr(buf, "Uid:\t1000\t1000\t1000\t1000\n") ||
	    !strstr(buf, "Gid:\t1001\t1001\t1001\t1001\n") || !strstr(buf, "Groups:\t10 20 1001 \n"))
		fail_msg("unexpected child state:\n%s", buf);
}

/* Without noNewPrivileges the filter needs CAP_SYS_ADMIN: kept for the load, then dropped. */
static void test_sys_admin_dropped_after_seccomp(void **state)
{
	struct cella_process_security *s = NULL;
	char buf[2048];
	cella_err_t err;

	if (geteuid() != 0 || !have_cap(CAP_SETPCAP) || !have_cap(CAP_SYS_ADMIN)) {
		printf("# skip: needs root with CAP_SETPCAP and CAP_SYS_ADMIN\n");
		skip();
	}
	err = sec_test_parse(
		"{\"process\":{\"user\":{\"uid\":0,\"gid\":0},\"capabilities\":{"
		"\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],\"permitted\":[\"CAP_KILL\"]}},"
		"\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
		&s);
	assert_null(err);
	assert_true(sec_needs_sys_admin_for_seccomp(s));
	assert_int_equal(child_run(apply_and_report, s, buf, sizeof(buf)), 0);
	cella_process_security_free(s);
	if (!strstr(buf, "CapEff:\t0000000000000020\n") || !strstr(buf, "CapPrm:\t0000000000000020\n") ||
	    !strstr(buf, "NoNewPrivs:\t0\n"))
		fail_msg("unexpected child state:\n%s", buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_last_cap_matches_kernel),
		cmocka_unit_test(test_unknown_names_are_errors),
		cmocka_unit_test(test_sets_parse_to_masks),
		cmocka_unit_test(test_ambient_needs_inheritable),
		cmocka_unit_test(test_absent_means_empty),
		cmocka_unit_test(test_apply_in_child),
		cmocka_unit_test(test_sys_admin_dropped_after_seccomp),
	};

	return cmocka_run_group_tests_name("security-caps", tests, NULL, NULL);
}
