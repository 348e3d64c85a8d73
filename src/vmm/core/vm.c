/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cella/cleanup.h>

#include "core/boot_glue.h"
#include "core/memory.h"
#include "core/state.h"
#include "core/vcpu.h"
#include "core/virtio_glue.h"

/* Where KVM keeps the real-mode TSS and identity page table, just below the BIOS ROM like QEMU. */
#define VMM_TSS_GPA	     0xfffbd000ULL
#define VMM_IDENTITY_MAP_GPA 0xfffbc000ULL

/* The boot timer counts from here: as close to exec as the process gets (before main). */
static struct timespec process_start;

static void __attribute__((constructor)) record_process_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &process_start);
}

void vmm__request_stop(struct vmm *vm, enum vmm_stop_reason reason, int status)
{
	int none = VMM_STOP_NONE;
	uint64_t one = 1;

	if (!atomic_compare_exchange_strong(&vm->stop_reason, &none, (int)reason))
		return;
	atomic_store(&vm->exit_status, status);
	if (write(vm->stop_efd, &one, sizeof(one)) < 0)
		perror("cella-vmm: stop eventfd");
}

bool vmm__stopping(struct vmm *vm)
{
	return atomic_load(&vm->stop_reason) != VMM_STOP_NONE;
}

void vmm__set_paused(struct vmm *vm, bool paused)
{
	pthread_mutex_lock(&vm->state_lock);
	atomic_store(&vm->paused, paused);
	pthread_cond_broadcast(&vm->state_cond);
	pthread_mutex_unlock(&vm->state_lock);
	if (paused) {
		for (unsigned i = 0; i < vm->ncpus; i++)
			vmm_vcpu__kick(&vm->vcpus[i]);
	}
}

int vmm__request_guest_shutdown(struct vmm *vm)
{
	if (!vm->power_button)
		return -1;
	vm->power_button(vm);
	return 0;
}

void vmm__irq_set(struct vmm *vm, unsigned irq, bool level)
{
	struct kvm_irq_level l = {.irq = irq, .level = level ? 1 : 0};

	if (vm->vm_fd < 0) /* devices exercised without KVM (unit tests) have no interrupt lines */
		return;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		perror("cella-vmm: KVM_IRQ_LINE");
}

void vmm__irq_pulse(struct vmm *vm, unsigned irq)
{
	struct kvm_irq_level level = {.irq = irq, .level = 1};

	if (vm->vm_fd < 0) /* devices exercised without KVM (unit tests) have no interrupt lines */
		return;
	/* ISA interrupts are edge-triggered on the PIC and (per the MP table) the IOAPIC: raise, then lower. */
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &level) < 0)
		perror("cella-vmm: KVM_IRQ_LINE");
	level.level = 0;
	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &level) < 0)
		perror("cella-vmm: KVM_IRQ_LINE");
}

void vmm__console_write(struct vmm *vm, const uint8_t *buf, size_t len)
{
	while (vm->console_out >= 0 && len > 0) {
		ssize_t n = write(vm->console_out, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* a closed console must not stop the guest */
		buf += n;
		len -= (size_t)n;
	}
}

double vmm__ms_since_start(const struct vmm *vm)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - vm->start.tv_sec) * 1e3 +
	       (double)(now.tv_nsec - vm->start.tv_nsec) / 1e6;
}

static int open_console(struct vmm *vm, cella_err_t *err)
{
	vm->console_out = -1;
	switch (vm->cfg->console) {
	case VMM_CONSOLE_STDIO:
		vm->console_out = STDOUT_FILENO;
		return 0;
	case VMM_CONSOLE_NONE:
		return 0;
	case VMM_CONSOLE_FILE:
		vm->console_out = open(vm->cfg->console_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (vm->console_out < 0)
			return cella_error_sys(err, "--console: file:%s", vm->cfg->console_path);
		vm->console_out_owned = true;
		return 0;
	}
	return 0;
}

/*
 * The interrupt controllers and the PIT come after guest RAM is registered:
 * once a VM has an irqchip, every later KVM_SET_USER_MEMORY_REGION waits for
 * an SRCU grace period (4-10 ms on a nested host, measured), before it the
 * same ioctl takes 0.1 ms. The restore path (time to a running guest) gains
 * most. Nothing before vmm__create_vcpus() needs them.
 */
static int create_irqchip(struct vmm *vm, cella_err_t *err)
{
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};

	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return cella_error_sys(err, "KVM_CREATE_IRQCHIP");
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return cella_error_sys(err, "KVM_CREATE_PIT2");
	return 0;
}

