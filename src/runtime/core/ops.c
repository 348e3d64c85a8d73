// SPDX-License-Identifier: GPL-2.0-or-later
/* start, state, kill, delete, pause/resume, update, ps, stats: the verbs on an existing container. */
#include "core/container.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup.h"
#include "core/state.h"
#include "core/status.h"
#include "core/util.h"
#include "oci/hooks.h"

/* An open, locked container: its directory fd and state. */
struct handle {
	int dir_fd;
	struct cella_state *st;
	struct cella_cgroup *cg;
};

static void handle_close(struct handle *h)
{
	if (h->dir_fd >= 0)
		close(h->dir_fd);
	cella_state_free(h->st);
	cella_cgroup_free(h->cg);
}

static int handle_open(const char *root, const char *id, bool want_cgroup, bool lock, struct handle *h,
		       cella_err_t *err)
{
	h->dir_fd = -1;
	h->st = NULL;
	h->cg = NULL;
	if (cella_state_dir_open(root, id, false, lock, &h->dir_fd, err) < 0 ||
	    cella_state_read(h->dir_fd, id, &h->st, err) < 0)
		goto fail;
	if (want_cgroup && h->st->cgroup && cella_cgroup_from_json(h->st->cgroup, &h->cg, err) < 0)
		goto fail;
	return 0;
fail:
	handle_close(h);
	return -1;
}

static json_t *hooks_of(const struct cella_state *st)
{
	return json_object_get(st->config, "hooks");
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/*
 * The init writes one byte to the exec fifo once `start` opened it (want_byte),
 * then keeps its end open until execve closes it: EOF means the user process
 * runs (or the init died). Polls so a dead init never leaves us waiting.
 */
static int await_fifo(int fd, const struct cella_state *st, bool want_byte, cella_err_t *err)
{
	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int n = poll(&p, 1, 100);
		char byte;

		if (n < 0 && errno != EINTR)
			return cella_error_sys(err, "wait for the container init");
		if (n > 0) {
			ssize_t r = read(fd, &byte, 1);

			if (want_byte && r == 1)
				return 0;
			if (!want_byte && r == 0)
				return 0;
		}
		if (!cella_rt_pid_matches(st->pid, st->start_time)) {
			if (want_byte)
				return cella_error_make(err, 0, "container init exited before start");
			return 0; /* exec failed after start: the container is simply stopped */
		}
	}
}

int cella_container_start(const char *root, const char *id, cella_err_t *err)
{
	struct handle h;
	_cleanup_close_ int fd = -1;
	enum cella_status s;
	int ret = -1;

	if (handle_open(root, id, false, true, &h, err) < 0)
		return -1;
	s = cella_state_status(h.st, h.dir_fd);
	if (s != CELLA_STATUS_CREATED) {
		cella_error_make(err, 0, "cannot start a container that is %s (only created ones can be)",
				 cella_status_name(s));
		goto out;
	}
	/* Non-blocking open: if the init died meanwhile there is no writer and a blocking open would hang. */
	fd = openat(h.dir_fd, CELLA_EXEC_FIFO, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		cella_error_sys(err, "open exec fifo");
		goto out;
	}
	if (await_fifo(fd, h.st, true, err) < 0 || await_fifo(fd, h.st, false, err) < 0)
		goto out;
	unlinkat(h.dir_fd, CELLA_EXEC_FIFO, 0);
	ret = 0;
	{
		_cleanup_free_ char *state_json = cella_state_hook_json(h.st, CELLA_STATUS_RUNNING);
		cella_err_t hook_err = NULL;

		/* The spec: a failing poststart hook is logged, the container keeps running. */
		if (cella_hooks_run(hooks_of(h.st), "poststart", state_json, &hook_err) < 0) {
			fprintf(stderr, "cella-runtime: warning: %s\n", cella_error_string(hook_err));
			cella_error_release(&hook_err);
		}
	}
out:
	handle_close(&h);
	return ret;
}

int cella_container_state(const char *root, const char *id, json_t **out, cella_err_t *err)
{
	struct handle h;

	if (handle_open(root, id, true, false, &h, err) < 0)
		return -1;
	*out = cella_state_public_json(h.st, cella_status_live(h.st, h.dir_fd, h.cg));
	handle_close(&h);
	return 0;
}

/* Signals the init through a pidfd after checking its start time, so a reused pid is never hit. */
static int signal_init(const struct cella_state *st, int sig, cella_err_t *err)
{
	_cleanup_close_ int pidfd = (int)syscall(SYS_pidfd_open, st->pid, 0);

	if (pidfd < 0 || !cella_rt_pid_matches(st->pid, st->start_time))
		return cella_error_make(err, 0, "container not running");
	if (syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0) < 0)
		return cella_error_sys(err, "kill container init %d", (int)st->pid);
	return 0;
}

int cella_container_kill(const char *root, const char *id, int sig, bool all, cella_err_t *err)
{
	struct handle h;
	int ret;

	if (handle_open(root, id, all, false, &h, err) < 0)
		return -1;
	if (cella_state_status(h.st, h.dir_fd) == CELLA_STATUS_STOPPED)
		ret = cella_error_make(err, 0, "container not running");
	else if (all && h.cg)
		ret = cella_cgroup_kill_all(h.cg, sig, err);
	else
		ret = signal_init(h.st, sig, err);
	handle_close(&h);
	return ret;
}

/* Waits (bounded) until the init is gone or a zombie: it may not be our child, so poll /proc. */
static int wait_gone(const struct cella_state *st, cella_err_t *err)
{
	long long deadline = now_ms() + 10000;

	while (cella_rt_pid_matches(st->pid, st->start_time)) {
		if (now_ms() > deadline)
			return cella_error_make(err, ETIMEDOUT, "container init %d did not exit within 10 s",
						(int)st->pid);
		usleep(2000);
	}
	return 0;
}

