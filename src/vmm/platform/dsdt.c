// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The DSDT: the devices an OS cannot find by probing (COM1, RTC, i8042, the PCI
 * host bridge and its windows) and \_S5 so that ACPI power-off reaches the
 * VMM's PM1a_CNT port. Equivalent ASL:
 *   Name (\_S5, Package () { 5, 5, 0, 0 })
 *   Scope (\_SB) { Device (COM1) {...} Device (RTC) {...} Device (PS2K) {...} Device (PCI0) {...} Device (MRES) {...} }
 * PCI0 carries _PRT, the INTx routing of every occupied slot (platform/layout.h).
 */
#include "platform/acpi.h"
#include "platform/layout.h"

#define AML_PACKAGE_OP 0x12

static void dsdt__s5(struct aml *a)
{
	size_t pkg;

	aml__byte(a, 0x08); /* NameOp */
	aml__name_string(a, "\\_S5");
	aml__byte(a, AML_PACKAGE_OP);
	pkg = aml__pkg_open(a);
	aml__byte(a, 4); /* SLP_TYPa, SLP_TYPb, reserved, reserved */
	aml__integer(a, PLATFORM_ACPI_SLP_TYP_S5);
	aml__integer(a, PLATFORM_ACPI_SLP_TYP_S5);
	aml__integer(a, 0);
	aml__integer(a, 0);
	aml__pkg_close(a, pkg);
}

/* Device (NAME) { _HID, _UID, _CRS = one I/O range (two when port2) and one IRQ } */
static void dsdt__isa_device(struct aml *a, const char *name, const char *hid, unsigned uid, uint16_t port,
			     uint8_t len, uint16_t port2, unsigned irq)
{
	struct aml crs = {0};
	size_t dev = aml__device_open(a, name);

	aml__name_eisaid(a, "_HID", hid);
	aml__name_integer(a, "_UID", uid);
	aml__res_io(&crs, port, len);
	if (port2)
		aml__res_io(&crs, port2, 1);
	aml__res_irq(&crs, irq);
	aml__res_end(&crs);
	aml__name_buffer(a, "_CRS", &crs);
	aml__free(&crs);
	aml__pkg_close(a, dev);
}

/*
 * Name (_PRT, Package () { Package () { 0xSSSSFFFF, PIN, Zero, GSI }, ... }):
 * INTA#-INTD# (PIN 0-3) of each slot in pci_slots straight to a GSI (source
 * Zero), the form ACPI defines as level-triggered, active-low and shareable,
 * which is what the MP table says too. Only the slots that hold a device
 * (devices are not hot-plugged): the guest's AML interpreter parses every
 * entry at boot, and with all 32 slots that was most of Linux's ACPI start-up
 * on a host that emulates guest kernel code (docs/vmm.md).
 */
static void dsdt__pci_routing(struct aml *a, uint32_t pci_slots)
{
	unsigned n = (unsigned)__builtin_popcount(pci_slots);
	size_t prt;

	aml__byte(a, 0x08); /* NameOp */
	aml__name_string(a, "_PRT");
	aml__byte(a, AML_PACKAGE_OP);
	prt = aml__pkg_open(a);
	aml__byte(a, (uint8_t)(n * 4)); /* at most 128 */
	for (unsigned slot = 0; slot < PLATFORM_PCI_SLOTS; slot++) {
		if (!(pci_slots & (1u << slot)))
			continue;
		for (unsigned pin = 1; pin <= 4; pin++) {
			size_t entry;

			aml__byte(a, AML_PACKAGE_OP);
			entry = aml__pkg_open(a);
			aml__byte(a, 4);
			aml__integer(a, (uint64_t)slot << 16 | 0xFFFF); /* _ADR form: any function */
			aml__integer(a, pin - 1);
			aml__integer(a, 0);
			aml__integer(a, PLATFORM_PCI_INTX_GSI(slot, pin));
			aml__pkg_close(a, entry);
		}
	}
	aml__pkg_close(a, prt);
}

static void dsdt__pci_host_bridge(struct aml *a, uint32_t pci_slots)
{
	struct aml crs = {0};
	size_t dev = aml__device_open(a, "PCI0");

	aml__name_eisaid(a, "_HID", "PNP0A08"); /* PCI Express root bridge */
	aml__name_eisaid(a, "_CID", "PNP0A03"); /* ... compatible with plain PCI */
	aml__name_integer(a, "_SEG", 0);
	aml__name_integer(a, "_BBN", 0);
	aml__name_integer(a, "_UID", 0);
	aml__res_word_bus(&crs, 0, 0xff);
	aml__res_io(&crs, PLATFORM_PCI_CONF1_PORT, 8);
	/* Every I/O port except the config mechanism's belongs to PCI; the ISA devices above decode theirs. */
	aml__res_word_io(&crs, 0x0000, PLATFORM_PCI_CONF1_PORT - 1);
	aml__res_word_io(&crs, 0x0D00, 0xFFFF);
	aml__res_dword_mem(&crs, PLATFORM_PCI_MMIO32_BASE,
			   PLATFORM_PCI_MMIO32_BASE + PLATFORM_PCI_MMIO32_SIZE - 1);
	aml__res_end(&crs);
	aml__name_buffer(a, "_CRS", &crs);
	aml__free(&crs);
	dsdt__pci_routing(a, pci_slots);
	aml__pkg_close(a, dev);
}

/*
 * Motherboard resources: ECAM (Linux wants MCFG's area claimed here or in e820)
 * and the ACPI PM ports. The reset register 0xCF9 sits inside the host
 * bridge's 0xCF8-0xCFF, as on a PC chipset, so it is not claimed twice.
 */
static void dsdt__motherboard(struct aml *a)
{
	struct aml crs = {0};
	size_t dev = aml__device_open(a, "MRES");

	aml__name_eisaid(a, "_HID", "PNP0C02");
	aml__name_integer(a, "_UID", 1);
	aml__res_mem32_fixed(&crs, PLATFORM_PCI_ECAM_BASE, PLATFORM_PCI_ECAM_SIZE);
	aml__res_io(&crs, PLATFORM_ACPI_PM1A_EVT_PORT, 16);
	aml__res_end(&crs);
	aml__name_buffer(a, "_CRS", &crs);
	aml__free(&crs);
	aml__pkg_close(a, dev);
}

int acpi__build_dsdt_body(struct aml *a, uint32_t pci_slots)
{
	size_t sb;

	dsdt__s5(a);
	sb = aml__scope_open(a, "\\_SB");
	dsdt__isa_device(a, "COM1", "PNP0501", 1, PLATFORM_COM1_PORT, 8, 0, PLATFORM_COM1_IRQ);
	dsdt__isa_device(a, "RTC", "PNP0B00", 0, PLATFORM_RTC_PORT, 2, 0, PLATFORM_RTC_IRQ);
	dsdt__isa_device(a, "PS2K", "PNP0303", 0, PLATFORM_I8042_DATA_PORT, 1, PLATFORM_I8042_CMD_PORT,
			 PLATFORM_I8042_IRQ);
	dsdt__pci_host_bridge(a, pci_slots);
	dsdt__motherboard(a);
	aml__pkg_close(a, sb);
	return a->failed ? -1 : 0;
}
