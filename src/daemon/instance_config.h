/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_INSTANCE_CONFIG_H
#define CELLAD_INSTANCE_CONFIG_H

/*
 * Changing an instance's config after creation: PATCH /1.0/instances/NAME
 * merges keys (null removes one), PUT replaces the whole config. The limits
 * (limits.memory, limits.cpu, limits.processes) apply at once to a running
 * container's cgroup and at the next start otherwise; security.privileged and
 * command are fixed at creation.
 */
#include <jansson.h>
#include <stdbool.h>

#include "http.h"
#include "operations.h"

/* The new config: old merged with (patch) or replaced by (put) change; NULL + error naming the key. */
json_t *cellad_config_merge(json_t *old, json_t *change, bool replace, bool vm, cella_err_t *err);
/* The OCI linux.resources that make a running container match config (removed limits: unlimited). */
json_t *cellad_config_resources(const char *name, json_t *config, cella_err_t *err);

enum MHD_Result cellad_api_instance_patch(struct cellad_request *r);
/* PUT /1.0/instances/NAME: {"config": {...}} here, {"restore": SNAP} to the snapshot handler. */
enum MHD_Result cellad_api_instance_put_any(struct cellad_request *r);

/* args: {"name", "config": the whole new config} */
int cellad_op_instance_config(struct cellad *d, struct cellad_op *op, cella_err_t *err);

#endif
