// SPDX-License-Identifier: GPL-2.0-or-later
/* Spawning helper programs (nft, dnsmasq) with an argv, never a shell. */
#include "tools.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

extern char **environ;

const char *net_find_program(const char *name, char buf[64])
{
	static const char *const dirs[] = {"/usr/sbin", "/sbin", "/usr/bin", "/bin"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(buf, 64, "%s/%s", dirs[i], name);
		if (access(buf, X_OK) == 0)
			return buf;
	}
	return NULL;
}

static void close_pair(int p[2])
{
	if (p[0] >= 0)
		close(p[0]);
	if (p[1] >= 0)
		close(p[1]);
	p[0] = p[1] = -1;
}

static int spawn(const char *const argv[], int in_fd, int out_fd, pid_t *pid, cella_err_t *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	int ret;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in_fd, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
	/* The tools (dnsmasq daemonizes and stays) start with no signal blocked and default dispositions:
	 * not cellad's mask, which blocks SIGTERM/SIGINT/SIGHUP for its sigwait, nor its ignored SIGPIPE. */
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	/* argv is not modified by posix_spawn; the cast only satisfies its old prototype. */
	ret = posix_spawn(pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	if (ret != 0)
		return cella_error_make(err, ret, "running %s", argv[0]);
	return 0;
}

int net_run(const char *const argv[], const char *input, char **output, cella_err_t *err)
{
	int in[2] = {-1, -1}, out[2] = {-1, -1};
	_cleanup_free_ char *buf = NULL;
	size_t used = 0, cap = 4096;
	pid_t pid;
	int status, ret;

	/* stdin is a socket so that send(MSG_NOSIGNAL) survives an early exit without touching SIGPIPE,
	 * which is process-wide in a threaded daemon. */
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, in) < 0 || pipe2(out, O_CLOEXEC) < 0) {
		ret = cella_error_sys(err, "running %s: pipe", argv[0]);
		close_pair(in);
		close_pair(out);
		return ret;
	}
	ret = spawn(argv, in[0], out[1], &pid, err);
	close(in[0]);
	close(out[1]);
	in[0] = out[1] = -1;
	if (ret < 0) {
		close_pair(in);
		close_pair(out);
		return ret;
	}
	/* The inputs are small scripts, well under a pipe's buffer: write all, then read. */
	if (input != NULL) {
		size_t len = strlen(input), off = 0;

		while (off < len) {
			ssize_t n = send(in[1], input + off, len - off, MSG_NOSIGNAL);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break; /* the program exited early: its status tells why */
			off += (size_t)n;
		}
	}
	close(in[1]);
	in[1] = -1;
	buf = malloc(cap + 1);
	if (buf == NULL)
		abort();
	for (;;) {
		char sink[512];
		ssize_t n =
			used < cap ? read(out[0], buf + used, cap - used) : read(out[0], sink, sizeof(sink));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (used < cap)
			used += (size_t)n;
	}
	buf[used] = '\0';
	close(out[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return cella_error_sys(err, "waiting for %s", argv[0]);
	}
	if (output != NULL)
		*output = steal_pointer(&buf);
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
