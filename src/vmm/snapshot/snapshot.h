/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_SNAPSHOT_H
#define CELLA_VMM_SNAPSHOT_H

/*
 * VM snapshots on disk: a directory holding a state file (named, versioned,
 * checksummed sections: vCPU registers, irqchip, devices...) and a memory file
 * (the raw guest RAM image, sparse). docs/snapshots.md specifies the layout,
 * the compatibility rules and the atomicity guarantees.
 *
 * Writing: vmm_snapshot__writer_begin() builds the new snapshot in a temporary
 * directory next to DIR; vmm_snapshot__commit() makes it durable and swaps it
 * into place in one rename, so DIR always holds either the previous complete
 * snapshot or the new complete one. On any failure of add_section or
 * write_memory, call vmm_snapshot__abort(); commit always consumes the writer.
 *
 * Reading: vmm_snapshot__open() validates everything in the state file (it
 * is treated as hostile input) before any section is handed out.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/kvm.h>

#include <cella/error.h>

#include "guest_mem.h"

struct vmm_snapshot_writer;
struct vmm_snapshot_reader;

/* Section names: 1..31 characters of [a-z0-9._-], e.g. "vcpu.0.regs", "dev.serial0". */
#define VMM_SNAPSHOT_NAME_MAX 31

int vmm_snapshot__writer_begin(const char *dir, struct vmm_snapshot_writer **out, cella_err_t *err);
int vmm_snapshot__add_section(struct vmm_snapshot_writer *w, const char *name, uint32_t version,
			      const void *data, size_t len, cella_err_t *err);
/*
 * Writes guest RAM. dirty_bitmap NULL: a full snapshot. Otherwise a diff
 * snapshot against base_snapshot (a snapshot directory, required): bit i
 * (byte i / 8, bit i % 8, as KVM_GET_DIRTY_LOG lays out its u64 words on
 * x86) set means the 4 KiB page at RAM offset i * 4096 was written since the
 * base; RAM offset counts region 0 then region 1, as guest_mem__init() lays
 * them out. At most once per writer.
 */
int vmm_snapshot__write_memory(struct vmm_snapshot_writer *w, const struct guest_mem *mem,
			       const uint8_t *dirty_bitmap, const char *base_snapshot, cella_err_t *err);
/* fsyncs, renames into place, fsyncs the parent directory. Frees w, success or not. */
int vmm_snapshot__commit(struct vmm_snapshot_writer *w, cella_err_t *err);
/* Removes everything the writer wrote; DIR is untouched. Safe on NULL. */
void vmm_snapshot__abort(struct vmm_snapshot_writer *w);

int vmm_snapshot__open(const char *dir, struct vmm_snapshot_reader **out, cella_err_t *err);
void vmm_snapshot__close(struct vmm_snapshot_reader *r);
/*
 * The section NAME: 0 and its version, data (valid until close) and length;
 * -ENOENT when the snapshot has no such section.
 */
int vmm_snapshot__section(const struct vmm_snapshot_reader *r, const char *name, uint32_t *version,
			  const void **data, size_t *len);
/* Iteration in file order, reserved "snapshot.*" sections included. */
unsigned vmm_snapshot__section_count(const struct vmm_snapshot_reader *r);
int vmm_snapshot__section_at(const struct vmm_snapshot_reader *r, unsigned i, const char **name,
			     uint32_t *version, const void **data, size_t *len);
bool vmm_snapshot__is_diff(const struct vmm_snapshot_reader *r);
bool vmm_snapshot__has_memory(const struct vmm_snapshot_reader *r);
/* The format version the file was written with. */
void vmm_snapshot__format_version(const struct vmm_snapshot_reader *r, unsigned *major, unsigned *minor);

/*
 * Maps the memory file MAP_PRIVATE into *out (guest_mem__init layout): pages
 * load on first touch, guest writes never reach the file. Refuses a diff
 * snapshot (merge it first). Undo with vmm_snapshot__unmap_memory().
 */
int vmm_snapshot__map_memory(const struct vmm_snapshot_reader *r, struct guest_mem *out, cella_err_t *err);
void vmm_snapshot__unmap_memory(struct guest_mem *mem);
/* Reads the whole memory file and checks its checksum (slow: not done by open/map). */
int vmm_snapshot__verify_memory(const struct vmm_snapshot_reader *r, cella_err_t *err);

/*
 * Turns the diff snapshot DIFF_DIR into a full one (atomically, same id) by
 * applying its dirty pages onto the memory of BASE_DIR, the full snapshot it
 * was taken against. BASE_DIR is not modified.
 */
int vmm_snapshot__merge_diff(const char *base_dir, const char *diff_dir, cella_err_t *err);

/*
 * Checks that the host can run a guest that saw the CPUID table SAVED: every
 * feature bit set in SAVED must be set in HOST (KVM_GET_SUPPORTED_CPUID), and
 * the CPU vendor must match. The error names each missing feature.
 */
int vmm_snapshot__check_cpuid(const struct kvm_cpuid2 *saved, const struct kvm_cpuid2 *host,
			      cella_err_t *err);

#endif
