/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VIRTIO_VIRTQUEUE_H
#define CELLA_VMM_VIRTIO_VIRTQUEUE_H

/*
 * The device side of a split virtqueue (virtio 1.2, 2.7). The guest owns the
 * rings and rewrites them while we read, so every guest field is read exactly
 * once into a local copy, validated, and only the copy is used. A queue the
 * guest corrupts (bad index, descriptor loop, address outside RAM, ...) becomes
 * "broken": it refuses all further work until the driver resets the device,
 * and the transport reports DEVICE_NEEDS_RESET. Nothing here can be made to
 * crash, loop or touch host memory outside guest RAM.
 *
 * Not thread-safe: one thread (the device's) pops and pushes a given queue.
 */
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include <cella/error.h>

#include "core/dirty_track.h"
#include "guest_mem.h"
#include "virtio/virtio_spec.h"

/* Most buffers (iovec entries) one chain may hold, direct and indirect together (as QEMU's 1024). */
#define VIRTQ_CHAIN_MAX 1024

/*
 * One popped chain: iov[0, nread) are device-readable buffers, then
 * iov[nread, nread + nwrite) device-writable ones. iov_base points into guest
 * RAM, which the guest may change at any moment: copy before validating.
 */
struct virtq_chain {
	uint16_t head;	/* descriptor index to hand back to virtq__push() */
	uint32_t epoch; /* the queue's epoch when popped (see virtq__push_chain) */
	unsigned nread;
	unsigned nwrite;
	uint64_t read_len;  /* sum of readable lengths */
	uint64_t write_len; /* sum of writable lengths */
	struct iovec iov[VIRTQ_CHAIN_MAX];
};

struct virtq {
	const struct guest_mem *mem;
	uint16_t size;	/* entries, a power of 2 */
	bool enabled;	/* rings validated and mapped */
	bool event_idx; /* VIRTIO_F_EVENT_IDX negotiated */
	bool indirect;	/* VIRTIO_F_INDIRECT_DESC negotiated */
	bool broken;	/* the guest corrupted the queue; needs a device reset */
	uint8_t *desc;	/* host pointers to the rings, valid while enabled */
	uint8_t *avail;
	uint8_t *used;
	uint16_t last_avail;	 /* next avail ring entry to consume */
	uint16_t used_idx;	 /* our copy of used->idx (the guest cannot change what we publish) */
	uint16_t signalled_used; /* used_idx when the guest was last interrupted (event index) */
	bool signalled_valid;
	uint32_t epoch; /* bumped by every reset: tells chains popped before a reset from current ones */
	/*
	 * Where the device's guest-memory writes are logged for diff snapshots (a
	 * popped chain's writable buffers, the used ring, avail_event), or NULL for
	 * none. Set once by whoever creates the queue; survives resets, like epoch.
	 */
	struct dirty_track *dirty;
};

/*
 * Validates and maps the rings: size a power of 2 in [1, 32768], the
 * descriptor table 16-byte aligned, avail 2-byte and used 4-byte aligned, each
 * wholly inside guest RAM. features: the negotiated feature bits. On failure
 * the queue stays disabled and err names the bad field.
 */
int virtq__enable(struct virtq *vq, const struct guest_mem *mem, uint16_t size, uint64_t desc_gpa,
		  uint64_t avail_gpa, uint64_t used_gpa, uint64_t features, cella_err_t *err);
/* Forgets everything but the epoch, which it advances, and dirty (device reset or queue disable). */
void virtq__reset(struct virtq *vq);

/*
 * Takes the next available chain. Its device-writable buffers are marked
 * dirty in vq->dirty now, before the device (or a worker) writes them: a
 * snapshot always waits for popped chains to complete, so a write is never
 * outside the window the mark covers. Returns 1 with *chain filled, 0 when the
 * queue is empty, or a negative status when the queue is broken (err says why;
 * vq->broken is set and stays set until virtq__reset()).
 */
int virtq__pop(struct virtq *vq, struct virtq_chain *chain, cella_err_t *err);

/*
 * Returns a chain to the guest: len is the number of bytes the device wrote
 * into its writable part. Returns negative on a head that is not a valid index
 * or on a disabled/broken queue (a device bug: nothing is written).
 */
int virtq__push(struct virtq *vq, uint16_t head, uint32_t len, cella_err_t *err);

/*
 * virtq__push() for a popped chain, refused (negative) when the queue was
 * reset since the pop: a request finishing after a device reset must not land
 * in the rings the driver set up afterwards.
 */
int virtq__push_chain(struct virtq *vq, const struct virtq_chain *chain, uint32_t len, cella_err_t *err);

/*
 * Marks again, in vq->dirty, the writable buffers of the last `held` chains
 * popped, which the device holds unused (net rx buffers waiting for a frame):
 * a snapshot collects and clears the log while they are held, and the device
 * writes them only afterwards. The chains are walked again from the rings; one
 * the guest has corrupted since (it gave the slot away) is skipped, and the
 * queue is not marked broken for it. Fails only for lack of memory.
 */
int virtq__dirty_mark_held(struct virtq *vq, unsigned held, cella_err_t *err);

/*
 * After one or more pushes: must the guest be interrupted? Honours
 * VIRTQ_AVAIL_F_NO_INTERRUPT, or with VIRTIO_F_EVENT_IDX the driver's
 * used_event. Records the interrupt as sent when it returns true.
 */
bool virtq__needs_notify(struct virtq *vq);

/* The event-index test (2.7.10): has used idx moved from old past event to new? */
static inline bool virtq__need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif
