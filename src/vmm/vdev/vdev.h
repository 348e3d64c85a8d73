/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_VDEV_VDEV_H
#define CELLA_VMM_VDEV_VDEV_H

/*
 * virtio device back-ends (blk, net, console, rng, vsock) on the virtio-pci
 * transport. A device is created from an option string or a JSON object,
 * registered on the PCI bus by the VMM, and from then on runs entirely on the
 * VMM's device event-loop thread:
 *
 *   vdev_create("blk", &opts, &env, &dev, &err);
 *   pci_bus__register(bus, vdev_pci(dev), slot, 0, &err);
 *   for each queue q: KVM_IOEVENTFD at BAR0 + vdev_notify_offset(q), fd vdev_queue_eventfd(dev, q)
 *   vmm_evloop__add(ev, vdev_fd(dev), EPOLLIN, on_ready, dev, &err);   on_ready: vdev_handle(dev)
 *
 * vdev_fd() is the device's own epoll set (queue kick eventfds, TAP fd, unix
 * sockets, worker completions, rate-limiter timers): one fd a device, fixed
 * for its lifetime, whatever the device does inside. A guest write to a
 * notify register that KVM did not catch with an ioeventfd lands in the same
 * eventfd, so queue work never runs on a vCPU thread.
 *
 * Locking: vdev_handle() takes the PCI device lock (the one the bus holds
 * around BAR accesses) while it touches the rings.
 */
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <cella/error.h>

#include "guest_mem.h"
#include "pci/msix.h"
#include "pci/pci.h"
#include "virtio/virtio_pci.h"
#include "virtio/virtio_pci_state.h"
#include "vdev/vdev_opts.h"

#define VDEV_MAX_QUEUES 4
#define VDEV_ID_MAX	32

/* What the VMM gives every device. */
struct vdev_env {
	const struct guest_mem *mem;
	pci_msi_send_fn msi_send;
	pci_intx_fn intx;
	void *irq_opaque;
};

struct vdev;

/* Per device type; each device file defines one (vdev_blk_ops, ...). */
struct vdev_ops {
	const char *type; /* "blk", "net", "console", "rng", "vsock" */
	/* Parses opts and allocates the device (dev->info filled); no PCI function yet. */
	int (*create)(const struct vdev_opts *opts, struct vdev **out, cella_err_t *err);
	/* Called once the transport and the epoll set exist: watch extra fds here. Optional. */
	int (*start)(struct vdev *dev, cella_err_t *err);
	/* Queue q was kicked (device thread, lock held). */
	void (*queue_kick)(struct vdev *dev, unsigned q);
	/* A fd the device watched with vdev_watch() is ready (device thread, lock held). */
	void (*handle)(struct vdev *dev, int fd, uint32_t events);
	/*
	 * The driver reset the device (vCPU thread, lock held): forget guest state in memory only.
	 * No system calls here: the vCPU threads' seccomp filter has none to spare. Optional.
	 */
	void (*reset)(struct vdev *dev);
	/*
	 * Device thread, lock held, before any other work once a reset, DRIVER_OK or runtime
	 * update happened: bring fds in line with the state (TAP offloads, watched events,
	 * closing connections, timers). dev->resets tells whether a reset was among them. Optional.
	 */
	void (*sync)(struct vdev *dev);
	/* Requests handed to other threads and not completed yet. Optional. */
	unsigned (*inflight)(struct vdev *dev);
	/*
	 * Runtime update (rate limiters), any thread, lock held: opts hold only the keys to change;
	 * all or nothing. Store the new settings and call vdev_request_sync(): the device thread
	 * applies them in sync(). Optional.
	 */
	int (*update)(struct vdev *dev, const struct vdev_opts *opts, cella_err_t *err);
	/*
	 * Snapshot (lock held, nothing in flight): sets in o the back-end values a restore needs to
	 * re-create this device as it is (absolute image path, the MAC in use, CID...). Optional.
	 */
	int (*save_backend)(struct vdev *dev, struct vdev_opts *o, cella_err_t *err);
	/* Chains popped from queue q and held unused (offered again after a restore). Optional. */
	unsigned (*held_chains)(struct vdev *dev, unsigned q);
	/* Restore (lock held, before the device runs): the transport state is back. Optional. */
	void (*restored)(struct vdev *dev);
	/* Adds device-specific fields to the description. Optional. */
	void (*describe)(struct vdev *dev, json_t *obj);
	void (*destroy)(struct vdev *dev);
};

/* What a device asks of its transport. */
struct vdev_info {
	uint16_t virtio_id;
	uint32_t class_code;
	uint64_t features;
	uint16_t num_queues;
	uint16_t queue_size;
	uint8_t *config; /* little-endian device config space the guest reads */
	uint32_t config_size;
};

