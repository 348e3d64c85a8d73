// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The init joins its cgroup itself (v1) or is born in it (cgroup2), so that no
 * cgroup.procs write, and no RCU grace period, sits on the path of `create`.
 * See cgroup_join.h for why this is cheaper and when the parent falls back.
 */
#include "core/cgroup_join.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "core/create_internal.h"

/* Every v1 controller the cgroup module may have placed the container in. */
static const char *const v1_controllers[] = {
	"cpu",	 "cpuacct", "cpuset",  "memory",  "devices",  "freezer",
	"blkio", "pids",    "hugetlb", "net_cls", "net_prio", "rdma",
};

static bool already_listed(const struct cella_cgroup_join *j, const char *dir)
{
	for (size_t i = 0; i < j->n_tasks; i++)
		if (strcmp(j->tasks_dirs[i], dir) == 0)
			return true;
	return false;
}

/* Something the child cannot do itself (a `tasks` file we may not open, e.g. a delegated tree where only
 * cgroup.procs was handed over): the parent moves it with cella_cgroup_enter(), whose error, if any,
 * names the file. */
static void by_parent(struct cella_cgroup_join *j)
{
	cella_cgroup_join_close(j);
	j->by_parent = true;
}

/* euid 0 in the initial user namespace, the one whose uid_map is the identity of every id. */
static bool host_root(void)
{
	char text[128];
	unsigned inside, outside, count;
	int fd, consumed = 0;
	ssize_t n;

	if (geteuid() != 0)
		return false;
	fd = open("/proc/self/uid_map", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0)
		return false;
	text[n] = '\0';
	return sscanf(text, " %u %u %u %n", &inside, &outside, &count, &consumed) == 3 &&
	       text[consumed] == '\0' && inside == 0 && outside == 0 && count == 4294967295U;
}

void cella_cgroup_join_open(const struct cella_cgroup *cg, struct cella_cgroup_join *j)
{
	const char *unified = cella_cgroup_get_unified_dir(cg);

	j->n_tasks = 0;
	j->unified_fd = -1;
	j->by_parent = false;
	j->opened_by_host_root = false;
	for (size_t c = 0; c < sizeof(v1_controllers) / sizeof(v1_controllers[0]); c++) {
		const char *dir = cella_cgroup_get_v1_dir(cg, v1_controllers[c]);
		char path[4096];
		int fd;

		/* Co-mounted controllers (cpu,cpuacct) share one directory: join it once. */
		if (dir == NULL || already_listed(j, dir))
			continue;
		if (j->n_tasks == CELLA_CGROUP_JOIN_MAX ||
		    (size_t)snprintf(path, sizeof(path), "%s/tasks", dir) >= sizeof(path)) {
			by_parent(j);
			return;
		}
		/* Close-on-exec: the child writes and closes it long before it execs anything. */
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0) {
			by_parent(j);
			return;
		}
		j->tasks_dirs[j->n_tasks] = dir;
		j->tasks_fds[j->n_tasks++] = fd;
	}
	/* Only `tasks` files make it matter: no /proc read on a cgroup2-only host. */
	j->opened_by_host_root = j->n_tasks > 0 && host_root();
	if (unified) {
		j->unified_fd = open(unified, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (j->unified_fd < 0)
			by_parent(j);
	}
}

pid_t cella_cgroup_join_clone(struct cella_cgroup_join *j, int flags)
{
	if (j->unified_fd >= 0) {
		pid_t pid = cella_clone_into_cgroup(flags, j->unified_fd);

		if (pid >= 0)
			return pid;
		/* Old kernel, or a cgroup the kernel will not clone into: the parent moves the child, which
		 * (a copy of this memory) knows it has to wait for that. */
		j->by_parent = true;
	}
	return cella_clone_process(flags);
}

int cella_cgroup_join_self(struct cella_cgroup_join *j, cella_err_t *err)
{
	int ret = 0;

	for (size_t i = 0; i < j->n_tasks; i++) {
		/* "0" is the writing thread; the kernel then needs no threadgroup-wide lock. */
		if (ret == 0 && write(j->tasks_fds[i], "0", 1) != 1)
			ret = cella_error_sys(err, "cgroup: join '%s' (write tasks)", j->tasks_dirs[i]);
		close(j->tasks_fds[i]);
		j->tasks_fds[i] = -1;
	}
	j->n_tasks = 0;
	cella_cgroup_join_close(j); /* the cgroup2 fd served the clone already */
	return ret;
}

void cella_cgroup_join_close(struct cella_cgroup_join *j)
{
	for (size_t i = 0; i < j->n_tasks; i++)
		if (j->tasks_fds[i] >= 0)
			close(j->tasks_fds[i]);
	j->n_tasks = 0;
	if (j->unified_fd >= 0)
		close(j->unified_fd);
	j->unified_fd = -1;
}
