/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_VMM_H
#define CELLA_VMM_CORE_VMM_H

/*
 * One virtual machine: the KVM file descriptors, guest RAM, the buses the
 * devices sit on, the vCPU threads and the device event loop. Threads:
 *   main (control)  - set-up, then waits for a stop request or SIGTERM/SIGINT;
 *   vcpu N          - KVM_RUN loop, exits dispatched to the buses;
 *   devices         - epoll loop: console input, timers;
 *   api             - the HTTP control API (src/vmm/api), when --api-socket is given.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <cella/error.h>

#include "guest_mem.h"
#include "core/bus.h"
#include "core/config.h"
#include "core/evloop.h"

struct vmm;
struct kvm_run;
struct vmm_pci;
struct vmm_virtio;

struct vmm_vcpu {
	struct vmm *vm;
	unsigned index;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	bool started;
	/*
	 * The CPUID table given to KVM_SET_CPUID2, kept for snapshots: on some
	 * hosts KVM_GET_CPUID2 reports host bits the VMM never offered.
	 */
	struct kvm_cpuid2 *cpuid;
};

/* Why the VM stopped; decides the exit status. */
enum vmm_stop_reason {
	VMM_STOP_NONE,
	VMM_STOP_POWEROFF,
	VMM_STOP_RESET,
	VMM_STOP_DEBUG_EXIT,
	VMM_STOP_CRASH,
	VMM_STOP_HOST_ERROR,
	VMM_STOP_SIGNAL,
	VMM_STOP_API,
};

/* What this host's KVM offers for saving vCPU state (vmm_state__probe). */
struct vmm_state_caps {
	bool xsave, xcrs, debugregs;
	uint32_t *msr_indices; /* KVM_GET_MSR_INDEX_LIST */
	unsigned nmsrs;
};

/* A request the API thread hands to the main thread (which may do file I/O under its filter). */
/* A request for the main thread: a snapshot to path, or (path == NULL) a pause (PUT /vm/state paused),
 * answered once the vCPUs are parked and the devices drained. */
struct vmm_ctl_request {
	const char *path;
	bool diff, resume;
	bool done;
	int rc;
	cella_err_t err;
};

struct vmm_device_instance {
	const struct vmm_device_desc *desc;
	void *state;
};

struct vmm {
	const struct vmm_config *cfg;
	int kvm_fd;
	int vm_fd;
	int mem_fd;
	uint8_t *ram;
	uint64_t ram_size;
	struct guest_mem mem;
	struct vmm_bus pio;
	struct vmm_bus mmio;
	struct vmm_vcpu *vcpus;
	unsigned ncpus;
	struct vmm_evloop evloop;
	struct vmm_device_instance *devices;
	unsigned ndevices;
	/* The PCI host bridge (pci_glue.c) and the virtio devices on it (virtio_glue.c). */
	struct vmm_pci *pci;
	struct vmm_virtio *virtio;
	int console_out; /* COM1 output: stdout, a file, or -1 (none) */
	bool console_out_owned;
	struct timespec start; /* CLOCK_MONOTONIC at process start (a constructor), for the boot timer */
	atomic_int stop_reason;
	atomic_int exit_status;
	atomic_bool paused;
	int stop_efd; /* readable once a stop was requested */
	pthread_mutex_t state_lock;
	pthread_cond_t state_cond;  /* vCPUs wait here while paused */
	pthread_cond_t parked_cond; /* a vCPU parked (vcpus_parked changed) */
	unsigned vcpus_parked;	    /* vCPU threads out of KVM_RUN, waiting while paused */
	/* Snapshots (snapshot_ctl.c). */
	struct vmm_state_caps caps;
	bool ram_from_snapshot;	   /* ram is a MAP_PRIVATE mapping of a snapshot's memory file */
	bool dirty_logging;	   /* KVM_MEM_LOG_DIRTY_PAGES is on for the RAM slots */
	char *snapshot_base;	   /* the last full snapshot (the base of diffs), or NULL */
	uint8_t *dirty_since_base; /* pages written since snapshot_base (diff bitmap layout) */
	int ctl_efd;		   /* readable when ctl_pending holds a request for the main thread */
	pthread_mutex_t ctl_lock;
	pthread_cond_t ctl_cond;
	struct vmm_ctl_request *ctl_pending;
	bool ctl_busy;	 /* a request is queued or running: the next one waits */
	bool ctl_closed; /* the main thread stopped serving requests */
	/* Generation ID (dev_vmgenid.c): new random bytes on every restore, so clones differ. */
	uint8_t generation_id[16];
	uint32_t generation; /* how many restores this VM's lineage went through */
	/* Presses the ACPI power button (set by the ACPI PM device); NULL without one. */
	void (*power_button)(struct vmm *vm);
	void *power_button_opaque;
};

