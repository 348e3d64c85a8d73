// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * process.apparmorProfile and process.selinuxLabel. A label the host cannot
 * enforce is an error, never silently dropped: the user asked for confinement.
 * Both take effect at the next execve through /proc/thread-self/attr.
 */
#include "security/security_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include <cella/cleanup.h>

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int parse_label(json_t *process, const char *key, const char *what, const char *sysfs, char **out,
		       cella_err_t *err)
{
	char path[64];
	const char *v = NULL;

	snprintf(path, sizeof(path), "process.%s", key);
	if (sec_field_string(process, key, path, &v, err) < 0)
		return -1;
	if (v == NULL || v[0] == '\0')
		return 0;
	/* The label is written to a proc file as one line: a newline would smuggle a second command. */
	if (strpbrk(v, "\n\r") != NULL)
		return sec_field_error(err, path, "must not contain a line break");
	if (!is_dir(sysfs))
		return sec_field_error(err, path, "%s is not supported on this host (%s missing)", what,
				       sysfs);
	*out = strdup(v);
	if (*out == NULL)
		return cella_error_sys(err, "allocating %s", path);
	return 0;
}

int sec_lsm_parse(json_t *process, const char *apparmor_sysfs, const char *selinux_sysfs, struct sec_lsm *out,
		  cella_err_t *err)
{
	memset(out, 0, sizeof(*out));
	if (parse_label(process, "apparmorProfile", "AppArmor", apparmor_sysfs, &out->apparmor_profile, err) <
		    0 ||
	    parse_label(process, "selinuxLabel", "SELinux", selinux_sysfs, &out->selinux_label, err) < 0) {
		sec_lsm_release(out);
		return -1;
	}
	return 0;
}

void sec_lsm_release(struct sec_lsm *l)
{
	free(l->apparmor_profile);
	free(l->selinux_label);
	l->apparmor_profile = l->selinux_label = NULL;
}

/* Returns 1 when path does not exist (so the caller can try another), 0 when written. */
static int write_attr(const char *path, const char *text, cella_err_t *err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);

	if (fd < 0 && errno == ENOENT)
		return 1;
	if (fd < 0)
		return cella_error_sys(err, "opening %s", path);
	if (write(fd, text, len) != (ssize_t)len)
		return cella_error_sys(err, "writing '%s' to %s", text, path);
	return 0;
}

int sec_lsm_apply(const struct sec_lsm *l, cella_err_t *err)
{
	int ret;

	if (l->apparmor_profile) {
		_cleanup_free_ char *cmd = NULL;

		if (asprintf(&cmd, "exec %s", l->apparmor_profile) < 0)
			return cella_error_sys(err, "allocating the AppArmor command");
		/* Kernels with LSM stacking have an AppArmor-specific file; older ones only the shared one. */
		ret = write_attr("/proc/thread-self/attr/apparmor/exec", cmd, err);
		if (ret == 1)
			ret = write_attr("/proc/thread-self/attr/exec", cmd, err);
		if (ret == 1)
			return cella_error_make(err, ENOENT,
						"process.apparmorProfile: /proc/thread-self/attr/exec");
		if (ret < 0)
			return cella_error_wrap(err, "process.apparmorProfile");
	}
	if (l->selinux_label) {
		ret = write_attr("/proc/thread-self/attr/exec", l->selinux_label, err);
		if (ret == 1)
			return cella_error_make(err, ENOENT,
						"process.selinuxLabel: /proc/thread-self/attr/exec");
		if (ret < 0)
			return cella_error_wrap(err, "process.selinuxLabel");
	}
	return 0;
}
