/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_SECCOMP_H
#define CELLA_VMM_SECCOMP_H

/*
 * Per-thread seccomp allow-lists for cella-vmm, as Firecracker does: each thread,
 * once its set-up is done, installs a filter that allows only the system calls
 * its job needs (for ioctl: only the KVM requests it makes). Anything else kills
 * the whole process (SCMP_ACT_KILL_PROCESS), so a guest that takes over a vCPU
 * thread through a device bug still cannot open files or sockets.
 * Debug a kill with `cella-vmm --no-seccomp` and strace.
 *
 * Rules for the threads that install these filters: only the main thread ends
 * the process (vCPU, device and API threads report to it and return), because the
 * exit path (and, in sanitizer builds, the leak check) needs calls the others
 * may not make; and jansson must be seeded (json_object_seed) before a filtered
 * thread first builds a JSON object, since seeding opens /dev/urandom.
 */
#include <stdbool.h>

#include <cella/error.h>

enum vmm_thread_kind {
	VMM_THREAD_MAIN,    /* waits for the VM to end, stops threads */
	VMM_THREAD_VCPU,    /* KVM_RUN loop and port/MMIO device emulation */
	VMM_THREAD_DEVICES, /* epoll loop: console input, timers, back-ends */
	VMM_THREAD_API,	    /* control API socket */
};

/* Turns every later vmm_seccomp__install() into a no-op (--no-seccomp). */
void vmm_seccomp__set_enabled(bool enabled);
bool vmm_seccomp__enabled(void);
/* Installs the calling thread's filter. */
int vmm_seccomp__install(enum vmm_thread_kind kind, cella_err_t *err);
/* The thread kind's name, for messages. */
const char *vmm_seccomp__kind_name(enum vmm_thread_kind kind);

#endif
