// SPDX-License-Identifier: GPL-2.0-or-later
/* linux.devices[] -> struct rootfs_device. */
#include "rootfs/rootfs_internal.h"

#include <stdlib.h>
#include <string.h>

static int get_u32(json_t *dev, const char *key, size_t i, bool required, uint32_t max, uint32_t *out,
		   cella_err_t *err)
{
	json_t *v = json_object_get(dev, key);
	json_int_t n;

	if (v == NULL || json_is_null(v)) {
		if (required)
			return cella_error_make(err, 0, "config.json: linux.devices[%zu].%s: required", i,
						key);
		return 0;
	}
	if (!json_is_integer(v))
		return cella_error_make(err, 0, "config.json: linux.devices[%zu].%s: must be an integer", i,
					key);
	n = json_integer_value(v);
	if (n < 0 || (uint64_t)n > max)
		return cella_error_make(err, 0,
					"config.json: linux.devices[%zu].%s: %lld is out of range (0..%u)", i,
					key, (long long)n, max);
	*out = (uint32_t)n;
	return 0;
}

static int parse_device(json_t *dev, size_t i, struct rootfs_device *d, cella_err_t *err)
{
	json_t *path = json_object_get(dev, "path");
	const char *type = json_string_value(json_object_get(dev, "type"));
	uint32_t major = 0, minor = 0, mode = 0666, uid = 0, gid = 0;
	bool numbered;

	if (!json_is_object(dev))
		return cella_error_make(err, 0, "config.json: linux.devices[%zu]: must be an object", i);
	if (!rootfs_path_is_absolute(path))
		return cella_error_make(err, 0,
					"config.json: linux.devices[%zu].path: must be an absolute path", i);
	if (type == NULL || strlen(type) != 1 || strchr("cbup", type[0]) == NULL)
		return cella_error_make(err, 0,
					"config.json: linux.devices[%zu].type: must be one of c, b, u, p", i);
	numbered = type[0] != 'p';
	/* Major and minor are 12 and 20 bits wide in the kernel's dev_t. */
	if (get_u32(dev, "major", i, numbered, 0xfff, &major, err) < 0 ||
	    get_u32(dev, "minor", i, numbered, 0xfffff, &minor, err) < 0 ||
	    get_u32(dev, "fileMode", i, false, 07777, &mode, err) < 0 ||
	    get_u32(dev, "uid", i, false, UINT32_MAX - 1, &uid, err) < 0 ||
	    get_u32(dev, "gid", i, false, UINT32_MAX - 1, &gid, err) < 0)
		return -1;
	d->path = strdup(json_string_value(path));
	if (d->path == NULL)
		return cella_error_sys(err, "config.json: linux.devices[%zu]", i);
	d->type = type[0];
	d->major = major;
	d->minor = minor;
	d->mode = mode;
	d->uid = uid;
	d->gid = gid;
	return 0;
}

int rootfs_parse_devices(json_t *devices, struct cella_rootfs *r, cella_err_t *err)
{
	size_t i;
	json_t *dev;

	if (devices == NULL || json_is_null(devices))
		return 0;
	if (!json_is_array(devices))
		return cella_error_make(err, 0, "config.json: linux.devices: must be an array");
	r->devices = calloc(json_array_size(devices) + 1, sizeof(*r->devices));
	if (r->devices == NULL)
		return cella_error_sys(err, "config.json: linux.devices");
	json_array_foreach (devices, i, dev) {
		if (parse_device(dev, i, &r->devices[i], err) < 0)
			return -1;
		r->n_devices++;
		for (size_t j = 0; j < i; j++)
			if (r->devices[j].path && r->devices[i].path &&
			    strcmp(r->devices[j].path, r->devices[i].path) == 0)
				return cella_error_make(err, 0,
							"config.json: linux.devices[%zu].path: '%s' repeats "
							"linux.devices[%zu]",
							i, r->devices[i].path, j);
	}
	return 0;
}
