/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Debug exit on port 0xf4, as QEMU's isa-debug-exit: a guest write of v ends
 * the VM with exit status (v << 1) | 1, so a test guest's verdict can never
 * be mistaken for a clean power-off (0). Accepts byte, word and dword writes;
 * the value is taken at the width written.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vmm.h"
#include "platform/layout.h"

struct debug_exit {
	struct vmm *vm;
};

static void debug_exit__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct debug_exit *d = opaque;
	uint32_t v = 0;

	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	memcpy(&v, data, len < sizeof(v) ? len : sizeof(v));
	vmm__request_stop(d->vm, VMM_STOP_DEBUG_EXIT, (int)(((v << 1) | 1) & 0xff));
}

static void debug_exit__exit(struct vmm *vm, void *state)
{
	free(state);
}

static void *debug_exit__init(struct vmm *vm, cella_err_t *err)
{
	struct debug_exit *d = calloc(1, sizeof(*d));

	if (!d) {
		cella_error_make(err, ENOMEM, "debug-exit");
		return NULL;
	}
	d->vm = vm;
	if (vmm_bus__register(&vm->pio, PLATFORM_DEBUG_EXIT_PORT, 4, "debug-exit", debug_exit__io, d, err) <
	    0) {
		free(d);
		return NULL;
	}
	return d;
}

static struct vmm_device_desc debug_exit_device = {
	.name = "debug-exit", .init = debug_exit__init, .exit = debug_exit__exit};
VMM_DEVICE_REGISTER(debug_exit_device)
