// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The host bridge: slot registration, the two config access mechanisms and
 * BAR dispatch. Every guest access is checked for width and alignment before
 * it reaches a device; what does not decode reads all-ones (no device) and
 * writes nothing.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "pci/msix.h"
#include "pci/pci.h"

#define CONF1_ENABLE   0x80000000U
#define CONF1_BUS(a)   (((a) >> 16) & 0xFF)
#define CONF1_DEVFN(a) (((a) >> 8) & 0xFF)
#define CONF1_REG(a)   ((a)&0xFC)
#define CONF1_DATA_OFF 4

static void put_le(uint8_t *data, uint32_t len, uint64_t v)
{
	for (uint32_t i = 0; i < len; i++)
		data[i] = v >> (8 * i);
}

static uint32_t get_le32(const uint8_t *data, uint32_t len)
{
	uint32_t v = 0;

	for (uint32_t i = 0; i < len && i < 4; i++)
		v |= (uint32_t)data[i] << (8 * i);
	return v;
}

void pci_bus__init(struct pci_bus *bus, uint64_t mmio_base, uint64_t mmio_size, uint64_t io_base,
		   uint64_t io_size)
{
	memset(bus, 0, sizeof(*bus));
	bus->mmio_base = bus->mmio_next = mmio_base;
	bus->mmio_size = mmio_size;
	bus->io_base = bus->io_next = io_base;
	bus->io_size = io_size;
}

/* Places size bytes, naturally aligned, at *next inside [base, base+limit). */
static int window_alloc(uint64_t base, uint64_t limit, uint64_t *next, uint64_t size, uint64_t *addr)
{
	uint64_t a = (*next + size - 1) & ~(size - 1);

	if (a < *next || a - base > limit || size > limit - (a - base))
		return -1;
	*addr = a;
	*next = a + size;
	return 0;
}

/* Places every BAR of dev in the windows; on failure neither dev nor the windows change. */
static int assign_bars(struct pci_bus *bus, struct pci_device *dev, cella_err_t *err)
{
	uint64_t addr[PCI_NUM_BARS] = {0}, io_next = bus->io_next, mmio_next = bus->mmio_next;

	for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
		const struct pci_bar *b = &dev->bar[n];
		bool is_io = b->flags & PCI_BAR_F_IO;

		if (!b->size)
			continue;
		if (is_io ? window_alloc(bus->io_base, bus->io_size, &io_next, b->size, &addr[n])
			  : window_alloc(bus->mmio_base, bus->mmio_size, &mmio_next, b->size, &addr[n]))
			return cella_error_make(err, ENOSPC,
						"pci device %s: no room for BAR %u (0x%" PRIx64 " bytes)",
						dev->name, n, b->size);
		/* The register keeps only the bits the BAR kind can hold: refuse a window it cannot express. */
		if (is_io ? addr[n] + b->size > 0x10000
			  : !(b->flags & PCI_BAR_F_MEM64) && addr[n] + b->size > (1ULL << 32))
			return cella_error_make(
				err, ERANGE,
				"pci device %s: BAR %u at 0x%" PRIx64 " is beyond what a %s BAR can hold",
				dev->name, n, addr[n], is_io ? "16-bit I/O" : "32-bit memory");
	}
	for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
		uint8_t *reg = dev->cfg + PCI_BAR0 + 4 * n;

		if (!dev->bar[n].size)
			continue;
		/* Keep the read-only type bits; the address bits are exactly the writable ones. */
		for (unsigned i = 0; i < 4; i++)
			reg[i] = (reg[i] & ~dev->wmask[PCI_BAR0 + 4 * n + i]) | (uint8_t)(addr[n] >> (8 * i));
		if (dev->bar[n].flags & PCI_BAR_F_MEM64)
			for (unsigned i = 0; i < 4; i++)
				reg[4 + i] = (uint8_t)(addr[n] >> (32 + 8 * i));
	}
	bus->io_next = io_next;
	bus->mmio_next = mmio_next;
	return 0;
}

int pci_bus__register(struct pci_bus *bus, struct pci_device *dev, unsigned slot, unsigned fn,
		      cella_err_t *err)
{
	unsigned devfn = slot << 3 | fn;

	if (slot >= PCI_MAX_SLOTS || fn >= PCI_MAX_FUNCS)
		return cella_error_make(err, EINVAL,
					"pci device %s: slot %u function %u does not exist on the bus",
					dev->name, slot, fn);
	if (bus->dev[devfn])
		return cella_error_make(err, EBUSY, "pci device %s: %02x.%u is taken by %s", dev->name, slot,
					fn, bus->dev[devfn]->name);
	if (fn && !bus->dev[slot << 3])
		return cella_error_make(err, EINVAL,
					"pci device %s: function %u of slot %02x needs function 0 first",
					dev->name, fn, slot);
	if (dev->registered)
		return cella_error_make(err, EBUSY, "pci device %s is already registered", dev->name);
	if (assign_bars(bus, dev, err) < 0)
		return -1;
	if (fn)
		bus->dev[slot << 3]->cfg[PCI_HEADER_TYPE] |= PCI_HEADER_MULTI_FUNC;
	if (dev->msix)
		dev->msix->retire = bus->msi_retire;
	dev->devfn = devfn;
	dev->registered = true;
	bus->dev[devfn] = dev;
	return 0;
}

