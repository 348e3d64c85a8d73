/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_CONFIG_VDEV_H
#define CELLA_VMM_CORE_CONFIG_VDEV_H

/*
 * The virtio devices of a VM configuration (--disk, --net, --vsock, --rng,
 * --virtio-console; "disks", "net", "vsock", "rng", "virtio_console" in JSON),
 * kept as given: each is parsed once here for syntax, and completely when the
 * device is created (virtio_glue.c), both with errors naming the option.
 */
#include <stdbool.h>

#include <jansson.h>

#include <cella/error.h>

struct vmm_config;

#define VMM_CONFIG_MAX_VDEVS 16

struct vmm_vdev_spec {
	const char *type; /* vdev type: "blk", "net", "vsock", "rng", "console" */
	char what[64];	  /* "--disk" or "FILE: disks[1]", for messages */
	char *str;	  /* CLI form, or NULL */
	json_t *json;	  /* JSON form (a reference), or NULL */
};

/* A CLI flag: opt is the flag without dashes ("disk"), value may be NULL (--rng). */
int vmm_config__add_vdev_arg(struct vmm_config *cfg, const char *opt, const char *value, cella_err_t *err);
/* The JSON fields of root that describe devices; origin names the file. */
int vmm_config__load_vdevs_json(struct vmm_config *cfg, json_t *root, const char *origin, cella_err_t *err);
/* Whether key is one of those fields. */
bool vmm_config__is_vdev_field(const char *key);
void vmm_config__release_vdevs(struct vmm_config *cfg);

#endif
