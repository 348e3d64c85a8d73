/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_TEARDOWN_H
#define CELLA_VMM_CORE_TEARDOWN_H

#include <stdbool.h>
#include <sys/types.h>

#include <cella/error.h>

/*
 * Asynchronous teardown (the idea of QEMU's -async-teardown, carried to the KVM file
 * descriptors): destroying a VM (the last close of its KVM fd) and its address space
 * takes the kernel tens of milliseconds on some hosts (~23 ms on this nested one: RCU
 * and SRCU grace periods in kvm_destroy_vm), time the VMM's caller would otherwise
 * wait for after the guest has already stopped.
 *
 * vmm_teardown__detach() starts a tiny process that shares the VMM's address space
 * (CLONE_VM) and holds its own copies of the KVM file descriptors (the VM and vCPU
 * fds: it closes every other fd it inherited, so no pipe or socket of the VMM stays
 * open), then only waits for the VMM to die (PR_SET_PDEATHSIG). When the VMM exits,
 * the last references to the memory and to the VM are the helper's, so the kernel
 * tears the VM down when the helper dies, after the VMM's exit status has reached its
 * parent. The helper is named "cella-teardown"; it runs no library code.
 *
 * Call it from the main thread (the death signal follows the creating thread), with
 * the stop signals blocked, once the VM and its vCPUs exist. Returns the helper's pid,
 * or -1 with err set (the VMM then simply tears down synchronously).
 */
pid_t vmm_teardown__detach(cella_err_t *err);

#endif