/*
 * Device registration, kvmtool style: each device file ends with
 * VMM_DEVICE_REGISTER(desc) and needs no central table. init() claims its
 * ranges and returns its state; exit() frees it. Devices are created in
 * registration (link) order, destroyed in reverse.
 */
struct vmm_state_buf;

struct vmm_device_desc {
	const char *name;
	void *(*init)(struct vmm *vm, cella_err_t *err);
	void (*exit)(struct vmm *vm, void *state);
	/*
	 * Snapshots: save() appends the device's state (section "dev.NAME",
	 * version state_version); load() restores it into a freshly init()ed
	 * device and refuses any version it cannot read. A device without them
	 * has no state worth keeping.
	 */
	uint32_t state_version;
	int (*save)(struct vmm *vm, void *state, struct vmm_state_buf *out, cella_err_t *err);
	int (*load)(struct vmm *vm, void *state, uint32_t version, const void *data, size_t len,
		    cella_err_t *err);
	struct vmm_device_desc *next;
};

void vmm_device__add(struct vmm_device_desc *desc);
const struct vmm_device_desc *vmm_device__first(void);

#define VMM_DEVICE_REGISTER(desc)                                       \
	static void __attribute__((constructor)) desc##__register(void) \
	{                                                               \
		vmm_device__add(&(desc));                               \
	}

/* Creates the VM, its memory, devices and vCPUs, and loads the kernel. */
int vmm__create(const struct vmm_config *cfg, struct vmm **out, cella_err_t *err);
/*
 * Creates the VM from the snapshot in dir instead (memory mapped from its
 * memory file, all state loaded); cfg's memory size and vCPU count are set from
 * the snapshot. Errors about the snapshot itself carry status VMM_EXIT_USAGE.
 */
int vmm__restore(struct vmm_config *cfg, const char *dir, struct vmm **out, cella_err_t *err);
/*
 * Snapshot of the running VM into dir (snapshot_ctl.c): pauses the vCPUs,
 * saves everything, resumes when resume is set or leaves the VM paused. Main
 * thread only; the API thread goes through vmm__ctl_submit().
 */
int vmm__snapshot(struct vmm *vm, const char *dir, bool diff, bool resume, cella_err_t *err);
/* From any thread but main: runs req on the main thread and waits for it. */
int vmm__ctl_submit(struct vmm *vm, struct vmm_ctl_request *req, cella_err_t *err);
/* Main thread: serves a pending request (ctl_efd readable); with closing, fails it and all later ones. */
void vmm__ctl_serve(struct vmm *vm, bool closing);
/*
 * The pieces of vmm__create, for vmm__restore: the shell (KVM VM, irqchip,
 * PIT, buses, event loop, console; no RAM), then — once RAM is there — the
 * devices and the vCPUs (CPUID and boot MSRs set, registers not). The irqchip
 * and PIT are created by vmm__create_vcpus(), after RAM is registered: see
 * create_irqchip() in vm.c for why.
 */
int vmm__create_shell(const struct vmm_config *cfg, struct vmm **out, cella_err_t *err);
int vmm__create_vcpus(struct vmm *vm, cella_err_t *err);
/* Starts the vCPU and device threads. */
int vmm__start(struct vmm *vm, cella_err_t *err);
/* Waits for a stop request (guest, API or signal fd), stops every thread; returns the exit status. */
int vmm__wait(struct vmm *vm, int signal_fd);
void vmm__destroy(struct vmm *vm);

/*
 * Requests a stop. The first request wins: its status becomes the exit
 * status. Safe from any thread.
 */
void vmm__request_stop(struct vmm *vm, enum vmm_stop_reason reason, int status);
bool vmm__stopping(struct vmm *vm);

/* Pauses or resumes every vCPU (the API's "paused" and "running"). */
void vmm__set_paused(struct vmm *vm, bool paused);

/* Asks the guest to shut down (ACPI power button). Returns -1 when the VM has no such device. */
int vmm__request_guest_shutdown(struct vmm *vm);

/* Sets an interrupt line to a level (for level-triggered lines such as the ACPI SCI). */
void vmm__irq_set(struct vmm *vm, unsigned irq, bool level);

/* Raises an edge on an ISA interrupt line of the in-kernel PIC and IOAPIC. */
void vmm__irq_pulse(struct vmm *vm, unsigned irq);

/* Writes guest console output to the console target. */
void vmm__console_write(struct vmm *vm, const uint8_t *buf, size_t len);

/* Milliseconds since the VMM process started (before main()). */
double vmm__ms_since_start(const struct vmm *vm);

#endif
