/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_PLATFORM_LAYOUT_H
#define CELLA_VMM_PLATFORM_LAYOUT_H

/*
 * The guest's physical and I/O map: one place for the numbers that the boot
 * loader, the firmware tables (ACPI, MP table, e820) and the VMM's device
 * models must agree on. docs/vmm-boot.md draws the same map.
 */

/* ---- Low memory (below 1 MiB): boot structures written by the loader ---- */
#define BOOT_GDT_GPA	     0x500ULL /* null, null, code 0x10, data 0x18, TSS 0x20 (16 bytes in long mode) */
#define BOOT_IDT_GPA	     0x530ULL /* one empty gate: a fault before the guest sets its IDT is fatal */
#define BOOT_START_INFO_GPA  0x6000ULL /* PVH hvm_start_info, or the Multiboot information structure */
#define BOOT_MODLIST_GPA     0x6080ULL /* PVH module list / Multiboot module list (one module: the initrd) */
#define BOOT_LOADER_NAME_GPA 0x60C0ULL /* Multiboot boot_loader_name, "cella" */
#define BOOT_MEMMAP_GPA	     0x6100ULL /* PVH memmap / Multiboot mmap (BOOT_E820_MAX entries fit) */
#define BOOT_ZERO_PAGE_GPA   0x7000ULL /* Linux struct boot_params */
#define BOOT_STACK_GPA	     0x8FF0ULL /* initial rsp: top of the page at 0x8000 */
#define BOOT_PML4_GPA	     0x9000ULL /* identity page tables for 64-bit entry ... */
#define BOOT_PDPT_GPA	     0xA000ULL
#define BOOT_PD_GPA	     0xB000ULL /* ... 4 page directories of 2 MiB pages: 0xB000-0xEFFF */
#define BOOT_CMDLINE_GPA     0x20000ULL
#define BOOT_CMDLINE_MAX     4096U	 /* bytes including the NUL: a sane cap for PVH and Multiboot */
#define BOOT_KERNEL_MIN_GPA  0x100000ULL /* kernels load at or above 1 MiB; below is ours */

#define BOOT_EBDA_GPA	     0x9FC00ULL /* RAM below this is usable; 0x9FC00-0xFFFFF is reserved */
#define BOOT_ACPI_GPA	     0xE0000ULL /* RSDP first (the OS scans 0xE0000-0xFFFFF), then the tables */
#define BOOT_ACPI_END	     0xF0000ULL
#define BOOT_MPTABLE_GPA     0xF0000ULL /* MP floating pointer, configuration table right after */
#define BOOT_MPTABLE_END     0x100000ULL
#define BOOT_BIOS_AREA_START 0xE0000ULL
#define BOOT_BIOS_AREA_END   0x100000ULL

/* ---- The 32-bit hole (GUEST_MEM_HOLE_START = 3 GiB .. 4 GiB) ---- */
#define PLATFORM_PCI_MMIO32_BASE 0xC0000000ULL /* 32-bit PCI BAR window, 512 MiB */
#define PLATFORM_PCI_MMIO32_SIZE 0x20000000ULL
#define PLATFORM_PCI_ECAM_BASE	 0xE0000000ULL /* PCI Express config space, buses 0-255 (MCFG) */
#define PLATFORM_PCI_ECAM_SIZE	 0x10000000ULL
#define PLATFORM_RESERVED_BASE	 0xE0000000ULL /* e820-reserved from here to 4 GiB: ECAM, IOAPIC, LAPIC */
#define PLATFORM_IOAPIC_BASE	 0xFEC00000ULL
#define PLATFORM_LAPIC_BASE	 0xFEE00000ULL

/* ---- I/O ports and ISA IRQs of the VMM's devices ---- */
#define PLATFORM_COM1_PORT	 0x3F8
#define PLATFORM_COM1_IRQ	 4
#define PLATFORM_I8042_DATA_PORT 0x60
#define PLATFORM_I8042_CMD_PORT	 0x64
#define PLATFORM_I8042_IRQ	 1
#define PLATFORM_RTC_PORT	 0x70 /* index 0x70, data 0x71 */
#define PLATFORM_RTC_IRQ	 8
#define PLATFORM_RTC_CENTURY_REG 0x32 /* FADT CENTURY: CMOS register holding the century */
#define PLATFORM_DEBUG_EXIT_PORT 0xF4 /* 1 byte: test guests exit through it */
#define PLATFORM_BOOT_TIMER_PORT 0x80 /* guest writes 123 when init starts */
#define PLATFORM_PCI_CONF1_PORT	 0xCF8

/* ACPI fixed hardware (FADT), I/O space. */
#define PLATFORM_ACPI_PM1A_EVT_PORT 0x600 /* 4 bytes: PM1 status (2) + enable (2) */
#define PLATFORM_ACPI_PM1_EVT_LEN   4
#define PLATFORM_ACPI_PM1A_CNT_PORT 0x604 /* 2 bytes */
#define PLATFORM_ACPI_PM1_CNT_LEN   2
#define PLATFORM_ACPI_GPE0_PORT	    0x608 /* 4 bytes: GPE0 status (2) + enable (2) */
#define PLATFORM_ACPI_GPE0_LEN	    4
#define PLATFORM_ACPI_SCI_IRQ	    9
#define PLATFORM_ACPI_SLP_TYP_S5    5
#define PLATFORM_ACPI_SLP_EN	    (1U << 13)
/* What the guest writes to PM1a_CNT to power off: SLP_TYP=5 | SLP_EN. */
#define PLATFORM_ACPI_POWEROFF_VALUE ((PLATFORM_ACPI_SLP_TYP_S5 << 10) | PLATFORM_ACPI_SLP_EN) /* 0x3400 */
#define PLATFORM_ACPI_RESET_PORT     0xCF9 /* FADT RESET_REG */
#define PLATFORM_ACPI_RESET_VALUE    6

/*
 * PCI INTx: pin p (1-4 = INTA#-INTD#) of slot s on bus 0 reaches IOAPIC pin
 * 16 + (s + p - 1) % 8, the usual swizzle over the eight pins no ISA device
 * uses; level-triggered, active-low (PCI). The MP table and the DSDT's _PRT
 * describe it for every slot, and the VMM writes it into each device's
 * Interrupt Line register (core/pci_glue.h).
 */
#define PLATFORM_PCI_INTX_FIRST_GSI 16
#define PLATFORM_PCI_INTX_GSIS	    8
#define PLATFORM_PCI_INTX_GSI(slot, pin) \
	(PLATFORM_PCI_INTX_FIRST_GSI + ((slot) + (pin)-1) % PLATFORM_PCI_INTX_GSIS)
#define PLATFORM_PCI_SLOTS 32
/* A pci_slots mask (vmm_platform__write_tables) naming every slot. */
#define PLATFORM_PCI_ALL_SLOTS 0xffffffffu

#define PLATFORM_MAX_CPUS 254 /* APIC ids 0..n-1 and the IOAPIC id n must fit 8 bits */

#endif
