// SPDX-License-Identifier: GPL-2.0-or-later
/* Driving the runtime library for one container instance: overlay, create/start, stop, pause, cleanup. */
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/container.h"
#include "util.h"

/* After SIGKILL, how long the kernel may take to tear the container down. */
#define KILL_WAIT_MS 10000

static char *instance_path(struct cellad *d, const char *name, const char *leaf)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s%s%s", d->instances_dir, name, leaf ? "/" : "", leaf ? leaf : "") < 0)
		return NULL;
	return p;
}

char *cellad_container_status(struct cellad *d, const char *name)
{
	cella_err_t err = NULL;
	json_t *state = NULL;
	char *status = NULL;

	if (cella_container_state(d->runtime_root, name, &state, &err) < 0) {
		cella_error_release(&err);
		return NULL;
	}
	status = strdup(json_string_value(json_object_get(state, "status")) ?: "stopped");
	json_decref(state);
	return status;
}

static bool is_mounted(const char *path)
{
	struct stat st, parent;
	_cleanup_free_ char *up = NULL;

	if (stat(path, &st) < 0 || asprintf(&up, "%s/..", path) < 0 || stat(up, &parent) < 0)
		return false;
	return st.st_dev != parent.st_dev;
}

/* A system container's root is an unprivileged host uid: every directory above its rootfs must let it pass. */
static int check_searchable(const char *path, cella_err_t *err)
{
	_cleanup_free_ char *copy = strdup(path);
	char *slash;

	if (copy == NULL)
		return cella_error_make(err, ENOMEM, "start");
	while ((slash = strrchr(copy, '/')) != NULL) {
		struct stat st;

		if (slash == copy)
			break;
		*slash = '\0';
		if (stat(copy, &st) < 0)
			return cella_error_sys(err, "stat '%s'", copy);
		if (!(st.st_mode & S_IXOTH))
			return cella_error_make(
				err, EACCES,
				"'%s' (mode %04o) is not searchable by other users, so a system "
				"container's unprivileged root cannot reach its rootfs: chmod o+x it, "
				"or set security.privileged",
				copy, (unsigned)(st.st_mode & 07777));
	}
	return 0;
}

static int mount_overlay(struct cellad *d, const char *name, const char *image_rootfs, long long host_base,
			 cella_err_t *err)
{
	_cleanup_free_ char *upper = instance_path(d, name, "upper"), *work = instance_path(d, name, "work"),
			    *rootfs = instance_path(d, name, "rootfs"), *opts = NULL;

	if (upper == NULL || work == NULL || rootfs == NULL)
		return cella_error_make(err, ENOMEM, "overlay");
	if (is_mounted(rootfs))
		return 0;
	if (asprintf(&opts, "lowerdir=%s,upperdir=%s,workdir=%s", image_rootfs, upper, work) < 0)
		return cella_error_make(err, ENOMEM, "overlay");
	if (mount("overlay", rootfs, "overlay", MS_NODEV, opts) < 0)
		return cella_error_sys(err, "mount the overlay on '%s' (%s)", rootfs, opts);
	/* The container's root owns its root directory (the upper layer's top), so it can create files there. */
	if (host_base >= 0 && chown(rootfs, (uid_t)host_base, (gid_t)host_base) < 0) {
		int ret = cella_error_sys(err, "chown '%s'", rootfs);

		umount2(rootfs, MNT_DETACH);
		return ret;
	}
	return 0;
}

struct start_job {
	struct cellad *d;
	const char *name;
	const char *bundle;
};

/* In the helper process: create + start; any failure removes the half-made container. */
static int helper_create_start(struct start_job *job, cella_err_t *err)
{
	struct cella_create_opts o = {.root = job->d->runtime_root, .id = job->name, .bundle = job->bundle};
	cella_err_t ignore = NULL;

	if (cella_container_create(&o, NULL, err) < 0)
		return -1;
	if (cella_container_start(o.root, o.id, err) < 0) {
		if (cella_container_delete(o.root, o.id, true, &ignore) < 0)
			cella_error_release(&ignore);
		return -1;
	}
	return 0;
}

/* fork; the child detaches (own session, stdio to console.log), runs the job and reports its error on a pipe. */
static int run_helper(struct start_job *job, const char *log_path, cella_err_t *err)
{
	int pipefd[2], status = 0;
	char msg[2048];
	size_t len = 0;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cella_error_sys(err, "pipe");
	pid = fork();
	if (pid < 0) {
		close(pipefd[0]);
		close(pipefd[1]);
		return cella_error_sys(err, "fork");
	}
	if (pid == 0) {
		cella_err_t child_err = NULL;
		int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		sigset_t all;

		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all,
			    NULL); /* cellad blocks signals for sigwait: not the container */
		signal(SIGPIPE, SIG_DFL);
		close(pipefd[0]);
		setsid();
		if (null_fd < 0 || log_fd < 0 || dup2(null_fd, 0) < 0 || dup2(log_fd, 1) < 0 ||
		    dup2(log_fd, 2) < 0)
			_exit(3);
		if (helper_create_start(job, &child_err) < 0) {
			const char *text = cella_error_string(child_err);
			ssize_t n = write(pipefd[1], text, strlen(text));

			(void)n;
			_exit(1);
		}
		_exit(0);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t n = read(pipefd[0], msg + len, sizeof(msg) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		if (len == sizeof(msg) - 1)
			break;
	}
	msg[len] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (len)
		return cella_error_make(err, 0, "%s", msg);
	return cella_error_make(err, 0, "the container helper failed (wait status 0x%x; see %s)", status,
				log_path);
}

