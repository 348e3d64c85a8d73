// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * One PCI function's config space. Everything the guest may change is
 * described by wmask/w1cmask, so a write is the same masked merge everywhere;
 * the few registers with side effects (command, MSI-X control) are looked at
 * after the merge.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "pci/msix.h"
#include "pci/pci.h"

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v;
	p[1] = v >> 8;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v);
	put16(p + 2, v >> 16);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

int pci_device__init(struct pci_device *dev, const char *name, const struct pci_device_id *id,
		     cella_err_t *err)
{
	if (id->irq_pin > 4)
		return cella_error_make(err, EINVAL, "pci device %s: interrupt pin %u is not 0-4", name,
					id->irq_pin);
	memset(dev, 0, sizeof(*dev));
	dev->name = name;
	put16(dev->cfg + PCI_VENDOR_ID, id->vendor);
	put16(dev->cfg + PCI_DEVICE_ID, id->device);
	dev->cfg[PCI_REVISION_ID] = id->revision;
	dev->cfg[PCI_CLASS_PROG] = id->class_code;
	put16(dev->cfg + PCI_CLASS_PROG + 1, id->class_code >> 8);
	put16(dev->cfg + PCI_SUBSYS_VENDOR, id->subsys_vendor);
	put16(dev->cfg + PCI_SUBSYS_ID, id->subsys);
	dev->cfg[PCI_INTERRUPT_PIN] = id->irq_pin;
	put16(dev->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
						PCI_COMMAND_PARITY | PCI_COMMAND_SERR |
						PCI_COMMAND_INTX_DISABLE);
	dev->wmask[PCI_INTERRUPT_LINE] = 0xFF; /* scratch for the OS */
	dev->wmask[0x0C] = 0xFF;	       /* cache line size: scratch too */
	dev->cap_next = PCI_CAP_START;
	pthread_mutex_init(&dev->lock, NULL);
	return 0;
}

