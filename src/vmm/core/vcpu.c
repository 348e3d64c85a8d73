/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "core/cpu_setup.h"
#include "core/threads.h"
#include "platform/platform.h"

/* The kick signal: its only job is to interrupt KVM_RUN (the handler does nothing, no SA_RESTART). */
#define VMM_KICK_SIGNAL (SIGRTMIN + 1)

static void kick_handler(int sig)
{
	(void)sig;
}

int vmm_vcpu__setup_kick_signal(cella_err_t *err)
{
	struct sigaction sa = {.sa_handler = kick_handler};

	sigemptyset(&sa.sa_mask);
	if (sigaction(VMM_KICK_SIGNAL, &sa, NULL) < 0)
		return cella_error_sys(err, "sigaction (vCPU kick signal)");
	return 0;
}

int vmm_vcpu__create(struct vmm *vm, struct vmm_vcpu *vcpu, unsigned index, cella_err_t *err)
{
	int size;

	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)index);
	if (vcpu->fd < 0)
		return cella_error_sys(err, "KVM_CREATE_VCPU");
	size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return cella_error_sys(err, "KVM_GET_VCPU_MMAP_SIZE");
	vcpu->run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vcpu->run = NULL;
		return cella_error_sys(err, "mmap kvm_run");
	}
	vcpu->run_size = (size_t)size;
	/* A restore sets CPUID, MSRs and the LAPIC from the snapshot: the boot set-up would be wasted time. */
	if (vm->ram_from_snapshot)
		return 0;
	/* cpu_setup keeps the CPUID table it gave KVM in vcpu->cpuid. */
	return vmm_cpu_setup__vcpu(vm, vcpu, err);
}

int vmm_vcpu__set_waiting_for_sipi(struct vmm_vcpu *vcpu, cella_err_t *err)
{
	struct kvm_mp_state mp = {.mp_state = KVM_MP_STATE_UNINITIALIZED};

	if (ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp) < 0)
		return cella_error_sys(err, "KVM_SET_MP_STATE");
	return 0;
}

static void crash(struct vmm_vcpu *vcpu, const char *reason)
{
	vmm_vcpu__dump(vcpu, reason, stderr);
	vmm__request_stop(vcpu->vm, VMM_STOP_CRASH, VMM_EXIT_CRASH);
}

/* Port I/O exit: KVM put count accesses of size bytes at data_offset inside the kvm_run page(s). */
static void handle_io(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint64_t total = (uint64_t)run->io.size * run->io.count;
	uint8_t *data;

	if (run->io.size == 0 || run->io.size > 4 || run->io.data_offset > vcpu->run_size ||
	    total > vcpu->run_size - run->io.data_offset) {
		crash(vcpu, "malformed KVM_EXIT_IO");
		return;
	}
	data = (uint8_t *)run + run->io.data_offset;
	for (uint32_t i = 0; i < run->io.count; i++)
		vmm_bus__access(&vcpu->vm->pio, run->io.port, data + (size_t)i * run->io.size, run->io.size,
				run->io.direction == KVM_EXIT_IO_OUT);
}

static void handle_mmio(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->mmio.len == 0 || run->mmio.len > sizeof(run->mmio.data)) {
		crash(vcpu, "malformed KVM_EXIT_MMIO");
		return;
	}
	vmm_bus__access(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			run->mmio.is_write);
}

static void handle_system_event(struct vmm_vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		vmm__request_stop(vcpu->vm, VMM_STOP_POWEROFF, VMM_EXIT_OK);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		vmm__request_stop(vcpu->vm, VMM_STOP_RESET, VMM_EXIT_OK);
		break;
	default:
		crash(vcpu, "KVM_EXIT_SYSTEM_EVENT (crash)");
		break;
	}
}

/* One exit. Returns false when the vCPU must stop running. */
static bool handle_exit(struct vmm_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	char reason[160];

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(vcpu);
		return true;
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu);
		return true;
	case KVM_EXIT_INTR:
	case KVM_EXIT_HLT: /* only without an in-kernel LAPIC; re-entering waits in the kernel */
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(vcpu);
		return false;
	case KVM_EXIT_SHUTDOWN:
		crash(vcpu, "KVM_EXIT_SHUTDOWN (triple fault)");
		return false;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(reason, sizeof(reason), "KVM_EXIT_INTERNAL_ERROR, suberror %u%s",
			 run->internal.suberror,
			 run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION ? " (emulation failure)"
										: "");
		crash(vcpu, reason);
		return false;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(reason, sizeof(reason), "KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx",
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		crash(vcpu, reason);
		return false;
	default:
		snprintf(reason, sizeof(reason), "unexpected KVM exit reason %u", run->exit_reason);
		crash(vcpu, reason);
		return false;
	}
}

/*
 * Blocks while the VM is paused. Returns false when the VM is stopping.
 * Before parking, KVM_RUN with immediate_exit completes an instruction whose
 * exit was just handled (the data of an IN or MMIO read reaches its register)
 * without entering the guest, so the registers a snapshot reads are final.
 * The count of parked vCPUs tells a snapshot when every vCPU is out of KVM_RUN.
 */
