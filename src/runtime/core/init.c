// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The container init, in the cloned child: joins namespaces, sets hostname and
 * sysctls, mounts the rootfs, runs createContainer hooks, pivots, drops
 * privileges, loads seccomp, then waits on the exec fifo for `start` and
 * execve's the user process. Any failure goes back to the parent as a message.
 */
#include "core/init.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/cgroup_join.h"
#include "core/create_internal.h"
#include "core/sync.h"
#include "core/util.h"
#include "oci/hooks.h"
#include "oci/terminal.h"
#include "rootfs/rootfs.h"
#include "security/security.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define KEYCTL_JOIN_SESSION_KEYRING 1

extern char **environ;

void cella_fds_cloexec_from(int first)
{
	if (syscall(SYS_close_range, (unsigned)first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Kernels before 5.11: walk the table. */
	for (int fd = first; fd < 65536; fd++) {
		int flags = fcntl(fd, F_GETFD);

		if (flags >= 0)
			fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
	}
}

static const char *env_lookup(const char *const *env, const char *key)
{
	size_t len = strlen(key);

	for (; env && *env; env++)
		if (strncmp(*env, key, len) == 0 && (*env)[len] == '=')
			return *env + len + 1;
	return NULL;
}

int cella_find_executable(const char *name, const char *const *env, char **out, cella_err_t *err)
{
	const char *path = env_lookup(env, "PATH");
	_cleanup_free_ char *copy = NULL;
	char *save = NULL;

	if (strchr(name, '/')) {
		if (access(name, X_OK) < 0)
			return cella_error_sys(err, "exec: '%s'", name);
		*out = strdup(name);
		return *out ? 0 : cella_error_sys(err, "exec");
	}
	copy = strdup(path ? path : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	if (copy == NULL)
		return cella_error_sys(err, "exec");
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		char *candidate = NULL;
		struct stat st;

		if (asprintf(&candidate, "%s/%s", *dir ? dir : ".", name) < 0)
			return cella_error_sys(err, "exec");
		if (stat(candidate, &st) == 0 && S_ISREG(st.st_mode) && access(candidate, X_OK) == 0) {
			*out = candidate;
			return 0;
		}
		free(candidate);
	}
	return cella_error_make(err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}

static int become_root_in_userns(cella_err_t *err)
{
	/* Until now we carried the host ids; 0 is mapped now, take it so the setup runs as the ns's root. */
	if (setresgid(0, 0, 0) < 0)
		return cella_error_sys(err, "setresgid(0) in the user namespace");
	if (setresuid(0, 0, 0) < 0)
		return cella_error_sys(err, "setresuid(0) in the user namespace");
	return 0;
}

/*
 * With a joined user namespace the new pid namespace is unshared here, after the join, so that it
 * belongs to that user namespace (the container's root must be able to mount its /proc; runc does the
 * same). unshare(CLONE_NEWPID) only places our children in it: we fork the init, as the runtime's child
 * (CLONE_PARENT: create tracks it, `run` reaps it), tell the runtime its pid and leave. The init waits
 * until that message is sent, so that the runtime knows which process to kill on failure before the
 * init does anything, and dies with the runtime during its set-up (the parent-death signal, which the
 * kernel also clears when the process user changes; we clear it before READY).
 */
static int enter_new_pidns(struct cella_init_ctx *ctx, cella_err_t *err)
{
	_cleanup_close_ int gate_read = -1, gate_write = -1;
	pid_t pid, host_pid = 0;
	int gate[2];

	if (pipe2(gate, O_CLOEXEC) < 0)
		return cella_error_sys(err, "pipe");
	gate_read = gate[0];
	gate_write = gate[1];
	pid = cella_clone_process(CLONE_PARENT);
	if (pid < 0)
		return cella_error_sys(err, "fork the init into its pid namespace");
	if (pid > 0) {
		char text[16];

		snprintf(text, sizeof(text), "%d", (int)pid);
		/* The init goes on only with its host pid in hand, i.e. once the runtime has it too. */
		if (cella_sync_send(ctx->sync_fd, CELLA_SYNC_PID, text, -1, NULL) == 0 &&
		    write(gate_write, &pid, sizeof(pid)) != sizeof(pid))
			_exit(1);
		_exit(0);
	}
	close(gate_write);
	gate_write = -1;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
		return cella_error_sys(err, "prctl(PR_SET_PDEATHSIG)");
	/* Short read: the middle child failed to send our pid, or was killed by a failing runtime. (A
	 * runtime that died before the prctl goes unseen here, getppid() is 0 in a new pid namespace, but
	 * its socket end is closed: we stop at GO, before any hook runs.) */
	if (read(gate_read, &host_pid, sizeof(host_pid)) != sizeof(host_pid) || host_pid <= 0)
		_exit(1);
	ctx->st->pid = host_pid; /* for the hooks' state; GO carries the middle child's */
	ctx->forked_into_pidns = true;
	return 0;
}

static int join_namespaces(struct cella_init_ctx *ctx, cella_err_t *err)
{
	/* The user namespace first: it decides what we may do with the others. */
	if (ctx->join_fds[CELLA_NS_USER] >= 0) {
		if (setns(ctx->join_fds[CELLA_NS_USER], CLONE_NEWUSER) < 0)
			return cella_error_sys(err, "join user namespace '%s'",
					       ctx->spec->ns[CELLA_NS_USER].path);
		if (become_root_in_userns(err) < 0)
			return -1;
	}
	for (int t = 0; t < CELLA_NS_COUNT; t++) {
		/* pid is joined by the parent (it only affects children); user done above. */
		if (t == CELLA_NS_USER || t == CELLA_NS_PID || ctx->join_fds[t] < 0)
			continue;
		if (setns(ctx->join_fds[t], cella_ns_clone_flag(t)) < 0)
			return cella_error_sys(err, "join %s namespace '%s'", cella_ns_spec_name(t),
					       ctx->spec->ns[t].path);
		close(ctx->join_fds[t]);
		ctx->join_fds[t] = -1;
	}
	if (ctx->late_unshare_flags && unshare(ctx->late_unshare_flags) < 0)
		return cella_error_sys(err, "unshare namespaces (flags 0x%x)", ctx->late_unshare_flags);
	if (ctx->late_unshare_flags & CLONE_NEWPID)
		return enter_new_pidns(ctx, err);
	return 0;
}

static int apply_uts_and_sysctl(struct cella_spec *spec, cella_err_t *err)
{
	if (spec->hostname && *spec->hostname && sethostname(spec->hostname, strlen(spec->hostname)) < 0)
		return cella_error_sys(err, "sethostname '%s'", spec->hostname);
	if (spec->domainname && *spec->domainname &&
	    setdomainname(spec->domainname, strlen(spec->domainname)) < 0)
		return cella_error_sys(err, "setdomainname '%s'", spec->domainname);
	for (size_t i = 0; i < spec->n_sysctl; i++) {
		char path[PATH_MAX];

		/* /proc/sys/net follows the opener's network namespace, so the host /proc is right here. */
		snprintf(path, sizeof(path), "/proc/sys/%s", spec->sysctl[i].key);
		for (char *p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		if (cella_rt_write_file(path, spec->sysctl[i].value, strlen(spec->sysctl[i].value), err) < 0)
			return cella_error_wrap(err, "config.json: linux.sysctl.%s", spec->sysctl[i].key);
	}
	if (spec->has_personality && personality(spec->personality) < 0)
		return cella_error_sys(err, "personality");
	return 0;
}

static int parent_hooks(struct cella_init_ctx *ctx, cella_err_t *err)
{
	char text[CELLA_SYNC_TEXT_MAX];
	int type;

	if (cella_sync_send(ctx->sync_fd, CELLA_SYNC_HOOKS, NULL, -1, err) < 0 ||
	    cella_sync_recv(ctx->sync_fd, &type, text, sizeof(text), NULL, err) < 0)
		return -1;
	if (type != CELLA_SYNC_HOOKS_DONE)
		return cella_error_make(err, EPROTO, "runtime did not run the prestart hooks");
	return 0;
}

static int setup_terminal(struct cella_init_ctx *ctx, cella_err_t *err)
{
	_cleanup_close_ int master = -1, slave = -1;
	struct cella_process *p = &ctx->spec->process;

	if (cella_terminal_open(&master, &slave, err) < 0)
		return -1;
	if (p->console_rows && p->console_cols &&
	    cella_terminal_set_size(master, p->console_rows, p->console_cols, err) < 0)
		return -1;
	if (cella_sync_send(ctx->sync_fd, CELLA_SYNC_CONSOLE_FD, NULL, master, err) < 0)
		return -1;
	return cella_terminal_make_controlling(slave, err);
}

static int load_seccomp(struct cella_init_ctx *ctx, cella_err_t *err)
{
	_cleanup_close_ int listener = -1;

	if (cella_seccomp_load(ctx->security, &listener, err) < 0)
		return -1;
	if (listener >= 0 && cella_sync_send(ctx->sync_fd, CELLA_SYNC_SECCOMP_FD, NULL, listener, err) < 0)
		return -1;
	return 0;
}

static int wait_for_start(struct cella_init_ctx *ctx, cella_err_t *err)
{
	char path[64];
	int fd;

	/* The fifo's path is outside the rootfs after pivot; reopen it through the O_PATH fd. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", ctx->fifo_fd);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cella_error_sys(err, "open exec fifo");
	if (write(fd, "0", 1) != 1) {
		close(fd);
		return cella_error_sys(err, "write exec fifo");
	}
	/* fd stays open (close-on-exec): `start` sees EOF exactly when the user process is exec'd,
	 * after the startContainer hooks, and only then runs the poststart hooks. */
	close(ctx->fifo_fd);
	ctx->fifo_fd = -1;
	return 0;
}

/* GO: the parent has done its part (id maps, the cgroup where it moves us); its text is our host pid. */
static int receive_go(struct cella_init_ctx *ctx, cella_err_t *err)
{
	char text[64];
	int type;

	if (cella_sync_recv(ctx->sync_fd, &type, text, sizeof(text), NULL, err) < 0)
		return -1;
	if (type != CELLA_SYNC_GO)
		return cella_error_make(err, EPROTO, "runtime went away before the container started");
	if (!ctx->forked_into_pidns)
		ctx->st->pid = atoi(text); /* for the hooks' state */
	return 0;
}

/*
 * Into the container's cgroup, then the new cgroup namespace (rooted where we are when we unshare it).
 * As late as the init can, right before READY: what the runtime builds from config.json (namespaces,
 * mounts, /dev, pivot, terminal, credentials) is a fixed cost of the runtime, charged to the runtime's
 * cgroup like the namespaces clone makes (with crun too), and the init's own pages (a copy of the
 * runtime's) are the runtime's; the container's limits cover the container's processes, from execve.
 * Not later than READY: from then on `ps`, `kill --all` and `pause` must find the init in the cgroup.
 * Earlier where something needs it (see init_setup): a cgroup file system mounted in a new cgroup
 * namespace, createContainer hooks (they run in the container), a parent that moves us (GO first),
 * the cgroup namespace (CAP_SYS_ADMIN) or `tasks` files not opened by the host's root (our uid) before
 * the credentials change.
 */
static int enter_cgroup(struct cella_init_ctx *ctx, cella_err_t *err)
{
	/* Once joined (or moved by the parent) nothing is left open: joining again does nothing. */
	if (ctx->cgroup_join && cella_cgroup_join_self(ctx->cgroup_join, err) < 0)
		return -1;
	if (ctx->new_cgroupns) {
		if (unshare(CLONE_NEWCGROUP) < 0)
			return cella_error_sys(err, "unshare the cgroup namespace");
		ctx->new_cgroupns = false;
	}
	return 0;
}

/* After the credentials change, unsharing the cgroup namespace may lack CAP_SYS_ADMIN, and a `tasks`
 * write is only allowed when the host's root opened the file. */
static bool may_join_after_creds(const struct cella_init_ctx *ctx)
{
	return !ctx->new_cgroupns && (ctx->cgroup_join == NULL || ctx->cgroup_join->n_tasks == 0 ||
				      ctx->cgroup_join->opened_by_host_root);
}

/* Not dumpable while we hold the runtime's fds and memory: container processes cannot ptrace us or
 * open our /proc files. execve of the user's binary makes it dumpable again. */
static int make_undumpable(cella_err_t *err)
{
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		return cella_error_sys(err, "prctl(PR_SET_DUMPABLE)");
	return 0;
}

static int init_setup(struct cella_init_ctx *ctx, char **exe, cella_err_t *err)
{
	struct cella_spec *spec = ctx->spec;
	bool in_userns = spec->ns[CELLA_NS_USER].wanted;
	bool new_userns = in_userns && !spec->ns[CELLA_NS_USER].path;
	/* Only a new user namespace (its maps) or a cgroup the parent has to move us into need the parent
	 * before we start; otherwise GO is read once the rootfs is ready, when it has long arrived, so that
	 * the parent and we never wait for each other on the way. */
	bool moved_by_parent = ctx->cgroup_join && ctx->cgroup_join->by_parent;
	bool go_first = new_userns || moved_by_parent;
	bool cgroup_early = moved_by_parent || (ctx->new_cgroupns && cella_rootfs_mounts_cgroup(ctx->rootfs));

	/* At once, unless the parent has yet to write our uid_map: the /proc files of a non-dumpable task
	 * belong to the host's root, which a rootless parent is not. */
	if (!new_userns && make_undumpable(err) < 0)
		return -1;
	/* A network namespace costs milliseconds to create: do it while the parent is busy too. Like the
	 * namespaces made by clone (and as crun does), it is the runtime's, not charged to the container. */
	if (ctx->early_unshare_flags && unshare(ctx->early_unshare_flags) < 0)
		return cella_error_sys(err, "unshare namespaces (flags 0x%x)", ctx->early_unshare_flags);
	if (go_first && receive_go(ctx, err) < 0)
		return -1;
	if (moved_by_parent) {
		/* GO came after the parent's cgroup.procs write: we are in the cgroup already. */
		cella_cgroup_join_close(ctx->cgroup_join);
	}
	if (new_userns && (make_undumpable(err) < 0 || become_root_in_userns(err) < 0))
		return -1;
	/* The cgroup namespace after the joined ones: it must belong to a joined user namespace. */
	if (join_namespaces(ctx, err) < 0 || (cgroup_early && enter_cgroup(ctx, err) < 0) ||
	    apply_uts_and_sysctl(spec, err) < 0)
		return -1;
	if (cella_rootfs_prepare(ctx->rootfs, in_userns, err) < 0)
		return -1;
	if (!go_first && receive_go(ctx, err) < 0)
		return -1;
	if ((json_object_get(spec->hooks, "prestart") || json_object_get(spec->hooks, "createRuntime")) &&
	    parent_hooks(ctx, err) < 0)
		return -1;
	if (json_object_get(spec->hooks, "createContainer")) {
		char *state_json = cella_state_hook_json(ctx->st, CELLA_STATUS_CREATING);
		int ret = enter_cgroup(ctx, err);

		if (ret == 0)
			ret = cella_hooks_run(spec->hooks, "createContainer", state_json, err);

		free(state_json);
		if (ret < 0)
			return -1;
	}
	if (cella_rootfs_pivot_and_finish(ctx->rootfs, ctx->no_pivot, err) < 0)
		return -1;
	if (spec->process.terminal && setup_terminal(ctx, err) < 0)
		return -1;
	if (chdir(spec->process.cwd) < 0)
		return cella_error_sys(err, "config.json: process.cwd: chdir '%s'", spec->process.cwd);
	if (!may_join_after_creds(ctx) && enter_cgroup(ctx, err) < 0)
		return -1;
	if (!ctx->no_new_keyring && syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 &&
	    errno != ENOSYS)
		return cella_error_sys(err, "join a new session keyring");
	/* Credentials, then seccomp: without no_new_privileges the security module keeps CAP_SYS_ADMIN
	 * through apply_creds for the filter and drops it once the filter is loaded. */
	if (cella_process_security_apply_creds(ctx->security, err) < 0 || load_seccomp(ctx, err) < 0)
		return -1;
	/* As runc: a missing binary fails create, not start. */
	if (cella_find_executable(spec->process.args[0], spec->process.env, exe, err) < 0)
		return -1;
	return enter_cgroup(ctx, err);
}

void cella_init_main(struct cella_init_ctx *ctx)
{
	cella_err_t err = NULL;
	char *exe = NULL;

	if (init_setup(ctx, &exe, &err) < 0 || exe == NULL)
		cella_sync_fail(ctx->sync_fd, &err);
	/* Ours from now on: the runtime exits once it has READY. */
	if (ctx->forked_into_pidns)
		prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (cella_sync_send(ctx->sync_fd, CELLA_SYNC_READY, NULL, -1, &err) < 0)
		_exit(1);
	close(ctx->sync_fd);
	if (ctx->fifo_fd >= 0 && wait_for_start(ctx, &err) < 0)
		goto fail;
	if (json_object_get(ctx->spec->hooks, "startContainer")) {
		char *state_json = cella_state_hook_json(ctx->st, CELLA_STATUS_CREATED);

		if (cella_hooks_run(ctx->spec->hooks, "startContainer", state_json, &err) < 0)
			goto fail;
		free(state_json);
	}
	cella_fds_cloexec_from(3 + ctx->preserve_fds);
	execve(exe, (char *const *)ctx->spec->process.args, (char *const *)ctx->spec->process.env);
	cella_error_sys(&err, "exec '%s'", exe);
fail:
	/* The runtime that created us is gone: stderr is all that is left. */
	fprintf(stderr, "cella-runtime init: %s\n", cella_error_string(err));
	_exit(127);
}
