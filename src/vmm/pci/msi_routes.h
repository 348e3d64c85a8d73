/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_PCI_MSI_ROUTES_H
#define CELLA_VMM_PCI_MSI_ROUTES_H

/*
 * MSI messages delivered through irqfds, as Firecracker, Cloud Hypervisor and
 * QEMU do: each distinct (address, data) pair a device sends gets a GSI above
 * the IOAPIC's pins, a routing entry "GSI -> this MSI message" and an eventfd
 * bound to the GSI; from then on an interrupt is an 8-byte write to that
 * eventfd instead of a KVM_SIGNAL_MSI ioctl.
 *
 * Routes are derived lazily from what is sent, never from a separate call, so
 * an MSI-X table restored byte for byte from a snapshot just works. The table
 * is bounded: once full, messages without a route go through the fallback
 * (KVM_SIGNAL_MSI), said once in the log. When the guest reprograms a vector,
 * msi_routes__retire() marks the old message's route stale: its GSI and
 * eventfd are reused by the next new message (one routing-table update, no new
 * eventfd), or revived for free if the old message comes back.
 *
 * The KVM calls sit behind struct msi_backend so the bookkeeping is testable
 * without /dev/kvm. Thread safety: any thread may send or retire (device
 * thread, vCPU threads); one mutex guards the table and the eventfd write.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#define MSI_ROUTES_MAX	     256
#define MSI_ROUTES_FIRST_GSI 24 /* GSIs 0-23 are the IOAPIC's pins */

struct msi_route {
	uint64_t addr;
	uint32_t data;
	uint32_t gsi;
	int fd;	    /* eventfd bound to gsi (KVM_IRQFD) */
	bool stale; /* the vector that sent it was reprogrammed: reusable */
};

/* What the table asks of KVM. Every call but signal() is made with the table's lock held. */
struct msi_backend {
	/* Replaces the whole routing table: the default IOAPIC/PIC routes plus these n MSI routes. */
	int (*set_routes)(void *opaque, const struct msi_route *routes, unsigned n);
	/* A new eventfd bound to gsi; its fd, or -1. */
	int (*bind)(void *opaque, uint32_t gsi);
	/* Undoes bind() (destroy only). */
	void (*unbind)(void *opaque, uint32_t gsi, int fd);
	/* Raises the interrupt bound to fd; -1 on failure. */
	int (*fire)(void *opaque, int fd);
	/* The fallback: delivers one message directly (KVM_SIGNAL_MSI). */
	void (*signal)(void *opaque, uint64_t addr, uint32_t data);
	/* One line for the VMM's log (stderr). */
	void (*log)(void *opaque, const char *msg);
};

struct msi_routes_stats {
	uint64_t irqfd;	     /* messages sent through an irqfd */
	uint64_t fallback;   /* messages sent through backend->signal */
	uint64_t updates;    /* routing-table updates (set_routes calls that succeeded) */
	unsigned routes;     /* routes in the table (live and stale) */
	unsigned reused;     /* times a stale route was given to a new message */
	bool irqfd_disabled; /* the backend failed (or lacks irqfd): everything goes through signal */
};

struct msi_routes {
	pthread_mutex_t lock;
	const struct msi_backend *be;
	void *opaque;
	bool use_irqfd;
	unsigned max; /* <= MSI_ROUTES_MAX */
	unsigned n;
	struct msi_route route[MSI_ROUTES_MAX];
	bool full_logged;
	struct msi_routes_stats stats;
};

/*
 * use_irqfd false (KVM without KVM_CAP_IRQFD / KVM_CAP_IRQ_ROUTING): every
 * message takes backend->signal. max routes, clamped to [0, MSI_ROUTES_MAX].
 */
void msi_routes__init(struct msi_routes *t, const struct msi_backend *be, void *opaque, bool use_irqfd,
		      unsigned max);
/* Unbinds and closes every eventfd. No sender may run any more. */
void msi_routes__destroy(struct msi_routes *t);
/* Delivers one MSI message. */
void msi_routes__send(struct msi_routes *t, uint64_t addr, uint32_t data);
/* A vector that sent (addr, data) now sends something else: its route may be reused. No system calls. */
void msi_routes__retire(struct msi_routes *t, uint64_t addr, uint32_t data);
void msi_routes__stats(struct msi_routes *t, struct msi_routes_stats *out);

#endif
