// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One hook process: fork+execve with the state on stdin, output captured and
 * bounded, a deadline enforced with SIGKILL. The hook is an arbitrary program
 * named by the bundle's author, so nothing it does may hang or grow the runtime:
 * every read is bounded, every wait has the hook's deadline, and the runtime
 * stops waiting when the hook exits even if a daemon it left behind still holds
 * its stdout open.
 */
#include "oci/hooks_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* Without a pidfd the parent polls waitpid() this often (ms). */
#define WAIT_SLICE_MS 10

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Moves fd to a number >= 3 so that the dup2() onto 0/1/2 below never hits itself. */
static int fd_above_stdio(int fd)
{
	return fd > 2 ? fd : fcntl(fd, F_DUPFD, 3);
}

/* Child side, between fork and execve: async-signal-safe calls only. */
static void __attribute__((noreturn)) hook_child(int in_fd, int out_fd, int err_fd, int status_fd,
						 const char *path, char *const argv[], char *const envp[])
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	sigset_t none;
	int e;

	/* Ignored signals and the mask survive execve; the hook gets a clean slate. */
	sigemptyset(&none);
	for (int sig = 1; sig < NSIG; sig++)
		sigaction(sig, &dfl, NULL);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* Own process group, so that a timeout kills what the hook started too. */
	setpgid(0, 0);

	in_fd = fd_above_stdio(in_fd);
	out_fd = fd_above_stdio(out_fd);
	err_fd = fd_above_stdio(err_fd);
	if (in_fd < 0 || out_fd < 0 || err_fd < 0 || dup2(in_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
	    dup2(err_fd, 2) < 0)
		goto fail;
	/* Nothing of the runtime's leaks into the hook; status_fd goes at execve. */
	if (syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
		long max = sysconf(_SC_OPEN_MAX);

		for (int fd = 3; fd < (max > 0 && max < INT_MAX ? (int)max : 65536); fd++)
			if (fd != status_fd)
				close(fd);
		fcntl(status_fd, F_SETFD, FD_CLOEXEC);
	}
	execve(path, argv, envp);
fail:
	e = errno;
	if (write(status_fd, &e, sizeof(e)) < 0) {
		/* nothing left to report through */
	}
	_exit(127);
}

/* Reads what is there, but at most this many times per call, so that a hook
 * writing without pause cannot keep the runtime from checking its deadline. */
#define READS_PER_WAKEUP 16

static void output_read(int *fd, struct cella_hooks__output *o)
{
	char scratch[4096];

	for (int reads = 0; reads < READS_PER_WAKEUP; reads++) {
		size_t room = CELLA_HOOKS_OUTPUT_MAX - o->len;
		ssize_t n = room ? read(*fd, o->data + o->len, room) : read(*fd, scratch, sizeof(scratch));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) { /* EOF or a broken pipe: this stream is done */
			close(*fd);
			*fd = -1;
			return;
		}
		if (room)
			o->len += (size_t)n;
		else
			o->truncated = true;
		o->data[o->len] = '\0';
	}
}

/*
 * Feeds the state to the hook. A hook that exits without reading closes the
 * pipe; the write then fails with EPIPE, which is fine. SIGPIPE is blocked in
 * the caller's thread meanwhile (see hooks_spawn), so it cannot kill the runtime.
 */
static void input_write(int *fd, const char *input, size_t *off, size_t len)
{
	while (*off < len) {
		ssize_t n = write(*fd, input + *off, len - *off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0)
			break;
		*off += (size_t)n;
	}
	close(*fd); /* all written (or the hook went away): EOF for the hook */
	*fd = -1;
}

static int pipe_parent_nonblock(int fds[2], int parent_end)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return -1;
	return fcntl(fds[parent_end], F_SETFL, O_NONBLOCK);
}

