/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_STATE_H
#define CELLA_VMM_CORE_STATE_H

/*
 * Saving and loading the state of a running VM as snapshot sections
 * (src/vmm/snapshot). docs/snapshots.md lists every section and its version.
 * KVM's own state (vCPU registers, irqchip, PIT, clock) is stored as the bytes
 * of the KVM uapi structure, whose x86-64 layout is a stable kernel ABI; each
 * such section is refused on load unless its length is exactly the size of
 * that structure. Device state is encoded field by field, little-endian.
 */
#include <stddef.h>
#include <stdint.h>

#include <cella/error.h>

#include "core/vmm.h"
#include "snapshot/snapshot.h"

/* A growable byte buffer for device state, with little-endian appenders. */
struct vmm_state_buf {
	uint8_t *data;
	size_t len, cap;
	bool failed; /* an append ran out of memory */
};

void vmm_state_buf__put8(struct vmm_state_buf *b, uint8_t v);
void vmm_state_buf__put16(struct vmm_state_buf *b, uint16_t v);
void vmm_state_buf__put32(struct vmm_state_buf *b, uint32_t v);
void vmm_state_buf__put64(struct vmm_state_buf *b, uint64_t v);
void vmm_state_buf__put_bytes(struct vmm_state_buf *b, const void *p, size_t n);
void vmm_state_buf__release(struct vmm_state_buf *b);

/* Reads back what the appenders wrote; every read is bounds-checked (the section is hostile input). */
struct vmm_state_reader {
	const uint8_t *data;
	size_t len, off;
	bool short_read; /* a read ran past the end: the section is truncated */
};

uint8_t vmm_state_reader__get8(struct vmm_state_reader *r);
uint16_t vmm_state_reader__get16(struct vmm_state_reader *r);
uint32_t vmm_state_reader__get32(struct vmm_state_reader *r);
uint64_t vmm_state_reader__get64(struct vmm_state_reader *r);
void vmm_state_reader__get_bytes(struct vmm_state_reader *r, void *p, size_t n);
/* 0 when the whole section was read exactly; otherwise an error naming it. */
int vmm_state_reader__finish(const struct vmm_state_reader *r, const char *section, cella_err_t *err);

/* Capabilities the state code needs, probed once at VM creation (before any seccomp filter). */
int vmm_state__probe(struct vmm *vm, cella_err_t *err);

/* Every vCPU's state: the vCPU threads must be parked out of KVM_RUN. */
int vmm_state_vcpu__save(struct vmm *vm, struct vmm_snapshot_writer *w, cella_err_t *err);
/* Loads vCPU state into freshly created vCPUs, in the order KVM needs. */
int vmm_state_vcpu__load(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err);
/* The CPUID table vCPU 0 saw (section vcpu.0.cpuid) against this host's KVM_GET_SUPPORTED_CPUID. */
int vmm_state_vcpu__check_cpuid(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err);

/* irqchip (PIC master, slave, IOAPIC), PIT and kvmclock. */
int vmm_state_vm__save(struct vmm *vm, struct vmm_snapshot_writer *w, cella_err_t *err);
int vmm_state_vm__load_irqchip(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err);
/* kvmclock last, just before the vCPUs run again. */
int vmm_state_vm__load_clock(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err);

/* Every device with a save hook, one section "dev.NAME" each. */
int vmm_state_dev__save(struct vmm *vm, struct vmm_snapshot_writer *w, cella_err_t *err);
int vmm_state_dev__load(struct vmm *vm, const struct vmm_snapshot_reader *r, cella_err_t *err);

/* Fetches a section that must exist and have exactly this version. */
int vmm_state__section(const struct vmm_snapshot_reader *r, const char *name, uint32_t version,
		       const void **data, size_t *len, cella_err_t *err);
/* Same, and its length must be exactly len (a raw KVM structure). */
int vmm_state__section_exact(const struct vmm_snapshot_reader *r, const char *name, uint32_t version,
			     void *out, size_t len, cella_err_t *err);

#endif
