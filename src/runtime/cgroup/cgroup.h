/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CGROUP_H
#define CELLA_RUNTIME_CGROUP_H

/*
 * cgroup management for the OCI runtime: one container's cgroup across every
 * hierarchy of a cgroup v1, hybrid (v1 + cgroup2 at .../unified) or pure v2
 * host, configured from runtime-spec 1.2 linux.resources (jansson objects
 * straight from config.json).
 *
 * Lifetime: cella_cgroup_create() (or cella_cgroup_from_json() in a later
 * process) gives a handle; cella_cgroup_destroy() removes the directories;
 * cella_cgroup_free() only frees memory.
 */
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include <jansson.h>

#include <cella/error.h>

struct cella_cgroup; /* opaque */

enum cella_cgroup_mode {
	CELLA_CGROUP_V1 = 1, /* only v1 hierarchies */
	CELLA_CGROUP_HYBRID =
		2,	     /* v1 hierarchies plus a cgroup2 mount (controllers free for v2 live there) */
	CELLA_CGROUP_V2 = 3, /* one unified cgroup2 hierarchy */
};

/* Default parent of cgroups_path NULL ("/cella/<id>") and of relative paths ("/cella/<path>"). */
#define CELLA_CGROUP_DEFAULT_PARENT "/cella"

/* Validates linux.resources (may be NULL) without touching the system; errors
 * name the field, e.g. "config.json: linux.resources.memory.limit: expected integer". */
int cella_cgroup_resources_validate(json_t *resources, cella_err_t *err);

/* cgroups_path: linux.cgroupsPath (may be NULL -> "/cella/<id>"); relative paths are
 * under CELLA_CGROUP_DEFAULT_PARENT. Creates the cgroup in every hierarchy, applies
 * resources, and removes everything it created if any step fails. */
int cella_cgroup_create(const char *id, const char *cgroups_path, json_t *resources,
			struct cella_cgroup **out, cella_err_t *err);
/* Moves pid into the cgroup in all hierarchies. */
int cella_cgroup_enter(struct cella_cgroup *cg, pid_t pid, cella_err_t *err);
/* runc update: applies the given resources (validated first) to the existing cgroup. */
int cella_cgroup_update(struct cella_cgroup *cg, json_t *resources, cella_err_t *err);
/* pause/resume: waits (bounded, a few seconds) until the kernel reports FROZEN/THAWED. */
int cella_cgroup_freeze(struct cella_cgroup *cg, bool frozen, cella_err_t *err);
/* Every pid in the cgroup and its descendants; *pids is malloc'd (free()), may be NULL when *n == 0. */
int cella_cgroup_pids(struct cella_cgroup *cg, pid_t **pids, size_t *n, cella_err_t *err);
/* The "data" object of `runc events --stats`: {"cpu":…, "memory":…, "pids":…, "blkio":…, "hugetlb":…}. */
int cella_cgroup_stats(struct cella_cgroup *cg, json_t **stats, cella_err_t *err);
/* Freezes (when a freezer is available), signals every pid, thaws; a cgroup that was
 * already frozen (paused) stays frozen unless sig is SIGKILL. */
int cella_cgroup_kill_all(struct cella_cgroup *cg, int sig, cella_err_t *err);
/* rmdir in every hierarchy (plus the parents this cgroup created, when empty);
 * retries briefly while exiting tasks leave; bounded. */
int cella_cgroup_destroy(struct cella_cgroup *cg, cella_err_t *err);

/* Persist/restore for the state directory, so `start`/`delete` in later processes reopen the cgroup. */
json_t *cella_cgroup_to_json(const struct cella_cgroup *cg);
int cella_cgroup_from_json(json_t *j, struct cella_cgroup **out, cella_err_t *err);
void cella_cgroup_free(struct cella_cgroup *cg);

enum cella_cgroup_mode cella_cgroup_get_mode(const struct cella_cgroup *cg);
/* The cgroup's path inside each hierarchy, e.g. "/cella/abc" (for state.json / cgroupns). */
const char *cella_cgroup_get_path(const struct cella_cgroup *cg);
/* Directory of the cgroup in the cgroup2 hierarchy (v2 or hybrid), or NULL. */
const char *cella_cgroup_get_unified_dir(const struct cella_cgroup *cg);
/* Directory of the cgroup in the v1 hierarchy of controller (e.g. "memory"), or NULL when not mounted. */
const char *cella_cgroup_get_v1_dir(const struct cella_cgroup *cg, const char *controller);

/*
 * TESTS ONLY: make the library ignore /proc/self/mountinfo and treat
 * `cgroup2_mount` as a pure cgroup v2 host (NULL restores detection). The
 * integration test uses it through `cgroup-driver --v2-root DIR` to exercise v2
 * on a hybrid host, in a private mount namespace with a fresh cgroup2 mount.
 */
void cella_cgroup_testing_set_v2_root(const char *cgroup2_mount);

#endif
