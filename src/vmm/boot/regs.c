// SPDX-License-Identifier: GPL-2.0-or-later
/* The first vCPU's registers for each entry mode. */
#include <string.h>

#include "boot/boot_internal.h"

#define X86_CR0_PE	    (1ULL << 0)
#define X86_CR0_ET	    (1ULL << 4)
#define X86_CR0_NW	    (1ULL << 29)
#define X86_CR0_CD	    (1ULL << 30)
#define X86_CR0_PG	    (1ULL << 31)
#define X86_CR4_PAE	    (1ULL << 5)
#define X86_EFER_LME	    (1ULL << 8)
#define X86_EFER_LMA	    (1ULL << 10)
#define X86_RFLAGS_RESERVED 0x2ULL

static struct kvm_segment regs__flat_segment(uint16_t selector, uint8_t type, bool code64)
{
	return (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = type,
		.present = 1,
		.dpl = 0,
		.db = code64 ? 0 : 1, /* L=1 requires D=0 */
		.s = 1,
		.l = code64 ? 1 : 0,
		.g = 1,
	};
}

void vmm_boot__setup_sregs(const struct vmm_boot_result *b, struct kvm_sregs *sregs)
{
	bool long_mode = b->mode == VMM_ENTRY_LINUX64;
	struct kvm_segment data =
		regs__flat_segment(BOOT_GDT_DATA_SELECTOR, 3 /* data, read/write, accessed */, false);

	sregs->cs =
		regs__flat_segment(BOOT_GDT_CODE_SELECTOR, 11 /* code, execute/read, accessed */, long_mode);
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr = (struct kvm_segment){
		.base = 0, .limit = 0x67, .selector = BOOT_GDT_TSS_SELECTOR, .type = 11, .present = 1};
	sregs->gdt.base = BOOT_GDT_GPA;
	sregs->gdt.limit = BOOT_GDT_ENTRIES * 8 - 1;
	sregs->idt.base = BOOT_IDT_GPA;
	sregs->idt.limit = 7;
	/* Protected mode with caches on: reset leaves CD/NW set, and no firmware ran to clear them. */
	sregs->cr0 = (sregs->cr0 & ~(X86_CR0_CD | X86_CR0_NW | X86_CR0_PG)) | X86_CR0_PE | X86_CR0_ET;
	sregs->cr3 = 0;
	sregs->cr4 = 0;
	sregs->efer = 0;
	if (long_mode) {
		sregs->cr3 = b->pml4_gpa;
		sregs->cr4 = X86_CR4_PAE;
		sregs->cr0 |= X86_CR0_PG;
		sregs->efer = X86_EFER_LME | X86_EFER_LMA;
	}
}

void vmm_boot__setup_regs(const struct vmm_boot_result *b, struct kvm_regs *regs)
{
	memset(regs, 0, sizeof(*regs));
	regs->rflags = X86_RFLAGS_RESERVED;
	regs->rip = b->entry;
	regs->rsi = b->rsi;
	regs->rbx = b->rbx;
	regs->rax = b->rax;
	/* Linux's 64-bit entry wants a usable stack; the 32-bit protocols set their own but it costs nothing. */
	regs->rsp = BOOT_STACK_GPA;
	regs->rbp = BOOT_STACK_GPA;
}
