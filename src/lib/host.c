// SPDX-License-Identifier: GPL-2.0-or-later
/* Host probes: namespaces, kernel release, seccomp, overlayfs; shared path helpers. */
#include <cella/host.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include <cella/cleanup.h>
#include <cella/file.h>
#include <cella/parse.h>
#include <cella/xalloc.h>

#include "host-internal.h"

#define PROC_FILE_MAX (1024u * 1024)

static const char *const ns_names[CELLA_NS_COUNT] = {
	[CELLA_NS_MNT] = "mnt",	      [CELLA_NS_UTS] = "uts",	[CELLA_NS_IPC] = "ipc",
	[CELLA_NS_PID] = "pid",	      [CELLA_NS_NET] = "net",	[CELLA_NS_USER] = "user",
	[CELLA_NS_CGROUP] = "cgroup", [CELLA_NS_TIME] = "time",
};

char *cella_host_path(const char *root, const char *p)
{
	if (root == NULL || *root == '\0')
		return xstrdup(p);
	return xasprintf("%s%s", root, p);
}

int cella_host_exists(const char *root, const char *p)
{
	_cleanup_free_ char *path = cella_host_path(root, p);
	struct stat st;

	return lstat(path, &st) == 0;
}

const char *cella_ns_name(enum cella_ns_type type)
{
	if ((unsigned)type >= CELLA_NS_COUNT)
		return "unknown";
	return ns_names[type];
}

/* Reads a one-line file, without its newline; -ENOENT when missing. */
static int read_line(const char *root, const char *p, char **out, cella_err_t *err)
{
	_cleanup_free_ char *path = cella_host_path(root, p);
	char *data = NULL;
	int ret;

	ret = cella_file_read(path, PROC_FILE_MAX, &data, NULL, err);
	if (ret < 0)
		return ret;
	data[strcspn(data, "\n")] = '\0';
	*out = data;
	return 0;
}

int cella_host_probe_namespaces(const char *root, struct cella_host_ns *out, cella_err_t *err)
{
	_cleanup_free_ char *max = NULL;
	uint64_t v;
	int ret;

	memset(out, 0, sizeof(*out));
	for (int i = 0; i < CELLA_NS_COUNT; i++) {
		char p[64];

		snprintf(p, sizeof(p), "/proc/self/ns/%s", ns_names[i]);
		out->available[i] = cella_host_exists(root, p);
	}
	out->max_user_namespaces = -1;
	ret = read_line(root, "/proc/sys/user/max_user_namespaces", &max, err);
	if (ret == -ENOENT) {
		/* Kernels before 4.9 have no limit file: the ns entry alone decides. */
		cella_error_release(err);
		return 0;
	}
	if (ret < 0)
		return ret;
	if (cella_parse_uint64(max, &v, err) < 0)
		return cella_error_wrap(err, "/proc/sys/user/max_user_namespaces");
	out->max_user_namespaces = v > (uint64_t)LONG_MAX ? LONG_MAX : (long)v;
	if (out->max_user_namespaces == 0)
		out->available[CELLA_NS_USER] = false;
	return 0;
}

static bool status_has_seccomp(const char *status)
{
	for (const char *line = status; line && *line;) {
		if (strncmp(line, "Seccomp:", 8) == 0)
			return true;
		line = strchr(line, '\n');
		if (line)
			line++;
	}
	return false;
}

/* /proc/filesystems lines are "[nodev]\tNAME". */
static bool filesystems_has(const char *filesystems, const char *name)
{
	size_t nlen = strlen(name);

	for (const char *line = filesystems; line && *line;) {
		const char *tab = strchr(line, '\t');
		const char *end = strchr(line, '\n');

		if (tab && (end == NULL || tab < end)) {
			const char *fs = tab + 1;
			size_t len = end ? (size_t)(end - fs) : strlen(fs);

			if (len == nlen && strncmp(fs, name, nlen) == 0)
				return true;
		}
		line = end ? end + 1 : NULL;
	}
	return false;
}

int cella_host_probe_misc(const char *root, struct cella_host_misc *out, cella_err_t *err)
{
	_cleanup_free_ char *release = NULL;
	_cleanup_free_ char *status = NULL;
	_cleanup_free_ char *filesystems = NULL;
	_cleanup_free_ char *status_path = cella_host_path(root, "/proc/self/status");
	_cleanup_free_ char *fs_path = cella_host_path(root, "/proc/filesystems");
	int ret;

	memset(out, 0, sizeof(*out));
	ret = read_line(root, "/proc/sys/kernel/osrelease", &release, err);
	if (ret < 0) {
		struct utsname u;

		if (root != NULL && *root != '\0')
			return ret;
		/* No /proc/sys (e.g. a restricted container): the syscall still knows. */
		cella_error_release(err);
		if (uname(&u) < 0)
			return cella_error_sys(err, "uname");
		release = xstrdup(u.release);
	}
	snprintf(out->kernel_release, sizeof(out->kernel_release), "%s", release);

	ret = cella_file_read(status_path, PROC_FILE_MAX, &status, NULL, err);
	if (ret < 0)
		return ret;
	out->seccomp = status_has_seccomp(status);
	out->seccomp_filter =
		out->seccomp && cella_host_exists(root, "/proc/sys/kernel/seccomp/actions_avail");

	ret = cella_file_read(fs_path, PROC_FILE_MAX, &filesystems, NULL, err);
	if (ret < 0)
		return ret;
	out->overlayfs = filesystems_has(filesystems, "overlay");
	return 0;
}
