// SPDX-License-Identifier: GPL-2.0-or-later
/* Parsing config.json's security fields: each bad value is reported by its field path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sys/stat.h>

#include "security_test.h"

static void test_empty_process_parses(void **state)
{
	sec_test_parse_ok("{}");
	sec_test_parse_ok("{\"process\":{}}");
	sec_test_parse_ok("{\"process\":{\"user\":{\"uid\":0,\"gid\":0}},\"linux\":{}}");
}

static void test_full_config_parses(void **state)
{
	struct cella_process_security *s = NULL;
	cella_err_t err = sec_test_parse(
		"{\"process\":{\"user\":{\"uid\":1000,\"gid\":1000,\"umask\":18,\"additionalGids\":[10,20,10,"
		"1000],"
		"\"username\":\"ignored\"},"
		"\"noNewPrivileges\":true,\"oomScoreAdj\":100,"
		"\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":4096}],"
		"\"capabilities\":{\"bounding\":[\"CAP_KILL\"],\"effective\":[\"CAP_KILL\"],"
		"\"permitted\":[\"CAP_KILL\"],\"inheritable\":[\"CAP_KILL\"],\"ambient\":[\"CAP_KILL\"]},"
		"\"ioPriority\":{\"class\":\"IOPRIO_CLASS_BE\",\"priority\":4},"
		"\"scheduler\":{\"policy\":\"SCHED_BATCH\",\"nice\":5}},"
		"\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":13}]}}}",
		&s);

	if (err)
		fail_msg("%s", cella_error_string(err));
	assert_true(s->user.present);
	assert_int_equal(s->user.uid, 1000);
	assert_int_equal(s->user.gid, 1000);
	assert_true(s->user.has_umask);
	assert_int_equal(s->user.umask, 022);
	/* Duplicates and the primary gid are folded away. */
	assert_int_equal(s->user.n_gids, 2);
	assert_int_equal(s->user.gids[0], 10);
	assert_int_equal(s->user.gids[1], 20);
	assert_true(s->no_new_privileges);
	assert_true(s->has_oom_score_adj);
	assert_int_equal(s->oom_score_adj, 100);
	assert_int_equal(s->rlimits.n, 1);
	assert_int_equal(s->ioprio.ioclass, 2);
	assert_int_equal(s->ioprio.priority, 4);
	assert_true(s->sched.present);
	assert_int_equal(s->sched.policy, 3);
	assert_int_equal(s->sched.nice, 5);
	assert_int_equal(s->caps.set[SEC_CAP_AMBIENT], 1 << 5);
	assert_int_equal(s->seccomp.n_rules, 1);
	assert_int_equal(s->seccomp.rules[0].action, SCMP_ACT_ERRNO(13));
	/* The filter is loaded with noNewPrivileges, so CAP_SYS_ADMIN need not be kept for it. */
	assert_false(sec_needs_sys_admin_for_seccomp(s));
	cella_process_security_free(s);
}

static void test_sys_admin_kept_only_when_needed(void **state)
{
	struct cella_process_security *s = NULL;
	cella_err_t err = sec_test_parse("{\"process\":{\"capabilities\":{\"effective\":[\"CAP_KILL\"],"
					 "\"permitted\":[\"CAP_KILL\"]}},"
					 "\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}",
					 &s);

	assert_null(err);
	assert_true(sec_needs_sys_admin_for_seccomp(s));
	cella_process_security_free(s);
	err = sec_test_parse("{\"process\":{\"capabilities\":{\"effective\":[\"CAP_KILL\"]}}}", &s);
	assert_non_null(err); /* effective outside permitted */
	cella_error_release(&err);
	err = sec_test_parse("{\"process\":{}}", &s);
	assert_null(err);
	assert_false(sec_needs_sys_admin_for_seccomp(s)); /* no filter, nothing to keep */
	cella_process_security_free(s);
}

