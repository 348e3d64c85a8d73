/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Creating, entering, updating and removing a container's cgroup in every hierarchy. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

#define DESTROY_TIMEOUT_MS 5000
#define MAX_DEPTH	   32

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* The cgroup path inside each hierarchy: NULL -> /cella/<id>, relative -> /cella/<rel>;
 * normalised, without "..", never the root. */
static int resolve_path(const char *id, const char *cgroups_path, char **out, cella_err_t *err)
{
	_cleanup_free_ char *raw = NULL, *norm = NULL;
	char *save = NULL;
	size_t len = 0;

	if (!id || !*id || strchr(id, '/') || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return cella_error_make(err, EINVAL, "cgroup: invalid container id '%s'", id ? id : "");
	if (!cgroups_path || !*cgroups_path) {
		if (asprintf(&raw, "%s/%s", CELLA_CGROUP_DEFAULT_PARENT, id) < 0)
			return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	} else if (cgroups_path[0] == '/') {
		raw = strdup(cgroups_path);
	} else {
		if (strchr(cgroups_path, ':'))
			return cella_error_make(
				err, ENOTSUP,
				"config.json: linux.cgroupsPath: '%s' looks like a systemd "
				"\"slice:prefix:name\" path; only the cgroupfs driver is supported",
				cgroups_path);
		if (asprintf(&raw, "%s/%s", CELLA_CGROUP_DEFAULT_PARENT, cgroups_path) < 0)
			return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	}
	if (!raw)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	norm = calloc(1, strlen(raw) + 2);
	if (!norm)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	for (char *c = strtok_r(raw, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return cella_error_make(err, EINVAL,
						"config.json: linux.cgroupsPath: '%s' contains \"..\"",
						cgroups_path);
		norm[len++] = '/';
		strcpy(norm + len, c);
		len += strlen(c);
	}
	if (len == 0)
		return cella_error_make(
			err, EINVAL, "config.json: linux.cgroupsPath: '%s' is the root cgroup", cgroups_path);
	*out = steal_pointer(&norm);
	return 0;
}

static int add_created(struct cella_cgroup *cg, const char *dir, cella_err_t *err)
{
	size_t n = 0;
	char **v;

	while (cg->created && cg->created[n])
		n++;
	v = realloc(cg->created, (n + 2) * sizeof(*v));
	if (!v)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	cg->created = v;
	v[n] = strdup(dir);
	v[n + 1] = NULL;
	if (!v[n])
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	return 0;
}

/* An empty cpuset.cpus/mems in a new v1 cpuset cgroup refuses every task: inherit the parent's. */
static int cpuset_inherit(const char *parent, const char *dir, cella_err_t *err)
{
	static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};

	for (size_t i = 0; i < 2; i++) {
		_cleanup_free_ char *mine = NULL, *theirs = NULL;

		if (cgroup_read(dir, files[i], &mine, err) < 0)
			return -1;
		if (strspn(mine, " \n") != strlen(mine))
			continue;
		if (cgroup_read(parent, files[i], &theirs, err) < 0)
			return -1;
		theirs[strcspn(theirs, "\n")] = '\0';
		if (cgroup_write(dir, files[i], theirs, err) < 0)
			return -1;
	}
	return 0;
}

/* cpuset_inherit() for dir, whose parent is the path up to its last '/'. */
static int cpuset_inherit_from_parent(char *dir, cella_err_t *err)
{
	char *slash = strrchr(dir, '/');

	*slash = '\0';
	_cleanup_free_ char *parent = strdup(dir);
	*slash = '/';
	if (!parent)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	return cpuset_inherit(parent, dir, err);
}

/* mkdir -p mount+path, recording what was made. A parent that a concurrent destroy
 * removed between our mkdirs (ENOENT) is made again, a bounded number of times. */
static int make_dirs(struct cella_cgroup *cg, const char *mount, const char *path, bool cpuset, char **leaf,
		     cella_err_t *err)
{
	_cleanup_free_ char *dir = NULL;
	size_t mlen = strlen(mount);
	int retries = 3;

	if (asprintf(&dir, "%s%s", mount, path) < 0)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	for (char *p = dir + mlen + 1;; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0755) == 0) {
			if (add_created(cg, dir, err) < 0)
				return -1;
		} else if (errno == ENOENT && retries-- > 0) {
			*p = saved;
			p = dir + mlen; /* start over from the top */
			continue;
		} else if (errno != EEXIST) {
			return cella_error_sys(err, "cgroup: mkdir %s", dir);
		}
		/* Also for levels that existed: an empty v1 cpuset admits no task. */
		if (cpuset && cpuset_inherit_from_parent(dir, err) < 0)
			return -1;
		*p = saved;
		if (saved == '\0')
			break;
	}
	*leaf = steal_pointer(&dir);
	return 0;
}

