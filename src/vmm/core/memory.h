/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_MEMORY_H
#define CELLA_VMM_CORE_MEMORY_H

#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

struct vmm;

/*
 * Guest RAM: a memfd (so snapshots and a future vhost-user back-end can map
 * it too) mapped MAP_SHARED and handed to KVM as one memory slot per
 * guest_mem region. With hugepages, the memfd is MFD_HUGETLB (2 MiB pages).
 */
int vmm_memory__create(struct vmm *vm, uint64_t size, bool hugepages, cella_err_t *err);
void vmm_memory__destroy(struct vmm *vm);

#endif