static void test_type_errors_name_the_field(void **state)
{
	sec_test_parse_fails("{\"process\":[]}", "config.json: process: must be an object");
	sec_test_parse_fails("{\"process\":{\"user\":5}}",
			     "config.json: process.user: must be an object, not an integer");
	sec_test_parse_fails("{\"process\":{\"noNewPrivileges\":\"yes\"}}",
			     "config.json: process.noNewPrivileges: must be a boolean, not a string");
	sec_test_parse_fails("{\"process\":{\"oomScoreAdj\":1001}}",
			     "config.json: process.oomScoreAdj: 1001 is out of range -1000..1000");
	sec_test_parse_fails("{\"linux\":{\"seccomp\":[]}}", "config.json: linux.seccomp: must be an object");
}

static void test_user_errors(void **state)
{
	sec_test_parse_fails("{\"process\":{\"user\":{\"gid\":0}}}",
			     "config.json: process.user.uid: missing");
	sec_test_parse_fails("{\"process\":{\"user\":{\"uid\":0}}}",
			     "config.json: process.user.gid: missing");
	sec_test_parse_fails("{\"process\":{\"user\":{\"uid\":-1,\"gid\":0}}}",
			     "config.json: process.user.uid: -1 is out of range 0..4294967294");
	sec_test_parse_fails("{\"process\":{\"user\":{\"uid\":4294967295,\"gid\":0}}}", "process.user.uid");
	sec_test_parse_fails("{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"umask\":512}}}",
			     "config.json: process.user.umask: 512 is out of range 0..511");
	sec_test_parse_fails("{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":[1,\"x\"]}}}",
			     "config.json: process.user.additionalGids[1]: must be an integer");
	sec_test_parse_fails("{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"additionalGids\":{}}}}",
			     "config.json: process.user.additionalGids: must be an array, not an object");
}

static void test_rlimit_errors(void **state)
{
	sec_test_parse_fails(
		"{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"soft\":2048,\"hard\":1024}]}}",
		"config.json: process.rlimits[0].soft: soft limit 2048 of RLIMIT_NOFILE is above its "
		"hard limit 1024");
	sec_test_parse_fails(
		"{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_BOGUS\",\"soft\":1,\"hard\":1}]}}",
		"config.json: process.rlimits[0].type: unknown rlimit type RLIMIT_BOGUS");
	sec_test_parse_fails("{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1,\"hard\":1},"
			     "{\"type\":\"RLIMIT_CORE\",\"soft\":0,\"hard\":0}]}}",
			     "config.json: process.rlimits[1].type: RLIMIT_CORE given twice");
	sec_test_parse_fails("{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":1}]}}",
			     "config.json: process.rlimits[0].hard: missing");
	sec_test_parse_fails(
		"{\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":-1,\"hard\":1}]}}",
		"config.json: process.rlimits[0].soft: -1 is out of range");
	sec_test_parse_fails("{\"process\":{\"rlimits\":[7]}}",
			     "config.json: process.rlimits[0]: must be an object");
}

static void test_rlimit_parse_values(void **state)
{
	struct cella_process_security *s = NULL;
	cella_err_t err = sec_test_parse("{\"process\":{\"rlimits\":["
					 "{\"type\":\"RLIMIT_NOFILE\",\"soft\":1024,\"hard\":1048576},"
					 "{\"type\":\"RLIMIT_CORE\",\"soft\":0,\"hard\":0}]}}",
					 &s);

	assert_null(err);
	assert_int_equal(s->rlimits.n, 2);
	assert_string_equal(s->rlimits.v[0].name, "RLIMIT_NOFILE");
	assert_int_equal(s->rlimits.v[0].soft, 1024);
	assert_int_equal(s->rlimits.v[0].hard, 1048576);
	assert_string_equal(s->rlimits.v[1].name, "RLIMIT_CORE");
	cella_process_security_free(s);
}

