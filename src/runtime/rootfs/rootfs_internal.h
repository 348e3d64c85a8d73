/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_ROOTFS_INTERNAL_H
#define CELLA_RUNTIME_ROOTFS_INTERNAL_H

/* Shared between the rootfs files and their unit tests; not for other subsystems. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "rootfs/rootfs.h"

/* What a mount's "options" array means. */
struct rootfs_mount_opts {
	unsigned long flags;	   /* MS_* for mount(2) (bind/rec/propagation bits excluded) */
	unsigned long clear_flags; /* MS_* explicitly cleared ("rw", "suid", "dev", ...) */
	unsigned long propagation; /* MS_PRIVATE/MS_SHARED/MS_SLAVE/MS_UNBINDABLE, | MS_REC; 0 = none */
	uint64_t rec_attr_set;	   /* MOUNT_ATTR_* applied with AT_RECURSIVE ("rro", "rnosuid", ...) */
	uint64_t rec_attr_clr;
	bool bind, rec;	       /* "bind" / "rbind" */
	bool idmap, rec_idmap; /* "idmap" / "ridmap" */
	bool tmpcopyup;	       /* crun extension: copy the old content into the new tmpfs */
	char *data;	       /* unknown options, comma separated, passed to mount(2); NULL if none */
};

struct rootfs_idmap {
	uint32_t container_id, host_id, size;
};

struct rootfs_mount {
	char *destination; /* absolute, inside the container */
	char *type;	   /* NULL for a bind without a type */
	char *source;	   /* bind sources made absolute against the bundle */
	struct rootfs_mount_opts opts;
	struct rootfs_idmap *uid_map, *gid_map;
	size_t n_uid_map, n_gid_map;
};

struct rootfs_device {
	char *path;
	char type; /* 'c', 'b', 'u' (unbuffered char) or 'p' */
	unsigned int major, minor;
	mode_t mode; /* permission bits */
	uid_t uid;
	gid_t gid;
};

struct cella_rootfs {
	char *root_path; /* canonical absolute host path */
	bool readonly;
	struct rootfs_mount *mounts;
	size_t n_mounts;
	struct rootfs_device *devices;
	size_t n_devices;
	char **masked_paths, **readonly_paths; /* NULL-terminated */
	unsigned long root_propagation;	       /* 0 = not set */
	char *mount_label;
	bool has_netns, has_cgroupns;
	int root_fd; /* the rootfs bind mount, open between prepare and finish */
};

/* mount_options.c */
void rootfs_mount_opts_init(struct rootfs_mount_opts *o);
void rootfs_mount_opts_release(struct rootfs_mount_opts *o);
/* Applies one option; unknown names are appended to o->data (like runc). */
int rootfs_mount_opts_add(struct rootfs_mount_opts *o, const char *name, cella_err_t *err);
/* Parses a JSON array of strings; field names it in errors ("mounts[2].options"). */
int rootfs_mount_opts_parse(json_t *options, const char *field, struct rootfs_mount_opts *o,
			    cella_err_t *err);
/* Parses "private", "rslave", ... (rootfsPropagation). Returns 0 or -1 when unknown. */
int rootfs_propagation_parse(const char *name, unsigned long *out);
/* MS_RDONLY|MS_NOSUID|... -> MOUNT_ATTR_* (atime modes included). */
uint64_t rootfs_ms_to_mount_attr(unsigned long ms);

/* parse_mounts.c / parse_devices.c */
int rootfs_parse_mounts(json_t *mounts, const char *bundle, struct cella_rootfs *r, cella_err_t *err);
int rootfs_parse_devices(json_t *devices, struct cella_rootfs *r, cella_err_t *err);
void rootfs_mount_release(struct rootfs_mount *m);
bool rootfs_mount_is_bind(const struct rootfs_mount *m);
/* Plain path check used for every container path: absolute, no NUL. */
bool rootfs_path_is_absolute(json_t *v);

/* safe_path.c */
int rootfs_openat2(int root_fd, const char *path, int flags);
/* Creates missing directories of path inside root (mode 0755); returns an O_PATH fd on the last one. */
int rootfs_mkdir_p_in_root(int root_fd, const char *path, cella_err_t *err);
/* Returns an O_PATH fd on path inside root, creating it first (a directory, or an empty file). */
int rootfs_ensure_in_root(int root_fd, const char *path, bool dir, cella_err_t *err);
/* Splits "/a/b/c" into a new "/a/b" and the pointer to "c" inside path. */
int rootfs_split_path(const char *path, char **parent, const char **base, cella_err_t *err);

/* mount_apply.c */
int rootfs_mount_apply(struct cella_rootfs *r, const struct rootfs_mount *m, bool in_userns,
		       cella_err_t *err);

/* idmap.c: a user namespace fd with the mount's mappings, for MOUNT_ATTR_IDMAP. */
int rootfs_idmap_userns_open(const struct rootfs_mount *m, cella_err_t *err);

/* copyup.c: copies the content of directory src_fd into directory dst_fd (tmpcopyup). */
int rootfs_copy_tree(int src_fd, int dst_fd, cella_err_t *err);

/* devices.c */
int rootfs_setup_dev(struct cella_rootfs *r, bool in_userns, cella_err_t *err);
int rootfs_device_create(int root_fd, const struct rootfs_device *d, bool in_userns, cella_err_t *err);

/* finish.c helpers */
int rootfs_mask_path(int root_fd, const char *path, cella_err_t *err);
int rootfs_readonly_path(int root_fd, const char *path, cella_err_t *err);

#endif
