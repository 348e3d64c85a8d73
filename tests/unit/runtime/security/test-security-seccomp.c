// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Seccomp: every action and operator compiles (exported with
 * seccomp_export_bpf, non-empty and byte-for-byte deterministic), the filter
 * loads in a child, the features JSON, and the listener hand-off.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <linux/filter.h>

#include "child_run.h"
#include "security_test.h"

/* The compiled BPF of a parsed config, read back from a memfd. */
static size_t export_bpf(const char *config, unsigned char *buf, size_t size)
{
	struct cella_process_security *s = NULL;
	cella_err_t err = sec_test_parse(config, &s);
	scmp_filter_ctx ctx = NULL;
	ssize_t n;
	int fd;

	if (err)
		fail_msg("%s: %s", config, cella_error_string(err));
	if (sec_seccomp_build(&s->seccomp, &ctx, &err) < 0)
		fail_msg("build %s: %s", config, cella_error_string(err));
	fd = memfd_create("bpf", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(seccomp_export_bpf(ctx, fd), 0);
	n = pread(fd, buf, size, 0);
	close(fd);
	seccomp_release(ctx);
	cella_process_security_free(s);
	assert_true(n > 0);
	assert_true((size_t)n < size);
	assert_int_equal((size_t)n % sizeof(struct sock_filter), 0);
	return (size_t)n;
}

/* Whether the program returns k somewhere (BPF_RET|BPF_K). */
static bool bpf_returns(const unsigned char *buf, size_t len, uint32_t k)
{
	for (size_t off = 0; off + sizeof(struct sock_filter) <= len; off += sizeof(struct sock_filter)) {
		struct sock_filter ins;

		memcpy(&ins, buf + off, sizeof(ins));
		if (ins.code == (BPF_RET | BPF_K) && ins.k == k)
			return true;
	}
	return false;
}

static char *rule_config(const char *default_action, const char *action, const char *extra)
{
	char *s = NULL;

	if (asprintf(&s,
		     "{\"linux\":{\"seccomp\":{\"defaultAction\":\"%s\",\"listenerPath\":\"/"
		     "x\",\"syscalls\":[{"
		     "\"names\":[\"mkdir\",\"getpid\"],\"action\":\"%s\"%s}]}}}",
		     default_action, action, extra) < 0)
		abort();
	return s;
}

static void test_every_action_compiles(void **state)
{
	static const struct {
		const char *name;
		uint32_t value;
	} actions[] = {
		{"SCMP_ACT_KILL", SCMP_ACT_KILL_THREAD},
		{"SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS},
		{"SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD},
		{"SCMP_ACT_TRAP", SCMP_ACT_TRAP},
		{"SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(EPERM)},
		{"SCMP_ACT_TRACE", SCMP_ACT_TRACE(EPERM)},
		{"SCMP_ACT_LOG", SCMP_ACT_LOG},
		{"SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY},
	};
	unsigned char a[65536], b[65536];

	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		char *cfg = rule_config("SCMP_ACT_ALLOW", actions[i].name, "");
		size_t la = export_bpf(cfg, a, sizeof(a)), lb = export_bpf(cfg, b, sizeof(b));

		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la); /* deterministic */
		if (!bpf_returns(a, la, actions[i].value))
			fail_msg("%s: the program never returns %#x", actions[i].name, actions[i].value);
		free(cfg);
	}
	/* ALLOW as a rule needs another default. */
	{
		char *cfg = rule_config("SCMP_ACT_ERRNO", "SCMP_ACT_ALLOW", "");
		size_t la = export_bpf(cfg, a, sizeof(a));

		assert_true(bpf_returns(a, la, SCMP_ACT_ALLOW));
		assert_true(bpf_returns(a, la, SCMP_ACT_ERRNO(EPERM)));
		free(cfg);
	}
}

static void test_errno_ret_is_encoded(void **state)
{
	unsigned char a[65536];
	char *cfg = rule_config("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", ",\"errnoRet\":28");
	size_t la = export_bpf(cfg, a, sizeof(a));

	assert_true(bpf_returns(a, la, SCMP_ACT_ERRNO(28)));
	assert_false(bpf_returns(a, la, SCMP_ACT_ERRNO(EPERM)));
	free(cfg);
	la = export_bpf(
		"{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38}}}", a,
		sizeof(a));
	assert_true(bpf_returns(a, la, SCMP_ACT_ERRNO(38)));
}

static void test_every_operator_compiles(void **state)
{
	static const char *const ops[] = {"SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE",	     "SCMP_CMP_EQ",
					  "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"};
	unsigned char a[65536], b[65536], plain[65536];
	size_t lp;
	char *cfg = rule_config("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "");

	lp = export_bpf(cfg, plain, sizeof(plain));
	free(cfg);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		char extra[160];
		size_t la, lb;

		snprintf(extra, sizeof(extra),
			 ",\"args\":[{\"index\":1,\"value\":448,\"valueTwo\":64,\"op\":\"%s\"}]", ops[i]);
		cfg = rule_config("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", extra);
		la = export_bpf(cfg, a, sizeof(a));
		lb = export_bpf(cfg, b, sizeof(b));
		assert_int_equal(la, lb);
		assert_memory_equal(a, b, la);
		/* A comparison adds instructions to the unconditional rule. */
		if (la == lp && memcmp(a, plain, la) == 0)
			fail_msg("%s left the program unchanged", ops[i]);
		free(cfg);
	}
}

/* Two comparisons on the same argument become separate rules (any matches), as runc does. */
static void test_repeated_arg_index(void **state)
{
	unsigned char a[65536];
	char *cfg = rule_config("SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO",
				",\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_EQ\"},"
				"{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_EQ\"},"
				"{\"index\":1,\"value\":3,\"op\":\"SCMP_CMP_NE\"}]");

	assert_true(export_bpf(cfg, a, sizeof(a)) > 0);
	free(cfg);
}

static void test_architectures(void **state)
{
	unsigned char a[65536], b[65536];
	size_t la = export_bpf("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			       "\"architectures\":[\"SCMP_ARCH_X86_64\"],"
			       "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
			       a, sizeof(a));
	size_t lb = export_bpf("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
			       "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
			       "\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}}}",
			       b, sizeof(b));

	/* More architectures, more branches. */
	assert_true(lb > la);
}

static char logged[1024];

static void capture_log(enum cella_security_log_level level, const char *msg, void *data)
{
	snprintf(logged, sizeof(logged), "%d:%s", (int)level, msg);
}

static void test_unknown_syscall_skipped(void **state)
{
	struct cella_process_security *s = NULL;
	cella_err_t err;

	logged[0] = '\0';
	cella_security_set_log(capture_log, NULL);
	err = sec_test_parse("{\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{"
			     "\"names\":[\"no_such_syscall_ever\",\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"},"
			     "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_ALLOW\"}]}}}",
			     &s);
	cella_security_set_log(NULL, NULL);
	assert_null(err);
	/* mkdir only: the unknown name is skipped, the rule equal to the default dropped. */
	assert_int_equal(s->seccomp.n_rules, 1);
	assert_string_equal(s->seccomp.rules[0].name, "mkdir");
	assert_string_equal(logged,
			    "1:linux.seccomp.syscalls[0].names[0]: syscall no_such_syscall_ever unknown on "
			    "this system, skipped");
	cella_process_security_free(s);
}

static int load_and_mkdir(FILE *out, void *arg)
{
	struct cella_process_security *s = arg;
	cella_err_t err = NULL;
	int fd = -1, rc;

	/* Only the filter: the rest of apply_creds needs root, this test does not. */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 || cella_seccomp_load(s, &fd, &err) < 0) {
		fprintf(out, "error: %s", cella_error_string(err));
		return 1;
	}
	rc = mkdir("/nonexistent-parent/cella-seccomp-test", 0700);
	fprintf(out, "mkdir=%d errno=%d getpid=%d nnp=%d fd=%d", rc, rc < 0 ? errno : 0, getpid() > 0,
		prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), fd);
	return 0;
}

