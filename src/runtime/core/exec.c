// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * exec: a new process in a running container. A middle child enters the
 * container's cgroup (by itself, as create's init: see cgroup_join.h), joins
 * every namespace of the init (user first), then clones the real process with
 * CLONE_PARENT so it is our child (its exit status is ours to report) and is
 * inside the pid namespace (setns on a pid namespace only affects children)
 * and in the cgroup, whose pids.max counts it.
 */
#include "core/container.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup.h"
#include "core/affinity.h"
#include "core/cgroup_join.h"
#include "core/create_internal.h"
#include "core/init.h"
#include "core/spec.h"
#include "core/state.h"
#include "core/status.h"
#include "core/sync.h"
#include "core/util.h"
#include "oci/terminal.h"
#include "security/security.h"

/* Join order: user first (it grants the rights for the rest), mount last (paths change after it). */
static const enum cella_ns_type join_order[] = {CELLA_NS_USER, CELLA_NS_IPC,  CELLA_NS_UTS,
						CELLA_NS_NET,  CELLA_NS_PID,  CELLA_NS_CGROUP,
						CELLA_NS_TIME, CELLA_NS_MOUNT};

struct exec_job {
	const struct cella_exec_opts *o;
	struct cella_state *st;
	struct cella_cgroup *cg;
	struct cella_process process;
	struct cella_process_security *security;
	struct cella_affinity affinity;
	struct cella_cgroup_join join; /* the middle child enters the cgroup itself where it can */
	int ns_fds[CELLA_NS_COUNT];
	int sync_fd;
};

static bool same_ns(const char *a, const char *b)
{
	struct stat sa, sb;

	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_ino == sb.st_ino && sa.st_dev == sb.st_dev;
}

static int open_init_namespaces(struct exec_job *job, cella_err_t *err)
{
	for (int t = 0; t < CELLA_NS_COUNT; t++) {
		char theirs[64], ours[64];

		job->ns_fds[t] = -1;
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)job->st->pid, cella_ns_proc_name(t));
		snprintf(ours, sizeof(ours), "/proc/self/ns/%s", cella_ns_proc_name(t));
		if (access(theirs, F_OK) < 0 || same_ns(theirs, ours))
			continue; /* not supported by this kernel, or shared with us */
		job->ns_fds[t] = open(theirs, O_RDONLY | O_CLOEXEC);
		if (job->ns_fds[t] < 0)
			return cella_error_sys(err, "open '%s'", theirs);
	}
	/* The start time check after opening: the fds cannot belong to a process that reused the pid. */
	if (!cella_rt_pid_matches(job->st->pid, job->st->start_time))
		return cella_error_make(err, ESRCH, "container not running");
	return 0;
}

static int grandchild_setup(struct exec_job *job, char **exe, cella_err_t *err)
{
	struct cella_process *p = &job->process;

	if (p->terminal) {
		_cleanup_close_ int master = -1, slave = -1;

		if (cella_terminal_open(&master, &slave, err) < 0 ||
		    (p->console_rows &&
		     cella_terminal_set_size(master, p->console_rows, p->console_cols, err) < 0) ||
		    cella_sync_send(job->sync_fd, CELLA_SYNC_CONSOLE_FD, NULL, master, err) < 0 ||
		    cella_terminal_make_controlling(slave, err) < 0)
			return -1;
	}
	if (chdir(p->cwd) < 0)
		return cella_error_sys(err, "process.cwd: chdir '%s'", p->cwd);
	/* Credentials, then seccomp (the security module keeps CAP_SYS_ADMIN for the filter if needed). */
	if (cella_process_security_apply_creds(job->security, err) < 0)
		return -1;
	{
		int listener = -1;

		if (cella_seccomp_load(job->security, &listener, err) < 0)
			return -1;
		/* A NOTIFY filter of our own: its fd goes to the agent through the parent, as for create. */
		if (listener >= 0 &&
		    cella_sync_send(job->sync_fd, CELLA_SYNC_SECCOMP_FD, NULL, listener, err) < 0) {
			close(listener);
			return -1;
		}
		if (listener >= 0)
			close(listener);
	}
	return cella_find_executable(p->args[0], p->env, exe, err);
}

