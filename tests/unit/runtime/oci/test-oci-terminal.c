// SPDX-License-Identifier: GPL-2.0-or-later
/* Unit tests for the container terminal: pty pair, window size, console socket, controlling tty. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/error.h>

#include "oci/terminal.h"

/* Skips the test when this machine has no usable pty (no devpts mounted). */
static void open_pair_or_skip(int *master, int *slave)
{
	_cleanup_error_ cella_err_t err = NULL;

	if (cella_terminal_open(master, slave, &err) < 0) {
		if (access("/dev/ptmx", R_OK | W_OK) < 0) {
			print_message("# skip reason: no usable /dev/ptmx: %s\n", cella_error_string(err));
			skip();
		}
		fail_msg("cella_terminal_open: %s", cella_error_string(err));
	}
}

/* Reads until @want appears or 5 s pass (bounded; the pty may deliver in pieces). */
static bool read_until(int fd, const char *want)
{
	char buf[512];
	size_t len = 0;

	while (len < sizeof(buf) - 1) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		ssize_t n;

		if (poll(&p, 1, 5000) <= 0)
			return false;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return false;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, want))
			return true;
	}
	return false;
}

static void test_open_pair(void **state)
{
	int master = -1, slave = -1;

	open_pair_or_skip(&master, &slave);
	assert_true(isatty(master));
	assert_true(isatty(slave));
	assert_true(fcntl(master, F_GETFD) & FD_CLOEXEC);
	assert_true(fcntl(slave, F_GETFD) & FD_CLOEXEC);
	assert_int_equal(write(slave, "hello\n", 6), 6);
	assert_true(read_until(master, "hello"));
	assert_int_equal(write(master, "typed\n", 6), 6);
	assert_true(read_until(slave, "typed"));
	close(master);
	close(slave);
}

static void test_set_size(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct winsize ws = {0};
	int master = -1, slave = -1;

	open_pair_or_skip(&master, &slave);
	assert_int_equal(cella_terminal_set_size(master, 40, 132, &err), 0);
	assert_int_equal(ioctl(slave, TIOCGWINSZ, &ws), 0);
	assert_int_equal(ws.ws_row, 40);
	assert_int_equal(ws.ws_col, 132);
	assert_true(cella_terminal_set_size(master, 70000, 80, &err) < 0);
	assert_string_equal(cella_error_string(err),
			    "terminal size 70000x80: at most 65535 rows and columns: Invalid argument");
	cella_error_release(&err);
	assert_true(cella_terminal_set_size(-1, 24, 80, &err) < 0);
	close(master);
	close(slave);
}

static int listen_unix(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	if (strlen(path) < sizeof(addr.sun_path)) {
		strcpy(addr.sun_path, path);
	} else {
		/* bind through a short relative name from inside the directory */
		_cleanup_free_ char *dir = strdup(path);
		char *slash = strrchr(dir, '/');
		int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);

		*slash = '\0';
		assert_int_equal(chdir(dir), 0);
		strcpy(addr.sun_path, slash + 1);
		assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
		assert_int_equal(fchdir(cwd), 0);
		close(cwd);
		assert_int_equal(listen(fd, 1), 0);
		return fd;
	}
	assert_int_equal(bind(fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
	assert_int_equal(listen(fd, 1), 0);
	return fd;
}

/* What conmon and containerd's shim do: accept, recvmsg, take the SCM_RIGHTS fd. */
static int receive_fd(int listener, char *name, size_t name_size)
{
	_cleanup_close_ int conn = -1;
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} control;
	struct iovec iov = {.iov_base = name, .iov_len = name_size - 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control.buf,
			     .msg_controllen = sizeof(control.buf)};
	struct cmsghdr *cmsg;
	ssize_t n;
	int fd;

	conn = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	assert_true(conn >= 0);
	n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	assert_true(n > 0);
	name[n] = '\0';
	cmsg = CMSG_FIRSTHDR(&msg);
	assert_non_null(cmsg);
	assert_int_equal(cmsg->cmsg_level, SOL_SOCKET);
	assert_int_equal(cmsg->cmsg_type, SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
	return fd;
}

static void send_and_check(const char *sock_path)
{
	_cleanup_error_ cella_err_t err = NULL;
	_cleanup_close_ int listener = listen_unix(sock_path), received = -1;
	int master = -1, slave = -1;
	char name[64];
	struct stat a, b;

	open_pair_or_skip(&master, &slave);
	/* connect() completes against the listen backlog, so one thread can do both sides */
	if (cella_terminal_send_to_socket(sock_path, master, &err) < 0)
		fail_msg("send: %s", cella_error_string(err));
	received = receive_fd(listener, name, sizeof(name));
	assert_string_equal(name, "/dev/ptmx");
	assert_int_equal(fstat(master, &a), 0);
	assert_int_equal(fstat(received, &b), 0);
	assert_true(a.st_rdev == b.st_rdev && a.st_ino == b.st_ino);
	/* the received master is live: the container's output arrives through it */
	close(master);
	assert_int_equal(write(slave, "from-container\n", 15), 15);
	assert_true(read_until(received, "from-container"));
	close(slave);
}

static void test_send_to_socket(void **state)
{
	char dir[] = "/tmp/cella-term.XXXXXX";
	_cleanup_free_ char *sock = NULL;

	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&sock, "%s/console.sock", dir) > 0);
	send_and_check(sock);
	unlink(sock);
	rmdir(dir);
}

