/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_PLATFORM_ACPI_H
#define CELLA_VMM_PLATFORM_ACPI_H

/* ACPI table layouts (ACPI 6.x chapter 5) shared by the table writer and its tests. */
#include <stddef.h>
#include <stdint.h>

#include "platform/aml.h"

#define ACPI_OEM_ID	  "CELLA "
#define ACPI_OEM_TABLE_ID "CELLAVMM"
#define ACPI_CREATOR_ID	  "CELA"

struct acpi_header {
	char signature[4];
	uint32_t length;
	uint8_t revision;
	uint8_t checksum;
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));

struct acpi_rsdp {
	char signature[8]; /* "RSD PTR " */
	uint8_t checksum;  /* first 20 bytes */
	char oem_id[6];
	uint8_t revision; /* 2: ACPI 2.0+ */
	uint32_t rsdt_address;
	uint32_t length;
	uint64_t xsdt_address;
	uint8_t extended_checksum; /* all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));

/* Generic Address Structure. */
struct acpi_gas {
	uint8_t space_id; /* 1 = system I/O */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size; /* 1 byte, 2 word, 3 dword */
	uint64_t address;
} __attribute__((packed));

struct acpi_fadt {
	struct acpi_header h;
	uint32_t firmware_ctrl, dsdt;
	uint8_t reserved0, preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable, acpi_disable, s4bios_req, pstate_cnt;
	uint32_t pm1a_evt_blk, pm1b_evt_blk, pm1a_cnt_blk, pm1b_cnt_blk, pm2_cnt_blk, pm_tmr_blk, gpe0_blk,
		gpe1_blk;
	uint8_t pm1_evt_len, pm1_cnt_len, pm2_cnt_len, pm_tmr_len, gpe0_blk_len, gpe1_blk_len, gpe1_base,
		cst_cnt;
	uint16_t p_lvl2_lat, p_lvl3_lat, flush_size, flush_stride;
	uint8_t duty_offset, duty_width, day_alrm, mon_alrm, century;
	uint16_t iapc_boot_arch;
	uint8_t reserved1;
	uint32_t flags;
	struct acpi_gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl, x_dsdt;
	struct acpi_gas x_pm1a_evt_blk, x_pm1b_evt_blk, x_pm1a_cnt_blk, x_pm1b_cnt_blk, x_pm2_cnt_blk,
		x_pm_tmr_blk, x_gpe0_blk, x_gpe1_blk, sleep_control_reg, sleep_status_reg;
	uint64_t hypervisor_vendor_id;
} __attribute__((packed));

#define ACPI_FADT_WBINVD	(1U << 0)
#define ACPI_FADT_C1_SUPPORTED	(1U << 2)
#define ACPI_FADT_SLEEP_BUTTON	(1U << 5) /* 1: no fixed-feature sleep button */
#define ACPI_FADT_RESET_REG_SUP (1U << 10)
#define ACPI_FADT_HW_REDUCED	(1U << 20)

#define ACPI_IAPC_LEGACY_DEVICES (1U << 0)
#define ACPI_IAPC_8042		 (1U << 1)
#define ACPI_IAPC_NO_VGA	 (1U << 2)

struct acpi_facs {
	char signature[4];
	uint32_t length;
	uint32_t hardware_signature, firmware_waking_vector, global_lock, flags;
	uint64_t x_firmware_waking_vector;
	uint8_t version;
	uint8_t reserved[3];
	uint32_t ospm_flags;
	uint8_t reserved2[24];
} __attribute__((packed));

struct acpi_madt {
	struct acpi_header h;
	uint32_t lapic_address;
	uint32_t flags; /* 1: PCAT_COMPAT, dual 8259 present */
} __attribute__((packed));

#define ACPI_MADT_LAPIC	    0
#define ACPI_MADT_IOAPIC    1
#define ACPI_MADT_ISO	    2
#define ACPI_MADT_LAPIC_NMI 4

struct acpi_madt_lapic {
	uint8_t type, length, processor_uid, apic_id;
	uint32_t flags; /* 1: enabled */
} __attribute__((packed));

struct acpi_madt_ioapic {
	uint8_t type, length, ioapic_id, reserved;
	uint32_t address, gsi_base;
} __attribute__((packed));

struct acpi_madt_iso {
	uint8_t type, length, bus, source;
	uint32_t gsi;
	uint16_t flags; /* bits 0-1 polarity (1 high), bits 2-3 trigger (1 edge, 3 level) */
} __attribute__((packed));

struct acpi_madt_lapic_nmi {
	uint8_t type, length, processor_uid; /* 0xFF: all processors */
	uint16_t flags;
	uint8_t lint;
} __attribute__((packed));

struct acpi_mcfg {
	struct acpi_header h;
	uint64_t reserved;
} __attribute__((packed));

struct acpi_mcfg_entry {
	uint64_t base;
	uint16_t segment;
	uint8_t start_bus, end_bus;
	uint32_t reserved;
} __attribute__((packed));

_Static_assert(sizeof(struct acpi_header) == 36, "ACPI header is 36 bytes");
_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP 2.0 is 36 bytes");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT (ACPI 6) is 276 bytes");
_Static_assert(offsetof(struct acpi_fadt, century) == 108, "FADT CENTURY at 108");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG at 116");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT at 140");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS is 64 bytes");
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO is 10 bytes");
_Static_assert(sizeof(struct acpi_mcfg_entry) == 16, "MCFG entry is 16 bytes");

/* Sum-to-zero checksum byte for len bytes at p (whose checksum byte is still 0). */
uint8_t acpi__checksum(const void *p, size_t len);

/* The DSDT's AML body (everything after the table header) into a, with _PRT entries for the PCI slots in
 * the pci_slots mask. Returns 0, -1 on allocation failure. */
int acpi__build_dsdt_body(struct aml *a, uint32_t pci_slots);

#endif
