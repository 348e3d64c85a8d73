/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Byte buffers for device state sections, section look-up helpers, and the capability probe. */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "core/state.h"
#include "snapshot/format.h"

static uint8_t *buf__reserve(struct vmm_state_buf *b, size_t n)
{
	if (b->failed)
		return NULL;
	if (b->cap - b->len < n) {
		size_t cap = b->cap ? b->cap * 2 : 256;
		uint8_t *p;

		while (cap - b->len < n)
			cap *= 2;
		p = realloc(b->data, cap);
		if (!p) {
			b->failed = true;
			return NULL;
		}
		b->data = p;
		b->cap = cap;
	}
	b->len += n;
	return b->data + b->len - n;
}

void vmm_state_buf__put8(struct vmm_state_buf *b, uint8_t v)
{
	uint8_t *p = buf__reserve(b, 1);

	if (p)
		*p = v;
}

void vmm_state_buf__put16(struct vmm_state_buf *b, uint16_t v)
{
	uint8_t *p = buf__reserve(b, 2);

	if (p)
		snapshot_put16(p, v);
}

void vmm_state_buf__put32(struct vmm_state_buf *b, uint32_t v)
{
	uint8_t *p = buf__reserve(b, 4);

	if (p)
		snapshot_put32(p, v);
}

void vmm_state_buf__put64(struct vmm_state_buf *b, uint64_t v)
{
	uint8_t *p = buf__reserve(b, 8);

	if (p)
		snapshot_put64(p, v);
}

void vmm_state_buf__put_bytes(struct vmm_state_buf *b, const void *src, size_t n)
{
	uint8_t *p = buf__reserve(b, n);

	if (p && n)
		memcpy(p, src, n);
}

void vmm_state_buf__release(struct vmm_state_buf *b)
{
	free(b->data);
	*b = (struct vmm_state_buf){0};
}

static const uint8_t *reader__take(struct vmm_state_reader *r, size_t n)
{
	if (r->short_read || r->len - r->off < n) {
		r->short_read = true;
		return NULL;
	}
	r->off += n;
	return r->data + r->off - n;
}

uint8_t vmm_state_reader__get8(struct vmm_state_reader *r)
{
	const uint8_t *p = reader__take(r, 1);

	return p ? *p : 0;
}

uint16_t vmm_state_reader__get16(struct vmm_state_reader *r)
{
	const uint8_t *p = reader__take(r, 2);

	return p ? snapshot_get16(p) : 0;
}

uint32_t vmm_state_reader__get32(struct vmm_state_reader *r)
{
	const uint8_t *p = reader__take(r, 4);

	return p ? snapshot_get32(p) : 0;
}

uint64_t vmm_state_reader__get64(struct vmm_state_reader *r)
{
	const uint8_t *p = reader__take(r, 8);

	return p ? snapshot_get64(p) : 0;
}

void vmm_state_reader__get_bytes(struct vmm_state_reader *r, void *dst, size_t n)
{
	const uint8_t *p = reader__take(r, n);

	if (p && n)
		memcpy(dst, p, n);
	else if (n)
		memset(dst, 0, n);
}

int vmm_state_reader__finish(const struct vmm_state_reader *r, const char *section, cella_err_t *err)
{
	if (r->short_read)
		return cella_error_make(err, 0, "section %s: truncated (%zu bytes)", section, r->len);
	if (r->off != r->len)
		return cella_error_make(err, 0, "section %s: %zu bytes of trailing data", section,
					r->len - r->off);
	return 0;
}

int vmm_state__section(const struct vmm_snapshot_reader *r, const char *name, uint32_t version,
		       const void **data, size_t *len, cella_err_t *err)
{
	uint32_t have;

	if (vmm_snapshot__section(r, name, &have, data, len) < 0)
		return cella_error_make(err, 0, "section %s: missing", name);
	if (have != version)
		return cella_error_make(err, 0, "section %s: version %u, this cella-vmm reads version %u",
					name, have, version);
	return 0;
}

int vmm_state__section_exact(const struct vmm_snapshot_reader *r, const char *name, uint32_t version,
			     void *out, size_t len, cella_err_t *err)
{
	const void *data;
	size_t have;

	if (vmm_state__section(r, name, version, &data, &have, err) < 0)
		return -1;
	if (have != len)
		return cella_error_make(err, 0, "section %s: %zu bytes, expected %zu", name, have, len);
	memcpy(out, data, len);
	return 0;
}

int vmm_state__probe(struct vmm *vm, cella_err_t *err)
{
	struct kvm_msr_list probe = {.nmsrs = 0};
	struct kvm_msr_list *list;

	vm->caps.xsave = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) > 0;
	vm->caps.xcrs = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_XCRS) > 0;
	vm->caps.debugregs = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_DEBUGREGS) > 0;
	/* The first call fails with E2BIG and says how many there are. */
	if (ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return cella_error_sys(err, "KVM_GET_MSR_INDEX_LIST");
	list = calloc(1, sizeof(*list) + (size_t)probe.nmsrs * sizeof(uint32_t));
	if (!list)
		return cella_error_make(err, ENOMEM, "MSR list");
	list->nmsrs = probe.nmsrs;
	if (probe.nmsrs && ioctl(vm->kvm_fd, KVM_GET_MSR_INDEX_LIST, list) < 0) {
		free(list);
		return cella_error_sys(err, "KVM_GET_MSR_INDEX_LIST");
	}
	vm->caps.msr_indices = malloc((size_t)list->nmsrs * sizeof(uint32_t) + 1);
	if (!vm->caps.msr_indices) {
		free(list);
		return cella_error_make(err, ENOMEM, "MSR list");
	}
	if (list->nmsrs)
		memcpy(vm->caps.msr_indices, list->indices, (size_t)list->nmsrs * sizeof(uint32_t));
	vm->caps.nmsrs = list->nmsrs;
	free(list);
	return 0;
}