/* conmon's socket paths exceed sun_path; runc and cella reach them through /proc/self/fd. */
static void test_send_to_long_socket_path(void **state)
{
	char dir[] = "/tmp/cella-term.XXXXXX";
	_cleanup_free_ char *deep = NULL, *sock = NULL;
	const char *part = "a-rather-long-directory-name-to-exceed-sun-path";

	assert_non_null(mkdtemp(dir));
	assert_true(asprintf(&deep, "%s/%s", dir, part) > 0);
	assert_int_equal(mkdir(deep, 0700), 0);
	assert_true(asprintf(&sock, "%s/%s-console.sock", deep, part) > 0);
	assert_true(strlen(sock) >= sizeof(((struct sockaddr_un *)0)->sun_path));
	send_and_check(sock);
	unlink(sock);
	rmdir(deep);
	rmdir(dir);
}

static void test_send_to_missing_socket(void **state)
{
	_cleanup_error_ cella_err_t err = NULL;

	assert_true(cella_terminal_send_to_socket("/nonexistent/console.sock", 0, &err) < 0);
	assert_string_equal(
		cella_error_string(err),
		"cannot connect to console socket /nonexistent/console.sock: No such file or directory");
	cella_error_release(&err);
	assert_true(cella_terminal_send_to_socket("", 0, &err) < 0);
	assert_string_equal(cella_error_string(err), "--console-socket: empty path: Invalid argument");
}

/* In a child (new session): the slave becomes the controlling tty and stdio. */
static void test_make_controlling(void **state)
{
	int master = -1, slave = -1, status = 0;
	pid_t pid;

	open_pair_or_skip(&master, &slave);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		cella_err_t err = NULL;
		char line[64];

		close(master);
		if (cella_terminal_make_controlling(slave, &err) < 0) {
			cella_error_release(&err);
			_exit(2);
		}
		if (fcntl(slave, F_GETFD) >= 0 && slave > 2)
			_exit(3); /* the original slave fd was to be closed */
		if (!isatty(0) || !isatty(1) || !isatty(2) || tcgetsid(0) != getpid())
			_exit(4);
		snprintf(line, sizeof(line), "ctty-ok %s\n", ttyname(0) ? ttyname(0) : "?");
		if (write(1, line, strlen(line)) < 0)
			_exit(5);
		_exit(0);
	}
	close(slave);
	/* the child writes a few bytes and exits; they stay buffered in the pty */
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_true(read_until(master, "ctty-ok /dev/pts/"));
	close(master);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_pair),
		cmocka_unit_test(test_set_size),
		cmocka_unit_test(test_send_to_socket),
		cmocka_unit_test(test_send_to_long_socket_path),
		cmocka_unit_test(test_send_to_missing_socket),
		cmocka_unit_test(test_make_controlling),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests_name("oci-terminal", tests, NULL, NULL);
}
