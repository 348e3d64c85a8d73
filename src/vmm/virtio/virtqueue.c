// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * Split virtqueue, device side. The guest is hostile: it can rewrite any ring
 * byte between two of our reads, so each field is loaded once (guest_load*()
 * or desc_read(), which end in a compiler barrier) and only the local copy is
 * validated and used. Ring layout (2.7):
 *   desc:  struct virtq_desc[size]
 *   avail: le16 flags, le16 idx, le16 ring[size], le16 used_event
 *   used:  le16 flags, le16 idx, struct virtq_used_elem ring[size], le16 avail_event
 */
#include <endian.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virtio/virtqueue.h"

#define AVAIL_IDX_OFF	     2
#define AVAIL_RING_OFF	     4
#define USED_IDX_OFF	     2
#define USED_RING_OFF	     4
#define AVAIL_USED_EVENT(vq) ((vq)->avail + AVAIL_RING_OFF + 2U * (vq)->size)
#define USED_AVAIL_EVENT(vq) ((vq)->used + USED_RING_OFF + 8U * (vq)->size)

/* Ring fields are naturally aligned (checked at enable time), so plain atomic loads work. */
static uint16_t guest_load16(const uint8_t *p, int order)
{
	return le16toh(__atomic_load_n((const uint16_t *)(const void *)p, order));
}

static void guest_store16(uint8_t *p, uint16_t v, int order)
{
	__atomic_store_n((uint16_t *)(void *)p, htole16(v), order);
}

static void guest_store32(uint8_t *p, uint32_t v)
{
	__atomic_store_n((uint32_t *)(void *)p, htole32(v), __ATOMIC_RELAXED);
}

/*
 * One copy of a descriptor. Indirect tables need not be aligned, hence memcpy;
 * the barrier stops the compiler from re-reading guest memory in place of the
 * copy (the READ_ONCE guarantee for a struct).
 */
static struct virtq_desc desc_read(const uint8_t *p)
{
	struct virtq_desc d;

	memcpy(&d, p, sizeof(d));
	__asm__ __volatile__("" ::: "memory");
	d.addr = le64toh(d.addr);
	d.len = le32toh(d.len);
	d.flags = le16toh(d.flags);
	d.next = le16toh(d.next);
	return d;
}

/* Marks the queue broken: only a device reset brings it back. */
static int __attribute__((format(printf, 3, 4)))
virtq__break(struct virtq *vq, cella_err_t *err, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	vq->broken = true;
	return cella_error_make(err, EIO, "virtqueue broken: %s", msg);
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

static uint8_t *map_ring(const struct guest_mem *mem, const char *name, uint64_t gpa, uint64_t len,
			 uint64_t align, cella_err_t *err)
{
	uint8_t *p;

	if (gpa & (align - 1)) {
		cella_error_make(err, EINVAL,
				 "virtqueue %s ring address 0x%" PRIx64 " is not %" PRIu64 "-byte aligned",
				 name, gpa, align);
		return NULL;
	}
	p = guest_mem__ptr(mem, gpa, len);
	if (!p)
		cella_error_make(err, EFAULT,
				 "virtqueue %s ring [0x%" PRIx64 ", +0x%" PRIx64 ") is not inside guest RAM",
				 name, gpa, len);
	return p;
}

int virtq__enable(struct virtq *vq, const struct guest_mem *mem, uint16_t size, uint64_t desc_gpa,
		  uint64_t avail_gpa, uint64_t used_gpa, uint64_t features, cella_err_t *err)
{
	uint8_t *desc, *avail, *used;

	virtq__reset(vq);
	if (!is_pow2(size) || size > VIRTQ_MAX_SIZE)
		return cella_error_make(err, EINVAL, "virtqueue size %u is not a power of 2 in [1, %u]", size,
					VIRTQ_MAX_SIZE);
	desc = map_ring(mem, "descriptor", desc_gpa, VIRTQ_DESC_BYTES(size), 16, err);
	if (!desc)
		return -1;
	avail = map_ring(mem, "available", avail_gpa, VIRTQ_AVAIL_BYTES(size), 2, err);
	if (!avail)
		return -1;
	used = map_ring(mem, "used", used_gpa, VIRTQ_USED_BYTES(size), 4, err);
	if (!used)
		return -1;
	vq->mem = mem;
	vq->size = size;
	vq->desc = desc;
	vq->avail = avail;
	vq->used = used;
	vq->event_idx = features & VIRTIO_BIT(VIRTIO_F_EVENT_IDX);
	vq->indirect = features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
	vq->enabled = true;
	return 0;
}

void virtq__reset(struct virtq *vq)
{
	uint32_t epoch = vq->epoch;
	struct dirty_track *dirty = vq->dirty;

	memset(vq, 0, sizeof(*vq));
	vq->epoch = epoch + 1;
	vq->dirty = dirty;
}

/* The device is about to write the chain's writable buffers (a disk read, a received frame). */
static void mark_writable(struct virtq *vq, const struct virtq_chain *c)
{
	for (unsigned i = c->nread; i < c->nread + c->nwrite; i++)
		dirty_track__mark(vq->dirty, c->iov[i].iov_base, c->iov[i].iov_len);
}

/* avail_event lives in the used ring, which is guest memory the device writes. */
static void publish_avail_event(struct virtq *vq)
{
	guest_store16(USED_AVAIL_EVENT(vq), vq->last_avail, __ATOMIC_RELAXED);
	dirty_track__mark(vq->dirty, USED_AVAIL_EVENT(vq), 2);
}

/* Appends one buffer, keeping readable buffers before writable ones. */
static int chain_add(struct virtq *vq, struct virtq_chain *c, const struct virtq_desc *d, cella_err_t *err)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;
	void *p;

	if (!writable && c->nwrite)
		return virtq__break(
			vq, err, "chain %u: device-readable descriptor after a device-writable one", c->head);
	if (!d->len)
		return 0; /* carries nothing: no iovec, but it still counted against the loop bound */
	if (c->nread + c->nwrite >= VIRTQ_CHAIN_MAX)
		return virtq__break(vq, err, "chain %u has more than %u buffers", c->head, VIRTQ_CHAIN_MAX);
	p = guest_mem__ptr(vq->mem, d->addr, d->len);
	if (!p)
		return virtq__break(
			vq, err, "chain %u: buffer [0x%" PRIx64 ", +0x%" PRIx32 ") is not inside guest RAM",
			c->head, d->addr, d->len);
	c->iov[c->nread + c->nwrite] = (struct iovec){.iov_base = p, .iov_len = d->len};
	if (writable) {
		c->nwrite++;
		c->write_len += d->len;
	} else {
		c->nread++;
		c->read_len += d->len;
	}
	return 0;
}

