/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_STATE_H
#define CELLA_RUNTIME_CORE_STATE_H

/*
 * Container state on disk: <root>/<id>/state.json, written atomically, plus
 * <root>/<id>/exec.fifo while the container waits for `start`. Each verb runs
 * as its own process, so everything a later verb needs lives in state.json;
 * the status itself is derived from the live system, never trusted from disk.
 */
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include <cella/error.h>

#define CELLA_RUNTIME_DEFAULT_ROOT "/run/cella-runtime"
#define CELLA_EXEC_FIFO		   "exec.fifo"
#define CELLA_STATE_FILE	   "state.json"

enum cella_status {
	CELLA_STATUS_CREATING,
	CELLA_STATUS_CREATED,
	CELLA_STATUS_RUNNING,
	CELLA_STATUS_STOPPED,
	CELLA_STATUS_PAUSED,
};

struct cella_state {
	char *id, *bundle, *rootfs, *created, *owner;
	pid_t pid;
	unsigned long long start_time; /* /proc/PID/stat field 22: detects pid reuse */
	json_t *annotations;	       /* object, may be NULL */
	json_t *config;		       /* the config.json the container was created from */
	json_t *cgroup;		       /* cella_cgroup_to_json(), may be NULL */
	bool paused;
};

const char *cella_status_name(enum cella_status s);

/* Opens (create=false) or makes (create=true, refusing an existing id) <root>/<id>. lock: flock it
 * exclusively for the caller's lifetime (verbs that change the container); readers need no lock since
 * state.json is replaced atomically, so `state` from inside a hook never waits on the verb running it. */
int cella_state_dir_open(const char *root, const char *id, bool create, bool lock, int *dir_fd,
			 cella_err_t *err);
int cella_state_read(int dir_fd, const char *id, struct cella_state **out, cella_err_t *err);
int cella_state_write(int dir_fd, const struct cella_state *st, cella_err_t *err);
/* Status from the live system: init gone (or pid reused) = stopped, fifo present = created. */
enum cella_status cella_state_status(const struct cella_state *st, int dir_fd);
/* runc's `state` JSON: ociVersion, id, pid, status, bundle, rootfs, created, owner, annotations. */
json_t *cella_state_public_json(const struct cella_state *st, enum cella_status status);
/* The state JSON handed to hooks and seccomp agents (runtime-spec "state"). */
char *cella_state_hook_json(const struct cella_state *st, enum cella_status status);
/* Parses the file content (for unit tests and cella_state_read). Takes no ownership of doc. */
int cella_state_from_json(json_t *doc, const char *id, struct cella_state **out, cella_err_t *err);
json_t *cella_state_to_json(const struct cella_state *st);
/* Removes <root>/<id> and everything in it. */
int cella_state_dir_remove(const char *root, const char *id, cella_err_t *err);
void cella_state_free(struct cella_state *st);

#endif