static int create_kvm_vm(struct vmm *vm, cella_err_t *err)
{
	uint64_t identity = VMM_IDENTITY_MAP_GPA;
	int version;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0)
		return cella_error_sys(err, "/dev/kvm");
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return cella_error_make(err, 0, "/dev/kvm: API version %d, expected %d", version,
					KVM_API_VERSION);
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0)
		return cella_error_make(err, 0, "/dev/kvm: KVM_CAP_IMMEDIATE_EXIT missing (kernel too old)");
	do {
		vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	} while (vm->vm_fd < 0 && errno == EINTR);
	if (vm->vm_fd < 0)
		return cella_error_sys(err, "KVM_CREATE_VM");
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)VMM_TSS_GPA) < 0)
		return cella_error_sys(err, "KVM_SET_TSS_ADDR");
	if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &identity) < 0)
		return cella_error_sys(err, "KVM_SET_IDENTITY_MAP_ADDR");
	return 0;
}

static int create_devices(struct vmm *vm, cella_err_t *err)
{
	unsigned n = 0;

	for (const struct vmm_device_desc *d = vmm_device__first(); d; d = d->next)
		n++;
	vm->devices = calloc(n ? n : 1, sizeof(*vm->devices));
	if (!vm->devices)
		return cella_error_make(err, ENOMEM, "devices");
	for (const struct vmm_device_desc *d = vmm_device__first(); d; d = d->next) {
		void *state = d->init(vm, err);

		if (!state)
			return cella_error_wrap(err, "device %s", d->name);
		vm->devices[vm->ndevices++] = (struct vmm_device_instance){.desc = d, .state = state};
	}
	return 0;
}

int vmm__create_shell(const struct vmm_config *cfg, struct vmm **out, cella_err_t *err)
{
	struct vmm *vm = calloc(1, sizeof(*vm));

	if (!vm)
		return cella_error_make(err, ENOMEM, "vm");
	vm->start = process_start;
	vm->cfg = cfg;
	vm->kvm_fd = vm->vm_fd = vm->mem_fd = vm->stop_efd = vm->console_out = vm->ctl_efd = -1;
	vm->evloop.epoll_fd = vm->evloop.stop_fd = -1;
	*out = vm; /* vmm__destroy() undoes whatever part of this succeeded */
	pthread_mutex_init(&vm->state_lock, NULL);
	pthread_cond_init(&vm->state_cond, NULL);
	pthread_cond_init(&vm->parked_cond, NULL);
	pthread_mutex_init(&vm->ctl_lock, NULL);
	pthread_cond_init(&vm->ctl_cond, NULL);
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0)
		return cella_error_sys(err, "eventfd");
	vm->ctl_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->ctl_efd < 0)
		return cella_error_sys(err, "eventfd");
	if (vmm_bus__init(&vm->pio, "port", err) < 0 || vmm_bus__init(&vm->mmio, "mmio", err) < 0)
		return -1;
	vm->pio.debug = vm->mmio.debug = cfg->debug;
	if (vmm_evloop__init(&vm->evloop, err) < 0)
		return -1;
	vm->evloop.seccomp = cfg->seccomp;
	if (open_console(vm, err) < 0)
		return -1;
	if (create_kvm_vm(vm, err) < 0)
		return -1;
	return vmm_state__probe(vm, err);
}