__attribute__((noreturn)) static void middle_child(struct exec_job *job)
{
	cella_err_t err = NULL;
	char text[16], pid_text[16];
	char *exe = NULL;
	pid_t pid;
	int type;

	/* Until execve, the container's processes must not ptrace us (our fds, the runtime's memory). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) {
		cella_error_sys(&err, "prctl(PR_SET_DUMPABLE)");
		cella_sync_fail(job->sync_fd, &err);
	}
	/* Into the cgroup as create's init does (cgroup_join.h): no cgroup.procs write, no wait for an
	 * RCU grace period. Where we cannot, GO says the parent has moved us. */
	if (cella_cgroup_join_self(&job->join, &err) < 0)
		cella_sync_fail(job->sync_fd, &err);
	if (cella_sync_recv(job->sync_fd, &type, text, sizeof(text), NULL, &err) < 0 || type != CELLA_SYNC_GO)
		_exit(1);
	/* Now in the container's cgroup (whose cpuset may narrow what is allowed). */
	if (job->affinity.has_final && cella_affinity_apply(&job->affinity.final, "final", &err) < 0)
		cella_sync_fail(job->sync_fd, &err);
	for (size_t i = 0; i < sizeof(join_order) / sizeof(join_order[0]); i++) {
		int t = join_order[i];

		if (job->ns_fds[t] >= 0 && setns(job->ns_fds[t], cella_ns_clone_flag(t)) < 0) {
			cella_error_sys(&err, "join the container's %s namespace", cella_ns_spec_name(t));
			cella_sync_fail(job->sync_fd, &err);
		}
	}
	pid = cella_clone_process(CLONE_PARENT);
	if (pid < 0) {
		cella_error_sys(&err, "clone the exec process");
		cella_sync_fail(job->sync_fd, &err);
	}
	if (pid > 0) {
		snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
		cella_sync_send(job->sync_fd, CELLA_SYNC_PID, pid_text, -1, NULL);
		_exit(0);
	}
	if (grandchild_setup(job, &exe, &err) < 0)
		cella_sync_fail(job->sync_fd, &err);
	cella_sync_send(job->sync_fd, CELLA_SYNC_READY, NULL, -1, NULL);
	cella_fds_cloexec_from(3 + job->o->preserve_fds);
	execve(exe, (char *const *)job->process.args, (char *const *)job->process.env);
	fprintf(stderr, "cella-runtime exec: exec '%s': %s\n", exe, strerror(errno));
	_exit(127);
}

static int send_to_agent(struct exec_job *job, int fd, cella_err_t *err)
{
	const char *path = NULL, *metadata = NULL;
	_cleanup_free_ char *state_json = cella_state_hook_json(job->st, CELLA_STATUS_RUNNING);

	if (!cella_seccomp_wants_listener(job->security, &path, &metadata) || path == NULL)
		return cella_error_make(err, EPROTO,
					"exec process sent a seccomp fd but no listenerPath is set");
	return cella_seccomp_send_listener_with_metadata(path, fd, state_json, metadata, err);
}

static int converse(struct exec_job *job, pid_t *pid, cella_err_t *err)
{
	char text[CELLA_SYNC_TEXT_MAX];

	*pid = -1;
	for (;;) {
		_cleanup_close_ int fd = -1;
		int type;

		if (cella_sync_recv(job->sync_fd, &type, text, sizeof(text), &fd, err) < 0)
			return -1;
		switch (type) {
		case CELLA_SYNC_PID:
			*pid = atoi(text);
			break;
		case CELLA_SYNC_CONSOLE_FD:
			if (fd < 0 || job->o->console_socket == NULL)
				return cella_error_make(err, EPROTO, "unexpected console fd");
			if (cella_terminal_send_to_socket(job->o->console_socket, fd, err) < 0)
				return -1;
			break;
		case CELLA_SYNC_SECCOMP_FD:
			if (fd < 0 || send_to_agent(job, fd, err) < 0)
				return fd < 0 ? cella_error_make(err, EPROTO, "seccomp fd missing") : -1;
			break;
		case CELLA_SYNC_READY:
			return 0;
		case CELLA_SYNC_ERROR:
			return cella_error_make(err, 0, "%s", text);
		case 0:
			return cella_error_make(err, 0, "exec process exited during setup");
		default:
			return cella_error_make(err, EPROTO, "unexpected message %d from the exec process",
						type);
		}
	}
}

