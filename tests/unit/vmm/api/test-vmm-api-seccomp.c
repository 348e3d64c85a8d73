// SPDX-License-Identifier: GPL-2.0-or-later
/* Each thread kind's seccomp filter: allowed calls work, others kill the process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "api/seccomp.h"

/* Runs fn in a child under the filter of kind; returns its wait status. */
static int run_filtered(enum vmm_thread_kind kind, int (*fn)(void))
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		cella_err_t err = NULL;

		if (vmm_seccomp__install(kind, &err) < 0) {
			fprintf(stderr, "%s\n", cella_error_string(err));
			_exit(100);
		}
		_exit(fn());
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

static int opens_a_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static int opens_a_file(void)
{
	return open("/etc/hostname", O_RDONLY) >= 0 ? 0 : 1;
}

static int writes_and_reads_pipe(void)
{
	char c = 'x';

	/* write(2) to stderr is allowed for every kind */
	return write(2, "", 0) == 0 && getpid() > 0 && c == 'x' ? 42 : 1;
}

static int execs_a_program(void)
{
	execl("/bin/true", "true", (char *)NULL);
	return 1;
}

static void test_forbidden_calls_kill(void **state)
{
	enum vmm_thread_kind kinds[] = {VMM_THREAD_VCPU, VMM_THREAD_DEVICES, VMM_THREAD_API, VMM_THREAD_MAIN};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		int status = run_filtered(kinds[i], opens_a_socket);

		assert_true(WIFSIGNALED(status));
		assert_int_equal(WTERMSIG(status), SIGSYS);
	}
}

static void test_vcpu_cannot_open_files(void **state)
{
	int status = run_filtered(VMM_THREAD_VCPU, opens_a_file);

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void test_vcpu_cannot_exec(void **state)
{
	int status = run_filtered(VMM_THREAD_VCPU, execs_a_program);

	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGSYS);
}

static void test_allowed_calls_work(void **state)
{
	int status = run_filtered(VMM_THREAD_VCPU, writes_and_reads_pipe);

	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 42);
}

static void test_disabled_is_noop(void **state)
{
	int status;

	vmm_seccomp__set_enabled(false);
	status = run_filtered(VMM_THREAD_VCPU, opens_a_socket);
	vmm_seccomp__set_enabled(true);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_string_equal(vmm_seccomp__kind_name(VMM_THREAD_DEVICES), "devices");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forbidden_calls_kill), cmocka_unit_test(test_vcpu_cannot_open_files),
		cmocka_unit_test(test_vcpu_cannot_exec),     cmocka_unit_test(test_allowed_calls_work),
		cmocka_unit_test(test_disabled_is_noop),
	};

	return cmocka_run_group_tests_name("vmm-api-seccomp", tests, NULL, NULL);
}
