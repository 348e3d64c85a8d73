// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Test driver for tests/integration/runtime_rootfs.sh: plays the part of the runtime
 * core around the rootfs code. Reads BUNDLE/config.json, enters the namespaces its
 * linux.namespaces asks for (user, mount, pid, network, ipc, uts, cgroup), runs
 * prepare + pivot_and_finish and execs CMD inside the new root.
 *   rootfs-driver [--no-pivot] BUNDLE CMD [ARG...]
 * Exit status: CMD's, or 125 when the setup failed (the message on stderr).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <jansson.h>

#include <cella/cleanup.h>
#include <cella/error.h>

#include "rootfs/rootfs.h"

#define SETUP_FAILED 125

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return SETUP_FAILED;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

static int ns_flags(json_t *config)
{
	static const struct {
		const char *name;
		int flag;
	} kinds[] = {
		{"user", CLONE_NEWUSER},     {"mount", CLONE_NEWNS}, {"pid", CLONE_NEWPID},
		{"network", CLONE_NEWNET},   {"ipc", CLONE_NEWIPC},  {"uts", CLONE_NEWUTS},
		{"cgroup", CLONE_NEWCGROUP},
	};
	json_t *arr = json_object_get(json_object_get(config, "linux"), "namespaces"), *ns;
	int flags = CLONE_NEWNS;
	size_t i;

	json_array_foreach (arr, i, ns) {
		const char *type = json_string_value(json_object_get(ns, "type"));

		for (size_t k = 0; type && k < sizeof(kinds) / sizeof(kinds[0]); k++)
			if (strcmp(type, kinds[k].name) == 0)
				flags |= kinds[k].flag;
	}
	return flags;
}

/* linux.uidMappings / gidMappings as /proc/PID/{uid,gid}_map text; identity when absent. */
static int write_map(pid_t pid, json_t *config, const char *key, const char *file)
{
	json_t *arr = json_object_get(json_object_get(config, "linux"), key), *m;
	char buf[4096] = "0 0 4294967295\n", path[64];
	size_t len = strlen(buf), i;
	_cleanup_close_ int fd = -1;

	if (json_array_size(arr) > 0) {
		len = 0;
		json_array_foreach (arr, i, m) {
			int w = snprintf(buf + len, sizeof(buf) - len, "%lld %lld %lld\n",
					 json_integer_value(json_object_get(m, "containerID")),
					 json_integer_value(json_object_get(m, "hostID")),
					 json_integer_value(json_object_get(m, "size")));
			if (w < 0 || (size_t)w >= sizeof(buf) - len)
				return -1;
			len += (size_t)w;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		fprintf(stderr, "rootfs-driver: write %s: %s\n", path, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * A process cannot give its own new user namespace an arbitrary mapping, so the
 * child unshares and the parent (still in the parent namespace) writes the maps.
 * Returns in the child, which is then in the mapped namespace; the parent exits.
 */
static void enter_userns(json_t *config)
{
	int to_parent[2], to_child[2];
	char c = 0;
	pid_t pid;

	if (pipe2(to_parent, O_CLOEXEC) < 0 || pipe2(to_child, O_CLOEXEC) < 0)
		exit(SETUP_FAILED);
	pid = fork();
	if (pid < 0)
		exit(SETUP_FAILED);
	if (pid == 0) {
		close(to_parent[0]);
		close(to_child[1]);
		if (unshare(CLONE_NEWUSER) < 0) {
			perror("rootfs-driver: unshare(CLONE_NEWUSER)");
			_exit(SETUP_FAILED);
		}
		if (write(to_parent[1], "u", 1) != 1 || read(to_child[0], &c, 1) != 1 || c != 'm')
			_exit(SETUP_FAILED);
		close(to_parent[1]);
		close(to_child[0]);
		return;
	}
	close(to_parent[1]);
	close(to_child[0]);
	if (read(to_parent[0], &c, 1) == 1 && write_map(pid, config, "uidMappings", "uid_map") == 0 &&
	    write_map(pid, config, "gidMappings", "gid_map") == 0 && write(to_child[1], "m", 1) == 1) {
		close(to_child[1]);
		json_decref(config);
		exit(wait_child(pid));
	}
	close(to_child[1]); /* EOF: the child gives up */
	wait_child(pid);
	exit(SETUP_FAILED);
}

static int run(json_t *config, const char *bundle, bool no_pivot, char **cmd)
{
	_cleanup_error_ cella_err_t err = NULL;
	struct cella_rootfs *r = NULL;
	int flags = ns_flags(config);
	bool in_userns = (flags & CLONE_NEWUSER) != 0;

	if (cella_rootfs_parse(config, bundle, &r, &err) < 0)
		return cella_error_report("rootfs-driver", &err), SETUP_FAILED;
	if (in_userns)
		enter_userns(config);
	if (unshare(flags & ~CLONE_NEWUSER) < 0) {
		perror("rootfs-driver: unshare");
		cella_rootfs_free(r);
		return SETUP_FAILED;
	}
	if (flags & CLONE_NEWPID) {
		/* The first child of unshare(CLONE_NEWPID) is the namespace's pid 1: it mounts /proc. */
		pid_t pid = fork();

		if (pid < 0)
			return SETUP_FAILED;
		if (pid > 0) {
			cella_rootfs_free(r);
			/* _exit: after unshare(CLONE_NEWPID) no further clone() succeeds once pid 1 is gone,
			 * and LeakSanitizer's exit-time scan needs one. Nothing is left allocated here. */
			_exit(wait_child(pid));
		}
	}
	if (cella_rootfs_prepare(r, in_userns, &err) < 0 ||
	    cella_rootfs_pivot_and_finish(r, no_pivot, &err) < 0) {
		cella_rootfs_free(r);
		cella_error_report("rootfs-driver", &err);
		/* _exit: past the pivot there may be no /proc for LeakSanitizer's exit-time scan. */
		_exit(SETUP_FAILED);
	}
	cella_rootfs_free(r);
	execvp(cmd[0], cmd);
	fprintf(stderr, "rootfs-driver: exec %s: %s\n", cmd[0], strerror(errno));
	_exit(SETUP_FAILED);
}

int main(int argc, char **argv)
{
	char path[PATH_MAX], bundle[PATH_MAX];
	bool no_pivot = false;
	json_error_t jerr;
	json_t *config;
	int argi = 1, ret;

	if (argi < argc && strcmp(argv[argi], "--no-pivot") == 0) {
		no_pivot = true;
		argi++;
	}
	if (argc - argi < 2) {
		fprintf(stderr, "usage: rootfs-driver [--no-pivot] BUNDLE CMD [ARG...]\n");
		return 2;
	}
	if (realpath(argv[argi], bundle) == NULL) {
		fprintf(stderr, "rootfs-driver: %s: %s\n", argv[argi], strerror(errno));
		return SETUP_FAILED;
	}
	snprintf(path, sizeof(path), "%.*s/config.json", PATH_MAX - 16, bundle);
	config = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (config == NULL) {
		fprintf(stderr, "rootfs-driver: %s:%d: %s\n", path, jerr.line, jerr.text);
		return SETUP_FAILED;
	}
	ret = run(config, bundle, no_pivot, argv + argi + 1);
	json_decref(config);
	return ret;
}
