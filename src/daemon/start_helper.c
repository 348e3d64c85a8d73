// SPDX-License-Identifier: GPL-2.0-or-later
/* The start, exec and pack helpers: fork + exec of cellad's own image, which does the work from a constructor. */
#include "start_helper.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/container.h"
#include "exec_tty.h"
#include "image_transfer.h"

/* Set in the helper's environment only ("start", "exec", "pack" or "exec-tty"); the helper removes it at once. */
#define HELPER_ENV "CELLAD_HELPER"
/* The helper reports its error on this descriptor (the pipe's write end). */
#define HELPER_ERROR_FD 3
/* The exec helper's exit status when the process could not be started (its message says why). */
#define EXEC_FAILED 125

extern char **environ;

static void __attribute__((noreturn)) report(cella_err_t err, int status)
{
	const char *text = cella_error_string(err);

	if (write(HELPER_ERROR_FD, text, strlen(text)) < 0)
		_exit(status);
	_exit(status);
}

/* argv {"cellad-start-helper", RUNTIME_ROOT, ID, BUNDLE} */
static void __attribute__((noreturn)) start_main(char **argv)
{
	struct cella_create_opts o = {.root = argv[1], .id = argv[2], .bundle = argv[3]};
	cella_err_t err = NULL, ignore = NULL;

	if (cella_container_create(&o, NULL, &err) == 0 && cella_container_start(o.root, o.id, &err) == 0)
		_exit(0);
	/* Any failure removes the half-made container. */
	if (cella_container_delete(o.root, o.id, true, &ignore) < 0)
		cella_error_release(&ignore);
	report(err, 1);
}

/* argv {"cellad-exec-helper", RUNTIME_ROOT, ID, PROCESS_JSON} */
static void __attribute__((noreturn)) exec_main(char **argv)
{
	json_error_t jerr;
	json_t *process = json_loads(argv[3], 0, &jerr);
	struct cella_exec_opts o = {.root = argv[1], .id = argv[2], .process = process};
	cella_err_t err = NULL;
	pid_t pid;

	if (process == NULL) {
		cella_error_make(&err, 0, "exec helper: process: %s", jerr.text);
		report(err, EXEC_FAILED);
	}
	if (cella_container_exec(&o, &pid, &err) < 0)
		report(err, EXEC_FAILED);
	_exit(cella_wait_status(pid) & 0xff);
}

/* In the exec'd helper, before main (and before anything else of cellad runs). glibc passes argc and
 * argv to constructors. */
static void __attribute__((constructor)) helper_entry(int argc, char **argv)
{
	const char *mode = getenv(HELPER_ENV);

	if (mode == NULL)
		return;
	if (strcmp(mode, "pack") == 0 && argc == 6) {
		unsetenv(HELPER_ENV);
		cellad_pack_helper_main(argv, HELPER_ERROR_FD);
	}
	if (strcmp(mode, "exec-tty") == 0 && argc == 5) {
		unsetenv(HELPER_ENV);
		cellad_exec_tty_helper_main(argv, HELPER_ERROR_FD);
	}
	if (argc != 4)
		return;
	if (strcmp(mode, "start") == 0) {
		unsetenv(HELPER_ENV);
		start_main(argv);
	}
	if (strcmp(mode, "exec") == 0) {
		unsetenv(HELPER_ENV);
		exec_main(argv);
	}
}

/* environ plus HELPER_ENV=mode (malloc'd array, entries borrowed but the last), built before fork. */
static char **helper_environ(const char *mode)
{
	size_t n = 0;
	char **env;

	while (environ[n])
		n++;
	env = calloc(n + 2, sizeof(*env));
	if (env == NULL)
		return NULL;
	memcpy(env, environ, n * sizeof(*env));
	if (asprintf(&env[n], HELPER_ENV "=%s", mode) < 0) {
		free(env);
		return NULL;
	}
	return env;
}

static void free_environ(char **env)
{
	size_t n = 0;

	if (env == NULL)
		return;
	while (env[n])
		n++;
	free(env[n - 1]); /* ours; the others are environ's */
	free(env);
}