static bool wait_while_paused(struct vmm_vcpu *vcpu)
{
	struct vmm *vm = vcpu->vm;

	if (!atomic_load(&vm->paused))
		return !vmm__stopping(vm);
	vcpu->run->immediate_exit = 1;
	if (ioctl(vcpu->fd, KVM_RUN, 0) == 0 || (errno != EINTR && errno != EAGAIN))
		fprintf(stderr,
			"cella-vmm: vcpu %u: completing the last exit before a pause did not return EINTR\n",
			vcpu->index);
	vcpu->run->immediate_exit = 0;
	pthread_mutex_lock(&vm->state_lock);
	vm->vcpus_parked++;
	pthread_cond_broadcast(&vm->parked_cond);
	while (atomic_load(&vm->paused) && !vmm__stopping(vm))
		pthread_cond_wait(&vm->state_cond, &vm->state_lock);
	vm->vcpus_parked--;
	pthread_mutex_unlock(&vm->state_lock);
	return !vmm__stopping(vm);
}

static void *vcpu__thread(void *arg)
{
	struct vmm_vcpu *vcpu = arg;
	struct vmm *vm = vcpu->vm;
	char name[16];
	sigset_t kick;

	snprintf(name, sizeof(name), "vcpu%u", vcpu->index);
	sigemptyset(&kick);
	sigaddset(&kick, VMM_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	if (vmm_thread__enter(name, VMM_THREAD_VCPU, vm->cfg->seccomp) < 0) {
		vmm__request_stop(vm, VMM_STOP_HOST_ERROR, VMM_EXIT_HOST_ERROR);
		return NULL;
	}
	for (;;) {
		/* Cleared before the checks: a kick that lands after them still makes KVM_RUN return at once. */
		vcpu->run->immediate_exit = 0;
		if (!wait_while_paused(vcpu))
			break;
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			fprintf(stderr, "cella-vmm: vcpu %u: KVM_RUN: %s\n", vcpu->index, strerror(errno));
			vmm__request_stop(vm, VMM_STOP_HOST_ERROR, VMM_EXIT_HOST_ERROR);
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
	return NULL;
}

int vmm_vcpu__start(struct vmm_vcpu *vcpu, cella_err_t *err)
{
	int rc = pthread_create(&vcpu->thread, NULL, vcpu__thread, vcpu);

	if (rc != 0)
		return cella_error_make(err, rc, "cannot start the vCPU thread");
	vcpu->started = true;
	return 0;
}

void vmm_vcpu__kick(struct vmm_vcpu *vcpu)
{
	if (!vcpu->started || !vcpu->run)
		return;
	vcpu->run->immediate_exit = 1;
	pthread_kill(vcpu->thread, VMM_KICK_SIGNAL);
}

void vmm_vcpu__join(struct vmm_vcpu *vcpu)
{
	if (!vcpu->started)
		return;
	pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}

void vmm_vcpu__destroy(struct vmm_vcpu *vcpu)
{
	if (vcpu->run)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	free(vcpu->cpuid);
	vcpu->cpuid = NULL;
	vcpu->run = NULL;
	vcpu->fd = -1;
}

static void dump_segment(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, "  %-3s sel=0x%04x base=0x%016llx limit=0x%08x type=%u dpl=%u db=%u l=%u present=%u\n",
		name, s->selector, (unsigned long long)s->base, s->limit, s->type, s->dpl, s->db, s->l,
		s->present);
}

void vmm_vcpu__dump(struct vmm_vcpu *vcpu, const char *reason, FILE *out)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	fprintf(out, "cella-vmm: guest crash on vcpu %u: %s\n", vcpu->index, reason);
	if (ioctl(vcpu->fd, KVM_GET_REGS, &r) < 0 || ioctl(vcpu->fd, KVM_GET_SREGS, &s) < 0) {
		fprintf(out, "  (registers unavailable: %s)\n", strerror(errno));
		return;
	}
	fprintf(out, "  rip=0x%016llx rsp=0x%016llx rflags=0x%016llx\n", (unsigned long long)r.rip,
		(unsigned long long)r.rsp, (unsigned long long)r.rflags);
	fprintf(out, "  rax=0x%016llx rbx=0x%016llx rcx=0x%016llx rdx=0x%016llx\n", (unsigned long long)r.rax,
		(unsigned long long)r.rbx, (unsigned long long)r.rcx, (unsigned long long)r.rdx);
	fprintf(out, "  rsi=0x%016llx rdi=0x%016llx rbp=0x%016llx\n", (unsigned long long)r.rsi,
		(unsigned long long)r.rdi, (unsigned long long)r.rbp);
	fprintf(out, "  cr0=0x%016llx cr2=0x%016llx cr3=0x%016llx cr4=0x%016llx\n", (unsigned long long)s.cr0,
		(unsigned long long)s.cr2, (unsigned long long)s.cr3, (unsigned long long)s.cr4);
	fprintf(out, "  efer=0x%016llx apic_base=0x%016llx\n", (unsigned long long)s.efer,
		(unsigned long long)s.apic_base);
	dump_segment(out, "cs", &s.cs);
	dump_segment(out, "ds", &s.ds);
	dump_segment(out, "es", &s.es);
	dump_segment(out, "ss", &s.ss);
	dump_segment(out, "fs", &s.fs);
	dump_segment(out, "gs", &s.gs);
	dump_segment(out, "tr", &s.tr);
	fprintf(out, "  gdt base=0x%016llx limit=0x%04x idt base=0x%016llx limit=0x%04x\n",
		(unsigned long long)s.gdt.base, s.gdt.limit, (unsigned long long)s.idt.base, s.idt.limit);
	if (vcpu->run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
		fprintf(out, "  internal error data:");
		for (unsigned i = 0; i < vcpu->run->internal.ndata && i < 16; i++)
			fprintf(out, " 0x%llx", (unsigned long long)vcpu->run->internal.data[i]);
		fprintf(out, "\n");
	}
}