/* One config access to (bus, devfn, reg): reg aligned to len, len 1/2/4, reg+len inside limit. */
static void cfg_access(struct pci_bus *bus, unsigned busno, unsigned devfn, uint32_t reg, uint32_t limit,
		       uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_device *dev = busno == 0 ? bus->dev[devfn & 0xFF] : NULL;

	if (!dev || (len != 1 && len != 2 && len != 4) || reg % len || reg + len > limit) {
		if (!is_write)
			memset(data, 0xFF, len);
		return;
	}
	pci_device__lock(dev);
	if (is_write)
		pci_device__cfg_write(dev, reg, len, get_le32(data, len));
	else
		put_le(data, len, pci_device__cfg_read(dev, reg, len));
	pci_device__unlock(dev);
}

bool pci_bus__conf1_access(struct pci_bus *bus, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	uint32_t addr;

	if (off < CONF1_DATA_OFF) {
		if (off != 0 || len != 4)
			return false; /* only a dword at 0xCF8 is the latch */
		if (is_write)
			atomic_store(&bus->conf1_addr, get_le32(data, 4));
		else
			put_le(data, 4, atomic_load(&bus->conf1_addr));
		return true;
	}
	if (off >= 8 || len > 8 - off)
		return false;
	addr = atomic_load(&bus->conf1_addr);
	if (!(addr & CONF1_ENABLE) || (off - CONF1_DATA_OFF) + len > 4) {
		if (!is_write)
			memset(data, 0xFF, len);
		return true;
	}
	/* The data port offset selects the byte within the dword the latch names. */
	cfg_access(bus, CONF1_BUS(addr), CONF1_DEVFN(addr),
		   CONF1_REG(addr) + (uint32_t)(off - CONF1_DATA_OFF), PCI_CFG_SIZE, data, len, is_write);
	return true;
}

void pci_bus__conf1_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	if (!pci_bus__conf1_access(opaque, off, data, len, is_write) && !is_write)
		memset(data, 0xFF, len);
}

void pci_bus__ecam_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	cfg_access(opaque, (unsigned)(off / PCI_ECAM_BUS_SIZE), (off >> 12) & 0xFF, off & 0xFFF,
		   PCI_CFG_EXT_SIZE, data, len, is_write);
}

/*
 * Finds the device whose decoding-enabled BAR of the given kind holds
 * [addr, addr+len) and lets it handle the access, with its lock held.
 */
static bool bar_dispatch(struct pci_bus *bus, bool want_io, uint64_t addr, uint8_t *data, uint32_t len,
			 bool is_write)
{
	uint16_t enable = want_io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;

	if (len != 1 && len != 2 && len != 4 && len != 8)
		return false;
	for (unsigned i = 0; i < PCI_MAX_SLOTS * PCI_MAX_FUNCS; i++) {
		struct pci_device *dev = bus->dev[i];

		if (!dev)
			continue;
		pci_device__lock(dev);
		if (dev->cfg[PCI_COMMAND] & enable) {
			for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
				const struct pci_bar *b = &dev->bar[n];
				uint64_t base;

				if (!pci_device__bar_address(dev, n, &base) ||
				    !(b->flags & PCI_BAR_F_IO) != !want_io)
					continue;
				if (addr >= base && addr - base < b->size && len <= b->size - (addr - base)) {
					b->io(b->opaque, n, addr - base, data, len, is_write);
					pci_device__unlock(dev);
					return true;
				}
			}
		}
		pci_device__unlock(dev);
	}
	return false;
}

void pci_bus__mmio_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_bus *bus = opaque;

	if (!bar_dispatch(bus, false, bus->mmio_base + off, data, len, is_write) && !is_write)
		memset(data, 0xFF, len);
}

void pci_bus__pio_io(void *opaque, uint64_t off, uint8_t *data, uint32_t len, bool is_write)
{
	struct pci_bus *bus = opaque;

	if (!bar_dispatch(bus, true, bus->io_base + off, data, len, is_write) && !is_write)
		memset(data, 0xFF, len);
}
