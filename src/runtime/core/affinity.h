/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_RUNTIME_CORE_AFFINITY_H
#define CELLA_RUNTIME_CORE_AFFINITY_H

#include <jansson.h>
#include <sched.h>
#include <stdbool.h>

#include <cella/error.h>

struct cella_affinity {
	bool has_initial, has_final;
	cpu_set_t initial, final;
};

/* process.execCPUAffinity {"initial": "0-3", "final": "1,3"}; errors name the field under prefix. */
int cella_affinity_parse(json_t *process, const char *prefix, struct cella_affinity *out, cella_err_t *err);
int cella_affinity_apply(const cpu_set_t *set, const char *which, cella_err_t *err);

#endif
