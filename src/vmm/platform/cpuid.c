// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * CPUID as each vCPU sees it: KVM's supported table with the topology of this
 * VM (1 thread per core, ncpus cores in one socket), the vCPU's APIC ids, no
 * PMU, and the KVM paravirtual leaves only when asked for.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>

#include "platform/platform.h"

#define CPUID_LEAF_FEATURES    1
#define CPUID_LEAF_CACHE       4
#define CPUID_LEAF_PMU	       0xA
#define CPUID_LEAF_TOPOLOGY    0xB
#define CPUID_LEAF_TOPOLOGY_V2 0x1F
#define CPUID_LEAF_HV_BASE     0x40000000U
#define CPUID_LEAF_HV_FEATURES 0x40000001U
#define CPUID_LEAF_HV_LAST     0x400000FFU
/* KVM_FEATURE_* bits of leaf 0x40000001 EAX (Linux's asm/kvm_para.h) that need a hypercall. */
#define CPUID_KVM_FEATURE_PV_UNHALT	 (1U << 7)
#define CPUID_KVM_FEATURE_PV_SEND_IPI	 (1U << 11)
#define CPUID_KVM_FEATURE_PV_SCHED_YIELD (1U << 13)
#define CPUID_1_EDX_HTT			 (1U << 28)
#define CPUID_1_ECX_HYPERVISOR		 (1U << 31)
#define CPUID_TOPO_LEVEL_SMT		 1
#define CPUID_TOPO_LEVEL_CORE		 2
#define CPUID_SUPPORTED_INITIAL		 256 /* KVM_MAX_CPUID_ENTRIES today */
#define CPUID_EXTRA_ENTRIES		 8   /* room for the topology and hypervisor leaves we may add */

static unsigned cpuid__order(unsigned n)
{
	unsigned shift = 0;

	while ((1U << shift) < n)
		shift++;
	return shift;
}

static void cpuid__remove_range(struct kvm_cpuid2 *c, uint32_t first, uint32_t last)
{
	unsigned out = 0;

	for (unsigned i = 0; i < c->nent; i++) {
		if (c->entries[i].function >= first && c->entries[i].function <= last)
			continue;
		c->entries[out++] = c->entries[i];
	}
	c->nent = out;
}

static struct kvm_cpuid_entry2 *cpuid__find(struct kvm_cpuid2 *c, uint32_t function, uint32_t index)
{
	for (unsigned i = 0; i < c->nent; i++) {
		if (c->entries[i].function == function && c->entries[i].index == index)
			return &c->entries[i];
	}
	return NULL;
}

static int cpuid__add(struct kvm_cpuid2 *c, unsigned capacity, struct kvm_cpuid_entry2 e, cella_err_t *err)
{
	if (c->nent >= capacity)
		return cella_error_make(err, 0, "CPUID table full (%u entries)", capacity);
	c->entries[c->nent++] = e;
	return 0;
}

/* Leaf 0xB / 0x1F: SMT level (1 thread), core level (ncpus), then the invalid level that ends the list. */
static int cpuid__set_topology(struct kvm_cpuid2 *c, unsigned capacity, uint32_t leaf, unsigned vcpu_index,
			       unsigned ncpus, cella_err_t *err)
{
	struct kvm_cpuid_entry2 e = {
		.function = leaf, .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .edx = vcpu_index};

	cpuid__remove_range(c, leaf, leaf);
	e.index = 0;
	e.eax = 0;
	e.ebx = 1;
	e.ecx = 0 | (CPUID_TOPO_LEVEL_SMT << 8);
	if (cpuid__add(c, capacity, e, err) < 0)
		return -1;
	e.index = 1;
	e.eax = cpuid__order(ncpus);
	e.ebx = ncpus;
	e.ecx = 1 | (CPUID_TOPO_LEVEL_CORE << 8);
	if (cpuid__add(c, capacity, e, err) < 0)
		return -1;
	e.index = 2;
	e.eax = 0;
	e.ebx = 0;
	e.ecx = 2;
	return cpuid__add(c, capacity, e, err);
}

