// SPDX-License-Identifier: GPL-2.0-or-later
/* A mount's "options" array -> mount(2) flags, propagation, recursive mount_setattr attributes and data. */
#include "rootfs/rootfs_internal.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include <cella/cleanup.h>

enum opt_kind {
	OPT_FLAG,	 /* sets flag */
	OPT_CLEAR,	 /* clears flag */
	OPT_PROPAGATION, /* propagation type */
	OPT_REC_SET,	 /* recursive attribute set */
	OPT_REC_CLR,	 /* recursive attribute cleared */
	OPT_SPECIAL,
};

struct mount_option {
	const char *name;
	enum opt_kind kind;
	unsigned long value;
};

/* Sorted by name: cella_rootfs_mount_options_known() returns them in this order. */
static const struct mount_option mount_options[] = {
	{"async", OPT_CLEAR, MS_SYNCHRONOUS},
	{"atime", OPT_CLEAR, MS_NOATIME},
	{"bind", OPT_SPECIAL, 0},
	{"defaults", OPT_FLAG, 0},
	{"dev", OPT_CLEAR, MS_NODEV},
	{"diratime", OPT_CLEAR, MS_NODIRATIME},
	{"dirsync", OPT_FLAG, MS_DIRSYNC},
	{"exec", OPT_CLEAR, MS_NOEXEC},
	{"idmap", OPT_SPECIAL, 0},
	{"iversion", OPT_FLAG, MS_I_VERSION},
	{"lazytime", OPT_FLAG, MS_LAZYTIME},
	{"loud", OPT_CLEAR, MS_SILENT},
	{"mand", OPT_FLAG, MS_MANDLOCK},
	{"noatime", OPT_FLAG, MS_NOATIME},
	{"nodev", OPT_FLAG, MS_NODEV},
	{"nodiratime", OPT_FLAG, MS_NODIRATIME},
	{"noexec", OPT_FLAG, MS_NOEXEC},
	{"noiversion", OPT_CLEAR, MS_I_VERSION},
	{"nolazytime", OPT_CLEAR, MS_LAZYTIME},
	{"nomand", OPT_CLEAR, MS_MANDLOCK},
	{"norelatime", OPT_CLEAR, MS_RELATIME},
	{"nostrictatime", OPT_CLEAR, MS_STRICTATIME},
	{"nosuid", OPT_FLAG, MS_NOSUID},
	{"nosymfollow", OPT_FLAG, MS_NOSYMFOLLOW},
	{"private", OPT_PROPAGATION, MS_PRIVATE},
	{"ratime", OPT_REC_CLR, MOUNT_ATTR_NOATIME},
	{"rbind", OPT_SPECIAL, 0},
	{"rdev", OPT_REC_CLR, MOUNT_ATTR_NODEV},
	{"rdiratime", OPT_REC_CLR, MOUNT_ATTR_NODIRATIME},
	{"relatime", OPT_FLAG, MS_RELATIME},
	{"remount", OPT_FLAG, MS_REMOUNT},
	{"rexec", OPT_REC_CLR, MOUNT_ATTR_NOEXEC},
	{"ridmap", OPT_SPECIAL, 0},
	{"rnoatime", OPT_REC_SET, MOUNT_ATTR_NOATIME},
	{"rnodev", OPT_REC_SET, MOUNT_ATTR_NODEV},
	{"rnodiratime", OPT_REC_SET, MOUNT_ATTR_NODIRATIME},
	{"rnoexec", OPT_REC_SET, MOUNT_ATTR_NOEXEC},
	{"rnosuid", OPT_REC_SET, MOUNT_ATTR_NOSUID},
	{"rnosymfollow", OPT_REC_SET, MOUNT_ATTR_NOSYMFOLLOW},
	{"ro", OPT_FLAG, MS_RDONLY},
	{"rprivate", OPT_PROPAGATION, MS_PRIVATE | MS_REC},
	{"rrelatime", OPT_REC_SET, MOUNT_ATTR_RELATIME},
	{"rro", OPT_REC_SET, MOUNT_ATTR_RDONLY},
	{"rrw", OPT_REC_CLR, MOUNT_ATTR_RDONLY},
	{"rshared", OPT_PROPAGATION, MS_SHARED | MS_REC},
	{"rslave", OPT_PROPAGATION, MS_SLAVE | MS_REC},
	{"rstrictatime", OPT_REC_SET, MOUNT_ATTR_STRICTATIME},
	{"rsuid", OPT_REC_CLR, MOUNT_ATTR_NOSUID},
	{"rsymfollow", OPT_REC_CLR, MOUNT_ATTR_NOSYMFOLLOW},
	{"runbindable", OPT_PROPAGATION, MS_UNBINDABLE | MS_REC},
	{"rw", OPT_CLEAR, MS_RDONLY},
	{"shared", OPT_PROPAGATION, MS_SHARED},
	{"silent", OPT_FLAG, MS_SILENT},
	{"slave", OPT_PROPAGATION, MS_SLAVE},
	{"strictatime", OPT_FLAG, MS_STRICTATIME},
	{"suid", OPT_CLEAR, MS_NOSUID},
	{"symfollow", OPT_CLEAR, MS_NOSYMFOLLOW},
	{"sync", OPT_FLAG, MS_SYNCHRONOUS},
	{"tmpcopyup", OPT_SPECIAL, 0},
	{"unbindable", OPT_PROPAGATION, MS_UNBINDABLE},
};

#define ATIME_MS (MS_NOATIME | MS_RELATIME | MS_STRICTATIME)

