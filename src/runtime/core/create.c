// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * create, the parent half: validate everything, make the state dir, exec fifo
 * and cgroup, clone the init into its namespaces, write its id maps, put it in
 * the cgroup, run the runtime-namespace hooks and wait until it is ready.
 * On any failure nothing is left: init killed, cgroup and state dir removed.
 */
#include "core/container.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup.h"
#include "core/cgroup_join.h"
#include "core/init.h"
#include "core/spec.h"
#include "core/state.h"
#include "core/sync.h"
#include "core/util.h"
#include "oci/hooks.h"
#include "oci/terminal.h"
#include "rootfs/rootfs.h"
#include "security/security.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

struct create_job {
	const struct cella_create_opts *o;
	struct cella_spec *spec;
	struct cella_rootfs *rootfs;
	struct cella_process_security *security;
	struct cella_cgroup *cg;
	struct cella_state *st;
	struct cella_cgroup_join join; /* what the init needs to enter its cgroup by itself */
	int dir_fd, sync_fd;
	pid_t pid;
};

static int validate_all(struct create_job *job, cella_err_t *err)
{
	struct cella_spec *spec = job->spec;

	if (cella_cgroup_resources_validate(spec->resources, err) < 0 ||
	    cella_process_security_parse(spec->process.json, spec->linux_obj, &job->security, err) < 0 ||
	    cella_rootfs_parse(spec->json, spec->bundle, &job->rootfs, err) < 0)
		return -1;
	if (spec->process.terminal && job->o->console_socket == NULL)
		return cella_error_make(
			err, EINVAL, "config.json: process.terminal: set, but no --console-socket was given");
	if (!spec->process.terminal && job->o->console_socket)
		return cella_error_make(err, EINVAL,
					"--console-socket given but config.json: process.terminal is false");
	return 0;
}

/* What the init needs of the state (its hooks' state JSON); the owner comes later, see add_owner(). */
static struct cella_state *new_state(struct create_job *job)
{
	struct cella_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return NULL;
	st->id = strdup(job->o->id);
	st->bundle = strdup(job->spec->bundle);
	if (job->spec->root_path[0] == '/')
		st->rootfs = strdup(job->spec->root_path);
	else if (asprintf(&st->rootfs, "%s/%s", job->spec->bundle, job->spec->root_path) < 0)
		st->rootfs = NULL;
	st->created = cella_rt_now_rfc3339();
	st->annotations = json_incref(job->spec->annotations);
	st->config = json_incref(job->spec->json);
	if (!st->id || !st->bundle || !st->rootfs || !st->created) {
		cella_state_free(st);
		return NULL;
	}
	return st;
}

/* The user name goes through NSS (nsswitch.conf, nscd, /etc/passwd: ~1 ms): looked up while the init
 * sets itself up, when the parent has nothing else to do. */
static int add_owner(struct cella_state *st, cella_err_t *err)
{
	struct passwd *pw = getpwuid(geteuid());

	st->owner = strdup(pw ? pw->pw_name : "");
	return st->owner ? 0 : cella_error_sys(err, "state");
}

/* Writes uid_map/gid_map of the child from here, the parent: the child cannot map ids it lacks. */
static int write_id_maps(pid_t pid, struct cella_spec *spec, cella_err_t *err)
{
	const struct {
		const char *file;
		struct cella_idmap *maps;
		size_t n;
	} files[] = {{"uid_map", spec->uid_maps, spec->n_uid_maps},
		     {"gid_map", spec->gid_maps, spec->n_gid_maps}};

	for (size_t f = 0; f < 2; f++) {
		_cleanup_free_ char *text = NULL;
		char path[64];
		size_t len = 0, cap = files[f].n * 36 + 1;

		text = malloc(cap);
		if (text == NULL)
			return cella_error_sys(err, "id map");
		for (size_t i = 0; i < files[f].n; i++)
			len += snprintf(text + len, cap - len, "%u %u %u\n", files[f].maps[i].container_id,
					files[f].maps[i].host_id, files[f].maps[i].size);
		if (f == 1 && geteuid() != 0) {
			/* Unprivileged: the kernel only takes a gid_map after setgroups is denied. */
			snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
			if (cella_rt_write_file(path, "deny", 4, err) < 0)
				return -1;
		}
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, files[f].file);
		if (cella_rt_write_file(path, text, len, err) < 0)
			return cella_error_wrap(err, "config.json: linux.%s",
						f ? "gidMappings" : "uidMappings");
	}
	return 0;
}

