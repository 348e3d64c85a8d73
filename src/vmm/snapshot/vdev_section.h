/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_SNAPSHOT_VDEV_SECTION_H
#define CELLA_VMM_SNAPSHOT_VDEV_SECTION_H

/*
 * One virtio device in a snapshot: section "dev.virtio.N" (N = 0, 1, ... in
 * the order the devices were attached), version 1. It holds what re-creates
 * the device (its type, PCI slot and back-end options: image path, TAP name,
 * MAC, CID, socket, rate limits... as key=value pairs a restore hands to
 * vdev_create()) and the transport state (virtio_pci_state.h).
 * docs/snapshots.md specifies the byte layout. Decoding treats the bytes as
 * hostile: every length, count, string and flag is checked, and the section
 * must be consumed exactly.
 */
#include <stddef.h>
#include <stdint.h>

#include <cella/error.h>

#include "vdev/vdev_opts.h"
#include "virtio/virtio_pci_state.h"

#define VMM_VDEV_SECTION_PREFIX	 "dev.virtio."
#define VMM_VDEV_SECTION_VERSION 1U
#define VMM_VDEV_TYPE_MAX	 15
#define VMM_VDEV_OPT_KEY_MAX	 31
#define VMM_VDEV_OPT_VAL_MAX	 4095

struct vmm_vdev_section {
	char type[VMM_VDEV_TYPE_MAX + 1]; /* "blk", "net", "console", "rng", "vsock" */
	uint8_t slot;			  /* PCI slot on bus 0 (1..31) */
	struct vdev_opts opts;		  /* the back-end, as vdev_create() takes it */
	struct virtio_pci_state transport;
};

/* *out (malloc'd, *len bytes) holds the section; -1 only when out of memory. */
int vmm_vdev_section__encode(const struct vmm_vdev_section *s, uint8_t **out, size_t *len, cella_err_t *err);
/* name: the section's name, for messages and opts.what. Release s->opts with vdev_opts_release(). */
int vmm_vdev_section__decode(const char *name, const void *data, size_t len, struct vmm_vdev_section *s,
			     cella_err_t *err);

#endif
