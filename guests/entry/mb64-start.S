/*
 * Multiboot v1 entry for the 64-bit guests: the VMM enters in 32-bit protected
 * mode; this identity-maps the first GiB with 2 MiB pages, enables PAE,
 * EFER.LME and paging, and calls guest_main(magic, info) in 64-bit mode.
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, want memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.text
	.code32
	.globl _start
_start:
	cli
	mov %eax, %edi /* magic and info survive the switch in edi/esi */
	mov %ebx, %esi
	mov $stack_top, %esp
	lgdt gdt64_desc
	ljmp $0x18, $1f
1:	mov $0x10, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %ss
	/* pd[i] = i * 2 MiB | present, writable, large */
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax
	mov %eax, pd64(,%ecx,8)
	movl $0, pd64+4(,%ecx,8)
	inc %ecx
	cmp $512, %ecx
	jne 2b
	mov $pd64, %eax
	or $3, %eax
	mov %eax, pdpt64
	mov $pdpt64, %eax
	or $3, %eax
	mov %eax, pml4_64
	mov $pml4_64, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax /* PAE */
	mov %eax, %cr4
	mov $0xc0000080, %ecx /* EFER */
	rdmsr
	or $0x100, %eax /* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000000, %eax /* PG */
	mov %eax, %cr0
	ljmp $0x08, $3f
	.code64
3:	mov %edi, %edi /* upper halves are undefined after the switch */
	mov %esi, %esi
	mov $stack_top, %esp
	call guest_main
	mov $1, %al /* guest_main returned: fail */
	out %al, $0xf4
4:	hlt
	jmp 4b

	.section .rodata
	.align 8
gdt64:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff /* 0x10: data, flat */
	.quad 0x00cf9a000000ffff /* 0x18: 32-bit code, flat (until paging is on) */
gdt64_end:
gdt64_desc:
	.word gdt64_end - gdt64 - 1
	.long gdt64

	.bss
	.align 4096
pml4_64:
	.space 4096
pdpt64:
	.space 4096
pd64:
	.space 4096
	.align 16
	.space 16384
stack_top:
