/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * vCPU state: registers, segment/control registers, FPU or XSAVE, XCRs, every
 * MSR KVM lists that reads back, LAPIC, MP state, pending events, debug
 * registers and the CPUID table (for the host check on restore).
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include <cella/cleanup.h>

#include "core/state.h"

#define VCPU_SECTION_VERSION 1U
#define CPUID_MAX_ENTRIES    256U

static void section_name(char *buf, size_t size, unsigned index, const char *what)
{
	snprintf(buf, size, "vcpu.%u.%s", index, what);
}

/* Gets one KVM structure with ioctl req and adds it as the section vcpu.N.what. */
static int save_raw(struct vmm_vcpu *vcpu, struct vmm_snapshot_writer *w, unsigned long req, const char *what,
		    const char *req_name, void *buf, size_t len, cella_err_t *err)
{
	char name[VMM_SNAPSHOT_NAME_MAX + 1];

	if (ioctl(vcpu->fd, req, buf) < 0)
		return cella_error_sys(err, "vcpu %u: %s", vcpu->index, req_name);
	section_name(name, sizeof(name), vcpu->index, what);
	return vmm_snapshot__add_section(w, name, VCPU_SECTION_VERSION, buf, len, err);
}

/*
 * KVM_GET_MSRS stops at the first MSR it cannot read; such an MSR is left out
 * (it has no state this host's KVM keeps) and the read goes on after it.
 */
static int save_msrs(struct vmm *vm, struct vmm_vcpu *vcpu, struct vmm_snapshot_writer *w, cella_err_t *err)
{
	_cleanup_free_ struct kvm_msrs *msrs = NULL;
	char name[VMM_SNAPSHOT_NAME_MAX + 1];
	unsigned n = vm->caps.nmsrs, pos = 0;

	msrs = calloc(1, sizeof(*msrs) + ((size_t)n + 1) * sizeof(struct kvm_msr_entry));
	if (!msrs)
		return cella_error_make(err, ENOMEM, "vcpu %u: MSRs", vcpu->index);
	for (unsigned i = 0; i < n; i++)
		msrs->entries[i].index = vm->caps.msr_indices[i];
	while (pos < n) {
		struct kvm_msrs *part =
			(struct kvm_msrs *)((uint8_t *)msrs + (size_t)pos * sizeof(msrs->entries[0]));
		struct kvm_msrs saved_head = *part;
		int r;

		/* The header of the partial list overlaps earlier entries: save and put them back. */
		part->nmsrs = n - pos;
		part->pad = 0;
		r = ioctl(vcpu->fd, KVM_GET_MSRS, part);
		*part = saved_head;
		if (r < 0)
			return cella_error_sys(err, "vcpu %u: KVM_GET_MSRS", vcpu->index);
		pos += (unsigned)r;
		if (pos < n) {
			memmove(&msrs->entries[pos], &msrs->entries[pos + 1],
				(size_t)(n - pos - 1) * sizeof(msrs->entries[0]));
			n--;
		}
	}
	msrs->nmsrs = n;
	section_name(name, sizeof(name), vcpu->index, "msrs");
	return vmm_snapshot__add_section(w, name, VCPU_SECTION_VERSION, msrs,
					 sizeof(*msrs) + (size_t)n * sizeof(struct kvm_msr_entry), err);
}

/* The table the VMM set (vcpu->cpuid), not KVM_GET_CPUID2's: see struct vmm_vcpu. */
static int save_cpuid(struct vmm_vcpu *vcpu, struct vmm_snapshot_writer *w, cella_err_t *err)
{
	const struct kvm_cpuid2 *cpuid = vcpu->cpuid;
	char name[VMM_SNAPSHOT_NAME_MAX + 1];

	if (!cpuid)
		return cella_error_make(err, 0, "vcpu %u: no CPUID table", vcpu->index);
	section_name(name, sizeof(name), vcpu->index, "cpuid");
	return vmm_snapshot__add_section(
		w, name, VCPU_SECTION_VERSION, cpuid,
		sizeof(*cpuid) + (size_t)cpuid->nent * sizeof(struct kvm_cpuid_entry2), err);
}

