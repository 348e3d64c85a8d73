/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Boot timer on port 0x80 (Cloud Hypervisor's port; Firecracker's marker
 * value): a write of 123 means "the guest reached init" and logs the time
 * since the VMM started. Any other value is an ordinary POST code and is
 * ignored, as are the dummy writes Linux uses for I/O delays.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/vmm.h"
#include "platform/layout.h"

#define BOOT_TIMER_MARKER 123

struct boot_timer {
	struct vmm *vm;
};

static void boot_timer__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct boot_timer *t = opaque;

	if (!is_write) {
		memset(data, 0xff, len);
		return;
	}
	if (data[0] == BOOT_TIMER_MARKER)
		fprintf(stderr, "boot-timer: guest reached marker %d after %.3f ms since start\n",
			BOOT_TIMER_MARKER, vmm__ms_since_start(t->vm));
}

static void boot_timer__exit(struct vmm *vm, void *state)
{
	free(state);
}

static void *boot_timer__init(struct vmm *vm, cella_err_t *err)
{
	struct boot_timer *t = calloc(1, sizeof(*t));

	if (!t) {
		cella_error_make(err, ENOMEM, "boot-timer");
		return NULL;
	}
	t->vm = vm;
	if (vmm_bus__register(&vm->pio, PLATFORM_BOOT_TIMER_PORT, 1, "boot-timer", boot_timer__io, t, err) <
	    0) {
		free(t);
		return NULL;
	}
	return t;
}

static struct vmm_device_desc boot_timer_device = {
	.name = "boot-timer", .init = boot_timer__init, .exit = boot_timer__exit};
VMM_DEVICE_REGISTER(boot_timer_device)