static bool has_word(const char *list, const char *word)
{
	size_t len = strlen(word);

	for (const char *p = list; (p = strstr(p, word)); p += len)
		if ((p == list || p[-1] == ' ') && (p[len] == '\0' || p[len] == ' ' || p[len] == '\n'))
			return true;
	return false;
}

/* Turns on, from the root down to the leaf's parent, every controller the root offers,
 * so the leaf gets them. Best effort per controller: what stays off is reported later,
 * by the setting that needs it. */
static int enable_v2_controllers(struct cella_cgroup *cg, const char *mount, cella_err_t *err)
{
	_cleanup_free_ char *avail = NULL;
	char *save = NULL;

	if (cgroup_read(mount, "cgroup.controllers", &avail, err) < 0)
		return -1;
	_cleanup_free_ char *dir = strdup(mount);
	_cleanup_free_ char *path = strdup(cg->path);
	if (!dir || !path)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	char *last = strrchr(path, '/');
	*last = '\0'; /* stop at the leaf's parent */
	for (char *comp = path;;) {
		_cleanup_free_ char *have = NULL, *copy = strdup(avail);
		char *s2 = NULL;

		if (!copy || cgroup_read(dir, "cgroup.subtree_control", &have, err) < 0)
			return copy ? -1 : cella_error_make(err, ENOMEM, "cgroup: out of memory");
		for (char *c = strtok_r(copy, " \n", &s2); c; c = strtok_r(NULL, " \n", &s2)) {
			cella_err_t ignored = NULL;

			if (has_word(have, c))
				continue;
			if (cgroup_writef(dir, "cgroup.subtree_control", &ignored, "+%s", c) < 0) {
				cgroup_debug("%s", cella_error_string(ignored));
				cella_error_release(&ignored);
			}
		}
		char *next = strtok_r(comp, "/", &save);
		comp = NULL;
		if (!next)
			break;
		char *longer = NULL;
		if (asprintf(&longer, "%s/%s", dir, next) < 0)
			return cella_error_make(err, ENOMEM, "cgroup: out of memory");
		free(dir);
		dir = longer;
	}
	return 0;
}

static int read_v2_ctrls(struct cella_cgroup *cg, cella_err_t *err)
{
	_cleanup_free_ char *list = NULL;
	char *save = NULL;

	if (cgroup_read(cg->unified_dir, "cgroup.controllers", &list, err) < 0)
		return -1;
	cg->v2_ctrls = 0;
	for (char *c = strtok_r(list, " \n", &save); c; c = strtok_r(NULL, " \n", &save))
		for (int k = 0; k < CG_NCTRL; k++)
			if (cgroup_ctrl_v2_name(k) && strcmp(cgroup_ctrl_v2_name(k), c) == 0)
				cg->v2_ctrls |= 1u << k;
	return 0;
}

static int make_all(struct cella_cgroup *cg, const struct cgroup_layout *l, cella_err_t *err)
{
	for (int c = 0; c < CG_NCTRL; c++) {
		if (!l->v1_mount[c])
			continue;
		/* Co-mounted controllers (cpu,cpuacct) share one directory. */
		for (int o = 0; o < c; o++)
			if (l->v1_mount[o] && cg->v1_dir[o] && strcmp(l->v1_mount[o], l->v1_mount[c]) == 0) {
				cg->v1_dir[c] = strdup(cg->v1_dir[o]);
				if (!cg->v1_dir[c])
					return cella_error_make(err, ENOMEM, "cgroup: out of memory");
				break;
			}
		if (!cg->v1_dir[c] &&
		    make_dirs(cg, l->v1_mount[c], cg->path, c == CG_CPUSET, &cg->v1_dir[c], err) < 0)
			return -1;
	}
	if (l->unified_mount) {
		if (enable_v2_controllers(cg, l->unified_mount, err) < 0 ||
		    make_dirs(cg, l->unified_mount, cg->path, false, &cg->unified_dir, err) < 0 ||
		    read_v2_ctrls(cg, err) < 0)
			return -1;
	}
	return 0;
}

/* enable_v2_controllers walks parents that make_dirs creates: create them first. */
static int create_dirs(struct cella_cgroup *cg, const struct cgroup_layout *l, cella_err_t *err)
{
	if (!cg->path)
		return cella_error_make(err, EINVAL, "cgroup: no path");
	if (l->unified_mount) {
		_cleanup_free_ char *parent_path = strdup(cg->path);
		char *tmp = NULL;

		if (!parent_path)
			return cella_error_make(err, ENOMEM, "cgroup: out of memory");
		*strrchr(parent_path, '/') = '\0';
		if (*parent_path && make_dirs(cg, l->unified_mount, parent_path, false, &tmp, err) < 0)
			return -1;
		free(tmp);
	}
	return make_all(cg, l, err);
}