/* In the forked child: only async-signal-safe calls until execve. */
static void __attribute__((noreturn))
child(int null_fd, int out_fd, int err_fd, int error_fd, char **argv, char **env)
{
	sigset_t none;

	sigemptyset(&none);
	/* cellad blocks signals for sigwait: the container must not inherit that. */
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	setsid();
	if (dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 || dup2(err_fd, 2) < 0)
		_exit(3);
	if (error_fd == HELPER_ERROR_FD ? fcntl(error_fd, F_SETFD, 0) < 0
					: dup2(error_fd, HELPER_ERROR_FD) < 0)
		_exit(3);
	execve("/proc/self/exe", argv, env);
	_exit(4);
}

static void read_message(int fd, char *msg, size_t size)
{
	size_t len = 0;

	for (;;) {
		ssize_t n = read(fd, msg + len, size - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == size - 1)
			break;
	}
	msg[len] = '\0';
}

int cellad_helper_spawn(const char *mode, char *const *argv, int out_fd, int err_fd, int report_fd,
			pid_t *pid, cella_err_t *err)
{
	char **env = helper_environ(mode);
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (env == NULL || null_fd < 0) {
		int ret = cella_error_sys(err, "%s helper for '%s'", mode, argv[2]);

		free_environ(env);
		if (null_fd >= 0)
			close(null_fd);
		return ret;
	}
	*pid = fork();
	if (*pid == 0)
		child(null_fd, out_fd >= 0 ? out_fd : null_fd, err_fd >= 0 ? err_fd : null_fd, report_fd,
		      (char **)argv, env);
	free_environ(env);
	close(null_fd);
	return *pid < 0 ? cella_error_sys(err, "fork") : 0;
}

/* Runs a helper with stdout/stderr on out_fd/err_fd (-1: /dev/null); *status its wait status, msg what it
 * reported on HELPER_ERROR_FD. */
static int helper_run(const char *mode, char **argv, int out_fd, int err_fd, int *status, char *msg,
		      size_t msg_size, cella_err_t *err)
{
	int pipefd[2] = {-1, -1};
	pid_t pid;

	*status = 0;
	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cella_error_sys(err, "%s helper for '%s'", mode, argv[2]);
	if (cellad_helper_spawn(mode, argv, out_fd, err_fd, pipefd[1], &pid, err) < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return -1;
	}
	close(pipefd[1]);
	read_message(pipefd[0], msg, msg_size);
	close(pipefd[0]);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return 0;
}

int cellad_pack_helper_spawn(char *const *argv, int report_fd, pid_t *pid, cella_err_t *err)
{
	return cellad_helper_spawn("pack", argv, -1, -1, report_fd, pid, err);
}

int cellad_start_helper_run(const char *runtime_root, const char *id, const char *bundle,
			    const char *log_path, cella_err_t *err)
{
	char *argv[] = {"cellad-start-helper", (char *)runtime_root, (char *)id, (char *)bundle, NULL};
	char msg[2048];
	int log_fd, status, r;

	log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (log_fd < 0)
		return cella_error_sys(err, "start helper for '%s': %s", id, log_path);
	r = helper_run("start", argv, log_fd, log_fd, &status, msg, sizeof(msg), err);
	close(log_fd);
	if (r < 0)
		return -1;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (msg[0])
		return cella_error_make(err, 0, "%s", msg);
	return cella_error_make(err, 0, "the container helper failed (wait status 0x%x; see %s)", status,
				log_path);
}

int cellad_exec_helper_run(const char *runtime_root, const char *id, json_t *process, int out_fd, int err_fd,
			   int *status, cella_err_t *err)
{
	char *text = json_dumps(process, JSON_COMPACT), msg[2048];
	char *argv[] = {"cellad-exec-helper", (char *)runtime_root, (char *)id, text, NULL};
	int wstatus, r;

	if (text == NULL)
		return cella_error_make(err, ENOMEM, "exec in '%s'", id);
	r = helper_run("exec", argv, out_fd, err_fd, &wstatus, msg, sizeof(msg), err);
	free(text);
	if (r < 0)
		return -1;
	if (msg[0])
		return cella_error_make(err, 0, "%s", msg);
	if (!WIFEXITED(wstatus))
		return cella_error_make(err, 0, "the exec helper died (wait status 0x%x)", wstatus);
	*status = WEXITSTATUS(wstatus);
	return 0;
}
