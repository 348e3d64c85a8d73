/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_ROOTFS_H
#define CELLA_RUNTIME_ROOTFS_H

/*
 * The container's root filesystem, built in the container process in two phases:
 * prepare (in the new mount namespace, before pivot: mounts, /dev, devices) and
 * pivot_and_finish (pivot_root or MS_MOVE+chroot, masked/readonly paths, ro /).
 * The description is parsed and validated before fork, so a bad config.json is
 * refused with the field named before anything is mounted.
 */
#include <stdbool.h>

#include <jansson.h>

#include <cella/error.h>

struct cella_rootfs; /* opaque, parsed before fork */

/* config: the whole config.json object. bundle: absolute bundle dir. Validates root, mounts[],
 * linux.devices, linux.maskedPaths, linux.readonlyPaths, linux.rootfsPropagation, linux.mountLabel,
 * naming the field on error ("config.json: mounts[3].destination: must be an absolute path"). */
int cella_rootfs_parse(json_t *config, const char *bundle, struct cella_rootfs **out, cella_err_t *err);
void cella_rootfs_free(struct cella_rootfs *r);
bool cella_rootfs_readonly(const struct cella_rootfs *r);
/* Whether mounts[] has a cgroup file system (cgroup or cgroup2): what it shows depends on the cgroup
 * namespace, so the init must sit in its cgroup and have unshared that namespace before prepare. */
bool cella_rootfs_mounts_cgroup(const struct cella_rootfs *r);

/* Phase 1, in the new mount namespace, before pivot. in_userns: the process is in a user namespace
 * other than the initial one (mknod is refused there, so devices are bind mounted from the host). */
int cella_rootfs_prepare(struct cella_rootfs *r, bool in_userns, cella_err_t *err);

/* Phase 2: pivot_root (or MS_MOVE + chroot with no_pivot), maskedPaths, readonlyPaths, read-only /,
 * rootfsPropagation of /, chdir("/"). */
int cella_rootfs_pivot_and_finish(struct cella_rootfs *r, bool no_pivot, cella_err_t *err);

/* Opens path inside root_fd with openat2 RESOLVE_IN_ROOT (symlinks and ".." cannot leave the root;
 * magic links are refused). flags: open flags, e.g. O_PATH|O_DIRECTORY; O_CLOEXEC is added. */
int cella_safe_open_in_root(int root_fd, const char *path, int flags, cella_err_t *err);

/* For `features`: the mount option names understood, sorted (a new array reference). */
json_t *cella_rootfs_mount_options_known(void);

#endif
