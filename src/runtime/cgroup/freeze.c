/* SPDX-License-Identifier: GPL-2.0-or-later */
/* pause/resume, the process list, and signalling every process (ps, kill --all). */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cella/cleanup.h>

#include "cgroup/cgroup_internal.h"

#define FREEZE_TIMEOUT_MS 5000
#define MAX_DEPTH	  32

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static void sleep_ms(long ms)
{
	struct timespec ts = {.tv_sec = 0, .tv_nsec = ms * 1000000L};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* v1 freezer, or v2 core cgroup.freeze; NULL if the cgroup has neither. */
static const char *freezer_dir(struct cella_cgroup *cg, bool *v2)
{
	*v2 = cg->v1_dir[CG_FREEZER] == NULL;
	return *v2 ? cg->unified_dir : cg->v1_dir[CG_FREEZER];
}

/* Does the kernel report the requested state yet? */
static int reached(const char *dir, bool v2, bool frozen, bool *done, cella_err_t *err)
{
	_cleanup_free_ char *s = NULL;

	if (cgroup_read(dir, v2 ? "cgroup.events" : "freezer.state", &s, err) < 0)
		return -1;
	if (v2)
		*done = strstr(s, frozen ? "frozen 1" : "frozen 0") != NULL;
	else
		*done = strncmp(s, frozen ? "FROZEN" : "THAWED", 6) == 0;
	return 0;
}

int cella_cgroup_freeze(struct cella_cgroup *cg, bool frozen, cella_err_t *err)
{
	bool v2, done = false;
	const char *dir = freezer_dir(cg, &v2);
	const char *file = v2 ? "cgroup.freeze" : "freezer.state";
	const char *value = v2 ? (frozen ? "1" : "0") : (frozen ? "FROZEN" : "THAWED");
	long deadline = now_ms() + FREEZE_TIMEOUT_MS, delay = 1;

	if (!dir)
		return cella_error_make(err, ENOTSUP,
					"cgroup %s: no freezer (no v1 freezer hierarchy, no cgroup v2)",
					cg->path);
	for (;;) {
		/* v1 can stay FREEZING when tasks fork meanwhile; writing again retries them. */
		if (cgroup_write(dir, file, value, err) < 0 || reached(dir, v2, frozen, &done, err) < 0)
			return -1;
		if (done)
			return 0;
		if (now_ms() >= deadline)
			break;
		sleep_ms(delay);
		delay = delay < 32 ? delay * 2 : 32;
	}
	if (frozen) {
		cella_err_t ignored = NULL;

		cgroup_write(dir, file, v2 ? "0" : "THAWED", &ignored); /* do not leave it half frozen */
		cella_error_release(&ignored);
	}
	return cella_error_make(err, ETIMEDOUT, "cgroup %s: not %s after %d ms (%s/%s)", cg->path,
				frozen ? "frozen" : "thawed", FREEZE_TIMEOUT_MS, dir, file);
}

struct pid_list {
	pid_t *v;
	size_t n, cap;
};

static int collect(const char *dir, int depth, struct pid_list *l, cella_err_t *err)
{
	_cleanup_free_ char *procs = NULL;
	_cleanup_closedir_ DIR *d = NULL;
	char *save = NULL;
	struct dirent *e;

	if (depth > MAX_DEPTH)
		return cella_error_make(err, ELOOP, "cgroup: %s: nested deeper than %d", dir, MAX_DEPTH);
	if (cgroup_read(dir, "cgroup.procs", &procs, err) < 0)
		return -1;
	for (char *t = strtok_r(procs, "\n", &save); t; t = strtok_r(NULL, "\n", &save)) {
		char *end;
		long pid = strtol(t, &end, 10);

		if (*end || pid <= 0)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 16;
			pid_t *bigger = realloc(l->v, cap * sizeof(*bigger));

			if (!bigger)
				return cella_error_make(err, ENOMEM, "cgroup: out of memory");
			l->v = bigger;
			l->cap = cap;
		}
		l->v[l->n++] = (pid_t)pid;
	}
	d = opendir(dir);
	if (!d)
		return cella_error_sys(err, "cgroup: open %s", dir);
	while ((e = readdir(d))) {
		_cleanup_free_ char *sub = NULL;

		if (e->d_type != DT_DIR || strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (asprintf(&sub, "%s/%s", dir, e->d_name) < 0)
			return cella_error_make(err, ENOMEM, "cgroup: out of memory");
		if (collect(sub, depth + 1, l, err) < 0)
			return -1;
	}
	return 0;
}

int cella_cgroup_pids(struct cella_cgroup *cg, pid_t **pids, size_t *n, cella_err_t *err)
{
	struct pid_list l = {0};
	const char *dir = cg->unified_dir;

	*pids = NULL;
	*n = 0;
	/* Every process is in every hierarchy; v1 freezer/pids first as the ones runc reads. */
	if (cg->v1_dir[CG_FREEZER])
		dir = cg->v1_dir[CG_FREEZER];
	else if (cg->v1_dir[CG_PIDS])
		dir = cg->v1_dir[CG_PIDS];
	for (int c = 0; !dir && c < CG_NCTRL; c++)
		dir = cg->v1_dir[c];
	if (!dir)
		return cella_error_make(err, ENOENT, "cgroup %s: no hierarchy to list processes from",
					cg->path);
	if (collect(dir, 0, &l, err) < 0) {
		free(l.v);
		return -1;
	}
	*pids = l.v;
	*n = l.n;
	return 0;
}

int cella_cgroup_kill_all(struct cella_cgroup *cg, int sig, cella_err_t *err)
{
	_cleanup_free_ pid_t *pids = NULL;
	bool v2, frozen = false, was_frozen = false;
	const char *fdir = freezer_dir(cg, &v2);
	size_t n;
	int ret = 0;

	/* Frozen, nothing can fork a child we would miss. A paused container stays
	 * paused, except for SIGKILL, which frozen v1 tasks only act on once thawed. */
	if (fdir) {
		if (reached(fdir, v2, true, &was_frozen, err) < 0 || cella_cgroup_freeze(cg, true, err) < 0)
			return cella_error_wrap(err, "kill: freezing %s", cg->path);
		frozen = true;
	}
	if (cella_cgroup_pids(cg, &pids, &n, err) < 0)
		ret = -1;
	for (size_t i = 0; ret == 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			ret = cella_error_sys(err, "kill: signal %d to pid %d", sig, (int)pids[i]);
	if (frozen && (!was_frozen || sig == SIGKILL)) {
		cella_err_t thaw_err = NULL;

		if (cella_cgroup_freeze(cg, false, ret < 0 ? &thaw_err : err) < 0 && ret == 0)
			ret = -1;
		cella_error_release(&thaw_err);
	}
	return ret;
}