static int save_one(struct vmm *vm, struct vmm_vcpu *vcpu, struct vmm_snapshot_writer *w, cella_err_t *err)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;
	struct kvm_debugregs dregs;
	_cleanup_free_ struct kvm_xsave *xsave = NULL;
	struct kvm_xcrs xcrs;

	memset(&events, 0, sizeof(events));
	if (save_cpuid(vcpu, w, err) < 0 ||
	    save_raw(vcpu, w, KVM_GET_REGS, "regs", "KVM_GET_REGS", &regs, sizeof(regs), err) < 0 ||
	    save_raw(vcpu, w, KVM_GET_SREGS, "sregs", "KVM_GET_SREGS", &sregs, sizeof(sregs), err) < 0 ||
	    save_raw(vcpu, w, KVM_GET_FPU, "fpu", "KVM_GET_FPU", &fpu, sizeof(fpu), err) < 0 ||
	    save_raw(vcpu, w, KVM_GET_LAPIC, "lapic", "KVM_GET_LAPIC", &lapic, sizeof(lapic), err) < 0 ||
	    save_raw(vcpu, w, KVM_GET_MP_STATE, "mpstate", "KVM_GET_MP_STATE", &mp, sizeof(mp), err) < 0 ||
	    save_raw(vcpu, w, KVM_GET_VCPU_EVENTS, "events", "KVM_GET_VCPU_EVENTS", &events, sizeof(events),
		     err) < 0 ||
	    save_msrs(vm, vcpu, w, err) < 0)
		return -1;
	if (vm->caps.debugregs && save_raw(vcpu, w, KVM_GET_DEBUGREGS, "debugregs", "KVM_GET_DEBUGREGS",
					   &dregs, sizeof(dregs), err) < 0)
		return -1;
	if (vm->caps.xsave) {
		xsave = calloc(1, sizeof(*xsave));
		if (!xsave)
			return cella_error_make(err, ENOMEM, "vcpu %u: XSAVE", vcpu->index);
		if (save_raw(vcpu, w, KVM_GET_XSAVE, "xsave", "KVM_GET_XSAVE", xsave, sizeof(*xsave), err) <
		    0)
			return -1;
	}
	if (vm->caps.xcrs &&
	    save_raw(vcpu, w, KVM_GET_XCRS, "xcrs", "KVM_GET_XCRS", &xcrs, sizeof(xcrs), err) < 0)
		return -1;
	return 0;
}

int vmm_state_vcpu__save(struct vmm *vm, struct vmm_snapshot_writer *w, cella_err_t *err)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (save_one(vm, &vm->vcpus[i], w, err) < 0)
			return -1;
	}
	return 0;
}

/* Loads section vcpu.N.what (exactly len bytes) and hands it to ioctl req. */
static int load_raw(struct vmm_vcpu *vcpu, const struct vmm_snapshot_reader *r, unsigned long req,
		    const char *what, const char *req_name, void *buf, size_t len, cella_err_t *err)
{
	char name[VMM_SNAPSHOT_NAME_MAX + 1];

	section_name(name, sizeof(name), vcpu->index, what);
	if (vmm_state__section_exact(r, name, VCPU_SECTION_VERSION, buf, len, err) < 0)
		return -1;
	if (ioctl(vcpu->fd, req, buf) < 0)
		return cella_error_sys(err, "vcpu %u: %s", vcpu->index, req_name);
	return 0;
}

/* A variable-length section: a header structure whose count field says how many entries follow. */
static int load_counted(const struct vmm_snapshot_reader *r, const char *name, size_t head, size_t entry,
			unsigned max, void **out, cella_err_t *err)
{
	const void *data;
	size_t len;
	uint32_t count;

	if (vmm_state__section(r, name, VCPU_SECTION_VERSION, &data, &len, err) < 0)
		return -1;
	if (len < head)
		return cella_error_make(err, 0, "section %s: truncated", name);
	memcpy(&count, data, sizeof(count)); /* nmsrs and nent are both the first u32 */
	if (count > max || len != head + (size_t)count * entry)
		return cella_error_make(err, 0, "section %s: %u entries do not match its %zu bytes", name,
					count, len);
	*out = malloc(len);
	if (!*out)
		return cella_error_make(err, ENOMEM, "section %s", name);
	memcpy(*out, data, len);
	return 0;
}

static int load_cpuid(struct vmm_vcpu *vcpu, const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	_cleanup_free_ struct kvm_cpuid2 *cpuid = NULL;
	char name[VMM_SNAPSHOT_NAME_MAX + 1];

	section_name(name, sizeof(name), vcpu->index, "cpuid");
	if (load_counted(r, name, sizeof(*cpuid), sizeof(cpuid->entries[0]), CPUID_MAX_ENTRIES,
			 (void **)&cpuid, err) < 0)
		return -1;
	/* Before the first KVM_RUN: the guest sees exactly the CPU it saw when it was saved. */
	if (ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid) < 0)
		return cella_error_sys(err, "vcpu %u: KVM_SET_CPUID2 (saved table)", vcpu->index);
	/* A later snapshot of this VM saves what its guest really sees. */
	free(vcpu->cpuid);
	vcpu->cpuid = steal_pointer(&cpuid);
	return 0;
}

static int load_msrs(struct vmm_vcpu *vcpu, const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	_cleanup_free_ struct kvm_msrs *msrs = NULL;
	char name[VMM_SNAPSHOT_NAME_MAX + 1];
	int n;

	section_name(name, sizeof(name), vcpu->index, "msrs");
	if (load_counted(r, name, sizeof(*msrs), sizeof(msrs->entries[0]), 4096, (void **)&msrs, err) < 0)
		return -1;
	msrs->pad = 0;
	n = ioctl(vcpu->fd, KVM_SET_MSRS, msrs);
	if (n < 0)
		return cella_error_sys(err, "vcpu %u: KVM_SET_MSRS", vcpu->index);
	if ((unsigned)n != msrs->nmsrs)
		return cella_error_make(
			err, 0, "vcpu %u: KVM_SET_MSRS: this host refuses MSR 0x%x (saved value 0x%llx)",
			vcpu->index, msrs->entries[n].index, (unsigned long long)msrs->entries[n].data);
	return 0;
}