/* rmdir with retries while the last tasks leave (EBUSY), bounded by deadline. */
static int rmdir_retry(const char *dir, long deadline, cella_err_t *err)
{
	long delay = 1;

	for (;;) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return 0;
		if (errno != EBUSY || now_ms() >= deadline)
			return cella_error_sys(err, "cgroup: rmdir %s", dir);
		sleep_ms(delay);
		delay = delay < 50 ? delay * 2 : 50;
	}
}

/* Removes dir and the sub-cgroups the container may have made in it, children first. */
static int remove_tree(const char *dir, int depth, long deadline, cella_err_t *err)
{
	_cleanup_closedir_ DIR *d = NULL;
	struct dirent *e;

	if (depth > MAX_DEPTH)
		return cella_error_make(err, ELOOP, "cgroup: %s: nested deeper than %d", dir, MAX_DEPTH);
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : cella_error_sys(err, "cgroup: open %s", dir);
	while ((e = readdir(d))) {
		_cleanup_free_ char *sub = NULL;

		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&sub, "%s/%s", dir, e->d_name) < 0)
			return cella_error_make(err, ENOMEM, "cgroup: out of memory");
		if (remove_tree(sub, depth + 1, deadline, err) < 0)
			return -1;
	}
	return rmdir_retry(dir, deadline, err);
}

/* Leaf directories first (with retries), then the parents this cgroup created, while empty. */
static int remove_all(struct cella_cgroup *cg, cella_err_t *err)
{
	long deadline = now_ms() + DESTROY_TIMEOUT_MS;
	size_t n = 0;
	int ret = 0;

	for (int c = 0; c <= CG_NCTRL; c++) {
		const char *dir = c < CG_NCTRL ? cg->v1_dir[c] : cg->unified_dir;
		cella_err_t tmp = NULL;

		if (!dir)
			continue;
		if (remove_tree(dir, 0, deadline, ret < 0 ? &tmp : err) < 0) {
			ret = -1;
			cella_error_release(&tmp);
		}
	}
	while (cg->created && cg->created[n])
		n++;
	while (n-- > 0) {
		if (rmdir(cg->created[n]) < 0 && errno != ENOENT && errno != EBUSY && errno != ENOTEMPTY &&
		    ret == 0)
			ret = cella_error_sys(err, "cgroup: rmdir %s", cg->created[n]);
	}
	return ret;
}

int cella_cgroup_create(const char *id, const char *cgroups_path, json_t *resources,
			struct cella_cgroup **out, cella_err_t *err)
{
	struct cgroup_layout layout = {0};
	struct cella_cgroup *cg;

	*out = NULL;
	if (cella_cgroup_resources_validate(resources, err) < 0)
		return -1;
	cg = calloc(1, sizeof(*cg));
	if (!cg)
		return cella_error_make(err, ENOMEM, "cgroup: out of memory");
	if (resolve_path(id, cgroups_path, &cg->path, err) < 0 || cgroup_layout_detect(&layout, err) < 0) {
		cella_cgroup_free(cg);
		return -1;
	}
	cg->mode = layout.mode;
	if (create_dirs(cg, &layout, err) < 0 || cgroup_apply_resources(cg, resources, false, err) < 0) {
		cella_err_t ignored = NULL;

		cgroup_layout_clear(&layout);
		remove_all(cg, &ignored);
		cella_error_release(&ignored);
		cella_cgroup_free(cg);
		return cella_error_wrap(err, "creating cgroup for container %s", id);
	}
	cgroup_layout_clear(&layout);
	*out = cg;
	return 0;
}

int cella_cgroup_enter(struct cella_cgroup *cg, pid_t pid, cella_err_t *err)
{
	if (pid <= 0)
		return cella_error_make(err, EINVAL, "cgroup: invalid pid %d", (int)pid);
	for (int c = 0; c <= CG_NCTRL; c++) {
		const char *dir = c < CG_NCTRL ? cg->v1_dir[c] : cg->unified_dir;
		bool seen = false;

		if (!dir)
			continue;
		for (int o = 0; o < c && !seen; o++)
			seen = cg->v1_dir[o] && strcmp(cg->v1_dir[o], dir) == 0;
		if (!seen && cgroup_writef(dir, "cgroup.procs", err, "%d", (int)pid) < 0)
			return -1;
	}
	return 0;
}

int cella_cgroup_update(struct cella_cgroup *cg, json_t *resources, cella_err_t *err)
{
	if (cella_cgroup_resources_validate(resources, err) < 0 ||
	    cgroup_apply_resources(cg, resources, true, err) < 0)
		return cella_error_wrap(err, "updating cgroup %s", cg->path);
	return 0;
}

int cella_cgroup_destroy(struct cella_cgroup *cg, cella_err_t *err)
{
	if (remove_all(cg, err) < 0)
		return cella_error_wrap(err, "removing cgroup %s", cg->path);
	return 0;
}
