/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Generation ID on ports 0x5e0-0x5f3 (read only): a guest's way to notice it
 * was restored from a snapshot — possibly as one of several clones — and must
 * re-seed its random number generators and renew whatever identity it derived
 * from them. Layout (little-endian, any access width of 1, 2 or 4 bytes):
 *   0x5e0  u32 generation: how many restores this VM's lineage went through
 *   0x5e4  16 bytes: generation ID, random, new on every restore (so two
 *          clones of one snapshot never share it), all zero on a fresh boot
 * Not Microsoft's ACPI "VMGENID" device (that needs a DSDT device with a
 * guest-allocated buffer and a notification); a guest polls these ports.
 * The values live in struct vmm (generation, generation_id): the snapshot
 * saves the generation (section vm.config), the restore bumps it and draws a
 * fresh ID.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/vmm.h"

#define VMGENID_PORT 0x5e0
#define VMGENID_LEN  20

struct vmgenid {
	struct vmm *vm;
};

static void vmgenid__io(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write)
{
	struct vmgenid *g = opaque;
	uint8_t window[VMGENID_LEN];
	uint32_t gen = g->vm->generation;

	if (is_write)
		return;
	memset(data, 0xff, len);
	/* Written before the vCPUs run and never while they do: plain reads are enough. */
	for (unsigned i = 0; i < 4; i++)
		window[i] = (uint8_t)(gen >> (8 * i));
	memcpy(window + 4, g->vm->generation_id, sizeof(g->vm->generation_id));
	if (offset >= VMGENID_LEN)
		return;
	memcpy(data, window + offset, len <= VMGENID_LEN - offset ? len : VMGENID_LEN - offset);
}

static void vmgenid__exit(struct vmm *vm, void *state)
{
	free(state);
}

static void *vmgenid__init(struct vmm *vm, cella_err_t *err)
{
	struct vmgenid *g = calloc(1, sizeof(*g));

	if (!g) {
		cella_error_make(err, ENOMEM, "vmgenid");
		return NULL;
	}
	g->vm = vm;
	if (vmm_bus__register(&vm->pio, VMGENID_PORT, VMGENID_LEN, "vmgenid", vmgenid__io, g, err) < 0) {
		free(g);
		return NULL;
	}
	return g;
}

static struct vmm_device_desc vmgenid_device = {
	.name = "vmgenid", .init = vmgenid__init, .exit = vmgenid__exit};
VMM_DEVICE_REGISTER(vmgenid_device)