int cellad_container_start(struct cellad *d, const char *name, const char *image_rootfs, json_t *config,
			   long long host_base, cella_err_t *err)
{
	_cleanup_free_ char *bundle = instance_path(d, name, NULL),
			    *rootfs = instance_path(d, name, "rootfs"),
			    *spec_path = instance_path(d, name, "config.json"),
			    *log_path = instance_path(d, name, "console.log"), *text = NULL;
	struct start_job job = {.d = d, .name = name, .bundle = bundle};
	cella_err_t ignore = NULL;
	json_t *spec;

	if (bundle == NULL || rootfs == NULL || spec_path == NULL || log_path == NULL)
		return cella_error_make(err, ENOMEM, "start");
	/* A container left stopped by the runtime (it died, or we were killed while stopping it) goes first. */
	if (cellad_container_cleanup(d, name, err) < 0)
		return -1;
	spec = cellad_container_spec(name, rootfs, config, host_base, err);
	if (spec == NULL)
		return -1;
	text = json_dumps(spec, JSON_INDENT(2));
	json_decref(spec);
	if (text == NULL || cellad_write_file(spec_path, text, strlen(text), 0600, err) < 0)
		return text ? -1 : cella_error_make(err, ENOMEM, "config.json");
	if (host_base >= 0 && check_searchable(rootfs, err) < 0)
		return -1;
	if (mount_overlay(d, name, image_rootfs, host_base, err) < 0)
		return -1;
	if (run_helper(&job, log_path, err) < 0) {
		if (cellad_container_cleanup(d, name, &ignore) < 0)
			cella_error_release(&ignore);
		return -1;
	}
	return 0;
}

static bool wait_stopped(struct cellad *d, const char *name, long long timeout_ms)
{
	long long deadline = cellad_now_ms() + timeout_ms;

	for (;;) {
		_cleanup_free_ char *status = cellad_container_status(d, name);
		struct timespec ts = {0, 50 * 1000000L};

		if (status == NULL || strcmp(status, "stopped") == 0)
			return true;
		if (cellad_now_ms() >= deadline)
			return false;
		nanosleep(&ts, NULL);
	}
}

int cellad_container_stop(struct cellad *d, const char *name, int timeout_s, bool force, cella_err_t *err)
{
	_cleanup_free_ char *status = cellad_container_status(d, name);
	cella_err_t ignore = NULL;

	if (status && strcmp(status, "paused") == 0 &&
	    cella_container_pause(d->runtime_root, name, false, err) < 0)
		return cella_error_wrap(err, "stop '%s': resume it first", name);
	if (status && strcmp(status, "stopped") != 0) {
		if (!force && cella_container_kill(d->runtime_root, name, SIGTERM, false, &ignore) < 0)
			cella_error_release(&ignore);
		if (force || !wait_stopped(d, name, timeout_s * 1000LL)) {
			if (cella_container_kill(d->runtime_root, name, SIGKILL, true, &ignore) < 0)
				cella_error_release(&ignore);
			if (!wait_stopped(d, name, KILL_WAIT_MS))
				return cella_error_make(err, ETIMEDOUT,
							"stop '%s': still running %d ms after SIGKILL", name,
							KILL_WAIT_MS);
		}
	}
	return cellad_container_cleanup(d, name, err);
}

int cellad_container_freeze(struct cellad *d, const char *name, bool frozen, cella_err_t *err)
{
	return cella_container_pause(d->runtime_root, name, frozen, err);
}

int cellad_container_cleanup(struct cellad *d, const char *name, cella_err_t *err)
{
	_cleanup_free_ char *rootfs = instance_path(d, name, "rootfs"),
			    *status = cellad_container_status(d, name);

	if (rootfs == NULL)
		return cella_error_make(err, ENOMEM, "cleanup");
	if (status && cella_container_delete(d->runtime_root, name, true, err) < 0)
		return cella_error_wrap(err, "remove the runtime's container '%s'", name);
	if (is_mounted(rootfs) && umount2(rootfs, MNT_DETACH) < 0)
		return cella_error_sys(err, "unmount '%s'", rootfs);
	return 0;
}

json_t *cellad_container_stats(struct cellad *d, const char *name)
{
	cella_err_t err = NULL;
	json_t *stats = NULL;

	if (cella_container_stats(d->runtime_root, name, &stats, &err) < 0) {
		cella_error_release(&err);
		return NULL;
	}
	return stats;
}
