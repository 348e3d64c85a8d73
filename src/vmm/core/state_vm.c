/* SPDX-License-Identifier: GPL-2.0-or-later */
/* VM-wide KVM state: the in-kernel PIC pair and IOAPIC, the PIT, and kvmclock. */
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/state.h"

#define VM_SECTION_VERSION 1U

static const struct {
	const char *name;
	unsigned chip_id;
} irqchips[] = {
	{"vm.irqchip.pic0", KVM_IRQCHIP_PIC_MASTER},
	{"vm.irqchip.pic1", KVM_IRQCHIP_PIC_SLAVE},
	{"vm.irqchip.ioapic", KVM_IRQCHIP_IOAPIC},
};

int vmm_state_vm__save(struct vmm *vm, struct vmm_snapshot_writer *w, cella_err_t *err)
{
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;

	for (size_t i = 0; i < sizeof(irqchips) / sizeof(irqchips[0]); i++) {
		struct kvm_irqchip chip;

		memset(&chip, 0, sizeof(chip));
		chip.chip_id = irqchips[i].chip_id;
		if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
			return cella_error_sys(err, "KVM_GET_IRQCHIP (%s)", irqchips[i].name);
		if (vmm_snapshot__add_section(w, irqchips[i].name, VM_SECTION_VERSION, &chip, sizeof(chip),
					      err) < 0)
			return -1;
	}
	memset(&pit, 0, sizeof(pit));
	if (ioctl(vm->vm_fd, KVM_GET_PIT2, &pit) < 0)
		return cella_error_sys(err, "KVM_GET_PIT2");
	if (vmm_snapshot__add_section(w, "vm.pit", VM_SECTION_VERSION, &pit, sizeof(pit), err) < 0)
		return -1;
	memset(&clock, 0, sizeof(clock));
	if (ioctl(vm->vm_fd, KVM_GET_CLOCK, &clock) < 0)
		return cella_error_sys(err, "KVM_GET_CLOCK");
	return vmm_snapshot__add_section(w, "vm.clock", VM_SECTION_VERSION, &clock, sizeof(clock), err);
}

int vmm_state_vm__load_irqchip(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	struct kvm_pit_state2 pit;

	for (size_t i = 0; i < sizeof(irqchips) / sizeof(irqchips[0]); i++) {
		struct kvm_irqchip chip;

		if (vmm_state__section_exact(r, irqchips[i].name, VM_SECTION_VERSION, &chip, sizeof(chip),
					     err) < 0)
			return -1;
		if (chip.chip_id != irqchips[i].chip_id)
			return cella_error_make(err, 0, "section %s: chip id %u, expected %u",
						irqchips[i].name, chip.chip_id, irqchips[i].chip_id);
		if (ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0)
			return cella_error_sys(err, "KVM_SET_IRQCHIP (%s)", irqchips[i].name);
	}
	if (vmm_state__section_exact(r, "vm.pit", VM_SECTION_VERSION, &pit, sizeof(pit), err) < 0)
		return -1;
	if (ioctl(vm->vm_fd, KVM_SET_PIT2, &pit) < 0)
		return cella_error_sys(err, "KVM_SET_PIT2");
	return 0;
}

int vmm_state_vm__load_clock(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err)
{
	struct kvm_clock_data clock;

	if (vmm_state__section_exact(r, "vm.clock", VM_SECTION_VERSION, &clock, sizeof(clock), err) < 0)
		return -1;
	/* Only the clock value: the saved host-time fields mean nothing to this host. */
	clock = (struct kvm_clock_data){.clock = clock.clock};
	if (ioctl(vm->vm_fd, KVM_SET_CLOCK, &clock) < 0)
		return cella_error_sys(err, "KVM_SET_CLOCK");
	return 0;
}
