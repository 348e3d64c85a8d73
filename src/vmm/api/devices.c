// SPDX-License-Identifier: GPL-2.0-or-later
/* GET /vm/devices[/ID] and PATCH /vm/devices/ID for cella-vmm; see devices.h. */
#include "api/devices.h"

#include <errno.h>
#include <string.h>

#include "core/virtio_glue.h"
#include "core/vmm.h"
#include "vdev/vdev.h"
#include "vdev/vdev_opts.h"

/* The device called id; 404 when none, 409 when the id is not unique (two devices left at the default id). */
static struct vdev *find(struct vmm *vm, const char *id, cella_err_t *err)
{
	struct vdev *found = NULL;
	unsigned n = 0;

	for (unsigned i = 0; vm->virtio && i < vm->virtio->n; i++) {
		if (strcmp(vm->virtio->dev[i]->id, id) == 0) {
			found = vm->virtio->dev[i];
			n++;
		}
	}
	if (n == 1)
		return found;
	if (n == 0)
		cella_error_make(err, ENOENT, "device '%s': no such device", id);
	else
		cella_error_make(err, 0, "device '%s': %u devices have this id (give each one id=)", id, n);
	cella_error_set_status(*err, n == 0 ? 404 : 409);
	return NULL;
}

json_t *vmm_api_devices__list(void *opaque)
{
	struct vmm *vm = opaque;
	json_t *list = json_array();

	for (unsigned i = 0; list && vm->virtio && i < vm->virtio->n; i++) {
		if (json_array_append_new(list, vdev_describe(vm->virtio->dev[i])) < 0) {
			json_decref(list);
			return NULL;
		}
	}
	return list;
}

json_t *vmm_api_devices__describe(void *opaque, const char *id, cella_err_t *err)
{
	struct vdev *dev = find(opaque, id, err);
	json_t *o;

	if (!dev)
		return NULL;
	o = vdev_describe(dev);
	if (!o)
		cella_error_make(err, ENOMEM, "device '%s': out of memory", id);
	return o;
}

static int bad_request(cella_err_t *err)
{
	cella_error_set_status(*err, 400);
	return -1;
}

int vmm_api_devices__update(void *opaque, const char *id, const json_t *changes, cella_err_t *err)
{
	struct vdev_opts opts;
	const json_t *rl;
	const char *key;
	json_t *v;
	struct vdev *dev;
	int r;

	if (!json_is_object(changes)) {
		cella_error_make(err, 0, "request body: expected an object {\"rate_limiter\": {...}}");
		return bad_request(err);
	}
	json_object_foreach ((json_t *)changes, key, v) {
		if (strcmp(key, "rate_limiter") != 0) {
			cella_error_make(err, 0, "request body: %s: unknown field (rate_limiter)", key);
			return bad_request(err);
		}
	}
	rl = json_object_get(changes, "rate_limiter");
	if (!rl) {
		cella_error_make(err, 0, "request body: rate_limiter: missing: nothing to change");
		return bad_request(err);
	}
	if (!json_is_object(rl) || json_object_size(rl) == 0) {
		cella_error_make(err, 0,
				 "request body: rate_limiter: expected an object with one or more of bps, "
				 "bps_burst, iops, iops_burst, refill_ms");
		return bad_request(err);
	}
	dev = find(opaque, id, err);
	if (!dev)
		return -1;
	if (!dev->ops->update) {
		cella_error_make(err, 0,
				 "device '%s': a %s device has no rate limiter (blk and net have one)", id,
				 dev->ops->type);
		return bad_request(err);
	}
	/* The device parses and checks every key before it changes anything (vdev_ops.update). */
	if (vdev_opts_from_json(&opts, "rate_limiter", rl, err) < 0)
		return bad_request(err);
	r = vdev_update(dev, &opts, err);
	vdev_opts_release(&opts);
	if (r < 0) {
		cella_error_wrap(err, "device '%s'", id);
		return bad_request(err);
	}
	return 0;
}
