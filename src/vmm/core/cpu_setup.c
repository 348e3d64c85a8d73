/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/cpu_setup.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <cella/cleanup.h>

#include "platform/platform.h"

#define MSR_IA32_MISC_ENABLE		 0x1a0
#define MSR_IA32_MISC_ENABLE_FAST_STRING (1ULL << 0)
#define MSR_MTRR_DEF_TYPE		 0x2ff
#define MTRR_DEF_TYPE_ENABLE		 (1ULL << 11)
#define MTRR_TYPE_WRBACK		 6

#define APIC_LVT_LINT0	     0x350
#define APIC_LVT_LINT1	     0x360
#define APIC_MODE_NMI	     0x4
#define APIC_MODE_EXTINT     0x7
#define APIC_LVT_DELIVERY(m) ((uint32_t)(m) << 8)

/* The table given to KVM stays in vcpu->cpuid (snapshots save it): computed once per vCPU, as
 * KVM_GET_SUPPORTED_CPUID is one of the slower calls of a VMM's start. */
static int setup_cpuid(struct vmm *vm, struct vmm_vcpu *vcpu, cella_err_t *err)
{
	struct kvm_cpuid2 *cpuid = NULL;

	/* --cpu-profile paravirt: the KVM leaves let a guest find kvmclock and PV EOI; full hides them. */
	if (vmm_platform__cpuid(vm->kvm_fd, vcpu->index, vm->cfg->cpus,
				vm->cfg->cpu_profile == VMM_CPU_PROFILE_PARAVIRT, &cpuid, err) < 0)
		return -1;
	free(vcpu->cpuid);
	vcpu->cpuid = cpuid;
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0)
		return cella_error_sys(err, "KVM_SET_CPUID2");
	return 0;
}

static int setup_msrs(struct vmm_vcpu *vcpu, cella_err_t *err)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entries[2];
	} msrs;

	memset(&msrs, 0, sizeof(msrs));
	/* What firmware leaves set: fast strings on, memory write-back unless an MTRR says otherwise. */
	msrs.entries[0] = (struct kvm_msr_entry){.index = MSR_IA32_MISC_ENABLE,
						 .data = MSR_IA32_MISC_ENABLE_FAST_STRING};
	msrs.entries[1] = (struct kvm_msr_entry){.index = MSR_MTRR_DEF_TYPE,
						 .data = MTRR_DEF_TYPE_ENABLE | MTRR_TYPE_WRBACK};
	msrs.hdr.nmsrs = 2;
	if (ioctl(vcpu->fd, KVM_SET_MSRS, &msrs) != 2)
		return cella_error_make(err, errno, "KVM_SET_MSRS: IA32_MISC_ENABLE/MTRR_DEF_TYPE refused");
	return 0;
}

static uint32_t lapic_get(const struct kvm_lapic_state *l, unsigned reg)
{
	uint32_t v;

	memcpy(&v, &l->regs[reg], sizeof(v));
	return v;
}

static void lapic_set(struct kvm_lapic_state *l, unsigned reg, uint32_t v)
{
	memcpy(&l->regs[reg], &v, sizeof(v));
}

/* The BSP's LAPIC in virtual-wire mode: the 8259's output arrives on LINT0, NMIs on LINT1. */
static int setup_bsp_lapic(struct vmm_vcpu *vcpu, cella_err_t *err)
{
	struct kvm_lapic_state lapic;

	if (ioctl(vcpu->fd, KVM_GET_LAPIC, &lapic) < 0)
		return cella_error_sys(err, "KVM_GET_LAPIC");
	lapic_set(&lapic, APIC_LVT_LINT0,
		  (lapic_get(&lapic, APIC_LVT_LINT0) & ~0x700u) | APIC_LVT_DELIVERY(APIC_MODE_EXTINT));
	lapic_set(&lapic, APIC_LVT_LINT1,
		  (lapic_get(&lapic, APIC_LVT_LINT1) & ~0x700u) | APIC_LVT_DELIVERY(APIC_MODE_NMI));
	if (ioctl(vcpu->fd, KVM_SET_LAPIC, &lapic) < 0)
		return cella_error_sys(err, "KVM_SET_LAPIC");
	return 0;
}

int vmm_cpu_setup__vcpu(struct vmm *vm, struct vmm_vcpu *vcpu, cella_err_t *err)
{
	if (setup_cpuid(vm, vcpu, err) < 0 || setup_msrs(vcpu, err) < 0)
		return -1;
	if (vcpu->index == 0 && setup_bsp_lapic(vcpu, err) < 0)
		return -1;
	return 0;
}
