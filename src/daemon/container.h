/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_CONTAINER_H
#define CELLAD_CONTAINER_H

/*
 * Container instances through the runtime library. Bundle: the instance
 * directory <root>/instances/<name> with config.json, rootfs/ (an overlayfs:
 * lower = the image's rootfs, upper/ and work/ beside it) and console.log.
 * The runtime's state lives in <root>/runtime, the container id is the
 * instance name. create + start run in a short-lived helper process, so the
 * container's init is re-parented away from cellad at once and outlives it
 * (as `runc run --detach`).
 */
#include <jansson.h>
#include <stdbool.h>

#include "daemon.h"

/* Size of the host id range a system container's user namespace maps (0..65535). */
#define CELLAD_IDMAP_SIZE 65536
/* First host id handed out; ranges follow each other. */
#define CELLAD_IDMAP_BASE 1000000

/* Validates an instance "config" object; the error names the key. */
int cellad_instance_config_validate(json_t *config, cella_err_t *err);
/* A size key ("256MiB", "1GB", a byte count) in bytes; the error names key. */
int cellad_config_size(const char *key, json_t *v, long long *out, cella_err_t *err);
/* security.privileged: an application container in the host's user namespace. */
bool cellad_config_privileged(json_t *config);
/* The config.json for an instance (new reference). host_base < 0: no user namespace. */
json_t *cellad_container_spec(const char *name, const char *rootfs, json_t *config, long long host_base,
			      cella_err_t *err);

/* "running", "paused", "stopped", "created" from the runtime, or NULL when it has no such container. */
char *cellad_container_status(struct cellad *d, const char *name);
/* Mounts the overlay, writes config.json, creates and starts the container. Undoes everything on failure. */
int cellad_container_start(struct cellad *d, const char *name, const char *image_rootfs, json_t *config,
			   long long host_base, cella_err_t *err);
/* SIGTERM to init, SIGKILL to all after timeout_s (at once with force), then cleanup. */
int cellad_container_stop(struct cellad *d, const char *name, int timeout_s, bool force, cella_err_t *err);
int cellad_container_freeze(struct cellad *d, const char *name, bool frozen, cella_err_t *err);
/* Removes the runtime's container (if any) and unmounts the overlay (if mounted). */
int cellad_container_cleanup(struct cellad *d, const char *name, cella_err_t *err);
/* The runtime's stats ({"cpu":…,"memory":…}) for metrics (new reference) or NULL. */
json_t *cellad_container_stats(struct cellad *d, const char *name);

#endif
