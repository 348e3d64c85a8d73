// SPDX-License-Identifier: GPL-2.0-or-later
/* The dir pool: a container root is an overlayfs over the image; snapshots are copies of its upper layer. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "storage_driver.h"
#include "util.h"

extern char **environ;

char *cellad_storage_instance_path(struct cellad *d, const char *name, const char *leaf)
{
	char *p = NULL;

	if (asprintf(&p, "%s/%s/%s", d->instances_dir, name, leaf) < 0)
		return NULL;
	return p;
}

int cellad_storage_copy_tree(const char *src, const char *dst, cella_err_t *err)
{
	char *argv[] = {"cp", "-a", "--reflink=auto", "--", (char *)src, (char *)dst, NULL};
	posix_spawn_file_actions_t fa;
	char msg[1024];
	size_t len = 0;
	int pipefd[2], status = 0, rc;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) < 0)
		return cella_error_sys(err, "pipe");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
	posix_spawn_file_actions_adddup2(&fa, pipefd[1], 2);
	rc = posix_spawnp(&pid, "cp", &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pipefd[1]);
	if (rc != 0) {
		close(pipefd[0]);
		return cella_error_make(err, rc, "run cp");
	}
	for (;;) {
		ssize_t n = read(pipefd[0], msg + len, sizeof(msg) - 1 - len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || (len += (size_t)n) == sizeof(msg) - 1)
			break;
	}
	msg[len] = '\0';
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	return cella_error_make(err, 0, "copy '%s' to '%s' failed (status 0x%x): %s", src, dst, status,
				len ? msg : "no message");
}

static bool is_mounted(const char *path)
{
	struct stat st, parent;
	_cleanup_free_ char *up = NULL;

	if (stat(path, &st) < 0 || asprintf(&up, "%s/..", path) < 0 || stat(up, &parent) < 0)
		return false;
	return st.st_dev != parent.st_dev;
}

int cellad_storage_dir_mount(struct cellad *d, const char *name, const char *image_rootfs,
			     long long host_base, cella_err_t *err)
{
	_cleanup_free_ char *upper = cellad_storage_instance_path(d, name, "upper"),
			    *work = cellad_storage_instance_path(d, name, "work"),
			    *rootfs = cellad_storage_instance_path(d, name, "rootfs"), *opts = NULL;

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

int cellad_storage_dir_unmount(struct cellad *d, const char *name, cella_err_t *err)
{
	_cleanup_free_ char *rootfs = cellad_storage_instance_path(d, name, "rootfs");

	if (rootfs == NULL)
		return cella_error_make(err, ENOMEM, "unmount");
	if (is_mounted(rootfs) && umount2(rootfs, MNT_DETACH) < 0)
		return cella_error_sys(err, "unmount '%s'", rootfs);
	return 0;
}

int cellad_storage_dir_snapshot(struct cellad *d, const char *name, const char *dest_dir, cella_err_t *err)
{
	_cleanup_free_ char *upper = cellad_storage_instance_path(d, name, "upper"), *dest = NULL;

	if (upper == NULL || asprintf(&dest, "%s/upper", dest_dir) < 0)
		return cella_error_make(err, ENOMEM, "snapshot");
	return cellad_storage_copy_tree(upper, dest, err);
}

int cellad_storage_dir_restore(struct cellad *d, const char *name, const char *snap_dir, cella_err_t *err)
{
	_cleanup_free_ char *upper = cellad_storage_instance_path(d, name, "upper"),
			    *tmp = cellad_storage_instance_path(d, name, ".restore"), *source = NULL;
	cella_err_t ignore = NULL;

	if (upper == NULL || tmp == NULL || asprintf(&source, "%s/upper", snap_dir) < 0)
		return cella_error_make(err, ENOMEM, "restore");
	if (cellad_rm_rf(tmp, err) < 0 || cellad_storage_copy_tree(source, tmp, err) < 0)
		goto fail;
	/* One atomic swap: upper/ is the old layer or the restored one, never a mix or nothing. */
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, upper, RENAME_EXCHANGE) < 0) {
		cella_error_sys(err, "swap '%s' and '%s'", tmp, upper);
		goto fail;
	}
	return cellad_rm_rf(tmp, err);
fail:
	if (cellad_rm_rf(tmp, &ignore) < 0)
		cella_error_release(&ignore);
	return -1;
}