static void test_scheduler_and_ioprio_errors(void **state)
{
	sec_test_parse_fails("{\"process\":{\"scheduler\":{\"policy\":\"SCHED_WHATEVER\"}}}",
			     "config.json: process.scheduler.policy: unknown policy SCHED_WHATEVER");
	sec_test_parse_fails("{\"process\":{\"scheduler\":{\"nice\":1}}}",
			     "config.json: process.scheduler.policy: missing");
	sec_test_parse_fails("{\"process\":{\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"nice\":20}}}",
			     "config.json: process.scheduler.nice: 20 is out of range -20..19");
	sec_test_parse_fails("{\"process\":{\"scheduler\":{\"policy\":\"SCHED_FIFO\"}}}",
			     "config.json: process.scheduler.priority: must be 1..99 for SCHED_FIFO");
	sec_test_parse_fails(
		"{\"process\":{\"scheduler\":{\"policy\":\"SCHED_OTHER\",\"flags\":[\"SCHED_FLAG_X\"]}}}",
		"config.json: process.scheduler.flags[0]: unknown flag SCHED_FLAG_X");
	sec_test_parse_fails("{\"process\":{\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10,"
			     "\"deadline\":5}}}",
			     "SCHED_DEADLINE needs 0 < runtime <= deadline <= period");
	sec_test_parse_ok(
		"{\"process\":{\"scheduler\":{\"policy\":\"SCHED_DEADLINE\",\"runtime\":10000000,"
		"\"deadline\":30000000,\"period\":30000000,\"flags\":[\"SCHED_FLAG_RESET_ON_FORK\"]}}}");
	sec_test_parse_fails("{\"process\":{\"ioPriority\":{\"class\":\"IOPRIO_CLASS_NONE\"}}}",
			     "config.json: process.ioPriority.class: unknown class IOPRIO_CLASS_NONE");
	sec_test_parse_fails("{\"process\":{\"ioPriority\":{\"class\":\"IOPRIO_CLASS_RT\",\"priority\":8}}}",
			     "config.json: process.ioPriority.priority: 8 is out of range 0..7");
}

static bool is_dir(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Whether the host has the LSM decides the outcome; both outcomes are checked. */
static void test_lsm_needs_host_support(void **state)
{
	const char *aa = "{\"process\":{\"apparmorProfile\":\"cella-default\"}}";
	const char *se = "{\"process\":{\"selinuxLabel\":\"system_u:system_r:container_t:s0\"}}";

	if (is_dir("/sys/kernel/security/apparmor"))
		sec_test_parse_ok(aa);
	else
		sec_test_parse_fails(
			aa, "config.json: process.apparmorProfile: AppArmor is not supported on this "
			    "host (/sys/kernel/security/apparmor missing)");
	if (is_dir("/sys/fs/selinux"))
		sec_test_parse_ok(se);
	else
		sec_test_parse_fails(
			se, "config.json: process.selinuxLabel: SELinux is not supported on this host");
	sec_test_parse_ok("{\"process\":{\"apparmorProfile\":\"\"}}"); /* empty means none */
}

/* The sysfs root is a parameter, so the supported path is tested on any host. */
static void test_lsm_with_fake_sysfs(void **state)
{
	json_t *p = json_pack("{s:s}", "apparmorProfile", "cella-default");
	struct sec_lsm l;
	cella_err_t err = NULL;

	assert_int_equal(sec_lsm_parse(p, "/", "/nonexistent", &l, &err), 0);
	assert_string_equal(l.apparmor_profile, "cella-default");
	assert_null(l.selinux_label);
	sec_lsm_release(&l);
	json_decref(p);
	p = json_pack("{s:s}", "apparmorProfile", "a\nchangeprofile b");
	assert_true(sec_lsm_parse(p, "/", "/", &l, &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "config.json: process.apparmorProfile: must not contain a line break");
	cella_error_release(&err);
	json_decref(p);
}

static void test_seccomp_errors(void **state)
{
	sec_test_parse_fails("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			     "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_BOGUS\"}]}}}",
			     "config.json: linux.seccomp.syscalls[0].action: unknown action SCMP_ACT_BOGUS");
	sec_test_parse_fails("{\"linux\":{\"seccomp\":{}}}",
			     "config.json: linux.seccomp.defaultAction: missing");
	sec_test_parse_fails(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}}}",
		"config.json: linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be the default");
	sec_test_parse_fails(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
		"\"op\":\"SCMP_CMP_ALMOST\"}]}]}}}",
		"config.json: linux.seccomp.syscalls[0].args[0].op: unknown operator SCMP_CMP_ALMOST");
	sec_test_parse_fails(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":1,"
		"\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
		"config.json: linux.seccomp.syscalls[0].args[0].index: 6 is out of range 0..5");
	sec_test_parse_fails("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			     "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":1,"
			     "\"op\":\"SCMP_CMP_EQ\"}]}]}}}",
			     "config.json: linux.seccomp.syscalls[0].args[0].value: missing");
	sec_test_parse_fails(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
		"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_VAX\"]}}}",
		"config.json: linux.seccomp.architectures[1]: unknown architecture SCMP_ARCH_VAX");
	sec_test_parse_fails("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			     "\"flags\":[\"SECCOMP_FILTER_FLAG_FAST\"]}}}",
			     "config.json: linux.seccomp.flags[0]: unknown flag SECCOMP_FILTER_FLAG_FAST");
	sec_test_parse_fails(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":1}]}}}",
		"config.json: linux.seccomp.syscalls[0].errnoRet: only valid with SCMP_ACT_ERRNO or "
		"SCMP_ACT_TRACE, not SCMP_ACT_ALLOW");
	sec_test_parse_fails(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}}",
		"config.json: linux.seccomp.listenerPath: required when a rule uses SCMP_ACT_NOTIFY");
	sec_test_parse_fails(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/x\","
		"\"syscalls\":[{\"names\":[\"write\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}}",
		"config.json: linux.seccomp.syscalls[0].names[0]: SCMP_ACT_NOTIFY cannot be used for write");
	sec_test_parse_fails("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
			     "{\"names\":[],\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
			     "config.json: linux.seccomp.syscalls[0].names: missing or empty");
	sec_test_parse_fails(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":5000}}}",
		"config.json: linux.seccomp.defaultErrnoRet: 5000 is out of range 0..4095");
}

