/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/bus.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int vmm_bus__init(struct vmm_bus *bus, const char *kind, cella_err_t *err)
{
	memset(bus, 0, sizeof(*bus));
	bus->kind = kind;
	if (pthread_rwlock_init(&bus->lock, NULL) != 0)
		return cella_error_make(err, EAGAIN, "%s bus: cannot create lock", kind);
	if (pthread_mutex_init(&bus->unknown_lock, NULL) != 0) {
		pthread_rwlock_destroy(&bus->lock);
		return cella_error_make(err, EAGAIN, "%s bus: cannot create lock", kind);
	}
	return 0;
}

void vmm_bus__destroy(struct vmm_bus *bus)
{
	free(bus->ranges);
	free(bus->unknown_logged);
	bus->ranges = NULL;
	bus->unknown_logged = NULL;
	bus->nranges = bus->nunknown = 0;
	pthread_rwlock_destroy(&bus->lock);
	pthread_mutex_destroy(&bus->unknown_lock);
}

int vmm_bus__register(struct vmm_bus *bus, uint64_t base, uint64_t len, const char *name, vmm_bus_io_fn io,
		      void *opaque, cella_err_t *err)
{
	struct vmm_bus_range *grown;
	unsigned at;

	if (len == 0 || base + len < base)
		return cella_error_make(err, EINVAL, "%s bus: %s: invalid range 0x%llx+0x%llx", bus->kind,
					name, (unsigned long long)base, (unsigned long long)len);
	pthread_rwlock_wrlock(&bus->lock);
	for (at = 0; at < bus->nranges; at++) {
		const struct vmm_bus_range *r = &bus->ranges[at];

		if (base < r->base + r->len && r->base < base + len) {
			pthread_rwlock_unlock(&bus->lock);
			return cella_error_make(
				err, EBUSY, "%s bus: %s at 0x%llx+0x%llx overlaps %s at 0x%llx+0x%llx",
				bus->kind, name, (unsigned long long)base, (unsigned long long)len, r->name,
				(unsigned long long)r->base, (unsigned long long)r->len);
		}
		if (r->base > base)
			break;
	}
	grown = realloc(bus->ranges, (bus->nranges + 1) * sizeof(*grown));
	if (!grown) {
		pthread_rwlock_unlock(&bus->lock);
		return cella_error_make(err, ENOMEM, "%s bus: %s", bus->kind, name);
	}
	bus->ranges = grown;
	memmove(&grown[at + 1], &grown[at], (bus->nranges - at) * sizeof(*grown));
	grown[at] =
		(struct vmm_bus_range){.base = base, .len = len, .name = name, .io = io, .opaque = opaque};
	bus->nranges++;
	pthread_rwlock_unlock(&bus->lock);
	return 0;
}

/* Binary search over the sorted, non-overlapping ranges. Caller holds the lock. */
static const struct vmm_bus_range *bus__find(const struct vmm_bus *bus, uint64_t addr)
{
	unsigned lo = 0, hi = bus->nranges;

	while (lo < hi) {
		unsigned mid = lo + (hi - lo) / 2;
		const struct vmm_bus_range *r = &bus->ranges[mid];

		if (addr < r->base)
			hi = mid;
		else if (addr - r->base >= r->len)
			lo = mid + 1;
		else
			return r;
	}
	return NULL;
}

/* Reports an unclaimed address once, so a guest probing in a loop cannot flood the log. */
static void bus__note_unknown(struct vmm_bus *bus, uint64_t addr, bool is_write)
{
	uint64_t *grown;

	if (!bus->debug)
		return;
	pthread_mutex_lock(&bus->unknown_lock);
	for (unsigned i = 0; i < bus->nunknown; i++) {
		if (bus->unknown_logged[i] == addr) {
			pthread_mutex_unlock(&bus->unknown_lock);
			return;
		}
	}
	if (bus->nunknown < 4096) {
		grown = realloc(bus->unknown_logged, (bus->nunknown + 1) * sizeof(*grown));
		if (grown) {
			bus->unknown_logged = grown;
			grown[bus->nunknown++] = addr;
		}
	}
	pthread_mutex_unlock(&bus->unknown_lock);
	fprintf(stderr, "cella-vmm: debug: %s 0x%llx: unclaimed %s\n", bus->kind, (unsigned long long)addr,
		is_write ? "write ignored" : "read returns all-ones");
}

bool vmm_bus__access(struct vmm_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write)
{
	const struct vmm_bus_range *r;
	vmm_bus_io_fn io = NULL;
	void *opaque = NULL;
	uint64_t offset = 0;

	if (len == 0 || len > 8)
		return false;
	pthread_rwlock_rdlock(&bus->lock);
	r = bus__find(bus, addr);
	if (r && len <= r->len - (addr - r->base)) {
		io = r->io;
		opaque = r->opaque;
		offset = addr - r->base;
	}
	pthread_rwlock_unlock(&bus->lock);
	if (!io) {
		if (!is_write)
			memset(data, 0xff, len);
		bus__note_unknown(bus, addr, is_write);
		return false;
	}
	io(opaque, offset, data, len, is_write);
	return true;
}

const char *vmm_bus__owner(struct vmm_bus *bus, uint64_t addr)
{
	const struct vmm_bus_range *r;
	const char *name;

	pthread_rwlock_rdlock(&bus->lock);
	r = bus__find(bus, addr);
	name = r ? r->name : NULL;
	pthread_rwlock_unlock(&bus->lock);
	return name;
}
