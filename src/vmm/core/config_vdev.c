/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/config_vdev.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "vdev/vdev_opts.h"

/* CLI flag / JSON field -> device type; "list" fields hold an array of objects. */
static const struct {
	const char *flag;
	const char *field;
	const char *type;
	bool list;
} kinds[] = {
	{"disk", "disks", "blk", true},
	{"net", "net", "net", true},
	{"vsock", "vsock", "vsock", false},
	{"rng", "rng", "rng", false},
	{"virtio-console", "virtio_console", "console", true},
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

static int usage(cella_err_t *err, int errnum, const char *what, const char *msg)
{
	cella_error_make(err, errnum, "%s: %s", what, msg);
	cella_error_set_status(*err, VMM_EXIT_USAGE);
	return -1;
}

static struct vmm_vdev_spec *new_spec(struct vmm_config *cfg, const char *type, const char *what,
				      cella_err_t *err)
{
	struct vmm_vdev_spec *s;

	if (cfg->nvdevs >= VMM_CONFIG_MAX_VDEVS) {
		usage(err, 0, what, "too many virtio devices (at most 16)");
		return NULL;
	}
	if (!cfg->vdevs) {
		cfg->vdevs = calloc(VMM_CONFIG_MAX_VDEVS, sizeof(*cfg->vdevs));
		if (!cfg->vdevs) {
			usage(err, ENOMEM, what, "out of memory");
			return NULL;
		}
	}
	s = &cfg->vdevs[cfg->nvdevs];
	memset(s, 0, sizeof(*s));
	s->type = type;
	snprintf(s->what, sizeof(s->what), "%s", what);
	return s;
}

int vmm_config__add_vdev_arg(struct vmm_config *cfg, const char *opt, const char *value, cella_err_t *err)
{
	struct vdev_opts o;
	struct vmm_vdev_spec *s;
	char what[64];

	for (size_t i = 0; i < NKINDS; i++) {
		if (strcmp(opt, kinds[i].flag) != 0)
			continue;
		snprintf(what, sizeof(what), "--%s", opt);
		/* Syntax now, so a malformed flag is a usage error before anything runs. */
		if (vdev_opts_parse(&o, what, value ? value : "", err) < 0) {
			cella_error_set_status(*err, VMM_EXIT_USAGE);
			return -1;
		}
		vdev_opts_release(&o);
		s = new_spec(cfg, kinds[i].type, what, err);
		if (!s)
			return -1;
		s->str = strdup(value ? value : "");
		if (!s->str)
			return usage(err, ENOMEM, what, "out of memory");
		cfg->nvdevs++;
		return 0;
	}
	return usage(err, 0, opt, "not a virtio device option");
}

static int add_json(struct vmm_config *cfg, const char *type, const char *what, json_t *obj, cella_err_t *err)
{
	struct vmm_vdev_spec *s;
	struct vdev_opts o;

	if (vdev_opts_from_json(&o, what, obj, err) < 0) {
		cella_error_set_status(*err, VMM_EXIT_USAGE);
		return -1;
	}
	vdev_opts_release(&o);
	s = new_spec(cfg, type, what, err);
	if (!s)
		return -1;
	s->json = json_incref(obj);
	cfg->nvdevs++;
	return 0;
}

int vmm_config__load_vdevs_json(struct vmm_config *cfg, json_t *root, const char *origin, cella_err_t *err)
{
	char what[64];

	for (size_t k = 0; k < NKINDS; k++) {
		json_t *v = json_object_get(root, kinds[k].field);
		size_t i;
		json_t *item;

		if (!v)
			continue;
		snprintf(what, sizeof(what), "%s: %s", origin, kinds[k].field);
		if (kinds[k].list) {
			if (!json_is_array(v))
				return usage(err, 0, what, "expected an array of objects");
			json_array_foreach (v, i, item) {
				char item_what[64];

				snprintf(item_what, sizeof(item_what), "%s: %s[%zu]", origin, kinds[k].field,
					 i);
				if (add_json(cfg, kinds[k].type, item_what, item, err) < 0)
					return -1;
			}
		} else if (json_is_boolean(v)) {
			/* "rng": true is a device with default options; false is none. */
			if (json_is_true(v)) {
				json_t *empty = json_object();
				int r;

				if (!empty)
					return usage(err, ENOMEM, what, "out of memory");
				r = add_json(cfg, kinds[k].type, what, empty, err);
				json_decref(empty);
				if (r < 0)
					return -1;
			}
		} else if (add_json(cfg, kinds[k].type, what, v, err) < 0) {
			return -1;
		}
	}
	return 0;
}

bool vmm_config__is_vdev_field(const char *key)
{
	for (size_t k = 0; k < NKINDS; k++) {
		if (strcmp(key, kinds[k].field) == 0)
			return true;
	}
	return false;
}

void vmm_config__release_vdevs(struct vmm_config *cfg)
{
	for (unsigned i = 0; i < cfg->nvdevs; i++) {
		free(cfg->vdevs[i].str);
		json_decref(cfg->vdevs[i].json);
	}
	free(cfg->vdevs);
	cfg->vdevs = NULL;
	cfg->nvdevs = 0;
}