static void cpuid__set_features(struct kvm_cpuid_entry2 *e, unsigned vcpu_index, unsigned ncpus)
{
	unsigned logical = ncpus > 255 ? 255 : ncpus;

	/* EBX: [31:24] initial APIC id, [23:16] logical processors per package; keep CLFLUSH size and brand. */
	e->ebx = (e->ebx & 0xFFFF) | (logical << 16) | ((vcpu_index & 0xFF) << 24);
	if (ncpus > 1)
		e->edx |= CPUID_1_EDX_HTT;
	else
		e->edx &= ~CPUID_1_EDX_HTT;
	/* Always say "hypervisor": guests skip work that only makes sense on bare metal. */
	e->ecx |= CPUID_1_ECX_HYPERVISOR;
}

static void cpuid__set_cache(struct kvm_cpuid_entry2 *e, unsigned ncpus)
{
	unsigned level = (e->eax >> 5) & 7;
	unsigned sharing =
		level >= 3 ? ncpus - 1 : 0; /* L1/L2 per core (1 thread); L3 shared by the socket */
	unsigned cores = ncpus - 1;

	if ((e->eax & 0x1F) == 0) /* no more caches */
		return;
	if (sharing > 0xFFF)
		sharing = 0xFFF;
	if (cores > 0x3F)
		cores = 0x3F;
	e->eax = (e->eax & 0x3FFF) | (sharing << 14) | (cores << 26);
}

static int cpuid__set_hypervisor(struct kvm_cpuid2 *c, unsigned capacity, bool paravirt, cella_err_t *err)
{
	struct kvm_cpuid_entry2 *base, *features;
	const char sig[12] = "KVMKVMKVM\0\0\0";

	if (!paravirt) {
		cpuid__remove_range(c, CPUID_LEAF_HV_BASE, CPUID_LEAF_HV_LAST);
		return 0;
	}
	/* Only the signature and feature leaves: the VMM offers nothing beyond KVM's own PV features. */
	cpuid__remove_range(c, CPUID_LEAF_HV_FEATURES + 1, CPUID_LEAF_HV_LAST);
	base = cpuid__find(c, CPUID_LEAF_HV_BASE, 0);
	if (!base) {
		if (cpuid__add(c, capacity, (struct kvm_cpuid_entry2){.function = CPUID_LEAF_HV_BASE}, err) <
		    0)
			return -1;
		base = &c->entries[c->nent - 1];
	}
	base->eax = CPUID_LEAF_HV_FEATURES;
	memcpy(&base->ebx, sig, 4);
	memcpy(&base->ecx, sig + 4, 4);
	memcpy(&base->edx, sig + 8, 4);
	features = cpuid__find(c, CPUID_LEAF_HV_FEATURES, 0);
	if (!features)
		return cpuid__add(c, capacity, (struct kvm_cpuid_entry2){.function = CPUID_LEAF_HV_FEATURES},
				  err);
	return 0;
}

int vmm_platform__cpuid_edit(struct kvm_cpuid2 *cpuid, unsigned capacity, unsigned vcpu_index, unsigned ncpus,
			     bool paravirt, cella_err_t *err)
{
	struct kvm_cpuid_entry2 *leaf0;
	uint32_t max_basic;

	if (ncpus < 1 || ncpus > PLATFORM_MAX_CPUS || vcpu_index >= ncpus)
		return cella_error_make(err, 0, "CPUID: vCPU %u of %u (supported: 1..%u vCPUs)", vcpu_index,
					ncpus, PLATFORM_MAX_CPUS);
	if (cpuid->nent > capacity)
		return cella_error_make(err, 0, "CPUID: %u entries exceed the capacity %u", cpuid->nent,
					capacity);
	leaf0 = cpuid__find(cpuid, 0, 0);
	max_basic = leaf0 ? leaf0->eax : 0;

	for (unsigned i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];

		switch (e->function) {
		case CPUID_LEAF_FEATURES:
			cpuid__set_features(e, vcpu_index, ncpus);
			break;
		case CPUID_LEAF_CACHE:
			cpuid__set_cache(e, ncpus);
			break;
		case CPUID_LEAF_PMU:
			/* No virtual PMU: version 0 tells the guest not to touch the counters. */
			e->eax = e->ebx = e->ecx = e->edx = 0;
			break;
		default:
			break;
		}
	}
	if (max_basic >= CPUID_LEAF_TOPOLOGY &&
	    cpuid__set_topology(cpuid, capacity, CPUID_LEAF_TOPOLOGY, vcpu_index, ncpus, err) < 0)
		return -1;
	if (max_basic >= CPUID_LEAF_TOPOLOGY_V2 &&
	    cpuid__set_topology(cpuid, capacity, CPUID_LEAF_TOPOLOGY_V2, vcpu_index, ncpus, err) < 0)
		return -1;
	return cpuid__set_hypervisor(cpuid, capacity, paravirt, err);
}

