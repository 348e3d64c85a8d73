/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_INSTANCES_H
#define CELLAD_INSTANCES_H

/* Instance records and the lifecycle operations (create, state changes, delete). */
#include <jansson.h>
#include <stdbool.h>

#include "daemon.h"
#include "operations.h"

/* The Incus instance object for a row (new reference). */
json_t *cellad_instance_json(json_t *row);
/* Sets the recorded state (and last_error) and emits lifecycle action (may be NULL). Lock NOT held. */
void cellad_instance_set_state(struct cellad *d, const char *name, const char *state, const char *error,
			       const char *action);

/* The row (from the instances table) is a VM. */
bool cellad_row_is_vm(json_t *row);
/* Stops a container or a VM (row: its instances row); no state recorded. */
int cellad_instance_stop(struct cellad *d, json_t *row, int timeout_s, bool force, cella_err_t *err);

int cellad_op_instance_create(struct cellad *d, struct cellad_op *op, cella_err_t *err);
int cellad_op_instance_state(struct cellad *d, struct cellad_op *op, cella_err_t *err);
int cellad_op_instance_delete(struct cellad *d, struct cellad_op *op, cella_err_t *err);
/* exec.c */
int cellad_op_instance_exec(struct cellad *d, struct cellad_op *op, cella_err_t *err);

#endif
