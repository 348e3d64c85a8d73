/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_VIRTIO_DIRTY_H
#define CELLA_VMM_CORE_VIRTIO_DIRTY_H

/*
 * The VM's log of guest pages its virtio devices wrote (core/dirty_track.h),
 * kept next to KVM's dirty log for diff snapshots. Every queue of every
 * device points at it from attach time on; it counts only once started.
 * Implemented in virtio_glue.c, which owns the devices.
 */
#include <stdint.h>

#include <cella/error.h>

struct vmm;

/*
 * Starts (or keeps) logging device writes with vm->mem's layout, marking the
 * buffers of chains the devices hold unused; 0 without virtio devices.
 * Devices locked and quiesced (or not running yet).
 */
int vmm_virtio__dirty_start(struct vmm *vm, cella_err_t *err);
/*
 * ORs the pages devices wrote since the last call into bitmap (snapshot.dirty
 * layout) and clears them, then marks again the buffers of chains the devices
 * hold unused (they are written after this snapshot). Devices locked and
 * quiesced. Fails only for lack of memory; the bitmap has the bits anyway.
 */
int vmm_virtio__dirty_collect(struct vmm *vm, uint8_t *bitmap, cella_err_t *err);

#endif
