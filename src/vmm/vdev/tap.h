/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VDEV_TAP_H
#define CELLA_VMM_VDEV_TAP_H

/* TAP devices for virtio-net: opened with a virtio-net header on every frame. */
#include <stdbool.h>

#include <cella/error.h>

#define TAP_VNET_HDR_SIZE 12 /* struct virtio_net_hdr_v1 (num_buffers included) */

/* Opens (creating if needed) TAP name, non-blocking, IFF_TAP | IFF_NO_PI | IFF_VNET_HDR, 12-byte header. */
int tap_open(const char *name, cella_err_t *err);
/* Which offloads the reader (us, for the guest) accepts: TUN_F_CSUM, TSO4, TSO6. */
int tap_set_offload(int fd, bool csum, bool tso4, bool tso6);

#endif
