/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_CONTAINER_H
#define CELLA_RUNTIME_CORE_CONTAINER_H

/*
 * The container lifecycle as a library (the cella-runtime CLI and cellad call
 * these). Every function takes the state root (--root) and the container id.
 */
#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include <cella/error.h>

struct cella_create_opts {
	const char *root, *id, *bundle;
	const char *pid_file;	    /* may be NULL */
	const char *console_socket; /* may be NULL */
	int preserve_fds;	    /* fds 3 .. 3+N-1 are passed to the container */
	bool no_pivot, no_new_keyring;
};

/* create: validates everything, starts the init waiting on the exec fifo. *pid = the init's pid. */
int cella_container_create(const struct cella_create_opts *o, pid_t *pid, cella_err_t *err);
/* start: releases the init from the exec fifo, runs poststart hooks. */
int cella_container_start(const char *root, const char *id, cella_err_t *err);
/* state: runc's state JSON (new reference). */
int cella_container_state(const char *root, const char *id, json_t **out, cella_err_t *err);
int cella_container_kill(const char *root, const char *id, int sig, bool all, cella_err_t *err);
/* delete: poststop hooks, cgroup and state removed. force kills a running container first. */
int cella_container_delete(const char *root, const char *id, bool force, cella_err_t *err);
/* list: array of state JSON objects, sorted by id. */
int cella_container_list(const char *root, json_t **out, cella_err_t *err);
int cella_container_pids(const char *root, const char *id, pid_t **pids, size_t *n, cella_err_t *err);
int cella_container_pause(const char *root, const char *id, bool pause, cella_err_t *err);
int cella_container_update(const char *root, const char *id, json_t *resources, cella_err_t *err);
int cella_container_stats(const char *root, const char *id, json_t **out, cella_err_t *err);

/* The config.json the container was created from (new reference): exec starts from its process. */
int cella_container_config(const char *root, const char *id, json_t **out, cella_err_t *err);

struct cella_exec_opts {
	const char *root, *id;
	json_t *process; /* a runtime-spec process object (from --process or built from flags), borrowed */
	const char *pid_file, *console_socket;
	int preserve_fds;
};
/* exec: starts process in every namespace and the cgroup of the init; it is the caller's child
 * (wait for it with cella_wait_status()). */
int cella_container_exec(const struct cella_exec_opts *o, pid_t *pid, cella_err_t *err);

/* Re-executes the running binary from a sealed memfd copy unless it already runs from one
 * (CVE-2019-5736: the container must never reach a writable path to the host binary). */
int cella_ensure_sealed_self(char **argv, cella_err_t *err);

/* Waits for pid (our child) and returns its status as a shell would: code, or 128+signal. */
int cella_wait_status(pid_t pid);

#endif
