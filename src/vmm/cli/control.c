/* SPDX-License-Identifier: GPL-2.0-or-later */
/* What the HTTP control API can see and do to the VM (GET /vm, PUT /vm/state). */
#include "cli/control.h"

#include <string.h>

#include "api/devices.h"
#include "core/vmm.h"

static const char *console_name(const struct vmm_config *cfg)
{
	switch (cfg->console) {
	case VMM_CONSOLE_STDIO:
		return "stdio";
	case VMM_CONSOLE_NONE:
		return "none";
	case VMM_CONSOLE_FILE:
		return "file";
	}
	return "?";
}

static json_t *control__describe(void *opaque)
{
	struct vmm *vm = opaque;
	const struct vmm_config *cfg = vm->cfg;
	const char *state = vmm__stopping(vm) ? "shutdown" : atomic_load(&vm->paused) ? "paused" : "running";

	return json_pack("{s:s, s:{s:s?, s:s?, s:s?, s:s?, s:I, s:i, s:s, s:s?, s:b}, s:I}", "state", state,
			 "config", "kernel", cfg->kernel, "restore", cfg->restore, "initrd", cfg->initrd,
			 "cmdline", cfg->cmdline, "memory_mib", (json_int_t)cfg->memory_mib, "cpus",
			 (int)cfg->cpus, "console", console_name(cfg), "console_path", cfg->console_path,
			 "hugepages", cfg->hugepages, "generation", (json_int_t)vm->generation);
}

static int control__set_state(void *opaque, const char *state, cella_err_t *err)
{
	struct vmm *vm = opaque;

	if (vmm__stopping(vm)) {
		cella_error_make(err, 0, "the VM is shutting down");
		cella_error_set_status(*err, 409);
		return -1;
	}
	if (strcmp(state, "paused") == 0) {
		/* The main thread parks the vCPUs and drains the devices; 204 only once the VM is still. */
		struct vmm_ctl_request req = {.path = NULL};

		return vmm__ctl_submit(vm, &req, err);
	} else if (strcmp(state, "running") == 0) {
		vmm__set_paused(vm, false);
	} else if (strcmp(state, "force-shutdown") == 0) {
		vmm__request_stop(vm, VMM_STOP_API, VMM_EXIT_OK);
	} else if (strcmp(state, "shutdown") == 0) {
		/* Graceful: press the ACPI power button; the guest decides when to power off. */
		if (vmm__request_guest_shutdown(vm) < 0) {
			cella_error_make(err, 0, "this VM has no ACPI power button; use 'force-shutdown'");
			cella_error_set_status(*err, 409);
			return -1;
		}
	} else {
		cella_error_make(err, 0, "state '%s' is not one of paused, running, shutdown, force-shutdown",
				 state);
		cella_error_set_status(*err, 400);
		return -1;
	}
	return 0;
}

/* The API thread may not write files: the main thread takes the snapshot while this one waits. */
static int control__snapshot(void *opaque, const char *path, bool diff, bool resume, cella_err_t *err)
{
	struct vmm *vm = opaque;
	struct vmm_ctl_request req = {.path = path, .diff = diff, .resume = resume};

	return vmm__ctl_submit(vm, &req, err);
}

const struct vmm_api_ops vmm_control_ops = {
	.describe = control__describe,
	.set_state = control__set_state,
	.snapshot = control__snapshot,
	.devices = vmm_api_devices__list,
	.device = vmm_api_devices__describe,
	.update_device = vmm_api_devices__update,
};
