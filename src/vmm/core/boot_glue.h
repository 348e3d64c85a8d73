/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_BOOT_GLUE_H
#define CELLA_VMM_CORE_BOOT_GLUE_H

/*
 * The seam between the VMM and the kernel loader (src/vmm/boot): load the
 * kernel, initrd and command line, write the firmware tables, and set the
 * BSP's registers for the entry the loader chose.
 */
#include <stdint.h>

#include "boot/boot.h"
#include "core/vmm.h"

/* Loads --kernel/--initrd/--cmdline and the firmware tables; errors carry exit status 2 (bad configuration). */
int vmm_boot_glue__load(struct vmm *vm, struct vmm_boot_result *boot, cella_err_t *err);
/* The BSP's registers for the loader's entry mode. */
int vmm_boot_glue__setup_bsp(struct vmm_vcpu *bsp, const struct vmm_boot_result *boot, cella_err_t *err);

#endif
