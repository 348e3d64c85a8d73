/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_VCPU_H
#define CELLA_VMM_CORE_VCPU_H

#include <stdio.h>

#include "core/vmm.h"

/* KVM_CREATE_VCPU, its kvm_run mapping, CPUID, MSRs and (BSP) LAPIC LINT pins. */
int vmm_vcpu__create(struct vmm *vm, struct vmm_vcpu *vcpu, unsigned index, cella_err_t *err);
/* APs wait for INIT/SIPI from the guest: KVM_MP_STATE_UNINITIALIZED. */
int vmm_vcpu__set_waiting_for_sipi(struct vmm_vcpu *vcpu, cella_err_t *err);
int vmm_vcpu__start(struct vmm_vcpu *vcpu, cella_err_t *err);
/* Makes a running vCPU leave KVM_RUN (immediate_exit + a signal) so it sees a stop or pause. */
void vmm_vcpu__kick(struct vmm_vcpu *vcpu);
void vmm_vcpu__join(struct vmm_vcpu *vcpu);
void vmm_vcpu__destroy(struct vmm_vcpu *vcpu);
/* Prints rip, rsp, rflags, control registers, EFER and segments of a vCPU (after a crash). */
void vmm_vcpu__dump(struct vmm_vcpu *vcpu, const char *reason, FILE *out);
/* The signal that kicks vCPUs; its handler must be installed once per process. */
int vmm_vcpu__setup_kick_signal(cella_err_t *err);

#endif