/* Loading needs no root with noNewPrivileges; the ERRNO rule must win over ENOENT. */
static void test_filter_loads_in_child(void **state)
{
	struct cella_process_security *s = NULL;
	char buf[512], want[128];
	cella_err_t err = sec_test_parse(
		"{\"process\":{\"noNewPrivileges\":true},\"linux\":{\"seccomp\":{"
		"\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
		"\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":27}]}}}",
		&s);

	assert_null(err);
	assert_int_equal(child_run(load_and_mkdir, s, buf, sizeof(buf)), 0);
	snprintf(want, sizeof(want), "mkdir=-1 errno=%d getpid=1 nnp=1 fd=-1", EFBIG);
	assert_string_equal(buf, want);
	cella_process_security_free(s);
}

static bool json_array_has(json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach (arr, i, v) {
		if (json_is_string(v) && strcmp(json_string_value(v), s) == 0)
			return true;
	}
	return false;
}

static void test_features(void **state)
{
	json_t *f = cella_seccomp_features(), *supported, *known;
	size_t i;
	json_t *v;

	assert_non_null(f);
	assert_true(json_is_true(json_object_get(f, "enabled")));
	assert_int_equal(json_array_size(json_object_get(f, "actions")), 9);
	assert_true(json_array_has(json_object_get(f, "actions"), "SCMP_ACT_NOTIFY"));
	assert_true(json_array_has(json_object_get(f, "actions"), "SCMP_ACT_KILL_PROCESS"));
	assert_int_equal(json_array_size(json_object_get(f, "operators")), 7);
	assert_true(json_array_has(json_object_get(f, "operators"), "SCMP_CMP_MASKED_EQ"));
	assert_true(json_array_has(json_object_get(f, "archs"), "SCMP_ARCH_X86_64"));
	assert_true(json_array_has(json_object_get(f, "archs"), "SCMP_ARCH_AARCH64"));
	known = json_object_get(f, "knownFlags");
	assert_int_equal(json_array_size(known), 4);
	assert_true(json_array_has(known, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
	supported = json_object_get(f, "supportedFlags");
	assert_true(json_is_array(supported));
	json_array_foreach (supported, i, v) {
		assert_true(json_array_has(known, json_string_value(v)));
	}
	/* Every kernel with user notification (5.0+) has TSYNC; this libseccomp has the attribute. */
	assert_true(json_array_has(supported, "SECCOMP_FILTER_FLAG_TSYNC"));
#ifndef SCMP_FLTATR_CTL_WAITKILL
	assert_false(json_array_has(supported, "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"));
#endif
	json_decref(f);
}

/* Listens on a fresh socket path; returns the listening fd. */
static int listen_at(char *path, size_t size)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char dir[] = "/tmp/cella-sec-XXXXXX";
	int fd;

	assert_non_null(mkdtemp(dir));
	snprintf(path, size, "%s/agent.sock", dir);
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static void cleanup_socket(const char *path, int lfd)
{
	char dir[108];

	close(lfd);
	unlink(path);
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	rmdir(dir);
}

/* Accepts one connection and reads one message with its fd. */
static json_t *receive_payload(int lfd, int *fd_out)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	char data[4096];
	struct iovec iov = {.iov_base = data, .iov_len = sizeof(data) - 1};
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cmsg;
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ssize_t n;

	assert_true(c >= 0);
	n = recvmsg(c, &msg, MSG_CMSG_CLOEXEC);
	close(c);
	assert_true(n > 0);
	data[n] = '\0';
	cmsg = CMSG_FIRSTHDR(&msg);
	assert_non_null(cmsg);
	assert_int_equal(cmsg->cmsg_type, SCM_RIGHTS);
	memcpy(fd_out, CMSG_DATA(cmsg), sizeof(int));
	return json_loads(data, 0, NULL);
}

static void test_send_listener_wraps_state(void **state)
{
	char path[108];
	int lfd = listen_at(path, sizeof(path)), p[2], got = -1;
	cella_err_t err = NULL;
	struct stat a, b;
	json_t *payload;

	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	assert_int_equal(cella_seccomp_send_listener_with_metadata(
				 path, p[0],
				 "{\"ociVersion\":\"1.2.0\",\"id\":\"c1\",\"status\":\"creating\",\"pid\":42,"
				 "\"bundle\":\"/b\"}",
				 "agent-meta", &err),
			 0);
	payload = receive_payload(lfd, &got);
	assert_non_null(payload);
	assert_string_equal(json_string_value(json_object_get(payload, "ociVersion")), "1.2.0");
	assert_string_equal(json_string_value(json_array_get(json_object_get(payload, "fds"), 0)),
			    "seccompFd");
	assert_int_equal(json_array_size(json_object_get(payload, "fds")), 1);
	assert_int_equal(json_integer_value(json_object_get(payload, "pid")), 42);
	assert_string_equal(json_string_value(json_object_get(payload, "metadata")), "agent-meta");
	assert_string_equal(json_string_value(json_object_get(json_object_get(payload, "state"), "id")),
			    "c1");
	/* The very same file arrived. */
	assert_int_equal(fstat(p[0], &a), 0);
	assert_int_equal(fstat(got, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	json_decref(payload);
	close(got);

	/* A ready payload (it has "fds") goes out unchanged; the plain call adds no metadata. */
	assert_int_equal(
		cella_seccomp_send_listener(path, p[0], "{\"fds\":[\"seccompFd\"],\"pid\":7,\"x\":1}", &err),
		0);
	payload = receive_payload(lfd, &got);
	assert_int_equal(json_integer_value(json_object_get(payload, "x")), 1);
	assert_null(json_object_get(payload, "state"));
	json_decref(payload);
	close(got);

	assert_true(cella_seccomp_send_listener(path, p[0], "not json", &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "the container state is not a JSON object"));
	cella_error_release(&err);
	cleanup_socket(path, lfd);
	assert_true(cella_seccomp_send_listener(path, p[0], "{}", &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "connecting to seccomp listenerPath"));
	cella_error_release(&err);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_action_compiles),
		cmocka_unit_test(test_errno_ret_is_encoded),
		cmocka_unit_test(test_every_operator_compiles),
		cmocka_unit_test(test_repeated_arg_index),
		cmocka_unit_test(test_architectures),
		cmocka_unit_test(test_unknown_syscall_skipped),
		cmocka_unit_test(test_filter_loads_in_child),
		cmocka_unit_test(test_features),
		cmocka_unit_test(test_send_listener_wraps_state),
	};

	return cmocka_run_group_tests_name("security-seccomp", tests, NULL, NULL);
}