/*
 * Walks the chain from head: direct descriptors, at most one indirect table
 * (its descriptor last in the direct part). The visit count per table bounds
 * the walk, so a loop is found after at most table-size + 1 steps.
 */
static int chain_walk(struct virtq *vq, uint16_t head, struct virtq_chain *c, cella_err_t *err)
{
	const uint8_t *table = vq->desc;
	uint32_t table_n = vq->size, visited = 0, idx = head;
	bool in_indirect = false;

	c->head = head;
	c->epoch = vq->epoch;
	c->nread = c->nwrite = 0;
	c->read_len = c->write_len = 0;
	for (;;) {
		struct virtq_desc d;

		if (idx >= table_n)
			return virtq__break(
				vq, err, "chain %u: descriptor index %" PRIu32 " outside a table of %" PRIu32,
				head, idx, table_n);
		if (++visited > table_n)
			return virtq__break(vq, err, "chain %u loops (more than %" PRIu32 " descriptors)",
					    head, table_n);
		d = desc_read(table + 16U * idx);
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			if (in_indirect)
				return virtq__break(vq, err,
						    "chain %u: indirect descriptor inside an indirect table",
						    head);
			if (!vq->indirect)
				return virtq__break(
					vq, err,
					"chain %u: indirect descriptor without VIRTIO_F_INDIRECT_DESC", head);
			if (d.flags & VIRTQ_DESC_F_NEXT)
				return virtq__break(vq, err, "chain %u: indirect descriptor has NEXT set",
						    head);
			if (!d.len || d.len % sizeof(struct virtq_desc) ||
			    d.len / sizeof(struct virtq_desc) > VIRTQ_CHAIN_MAX)
				return virtq__break(vq, err,
						    "chain %u: indirect table length %" PRIu32
						    " is not a multiple of 16 in [16, %u]",
						    head, d.len, 16 * VIRTQ_CHAIN_MAX);
			table = guest_mem__ptr(vq->mem, d.addr, d.len);
			if (!table)
				return virtq__break(vq, err,
						    "chain %u: indirect table [0x%" PRIx64 ", +0x%" PRIx32
						    ") is not inside guest RAM",
						    head, d.addr, d.len);
			table_n = d.len / sizeof(struct virtq_desc);
			in_indirect = true;
			visited = 0;
			idx = 0;
			continue;
		}
		if (chain_add(vq, c, &d, err) < 0)
			return -1;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 0;
		idx = d.next;
	}
}

