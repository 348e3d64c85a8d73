// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Cgroup layout probe from /proc/self/mountinfo: v1, v2 (unified) or hybrid
 * (v1 controllers plus a cgroup2 mount, as on this project's CI hosts, which
 * crun refuses and runc accepts). The runtime picks its cgroup driver from it.
 */
#include <cella/host.h>

#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>
#include <cella/file.h>
#include <cella/xalloc.h>

#include "host-internal.h"

#define MOUNTINFO_MAX	(16u * 1024 * 1024)
#define CONTROLLERS_MAX 4096u

/* Controllers a v1 hierarchy can carry (kernel/cgroup/cgroup.c, cgroup_subsys.h). */
static const char *const v1_known[] = {
	"blkio",  "cpu",  "cpuacct", "cpuset",	 "debug",      "devices", "freezer", "hugetlb",
	"memory", "misc", "net_cls", "net_prio", "perf_event", "pids",	  "rdma",
};

const char *cella_cgroup_layout_name(enum cella_cgroup_layout layout)
{
	switch (layout) {
	case CELLA_CGROUP_V1:
		return "v1";
	case CELLA_CGROUP_V2:
		return "v2";
	case CELLA_CGROUP_HYBRID:
		return "hybrid";
	case CELLA_CGROUP_NONE:
		break;
	}
	return "none";
}

static size_t strv_len(char **v)
{
	size_t n = 0;

	while (v && v[n])
		n++;
	return n;
}

static void strv_push(char ***v, const char *s)
{
	size_t n = strv_len(*v);

	*v = xrealloc(*v, (n + 2) * sizeof(char *));
	(*v)[n] = xstrdup(s);
	(*v)[n + 1] = NULL;
}

static void strv_free(char ***v)
{
	cella_cleanup_strv(v);
	*v = NULL;
}

/* Undoes mountinfo's octal escapes (\040 for space, \011, \012, \134) in place. */
static void unescape_octal(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' &&
		    r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

static bool is_v1_controller(const char *name)
{
	for (size_t i = 0; i < sizeof(v1_known) / sizeof(v1_known[0]); i++) {
		if (strcmp(v1_known[i], name) == 0)
			return true;
	}
	return false;
}

static void add_v1_controllers(struct cella_host_cgroup *cg, char *superopts, const char *mountpoint)
{
	char *save = NULL;

	for (char *opt = strtok_r(superopts, ",", &save); opt; opt = strtok_r(NULL, ",", &save)) {
		bool seen = false;

		if (!is_v1_controller(opt))
			continue; /* rw, relatime, name=systemd, xattr, ... */
		for (size_t i = 0; cg->v1_controllers[i] && !seen; i++)
			seen = strcmp(cg->v1_controllers[i], opt) == 0;
		if (seen)
			continue; /* bind mounts of the same hierarchy */
		strv_push(&cg->v1_controllers, opt);
		strv_push(&cg->v1_mounts, mountpoint);
	}
}

/*
 * One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE SOURCE SUPEROPTS".
 * Returns -1 when the line does not have that shape.
 */
static int parse_mount_line(struct cella_host_cgroup *cg, char *line)
{
	char *field[64];
	size_t n = 0, sep = 0;
	char *save = NULL;

	for (char *t = strtok_r(line, " ", &save); t && n < sizeof(field) / sizeof(field[0]);
	     t = strtok_r(NULL, " ", &save))
		field[n++] = t;
	for (size_t i = 6; i < n; i++) {
		if (strcmp(field[i], "-") == 0) {
			sep = i;
			break;
		}
	}
	if (sep == 0 || sep + 3 >= n)
		return -1;
	unescape_octal(field[4]);
	if (strcmp(field[sep + 1], "cgroup2") == 0) {
		if (cg->v2_mount == NULL)
			cg->v2_mount = xstrdup(field[4]);
	} else if (strcmp(field[sep + 1], "cgroup") == 0) {
		add_v1_controllers(cg, field[sep + 3], field[4]);
	}
	return 0;
}

static void sort_v1(struct cella_host_cgroup *cg)
{
	size_t n = strv_len(cg->v1_controllers);

	/* Insertion sort of the two parallel lists: at most ~15 entries. */
	for (size_t i = 1; i < n; i++) {
		for (size_t j = i; j > 0 && strcmp(cg->v1_controllers[j - 1], cg->v1_controllers[j]) > 0;
		     j--) {
			char *c = cg->v1_controllers[j], *m = cg->v1_mounts[j];

			cg->v1_controllers[j] = cg->v1_controllers[j - 1];
			cg->v1_mounts[j] = cg->v1_mounts[j - 1];
			cg->v1_controllers[j - 1] = c;
			cg->v1_mounts[j - 1] = m;
		}
	}
}

static int read_v2_controllers(const char *root, struct cella_host_cgroup *cg, cella_err_t *err)
{
	_cleanup_free_ char *rel = xasprintf("%s/cgroup.controllers", cg->v2_mount);
	_cleanup_free_ char *path = cella_host_path(root, rel);
	_cleanup_free_ char *data = NULL;
	char *save = NULL;
	int ret;

	ret = cella_file_read(path, CONTROLLERS_MAX, &data, NULL, err);
	if (ret < 0)
		return ret;
	for (char *t = strtok_r(data, " \t\n", &save); t; t = strtok_r(NULL, " \t\n", &save))
		strv_push(&cg->v2_controllers, t);
	return 0;
}

void cella_host_cgroup_release(struct cella_host_cgroup *cg)
{
	free(cg->v2_mount);
	cg->v2_mount = NULL;
	strv_free(&cg->v1_controllers);
	strv_free(&cg->v1_mounts);
	strv_free(&cg->v2_controllers);
}

int cella_host_probe_cgroup(const char *root, struct cella_host_cgroup *out, cella_err_t *err)
{
	_cleanup_free_ char *path = cella_host_path(root, "/proc/self/mountinfo");
	_cleanup_free_ char *data = NULL;
	char *line, *next;
	size_t lineno = 0;
	int ret;

	memset(out, 0, sizeof(*out));
	out->v1_controllers = xcalloc(1, sizeof(char *));
	out->v1_mounts = xcalloc(1, sizeof(char *));
	out->v2_controllers = xcalloc(1, sizeof(char *));
	ret = cella_file_read(path, MOUNTINFO_MAX, &data, NULL, err);
	if (ret < 0)
		goto fail;
	for (line = data; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		lineno++;
		if (*line == '\0')
			continue;
		if (parse_mount_line(out, line) < 0) {
			ret = cella_error_make(err, 0, "%s:%zu: malformed mount entry", path, lineno);
			goto fail;
		}
	}
	sort_v1(out);
	if (out->v2_mount) {
		ret = read_v2_controllers(root, out, err);
		if (ret < 0)
			goto fail;
	}
	if (out->v2_mount && out->v1_controllers[0])
		out->layout = CELLA_CGROUP_HYBRID;
	else if (out->v2_mount)
		out->layout = CELLA_CGROUP_V2;
	else if (out->v1_controllers[0])
		out->layout = CELLA_CGROUP_V1;
	else
		out->layout = CELLA_CGROUP_NONE;
	return 0;

fail:
	cella_host_cgroup_release(out);
	return ret;
}