struct vdev {
	const struct vdev_ops *ops;
	char id[VDEV_ID_MAX];
	struct vdev_info info;
	struct virtio_pci vp;
	bool vp_ready;
	int epoll_fd;
	int kick_fd[VDEV_MAX_QUEUES];
	int sync_fd;		 /* eventfd: the device thread has state to catch up with */
	unsigned sync_requested; /* bumped (lock held) by resets, DRIVER_OK and updates */
	unsigned sync_done;
	unsigned resets;	   /* driver resets so far */
	struct virtq_chain *chain; /* scratch for pops on the device thread */
	uint64_t broken_queues;	   /* count, for describe() */
	bool quiesced;		   /* a snapshot is waiting: pop nothing new (vdev_set_quiesced) */
};

/* ---- for the VMM ---- */
/* type: "blk", "net", "console", "rng" or "vsock". */
/* Whether type names a device this VMM has ("blk", "net", ...). */
bool vdev_type_known(const char *type);
int vdev_create(const char *type, const struct vdev_opts *opts, const struct vdev_env *env, struct vdev **out,
		cella_err_t *err);
/* vdev_create() from a CLI string ("path=disk.img,readonly=on"); what names the option in errors ("--disk"). */
int vdev_create_from_string(const char *type, const char *what, const char *str, const struct vdev_env *env,
			    struct vdev **out, cella_err_t *err);
int vdev_create_from_json(const char *type, const char *what, const json_t *obj, const struct vdev_env *env,
			  struct vdev **out, cella_err_t *err);
void vdev_destroy(struct vdev *dev);
struct pci_device *vdev_pci(struct vdev *dev);
/* The fd to poll for EPOLLIN on the device thread; then call vdev_handle(). */
int vdev_fd(const struct vdev *dev);
void vdev_handle(struct vdev *dev);
/* Where queue q's notify register is in BAR 0, and the eventfd a KVM ioeventfd there should signal. */
uint64_t vdev_notify_offset(unsigned q);
int vdev_queue_eventfd(const struct vdev *dev, unsigned q);
/* Runtime changes (rate limiters: bps, iops, ...). */
int vdev_update(struct vdev *dev, const struct vdev_opts *opts, cella_err_t *err);
/*
 * Runs vdev_handle() until no request is in flight (snapshot); fails after timeout_ms. Call it
 * on the device thread, or with the event loop stopped.
 */
int vdev_drain(struct vdev *dev, int timeout_ms, cella_err_t *err);
unsigned vdev_inflight(struct vdev *dev);
/*
 * Snapshots (vdev_state.c). Call with the device lock held (pci_device__lock(vdev_pci(dev))) and
 * vdev_inflight() 0: every request the device popped is completed and in the used ring. The saved
 * queue state offers chains the device held unused (net rx buffers) again; backend gets the
 * options that re-create the device (vdev_create(type, backend, ...)).
 */
/*
 * Lock held. On: the device pops no new request (queued ones wait in the avail rings), so what is
 * in flight can only drain, even behind a rate limiter. Off: every queue is looked at again.
 */
void vdev_set_quiesced(struct vdev *dev, bool on);
int vdev_save_state(struct vdev *dev, struct vdev_opts *backend, struct virtio_pci_state *st,
		    cella_err_t *err);
/*
 * Loads saved transport state into a device just made by vdev_create() from the saved back-end
 * options, before the event loop runs it; then looks at every live queue once (requests the guest
 * queued before the snapshot and the device had not popped yet).
 */
int vdev_load_state(struct vdev *dev, const struct virtio_pci_state *st, cella_err_t *err);
const char *vdev_type(const struct vdev *dev);
/*
 * {"id", "type", "virtio_id", "pci" (once registered), "status", "features", "inflight",
 * device fields, "stats"}; NULL only on allocation failure.
 */
json_t *vdev_describe(struct vdev *dev);

/* ---- for device implementations ---- */
/* Undoes vdev_create()'s part; each destroy() calls it last, before free(dev). */
void vdev_base_release(struct vdev *dev);
int vdev_watch(struct vdev *dev, int fd, uint32_t events, cella_err_t *err);
int vdev_watch_modify(struct vdev *dev, int fd, uint32_t events);
void vdev_unwatch(struct vdev *dev, int fd);
/* Fills common fields; call first in create(). */
void vdev_base_init(struct vdev *dev, const struct vdev_ops *ops, const struct vdev_opts *opts);
/* Asks the device thread to run ops->sync() (lock held). */
void vdev_request_sync(struct vdev *dev);
/* The live queue q or NULL. */
struct virtq *vdev_queue(struct vdev *dev, unsigned q);
/* Pops into dev->chain: 1 got one, 0 empty or queue not live, -1 broken (device marked NEEDS_RESET). */
int vdev_pop(struct vdev *dev, unsigned q);
/* Returns chain (head, epoch) with len bytes written; a stale chain (popped before a reset) is dropped. */
void vdev_push(struct vdev *dev, unsigned q, uint16_t head, uint32_t epoch, uint32_t len);
/* Interrupts the guest for queue q if it asked for it. */
void vdev_signal(struct vdev *dev, unsigned q);
bool vdev_has_feature(const struct vdev *dev, unsigned bit);

extern const struct vdev_ops vdev_blk_ops, vdev_net_ops, vdev_console_ops, vdev_rng_ops, vdev_vsock_ops;

#endif
