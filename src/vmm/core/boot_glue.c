/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/boot_glue.h"

#include "core/pci_glue.h"

#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

/* The PCI slots that hold a device (the host bridge's 0 included): their INTx goes in the DSDT. */
static uint32_t occupied_slots(const struct vmm *vm)
{
	uint32_t slots = 0;

	for (unsigned devfn = 0; vm->pci && devfn < PCI_MAX_SLOTS * PCI_MAX_FUNCS; devfn++) {
		if (vm->pci->bus.dev[devfn])
			slots |= 1u << (devfn >> 3);
	}
	return slots;
}

int vmm_boot_glue__load(struct vmm *vm, struct vmm_boot_result *boot, cella_err_t *err)
{
	const struct vmm_boot_request req = {
		.kernel_path = vm->cfg->kernel,
		.initrd_path = vm->cfg->initrd,
		.cmdline = vm->cfg->cmdline ? vm->cfg->cmdline : "",
		.ncpus = vm->cfg->cpus,
		.pci_slots = occupied_slots(vm),
	};

	memset(boot, 0, sizeof(*boot));
	if (vmm_boot__load(&vm->mem, &req, boot, err) < 0) {
		/* A missing or unusable kernel/initrd is a configuration error, not a host failure. */
		cella_error_set_status(*err, VMM_EXIT_USAGE);
		return -1;
	}
	return 0;
}

int vmm_boot_glue__setup_bsp(struct vmm_vcpu *bsp, const struct vmm_boot_result *boot, cella_err_t *err)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	if (ioctl(bsp->fd, KVM_GET_SREGS, &sregs) < 0)
		return cella_error_sys(err, "KVM_GET_SREGS");
	vmm_boot__setup_sregs(boot, &sregs);
	if (ioctl(bsp->fd, KVM_SET_SREGS, &sregs) < 0)
		return cella_error_sys(err, "KVM_SET_SREGS");
	if (ioctl(bsp->fd, KVM_GET_REGS, &regs) < 0)
		return cella_error_sys(err, "KVM_GET_REGS");
	vmm_boot__setup_regs(boot, &regs);
	if (ioctl(bsp->fd, KVM_SET_REGS, &regs) < 0)
		return cella_error_sys(err, "KVM_SET_REGS");
	return 0;
}