static int kill_everything(struct handle *h, cella_err_t *err)
{
	if (h->cg && cella_cgroup_kill_all(h->cg, SIGKILL, err) < 0)
		return -1;
	if (cella_rt_pid_matches(h->st->pid, h->st->start_time) && signal_init(h->st, SIGKILL, err) < 0 &&
	    cella_rt_pid_matches(h->st->pid, h->st->start_time))
		return -1;
	cella_error_release(err);
	return wait_gone(h->st, err);
}

static bool cgroup_busy(struct cella_cgroup *cg)
{
	cella_err_t ignored = NULL;
	pid_t *pids = NULL;
	size_t n = 0;

	if (cg == NULL)
		return false;
	if (cella_cgroup_pids(cg, &pids, &n, &ignored) < 0)
		cella_error_release(&ignored);
	free(pids);
	return n > 0;
}

int cella_container_delete(const char *root, const char *id, bool force, cella_err_t *err)
{
	struct handle h;
	enum cella_status s;
	int ret = -1;

	if (handle_open(root, id, true, true, &h, err) < 0) {
		/* A half-created container (no state.json) is removable with --force. */
		if (force && err && *err && (*err)->errno_value == ENOENT &&
		    strstr((*err)->msg, "being created")) {
			cella_error_release(err);
			return cella_state_dir_remove(root, id, err);
		}
		return -1;
	}
	s = cella_status_live(h.st, h.dir_fd, h.cg);
	if (s == CELLA_STATUS_RUNNING || s == CELLA_STATUS_PAUSED) {
		if (!force) {
			cella_error_make(err, 0, "cannot delete container %s that is not stopped: %s", id,
					 cella_status_name(s));
			goto out;
		}
		if (s == CELLA_STATUS_PAUSED && h.cg && cella_cgroup_freeze(h.cg, false, err) < 0)
			goto out;
	}
	/* As runc, a created container is destroyed without --force: it never ran. A stopped one may
	 * still hold processes (no pid namespace): they go too, or the cgroup could not be removed. */
	if ((s != CELLA_STATUS_STOPPED || cgroup_busy(h.cg)) && kill_everything(&h, err) < 0)
		goto out;
	{
		_cleanup_free_ char *state_json = cella_state_hook_json(h.st, CELLA_STATUS_STOPPED);
		cella_err_t hook_err = NULL;

		if (cella_hooks_run(hooks_of(h.st), "poststop", state_json, &hook_err) < 0) {
			fprintf(stderr, "cella-runtime: warning: %s\n", cella_error_string(hook_err));
			cella_error_release(&hook_err);
		}
	}
	if (h.cg && cella_cgroup_destroy(h.cg, err) < 0)
		goto out;
	ret = cella_state_dir_remove(root, id, err);
out:
	handle_close(&h);
	return ret;
}

int cella_container_pids(const char *root, const char *id, pid_t **pids, size_t *n, cella_err_t *err)
{
	struct handle h;
	int ret;

	if (handle_open(root, id, true, false, &h, err) < 0)
		return -1;
	*pids = NULL;
	*n = 0;
	ret = h.cg ? cella_cgroup_pids(h.cg, pids, n, err) : 0;
	handle_close(&h);
	return ret;
}

int cella_container_pause(const char *root, const char *id, bool pause, cella_err_t *err)
{
	struct handle h;
	enum cella_status s;
	int ret = -1;

	if (handle_open(root, id, true, true, &h, err) < 0)
		return -1;
	s = cella_status_live(h.st, h.dir_fd, h.cg);
	if (pause && s != CELLA_STATUS_RUNNING && s != CELLA_STATUS_CREATED)
		cella_error_make(err, 0, "container not running");
	else if (!pause && s != CELLA_STATUS_PAUSED)
		cella_error_make(err, 0, "container not paused");
	else if (h.cg == NULL)
		cella_error_make(err, ENOTSUP, "container has no cgroup to freeze");
	else if (cella_cgroup_freeze(h.cg, pause, err) == 0) {
		h.st->paused = pause;
		ret = cella_state_write(h.dir_fd, h.st, err);
	}
	handle_close(&h);
	return ret;
}

int cella_container_update(const char *root, const char *id, json_t *resources, cella_err_t *err)
{
	struct handle h;
	int ret = -1;

	if (handle_open(root, id, true, true, &h, err) < 0)
		return -1;
	if (cella_state_status(h.st, h.dir_fd) == CELLA_STATUS_STOPPED)
		cella_error_make(err, 0, "container not running");
	else if (h.cg == NULL)
		cella_error_make(err, ENOTSUP, "container has no cgroup to update");
	else
		ret = cella_cgroup_update(h.cg, resources, err);
	handle_close(&h);
	return ret;
}

int cella_container_stats(const char *root, const char *id, json_t **out, cella_err_t *err)
{
	struct handle h;
	int ret = -1;

	if (handle_open(root, id, true, false, &h, err) < 0)
		return -1;
	/* a stopped container's cgroup is empty or gone: runc refuses too */
	if (cella_state_status(h.st, h.dir_fd) == CELLA_STATUS_STOPPED)
		cella_error_make(err, 0, "container with id %s is not running", id);
	else if (h.cg == NULL)
		cella_error_make(err, ENOTSUP, "container has no cgroup");
	else
		ret = cella_cgroup_stats(h.cg, out, err);
	handle_close(&h);
	return ret;
}

int cella_wait_status(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 255;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
