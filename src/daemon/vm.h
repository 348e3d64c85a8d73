/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLAD_VM_H
#define CELLAD_VM_H

/*
 * VM instances: one cella-vmm process per VM, started detached (own session,
 * so it outlives cellad) and driven through its --api-socket in the instance
 * directory: <root>/instances/NAME/{vmm.sock, vmm.pid, vmm.log, console.log}.
 * A restarted cellad finds it again through vmm.pid (checked against the
 * process's command line, so a recycled pid is never taken for it) and the
 * socket. The image directory holds vm/kernel, optional vm/initrd,
 * vm/cmdline and vm/disk.img (raw). An instance gets its own copy of the disk
 * (instances/NAME/disk.img, vm_disk.c) and, on the managed network, a TAP
 * (vm_nic.c); snapshots of VMs are vm_snapshot.c.
 */
#include <jansson.h>
#include <stdbool.h>

#include "daemon.h"

/* Validates the config keys of a VM (limits.cpu: 1..255 vCPUs, limits.memory: >= 2MiB). */
int cellad_vm_config_validate(json_t *config, cella_err_t *err);
/* Checks an image's vm/ directory: kernel required, only known files. */
int cellad_vm_image_check(const char *vm_dir, cella_err_t *err);

/* Spawns cella-vmm for the instance and waits (bounded) until its API answers. */
int cellad_vm_start(struct cellad *d, const char *name, const char *image_dir, json_t *config,
		    cella_err_t *err);
/* Starts the VMM with --restore snapshot_dir (a cella-vmm snapshot) instead of booting. */
int cellad_vm_start_restore(struct cellad *d, const char *name, const char *snapshot_dir, cella_err_t *err);
/* <instances>/NAME/disk.img (malloc'd): the instance's root disk, when its image has one. */
char *cellad_vm_disk_path(struct cellad *d, const char *name);
/* ACPI power button, then force-shutdown after timeout_s (at once with force), then SIGKILL; the TAP goes. */
int cellad_vm_stop(struct cellad *d, const char *name, int timeout_s, bool force, cella_err_t *err);
int cellad_vm_pause(struct cellad *d, const char *name, bool paused, cella_err_t *err);
/* "running", "paused" or "shutdown" (stopping) from the VMM, or NULL when no VMM runs for it. */
char *cellad_vm_status(struct cellad *d, const char *name);
/* {"cpu":{"usage":{"total":ns}},"memory":{"usage":{"usage":bytes}},"pid":N} from /proc, or NULL. */
json_t *cellad_vm_stats(struct cellad *d, const char *name);

/* One HTTP request to a unix socket (vm_api.c): *status = HTTP status, *body malloc'd (may be NULL). */
/* The VM's COM1 socket (cella-vmm --console-socket), or NULL when its path is too long for one. */
char *cellad_vm_console_socket(struct cellad *d, const char *name);
int cellad_vm_api(const char *socket_path, const char *method, const char *path, const char *json_body,
		  int *status, char **body, cella_err_t *err);

#endif
