// SPDX-License-Identifier: GPL-2.0-or-later
/* All firmware tables at once: what a loader calls before it starts the guest. */
#include "platform/platform.h"

int vmm_platform__write_tables(struct guest_mem *mem, unsigned ncpus, uint32_t pci_slots, uint64_t *rsdp_gpa,
			       cella_err_t *err)
{
	if (vmm_platform__write_mptable(mem, ncpus, err) < 0)
		return -1;
	return vmm_platform__write_acpi(mem, ncpus, pci_slots, rsdp_gpa, err);
}