/* libseccomp 2.5 has no attribute for WAIT_KILLABLE_RECV: it must be refused, not ignored. */
static void test_seccomp_flags(void **state)
{
	const char *wk = "{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			 "\"flags\":[\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"]}}}";

#ifdef SCMP_FLTATR_CTL_WAITKILL
	if (seccomp_api_get() >= 7)
		sec_test_parse_ok(wk);
	else
		sec_test_parse_fails(wk, "is not supported by libseccomp");
#else
	sec_test_parse_fails(wk,
			     "config.json: linux.seccomp.flags[0]: SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV is "
			     "not supported by libseccomp");
#endif
	if (seccomp_api_get() < 4)
		skip(); /* printed by cmocka; libseccomp here cannot apply SPEC_ALLOW */
	sec_test_parse_ok("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			  "\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_LOG\","
			  "\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\"]}}}");
}

static void test_seccomp_listener_fields(void **state)
{
	struct cella_process_security *s = NULL;
	const char *path = NULL, *meta = NULL;
	cella_err_t err =
		sec_test_parse("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			       "\"listenerPath\":\"/run/agent.sock\",\"listenerMetadata\":\"m=1\","
			       "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}}}",
			       &s);

	assert_null(err);
	assert_true(cella_seccomp_wants_listener(s, &path, &meta));
	assert_string_equal(path, "/run/agent.sock");
	assert_string_equal(meta, "m=1");
	cella_process_security_free(s);
	err = sec_test_parse("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\"}}}", &s);
	assert_null(err);
	assert_false(cella_seccomp_wants_listener(s, &path, &meta));
	cella_process_security_free(s);
	sec_test_parse_fails(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\""
		"/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaa\"}}}",
		"config.json: linux.seccomp.listenerPath: longer than a unix socket path");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_process_parses),
		cmocka_unit_test(test_full_config_parses),
		cmocka_unit_test(test_sys_admin_kept_only_when_needed),
		cmocka_unit_test(test_type_errors_name_the_field),
		cmocka_unit_test(test_user_errors),
		cmocka_unit_test(test_rlimit_errors),
		cmocka_unit_test(test_rlimit_parse_values),
		cmocka_unit_test(test_scheduler_and_ioprio_errors),
		cmocka_unit_test(test_lsm_needs_host_support),
		cmocka_unit_test(test_lsm_with_fake_sysfs),
		cmocka_unit_test(test_seccomp_errors),
		cmocka_unit_test(test_seccomp_flags),
		cmocka_unit_test(test_seccomp_listener_fields),
	};

	return cmocka_run_group_tests_name("security-parse", tests, NULL, NULL);
}