static int set_time_offsets(struct cella_spec *spec, cella_err_t *err)
{
	char text[128];
	int len;

	/* unshare(CLONE_NEWTIME) only affects our future children: set their offsets before the first exists. */
	if (unshare(CLONE_NEWTIME) < 0)
		return cella_error_sys(err, "config.json: linux.timeOffsets: create time namespace");
	len = snprintf(text, sizeof(text), "monotonic %lld %u\nboottime %lld %u\n",
		       (long long)spec->monotonic_secs, spec->monotonic_nsecs, (long long)spec->boottime_secs,
		       spec->boottime_nsecs);
	return cella_rt_write_file("/proc/self/timens_offsets", text, len, err);
}

/* Namespaces that only affect children (pid, time) are set up in the parent around clone, then restored. */
static int enter_for_children(struct create_job *job, int own_ns[2], int join_fds[], cella_err_t *err)
{
	struct cella_spec *spec = job->spec;

	if (join_fds[CELLA_NS_PID] >= 0) {
		own_ns[0] = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
		if (own_ns[0] < 0 || setns(join_fds[CELLA_NS_PID], CLONE_NEWPID) < 0)
			return cella_error_sys(err, "join pid namespace '%s'", spec->ns[CELLA_NS_PID].path);
	}
	if (spec->ns[CELLA_NS_TIME].wanted && !spec->ns[CELLA_NS_TIME].path) {
		own_ns[1] = open("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
		if (own_ns[1] < 0)
			return cella_error_sys(err, "open /proc/self/ns/time");
		if (spec->has_time_offsets)
			return set_time_offsets(spec, err);
		if (unshare(CLONE_NEWTIME) < 0)
			return cella_error_sys(err, "create time namespace");
	}
	return 0;
}

static void leave_for_children(int own_ns[2])
{
	if (own_ns[0] >= 0) {
		setns(own_ns[0], CLONE_NEWPID);
		close(own_ns[0]);
	}
	if (own_ns[1] >= 0) {
		setns(own_ns[1], CLONE_NEWTIME);
		close(own_ns[1]);
	}
}

static int clone_flags_for(struct cella_spec *spec, struct cella_init_ctx *ctx)
{
	int flags = 0;

	for (int t = 0; t < CELLA_NS_COUNT; t++) {
		/* cgroup: unshared by the child once it sits in its cgroup; time: made by the parent. */
		if (!spec->ns[t].wanted || spec->ns[t].path || t == CELLA_NS_TIME)
			continue;
		flags |= cella_ns_clone_flag(t);
	}
	/* Its root is the cgroup the child is in when it unshares it: the init does that after joining. */
	ctx->new_cgroupns = flags & CLONE_NEWCGROUP;
	flags &= ~CLONE_NEWCGROUP;
	if (spec->ns[CELLA_NS_USER].path) {
		/* New namespaces must belong to the joined user namespace: create them after joining it. A
		 * pid namespace made here would belong to ours, and the container's root could not mount
		 * its /proc; the child unshares it and forks the init into it (init.c, enter_new_pidns). */
		ctx->late_unshare_flags = flags;
		flags = 0;
	} else {
		/* Owned by the new user namespace all the same: the child is already in it. */
		ctx->early_unshare_flags = flags & CLONE_NEWNET;
		flags &= ~CLONE_NEWNET;
	}
	return flags;
}

static int open_join_fds(struct cella_spec *spec, int fds[], cella_err_t *err)
{
	for (int t = 0; t < CELLA_NS_COUNT; t++) {
		fds[t] = -1;
		if (!spec->ns[t].path)
			continue;
		fds[t] = open(spec->ns[t].path, O_RDONLY | O_CLOEXEC);
		if (fds[t] < 0)
			return cella_error_sys(err, "config.json: linux.namespaces: open %s namespace '%s'",
					       cella_ns_spec_name(t), spec->ns[t].path);
	}
	return 0;
}

static void close_join_fds(int fds[])
{
	for (int t = 0; t < CELLA_NS_COUNT; t++)
		if (fds[t] >= 0)
			close(fds[t]);
}

/* Clones the init straight into its cgroup2 directory when there is one; v1 hierarchies it joins itself. */
static int clone_init(struct create_job *job, int flags, cella_err_t *err)
{
	job->pid = cella_cgroup_join_clone(&job->join, flags);
	if (job->pid < 0)
		return cella_error_sys(err, "clone the container init (flags 0x%x)", flags);
	return 0;
}

static int spawn_init(struct create_job *job, int fifo_fd, cella_err_t *err)
{
	struct cella_init_ctx ctx = {.spec = job->spec,
				     .rootfs = job->rootfs,
				     .security = job->security,
				     .fifo_fd = fifo_fd,
				     .preserve_fds = job->o->preserve_fds,
				     .no_pivot = job->o->no_pivot,
				     .no_new_keyring = job->o->no_new_keyring,
				     .cgroup_join = &job->join};
	int own_ns[2] = {-1, -1}, sv[2], flags, ret;

	if (open_join_fds(job->spec, ctx.join_fds, err) < 0)
		goto fail_fds;
	flags = clone_flags_for(job->spec, &ctx);
	ctx.st = job->st;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		cella_error_sys(err, "socketpair");
		goto fail_fds;
	}
	ret = enter_for_children(job, own_ns, ctx.join_fds, err);
	if (ret == 0)
		ret = clone_init(job, flags, err);
	if (ret == 0 && job->pid == 0) {
		/* The state dir's flock lives in this shared open file: keep `start` from waiting on us. */
		close(job->dir_fd);
		close(sv[0]);
		ctx.sync_fd = sv[1];
		cella_init_main(&ctx);
	}
	leave_for_children(own_ns);
	cella_cgroup_join_close(&job->join); /* the child has its own copies */
	close(sv[1]);
	close_join_fds(ctx.join_fds);
	if (ret < 0) {
		close(sv[0]);
		return -1;
	}
	job->sync_fd = sv[0];
	return 0;
fail_fds:
	close_join_fds(ctx.join_fds);
	return -1;
}