static int load_xsave(struct vmm *vm, struct vmm_vcpu *vcpu, const struct vmm_snapshot_reader *r,
		      cella_err_t *err)
{
	_cleanup_free_ struct kvm_xsave *xsave = NULL;

	if (!vm->caps.xsave)
		return cella_error_make(
			err, 0, "vcpu %u: the snapshot has XSAVE state; this host's KVM lacks KVM_CAP_XSAVE",
			vcpu->index);
	xsave = calloc(1, sizeof(*xsave));
	if (!xsave)
		return cella_error_make(err, ENOMEM, "vcpu %u: XSAVE", vcpu->index);
	return load_raw(vcpu, r, KVM_SET_XSAVE, "xsave", "KVM_SET_XSAVE", xsave, sizeof(*xsave), err);
}

/* The order matters: CPUID first; sregs (modes, APIC base) before regs and the LAPIC; events and MP state last. */
static int load_one(struct vmm *vm, struct vmm_vcpu *vcpu, const struct vmm_snapshot_reader *r,
		    cella_err_t *err)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	struct kvm_lapic_state lapic;
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;
	struct kvm_debugregs dregs;
	struct kvm_xcrs xcrs;
	char name[VMM_SNAPSHOT_NAME_MAX + 1];
	uint32_t version;
	const void *data;
	size_t len;

	if (load_cpuid(vcpu, r, err) < 0 ||
	    load_raw(vcpu, r, KVM_SET_SREGS, "sregs", "KVM_SET_SREGS", &sregs, sizeof(sregs), err) < 0 ||
	    load_raw(vcpu, r, KVM_SET_REGS, "regs", "KVM_SET_REGS", &regs, sizeof(regs), err) < 0)
		return -1;
	section_name(name, sizeof(name), vcpu->index, "xsave");
	if (vmm_snapshot__section(r, name, &version, &data, &len) == 0) {
		if (load_xsave(vm, vcpu, r, err) < 0)
			return -1;
	} else if (load_raw(vcpu, r, KVM_SET_FPU, "fpu", "KVM_SET_FPU", &fpu, sizeof(fpu), err) < 0) {
		return -1;
	}
	section_name(name, sizeof(name), vcpu->index, "xcrs");
	if (vmm_snapshot__section(r, name, &version, &data, &len) == 0 &&
	    load_raw(vcpu, r, KVM_SET_XCRS, "xcrs", "KVM_SET_XCRS", &xcrs, sizeof(xcrs), err) < 0)
		return -1;
	section_name(name, sizeof(name), vcpu->index, "debugregs");
	if (vmm_snapshot__section(r, name, &version, &data, &len) == 0 &&
	    load_raw(vcpu, r, KVM_SET_DEBUGREGS, "debugregs", "KVM_SET_DEBUGREGS", &dregs, sizeof(dregs),
		     err) < 0)
		return -1;
	if (load_raw(vcpu, r, KVM_SET_LAPIC, "lapic", "KVM_SET_LAPIC", &lapic, sizeof(lapic), err) < 0 ||
	    load_msrs(vcpu, r, err) < 0)
		return -1;
	section_name(name, sizeof(name), vcpu->index, "events");
	if (vmm_state__section_exact(r, name, VCPU_SECTION_VERSION, &events, sizeof(events), err) < 0)
		return -1;
	/* The saved NMI and SIPI state is complete: tell KVM to take it too. */
	events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (ioctl(vcpu->fd, KVM_SET_VCPU_EVENTS, &events) < 0)
		return cella_error_sys(err, "vcpu %u: KVM_SET_VCPU_EVENTS", vcpu->index);
	return load_raw(vcpu, r, KVM_SET_MP_STATE, "mpstate", "KVM_SET_MP_STATE", &mp, sizeof(mp), err);
}

int vmm_state_vcpu__load(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (load_one(vm, &vm->vcpus[i], r, err) < 0)
			return -1;
	}
	return 0;
}

int vmm_state_vcpu__check_cpuid(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	_cleanup_free_ struct kvm_cpuid2 *saved = NULL;
	_cleanup_free_ struct kvm_cpuid2 *host = NULL;

	if (load_counted(r, "vcpu.0.cpuid", sizeof(*saved), sizeof(saved->entries[0]), CPUID_MAX_ENTRIES,
			 (void **)&saved, err) < 0)
		return -1;
	host = calloc(1, sizeof(*host) + CPUID_MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
	if (!host)
		return cella_error_make(err, ENOMEM, "CPUID");
	host->nent = CPUID_MAX_ENTRIES;
	if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, host) < 0)
		return cella_error_sys(err, "KVM_GET_SUPPORTED_CPUID");
	return vmm_snapshot__check_cpuid(saved, host, err);
}
