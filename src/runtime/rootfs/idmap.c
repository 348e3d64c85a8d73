// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * MOUNT_ATTR_IDMAP takes a user namespace fd that carries the mapping. A short-lived
 * child unshares a user namespace, we write the mount's uidMappings/gidMappings into
 * it ("containerID hostID size", as runc writes them), keep /proc/PID/ns/user open
 * and let the child go.
 */
#include "rootfs/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

static int write_map(pid_t pid, const char *file, const struct rootfs_idmap *map, size_t n, cella_err_t *err)
{
	char path[64], buf[4096];
	size_t len = 0;
	_cleanup_close_ int fd = -1;

	for (size_t i = 0; i < n; i++) {
		int w = snprintf(buf + len, sizeof(buf) - len, "%u %u %u\n", map[i].container_id,
				 map[i].host_id, map[i].size);

		if (w < 0 || (size_t)w >= sizeof(buf) - len)
			return cella_error_make(err, E2BIG, "idmap: %s: too many mappings", file);
		len += (size_t)w;
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len)
		return cella_error_sys(err, "idmap: write %s", path);
	return 0;
}

static int open_userns(pid_t pid, const struct rootfs_mount *m, cella_err_t *err)
{
	char path[64];
	int fd;

	if (write_map(pid, "uid_map", m->uid_map, m->n_uid_map, err) < 0 ||
	    write_map(pid, "gid_map", m->gid_map, m->n_gid_map, err) < 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cella_error_sys(err, "idmap: open %s", path);
	return fd;
}

int rootfs_idmap_userns_open(const struct rootfs_mount *m, cella_err_t *err)
{
	int ready[2], release[2], fd, status;
	char c = 0;
	pid_t pid;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return cella_error_sys(err, "idmap: pipe");
	if (pipe2(release, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return cella_error_sys(err, "idmap: pipe");
	}
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		close(release[1]);
		char self[32] = "";
		ssize_t n = -1;

		/* Our pid as the mounted /proc numbers it: the runtime may already be in a new pid
		 * namespace while that /proc still belongs to the host's. */
		if (unshare(CLONE_NEWUSER) == 0)
			n = readlink("/proc/self", self, sizeof(self) - 1);
		if (n <= 0 || write(ready[1], self, (size_t)n) != n)
			_exit(1);
		/* Wait until the parent has the namespace open (or gave up: EOF). */
		while (read(release[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(0);
	}
	close(ready[1]);
	close(release[0]);
	if (pid < 0) {
		close(ready[0]);
		close(release[1]);
		return cella_error_sys(err, "idmap: fork");
	}
	{
		char buf[32] = "";
		ssize_t n = read(ready[0], buf, sizeof(buf) - 1);
		long proc_pid = n > 0 ? strtol(buf, NULL, 10) : 0;

		if (proc_pid <= 0)
			fd = cella_error_make(err, EPERM,
					      "idmap: the helper could not create a user namespace");
		else
			fd = open_userns((pid_t)proc_pid, m, err);
	}
	close(ready[0]);
	close(release[1]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return fd;
}
