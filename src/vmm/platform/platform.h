/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_PLATFORM_H
#define CELLA_VMM_PLATFORM_H

/*
 * The PC platform the guest sees: its memory map (e820), firmware tables (MP
 * table and ACPI 2.0+) and CPUID. The numbers live in platform/layout.h.
 */
#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include <cella/error.h>

#include "guest_mem.h"
#include "platform/e820.h"
#include "platform/layout.h"

/*
 * The guest's e820 map for mem: usable RAM, the reserved BIOS area below 1 MiB
 * and the reserved MMIO range from PLATFORM_RESERVED_BASE to 4 GiB. Writes at
 * most max entries to out and their count to *n. Returns 0, -EINVAL when the
 * guest has less than 1 MiB of RAM, -ENOSPC when max is too small.
 */
int vmm_platform__e820(const struct guest_mem *mem, struct boot_e820_entry *out, unsigned max, unsigned *n);

/*
 * Writes the MP table (at BOOT_MPTABLE_GPA) and the ACPI tables (RSDP at
 * BOOT_ACPI_GPA: XSDT, RSDT, FADT, FACS, DSDT, MADT, MCFG) for ncpus vCPUs
 * (1..PLATFORM_MAX_CPUS). The DSDT routes the INTx of the PCI slots in the
 * pci_slots mask (bit n: slot n holds a device; PLATFORM_PCI_ALL_SLOTS: all).
 * *rsdp_gpa receives the RSDP's address.
 */
int vmm_platform__write_tables(struct guest_mem *mem, unsigned ncpus, uint32_t pci_slots, uint64_t *rsdp_gpa,
			       cella_err_t *err);

/* The MP table alone (part of vmm_platform__write_tables). */
int vmm_platform__write_mptable(struct guest_mem *mem, unsigned ncpus, cella_err_t *err);
/* The ACPI tables alone (part of vmm_platform__write_tables). */
int vmm_platform__write_acpi(struct guest_mem *mem, unsigned ncpus, uint32_t pci_slots, uint64_t *rsdp_gpa,
			     cella_err_t *err);

/*
 * The CPUID table for vCPU vcpu_index of ncpus: KVM_GET_SUPPORTED_CPUID on
 * kvm_fd (/dev/kvm), edited by vmm_platform__cpuid_edit(). *out is malloc'd;
 * the caller frees it after KVM_SET_CPUID2.
 */
int vmm_platform__cpuid(int kvm_fd, unsigned vcpu_index, unsigned ncpus, bool paravirt,
			struct kvm_cpuid2 **out, cella_err_t *err);

/*
 * Pure part of vmm_platform__cpuid(): edits cpuid (room for capacity entries)
 * in place. Leaf 1: initial APIC id, logical count, HTT, HYPERVISOR; leaf 4:
 * core/sharing counts; leaves 0xB/0x1F: 1 thread per core, ncpus cores per
 * socket, x2APIC id; leaf 0xA zeroed (no PMU); leaves 0x40000000/1 = KVM
 * signature and PV features when paravirt, removed otherwise.
 */
int vmm_platform__cpuid_edit(struct kvm_cpuid2 *cpuid, unsigned capacity, unsigned vcpu_index, unsigned ncpus,
			     bool paravirt, cella_err_t *err);
/*
 * Clears the KVM PV features that work through hypercalls (PV unhalt, PV
 * send-IPI, PV sched-yield) from leaf 0x40000001, for hosts whose vmcall
 * never returns. vmm_platform__cpuid() does it when
 * vmm_platform__host_hypercalls_hang() (the kvm_pvm module is loaded).
 */
void vmm_platform__cpuid_hide_hypercalls(struct kvm_cpuid2 *cpuid);
bool vmm_platform__host_hypercalls_hang(void);

#endif
