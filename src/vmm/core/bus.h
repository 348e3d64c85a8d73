/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_BUS_H
#define CELLA_VMM_CORE_BUS_H

/*
 * The port-I/O and MMIO buses: devices claim address ranges, vCPU exits are
 * dispatched to the one device whose range holds the access. Ranges may not
 * overlap, so a guest access always has exactly one owner (or none).
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

/* Called with the access offset from the range start; data is len bytes (1, 2, 4 or 8). */
typedef void (*vmm_bus_io_fn)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len, bool is_write);

struct vmm_bus_range {
	uint64_t base;
	uint64_t len;
	const char *name;
	vmm_bus_io_fn io;
	void *opaque;
};

struct vmm_bus {
	const char *kind; /* "port" or "mmio", for messages */
	pthread_rwlock_t lock;
	struct vmm_bus_range *ranges; /* sorted by base */
	unsigned nranges;
	uint64_t *unknown_logged; /* addresses already reported as unclaimed */
	unsigned nunknown;
	pthread_mutex_t unknown_lock;
	bool debug; /* log unclaimed accesses */
};

int vmm_bus__init(struct vmm_bus *bus, const char *kind, cella_err_t *err);
void vmm_bus__destroy(struct vmm_bus *bus);
/* Claims [base, base+len). Fails (EBUSY) when any byte is already claimed, or on an empty/wrapping range. */
int vmm_bus__register(struct vmm_bus *bus, uint64_t base, uint64_t len, const char *name, vmm_bus_io_fn io,
		      void *opaque, cella_err_t *err);
/*
 * Dispatches one access. Unclaimed reads return all-ones, unclaimed writes are
 * dropped. Returns true when a device handled it. An access straddling the end
 * of a range is treated as unclaimed: a guest must not reach past a device.
 */
bool vmm_bus__access(struct vmm_bus *bus, uint64_t addr, uint8_t *data, uint32_t len, bool is_write);
/* The name of the device owning addr, or NULL. */
const char *vmm_bus__owner(struct vmm_bus *bus, uint64_t addr);

#endif
