/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Which cgroup hierarchies the host has, from /proc/self/mountinfo. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

static const char *const v1_names[CG_NCTRL] = {
	[CG_CPU] = "cpu",	  [CG_CPUACCT] = "cpuacct",   [CG_CPUSET] = "cpuset",
	[CG_MEMORY] = "memory",	  [CG_DEVICES] = "devices",   [CG_FREEZER] = "freezer",
	[CG_BLKIO] = "blkio",	  [CG_PIDS] = "pids",	      [CG_HUGETLB] = "hugetlb",
	[CG_NET_CLS] = "net_cls", [CG_NET_PRIO] = "net_prio", [CG_RDMA] = "rdma",
};

/* cpuacct's statistics live in v2's cpu controller. */
static const char *const v2_names[CG_NCTRL] = {
	[CG_CPU] = "cpu",  [CG_CPUACCT] = "cpu", [CG_CPUSET] = "cpuset",   [CG_MEMORY] = "memory",
	[CG_BLKIO] = "io", [CG_PIDS] = "pids",	 [CG_HUGETLB] = "hugetlb", [CG_RDMA] = "rdma",
};

static char *testing_v2_root;

const char *cgroup_ctrl_v1_name(enum cg_ctrl c)
{
	return (unsigned)c < CG_NCTRL ? v1_names[c] : NULL;
}

const char *cgroup_ctrl_v2_name(enum cg_ctrl c)
{
	return (unsigned)c < CG_NCTRL ? v2_names[c] : NULL;
}

int cgroup_ctrl_from_v1_name(const char *name)
{
	for (int c = 0; c < CG_NCTRL; c++)
		if (strcmp(v1_names[c], name) == 0)
			return c;
	return -1;
}

void cgroup_layout_clear(struct cgroup_layout *l)
{
	for (int c = 0; c < CG_NCTRL; c++) {
		free(l->v1_mount[c]);
		l->v1_mount[c] = NULL;
	}
	free(l->unified_mount);
	l->unified_mount = NULL;
	l->mode = 0;
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape_octal(const char *s)
{
	char *out = malloc(strlen(s) + 1), *o = out;

	if (!out)
		return NULL;
	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' && s[3] >= '0' &&
		    s[3] <= '7') {
			*o++ = (char)(((s[1] - '0') << 6) | ((s[2] - '0') << 3) | (s[3] - '0'));
			s += 4;
		} else {
			*o++ = *s++;
		}
	}
	*o = '\0';
	return out;
}

/* Splits a line in place into whitespace-separated fields; returns the count (at most max). */
static size_t split_fields(char *line, char **fields, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *tok = strtok_r(line, " \t", &save); tok && n < max; tok = strtok_r(NULL, " \t", &save))
		fields[n++] = tok;
	return n;
}

static int parse_line(char *line, struct cgroup_layout *l, cella_err_t *err)
{
	char *f[64];
	size_t n = split_fields(line, f, 64), sep;

	/* id parent maj:min root mountpoint options [optional...] - fstype source superoptions */
	for (sep = 6; sep < n && strcmp(f[sep], "-") != 0; sep++)
		;
	if (sep + 3 >= n)
		return 0; /* not a mount line we understand; cgroup lines always are */
	const char *fstype = f[sep + 1], *superopts = f[sep + 3];

	if (strcmp(fstype, "cgroup2") == 0) {
		if (l->unified_mount)
			return 0; /* the first mount wins, as /sys/fs/cgroup comes first */
		l->unified_mount = unescape_octal(f[4]);
		if (!l->unified_mount)
			return cella_error_make(err, ENOMEM, "mountinfo: out of memory");
		return 0;
	}
	if (strcmp(fstype, "cgroup") != 0)
		return 0;

	_cleanup_free_ char *opts = strdup(superopts);
	char *save = NULL;

	if (!opts)
		return cella_error_make(err, ENOMEM, "mountinfo: out of memory");
	for (char *o = strtok_r(opts, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		int c = cgroup_ctrl_from_v1_name(o);

		if (c < 0 || l->v1_mount[c])
			continue;
		l->v1_mount[c] = unescape_octal(f[4]);
		if (!l->v1_mount[c])
			return cella_error_make(err, ENOMEM, "mountinfo: out of memory");
	}
	return 0;
}

int cgroup_layout_parse(const char *mountinfo, struct cgroup_layout *out, cella_err_t *err)
{
	_cleanup_free_ char *copy = strdup(mountinfo ? mountinfo : "");
	struct cgroup_layout l = {0};
	char *save = NULL;
	bool any_v1 = false;

	if (!copy)
		return cella_error_make(err, ENOMEM, "mountinfo: out of memory");
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (parse_line(line, &l, err) < 0) {
			cgroup_layout_clear(&l);
			return -1;
		}
	}
	for (int c = 0; c < CG_NCTRL; c++)
		any_v1 |= l.v1_mount[c] != NULL;
	if (any_v1)
		l.mode = l.unified_mount ? CELLA_CGROUP_HYBRID : CELLA_CGROUP_V1;
	else if (l.unified_mount)
		l.mode = CELLA_CGROUP_V2;
	else
		return cella_error_make(err, 0, "mountinfo: no cgroup or cgroup2 file system is mounted");
	*out = l;
	return 0;
}

void cella_cgroup_testing_set_v2_root(const char *cgroup2_mount)
{
	free(testing_v2_root);
	testing_v2_root = cgroup2_mount ? strdup(cgroup2_mount) : NULL;
}

int cgroup_layout_detect(struct cgroup_layout *out, cella_err_t *err)
{
	if (testing_v2_root) {
		*out = (struct cgroup_layout){.mode = CELLA_CGROUP_V2,
					      .unified_mount = strdup(testing_v2_root)};
		if (!out->unified_mount)
			return cella_error_make(err, ENOMEM, "cgroup: out of memory");
		return 0;
	}

	_cleanup_free_ char *text = NULL;

	if (cgroup_read("/proc/self", "mountinfo", &text, err) < 0)
		return -1;
	if (cgroup_layout_parse(text, out, err) < 0)
		return cella_error_wrap(err, "/proc/self/mountinfo");
	return 0;
}
