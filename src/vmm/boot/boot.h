/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_BOOT_H
#define CELLA_VMM_BOOT_H

/*
 * Kernel loaders: put a kernel, its command line, initrd and the firmware
 * tables into guest memory and say how the first vCPU must start. Formats:
 *   PVH ELF vmlinux (XEN_ELFNOTE_PHYS32_ENTRY): 32-bit protected mode, ebx = hvm_start_info
 *   bzImage whose payload is an xz/zstd/gzip PVH vmlinux: decompressed here, then as above ("bzimage-pvh")
 *   bzImage, boot protocol 2.12+ 64-bit entry: long mode, rsi = boot_params ("bzimage")
 *   Multiboot v1 (a.out kludge or ELF), e.g. kvm-unit-tests: 32-bit protected mode, eax/ebx = magic/info
 * Everything read from the files is treated as hostile. docs/vmm-boot.md has the memory layout.
 */
#include <stdbool.h>
#include <stdint.h>

#include <linux/kvm.h>

#include <cella/error.h>

#include "guest_mem.h"

enum vmm_entry_mode { VMM_ENTRY_PVH32, VMM_ENTRY_LINUX64, VMM_ENTRY_MULTIBOOT32 };

struct vmm_boot_request {
	const char *kernel_path;
	const char *
		initrd_path; /* NULL: none (Multiboot: module 0, kvm-unit-tests read it as their environment) */
	const char *cmdline;	 /* NULL: empty */
	unsigned ncpus;		 /* for the MP and ACPI tables, 1..PLATFORM_MAX_CPUS */
	uint32_t pci_slots;	 /* PCI slots holding a device (bit n = slot n): the DSDT's _PRT */
	bool no_host_decompress; /* boot a bzImage through its own in-guest decompressor */
};

struct vmm_boot_result {
	enum vmm_entry_mode mode;
	const char *format;	    /* "pvh-elf", "bzimage", "bzimage-pvh" or "multiboot" (static string) */
	uint64_t entry;		    /* guest-physical entry point */
	uint64_t rsi, rbx, rax;	    /* boot_params (linux64); hvm_start_info (pvh); multiboot info + magic */
	uint64_t gdt_gpa, pml4_gpa; /* pml4_gpa is 0 unless the mode is VMM_ENTRY_LINUX64 */
	uint64_t rsdp_gpa;	    /* ACPI RSDP the loader wrote */
	uint64_t kernel_start, kernel_end; /* guest-physical range the kernel image occupies */
	uint64_t initrd_gpa, initrd_size;  /* 0, 0 without an initrd */
};

/*
 * Loads req->kernel_path (and initrd, command line) into mem, writes the MP and
 * ACPI tables (vmm_platform__write_tables) and the boot structures, and fills
 * *out. Errors name the file and what is wrong with it; an unknown kernel gives
 * "PATH: not a bzImage, PVH ELF or Multiboot kernel".
 */
int vmm_boot__load(struct guest_mem *mem, const struct vmm_boot_request *req, struct vmm_boot_result *out,
		   cella_err_t *err);

/* Fill the first vCPU's registers for the entry mode (call after KVM_GET_SREGS/KVM_GET_REGS, then SET). */
void vmm_boot__setup_sregs(const struct vmm_boot_result *b, struct kvm_sregs *sregs);
void vmm_boot__setup_regs(const struct vmm_boot_result *b, struct kvm_regs *regs);

#endif