static int prepare(struct exec_job *job, cella_err_t *err)
{
	const struct cella_exec_opts *o = job->o;
	_cleanup_close_ int dir_fd = -1;
	enum cella_status s;

	if (cella_state_dir_open(o->root, o->id, false, false, &dir_fd, err) < 0 ||
	    cella_state_read(dir_fd, o->id, &job->st, err) < 0)
		return -1;
	if (job->st->cgroup && cella_cgroup_from_json(job->st->cgroup, &job->cg, err) < 0)
		return -1;
	s = cella_status_live(job->st, dir_fd, job->cg);
	if (s == CELLA_STATUS_STOPPED)
		return cella_error_make(err, 0, "cannot exec in a stopped container");
	if (s == CELLA_STATUS_PAUSED)
		return cella_error_make(err, 0, "cannot exec in a paused container");
	if (cella_process_parse(o->process, "process", &job->process, err) < 0 ||
	    cella_affinity_parse(o->process, "process", &job->affinity, err) < 0 ||
	    cella_process_security_parse(o->process, json_object_get(job->st->config, "linux"),
					 &job->security, err) < 0)
		return -1;
	if (job->process.terminal && o->console_socket == NULL)
		return cella_error_make(err, EINVAL,
					"process.terminal: set, but no --console-socket was given");
	return open_init_namespaces(job, err);
}

static int run_exec(struct exec_job *job, pid_t *pid, cella_err_t *err)
{
	int sv[2];
	pid_t middle;

	if (prepare(job, err) < 0)
		return -1;
	/* "initial" holds until the process is in the cgroup: set it on ourselves, the child inherits it
	 * before the cgroup is entered (this exec runtime process has no other use for its affinity). */
	if (job->affinity.has_initial && cella_affinity_apply(&job->affinity.initial, "initial", err) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return cella_error_sys(err, "socketpair");
	if (job->cg)
		cella_cgroup_join_open(job->cg, &job->join);
	middle = cella_cgroup_join_clone(&job->join, 0);
	if (middle < 0) {
		close(sv[0]);
		close(sv[1]);
		return cella_error_sys(err, "fork");
	}
	if (middle == 0) {
		close(sv[0]);
		job->sync_fd = sv[1];
		middle_child(job);
	}
	cella_cgroup_join_close(&job->join); /* the child has its own copies */
	close(sv[1]);
	job->sync_fd = sv[0];
	if ((job->join.by_parent && cella_cgroup_enter(job->cg, middle, err) < 0) ||
	    cella_sync_send(job->sync_fd, CELLA_SYNC_GO, NULL, -1, err) < 0 || converse(job, pid, err) < 0) {
		kill(middle, SIGKILL);
		waitpid(middle, NULL, 0);
		if (*pid > 0) {
			kill(*pid, SIGKILL);
			waitpid(*pid, NULL, 0);
		}
		return -1;
	}
	waitpid(middle, NULL, 0);
	return 0;
}

int cella_container_exec(const struct cella_exec_opts *o, pid_t *pid, cella_err_t *err)
{
	struct exec_job job = {.o = o, .sync_fd = -1, .join = {.unified_fd = -1}};
	pid_t child = -1;
	int ret;

	for (int t = 0; t < CELLA_NS_COUNT; t++)
		job.ns_fds[t] = -1;
	ret = run_exec(&job, &child, err);
	if (ret == 0 && pid)
		*pid = child;
	for (int t = 0; t < CELLA_NS_COUNT; t++)
		if (job.ns_fds[t] >= 0)
			close(job.ns_fds[t]);
	if (job.sync_fd >= 0)
		close(job.sync_fd);
	cella_cgroup_join_close(&job.join); /* left open where the clone failed */
	cella_process_clear(&job.process);
	cella_process_security_free(job.security);
	cella_cgroup_free(job.cg);
	cella_state_free(job.st);
	return ret;
}

int cella_container_config(const char *root, const char *id, json_t **out, cella_err_t *err)
{
	_cleanup_close_ int dir_fd = -1;
	struct cella_state *st = NULL;

	if (cella_state_dir_open(root, id, false, false, &dir_fd, err) < 0 ||
	    cella_state_read(dir_fd, id, &st, err) < 0)
		return -1;
	*out = json_incref(st->config);
	cella_state_free(st);
	return *out ? 0 : cella_error_make(err, EINVAL, "state of container '%s' has no config", id);
}
