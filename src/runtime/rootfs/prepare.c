// SPDX-License-Identifier: GPL-2.0-or-later
/* Phase 1, in the container's new mount namespace: propagation, the rootfs bind, mounts[], /dev. */
#include "rootfs/rootfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cella/cleanup.h>

/* Is mount point mp a path prefix of path (component-wise)? */
static bool mount_covers(const char *mp, const char *path)
{
	size_t n = strlen(mp);

	if (strcmp(mp, "/") == 0)
		return true;
	return strncmp(mp, path, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

/*
 * pivot_root refuses a new root whose parent mount is shared, and a shared parent
 * would also propagate our bind to the host: make the mount holding the rootfs
 * private when it is shared (runc's rootfsParentMountPrivate).
 */
static int parent_mount_private(const char *root, cella_err_t *err)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	_cleanup_free_ char *line = NULL, *best = NULL;
	bool best_shared = false;
	size_t cap = 0;

	if (f == NULL)
		return cella_error_sys(err, "open /proc/self/mountinfo");
	while (getline(&line, &cap, f) > 0) {
		char mp[4096], *sep = strstr(line, " - ");
		bool shared;

		/* id parent major:minor root mountpoint options [optional fields...] - ... */
		if (sep == NULL || sscanf(line, "%*d %*d %*s %*s %4095s", mp) != 1)
			continue;
		/* Spaces and other odd bytes are octal-escaped; such mount points never match: fine. */
		if (!mount_covers(mp, root))
			continue;
		if (best && strlen(mp) < strlen(best))
			continue;
		*sep = '\0';
		shared = strstr(line, " shared:") != NULL;
		free(best);
		best = strdup(mp);
		if (best == NULL)
			return cella_error_sys(err, "mountinfo");
		best_shared = shared; /* later lines are mounted on top: they win on equal paths */
	}
	if (best && best_shared && mount(NULL, best, NULL, MS_PRIVATE, NULL) < 0)
		return cella_error_sys(err, "make %s private", best);
	return 0;
}

int cella_rootfs_prepare(struct cella_rootfs *r, bool in_userns, cella_err_t *err)
{
	/* runc's default: slave, so host mounts still reach us but nothing of ours reaches the host. */
	unsigned long prop = r->root_propagation ? r->root_propagation : MS_SLAVE | MS_REC;

	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return cella_error_sys(err, "rootfs: set the propagation of /");
	if (parent_mount_private(r->root_path, err) < 0)
		return cella_error_wrap(err, "rootfs");
	if (mount(r->root_path, r->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return cella_error_sys(err, "rootfs: bind %s onto itself", r->root_path);
	if (r->root_fd >= 0)
		close(r->root_fd);
	r->root_fd = open(r->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (r->root_fd < 0)
		return cella_error_sys(err, "rootfs: open %s", r->root_path);
	for (size_t i = 0; i < r->n_mounts; i++)
		if (rootfs_mount_apply(r, &r->mounts[i], in_userns, err) < 0)
			return cella_error_wrap(err, "rootfs: mounts[%zu] (%s)", i, r->mounts[i].destination);
	if (rootfs_setup_dev(r, in_userns, err) < 0)
		return cella_error_wrap(err, "rootfs: /dev");
	return 0;
}