static const struct mount_option *option_find(const char *name)
{
	for (size_t i = 0; i < sizeof(mount_options) / sizeof(mount_options[0]); i++)
		if (strcmp(mount_options[i].name, name) == 0)
			return &mount_options[i];
	return NULL;
}

void rootfs_mount_opts_init(struct rootfs_mount_opts *o)
{
	memset(o, 0, sizeof(*o));
}

void rootfs_mount_opts_release(struct rootfs_mount_opts *o)
{
	free(o->data);
	o->data = NULL;
}

static int data_append(struct rootfs_mount_opts *o, const char *name, cella_err_t *err)
{
	char *joined = NULL;

	if (asprintf(&joined, "%s%s%s", o->data ? o->data : "", o->data ? "," : "", name) < 0)
		return cella_error_sys(err, "mount options: out of memory");
	free(o->data);
	o->data = joined;
	return 0;
}

static void apply_special(struct rootfs_mount_opts *o, const char *name)
{
	if (strcmp(name, "bind") == 0) {
		o->bind = true;
	} else if (strcmp(name, "rbind") == 0) {
		o->bind = true;
		o->rec = true;
	} else if (strcmp(name, "idmap") == 0) {
		o->idmap = true;
	} else if (strcmp(name, "ridmap") == 0) {
		o->idmap = true;
		o->rec_idmap = true;
	} else if (strcmp(name, "tmpcopyup") == 0) {
		o->tmpcopyup = true;
	}
}

int rootfs_mount_opts_add(struct rootfs_mount_opts *o, const char *name, cella_err_t *err)
{
	const struct mount_option *opt = option_find(name);

	if (opt == NULL)
		return data_append(o, name, err);
	switch (opt->kind) {
	case OPT_FLAG:
		/* The atime modes exclude each other: the last one named wins. */
		if (opt->value & ATIME_MS) {
			o->flags &= ~ATIME_MS;
			o->clear_flags |= ATIME_MS & ~opt->value;
		}
		o->flags |= opt->value;
		o->clear_flags &= ~opt->value;
		break;
	case OPT_CLEAR:
		o->flags &= ~opt->value;
		o->clear_flags |= opt->value;
		break;
	case OPT_PROPAGATION:
		o->propagation = opt->value;
		break;
	case OPT_REC_SET:
		if ((opt->value & MOUNT_ATTR__ATIME) || opt->value == MOUNT_ATTR_RELATIME) {
			/* mount_setattr changes the atime mode as a whole: clear the field, set one mode. */
			o->rec_attr_set &= ~(uint64_t)MOUNT_ATTR__ATIME;
			o->rec_attr_clr |= MOUNT_ATTR__ATIME;
			o->rec_attr_set |= opt->value;
			break;
		}
		o->rec_attr_set |= opt->value;
		o->rec_attr_clr &= ~(uint64_t)opt->value;
		break;
	case OPT_REC_CLR:
		if (opt->value == MOUNT_ATTR_NOATIME)
			o->rec_attr_clr |= MOUNT_ATTR__ATIME; /* "ratime": back to relatime */
		else
			o->rec_attr_clr |= opt->value;
		o->rec_attr_set &= ~(uint64_t)opt->value;
		break;
	case OPT_SPECIAL:
		apply_special(o, name);
		break;
	}
	return 0;
}

int rootfs_mount_opts_parse(json_t *options, const char *field, struct rootfs_mount_opts *o, cella_err_t *err)
{
	size_t i;
	json_t *v;

	if (options == NULL || json_is_null(options))
		return 0;
	if (!json_is_array(options))
		return cella_error_make(err, 0, "config.json: %s: must be an array of strings", field);
	json_array_foreach (options, i, v) {
		const char *s = json_string_value(v);

		if (s == NULL || strlen(s) != json_string_length(v))
			return cella_error_make(err, 0, "config.json: %s[%zu]: must be a string", field, i);
		if (*s == '\0')
			return cella_error_make(err, 0, "config.json: %s[%zu]: must not be empty", field, i);
		if (rootfs_mount_opts_add(o, s, err) < 0)
			return cella_error_wrap(err, "config.json: %s[%zu]", field, i);
	}
	return 0;
}

int rootfs_propagation_parse(const char *name, unsigned long *out)
{
	const struct mount_option *opt = name ? option_find(name) : NULL;

	if (opt == NULL || opt->kind != OPT_PROPAGATION)
		return -1;
	*out = opt->value;
	return 0;
}

uint64_t rootfs_ms_to_mount_attr(unsigned long ms)
{
	uint64_t a = 0;

	if (ms & MS_RDONLY)
		a |= MOUNT_ATTR_RDONLY;
	if (ms & MS_NOSUID)
		a |= MOUNT_ATTR_NOSUID;
	if (ms & MS_NODEV)
		a |= MOUNT_ATTR_NODEV;
	if (ms & MS_NOEXEC)
		a |= MOUNT_ATTR_NOEXEC;
	if (ms & MS_NODIRATIME)
		a |= MOUNT_ATTR_NODIRATIME;
	if (ms & MS_NOSYMFOLLOW)
		a |= MOUNT_ATTR_NOSYMFOLLOW;
	if (ms & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	if (ms & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	return a;
}

json_t *cella_rootfs_mount_options_known(void)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < sizeof(mount_options) / sizeof(mount_options[0]); i++)
		if (json_array_append_new(arr, json_string(mount_options[i].name)) < 0) {
			json_decref(arr);
			return NULL;
		}
	return arr;
}
