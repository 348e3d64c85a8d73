/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_MEMORY_H
#define CELLA_VMM_CORE_MEMORY_H

#include <stdbool.h>
#include <stddef.h>
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
/* (Re-)registers the RAM slots, with or without KVM's dirty-page log. */
int vmm_memory__set_slots(struct vmm *vm, bool log_dirty, cella_err_t *err);
/* Uses mem (a snapshot's MAP_PRIVATE mapping, vmm_snapshot__map_memory) as guest RAM. */
struct guest_mem;
int vmm_memory__adopt(struct vmm *vm, const struct guest_mem *mem, cella_err_t *err);
/*
 * Guest RAM to read for a full snapshot: with a memfd, a separate read-only
 * mapping in which the file's holes (pages the guest never touched) are the
 * zero page, so scanning them allocates nothing; otherwise (or when that
 * mapping cannot be made) RAM itself. Read only while the vCPUs are parked.
 * Release with vmm_memory__release_view().
 */
void vmm_memory__snapshot_view(const struct vmm *vm, struct guest_mem *view);
void vmm_memory__release_view(const struct vmm *vm, struct guest_mem *view);
/* Bytes of a dirty bitmap of the whole RAM (docs/snapshots.md, snapshot.dirty). */
size_t vmm_memory__bitmap_size(const struct vmm *vm);
/* ORs the pages written since the last call (KVM_GET_DIRTY_LOG, which resets it) into bitmap. */
int vmm_memory__collect_dirty(struct vmm *vm, uint8_t *bitmap, cella_err_t *err);

#endif
