/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * long-mode: from 32-bit protected mode into 64-bit mode (PAE identity map of
 * the first GiB with 2 MiB pages, EFER.LME, CR0.PG, far jump to a 64-bit code
 * segment); the 64-bit code prints, checks EFER.LMA and gives the verdict.
 */
#include "lib.h"

static uint64_t pml4[512] __attribute__((aligned(4096)));
static uint64_t pdpt[512] __attribute__((aligned(4096)));
static uint64_t pd[512] __attribute__((aligned(4096)));

extern void enter_long_mode(uint32_t cr3) __attribute__((noreturn));

__asm__(".text\n"
	".code32\n"
	"enter_long_mode:\n"
	"	mov 4(%esp), %eax\n"
	"	mov %eax, %cr3\n"
	"	mov %cr4, %eax\n"
	"	or $0x20, %eax\n" /* PAE */
	"	mov %eax, %cr4\n"
	"	mov $0xc0000080, %ecx\n" /* EFER */
	"	rdmsr\n"
	"	or $0x100, %eax\n" /* LME */
	"	wrmsr\n"
	"	mov %cr0, %eax\n"
	"	or $0x80000000, %eax\n" /* PG */
	"	mov %eax, %cr0\n"
	"	ljmp $0x18, $lm64\n"
	".code64\n"
	"lm64:\n"
	"	mov $lm_msg, %esi\n"
	"	call lm_puts\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	test $0x400, %eax\n" /* LMA */
	"	jz 1f\n"
	"	mov $lm_pass, %esi\n"
	"	call lm_puts\n"
	"	mov $0, %al\n"
	"	out %al, $0xf4\n"
	"1:	mov $lm_fail, %esi\n"
	"	call lm_puts\n"
	"	mov $1, %al\n"
	"	out %al, $0xf4\n"
	"2:	hlt\n"
	"	jmp 2b\n"
	"lm_puts:\n"
	"	mov $0x3f8, %dx\n"
	"3:	movb (%rsi), %al\n"
	"	test %al, %al\n"
	"	jz 4f\n"
	"	out %al, %dx\n"
	"	inc %rsi\n"
	"	jmp 3b\n"
	"4:	ret\n"
	"lm_msg: .asciz \"long-mode: 64-bit code running\\n\"\n"
	"lm_pass: .asciz \"PASS\\n\"\n"
	"lm_fail: .asciz \"FAIL long-mode: EFER.LMA is clear\\n\"\n"
	".code32\n");

void guest_main(uint32_t magic, struct multiboot_info *mbi)
{
	puts("long-mode: building page tables\n");
	for (uint32_t i = 0; i < 512; i++)
		pd[i] = (uint64_t)i * 0x200000 | 0x83; /* present, writable, 2 MiB page */
	pdpt[0] = (uint32_t)(uintptr_t)pd | 3;
	pml4[0] = (uint32_t)(uintptr_t)pdpt | 3;
	enter_long_mode((uint32_t)(uintptr_t)pml4);
}
