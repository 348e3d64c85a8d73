/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_CPU_SETUP_H
#define CELLA_VMM_CORE_CPU_SETUP_H

#include "core/vmm.h"

/* CPUID (vmm_platform__cpuid), boot MSRs, and on the BSP the LAPIC LINT0=ExtINT / LINT1=NMI wiring. */
int vmm_cpu_setup__vcpu(struct vmm *vm, struct vmm_vcpu *vcpu, cella_err_t *err);

#endif
