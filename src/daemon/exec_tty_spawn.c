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
#include "start_helper.h"

static volatile sig_atomic_t helper_command = -1, term_pending;

static void on_term(int sig)
{
	(void)sig;
	term_pending = 1;
	if (helper_command > 0)
		kill((pid_t)helper_command, SIGKILL);
}

static void __attribute__((noreturn)) helper_fail(int status_fd, cella_err_t err)
{
	char msg[2048];
	int n = snprintf(msg, sizeof(msg), "E%s", cella_error_string(err));

	if (n > 0 && write(status_fd, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1) < 0)
		_exit(125);
	_exit(125);
}

/* argv {"cellad-exec-tty-helper", RUNTIME_ROOT, ID, PROCESS_JSON, CONSOLE_SOCKET}; run by start_helper.c's
 * constructor in the fresh image, status_fd its descriptor 3. */
void cellad_exec_tty_helper_main(char **argv, int status_fd)
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
		helper_fail(status_fd, err);
	}
	/* Not blocked (the command would inherit the mask): a SIGTERM before the pid is known is noted. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	if (cella_container_exec(&o, &pid, &err) < 0)
		helper_fail(status_fd, err);
	json_decref(process);
	helper_command = pid;
	if (term_pending)
		kill(pid, SIGKILL);
	/* Running: only now may a hang-up reach it (before, it would end the runtime's set-up instead). */
	if (write(status_fd, "R", 1) < 0)
		kill(pid, SIGKILL);
	n = snprintf(msg, sizeof(msg), "=%d", cella_wait_status(pid));
	if (write(status_fd, msg, (size_t)n) < 0)
		_exit(1);
	_exit(0);
}

int cellad_exec_tty_spawn(const char *runtime_root, const char *id, json_t *process,
			  const char *console_socket, pid_t *pid, int *pidfd, int *status_fd,
			  cella_err_t *err)
{
	char *text = json_dumps(process, JSON_COMPACT);
	char *const argv[] = {"cellad-exec-tty-helper",
			      (char *)runtime_root,
			      (char *)id,
			      text,
			      (char *)console_socket,
			      NULL};
	int pipefd[2] = {-1, -1}, ret = -1;

	if (text == NULL) {
		cella_error_make(err, ENOMEM, "exec in '%s'", id);
		goto out;
	}
	if (pipe2(pipefd, O_CLOEXEC) < 0) {
		cella_error_sys(err, "exec helper for '%s'", id);
		goto out;
	}
	if (cellad_helper_spawn("exec-tty", argv, -1, -1, pipefd[1], pid, err) < 0)
		goto out;
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
	free(text);
	return ret;
}
