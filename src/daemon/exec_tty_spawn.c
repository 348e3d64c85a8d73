// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The tty exec helper. The runtime's exec forks and runs library code (allocator, JSON) in the child,
 * which a multithreaded cellad must never do after a bare fork (start_helper.h), so, as for the
 * recorded exec, a fresh image of cellad runs it. Unlike that helper this one reports the command's
 * status on a pipe rather than only by its own exit: the operation waits for it on a thread other than
 * the worker, and the worker reaps any child of cellad it finds ended (cellad is a subreaper), so the
 * wait status may never reach us. It also forwards SIGTERM as SIGKILL to the command (whose pid only it
 * may safely use: it is its parent).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <unistd.h>

#include "core/container.h"
#include "exec_tty.h"

#define HELPER_ENV "CELLAD_EXEC_TTY_HELPER"
#define STATUS_FD  3

extern char **environ;

static volatile sig_atomic_t helper_command = -1, term_pending;

static void on_term(int sig)
{
	(void)sig;
	term_pending = 1;
	if (helper_command > 0)
		kill((pid_t)helper_command, SIGKILL);
}

static void __attribute__((noreturn)) helper_fail(cella_err_t err)
{
	char msg[2048];
	int n = snprintf(msg, sizeof(msg), "E%s", cella_error_string(err));

	if (n > 0 && write(STATUS_FD, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0)
		_exit(125);
	_exit(125);
}

/* argv {"cellad-exec-tty-helper", RUNTIME_ROOT, ID, PROCESS_JSON, CONSOLE_SOCKET} */
static void __attribute__((noreturn)) helper_main(char **argv)
{
	struct sigaction sa = {.sa_handler = on_term};
	json_error_t jerr;
	json_t *process = json_loads(argv[3], 0, &jerr);
	struct cella_exec_opts o = {
		.root = argv[1], .id = argv[2], .process = process, .console_socket = argv[4]};
	cella_err_t err = NULL;
	char msg[32];
	pid_t pid;
	int n;

	if (process == NULL) {
		cella_error_make(&err, 0, "exec helper: process: %s", jerr.text);
		helper_fail(err);
	}
	/* Not blocked (the command would inherit the mask): a SIGTERM before the pid is known is noted. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (cella_container_exec(&o, &pid, &err) < 0)
		helper_fail(err);
	json_decref(process);
	helper_command = pid;
	if (term_pending)
		kill(pid, SIGKILL);
	/* Running: only now may a hang-up reach it (before, it would end the runtime's set-up instead). */
	if (write(STATUS_FD, "R", 1) < 0)
		kill(pid, SIGKILL);
	n = snprintf(msg, sizeof(msg), "=%d", cella_wait_status(pid));
	if (write(STATUS_FD, msg, (size_t)n) < 0)
		_exit(1);
	_exit(0);
}

static void __attribute__((constructor)) exec_tty_helper_entry(int argc, char **argv)
{
	const char *mode = getenv(HELPER_ENV);

	if (mode == NULL || argc != 5 || strcmp(mode, "1") != 0)
		return;
	unsetenv(HELPER_ENV);
	helper_main(argv);
}

/* In the forked child: only async-signal-safe calls until execve. */
static void __attribute__((noreturn)) child(int null_fd, int status_fd, char **argv, char **env)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
		_exit(3);
	if (status_fd == STATUS_FD ? fcntl(status_fd, F_SETFD, 0) < 0 : dup2(status_fd, STATUS_FD) < 0)
		_exit(3);
	execve("/proc/self/exe", argv, env);
	_exit(4);
}

int cellad_exec_tty_spawn(const char *runtime_root, const char *id, json_t *process,
			  const char *console_socket, pid_t *pid, int *pidfd, int *status_fd,
			  cella_err_t *err)
{
	char *text = json_dumps(process, JSON_COMPACT);
	char *argv[] = {"cellad-exec-tty-helper",
			(char *)runtime_root,
			(char *)id,
			text,
			(char *)console_socket,
			NULL};
	char **env = NULL;
	int pipefd[2] = {-1, -1}, null_fd = -1, ret = -1;
	size_t n = 0;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (text == NULL || env == NULL) {
		cella_error_make(err, ENOMEM, "exec in '%s'", id);
		goto out;
	}
	memcpy(env, environ, n * sizeof(*env));
	env[n] = HELPER_ENV "=1";
	null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0 || pipe2(pipefd, O_CLOEXEC) < 0) {
		cella_error_sys(err, "exec helper for '%s'", id);
		goto out;
	}
	*pid = fork();
	if (*pid == 0)
		child(null_fd, pipefd[1], argv, env);
	if (*pid < 0) {
		cella_error_sys(err, "fork");
		goto out;
	}
	/* The helper runs for milliseconds at least before it can end: its pidfd is safe to take. Should
	 * that fail, the pipe still reports its end and only the kill is lost. */
	*pidfd = pidfd_open(*pid, 0);
	*status_fd = pipefd[0];
	pipefd[0] = -1;
	ret = 0;
out:
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (null_fd >= 0)
		close(null_fd);
	free(env);
	free(text);
	return ret;
}