void pci_device__destroy(struct pci_device *dev)
{
	pthread_mutex_destroy(&dev->lock);
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pci_device__add_bar(struct pci_device *dev, unsigned n, uint64_t size, unsigned flags, pci_bar_io_fn io,
			void *opaque, cella_err_t *err)
{
	bool is_io = flags & PCI_BAR_F_IO, is64 = flags & PCI_BAR_F_MEM64;
	uint8_t *reg = dev->cfg + PCI_BAR0 + 4 * n, *wm = dev->wmask + PCI_BAR0 + 4 * n;

	if (n >= PCI_NUM_BARS || (is64 && n + 1 >= PCI_NUM_BARS))
		return cella_error_make(err, EINVAL, "pci device %s: BAR %u does not exist", dev->name, n);
	if (dev->bar[n].size || dev->bar[n].upper ||
	    (is64 && (dev->bar[n + 1].size || dev->bar[n + 1].upper)))
		return cella_error_make(err, EBUSY, "pci device %s: BAR %u is already in use", dev->name, n);
	if (is_io && (flags & (PCI_BAR_F_MEM64 | PCI_BAR_F_PREFETCH)))
		return cella_error_make(err, EINVAL,
					"pci device %s: I/O BAR %u cannot be 64-bit or prefetchable",
					dev->name, n);
	if (!is_pow2(size) || (is_io ? size < 4 || size > 256 : size < 16 || (!is64 && size > (1ULL << 31))))
		return cella_error_make(err, EINVAL, "pci device %s: BAR %u size 0x%" PRIx64 " is invalid",
					dev->name, n, size);
	if (!io)
		return cella_error_make(err, EINVAL, "pci device %s: BAR %u has no handler", dev->name, n);
	dev->bar[n] = (struct pci_bar){.size = size, .flags = flags, .io = io, .opaque = opaque};
	if (is_io) {
		put32(reg, PCI_BAR_SPACE_IO);
		put32(wm, (uint32_t) ~(size - 1) & 0xFFFCU); /* x86 ports are 16 bits */
		return 0;
	}
	put32(reg,
	      (is64 ? PCI_BAR_MEM_TYPE_64 : 0) | (flags & PCI_BAR_F_PREFETCH ? PCI_BAR_MEM_PREFETCH : 0));
	put32(wm, (uint32_t) ~(size - 1) & ~0xFU);
	if (is64) {
		put32(wm + 4, (uint32_t)(~(size - 1) >> 32));
		dev->bar[n + 1].upper = true;
	}
	return 0;
}

int pci_device__add_cap(struct pci_device *dev, const uint8_t *cap, uint8_t len, uint8_t *offset,
			cella_err_t *err)
{
	unsigned off = dev->cap_next;

	if (len < 2 || off + len > PCI_CFG_SIZE)
		return cella_error_make(err, ENOSPC, "pci device %s: no room for a %u-byte capability",
					dev->name, len);
	memcpy(dev->cfg + off, cap, len);
	dev->cfg[off + 1] = 0;
	if (dev->cap_last)
		dev->cfg[dev->cap_last + 1] = off;
	else
		dev->cfg[PCI_CAP_PTR] = off;
	dev->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	dev->cap_last = off;
	dev->cap_next = (off + len + 3) & ~3U;
	*offset = off;
	return 0;
}

uint32_t pci_device__cfg_read(struct pci_device *dev, uint32_t off, uint32_t len)
{
	uint32_t v = 0;

	if (off >= PCI_CFG_EXT_SIZE || len > PCI_CFG_EXT_SIZE - off || len > 4)
		return 0xFFFFFFFFU; /* callers pass validated accesses; this is a backstop */
	if (dev->cfg_hook)
		dev->cfg_hook(dev->cfg_hook_opaque, off, len, false);
	for (uint32_t i = 0; i < len; i++)
		v |= (uint32_t)dev->cfg[off + i] << (8 * i);
	return v;
}

bool pci_device__intx_effective(const struct pci_device *dev)
{
	return dev->intx_level && !(dev->cfg[PCI_COMMAND + 1] & (PCI_COMMAND_INTX_DISABLE >> 8));
}

/* Tells the interrupt controller side when the line the guest sees changes. */
static void update_intx(struct pci_device *dev, bool was_level)
{
	bool level = pci_device__intx_effective(dev);

	if (level != was_level && dev->intx)
		dev->intx(dev->intx_opaque, level);
}

void pci_device__cfg_write(struct pci_device *dev, uint32_t off, uint32_t len, uint32_t value)
{
	bool intx_before = pci_device__intx_effective(dev);

	if (off >= PCI_CFG_EXT_SIZE || len > PCI_CFG_EXT_SIZE - off || len > 4)
		return;
	for (uint32_t i = 0; i < len; i++) {
		uint8_t v = value >> (8 * i), wm = dev->wmask[off + i];

		dev->cfg[off + i] = (dev->cfg[off + i] & ~wm) | (v & wm);
		dev->cfg[off + i] &= ~(v & dev->w1cmask[off + i]);
	}
	if (off < PCI_COMMAND + 2 && off + len > PCI_COMMAND)
		update_intx(dev, intx_before);
	if (dev->msix)
		pci_msix__config_written(dev->msix, off, len);
	if (dev->cfg_hook)
		dev->cfg_hook(dev->cfg_hook_opaque, off, len, true);
}

bool pci_device__bar_address(const struct pci_device *dev, unsigned n, uint64_t *addr)
{
	const uint8_t *reg;
	uint64_t a;

	if (n >= PCI_NUM_BARS || !dev->bar[n].size)
		return false;
	reg = dev->cfg + PCI_BAR0 + 4 * n;
	if (dev->bar[n].flags & PCI_BAR_F_IO) {
		*addr = get32(reg) & ~3U;
		return true;
	}
	a = get32(reg) & ~0xFU;
	if (dev->bar[n].flags & PCI_BAR_F_MEM64)
		a |= (uint64_t)get32(reg + 4) << 32;
	*addr = a;
	return true;
}

void pci_device__set_intx(struct pci_device *dev, bool level)
{
	bool before = pci_device__intx_effective(dev);

	dev->intx_level = level;
	if (level)
		dev->cfg[PCI_STATUS] |= PCI_STATUS_INTERRUPT;
	else
		dev->cfg[PCI_STATUS] &= ~PCI_STATUS_INTERRUPT;
	update_intx(dev, before);
}

void pci_device__lock(struct pci_device *dev)
{
	pthread_mutex_lock(&dev->lock);
}

void pci_device__unlock(struct pci_device *dev)
{
	pthread_mutex_unlock(&dev->lock);
}
