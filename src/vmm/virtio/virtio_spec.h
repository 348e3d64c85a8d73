/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VIRTIO_SPEC_H
#define CELLA_VMM_VIRTIO_SPEC_H

/*
 * Numbers from the virtio 1.2 specification that the transport and the
 * virtqueue share. Everything in guest memory is little-endian.
 */
#include <stdint.h>

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01
#define VIRTIO_STATUS_DRIVER	  0x02
#define VIRTIO_STATUS_DRIVER_OK	  0x04
#define VIRTIO_STATUS_FEATURES_OK 0x08
#define VIRTIO_STATUS_NEEDS_RESET 0x40
#define VIRTIO_STATUS_FAILED	  0x80

/* Reserved (transport/ring) feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC	   28
#define VIRTIO_F_EVENT_IDX	   29
#define VIRTIO_F_VERSION_1	   32
#define VIRTIO_F_ACCESS_PLATFORM   33
#define VIRTIO_F_RING_PACKED	   34
#define VIRTIO_F_IN_ORDER	   35
#define VIRTIO_F_ORDER_PLATFORM	   36
#define VIRTIO_F_SR_IOV		   37
#define VIRTIO_F_NOTIFICATION_DATA 38
#define VIRTIO_F_NOTIF_CONFIG_DATA 39
#define VIRTIO_F_RING_RESET	   40
#define VIRTIO_BIT(b)		   (1ULL << (b))
/* Bits 28..40 belong to the transport; a device may offer only those cella implements. */
#define VIRTIO_TRANSPORT_F_MASK (((1ULL << 41) - 1) & ~((1ULL << 28) - 1))
#define VIRTIO_TRANSPORT_F_SUPPORTED \
	(VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) | VIRTIO_BIT(VIRTIO_F_EVENT_IDX) | VIRTIO_BIT(VIRTIO_F_VERSION_1))

/* Split virtqueue (2.7). */
#define VIRTQ_DESC_F_NEXT	   1
#define VIRTQ_DESC_F_WRITE	   2
#define VIRTQ_DESC_F_INDIRECT	   4
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	   1
#define VIRTQ_MAX_SIZE		   32768

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

/* Ring sizes in bytes for a queue of n entries (event-index fields included). */
#define VIRTQ_DESC_BYTES(n)  (16ULL * (n))
#define VIRTQ_AVAIL_BYTES(n) (6ULL + 2ULL * (n))
#define VIRTQ_USED_BYTES(n)  (6ULL + 8ULL * (n))

/* virtio-pci (4.1). */
#define VIRTIO_PCI_VENDOR_ID	  0x1AF4
#define VIRTIO_PCI_DEVICE_ID_BASE 0x1040 /* + virtio device id: modern-only device */
#define VIRTIO_PCI_CAP_COMMON_CFG 1
#define VIRTIO_PCI_CAP_NOTIFY_CFG 2
#define VIRTIO_PCI_CAP_ISR_CFG	  3
#define VIRTIO_PCI_CAP_DEVICE_CFG 4
#define VIRTIO_PCI_CAP_PCI_CFG	  5
#define VIRTIO_MSI_NO_VECTOR	  0xFFFF
#define VIRTIO_PCI_ISR_QUEUE	  0x1
#define VIRTIO_PCI_ISR_CONFIG	  0x2

#endif
