/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * An instance's devices beyond its own root disk and its eth0 on the managed network, Incus-shaped:
 *   {"data": {"type": "disk", "source": "/srv/data", "path": "/mnt/data", "readonly": "true"},
 *    "lan":  {"type": "nic", "nictype": "bridged", "parent": "br0", "hwaddr": "...", "name": "eth1"}}
 * A container's disk is a bind mount of a host directory or file; a VM's is one more virtio-blk disk
 * backed by a host file or block device. A NIC joins a host bridge: a veth for a container, a TAP for
 * a VM. Kept in the instances.devices column; changes apply at the next start.
 */
#ifndef CELLAD_DEVICES_H
#define CELLAD_DEVICES_H

#include <sys/types.h>

#include <jansson.h>

#include "daemon.h"

#define CELLAD_MAX_DEVICES 16

/* Every device well-formed for this instance type; the error names the device and key. */
int cellad_devices_validate(json_t *devices, bool vm, cella_err_t *err);
/*
 * The devices after a change (new reference): PUT (replace) takes change as the whole set; PATCH merges
 * by device name, a null removing one. Validated.
 */
json_t *cellad_devices_merge(json_t *old, json_t *change, bool replace, bool vm, cella_err_t *err);
/* The instance's recorded devices (new reference; {} when none) or NULL with an error. */
json_t *cellad_devices_load(struct cellad *d, const char *name, cella_err_t *err);
/* A device's key as a boolean ("true"/"false" or a JSON boolean; absent = false). */
bool cellad_device_flag(json_t *dev, const char *key);

/* A NIC device's MAC: its hwaddr, else the one recorded as volatile.DEV.hwaddr, else a new one recorded. */
int cellad_device_hwaddr(struct cellad *d, const char *name, const char *dev, json_t *o, char out[18],
			 cella_err_t *err);

/* Container: bind mounts for its disk devices appended to the OCI spec's mounts. */
int cellad_devices_container_mounts(json_t *spec, json_t *devices, cella_err_t *err);
/* Container: a veth on each NIC device's bridge, created in the running init's network namespace. */
int cellad_devices_container_nics(struct cellad *d, const char *name, pid_t pid, json_t *devices,
				  cella_err_t *err);

/*
 * VM: the cella-vmm arguments for its devices ("--disk", "path=...", "--net", "tap=...,mac=...", ...,
 * NULL; free with cellad_devices_args_free), the TAPs created and enslaved. On failure nothing is left.
 */
char **cellad_devices_vm_prepare(struct cellad *d, const char *name, json_t *devices, cella_err_t *err);
void cellad_devices_args_free(char **args);
/* VM: {"DEVICE": {"host_name": TAP, "hwaddr": MAC}} for its NIC devices that have a TAP recorded (new reference). */
json_t *cellad_devices_vm_taps(struct cellad *d, const char *name);
/* VM: removes the TAPs of its NIC devices (a persistent TAP outlives its VMM). */
void cellad_devices_vm_release(struct cellad *d, const char *name);

#endif
