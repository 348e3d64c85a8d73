/*
 * PVH entry for the pvh guest: an ELF note XEN_ELFNOTE_PHYS32_ENTRY (type 18)
 * names pvh_start, which the VMM enters in 32-bit protected mode, paging off,
 * with ebx = hvm_start_info. No Multiboot header: the VMM must pick PVH.
 */
	.section .note.Xen, "a", @note
	.align 4
	.long 4 /* namesz: "Xen\0" */
	.long 4 /* descsz */
	.long 18 /* XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.long pvh_start

	.text
	.code32
	.globl pvh_start
pvh_start:
	cli
	mov $pvh_stack_top, %esp
	lgdt pvh_gdt_desc
	ljmp $0x08, $1f
1:	mov $0x10, %cx
	mov %cx, %ds
	mov %cx, %es
	mov %cx, %fs
	mov %cx, %gs
	mov %cx, %ss
	push %ebx
	call pvh_main
	mov $1, %al /* pvh_main returned: fail */
	out %al, $0xf4
2:	hlt
	jmp 2b

	.section .rodata
	.align 8
pvh_gdt:
	.quad 0
	.quad 0x00cf9a000000ffff /* 0x08: 32-bit code, flat */
	.quad 0x00cf92000000ffff /* 0x10: data, flat */
pvh_gdt_end:
pvh_gdt_desc:
	.word pvh_gdt_end - pvh_gdt - 1
	.long pvh_gdt

	.bss
	.align 16
	.space 16384
pvh_stack_top:
