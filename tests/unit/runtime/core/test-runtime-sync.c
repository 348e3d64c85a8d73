// SPDX-License-Identifier: GPL-2.0-or-later
/* The runtime <-> init messages: type, text, an fd by SCM_RIGHTS, EOF, malformed datagrams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/sync.h"

static void test_text_and_fd(void **state)
{
	int sv[2], type, fd = -1, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	char text[64];
	struct stat a, b;

	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(cella_sync_send(sv[0], CELLA_SYNC_PID, "1234", -1, NULL), 0);
	assert_int_equal(cella_sync_send(sv[0], CELLA_SYNC_CONSOLE_FD, NULL, devnull, NULL), 0);
	assert_int_equal(cella_sync_recv(sv[1], &type, text, sizeof(text), &fd, NULL), 0);
	assert_int_equal(type, CELLA_SYNC_PID);
	assert_string_equal(text, "1234");
	assert_int_equal(fd, -1);
	assert_int_equal(cella_sync_recv(sv[1], &type, text, sizeof(text), &fd, NULL), 0);
	assert_int_equal(type, CELLA_SYNC_CONSOLE_FD);
	assert_string_equal(text, "");
	assert_true(fd >= 0);
	/* the same file, received close-on-exec */
	assert_int_equal(fstat(fd, &a), 0);
	assert_int_equal(fstat(devnull, &b), 0);
	assert_int_equal(a.st_rdev, b.st_rdev);
	assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
	close(devnull);
	/* the peer gone: type 0 */
	close(sv[0]);
	assert_int_equal(cella_sync_recv(sv[1], &type, text, sizeof(text), &fd, NULL), 0);
	assert_int_equal(type, 0);
	close(sv[1]);
}

static void test_truncation_and_garbage(void **state)
{
	int sv[2], type;
	char small[4], long_text[100];
	cella_err_t err = NULL;
	uint32_t bad[2] = {CELLA_SYNC_ERROR, 50}; /* claims 50 bytes of text, carries none */

	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(cella_sync_send(sv[0], CELLA_SYNC_ERROR, long_text, -1, NULL), 0);
	assert_int_equal(cella_sync_recv(sv[1], &type, small, sizeof(small), NULL, NULL), 0);
	assert_string_equal(small, "xxx");
	assert_int_equal(send(sv[0], bad, sizeof(bad), 0), (ssize_t)sizeof(bad));
	assert_true(cella_sync_recv(sv[1], &type, small, sizeof(small), NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "malformed"));
	cella_error_release(&err);
	assert_int_equal(send(sv[0], "ab", 2, 0), 2);
	assert_true(cella_sync_recv(sv[1], &type, small, sizeof(small), NULL, &err) < 0);
	assert_non_null(strstr(cella_error_string(err), "short"));
	cella_error_release(&err);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_and_fd),
		cmocka_unit_test(test_truncation_and_garbage),
	};

	return cmocka_run_group_tests_name("runtime-sync", tests, NULL, NULL);
}