void vmm_platform__cpuid_hide_hypercalls(struct kvm_cpuid2 *cpuid)
{
	struct kvm_cpuid_entry2 *features = cpuid__find(cpuid, CPUID_LEAF_HV_FEATURES, 0);

	if (features)
		features->eax &= ~(CPUID_KVM_FEATURE_PV_UNHALT | CPUID_KVM_FEATURE_PV_SEND_IPI |
				   CPUID_KVM_FEATURE_PV_SCHED_YIELD);
}

bool vmm_platform__host_hypercalls_hang(void)
{
	/* kvm_pvm: see /work/shared/design/kvm-host-notes.md, "Telling the two kinds of host apart". */
	return access("/sys/module/kvm_pvm", F_OK) == 0;
}

/*
 * KVM_GET_SUPPORTED_CPUID into a table with CPUID_EXTRA_ENTRIES spare entries (*capacity), growing it while
 * KVM says E2BIG. The host's answer does not change while the VMM runs, so it is asked once and copied for
 * every further vCPU (vCPUs are created one after another, on the main thread).
 */
static struct kvm_cpuid2 *supported_cpuid(int kvm_fd, unsigned *capacity, cella_err_t *err)
{
	static struct kvm_cpuid2 *cached;
	unsigned n = CPUID_SUPPORTED_INITIAL;
	struct kvm_cpuid2 *c;
	size_t size;

	for (int tries = 0; !cached && tries < 4; tries++, n *= 2) {
		c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		if (!c) {
			cella_error_make(err, ENOMEM, "CPUID table");
			return NULL;
		}
		c->nent = n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			cached = c;
			break;
		}
		free(c);
		if (errno != E2BIG) {
			cella_error_sys(err, "KVM_GET_SUPPORTED_CPUID");
			return NULL;
		}
	}
	if (!cached) {
		cella_error_make(err, 0, "KVM_GET_SUPPORTED_CPUID: more than %u entries", n / 2);
		return NULL;
	}
	*capacity = cached->nent + CPUID_EXTRA_ENTRIES;
	size = sizeof(*c) + *capacity * sizeof(c->entries[0]);
	c = calloc(1, size);
	if (!c) {
		cella_error_make(err, ENOMEM, "CPUID table");
		return NULL;
	}
	memcpy(c, cached, sizeof(*c) + cached->nent * sizeof(c->entries[0]));
	return c;
}

int vmm_platform__cpuid(int kvm_fd, unsigned vcpu_index, unsigned ncpus, bool paravirt,
			struct kvm_cpuid2 **out, cella_err_t *err)
{
	unsigned capacity = 0;
	struct kvm_cpuid2 *c = supported_cpuid(kvm_fd, &capacity, err);

	*out = NULL;
	if (!c)
		return -1;
	if (vmm_platform__cpuid_edit(c, capacity, vcpu_index, ncpus, paravirt, err) < 0) {
		free(c);
		return -1;
	}
	/*
	 * On kvm_pvm a guest's vmcall never returns (kvm-host-notes.md,
	 * "Instructions that fail at CPL0"), and these three features are
	 * used through hypercalls (KVM_HC_KICK_CPU, KVM_HC_SEND_IPI,
	 * KVM_HC_SCHED_YIELD): offered, a Linux guest hangs on its first
	 * kick unless booted with nopv. Hidden, it falls back to IPIs and
	 * spinning; kvmclock, PV EOI and steal time need no hypercall.
	 */
	if (paravirt && vmm_platform__host_hypercalls_hang())
		vmm_platform__cpuid_hide_hypercalls(c);
	*out = c;
	return 0;
}
