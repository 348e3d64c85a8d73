/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_API_DEVICES_H
#define CELLA_VMM_API_DEVICES_H

/*
 * The control API's device operations on a running struct vmm (the API's
 * opaque pointer), for struct vmm_api_ops: list and describe the virtio
 * devices, and change a blk or net device's rate limiter at run time through
 * the device's own update function (all or nothing: a request that fails
 * changes nothing). They run on the API thread: no system call beyond what
 * its seccomp filter allows (the device thread applies new limits).
 */
#include <jansson.h>

#include <cella/error.h>

/* vmm_api_ops.devices: opaque = struct vmm *; a new array of vdev_describe() objects. */
json_t *vmm_api_devices__list(void *opaque);
/* vmm_api_ops.device: one device's description; NULL with err (status 404) when there is no such id. */
json_t *vmm_api_devices__describe(void *opaque, const char *id, cella_err_t *err);
/*
 * vmm_api_ops.update_device: changes = the request body, {"rate_limiter":
 * {"bps", "bps_burst", "iops", "iops_burst", "refill_ms"}} (keys absent keep
 * their values). Errors carry the HTTP status: 404 no such device, 400 a
 * field that is wrong (named), 409 several devices with that id.
 */
int vmm_api_devices__update(void *opaque, const char *id, const json_t *changes, cella_err_t *err);

#endif
