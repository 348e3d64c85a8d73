// SPDX-License-Identifier: GPL-2.0-or-later
/* Applying what needs no root, in a child: rlimits (and the EPERM message), umask, noNewPrivileges. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sched.h>

#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "child_run.h"
#include "security_test.h"

static int apply_rlimits(FILE *out, void *arg)
{
	struct sec_rlimits *r = arg;
	cella_err_t err = NULL;
	struct rlimit l;

	if (sec_rlimits_apply(r, &err) < 0) {
		fprintf(out, "error: %s", cella_error_string(err));
		return 1;
	}
	getrlimit(RLIMIT_NOFILE, &l);
	fprintf(out, "%llu/%llu", (unsigned long long)l.rlim_cur, (unsigned long long)l.rlim_max);
	return 0;
}

static struct sec_rlimits parse_rlimits(const char *json)
{
	json_t *j = json_loads(json, 0, NULL);
	struct sec_rlimits r;
	cella_err_t err = NULL;

	if (sec_rlimits_parse(j, &r, &err) < 0)
		fail_msg("%s", cella_error_string(err));
	json_decref(j);
	return r;
}

static void test_rlimit_lowered(void **state)
{
	struct sec_rlimits r;
	struct rlimit cur;
	char buf[256];

	assert_int_equal(getrlimit(RLIMIT_NOFILE, &cur), 0);
	if (cur.rlim_max < 128) {
		printf("# skip: hard RLIMIT_NOFILE %llu is below 128\n", (unsigned long long)cur.rlim_max);
		skip();
	}
	r = parse_rlimits("[{\"type\":\"RLIMIT_NOFILE\",\"soft\":64,\"hard\":128}]");

	assert_int_equal(child_run(apply_rlimits, &r, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "64/128");
	sec_rlimits_release(&r);
}

static bool have_cap(cap_value_t cap)
{
	cap_flag_value_t v = CAP_CLEAR;
	cap_t c = cap_get_proc();

	cap_get_flag(c, cap, CAP_EFFECTIVE, &v);
	cap_free(c);
	return v == CAP_SET;
}

/* Raising the hard limit without CAP_SYS_RESOURCE: the message says what is missing. */
static void test_rlimit_raise_hard_message(void **state)
{
	struct rlimit cur;
	char json[256], buf[512], want[512];
	struct sec_rlimits r;

	if (have_cap(CAP_SYS_RESOURCE)) {
		printf("# skip: this process has CAP_SYS_RESOURCE, raising the hard limit would succeed\n");
		skip();
	}
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &cur), 0);
	if (cur.rlim_max >= (rlim_t)INT64_MAX) {
		printf("# skip: hard RLIMIT_NOFILE is unlimited, there is nothing above it\n");
		skip();
	}
	snprintf(json, sizeof(json), "[{\"type\":\"RLIMIT_NOFILE\",\"soft\":%llu,\"hard\":%llu}]",
		 (unsigned long long)cur.rlim_cur, (unsigned long long)cur.rlim_max + 1);
	r = parse_rlimits(json);
	assert_int_equal(child_run(apply_rlimits, &r, buf, sizeof(buf)), 1);
	snprintf(want, sizeof(want),
		 "error: setrlimit RLIMIT_NOFILE to %llu/%llu: Operation not permitted (raising the hard "
		 "limit needs "
		 "CAP_SYS_RESOURCE)",
		 (unsigned long long)cur.rlim_cur, (unsigned long long)cur.rlim_max + 1);
	assert_string_equal(buf, want);
	sec_rlimits_release(&r);
}

static int apply_umask_nnp(FILE *out, void *arg)
{
	struct cella_process_security *s = arg;
	cella_err_t err = NULL;
	mode_t m;

	sec_user_apply_umask(&s->user);
	if (s->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return 1;
	m = umask(0);
	fprintf(out, "umask=%04o nnp=%d", (unsigned)m, prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
	cella_error_release(&err);
	return 0;
}

static void test_umask(void **state)
{
	struct cella_process_security *s = NULL;
	cella_err_t err = sec_test_parse("{\"process\":{\"user\":{\"uid\":0,\"gid\":0,\"umask\":23},"
					 "\"noNewPrivileges\":true}}",
					 &s);
	char buf[128];

	assert_null(err);
	assert_int_equal(child_run(apply_umask_nnp, s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "umask=0027 nnp=1");
	cella_process_security_free(s);
}

static int apply_sched(FILE *out, void *arg)
{
	struct cella_process_security *s = arg;
	cella_err_t err = NULL;

	if (sec_sched_apply(&s->sched, &err) < 0 || sec_ioprio_apply(&s->ioprio, &err) < 0) {
		fprintf(out, "error: %s", cella_error_string(err));
		cella_error_release(&err);
		return 1;
	}
	errno = 0;
	fprintf(out, "policy=%d nice=%d ioprio=%ld", sched_getscheduler(0), getpriority(PRIO_PROCESS, 0),
		syscall(SYS_ioprio_get, 1, 0));
	return 0;
}

/* Less CPU and I/O priority needs no privilege: SCHED_BATCH, nice 19, the idle I/O class. */
static void test_sched_and_ioprio_applied(void **state)
{
	struct cella_process_security *s = NULL;
	cella_err_t err = sec_test_parse(
		"{\"process\":{\"ioPriority\":{\"class\":\"IOPRIO_CLASS_IDLE\",\"priority\":0},"
		"\"scheduler\":{\"policy\":\"SCHED_BATCH\",\"nice\":19}}}",
		&s);
	char buf[128], want[128];

	assert_null(err);
	assert_int_equal(child_run(apply_sched, s, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "policy=%d nice=19 ioprio=%d", SCHED_BATCH, 3 << 13);
	assert_string_equal(buf, want);
	cella_process_security_free(s);
}

static int apply_oom(FILE *out, void *arg)
{
	struct cella_process_security *s = arg;
	cella_err_t err = NULL;
	char buf[16] = "";
	FILE *f;

	if (sec_oom_score_adj_apply(s->oom_score_adj, &err) < 0) {
		fprintf(out, "error: %s", cella_error_string(err));
		cella_error_release(&err);
		return 1;
	}
	f = fopen("/proc/self/oom_score_adj", "r");
	if (f == NULL || fgets(buf, sizeof(buf), f) == NULL)
		return 2;
	fclose(f);
	fprintf(out, "%s", buf);
	return 0;
}

/* Raising oom_score_adj needs no privilege. */
static void test_oom_score_adj_applied(void **state)
{
	struct cella_process_security *s = NULL;
	cella_err_t err = sec_test_parse("{\"process\":{\"oomScoreAdj\":1000}}", &s);
	char buf[64];

	assert_null(err);
	assert_true(s->has_oom_score_adj);
	assert_int_equal(child_run(apply_oom, s, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "1000\n");
	cella_process_security_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rlimit_lowered),
		cmocka_unit_test(test_rlimit_raise_hard_message),
		cmocka_unit_test(test_umask),
		cmocka_unit_test(test_sched_and_ioprio_applied),
		cmocka_unit_test(test_oom_score_adj_applied),
	};

	return cmocka_run_group_tests_name("security-apply", tests, NULL, NULL);
}
