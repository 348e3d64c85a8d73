/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_PCI_PCI_H
#define CELLA_VMM_PCI_PCI_H

/*
 * A PCI host bridge with one bus (bus 0) and its type-0 devices. Config space
 * is a byte array plus a write mask and a write-1-to-clear mask per byte (as
 * QEMU does): a guest write can change only the bits a device declared
 * writable, so BAR sizing, read-only IDs and capability fields fall out of the
 * masks instead of special cases. Two ways in: configuration mechanism #1
 * (0xCF8 address, 0xCFC data) and ECAM (memory-mapped, 4 KiB per function).
 * BAR accesses are dispatched by pci_bus__mmio_io()/pci_bus__pio_io() to the
 * device whose enabled BAR holds the address.
 *
 * Locking: each device has a mutex, taken around every config or BAR access
 * to it (so device callbacks run with it held). Devices are registered before
 * the vCPUs start and never removed, so the bus table itself needs no lock.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <cella/error.h>

#define PCI_CFG_SIZE	  256  /* conventional config space (mechanism #1 reaches this much) */
#define PCI_CFG_EXT_SIZE  4096 /* PCI Express config space (ECAM) */
#define PCI_MAX_SLOTS	  32
#define PCI_MAX_FUNCS	  8
#define PCI_NUM_BARS	  6
#define PCI_ECAM_BUS_SIZE (1ULL << 20) /* ECAM bytes per bus */

/* Config space registers (type 0 header). */
#define PCI_VENDOR_ID	   0x00
#define PCI_DEVICE_ID	   0x02
#define PCI_COMMAND	   0x04
#define PCI_STATUS	   0x06
#define PCI_REVISION_ID	   0x08
#define PCI_CLASS_PROG	   0x09 /* prog-if, subclass, class: 24 bits */
#define PCI_HEADER_TYPE	   0x0E
#define PCI_BAR0	   0x10
#define PCI_SUBSYS_VENDOR  0x2C
#define PCI_SUBSYS_ID	   0x2E
#define PCI_ROM_ADDRESS	   0x30
#define PCI_CAP_PTR	   0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN  0x3D
#define PCI_CAP_START	   0x40 /* first byte after the header */

#define PCI_COMMAND_IO		 0x0001
#define PCI_COMMAND_MEMORY	 0x0002
#define PCI_COMMAND_MASTER	 0x0004
#define PCI_COMMAND_PARITY	 0x0040
#define PCI_COMMAND_SERR	 0x0100
#define PCI_COMMAND_INTX_DISABLE 0x0400
#define PCI_STATUS_INTERRUPT	 0x0008
#define PCI_STATUS_CAP_LIST	 0x0010
#define PCI_HEADER_MULTI_FUNC	 0x80

#define PCI_BAR_SPACE_IO     0x1
#define PCI_BAR_MEM_TYPE_64  0x4
#define PCI_BAR_MEM_PREFETCH 0x8

#define PCI_CAP_ID_MSIX	  0x11
#define PCI_CAP_ID_VENDOR 0x09

/* What pci_device__add_bar() is asked for. */
#define PCI_BAR_F_IO	   0x1 /* I/O space (else memory) */
#define PCI_BAR_F_MEM64	   0x2 /* 64-bit memory BAR: takes this BAR register and the next */
#define PCI_BAR_F_PREFETCH 0x4

struct pci_bus;
struct pci_msix;

/* A BAR access: offset from the BAR's base; len 1, 2, 4 or 8; never straddles the BAR's end. */
typedef void (*pci_bar_io_fn)(void *opaque, unsigned bar, uint64_t offset, uint8_t *data, uint32_t len,
			      bool is_write);
/*
 * Config space side effects beyond the masks: called under the device lock
 * before a read of [off, off+len) (the device may refresh those bytes) and
 * after a write to it.
 */
typedef void (*pci_cfg_hook_fn)(void *opaque, uint32_t off, uint32_t len, bool is_write);
/* The device's effective INTx level changed (INTx disable taken into account). */
typedef void (*pci_intx_fn)(void *opaque, bool level);

struct pci_bar {
	uint64_t size;	/* power of 2; 0: BAR not implemented */
	unsigned flags; /* PCI_BAR_F_* */
	bool upper;	/* this register is the high half of the previous 64-bit BAR */
	pci_bar_io_fn io;
	void *opaque;
};

struct pci_device_id {
	uint16_t vendor;
	uint16_t device;
	uint16_t subsys_vendor;
	uint16_t subsys;
	uint8_t revision;
	uint32_t class_code; /* class << 16 | subclass << 8 | prog-if */
	uint8_t irq_pin;     /* 0: no INTx, 1-4: INTA#-INTD# */
};