int virtq__pop(struct virtq *vq, struct virtq_chain *chain, cella_err_t *err)
{
	uint16_t avail_idx, pending, head;

	if (!vq->enabled)
		return cella_error_make(err, EINVAL, "virtqueue is not enabled");
	if (vq->broken)
		return cella_error_make(err, EIO, "virtqueue is broken until the driver resets the device");
	/* Acquire: the ring entries and descriptors we read next are at least as new as idx. */
	avail_idx = guest_load16(vq->avail + AVAIL_IDX_OFF, __ATOMIC_ACQUIRE);
	if (avail_idx == vq->last_avail && vq->event_idx) {
		/* Ask to be notified of the next buffer, then look again: it may have come in between. */
		publish_avail_event(vq);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
		avail_idx = guest_load16(vq->avail + AVAIL_IDX_OFF, __ATOMIC_ACQUIRE);
	}
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (!pending)
		return 0;
	if (pending > vq->size)
		return virtq__break(vq, err, "avail idx %u is %u entries ahead of the device (queue size %u)",
				    avail_idx, pending, vq->size);
	head = guest_load16(vq->avail + AVAIL_RING_OFF + 2U * (vq->last_avail & (vq->size - 1U)),
			    __ATOMIC_RELAXED);
	if (head >= vq->size)
		return virtq__break(vq, err, "avail ring entry %u names descriptor %u (queue size %u)",
				    vq->last_avail & (vq->size - 1U), head, vq->size);
	if (chain_walk(vq, head, chain, err) < 0)
		return -1;
	mark_writable(vq, chain);
	vq->last_avail++;
	if (vq->event_idx)
		publish_avail_event(vq);
	return 1;
}

int virtq__dirty_mark_held(struct virtq *vq, unsigned held, cella_err_t *err)
{
	struct virtq_chain *c;

	if (!vq->dirty || !vq->enabled || vq->broken || !held)
		return 0;
	if (held > vq->size)
		held = vq->size;
	c = malloc(sizeof(*c));
	if (!c)
		return cella_error_make(err, ENOMEM, "virtqueue: re-marking held chains");
	for (unsigned i = held; i > 0; i--) {
		uint16_t slot = (uint16_t)(vq->last_avail - i) & (vq->size - 1U);
		uint16_t head = guest_load16(vq->avail + AVAIL_RING_OFF + 2U * slot, __ATOMIC_RELAXED);
		cella_err_t walk_err = NULL;

		if (head < vq->size && chain_walk(vq, head, c, &walk_err) == 0)
			mark_writable(vq, c);
		cella_error_release(&walk_err);
	}
	/* A slot the guest rewrote after handing it over hurts only its own snapshot: not a queue error. */
	vq->broken = false;
	free(c);
	return 0;
}

int virtq__push(struct virtq *vq, uint16_t head, uint32_t len, cella_err_t *err)
{
	uint8_t *elem;

	if (!vq->enabled || vq->broken)
		return cella_error_make(err, EINVAL, "virtqueue push: queue is %s",
					vq->broken ? "broken" : "disabled");
	if (head >= vq->size)
		return cella_error_make(err, EINVAL, "virtqueue push: head %u is not below queue size %u",
					head, vq->size);
	elem = vq->used + USED_RING_OFF + 8U * (vq->used_idx & (vq->size - 1U));
	guest_store32(elem, head);
	guest_store32(elem + 4, len);
	dirty_track__mark(vq->dirty, elem, 8);
	vq->used_idx++;
	/* Release: the element is visible before the index that publishes it. */
	guest_store16(vq->used + USED_IDX_OFF, vq->used_idx, __ATOMIC_RELEASE);
	dirty_track__mark(vq->dirty, vq->used + USED_IDX_OFF, 2);
	return 0;
}

int virtq__push_chain(struct virtq *vq, const struct virtq_chain *chain, uint32_t len, cella_err_t *err)
{
	if (chain->epoch != vq->epoch)
		return cella_error_make(
			err, ESTALE, "virtqueue push: chain %u was popped before a queue reset", chain->head);
	return virtq__push(vq, chain->head, len, err);
}

bool virtq__needs_notify(struct virtq *vq)
{
	uint16_t old, event;
	bool valid;

	if (!vq->enabled || vq->broken)
		return false;
	/* Full barrier: our used idx store must be visible before we read the driver's suppression state. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx)
		return !(guest_load16(vq->avail, __ATOMIC_RELAXED) & VIRTQ_AVAIL_F_NO_INTERRUPT);
	old = vq->signalled_used;
	valid = vq->signalled_valid;
	vq->signalled_used = vq->used_idx;
	vq->signalled_valid = true;
	if (!valid)
		return true;
	event = guest_load16(AVAIL_USED_EVENT(vq), __ATOMIC_RELAXED);
	return virtq__need_event(event, vq->used_idx, old);
}
