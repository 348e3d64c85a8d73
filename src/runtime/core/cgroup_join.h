/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_CGROUP_JOIN_H
#define CELLA_RUNTIME_CORE_CGROUP_JOIN_H

/*
 * Putting the container init into its cgroup without the kernel's global
 * cgroup_threadgroup_rwsem write lock, whose percpu_down_write() waits for an
 * RCU grace period (~7-15 ms here) on every cgroup.procs write:
 *  - cgroup v1 hierarchies: the parent opens each `tasks` file (the kernel checks
 *    the opener's credentials), the child writes "0" to it itself: moving the
 *    calling thread skips that lock (single-threaded init: thread = process);
 *  - the cgroup2 hierarchy (v2 or hybrid): clone3(CLONE_INTO_CGROUP) creates
 *    the child there, under the read side of the same lock.
 * Where either is refused, the parent falls back to cella_cgroup_enter().
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <cella/error.h>

struct cella_cgroup;

#define CELLA_CGROUP_JOIN_MAX 16

struct cella_cgroup_join {
	int tasks_fds[CELLA_CGROUP_JOIN_MAX];	       /* write-only `tasks` of each distinct v1 directory */
	const char *tasks_dirs[CELLA_CGROUP_JOIN_MAX]; /* their directories, for error messages */
	size_t n_tasks;
	int unified_fd; /* O_PATH fd of the cgroup2 directory (for CLONE_INTO_CGROUP), or -1 */
	bool by_parent; /* the child cannot do it alone: the parent moves it (cella_cgroup_enter) */
	/* There are `tasks` files, opened by the host's root. The kernel checks a write against the opener's
	 * credentials: root may move any task, anyone else only a task with its own uid, so otherwise the
	 * child must join before it takes the container process's user. */
	bool opened_by_host_root;
};

/* Parent, before clone: opens what the child needs. Where something cannot be opened it sets
 * by_parent instead, with nothing left open: the parent then moves the child itself. */
void cella_cgroup_join_open(const struct cella_cgroup *cg, struct cella_cgroup_join *j);
/* Parent: clones (clone flags, fork semantics) a child that can join as j says: born in the cgroup2
 * directory where there is one; where the kernel refuses that, j->by_parent is set. -1 with errno when
 * no child could be made. */
pid_t cella_cgroup_join_clone(struct cella_cgroup_join *j, int flags);
/* Child, at the end of its set-up (see enter_cgroup() in init.c): moves itself into every v1
 * hierarchy; closes every fd of j (so a second call does nothing). */
int cella_cgroup_join_self(struct cella_cgroup_join *j, cella_err_t *err);
/* Closes whatever is still open (safe on an already closed join; unified_fd -1 means none). */
void cella_cgroup_join_close(struct cella_cgroup_join *j);

#endif