struct pci_device {
	const char *name;
	pthread_mutex_t lock;
	uint8_t cfg[PCI_CFG_EXT_SIZE];
	uint8_t wmask[PCI_CFG_EXT_SIZE];   /* bits a config write may change */
	uint8_t w1cmask[PCI_CFG_EXT_SIZE]; /* bits a config write of 1 clears */
	struct pci_bar bar[PCI_NUM_BARS];
	uint16_t cap_next; /* where the next capability goes (may reach 256: full) */
	uint8_t cap_last;  /* offset of the last capability, 0 = none */
	struct pci_msix *msix;
	pci_cfg_hook_fn cfg_hook; /* optional */
	void *cfg_hook_opaque;
	bool intx_level; /* the device's line, before INTx disable */
	pci_intx_fn intx;
	void *intx_opaque;
	uint8_t devfn; /* slot << 3 | function, valid once registered */
	bool registered;
};

struct pci_bus {
	struct pci_device *dev[PCI_MAX_SLOTS * PCI_MAX_FUNCS]; /* by devfn */
	_Atomic uint32_t conf1_addr;			       /* the 0xCF8 latch */
	uint64_t mmio_base, mmio_size, mmio_next;	       /* window BARs are placed in at registration */
	uint64_t io_base, io_size, io_next;
	/*
	 * Given to every MSI-X device at registration (struct pci_msix.retire):
	 * told when a vector's message changes. Optional; set before registering.
	 */
	void (*msi_retire)(void *opaque, uint64_t addr, uint32_t data);
};

/* ---- devices (pci_device.c) ---- */
int pci_device__init(struct pci_device *dev, const char *name, const struct pci_device_id *id,
		     cella_err_t *err);
void pci_device__destroy(struct pci_device *dev);
/* Declares BAR n: size a power of 2 (memory >= 16 bytes, I/O 4..256). */
int pci_device__add_bar(struct pci_device *dev, unsigned n, uint64_t size, unsigned flags, pci_bar_io_fn io,
			void *opaque, cella_err_t *err);
/*
 * Appends a capability: cap[0] is its id, cap[1] (next) is filled in; len >= 2.
 * *offset receives where it went. Its bytes are read-only unless the caller
 * sets wmask bits afterwards.
 */
int pci_device__add_cap(struct pci_device *dev, const uint8_t *cap, uint8_t len, uint8_t *offset,
			cella_err_t *err);
/* Config space access at off (0..4095, naturally aligned, len 1/2/4). Call with dev->lock held. */
uint32_t pci_device__cfg_read(struct pci_device *dev, uint32_t off, uint32_t len);
void pci_device__cfg_write(struct pci_device *dev, uint32_t off, uint32_t len, uint32_t value);
/* The guest-programmed base of BAR n; false when n is unimplemented. Call with dev->lock held. */
bool pci_device__bar_address(const struct pci_device *dev, unsigned n, uint64_t *addr);
/* Sets the device's INTx line; the callback sees it unless INTx is disabled. Call with dev->lock held. */
void pci_device__set_intx(struct pci_device *dev, bool level);
/* The level the interrupt controller should see: the line, unless the command register disables INTx. */
bool pci_device__intx_effective(const struct pci_device *dev);
void pci_device__lock(struct pci_device *dev);
void pci_device__unlock(struct pci_device *dev);

/* ---- the bus (pci_bus.c) ---- */
/* mmio/io windows: where BARs are placed at registration (the host bridge's _CRS ranges). */
void pci_bus__init(struct pci_bus *bus, uint64_t mmio_base, uint64_t mmio_size, uint64_t io_base,
		   uint64_t io_size);
/*
 * Puts dev at slot/function and gives its BARs addresses in the windows
 * (naturally aligned). Function 0 must come before functions 1-7 of a slot.
 * Before the vCPUs start only.
 */
int pci_bus__register(struct pci_bus *bus, struct pci_device *dev, unsigned slot, unsigned fn,
		      cella_err_t *err);

/*
 * Configuration mechanism #1 over ports 0xCF8-0xCFF, off = port - 0xCF8. A
 * dword at 0xCF8 is the address latch; 0xCFC-0xCFF carry data of 1, 2 or 4
 * bytes. Returns false for an access that is not part of the mechanism (a byte
 * at 0xCF9 is the reset control register on PCs: the caller may route it on).
 */
bool pci_bus__conf1_access(struct pci_bus *bus, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
/* The same as a bus I/O handler (opaque = bus): unhandled reads give all-ones. */
void pci_bus__conf1_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
/* ECAM, off from the ECAM base: bus 0 is served, every other bus reads all-ones. opaque = bus. */
void pci_bus__ecam_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
/* BAR dispatch: off from the window base given to pci_bus__init(). Unclaimed reads give all-ones. */
void pci_bus__mmio_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);
void pci_bus__pio_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write);

#endif
