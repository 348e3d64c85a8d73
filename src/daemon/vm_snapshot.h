/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_VM_SNAPSHOT_H
#define CELLAD_VM_SNAPSHOT_H

/* VM snapshots (memory + device state through cella-vmm's API, plus a copy of the root disk). */
#include <jansson.h>

#include "daemon.h"
#include "operations.h"

/* state: the instance's recorded state; stateful_arg: true, false or NULL (stateful when not stopped). */
int cellad_vm_snapshot_create(struct cellad *d, struct cellad_op *op, const char *name, const char *snap,
			      const char *state, json_t *stateful_arg, cella_err_t *err);
/* Stops the VM, puts the disk back, then --restore (stateful) or a fresh boot (if it was running). */
int cellad_vm_snapshot_restore(struct cellad *d, struct cellad_op *op, const char *name, const char *snap,
			       const char *state, cella_err_t *err);

#endif