static int send_fd_to_listener(struct create_job *job, int fd, cella_err_t *err)
{
	const char *path = NULL, *metadata = NULL;
	_cleanup_free_ char *state_json = cella_state_hook_json(job->st, CELLA_STATUS_CREATING);

	if (!cella_seccomp_wants_listener(job->security, &path, &metadata) || path == NULL)
		return cella_error_make(err, EPROTO,
					"container sent a seccomp fd but no listenerPath is set");
	return cella_seccomp_send_listener_with_metadata(path, fd, state_json, metadata, err);
}

/* The child we cloned forked the init into the pid namespace it made after joining a user namespace
 * (init.c, enter_new_pidns), as our child (CLONE_PARENT), and exits: from now on the init is the one we
 * track, kill on failure and report. Its own first message comes after this one. */
static int take_forked_init(struct create_job *job, const char *text, cella_err_t *err)
{
	char *end = NULL;
	long pid = strtol(text, &end, 10);

	if (end == text || *end != '\0' || pid <= 0 || pid > INT_MAX || pid == job->pid)
		return cella_error_make(err, EPROTO, "bad init pid '%s' from the container", text);
	waitpid(job->pid, NULL, 0);
	job->pid = (pid_t)pid;
	job->st->pid = job->pid;
	job->st->start_time = cella_rt_proc_start_time(job->pid);
	return 0;
}

/* Serves the init's requests until it is ready to exec (or fails). */
static int converse(struct create_job *job, cella_err_t *err)
{
	char text[CELLA_SYNC_TEXT_MAX];

	for (;;) {
		_cleanup_close_ int fd = -1;
		int type;

		if (cella_sync_recv(job->sync_fd, &type, text, sizeof(text), &fd, err) < 0)
			return -1;
		switch (type) {
		case CELLA_SYNC_READY:
			return 0;
		case CELLA_SYNC_ERROR:
			return cella_error_make(err, 0, "%s", text);
		case CELLA_SYNC_PID:
			if (take_forked_init(job, text, err) < 0)
				return -1;
			break;
		case CELLA_SYNC_HOOKS: {
			_cleanup_free_ char *state_json =
				cella_state_hook_json(job->st, CELLA_STATUS_CREATING);

			if (cella_hooks_run(job->spec->hooks, "prestart", state_json, err) < 0 ||
			    cella_hooks_run(job->spec->hooks, "createRuntime", state_json, err) < 0 ||
			    cella_sync_send(job->sync_fd, CELLA_SYNC_HOOKS_DONE, NULL, -1, err) < 0)
				return -1;
			break;
		}
		case CELLA_SYNC_CONSOLE_FD:
			if (fd < 0 || cella_terminal_send_to_socket(job->o->console_socket, fd, err) < 0)
				return fd < 0 ? cella_error_make(err, EPROTO, "console fd missing") : -1;
			break;
		case CELLA_SYNC_SECCOMP_FD:
			if (fd < 0 || send_fd_to_listener(job, fd, err) < 0)
				return fd < 0 ? cella_error_make(err, EPROTO, "seccomp fd missing") : -1;
			break;
		case 0:
			return cella_error_make(err, 0, "container init exited during setup");
		default:
			return cella_error_make(err, EPROTO, "unexpected message %d from the container init",
						type);
		}
	}
}

/* The host id the container's id 0 maps to (0 without a user namespace). */
static uid_t host_id_of_root(const struct cella_idmap *maps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (maps[i].container_id == 0)
			return maps[i].host_id;
	return 0;
}

