// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * process.user: uid, gid, additionalGids, umask ("username" is for Windows
 * and ignored). The ids change with PR_SET_KEEPCAPS on, so the permitted
 * capabilities survive the switch away from uid 0 and caps.c can then set
 * exactly the configured ones.
 */
#include "security/security_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/prctl.h>
#include <sys/stat.h>

#include <cella/cleanup.h>

/* (uid_t)-1 means "unchanged" to set*id(), so it is no valid id. */
#define MAX_ID (UINT32_MAX - 1)

static bool gid_listed(const gid_t *v, size_t n, gid_t g)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i] == g)
			return true;
	}
	return false;
}

int sec_user_parse(json_t *user, struct sec_user *out, cella_err_t *err)
{
	uint64_t v = 0;
	json_t *gids, *g;
	size_t i;
	int ret;

	memset(out, 0, sizeof(*out));
	if (user == NULL || json_is_null(user))
		return 0;
	if (!json_is_object(user))
		return sec_field_error(err, "process.user", "must be an object");
	out->present = true;
	ret = sec_field_uint64(user, "uid", "process.user.uid", MAX_ID, &v, err);
	if (ret < 0)
		return -1;
	if (ret == 0)
		return sec_field_error(err, "process.user.uid", "missing (required on Linux)");
	out->uid = (uint32_t)v;
	ret = sec_field_uint64(user, "gid", "process.user.gid", MAX_ID, &v, err);
	if (ret < 0)
		return -1;
	if (ret == 0)
		return sec_field_error(err, "process.user.gid", "missing (required on Linux)");
	out->gid = (uint32_t)v;
	ret = sec_field_uint64(user, "umask", "process.user.umask", 0777, &v, err);
	if (ret < 0)
		return -1;
	out->has_umask = ret == 1;
	out->umask = (mode_t)v;

	if (sec_field_typed(user, "additionalGids", "process.user.additionalGids", JSON_ARRAY, &gids, err) <
	    0)
		return -1;
	if (gids == NULL)
		return 0;
	if (json_array_size(gids) > NGROUPS_MAX)
		return sec_field_error(err, "process.user.additionalGids", "%zu groups, the kernel allows %d",
				       json_array_size(gids), NGROUPS_MAX);
	out->gids = calloc(json_array_size(gids) + 1, sizeof(gid_t));
	if (out->gids == NULL)
		return cella_error_sys(err, "allocating additionalGids");
	json_array_foreach (gids, i, g) {
		json_int_t n = json_is_integer(g) ? json_integer_value(g) : -1;

		if (!json_is_integer(g) || n < 0 || (uint64_t)n > MAX_ID) {
			sec_user_release(out);
			return cella_error_make(
				err, 0,
				"config.json: process.user.additionalGids[%zu]: must be an integer "
				"0..%u",
				i, (unsigned)MAX_ID);
		}
		if (!gid_listed(out->gids, out->n_gids, (gid_t)n) && (gid_t)n != out->gid)
			out->gids[out->n_gids++] = (gid_t)n;
	}
	return 0;
}

void sec_user_release(struct sec_user *u)
{
	free(u->gids);
	u->gids = NULL;
	u->n_gids = 0;
}

/* "deny" when a user namespace forbids setgroups (written before its gid_map). */
static bool setgroups_denied(void)
{
	char buf[16] = "";
	_cleanup_close_ int fd = open("/proc/self/setgroups", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return false;
	return strncmp(buf, "deny", 4) == 0;
}

static int set_groups(const struct sec_user *u, cella_err_t *err)
{
	_cleanup_free_ gid_t *all = calloc(u->n_gids + 1, sizeof(gid_t));

	if (all == NULL)
		return cella_error_sys(err, "allocating the group list");
	all[0] = u->gid;
	if (u->n_gids)
		memcpy(all + 1, u->gids, u->n_gids * sizeof(gid_t));
	if (setgroups(u->n_gids + 1, all) == 0)
		return 0;
	if (errno == EPERM && setgroups_denied()) {
		if (u->n_gids == 0)
			return 0; /* nothing beyond gid, which setresgid sets anyway */
		return cella_error_sys(
			err, "setgroups for process.user.additionalGids (this user namespace denies "
			     "setgroups)");
	}
	return cella_error_sys(err, "setgroups to gid %u and %zu additionalGids", u->gid, u->n_gids);
}

int sec_user_apply_ids(const struct sec_user *u, cella_err_t *err)
{
	if (!u->present)
		return 0;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return cella_error_sys(err, "prctl(PR_SET_KEEPCAPS)");
	if (set_groups(u, err) < 0)
		return -1;
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return cella_error_sys(err, "setresgid to gid %u", u->gid);
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return cella_error_sys(err, "setresuid to uid %u", u->uid);
	/* execve clears it too; clear it now so nothing later relies on it. */
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return cella_error_sys(err, "prctl(PR_SET_KEEPCAPS, 0)");
	return 0;
}

void sec_user_apply_umask(const struct sec_user *u)
{
	/* runtime-spec: unset means the umask stays as the runtime has it. */
	if (u->present && u->has_umask)
		umask(u->umask);
}
