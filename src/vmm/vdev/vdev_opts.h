/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VDEV_VDEV_OPTS_H
#define CELLA_VMM_VDEV_VDEV_OPTS_H

/*
 * Device options as key=value pairs, from a CLI string
 * ("path=disk.img,readonly=on,id=disk0"; ",," is a literal comma) or from a
 * flat JSON object ({"path": "disk.img", "readonly": true}). Every error
 * names the option and the key: "--disk: readonly: expected on or off".
 * A key nobody asked for is an error too (vdev_opts_check_unused()).
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <cella/error.h>

#define VDEV_OPTS_MAX 32

struct vdev_opt {
	char *key;
	char *val;
	bool used;
};

struct vdev_opts {
	char what[64]; /* "--disk", for messages */
	unsigned n;
	struct vdev_opt opt[VDEV_OPTS_MAX];
};

int vdev_opts_parse(struct vdev_opts *o, const char *what, const char *str, cella_err_t *err);
int vdev_opts_from_json(struct vdev_opts *o, const char *what, const json_t *obj, cella_err_t *err);
void vdev_opts_release(struct vdev_opts *o);

/* The value of key or NULL; marks it used. */
const char *vdev_opts_get(const struct vdev_opts *o, const char *key);
bool vdev_opts_has(const struct vdev_opts *o, const char *key);
int vdev_opts_bool(const struct vdev_opts *o, const char *key, bool def, bool *out, cella_err_t *err);
/* Decimal (or 0x hex) with an optional K/M/G/T suffix (powers of 1024), in [min, max]. */
int vdev_opts_u64(const struct vdev_opts *o, const char *key, uint64_t def, uint64_t min, uint64_t max,
		  uint64_t *out, cella_err_t *err);
/* xx:xx:xx:xx:xx:xx, unicast. *set is false (mac untouched) when absent. */
int vdev_opts_mac(const struct vdev_opts *o, const char *key, uint8_t mac[6], bool *set, cella_err_t *err);
/* Copies a string option into buf (error if it does not fit); def when absent (may be NULL: buf = ""). */
int vdev_opts_str(const struct vdev_opts *o, const char *key, const char *def, char *buf, size_t size,
		  cella_err_t *err);
/* Sets key to val, replacing a value already there (snapshots, restore overrides). */
int vdev_opts_set(struct vdev_opts *o, const char *key, const char *val, cella_err_t *err);
/* Fails naming the first key no getter asked for. */
int vdev_opts_check_unused(const struct vdev_opts *o, cella_err_t *err);

#endif