static void close_pair(int fds[2])
{
	for (int i = 0; i < 2; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

struct hook_io {
	int in, out, err, pidfd;
	const char *input;
	size_t input_off, input_len;
};

/* Polls until the hook exits or the deadline passes. Returns 1 when it exited, 0 on timeout, < 0 on error. */
static int hook_wait(pid_t pid, struct hook_io *io, int64_t deadline, struct cella_hooks__result *res,
		     cella_err_t *err)
{
	for (;;) {
		struct pollfd p[4];
		nfds_t n = 0;
		int timeout = -1, r;
		pid_t w;

		if (io->in >= 0)
			p[n++] = (struct pollfd){.fd = io->in, .events = POLLOUT};
		if (io->out >= 0)
			p[n++] = (struct pollfd){.fd = io->out, .events = POLLIN};
		if (io->err >= 0)
			p[n++] = (struct pollfd){.fd = io->err, .events = POLLIN};
		if (io->pidfd >= 0)
			p[n++] = (struct pollfd){.fd = io->pidfd, .events = POLLIN};
		if (deadline > 0) {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				return 0;
			timeout = left > INT_MAX ? INT_MAX : (int)left;
		}
		if (io->pidfd < 0 && (timeout < 0 || timeout > WAIT_SLICE_MS))
			timeout = WAIT_SLICE_MS;
		r = poll(p, n, timeout);
		if (r < 0 && errno != EINTR)
			return cella_error_sys(err, "poll on hook");
		if (io->in >= 0)
			input_write(&io->in, io->input, &io->input_off, io->input_len);
		if (io->out >= 0)
			output_read(&io->out, &res->out);
		if (io->err >= 0)
			output_read(&io->err, &res->err);
		w = waitpid(pid, &res->wait_status, WNOHANG);
		if (w < 0 && errno != EINTR)
			return cella_error_sys(err, "waitpid on hook");
		if (w == pid)
			return 1;
	}
}

static int hooks_spawn(const char *path, char *const argv[], char *const envp[], const char *input,
		       int timeout_s, struct cella_hooks__result *res, cella_err_t *err)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1}, errp[2] = {-1, -1}, status[2] = {-1, -1};
	struct hook_io io = {.in = -1, .out = -1, .err = -1, .pidfd = -1, .input = input ? input : ""};
	_cleanup_close_ int pidfd = -1;
	int64_t deadline = timeout_s > 0 ? now_ms() + (int64_t)timeout_s * 1000 : 0;
	pid_t pid;
	int ret = 0;
	ssize_t n;

	memset(res, 0, sizeof(*res));
	io.input_len = strlen(io.input);
	if (pipe_parent_nonblock(in, 1) < 0 || pipe_parent_nonblock(out, 0) < 0 ||
	    pipe_parent_nonblock(errp, 0) < 0 || pipe2(status, O_CLOEXEC) < 0) {
		ret = cella_error_sys(err, "cannot create pipes for hook %s", path);
		goto out;
	}
	pid = fork();
	if (pid < 0) {
		ret = cella_error_sys(err, "cannot fork hook %s", path);
		goto out;
	}
	if (pid == 0)
		hook_child(in[0], out[1], errp[1], status[1], path, argv, envp);

	/* Parent: keep only our ends, so EOF arrives when the hook's side closes. */
	close(in[0]);
	close(out[1]);
	close(errp[1]);
	close(status[1]);
	in[0] = out[1] = errp[1] = status[1] = -1;
	io.in = steal_fd(&in[1]);
	io.out = steal_fd(&out[0]);
	io.err = steal_fd(&errp[0]);
	pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	io.pidfd = pidfd; /* -1 on old kernels: hook_wait falls back to polling waitpid */

	ret = hook_wait(pid, &io, deadline, res, err);
	if (ret <= 0) {
		/* Timed out, or the runtime failed: the hook must not outlive this call. */
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		while (waitpid(pid, &res->wait_status, 0) < 0 && errno == EINTR)
			;
		res->timed_out = ret == 0;
	}
	if (ret > 0)
		ret = 0;
	/* What the hook wrote before it exited is already in the pipes. */
	if (io.out >= 0)
		output_read(&io.out, &res->out);
	if (io.err >= 0)
		output_read(&io.err, &res->err);
	do
		n = read(status[0], &res->exec_errno, sizeof(res->exec_errno));
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(res->exec_errno))
		res->exec_errno = 0;
out:
	if (io.in >= 0)
		close(io.in);
	if (io.out >= 0)
		close(io.out);
	if (io.err >= 0)
		close(io.err);
	close_pair(in);
	close_pair(out);
	close_pair(errp);
	close_pair(status);
	return ret;
}

int cella_hooks__spawn(const char *path, char *const argv[], char *const envp[], const char *input,
		       int timeout_s, struct cella_hooks__result *res, cella_err_t *err)
{
	sigset_t pipe_set, old, pending;
	bool was_pending;
	int ret;

	/* Block SIGPIPE in this thread while writing to the hook; drop one we caused. */
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	ret = hooks_spawn(path, argv, envp, input, timeout_s, res, err);
	sigpending(&pending);
	if (!was_pending && sigismember(&pending, SIGPIPE)) {
		struct timespec zero = {0, 0};

		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return ret;
}