static int run_create(struct create_job *job, cella_err_t *err)
{
	const struct cella_create_opts *o = job->o;
	_cleanup_close_ int fifo_fd = -1;
	char pid_text[16];

	if (cella_spec_load(o->bundle, &job->spec, err) < 0 || validate_all(job, err) < 0)
		return -1;
	if (cella_state_dir_open(o->root, o->id, true, true, &job->dir_fd, err) < 0) {
		job->dir_fd = -2; /* not ours: do not remove */
		return -1;
	}
	job->st = new_state(job);
	if (job->st == NULL)
		return cella_error_sys(err, "state");
	/* 0622 and owned by the container's root, as runc: the init opens it after dropping to the
	 * process user, possibly in a user namespace. Only the init's O_PATH fd can reach it (dir is 0700). */
	if (mkfifoat(job->dir_fd, CELLA_EXEC_FIFO, 0622) < 0 ||
	    fchmodat(job->dir_fd, CELLA_EXEC_FIFO, 0622, 0) < 0 ||
	    fchownat(job->dir_fd, CELLA_EXEC_FIFO,
		     host_id_of_root(job->spec->uid_maps, job->spec->n_uid_maps),
		     host_id_of_root(job->spec->gid_maps, job->spec->n_gid_maps), AT_SYMLINK_NOFOLLOW) < 0)
		return cella_error_sys(err, "mkfifo exec.fifo");
	fifo_fd = openat(job->dir_fd, CELLA_EXEC_FIFO, O_PATH | O_CLOEXEC);
	if (fifo_fd < 0)
		return cella_error_sys(err, "open exec.fifo");
	{
		json_t *resources = cella_spec_cgroup_resources(job->spec);
		int ret = cella_cgroup_create(o->id, job->spec->cgroups_path, resources, &job->cg, err);

		json_decref(resources);
		if (ret < 0)
			return -1;
		cella_cgroup_join_open(job->cg, &job->join);
	}
	if (spawn_init(job, fifo_fd, err) < 0)
		return -1;
	job->st->pid = job->pid;
	/* GO: the child entered its cgroup itself, unless the clone into the cgroup2 directory was
	 * refused; with a new user namespace or that fallback it waits for GO before it runs anything. */
	if ((job->spec->ns[CELLA_NS_USER].wanted && !job->spec->ns[CELLA_NS_USER].path &&
	     write_id_maps(job->pid, job->spec, err) < 0) ||
	    (job->join.by_parent && cella_cgroup_enter(job->cg, job->pid, err) < 0))
		return -1;
	/* If the child already failed (early unshare), GO cannot be sent: its message says why. */
	snprintf(pid_text, sizeof(pid_text), "%d", (int)job->pid);
	(void)cella_sync_send(job->sync_fd, CELLA_SYNC_GO, pid_text, -1, NULL);
	job->st->start_time = cella_rt_proc_start_time(job->pid);
	if (add_owner(job->st, err) < 0)
		return -1;
	if (converse(job, err) < 0)
		return -1;
	job->st->cgroup = cella_cgroup_to_json(job->cg);
	if (cella_state_write(job->dir_fd, job->st, err) < 0)
		return -1;
	if (o->pid_file && cella_rt_write_pid_file(o->pid_file, job->pid, err) < 0)
		return -1;
	return 0;
}

static void undo_create(struct create_job *job)
{
	cella_err_t ignored = NULL;

	if (job->pid > 0) {
		kill(job->pid, SIGKILL);
		waitpid(job->pid, NULL, 0);
	}
	if (job->cg && cella_cgroup_destroy(job->cg, &ignored) < 0)
		cella_error_release(&ignored);
	if (job->dir_fd >= 0 && cella_state_dir_remove(job->o->root, job->o->id, &ignored) < 0)
		cella_error_release(&ignored);
}

int cella_container_create(const struct cella_create_opts *o, pid_t *pid, cella_err_t *err)
{
	struct create_job job = {.o = o, .dir_fd = -1, .sync_fd = -1, .join = {.unified_fd = -1}};
	int ret = run_create(&job, err);

	if (ret < 0)
		undo_create(&job);
	else if (pid)
		*pid = job.pid;
	if (job.sync_fd >= 0)
		close(job.sync_fd);
	if (job.dir_fd >= 0)
		close(job.dir_fd);
	cella_cgroup_join_close(&job.join);
	cella_cgroup_free(job.cg);
	cella_state_free(job.st);
	cella_rootfs_free(job.rootfs);
	cella_process_security_free(job.security);
	cella_spec_free(job.spec);
	return ret;
}