int vmm__create_vcpus(struct vmm *vm, cella_err_t *err)
{
	if (create_irqchip(vm, err) < 0)
		return -1;
	if (create_devices(vm, err) < 0)
		return -1;
	/* After the platform devices: the PCI bridge takes over the reset port 0xCF9 inside its ports. */
	if (vmm_virtio__create(vm, err) < 0)
		return -1;
	vm->vcpus = calloc(vm->cfg->cpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return cella_error_make(err, ENOMEM, "vcpus");
	for (unsigned i = 0; i < vm->cfg->cpus; i++) {
		vm->vcpus[i].fd = -1;
		if (vmm_vcpu__create(vm, &vm->vcpus[i], i, err) < 0)
			return cella_error_wrap(err, "vcpu %u", i);
		vm->ncpus++;
	}
	return 0;
}

int vmm__create(const struct vmm_config *cfg, struct vmm **out, cella_err_t *err)
{
	struct vmm_boot_result boot;
	struct vmm *vm;

	if (vmm__create_shell(cfg, out, err) < 0)
		return -1;
	vm = *out;
	if (vmm_memory__create(vm, cfg->memory_mib << 20, cfg->hugepages, err) < 0)
		return -1;
	if (vmm__create_vcpus(vm, err) < 0)
		return -1;
	/* The kernel goes in after the devices (as before) and the vCPUs: it needs only RAM. */
	if (vmm_boot_glue__load(vm, &boot, err) < 0)
		return -1;
	if (vmm_boot_glue__setup_bsp(&vm->vcpus[0], &boot, err) < 0)
		return -1;
	for (unsigned i = 1; i < vm->ncpus; i++) {
		if (vmm_vcpu__set_waiting_for_sipi(&vm->vcpus[i], err) < 0)
			return cella_error_wrap(err, "vcpu %u", i);
	}
	return 0;
}

int vmm__start(struct vmm *vm, cella_err_t *err)
{
	if (vmm_vcpu__setup_kick_signal(err) < 0)
		return -1;
	if (vmm_evloop__start(&vm->evloop, err) < 0)
		return -1;
	for (unsigned i = 0; i < vm->ncpus; i++) {
		if (vmm_vcpu__start(&vm->vcpus[i], err) < 0)
			return cella_error_wrap(err, "vcpu %u", i);
	}
	return 0;
}

int vmm__wait(struct vmm *vm, int signal_fd)
{
	struct pollfd fds[3] = {{.fd = vm->stop_efd, .events = POLLIN},
				{.fd = vm->ctl_efd, .events = POLLIN},
				{.fd = signal_fd, .events = POLLIN}};

	while (!vmm__stopping(vm)) {
		if (poll(fds, signal_fd >= 0 ? 3 : 2, -1) < 0 && errno != EINTR) {
			perror("cella-vmm: poll");
			vmm__request_stop(vm, VMM_STOP_HOST_ERROR, VMM_EXIT_HOST_ERROR);
			break;
		}
		if (fds[1].revents & POLLIN)
			vmm__ctl_serve(vm, false);
		if (signal_fd >= 0 && (fds[2].revents & POLLIN)) {
			struct signalfd_siginfo si;

			if (read(signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				fprintf(stderr, "cella-vmm: signal %u: stopping the VM\n", si.ssi_signo);
				vmm__request_stop(vm, VMM_STOP_SIGNAL, 128 + (int)si.ssi_signo);
			}
		}
	}
	/* No more snapshots: fail a request that is waiting, and any later one. */
	vmm__ctl_serve(vm, true);
	/* Wake paused vCPUs so they see the stop, then kick the running ones out of KVM_RUN. */
	vmm__set_paused(vm, false);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vmm_vcpu__kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vmm_vcpu__join(&vm->vcpus[i]);
	vmm_evloop__stop(&vm->evloop);
	return atomic_load(&vm->exit_status);
}

void vmm__destroy(struct vmm *vm)
{
	if (!vm)
		return;
	for (unsigned i = 0; i < vm->ncpus; i++)
		vmm_vcpu__kick(&vm->vcpus[i]);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vmm_vcpu__join(&vm->vcpus[i]);
	vmm_evloop__stop(&vm->evloop);
	for (unsigned i = 0; i < vm->ncpus; i++)
		vmm_vcpu__destroy(&vm->vcpus[i]);
	free(vm->vcpus);
	vmm_virtio__destroy(vm); /* the event loop stopped: no device thread runs them any more */
	for (unsigned i = vm->ndevices; i-- > 0;) {
		if (vm->devices[i].desc->exit)
			vm->devices[i].desc->exit(vm, vm->devices[i].state);
	}
	free(vm->devices);
	vmm_evloop__destroy(&vm->evloop);
	vmm_memory__destroy(vm);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->console_out_owned)
		close(vm->console_out);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->ctl_efd >= 0)
		close(vm->ctl_efd);
	free(vm->caps.msr_indices);
	free(vm->snapshot_base);
	free(vm->dirty_since_base);
	if (vm->pio.kind)
		vmm_bus__destroy(&vm->pio);
	if (vm->mmio.kind)
		vmm_bus__destroy(&vm->mmio);
	pthread_cond_destroy(&vm->state_cond);
	pthread_cond_destroy(&vm->parked_cond);
	pthread_cond_destroy(&vm->ctl_cond);
	pthread_mutex_destroy(&vm->ctl_lock);
	pthread_mutex_destroy(&vm->state_lock);
	free(vm);
}
