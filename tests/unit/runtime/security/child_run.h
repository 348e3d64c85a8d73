/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_TEST_CHILD_RUN_H
#define CELLA_TEST_CHILD_RUN_H

/*
 * Runs a function in a forked child, which may change its credentials freely,
 * and returns what it wrote. The child is killed by SIGALRM after 20 s, so a
 * wedged child cannot hang the test.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/wait.h>

/* fn writes its result to out (a pipe) and returns the exit status. */
typedef int (*child_fn)(FILE *out, void *arg);

/* Returns the child's exit status (128+sig if killed), its output in buf. */
static inline int child_run(child_fn fn, void *arg, char *buf, size_t size)
{
	int p[2], status = 0;
	size_t used = 0;
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		FILE *out;
		int rc;

		close(p[0]);
		alarm(20);
		out = fdopen(p[1], "w");
		if (out == NULL)
			_exit(127);
		rc = fn(out, arg);
		fflush(out);
		_exit(rc & 0x7f); /* _exit: no atexit handlers or leak check in the child */
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], buf + used, size - 1 - used);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		used += (size_t)n;
		if (used == size - 1)
			break;
	}
	buf[used] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#endif
